/* test_pub.c - publication: aggregate and MDQ documents, incremental re-signing. */
#define _GNU_SOURCE
#include "fixture.h"
#include "tltest.h"

#include "tillit/pub.h"
#include "tillit/reg.h"
#include "tillit/sigv.h"
#include "tillit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fixture fx;

static const char *const demo[][2] = {
	{ "alvby", "alvby-idp.xml" },
	{ "bergsjo", "bergsjo-idp.xml" },
	{ "norrbo", "norrbo-region.xml" },
	{ "norrbo", "bibliotek-sp.xml" },
	{ "skolportalen", "skolportalen-sp.xml" },
};
static const char *const ids[] = {
	"https://idp.alvby.example.se/idp", "https://idp.bergsjo.example.se/idp",
	"https://login.norrbo.example.se/saml", "https://bibliotek.norrbo.example.se/shibboleth",
	"https://skolportalen.example.se/sp",
};

static void setup(void)
{
	static const char *const orgs[] = { "alvby", "bergsjo", "norrbo", "skolportalen" };
	json_t *o = NULL;
	struct tl_err err;

	fixture_open(&fx);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(reg_member_add(&fx.ctx, orgs[i], orgs[i], NULL, &o, &err), TL_OK);
		json_decref(o);
	}
	for (size_t i = 0; i < 5; i++) {
		size_t len;
		char *xml = fixture_metadata(demo[i][1], &len);
		ck_assert_msg(reg_entity_submit(&fx.ctx, fx.schema, demo[i][0], xml, len, &o, &err) == TL_OK,
		              "%s: %s", demo[i][1], err.msg);
		json_decref(o);
		free(xml);
	}
}

static void teardown(void)
{
	fixture_close(&fx);
}

static void approve(const char *id)
{
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_int_eq(reg_entity_decide(&fx.ctx, id, REG_APPROVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
}

struct seen { int n; char ids[8][128]; };

static int collect(void *ud, xmlNodePtr e, int line, struct tl_err *err)
{
	struct seen *s = ud;
	xmlChar *id = xmlGetProp(e, BAD_CAST "entityID");

	(void)line; (void)err;
	if (s->n < 8)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", (const char *)id);
	s->n++;
	xmlFree(id);
	return TL_OK;
}

/* Verify the published aggregate with our own streaming verifier. */
static void verify_aggregate(struct seen *s)
{
	char path[4200], cert[4200];
	struct sigv_opts so = { 0, 1u << 30, 100000, 1u << 20, 64 };
	struct sigv_result res;
	struct tl_err err;
	EVP_PKEY *k;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/" PUB_AGGREGATE_REL, fx.dir);
	snprintf(cert, sizeof(cert), "%s/keys/metadata-signing.crt", fx.dir);
	k = sigv_load_trust(cert, &err);
	ck_assert_ptr_nonnull(k);
	rc = sigv_verify_file(path, k, &so, collect, s, &res, &err);
	ck_assert_msg(rc == TL_OK, "aggregate does not verify: %s", err.msg);
	ck_assert_str_eq(res.name, "Test federation");
	ck_assert_ptr_nonnull(res.valid_until);
	ck_assert(res.valid_until_t > util_now() + 6 * 86400);
	sigv_result_free(&res);
	EVP_PKEY_free(k);
}

START_TEST(publish_only_approved)
{
	struct pub_report rep;
	struct tl_err err;
	struct seen s;
	struct store_txn txn;
	struct pub_doc d;
	unsigned char sha1[UTIL_SHA1_LEN];

	approve(ids[0]);
	approve(ids[4]);
	ck_assert_msg(pub_publish(&fx.ctx, &rep, &err) == TL_OK, "%s", err.msg);
	ck_assert_uint_eq(rep.entities, 2);
	ck_assert_uint_eq(rep.signed_mdq, 2);
	verify_aggregate(&s);
	ck_assert_int_eq(s.n, 2);
	ck_assert(strcmp(s.ids[0], ids[0]) == 0 || strcmp(s.ids[1], ids[0]) == 0);
	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	util_sha1(ids[0], strlen(ids[0]), sha1);
	ck_assert_int_eq(pub_mdq_get(&txn, sha1, &d), TL_OK);
	ck_assert(memmem(d.body, d.len, "mdrpi:RegistrationInfo", 22) != NULL);
	ck_assert(memmem(d.body, d.len, "ds:SignatureValue", 17) != NULL);
	ck_assert_int_eq(d.etag[0], '"');
	util_sha1(ids[1], strlen(ids[1]), sha1); /* pending: not published */
	ck_assert_int_eq(pub_mdq_get(&txn, sha1, &d), TL_ENOENT);
	store_abort(&txn);
}
END_TEST

START_TEST(republish_signs_only_what_changed)
{
	struct pub_report rep;
	struct tl_err err;
	struct seen s;
	json_t *o = NULL;

	for (int i = 0; i < 5; i++)
		approve(ids[i]);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	ck_assert_uint_eq(rep.signed_mdq, 5);
	ck_assert_uint_eq(rep.prepared, 5);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	ck_assert_uint_eq(rep.signed_mdq, 0);
	ck_assert_uint_eq(rep.prepared, 0);
	ck_assert_uint_eq(rep.entities, 5);
	verify_aggregate(&s);
	ck_assert_int_eq(s.n, 5);
	/* suspension: out of MDQ at once, out of the aggregate at the next publish */
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ids[2], REG_SUSPEND, "incident", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	ck_assert_uint_eq(rep.entities, 4);
	ck_assert_uint_eq(rep.signed_mdq, 0);
	verify_aggregate(&s);
	ck_assert_int_eq(s.n, 4);
	/* reinstated: back, re-signed alone */
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ids[2], REG_REINSTATE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	ck_assert_uint_eq(rep.entities, 5);
	ck_assert_uint_eq(rep.signed_mdq, 1);
}
END_TEST

START_TEST(mdq_documents_refresh_at_half_validity)
{
	struct pub_report rep;
	struct tl_err err;
	char later[32];

	approve(ids[0]);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	ck_assert_uint_eq(rep.signed_mdq, 1);
	snprintf(later, sizeof(later), "%lld", (long long)util_now() + 4 * 86400);
	setenv("TILLIT_NOW", later, 1);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_OK);
	unsetenv("TILLIT_NOW");
	ck_assert_uint_eq(rep.signed_mdq, 1);
	ck_assert_uint_eq(rep.prepared, 0);
}
END_TEST

START_TEST(publish_without_key_fails_and_keeps_nothing_half_done)
{
	struct pub_report rep;
	struct tl_err err;
	char path[4200];

	approve(ids[0]);
	snprintf(path, sizeof(path), "%s/keys/metadata-signing.key", fx.dir);
	ck_assert_int_eq(remove(path), 0);
	ck_assert_int_eq(pub_publish(&fx.ctx, &rep, &err), TL_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "metadata-signing.key"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pub");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, publish_only_approved);
	tcase_add_test(tc, republish_signs_only_what_changed);
	tcase_add_test(tc, mdq_documents_refresh_at_half_validity);
	tcase_add_test(tc, publish_without_key_fails_and_keeps_nothing_half_done);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
