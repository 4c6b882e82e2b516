/* test_store.c - the LMDB wrapper against a real environment. */
#include "tltest.h"

#include "tillit/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct store *open_store(const char *dir)
{
	struct store_opts o = { 64u << 20, 64, 0 };
	struct tl_err err;
	struct store *st = NULL;

	ck_assert_int_eq(store_open(&st, dir, &o, &err), TL_OK);
	return st;
}

START_TEST(store_put_get_commit_abort)
{
	char *dir = tlt_tmpdir();
	struct store *st = open_store(dir);
	struct store_txn w, r;
	struct store_val v;
	struct tl_err err;

	ck_assert_int_eq(store_txn_begin(st, &w, 0, &err), TL_OK);
	store_put(&w, STORE_DB_MEMBERS, "a", 1, "one", 3);
	ck_assert_int_eq(store_commit(&w, &err), TL_OK);
	/* an aborted write leaves no trace */
	ck_assert_int_eq(store_txn_begin(st, &w, 0, &err), TL_OK);
	store_put(&w, STORE_DB_MEMBERS, "b", 1, "two", 3);
	store_abort(&w);
	ck_assert_int_eq(store_txn_begin(st, &r, 1, &err), TL_OK);
	ck_assert_int_eq(store_get(&r, STORE_DB_MEMBERS, "a", 1, &v), TL_OK);
	ck_assert_int_eq(v.len, 3);
	ck_assert(memcmp(v.data, "one", 3) == 0);
	ck_assert_int_eq(store_get(&r, STORE_DB_MEMBERS, "b", 1, &v), TL_ENOENT);
	/* named databases are separate */
	ck_assert_int_eq(store_get(&r, STORE_DB_ENTITIES, "a", 1, &v), TL_ENOENT);
	store_abort(&r);
	store_close(st);
	tlt_rmtree(dir);
}
END_TEST

START_TEST(store_sticky_error_aborts_commit)
{
	char *dir = tlt_tmpdir();
	struct store *st = open_store(dir);
	struct store_txn w, r;
	struct store_val v;
	struct tl_err err;
	char bigkey[600];

	memset(bigkey, 'k', sizeof(bigkey));
	ck_assert_int_eq(store_txn_begin(st, &w, 0, &err), TL_OK);
	store_put(&w, STORE_DB_META, "x", 1, "1", 1);
	store_put(&w, STORE_DB_META, bigkey, sizeof(bigkey), "2", 1); /* too long: sticky */
	store_put(&w, STORE_DB_META, "y", 1, "3", 1);               /* no-op now */
	ck_assert_int_eq(store_commit(&w, &err), TL_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "600 bytes"));
	ck_assert_int_eq(store_txn_begin(st, &r, 1, &err), TL_OK);
	ck_assert_int_eq(store_get(&r, STORE_DB_META, "x", 1, &v), TL_ENOENT);
	ck_assert_int_eq(store_get(&r, STORE_DB_META, "y", 1, &v), TL_ENOENT);
	store_abort(&r);
	store_close(st);
	tlt_rmtree(dir);
}
END_TEST

START_TEST(store_readers_see_commits_without_reopen)
{
	char *dir = tlt_tmpdir();
	struct store *st = open_store(dir);
	struct store *other = open_store(dir); /* like tillitctl beside tillitd */
	struct store_txn w, r, r2;
	struct store_val v;
	struct tl_err err;

	ck_assert_int_eq(store_txn_begin(st, &r, 1, &err), TL_OK);
	ck_assert_int_eq(store_txn_begin(other, &w, 0, &err), TL_OK); /* a reader does not block */
	store_put(&w, STORE_DB_MDQ, "e", 1, "doc", 3);
	ck_assert_int_eq(store_commit(&w, &err), TL_OK);
	ck_assert_int_eq(store_get(&r, STORE_DB_MDQ, "e", 1, &v), TL_ENOENT); /* snapshot */
	/* two read transactions in one thread (MDB_NOTLS) */
	ck_assert_int_eq(store_txn_begin(st, &r2, 1, &err), TL_OK);
	ck_assert_int_eq(store_get(&r2, STORE_DB_MDQ, "e", 1, &v), TL_OK);
	store_abort(&r2);
	store_abort(&r);
	store_close(other);
	store_close(st);
	tlt_rmtree(dir);
}
END_TEST

START_TEST(store_iter_prefix_and_seq)
{
	char *dir = tlt_tmpdir();
	struct store *st = open_store(dir);
	struct store_txn w;
	struct store_iter it;
	struct store_val k, v;
	struct tl_err err;
	unsigned char key[9];
	int n = 0;

	ck_assert_int_eq(store_txn_begin(st, &w, 0, &err), TL_OK);
	ck_assert_uint_eq(store_next_seq(&w, STORE_DB_HISTORY, "A", 1), 1);
	for (int i = 1; i <= 3; i++) {
		key[0] = 'A';
		store_be64(key + 1, store_next_seq(&w, STORE_DB_HISTORY, "A", 1));
		store_put(&w, STORE_DB_HISTORY, key, 9, "x", 1);
	}
	key[0] = 'B';
	store_be64(key + 1, 1);
	store_put(&w, STORE_DB_HISTORY, key, 9, "y", 1);
	ck_assert_uint_eq(store_next_seq(&w, STORE_DB_HISTORY, "A", 1), 4);
	store_iter_begin(&w, STORE_DB_HISTORY, "A", 1, &it);
	while (store_iter_next(&it, &k, &v)) {
		n++;
		ck_assert_uint_eq(store_get_be64((const unsigned char *)k.data + 1), (uint64_t)n);
	}
	store_iter_end(&it);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(store_commit(&w, &err), TL_OK);
	store_close(st);
	tlt_rmtree(dir);
}
END_TEST

START_TEST(store_open_fails_clearly)
{
	struct store_opts o = { 64u << 20, 64, 0 };
	struct tl_err err;
	struct store *st = NULL;

	ck_assert_int_eq(store_open(&st, "/nonexistent/tillit/db", &o, &err), TL_ESTORE);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/tillit/db"));
}
END_TEST

/* This process's file-backed resident kilobytes. */
static long rss_file_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "RssFile:", 8) == 0)
			kb = strtol(line + 8, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

/* Read every value (all pages of the map are then ours). */
static void touch_all(struct store *st)
{
	struct store_txn r;
	struct store_iter it;
	struct store_val k, v;
	struct tl_err err;
	volatile unsigned sum = 0;

	ck_assert_int_eq(store_txn_begin(st, &r, 1, &err), TL_OK);
	store_iter_begin(&r, STORE_DB_VERSIONS, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v))
		for (size_t i = 0; i < v.len; i += 1024)
			sum += ((const unsigned char *)v.data)[i];
	store_iter_end(&it);
	store_abort(&r);
	(void)sum;
}

START_TEST(store_drop_pages_lets_go_of_what_was_read)
{
	char *dir = tlt_tmpdir(), *slash = strrchr(dir, '/');
	struct store *st;
	struct store_txn w;
	struct tl_err err;
	static char val[64 * 1024];
	long before, read, dropped;

	/* opened by a relative path, as tillitctl -d data would */
	*slash = '\0';
	ck_assert_int_eq(chdir(dir), 0);
	*slash = '/';
	st = open_store(slash + 1);

	memset(val, 'x', sizeof(val));
	ck_assert_int_eq(store_txn_begin(st, &w, 0, &err), TL_OK);
	for (int i = 0; i < 400; i++) { /* 25 MB */
		char key[16];
		snprintf(key, sizeof(key), "k%05d", i);
		store_put(&w, STORE_DB_VERSIONS, key, strlen(key), val, sizeof(val));
	}
	ck_assert_int_eq(store_commit(&w, &err), TL_OK);
	/* off (the default, a short-lived command): nothing happens */
	before = rss_file_kb();
	touch_all(st);
	read = rss_file_kb();
	ck_assert_msg(read - before > 20000, "reading 25 MB mapped only %ld KB", read - before);
	store_drop_pages(st);
	ck_assert_int_ge(rss_file_kb(), read - 1000);
	/* on (tillitd): the pages leave the resident set, the data stays readable */
	store_keep_small(st, STORE_DROP_EVERY);
	store_drop_pages(st);
	dropped = rss_file_kb();
	ck_assert_msg(read - dropped > 20000, "RssFile %ld KB after the drop, %ld before", dropped, read);
	touch_all(st);
	ck_assert_int_gt(rss_file_kb(), dropped + 20000);
	store_close(st);
	tlt_rmtree(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, store_put_get_commit_abort);
	tcase_add_test(tc, store_sticky_error_aborts_commit);
	tcase_add_test(tc, store_readers_see_commits_without_reopen);
	tcase_add_test(tc, store_iter_prefix_and_seq);
	tcase_add_test(tc, store_open_fails_clearly);
	tcase_add_test(tc, store_drop_pages_lets_go_of_what_was_read);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
