/*
 * test_hub.c - the SSO hub end to end, in process: lasso SPs and IdPs
 * (tests/peer.c) exchange real signed messages with the hub's handlers;
 * bad input of every kind is refused with the right status and leaves no
 * state behind.  (Interop with mod_auth_mellon, Shibboleth SP and
 * SimpleSAMLphp is tests/interop/sso.test.)
 */
#include "fixture.h"
#include "peer.h"
#include "tltest.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <openssl/pem.h>

#include "tillit/agr.h"
#include "tillit/att.h"
#include "tillit/audit.h"
#include "tillit/hub.h"
#include "tillit/keys.h"
#include "tillit/reg.h"
#include "tillit/saml.h"
#include "tillit/store.h"
#include "tillit/trust.h"
#include "tillit/util.h"
#include "tillit/xsig.h"

#define BASE "https://hub.example.se"
#define HUB_IDP BASE "/idp/metadata"
#define HUB_SP BASE "/sp/metadata"
#define IDP_A "https://idp.kommun-a.example.se/idp"
#define IDP_B "https://idp.kommun-b.example.se/idp"
#define SP1 "https://app.example.se/sp"
#define SP2 "https://rs.example.se/sp"
#define SP3 "https://suspended.example.se/sp"
#define SP4 "https://unknown.example.se/sp"
#define SP5 "https://ds.example.se/sp"
#define SP6 "https://plain.example.se/sp"
#define LOA3 "http://id.elegnamnden.se/loa/1.0/loa3"
#define PPT "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
/* the levels of tests' own framework (TEST_TF): l3 extends l2, l4 extends l3; IdP b holds l2 */
#define TL2 "https://example.org/test-loa/l2"
#define TL3 "https://example.org/test-loa/l3"
#define TL4 "https://example.org/test-loa/l4"
#define TEST_TF "[framework]\nid = test-loa\nversion = 1\ntitle = Test levels\nsource = test_hub.c\n" \
	"applies = idp\n\n[level l2]\ntitle = L2\npublish = assurance-certification " TL2 "\n\n" \
	"[level l3]\ntitle = L3\nextends = l2\npublish = assurance-certification " TL3 "\n\n" \
	"[level l4]\ntitle = L4\nextends = l3\npublish = assurance-certification " TL4 "\n\n" \
	"[attest T-L2]\nlevel = l2\ntext = The IdP authenticates at L2.\nevidence = a statement\n" \
	"validity = P1Y\n\n[attest T-L3]\nlevel = l3\ntext = The IdP authenticates at L3.\n" \
	"evidence = a statement\nvalidity = P1Y\n"

#define OID_MAIL "urn:oid:0.9.2342.19200300.100.1.3"
#define OID_EPPN "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
#define OID_DISPLAY "urn:oid:2.16.840.1.113730.3.1.241"
#define OID_AFFIL "urn:oid:1.3.6.1.4.1.5923.1.1.1.9"
#define OID_SUBJECT "urn:oasis:names:tc:SAML:attribute:subject-id"
#define OID_PAIRWISE "urn:oasis:names:tc:SAML:attribute:pairwise-id"

#define ATTRS_A OID_MAIL "=anna@kommun-a.example.se\n" OID_EPPN "=anna@kommun-a.example.se\n" \
	OID_DISPLAY "=Anna Andersson\n" OID_AFFIL "=member@kommun-a.example.se\n" \
	OID_AFFIL "=staff@evil.example.org\n"

static struct fixture fx;
static struct peer idp_a, idp_b, sp1, sp2, sp3, sp4, sp5, sp6;
static struct hub *hub;

/* ---- setup (once, in the parent: keys are slow to make) ----------------- */

static void register_entity(const char *org, struct peer *p)
{
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_msg(reg_entity_submit(&fx.ctx, fx.schema, org, p->metadata, strlen(p->metadata), &o,
	                                &err) == TL_OK, "%s: %s", p->entity_id, err.msg);
	json_decref(o);
	ck_assert_msg(reg_entity_decide(&fx.ctx, p->entity_id, REG_APPROVE, NULL, NULL, &o, &err) == TL_OK,
	              "%s", err.msg);
	json_decref(o);
}

static void agreement(const char *sp, const char *names)
{
	const char *list[16];
	char *copy = strdup(names), *save = NULL;
	size_t n = 0;
	struct tl_err err;

	for (char *t = strtok_r(copy, ",", &save); t != NULL && n < 16; t = strtok_r(NULL, ",", &save))
		list[n++] = t;
	ck_assert_msg(agr_set(&fx.ctx, sp, list, n, "test", &err) == TL_OK, "%s", err.msg);
	free(copy);
}

/*
 * The shipped frameworks and TEST_TF in DIR/frameworks, made ctx's; IdP b
 * attested and certified for l2 (the attestation approved and its
 * approved version evaluated, which is what the hub reads).
 */
static void certify_idp_b(void)
{
	char shipped[4096], dir[4200], path[4400];
	struct tf_set *set = NULL;
	struct trust_ref ref;
	struct tl_err err;
	struct dirent *e;
	json_t *o = NULL;
	long long id;
	DIR *d;

	trust_frameworks_dir(&fx.ctx, shipped, sizeof(shipped));
	snprintf(dir, sizeof(dir), "%s/frameworks", fx.dir);
	ck_assert_int_eq(util_mkdirs(dir, 0700, &err), TL_OK);
	ck_assert_ptr_nonnull(d = opendir(shipped));
	while ((e = readdir(d)) != NULL) {
		char *text = NULL;
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".tf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", shipped, e->d_name);
		ck_assert_int_eq(util_read_file(path, 1 << 20, &text, &len, &err), TL_OK);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ck_assert_int_eq(util_write_atomic(path, text, len, 0600, &err), TL_OK);
		free(text);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/test-loa.tf", dir);
	ck_assert_int_eq(util_write_atomic(path, TEST_TF, strlen(TEST_TF), 0600, &err), TL_OK);
	snprintf(fx.ctx.conf.frameworks_dir, sizeof(fx.ctx.conf.frameworks_dir), "%s", dir);
	ck_assert_msg(trust_load(&fx.ctx, &set, &err) == TL_OK, "%s", err.msg);
	ck_assert_msg(att_submit(&fx.ctx, set, IDP_B, "test-loa/T-L2", "statement", 9, "statement.txt", 0, &o,
	                         &err) == TL_OK, "%s", err.msg);
	id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	ck_assert_msg(att_decide(&fx.ctx, set, id, ATT_APPROVE, NULL, &o, &err) == TL_OK, "%s", err.msg);
	json_decref(o);
	util_sha1(IDP_B, strlen(IDP_B), ref.sha1);
	ref.version = 1;
	ck_assert_msg(trust_refresh(&fx.ctx, set, &ref, 1, &err) == TL_OK, "%s", err.msg);
	tf_set_free(set);
}

static char *hub_get(enum hub_route r)
{
	struct hub_request rq = { .method = "GET", .client = "test" };
	struct hub_response rs;
	char *body;

	hub_handle(hub, r, &rq, &rs);
	ck_assert_int_eq(rs.status, 200);
	body = rs.body;
	rs.body = NULL;
	hub_response_free(&rs);
	return body;
}

static void global_setup(void)
{
	char k[4200], c[4200];
	struct tl_err err;
	json_t *o = NULL;
	struct peer_opts oa = { .scope = "kommun-a.example.se", .name_sv = "Kommun A", .name_en = "Municipality A" };
	struct peer_opts ob = { .scope = "kommun-b.example.se", .name_sv = "Kommun B", .name_en = "Municipality B" };
	struct peer_opts o1 = { .sign_requests = 1, .encryption_key = 1,
	                        .requested = "mail,eduPersonPrincipalName,displayName,subject-id,pairwise-id,eduPersonScopedAffiliation",
	                        .nameid_format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" };
	struct peer_opts o2 = { .categories = "http://refeds.org/category/research-and-scholarship" };
	struct peer_opts o5 = { .discovery = "https://ds.example.se/sp/disco" };
	struct peer_opts o6 = { .unsigned_assertions = 1, .requested = "mail" };
	struct tl_err e2;
	char *idp_md, *sp_md;

	ck_assert_int_eq(hub_global_init(&e2), TL_OK);
	fixture_open(&fx);
	snprintf(k, sizeof(k), "%s/keys/hub-signing.key", fx.dir);
	snprintf(c, sizeof(c), "%s/keys/hub-signing.crt", fx.dir);
	ck_assert_int_eq(keys_generate(k, c, 2048, "hub signing", 30, &err), TL_OK);
	snprintf(k, sizeof(k), "%s/keys/hub-encryption.key", fx.dir);
	snprintf(c, sizeof(c), "%s/keys/hub-encryption.crt", fx.dir);
	ck_assert_int_eq(keys_generate(k, c, 2048, "hub encryption", 30, &err), TL_OK);

	ck_assert_int_eq(peer_make(&idp_a, 1, IDP_A, "https://idp.kommun-a.example.se", fx.dir, &oa, NULL), 0);
	ck_assert_int_eq(peer_make(&idp_b, 1, IDP_B, "https://idp.kommun-b.example.se", fx.dir, &ob, NULL), 0);
	ck_assert_int_eq(peer_make(&sp1, 0, SP1, "https://app.example.se/sp", fx.dir, &o1, NULL), 0);
	ck_assert_int_eq(peer_make(&sp2, 0, SP2, "https://rs.example.se/sp", fx.dir, &o2, NULL), 0);
	ck_assert_int_eq(peer_make(&sp3, 0, SP3, "https://suspended.example.se/sp", fx.dir, &o2, NULL), 0);
	ck_assert_int_eq(peer_make(&sp4, 0, SP4, "https://unknown.example.se/sp", fx.dir, &o2, NULL), 0);
	ck_assert_int_eq(peer_make(&sp5, 0, SP5, "https://ds.example.se/sp", fx.dir, &o5, NULL), 0);
	ck_assert_int_eq(peer_make(&sp6, 0, SP6, "https://plain.example.se/sp", fx.dir, &o6, NULL), 0);

	ck_assert_int_eq(reg_member_add(&fx.ctx, "kommun-a", "Kommun A", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "kommun-b", "Kommun B", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(reg_member_add(&fx.ctx, "tjanster", "Tjänster AB", NULL, &o, &err), TL_OK);
	json_decref(o);
	register_entity("kommun-a", &idp_a);
	register_entity("kommun-b", &idp_b);
	register_entity("tjanster", &sp1);
	register_entity("tjanster", &sp2);
	register_entity("tjanster", &sp3);
	register_entity("tjanster", &sp5);
	register_entity("tjanster", &sp6);
	agreement(SP1, "mail,eduPersonPrincipalName,subject-id,pairwise-id,eduPersonScopedAffiliation");
	agreement(SP2, "mail,displayName");
	agreement(SP3, "mail");
	agreement(SP6, "mail");
	certify_idp_b();

	ck_assert_msg(hub_open(&hub, &fx.ctx, &err) == TL_OK, "%s", err.msg);
	idp_md = hub_get(HUB_IDP_METADATA);
	sp_md = hub_get(HUB_SP_METADATA);
	ck_assert_int_eq(peer_trust(&idp_a, 1, sp_md), 0);
	ck_assert_int_eq(peer_trust(&idp_b, 1, sp_md), 0);
	ck_assert_int_eq(peer_trust(&sp1, 0, idp_md), 0);
	ck_assert_int_eq(peer_trust(&sp2, 0, idp_md), 0);
	ck_assert_int_eq(peer_trust(&sp3, 0, idp_md), 0);
	ck_assert_int_eq(peer_trust(&sp4, 0, idp_md), 0);
	ck_assert_int_eq(peer_trust(&sp5, 0, idp_md), 0);
	ck_assert_int_eq(peer_trust(&sp6, 0, idp_md), 0);
	free(idp_md);
	free(sp_md);
	hub_close(hub); /* each test opens its own, in its own process */
	hub = NULL;
}

static void global_teardown(void)
{
	peer_free(&idp_a);
	peer_free(&idp_b);
	peer_free(&sp1);
	peer_free(&sp2);
	peer_free(&sp3);
	peer_free(&sp4);
	peer_free(&sp5);
	peer_free(&sp6);
	fixture_close(&fx);
}

static void setup(void)
{
	struct tl_err err;

	unsetenv("TILLIT_NOW");
	ck_assert_msg(hub_open(&hub, &fx.ctx, &err) == TL_OK, "%s", err.msg);
}

static void teardown(void)
{
	hub_close(hub);
	hub = NULL;
}

/* ---- helpers ------------------------------------------------------------------ */

struct exchange {
	struct hub_response rs;
};

static void call(enum hub_route r, const char *method, const char *query, const char *body,
                 const char *cookie, struct hub_response *rs)
{
	struct hub_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.query = query;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.cookie = cookie;
	rq.client = "test";
	hub_handle(hub, r, &rq, rs);
	ck_assert_ptr_nonnull(rs->body);
}

/* Records in one of the SSO environment's databases (whose store is DIR/sso). */
static size_t sso_count(enum store_db db)
{
	struct store *st;
	struct store_opts so = { 64u << 20, 64, 1 };
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	struct tl_err err;
	char path[4200];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/sso", fx.dir);
	so.map_size = (size_t)fx.ctx.conf.map_size;
	ck_assert_int_eq(store_open(&st, path, &so, &err), TL_OK);
	ck_assert_int_eq(store_txn_begin(st, &txn, 1, &err), TL_OK);
	store_iter_begin(&txn, db, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v))
		n++;
	store_iter_end(&it);
	store_abort(&txn);
	store_close(st);
	return n;
}

/* The service's request to the hub, answered by a redirect to the IdP: its query (malloc'd). */
static char *to_idp(struct peer *sp, int binding, const char *relay, const char *cls,
                    const char *scoping, const char *expect_idp)
{
	char *url, *body, *id, *q;
	struct hub_response rs;

	ck_assert_int_eq(peer_sp_request(sp, HUB_IDP, binding, relay, cls, scoping, &url, &body, &id), 0);
	if (binding)
		call(HUB_SSO, "POST", NULL, body, NULL, &rs);
	else
		call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_msg(rs.status == 302, "status %u: %s", rs.status, rs.body);
	ck_assert_ptr_nonnull(rs.location);
	if (expect_idp != NULL) {
		char sso[600];
		snprintf(sso, sizeof(sso), "%s/sso?", strcmp(expect_idp, IDP_A) == 0 ? idp_a.url : idp_b.url);
		ck_assert_msg(strncmp(rs.location, sso, strlen(sso)) == 0, "redirected to %s", rs.location);
	}
	q = strdup(strchr(rs.location, '?') + 1);
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
	return q;
}

struct result {
	char *status, *status2, *attrs, *name_id, *cls;
};

static void result_free(struct result *r)
{
	free(r->status);
	free(r->status2);
	free(r->attrs);
	free(r->name_id);
	free(r->cls);
}

/* The SAMLResponse of the hub's answer page (decoded, malloc'd). */
static char *response_xml(const struct hub_response *rs, size_t *n)
{
	struct tl_err err;
	char *b64 = peer_form_field(rs->body, "SAMLResponse"), *xml = NULL;

	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(saml_base64_decode(b64, strlen(b64), 1 << 20, &xml, n, &err), TL_OK);
	free(b64);
	return xml;
}

/*
 * The IdP's response body posted to the hub's ACS; the hub's page accepted
 * by sp; the hub's Response decoded into *xml (free()) when xml is not NULL.
 */
static void acs_to_sp_xml(struct peer *sp, const char *body, struct result *r, char **xml)
{
	struct hub_response rs;
	char *action, *want;

	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 200, "status %u: %s", rs.status, rs.body);
	ck_assert_ptr_nonnull(rs.csp);
	ck_assert_ptr_nonnull(strstr(rs.csp, "script-src 'sha256-"));
	ck_assert_int_eq(rs.no_store, 1);
	ck_assert_ptr_nonnull(strstr(rs.body, "<noscript>"));
	action = peer_form_action(rs.body);
	ck_assert_ptr_nonnull(action);
	want = malloc(strlen(sp->url) + 8);
	snprintf(want, strlen(sp->url) + 8, "%s/acs", sp->url);
	ck_assert_str_eq(action, want);
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(peer_sp_accept(sp, rs.body, &r->status, &r->status2, &r->attrs, &r->name_id, &r->cls), 0);
	if (xml != NULL) {
		size_t n;
		*xml = response_xml(&rs, &n);
	}
	free(action);
	free(want);
	hub_response_free(&rs);
}

static void acs_to_sp(struct peer *sp, const char *body, struct result *r)
{
	acs_to_sp_xml(sp, body, r, NULL);
}

static void login(struct peer *sp, struct peer *idp, const char *attrs, const char *cls_req,
                  const char *cls_idp, struct result *r)
{
	char *q = to_idp(sp, 0, "relay-1", cls_req, idp->entity_id, idp->entity_id), *body;

	ck_assert_int_eq(peer_idp_respond(idp, q, attrs, "user-anna", cls_idp, 3, &body, NULL), 0);
	acs_to_sp(sp, body, r);
	free(q);
	free(body);
}

static int has_line(const char *attrs, const char *line)
{
	const char *p = attrs;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == attrs || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

static int has_name(const char *attrs, const char *name)
{
	char pat[256];

	snprintf(pat, sizeof(pat), "%s=", name);
	return strncmp(attrs, pat, strlen(pat)) == 0 || strstr(attrs, pat - 0) != NULL;
}

/* ---- tests --------------------------------------------------------------------- */

/* Does md's signature verify with the federation's metadata-signing key?  err gets why not. */
static int signed_by_federation(const char *md, struct tl_err *err)
{
	char path[4200];
	struct xsig_key k;
	xmlDocPtr doc;
	X509 *x;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/keys/metadata-signing.crt", fx.dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(xsig_key_init(&k, X509_get_pubkey(x), 0, err), TL_OK);
	X509_free(x);
	ck_assert_ptr_nonnull(doc = xmlReadMemory(md, (int)strlen(md), NULL, NULL, XML_PARSE_NONET));
	rc = xsig_verify(xmlDocGetRootElement(doc), &k, 1, err);
	xmlFreeDoc(doc);
	xsig_key_done(&k);
	return rc;
}

/* md's validUntil as a time. */
static time_t valid_until(const char *md)
{
	const char *p = strstr(md, "validUntil=\"");
	char v[32];
	time_t t = 0;

	ck_assert_ptr_nonnull(p);
	snprintf(v, sizeof(v), "%.*s", (int)strcspn(p + 12, "\""), p + 12);
	ck_assert_msg(util_time_parse(v, &t) == 0, "validUntil %s", v);
	return t;
}

START_TEST(metadata_is_signed_by_the_federation)
{
	char *idp = hub_get(HUB_IDP_METADATA), *sp = hub_get(HUB_SP_METADATA), *bad, *p, now_s[32];
	struct tl_err err;
	time_t now = time(NULL);

	/* both signed with the metadata-signing key, valid for aggregate_validity (P7D) */
	ck_assert_msg(signed_by_federation(idp, &err) == TL_OK, "%s", err.msg);
	ck_assert_msg(signed_by_federation(sp, &err) == TL_OK, "%s", err.msg);
	ck_assert_int_ge(valid_until(idp), now + 7 * 86400 - 60);
	ck_assert_int_le(valid_until(idp), now + 7 * 86400 + 60);
	ck_assert_ptr_nonnull(strstr(idp, "cacheDuration=\"PT6H\""));
	/* the signature covers the scopes */
	bad = strdup(idp);
	ck_assert_ptr_nonnull(p = strstr(bad, "kommun-a.example.se</"));
	p[7] = 'x';
	ck_assert_int_eq(signed_by_federation(bad, &err), TL_ESIG);
	free(bad);
	free(idp);
	free(sp);
	/* four days on, past half the validity: signed again, valid a week from then */
	snprintf(now_s, sizeof(now_s), "%lld", (long long)now + 4 * 86400);
	setenv("TILLIT_NOW", now_s, 1);
	idp = hub_get(HUB_IDP_METADATA);
	sp = hub_get(HUB_SP_METADATA);
	ck_assert_int_ge(valid_until(idp), now + 11 * 86400 - 60);
	ck_assert_int_ge(valid_until(sp), now + 11 * 86400 - 60);
	ck_assert_msg(signed_by_federation(idp, &err) == TL_OK, "%s", err.msg);
	ck_assert_msg(signed_by_federation(sp, &err) == TL_OK, "%s", err.msg);
	unsetenv("TILLIT_NOW");
	free(idp);
	free(sp);
}
END_TEST

START_TEST(metadata_of_the_hub)
{
	char *idp = hub_get(HUB_IDP_METADATA), *sp = hub_get(HUB_SP_METADATA);

	ck_assert_ptr_nonnull(strstr(idp, "entityID=\"" HUB_IDP "\""));
	ck_assert_ptr_nonnull(strstr(idp, "HTTP-Redirect\" Location=\"" BASE "/idp/sso\""));
	ck_assert_ptr_nonnull(strstr(idp, "HTTP-POST\" Location=\"" BASE "/idp/sso\""));
	ck_assert_ptr_nonnull(strstr(idp, "<shibmd:Scope regexp=\"false\">kommun-a.example.se</shibmd:Scope>"));
	ck_assert_ptr_nonnull(strstr(idp, "<shibmd:Scope regexp=\"false\">kommun-b.example.se</shibmd:Scope>"));
	ck_assert_ptr_nonnull(strstr(idp, "use=\"signing\""));
	ck_assert_ptr_nonnull(strstr(idp, "use=\"encryption\""));
	ck_assert_ptr_nonnull(strstr(sp, "entityID=\"" HUB_SP "\""));
	ck_assert_ptr_nonnull(strstr(sp, "AuthnRequestsSigned=\"true\""));
	ck_assert_ptr_nonnull(strstr(sp, "Location=\"" BASE "/sp/acs\""));
	free(idp);
	free(sp);
}
END_TEST

START_TEST(login_releases_the_entitled_attributes)
{
	struct result r;
	size_t states = sso_count(STORE_DB_SSO_STATE), upreqs = sso_count(STORE_DB_SSO_UPREQ);

	login(&sp1, &idp_a, ATTRS_A, NULL, PPT, &r);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	/* requested and agreed */
	ck_assert_msg(has_line(r.attrs, OID_MAIL "=anna@kommun-a.example.se"), "%s", r.attrs);
	ck_assert_msg(has_line(r.attrs, OID_EPPN "=anna@kommun-a.example.se"), "%s", r.attrs);
	/* requested, not agreed */
	ck_assert_msg(!has_name(r.attrs, OID_DISPLAY), "%s", r.attrs);
	/* scoped: the value outside the IdP's scope is dropped */
	ck_assert_msg(has_line(r.attrs, OID_AFFIL "=member@kommun-a.example.se"), "%s", r.attrs);
	ck_assert_msg(strstr(r.attrs, "evil.example.org") == NULL, "%s", r.attrs);
	/* identifiers the hub makes */
	ck_assert_msg(strstr(r.attrs, OID_SUBJECT "=") != NULL, "%s", r.attrs);
	ck_assert_msg(strstr(r.attrs, "@kommun-a.example.se\n") != NULL, "%s", r.attrs);
	ck_assert_msg(strstr(r.attrs, OID_PAIRWISE "=") != NULL, "%s", r.attrs);
	ck_assert_str_eq(r.cls, PPT);
	ck_assert_int_eq(strlen(r.name_id), 40);
	/* the login is finished: nothing waits */
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_STATE), states);
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_UPREQ), upreqs);
	result_free(&r);
}
END_TEST

START_TEST(persistent_ids_are_stable_and_per_service)
{
	struct result a, b, c;

	login(&sp1, &idp_a, ATTRS_A, NULL, PPT, &a);
	login(&sp1, &idp_a, ATTRS_A, NULL, PPT, &b);
	ck_assert_str_eq(a.name_id, b.name_id);
	login(&sp2, &idp_a, ATTRS_A, NULL, PPT, &c);
	/* sp2 gets a transient NameID (its metadata names no format) */
	ck_assert_str_ne(c.name_id, a.name_id);
	ck_assert_int_eq(c.name_id[0], '_');
	result_free(&a);
	result_free(&b);
	result_free(&c);
}
END_TEST

START_TEST(entity_category_bundle_within_the_agreement)
{
	struct result r;

	/* sp2 requests nothing but holds R&S (mail, displayName, eppn...); its agreement: mail, displayName */
	login(&sp2, &idp_a, ATTRS_A, NULL, PPT, &r);
	ck_assert_msg(has_line(r.attrs, OID_MAIL "=anna@kommun-a.example.se"), "%s", r.attrs);
	ck_assert_msg(has_line(r.attrs, OID_DISPLAY "=Anna Andersson"), "%s", r.attrs);
	ck_assert_msg(!has_name(r.attrs, OID_EPPN), "%s", r.attrs);
	ck_assert_msg(!has_name(r.attrs, OID_SUBJECT), "%s", r.attrs);
	result_free(&r);
}
END_TEST

START_TEST(post_binding_and_relay_state)
{
	struct result r;
	char *q = to_idp(&sp1, 1, "relay-post", NULL, IDP_A, IDP_A), *body;
	struct hub_response rs;
	char *relay;

	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_uint_eq(rs.status, 200);
	relay = peer_form_field(rs.body, "RelayState");
	ck_assert_str_eq(relay, "relay-post");
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(peer_sp_accept(&sp1, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	hub_response_free(&rs);
	result_free(&r);
	free(relay);
	free(q);
	free(body);
}
END_TEST

START_TEST(discovery_when_two_idps_fit)
{
	char *url, *body, *id, *nonce, query[512];
	struct hub_response rs;

	ck_assert_int_eq(peer_sp_request(&sp2, HUB_IDP, 0, NULL, NULL, NULL, &url, &body, &id), 0);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 302);
	ck_assert_msg(strncmp(rs.location, BASE "/ds?state=", strlen(BASE "/ds?state=")) == 0, "%s", rs.location);
	nonce = strdup(rs.location + strlen(BASE "/ds?state="));
	hub_response_free(&rs);

	snprintf(query, sizeof(query), "state=%s", nonce);
	call(HUB_DS, "GET", query, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 200);
	ck_assert_ptr_nonnull(strstr(rs.body, "value=\"" IDP_A "\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "value=\"" IDP_B "\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "Kommun A"));
	ck_assert_ptr_null(strstr(rs.body, "<script"));
	ck_assert_ptr_nonnull(rs.csp);
	hub_response_free(&rs);

	snprintf(query, sizeof(query), "state=%s&idp=%s", nonce, "https%3A%2F%2Fidp.kommun-b.example.se%2Fidp");
	call(HUB_DS, "GET", query, NULL, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, "https://idp.kommun-b.example.se/sso?", 36) == 0, "%s", rs.location);
	ck_assert_ptr_nonnull(rs.set_cookie);
	ck_assert_ptr_nonnull(strstr(rs.set_cookie, "tillit_idp="));
	hub_response_free(&rs);

	/* a second choice for the same login is refused */
	call(HUB_DS, "GET", query, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 400);
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
	free(nonce);
}
END_TEST

START_TEST(discovery_protocol)
{
	struct hub_response rs;

	call(HUB_DS, "GET", "entityID=https%3A%2F%2Fds.example.se%2Fsp&return=https%3A%2F%2Fds.example.se%2Fsp%2Fdisco"
	     "&idp=https%3A%2F%2Fidp.kommun-a.example.se%2Fidp", NULL, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_str_eq(rs.location, "https://ds.example.se/sp/disco?entityID=https%3A%2F%2Fidp.kommun-a.example.se%2Fidp");
	hub_response_free(&rs);
	/* a return URL not in the service's metadata: never an open redirect */
	call(HUB_DS, "GET", "entityID=https%3A%2F%2Fds.example.se%2Fsp&return=https%3A%2F%2Fevil.example.org%2F", NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 400);
	ck_assert_ptr_null(rs.location);
	hub_response_free(&rs);
}
END_TEST

START_TEST(unknown_and_suspended_services_are_refused)
{
	char *url, *body, *id;
	struct hub_response rs;
	json_t *o = NULL;
	struct tl_err err;
	size_t states = sso_count(STORE_DB_SSO_STATE);

	ck_assert_int_eq(peer_sp_request(&sp4, HUB_IDP, 0, NULL, NULL, IDP_A, &url, &body, &id), 0);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 403);
	ck_assert_ptr_nonnull(strstr(rs.body, "not registered"));
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);

	ck_assert_int_eq(reg_entity_decide(&fx.ctx, SP3, REG_SUSPEND, "test", NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_int_eq(peer_sp_request(&sp3, HUB_IDP, 0, NULL, NULL, IDP_A, &url, &body, &id), 0);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 403);
	ck_assert_ptr_nonnull(strstr(rs.body, "suspended"));
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, SP3, REG_REINSTATE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_STATE), states);
}
END_TEST

START_TEST(replayed_response_is_refused)
{
	struct result r;
	char *q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A), *body;
	struct hub_response rs;

	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	acs_to_sp(&sp1, body, &r);
	result_free(&r);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_uint_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(rs.body, "answers no request"));
	hub_response_free(&rs);
	free(q);
	free(body);
}
END_TEST

/* Post the IdP's response (sign: as peer_idp_respond) after edit() changed its XML; expect status. */
static void post_edited_signed(void (*edit)(char **xml), int sign, unsigned status, const char *why)
{
	char *q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A), *body, *xml, *b64, *enc, *nb;
	struct hub_response rs;
	size_t states = sso_count(STORE_DB_SSO_STATE);

	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, sign, &body, &xml), 0);
	edit(&xml);
	b64 = util_base64((const unsigned char *)xml, strlen(xml));
	enc = util_url_encode(b64);
	nb = malloc(strlen(enc) + 32);
	snprintf(nb, strlen(enc) + 32, "SAMLResponse=%s", enc);
	call(HUB_ACS, "POST", NULL, nb, NULL, &rs);
	ck_assert_msg(rs.status == status, "status %u, wanted %u: %s", rs.status, status, rs.body);
	ck_assert_msg(strstr(rs.body, why) != NULL, "page lacks '%s': %s", why, rs.body);
	/* refused: the login still waits (nothing consumed, nothing released) */
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_STATE), states);
	hub_response_free(&rs);
	free(q);
	free(body);
	free(xml);
	free(b64);
	free(enc);
	free(nb);
}

static void post_edited(void (*edit)(char **xml), unsigned status, const char *why)
{
	post_edited_signed(edit, 3, status, why);
}

static void replace(char **xml, const char *from, const char *to)
{
	char *p = strstr(*xml, from), *n;

	ck_assert_msg(p != NULL, "'%s' not in the response", from);
	n = malloc(strlen(*xml) - strlen(from) + strlen(to) + 1);
	snprintf(n, strlen(*xml) - strlen(from) + strlen(to) + 1, "%.*s%s%s", (int)(p - *xml), *xml, to,
	         p + strlen(from));
	free(*xml);
	*xml = n;
}

static void edit_value(char **xml)
{
	replace(xml, "Anna Andersson", "Eve Evil");
}

/* Wrapping: an unsigned evil assertion beside the signed one. */
static void edit_wrap(char **xml)
{
	const char *a = strstr(*xml, "<saml:Assertion"), *e = strstr(*xml, "</saml:Assertion>");
	char *copy, *evil;
	size_t n;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(e);
	n = (size_t)(e - a) + strlen("</saml:Assertion>");
	copy = strndup(a, n);
	evil = malloc(2 * n + 64);
	snprintf(evil, 2 * n + 64, "%s%s", copy, copy);
	replace(xml, copy, evil);
	free(copy);
	free(evil);
}

/* Wrapping: the signed assertion moved into the Response's Extensions, an evil one in its place. */
static void edit_wrap_extensions(char **xml)
{
	const char *a = strstr(*xml, "<saml:Assertion"), *e = strstr(*xml, "</saml:Assertion>");
	char *signed_a, *evil, *moved;
	size_t n;

	n = (size_t)(e - a) + strlen("</saml:Assertion>");
	signed_a = strndup(a, n);
	moved = malloc(2 * n + 128);
	snprintf(moved, 2 * n + 128, "<samlp:Extensions>%s</samlp:Extensions>%s", signed_a, signed_a);
	replace(xml, signed_a, moved);
	evil = strdup(signed_a);
	free(signed_a);
	free(moved);
	free(evil);
}

static void edit_bomb(char **xml)
{
	char *p = strstr(*xml, "<samlp:Response");
	char *n = malloc(strlen(*xml) + 512);

	ck_assert_ptr_nonnull(p);
	snprintf(n, strlen(*xml) + 512, "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>%s", p);
	free(*xml);
	*xml = n;
}

static void edit_audience(char **xml)
{
	replace(xml, "<saml:Audience>" HUB_SP "</saml:Audience>", "<saml:Audience>https://other.example.se/sp</saml:Audience>");
}

START_TEST(tampered_response_is_refused)
{
	post_edited(edit_value, 403, "refused");
}
END_TEST

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/*
 * lasso's IdP always signs its assertion: for a Response signed alone,
 * take the assertion's signature out of one it sent unsigned and sign
 * the Response with the IdP's key (xsig, as the hub signs its own).
 */
static void edit_sign_response_only(char **xml)
{
	BIO *bio = BIO_new_mem_buf(idp_a.key_pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	xmlDocPtr doc = xmlReadMemory(*xml, (int)strlen(*xml), NULL, NULL, XML_PARSE_NONET);
	xmlNodePtr root = xmlDocGetRootElement(doc), a, sig = NULL;
	struct xsig_key k;
	struct tl_err err;
	xmlChar *out = NULL;
	int n = 0;

	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_nonnull(root);
	for (a = root->children; a != NULL && !(a->type == XML_ELEMENT_NODE && xmlStrEqual(a->name, BAD_CAST "Assertion"));
	     a = a->next)
		;
	ck_assert_ptr_nonnull(a);
	for (sig = a->children; sig != NULL && !(sig->type == XML_ELEMENT_NODE && xmlStrEqual(sig->name, BAD_CAST "Signature"));
	     sig = sig->next)
		;
	ck_assert_ptr_nonnull(sig);
	xmlUnlinkNode(sig);
	xmlFreeNode(sig);
	ck_assert_int_eq(xsig_key_init(&k, pk, 1, &err), TL_OK);
	ck_assert_int_eq(xsig_sign(root, &k, &err), TL_OK);
	xmlDocDumpMemory(doc, &out, &n);
	free(*xml);
	*xml = strdup((const char *)out);
	xmlFree(out);
	xmlFreeDoc(doc);
	xsig_key_done(&k);
	BIO_free(bio);
}

/* The IdP's response XML (as peer_idp_respond's *xml_out) as the body of a POST to the ACS (malloc'd). */
static char *acs_body(const char *xml)
{
	char *b64 = util_base64((const unsigned char *)xml, strlen(xml)), *enc = util_url_encode(b64), *nb;

	nb = malloc(strlen(enc) + 32);
	snprintf(nb, strlen(enc) + 32, "SAMLResponse=%s", enc);
	free(b64);
	free(enc);
	return nb;
}

static void edit_response_only_then_value(char **xml)
{
	edit_sign_response_only(xml);
	edit_value(xml);
}

/*
 * An IdP may sign the assertion, the Response (which covers its assertion:
 * the hub then checks only that signature) or both; each is accepted as
 * sent and refused once changed.  sign: 1 the assertion (lasso), 3 both
 * (lasso), 2 the Response (made from 1 here).
 */
START_TEST(each_signature_pattern_is_checked)
{
	for (int sign = 1; sign <= 3; sign++) {
		char *q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A), *body, *xml;
		struct result r;

		ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, sign == 2 ? 1 : sign, &body,
		                                  &xml), 0);
		if (sign == 2) {
			edit_sign_response_only(&xml);
			ck_assert_msg(strstr(xml, "</saml:Issuer><ds:Signature") != NULL, "%s", xml);
			free(body);
			body = acs_body(xml);
		}
		/* start and end tags: one signature, or two */
		ck_assert_msg(count(xml, "SignatureValue>") == (sign == 3 ? 4 : 2), "sign %d: %d", sign,
		              count(xml, "SignatureValue>"));
		acs_to_sp(&sp1, body, &r);
		ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
		ck_assert_msg(has_line(r.attrs, OID_MAIL "=anna@kommun-a.example.se"), "%s", r.attrs);
		result_free(&r);
		free(q);
		free(body);
		free(xml);
		post_edited_signed(sign == 2 ? edit_response_only_then_value : edit_value, sign == 2 ? 1 : sign, 403,
		                   "signature");
	}
}
END_TEST

START_TEST(signature_wrapping_is_refused)
{
	post_edited(edit_wrap, 400, "exactly one is accepted");
	post_edited(edit_wrap_extensions, 400, "exactly one is accepted");
}
END_TEST

START_TEST(xml_bomb_in_a_response_is_refused)
{
	post_edited(edit_bomb, 400, "refused");
}
END_TEST

START_TEST(response_for_another_audience_is_refused)
{
	/* the IdP signed it for another audience: the signature holds, the audience does not */
	post_edited(edit_audience, 403, "refused");
}
END_TEST

START_TEST(expired_response_is_refused)
{
	char *q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A), *body, now[32];
	struct hub_response rs;

	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	/* 20 minutes later: the assertion (5 minutes + 3 of skew) is over, the login (30) is not */
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL) + 1200);
	setenv("TILLIT_NOW", now, 1);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	unsetenv("TILLIT_NOW");
	ck_assert_msg(rs.status == 403, "%u %s", rs.status, rs.body);
	ck_assert_ptr_nonnull(strstr(rs.body, "expired"));
	hub_response_free(&rs);
	free(q);
	free(body);
}
END_TEST

START_TEST(unsolicited_response_is_refused)
{
	LassoLogin *login = lasso_login_new(idp_a.server);
	struct hub_response rs;
	char *body, *enc, t1[32], t2[32], t3[32];
	time_t now = time(NULL);

	/* IdP-initiated: no request of the hub's is answered */
	ck_assert_int_eq(lasso_login_init_idp_initiated_authn_request(login, HUB_SP), 0);
	ck_assert_int_eq(lasso_login_process_authn_request_msg(login, NULL), 0);
	ck_assert_int_eq(lasso_login_validate_request_msg(login, TRUE, TRUE), 0);
	strftime(t1, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	snprintf(t2, 32, "%s", t1);
	now += 300;
	strftime(t3, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	ck_assert_int_eq(lasso_login_build_assertion(login, PPT, t1, NULL, t2, t3), 0);
	ck_assert_int_eq(lasso_login_build_authn_response_msg(login), 0);
	enc = util_url_encode(LASSO_PROFILE(login)->msg_body);
	body = malloc(strlen(enc) + 32);
	snprintf(body, strlen(enc) + 32, "SAMLResponse=%s", enc);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_uint_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(rs.body, "unsolicited"));
	hub_response_free(&rs);
	lasso_login_destroy(login);
	free(enc);
	free(body);
}
END_TEST

START_TEST(higher_assurance_than_certified_gets_no_authn_context)
{
	struct result r;
	char *url, *body, *id;
	struct hub_response rs;

	/* se-eid owns loa3 and no member IdP is certified for it: the hub answers at once */
	ck_assert_int_eq(peer_sp_request(&sp1, HUB_IDP, 0, NULL, LOA3, NULL, &url, &body, &id), 0);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_msg(rs.status == 200, "%u %s", rs.status, rs.body);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(peer_sp_accept(&sp1, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Responder");
	ck_assert_str_eq(r.status2, "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext");
	ck_assert_str_eq(r.attrs, "");
	result_free(&r);
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
	/* the IdP claims loa3 unasked: not certified, so the service is told nothing about it */
	login(&sp1, &idp_a, ATTRS_A, NULL, LOA3, &r);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	ck_assert_str_eq(r.cls, "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified");
	result_free(&r);
	/* the service asks for a method class; the IdP answers with loa3 instead: NoAuthnContext */
	login(&sp1, &idp_a, ATTRS_A, PPT, LOA3, &r);
	ck_assert_str_eq(r.status2, "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext");
	result_free(&r);
	/* a class the IdP may state (no framework owns it) passes when asked for */
	login(&sp1, &idp_a, ATTRS_A, PPT, PPT, &r);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	ck_assert_str_eq(r.cls, PPT);
	result_free(&r);
}
END_TEST

/* The first answer of the hub to sp's request for cls under cmp: where it went (IdP a or b), or its SAML error. */
static void first_answer(const char *cmp, const char *cls, const char *expect)
{
	char *url, *body, *id;
	struct hub_response rs;

	sp2.comparison = cmp;
	ck_assert_int_eq(peer_sp_request(&sp2, HUB_IDP, 0, NULL, cls, NULL, &url, &body, &id), 0);
	sp2.comparison = NULL;
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	if (strcmp(expect, "NoAuthnContext") == 0) {
		struct result r;
		ck_assert_msg(rs.status == 200, "%s %s: %u %s", cmp, cls, rs.status, rs.body);
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(peer_sp_accept(&sp2, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
		ck_assert_str_eq(r.status2, "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext");
		result_free(&r);
	} else {
		char sso[600];
		snprintf(sso, sizeof(sso), "%s/sso?", strcmp(expect, IDP_A) == 0 ? idp_a.url : idp_b.url);
		ck_assert_msg(rs.status == 302 && rs.location != NULL && strncmp(rs.location, sso, strlen(sso)) == 0,
		              "%s %s: %u to %s", cmp, cls, rs.status, rs.location ? rs.location : "(none)");
	}
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
}

START_TEST(comparison_picks_the_idps_that_can_meet_it)
{
	struct result r;
	char *q, *body;

	/* IdP b is certified for l2 only (l2 < l3 < l4), IdP a for nothing: the one that fits gets no page */
	first_answer("exact", TL2, IDP_B);
	first_answer("minimum", TL2, IDP_B);
	first_answer("exact", TL3, "NoAuthnContext");
	first_answer("minimum", TL3, "NoAuthnContext");
	/* better than l2 needs l3 or l4: nobody can, so nobody is asked */
	first_answer("better", TL2, "NoAuthnContext");
	/* at most l3 (or l4): l2 will do */
	first_answer("maximum", TL3, IDP_B);
	first_answer("maximum", TL4, IDP_B);
	/* and the login goes through with the class IdP b states */
	sp2.comparison = "maximum";
	q = to_idp(&sp2, 0, "relay-1", TL3, NULL, IDP_B);
	sp2.comparison = NULL;
	ck_assert_int_eq(peer_idp_respond(&idp_b, q, ATTRS_A, "user-anna", TL2, 3, &body, NULL), 0);
	acs_to_sp(&sp2, body, &r);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	ck_assert_str_eq(r.cls, TL2);
	result_free(&r);
	free(q);
	free(body);
}
END_TEST

static void sso_bad(const char *method, const char *query, const char *body, unsigned status,
                    const char *why)
{
	struct hub_response rs;
	size_t states = sso_count(STORE_DB_SSO_STATE), replay = sso_count(STORE_DB_SSO_REPLAY);

	call(HUB_SSO, method, query, body, NULL, &rs);
	ck_assert_msg(rs.status == status, "status %u, wanted %u: %s", rs.status, status, rs.body);
	ck_assert_msg(strstr(rs.body, why) != NULL, "page lacks '%s': %s", why, rs.body);
	ck_assert_ptr_null(rs.location);
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_STATE), states);
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_REPLAY), replay);
	hub_response_free(&rs);
}

START_TEST(bad_requests_are_refused_and_leave_nothing)
{
	char big[SAML_FIELD_MAX + 64];
	char *deflated, *b64, *enc, q[1024];
	static const char bomb[] =
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
		"<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\" Version=\"2.0\">&b;</samlp:AuthnRequest>";

	sso_bad("GET", "SAMLRequest=%%%%", NULL, 400, "percent-encoding");
	sso_bad("GET", "SAMLRequest=!!!!notbase64", NULL, 400, "not valid base64");
	sso_bad("GET", "SAMLRequest=AAAAAAAAAAAA", NULL, 400, "DEFLATE");
	sso_bad("GET", NULL, NULL, 400, "no SAMLRequest");
	sso_bad("GET", "SAMLRequest=AAAA&SAMLEncoding=urn%3Aexample%3Agzip", NULL, 400, "SAMLEncoding");
	sso_bad("GET", "SAMLResponse=AAAA", NULL, 400, "SAMLResponse was sent");
	memset(big, 'A', sizeof(big));
	memcpy(big, "SAMLRequest=", 12);
	big[sizeof(big) - 1] = '\0';
	sso_bad("POST", NULL, big, 413, "too long");
	/* an XML bomb, POST binding */
	b64 = util_base64((const unsigned char *)bomb, strlen(bomb));
	enc = util_url_encode(b64);
	snprintf(q, sizeof(q), "SAMLRequest=%s", enc);
	sso_bad("POST", NULL, q, 400, "refused");
	free(b64);
	free(enc);
	/* a well-formed request from a service the federation does not know, POST */
	{
		char *url, *body, *id;
		ck_assert_int_eq(peer_sp_request(&sp4, HUB_IDP, 1, NULL, NULL, NULL, &url, &body, &id), 0);
		sso_bad("POST", NULL, body, 403, "not registered");
		free(url);
		free(body);
		free(id);
	}
	(void)deflated;
}
END_TEST

START_TEST(request_replay_is_refused)
{
	char *url, *body, *id;
	struct hub_response rs;

	ck_assert_int_eq(peer_sp_request(&sp1, HUB_IDP, 0, NULL, NULL, IDP_A, &url, &body, &id), 0);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 302);
	hub_response_free(&rs);
	call(HUB_SSO, "GET", strchr(url, '?') + 1, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(rs.body, "already used"));
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
}
END_TEST

/* The audit records about service sp (a new array). */
static json_t *audit_of(const char *sp)
{
	struct store_txn txn;
	struct tl_err err;
	json_t *list = NULL;

	ck_assert_int_eq(store_txn_begin(fx.ctx.store, &txn, 1, &err), TL_OK);
	ck_assert_int_eq(audit_list(&txn, sp, &list, &err), TL_OK);
	store_abort(&txn);
	return list;
}

START_TEST(login_is_audited_with_attribute_names)
{
	struct result r;
	struct tl_err err;
	json_t *list, *last;
	size_t before, n = 0;
	char *s;

	list = audit_of(SP2);
	before = json_array_size(list);
	json_decref(list);
	/* batched (login_audit_batch_ms): written by the audit writer a moment later */
	login(&sp2, &idp_a, ATTRS_A, NULL, PPT, &r);
	result_free(&r);
	for (int i = 0; i < 500 && n <= before; i++) {
		struct timespec ts = { 0, 20000000L };
		nanosleep(&ts, NULL);
		list = audit_of(SP2);
		n = json_array_size(list);
		json_decref(list);
	}
	ck_assert_uint_eq(n, before + 1);
	list = audit_of(SP2);
	last = json_array_get(list, json_array_size(list) - 1);
	ck_assert_str_eq(json_string_value(json_object_get(last, "action")), "sso.login");
	s = json_dumps(json_object_get(last, "details"), JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(strstr(s, "\"attributes\":[\"mail\",\"displayName\"]") != NULL ||
	              strstr(s, "\"attributes\":[\"displayName\",\"mail\"]") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "Anna") == NULL, "values must not be logged: %s", s);
	free(s);
	json_decref(list);
	/* login_audit_batch_ms 0: in the store before the assertion leaves the hub */
	hub_close(hub);
	fx.ctx.conf.login_audit_batch_ms = 0;
	ck_assert_msg(hub_open(&hub, &fx.ctx, &err) == TL_OK, "%s", err.msg);
	login(&sp2, &idp_a, ATTRS_A, NULL, PPT, &r);
	result_free(&r);
	list = audit_of(SP2);
	ck_assert_uint_eq(json_array_size(list), before + 2);
	json_decref(list);
	fx.ctx.conf.login_audit_batch_ms = 200;
}
END_TEST

/* An unsigned AuthnRequest from sp2 (HTTP-Redirect) with the given attributes, as a query (malloc'd). */
/* Request IDs unique across the tests' processes (each forks from the same parent). */
static int crafted_n;

static char *crafted_request_ex(const char *extra, const char *inner, const char *destination,
                                time_t issued, const char *scope)
{
	char xml[2048], when[32], scoping[512] = "", *b64, *enc, *q;
	size_t n;

	util_time_iso(issued, when, sizeof(when));
	if (scope != NULL)
		snprintf(scoping, sizeof(scoping), "<samlp:Scoping><samlp:IDPList><samlp:IDPEntry ProviderID=\"%s\"/>"
		                                   "</samlp:IDPList></samlp:Scoping>", scope);
	n = (size_t)snprintf(xml, sizeof(xml),
	                     "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
	                     "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_c%ld_%d\" Version=\"2.0\" "
	                     "IssueInstant=\"%s\" Destination=\"%s\" %s><saml:Issuer>" SP2 "</saml:Issuer>%s"
	                     "%s</samlp:AuthnRequest>",
	                     (long)issued, (int)getpid() * 1000 + crafted_n++, when, destination, extra, inner,
	                     scoping);
	/* the POST binding's form: base64 of the XML */
	b64 = util_base64((const unsigned char *)xml, n);
	enc = util_url_encode(b64);
	n = strlen(enc) + 32;
	q = malloc(n);
	snprintf(q, n, "SAMLRequest=%s", enc);
	free(b64);
	free(enc);
	return q;
}

static char *crafted_request(const char *extra, const char *inner, const char *destination, time_t issued)
{
	return crafted_request_ex(extra, inner, destination, issued, IDP_A);
}

START_TEST(hidden_idps_are_not_listed)
{
	struct peer idp_c;
	/* it shares IdP a's scope: the hub's metadata lists that scope once */
	struct peer_opts oc = { .categories = "http://refeds.org/category/hide-from-discovery",
	                        .name_sv = "Kommun C", .name_en = "Municipality C", .scope = "kommun-a.example.se" };
	struct hub_response rs;
	char *q, query[512], *md;

	ck_assert_int_eq(peer_make(&idp_c, 1, "https://idp.kommun-c.example.se/idp",
	                           "https://idp.kommun-c.example.se", fx.dir, &oc, NULL), 0);
	register_entity("kommun-b", &idp_c);
	md = hub_get(HUB_IDP_METADATA);
	ck_assert_int_eq(count(md, "<shibmd:Scope regexp=\"false\">kommun-a.example.se</shibmd:Scope>"), 1);
	ck_assert_int_eq(count(md, "<shibmd:Scope regexp=\"false\">kommun-b.example.se</shibmd:Scope>"), 1);
	ck_assert_int_eq(count(md, "<shibmd:Scope "), 2);
	free(md);
	q = crafted_request_ex("", "", BASE "/idp/sso", time(NULL), NULL);
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, BASE "/ds?state=", strlen(BASE "/ds?state=")) == 0, "%s", rs.location);
	snprintf(query, sizeof(query), "state=%s", rs.location + strlen(BASE "/ds?state="));
	hub_response_free(&rs);
	call(HUB_DS, "GET", query, NULL, NULL, &rs);
	ck_assert_uint_eq(rs.status, 200);
	ck_assert_ptr_nonnull(strstr(rs.body, "value=\"" IDP_A "\""));
	ck_assert_ptr_nonnull(strstr(rs.body, "value=\"" IDP_B "\""));
	ck_assert_msg(strstr(rs.body, "kommun-c") == NULL && strstr(rs.body, "Kommun C") == NULL,
	              "a hide-from-discovery IdP is listed");
	hub_response_free(&rs);
	free(q);
	/* still a member IdP: a service may name it */
	q = crafted_request_ex("", "", BASE "/idp/sso", time(NULL), "https://idp.kommun-c.example.se/idp");
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, "https://idp.kommun-c.example.se/sso?", 36) == 0, "%s", rs.location);
	hub_response_free(&rs);
	free(q);
	peer_free(&idp_c);
}
END_TEST

START_TEST(upstream_request_carries_the_service_request)
{
	char *q, *b64, *z, *xml, *body = NULL;
	size_t zn, n;
	struct hub_response rs;
	struct tl_err err;
	int bad = 0;

	q = crafted_request_ex("ForceAuthn=\"true\" IsPassive=\"true\"",
	                       "<samlp:RequestedAuthnContext Comparison=\"minimum\"><saml:AuthnContextClassRef>"
	                       PPT "</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>",
	                       BASE "/idp/sso", time(NULL), IDP_A);
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, "https://idp.kommun-a.example.se/sso?SAMLRequest=", 48) == 0, "%s",
	              rs.location);
	ck_assert_ptr_nonnull(strstr(rs.location, "&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="));
	b64 = saml_field(strchr(rs.location, '?') + 1, strlen(strchr(rs.location, '?') + 1), "SAMLRequest", 1 << 20, &bad);
	ck_assert_ptr_nonnull(b64);
	ck_assert_int_eq(saml_base64_decode(b64, strlen(b64), 1 << 20, &z, &zn, &err), TL_OK);
	ck_assert_int_eq(saml_inflate((const unsigned char *)z, zn, 1 << 20, &xml, &n, &err), TL_OK);
	ck_assert_ptr_nonnull(strstr(xml, "Destination=\"https://idp.kommun-a.example.se/sso\""));
	ck_assert_ptr_nonnull(strstr(xml, "AssertionConsumerServiceURL=\"" BASE "/sp/acs\""));
	ck_assert_ptr_nonnull(strstr(xml, "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\""));
	ck_assert_ptr_nonnull(strstr(xml, "ForceAuthn=\"true\""));
	ck_assert_ptr_nonnull(strstr(xml, "IsPassive=\"true\""));
	ck_assert_ptr_nonnull(strstr(xml, "<saml:Issuer>" BASE "/sp/metadata</saml:Issuer>"));
	ck_assert_ptr_nonnull(strstr(xml, "<samlp:RequestedAuthnContext Comparison=\"minimum\"><saml:AuthnContextClassRef>"
	                                  PPT "</saml:AuthnContextClassRef>"));
	/* and the IdP (lasso, which checks the signature) takes it */
	ck_assert_int_eq(peer_idp_respond(&idp_a, strchr(rs.location, '?') + 1, ATTRS_A, "user-anna", PPT, 3,
	                                  &body, NULL), 0);
	free(body);
	body = NULL;
	{
		/* a changed request does not verify at the IdP: the signature covers what was sent */
		char *t = strdup(strchr(rs.location, '?') + 1);
		t[20] = t[20] == 'A' ? 'B' : 'A'; /* inside the SAMLRequest's base64 */
		ck_assert_int_ne(peer_idp_respond(&idp_a, t, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
		free(body);
		free(t);
	}
	free(b64);
	free(z);
	free(xml);
	free(q);
	hub_response_free(&rs);
}
END_TEST

START_TEST(passive_requests_get_no_page)
{
	char *q;
	struct hub_response rs;
	struct result r;

	/* two IdPs fit sp2 and the user never chose: NoPassive, not the discovery page */
	q = crafted_request_ex("IsPassive=\"true\"", "", BASE "/idp/sso", time(NULL), NULL);
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 200, "%u %s", rs.status, rs.body);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(peer_sp_accept(&sp2, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Responder");
	ck_assert_str_eq(r.status2, "urn:oasis:names:tc:SAML:2.0:status:NoPassive");
	result_free(&r);
	hub_response_free(&rs);
	free(q);
	/* the IdP chosen last (the discovery cookie) is used without a page, passively */
	q = crafted_request_ex("IsPassive=\"true\"", "", BASE "/idp/sso", time(NULL), NULL);
	call(HUB_SSO, "POST", NULL, q, "tillit_idp=https%3A%2F%2Fidp.kommun-b.example.se%2Fidp", &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, "https://idp.kommun-b.example.se/sso?", 36) == 0, "%s", rs.location);
	hub_response_free(&rs);
	free(q);
	/* not passive: the discovery page */
	q = crafted_request_ex("", "", BASE "/idp/sso", time(NULL), NULL);
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	ck_assert_msg(strncmp(rs.location, BASE "/ds?state=", strlen(BASE "/ds?state=")) == 0, "%s", rs.location);
	hub_response_free(&rs);
	free(q);
}
END_TEST

START_TEST(requests_the_hub_checks_itself)
{
	char *q;
	struct hub_response rs;

	/* the good one, to show the others fail for their reason */
	q = crafted_request("", "", BASE "/idp/sso", time(NULL));
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	hub_response_free(&rs);
	free(q);
	/* misaddressed */
	q = crafted_request("", "", "https://other.example.se/sso", time(NULL));
	sso_bad("POST", NULL, q, 400, "Destination");
	free(q);
	/* too old, and from the future */
	q = crafted_request("", "", BASE "/idp/sso", time(NULL) - 3600);
	sso_bad("POST", NULL, q, 400, "too old");
	free(q);
	q = crafted_request("", "", BASE "/idp/sso", time(NULL) + 3600);
	sso_bad("POST", NULL, q, 400, "in the future");
	free(q);
	/* an ACS that is not in the service's metadata: never an open redirect */
	q = crafted_request("AssertionConsumerServiceURL=\"https://evil.example.org/acs\" "
	                    "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"", "",
	                    BASE "/idp/sso", time(NULL));
	sso_bad("POST", NULL, q, 400, "AssertionConsumerService");
	free(q);
	q = crafted_request("AssertionConsumerServiceIndex=\"7\"", "", BASE "/idp/sso", time(NULL));
	sso_bad("POST", NULL, q, 400, "AssertionConsumerService");
	free(q);
	/* a NameID format the hub does not issue: a SAML error to the service */
	q = crafted_request("", "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\"/>",
	                    BASE "/idp/sso", time(NULL));
	call(HUB_SSO, "POST", NULL, q, NULL, &rs);
	ck_assert_msg(rs.status == 200, "%u %s", rs.status, rs.body);
	{
		struct result r;
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(peer_sp_accept(&sp2, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
		ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Requester");
		ck_assert_str_eq(r.status2, "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy");
		result_free(&r);
	}
	hub_response_free(&rs);
	free(q);
}
END_TEST

START_TEST(signatures_of_requests)
{
	char *url, *body, *id, *cut, *sig;
	struct hub_response rs;

	/* sp1 says AuthnRequestsSigned: without its signature it is refused */
	ck_assert_int_eq(peer_sp_request(&sp1, HUB_IDP, 0, NULL, NULL, IDP_A, &url, &body, &id), 0);
	cut = strdup(strchr(url, '?') + 1);
	ck_assert_ptr_nonnull(strstr(cut, "&SigAlg="));
	*strstr(cut, "&SigAlg=") = '\0';
	sso_bad("GET", cut, NULL, 403, "must sign");
	/* a signature that does not verify */
	free(cut);
	cut = strdup(strchr(url, '?') + 1);
	sig = strstr(cut, "&Signature=") + 11;
	/* a letter of the base64 itself, not of a %XX escape, so that it still decodes */
	for (sig += 4; !isalpha((unsigned char)*sig) || sig[-1] == '%' || sig[-2] == '%'; sig++)
		;
	*sig = *sig == 'A' ? 'B' : 'A';
	sso_bad("GET", cut, NULL, 403, "does not verify");
	free(cut);
	free(url);
	free(body);
	free(id);
	/* the POST binding's signature (lasso verifies it): a changed request fails */
	ck_assert_int_eq(peer_sp_request(&sp1, HUB_IDP, 1, NULL, NULL, IDP_A, &url, &body, &id), 0);
	{
		struct tl_err err;
		int bad = 0;
		char *b64 = saml_field(body, strlen(body), "SAMLRequest", SAML_FIELD_MAX, &bad), *xml, *p;
		char *nb64, *enc, *nbody;
		size_t n;
		ck_assert_int_eq(saml_base64_decode(b64, strlen(b64), 1 << 20, &xml, &n, &err), TL_OK);
		p = strstr(xml, "IssueInstant=\"");
		ck_assert_ptr_nonnull(p);
		p += strlen("IssueInstant=\"2026-12-01T10:00:0"); /* the last digit of the seconds */
		*p = *p == '0' ? '1' : '0';
		nb64 = util_base64((const unsigned char *)xml, n);
		enc = util_url_encode(nb64);
		n = strlen(enc) + 32;
		nbody = malloc(n);
		snprintf(nbody, n, "SAMLRequest=%s", enc);
		sso_bad("POST", NULL, nbody, 403, "signature");
		free(b64);
		free(xml);
		free(nb64);
		free(enc);
		free(nbody);
	}
	call(HUB_SSO, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 302, "%u %s", rs.status, rs.body);
	hub_response_free(&rs);
	free(url);
	free(body);
	free(id);
}
END_TEST

/* xml is exactly its own exclusive canonical form (what the hub signs without parsing). */
static void assert_canonical(const char *xml, size_t n)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)n, NULL, NULL, XML_PARSE_NONET);
	xmlChar *c14n = NULL;
	int len;

	ck_assert_ptr_nonnull(doc);
	len = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &c14n);
	ck_assert_int_gt(len, 0);
	ck_assert_msg((size_t)len == n && memcmp(c14n, xml, n) == 0, "not canonical:\n%s\nc14n:\n%s", xml,
	              (const char *)c14n);
	xmlFree(c14n);
	xmlFreeDoc(doc);
}

START_TEST(responses_are_written_in_canonical_form)
{
	const char *attrs = OID_MAIL "=a&b<c>@kommun-a.example.se\n" OID_DISPLAY "=\u00c5sa \"Q\" 'x' & <y>\tz\n";
	struct hub_response rs;
	struct result r;
	char *q, *body, *xml;
	size_t n;

	/* in the clear (sp2 has no encryption key) */
	q = to_idp(&sp2, 0, "relay-c", NULL, IDP_A, IDP_A);
	ck_assert_int_eq(peer_idp_respond(&idp_a, q, attrs, "user-\u00e5sa", NULL, 3, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 200, "%u %s", rs.status, rs.body);
	xml = response_xml(&rs, &n);
	ck_assert_ptr_nonnull(strstr(xml, "\u00c5sa \"Q\" 'x' &amp; &lt;y&gt;\tz"));
	assert_canonical(xml, n);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(peer_sp_accept(&sp2, rs.body, &r.status, &r.status2, &r.attrs, &r.name_id, &r.cls), 0);
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	ck_assert_msg(strstr(r.attrs, "\u00c5sa \"Q\" 'x' & <y>\tz") != NULL, "%s", r.attrs);
	result_free(&r);
	free(xml);
	free(q);
	free(body);
	hub_response_free(&rs);
	/* encrypted (sp1): the Response around the EncryptedAssertion */
	q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A);
	ck_assert_int_eq(peer_idp_respond(&idp_a, q, attrs, "user-\u00e5sa", NULL, 3, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 200, "%u %s", rs.status, rs.body);
	xml = response_xml(&rs, &n);
	ck_assert_ptr_nonnull(strstr(xml, "EncryptedAssertion"));
	assert_canonical(xml, n);
	free(xml);
	free(q);
	free(body);
	hub_response_free(&rs);
}
END_TEST

/* SignatureValues and plain assertions in the hub's Response to sp (no encryption key) for a login at IdP a. */
static void signatures_for(struct peer *sp, int *sigs, int *assertions)
{
	struct result r;
	char *q, *body, *xml;

	q = to_idp(sp, 0, NULL, NULL, IDP_A, IDP_A);
	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", NULL, 3, &body, NULL), 0);
	/* lasso, as the service, takes it either way */
	acs_to_sp_xml(sp, body, &r, &xml);
	*sigs = count(xml, "<ds:SignatureValue>");
	*assertions = count(xml, "<saml:Assertion ");
	ck_assert_str_eq(r.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
	ck_assert_msg(has_line(r.attrs, OID_MAIL "=anna@kommun-a.example.se"), "%s", r.attrs);
	result_free(&r);
	free(xml);
	free(q);
	free(body);
}

START_TEST(assertions_signed_as_configured)
{
	int sigs, assertions;

	/* sign_assertions = yes (the default): Response and assertion, whatever the metadata says */
	signatures_for(&sp6, &sigs, &assertions);
	ck_assert_int_eq(assertions, 1);
	ck_assert_int_eq(sigs, 2);
	/* no: only the Response, unless the service's metadata says WantAssertionsSigned */
	fx.ctx.conf.sign_assertions = 0;
	signatures_for(&sp6, &sigs, &assertions);
	ck_assert_int_eq(assertions, 1);
	ck_assert_int_eq(sigs, 1);
	signatures_for(&sp2, &sigs, &assertions);
	ck_assert_int_eq(assertions, 1);
	ck_assert_int_eq(sigs, 2);
}
END_TEST

START_TEST(assertions_encrypted_for_services_with_a_key)
{
	struct hub_response rs;
	char *q, *body, *xml;
	size_t n;

	q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A);
	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_uint_eq(rs.status, 200);
	xml = response_xml(&rs, &n);
	ck_assert_ptr_nonnull(strstr(xml, "EncryptedAssertion"));
	ck_assert_ptr_null(strstr(xml, "anna@kommun-a.example.se")); /* nothing in the clear */
	ck_assert_ptr_nonnull(strstr(xml, "rsa-sha256"));
	free(xml);
	free(q);
	free(body);
	hub_response_free(&rs);
	/* sp2 has no encryption key: signed, in the clear */
	q = to_idp(&sp2, 0, NULL, NULL, IDP_A, IDP_A);
	ck_assert_int_eq(peer_idp_respond(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	xml = response_xml(&rs, &n);
	ck_assert_ptr_null(strstr(xml, "EncryptedAssertion"));
	ck_assert_ptr_nonnull(strstr(xml, "<saml:Audience>" SP2 "</saml:Audience>"));
	free(xml);
	free(q);
	free(body);
	hub_response_free(&rs);
}
END_TEST

START_TEST(signed_response_for_another_service_is_refused)
{
	char *q = to_idp(&sp1, 0, NULL, NULL, IDP_A, IDP_A), *body;
	struct hub_response rs;
	size_t states = sso_count(STORE_DB_SSO_STATE);

	/* validly signed by the IdP, but for another audience */
	ck_assert_int_eq(peer_idp_respond_for(&idp_a, q, ATTRS_A, "user-anna", PPT, 3, SP2, &body, NULL), 0);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 403, "%u %s", rs.status, rs.body);
	ck_assert_ptr_nonnull(strstr(rs.body, "audience"));
	ck_assert_uint_eq(sso_count(STORE_DB_SSO_STATE), states);
	hub_response_free(&rs);
	free(q);
	free(body);
}
END_TEST

START_TEST(response_of_a_suspended_idp_is_refused)
{
	char *q = to_idp(&sp1, 0, NULL, NULL, IDP_B, IDP_B), *body;
	struct hub_response rs;
	json_t *o = NULL;
	struct tl_err err;

	ck_assert_int_eq(peer_idp_respond(&idp_b, q, ATTRS_A, "user-anna", PPT, 3, &body, NULL), 0);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, IDP_B, REG_SUSPEND, "test", NULL, &o, &err), TL_OK);
	json_decref(o);
	call(HUB_ACS, "POST", NULL, body, NULL, &rs);
	ck_assert_msg(rs.status == 403, "%u %s", rs.status, rs.body);
	ck_assert_ptr_nonnull(strstr(rs.body, "suspended"));
	hub_response_free(&rs);
	ck_assert_int_eq(reg_entity_decide(&fx.ctx, IDP_B, REG_REINSTATE, NULL, NULL, &o, &err), TL_OK);
	json_decref(o);
	free(q);
	free(body);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hub");
	TCase *tc = tcase_create("sso");
	int rc;

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, metadata_of_the_hub);
	tcase_add_test(tc, login_releases_the_entitled_attributes);
	tcase_add_test(tc, persistent_ids_are_stable_and_per_service);
	tcase_add_test(tc, entity_category_bundle_within_the_agreement);
	tcase_add_test(tc, post_binding_and_relay_state);
	tcase_add_test(tc, discovery_when_two_idps_fit);
	tcase_add_test(tc, discovery_protocol);
	tcase_add_test(tc, unknown_and_suspended_services_are_refused);
	tcase_add_test(tc, replayed_response_is_refused);
	tcase_add_test(tc, tampered_response_is_refused);
	tcase_add_test(tc, each_signature_pattern_is_checked);
	tcase_add_test(tc, signature_wrapping_is_refused);
	tcase_add_test(tc, xml_bomb_in_a_response_is_refused);
	tcase_add_test(tc, response_for_another_audience_is_refused);
	tcase_add_test(tc, expired_response_is_refused);
	tcase_add_test(tc, unsolicited_response_is_refused);
	tcase_add_test(tc, higher_assurance_than_certified_gets_no_authn_context);
	tcase_add_test(tc, comparison_picks_the_idps_that_can_meet_it);
	tcase_add_test(tc, metadata_is_signed_by_the_federation);
	tcase_add_test(tc, assertions_signed_as_configured);
	tcase_add_test(tc, bad_requests_are_refused_and_leave_nothing);
	tcase_add_test(tc, request_replay_is_refused);
	tcase_add_test(tc, login_is_audited_with_attribute_names);
	tcase_add_test(tc, requests_the_hub_checks_itself);
	tcase_add_test(tc, passive_requests_get_no_page);
	tcase_add_test(tc, upstream_request_carries_the_service_request);
	tcase_add_test(tc, signatures_of_requests);
	tcase_add_test(tc, assertions_encrypted_for_services_with_a_key);
	tcase_add_test(tc, responses_are_written_in_canonical_form);
	tcase_add_test(tc, signed_response_for_another_service_is_refused);
	tcase_add_test(tc, response_of_a_suspended_idp_is_refused);
	tcase_add_test(tc, hidden_idps_are_not_listed); /* last: it adds an IdP */
	suite_add_tcase(s, tc);
	rc = tlt_run(s);
	return rc;
}
