/*
 * test_tf.c - framework files (the strict parser, linking of levels) and
 * the evaluation semantics (levels, extends, severities, dates,
 * attestations, certification claims), on real metadata models.
 */
#include "tltest.h"

#include "tillit/mdm.h"
#include "tillit/tf.h"
#include "tillit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static void setup(void)
{
	dir = tlt_tmpdir();
}

static void teardown(void)
{
	tlt_rmtree(dir);
}

static void put(const char *name, const char *text)
{
	free(tlt_write(dir, name, text, strlen(text)));
}

/* Loading dir fails with a message containing every fragment given. */
static void refused(const char *f1, const char *f2)
{
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };

	ck_assert_int_eq(tf_load_dir(dir, &s, &err), TL_ECONF);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, f1) != NULL, "'%s' lacks '%s'", err.msg, f1);
	if (f2 != NULL)
		ck_assert_msg(strstr(err.msg, f2) != NULL, "'%s' lacks '%s'", err.msg, f2);
}

static const char good[] =
	"# a small framework\n"
	"[framework]\n"
	"id = demo\n"
	"version = 1.0\n"
	"title = Demo framework\n"
	"source = https://example.org/demo\n"
	"description = A framework\n"
	"  whose description continues on an indented line.\n"
	"\n"
	"[level basic]\n"
	"title = Basic\n"
	"publish = assurance-certification https://example.org/demo/basic\n"
	"\n"
	"[level better]\n"
	"title = Better\n"
	"extends = basic\n"
	"publish = assurance-certification https://example.org/demo/better\n"
	"publish = entity-category http://example.org/cat\n"
	"\n"
	"[check D-TECH]\n"
	"level = basic\n"
	"text = A technical contact.\n"
	"test = contact-present technical\n"
	"\n"
	"[check D-LOGO]\n"
	"level = basic\n"
	"text = A logo, preferably.\n"
	"test = mdui-present Logo\n"
	"severity = warning\n"
	"\n"
	"[check D-SECURITY]\n"
	"level = better\n"
	"text = A security contact.\n"
	"test = contact-present security\n"
	"since = 2030-01-01\n"
	"\n"
	"[check D-IDP]\n"
	"level = basic\n"
	"text = IdPs declare a scope.\n"
	"test = idp-scope\n"
	"applies = idp\n"
	"\n"
	"[attest D-POLICY]\n"
	"level = better\n"
	"text = A security policy exists.\n"
	"evidence = the policy\n"
	"validity = P1Y\n"
	"remind = P60D\n";

START_TEST(loads_a_good_file)
{
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };
	const struct tf_framework *fw;
	const struct tf_requirement *r;

	put("demo.tf", good);
	ck_assert_msg(tf_load_dir(dir, &s, &err) == TL_OK, "%s", err.msg);
	ck_assert_uint_eq(s->n, 1);
	fw = tf_find_framework(s, "demo");
	ck_assert_ptr_nonnull(fw);
	ck_assert_str_eq(fw->description, "A framework whose description continues on an indented line.");
	ck_assert_uint_eq(fw->nlevels, 2);
	ck_assert_uint_eq(fw->nreqs, 5);
	ck_assert_uint_eq(fw->levels[1].nextends, 1);
	ck_assert_ptr_eq(fw->levels[1].extends[0], &fw->levels[0]);
	ck_assert_uint_eq(fw->levels[1].npublish, 2);
	ck_assert_str_eq(fw->levels[1].publish[1].attribute, TF_ATTR_CATEGORY);
	r = tf_find_requirement(s, "demo/D-POLICY");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->kind, TF_KIND_ATTEST);
	ck_assert_int_eq(r->validity.years, 1);
	ck_assert_int_eq(r->remind_days, 60);
	ck_assert_ptr_null(tf_find_requirement(s, "demo/NOPE"));
	ck_assert_ptr_null(tf_find_requirement(s, "nope/D-POLICY"));
	ck_assert_ptr_null(tf_baseline(s));
	ck_assert(tf_owns(s, TF_ATTR_ASSURANCE, "https://example.org/demo/better"));
	ck_assert(!tf_owns(s, TF_ATTR_ASSURANCE, "https://example.org/other"));
	tf_set_free(s);
}
END_TEST

START_TEST(refuses_mistakes_naming_file_line_and_item)
{
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[check C1]\nlevel = a\ntext = t\ntest = contact-presnt technical\n");
	refused("demo.tf:11: check C1: unknown check 'contact-presnt'", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "colour = blue\n");
	refused("demo.tf:8: level a: unknown key 'colour'", "known: title");
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "this line is not a key\n");
	refused("demo.tf:8: expected KEY = VALUE", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "extends = missing\n");
	refused("level a: extends unknown level 'missing'", "demo.tf:6");
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "extends = b\n[level b]\ntitle = B\nextends = a\n");
	refused("extends form a cycle", "demo.tf:");
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "extends = a\n");
	refused("extends form a cycle", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\n[level a]\ntitle = A\n");
	refused("demo.tf:1: [framework]: 'source' is missing", NULL);
	put("demo.tf", "[framework]\nid = other\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n");
	refused("id 'other' differs from the file name 'demo.tf'", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[attest X]\nlevel = a\ntext = t\nevidence = e\nvalidity = soon\n");
	refused("demo.tf:12: attest X: validity 'soon'", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[check X]\nlevel = b\ntext = t\ntest = organization\n");
	refused("demo.tf:8: check X: level 'b' is not defined", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[check X]\nlevel = a\ntext = t\ntest = key-size rsa=lots\n");
	refused("check X: key-size: rsa=lots is not a number", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[check X]\nlevel = a\ntext = t\ntext = u\ntest = organization\n");
	refused("demo.tf:11: check X: 'text' is given twice", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "[check X]\nlevel = a\ntext = t\ntest = organization\nsince = next year\n");
	refused("since 'next year' is not a date", NULL);
	put("demo.tf", "id = demo\n");
	refused("demo.tf:1: 'id' before any section", NULL);
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n");
	refused("defines no level", NULL);
	/* across files: a second baseline, a missing cross-framework level */
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\nbaseline = yes\n[level a]\ntitle = A\n");
	put("more.tf", "[framework]\nid = more\nversion = 1\ntitle = x\nsource = y\nbaseline = yes\n[level a]\ntitle = A\n");
	refused("more.tf:1: [framework]: baseline = yes, but demo is the baseline already", NULL);
	put("more.tf", "[framework]\nid = more\nversion = 1\ntitle = x\nsource = y\n[level a]\ntitle = A\n"
	               "extends = demo/zz\n");
	refused("more.tf:6: level a: extends unknown level 'demo/zz'", NULL);
}
END_TEST

START_TEST(the_shipped_frameworks_load)
{
	char path[4096];
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };
	size_t checks = 0, attests = 0;

	snprintf(path, sizeof(path), "%s/../../trust-frameworks", TL_TEST_DATADIR);
	ck_assert_msg(tf_load_dir(path, &s, &err) == TL_OK, "%s", err.msg);
	ck_assert_uint_ge(s->n, 8);
	ck_assert_ptr_nonnull(tf_baseline(s));
	ck_assert_str_eq(tf_baseline(s)->id, "tillit-baseline");
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->fws[i].nreqs; j++) {
			checks += s->fws[i].reqs[j].kind == TF_KIND_CHECK;
			attests += s->fws[i].reqs[j].kind == TF_KIND_ATTEST;
			ck_assert_ptr_nonnull(s->fws[i].reqs[j].source);
		}
	ck_assert_uint_gt(checks, 40);
	ck_assert_uint_gt(attests, 40);
	ck_assert_ptr_nonnull(tf_find_framework(s, "refeds-sirtfi"));
	ck_assert(tf_owns(s, TF_ATTR_ASSURANCE, "https://refeds.org/sirtfi2"));
	ck_assert(tf_owns(s, TF_ATTR_ASSURANCE, "http://id.elegnamnden.se/loa/1.0/loa3"));
	ck_assert(tf_owns(s, TF_ATTR_ASSURANCE, "http://eidas.europa.eu/LoA/substantial"));
	/* levels order the classes: a level extending another is at least as strong */
	ck_assert(tf_covers(s, TF_ATTR_ASSURANCE, "http://id.elegnamnden.se/loa/1.0/loa3",
	                    "http://id.elegnamnden.se/loa/1.0/loa2"));
	ck_assert(tf_covers(s, TF_ATTR_ASSURANCE, "http://id.elegnamnden.se/loa/1.0/loa4",
	                    "http://id.elegnamnden.se/loa/1.0/loa2"));
	ck_assert(tf_covers(s, TF_ATTR_ASSURANCE, "http://id.elegnamnden.se/loa/1.0/loa3",
	                    "http://id.elegnamnden.se/loa/1.0/loa3"));
	ck_assert(!tf_covers(s, TF_ATTR_ASSURANCE, "http://id.elegnamnden.se/loa/1.0/loa2",
	                     "http://id.elegnamnden.se/loa/1.0/loa3"));
	ck_assert(tf_covers(s, TF_ATTR_ASSURANCE, "http://eidas.europa.eu/LoA/high",
	                    "http://eidas.europa.eu/LoA/low"));
	ck_assert(!tf_covers(s, TF_ATTR_ASSURANCE, "http://eidas.europa.eu/LoA/low",
	                     "http://eidas.europa.eu/LoA/substantial"));
	ck_assert(!tf_covers(s, TF_ATTR_ASSURANCE, "http://eidas.europa.eu/LoA/high",
	                     "http://id.elegnamnden.se/loa/1.0/loa2")); /* frameworks are not compared */
	ck_assert(!tf_covers(s, TF_ATTR_ASSURANCE, "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
	                     "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"));
	tf_set_free(s);
}
END_TEST

/* ---- evaluation ----------------------------------------------------- */

static struct mdm_entity *model(const char *file)
{
	char path[4096];
	char *xml;
	size_t len;
	struct mdm_entity *m = NULL;
	struct tl_err err = { 0 };

	snprintf(path, sizeof(path), "%s/../../metadata/%s", TL_TEST_DATADIR, file);
	ck_assert_int_eq(util_read_file(path, 1 << 20, &xml, &len, &err), TL_OK);
	ck_assert_msg(mdm_parse(xml, len, NULL, &m, &err) == TL_OK, "%s", err.msg);
	free(xml);
	return m;
}

static const struct tf_result *result(const struct tf_report *r, const char *id)
{
	for (size_t i = 0; i < r->nresults; i++)
		if (strcmp(r->results[i].req->id, id) == 0)
			return &r->results[i];
	ck_abort_msg("no result for %s", id);
	return NULL;
}

static const struct tf_level_result *level(const struct tf_set *s, const struct tf_report *r,
                                           const char *id)
{
	const struct tf_framework *fw = tf_find_framework(s, "demo");

	for (size_t i = 0; i < fw->nlevels; i++)
		if (strcmp(fw->levels[i].id, id) == 0)
			return tf_report_level(r, &fw->levels[i]);
	ck_abort_msg("no level %s", id);
	return NULL;
}

static const struct tf_claim *claim(const struct tf_report *r, const char *value)
{
	for (size_t i = 0; i < r->nclaims; i++)
		if (strcmp(r->claims[i].value, value) == 0)
			return &r->claims[i];
	return NULL;
}

START_TEST(evaluation_semantics)
{
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };
	struct mdm_entity *sp = model("skolportalen-sp.xml"), *idp = model("alvby-idp.xml");
	struct tf_context c = { 0 };
	struct tf_report *r = NULL;
	struct tf_attestation att[2];
	time_t now;

	put("demo.tf", good);
	ck_assert_int_eq(tf_load_dir(dir, &s, &err), TL_OK);
	ck_assert_int_eq(util_time_parse("2026-12-01T00:00:00Z", &now), 0);
	c.now = now;

	/* SP: technical contact passes, logo present, IdP check not applicable */
	ck_assert_int_eq(tf_evaluate(s, sp, NULL, 0, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-TECH")->outcome, TF_PASS);
	ck_assert_int_eq(result(r, "D-LOGO")->outcome, TF_PASS);
	ck_assert_int_eq(result(r, "D-IDP")->outcome, TF_NOT_APPLICABLE);
	ck_assert_ptr_nonnull(strstr(result(r, "D-IDP")->message, "identity providers"));
	ck_assert_int_eq(result(r, "D-SECURITY")->outcome, TF_NOT_APPLICABLE); /* since 2030 */
	ck_assert_ptr_nonnull(strstr(result(r, "D-SECURITY")->message, "2030-01-01"));
	ck_assert_int_eq(result(r, "D-POLICY")->outcome, TF_NEEDS_ATTESTATION);
	ck_assert(level(s, r, "basic")->achieved);
	ck_assert(!level(s, r, "better")->achieved);
	ck_assert(r->time_dependent);
	ck_assert_ptr_nonnull(claim(r, "https://example.org/demo/basic"));
	ck_assert(claim(r, "https://example.org/demo/basic")->publish);
	ck_assert_ptr_null(claim(r, "https://example.org/demo/better")); /* neither claimed nor published */
	tf_report_free(r);

	/* an approved attestation achieves the level; its parent's values come along */
	memset(att, 0, sizeof(att));
	att[0].requirement = "demo/D-POLICY";
	att[0].state = TF_ATT_APPROVED;
	att[0].id = 7;
	att[0].submitted = now - 86400;
	att[0].decided = now - 3600;
	att[0].expires = now + 100 * 86400;
	ck_assert_int_eq(tf_evaluate(s, sp, att, 1, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-POLICY")->outcome, TF_ATTESTED);
	ck_assert_ptr_nonnull(strstr(result(r, "D-POLICY")->message, "attestation 7"));
	ck_assert(level(s, r, "better")->achieved);
	ck_assert(claim(r, "https://example.org/demo/better")->publish);
	ck_assert(claim(r, "http://example.org/cat")->publish);
	tf_report_free(r);

	/* within the reminder period it still holds, and says so */
	att[0].expires = now + 30 * 86400;
	ck_assert_int_eq(tf_evaluate(s, sp, att, 1, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-POLICY")->outcome, TF_ATTESTED);
	ck_assert_ptr_nonnull(strstr(result(r, "D-POLICY")->message, "renew it"));
	tf_report_free(r);

	/* expired, pending, rejected: no longer achieved */
	att[0].expires = now - 1;
	ck_assert_int_eq(tf_evaluate(s, sp, att, 1, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-POLICY")->outcome, TF_NEEDS_ATTESTATION);
	ck_assert_ptr_nonnull(strstr(result(r, "D-POLICY")->message, "expired"));
	ck_assert(!level(s, r, "better")->achieved);
	tf_report_free(r);
	att[1] = att[0];
	att[1].id = 8;
	att[1].state = TF_ATT_REJECTED;
	att[1].reason = "the policy is a draft";
	ck_assert_int_eq(tf_evaluate(s, sp, att, 2, &c, &r, &err), TL_OK);
	ck_assert_ptr_nonnull(strstr(result(r, "D-POLICY")->message, "the policy is a draft"));
	tf_report_free(r);
	att[1].state = TF_ATT_PENDING;
	ck_assert_int_eq(tf_evaluate(s, sp, att, 2, &c, &r, &err), TL_OK);
	ck_assert_ptr_nonnull(strstr(result(r, "D-POLICY")->message, "waits for the operator"));
	tf_report_free(r);

	/* from 2030 the security check applies; the SP has no security contact */
	ck_assert_int_eq(util_time_parse("2030-06-01T00:00:00Z", &c.now), 0);
	att[0].expires = c.now + 86400;
	ck_assert_int_eq(tf_evaluate(s, sp, att, 1, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-SECURITY")->outcome, TF_FAIL);
	ck_assert(!level(s, r, "better")->achieved);
	ck_assert(level(s, r, "basic")->achieved);
	tf_report_free(r);

	/* IdP: the scope check applies and passes; a warning does not block */
	c.now = now;
	ck_assert_int_eq(tf_evaluate(s, idp, NULL, 0, &c, &r, &err), TL_OK);
	ck_assert_int_eq(result(r, "D-IDP")->outcome, TF_PASS);
	ck_assert(level(s, r, "basic")->achieved);
	tf_report_free(r);

	mdm_free(sp);
	mdm_free(idp);
	tf_set_free(s);
}
END_TEST

START_TEST(claims_not_earned_are_stripped)
{
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };
	struct mdm_entity *sp = model("skolportalen-sp.xml");
	struct tf_context c = { 0 };
	struct tf_report *r = NULL;
	const struct tf_claim *rs;

	/* Skolportalen claims R&S in its own metadata; a level owning R&S is not achieved */
	put("demo.tf", "[framework]\nid = demo\nversion = 1\ntitle = x\nsource = y\n[level rs]\ntitle = R\n"
	               "publish = entity-category http://refeds.org/category/research-and-scholarship\n"
	               "[attest A]\nlevel = rs\ntext = t\nevidence = e\nvalidity = P6M\n");
	ck_assert_int_eq(tf_load_dir(dir, &s, &err), TL_OK);
	c.now = 1796083200;
	ck_assert_int_eq(tf_evaluate(s, sp, NULL, 0, &c, &r, &err), TL_OK);
	rs = claim(r, "http://refeds.org/category/research-and-scholarship");
	ck_assert_ptr_nonnull(rs);
	ck_assert(rs->claimed);
	ck_assert(!rs->publish);
	tf_report_free(r);
	mdm_free(sp);
	tf_set_free(s);
}
END_TEST

START_TEST(periods_are_calendar_periods)
{
	struct tf_period p = { 0, 1, 0 };
	time_t t, u;
	char s[32];

	ck_assert_int_eq(util_time_parse("2027-01-31T12:00:00Z", &t), 0);
	u = tf_period_add(t, &p);
	util_time_iso(u, s, sizeof(s));
	ck_assert_str_eq(s, "2027-02-28T12:00:00Z");
	p.months = 0;
	p.years = 1;
	ck_assert_int_eq(util_time_parse("2028-02-29T00:00:00Z", &t), 0);
	util_time_iso(tf_period_add(t, &p), s, sizeof(s));
	ck_assert_str_eq(s, "2029-02-28T00:00:00Z");
	p.years = 0;
	p.days = 90;
	tf_period_format(&p, s, sizeof(s));
	ck_assert_str_eq(s, "P90D");
	p.years = 1;
	p.months = 6;
	p.days = 0;
	tf_period_format(&p, s, sizeof(s));
	ck_assert_str_eq(s, "P1Y6M");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tf");
	TCase *tc = tcase_create("tf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, loads_a_good_file);
	tcase_add_test(tc, refuses_mistakes_naming_file_line_and_item);
	tcase_add_test(tc, the_shipped_frameworks_load);
	tcase_add_test(tc, evaluation_semantics);
	tcase_add_test(tc, claims_not_earned_are_stripped);
	tcase_add_test(tc, periods_are_calendar_periods);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
