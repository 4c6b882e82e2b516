/* test_audit.c - the hash chain detects changed, removed and reordered records. */
#include "tltest.h"

#include "tillit/audit.h"
#include "tillit/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, audit_intact_chain_verifies);
	tcase_add_test(tc, audit_detects_changed_record);
	tcase_add_test(tc, audit_detects_removed_record);
	tcase_add_test(tc, audit_detects_removed_tail);
	tcase_add_test(tc, audit_detects_reordered_records);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
