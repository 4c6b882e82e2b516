/*
 * sigv.c - streaming verification of a signed SAML metadata aggregate.
 *
 * The file is read with an xmlTextReader.  The parts of the document that
 * are not entities (the root, nested EntitiesDescriptors, Extensions) are
 * canonicalised node by node from the reader; every md:EntityDescriptor is
 * expanded into a small DOM subtree, canonicalised by walking it, handed to
 * the caller and freed.  The canonical octets go straight into the digest
 * in chunks: the document is never held whole, neither as a tree nor as
 * canonical text.
 *
 * The canonicaliser reproduces what libxml2's xmlC14NExecute (and so
 * xmlsec) writes for the node-set of an enveloped-signature Reference:
 * the whole document, or the root element's subtree, without comments and
 * without the ds:Signature subtree.  Every element it writes has all its
 * ancestors in the node-set, which keeps the namespace rules simple:
 *  - inclusive C14N 1.0: an element renders the namespace declarations
 *    whose binding differs from its parent's (xmlns="" only when the
 *    parent has a non-empty default namespace);
 *  - exclusive C14N 1.0: an element renders the namespaces it visibly
 *    uses (its own, its attributes', the InclusiveNamespaces prefixes)
 *    unless an output ancestor rendered the same binding; the bookkeeping
 *    below follows libxml2's so that the corner cases (xmlns="", prefix
 *    lists) come out byte-identical.
 * SignedInfo is small and is canonicalised by libxml2 itself.
 */
#include "tillit/sigv.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/c14n.h>
#include <libxml/uri.h>
#include <libxml/xmlreader.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tillit/buf.h"
#include "tillit/log.h"
#include "tillit/util.h"

#define SIGV_NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define SIGV_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define SIGV_NS_XML "http://www.w3.org/XML/1998/namespace"
#define SIGV_ALG_ENVELOPED SIGV_NS_DS "enveloped-signature"
#define SIGV_ALG_EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define SIGV_ALG_INC "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define SIGV_MORE "http://www.w3.org/2001/04/xmldsig-more#"

/* Limits used when the caller leaves one at zero. */
#define SIGV_DEF_MAX_BYTES ((size_t)512 << 20)
#define SIGV_DEF_MAX_ENTITIES ((size_t)100000)
#define SIGV_DEF_MAX_ENTITY_BYTES ((size_t)1 << 20)
#define SIGV_DEF_MAX_DEPTH 64
/* What precedes the ds:Signature is held until its algorithms are known. */
#define SIGV_MAX_PENDING ((size_t)1 << 20)
/*
 * Attributes and namespace declarations of one element, namespaces in the
 * canonicaliser's stack (real metadata stays far below these; they bound
 * the cost of the namespace look-ups), prefixes of one PrefixList, one
 * SignedInfo.
 */
#define SIGV_MAX_ATTRS 256
#define SIGV_MAX_NSDEFS 256
#define SIGV_MAX_NS_STACK 1024
#define SIGV_MAX_PREFIXES 64
#define SIGV_MAX_SIGNEDINFO ((size_t)64 << 10)
/* The largest signature value accepted (RSA-16384). */
#define SIGV_MAX_SIGVALUE 2048
/* Canonical output is digested in chunks of this size. */
#define SIGV_CHUNK 65536
/* Namespace URIs already found absolute (a small cache; most repeat). */
#define SIGV_NS_CACHE 16
/* How much of a libxml2 message or a name goes into our messages. */
#define SIGV_SHOWN 200

/* ------------------------------------------------------------------ */
/* Algorithms                                                          */

struct sigv_c14n_alg {
	const char *uri;
	int exclusive;
};

static const struct sigv_c14n_alg sigv_c14n_algs[] = {
	{ SIGV_ALG_EXC, 1 },
	{ SIGV_ALG_EXC "WithComments", 1 },
	{ SIGV_ALG_INC, 0 },
	{ SIGV_ALG_INC "#WithComments", 0 },
};

struct sigv_md_alg {
	const char *uri;
	const char *name;
	const EVP_MD *(*md)(void);
	int sha1;
};

static const struct sigv_md_alg sigv_digest_algs[] = {
	{ SIGV_NS_DS "sha1", "SHA-1", EVP_sha1, 1 },
	{ "http://www.w3.org/2001/04/xmlenc#sha256", "SHA-256", EVP_sha256, 0 },
	{ SIGV_MORE "sha384", "SHA-384", EVP_sha384, 0 },
	{ "http://www.w3.org/2001/04/xmlenc#sha512", "SHA-512", EVP_sha512, 0 },
};

struct sigv_sig_alg {
	const char *uri;
	const char *name;
	const EVP_MD *(*md)(void);
	int key_type;
	int sha1;
};

static const struct sigv_sig_alg sigv_sig_algs[] = {
	{ SIGV_NS_DS "rsa-sha1", "RSA-SHA1", EVP_sha1, EVP_PKEY_RSA, 1 },
	{ SIGV_MORE "rsa-sha256", "RSA-SHA256", EVP_sha256, EVP_PKEY_RSA, 0 },
	{ SIGV_MORE "rsa-sha384", "RSA-SHA384", EVP_sha384, EVP_PKEY_RSA, 0 },
	{ SIGV_MORE "rsa-sha512", "RSA-SHA512", EVP_sha512, EVP_PKEY_RSA, 0 },
	{ SIGV_MORE "ecdsa-sha256", "ECDSA-SHA256", EVP_sha256, EVP_PKEY_EC, 0 },
	{ SIGV_MORE "ecdsa-sha384", "ECDSA-SHA384", EVP_sha384, EVP_PKEY_EC, 0 },
	{ SIGV_MORE "ecdsa-sha512", "ECDSA-SHA512", EVP_sha512, EVP_PKEY_EC, 0 },
};

/* ------------------------------------------------------------------ */
/* The streaming canonicaliser                                         */

enum c14n_esc { C14N_TEXT, C14N_ATTR, C14N_PI };

struct c14n {
	int exclusive;
	xmlChar **prefixes;      /* exclusive InclusiveNamespaces, NULL-terminated; borrowed */
	xmlNsPtr *ns;            /* exclusive: rendered; inclusive: in scope */
	size_t nns, capns;
	size_t *frame;           /* per open element: where its entries in ns start */
	size_t depth, capframe;
	xmlAttrPtr *attrs;       /* scratch: one element's attributes */
	size_t capattrs;
	xmlNsPtr *render;        /* scratch: one element's declarations to write */
	size_t nrender, caprender;
	char *abs_ns[SIGV_NS_CACHE];
	size_t nabs;
	EVP_MD_CTX *md;          /* where the output goes, unless capture is set */
	struct buf *capture;
	unsigned long long bytes;
	size_t outlen;
	int rc;                  /* sticky: the first error */
	struct tl_err *err;
	const char *path;
	unsigned char out[SIGV_CHUNK];
};

/*
 * The line of an element's start tag.  Past line 65534 libxml2 keeps the
 * line of the first text child instead (XML_PARSE_BIG_LINES), which is
 * where that text ends: step back over its newlines.
 */
static int sigv_line(xmlNodePtr n)
{
	long l = xmlGetLineNo(n);

	if (n->type == XML_ELEMENT_NODE && n->line == 65535 && n->children != NULL &&
	    n->children->type == XML_TEXT_NODE && n->children->content != NULL) {
		for (const xmlChar *p = n->children->content; *p != '\0' && l > 65535; p++)
			if (*p == '\n')
				l--;
	}
	return l > 0 && l < 0x7fffffff ? (int)l : 0;
}

static void c14n_fail(struct c14n *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void c14n_fail(struct c14n *c, int code, const char *fmt, ...)
{
	char msg[TL_ERR_MSG_MAX];
	va_list ap;

	if (c->rc != TL_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->rc = tl_err_set(c->err, code, "%s: %s", c->path, msg);
}

static void c14n_free(struct c14n *c)
{
	free(c->ns);
	free(c->frame);
	free(c->attrs);
	free(c->render);
	for (size_t i = 0; i < c->nabs; i++)
		free(c->abs_ns[i]);
	EVP_MD_CTX_free(c->md);
}

static void c14n_write(struct c14n *c, const void *p, size_t n)
{
	if (c->rc != TL_OK || n == 0)
		return;
	if (c->capture != NULL) {
		if (buf_append(c->capture, p, n) != TL_OK)
			c14n_fail(c, TL_ELIMIT,
			          "more than %zu bytes of content before the ds:Signature",
			          c->capture->max);
	} else if (c->md == NULL || EVP_DigestUpdate(c->md, p, n) != 1) {
		c14n_fail(c, TL_ECRYPTO, "digest update failed");
	}
}

static void c14n_flush(struct c14n *c)
{
	c14n_write(c, c->out, c->outlen);
	c->outlen = 0;
}

static void c14n_put(struct c14n *c, const void *p, size_t n)
{
	if (n == 0)
		return;
	c->bytes += n;
	if (c->outlen + n > sizeof(c->out)) {
		c14n_flush(c);
		if (n > sizeof(c->out)) {
			c14n_write(c, p, n);
			return;
		}
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void c14n_puts(struct c14n *c, const char *s)
{
	c14n_put(c, s, strlen(s));
}

/* Write s escaped as C14N wants it in text, attribute values or PIs. */
static void c14n_escaped(struct c14n *c, const xmlChar *s, enum c14n_esc mode)
{
	const xmlChar *run = s;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&':
			rep = mode != C14N_PI ? "&amp;" : NULL;
			break;
		case '<':
			rep = mode != C14N_PI ? "&lt;" : NULL;
			break;
		case '>':
			rep = mode == C14N_TEXT ? "&gt;" : NULL;
			break;
		case '"':
			rep = mode == C14N_ATTR ? "&quot;" : NULL;
			break;
		case '\t':
			rep = mode == C14N_ATTR ? "&#x9;" : NULL;
			break;
		case '\n':
			rep = mode == C14N_ATTR ? "&#xA;" : NULL;
			break;
		case '\r':
			rep = "&#xD;";
			break;
		default:
			break;
		}
		if (rep == NULL)
			continue;
		c14n_put(c, run, (size_t)(s - run));
		c14n_puts(c, rep);
		run = s + 1;
	}
	c14n_put(c, run, (size_t)(s - run));
}

/* Room for need items of size bytes at p (capacity *cap): the new p, or NULL. */
static void *c14n_room(struct c14n *c, void *p, size_t *cap, size_t need, size_t size)
{
	size_t nc;
	void *q;

	if (need <= *cap)
		return p;
	nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	q = realloc(p, nc * size);
	if (q == NULL) {
		c14n_fail(c, TL_ENOMEM, "out of memory canonicalising");
		return NULL;
	}
	*cap = nc;
	return q;
}

static int c14n_is_xml_ns(const xmlNs *ns)
{
	return ns != NULL && ns->prefix != NULL && xmlStrEqual(ns->prefix, BAD_CAST "xml") &&
	       xmlStrEqual(ns->href, BAD_CAST SIGV_NS_XML);
}

static int c14n_empty(const xmlChar *s)
{
	return s == NULL || *s == '\0';
}

static int c14n_streq(const xmlChar *a, const xmlChar *b)
{
	return xmlStrEqual(a != NULL ? a : BAD_CAST "", b != NULL ? b : BAD_CAST "");
}

static void c14n_push(struct c14n *c, xmlNsPtr ns)
{
	xmlNsPtr *q;

	if (c->nns == SIGV_MAX_NS_STACK) {
		c14n_fail(c, TL_ELIMIT, "more than %d namespace bindings in scope", SIGV_MAX_NS_STACK);
		return;
	}
	q = c14n_room(c, c->ns, &c->capns, c->nns + 1, sizeof(*c->ns));
	if (q == NULL)
		return;
	c->ns = q;
	c->ns[c->nns++] = ns;
}

/*
 * Whether (prefix, href) counts as rendered, looking at the entries from
 * start up.  An undeclared default namespace counts as rendered.
 */
static int c14n_find(const struct c14n *c, const xmlChar *prefix, const xmlChar *href, size_t start)
{
	for (size_t i = c->nns; i-- > start;) {
		if (c14n_streq(c->ns[i]->prefix, prefix))
			return c14n_streq(c->ns[i]->href, href);
	}
	return c14n_empty(prefix) && c14n_empty(href);
}

static void c14n_render_add(struct c14n *c, xmlNsPtr ns)
{
	xmlNsPtr *q = c14n_room(c, c->render, &c->caprender, c->nrender + 1, sizeof(*c->render));

	if (q == NULL)
		return;
	c->render = q;
	c->render[c->nrender++] = ns;
}

/* Write the collected declarations sorted by prefix, the default first. */
static void c14n_render_flush(struct c14n *c)
{
	for (size_t i = 1; i < c->nrender; i++) {
		xmlNsPtr x = c->render[i];
		size_t j = i;
		while (j > 0 && xmlStrcmp(c->render[j - 1]->prefix, x->prefix) > 0) {
			c->render[j] = c->render[j - 1];
			j--;
		}
		c->render[j] = x;
	}
	for (size_t i = 0; i < c->nrender; i++) {
		xmlNsPtr ns = c->render[i];
		if (ns->prefix != NULL) {
			c14n_puts(c, " xmlns:");
			c14n_puts(c, (const char *)ns->prefix);
			c14n_puts(c, "=\"");
		} else {
			c14n_puts(c, " xmlns=\"");
		}
		if (ns->href != NULL)
			c14n_puts(c, (const char *)ns->href);
		c14n_puts(c, "\"");
	}
	c->nrender = 0;
}

/*
 * C14N 1.0 must fail on relative namespace URIs; the test is libxml2's.
 * Also bounds the declarations of one element.
 */
static void c14n_check_ns(struct c14n *c, xmlNodePtr e)
{
	int n = 0;

	for (xmlNsPtr ns = e->nsDef; ns != NULL && c->rc == TL_OK; ns = ns->next) {
		xmlURIPtr uri;
		int ok;
		size_t i;

		if (++n > SIGV_MAX_NSDEFS) {
			c14n_fail(c, TL_ELIMIT, "line %d: <%s> has more than %d namespace declarations",
			          sigv_line(e), (const char *)e->name, SIGV_MAX_NSDEFS);
			return;
		}
		if (c14n_empty(ns->href))
			continue;
		for (i = 0; i < c->nabs; i++)
			if (strcmp(c->abs_ns[i], (const char *)ns->href) == 0)
				break;
		if (i < c->nabs)
			continue;
		uri = xmlParseURI((const char *)ns->href);
		ok = uri != NULL && !c14n_empty(BAD_CAST uri->scheme) &&
		     (xmlStrcasecmp(BAD_CAST uri->scheme, BAD_CAST "urn") == 0 ||
		      xmlStrcasecmp(BAD_CAST uri->scheme, BAD_CAST "dav") == 0 ||
		      !c14n_empty(BAD_CAST uri->server));
		xmlFreeURI(uri);
		if (!ok) {
			c14n_fail(c, TL_ESIG,
			          "line %d: namespace URI '%.*s' is relative: it cannot be canonicalised",
			          sigv_line(e), SIGV_SHOWN, (const char *)ns->href);
			return;
		}
		if (c->nabs < SIGV_NS_CACHE) {
			c->abs_ns[c->nabs] = strdup((const char *)ns->href);
			if (c->abs_ns[c->nabs] != NULL)
				c->nabs++;
		}
	}
}

static void c14n_ns_inclusive(struct c14n *c, xmlNodePtr e)
{
	for (xmlNsPtr ns = e->nsDef; ns != NULL; ns = ns->next) {
		size_t i;
		int render;

		if (c14n_is_xml_ns(ns))
			continue;
		for (i = c->nns; i-- > 0;)
			if (c14n_streq(c->ns[i]->prefix, ns->prefix))
				break;
		if (i != (size_t)-1)
			render = !c14n_streq(c->ns[i]->href, ns->href);
		else
			render = !(c14n_empty(ns->prefix) && c14n_empty(ns->href));
		if (render)
			c14n_render_add(c, ns);
	}
	for (xmlNsPtr ns = e->nsDef; ns != NULL; ns = ns->next)
		if (!c14n_is_xml_ns(ns))
			c14n_push(c, ns);
}

/* win: where the parent's entries start (the window for PrefixList lookups). */
static void c14n_ns_exclusive(struct c14n *c, xmlNodePtr e, size_t win)
{
	int has_empty = 0, uses_empty = 0, incl_empty = 0;
	xmlNsPtr ns;

	for (size_t i = 0; c->prefixes != NULL && c->prefixes[i] != NULL; i++) {
		const xmlChar *p = c->prefixes[i];
		int seen;

		if (xmlStrEqual(p, BAD_CAST "#default") || *p == '\0') {
			p = NULL;
			incl_empty = 1;
		}
		ns = xmlSearchNs(e->doc, e, p);
		if (ns == NULL || c14n_is_xml_ns(ns))
			continue;
		seen = c14n_find(c, ns->prefix, ns->href,
		                 c14n_empty(ns->prefix) && c14n_empty(ns->href) ? 0 : win);
		c14n_push(c, ns);
		if (!seen)
			c14n_render_add(c, ns);
		if (c14n_empty(ns->prefix))
			has_empty = 1;
	}
	if (e->ns != NULL) {
		ns = e->ns;
	} else {
		ns = xmlSearchNs(e->doc, e, NULL);
		uses_empty = 1;
	}
	if (ns != NULL && !c14n_is_xml_ns(ns)) {
		if (!c14n_find(c, ns->prefix, ns->href, 0))
			c14n_render_add(c, ns);
		c14n_push(c, ns);
		if (c14n_empty(ns->prefix))
			has_empty = 1;
	}
	for (xmlAttrPtr a = e->properties; a != NULL; a = a->next) {
		int seen;

		if (a->ns == NULL || c14n_is_xml_ns(a->ns))
			continue;
		seen = c14n_find(c, a->ns->prefix, a->ns->href, 0);
		c14n_push(c, a->ns);
		if (!seen)
			c14n_render_add(c, a->ns);
		if (c14n_empty(a->ns->prefix))
			has_empty = 1;
	}
	/* libxml2's xmlns="" rule; it cannot fire when every ancestor is output */
	if (!has_empty && (uses_empty || incl_empty) && !c14n_find(c, NULL, NULL, 0))
		c14n_puts(c, " xmlns=\"\"");
}

/* libxml2's order: no namespace first, then by namespace URI, then local name. */
static int c14n_attr_cmp(const void *pa, const void *pb)
{
	const xmlAttr *a = *(const xmlAttr *const *)pa;
	const xmlAttr *b = *(const xmlAttr *const *)pb;
	int r;

	if (a->ns == b->ns)
		return xmlStrcmp(a->name, b->name);
	if (a->ns == NULL)
		return -1;
	if (b->ns == NULL)
		return 1;
	if (a->ns->prefix == NULL)
		return -1;
	if (b->ns->prefix == NULL)
		return 1;
	r = xmlStrcmp(a->ns->href, b->ns->href);
	return r != 0 ? r : xmlStrcmp(a->name, b->name);
}

static void c14n_attrs(struct c14n *c, xmlNodePtr e)
{
	size_t n = 0;

	for (xmlAttrPtr a = e->properties; a != NULL; a = a->next) {
		if (n == SIGV_MAX_ATTRS) {
			c14n_fail(c, TL_ELIMIT, "line %d: <%s> has more than %d attributes",
			          sigv_line(e), (const char *)e->name, SIGV_MAX_ATTRS);
			return;
		}
		xmlAttrPtr *q = c14n_room(c, c->attrs, &c->capattrs, n + 1, sizeof(*c->attrs));
		if (q == NULL)
			return;
		c->attrs = q;
		c->attrs[n++] = a;
	}
	if (n > 1)
		qsort(c->attrs, n, sizeof(*c->attrs), c14n_attr_cmp);
	for (size_t i = 0; i < n; i++) {
		xmlAttrPtr a = c->attrs[i];

		c14n_puts(c, " ");
		if (a->ns != NULL && !c14n_empty(a->ns->prefix)) {
			c14n_puts(c, (const char *)a->ns->prefix);
			c14n_puts(c, ":");
		}
		c14n_puts(c, (const char *)a->name);
		c14n_puts(c, "=\"");
		for (xmlNodePtr t = a->children; t != NULL; t = t->next) {
			if (t->type != XML_TEXT_NODE) {
				c14n_fail(c, TL_EPARSE, "line %d: entity reference in attribute %s",
				          sigv_line(e), (const char *)a->name);
				return;
			}
			c14n_escaped(c, t->content, C14N_ATTR);
		}
		c14n_puts(c, "\"");
	}
}

static void c14n_qname(struct c14n *c, xmlNodePtr e)
{
	if (e->ns != NULL && !c14n_empty(e->ns->prefix)) {
		c14n_puts(c, (const char *)e->ns->prefix);
		c14n_puts(c, ":");
	}
	c14n_puts(c, (const char *)e->name);
}

static void c14n_start(struct c14n *c, xmlNodePtr e)
{
	size_t win = c->depth > 0 ? c->frame[c->depth - 1] : 0;
	size_t *q;

	c14n_check_ns(c, e);
	q = c14n_room(c, c->frame, &c->capframe, c->depth + 1, sizeof(*c->frame));
	if (q == NULL)
		return;
	c->frame = q;
	c->frame[c->depth++] = c->nns;
	c14n_puts(c, "<");
	c14n_qname(c, e);
	c->nrender = 0;
	if (c->exclusive)
		c14n_ns_exclusive(c, e, win);
	else
		c14n_ns_inclusive(c, e);
	c14n_render_flush(c);
	c14n_attrs(c, e);
	c14n_puts(c, ">");
}

static void c14n_end(struct c14n *c, xmlNodePtr e)
{
	c14n_puts(c, "</");
	c14n_qname(c, e);
	c14n_puts(c, ">");
	if (c->depth > 0)
		c->nns = c->frame[--c->depth];
}

/* A PI; where: -1 before the root element, 0 inside, 1 after. */
static void c14n_pi(struct c14n *c, const xmlChar *target, const xmlChar *data, int where)
{
	c14n_puts(c, where > 0 ? "\n<?" : "<?");
	c14n_puts(c, (const char *)target);
	if (!c14n_empty(data)) {
		c14n_puts(c, " ");
		c14n_escaped(c, data, C14N_PI);
	}
	c14n_puts(c, where < 0 ? "?>\n" : "?>");
}

/* Canonicalise the DOM subtree at top; level is top's nesting level (root = 1). */
static void c14n_subtree(struct c14n *c, xmlNodePtr top, int level, int max_level)
{
	xmlNodePtr n = top;

	while (c->rc == TL_OK) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (level > max_level) {
				c14n_fail(c, TL_ELIMIT, "line %d: elements nested deeper than max_depth (%d)",
				          sigv_line(n), max_level);
				return;
			}
			c14n_start(c, n);
			if (n->children != NULL) {
				n = n->children;
				level++;
				continue;
			}
			c14n_end(c, n);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			c14n_escaped(c, n->content, C14N_TEXT);
			break;
		case XML_COMMENT_NODE:
			/* never in the node-set of a same-document Reference */
			break;
		case XML_PI_NODE:
			c14n_pi(c, n->name, n->content, 0);
			break;
		default:
			c14n_fail(c, TL_EPARSE, "line %d: unexpected node (type %d) in the document",
			          sigv_line(n), (int)n->type);
			return;
		}
		while (n != top && n->next == NULL) {
			n = n->parent;
			level--;
			c14n_end(c, n);
		}
		if (n == top)
			break;
		n = n->next;
	}
}

/* ------------------------------------------------------------------ */
/* Verification state                                                  */

struct sigv_ref {
	const struct sigv_md_alg *digest;
	const struct sigv_sig_alg *sig;
	unsigned char value[EVP_MAX_MD_SIZE];
	int whole_doc;           /* URI="": PIs outside the root count too */
	int exclusive;
	xmlChar **prefixes;      /* the reference's PrefixList (owned) */
	xmlChar **si_prefixes;   /* SignedInfo's PrefixList (owned) */
};

/*
 * A DOCTYPE is refused before libxml2 sees it: the raw bytes of the prolog
 * are scanned as they are read (XML declaration, PIs, comments, blanks)
 * until the root element starts.  Files in an ASCII-incompatible encoding
 * are left to the reader's own DOCTYPE node.
 */
enum sigv_scan {
	SCAN_TOP, SCAN_LT, SCAN_PI, SCAN_PI_Q, SCAN_BANG, SCAN_BANG_DASH,
	SCAN_COMMENT, SCAN_COMMENT_D1, SCAN_COMMENT_D2, SCAN_DONE
};

struct sigv_state {
	const char *path;
	struct sigv_opts lim;
	EVP_PKEY *trust;
	sigv_entity_fn fn;
	void *ud;
	struct sigv_result *res;
	struct tl_err *err;
	int fd;
	unsigned long long nread;
	int io_over, io_errno, io_eof;
	unsigned long long nlines;   /* newlines read so far */
	enum sigv_scan scan;
	int scan_line, doctype_line;
	xmlTextReaderPtr reader;
	int xml_failed, xml_line, xml_fatal;
	char xml_msg[SIGV_SHOWN + 1];
	struct buf prolog, presig;
	struct sigv_ref ref;
	xmlNodePtr root;
	int in_root, root_done, have_sig;
	struct c14n c;           /* last: it holds the output chunk */
};

static int sigv_fail(struct sigv_state *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sigv_fail(struct sigv_state *st, int code, const char *fmt, ...)
{
	char msg[TL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tl_err_set(st->err, code, "%s: %s", st->path, msg);
}

#if LIBXML_VERSION >= 21200
static void sigv_xml_error(void *arg, const xmlError *e)
#else
static void sigv_xml_error(void *arg, xmlErrorPtr e)
#endif
{
	struct sigv_state *st = arg;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || st->xml_failed)
		return;
	st->xml_failed = 1;
	st->xml_fatal = e->level == XML_ERR_FATAL;
	st->xml_line = e->line;
	snprintf(st->xml_msg, sizeof(st->xml_msg), "%s",
	         e->message != NULL ? e->message : "not well-formed");
	n = strlen(st->xml_msg);
	while (n > 0 && (st->xml_msg[n - 1] == '\n' || st->xml_msg[n - 1] == ' '))
		st->xml_msg[--n] = '\0';
}

/* Scan n more bytes of the prolog; 1 if they hold a DOCTYPE. */
static int sigv_scan_prolog(struct sigv_state *st, const char *p, size_t n)
{
	for (size_t i = 0; i < n && st->scan != SCAN_DONE; i++) {
		char ch = p[i];

		if (ch == '\n')
			st->scan_line++;
		switch (st->scan) {
		case SCAN_TOP:
			if (ch == '<')
				st->scan = SCAN_LT;
			break;
		case SCAN_LT:
			st->scan = ch == '?' ? SCAN_PI : ch == '!' ? SCAN_BANG : SCAN_DONE;
			break;
		case SCAN_PI:
			if (ch == '?')
				st->scan = SCAN_PI_Q;
			break;
		case SCAN_PI_Q:
			st->scan = ch == '>' ? SCAN_TOP : ch == '?' ? SCAN_PI_Q : SCAN_PI;
			break;
		case SCAN_BANG:
			if (ch == 'D') {
				st->doctype_line = st->scan_line;
				return 1;
			}
			st->scan = ch == '-' ? SCAN_BANG_DASH : SCAN_DONE;
			break;
		case SCAN_BANG_DASH:
			st->scan = ch == '-' ? SCAN_COMMENT : SCAN_DONE;
			break;
		case SCAN_COMMENT:
			if (ch == '-')
				st->scan = SCAN_COMMENT_D1;
			break;
		case SCAN_COMMENT_D1:
			st->scan = ch == '-' ? SCAN_COMMENT_D2 : SCAN_COMMENT;
			break;
		case SCAN_COMMENT_D2:
			st->scan = ch == '>' ? SCAN_TOP : ch == '-' ? SCAN_COMMENT_D2 : SCAN_COMMENT;
			break;
		case SCAN_DONE:
			break;
		}
	}
	return 0;
}

static int sigv_io_read(void *ctx, char *buffer, int len)
{
	struct sigv_state *st = ctx;
	ssize_t n;

	do
		n = read(st->fd, buffer, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		st->io_errno = errno;
		return -1;
	}
	if (n == 0)
		st->io_eof = 1;
	for (const char *p = buffer, *end = buffer + n; p < end; p++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			break;
		st->nlines++;
	}
	st->nread += (unsigned long long)n;
	if (st->nread > st->lim.max_bytes) {
		st->io_over = 1;
		return -1;
	}
	if (st->scan != SCAN_DONE && sigv_scan_prolog(st, buffer, (size_t)n))
		return -1;
	return (int)n;
}

/* The error for a reader that returned -1 or NULL. */
static int sigv_parse_error(struct sigv_state *st)
{
	if (st->c.rc != TL_OK)
		return st->c.rc;
	if (st->doctype_line > 0)
		return sigv_fail(st, TL_EPARSE,
		                 "line %d: DOCTYPE not allowed (no DTD or entity declarations in metadata)",
		                 st->doctype_line);
	if (st->io_over)
		return sigv_fail(st, TL_ELIMIT, "larger than max_bytes (%zu bytes)", st->lim.max_bytes);
	if (st->io_errno != 0)
		return sigv_fail(st, TL_EIO, "read failed: %s", strerror(st->io_errno));
	if (st->nread == 0)
		return sigv_fail(st, TL_EPARSE, "the file is empty");
	if (st->xml_failed && st->xml_fatal && st->io_eof && !st->root_done &&
	    (unsigned long long)st->xml_line >= st->nlines)
		return sigv_fail(st, TL_EPARSE,
		                 "line %d: not well-formed XML: the file ends before the root element "
		                 "is closed (truncated?): %s",
		                 st->xml_line, st->xml_msg);
	if (st->xml_failed)
		return sigv_fail(st, TL_EPARSE, "line %d: not well-formed XML: %s", st->xml_line,
		                 st->xml_msg);
	return sigv_fail(st, TL_EPARSE, "not well-formed XML (truncated?)");
}

static int sigv_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr sigv_elem(xmlNodePtr n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* "<prefix:name>" for messages. */
static const char *sigv_qname(xmlNodePtr n, char *out, size_t outlen)
{
	if (n->ns != NULL && !c14n_empty(n->ns->prefix))
		snprintf(out, outlen, "<%.*s:%.*s>", SIGV_SHOWN / 2, (const char *)n->ns->prefix,
		         SIGV_SHOWN / 2, (const char *)n->name);
	else
		snprintf(out, outlen, "<%.*s>", SIGV_SHOWN, (const char *)n->name);
	return out;
}

/* A copy of attribute name (no namespace) in *out (free()); NULL if absent. */
static int sigv_attr_dup(xmlNodePtr n, const char *name, char **out)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);

	*out = NULL;
	if (v == NULL)
		return TL_OK;
	*out = strdup((const char *)v);
	xmlFree(v);
	return *out != NULL ? TL_OK : TL_ENOMEM;
}

/* ------------------------------------------------------------------ */
/* The signature                                                       */

static void sigv_prefixes_free(xmlChar **p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p[i] != NULL; i++)
		free(p[i]);
	free(p);
}

/* Split an InclusiveNamespaces PrefixList into a NULL-terminated array. */
static int sigv_prefixes_parse(struct sigv_state *st, xmlNodePtr incl, xmlChar ***out)
{
	xmlChar *list = xmlGetNoNsProp(incl, BAD_CAST "PrefixList");
	xmlChar **p = NULL;
	size_t n = 0;
	const char *s;
	int rc = TL_OK;

	*out = NULL;
	if (list == NULL)
		return sigv_fail(st, TL_ESIG, "line %d: InclusiveNamespaces without PrefixList",
		                 sigv_line(incl));
	p = calloc(SIGV_MAX_PREFIXES + 1, sizeof(*p));
	if (p == NULL) {
		rc = sigv_fail(st, TL_ENOMEM, "out of memory");
		goto out;
	}
	s = (const char *)list;
	for (;;) {
		size_t len;

		s += strspn(s, " \t\r\n");
		len = strcspn(s, " \t\r\n");
		if (len == 0)
			break;
		if (n == SIGV_MAX_PREFIXES) {
			rc = sigv_fail(st, TL_ELIMIT, "line %d: PrefixList has more than %d prefixes",
			               sigv_line(incl), SIGV_MAX_PREFIXES);
			goto out;
		}
		p[n] = (xmlChar *)strndup(s, len);
		if (p[n] == NULL) {
			rc = sigv_fail(st, TL_ENOMEM, "out of memory");
			goto out;
		}
		n++;
		s += len;
	}
	*out = p;
	p = NULL;
out:
	sigv_prefixes_free(p);
	xmlFree(list);
	return rc;
}

/*
 * A C14N method element (CanonicalizationMethod or a Transform) with
 * Algorithm uri: which one, and its PrefixList if exclusive.
 */
static int sigv_c14n_method(struct sigv_state *st, xmlNodePtr m, const char *uri,
                            const struct sigv_c14n_alg **alg, xmlChar ***prefixes)
{
	xmlNodePtr child;

	*alg = NULL;
	*prefixes = NULL;
	for (size_t i = 0; i < sizeof(sigv_c14n_algs) / sizeof(sigv_c14n_algs[0]); i++)
		if (strcmp(uri, sigv_c14n_algs[i].uri) == 0)
			*alg = &sigv_c14n_algs[i];
	if (*alg == NULL)
		return TL_ENOENT;
	child = sigv_elem(m->children);
	if (child == NULL)
		return TL_OK;
	if (!(*alg)->exclusive || !sigv_is(child, SIGV_ALG_EXC, "InclusiveNamespaces") ||
	    sigv_elem(child->next) != NULL)
		return sigv_fail(st, TL_ESIG, "line %d: unexpected content in the %s method",
		                 sigv_line(child), uri);
	return sigv_prefixes_parse(st, child, prefixes);
}

static int sigv_b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Base64 (whitespace allowed) into at most max bytes; -1 if malformed or too long. */
static int sigv_b64_decode(const xmlChar *s, unsigned char *out, size_t max, size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0, chars = 0, pad = 0;

	for (; *s != '\0'; s++) {
		int v;

		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		v = sigv_b64_value(*s);
		if (v < 0 || pad > 0)
			return -1;
		chars++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || (chars + pad) % 4 != 0 || n == 0)
		return -1;
	*outlen = n;
	return 0;
}

/* Every namespace declaration of the subtree must be absolute (libxml2 checks all). */
static int sigv_check_subtree_ns(struct sigv_state *st, xmlNodePtr top)
{
	xmlNodePtr n = top;

	while (n != NULL && st->c.rc == TL_OK) {
		if (n->type == XML_ELEMENT_NODE) {
			c14n_check_ns(&st->c, n);
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
		}
		while (n != top && n->next == NULL)
			n = n->parent;
		if (n == top)
			break;
		n = n->next;
	}
	return st->c.rc;
}

static int sigv_si_visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr top = ud;
	xmlNodePtr n = node != NULL && node->type == XML_NAMESPACE_DECL ? parent : node;

	for (; n != NULL; n = n->parent)
		if (n == top)
			return 1;
	return 0;
}

static int sigv_buf_write(void *ctx, const char *p, int len)
{
	return buf_append(ctx, p, (size_t)len) == TL_OK ? len : -1;
}

/* Canonicalise SignedInfo with libxml2 and verify its signature with the trust key. */
static int sigv_check_signed_info(struct sigv_state *st, xmlNodePtr si, int exclusive,
                                  int comments, xmlNodePtr sv)
{
	const struct sigv_sig_alg *alg = st->ref.sig;
	xmlOutputBufferPtr ob = NULL;
	EVP_MD_CTX *mctx = NULL;
	xmlChar *text = NULL;
	unsigned char sig[SIGV_MAX_SIGVALUE];
	unsigned char *der = NULL;
	const unsigned char *vsig = sig;
	size_t siglen = 0, vlen;
	struct buf out;
	int rc = TL_OK, r;

	buf_init(&out, SIGV_MAX_SIGNEDINFO);
	/* libxml2 refuses a relative namespace anywhere in what it walks. */
	rc = sigv_check_subtree_ns(st, st->root);
	if (rc != TL_OK)
		goto out;
	ob = xmlOutputBufferCreateIO(sigv_buf_write, NULL, &out, NULL);
	if (ob == NULL) {
		rc = sigv_fail(st, TL_ENOMEM, "out of memory");
		goto out;
	}
	r = xmlC14NExecute(si->doc, sigv_si_visible, si,
	                   exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0, st->ref.si_prefixes,
	                   comments, ob);
	xmlOutputBufferClose(ob);
	if (r < 0 || out.len == 0) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:SignedInfo cannot be canonicalised%s",
		               sigv_line(si), out.len >= out.max ? " (too large)" : "");
		goto out;
	}
	text = xmlNodeGetContent(sv);
	if (text == NULL || sigv_b64_decode(text, sig, sizeof(sig), &siglen) != 0) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:SignatureValue is not valid base64 (or too long)",
		               sigv_line(sv));
		goto out;
	}
	vlen = siglen;
	if (alg->key_type == EVP_PKEY_EC) {
		/* XML-DSig carries r||s; OpenSSL wants DER. */
		int field = (EVP_PKEY_get_bits(st->trust) + 7) / 8;
		ECDSA_SIG *es = NULL;
		BIGNUM *br, *bs;
		int dlen;

		if (siglen != (size_t)field * 2) {
			rc = sigv_fail(st, TL_ESIG, "ECDSA SignatureValue is %zu bytes, expected %d for this key",
			               siglen, field * 2);
			goto out;
		}
		es = ECDSA_SIG_new();
		br = BN_bin2bn(sig, field, NULL);
		bs = BN_bin2bn(sig + field, field, NULL);
		if (es == NULL || br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
			BN_free(br);
			BN_free(bs);
			ECDSA_SIG_free(es);
			rc = sigv_fail(st, TL_ENOMEM, "out of memory");
			goto out;
		}
		dlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (dlen <= 0) {
			rc = sigv_fail(st, TL_ECRYPTO, "cannot encode the ECDSA signature");
			goto out;
		}
		vsig = der;
		vlen = (size_t)dlen;
	}
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL || EVP_DigestVerifyInit(mctx, NULL, alg->md(), NULL, st->trust) != 1) {
		rc = sigv_fail(st, TL_ECRYPTO, "cannot set up %s verification with the trust key",
		               alg->name);
		goto out;
	}
	r = EVP_DigestVerify(mctx, vsig, vlen, (const unsigned char *)out.data, out.len);
	if (r != 1) {
		rc = sigv_fail(st, TL_ESIG,
		               "the %s signature value does not verify with the trust key "
		               "(wrong key, or SignedInfo was changed)",
		               alg->name);
		goto out;
	}
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	xmlFree(text);
	buf_free(&out);
	return rc;
}

static int sigv_algorithm(xmlNodePtr n, char *out, size_t outlen)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST "Algorithm");
	int ok = v != NULL && (size_t)xmlStrlen(v) < outlen;

	snprintf(out, outlen, "%s", ok ? (const char *)v : "");
	xmlFree(v);
	return ok ? 0 : -1;
}

static int sigv_sha1(struct sigv_state *st, const char *what)
{
	if (!st->lim.allow_sha1)
		return sigv_fail(st, TL_ESIG, "%s uses SHA-1: SHA-1 is refused; use --allow-sha1", what);
	st->res->used_sha1 = 1;
	return TL_OK;
}

/* Check the Reference: URI, transforms, digest method and value. */
static int sigv_reference(struct sigv_state *st, xmlNodePtr ref)
{
	xmlNodePtr tr, dm, dv, t;
	char uri[sizeof(st->res->c14n_method)];
	xmlChar *ruri = xmlGetNoNsProp(ref, BAD_CAST "URI");
	xmlChar *text = NULL;
	const struct sigv_c14n_alg *calg = NULL;
	size_t dlen = 0;
	int rc = TL_OK, ntr = 0;

	if (ruri == NULL) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:Reference has no URI", sigv_line(ref));
		goto out;
	}
	if (ruri[0] == '\0') {
		st->ref.whole_doc = 1;
	} else if (ruri[0] != '#' || st->res->id == NULL || strcmp((const char *)ruri + 1, st->res->id) != 0) {
		rc = sigv_fail(st, TL_ESIG,
		               "line %d: ds:Reference URI '%.*s' does not point to the root element "
		               "(use \"\" or \"#%.*s\")",
		               sigv_line(ref), SIGV_SHOWN, (const char *)ruri, SIGV_SHOWN,
		               st->res->id != NULL ? st->res->id : "ID");
		goto out;
	}
	tr = sigv_elem(ref->children);
	if (!sigv_is(tr, SIGV_NS_DS, "Transforms")) {
		rc = sigv_fail(st, TL_ESIG,
		               "line %d: ds:Reference has no ds:Transforms: the enveloped-signature "
		               "transform is required",
		               sigv_line(ref));
		goto out;
	}
	for (t = sigv_elem(tr->children); t != NULL; t = sigv_elem(t->next)) {
		xmlChar **prefixes = NULL;
		int r;

		if (!sigv_is(t, SIGV_NS_DS, "Transform") || sigv_algorithm(t, uri, sizeof(uri)) != 0) {
			rc = sigv_fail(st, TL_ESIG, "line %d: malformed ds:Transforms", sigv_line(t));
			goto out;
		}
		ntr++;
		if (ntr == 1) {
			if (strcmp(uri, SIGV_ALG_ENVELOPED) != 0) {
				rc = sigv_fail(st, TL_ESIG,
				               "line %d: Transform %s is not accepted: the first transform "
				               "must be enveloped-signature",
				               sigv_line(t), uri);
				goto out;
			}
			if (sigv_elem(t->children) != NULL) {
				rc = sigv_fail(st, TL_ESIG, "line %d: unexpected content in the enveloped-signature transform",
				               sigv_line(t));
				goto out;
			}
			continue;
		}
		if (ntr > 2) {
			rc = sigv_fail(st, TL_ESIG,
			               "line %d: Transform %s is not accepted: only enveloped-signature "
			               "and one C14N transform are",
			               sigv_line(t), uri);
			goto out;
		}
		r = sigv_c14n_method(st, t, uri, &calg, &prefixes);
		if (r == TL_ENOENT) {
			rc = sigv_fail(st, TL_ESIG,
			               "line %d: Transform %s is not accepted: only enveloped-signature "
			               "followed by a C14N 1.0 transform",
			               sigv_line(t), uri);
			goto out;
		}
		if (r != TL_OK) {
			rc = r;
			goto out;
		}
		st->ref.prefixes = prefixes;
		snprintf(st->res->c14n_method, sizeof(st->res->c14n_method), "%s", uri);
	}
	if (ntr == 0) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:Transforms is empty: the enveloped-signature "
		               "transform is required", sigv_line(tr));
		goto out;
	}
	if (calg == NULL) /* the default: Canonical XML 1.0 without comments */
		snprintf(st->res->c14n_method, sizeof(st->res->c14n_method), "%s", SIGV_ALG_INC);
	st->ref.exclusive = calg != NULL && calg->exclusive;
	dm = sigv_elem(tr->next);
	if (!sigv_is(dm, SIGV_NS_DS, "DigestMethod") || sigv_algorithm(dm, uri, sizeof(uri)) != 0) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:Reference has no ds:DigestMethod", sigv_line(ref));
		goto out;
	}
	for (size_t i = 0; i < sizeof(sigv_digest_algs) / sizeof(sigv_digest_algs[0]); i++)
		if (strcmp(uri, sigv_digest_algs[i].uri) == 0)
			st->ref.digest = &sigv_digest_algs[i];
	if (st->ref.digest == NULL) {
		rc = sigv_fail(st, TL_ESIG,
		               "line %d: DigestMethod %s is not accepted (use SHA-256, SHA-384 or SHA-512)",
		               sigv_line(dm), uri);
		goto out;
	}
	if (st->ref.digest->sha1 && (rc = sigv_sha1(st, "the DigestMethod")) != TL_OK)
		goto out;
	dv = sigv_elem(dm->next);
	if (!sigv_is(dv, SIGV_NS_DS, "DigestValue") || sigv_elem(dv->next) != NULL) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:Reference must end with one ds:DigestValue",
		               sigv_line(ref));
		goto out;
	}
	text = xmlNodeGetContent(dv);
	if (text == NULL || sigv_b64_decode(text, st->ref.value, sizeof(st->ref.value), &dlen) != 0 ||
	    dlen != (size_t)EVP_MD_get_size(st->ref.digest->md())) {
		rc = sigv_fail(st, TL_ESIG, "line %d: ds:DigestValue is not a base64 %s value",
		               sigv_line(dv), st->ref.digest->name);
		goto out;
	}
out:
	xmlFree(text);
	xmlFree(ruri);
	return rc;
}

/* The ds:Signature child of the root: check it all, verify SignedInfo, start digesting. */
static int sigv_signature(struct sigv_state *st, xmlNodePtr s)
{
	xmlNodePtr si, sv, cm, sm, ref, n;
	const struct sigv_c14n_alg *calg = NULL;
	char uri[sizeof(st->res->sig_method)], q[SIGV_SHOWN + 8];
	int r, rc;

	si = sigv_elem(s->children);
	sv = si != NULL ? sigv_elem(si->next) : NULL;
	if (!sigv_is(si, SIGV_NS_DS, "SignedInfo") || !sigv_is(sv, SIGV_NS_DS, "SignatureValue"))
		return sigv_fail(st, TL_ESIG,
		                 "line %d: ds:Signature must hold ds:SignedInfo then ds:SignatureValue",
		                 sigv_line(s));
	for (n = sigv_elem(sv->next); n != NULL; n = sigv_elem(n->next))
		if (!sigv_is(n, SIGV_NS_DS, "KeyInfo"))
			return sigv_fail(st, TL_ESIG, "line %d: unexpected %s in ds:Signature", sigv_line(n),
			                 sigv_qname(n, q, sizeof(q)));
	cm = sigv_elem(si->children);
	sm = cm != NULL ? sigv_elem(cm->next) : NULL;
	ref = sm != NULL ? sigv_elem(sm->next) : NULL;
	if (!sigv_is(cm, SIGV_NS_DS, "CanonicalizationMethod") ||
	    !sigv_is(sm, SIGV_NS_DS, "SignatureMethod") || !sigv_is(ref, SIGV_NS_DS, "Reference"))
		return sigv_fail(st, TL_ESIG,
		                 "line %d: ds:SignedInfo must hold CanonicalizationMethod, "
		                 "SignatureMethod and one Reference",
		                 sigv_line(si));
	n = sigv_elem(ref->next);
	if (sigv_is(n, SIGV_NS_DS, "Reference"))
		return sigv_fail(st, TL_ESIG,
		                 "line %d: more than one ds:Reference: only a single Reference to the "
		                 "root element is accepted",
		                 sigv_line(n));
	if (n != NULL)
		return sigv_fail(st, TL_ESIG, "line %d: unexpected %s in ds:SignedInfo", sigv_line(n),
		                 sigv_qname(n, q, sizeof(q)));
	if (sigv_algorithm(cm, uri, sizeof(uri)) != 0)
		return sigv_fail(st, TL_ESIG, "line %d: CanonicalizationMethod has no usable Algorithm",
		                 sigv_line(cm));
	r = sigv_c14n_method(st, cm, uri, &calg, &st->ref.si_prefixes);
	if (r == TL_ENOENT)
		return sigv_fail(st, TL_ESIG, "line %d: CanonicalizationMethod %s is not accepted",
		                 sigv_line(cm), uri);
	if (r != TL_OK)
		return r;
	if (sigv_algorithm(sm, uri, sizeof(uri)) != 0 || sigv_elem(sm->children) != NULL)
		return sigv_fail(st, TL_ESIG, "line %d: malformed SignatureMethod", sigv_line(sm));
	for (size_t i = 0; i < sizeof(sigv_sig_algs) / sizeof(sigv_sig_algs[0]); i++)
		if (strcmp(uri, sigv_sig_algs[i].uri) == 0)
			st->ref.sig = &sigv_sig_algs[i];
	if (st->ref.sig == NULL)
		return sigv_fail(st, TL_ESIG,
		                 "line %d: SignatureMethod %s is not accepted (use RSA-SHA256/384/512 "
		                 "or ECDSA-SHA256/384/512)",
		                 sigv_line(sm), uri);
	snprintf(st->res->sig_method, sizeof(st->res->sig_method), "%s", uri);
	if (st->ref.sig->sha1 && (rc = sigv_sha1(st, "the SignatureMethod")) != TL_OK)
		return rc;
	if (EVP_PKEY_get_base_id(st->trust) != st->ref.sig->key_type)
		return sigv_fail(st, TL_ESIG, "SignatureMethod %s does not match the trust key (%s)",
		                 st->ref.sig->name, EVP_PKEY_get0_type_name(st->trust));
	rc = sigv_reference(st, ref);
	if (rc != TL_OK)
		return rc;
	rc = sigv_check_signed_info(st, si, calg->exclusive,
	                            strstr(calg->uri, "WithComments") != NULL, sv);
	if (rc != TL_OK)
		return rc;

	/* The algorithms are known: digest what was held back, then stream. */
	c14n_flush(&st->c);
	st->c.md = EVP_MD_CTX_new();
	if (st->c.md == NULL || EVP_DigestInit_ex(st->c.md, st->ref.digest->md(), NULL) != 1)
		return sigv_fail(st, TL_ECRYPTO, "cannot start the %s digest", st->ref.digest->name);
	st->c.exclusive = st->ref.exclusive;
	st->c.prefixes = st->ref.prefixes;
	st->c.capture = NULL;
	if (st->ref.whole_doc)
		c14n_put(&st->c, st->prolog.data, st->prolog.len);
	c14n_start(&st->c, st->root);
	c14n_put(&st->c, st->presig.data, st->presig.len);
	buf_free(&st->prolog);
	buf_free(&st->presig);
	st->have_sig = 1;
	return st->c.rc;
}

/* ------------------------------------------------------------------ */
/* The document                                                        */

static int sigv_root(struct sigv_state *st, xmlNodePtr n)
{
	struct sigv_result *res = st->res;
	char q[SIGV_SHOWN + 8];

	if (!sigv_is(n, SIGV_NS_MD, "EntitiesDescriptor"))
		return sigv_fail(st, TL_ESCHEMA, "line %d: not an EntitiesDescriptor: found %s%s%.*s%s",
		                 sigv_line(n), sigv_qname(n, q, sizeof(q)),
		                 n->ns != NULL ? " in namespace " : " in no namespace",
		                 SIGV_SHOWN, n->ns != NULL ? (const char *)n->ns->href : "",
		                 n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST SIGV_NS_MD)
		                         ? ""
		                         : " (expected " SIGV_NS_MD ")");
	if (sigv_attr_dup(n, "Name", &res->name) != TL_OK || sigv_attr_dup(n, "ID", &res->id) != TL_OK ||
	    sigv_attr_dup(n, "validUntil", &res->valid_until) != TL_OK ||
	    sigv_attr_dup(n, "cacheDuration", &res->cache_duration) != TL_OK)
		return sigv_fail(st, TL_ENOMEM, "out of memory");
	if (res->valid_until != NULL && util_time_parse(res->valid_until, &res->valid_until_t) != 0)
		return sigv_fail(st, TL_ESCHEMA, "line %d: validUntil '%.*s' is not an xs:dateTime",
		                 sigv_line(n), SIGV_SHOWN, res->valid_until);
	st->root = n;
	st->in_root = 1;
	c14n_flush(&st->c);
	st->c.capture = &st->presig;
	return TL_OK;
}

static int sigv_entity(struct sigv_state *st, xmlNodePtr n, int level)
{
	unsigned long long before;
	xmlNodePtr e;
	int line = sigv_line(n), rc;

	if (st->res->entities >= st->lim.max_entities)
		return sigv_fail(st, TL_ELIMIT, "line %d: more than max_entities (%zu) EntityDescriptors",
		                 line, st->lim.max_entities);
	st->res->entities++;
	e = xmlTextReaderExpand(st->reader);
	if (e == NULL)
		return sigv_parse_error(st);
	before = st->c.bytes;
	c14n_subtree(&st->c, e, level, st->lim.max_depth);
	if (st->c.rc != TL_OK)
		return st->c.rc;
	if (st->c.bytes - before > st->lim.max_entity_bytes) {
		xmlChar *id = xmlGetNoNsProp(e, BAD_CAST "entityID");
		log_entity_warn(id != NULL ? (const char *)id : "(no entityID)",
		                "line %d: rejected: %llu canonical bytes, more than max_entity_bytes (%zu)",
		                line, st->c.bytes - before, st->lim.max_entity_bytes);
		xmlFree(id);
		return TL_OK;
	}
	if (st->fn == NULL)
		return TL_OK;
	rc = st->fn(st->ud, e, line, st->err);
	if (rc < 0 && (st->err == NULL || st->err->code == TL_OK))
		rc = sigv_fail(st, rc, "line %d: the entity callback failed (%s)", line, tl_strerror(rc));
	return rc < 0 ? rc : TL_OK;
}

/* An element start from the reader; *skip when its subtree was consumed. */
static int sigv_element(struct sigv_state *st, int *skip)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(st->reader);
	int level = xmlTextReaderDepth(st->reader) + 1;
	char q[SIGV_SHOWN + 8];

	if (n == NULL)
		return sigv_parse_error(st);
	if (level > st->lim.max_depth)
		return sigv_fail(st, TL_ELIMIT, "line %d: elements nested deeper than max_depth (%d)",
		                 sigv_line(n), st->lim.max_depth);
	if (!st->in_root) {
		int rc = sigv_root(st, n);
		if (rc == TL_OK && xmlTextReaderIsEmptyElement(st->reader))
			rc = sigv_fail(st, TL_ESIG, "the aggregate is not signed: the root element is empty");
		return rc;
	}
	if (sigv_is(n, SIGV_NS_DS, "Signature")) {
		xmlNodePtr s;
		if (level != 2)
			return sigv_fail(st, TL_ESIG,
			                 "line %d: ds:Signature is not a child of the root element: "
			                 "only the aggregate's own signature is accepted",
			                 sigv_line(n));
		if (st->have_sig)
			return sigv_fail(st, TL_ESIG,
			                 "line %d: a second ds:Signature in the root element: exactly one is accepted",
			                 sigv_line(n));
		s = xmlTextReaderExpand(st->reader);
		if (s == NULL)
			return sigv_parse_error(st);
		*skip = 1;
		return sigv_signature(st, s);
	}
	if (!st->have_sig)
		return sigv_fail(st, TL_ESIG,
		                 "the aggregate is not signed: %s at line %d comes before any ds:Signature "
		                 "(it must be the first child of the root element)",
		                 sigv_qname(n, q, sizeof(q)), sigv_line(n));
	if (sigv_is(n, SIGV_NS_MD, "EntityDescriptor")) {
		*skip = 1;
		return sigv_entity(st, n, level);
	}
	c14n_start(&st->c, n);
	if (xmlTextReaderIsEmptyElement(st->reader))
		c14n_end(&st->c, n);
	return st->c.rc;
}

static int sigv_node(struct sigv_state *st, int *skip)
{
	xmlNodePtr n;
	int type = xmlTextReaderNodeType(st->reader);

	switch (type) {
	case XML_READER_TYPE_ELEMENT:
		return sigv_element(st, skip);
	case XML_READER_TYPE_END_ELEMENT:
		n = xmlTextReaderCurrentNode(st->reader);
		if (n == NULL)
			return sigv_parse_error(st);
		c14n_end(&st->c, n);
		if (n == st->root) {
			if (!st->have_sig)
				return sigv_fail(st, TL_ESIG,
				                 "the aggregate is not signed: no ds:Signature in the root element");
			st->in_root = 0;
			st->root_done = 1;
		}
		return st->c.rc;
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		n = xmlTextReaderCurrentNode(st->reader);
		if (n != NULL && st->in_root)
			c14n_escaped(&st->c, n->content, C14N_TEXT);
		return st->c.rc;
	case XML_READER_TYPE_PROCESSING_INSTRUCTION:
		n = xmlTextReaderCurrentNode(st->reader);
		if (n == NULL)
			return sigv_parse_error(st);
		if (st->in_root) {
			c14n_pi(&st->c, n->name, n->content, 0);
		} else if (!st->root_done) {
			struct buf *saved = st->c.capture;
			c14n_flush(&st->c);
			st->c.capture = &st->prolog;
			c14n_pi(&st->c, n->name, n->content, -1);
			c14n_flush(&st->c);
			st->c.capture = saved;
		} else if (st->ref.whole_doc) {
			c14n_pi(&st->c, n->name, n->content, 1);
		}
		return st->c.rc;
	case XML_READER_TYPE_DOCUMENT_TYPE:
		st->doctype_line = xmlTextReaderGetParserLineNumber(st->reader);
		if (st->doctype_line <= 0)
			st->doctype_line = 1;
		return sigv_parse_error(st);
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		return sigv_fail(st, TL_EPARSE, "entity references are not allowed");
	default:
		/* comments (never part of a same-document Reference), end of entity, ... */
		return TL_OK;
	}
}

static int sigv_run(struct sigv_state *st)
{
	int ret = xmlTextReaderRead(st->reader), rc;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	while (ret == 1) {
		int skip = 0;

		rc = sigv_node(st, &skip);
		if (rc != TL_OK)
			return rc;
		if (st->xml_failed)
			return sigv_parse_error(st);
		ret = skip ? xmlTextReaderNext(st->reader) : xmlTextReaderRead(st->reader);
	}
	if (ret < 0 || st->xml_failed || st->io_over || st->io_errno != 0)
		return sigv_parse_error(st);
	if (!st->root_done)
		return st->nread == 0 ? sigv_fail(st, TL_EPARSE, "the file is empty")
		                      : sigv_fail(st, TL_EPARSE, "not well-formed XML: the document ends "
		                                  "before the root element is closed (truncated?)");
	c14n_flush(&st->c);
	if (st->c.rc != TL_OK)
		return st->c.rc;
	if (EVP_DigestFinal_ex(st->c.md, md, &mdlen) != 1)
		return sigv_fail(st, TL_ECRYPTO, "digest failed");
	if ((size_t)mdlen != (size_t)EVP_MD_get_size(st->ref.digest->md()) ||
	    CRYPTO_memcmp(md, st->ref.value, mdlen) != 0)
		return sigv_fail(st, TL_ESIG,
		                 "the %s digest of the aggregate does not match its ds:DigestValue: "
		                 "the document was changed after signing",
		                 st->ref.digest->name);
	return TL_OK;
}

static int sigv_open(struct sigv_state *st)
{
	struct stat sb;

	st->fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0)
		return sigv_fail(st, errno == ENOENT ? TL_ENOENT : TL_EIO, "cannot open: %s", strerror(errno));
	if (fstat(st->fd, &sb) != 0)
		return sigv_fail(st, TL_EIO, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return sigv_fail(st, TL_EIO, "is a directory");
	if (S_ISREG(sb.st_mode) && (unsigned long long)sb.st_size > st->lim.max_bytes)
		return sigv_fail(st, TL_ELIMIT, "%lld bytes, larger than max_bytes (%zu bytes)",
		                 (long long)sb.st_size, st->lim.max_bytes);
	if (S_ISREG(sb.st_mode) && sb.st_size == 0)
		return sigv_fail(st, TL_EPARSE, "the file is empty");
	/* No DTD loading, no entity substitution, no network; big line numbers. */
	st->reader = xmlReaderForIO(sigv_io_read, NULL, st, st->path, NULL,
	                            XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (st->reader == NULL)
		return st->io_over || st->io_errno != 0 || st->xml_failed || st->doctype_line > 0
		               ? sigv_parse_error(st)
		               : sigv_fail(st, TL_ENOMEM, "cannot create an XML reader");
	xmlTextReaderSetStructuredErrorHandler(st->reader, sigv_xml_error, st);
	return TL_OK;
}

int sigv_verify_file(const char *path, EVP_PKEY *trust, const struct sigv_opts *opts,
                     sigv_entity_fn fn, void *ud, struct sigv_result *res, struct tl_err *err)
{
	struct sigv_state *st = NULL;
	int rc;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (path == NULL || trust == NULL || res == NULL)
		return tl_err_set(err, TL_EINVAL, "sigv_verify_file: path, trust key and result are required");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory verifying %s", path);
	st->path = path;
	st->trust = trust;
	st->fn = fn;
	st->ud = ud;
	st->res = res;
	st->err = err;
	st->fd = -1;
	st->scan_line = 1;
	if (opts != NULL)
		st->lim = *opts;
	if (st->lim.max_bytes == 0)
		st->lim.max_bytes = SIGV_DEF_MAX_BYTES;
	if (st->lim.max_entities == 0)
		st->lim.max_entities = SIGV_DEF_MAX_ENTITIES;
	if (st->lim.max_entity_bytes == 0)
		st->lim.max_entity_bytes = SIGV_DEF_MAX_ENTITY_BYTES;
	if (st->lim.max_depth <= 0)
		st->lim.max_depth = SIGV_DEF_MAX_DEPTH;
	st->c.err = err;
	st->c.path = path;
	buf_init(&st->prolog, SIGV_MAX_PENDING);
	buf_init(&st->presig, SIGV_MAX_PENDING);

	rc = sigv_open(st);
	if (rc == TL_OK)
		rc = sigv_run(st);

	if (st->reader != NULL)
		xmlFreeTextReader(st->reader);
	if (st->fd >= 0)
		close(st->fd);
	c14n_free(&st->c);
	sigv_prefixes_free(st->ref.prefixes);
	sigv_prefixes_free(st->ref.si_prefixes);
	buf_free(&st->prolog);
	buf_free(&st->presig);
	free(st);
	return rc;
}

void sigv_result_free(struct sigv_result *res)
{
	if (res == NULL)
		return;
	free(res->name);
	free(res->id);
	free(res->valid_until);
	free(res->cache_duration);
	memset(res, 0, sizeof(*res));
}

EVP_PKEY *sigv_load_trust(const char *path, struct tl_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;

	if (util_read_file(path, 1 << 20, &pem, &len, err) != TL_OK)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b == NULL) {
		tl_err_set(err, TL_ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (x != NULL) {
		k = X509_get_pubkey(x);
	} else {
		BIO_free(b);
		b = BIO_new_mem_buf(pem, (int)len);
		if (b != NULL)
			k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	}
	if (k == NULL)
		tl_err_set(err, TL_ECRYPTO, "%s: not a PEM certificate or public key", path);
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(b);
	free(pem);
	return k;
}
