/*
 * test_tfc.c - the check library, driven by cases in tests/data/tfc/.
 *
 * Each case is a metadata file whose leading comment says what the checks
 * must answer for it, one expectation per line:
 *
 *   expect: TEST ARGS => OUTCOME ["message fragment"] [@ "path fragment"]
 *   context: now=YYYY-MM-DD imported=0|1 roles=idp|sp|aa... taken=LANG:NAME
 *
 * OUTCOME is pass, fail or not-applicable.  A regression is a new case
 * file.  Every check of the library must appear in some case with a pass
 * and with a fail outcome (test every_check_has_cases).
 */
#include "tltest.h"

#include "tillit/mdm.h"
#include "tillit/tfc.h"
#include "tillit/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_DIR "tfc"

struct case_ctx {
	struct tf_context c;
	unsigned roles;      /* 0: the entity's */
	char taken_lang[16];
	char taken_name[256];
};

static int taken(void *ud, const char *entity_id, const char *lang, const char *name)
{
	struct case_ctx *cc = ud;

	(void)entity_id;
	return strcmp(cc->taken_lang, lang ? lang : "") == 0 && strcmp(cc->taken_name, name) == 0;
}

static void parse_context(char *line, struct case_ctx *cc)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(line, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "now=", 4) == 0) {
			ck_assert_int_eq(util_time_parse(tok + 4, &cc->c.now), 0);
		} else if (strncmp(tok, "imported=", 9) == 0) {
			cc->c.imported = tok[9] == '1';
		} else if (strncmp(tok, "roles=", 6) == 0) {
			cc->roles |= strstr(tok, "idp") ? MD_ROLE_IDP : 0;
			cc->roles |= strstr(tok, "sp") ? MD_ROLE_SP : 0;
			cc->roles |= strstr(tok, "aa") ? MD_ROLE_AA : 0;
		} else if (strncmp(tok, "taken=", 6) == 0) {
			char *colon = strchr(tok + 6, ':');
			ck_assert_ptr_nonnull(colon);
			snprintf(cc->taken_lang, sizeof(cc->taken_lang), "%.*s", (int)(colon - tok - 6), tok + 6);
			/* the name runs to the end of the line: underscores stand for spaces */
			snprintf(cc->taken_name, sizeof(cc->taken_name), "%s", colon + 1);
			for (char *p = cc->taken_name; *p; p++)
				if (*p == '_')
					*p = ' ';
			cc->c.display_name_taken = taken;
			cc->c.ud = cc;
		} else {
			ck_abort_msg("unknown context item '%s'", tok);
		}
	}
}

/* The text between the next pair of double quotes after *p; advances *p. */
static int quoted(char **p, char *out, size_t n)
{
	char *a = strchr(*p, '"'), *b;

	if (a == NULL)
		return 0;
	b = strchr(a + 1, '"');
	ck_assert_msg(b != NULL, "unterminated quote in '%s'", *p);
	snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
	*p = b + 1;
	return 1;
}

/* The checks seen with each outcome, over all cases. */
struct coverage {
	const char *name;
	int pass, fail, na;
};

static struct coverage cov[256];
static size_t ncov;

static void covered(const char *name, enum tf_outcome o)
{
	size_t i;

	for (i = 0; i < ncov; i++)
		if (strcmp(cov[i].name, name) == 0)
			break;
	if (i == ncov) {
		ck_assert_uint_lt(ncov, 256);
		cov[ncov++].name = name;
	}
	cov[i].pass += o == TF_PASS;
	cov[i].fail += o == TF_FAIL;
	cov[i].na += o == TF_NOT_APPLICABLE;
}

static int run_case(const char *file)
{
	char path[4096], *xml, *start, *end, *line, *save = NULL;
	size_t len;
	struct mdm_entity *m = NULL;
	struct tl_err err = { 0 };
	struct case_ctx cc;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", CASE_DIR, file);
	xml = tlt_data(path, &len);
	ck_assert_msg(mdm_parse(xml, len, NULL, &m, &err) == TL_OK, "%s: %s", file, err.msg);
	memset(&cc, 0, sizeof(cc));
	cc.c.now = 1796083200; /* 2026-12-01: cases' certificates are judged on a fixed day */
	cc.c.registration_authority = "https://fed.example.se/";
	start = strstr(xml, "<!--");
	end = start ? strstr(start, "-->") : NULL;
	ck_assert_msg(start != NULL && end != NULL, "%s: no leading comment with expectations", file);
	*end = '\0';
	/* context lines first, so that they apply to every expectation */
	{
		char *copy = strdup(start + 4), *l2, *s2 = NULL;
		for (l2 = strtok_r(copy, "\n", &s2); l2 != NULL; l2 = strtok_r(NULL, "\n", &s2)) {
			while (*l2 == ' ' || *l2 == '\t')
				l2++;
			if (strncmp(l2, "context:", 8) == 0)
				parse_context(l2 + 8, &cc);
		}
		free(copy);
	}
	for (line = strtok_r(start + 4, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char test[1024], outcome[32], msg[512] = "", where[512] = "", why[512];
		const struct tfc_check *check;
		struct tfc_args *args;
		struct tfc_out out = { 0 };
		char *arrow, *p;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "expect:", 7) != 0)
			continue;
		arrow = strstr(line, "=>");
		ck_assert_msg(arrow != NULL, "%s: expectation without =>: %s", file, line);
		snprintf(test, sizeof(test), "%.*s", (int)(arrow - line - 7), line + 7);
		p = arrow + 2;
		while (*p == ' ')
			p++;
		snprintf(outcome, sizeof(outcome), "%.*s", (int)strcspn(p, " \t"), p);
		p += strlen(outcome);
		quoted(&p, msg, sizeof(msg));
		if (strchr(p, '@') != NULL) {
			p = strchr(p, '@');
			quoted(&p, where, sizeof(where));
		}
		ck_assert_msg(tfc_parse(test, &check, &args, why, sizeof(why)) == 0, "%s: %s: %s", file, test, why);
		tfc_run(check, args, m, &cc.c, cc.roles ? cc.roles : m->roles, &out);
		ck_assert_msg(strcmp(tf_outcome_name(out.outcome), outcome) == 0,
		              "%s: %s: got %s (%s), wanted %s", file, test, tf_outcome_name(out.outcome), out.msg,
		              outcome);
		ck_assert_msg(strstr(out.msg, msg) != NULL, "%s: %s: message '%s' lacks '%s'", file, test, out.msg, msg);
		ck_assert_msg(strstr(out.path, where) != NULL, "%s: %s: path '%s' lacks '%s'", file, test, out.path, where);
		ck_assert_msg(out.msg[0] != '\0', "%s: %s: no message", file, test);
		covered(check->name, out.outcome);
		tfc_args_free(args);
		n++;
	}
	ck_assert_msg(n > 0, "%s: no expectations", file);
	mdm_free(m);
	free(xml);
	return n;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(cases_hold)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	char *names[512];
	size_t n = 0;
	int total = 0;

	snprintf(dir, sizeof(dir), "%s/%s", TL_TEST_DATADIR, CASE_DIR);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL && n < 512)
		if (strlen(de->d_name) > 4 && strcmp(de->d_name + strlen(de->d_name) - 4, ".xml") == 0)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		total += run_case(names[i]);
		free(names[i]);
	}
	ck_assert_int_gt(total, 0);
	/* every check of the library is shown to pass and to fail somewhere */
	{
		size_t nc;
		const struct tfc_check *all = tfc_all(&nc);
		char missing[4096] = "";
		for (size_t i = 0; i < nc; i++) {
			size_t k;
			for (k = 0; k < ncov; k++)
				if (strcmp(cov[k].name, all[i].name) == 0)
					break;
			if (k == ncov || cov[k].pass == 0 || cov[k].fail == 0) {
				strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
				strncat(missing, all[i].name, sizeof(missing) - strlen(missing) - 1);
				strncat(missing, k == ncov ? "(none)" : cov[k].pass == 0 ? "(no pass)" : "(no fail)",
				        sizeof(missing) - strlen(missing) - 1);
			}
		}
		ck_assert_msg(missing[0] == '\0', "checks without both a pass and a fail case:%s", missing);
	}
}
END_TEST

START_TEST(arguments_are_checked)
{
	const struct tfc_check *c;
	struct tfc_args *a;
	char why[512];

	ck_assert_int_eq(tfc_parse("no-such-check", &c, &a, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "unknown check 'no-such-check'"));
	ck_assert_int_eq(tfc_parse("key-size bits=4", &c, &a, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "takes no argument bits="));
	ck_assert_int_eq(tfc_parse("key-size rsa=big", &c, &a, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not a number"));
	ck_assert_int_eq(tfc_parse("contact-present", &c, &a, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "more arguments"));
	ck_assert_int_eq(tfc_parse("contact-present technical support", &c, &a, why, sizeof(why)), -1);
	ck_assert_int_eq(tfc_parse("contact-present friendly", &c, &a, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not a contact type"));
	ck_assert_int_eq(tfc_parse("mdui-present Colour", &c, &a, why, sizeof(why)), -1);
	ck_assert_int_eq(tfc_parse("entityid-scheme ftp", &c, &a, why, sizeof(why)), -1);
	ck_assert_int_eq(tfc_parse("lang-required english", &c, &a, why, sizeof(why)), -1);
	ck_assert_int_eq(tfc_parse("saml2-protocol extra", &c, &a, why, sizeof(why)), -1);
	ck_assert_int_eq(tfc_parse("key-size rsa=3072 ec=384", &c, &a, why, sizeof(why)), 0);
	ck_assert_str_eq(c->name, "key-size");
	ck_assert_int_eq(a->n, 2);
	tfc_args_free(a);
	/* a URI with '=' stays one positional argument */
	ck_assert_int_eq(tfc_parse("entity-attribute http://x.example/a?b=c v", &c, &a, why, sizeof(why)), 0);
	ck_assert_ptr_null(a->key[0]);
	ck_assert_str_eq(a->val[0], "http://x.example/a?b=c");
	tfc_args_free(a);
}
END_TEST

START_TEST(library_has_forty_checks)
{
	size_t n;
	const struct tfc_check *all = tfc_all(&n);

	ck_assert_uint_ge(n, 40);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(all[i].run);
		ck_assert_uint_gt(strlen(all[i].doc), 10);
		ck_assert_ptr_eq(tfc_find(all[i].name), &all[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tfc");
	TCase *tc = tcase_create("tfc");

	tcase_add_test(tc, arguments_are_checked);
	tcase_add_test(tc, library_has_forty_checks);
	tcase_add_test(tc, cases_hold);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
