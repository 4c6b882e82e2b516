/* test_md.c - metadata parsing, schema validation, federation rules, serialisation. */
#define _GNU_SOURCE
#include "config.h"
#include "tltest.h"

#include "tillit/err.h"
#include "tillit/md.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Compiled once in the parent (unchecked fixture); each forked test shares it. */
static struct md_schema *schema;

static const struct md_limits limits = { 1024 * 1024, 64, 0 };

static void schema_setup(void)
{
	struct tl_err err;

	ck_assert_msg(md_schema_load(&schema, &err) == TL_OK, "%s", err.msg);
}

static void schema_teardown(void)
{
	md_schema_free(schema);
	schema = NULL;
}

/*
 * Every test runs with stderr sent to a file that must stay empty: libxml2
 * reports through our errors, never by printing.  And no warning may be logged.
 */
static int saved_stderr = -1;
static FILE *stderr_file;

static void quiet_setup(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	ck_assert(stderr_file != NULL);
	saved_stderr = dup(2);
	ck_assert(saved_stderr >= 0);
	ck_assert(dup2(fileno(stderr_file), 2) == 2);
	tlt_log_begin();
}

static void quiet_teardown(void)
{
	char text[1024];
	size_t n;

	tlt_log_end();
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(stderr_file);
	n = fread(text, 1, sizeof(text) - 1, stderr_file);
	text[n] = '\0';
	fclose(stderr_file);
	ck_assert_msg(n == 0, "something was printed to stderr: %s", text);
}


/* Parse a fixture (must succeed). */
static xmlDocPtr load(const char *name)
{
	struct tl_err err;
	xmlDocPtr doc = NULL;
	size_t len;
	char *xml = tlt_data(name, &len);

	ck_assert_msg(md_parse(xml, len, &limits, &doc, &err) == TL_OK, "%s: %s", name, err.msg);
	free(xml);
	return doc;
}

/* All three stages on bytes, as reg.c does for a submission. */
static int check_bytes(const char *xml, size_t len, const struct md_limits *lim, struct tl_err *err)
{
	xmlDocPtr doc = NULL;
	int rc;

	tl_err_clear(err);
	rc = md_parse(xml, len, lim, &doc, err);
	if (rc == TL_OK)
		rc = md_validate_entity(schema, xmlDocGetRootElement(doc), err);
	xmlFreeDoc(doc);
	return rc;
}

static int check_file(const char *name, struct tl_err *err)
{
	size_t len;
	char *xml = tlt_data(name, &len);
	int rc = check_bytes(xml, len, &limits, err);

	free(xml);
	return rc;
}

/* ---- the cases: one file, the code, a piece of the message ---------------- */

static const struct md_case {
	const char *file;
	int code;
	const char *want;
} cases[] = {
	{ "md/idp-vaxjo.xml", TL_OK, "" },
	{ "md/sp-lulea.xml", TL_OK, "" },
	{ "md/idpsp-orebro.xml", TL_OK, "" },
	/* stage 1 */
	{ "md/billion-laughs.xml", TL_EPARSE, "line 2: DOCTYPE is not allowed" },
	{ "md/xxe.xml", TL_EPARSE, "line 2: DOCTYPE is not allowed" },
	{ "md/doctype-system.xml", TL_EPARSE, "line 2: DOCTYPE is not allowed" },
	{ "md/empty.xml", TL_EPARSE, "empty document" },
	{ "md/blank.xml", TL_EPARSE, "empty document" },
	{ "md/truncated.xml", TL_EPARSE, "line 61: Premature end of data in tag X509Certificate" },
	{ "md/deep.xml", TL_ELIMIT, "line 4: elements nested deeper than 64" },
	/* not metadata at all, or an aggregate */
	{ "md/not-metadata-xhtml.xml", TL_ERULE,
	  "line 2: element {http://www.w3.org/1999/xhtml}html is not an md:EntityDescriptor" },
	{ "md/not-metadata-response.xml", TL_ERULE,
	  "element {urn:oasis:names:tc:SAML:2.0:protocol}Response is not an md:EntityDescriptor" },
	{ "md/aggregate.xml", TL_ERULE,
	  "line 3: this is an EntitiesDescriptor (an aggregate): use tillitctl import" },
	/* stage 2 */
	{ "md/unknown-element.xml", TL_ESCHEMA,
	  "line 102: element {urn:oasis:names:tc:SAML:2.0:metadata}LoginPage: This element is not expected" },
	{ "md/long-entityid.xml", TL_ESCHEMA,
	  "EntityDescriptor, attribute 'entityID': [facet 'maxLength'] The value 'https://e-tjanst.lulea.se/aaa" },
	/* stage 3 */
	{ "md/relative-entityid.xml", TL_ERULE,
	  "line 2: entityID 'e-tjanst.lulea.se/shibboleth' is not an absolute URI" },
	{ "md/relative-acs.xml", TL_ERULE,
	  "AssertionConsumerService Location '/Shibboleth.sso/SAML2/Artifact' is not an absolute URL" },
	{ "md/bad-cert.xml", TL_ERULE, "line 23: KeyDescriptor certificate does not parse: " },
	{ "md/aa-only.xml", TL_ERULE, "line 2: no IdP or SP role" },
};

START_TEST(md_cases)
{
	const struct md_case *c = &cases[_i];
	struct tl_err err;
	int rc = check_file(c->file, &err);

	ck_assert_msg(rc == c->code, "%s: got %s (%s), want %s", c->file, tl_strerror(rc), err.msg,
	              tl_strerror(c->code));
	ck_assert_msg(strstr(err.msg, c->want) != NULL, "%s: message '%s' lacks '%s'", c->file,
	              err.msg, c->want);
	ck_assert_msg(strchr(err.msg, '\n') == NULL, "%s: message has a newline", c->file);
}
END_TEST

/* ---- stage 1 ---------------------------------------------------------------- */

/* refused at the DOCTYPE, before any entity could expand */
START_TEST(md_billion_laughs_is_refused)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/billion-laughs.xml", &len);
	xmlDocPtr doc = NULL;

	ck_assert_int_eq(md_parse(xml, len, &limits, &doc, &err), TL_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(err.msg, "DOCTYPE") != NULL, "%s", err.msg);
	free(xml);
}
END_TEST

START_TEST(md_external_entity_reads_nothing)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/xxe.xml", &len);
	xmlDocPtr doc = NULL;
	FILE *f;

	ck_assert_int_eq(md_parse(xml, len, &limits, &doc, &err), TL_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(err.msg, "DOCTYPE") != NULL, "%s", err.msg);
	/* nothing of /etc/passwd may appear: not a line, not the root entry */
	f = fopen("/etc/passwd", "r");
	if (f != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line) > 4)
				ck_assert_msg(strstr(err.msg, line) == NULL, "passwd line in error: %s", err.msg);
		}
		fclose(f);
	}
	ck_assert_ptr_null(strstr(err.msg, "root:"));
	ck_assert_ptr_null(strstr(err.msg, "/bin/"));
	free(xml);
}
END_TEST

START_TEST(md_truncated_has_line_and_reason)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/truncated.xml", &len);
	xmlDocPtr doc = NULL;
	int line = 0;

	ck_assert_int_eq(md_parse(xml, len, &limits, &doc, &err), TL_EPARSE);
	ck_assert_ptr_null(doc);
	ck_assert_msg(sscanf(err.msg, "line %d: ", &line) == 1 && line > 1, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "Premature end of data in tag") != NULL, "%s", err.msg);
	free(xml);
}
END_TEST

START_TEST(md_not_well_formed)
{
	static const char bad[] = "<?xml version=\"1.0\"?>\n"
	                          "<md:EntityDescriptor xmlns:md=\"" MD_NS "\" entityID=\"https://a.se\">\n"
	                          "  <md:Extensions></md:Extension>\n"
	                          "</md:EntityDescriptor>\n";
	static const char undeclared[] = "<md:EntityDescriptor entityID=\"https://a.se\"/>";
	static const char entity[] = "<md:EntityDescriptor xmlns:md=\"" MD_NS "\" entityID=\"https://a.se\">"
	                             "&xxe;</md:EntityDescriptor>";
	struct tl_err err;
	xmlDocPtr doc = NULL;

	ck_assert_int_eq(md_parse(bad, sizeof(bad) - 1, &limits, &doc, &err), TL_EPARSE);
	ck_assert_msg(strncmp(err.msg, "line 3: ", 8) == 0, "%s", err.msg);
	ck_assert_int_eq(md_parse(undeclared, sizeof(undeclared) - 1, &limits, &doc, &err), TL_EPARSE);
	ck_assert_msg(strstr(err.msg, "md") != NULL, "%s", err.msg);
	/* an entity reference without a DTD is an error, not a lookup */
	ck_assert_int_eq(md_parse(entity, sizeof(entity) - 1, &limits, &doc, &err), TL_EPARSE);
	ck_assert_msg(strstr(err.msg, "xxe") != NULL, "%s", err.msg);
	ck_assert_ptr_null(doc);
}
END_TEST

START_TEST(md_size_limit)
{
	struct md_limits small = { 4096, 64, 0 };
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/idp-vaxjo.xml", &len);
	xmlDocPtr doc = NULL;

	ck_assert_uint_gt(len, 4096);
	ck_assert_int_eq(md_parse(xml, len, &small, &doc, &err), TL_ELIMIT);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(err.msg, "4096") != NULL, "%s", err.msg);
	small.max_bytes = len;
	ck_assert_int_eq(md_parse(xml, len, &small, &doc, &err), TL_OK);
	xmlFreeDoc(doc);
	free(xml);
}
END_TEST

START_TEST(md_depth_limit)
{
	struct md_limits lim = { 1024 * 1024, 103, 0 };
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/deep.xml", &len);
	xmlDocPtr doc = NULL;

	/* root + Extensions + 100 nested: 102 levels */
	ck_assert_int_eq(md_parse(xml, len, &lim, &doc, &err), TL_OK);
	xmlFreeDoc(doc);
	doc = NULL;
	lim.max_depth = 101;
	ck_assert_int_eq(md_parse(xml, len, &lim, &doc, &err), TL_ELIMIT);
	ck_assert_msg(strstr(err.msg, "deeper than 101") != NULL, "%s", err.msg);
	ck_assert_ptr_null(doc);
	free(xml);
}
END_TEST

/* Our depth limit holds past libxml2's own cap of 256 too. */
START_TEST(md_depth_beyond_libxml2_cap)
{
	struct md_limits lim = { 1024 * 1024, 1000, 0 };
	struct tl_err err;
	xmlDocPtr doc = NULL;
	const size_t depth = 600;
	char *xml = malloc(depth * 7);
	size_t n = 0;

	ck_assert_ptr_nonnull(xml);
	for (size_t i = 0; i < depth; i++, n += 3)
		memcpy(xml + n, "<a>", 3);
	for (size_t i = 0; i < depth; i++, n += 4)
		memcpy(xml + n, "</a>", 4);
	ck_assert_msg(md_parse(xml, n, &lim, &doc, &err) == TL_OK, "%s", err.msg);
	xmlFreeDoc(doc);
	doc = NULL;
	lim.max_depth = 300;
	ck_assert_int_eq(md_parse(xml, n, &lim, &doc, &err), TL_ELIMIT);
	ck_assert_msg(strstr(err.msg, "deeper than 300") != NULL, "%s", err.msg);
	free(xml);
}
END_TEST

/* ---- stage 2 ------------------------------------------------------------------ */

START_TEST(md_refeds_contact_type_allowed)
{
	struct tl_err err;
	xmlDocPtr doc = load("md/sp-lulea.xml");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr cp = md_child(root, MD_NS, "ContactPerson");
	xmlChar *v;
	int found = 0;

	for (; cp != NULL; cp = md_next(cp, MD_NS, "ContactPerson")) {
		v = xmlGetNsProp(cp, BAD_CAST "contactType", BAD_CAST "http://refeds.org/metadata");
		if (v != NULL && strcmp((char *)v, "http://refeds.org/metadata/contactType/security") == 0)
			found = 1;
		xmlFree(v);
	}
	ck_assert_msg(found, "the fixture has no REFEDS security contact");
	ck_assert_msg(md_validate_entity(schema, root, &err) == TL_OK, "%s", err.msg);
	xmlFreeDoc(doc);
}
END_TEST

/* ContactPerson takes attributes from other namespaces only: the schema is really applied. */
START_TEST(md_contact_unqualified_attribute_refused)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/sp-lulea.xml", &len);
	char *p = strstr(xml, "<md:ContactPerson contactType=\"technical\"");
	char *bad;
	int rc;

	ck_assert_ptr_nonnull(p);
	ck_assert(asprintf(&bad, "%.*s<md:ContactPerson role=\"x\" %s", (int)(p - xml), xml,
	                   p + strlen("<md:ContactPerson ")) > 0);
	rc = check_bytes(bad, strlen(bad), &limits, &err);
	ck_assert_msg(rc == TL_ESCHEMA, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "ContactPerson, attribute 'role'") != NULL, "%s", err.msg);
	free(bad);
	free(xml);
}
END_TEST

/* Errors after the first are counted, not lost. */
START_TEST(md_schema_counts_more_errors)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/unknown-element.xml", &len);
	char *bad, *p;
	int rc;

	p = strstr(xml, "use=\"encryption\"");
	ck_assert_ptr_nonnull(p);
	ck_assert(asprintf(&bad, "%.*suse=\"both\"%s", (int)(p - xml), xml,
	                   p + strlen("use=\"encryption\"")) > 0);
	rc = check_bytes(bad, strlen(bad), &limits, &err);
	ck_assert_msg(rc == TL_ESCHEMA, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "(and 1 more)") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "KeyDescriptor, attribute 'use'") != NULL, "%s", err.msg);
	free(bad);
	free(xml);
}
END_TEST

/* ---- stage 3 ------------------------------------------------------------------ */

START_TEST(md_rules_alone)
{
	struct tl_err err;
	xmlDocPtr doc = load("md/long-entityid.xml");

	ck_assert_int_eq(md_check_rules(xmlDocGetRootElement(doc), &err), TL_ERULE);
	ck_assert_msg(strstr(err.msg, "entityID is 1025 characters, more than 1024") != NULL, "%s",
	              err.msg);
	xmlFreeDoc(doc);

	doc = load("md/aggregate.xml");
	ck_assert_int_eq(md_check_rules(xmlDocGetRootElement(doc), &err), TL_ERULE);
	ck_assert_msg(strstr(err.msg, "use tillitctl import") != NULL, "%s", err.msg);
	/* the entities inside an aggregate pass on their own */
	for (xmlNodePtr e = md_child(xmlDocGetRootElement(doc), MD_NS, "EntityDescriptor"); e != NULL;
	     e = md_next(e, MD_NS, "EntityDescriptor")) {
		ck_assert_msg(md_validate_entity(schema, e, &err) == TL_OK, "%s", err.msg);
	}
	xmlFreeDoc(doc);

	doc = load("md/idp-vaxjo.xml");
	ck_assert_int_eq(md_check_rules(xmlDocGetRootElement(doc), &err), TL_OK);
	xmlFreeDoc(doc);
}
END_TEST

/*
 * libxml2 registers xs:ID values in the document while validating, so an
 * ID used by two entities of one aggregate refuses the second one.
 */
START_TEST(md_duplicate_id_in_aggregate)
{
	struct tl_err err;
	size_t len;
	char *xml = tlt_data("md/aggregate.xml", &len), *dup = NULL;
	const char *from = "<md:EntityDescriptor entityID", *to = "<md:EntityDescriptor ID=\"_dup\" entityID";
	xmlDocPtr doc = NULL;
	xmlNodePtr e;
	char *p, *q;

	/* give both entities ID="_dup" */
	p = strstr(xml, from);
	q = p != NULL ? strstr(p + 1, from) : NULL;
	ck_assert_ptr_nonnull(q);
	ck_assert(asprintf(&dup, "%.*s%s%.*s%s%s", (int)(p - xml), xml, to, (int)(q - p - strlen(from)),
	                   p + strlen(from), to, q + strlen(from)) > 0);
	ck_assert_int_eq(md_parse(dup, strlen(dup), &limits, &doc, &err), TL_OK);
	e = md_child(xmlDocGetRootElement(doc), MD_NS, "EntityDescriptor");
	ck_assert_msg(md_validate_entity(schema, e, &err) == TL_OK, "%s", err.msg);
	/* validating the same element again is fine */
	ck_assert_msg(md_validate_entity(schema, e, &err) == TL_OK, "%s", err.msg);
	e = md_next(e, MD_NS, "EntityDescriptor");
	ck_assert_int_eq(md_validate_entity(schema, e, &err), TL_ESCHEMA);
	ck_assert_msg(strstr(err.msg, "attribute 'ID': '_dup' is not a valid value") != NULL, "%s", err.msg);
	xmlFreeDoc(doc);
	free(dup);
	free(xml);
}
END_TEST

START_TEST(md_entity_id_rules)
{
	static const struct {
		const char *id;
		int ok;
	} ids[] = {
		{ "https://idp.vaxjo.se/idp/shibboleth", 1 },
		{ "http://sp.example.se/", 1 },
		{ "urn:se:vaxjo:idp", 1 },
		{ "idp.vaxjo.se", 0 },
		{ "/idp/shibboleth", 0 },
		{ "https://idp.vaxjo.se/a b", 0 },
		{ "https://idp.vaxjo.se/\ta", 0 },
		{ "urn:", 0 },
		{ "1https://x", 0 },
	};
	struct tl_err err;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char *xml;
		xmlDocPtr doc = NULL;
		int rc;
		ck_assert(asprintf(&xml,
		                   "<md:EntityDescriptor xmlns:md=\"" MD_NS "\" entityID=\"%s\">"
		                   "<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
		                   "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\""
		                   " Location=\"https://sp.example.se/acs\" index=\"0\"/>"
		                   "</md:SPSSODescriptor></md:EntityDescriptor>",
		                   ids[i].id) > 0);
		ck_assert_int_eq(md_parse(xml, strlen(xml), &limits, &doc, &err), TL_OK);
		rc = md_check_rules(xmlDocGetRootElement(doc), &err);
		ck_assert_msg((rc == TL_OK) == ids[i].ok, "entityID '%s': %s", ids[i].id, err.msg);
		xmlFreeDoc(doc);
		free(xml);
	}
}
END_TEST

/* ---- facts ----------------------------------------------------------------------- */

START_TEST(md_facts)
{
	xmlDocPtr idp = load("md/idp-vaxjo.xml"), sp = load("md/sp-lulea.xml");
	xmlDocPtr both = load("md/idpsp-orebro.xml"), aa = load("md/aa-only.xml");
	xmlNodePtr r = xmlDocGetRootElement(idp), n;
	int count = 0;

	ck_assert_str_eq(md_entity_id(r), "https://idp.vaxjo.se/idp/shibboleth");
	ck_assert_str_eq(md_entity_id(xmlDocGetRootElement(both)), "https://login.orebro.se/saml");
	ck_assert_ptr_null(md_entity_id(NULL));
	ck_assert_uint_eq(md_roles(r), MD_ROLE_IDP);
	ck_assert_uint_eq(md_roles(xmlDocGetRootElement(sp)), MD_ROLE_SP);
	ck_assert_uint_eq(md_roles(xmlDocGetRootElement(both)), MD_ROLE_IDP | MD_ROLE_SP | MD_ROLE_AA);
	ck_assert_uint_eq(md_roles(xmlDocGetRootElement(aa)), MD_ROLE_AA);

	n = md_child(r, MD_NS, "IDPSSODescriptor");
	ck_assert_ptr_nonnull(n);
	for (xmlNodePtr s = md_child(n, MD_NS, "SingleSignOnService"); s != NULL;
	     s = md_next(s, MD_NS, "SingleSignOnService"))
		count++;
	ck_assert_int_eq(count, 3);
	ck_assert_ptr_null(md_child(r, MD_NS, "SPSSODescriptor"));
	ck_assert_ptr_null(md_child(r, MD_NS_MDUI, "IDPSSODescriptor"));
	ck_assert_ptr_nonnull(md_child(md_child(r, MD_NS, "Extensions"), MD_NS_MDATTR, "EntityAttributes"));
	xmlFreeDoc(idp);
	xmlFreeDoc(sp);
	xmlFreeDoc(both);
	xmlFreeDoc(aa);
}
END_TEST

START_TEST(md_roles_strings)
{
	char s[32], tiny[4];

	md_roles_str(MD_ROLE_IDP, s, sizeof(s));
	ck_assert_str_eq(s, "idp");
	md_roles_str(MD_ROLE_SP, s, sizeof(s));
	ck_assert_str_eq(s, "sp");
	md_roles_str(MD_ROLE_IDP | MD_ROLE_SP, s, sizeof(s));
	ck_assert_str_eq(s, "idp,sp");
	md_roles_str(MD_ROLE_IDP | MD_ROLE_SP | MD_ROLE_AA, s, sizeof(s));
	ck_assert_str_eq(s, "idp,sp,aa");
	md_roles_str(MD_ROLE_SP | MD_ROLE_AA, s, sizeof(s));
	ck_assert_str_eq(s, "sp,aa");
	md_roles_str(0, s, sizeof(s));
	ck_assert_str_eq(s, "");
	md_roles_str(MD_ROLE_IDP | MD_ROLE_SP, tiny, sizeof(tiny));
	ck_assert_str_eq(tiny, "idp");
}
END_TEST

/* ---- serialisation ------------------------------------------------------------------ */

/* A root entity comes out byte for byte as it went in: no re-indenting. */
START_TEST(md_serialize_root_unchanged)
{
	static const char *const files[] = { "md/idp-vaxjo.xml", "md/sp-lulea.xml", "md/idpsp-orebro.xml" };
	struct tl_err err;

	for (size_t i = 0; i < 3; i++) {
		size_t len, olen;
		char *xml = tlt_data(files[i], &len), *out;
		xmlDocPtr doc = load(files[i]);
		ck_assert_int_eq(md_serialize_entity(xmlDocGetRootElement(doc), &out, &olen, &err), TL_OK);
		ck_assert_uint_eq(olen, strlen(out));
		ck_assert_msg(olen == len && memcmp(out, xml, len) == 0, "%s changed:\n%s", files[i], out);
		free(out);
		free(xml);
		xmlFreeDoc(doc);
	}
}
END_TEST

/* An entity from inside an aggregate stands alone: namespaces come with it. */
START_TEST(md_serialize_nested)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:";
	struct tl_err err;
	xmlDocPtr agg = load("md/aggregate.xml");
	xmlNodePtr e = md_child(xmlDocGetRootElement(agg), MD_NS, "EntityDescriptor");
	int seen = 0;

	for (; e != NULL; e = md_next(e, MD_NS, "EntityDescriptor"), seen++) {
		char *out;
		size_t olen;
		xmlDocPtr doc = NULL;
		xmlNodePtr root;

		ck_assert_int_eq(md_serialize_entity(e, &out, &olen, &err), TL_OK);
		ck_assert_msg(strncmp(out, head, strlen(head)) == 0, "%s", out);
		ck_assert_msg(strstr(out, "xmlns:md=\"" MD_NS "\"") != NULL, "%s", out);
		/* xs is only used inside xsi:type values, and must still be declared */
		ck_assert_msg(strstr(out, "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "EntitiesDescriptor") == NULL, "%s", out);
		ck_assert_int_eq(out[olen - 1], '\n');
		ck_assert_msg(md_parse(out, olen, &limits, &doc, &err) == TL_OK, "%s\n%s", err.msg, out);
		root = xmlDocGetRootElement(doc);
		ck_assert_str_eq(md_entity_id(root), md_entity_id(e));
		ck_assert_msg(md_validate_entity(schema, root, &err) == TL_OK, "%s\n%s", err.msg, out);
		xmlFreeDoc(doc);
		free(out);
	}
	ck_assert_int_eq(seen, 2);
	xmlFreeDoc(agg);
}
END_TEST

/* ---- threads --------------------------------------------------------------------------- */

struct worker {
	const char *good, *bad;
	int rounds;
	int good_ok, bad_refused;
	char msg[TL_ERR_MSG_MAX];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	xmlDocPtr good = load(w->good), bad = w->bad != NULL ? load(w->bad) : NULL;
	struct tl_err err;

	for (int i = 0; i < w->rounds; i++) {
		if (md_validate_entity(schema, xmlDocGetRootElement(good), &err) == TL_OK)
			w->good_ok++;
		else
			snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
		if (bad != NULL && md_validate_entity(schema, xmlDocGetRootElement(bad), &err) == TL_ESCHEMA &&
		    strstr(err.msg, "LoginPage") != NULL)
			w->bad_refused++;
	}
	xmlFreeDoc(good);
	xmlFreeDoc(bad);
	return NULL;
}

START_TEST(md_validate_two_threads)
{
	struct worker a = { "md/idp-vaxjo.xml", NULL, 200, 0, 0, "" };
	struct worker b = { "md/sp-lulea.xml", "md/unknown-element.xml", 200, 0, 0, "" };
	pthread_t ta, tb;

	ck_assert_int_eq(pthread_create(&ta, NULL, worker_run, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, worker_run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_msg(a.good_ok == 200, "thread a: %d ok, last error %s", a.good_ok, a.msg);
	ck_assert_msg(b.good_ok == 200, "thread b: %d ok, last error %s", b.good_ok, b.msg);
	ck_assert_int_eq(b.bad_refused, 200);
}
END_TEST

/* ---- schema loading --------------------------------------------------------------------- */

START_TEST(md_schema_missing_file)
{
	static const char *const files[] = {
		"saml-schema-assertion-2.0.xsd", "saml-schema-metadata-2.0.xsd",
		"saml-metadata-rpi-v1.0.xsd", "sstc-metadata-attr.xsd",
		"sstc-saml-metadata-algsupport-v1.0.xsd", "sstc-saml-idp-discovery.xsd",
		/* no sstc-saml-metadata-ui-v1.0.xsd */
	};
	char *dir = tlt_tmpdir();
	char from[4200], to[4200];
	struct md_schema *s = NULL;
	struct tl_err err;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", TL_SAML_SCHEMA_DIR, files[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
		ck_assert_int_eq(symlink(from, to), 0);
	}
	setenv("TILLIT_SAML_SCHEMA_DIR", dir, 1);
	ck_assert_int_eq(md_schema_load(&s, &err), TL_ECONF);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, "sstc-saml-metadata-ui-v1.0.xsd") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, dir) != NULL, "%s", err.msg);

	/* with every file present the same directory compiles */
	snprintf(from, sizeof(from), "%s/sstc-saml-metadata-ui-v1.0.xsd", TL_SAML_SCHEMA_DIR);
	snprintf(to, sizeof(to), "%s/sstc-saml-metadata-ui-v1.0.xsd", dir);
	ck_assert_int_eq(symlink(from, to), 0);
	ck_assert_msg(md_schema_load(&s, &err) == TL_OK, "%s", err.msg);
	md_schema_free(s);

	/* a broken schema file is a configuration error naming it, not a crash or a printout */
	unlink(to);
	free(tlt_write(dir, "sstc-saml-metadata-ui-v1.0.xsd", "<schema", 7));
	ck_assert_int_eq(md_schema_load(&s, &err), TL_ECONF);
	ck_assert_msg(strstr(err.msg, "sstc-saml-metadata-ui-v1.0.xsd") != NULL, "%s", err.msg);
	unsetenv("TILLIT_SAML_SCHEMA_DIR");
	tlt_rmtree(dir);
}
END_TEST


static Suite *md_suite(void)
{
	Suite *s = suite_create("md");
	TCase *tc = tcase_create("md");

	tcase_add_unchecked_fixture(tc, schema_setup, schema_teardown);
	tcase_add_checked_fixture(tc, quiet_setup, quiet_teardown);
	tcase_add_loop_test(tc, md_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, md_billion_laughs_is_refused);
	tcase_add_test(tc, md_external_entity_reads_nothing);
	tcase_add_test(tc, md_truncated_has_line_and_reason);
	tcase_add_test(tc, md_not_well_formed);
	tcase_add_test(tc, md_size_limit);
	tcase_add_test(tc, md_depth_limit);
	tcase_add_test(tc, md_depth_beyond_libxml2_cap);
	tcase_add_test(tc, md_refeds_contact_type_allowed);
	tcase_add_test(tc, md_contact_unqualified_attribute_refused);
	tcase_add_test(tc, md_schema_counts_more_errors);
	tcase_add_test(tc, md_rules_alone);
	tcase_add_test(tc, md_duplicate_id_in_aggregate);
	tcase_add_test(tc, md_entity_id_rules);
	tcase_add_test(tc, md_facts);
	tcase_add_test(tc, md_roles_strings);
	tcase_add_test(tc, md_serialize_root_unchanged);
	tcase_add_test(tc, md_serialize_nested);
	tcase_add_test(tc, md_validate_two_threads);
	tcase_add_test(tc, md_schema_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	xmlInitParser();
	return tlt_run(md_suite());
}
