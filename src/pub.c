/* pub.c - publication: prepared pieces, MDQ documents, the signed aggregate. */
#include "tillit/pub.h"

#include <stdlib.h>
#include <string.h>

/*
 * MDQ record layout (all integers big-endian):
 *   "TLMQ" | be64 signed_at | be64 valid_until | be32 entity_id_len |
 *   etag (68 bytes: quoted 64 hex + NUL + pad) | entity_id | NUL | body
 */
#define MDQ_MAGIC "TLMQ"
#define MDQ_ETAG_LEN 68
#define MDQ_HDR (4 + 8 + 8 + 4 + MDQ_ETAG_LEN)

void pub_mdq_put(struct store_txn *txn, const char *entity_id, const char *body, size_t len,
                 int64_t signed_at, int64_t valid_until)
{
	unsigned char key[UTIL_SHA1_LEN], digest[UTIL_SHA256_LEN];
	size_t idlen = strlen(entity_id), total = MDQ_HDR + idlen + 1 + len;
	unsigned char *rec;
	char hex[2 * UTIL_SHA256_LEN + 1];

	rec = malloc(total);
	if (rec == NULL) {
		if (txn->rc == TL_OK)
			txn->rc = tl_err_set(&txn->err, TL_ENOMEM, "out of memory storing MDQ document");
		return;
	}
	memcpy(rec, MDQ_MAGIC, 4);
	store_be64(rec + 4, (uint64_t)signed_at);
	store_be64(rec + 12, (uint64_t)valid_until);
	store_be32(rec + 20, (uint32_t)idlen);
	util_sha256(body, len, digest);
	util_hex(digest, sizeof(digest), hex);
	memset(rec + 24, 0, MDQ_ETAG_LEN);
	rec[24] = '"';
	memcpy(rec + 25, hex, 64);
	rec[89] = '"';
	memcpy(rec + MDQ_HDR, entity_id, idlen);
	rec[MDQ_HDR + idlen] = '\0';
	memcpy(rec + MDQ_HDR + idlen + 1, body, len);
	util_sha1(entity_id, idlen, key);
	store_put(txn, STORE_DB_MDQ, key, sizeof(key), rec, total);
	free(rec);
}

int pub_mdq_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                struct pub_doc *doc)
{
	struct store_val v;
	const unsigned char *p;
	size_t idlen;
	int rc;

	rc = store_get(txn, STORE_DB_MDQ, sha1, UTIL_SHA1_LEN, &v);
	if (rc != TL_OK)
		return rc;
	p = v.data;
	if (v.len < MDQ_HDR || memcmp(p, MDQ_MAGIC, 4) != 0)
		return TL_ESTORE;
	idlen = store_get_be32(p + 20);
	if (v.len < MDQ_HDR + idlen + 1)
		return TL_ESTORE;
	doc->signed_at = (int64_t)store_get_be64(p + 4);
	doc->valid_until = (int64_t)store_get_be64(p + 12);
	doc->etag = (const char *)p + 24;
	doc->entity_id = (const char *)p + MDQ_HDR;
	doc->entity_id_len = idlen;
	doc->body = (const char *)p + MDQ_HDR + idlen + 1;
	doc->len = v.len - MDQ_HDR - idlen - 1;
	return TL_OK;
}

void pub_mdq_withdraw(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN])
{
	store_del(txn, STORE_DB_MDQ, sha1, UTIL_SHA1_LEN);
}

/* ---- publication ---------------------------------------------------- */

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tillit/audit.h"
#include "tillit/buf.h"
#include "tillit/log.h"
#include "tillit/md.h"
#include "tillit/reg.h"
#include "tillit/sign.h"
#include "tillit/trust.h"

#define PREP_MAGIC "TLPR"
#define PREP_HDR (4 + 4 + 32 + 4 + 4)
#define PUB_BATCH 1024
#define PUB_ROOT_OPEN "<md:EntitiesDescriptor xmlns:md=\"" MD_NS "\">"
#define PUB_ROOT_CLOSE "</md:EntitiesDescriptor>"

struct pub_item {
	unsigned char sha1[UTIL_SHA1_LEN];
	char *entity_id;
	unsigned version;
	char *first_approved;
	char *xml;              /* approved XML (pass 1 input) */
	struct trust_cert cert; /* certification attributes to publish and to strip */
	int need_prepare, need_sign;
	/* results */
	char *frag; size_t fraglen;   /* entity as placed in the aggregate */
	char *canon; size_t canonlen; /* its exclusive C14N in the aggregate's context */
	char *mdq; size_t mdqlen;     /* signed MDQ document */
	int rc;
	struct tl_err err;
};

struct pub_job {
	struct pub_item *items;
	size_t n;
	size_t next;                 /* next item to take (under lock) */
	pthread_mutex_t lock;
	int pass;                    /* 1 prepare, 2 sign */
	const struct tl_ctx *ctx;
	const struct sign_key *key;
	unsigned char params[32];
	time_t now, valid_until;
};

static double pub_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the decoration of a piece depends on besides the approved version. */
static void pub_params_hash(const struct tl_ctx *ctx, const struct pub_item *it,
                            unsigned char out[32])
{
	struct buf b;
	char cert[2 * UTIL_SHA256_LEN + 1];

	util_hex(it->cert.digest, UTIL_SHA256_LEN, cert);
	buf_init(&b, 8192);
	buf_printf(&b, "v2\n%s\n%s\n%s\n",
	           *ctx->conf.registration_authority ? ctx->conf.registration_authority
	                                             : ctx->conf.base_url,
	           it->first_approved ? it->first_approved : "", cert);
	util_sha256(b.data, b.len, out);
	buf_free(&b);
}

static int pub_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST ns) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* The text of an AttributeValue, trimmed into out. */
static void pub_value_text(xmlNodePtr v, char *out, size_t n)
{
	xmlChar *t = xmlNodeGetContent(v);
	const char *s = t ? (const char *)t : "";
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	snprintf(out, n, "%.*s", (int)len, s);
	xmlFree(t);
}

static int pub_pair_in(const char **list, const char *attr, const char *value)
{
	for (; list != NULL && list[0] != NULL; list += 2)
		if (strcmp(list[0], attr) == 0 && strcmp(list[1], value) == 0)
			return 1;
	return 0;
}

/*
 * Certification: drop the values the entity claims without being certified
 * for them (strip), add those of its achieved levels (publish), in the
 * entity's mdattr:EntityAttributes (created when needed).
 */
static int pub_certify(xmlDocPtr doc, xmlNodePtr ext, const struct trust_cert *c, struct tl_err *err)
{
	xmlNodePtr ea = NULL, n, next;

	for (n = ext->children; n != NULL; n = n->next)
		if (pub_is(n, MD_NS_MDATTR, "EntityAttributes")) {
			ea = n;
			break;
		}
	if (ea != NULL) {
		for (xmlNodePtr a = ea->children; a != NULL; a = next) {
			xmlChar *name;
			int left = 0;
			next = a->next;
			if (!pub_is(a, MD_NS_SAML, "Attribute"))
				continue;
			name = xmlGetNoNsProp(a, BAD_CAST "Name");
			for (xmlNodePtr v = a->children, vn; v != NULL; v = vn) {
				char val[4096];
				vn = v->next;
				if (!pub_is(v, MD_NS_SAML, "AttributeValue"))
					continue;
				pub_value_text(v, val, sizeof(val));
				if (name != NULL && (pub_pair_in(c->strip, (const char *)name, val) ||
				                     pub_pair_in(c->publish, (const char *)name, val))) {
					/* stripped, or re-added below in our own form */
					xmlUnlinkNode(v);
					xmlFreeNode(v);
				} else {
					left = 1;
				}
			}
			if (!left) {
				xmlUnlinkNode(a);
				xmlFreeNode(a);
			}
			xmlFree(name);
		}
	}
	if (c->publish == NULL || c->publish[0] == NULL) {
		if (ea != NULL && xmlFirstElementChild(ea) == NULL) {
			xmlUnlinkNode(ea);
			xmlFreeNode(ea);
		}
		return TL_OK;
	}
	if (ea == NULL) {
		ea = xmlNewDocNode(doc, NULL, BAD_CAST "EntityAttributes", NULL);
		if (ea == NULL)
			return tl_err_set(err, TL_ENOMEM, "out of memory");
		xmlSetNs(ea, xmlNewNs(ea, BAD_CAST MD_NS_MDATTR, BAD_CAST "mdattr"));
		xmlAddChild(ext, ea);
	}
	for (const char **p = c->publish; p[0] != NULL; p += 2) {
		xmlNodePtr a = NULL, v;
		xmlNsPtr saml;
		for (n = ea->children; n != NULL && a == NULL; n = n->next) {
			xmlChar *name;
			if (!pub_is(n, MD_NS_SAML, "Attribute"))
				continue;
			name = xmlGetNoNsProp(n, BAD_CAST "Name");
			if (name != NULL && strcmp((const char *)name, p[0]) == 0)
				a = n;
			xmlFree(name);
		}
		if (a == NULL) {
			a = xmlNewDocNode(doc, NULL, BAD_CAST "Attribute", NULL);
			if (a == NULL)
				return tl_err_set(err, TL_ENOMEM, "out of memory");
			xmlSetNs(a, xmlNewNs(a, BAD_CAST MD_NS_SAML, BAD_CAST "saml"));
			xmlSetProp(a, BAD_CAST "Name", BAD_CAST p[0]);
			xmlSetProp(a, BAD_CAST "NameFormat", BAD_CAST "urn:oasis:names:tc:SAML:2.0:attrname-format:uri");
			xmlAddChild(ea, a);
		}
		saml = a->ns;
		v = xmlNewDocNode(doc, saml, BAD_CAST "AttributeValue", NULL);
		if (v == NULL)
			return tl_err_set(err, TL_ENOMEM, "out of memory");
		xmlNodeAddContent(v, BAD_CAST p[1]);
		xmlAddChild(a, v);
	}
	return TL_OK;
}

/* Insert our mdrpi:RegistrationInfo, drop a member-supplied one and any
 * entity-level signature (it would no longer verify). */
static int pub_decorate(xmlDocPtr doc, const char *ra, const char *instant,
                        const struct trust_cert *cert, struct tl_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), ext, ri, n, next;
	xmlNsPtr mdns, rpins;

	for (n = root->children; n != NULL; n = next) {
		next = n->next;
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    xmlStrEqual(n->ns->href, BAD_CAST MD_NS_DS) && xmlStrEqual(n->name, BAD_CAST "Signature")) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	ext = md_child(root, MD_NS, "Extensions");
	if (ext == NULL) {
		xmlNodePtr first = root->children;
		mdns = root->ns;
		ext = xmlNewDocNode(doc, mdns, BAD_CAST "Extensions", NULL);
		if (ext == NULL)
			return tl_err_set(err, TL_ENOMEM, "out of memory");
		while (first != NULL && first->type != XML_ELEMENT_NODE)
			first = first->next;
		if (first != NULL)
			xmlAddPrevSibling(first, ext);
		else
			xmlAddChild(root, ext);
	}
	for (n = ext->children; n != NULL; n = next) {
		next = n->next;
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    xmlStrEqual(n->ns->href, BAD_CAST MD_NS_MDRPI) &&
		    xmlStrEqual(n->name, BAD_CAST "RegistrationInfo")) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	ri = xmlNewDocNode(doc, NULL, BAD_CAST "RegistrationInfo", NULL);
	if (ri == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	rpins = xmlNewNs(ri, BAD_CAST MD_NS_MDRPI, BAD_CAST "mdrpi");
	xmlSetNs(ri, rpins);
	xmlSetProp(ri, BAD_CAST "registrationAuthority", BAD_CAST ra);
	xmlSetProp(ri, BAD_CAST "registrationInstant", BAD_CAST instant);
	if (ext->children != NULL)
		xmlAddPrevSibling(ext->children, ri);
	else
		xmlAddChild(ext, ri);
	return pub_certify(doc, ext, cert, err);
}

static int pub_dump_root(xmlDocPtr doc, char **out, size_t *len, struct tl_err *err)
{
	xmlBufferPtr xb = xmlBufferCreate();
	int n;

	if (xb == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	n = xmlNodeDump(xb, doc, xmlDocGetRootElement(doc), 0, 0);
	if (n < 0) {
		xmlBufferFree(xb);
		return tl_err_set(err, TL_ENOMEM, "cannot serialise the entity");
	}
	*len = (size_t)xmlBufferLength(xb);
	*out = malloc(*len + 1);
	if (*out != NULL) {
		memcpy(*out, xmlBufferContent(xb), *len);
		(*out)[*len] = '\0';
	}
	xmlBufferFree(xb);
	return *out ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

/* Pass 1: the aggregate piece and its canonical form in context. */
static int pub_prepare_one(struct pub_job *job, struct pub_item *it)
{
	const struct tl_ctx *ctx = job->ctx;
	struct md_limits lim = { (size_t)ctx->conf.max_metadata_size * 2, (int)ctx->conf.max_xml_depth, 0 };
	xmlDocPtr doc = NULL, wrap = NULL;
	struct buf w;
	unsigned char *c = NULL;
	const char *ra = *ctx->conf.registration_authority ? ctx->conf.registration_authority
	                                                   : ctx->conf.base_url;
	int rc, n;
	size_t ol = strlen(PUB_ROOT_OPEN) + 1, cl = strlen(PUB_ROOT_CLOSE) + 1;

	buf_init(&w, 256u << 20);
	rc = md_parse(it->xml, strlen(it->xml), &lim, &doc, &it->err);
	if (rc == TL_OK)
		rc = pub_decorate(doc, ra, it->first_approved, &it->cert, &it->err);
	if (rc == TL_OK)
		rc = pub_dump_root(doc, &it->frag, &it->fraglen, &it->err);
	if (rc != TL_OK)
		goto out;
	if (buf_puts(&w, PUB_ROOT_OPEN "\n") != TL_OK || buf_append(&w, it->frag, it->fraglen) != TL_OK ||
	    buf_puts(&w, "\n" PUB_ROOT_CLOSE) != TL_OK) {
		rc = tl_err_set(&it->err, TL_ENOMEM, "out of memory");
		goto out;
	}
	wrap = xmlReadMemory(w.data, (int)w.len, NULL, "UTF-8", XML_PARSE_NONET);
	if (wrap == NULL) {
		rc = tl_err_set(&it->err, TL_EINTERNAL, "prepared entity does not re-parse");
		goto out;
	}
	n = sign_c14n(wrap, &c, &it->err);
	if (n < 0 || (size_t)n < ol + cl || memcmp(c, PUB_ROOT_OPEN "\n", ol) != 0 ||
	    memcmp(c + n - cl, "\n" PUB_ROOT_CLOSE, cl) != 0) {
		rc = tl_err_set(&it->err, TL_EINTERNAL, "unexpected canonical form of the aggregate root");
		goto out;
	}
	it->canonlen = (size_t)n - ol - cl;
	it->canon = malloc(it->canonlen + 1);
	if (it->canon == NULL) {
		rc = tl_err_set(&it->err, TL_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(it->canon, c + ol, it->canonlen);
	it->canon[it->canonlen] = '\0';
out:
	xmlFree(c);
	xmlFreeDoc(wrap);
	xmlFreeDoc(doc);
	buf_free(&w);
	return rc;
}

/* Pass 2: the signed standalone MDQ document from the prepared piece. */
static int pub_sign_one(struct pub_job *job, struct pub_item *it)
{
	xmlDocPtr doc;
	char id[2 * UTIL_SHA1_LEN + 2];
	int rc;

	doc = xmlReadMemory(it->frag, (int)it->fraglen, NULL, "UTF-8", XML_PARSE_NONET);
	if (doc == NULL)
		return tl_err_set(&it->err, TL_EINTERNAL, "prepared entity does not re-parse");
	id[0] = '_';
	util_hex(it->sha1, UTIL_SHA1_LEN, id + 1);
	rc = sign_metadata_doc(job->key, doc, id, job->valid_until, job->ctx->conf.cache_duration, &it->mdq,
	                       &it->mdqlen, &it->err);
	xmlFreeDoc(doc);
	return rc;
}

static void *pub_worker(void *arg)
{
	struct pub_job *job = arg;

	for (;;) {
		struct pub_item *it;
		size_t i;

		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->n)
			break;
		it = &job->items[i];
		if (it->rc != TL_OK)
			continue;
		if (job->pass == 1 && it->need_prepare)
			it->rc = pub_prepare_one(job, it);
		else if (job->pass == 2 && it->need_sign)
			it->rc = pub_sign_one(job, it);
	}
	return NULL;
}

static unsigned pub_threads(const struct tl_ctx *ctx)
{
	long n = ctx->conf.signing_threads;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : (unsigned)n;
}

static void pub_run(struct pub_job *job, unsigned threads)
{
	pthread_t tids[256];
	unsigned started = 0;

	job->next = 0;
	for (unsigned t = 1; t < threads && t < 256; t++)
		if (pthread_create(&tids[started], NULL, pub_worker, job) == 0)
			started++;
	pub_worker(job);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

static void pub_item_free(struct pub_item *it)
{
	free(it->cert.mem);
	free(it->entity_id);
	free(it->first_approved);
	free(it->xml);
	free(it->frag);
	free(it->canon);
	free(it->mdq);
	memset(it, 0, sizeof(*it));
}

static void pub_prep_put(struct store_txn *txn, struct pub_item *it, const unsigned char params[32])
{
	size_t total = PREP_HDR + it->fraglen + it->canonlen;
	unsigned char *rec = malloc(total);

	if (rec == NULL) {
		if (txn->rc == TL_OK)
			txn->rc = tl_err_set(&txn->err, TL_ENOMEM, "out of memory");
		return;
	}
	memcpy(rec, PREP_MAGIC, 4);
	store_be32(rec + 4, it->version);
	memcpy(rec + 8, params, 32);
	store_be32(rec + 40, (uint32_t)it->fraglen);
	store_be32(rec + 44, (uint32_t)it->canonlen);
	memcpy(rec + PREP_HDR, it->frag, it->fraglen);
	memcpy(rec + PREP_HDR + it->fraglen, it->canon, it->canonlen);
	store_put(txn, STORE_DB_PREPARED, it->sha1, UTIL_SHA1_LEN, rec, total);
	free(rec);
}

struct pub_prep {
	unsigned version;
	const unsigned char *params;
	const char *frag; size_t fraglen;
	const char *canon; size_t canonlen;
};

static int pub_prep_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        struct pub_prep *p)
{
	struct store_val v;
	const unsigned char *d;

	if (store_get(txn, STORE_DB_PREPARED, sha1, UTIL_SHA1_LEN, &v) != TL_OK)
		return TL_ENOENT;
	d = v.data;
	if (v.len < PREP_HDR || memcmp(d, PREP_MAGIC, 4) != 0)
		return TL_ENOENT;
	p->version = store_get_be32(d + 4);
	p->params = d + 8;
	p->fraglen = store_get_be32(d + 40);
	p->canonlen = store_get_be32(d + 44);
	if (v.len != PREP_HDR + p->fraglen + p->canonlen)
		return TL_ENOENT;
	p->frag = (const char *)d + PREP_HDR;
	p->canon = p->frag + p->fraglen;
	return TL_OK;
}

static int pub_cmp_sha1(const void *a, const void *b)
{
	return memcmp(((const struct pub_item *)a)->sha1, ((const struct pub_item *)b)->sha1,
	              UTIL_SHA1_LEN);
}

/* Collect approved entities and decide what needs work. */
static int pub_collect(struct tl_ctx *ctx, struct pub_job *job, size_t *cap, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	int rc;

	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	store_iter_begin(&txn, STORE_DB_ENTITIES, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		struct reg_head h;
		struct pub_item *pi;
		struct pub_prep prep;
		struct pub_doc doc;

		if (k.len != UTIL_SHA1_LEN || reg_head_read(&v, &h) != TL_OK)
			continue;
		if (strcmp(h.state, "approved") != 0 || h.approved_version == 0) {
			reg_head_free(&h);
			continue;
		}
		if (job->n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct pub_item *ni = realloc(job->items, nc * sizeof(*ni));
			if (ni == NULL) {
				reg_head_free(&h);
				rc = tl_err_set(err, TL_ENOMEM, "out of memory");
				break;
			}
			job->items = ni;
			*cap = nc;
		}
		pi = &job->items[job->n++];
		memset(pi, 0, sizeof(*pi));
		memcpy(pi->sha1, k.data, UTIL_SHA1_LEN);
		pi->entity_id = h.entity_id;
		pi->version = h.approved_version;
		pi->first_approved = h.first_approved;
		h.entity_id = h.first_approved = NULL;
		reg_head_free(&h);
		store_drop_pages_every(ctx->store, job->n);
		if (trust_cert_get(&txn, pi->sha1, pi->version, &pi->cert, &pi->err) != TL_OK) {
			pi->rc = pi->err.code;
			continue;
		}
		{
			unsigned char params[32];
			pub_params_hash(ctx, pi, params);
			pi->need_prepare = pub_prep_get(&txn, pi->sha1, &prep) != TL_OK ||
			                   prep.version != pi->version || memcmp(prep.params, params, 32) != 0;
		}
		pi->need_sign = pi->need_prepare || pub_mdq_get(&txn, pi->sha1, &doc) != TL_OK ||
		                doc.valid_until - (int64_t)job->now < ctx->conf.aggregate_validity / 2;
		if (pi->need_prepare) {
			struct store_val xv;
			if (reg_version_xml_get(&txn, pi->sha1, pi->version, &xv) == TL_OK &&
			    (pi->xml = malloc(xv.len + 1)) != NULL) {
				memcpy(pi->xml, xv.data, xv.len);
				pi->xml[xv.len] = '\0';
			}
			if (pi->xml == NULL) {
				pi->rc = tl_err_set(&pi->err, TL_ESTORE, "approved version %u is missing",
				                    pi->version);
			}
		} else if (pi->need_sign) {
			pi->frag = malloc(prep.fraglen + 1);
			if (pi->frag != NULL) {
				memcpy(pi->frag, prep.frag, prep.fraglen);
				pi->frag[prep.fraglen] = '\0';
				pi->fraglen = prep.fraglen;
			}
		}
	}
	store_iter_end(&it);
	if (rc == TL_OK && txn.rc != TL_OK) {
		rc = txn.rc;
		*err = txn.err;
	}
	store_abort(&txn);
	return rc;
}

/* Run both passes in batches, storing results as each batch completes. */
static int pub_work(struct tl_ctx *ctx, struct pub_job *job, struct pub_report *rep,
                    struct tl_err *err)
{
	struct pub_item *all = job->items;
	size_t total = job->n;
	unsigned threads = pub_threads(ctx);
	int rc = TL_OK;

	rep->threads = threads;
	for (size_t off = 0; rc == TL_OK && off < total; off += PUB_BATCH) {
		size_t n = total - off < PUB_BATCH ? total - off : PUB_BATCH;
		struct store_txn txn;
		double t0;

		job->items = all + off;
		job->n = n;
		job->pass = 1;
		t0 = pub_clock();
		pub_run(job, threads);
		rep->prepare_seconds += pub_clock() - t0;
		job->pass = 2;
		t0 = pub_clock();
		pub_run(job, threads);
		rep->sign_seconds += pub_clock() - t0;
		rc = store_txn_begin(ctx->store, &txn, 0, err);
		for (size_t i = 0; rc == TL_OK && i < n; i++) {
			struct pub_item *it = &job->items[i];
			if (it->rc != TL_OK) {
				log_entity_warn(it->entity_id, "not published: %s", it->err.msg);
				continue;
			}
			if (it->need_prepare) {
				unsigned char params[32];
				pub_params_hash(ctx, it, params);
				pub_prep_put(&txn, it, params);
				rep->prepared++;
			}
			if (it->need_sign) {
				pub_mdq_put(&txn, it->entity_id, it->mdq, it->mdqlen, (int64_t)job->now,
				            (int64_t)job->valid_until);
				rep->signed_mdq++;
			}
			free(it->xml); free(it->frag); free(it->canon); free(it->mdq);
			it->xml = it->frag = it->canon = it->mdq = NULL;
		}
		if (rc == TL_OK)
			rc = store_commit(&txn, err);
	}
	job->items = all;
	job->n = total;
	return rc;
}

/* Drop MDQ documents of entities no longer approved. */
static int pub_prune(struct tl_ctx *ctx, struct pub_job *job, struct pub_report *rep,
                     struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	unsigned char (*drop)[UTIL_SHA1_LEN] = NULL;
	size_t ndrop = 0, cap = 0;
	int rc;

	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	store_iter_begin(&txn, STORE_DB_MDQ, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		struct pub_item key;
		memcpy(key.sha1, k.data, UTIL_SHA1_LEN);
		if (k.len == UTIL_SHA1_LEN &&
		    job->n > 0 && bsearch(&key, job->items, job->n, sizeof(key), pub_cmp_sha1) != NULL)
			continue;
		if (ndrop == cap) {
			void *nd = realloc(drop, (cap = cap ? cap * 2 : 64) * UTIL_SHA1_LEN);
			if (nd == NULL)
				break;
			drop = nd;
		}
		memcpy(drop[ndrop++], k.data, UTIL_SHA1_LEN);
	}
	store_iter_end(&it);
	for (size_t i = 0; i < ndrop; i++) {
		store_del(&txn, STORE_DB_MDQ, drop[i], UTIL_SHA1_LEN);
		store_del(&txn, STORE_DB_PREPARED, drop[i], UTIL_SHA1_LEN);
	}
	rep->removed = ndrop;
	free(drop);
	return store_commit(&txn, err);
}

static void pub_xml_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	buf_xml_escape(b, value);
	buf_puts(b, "\"");
}

/* Write the aggregate: digest pass over canonical pieces, sign, then write. */
static int pub_aggregate(struct tl_ctx *ctx, struct pub_job *job, const struct sign_key *key,
                         struct pub_report *rep, struct tl_err *err)
{
	struct buf head, ext, skel, sig;
	struct store_txn txn = { 0 };
	EVP_MD_CTX *md = NULL;
	unsigned char *c = NULL, digest[32], rnd[16];
	unsigned dlen = 0;
	xmlDocPtr sk = NULL;
	FILE *f = NULL;
	char path[CTX_PATH_MAX], tmp[CTX_PATH_MAX + 32], vu[32], now[32], cd[32], id[40];
	const char *ra = *ctx->conf.registration_authority ? ctx->conf.registration_authority
	                                                   : ctx->conf.base_url;
	const char *publisher = *ctx->conf.publication_publisher ? ctx->conf.publication_publisher : ra;
	int rc = TL_OK, n, in_txn = 0;
	size_t closelen = strlen(PUB_ROOT_CLOSE);

	buf_init(&head, 1 << 20);
	buf_init(&ext, 1 << 20);
	buf_init(&skel, 1 << 20);
	buf_init(&sig, 1 << 20);
	util_time_iso(job->valid_until, vu, sizeof(vu));
	util_time_iso(job->now, now, sizeof(now));
	util_duration_format(ctx->conf.cache_duration, cd, sizeof(cd));
	if ((rc = util_random(rnd, sizeof(rnd), err)) != TL_OK)
		goto out;
	id[0] = '_';
	util_hex(rnd, sizeof(rnd), id + 1);
	snprintf(rep->id, sizeof(rep->id), "%s", id);
	snprintf(rep->valid_until, sizeof(rep->valid_until), "%s", vu);

	buf_puts(&head, "<md:EntitiesDescriptor xmlns:md=\"" MD_NS "\" xmlns:mdrpi=\"" MD_NS_MDRPI "\"");
	pub_xml_attr(&head, "ID", id);
	pub_xml_attr(&head, "Name", ctx->conf.name);
	pub_xml_attr(&head, "cacheDuration", cd);
	pub_xml_attr(&head, "validUntil", vu);
	buf_puts(&head, ">");
	buf_puts(&ext, "<md:Extensions><mdrpi:PublicationInfo");
	pub_xml_attr(&ext, "creationInstant", now);
	pub_xml_attr(&ext, "publicationId", id);
	pub_xml_attr(&ext, "publisher", publisher);
	buf_puts(&ext, "/></md:Extensions>\n");
	buf_append(&skel, head.data, head.len);
	buf_append(&skel, ext.data, ext.len);
	if (buf_puts(&skel, PUB_ROOT_CLOSE) != TL_OK) {
		rc = tl_err_set(err, TL_ELIMIT, "federation name or URLs too long");
		goto out;
	}
	sk = xmlReadMemory(skel.data, (int)skel.len, NULL, "UTF-8", XML_PARSE_NONET);
	n = sk ? sign_c14n(sk, &c, err) : -1;
	if (n < (int)closelen || memcmp(c + n - closelen, PUB_ROOT_CLOSE, closelen) != 0) {
		rc = tl_err_set(err, TL_EINTERNAL, "unexpected canonical form of the aggregate head");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = tl_err_set(err, TL_ECRYPTO, "SHA-256 unavailable");
		goto out;
	}
	EVP_DigestUpdate(md, c, (size_t)n - closelen);

	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		goto out;
	in_txn = 1;
	rep->entities = 0;
	for (size_t i = 0; i < job->n; i++) {
		struct pub_prep p;
		if (job->items[i].rc != TL_OK || pub_prep_get(&txn, job->items[i].sha1, &p) != TL_OK)
			continue;
		EVP_DigestUpdate(md, p.canon, p.canonlen);
		EVP_DigestUpdate(md, "\n", 1);
		rep->entities++;
		store_drop_pages_every(ctx->store, i + 1); /* both passes read every prepared document */
	}
	EVP_DigestUpdate(md, PUB_ROOT_CLOSE, closelen);
	EVP_DigestFinal_ex(md, digest, &dlen);
	rc = sign_signature_xml(key, id, digest, &sig, err);
	if (rc != TL_OK)
		goto out;

	ctx_path(ctx, "published", path);
	if ((rc = util_mkdirs(path, 0755, err)) != TL_OK)
		goto out;
	ctx_path(ctx, PUB_AGGREGATE_REL, path);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (f == NULL) {
		rc = tl_err_set(err, TL_EIO, "%s: cannot create", tmp);
		goto out;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fwrite(head.data, 1, head.len, f);
	fwrite(sig.data, 1, sig.len, f);
	fwrite(ext.data, 1, ext.len, f);
	for (size_t i = 0; i < job->n; i++) {
		struct pub_prep p;
		if (job->items[i].rc != TL_OK || pub_prep_get(&txn, job->items[i].sha1, &p) != TL_OK)
			continue;
		fwrite(p.frag, 1, p.fraglen, f);
		fputc('\n', f);
		store_drop_pages_every(ctx->store, i + 1);
	}
	fputs(PUB_ROOT_CLOSE "\n", f);
	store_abort(&txn);
	in_txn = 0;
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		rc = tl_err_set(err, TL_EIO, "%s: write failed", tmp);
		goto out;
	}
	rep->bytes = (size_t)ftell(f);
	fclose(f);
	f = NULL;
	chmod(tmp, 0644);
	if (rename(tmp, path) != 0) {
		rc = tl_err_set(err, TL_EIO, "%s: cannot replace", path);
		goto out;
	}
out:
	if (f != NULL) {
		fclose(f);
		unlink(tmp);
	}
	if (in_txn)
		store_abort(&txn);
	EVP_MD_CTX_free(md);
	xmlFree(c);
	xmlFreeDoc(sk);
	buf_free(&head);
	buf_free(&ext);
	buf_free(&skel);
	buf_free(&sig);
	return rc;
}

/* Bring the evaluations of every approved version up to date: certification comes from them. */
static int pub_refresh_trust(struct tl_ctx *ctx, struct tl_err *err)
{
	struct tf_set *set = NULL;
	struct trust_opts o = { 0 };
	struct trust_stats st;
	int rc;

	rc = trust_load(ctx, &set, err);
	if (rc != TL_OK)
		return tl_err_prefix(err, "cannot certify");
	o.approved = 1;
	o.threads = ctx->conf.signing_threads > 0 ? (unsigned)ctx->conf.signing_threads : 0;
	rc = trust_evaluate_all(ctx, set, &o, NULL, &st, err);
	tf_set_free(set);
	return rc;
}

/* The entities of the last publication that are still approved, at their published version. */
static int pub_collect_published(struct tl_ctx *ctx, struct pub_job *job, size_t *cap,
                                 struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	struct trust_ref *refs = NULL;
	struct tf_set *set = NULL;
	size_t nrefs = 0;
	int rc;

	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	store_iter_begin(&txn, STORE_DB_PREPARED, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &v)) {
		struct pub_prep prep;
		struct store_val ev;
		struct pub_item *pi;
		json_t *e;
		const char *fa;
		if (k.len != UTIL_SHA1_LEN || pub_prep_get(&txn, k.data, &prep) != TL_OK ||
		    store_get(&txn, STORE_DB_ENTITIES, k.data, UTIL_SHA1_LEN, &ev) != TL_OK ||
		    (e = json_loadb(ev.data, ev.len, 0, NULL)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(e, "state")) ?: "", "approved") != 0) {
			json_decref(e);
			continue;
		}
		if (job->n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct pub_item *ni = realloc(job->items, nc * sizeof(*ni));
			struct trust_ref *nr = realloc(refs, nc * sizeof(*nr));
			if (ni != NULL)
				job->items = ni;
			if (nr != NULL)
				refs = nr;
			if (ni == NULL || nr == NULL) {
				json_decref(e);
				rc = tl_err_set(err, TL_ENOMEM, "out of memory");
				break;
			}
			*cap = nc;
		}
		pi = &job->items[job->n++];
		memset(pi, 0, sizeof(*pi));
		memcpy(pi->sha1, k.data, UTIL_SHA1_LEN);
		pi->entity_id = strdup(json_string_value(json_object_get(e, "entity_id")) ?: "");
		pi->version = prep.version;
		fa = json_string_value(json_object_get(e, "first_approved"));
		pi->first_approved = strdup(fa ? fa : "");
		memcpy(refs[nrefs].sha1, k.data, UTIL_SHA1_LEN);
		refs[nrefs++].version = prep.version;
		json_decref(e);
		store_drop_pages_every(ctx->store, job->n); /* the scan reads every prepared document */
	}
	store_iter_end(&it);
	store_abort(&txn);
	if (rc == TL_OK)
		rc = trust_load(ctx, &set, err);
	if (rc == TL_OK)
		rc = trust_refresh(ctx, set, refs, nrefs, err);
	tf_set_free(set);
	free(refs);
	if (rc != TL_OK)
		return rc;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	for (size_t i = 0; i < job->n; i++) {
		struct pub_item *pi = &job->items[i];
		struct pub_prep prep;
		unsigned char params[32];
		struct store_val xv;
		store_drop_pages_every(ctx->store, i + 1); /* each read touches a whole report record */
		if (trust_cert_get(&txn, pi->sha1, pi->version, &pi->cert, &pi->err) != TL_OK) {
			/* keep what is published rather than drop it */
			log_entity_warn(pi->entity_id, "certification not refreshed: %s", pi->err.msg);
			continue;
		}
		pub_params_hash(ctx, pi, params);
		if (pub_prep_get(&txn, pi->sha1, &prep) == TL_OK && memcmp(prep.params, params, 32) == 0)
			continue;
		pi->need_prepare = pi->need_sign = 1;
		if (reg_version_xml_get(&txn, pi->sha1, pi->version, &xv) == TL_OK &&
		    (pi->xml = malloc(xv.len + 1)) != NULL) {
			memcpy(pi->xml, xv.data, xv.len);
			pi->xml[xv.len] = '\0';
		} else {
			pi->rc = tl_err_set(&pi->err, TL_ESTORE, "published version %u is missing", pi->version);
		}
	}
	store_abort(&txn);
	return TL_OK;
}

int pub_refresh_certification(struct tl_ctx *ctx, struct pub_report *rep, struct tl_err *err)
{
	struct pub_job job;
	struct sign_key key = { 0 };
	char kp[CTX_PATH_MAX], cp[CTX_PATH_MAX];
	size_t cap = 0, changed = 0;
	double t0 = pub_clock(), t1;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&job, 0, sizeof(job));
	pthread_mutex_init(&job.lock, NULL);
	job.ctx = ctx;
	job.now = util_now();
	job.valid_until = job.now + ctx->conf.aggregate_validity;
	rc = pub_collect_published(ctx, &job, &cap, err);
	if (rc != TL_OK)
		goto out;
	for (size_t i = 0; i < job.n; i++)
		changed += job.items[i].need_prepare;
	if (changed == 0)
		goto out;
	rc = sign_key_load(&key, ctx_path(ctx, "keys/metadata-signing.key", kp),
	                   ctx_path(ctx, "keys/metadata-signing.crt", cp), err);
	if (rc != TL_OK)
		goto out;
	job.key = &key;
	rc = pub_work(ctx, &job, rep, err);
	t1 = pub_clock();
	if (rc == TL_OK)
		rc = pub_aggregate(ctx, &job, &key, rep, err);
	rep->aggregate_seconds = pub_clock() - t1;
	if (rc == TL_OK) {
		struct store_txn txn;
		json_t *d = json_pack("{s:s, s:I, s:I}", "id", rep->id, "entities", (json_int_t)rep->entities,
		                      "recertified", (json_int_t)rep->prepared);
		rc = store_txn_begin(ctx->store, &txn, 0, err);
		if (rc == TL_OK) {
			audit_append(&txn, ctx->actor, "publish.certification", "federation", d);
			rc = store_commit(&txn, err);
		}
		json_decref(d);
		log_info("certification refresh: %zu entities re-certified, aggregate %s republished",
		         rep->prepared, rep->id);
	}
out:
	rep->seconds = pub_clock() - t0;
	for (size_t i = 0; i < job.n; i++)
		pub_item_free(&job.items[i]);
	free(job.items);
	pthread_mutex_destroy(&job.lock);
	sign_key_free(&key);
	return rc;
}

int pub_publish(struct tl_ctx *ctx, struct pub_report *rep, struct tl_err *err)
{
	struct pub_job job;
	struct sign_key key = { 0 };
	char kp[CTX_PATH_MAX], cp[CTX_PATH_MAX];
	size_t cap = 0;
	double t0 = pub_clock(), t1;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&job, 0, sizeof(job));
	pthread_mutex_init(&job.lock, NULL);
	job.ctx = ctx;
	job.now = util_now();
	job.valid_until = job.now + ctx->conf.aggregate_validity;
	rc = sign_key_load(&key, ctx_path(ctx, "keys/metadata-signing.key", kp),
	                   ctx_path(ctx, "keys/metadata-signing.crt", cp), err);
	if (rc != TL_OK)
		goto out;
	job.key = &key;
	rc = pub_refresh_trust(ctx, err);
	if (rc != TL_OK)
		goto out;
	rc = pub_collect(ctx, &job, &cap, err);
	if (rc != TL_OK)
		goto out;
	if (job.n > 1)
		qsort(job.items, job.n, sizeof(*job.items), pub_cmp_sha1);
	rc = pub_work(ctx, &job, rep, err);
	if (rc == TL_OK)
		rc = pub_prune(ctx, &job, rep, err);
	t1 = pub_clock();
	if (rc == TL_OK)
		rc = pub_aggregate(ctx, &job, &key, rep, err);
	rep->aggregate_seconds = pub_clock() - t1;
	if (rc == TL_OK) {
		struct store_txn txn;
		json_t *d = json_pack("{s:s, s:I, s:I, s:I, s:s}", "id", rep->id, "entities",
		                      (json_int_t)rep->entities, "signed_mdq", (json_int_t)rep->signed_mdq,
		                      "bytes", (json_int_t)rep->bytes, "valid_until", rep->valid_until);
		rc = store_txn_begin(ctx->store, &txn, 0, err);
		if (rc == TL_OK) {
			audit_append(&txn, ctx->actor, "publish", "federation", d);
			rc = store_commit(&txn, err);
		}
		json_decref(d);
	}
	rep->seconds = pub_clock() - t0;
out:
	for (size_t i = 0; i < job.n; i++)
		pub_item_free(&job.items[i]);
	free(job.items);
	pthread_mutex_destroy(&job.lock);
	sign_key_free(&key);
	return rc;
}
