/* test_mdm.c - the metadata model read from real demo and test metadata. */
#include "tltest.h"

#include "tillit/buf.h"
#include "tillit/mdm.h"

#include <stdlib.h>
#include <string.h>

static struct mdm_entity *load(const char *srcfile)
{
	char path[4096];
	size_t len;
	char *xml;
	struct mdm_entity *m = NULL;
	struct tl_err err = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/../../metadata/%s", TL_TEST_DATADIR, srcfile);
	f = fopen(path, "rb");
	if (f == NULL) {
		xml = tlt_data(srcfile, &len);
	} else {
		xml = malloc(1 << 20);
		len = fread(xml, 1, 1 << 20, f);
		fclose(f);
	}
	ck_assert_msg(mdm_parse(xml, len, NULL, &m, &err) == TL_OK, "%s: %s", srcfile, err.msg);
	free(xml);
	return m;
}

START_TEST(model_of_an_sp)
{
	struct mdm_entity *m = load("skolportalen-sp.xml");
	const struct mdm_role *sp = mdm_role(m, MDM_ROLE_SP);
	const struct mdm_endpoint *acs = NULL;
	const struct mdm_key *k;
	const struct mdm_attr *req;
	int ui = 0, keys = 0, nreq = 0;

	ck_assert_str_eq(m->entity_id, "https://skolportalen.example.se/sp");
	ck_assert_uint_eq(m->roles, MD_ROLE_SP);
	ck_assert_ptr_nonnull(sp);
	ck_assert_ptr_null(mdm_role(m, MDM_ROLE_IDP));
	ck_assert_int_eq(sp->authn_requests_signed, 1);
	ck_assert_int_eq(sp->want_assertions_signed, 1);
	ck_assert_int_eq(m->entity_attr_blocks, 1);
	ck_assert(mdm_has_entity_attr(m, "http://macedir.org/entity-category",
	                              "http://refeds.org/category/research-and-scholarship"));
	ck_assert(!mdm_has_entity_attr(m, "http://macedir.org/entity-category", "x"));
	for (const struct mdm_text *t = sp->ui; t != NULL; t = t->next) {
		ui++;
		if (strcmp(t->element, "Logo") == 0) {
			ck_assert_int_eq(t->width, 64);
			ck_assert_int_eq(t->height, 64);
			ck_assert_str_eq(t->value, "https://skolportalen.example.se/logo.png");
			ck_assert_ptr_null(t->lang);
		}
		if (strcmp(t->element, "DisplayName") == 0 && strcmp(t->lang, "en") == 0) {
			ck_assert_str_eq(t->value, "School portal");
			ck_assert_str_eq(t->loc.path, "/md:EntityDescriptor/md:SPSSODescriptor[1]/md:Extensions[1]"
			                              "/mdui:UIInfo[1]/mdui:DisplayName[2]");
		}
	}
	ck_assert_int_eq(ui, 9);
	for (k = sp->keys; k != NULL; k = k->next) {
		keys++;
		ck_assert(k->cert_ok);
		ck_assert_int_eq(k->cert.key_type, CERT_KEY_RSA);
		ck_assert_uint_ge(k->cert.key_bits, 2048);
	}
	ck_assert_int_eq(keys, 2);
	ck_assert_int_eq(sp->keys->use, MDM_USE_SIGNING);
	ck_assert_int_eq(sp->keys->next->use, MDM_USE_ENCRYPTION);
	ck_assert_str_eq(sp->keys->next->methods->algorithm, "http://www.w3.org/2009/xmlenc11#aes128-gcm");
	for (const struct mdm_endpoint *e = sp->endpoints; e != NULL; e = e->next)
		if (strcmp(e->element, "AssertionConsumerService") == 0)
			acs = e;
	ck_assert_ptr_nonnull(acs);
	ck_assert_str_eq(acs->binding, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
	ck_assert_int_eq(acs->index, 0);
	ck_assert_int_eq(acs->is_default, 1);
	ck_assert_ptr_nonnull(sp->services);
	for (req = sp->services->requested; req != NULL; req = req->next)
		nreq++;
	ck_assert_int_eq(nreq, 4);
	ck_assert_str_eq(sp->services->requested->friendly_name, "eduPersonPrincipalName");
	ck_assert_int_eq(sp->services->requested->is_required, 1);
	ck_assert_int_eq(sp->n_nameid_formats, 1);
	ck_assert_int_eq(m->organization, 1);
	{
		int n = 0;
		for (const struct mdm_contact *c = m->contacts; c != NULL; c = c->next, n++)
			ck_assert_int_eq(c->nemails, 1);
		ck_assert_int_eq(n, 2);
		ck_assert_str_eq(m->contacts->type, "technical");
		ck_assert_str_eq(m->contacts->emails[0], "mailto:it@skolportalen.example.se");
		ck_assert_str_eq(m->contacts->next->given_name, "Kundtjänst");
	}
	{
		int n = 0;
		for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next)
			n++;
		ck_assert_int_eq(n, 8 + 2 + 6); /* mdui, ServiceName, Organization */
	}
	mdm_free(m);
}
END_TEST

START_TEST(model_of_an_idp)
{
	struct mdm_entity *m = load("alvby-idp.xml");
	const struct mdm_role *idp = mdm_role(m, MDM_ROLE_IDP);
	int sso = 0;

	ck_assert_ptr_nonnull(idp);
	ck_assert_str_eq(idp->error_url, "https://idp.alvby.example.se/error");
	ck_assert_ptr_nonnull(idp->scopes);
	ck_assert_str_eq(idp->scopes->value, "alvby.example.se");
	ck_assert_int_eq(idp->scopes->regexp, 0);
	for (const struct mdm_endpoint *e = idp->endpoints; e != NULL; e = e->next)
		sso += strcmp(e->element, "SingleSignOnService") == 0;
	ck_assert_int_ge(sso, 2);
	mdm_free(m);
}
END_TEST

START_TEST(model_refuses_bad_input)
{
	struct mdm_entity *m = NULL;
	struct tl_err err = { 0 };
	static const char doctype[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>"
	                              "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>";
	static const char agg[] = "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>";
	static const char trunc[] = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"><md:Extensions>";
	struct md_limits shallow = { 1 << 20, 2, 0 };
	static const char deep[] = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">"
	                           "<md:Extensions><a/></md:Extensions></md:EntityDescriptor>";

	ck_assert_int_eq(mdm_parse(doctype, strlen(doctype), NULL, &m, &err), TL_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "DOCTYPE"));
	ck_assert_int_eq(mdm_parse(agg, strlen(agg), NULL, &m, &err), TL_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "not md:EntityDescriptor"));
	ck_assert_int_eq(mdm_parse(trunc, strlen(trunc), NULL, &m, &err), TL_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 1"));
	ck_assert_int_eq(mdm_parse(deep, strlen(deep), &shallow, &m, &err), TL_ELIMIT);
	ck_assert_int_eq(mdm_parse("", 0, NULL, &m, &err), TL_EPARSE);
	ck_assert_ptr_null(m);
}
END_TEST

/* Every field of a model as text: two models are equal when their dumps are. */
static void dump_loc(struct buf *b, const struct mdm_loc *l)
{
	buf_printf(b, " @%s:%d", l->path ? l->path : "-", l->line);
}

static const char *z(const char *s)
{
	return s ? s : "(null)";
}

static void dump_texts(struct buf *b, const struct mdm_text *t)
{
	for (; t != NULL; t = t->next) {
		buf_printf(b, "text %s %s %s %d %d", z(t->element), z(t->lang), z(t->value), t->width, t->height);
		dump_loc(b, &t->loc);
		buf_puts(b, "\n");
	}
}

static void dump_methods(struct buf *b, const struct mdm_method *x)
{
	for (; x != NULL; x = x->next) {
		buf_printf(b, "method %s %s", z(x->element), z(x->algorithm));
		dump_loc(b, &x->loc);
		buf_puts(b, "\n");
	}
}

static void dump_attrs(struct buf *b, const struct mdm_attr *a)
{
	for (; a != NULL; a = a->next) {
		buf_printf(b, "attr %s %s %s %d %d", z(a->name), z(a->name_format), z(a->friendly_name),
		           a->is_required, a->nvalues);
		for (const struct mdm_value *v = a->values; v != NULL; v = v->next)
			buf_printf(b, " [%s]", z(v->value));
		dump_loc(b, &a->loc);
		buf_puts(b, "\n");
	}
}

static void dump_eps(struct buf *b, const struct mdm_endpoint *e)
{
	for (; e != NULL; e = e->next) {
		buf_printf(b, "ep %s %s %s %s %d %d", z(e->element), z(e->binding), z(e->location),
		           z(e->response_location), e->index, e->is_default);
		dump_loc(b, &e->loc);
		buf_puts(b, "\n");
	}
}

static char *dump(const struct mdm_entity *m)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	buf_printf(&b, "entity %s %s %s %u %d %d %s %s %d %d %zu\n", z(m->entity_id), z(m->valid_until),
	           z(m->cache_duration), m->roles, m->entity_attr_blocks, m->registration_infos,
	           z(m->registration_authority), z(m->registration_instant), m->registration_policies,
	           m->organization, m->longest_text);
	dump_loc(&b, &m->longest_loc);
	dump_loc(&b, &m->loc);
	dump_attrs(&b, m->entity_attrs);
	dump_texts(&b, m->org);
	dump_methods(&b, m->algs);
	for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next) {
		buf_printf(&b, "lang %s %s %s", z(l->element), z(l->scope), z(l->lang));
		dump_loc(&b, &l->loc);
		buf_puts(&b, "\n");
	}
	for (const struct mdm_contact *c = m->contacts; c != NULL; c = c->next) {
		buf_printf(&b, "contact %s %s %s %s %s %d", z(c->type), z(c->remd_type), z(c->company),
		           z(c->given_name), z(c->surname), c->empty_child);
		for (int i = 0; i < c->nemails; i++)
			buf_printf(&b, " e:%s", z(c->emails[i]));
		for (int i = 0; i < c->nphones; i++)
			buf_printf(&b, " p:%s", z(c->phones[i]));
		dump_loc(&b, &c->loc);
		buf_puts(&b, "\n");
	}
	for (const struct mdm_role *r = m->role_list; r != NULL; r = r->next) {
		buf_printf(&b, "role %d %s %s %s %d %d %d %d %d\n", r->kind, z(r->element), z(r->protocols),
		           z(r->error_url), r->want_authn_requests_signed, r->authn_requests_signed,
		           r->want_assertions_signed, r->uiinfo, r->entity_attributes);
		dump_eps(&b, r->endpoints);
		dump_eps(&b, r->discovery);
		for (const struct mdm_key *k = r->keys; k != NULL; k = k->next) {
			buf_printf(&b, "key %d %d %d %d %s %u %s %ld %s", k->use, k->use_bad, k->ncerts, k->cert_ok,
			           k->cert.key_name, k->cert.key_bits, k->cert.sig_name, (long)k->cert.not_after,
			           z(k->cert_b64));
			dump_methods(&b, k->methods);
			dump_loc(&b, &k->loc);
			buf_puts(&b, "\n");
		}
		dump_texts(&b, r->ui);
		for (const struct mdm_scope *sc = r->scopes; sc != NULL; sc = sc->next)
			buf_printf(&b, "scope %s %d\n", z(sc->value), sc->regexp);
		for (const struct mdm_acs_service *sv = r->services; sv != NULL; sv = sv->next) {
			buf_printf(&b, "service %d %d\n", sv->index, sv->is_default);
			dump_texts(&b, sv->names);
			dump_attrs(&b, sv->requested);
		}
		dump_methods(&b, r->algs);
		for (int i = 0; i < r->n_nameid_formats; i++)
			buf_printf(&b, "nameid %s\n", z(r->nameid_formats[i]));
		dump_loc(&b, &r->loc);
	}
	return buf_steal(&b, NULL);
}

START_TEST(freeze_and_thaw_round_trip)
{
	static const char *const files[] = { "alvby-idp.xml", "bergsjo-idp.xml", "norrbo-region.xml",
		                             "bibliotek-sp.xml", "skolportalen-sp.xml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct mdm_entity *m = load(files[i]), *t = NULL;
		struct tl_err err = { 0 };
		void *blob = NULL;
		size_t len = 0;
		char *a, *b;
		ck_assert_int_eq(mdm_freeze(m, &blob, &len, &err), TL_OK);
		a = dump(m);
		mdm_free(m); /* the thawed model must not point into the original */
		ck_assert_int_eq(mdm_thaw(blob, len, &t, &err), TL_OK);
		b = dump(t);
		ck_assert_str_eq(a, b);
		ck_assert_uint_gt(strlen(a), 500);
		/* a thawed model can be frozen again, to the same bytes */
		{
			void *blob2 = NULL;
			size_t len2 = 0;
			ck_assert_int_eq(mdm_freeze(t, &blob2, &len2, &err), TL_OK);
			ck_assert_uint_eq(len2, len);
			ck_assert_mem_eq(blob2, blob, len);
			free(blob2);
		}
		/* damaged blobs are refused */
		((unsigned char *)blob)[0] ^= 0xff;
		ck_assert_int_eq(mdm_thaw(blob, len, &m, &err), TL_EPARSE);
		ck_assert_int_eq(mdm_thaw(blob, 10, &m, &err), TL_EPARSE);
		free(a);
		free(b);
		free(blob);
		mdm_free(t);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mdm");
	TCase *tc = tcase_create("mdm");

	tcase_add_test(tc, model_of_an_sp);
	tcase_add_test(tc, model_of_an_idp);
	tcase_add_test(tc, model_refuses_bad_input);
	tcase_add_test(tc, freeze_and_thaw_round_trip);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
