/* test_conf.c - the configuration table: defaults, loading, errors, writing. */
#include "tltest.h"

#include "tillit/conf.h"
#include "tillit/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(conf_defaults_roundtrip)
{
	char *dir = tlt_tmpdir(), path[4200];
	struct conf a, b;
	struct tl_err err;

	conf_defaults(&a);
	ck_assert_str_eq(a.listen, "127.0.0.1:8440");
	ck_assert_int_eq(a.aggregate_validity, 7 * 86400);
	ck_assert_int_eq(a.metadata_key_bits, 3072);
	ck_assert_int_eq(a.hub_key_bits, 2048);
	ck_assert_int_eq(conf_set(&a, "name", "Sydfed", &err), TL_OK);
	ck_assert_int_eq(conf_set(&a, "base_url", "https://hub.example.se/", &err), TL_OK);
	ck_assert_str_eq(a.base_url, "https://hub.example.se"); /* no trailing slash */
	snprintf(path, sizeof(path), "%s/tillit.conf", dir);
	ck_assert_int_eq(conf_write(&a, path, &err), TL_OK);
	conf_defaults(&b);
	ck_assert_int_eq(conf_load(&b, path, &err), TL_OK);
	ck_assert_str_eq(b.name, "Sydfed");
	ck_assert_str_eq(b.base_url, "https://hub.example.se");
	ck_assert_int_eq(b.cache_duration, a.cache_duration);
	ck_assert_uint_eq(b.map_size, a.map_size);
	ck_assert_int_eq(b.log_level, LOG_LVL_INFO);
	tlt_rmtree(dir);
}
END_TEST

static void expect_error(const char *text, const char *needle)
{
	char *dir = tlt_tmpdir();
	char *path = tlt_write(dir, "tillit.conf", text, strlen(text));
	struct conf c;
	struct tl_err err;

	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, path, &err), TL_ECONF);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "'%s' not in '%s'", needle, err.msg);
	ck_assert_msg(strstr(err.msg, path) != NULL, "no file name in '%s'", err.msg);
	free(path);
	tlt_rmtree(dir);
}

START_TEST(conf_errors_name_file_line_key)
{
	expect_error("# ok\nname = x\nbogus = 1\n", ":3: bogus: unknown key");
	expect_error("http_threads = 0\n", ":1: http_threads: 0 is out of range 1..256");
	expect_error("\n\nhttp_threads = many\n", ":3: http_threads: 'many' is not an integer");
	expect_error("aggregate_validity = P60D\n", ":1: aggregate_validity");
	expect_error("aggregate_validity = P1Y\n", "not a duration");
	expect_error("http_max_body = 12Q\n", "http_max_body: '12Q' is not a size");
	expect_error("listen = localhost\n", "listen: 'localhost' is not ADDRESS:PORT");
	expect_error("base_url = ftp://x\n", "base_url: 'ftp://x' is not an absolute");
	expect_error("log_level = loud\n", "log_level: 'loud'");
	expect_error("just words\n", ":1: expected 'key = value'");
}
END_TEST

START_TEST(conf_missing_file)
{
	struct conf c;
	struct tl_err err;

	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/tillit.conf", &err), TL_ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, conf_defaults_roundtrip);
	tcase_add_test(tc, conf_errors_name_file_line_key);
	tcase_add_test(tc, conf_missing_file);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
