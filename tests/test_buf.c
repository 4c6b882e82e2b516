/* test_buf.c - the bounded buffer, error helpers and util functions. */
#include "tltest.h"

#include "tillit/buf.h"
#include "tillit/err.h"
#include "tillit/util.h"

#include <stdlib.h>
#include <string.h>

START_TEST(buf_refuses_past_limit)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_puts(&b, "12345678"), TL_OK);
	ck_assert_int_eq(buf_puts(&b, "9"), TL_ELIMIT);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "12345678");
	buf_free(&b);
}
END_TEST

/* buf_printf: into what is allocated, growing past it, and refused past the limit with nothing kept. */
START_TEST(buf_printf_fits_grows_and_refuses)
{
	struct buf b;
	char big[700];

	buf_init(&b, 1000);
	ck_assert_int_eq(buf_printf(&b, "%s-%d", "ab", 7), TL_OK); /* first allocation: 256 bytes */
	ck_assert_str_eq(b.data, "ab-7");
	ck_assert_int_eq(buf_printf(&b, "[%03d]", 5), TL_OK);      /* fits in what is allocated */
	ck_assert_str_eq(b.data, "ab-7[005]");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(buf_printf(&b, "<%s>", big), TL_OK);      /* grows */
	ck_assert_uint_eq(b.len, 9 + 701);
	ck_assert_int_eq(b.data[b.len - 1], '>');
	ck_assert_int_eq(b.data[b.len], '\0');
	/* 710 + 291 > 1000 although the allocation (1024) would hold it: refused, nothing kept */
	ck_assert_uint_ge(b.cap, 1002);
	ck_assert_int_eq(buf_printf(&b, "%.290s!", big), TL_ELIMIT);
	ck_assert_uint_eq(b.len, 710);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(buf_printf(&b, "%.289s!", big), TL_OK);   /* exactly the limit */
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_int_eq(b.data[999], '!');
	ck_assert_int_eq(buf_printf(&b, "%s", ""), TL_OK);
	ck_assert_int_eq(buf_printf(&b, "%c", 'y'), TL_ELIMIT);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_int_eq(b.data[1000], '\0');
	buf_free(&b);
}
END_TEST

/* buf_cat: the strings in order, growing; refused as a whole past the limit. */
START_TEST(buf_cat_appends_all_or_nothing)
{
	struct buf b;
	char big[600];

	buf_init(&b, 1000);
	ck_assert_int_eq(buf_cat(&b, (char *)NULL), TL_OK);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_cat(&b, "ID=\"", "_ab", "\"", "", (char *)NULL), TL_OK);
	ck_assert_str_eq(b.data, "ID=\"_ab\"");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(buf_cat(&b, "<", big, ">", (char *)NULL), TL_OK); /* grows past 256 */
	ck_assert_uint_eq(b.len, 8 + 601);
	ck_assert_int_eq(b.data[b.len - 1], '>');
	ck_assert_int_eq(b.data[b.len], '\0');
	/* 609 + 1 + 599 > 1000: nothing of it kept, not even the first string */
	ck_assert_int_eq(buf_cat(&b, "!", big, (char *)NULL), TL_ELIMIT);
	ck_assert_uint_eq(b.len, 609);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert(strchr(b.data, '!') == NULL);
	buf_free(&b);
}
END_TEST

START_TEST(buf_escapes_xml)
{
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_int_eq(buf_xml_escape(&b, "a<b & \"c\">"), TL_OK);
	ck_assert_str_eq(b.data, "a&lt;b &amp; &quot;c&quot;&gt;");
	buf_free(&b);
	/* nothing, only specials, specials at both ends, a long run without any */
	buf_init(&b, 1 << 16);
	ck_assert_int_eq(buf_xml_escape(&b, ""), TL_OK);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_xml_escape(&b, "&&<"), TL_OK);
	ck_assert_int_eq(buf_xml_escape(&b, ">x\""), TL_OK);
	ck_assert_str_eq(b.data, "&amp;&amp;&lt;&gt;x&quot;");
	buf_free(&b);
	{
		char big[5000];
		buf_init(&b, 1 << 16);
		memset(big, 'Q', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[2500] = '<';
		ck_assert_int_eq(buf_xml_escape(&b, big), TL_OK);
		ck_assert_uint_eq(b.len, sizeof(big) - 1 + 3);
		ck_assert(memcmp(b.data + 2500, "&lt;QQ", 6) == 0);
		ck_assert_int_eq(b.data[b.len - 1], 'Q');
		buf_free(&b);
	}
}
END_TEST

START_TEST(err_maps_exit_and_http)
{
	struct tl_err e;

	ck_assert_int_eq(tl_err_set(&e, TL_ESCHEMA, "line %d:\nbad", 3), TL_ESCHEMA);
	ck_assert_str_eq(e.msg, "line 3: bad");
	ck_assert_int_eq(tl_exit_status(TL_ESCHEMA), 3);
	ck_assert_int_eq(tl_exit_status(TL_EUSAGE), 2);
	ck_assert_int_eq(tl_exit_status(TL_EIO), 1);
	ck_assert_uint_eq(tl_http_status(TL_ENOENT), 404);
	tl_err_prefix(&e, "file %s", "x.xml");
	ck_assert_str_eq(e.msg, "file x.xml: line 3: bad");
}
END_TEST

START_TEST(util_times_and_durations)
{
	time_t t;
	long long d;
	char s[32];

	ck_assert_int_eq(util_time_parse("2026-01-02T03:04:05Z", &t), 0);
	util_time_iso(t, s, sizeof(s));
	ck_assert_str_eq(s, "2026-01-02T03:04:05Z");
	ck_assert_int_eq(util_time_parse("2026-01-02T05:04:05.123+02:00", &t), 0);
	util_time_iso(t, s, sizeof(s));
	ck_assert_str_eq(s, "2026-01-02T03:04:05Z");
	ck_assert_int_eq(util_time_parse("2027-12-31", &t), 0);
	ck_assert_int_eq(util_time_parse("2027-13-31", &t), -1);
	ck_assert_int_eq(util_time_parse("yesterday", &t), -1);
	ck_assert_int_eq(util_duration_parse("P7D", &d), 0);
	ck_assert_int_eq(d, 7 * 86400);
	ck_assert_int_eq(util_duration_parse("PT6H", &d), 0);
	ck_assert_int_eq(d, 6 * 3600);
	ck_assert_int_eq(util_duration_parse("P1DT30M", &d), 0);
	ck_assert_int_eq(d, 86400 + 1800);
	ck_assert_int_eq(util_duration_parse("P1Y", &d), -1);
	ck_assert_int_eq(util_duration_parse("P", &d), -1);
	util_duration_format(6 * 3600, s, sizeof(s));
	ck_assert_str_eq(s, "PT6H");
}
END_TEST

START_TEST(util_hex_url_sizes)
{
	unsigned char h[UTIL_SHA1_LEN], back[UTIL_SHA1_LEN];
	char hex[2 * UTIL_SHA1_LEN + 1];
	unsigned long long sz;
	char *s;

	util_sha1("abc", 3, h);
	util_hex(h, sizeof(h), hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_int_eq(util_unhex(hex, back, sizeof(back)), 0);
	ck_assert(memcmp(h, back, sizeof(h)) == 0);
	ck_assert_int_eq(util_unhex("zz", back, 1), -1);
	s = util_url_decode("https%3A%2F%2Fsp.example.org%2Fsp", 34);
	ck_assert_str_eq(s, "https://sp.example.org/sp");
	free(s);
	ck_assert_ptr_null(util_url_decode("%4", 2));
	/* '+' is a space only in form values; %2B is a plus in both */
	s = util_url_decode("a+b%2Bc", 7);
	ck_assert_str_eq(s, "a+b+c");
	free(s);
	s = util_form_decode("a+b%2Bc", 7);
	ck_assert_str_eq(s, "a b+c");
	free(s);
	ck_assert_ptr_null(util_form_decode("a+%", 3));
	s = util_url_encode("https://a.b/c d");
	ck_assert_str_eq(s, "https%3A%2F%2Fa.b%2Fc%20d");
	free(s);
	ck_assert_int_eq(util_parse_size("64M", &sz), 0);
	ck_assert_uint_eq(sz, 64ULL << 20);
	ck_assert_int_eq(util_parse_size("12X", &sz), -1);
	ck_assert(util_ct_equal("abcd", "abcd", 4));
	ck_assert(!util_ct_equal("abcd", "abce", 4));
}
END_TEST

/* Members of records read in place, as jansson would read them, or a refusal that sends the caller to jansson. */
START_TEST(util_json_members_in_place)
{
	const char *rec = " { \"a\" : \"x\\\"y\", \"b\": [1, {\"state\": \"}\"}], \"o\": {\"n\": 7},"
	                  "\"state\":\"approved\",\"n\": 12, \"z\": null, \"neg\": -1, \"f\": 1.5 } ";
	size_t len = strlen(rec), n;
	const char *v;
	char *str;
	unsigned long long u;
	int q;

	ck_assert_int_eq(util_json_str(rec, len, "state", &str), 1);
	ck_assert_str_eq(str, "approved"); /* the top level's, not the one inside b */
	free(str);
	ck_assert_int_eq(util_json_uint(rec, len, "n", &u), 1);
	ck_assert_uint_eq(u, 12); /* not o's */
	ck_assert_int_eq(util_json_str(rec, len, "a", &str), -1); /* escapes: jansson's job */
	ck_assert_ptr_null(str);
	ck_assert_int_eq(util_json_member(rec, len, "b", &v, &n, &q), 1);
	ck_assert_int_eq(q, 0);
	ck_assert_int_eq((int)n, (int)strlen("[1, {\"state\": \"}\"}]"));
	ck_assert_int_eq(util_json_str(rec, len, "missing", &str), 0);
	ck_assert_int_eq(util_json_str(rec, len, "z", &str), 0);
	ck_assert_int_eq(util_json_uint(rec, len, "z", &u), 0);
	ck_assert_int_eq(util_json_uint(rec, len, "neg", &u), -1);
	ck_assert_int_eq(util_json_uint(rec, len, "f", &u), -1);
	ck_assert_int_eq(util_json_uint(rec, len, "state", &u), -1);
	ck_assert_int_eq(util_json_str(rec, len, "n", &str), -1);
	/* not objects this reader walks */
	ck_assert_int_eq(util_json_str("[1]", 3, "a", &str), -1);
	ck_assert_int_eq(util_json_str("{\"a\": \"x", 8, "a", &str), -1);
	ck_assert_int_eq(util_json_str("{\"b\": 1 \"a\": \"x\"}", 17, "a", &str), -1);
	ck_assert_int_eq(util_json_str("{}", 2, "a", &str), 0);
	/* the length bounds the text: a member past it is not read */
	ck_assert_int_eq(util_json_str("{\"a\":\"x\"}{\"b\":1}", 11, "a", &str), 1);
	free(str);
	ck_assert_int_eq(util_json_str("{\"a\":\"xy\"}", 8, "a", &str), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, buf_refuses_past_limit);
	tcase_add_test(tc, buf_printf_fits_grows_and_refuses);
	tcase_add_test(tc, buf_cat_appends_all_or_nothing);
	tcase_add_test(tc, buf_escapes_xml);
	tcase_add_test(tc, err_maps_exit_and_http);
	tcase_add_test(tc, util_times_and_durations);
	tcase_add_test(tc, util_hex_url_sizes);
	tcase_add_test(tc, util_json_members_in_place);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
