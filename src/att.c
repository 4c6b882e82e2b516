/* att.c - attestations, their evidence and their review. */
#include "tillit/att.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/util.h"

static json_t *att_load_rec(struct store_txn *txn, long long id)
{
	unsigned char key[8];
	struct store_val v;

	store_be64(key, (uint64_t)id);
	if (store_get(txn, STORE_DB_ATTEST, key, sizeof(key), &v) != TL_OK)
		return NULL;
	return json_loadb(v.data, v.len, 0, NULL);
}

static void att_save_rec(struct store_txn *txn, long long id, json_t *rec)
{
	unsigned char key[8];
	char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

	if (s == NULL) {
		if (txn->rc == TL_OK)
			txn->rc = tl_err_set(&txn->err, TL_ENOMEM, "cannot serialise an attestation");
		return;
	}
	store_be64(key, (uint64_t)id);
	store_put(txn, STORE_DB_ATTEST, key, sizeof(key), s, strlen(s));
	free(s);
}

static const char *att_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

long att_parse_days(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == 'P') {
		v = strtol(s + 1, &end, 10);
		if (end == s + 1 || v < 0)
			return -1;
		if (strcmp(end, "D") == 0)
			return v;
		if (strcmp(end, "W") == 0)
			return v * 7;
		return -1;
	}
	v = strtol(s, &end, 10);
	if (end == s || v < 0 || v > 36500)
		return -1;
	if (*end == '\0' || strcmp(end, "d") == 0)
		return v;
	if (strcmp(end, "w") == 0)
		return v * 7;
	return -1;
}

/* Is there a member entity (not removed) or an imported one with this SHA-1? */
static int att_entity_exists(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN])
{
	struct store_val v;
	json_t *e;
	int ok;

	if (store_get(txn, STORE_DB_IMPORTED, sha1, UTIL_SHA1_LEN, &v) == TL_OK)
		return 1;
	if (store_get(txn, STORE_DB_ENTITIES, sha1, UTIL_SHA1_LEN, &v) != TL_OK)
		return 0;
	e = json_loadb(v.data, v.len, 0, NULL);
	ok = e != NULL && strcmp(att_str(e, "state"), "removed") != 0;
	json_decref(e);
	return ok;
}

int att_submit(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
               const char *ref, const void *evidence, size_t len, const char *name,
               time_t expires, json_t **out, struct tl_err *err)
{
	const struct tf_requirement *req = tf_find_requirement(s, ref);
	unsigned char sha1[UTIL_SHA1_LEN], digest[UTIL_SHA256_LEN], key[8], ikey[UTIL_SHA1_LEN + 8];
	char hex[2 * UTIL_SHA256_LEN + 1], now[32], exp[32];
	struct store_txn txn;
	json_t *rec = NULL, *details = NULL;
	long long id;
	int rc;

	*out = NULL;
	if (req == NULL)
		return tl_err_set(err, TL_ENOENT,
		                  "no requirement %s (tillitctl framework show FRAMEWORK lists them)", ref);
	if (req->kind != TF_KIND_ATTEST)
		return tl_err_set(err, TL_EINVAL,
		                  "%s is an automated check, not something to attest: it is evaluated from the metadata",
		                  ref);
	if (len == 0)
		return tl_err_set(err, TL_EINVAL, "the evidence is empty");
	if (len > ctx->conf.max_evidence_size)
		return tl_err_set(err, TL_ELIMIT, "the evidence is %zu bytes, more than max_evidence_size (%llu)",
		                  len, ctx->conf.max_evidence_size);
	if (expires != 0 && expires <= util_now()) {
		util_time_iso(expires, exp, sizeof(exp));
		return tl_err_set(err, TL_EINVAL, "the expiry %.10s is not in the future", exp);
	}
	util_sha1(entity_id, strlen(entity_id), sha1);
	util_sha256(evidence, len, digest);
	util_hex(digest, sizeof(digest), hex);
	util_time_iso(util_now(), now, sizeof(now));
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	if (!att_entity_exists(&txn, sha1)) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
	}
	id = (long long)store_next_seq(&txn, STORE_DB_ATTEST, NULL, 0);
	rec = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)id,
	                "entity_id", entity_id, "requirement", ref, "framework", req->fw->id, "state",
	                "pending", "submitted_at", now, "submitted_by", ctx->actor, "evidence_sha256",
	                hex, "evidence_bytes", (json_int_t)len);
	if (rec == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_EINVAL, "the entityID is not valid UTF-8");
	}
	json_object_set_new(rec, "evidence_name", json_string(name ? name : "evidence"));
	if (expires != 0) {
		util_time_iso(expires, exp, sizeof(exp));
		json_object_set_new(rec, "requested_expiry", json_string(exp));
	}
	store_be64(key, (uint64_t)id);
	memcpy(ikey, sha1, UTIL_SHA1_LEN);
	memcpy(ikey + UTIL_SHA1_LEN, key, 8);
	att_save_rec(&txn, id, rec);
	store_put(&txn, STORE_DB_ATTEST_IDX, ikey, sizeof(ikey), "", 0);
	store_put(&txn, STORE_DB_EVIDENCE, key, sizeof(key), evidence, len);
	details = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "requirement", ref,
	                    "evidence_sha256", hex, "evidence_bytes", (json_int_t)len);
	audit_append(&txn, ctx->actor, "attestation.submit", entity_id, details);
	json_decref(details);
	rc = store_commit(&txn, err);
	if (rc != TL_OK) {
		json_decref(rec);
		return rc;
	}
	log_entity_info(entity_id, "attestation %lld of %s submitted", id, ref);
	*out = rec;
	return TL_OK;
}

int att_decide(struct tl_ctx *ctx, const struct tf_set *s, long long id, enum att_decision d,
               const char *reason, json_t **out, struct tl_err *err)
{
	static const char *const verbs[] = { "approve", "reject", "withdraw" };
	static const char *const states[] = { "approved", "rejected", "withdrawn" };
	struct store_txn txn;
	json_t *rec, *details;
	const char *state;
	char now[32];
	int rc;

	*out = NULL;
	if (d == ATT_REJECT && (reason == NULL || *reason == '\0'))
		return tl_err_set(err, TL_EINVAL, "rejecting needs --reason TEXT");
	if (reason != NULL && strlen(reason) > ATT_REASON_MAX)
		return tl_err_set(err, TL_ELIMIT, "the reason is longer than %d characters", ATT_REASON_MAX);
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	rec = att_load_rec(&txn, id);
	if (rec == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "no attestation %lld", id);
	}
	state = att_str(rec, "state");
	if ((d == ATT_APPROVE && strcmp(state, "pending") != 0) ||
	    (d == ATT_REJECT && strcmp(state, "pending") != 0 && strcmp(state, "approved") != 0) ||
	    (d == ATT_WITHDRAW && strcmp(state, "withdrawn") == 0)) {
		rc = tl_err_set(err, TL_ESTATE, "attestation %lld is %s: it cannot be %s", id, state,
		                d == ATT_APPROVE ? "approved (only a pending one can)" : states[d]);
		goto fail;
	}
	util_time_iso(util_now(), now, sizeof(now));
	if (d == ATT_APPROVE) {
		const struct tf_requirement *req = tf_find_requirement(s, att_str(rec, "requirement"));
		time_t exp, want;
		char e[32];
		if (req == NULL || req->kind != TF_KIND_ATTEST) {
			rc = tl_err_set(err, TL_ESTATE, "attestation %lld is of %s, which the frameworks no longer define",
			                id, att_str(rec, "requirement"));
			goto fail;
		}
		exp = tf_period_add(util_now(), &req->validity);
		if (json_object_get(rec, "requested_expiry") &&
		    util_time_parse(att_str(rec, "requested_expiry"), &want) == 0 && want < exp)
			exp = want;
		if (exp <= util_now()) {
			rc = tl_err_set(err, TL_ESTATE, "attestation %lld has expired already (requested %s)", id,
			                att_str(rec, "requested_expiry"));
			goto fail;
		}
		util_time_iso(exp, e, sizeof(e));
		json_object_set_new(rec, "expires", json_string(e));
	}
	json_object_set_new(rec, "state", json_string(states[d]));
	json_object_set_new(rec, "decided_at", json_string(now));
	json_object_set_new(rec, "decided_by", json_string(ctx->actor));
	if (reason != NULL && *reason != '\0')
		json_object_set_new(rec, "reason", json_string(reason));
	att_save_rec(&txn, id, rec);
	details = json_pack("{s:I, s:s, s:s?, s:s?}", "id", (json_int_t)id, "requirement",
	                    att_str(rec, "requirement"), "reason", reason, "expires",
	                    json_string_value(json_object_get(rec, "expires")));
	{
		char action[40];
		snprintf(action, sizeof(action), "attestation.%s", verbs[d]);
		audit_append(&txn, ctx->actor, action, att_str(rec, "entity_id"), details);
	}
	json_decref(details);
	rc = store_commit(&txn, err);
	if (rc != TL_OK) {
		json_decref(rec);
		return rc;
	}
	log_entity_info(att_str(rec, "entity_id"), "attestation %lld %s", id, states[d]);
	*out = rec;
	return TL_OK;
fail:
	store_abort(&txn);
	json_decref(rec);
	return rc;
}

/* The state a listing shows: an approved attestation past its expiry is "expired". */
static const char *att_effective_state(json_t *rec, time_t now)
{
	const char *s = att_str(rec, "state");
	time_t exp;

	if (strcmp(s, "approved") == 0 && util_time_parse(att_str(rec, "expires"), &exp) == 0 &&
	    exp <= now)
		return "expired";
	return s;
}

int att_list(struct tl_ctx *ctx, const char *entity_id, const char *state, long due_days,
             json_t **out, struct tl_err *err)
{
	static const char *const states[] = { "pending", "approved", "rejected", "withdrawn",
		                              "expired", NULL };
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	time_t now = util_now();
	json_t *arr;
	int rc, known = state == NULL;

	*out = NULL;
	for (int i = 0; !known && states[i] != NULL; i++)
		known = strcmp(state, states[i]) == 0;
	if (!known)
		return tl_err_set(err, TL_EUSAGE,
		                  "unknown state '%s' (pending, approved, rejected, withdrawn, expired)", state);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	arr = json_array();
	store_iter_begin(&txn, STORE_DB_ATTEST, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *rec = json_loadb(v.data, v.len, 0, NULL);
		const char *eff;
		time_t exp;
		if (rec == NULL)
			continue;
		eff = att_effective_state(rec, now);
		if ((entity_id != NULL && strcmp(att_str(rec, "entity_id"), entity_id) != 0) ||
		    (state != NULL && strcmp(eff, state) != 0)) {
			json_decref(rec);
			continue;
		}
		if (due_days >= 0) {
			if (strcmp(att_str(rec, "state"), "approved") != 0 ||
			    util_time_parse(att_str(rec, "expires"), &exp) != 0 ||
			    exp > now + (time_t)due_days * 86400) {
				json_decref(rec);
				continue;
			}
			json_object_set_new(rec, "days_left", json_integer((json_int_t)((exp - now) / 86400)));
		}
		json_object_set_new(rec, "state", json_string(eff));
		json_array_append_new(arr, rec);
	}
	store_iter_end(&it);
	rc = txn.rc;
	if (rc != TL_OK)
		*err = txn.err;
	store_abort(&txn);
	if (rc != TL_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return TL_OK;
}

int att_show(struct tl_ctx *ctx, long long id, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	json_t *rec;
	int rc;

	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	rec = att_load_rec(&txn, id);
	store_abort(&txn);
	if (rec == NULL)
		return tl_err_set(err, TL_ENOENT, "no attestation %lld", id);
	json_object_set_new(rec, "state", json_string(att_effective_state(rec, util_now())));
	*out = rec;
	return TL_OK;
}

int att_evidence(struct tl_ctx *ctx, long long id, char **data, size_t *len, struct tl_err *err)
{
	struct store_txn txn;
	struct store_val v;
	unsigned char key[8];
	int rc;

	*data = NULL;
	*len = 0;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	store_be64(key, (uint64_t)id);
	if (store_get(&txn, STORE_DB_EVIDENCE, key, sizeof(key), &v) != TL_OK) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "no evidence for attestation %lld", id);
	}
	*data = malloc(v.len ? v.len : 1);
	if (*data != NULL) {
		memcpy(*data, v.data, v.len);
		*len = v.len;
	}
	store_abort(&txn);
	return *data ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

static enum tf_att_state att_state_enum(const char *s)
{
	if (strcmp(s, "approved") == 0)
		return TF_ATT_APPROVED;
	if (strcmp(s, "rejected") == 0)
		return TF_ATT_REJECTED;
	if (strcmp(s, "withdrawn") == 0)
		return TF_ATT_WITHDRAWN;
	return TF_ATT_PENDING;
}

static time_t att_time(json_t *rec, const char *k)
{
	time_t t = 0;

	if (json_object_get(rec, k) == NULL || util_time_parse(att_str(rec, k), &t) != 0)
		return 0;
	return t;
}

int att_load(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
             struct tf_attestation **out, size_t *n, struct tl_err *err)
{
	struct store_iter it;
	struct store_val k, v;
	json_t *recs = json_array();
	size_t bytes = 0, cnt, i;
	struct tf_attestation *a;
	char *pool;

	*out = NULL;
	*n = 0;
	store_iter_begin(txn, STORE_DB_ATTEST_IDX, sha1, UTIL_SHA1_LEN, &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *rec;
		if (k.len != UTIL_SHA1_LEN + 8)
			continue;
		rec = att_load_rec(txn, (long long)store_get_be64((const unsigned char *)k.data + UTIL_SHA1_LEN));
		if (rec == NULL)
			continue;
		bytes += strlen(att_str(rec, "requirement")) + strlen(att_str(rec, "reason")) + 2;
		json_array_append_new(recs, rec);
	}
	store_iter_end(&it);
	if (txn->rc != TL_OK) {
		json_decref(recs);
		*err = txn->err;
		return txn->rc;
	}
	cnt = json_array_size(recs);
	if (cnt == 0) {
		json_decref(recs);
		return TL_OK;
	}
	a = malloc(cnt * sizeof(*a) + bytes);
	if (a == NULL) {
		json_decref(recs);
		return tl_err_set(err, TL_ENOMEM, "out of memory loading attestations");
	}
	pool = (char *)(a + cnt);
	for (i = 0; i < cnt; i++) {
		json_t *rec = json_array_get(recs, i);
		size_t l1 = strlen(att_str(rec, "requirement")) + 1, l2 = strlen(att_str(rec, "reason")) + 1;
		memcpy(pool, att_str(rec, "requirement"), l1);
		a[i].requirement = pool;
		pool += l1;
		memcpy(pool, att_str(rec, "reason"), l2);
		a[i].reason = l2 > 1 ? pool : NULL;
		pool += l2;
		a[i].state = att_state_enum(att_str(rec, "state"));
		a[i].id = (long long)json_integer_value(json_object_get(rec, "id"));
		a[i].submitted = att_time(rec, "submitted_at");
		a[i].decided = att_time(rec, "decided_at");
		a[i].expires = att_time(rec, "expires");
	}
	json_decref(recs);
	*out = a;
	*n = cnt;
	return TL_OK;
}

void att_digest(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                unsigned char out[UTIL_SHA256_LEN])
{
	struct store_iter it;
	struct store_val k, v;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned dlen = 0;

	memset(out, 0, UTIL_SHA256_LEN);
	if (md == NULL || EVP_DigestInit_ex(md, util_md("SHA256"), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	store_iter_begin(txn, STORE_DB_ATTEST_IDX, sha1, UTIL_SHA1_LEN, &it);
	while (store_iter_next(&it, &k, &v)) {
		struct store_val rv;
		if (k.len != UTIL_SHA1_LEN + 8)
			continue;
		if (store_get(txn, STORE_DB_ATTEST, (const unsigned char *)k.data + UTIL_SHA1_LEN, 8, &rv) ==
		    TL_OK)
			EVP_DigestUpdate(md, rv.data, rv.len);
	}
	store_iter_end(&it);
	EVP_DigestFinal_ex(md, out, &dlen);
	EVP_MD_CTX_free(md);
}
