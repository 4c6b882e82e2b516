/* test_reg.c - the registry: members, submission, lifecycle, history. */
#include "fixture.h"
#include "tltest.h"

#include "tillit/audit.h"
#include "tillit/pub.h"
#include "tillit/reg.h"
#include "tillit/util.h"

#include <stdlib.h>
#include <string.h>

static struct fixture fx;

static void setup(void)
{
	json_t *o = NULL;
	struct tl_err err;

	fixture_open(&fx);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "alvby", "Älvby kommun", "it@alvby.example.se", &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "bergsjo", "Bergsjö kommun", NULL, &o, &err), TL_OK);
	json_decref(o);
}

static void teardown(void)
{
	fixture_close(&fx);
}

static int submit(const char *org, const char *file, json_t **out, struct tl_err *err)
{
	size_t len;
	char *xml = fixture_metadata(file, &len);
	int rc = reg_entity_submit(&fx.ctx, fx.schema, org, xml, len, out, err);

	free(xml);
	return rc;
}

static const char *state_of(const char *id)
{
	static char state[32];
	json_t *e = NULL;
	struct tl_err err;

	ck_assert_int_eq(reg_entity_show(&fx.ctx, id, &e, &err), TL_OK);
	snprintf(state, sizeof(state), "%s", json_string_value(json_object_get(e, "state")));
	json_decref(e);
	return state;
}

#define ALVBY "https://idp.alvby.example.se/idp"

START_TEST(member_rules)
{
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_int_eq(reg_member_add(&fx.ctx, "alvby", "again", NULL, &o, &err), TL_EEXIST);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "Upper", "x", NULL, &o, &err), TL_EINVAL);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "ok", "x", "not-an-email", &o, &err), TL_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not an email"));
	ck_assert_int_eq(reg_member_list(&fx.ctx, &o, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(o), 2);
	json_decref(o);
	ck_assert_int_eq(reg_member_show(&fx.ctx, "nosuch", &o, &err), TL_ENOENT);
}
END_TEST

START_TEST(submit_lifecycle_and_history)
{
	json_t *o = NULL, *h = NULL;
	struct tl_err err;

	ck_assert_int_eq(submit("alvby", "alvby-idp.xml", &o, &err), TL_OK);
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "pending");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), 1);
	json_decref(o);
	ck_assert_str_eq(state_of(ALVBY), "pending");
	/* identical resubmission is not a new version */
	ck_assert_int_eq(submit("alvby", "alvby-idp.xml", &o, &err), TL_OK);
	ck_assert(json_is_true(json_object_get(o, "unchanged")));
	json_decref(o);
	/* reject needs a reason; a suspended state is refused before approval */
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_REJECT, NULL, NULL, &o, &err), TL_EUSAGE);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_SUSPEND, "x", NULL, &o, &err), TL_ESTATE);
	ck_assert_ptr_nonnull(strstr(err.msg, "is pending"));
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_APPROVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_str_eq(state_of(ALVBY), "approved");
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_SUSPEND, "incident", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_str_eq(state_of(ALVBY), "suspended");
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_REINSTATE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_REMOVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_str_eq(state_of(ALVBY), "removed");
	ck_assert_int_eq(reg_entity_history(&fx.ctx, ALVBY, &h, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(h), 5);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "action")), "submit");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 2), "action")), "suspend");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 2), "reason")), "incident");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 1), "actor")), "operator:test");
	json_decref(h);
}
END_TEST

START_TEST(new_version_waits_beside_approved)
{
	json_t *o = NULL, *e = NULL;
	struct tl_err err;
	size_t len;
	char *xml, *v2, *p, *got = NULL;

	ck_assert_int_eq(submit("alvby", "alvby-idp.xml", &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_APPROVE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	xml = fixture_metadata("alvby-idp.xml", &len);
	p = strstr(xml, "Kundtjänst");
	ck_assert_ptr_nonnull(p);
	v2 = strdup(xml);
	memcpy(v2 + (p - xml), "Servicedesk", 11); /* 11 bytes, as "Kundtjänst" in UTF-8 */
	ck_assert_int_eq(reg_entity_submit(&fx.ctx, fx.schema, "alvby", v2, len, &o, &err), TL_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "version")), 2);
	json_decref(o);
	ck_assert_int_eq(reg_entity_show(&fx.ctx, ALVBY, &e, &err), TL_OK);
	ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "approved");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "approved_version")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pending_version")), 2);
	json_decref(e);
	/* the approved XML is still version 1 */
	ck_assert_int_eq(reg_entity_xml(&fx.ctx, ALVBY, 0, &got, &err), TL_OK);
	ck_assert_ptr_nonnull(strstr(got, "Kundtjänst"));
	free(got);
	/* the pending list includes it; rejecting the change keeps it approved */
	ck_assert_int_eq(reg_entity_list(&fx.ctx, "pending", &o, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(o), 1);
	json_decref(o);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, ALVBY, REG_REJECT, "not this one", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_str_eq(state_of(ALVBY), "approved");
	free(xml);
	free(v2);
}
END_TEST

START_TEST(ownership_and_unknown_member)
{
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_int_eq(submit("alvby", "alvby-idp.xml", &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(submit("bergsjo", "alvby-idp.xml", &o, &err), TL_EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "belongs to member 'alvby'"));
	ck_assert_int_eq(submit("nosuch", "bergsjo-idp.xml", &o, &err), TL_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown member 'nosuch'"));
	ck_assert_int_eq(reg_entity_show(&fx.ctx, "https://idp.bergsjo.example.se/idp", &o, &err), TL_ENOENT);
}
END_TEST

START_TEST(rejected_input_stores_nothing)
{
	const char *bad = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>";
	json_t *o = NULL;
	struct tl_err err;
	struct store_txn txn;
	struct audit_verdict v;

	ck_assert_int_ne(reg_entity_submit(&fx.ctx, fx.schema, "alvby", bad, strlen(bad), &o, &err), TL_OK);
	ck_assert_int_ne(reg_entity_submit(&fx.ctx, fx.schema, "alvby", "", 0, &o, &err), TL_OK);
	ck_assert_int_eq(reg_entity_list(&fx.ctx, NULL, &o, &err), TL_OK);
	ck_assert_uint_eq(json_array_size(o), 0);
	json_decref(o);
	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(audit_verify(&txn, &v, &err), TL_OK);
	store_abort(&txn);
	ck_assert_uint_eq(v.records, 2); /* the two member.add records only */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reg");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, member_rules);
	tcase_add_test(tc, submit_lifecycle_and_history);
	tcase_add_test(tc, new_version_waits_beside_approved);
	tcase_add_test(tc, ownership_and_unknown_member);
	tcase_add_test(tc, rejected_input_stores_nothing);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
