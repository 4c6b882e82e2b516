/* test_audit.c - the hash chain detects changed, removed and reordered records. */
#include "tltest.h"

#include "tillit/audit.h"
#include "tillit/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct store *st;
static char *dir;

static void setup(void)
{
	struct store_opts o = { 64u << 20, 64, 0 };
	struct store_txn txn;
	struct tl_err err;

	dir = tlt_tmpdir();
	ck_assert_int_eq(store_open(&st, dir, &o, &err), TL_OK);
	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	for (int i = 0; i < 5; i++) {
		char subject[32];
		json_t *d = json_pack("{s:i}", "n", i);
		snprintf(subject, sizeof(subject), "https://sp%d.example.se", i);
		ck_assert_uint_eq(audit_append(&txn, "operator:test", "entity.approve", subject, d),
		                  (uint64_t)i + 1);
		json_decref(d);
	}
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
}

static void teardown(void)
{
	store_close(st);
	tlt_rmtree(dir);
}

static int verify(struct audit_verdict *v)
{
	struct store_txn txn;
	struct tl_err err;
	int rc;

	ck_assert_int_eq(store_txn_begin(st, &txn, 1, &err), TL_OK);
	rc = audit_verify(&txn, v, &err);
	store_abort(&txn);
	return rc;
}

/* Replace the stored bytes of record seq by f(record). */
static void tamper(uint64_t seq, const char *from, const char *to)
{
	struct store_txn txn;
	struct store_val v;
	struct tl_err err;
	unsigned char key[8];
	char *s, *p;

	store_be64(key, seq);
	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	ck_assert_int_eq(store_get(&txn, STORE_DB_AUDIT, key, 8, &v), TL_OK);
	s = strndup(v.data, v.len);
	p = strstr(s, from);
	ck_assert_ptr_nonnull(p);
	memcpy(p, to, strlen(to)); /* same length */
	store_put(&txn, STORE_DB_AUDIT, key, 8, s, strlen(s));
	free(s);
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
}

START_TEST(audit_intact_chain_verifies)
{
	struct audit_verdict v;
	struct store_txn txn;
	struct tl_err err;
	json_t *list;

	ck_assert_int_eq(verify(&v), TL_OK);
	ck_assert_uint_eq(v.records, 5);
	ck_assert_int_eq(store_txn_begin(st, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(audit_list(&txn, "https://sp3.example.se", &list, &err), TL_OK);
	store_abort(&txn);
	ck_assert_uint_eq(json_array_size(list), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), 4);
	json_decref(list);
}
END_TEST

/*
 * A record's stored text is its canonical JSON (sorted keys, compact,
 * ASCII) with "hash" in its place, whatever the details hold: a nested
 * "prev", quotes, the marker itself inside strings, non-ASCII text.
 */
START_TEST(audit_record_text_is_canonical)
{
	static const char *const subjects[] = { "https://sp.example.se", ",\"prev\":\"x",
	                                        "s\u00e5 \"citat\" \\", "" };
	struct audit_verdict v;
	struct store_txn txn;
	struct store_val val;
	struct tl_err err;
	unsigned char key[8];

	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		json_t *d = json_pack("{s:{s:s, s:[s]}, s:s, s:s}", "inner", "prev", "\",\"prev\":\"", "l",
		                      "\",\"hash\":\"", "prev", subjects[i], "\u00f6", "\"}");
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(audit_append(&txn, "operator:\"q\"", "test.canonical", subjects[i], d), 6 + i);
		json_decref(d);
	}
	ck_assert_int_eq(audit_append(&txn, "operator:test", "test.null", NULL, NULL), 10);
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
	ck_assert_int_eq(store_txn_begin(st, &txn, 1, &err), TL_OK);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		json_t *rec;
		char *canon;
		store_be64(key, seq);
		ck_assert_int_eq(store_get(&txn, STORE_DB_AUDIT, key, 8, &val), TL_OK);
		rec = json_loadb(val.data, val.len, 0, NULL);
		ck_assert_ptr_nonnull(rec);
		ck_assert_uint_eq(strlen(json_string_value(json_object_get(rec, "hash"))), 64);
		canon = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		ck_assert_uint_eq(strlen(canon), val.len);
		ck_assert(memcmp(canon, val.data, val.len) == 0);
		free(canon);
		json_decref(rec);
	}
	store_abort(&txn);
	ck_assert_int_eq(verify(&v), TL_OK);
	ck_assert_uint_eq(v.records, 10);
	ck_assert_uint_eq(v.bad_seq, 0);
}
END_TEST

START_TEST(audit_detects_changed_record)
{
	struct audit_verdict v;

	tamper(3, "sp2", "sp9");
	ck_assert_int_eq(verify(&v), TL_ESIG);
	ck_assert_uint_eq(v.bad_seq, 3);
	ck_assert_ptr_nonnull(strstr(v.problem, "record 3 was changed"));
}
END_TEST

START_TEST(audit_detects_removed_record)
{
	struct audit_verdict v;
	struct store_txn txn;
	struct tl_err err;
	unsigned char key[8];

	store_be64(key, 2);
	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	store_del(&txn, STORE_DB_AUDIT, key, 8);
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
	ck_assert_int_eq(verify(&v), TL_ESIG);
	ck_assert_uint_eq(v.bad_seq, 2);
	ck_assert_ptr_nonnull(strstr(v.problem, "record 2 is missing"));
}
END_TEST

START_TEST(audit_detects_removed_tail)
{
	struct audit_verdict v;
	struct store_txn txn;
	struct tl_err err;
	unsigned char key[8];

	store_be64(key, 5);
	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	store_del(&txn, STORE_DB_AUDIT, key, 8);
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
	ck_assert_int_eq(verify(&v), TL_ESIG);
	ck_assert_ptr_nonnull(strstr(v.problem, "removed from the end"));
}
END_TEST

START_TEST(audit_detects_reordered_records)
{
	struct audit_verdict v;
	struct store_txn txn;
	struct store_val a, b;
	struct tl_err err;
	unsigned char k2[8], k3[8];
	char *sa, *sb;

	store_be64(k2, 2);
	store_be64(k3, 3);
	ck_assert_int_eq(store_txn_begin(st, &txn, 0, &err), TL_OK);
	ck_assert_int_eq(store_get(&txn, STORE_DB_AUDIT, k2, 8, &a), TL_OK);
	sa = strndup(a.data, a.len);
	ck_assert_int_eq(store_get(&txn, STORE_DB_AUDIT, k3, 8, &b), TL_OK);
	sb = strndup(b.data, b.len);
	store_put(&txn, STORE_DB_AUDIT, k2, 8, sb, strlen(sb));
	store_put(&txn, STORE_DB_AUDIT, k3, 8, sa, strlen(sa));
	ck_assert_int_eq(store_commit(&txn, &err), TL_OK);
	free(sa);
	free(sb);
	ck_assert_int_eq(verify(&v), TL_ESIG);
	ck_assert_uint_eq(v.bad_seq, 2);
	ck_assert_ptr_nonnull(strstr(v.problem, "reordered"));
}
END_TEST

/* All records as a JSON array. */
static json_t *records(void)
{
	struct store_txn txn;
	struct tl_err err;
	json_t *list = NULL;

	ck_assert_int_eq(store_txn_begin(st, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(audit_list(&txn, NULL, &list, &err), TL_OK);
	store_abort(&txn);
	return list;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

START_TEST(audit_queue_writes_in_order_in_one_transaction)
{
	struct audit_queue *q;
	struct audit_verdict v;
	struct tl_err err;
	uint64_t written = 0, batches = 0, failed = 0;
	json_t *list;

	setenv("TILLIT_NOW", "1780308000", 1); /* 2026-06-01T10:00:00Z */
	ck_assert_int_eq(audit_queue_start(st, 300, 1000, &q, &err), TL_OK);
	for (int i = 0; i < 200; i++) {
		char subject[32];
		json_t *d = json_pack("{s:i}", "n", i);
		snprintf(subject, sizeof(subject), "login-%d", i);
		ck_assert_int_eq(audit_queue_post(q, "sso", "sso.login", subject, d, &err), TL_OK);
		json_decref(d);
	}
	unsetenv("TILLIT_NOW"); /* the records keep the time they were posted at */
	for (int i = 0; i < 500 && written < 200; i++) {
		nap(20);
		audit_queue_stats(q, &written, &batches, &failed);
	}
	ck_assert_uint_eq(written, 200);
	ck_assert_uint_eq(batches, 1); /* posted well within the 300 ms: one disk sync */
	ck_assert_uint_eq(failed, 0);
	audit_queue_stop(q);
	ck_assert_int_eq(verify(&v), TL_OK);
	ck_assert_uint_eq(v.records, 205);
	list = records();
	ck_assert_uint_eq(json_array_size(list), 205);
	for (int i = 0; i < 200; i++) {
		json_t *r = json_array_get(list, 5 + i);
		char subject[32];
		snprintf(subject, sizeof(subject), "login-%d", i);
		ck_assert_str_eq(json_string_value(json_object_get(r, "subject")), subject);
		ck_assert_str_eq(json_string_value(json_object_get(r, "actor")), "sso");
		ck_assert_str_eq(json_string_value(json_object_get(r, "time")), "2026-06-01T10:00:00Z");
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "details"), "n")), i);
	}
	json_decref(list);
}
END_TEST

START_TEST(audit_queue_stop_writes_what_waits)
{
	struct audit_queue *q;
	struct audit_verdict v;
	struct tl_err err;

	/* a long interval: only stopping writes these */
	ck_assert_int_eq(audit_queue_start(st, 5000, 1000, &q, &err), TL_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(audit_queue_post(q, "sso", "sso.login", "https://sp.example.se", NULL, &err),
		                 TL_OK);
	audit_queue_stop(q);
	ck_assert_int_eq(verify(&v), TL_OK);
	ck_assert_uint_eq(v.records, 8);
}
END_TEST

START_TEST(audit_queue_refuses_beyond_its_limit)
{
	struct audit_queue *q;
	struct audit_verdict v;
	struct tl_err err;

	ck_assert_int_eq(audit_queue_start(st, 5000, 2, &q, &err), TL_OK);
	ck_assert_int_eq(audit_queue_post(q, "sso", "sso.login", "a", NULL, &err), TL_OK);
	ck_assert_int_eq(audit_queue_post(q, "sso", "sso.login", "b", NULL, &err), TL_OK);
	ck_assert_int_eq(audit_queue_post(q, "sso", "sso.login", "c", NULL, &err), TL_ELIMIT);
	ck_assert_msg(strstr(err.msg, "2 records wait to be written") != NULL, "%s", err.msg);
	audit_queue_stop(q);
	ck_assert_int_eq(verify(&v), TL_OK);
	ck_assert_uint_eq(v.records, 7); /* a and b, not c */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, audit_intact_chain_verifies);
	tcase_add_test(tc, audit_record_text_is_canonical);
	tcase_add_test(tc, audit_detects_changed_record);
	tcase_add_test(tc, audit_detects_removed_record);
	tcase_add_test(tc, audit_detects_removed_tail);
	tcase_add_test(tc, audit_detects_reordered_records);
	tcase_add_test(tc, audit_queue_writes_in_order_in_one_transaction);
	tcase_add_test(tc, audit_queue_stop_writes_what_waits);
	tcase_add_test(tc, audit_queue_refuses_beyond_its_limit);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
