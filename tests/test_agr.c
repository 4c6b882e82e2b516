/* test_agr.c - attribute release agreements: set, get, allows, replace, remove, refusals. */
#define _GNU_SOURCE /* asprintf */
#include "fixture.h"
#include "tltest.h"

#include "tillit/agr.h"
#include "tillit/attr.h"
#include "tillit/audit.h"
#include "tillit/reg.h"
#include "tillit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP "https://skolportalen.example.se/sp"
#define BOTH "https://login.norrbo.example.se/saml" /* an IdP and an SP */
#define IDP "https://idp.alvby.example.se/idp"
#define MAIL "urn:oid:0.9.2342.19200300.100.1.3"
#define EPPN "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
#define PNR "urn:oid:1.2.752.29.4.13"

static struct fixture fx;

static void submit_xml(const char *org, const char *xml, size_t len)
{
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_msg(reg_entity_submit(&fx.ctx, fx.schema, org, xml, len, &o, &err) == TL_OK, "%s", err.msg);
	json_decref(o);
}

static void submit(const char *org, const char *file)
{
	size_t len;
	char *xml = fixture_metadata(file, &len);

	submit_xml(org, xml, len);
	free(xml);
}

static void setup(void)
{
	static const char *const orgs[] = { "skolportalen", "alvby", "norrbo" };
	json_t *o = NULL;
	struct tl_err err;

	fixture_open(&fx);
	tlt_log_begin();
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(reg_member_add(&fx.ctx, orgs[i], orgs[i], NULL, &o, &err), TL_OK);
		json_decref(o);
	}
	submit("skolportalen", "skolportalen-sp.xml");
	submit("alvby", "alvby-idp.xml");
	submit("norrbo", "norrbo-region.xml");
}

static void teardown(void)
{
	tlt_log_end();
	fixture_close(&fx);
}

/* agr_get in a read transaction of our own; returns its code. */
static int get(const char *id, struct agr *a)
{
	struct store_txn txn;
	struct tl_err err;
	int rc;

	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	rc = agr_get(&txn, id, a, &err);
	store_abort(&txn);
	return rc;
}

static int set(const char *id, const char *const *names, size_t n, const char *purpose,
               struct tl_err *err)
{
	return agr_set(&fx.ctx, id, names, n, purpose, err);
}

/* The number of audit records (the chain verified on the way). */
static uint64_t audit_records(void)
{
	struct store_txn txn;
	struct audit_verdict v;
	struct tl_err err;

	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(audit_verify(&txn, &v, &err), TL_OK);
	store_abort(&txn);
	return v.records;
}

/* The actions of id's history, space-separated, in a static buffer. */
static const char *history(const char *id)
{
	static char out[512];
	struct tl_err err;
	json_t *h = NULL, *ev;
	size_t i;

	ck_assert_int_eq(reg_entity_history(&fx.ctx, id, &h, &err), TL_OK);
	out[0] = '\0';
	json_array_foreach(h, i, ev)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
		         json_string_value(json_object_get(ev, "action")));
	json_decref(h);
	return out;
}

START_TEST(set_get_allows)
{
	const char *names[] = { "mail", "eduPersonPrincipalName" };
	struct tl_err err;
	struct agr a;

	ck_assert_int_eq(get(SP, &a), TL_ENOENT);
	ck_assert_msg(set(SP, names, 2, "Login and timetable", &err) == TL_OK, "%s", err.msg);
	ck_assert_int_eq(get(SP, &a), TL_OK);
	ck_assert_str_eq(a.entity_id, SP);
	ck_assert_str_eq(a.purpose, "Login and timetable");
	ck_assert_str_eq(a.actor, "operator:test");
	ck_assert_uint_eq(strlen(a.updated), 20); /* 2026-12-01T20:28:43Z */
	ck_assert_uint_eq(a.nattrs, 2);
	ck_assert_str_eq(a.attrs[0], MAIL); /* canonical, sorted */
	ck_assert_str_eq(a.attrs[1], EPPN);
	ck_assert_int_eq(agr_allows(&a, MAIL), 1);
	ck_assert_int_eq(agr_allows(&a, EPPN), 1);
	ck_assert_int_eq(agr_allows(&a, PNR), 0);
	ck_assert_int_eq(agr_allows(&a, "mail"), 0); /* canonical names only */
	ck_assert_int_eq(agr_allows(&a, NULL), 0);
	ck_assert_int_eq(agr_allows(NULL, MAIL), 0);
	agr_free(&a);
	ck_assert_ptr_null(a.attrs);
	agr_free(&a); /* twice is harmless */
	/* another SP has none */
	ck_assert_int_eq(get(BOTH, &a), TL_ENOENT);
}
END_TEST

START_TEST(stored_canonical_sorted_unique)
{
	const char *names[] = { "personalIdentityNumber", "mail", MAIL, "eduPersonPrincipalName", PNR };
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_txn txn;
	struct store_val v;
	struct tl_err err;
	json_t *rec, *want;

	ck_assert_msg(set(SP, names, 5, "p", &err) == TL_OK, "%s", err.msg);
	util_sha1(SP, strlen(SP), sha1);
	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(store_get(&txn, STORE_DB_AGREEMENTS, sha1, sizeof(sha1), &v), TL_OK);
	rec = json_loadb(v.data, v.len, 0, NULL);
	store_abort(&txn);
	ck_assert_ptr_nonnull(rec);
	want = json_pack("[s, s, s]", MAIL, PNR, EPPN); /* strcmp order */
	ck_assert(json_equal(json_object_get(rec, "attributes"), want));
	ck_assert_str_eq(json_string_value(json_object_get(rec, "entity_id")), SP);
	json_decref(want);
	json_decref(rec);
}
END_TEST

START_TEST(friendly_and_oid_equivalent)
{
	const char *friendly[] = { "eduPersonPrincipalName", "mail", "personalIdentityNumber" };
	const char *oids[] = { PNR, EPPN, MAIL };
	json_t *one = NULL, *two = NULL;
	struct tl_err err;

	ck_assert_int_eq(set(SP, friendly, 3, "same", &err), TL_OK);
	ck_assert_int_eq(agr_show(&fx.ctx, SP, &one, &err), TL_OK);
	ck_assert_int_eq(set(BOTH, oids, 3, "same", &err), TL_OK);
	ck_assert_int_eq(agr_show(&fx.ctx, BOTH, &two, &err), TL_OK);
	ck_assert(json_equal(json_object_get(one, "attributes"), json_object_get(two, "attributes")));
	/* both names are shown */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(one, "attributes"), 1),
	                                                   "friendly_name")),
	                 "personalIdentityNumber");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(one, "attributes"), 1),
	                                                   "name")),
	                 PNR);
	ck_assert_str_eq(json_string_value(json_object_get(one, "purpose")), "same");
	ck_assert_str_eq(json_string_value(json_object_get(one, "actor")), "operator:test");
	json_decref(one);
	json_decref(two);
}
END_TEST

START_TEST(replace_and_remove)
{
	const char *first[] = { "mail", "eduPersonPrincipalName" }, *second[] = { "personalIdentityNumber" };
	struct tl_err err;
	json_t *log = NULL, *last;
	struct agr a;
	uint64_t n0 = audit_records();

	ck_assert_int_eq(set(SP, first, 2, "first", &err), TL_OK);
	ck_assert_int_eq(set(SP, second, 1, "second", &err), TL_OK);
	ck_assert_int_eq(get(SP, &a), TL_OK);
	ck_assert_uint_eq(a.nattrs, 1);
	ck_assert_str_eq(a.purpose, "second");
	ck_assert_int_eq(agr_allows(&a, PNR), 1);
	ck_assert_int_eq(agr_allows(&a, MAIL), 0);
	agr_free(&a);
	ck_assert_uint_eq(audit_records(), n0 + 2);
	/* the audit record of a replacement names what it replaced */
	{
		struct store_txn txn;
		ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
		ck_assert_int_eq(audit_list(&txn, SP, &log, &err), TL_OK);
		store_abort(&txn);
	}
	last = json_array_get(log, json_array_size(log) - 1);
	ck_assert_str_eq(json_string_value(json_object_get(last, "action")), "agreement.set");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(last, "details"), "previous"), 0)),
	                 MAIL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(last, "details"), "attributes"), 0)),
	                 PNR);
	json_decref(log);

	ck_assert_int_eq(agr_remove(&fx.ctx, SP, &err), TL_OK);
	ck_assert_int_eq(get(SP, &a), TL_ENOENT);
	ck_assert_int_eq(agr_remove(&fx.ctx, SP, &err), TL_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no agreement for " SP));
	ck_assert_int_eq(agr_show(&fx.ctx, SP, &log, &err), TL_ENOENT);
	ck_assert_uint_eq(audit_records(), n0 + 3);
	ck_assert_str_eq(history(SP), "submit agreement.set agreement.set agreement.remove");
}
END_TEST

START_TEST(release_nothing)
{
	struct tl_err err;
	struct agr a;
	json_t *o = NULL;

	ck_assert_int_eq(set(SP, NULL, 0, "no attributes are needed", &err), TL_OK);
	ck_assert_int_eq(get(SP, &a), TL_OK);
	ck_assert_uint_eq(a.nattrs, 0);
	ck_assert_int_eq(agr_allows(&a, MAIL), 0);
	agr_free(&a);
	ck_assert_int_eq(agr_show(&fx.ctx, SP, &o, &err), TL_OK);
	ck_assert(json_is_array(json_object_get(o, "attributes")));
	ck_assert_uint_eq(json_array_size(json_object_get(o, "attributes")), 0);
	json_decref(o);
}
END_TEST

START_TEST(unknown_attribute_stores_nothing)
{
	const char *names[] = { "mail", "favouriteColour" };
	struct tl_err err;
	struct agr a;
	uint64_t n0 = audit_records();

	ck_assert_int_eq(set(SP, names, 2, "p", &err), TL_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown attribute 'favouriteColour'"));
	names[1] = "urn:oid:1.2.3.4";
	ck_assert_int_eq(set(SP, names, 2, "p", &err), TL_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "'urn:oid:1.2.3.4'"));
	names[1] = "Mail"; /* names are case-sensitive */
	ck_assert_int_eq(set(SP, names, 2, "p", &err), TL_EINVAL);
	ck_assert_int_eq(get(SP, &a), TL_ENOENT);
	ck_assert_uint_eq(audit_records(), n0);
	ck_assert_str_eq(history(SP), "submit");
}
END_TEST

START_TEST(only_registered_sps)
{
	const char *names[] = { "mail" };
	json_t *o = NULL;
	struct tl_err err;
	struct agr a;
	uint64_t n0 = audit_records();

	ck_assert_int_eq(set("https://nowhere.example.se/sp", names, 1, "p", &err), TL_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown entity https://nowhere.example.se/sp"));
	ck_assert_int_eq(set(IDP, names, 1, "p", &err), TL_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a service provider"));
	ck_assert_ptr_nonnull(strstr(err.msg, "SPSSODescriptor"));
	ck_assert_int_eq(set("", names, 1, "p", &err), TL_EINVAL);
	ck_assert_int_eq(get(IDP, &a), TL_ENOENT);
	ck_assert_uint_eq(audit_records(), n0);
	/* an entity with both roles is an SP */
	ck_assert_msg(set(BOTH, names, 1, "p", &err) == TL_OK, "%s", err.msg);
	/* a removed SP is refused */
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, SP, REG_REMOVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(set(SP, names, 1, "p", &err), TL_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "is removed"));
	ck_assert_int_eq(get(SP, &a), TL_ENOENT);
}
END_TEST

/* The current metadata is the approved version while a change waits, else the latest. */
START_TEST(current_version_decides)
{
	const char *names[] = { "mail" };
	json_t *o = NULL;
	struct tl_err err;
	size_t len;
	char *xml = fixture_metadata("alvby-idp.xml", &len), *p;
	char *idp_as_sp;

	/* the same entityID as the SP, with only an IDPSSODescriptor */
	p = strstr(xml, IDP);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_gt(asprintf(&idp_as_sp, "%.*s%s%s", (int)(p - xml), xml, SP, p + strlen(IDP)), 0);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, SP, REG_APPROVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	submit_xml("skolportalen", idp_as_sp, strlen(idp_as_sp)); /* version 2, pending */
	ck_assert_msg(set(SP, names, 1, "the approved version is an SP", &err) == TL_OK, "%s", err.msg);
	/* a member's new entity that is not yet approved: its latest version counts */
	{
		char *q = strstr(idp_as_sp, SP), *other;
		ck_assert_int_gt(asprintf(&other, "%.*shttps://new.example.se/idp%s", (int)(q - idp_as_sp), idp_as_sp,
		                          q + strlen(SP)), 0);
		submit_xml("skolportalen", other, strlen(other));
		ck_assert_int_eq(set("https://new.example.se/idp", names, 1, "p", &err), TL_EINVAL);
		free(other);
	}
	free(idp_as_sp);
	free(xml);
}
END_TEST

START_TEST(limits)
{
	const char *many[AGR_ATTRS_MAX + 1];
	char purpose[AGR_PURPOSE_MAX + 2];
	static const char *const bad[] = { "", "line\nbreak", "tab\there", "del\x7f", "c1 \xc2\x85 next line",
	                                   "not utf-8 \xff" };
	struct tl_err err;
	struct agr a;

	for (size_t i = 0; i < AGR_ATTRS_MAX + 1; i++)
		many[i] = i % 2 ? "mail" : MAIL;
	ck_assert_int_eq(set(SP, many, AGR_ATTRS_MAX + 1, "p", &err), TL_ELIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "65 attributes"));
	ck_assert_int_eq(get(SP, &a), TL_ENOENT);
	ck_assert_int_eq(set(SP, many, AGR_ATTRS_MAX, "p", &err), TL_OK);
	ck_assert_int_eq(get(SP, &a), TL_OK);
	ck_assert_uint_eq(a.nattrs, 1);
	agr_free(&a);

	memset(purpose, 'x', sizeof(purpose));
	purpose[AGR_PURPOSE_MAX + 1] = '\0';
	ck_assert_int_eq(set(SP, many, 1, purpose, &err), TL_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "1-1024 bytes"));
	purpose[AGR_PURPOSE_MAX] = '\0';
	ck_assert_int_eq(set(SP, many, 1, purpose, &err), TL_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(set(SP, many, 1, bad[i], &err) == TL_EINVAL, "purpose %zu accepted", i);
	ck_assert_int_eq(set(SP, many, 1, NULL, &err), TL_EINVAL);
	ck_assert_int_eq(get(SP, &a), TL_OK);
	ck_assert_uint_eq(strlen(a.purpose), AGR_PURPOSE_MAX); /* the refusals changed nothing */
	agr_free(&a);
	ck_assert_int_eq(set(SP, many, 1, "Åtkomst till skolportalen", &err), TL_OK);
}
END_TEST

START_TEST(list_in_entity_order)
{
	const char *names[] = { "mail" };
	struct tl_err err;
	json_t *all = NULL;

	ck_assert_int_eq(agr_list(&fx.ctx, &all, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(all), 0);
	json_decref(all);
	ck_assert_int_eq(set(SP, names, 1, "p", &err), TL_OK);
	ck_assert_int_eq(set(BOTH, NULL, 0, "q", &err), TL_OK);
	ck_assert_int_eq(agr_list(&fx.ctx, &all, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(all), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "entity_id")), BOTH);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 1), "entity_id")), SP);
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_array_get(json_object_get(json_array_get(all, 1), "attributes"), 0),
	                         "friendly_name")),
	                 "mail");
	json_decref(all);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, set_get_allows);
	tcase_add_test(tc, stored_canonical_sorted_unique);
	tcase_add_test(tc, friendly_and_oid_equivalent);
	tcase_add_test(tc, replace_and_remove);
	tcase_add_test(tc, release_nothing);
	tcase_add_test(tc, unknown_attribute_stores_nothing);
	tcase_add_test(tc, only_registered_sps);
	tcase_add_test(tc, current_version_decides);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, list_in_entity_order);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
