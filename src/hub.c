/*
 * hub.c - the SSO hub's setup: keys, the two lasso servers, the provider
 * cache, the directory of member IdPs, the hub's own metadata, pages, the
 * purge thread and the route dispatcher.  The flows are in hub_sso.c.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: writers must not starve */
#include "hub_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "tillit/attr.h"
#include "tillit/audit.h"
#include "tillit/keys.h"
#include "tillit/log.h"
#include "tillit/reg.h"
#include "tillit/trust.h"
#include "tillit/xsig.h"

#define HUB_PURGE_INTERVAL 60
#define HUB_PURGE_BATCH 4096

#define HUB_NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define HUB_NAMEID_TRANSIENT "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
#define HUB_NAMEID_PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"

/* ---- global --------------------------------------------------------- */

static void hub_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
	(void)ud;
	(void)level;
	/* lasso logs CRITICAL for ordinary bad input; the hub logs its own verdict */
	log_debug("%s: %s", domain ? domain : "glib", msg ? msg : "");
}

int hub_global_init(struct tl_err *err)
{
	static const char *const domains[] = { "Lasso", "libxml2", "libxmlsec" };

	/*
	 * xmlsec's OpenSSL keys manager loads the default CA paths for every
	 * key lasso loads or encrypts with: ~25 ms each.  The hub never uses
	 * the system trust store (metadata trust is pinned keys).
	 */
	if (setenv("SSL_CERT_FILE", "/dev/null", 1) != 0 ||
	    setenv("SSL_CERT_DIR", "/nonexistent", 1) != 0)
		return tl_err_set(err, TL_EINTERNAL, "cannot set SSL_CERT_FILE");
	/*
	 * lasso and its libraries convert times through the C library's local
	 * time, which stats /etc/localtime on every call (~200 times a login)
	 * unless TZ is set; the hub works in UTC throughout.
	 */
	if (setenv("TZ", "UTC", 1) != 0)
		return tl_err_set(err, TL_EINTERNAL, "cannot set TZ");
	tzset();
	if (lasso_init() != 0)
		return tl_err_set(err, TL_EINTERNAL, "lasso failed to initialise");
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		g_log_set_handler(domains[i], G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
		                  hub_glib_log, NULL);
	/* lasso_init replaced libxml2's error handlers: ours again */
	log_route_libxml2();
	return TL_OK;
}

void hub_global_done(void)
{
	lasso_shutdown();
}

/* ---- small helpers -------------------------------------------------- */

int hub_random_hex(char *out, size_t n, struct tl_err *err)
{
	unsigned char raw[64];
	int rc;

	if (n > sizeof(raw))
		return tl_err_set(err, TL_EINTERNAL, "random value too long");
	if ((rc = util_random(raw, n, err)) != TL_OK)
		return rc;
	util_hex(raw, n, out);
	out[2 * n] = '\0';
	return TL_OK;
}

void hub_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An approved member entity's record: its approved version, or why it cannot be used. */
static int hub_entity_usable(struct store_txn *txn, const char *entity_id,
                             const unsigned char sha1[UTIL_SHA1_LEN], unsigned *version,
                             struct tl_err *err)
{
	struct store_val v;
	struct reg_head e;
	int rc;

	*version = 0;
	rc = store_get(txn, STORE_DB_ENTITIES, sha1, UTIL_SHA1_LEN, &v);
	if (rc == TL_ENOENT)
		return tl_err_set(err, TL_ENOENT, "%.200s is not registered in the federation", entity_id);
	if (rc != TL_OK)
		return tl_err_set(err, rc, "cannot read %.200s from the store", entity_id);
	if ((rc = reg_head_read(&v, &e)) != TL_OK)
		return tl_err_set(err, rc == TL_ENOMEM ? TL_ENOMEM : TL_ESTORE, "the record of %.200s is damaged",
		                  entity_id);
	*version = e.approved_version;
	if (strcmp(e.state, "approved") != 0 || *version == 0)
		rc = tl_err_set(err, TL_ESTATE, "%.200s is %s, not approved", entity_id,
		                *e.state ? e.state : "in no state");
	reg_head_free(&e);
	return rc;
}

/* The model of an approved version: the frozen one kept by trust.c when it matches, else parsed. */
static int hub_model(struct hub *h, struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                     unsigned version, const struct store_val *xml, struct mdm_entity **out,
                     struct tl_err *err)
{
	unsigned char key[UTIL_SHA1_LEN + 4], digest[UTIL_SHA256_LEN];
	struct store_val v;

	memcpy(key, sha1, UTIL_SHA1_LEN);
	store_be32(key + UTIL_SHA1_LEN, version);
	if (store_get(txn, STORE_DB_MODELS, key, sizeof(key), &v) == TL_OK && v.len > UTIL_SHA256_LEN) {
		util_sha256(xml->data, xml->len, digest);
		if (memcmp(digest, v.data, UTIL_SHA256_LEN) == 0 &&
		    mdm_thaw((const unsigned char *)v.data + UTIL_SHA256_LEN, v.len - UTIL_SHA256_LEN, out,
		             NULL) == TL_OK)
			return TL_OK;
	}
	return mdm_parse(xml->data, xml->len, &h->lim, out, err);
}

/* ---- the provider cache --------------------------------------------- */

static void hub_pentry_free(void *p)
{
	struct hub_pentry *e = p;

	if (e == NULL)
		return;
	free(e->entity_id);
	mdm_free(e->model);
	for (int i = 0; i < e->nkeys; i++)
		xsig_key_done(&e->keys[i]);
	EVP_PKEY_free(e->enc);
	free(e);
}

static int hub_pcache_init(struct hub_pcache *pc, LassoServer *server, LassoProviderRole role,
                           enum mdm_role_kind kind, size_t max, LassoKey *key, int encrypt)
{
	pthread_rwlockattr_t a;

	memset(pc, 0, sizeof(*pc));
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&pc->lock, &a);
	pthread_rwlockattr_destroy(&a);
	pc->server = server;
	pc->role = role;
	pc->kind = kind;
	pc->max = max;
	pc->signing_key = key;
	pc->encrypt = encrypt;
	pc->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, hub_pentry_free);
	return pc->entries != NULL ? TL_OK : TL_ENOMEM;
}

static void hub_pcache_done(struct hub_pcache *pc)
{
	if (pc->entries != NULL)
		g_hash_table_destroy(pc->entries);
	if (pc->server != NULL)
		lasso_server_destroy(pc->server);
	if (pc->signing_key != NULL)
		g_object_unref(pc->signing_key);
	pthread_rwlock_destroy(&pc->lock);
	memset(pc, 0, sizeof(*pc));
}

/* Drop the least recently used entry (write lock held). */
static void hub_pcache_evict(struct hub_pcache *pc)
{
	GHashTableIter it;
	gpointer k, v;
	struct hub_pentry *victim = NULL;

	g_hash_table_iter_init(&it, pc->entries);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct hub_pentry *e = v;
		if (victim == NULL || atomic_load(&e->used) < atomic_load(&victim->used))
			victim = e;
	}
	if (victim == NULL)
		return;
	g_hash_table_remove(pc->server->providers, victim->entity_id);
	g_hash_table_remove(pc->entries, victim->entity_id);
}

/* Load xml as a provider of pc (write lock held).  Takes model. */
static int hub_pcache_load(struct hub_pcache *pc, const char *entity_id, unsigned version,
                           const char *xml, struct mdm_entity *model, struct tl_err *err)
{
	struct hub_pentry *e;
	LassoProvider *p;
	int lrc;

	g_hash_table_remove(pc->server->providers, entity_id);
	g_hash_table_remove(pc->entries, entity_id);
	lrc = lasso_server_add_provider_from_buffer(pc->server, pc->role, xml, NULL, NULL);
	p = lrc == 0 ? lasso_server_get_provider(pc->server, entity_id) : NULL;
	if (p == NULL) {
		mdm_free(model);
		return tl_err_set(err, TL_EINTERNAL, "lasso cannot load the metadata of %.200s: %s",
		                  entity_id, lrc ? lasso_strerror(lrc) : "no such provider after loading");
	}
	lasso_provider_set_server_signing_key(p, pc->signing_key);
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->entity_id = strdup(entity_id)) == NULL) {
		free(e);
		mdm_free(model);
		g_hash_table_remove(pc->server->providers, entity_id);
		return tl_err_set(err, TL_ENOMEM, "out of memory loading a provider");
	}
	e->version = version;
	e->model = model;
	{
		const struct mdm_role *r = mdm_role(model, pc->kind);
		const char *certs[8];
		int n = 0;
		for (const struct mdm_key *k = r ? r->keys : NULL; k != NULL && n < 8; k = k->next)
			if (k->use != MDM_USE_ENCRYPTION && k->cert_b64 != NULL)
				certs[n++] = k->cert_b64;
		e->nkeys = xsig_keys_from_certs(certs, n, e->keys, 8);
		for (const struct mdm_key *k = r ? r->keys : NULL; k != NULL && e->enc == NULL; k = k->next) {
			if (k->use == MDM_USE_SIGNING || k->cert_b64 == NULL)
				continue;
			if ((e->enc = xsig_cert_key(k->cert_b64)) != NULL)
				for (const struct mdm_method *m = k->methods; m != NULL; m = m->next)
					e->gcm |= m->algorithm != NULL && strstr(m->algorithm, "-gcm") != NULL;
		}
	}
	atomic_store(&e->used, atomic_fetch_add(&pc->tick, 1) + 1);
	g_hash_table_insert(pc->entries, e->entity_id, e);
	while (g_hash_table_size(pc->entries) > pc->max)
		hub_pcache_evict(pc);
	atomic_fetch_add(&pc->loads, 1);
	return TL_OK;
}

int hub_prov_acquire(struct hub *h, struct hub_pcache *pc, const char *entity_id,
                     struct hub_pentry **pe, struct tl_err *err)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_txn txn;
	unsigned version;
	int rc;

	*pe = NULL;
	util_sha1(entity_id, strlen(entity_id), sha1);
	if ((rc = store_txn_begin(h->ctx->store, &txn, 1, err)) != TL_OK)
		return rc;
	rc = hub_entity_usable(&txn, entity_id, sha1, &version, err);
	for (int attempt = 0; rc == TL_OK && attempt < 4; attempt++) {
		struct hub_pentry *e;
		struct store_val xml;
		struct mdm_entity *model = NULL;
		char *copy;

		pthread_rwlock_rdlock(&pc->lock);
		e = g_hash_table_lookup(pc->entries, entity_id);
		if (e != NULL && e->version == version) {
			atomic_store(&e->used, atomic_fetch_add(&pc->tick, 1) + 1);
			*pe = e;
			store_abort(&txn);
			return TL_OK; /* the read lock stays held */
		}
		pthread_rwlock_unlock(&pc->lock);

		rc = reg_version_xml_get(&txn, sha1, version, &xml);
		if (rc != TL_OK) {
			rc = tl_err_set(err, rc == TL_ENOENT ? TL_ESTORE : rc,
			                "the approved metadata of %.200s is missing from the store", entity_id);
			break;
		}
		if ((rc = hub_model(h, &txn, sha1, version, &xml, &model, err)) != TL_OK)
			break;
		if (mdm_role(model, pc->kind) == NULL) {
			mdm_free(model);
			rc = tl_err_set(err, TL_ENOENT, "%.200s has no %s role", entity_id,
			                pc->kind == MDM_ROLE_SP ? "service provider" : "identity provider");
			break;
		}
		copy = strndup(xml.data, xml.len);
		if (copy == NULL) {
			mdm_free(model);
			rc = tl_err_set(err, TL_ENOMEM, "out of memory loading a provider");
			break;
		}
		pthread_rwlock_wrlock(&pc->lock);
		e = g_hash_table_lookup(pc->entries, entity_id);
		if (e != NULL && e->version == version)
			mdm_free(model); /* another thread loaded it meanwhile */
		else
			rc = hub_pcache_load(pc, entity_id, version, copy, model, err);
		pthread_rwlock_unlock(&pc->lock);
		free(copy);
	}
	store_abort(&txn);
	if (rc == TL_OK) /* evicted four times in a row: the cache is far too small */
		rc = tl_err_set(err, TL_EINTERNAL, "the provider cache cannot keep %.200s loaded", entity_id);
	return rc;
}

void hub_prov_release(struct hub_pcache *pc)
{
	pthread_rwlock_unlock(&pc->lock);
}

/* ---- the directory of member IdPs ------------------------------------ */

static void hub_idp_free(struct hub_idp *p)
{
	free(p->entity_id);
	free(p->name_sv);
	free(p->name_en);
	free(p->desc_sv);
	free(p->desc_en);
	free(p->logo);
	for (int i = 0; i < p->nscopes; i++)
		free(p->scopes[i]);
}

void hub_dir_put(struct hub_dir *d)
{
	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	for (size_t i = 0; i < d->n; i++)
		hub_idp_free(&d->idps[i]);
	free(d->idps);
	free(d->idp_metadata);
	free(d->sp_metadata);
	free(d);
}

static int hub_idp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hub_idp *)a)->entity_id, ((const struct hub_idp *)b)->entity_id);
}

const struct hub_idp *hub_dir_find(const struct hub_dir *d, const char *entity_id)
{
	struct hub_idp key;

	if (d == NULL || d->n == 0 || entity_id == NULL)
		return NULL;
	key.entity_id = (char *)(uintptr_t)entity_id;
	return bsearch(&key, d->idps, d->n, sizeof(key), hub_idp_cmp);
}

static char *hub_jdup(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? strdup(v) : NULL;
}

/* A directory record (reg.h, STORE_DB_IDP_DIR) into p. */
static int hub_idp_from_record(const struct store_val *v, struct hub_idp *p)
{
	json_t *o = json_loadb(v->data, v->len, 0, NULL), *sc;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (o == NULL || (p->entity_id = hub_jdup(o, "entity_id")) == NULL) {
		json_decref(o);
		return TL_EPARSE;
	}
	p->name_sv = hub_jdup(o, "name_sv");
	p->name_en = hub_jdup(o, "name_en");
	p->desc_sv = hub_jdup(o, "desc_sv");
	p->desc_en = hub_jdup(o, "desc_en");
	p->logo = hub_jdup(o, "logo");
	p->hidden = json_is_true(json_object_get(o, "hidden"));
	json_array_foreach(json_object_get(o, "scopes"), i, sc) {
		const char *val = json_string_value(json_array_get(sc, 0));
		if (p->nscopes == 16 || val == NULL || (p->scopes[p->nscopes] = strdup(val)) == NULL)
			continue;
		p->scope_regexp[p->nscopes++] = json_is_true(json_array_get(sc, 1));
	}
	json_decref(o);
	return TL_OK;
}

static void hub_md_keys(struct buf *b, const struct hub *h, int with_encryption)
{
	buf_printf(b, "    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	              "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n",
	           h->sign_cert_b64);
	if (with_encryption)
		buf_printf(b, "    <md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		              "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n",
		           h->enc_cert_b64);
}

static void hub_md_uiinfo(struct buf *b, const struct hub *h, const char *what_en, const char *what_sv)
{
	buf_puts(b, "      <mdui:UIInfo>\n        <mdui:DisplayName xml:lang=\"en\">");
	buf_xml_escape(b, h->ctx->conf.name);
	buf_printf(b, " %s</mdui:DisplayName>\n        <mdui:DisplayName xml:lang=\"sv\">", what_en);
	buf_xml_escape(b, h->ctx->conf.name);
	buf_printf(b, " %s</mdui:DisplayName>\n      </mdui:UIInfo>\n", what_sv);
}

static const char HUB_MD_HEAD[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<md:EntityDescriptor xmlns:md=\"" HUB_NS_MD "\"\n"
	"    xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"\n"
	"    xmlns:mdui=\"urn:oasis:names:tc:SAML:metadata:ui\"\n"
	"    xmlns:shibmd=\"urn:mace:shibboleth:metadata:1.0\"\n"
	"    xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"\n"
	"    entityID=\"";

struct hub_scope {
	const char *scope;
	int regexp;
};

static int hub_scope_cmp(const void *pa, const void *pb)
{
	const struct hub_scope *a = pa, *b = pb;
	int c = strcmp(a->scope, b->scope);

	return c != 0 ? c : a->regexp - b->regexp;
}

/*
 * Every member IdP's scopes, each once, in order, as shibmd:Scope
 * elements into b.  Returns TL_ENOMEM (and writes nothing) when the list
 * cannot be allocated.
 */
static int hub_md_scopes(struct buf *b, const struct hub_dir *d)
{
	struct hub_scope *all;
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += (size_t)d->idps[i].nscopes;
	if (n == 0)
		return TL_OK;
	if ((all = malloc(n * sizeof(*all))) == NULL)
		return TL_ENOMEM;
	n = 0;
	for (size_t i = 0; i < d->n; i++)
		for (int k = 0; k < d->idps[i].nscopes; k++) {
			all[n].scope = d->idps[i].scopes[k];
			all[n++].regexp = d->idps[i].scope_regexp[k];
		}
	qsort(all, n, sizeof(*all), hub_scope_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && hub_scope_cmp(&all[i - 1], &all[i]) == 0)
			continue;
		buf_puts(b, all[i].regexp ? "      <shibmd:Scope regexp=\"true\">" : "      <shibmd:Scope regexp=\"false\">");
		buf_xml_escape(b, all[i].scope);
		buf_puts(b, "</shibmd:Scope>\n");
	}
	free(all);
	return TL_OK;
}

/* The hub's IdP metadata; with the members' scopes when d is not NULL.  NULL when out of memory. */
static char *hub_idp_metadata(const struct hub *h, const struct hub_dir *d, size_t *len)
{
	struct buf b;

	buf_init(&b, 16 << 20);
	buf_puts(&b, HUB_MD_HEAD);
	buf_xml_escape(&b, h->idp_id);
	buf_printf(&b, "\">\n  <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\""
	               " WantAuthnRequestsSigned=\"%s\">\n    <md:Extensions>\n",
	           h->ctx->conf.require_signed_authn_requests ? "true" : "false");
	/* services check scoped attributes against these: every member IdP's scopes */
	if (d != NULL && hub_md_scopes(&b, d) != TL_OK) {
		buf_free(&b);
		return NULL;
	}
	hub_md_uiinfo(&b, h, "login", "inloggning");
	buf_puts(&b, "    </md:Extensions>\n");
	hub_md_keys(&b, h, 1);
	buf_puts(&b, "    <md:NameIDFormat>" HUB_NAMEID_TRANSIENT "</md:NameIDFormat>\n"
	             "    <md:NameIDFormat>" HUB_NAMEID_PERSISTENT "</md:NameIDFormat>\n");
	buf_printf(&b, "    <md:SingleSignOnService Binding=\"" HUB_BINDING_REDIRECT "\" Location=\"");
	buf_xml_escape(&b, h->sso_url);
	buf_printf(&b, "\"/>\n    <md:SingleSignOnService Binding=\"" HUB_BINDING_POST "\" Location=\"");
	buf_xml_escape(&b, h->sso_url);
	buf_puts(&b, "\"/>\n  </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n");
	return buf_steal(&b, len);
}

static char *hub_sp_metadata_build(const struct hub *h, size_t *len)
{
	struct buf b;
	const struct attr_def *defs;
	size_t n;

	buf_init(&b, 1 << 20);
	buf_puts(&b, HUB_MD_HEAD);
	buf_xml_escape(&b, h->sp_id);
	buf_puts(&b, "\">\n  <md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\""
	             " AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\">\n    <md:Extensions>\n");
	hub_md_uiinfo(&b, h, "hub", "nav");
	buf_puts(&b, "    </md:Extensions>\n");
	hub_md_keys(&b, h, 1);
	/* transient first: an IdP picks the first when the request names none */
	buf_puts(&b, "    <md:NameIDFormat>" HUB_NAMEID_TRANSIENT "</md:NameIDFormat>\n"
	             "    <md:NameIDFormat>" HUB_NAMEID_PERSISTENT "</md:NameIDFormat>\n");
	buf_puts(&b, "    <md:AssertionConsumerService Binding=\"" HUB_BINDING_POST "\" Location=\"");
	buf_xml_escape(&b, h->acs_url);
	buf_puts(&b, "\" index=\"0\" isDefault=\"true\"/>\n");
	/* the hub relays every attribute a service may be entitled to */
	buf_puts(&b, "    <md:AttributeConsumingService index=\"0\" isDefault=\"true\">\n"
	             "      <md:ServiceName xml:lang=\"en\">");
	buf_xml_escape(&b, h->ctx->conf.name);
	buf_puts(&b, "</md:ServiceName>\n");
	defs = attr_all(&n);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "      <md:RequestedAttribute FriendlyName=\"%s\" Name=\"%s\" "
		               "NameFormat=\"" ATTR_NAMEFORMAT_URI "\" isRequired=\"false\"/>\n",
		           defs[i].friendly, defs[i].name);
	}
	buf_puts(&b, "    </md:AttributeConsumingService>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
	return buf_steal(&b, len);
}

/*
 * The hub's metadata document text[0..len) as served, in a new string:
 * signed with the federation's metadata-signing key (ID, validUntil
 * aggregate_validity from now, cacheDuration) when the hub has it, else
 * as it is.  Errors: TL_ENOMEM, TL_EINTERNAL (it does not parse),
 * TL_ECRYPTO.
 */
static int hub_md_sign(const struct hub *h, const char *text, size_t len, time_t now, char **out,
                       size_t *outlen, struct tl_err *err)
{
	const struct conf *c = &h->ctx->conf;
	unsigned char sha1[UTIL_SHA1_LEN];
	char id[2 * UTIL_SHA1_LEN + 2];
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlChar *eid;
	int rc;

	*out = NULL;
	if (!h->md_signed) {
		if ((*out = malloc(len + 1)) == NULL)
			return tl_err_set(err, TL_ENOMEM, "out of memory writing the hub's metadata");
		memcpy(*out, text, len);
		(*out)[len] = '\0';
		*outlen = len;
		return TL_OK;
	}
	doc = xmlReadMemory(text, (int)len, NULL, "UTF-8", XML_PARSE_NONET);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		xmlFreeDoc(doc);
		return tl_err_set(err, TL_EINTERNAL, "the hub's metadata does not parse");
	}
	eid = xmlGetNoNsProp(root, BAD_CAST "entityID");
	util_sha1(eid ? (const char *)eid : "", eid ? strlen((const char *)eid) : 0, sha1);
	xmlFree(eid);
	id[0] = '_';
	util_hex(sha1, UTIL_SHA1_LEN, id + 1);
	rc = sign_metadata_doc(&h->md_key, doc, id, now + (time_t)c->aggregate_validity, c->cache_duration, out,
	                       outlen, err);
	xmlFreeDoc(doc);
	return rc;
}

/* The directory's two metadata documents, signed (hub_md_sign); idp is the unsigned IdP document. */
static int hub_dir_metadata(const struct hub *h, struct hub_dir *d, char *idp, size_t idp_len,
                            struct tl_err *err)
{
	time_t now = util_now();
	int rc;

	if ((rc = hub_md_sign(h, idp, idp_len, now, &d->idp_metadata, &d->idp_metadata_len, err)) != TL_OK ||
	    (rc = hub_md_sign(h, h->sp_metadata, h->sp_metadata_len, now, &d->sp_metadata, &d->sp_metadata_len,
	                      err)) != TL_OK)
		return rc;
	/* signed again halfway to their validUntil, so that no consumer ever holds an expired copy */
	d->resign_at = now + (time_t)h->ctx->conf.aggregate_validity / 2;
	return TL_OK;
}

/* Build the directory from the registry (every approved member IdP). */
static int hub_dir_build(struct hub *h, struct hub_dir **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	struct hub_dir *d;
	size_t cap = 0, seen = 0;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory building the IdP directory");
	atomic_init(&d->refs, 1);
	if ((rc = store_txn_begin(h->ctx->store, &txn, 1, err)) != TL_OK) {
		free(d);
		return rc;
	}
	d->gen = reg_generation(&txn);
	store_iter_begin(&txn, STORE_DB_IDP_DIR, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &v)) {
		/* a fault maps 64 KB of the file around it: a walk over every record maps much
		 * of the store unless dropped as it goes, and it runs beside the logins */
		store_drop_pages_every(h->ctx->store, ++seen);
		if (d->n == cap) {
			struct hub_idp *ni;
			cap = cap ? cap * 2 : 64;
			ni = realloc(d->idps, cap * sizeof(*ni));
			if (ni == NULL) {
				rc = tl_err_set(err, TL_ENOMEM, "out of memory building the IdP directory");
				break;
			}
			d->idps = ni;
		}
		if (hub_idp_from_record(&v, &d->idps[d->n]) == TL_OK)
			d->n++;
	}
	store_iter_end(&it);
	store_abort(&txn);
	if (rc == TL_OK && d->n > 1)
		qsort(d->idps, d->n, sizeof(d->idps[0]), hub_idp_cmp);
	if (rc == TL_OK) {
		size_t len = 0;
		char *idp = hub_idp_metadata(h, d, &len);
		rc = idp != NULL ? hub_dir_metadata(h, d, idp, len, err)
		                 : tl_err_set(err, TL_ENOMEM, "out of memory writing the hub's metadata");
		free(idp);
	}
	if (rc != TL_OK) {
		hub_dir_put(d);
		return rc;
	}
	*out = d;
	return TL_OK;
}

struct hub_dir *hub_dir_get(struct hub *h, struct tl_err *err)
{
	struct store_txn txn;
	struct hub_dir *d = NULL, *old = NULL;
	uint64_t gen;

	if (store_txn_begin(h->ctx->store, &txn, 1, err) != TL_OK)
		return NULL;
	gen = reg_generation(&txn);
	store_abort(&txn);
	pthread_mutex_lock(&h->dir_lock);
	if (h->dir != NULL && h->dir->gen == gen && util_now() < h->dir->resign_at) {
		d = h->dir;
		atomic_fetch_add(&d->refs, 1);
		pthread_mutex_unlock(&h->dir_lock);
		return d;
	}
	/* rebuilt under the lock: concurrent requests wait for one build */
	if (hub_dir_build(h, &d, err) == TL_OK) {
		old = h->dir;
		h->dir = d;
		atomic_fetch_add(&d->refs, 1);
	}
	pthread_mutex_unlock(&h->dir_lock);
	hub_dir_put(old);
	return d;
}

/* ---- pages ------------------------------------------------------------ */

static void hub_take_buf(struct hub_response *rs, struct buf *b, unsigned status, const char *ct)
{
	size_t len = 0;

	rs->body = buf_steal(b, &len);
	rs->len = len;
	rs->status = rs->body ? status : 500;
	rs->content_type = ct;
	if (rs->body == NULL) {
		rs->body = strdup("out of memory\n");
		rs->len = rs->body ? strlen(rs->body) : 0;
		rs->content_type = "text/plain; charset=utf-8";
	}
}

void hub_page(struct hub *h, struct hub_response *rs, unsigned status, const char *title,
              const char *fmt, ...)
{
	struct buf b;
	char msg[1024];
	va_list ap;

	(void)h;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, HUB_PAGE_MAX);
	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	buf_xml_escape(&b, title);
	buf_puts(&b, "</title>\n</head>\n<body>\n<main>\n<h1>");
	buf_xml_escape(&b, title);
	buf_puts(&b, "</h1>\n<p>");
	buf_xml_escape(&b, msg);
	buf_puts(&b, "</p>\n<p lang=\"sv\">Inloggningen kunde inte slutföras. Gå tillbaka till tjänsten och "
	             "försök igen; kvarstår felet, kontakta tjänstens support och ange tiden och "
	             "meddelandet ovan.</p>\n<p>The login could not be completed. Go back to the service "
	             "and try again; if the problem persists, contact the service's support with the time "
	             "and the message above.</p>\n</main>\n</body>\n</html>\n");
	hub_take_buf(rs, &b, status, "text/html; charset=utf-8");
	rs->no_store = 1;
	atomic_fetch_add(&h->n_refused, 1);
}

void hub_redirect(struct hub_response *rs, const char *url)
{
	rs->status = 302;
	rs->location = strdup(url);
	rs->body = strdup("");
	rs->len = 0;
	rs->content_type = "text/plain; charset=utf-8";
	rs->no_store = 1;
	if (rs->location == NULL)
		rs->status = 500;
}

/* The one script the hub ever sends, and its CSP hash (computed once at hub_open). */
static const char HUB_SUBMIT_JS[] = "document.forms[0].submit();";

/* scheme://host[:port] of url, for form-action. */
static void hub_origin(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	const char *end = p ? strchr(p + 3, '/') : NULL;
	size_t len = end ? (size_t)(end - url) : strlen(url);

	if (len >= n)
		len = n - 1;
	memcpy(out, url, len);
	out[len] = '\0';
}

void hub_post_form(struct hub *h, struct hub_response *rs, const char *url,
                   const char *const *fields, int nfields)
{
	struct buf b;
	char origin[CONF_STR_MAX], csp[CONF_STR_MAX + 256];
	unsigned char digest[UTIL_SHA256_LEN];
	char *hash;

	(void)h;
	buf_init(&b, HUB_PAGE_MAX + 512 * 1024);
	buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	             "<title>Skickar vidare / Continuing</title>\n</head>\n<body>\n<form method=\"post\" action=\"");
	buf_xml_escape(&b, url);
	buf_puts(&b, "\">\n");
	for (int i = 0; i + 1 < 2 * nfields; i += 2) {
		if (fields[i + 1] == NULL)
			continue;
		buf_printf(&b, "<input type=\"hidden\" name=\"%s\" value=\"", fields[i]);
		buf_xml_escape(&b, fields[i + 1]);
		buf_puts(&b, "\">\n");
	}
	buf_puts(&b, "<noscript><p>Webbläsaren kör inte JavaScript: tryck på knappen för att fortsätta. / "
	             "Your browser does not run JavaScript: press the button to continue.</p></noscript>\n"
	             "<button type=\"submit\">Fortsätt / Continue</button>\n</form>\n<script>");
	buf_puts(&b, HUB_SUBMIT_JS);
	buf_puts(&b, "</script>\n</body>\n</html>\n");
	hub_take_buf(rs, &b, 200, "text/html; charset=utf-8");
	rs->no_store = 1;
	util_sha256(HUB_SUBMIT_JS, strlen(HUB_SUBMIT_JS), digest);
	hash = util_base64(digest, sizeof(digest));
	hub_origin(url, origin, sizeof(origin));
	snprintf(csp, sizeof(csp),
	         "default-src 'none'; script-src 'sha256-%s'; form-action %s; base-uri 'none'; "
	         "frame-ancestors 'none'",
	         hash ? hash : "", origin);
	free(hash);
	rs->csp = strdup(csp);
}

void hub_response_free(struct hub_response *rs)
{
	free(rs->body);
	free(rs->location);
	free(rs->set_cookie);
	free(rs->csp);
	memset(rs, 0, sizeof(*rs));
}

/* ---- purging ---------------------------------------------------------- */

static long hub_purge_db(struct hub *h, enum store_db db, time_t now, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	unsigned char (*keys)[STORE_KEY_MAX];
	size_t *lens, n = 0;
	long removed = 0;
	int rc;

	keys = malloc(HUB_PURGE_BATCH * sizeof(*keys));
	lens = malloc(HUB_PURGE_BATCH * sizeof(*lens));
	if (keys == NULL || lens == NULL) {
		free(keys);
		free(lens);
		return tl_err_set(err, TL_ENOMEM, "out of memory purging");
	}
	do {
		n = 0;
		if ((rc = store_txn_begin(h->sso, &txn, 0, err)) != TL_OK)
			break;
		store_iter_begin(&txn, db, NULL, 0, &it);
		while (n < HUB_PURGE_BATCH && store_iter_next(&it, &k, &v)) {
			if (v.len >= 8 && (time_t)store_get_be64(v.data) < now && k.len <= STORE_KEY_MAX) {
				memcpy(keys[n], k.data, k.len);
				lens[n++] = k.len;
			}
		}
		store_iter_end(&it);
		for (size_t i = 0; i < n; i++)
			store_del(&txn, db, keys[i], lens[i]);
		if ((rc = store_commit(&txn, err)) != TL_OK)
			break;
		removed += (long)n;
	} while (n == HUB_PURGE_BATCH);
	free(keys);
	free(lens);
	return rc == TL_OK ? removed : rc;
}

long hub_purge(struct hub *h, struct tl_err *err)
{
	static const enum store_db dbs[] = { STORE_DB_SSO_STATE, STORE_DB_SSO_UPREQ, STORE_DB_SSO_REPLAY };
	time_t now = util_now();
	long total = 0;

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		long n = hub_purge_db(h, dbs[i], now, err);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

static void *hub_purger(void *arg)
{
	struct hub *h = arg;

	pthread_mutex_lock(&h->purge_lock);
	while (!h->stopping) {
		struct timespec ts;
		struct tl_err err = { 0 };
		long n;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += HUB_PURGE_INTERVAL;
		pthread_cond_timedwait(&h->purge_cond, &h->purge_lock, &ts);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->purge_lock);
		n = hub_purge(h, &err);
		if (n < 0)
			log_warn("sso: purging expired state failed: %s", err.msg);
		else if (n > 0)
			log_debug("sso: purged %ld expired records", n);
		pthread_mutex_lock(&h->purge_lock);
	}
	pthread_mutex_unlock(&h->purge_lock);
	return NULL;
}

/* ---- open and close --------------------------------------------------- */

int hub_keys_missing(const struct tl_ctx *ctx, char *path)
{
	static const char *const files[] = {
		"keys/hub-signing.key", "keys/hub-signing.crt", "keys/hub-encryption.key",
		"keys/hub-encryption.crt",
	};
	struct stat sb;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ctx_path(ctx, files[i], path);
		if (stat(path, &sb) != 0)
			return 1;
	}
	return 0;
}

static int hub_read_pem(struct hub *h, const char *rel, char **out, struct tl_err *err)
{
	char path[CTX_PATH_MAX];
	size_t len;
	int rc;

	ctx_path(h->ctx, rel, path);
	rc = util_read_file(path, 1 << 20, out, &len, err);
	if (rc == TL_ENOENT)
		return tl_err_set(err, TL_ENOENT, "the hub key file %s is missing (tillitctl keys create makes it)",
		                  path);
	return rc;
}

static int hub_cert_b64(struct hub *h, const char *rel, char **out, struct tl_err *err)
{
	char path[CTX_PATH_MAX];
	X509 *x;

	ctx_path(h->ctx, rel, path);
	if ((x = keys_load_cert(path, err)) == NULL)
		return err->code;
	*out = keys_cert_base64(x);
	X509_free(x);
	return *out ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory reading %s", path);
}

/* DIR/keys/hub-nameid.secret: created (0600, O_EXCL) when missing. */
static int hub_secret(struct hub *h, struct tl_err *err)
{
	char path[CTX_PATH_MAX];
	unsigned char buf[HUB_SECRET_LEN];
	int fd, rc;
	ssize_t n;

	ctx_path(h->ctx, "keys/hub-nameid.secret", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = util_random(buf, sizeof(buf), err)) != TL_OK)
			return rc;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			n = write(fd, buf, sizeof(buf));
			if (n != (ssize_t)sizeof(buf) || fsync(fd) != 0) {
				close(fd);
				unlink(path);
				return tl_err_set(err, TL_EIO, "cannot write %s: %s", path, strerror(errno));
			}
			close(fd);
			log_info("sso: created %s (the key of persistent identifiers)", path);
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return tl_err_set(err, TL_EIO, "cannot open %s: %s", path, strerror(errno));
	n = read(fd, h->secret, sizeof(h->secret));
	close(fd);
	if (n != (ssize_t)sizeof(h->secret))
		return tl_err_set(err, TL_ECRYPTO, "%s does not hold a %d-byte secret", path, HUB_SECRET_LEN);
	return TL_OK;
}

static int hub_servers(struct hub *h, struct tl_err *err)
{
	LassoServer *idp = NULL, *sp = NULL;
	LassoKey *k1 = NULL, *k2 = NULL;
	char *core = NULL;
	size_t len;
	const struct conf *c = &h->ctx->conf;
	int rc;

	core = hub_idp_metadata(h, NULL, &len);
	if (core == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory writing the hub's metadata");
	idp = lasso_server_new_from_buffers(core, h->sign_key, NULL, h->sign_cert);
	sp = lasso_server_new_from_buffers(h->sp_metadata, h->sign_key, NULL, h->sign_cert);
	free(core);
	if (idp == NULL || sp == NULL) {
		rc = tl_err_set(err, TL_EINTERNAL, "lasso refused the hub's own metadata or signing key");
		goto fail;
	}
	idp->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	sp->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	/*
	 * Signatures carry no certificate (peers take the hub's key from its
	 * metadata), and lasso then does not re-read it through xmlsec for
	 * every signature, which leaks a BIO each time.
	 */
	g_free(idp->certificate);
	idp->certificate = NULL;
	g_free(sp->certificate);
	sp->certificate = NULL;
	if (lasso_server_set_encryption_private_key_with_password(sp, h->enc_key, NULL) != 0) {
		rc = tl_err_set(err, TL_ECRYPTO, "lasso refused the hub's encryption key");
		goto fail;
	}
	/* decoded once, not for each signature */
	k1 = lasso_key_new_for_signature_from_memory(h->sign_key, strlen(h->sign_key), NULL,
	                                             LASSO_SIGNATURE_METHOD_RSA_SHA256, NULL);
	k2 = lasso_key_new_for_signature_from_memory(h->sign_key, strlen(h->sign_key), NULL,
	                                             LASSO_SIGNATURE_METHOD_RSA_SHA256, NULL);
	if (k1 == NULL || k2 == NULL) {
		rc = tl_err_set(err, TL_ECRYPTO, "lasso refused the hub's signing key");
		goto fail;
	}
	if (hub_pcache_init(&h->idp_side, idp, LASSO_PROVIDER_ROLE_SP, MDM_ROLE_SP,
	                    (size_t)c->provider_cache_size, k1, c->encrypt_assertions) != TL_OK ||
	    hub_pcache_init(&h->sp_side, sp, LASSO_PROVIDER_ROLE_IDP, MDM_ROLE_IDP,
	                    (size_t)c->provider_cache_size, k2, 0) != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory starting the hub");
		goto fail;
	}
	return TL_OK;
fail:
	if (k1 != NULL)
		g_object_unref(k1);
	if (k2 != NULL)
		g_object_unref(k2);
	if (idp != NULL)
		lasso_server_destroy(idp);
	if (sp != NULL)
		lasso_server_destroy(sp);
	return rc;
}

int hub_open(struct hub **out, struct tl_ctx *ctx, struct tl_err *err)
{
	struct hub *h;
	struct store_opts so = { 0 };
	char path[CTX_PATH_MAX];
	const char *base = ctx->conf.base_url;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory starting the hub");
	h->ctx = ctx;
	pthread_mutex_init(&h->dir_lock, NULL);
	pthread_mutex_init(&h->purge_lock, NULL);
	pthread_cond_init(&h->purge_cond, NULL);
	h->lim.max_bytes = SAML_INFLATED_MAX;
	h->lim.max_depth = (int)ctx->conf.max_xml_depth;
	snprintf(h->idp_id, sizeof(h->idp_id), "%s%s", base, HUB_PATH_IDP_METADATA);
	snprintf(h->sp_id, sizeof(h->sp_id), "%s%s", base, HUB_PATH_SP_METADATA);
	snprintf(h->sso_url, sizeof(h->sso_url), "%s%s", base, HUB_PATH_SSO);
	snprintf(h->acs_url, sizeof(h->acs_url), "%s%s", base, HUB_PATH_ACS);
	snprintf(h->ds_url, sizeof(h->ds_url), "%s%s", base, HUB_PATH_DS);

	if ((rc = hub_read_pem(h, "keys/hub-signing.key", &h->sign_key, err)) != TL_OK ||
	    (rc = hub_read_pem(h, "keys/hub-signing.crt", &h->sign_cert, err)) != TL_OK ||
	    (rc = hub_read_pem(h, "keys/hub-encryption.key", &h->enc_key, err)) != TL_OK ||
	    (rc = hub_read_pem(h, "keys/hub-encryption.crt", &h->enc_cert, err)) != TL_OK ||
	    (rc = hub_cert_b64(h, "keys/hub-signing.crt", &h->sign_cert_b64, err)) != TL_OK ||
	    (rc = hub_cert_b64(h, "keys/hub-encryption.crt", &h->enc_cert_b64, err)) != TL_OK ||
	    (rc = hub_secret(h, err)) != TL_OK)
		goto fail;
	ctx_path(ctx, "keys/hub-signing.key", path);
	{
		EVP_PKEY *k = keys_load_private(path, err);
		if (k == NULL || (rc = xsig_key_init(&h->sign_pkey, k, 1, err)) != TL_OK) {
			rc = err->code;
			goto fail;
		}
	}
	{
		/* without the federation's key (a data directory made before it) the metadata goes unsigned */
		char kp[CTX_PATH_MAX], cp[CTX_PATH_MAX];
		struct tl_err kerr = { 0 };
		if (sign_key_load(&h->md_key, ctx_path(ctx, "keys/metadata-signing.key", kp),
		                  ctx_path(ctx, "keys/metadata-signing.crt", cp), &kerr) == TL_OK)
			h->md_signed = 1;
		else
			log_warn("the hub's metadata is served unsigned: %s", kerr.msg);
	}
	if ((h->sp_metadata = hub_sp_metadata_build(h, &h->sp_metadata_len)) == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the hub's metadata");
		goto fail;
	}
	if ((rc = hub_servers(h, err)) != TL_OK)
		goto fail;
	if ((rc = trust_load(ctx, &h->frameworks, err)) != TL_OK ||
	    (rc = reg_idp_dir_ensure(ctx, err)) != TL_OK)
		goto fail;
	store_drop_pages(ctx->store); /* building the directory once may have read every entity */
	ctx_path(ctx, "sso", path);
	if ((rc = util_mkdirs(path, 0700, err)) != TL_OK)
		goto fail;
	so.map_size = (size_t)ctx->conf.map_size;
	so.max_readers = (unsigned)ctx->conf.max_readers;
	so.nosync = 1;
	/* not MDB_WRITEMAP: a write into a hole of the map on a full disk is a SIGBUS, not an error */
	if ((rc = store_open(&h->sso, path, &so, err)) != TL_OK)
		goto fail;
	if (pthread_create(&h->purger, NULL, hub_purger, h) != 0) {
		rc = tl_err_set(err, TL_EINTERNAL, "cannot start the SSO purge thread");
		goto fail;
	}
	pthread_setname_np(h->purger, "tillit-purge");
	h->purger_started = 1;
	if (ctx->conf.login_audit_batch_ms > 0 &&
	    (rc = audit_queue_start(ctx->store, (unsigned)ctx->conf.login_audit_batch_ms,
	                            HUB_AUDIT_QUEUE_MAX, &h->auditq, err)) != TL_OK)
		goto fail;
	*out = h;
	return TL_OK;
fail:
	hub_close(h);
	return rc;
}

void hub_close(struct hub *h)
{
	if (h == NULL)
		return;
	if (h->purger_started) {
		pthread_mutex_lock(&h->purge_lock);
		h->stopping = 1;
		pthread_cond_signal(&h->purge_cond);
		pthread_mutex_unlock(&h->purge_lock);
		pthread_join(h->purger, NULL);
	}
	audit_queue_stop(h->auditq); /* writes the logins still queued */
	if (h->idp_side.entries != NULL)
		hub_pcache_done(&h->idp_side);
	if (h->sp_side.entries != NULL)
		hub_pcache_done(&h->sp_side);
	hub_dir_put(h->dir);
	store_close(h->sso);
	tf_set_free(h->frameworks);
	if (h->sign_key != NULL)
		OPENSSL_cleanse(h->sign_key, strlen(h->sign_key));
	if (h->enc_key != NULL)
		OPENSSL_cleanse(h->enc_key, strlen(h->enc_key));
	OPENSSL_cleanse(h->secret, sizeof(h->secret));
	free(h->sign_key);
	free(h->sign_cert);
	free(h->enc_key);
	free(h->enc_cert);
	free(h->sign_cert_b64);
	free(h->enc_cert_b64);
	free(h->sp_metadata);
	if (h->md_signed)
		sign_key_free(&h->md_key);
	xsig_key_done(&h->sign_pkey);
	pthread_mutex_destroy(&h->dir_lock);
	pthread_mutex_destroy(&h->purge_lock);
	pthread_cond_destroy(&h->purge_cond);
	free(h);
}

void hub_get_stats(struct hub *h, struct hub_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->logins = atomic_load(&h->n_logins);
	out->errors_sent = atomic_load(&h->n_errors_sent);
	out->refused = atomic_load(&h->n_refused);
	out->provider_loads = atomic_load(&h->idp_side.loads) + atomic_load(&h->sp_side.loads);
	pthread_rwlock_rdlock(&h->idp_side.lock);
	out->providers = g_hash_table_size(h->idp_side.entries);
	pthread_rwlock_unlock(&h->idp_side.lock);
	pthread_rwlock_rdlock(&h->sp_side.lock);
	out->providers += g_hash_table_size(h->sp_side.entries);
	pthread_rwlock_unlock(&h->sp_side.lock);
}

/* ---- dispatch ------------------------------------------------------- */

static void hub_metadata(struct hub_response *rs, const char *doc, size_t len)
{
	rs->body = malloc(len + 1);
	if (rs->body == NULL) {
		rs->status = 500;
		return;
	}
	memcpy(rs->body, doc, len);
	rs->body[len] = '\0';
	rs->len = len;
	rs->status = 200;
	rs->content_type = "application/samlmetadata+xml";
}

void hub_handle(struct hub *h, enum hub_route r, const struct hub_request *rq,
                struct hub_response *rs)
{
	struct tl_err err = { 0 };
	struct hub_dir *d;

	memset(rs, 0, sizeof(*rs));
	switch (r) {
	case HUB_IDP_METADATA:
		if ((d = hub_dir_get(h, &err)) == NULL) {
			hub_page(h, rs, 503, "Metadata unavailable", "%s", err.msg);
			return;
		}
		hub_metadata(rs, d->idp_metadata, d->idp_metadata_len);
		hub_dir_put(d);
		return;
	case HUB_SP_METADATA:
		if ((d = hub_dir_get(h, &err)) == NULL) {
			hub_page(h, rs, 503, "Metadata unavailable", "%s", err.msg);
			return;
		}
		hub_metadata(rs, d->sp_metadata, d->sp_metadata_len);
		hub_dir_put(d);
		return;
	case HUB_SSO:
		hub_sso(h, rq, rs);
		return;
	case HUB_DS:
		hub_ds(h, rq, rs);
		return;
	case HUB_ACS:
		hub_acs(h, rq, rs);
		return;
	}
	hub_page(h, rs, 404, "Not found", "no such page");
}
