/* audit.c - hash-chained audit log in LMDB. */
#include "tillit/audit.h"

#include <stdlib.h>
#include <string.h>

#include "tillit/util.h"

#define AUDIT_HEAD_KEY "audit_head"
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Hash of the record's canonical JSON without its "hash" member. */
static int audit_hash(json_t *rec, char hex[65])
{
	json_t *copy = json_deep_copy(rec);
	unsigned char d[UTIL_SHA256_LEN];
	char *s;

	if (copy == NULL)
		return -1;
	json_object_del(copy, "hash");
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(copy);
	if (s == NULL)
		return -1;
	util_sha256(s, strlen(s), d);
	util_hex(d, sizeof(d), hex);
	free(s);
	return 0;
}

static void audit_fail(struct store_txn *txn, int code, const char *msg)
{
	if (txn->rc == TL_OK)
		txn->rc = tl_err_set(&txn->err, code, "audit log: %s", msg);
}

uint64_t audit_append(struct store_txn *txn, const char *actor, const char *action,
                      const char *subject, json_t *details)
{
	struct store_val head;
	char prev[65] = AUDIT_GENESIS, hash[65], when[32];
	unsigned char key[8];
	uint64_t seq = 1;
	json_t *rec = NULL;
	char *s = NULL, headval[8 + 65];

	if (txn->rc != TL_OK)
		return 0;
	if (store_get(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), &head) == TL_OK &&
	    head.len == sizeof(headval)) {
		seq = store_get_be64(head.data) + 1;
		memcpy(prev, (const char *)head.data + 8, 64);
		prev[64] = '\0';
	}
	util_time_iso(util_now(), when, sizeof(when));
	rec = json_pack("{s:I, s:s, s:s, s:s, s:s, s:O?, s:s}", "seq", (json_int_t)seq, "time", when,
	                "actor", actor, "action", action, "subject", subject ? subject : "",
	                "details", details, "prev", prev);
	if (rec == NULL || audit_hash(rec, hash) != 0 ||
	    json_object_set_new(rec, "hash", json_string(hash)) != 0) {
		audit_fail(txn, TL_ENOMEM, "cannot build a record");
		goto out;
	}
	s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (s == NULL) {
		audit_fail(txn, TL_ENOMEM, "cannot serialise a record");
		goto out;
	}
	store_be64(key, seq);
	store_put(txn, STORE_DB_AUDIT, key, sizeof(key), s, strlen(s));
	store_be64((unsigned char *)headval, seq);
	memcpy(headval + 8, hash, 65);
	store_put(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), headval,
	          sizeof(headval));
out:
	free(s);
	json_decref(rec);
	return txn->rc == TL_OK ? seq : 0;
}

int audit_verify(struct store_txn *txn, struct audit_verdict *v, struct tl_err *err)
{
	struct store_iter it;
	struct store_val k, val, head;
	char prev[65] = AUDIT_GENESIS, hash[65];
	uint64_t expect = 1, head_seq = 0;
	int rc = TL_OK;

	memset(v, 0, sizeof(*v));
	if (store_get(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), &head) == TL_OK &&
	    head.len == 8 + 65)
		head_seq = store_get_be64(head.data);
	store_iter_begin(txn, STORE_DB_AUDIT, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &val)) {
		uint64_t seq = k.len == 8 ? store_get_be64(k.data) : 0;
		json_t *rec = json_loadb(val.data, val.len, 0, NULL);
		const char *h = json_string_value(json_object_get(rec, "hash"));
		const char *p = json_string_value(json_object_get(rec, "prev"));
		json_int_t rseq = json_integer_value(json_object_get(rec, "seq"));

		v->records++;
		if (rec == NULL || h == NULL || p == NULL) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem), "record %llu is not a valid record",
			         (unsigned long long)seq);
		} else if (seq != expect) {
			v->bad_seq = expect;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu is missing (the next record is %llu)",
			         (unsigned long long)expect, (unsigned long long)seq);
		} else if ((uint64_t)rseq != seq) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu holds record %lld: records were reordered",
			         (unsigned long long)seq, (long long)rseq);
		} else if (strcmp(p, prev) != 0) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu does not follow record %llu (chain broken: reordered or a record removed)",
			         (unsigned long long)seq, (unsigned long long)seq - 1);
		} else if (audit_hash(rec, hash) != 0 || strcmp(hash, h) != 0) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem), "record %llu was changed (hash mismatch)",
			         (unsigned long long)seq);
		} else {
			memcpy(prev, h, 65);
			expect++;
		}
		json_decref(rec);
		if (v->bad_seq != 0)
			rc = TL_ESIG;
	}
	store_iter_end(&it);
	if (txn->rc != TL_OK)
		return tl_err_set(err, txn->rc, "%s", txn->err.msg);
	if (rc == TL_OK && head_seq != expect - 1) {
		v->bad_seq = expect;
		snprintf(v->problem, sizeof(v->problem),
		         "the log ends at record %llu but its head says %llu: records were removed from the end",
		         (unsigned long long)(expect - 1), (unsigned long long)head_seq);
		rc = TL_ESIG;
	} else if (rc == TL_OK && head_seq > 0 && memcmp((const char *)head.data + 8, prev, 64) != 0) {
		v->bad_seq = head_seq;
		snprintf(v->problem, sizeof(v->problem), "the last record does not match the log head");
		rc = TL_ESIG;
	}
	if (rc != TL_OK)
		tl_err_set(err, rc, "audit log tampered: %s", v->problem);
	return rc;
}

int audit_list(struct store_txn *txn, const char *subject, json_t **out, struct tl_err *err)
{
	struct store_iter it;
	struct store_val k, val;
	json_t *arr = json_array();

	*out = NULL;
	if (arr == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	store_iter_begin(txn, STORE_DB_AUDIT, NULL, 0, &it);
	while (store_iter_next(&it, &k, &val)) {
		json_t *rec = json_loadb(val.data, val.len, 0, NULL);
		const char *s;
		if (rec == NULL)
			continue;
		s = json_string_value(json_object_get(rec, "subject"));
		if (subject == NULL || (s != NULL && strcmp(s, subject) == 0))
			json_array_append(arr, rec);
		json_decref(rec);
	}
	store_iter_end(&it);
	if (txn->rc != TL_OK) {
		json_decref(arr);
		return tl_err_set(err, txn->rc, "%s", txn->err.msg);
	}
	*out = arr;
	return TL_OK;
}
