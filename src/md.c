/*
 * md.c - SAML metadata: safe parsing, schema validation, federation rules.
 *
 * libxml2 never prints here: the document parser, the schema parser and
 * each validation context get a structured error handler of their own that
 * collects into a struct md_errs on the caller's stack.  The one place
 * libxml2 gives no per-context hook (the parser it creates internally for
 * each imported .xsd) is covered by the calling thread's own structured
 * handler, set and restored around the schema compilation.
 */
#include "config.h"

#include "tillit/md.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlschemas.h>
#include "tillit/buf.h"
#include "tillit/cert.h"

#define MD_NS_XML "http://www.w3.org/XML/1998/namespace"
#define MD_NS_XENC "http://www.w3.org/2001/04/xmlenc#"
#define MD_NS_ALG "urn:oasis:names:tc:SAML:metadata:algsupport"
#define MD_NS_IDPDISC "urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol"
#define MD_NS_INIT "urn:oasis:names:tc:SAML:profiles:SSO:request-init"

/* Used when md_parse() is given no limits: the defaults of tillit.conf. */
#define MD_DEFAULT_MAX_BYTES (1024 * 1024)
#define MD_DEFAULT_MAX_DEPTH 64
/* libxml2 refuses text nodes and lookahead past 10 MB without XML_PARSE_HUGE. */
#define MD_XML_HUGE_THRESHOLD (10 * 1000 * 1000)
/* ... and nesting deeper than 256. */
#define MD_XML_DEPTH_CAP 256
/* The in-memory schema that imports the others is small. */
#define MD_WRAPPER_MAX 8192
/* How much of an offending value goes into a message. */
#define MD_VALUE_SHOWN 200
/* ... and of a value quoted in a libxml2 message. */
#define MD_QUOTED_SHOWN 80

struct md_schema {
	xmlSchemaPtr xs;
};

/* The first error libxml2 reported, and how many there were. */
struct md_errs {
	int n;
	int named;  /* first names the file it is about */
	char first[TL_ERR_MSG_MAX];
};

/* ---- error collection ------------------------------------------------- */

/* libxml2's messages end with a newline; ours are one line. */
static void md_chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/*
 * Copy libxml2's message into out, shortening each long 'quoted' part:
 * libxml2 quotes the offending value in full ("The value '<1025
 * characters>' has a length of ...") and the reason after it must fit.
 */
static void md_copy_shortened(const char *in, char *out, size_t outlen)
{
	size_t w = 0;

	while (*in != '\0' && w + 1 < outlen) {
		const char *end;
		size_t n;
		if (*in != '\'' || (end = strchr(in + 1, '\'')) == NULL) {
			out[w++] = *in++;
			continue;
		}
		n = (size_t)(end - in - 1);
		if (n > MD_QUOTED_SHOWN + 3)
			w += (size_t)snprintf(out + w, outlen - w, "'%.*s...'", MD_QUOTED_SHOWN, in + 1);
		else
			w += (size_t)snprintf(out + w, outlen - w, "'%.*s'", (int)n, in + 1);
		in = end + 1;
	}
	out[w < outlen ? w : outlen - 1] = '\0';
}

static int md_err_line(const xmlError *e)
{
	if (e->node != NULL && ((xmlNodePtr)e->node)->type == XML_ELEMENT_NODE)
		return (int)xmlGetLineNo((xmlNodePtr)e->node);
	return e->line;
}

/* Parser errors: "line N: message". Warnings are not failures. */
static void md_collect_parse(struct md_errs *c, const xmlError *e)
{
	char msg[TL_ERR_MSG_MAX];

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (c->n++ > 0)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message : "unknown error");
	md_chomp(msg);
	snprintf(c->first, sizeof(c->first), "line %d: %s", md_err_line(e), msg);
}

/*
 * Validation errors: libxml2 says "Element '{ns}Local': reason" (or
 * "Element '{ns}Local', attribute 'a': reason"); we say
 * "line N: element {ns}Local: reason".
 */
static void md_valid_error(void *ud, xmlErrorPtr e)
{
	struct md_errs *c = ud;
	char msg[TL_ERR_MSG_MAX];
	const char *m, *name, *rest;
	int namelen;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (c->n++ > 0)
		return;
	md_copy_shortened(e->message != NULL ? e->message : "not valid", msg, sizeof(msg));
	md_chomp(msg);
	m = msg;
	if (strncmp(m, "Element '", 9) == 0 && (rest = strchr(m + 9, '\'')) != NULL) {
		name = m + 9;
		namelen = (int)(rest - name);
		rest++;
		snprintf(c->first, sizeof(c->first), "line %d: element %.*s%s", md_err_line(e),
		         namelen, name, rest);
		return;
	}
	snprintf(c->first, sizeof(c->first), "line %d: %s", md_err_line(e), m);
}

/* Schema compilation errors name the .xsd file they are about. */
static void md_schema_error(void *ud, xmlErrorPtr e)
{
	struct md_errs *c = ud;
	char msg[TL_ERR_MSG_MAX];

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	/* keep the first error that names a file: it says which .xsd is wrong */
	if (c->n++ > 0 && (c->named || e->file == NULL))
		return;
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message : "unknown error");
	md_chomp(msg);
	if (e->file != NULL)
		snprintf(c->first, sizeof(c->first), "%s:%d: %s", e->file, e->line, msg);
	else
		snprintf(c->first, sizeof(c->first), "%s", msg);
	c->named = e->file != NULL;
}

/* The first error, and the count of the others even when the first is long. */
static int md_errs_set(const struct md_errs *c, struct tl_err *err, int code, const char *what)
{
	char more[48] = "";
	int room;

	if (c->n == 0)
		return tl_err_set(err, code, "%s", what);
	if (c->n > 1)
		snprintf(more, sizeof(more), " (and %d more)", c->n - 1);
	room = (int)(TL_ERR_MSG_MAX - 1 - strlen(more));
	return tl_err_set(err, code, "%.*s%s", room, c->first, more);
}

/* ---- stage 1: parsing --------------------------------------------------- */

struct md_parse_state {
	struct md_errs errs;
	int max_depth;
	int depth;
	int refused;                 /* a tl_code once we stopped the parser */
	char why[TL_ERR_MSG_MAX];
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};

static struct md_parse_state *md_state(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

/* Stop the parser for good; the first reason is the one reported. */
static void md_refuse(xmlParserCtxtPtr ctxt, int code, const char *why)
{
	struct md_parse_state *st = ctxt->_private;

	if (st->refused == 0) {
		snprintf(st->why, sizeof(st->why), "%s", why);
		st->refused = code;
	}
	xmlStopParser(ctxt);
}

/*
 * Called as soon as "<!DOCTYPE name ExternalID" has been read, before the
 * internal subset is: no entity has been declared yet, let alone expanded,
 * and nothing has been fetched.
 */
static void md_sax_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
                           const xmlChar *sid)
{
	char why[128];

	(void)name; (void)eid; (void)sid;
	snprintf(why, sizeof(why),
	         "line %d: DOCTYPE is not allowed in metadata (no DTD, no entity declarations)",
	         xmlSAX2GetLineNumber(ctx));
	md_refuse(ctx, TL_EPARSE, why);
}

static void md_sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                         const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attr,
                         int nb_def, const xmlChar **attrs)
{
	struct md_parse_state *st = md_state(ctx);

	if (++st->depth > st->max_depth) {
		char why[128];
		snprintf(why, sizeof(why), "line %d: elements nested deeper than %d",
		         xmlSAX2GetLineNumber(ctx), st->max_depth);
		md_refuse(ctx, TL_ELIMIT, why);
		return;
	}
	st->start(ctx, localname, prefix, uri, nb_ns, ns, nb_attr, nb_def, attrs);
}

static void md_sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                       const xmlChar *uri)
{
	struct md_parse_state *st = md_state(ctx);

	st->depth--;
	st->end(ctx, localname, prefix, uri);
}

static void md_parse_error(void *ud, xmlErrorPtr e)
{
	/* ud is the parser context (libxml2 passes ctxt->userData) */
	md_collect_parse(&md_state(ud)->errs, e);
}

static int md_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int md_parse(const char *xml, size_t len, const struct md_limits *lim, xmlDocPtr *out,
             struct tl_err *err)
{
	struct md_parse_state st;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	size_t max_bytes = lim != NULL ? lim->max_bytes : MD_DEFAULT_MAX_BYTES;
	int opts = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
	int rc;

	*out = NULL;
	if (xml == NULL || md_blank(xml, len))
		return tl_err_set(err, TL_EPARSE, "empty document");
	if (len > max_bytes || len > INT_MAX)
		return tl_err_set(err, TL_ELIMIT, "document of %zu bytes is larger than the limit of %zu",
		                  len, max_bytes < INT_MAX ? max_bytes : (size_t)INT_MAX);
	memset(&st, 0, sizeof(st));
	st.max_depth = lim != NULL ? lim->max_depth : MD_DEFAULT_MAX_DEPTH;
	/* Lift libxml2's built-in caps only where ours are the binding ones. */
	if (len > MD_XML_HUGE_THRESHOLD || st.max_depth > MD_XML_DEPTH_CAP)
		opts |= XML_PARSE_HUGE;
	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt == NULL || ctxt->sax == NULL || ctxt->input == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory creating an XML parser");
		goto out;
	}
	/* ctxt->sax belongs to this context: changing it affects no one else. */
	ctxt->_private = &st;
	st.start = ctxt->sax->startElementNs;
	st.end = ctxt->sax->endElementNs;
	ctxt->sax->startElementNs = md_sax_start;
	ctxt->sax->endElementNs = md_sax_end;
	ctxt->sax->internalSubset = md_sax_doctype;
	ctxt->sax->externalSubset = NULL;
	ctxt->sax->resolveEntity = NULL;
	ctxt->sax->serror = md_parse_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;

	xmlCtxtUseOptions(ctxt, opts);
	if (lim != NULL && lim->first_line > 1)
		ctxt->input->line = lim->first_line;
	xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (st.refused != 0) {
		rc = tl_err_set(err, st.refused, "%s", st.why);
		goto out;
	}
	if (doc == NULL || st.errs.n > 0 || !ctxt->wellFormed) {
		rc = md_errs_set(&st.errs, err, TL_EPARSE, "not well-formed XML");
		goto out;
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		rc = tl_err_set(err, TL_EPARSE, "no root element");
		goto out;
	}
	*out = doc;
	doc = NULL;
	rc = TL_OK;
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* ---- stage 2: schema ------------------------------------------------------ */

enum md_dir { MD_DIR_SAML, MD_DIR_XMLTOOLING, MD_DIR_SHIB };

/*
 * The schema set, each file imported by an absolute path.  The order
 * matters: libxml2 loads the first location it is given for a namespace
 * and skips later imports of it, so xml.xsd, xmldsig and xenc come before
 * the SAML schemas whose own imports name them by http:// URLs.  Nothing
 * is fetched from the network.
 */
static const struct {
	enum md_dir dir;
	const char *file;
	const char *ns;
} md_xsd[] = {
	{ MD_DIR_XMLTOOLING, "xml.xsd", MD_NS_XML },
	{ MD_DIR_XMLTOOLING, "xmldsig-core-schema.xsd", MD_NS_DS },
	{ MD_DIR_XMLTOOLING, "xenc-schema.xsd", MD_NS_XENC },
	{ MD_DIR_SAML, "saml-schema-assertion-2.0.xsd", MD_NS_SAML },
	{ MD_DIR_SAML, "saml-schema-metadata-2.0.xsd", MD_NS },
	{ MD_DIR_SAML, "sstc-saml-metadata-ui-v1.0.xsd", MD_NS_MDUI },
	{ MD_DIR_SAML, "saml-metadata-rpi-v1.0.xsd", MD_NS_MDRPI },
	{ MD_DIR_SAML, "sstc-metadata-attr.xsd", MD_NS_MDATTR },
	{ MD_DIR_SAML, "sstc-saml-metadata-algsupport-v1.0.xsd", MD_NS_ALG },
	{ MD_DIR_SAML, "sstc-saml-idp-discovery.xsd", MD_NS_IDPDISC },
	{ MD_DIR_SHIB, "shibboleth-metadata-1.0.xsd", MD_NS_SHIBMD },
};

#define MD_NXSD (sizeof(md_xsd) / sizeof(md_xsd[0]))

/*
 * The directories configure found.  TILLIT_SAML_SCHEMA_DIR,
 * TILLIT_XMLTOOLING_SCHEMA_DIR and TILLIT_SHIB_SCHEMA_DIR override them
 * (a relocated installation; the tests use them for a missing file).
 */
static const char *md_dir(enum md_dir d)
{
	static const char *const env[] = { "TILLIT_SAML_SCHEMA_DIR", "TILLIT_XMLTOOLING_SCHEMA_DIR",
		                           "TILLIT_SHIB_SCHEMA_DIR" };
	static const char *const def[] = { TL_SAML_SCHEMA_DIR, TL_XMLTOOLING_SCHEMA_DIR,
		                           TL_SHIB_SCHEMA_DIR };
	const char *v = getenv(env[d]);

	return v != NULL && *v != '\0' ? v : def[d];
}

/*
 * The entity loader is process-wide in libxml2 2.9; it is swapped for the
 * no-network one only while compiling, under this lock, and restored.
 */
static pthread_mutex_t md_loader_lock = PTHREAD_MUTEX_INITIALIZER;

static int md_wrapper(struct buf *b, struct tl_err *err)
{
	char path[PATH_MAX];
	int rc = buf_puts(b, "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n");

	for (size_t i = 0; i < MD_NXSD && rc == TL_OK; i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", md_dir(md_xsd[i].dir), md_xsd[i].file);
		if (n < 0 || (size_t)n >= sizeof(path))
			return tl_err_set(err, TL_ECONF, "schema path too long: %s/%s",
			                  md_dir(md_xsd[i].dir), md_xsd[i].file);
		if (access(path, R_OK) != 0)
			return tl_err_set(err, TL_ECONF, "schema file %s: %s", path, strerror(errno));
		rc = buf_printf(b, "<xs:import namespace=\"%s\" schemaLocation=\"", md_xsd[i].ns);
		if (rc == TL_OK)
			rc = buf_xml_escape(b, path);
		if (rc == TL_OK)
			rc = buf_puts(b, "\"/>\n");
	}
	if (rc == TL_OK)
		rc = buf_puts(b, "</xs:schema>\n");
	if (rc != TL_OK)
		return tl_err_set(err, rc, "building the metadata schema set");
	return TL_OK;
}

int md_schema_load(struct md_schema **out, struct tl_err *err)
{
	struct md_schema *s = NULL;
	struct md_errs errs;
	struct buf w;
	xmlSchemaParserCtxtPtr pctxt = NULL;
	xmlSchemaPtr xs = NULL;
	xmlStructuredErrorFunc old_fn;
	void *old_ud;
	xmlExternalEntityLoader old_loader;
	int rc;

	*out = NULL;
	memset(&errs, 0, sizeof(errs));
	buf_init(&w, MD_WRAPPER_MAX);
	rc = md_wrapper(&w, err);
	if (rc != TL_OK)
		goto out;
	s = calloc(1, sizeof(*s));
	pctxt = xmlSchemaNewMemParserCtxt(w.data, (int)w.len);
	if (s == NULL || pctxt == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory loading the metadata schema");
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, md_schema_error, &errs);

	old_fn = xmlStructuredError;
	old_ud = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&errs, md_schema_error);
	pthread_mutex_lock(&md_loader_lock);
	old_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	xs = xmlSchemaParse(pctxt);
	xmlSetExternalEntityLoader(old_loader);
	pthread_mutex_unlock(&md_loader_lock);
	xmlSetStructuredErrorFunc(old_ud, old_fn);

	if (xs == NULL || errs.n > 0) {
		rc = md_errs_set(&errs, err, TL_ECONF, "the metadata schema does not compile");
		tl_err_prefix(err, "compiling the metadata schema from %s, %s, %s", md_dir(MD_DIR_SAML),
		              md_dir(MD_DIR_XMLTOOLING), md_dir(MD_DIR_SHIB));
		goto out;
	}
	s->xs = xs;
	xs = NULL;
	*out = s;
	s = NULL;
	rc = TL_OK;
out:
	xmlSchemaFree(xs);
	xmlSchemaFreeParserCtxt(pctxt);
	free(s);
	buf_free(&w);
	return rc;
}

void md_schema_free(struct md_schema *s)
{
	if (s == NULL)
		return;
	xmlSchemaFree(s->xs);
	free(s);
}

/* ---- helpers -------------------------------------------------------------- */

static int md_is(xmlNodePtr n, const char *ns, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE || !xmlStrEqual(n->name, BAD_CAST name))
		return 0;
	if (ns == NULL)
		return n->ns == NULL;
	return n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST ns);
}

xmlNodePtr md_child(xmlNodePtr e, const char *ns, const char *name)
{
	if (e == NULL)
		return NULL;
	for (xmlNodePtr c = e->children; c != NULL; c = c->next)
		if (md_is(c, ns, name))
			return c;
	return NULL;
}

xmlNodePtr md_next(xmlNodePtr e, const char *ns, const char *name)
{
	if (e == NULL)
		return NULL;
	for (xmlNodePtr c = e->next; c != NULL; c = c->next)
		if (md_is(c, ns, name))
			return c;
	return NULL;
}

/* The next element after n in document order, staying inside top. */
xmlNodePtr md_next_element(xmlNodePtr top, xmlNodePtr n)
{
	if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
		for (xmlNodePtr c = n->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				return c;
	}
	while (n != NULL && n != top) {
		for (xmlNodePtr s = n->next; s != NULL; s = s->next)
			if (s->type == XML_ELEMENT_NODE)
				return s;
		n = n->parent;
	}
	return NULL;
}

static int md_line(xmlNodePtr n)
{
	return (int)xmlGetLineNo(n);
}

/* The value of an unqualified attribute when it is one text node (no copy). */
static const char *md_attr(xmlNodePtr e, const char *name)
{
	xmlAttrPtr a;

	if (e == NULL || e->type != XML_ELEMENT_NODE)
		return NULL;
	a = xmlHasNsProp(e, BAD_CAST name, NULL);
	if (a == NULL || a->type != XML_ATTRIBUTE_NODE)
		return NULL;
	if (a->children == NULL)
		return "";
	if (a->children->type != XML_TEXT_NODE || a->children->next != NULL)
		return NULL;
	return (const char *)a->children->content;
}

const char *md_entity_id(xmlNodePtr e)
{
	return md_attr(e, "entityID");
}

unsigned md_roles(xmlNodePtr e)
{
	unsigned r = 0;

	if (md_child(e, MD_NS, "IDPSSODescriptor") != NULL)
		r |= MD_ROLE_IDP;
	if (md_child(e, MD_NS, "SPSSODescriptor") != NULL)
		r |= MD_ROLE_SP;
	if (md_child(e, MD_NS, "AttributeAuthorityDescriptor") != NULL)
		r |= MD_ROLE_AA;
	return r;
}

void md_roles_str(unsigned roles, char *out, size_t outlen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { MD_ROLE_IDP, "idp" }, { MD_ROLE_SP, "sp" }, { MD_ROLE_AA, "aa" } };
	size_t used = 0;

	if (out == NULL || outlen == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;
		if (!(roles & names[i].bit))
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used > 0 ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return; /* truncated, still NUL-terminated */
		used += (size_t)n;
	}
}

/* ---- stage 3: federation rules -------------------------------------------- */

/* Count UTF-8 characters (continuation bytes are not characters). */
static size_t md_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int md_has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7F)
			return 1;
	return 0;
}

/* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':' and more. */
static int md_absolute_uri(const char *s)
{
	const char *p = s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	for (p++; *p != ':'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	}
	return p[1] != '\0';
}

/* An absolute http(s) URL with a host: "https://host[:port][/...]". */
static int md_http_url(const char *s)
{
	const char *h;

	if (md_has_space(s))
		return 0;
	if (strncasecmp(s, "https://", 8) == 0)
		h = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		h = s + 7;
	else
		return 0;
	return *h != '\0' && *h != '/' && *h != '?' && *h != '#' && *h != ':';
}

static int md_check_entity_id(xmlNodePtr e, struct tl_err *err)
{
	const char *id = md_entity_id(e);
	size_t n;

	if (id == NULL || *id == '\0')
		return tl_err_set(err, TL_ERULE, "line %d: EntityDescriptor has no entityID", md_line(e));
	n = md_utf8_len(id);
	if (n > MD_ENTITYID_MAX)
		return tl_err_set(err, TL_ERULE, "line %d: entityID is %zu characters, more than %d",
		                  md_line(e), n, MD_ENTITYID_MAX);
	if (md_has_space(id))
		return tl_err_set(err, TL_ERULE, "line %d: entityID '%.*s' contains whitespace",
		                  md_line(e), MD_VALUE_SHOWN, id);
	if (!md_absolute_uri(id))
		return tl_err_set(err, TL_ERULE,
		                  "line %d: entityID '%.*s' is not an absolute URI (https://..., urn:...)",
		                  md_line(e), MD_VALUE_SHOWN, id);
	return TL_OK;
}

static int md_endpoint_ns(xmlNodePtr n)
{
	const xmlChar *ns = n->ns != NULL ? n->ns->href : NULL;

	return ns != NULL && (xmlStrEqual(ns, BAD_CAST MD_NS) || xmlStrEqual(ns, BAD_CAST MD_NS_IDPDISC) ||
	                      xmlStrEqual(ns, BAD_CAST MD_NS_INIT));
}

static int md_check_locations(xmlNodePtr e, struct tl_err *err)
{
	static const char *const attrs[] = { "Location", "ResponseLocation" };

	for (xmlNodePtr n = md_next_element(e, e); n != NULL; n = md_next_element(e, n)) {
		if (!md_endpoint_ns(n))
			continue;
		for (size_t i = 0; i < 2; i++) {
			xmlChar *v;
			int ok;
			if (xmlHasNsProp(n, BAD_CAST attrs[i], NULL) == NULL)
				continue;
			v = xmlGetNoNsProp(n, BAD_CAST attrs[i]);
			if (v == NULL)
				return tl_err_set(err, TL_ENOMEM, "out of memory checking endpoints");
			ok = md_http_url((const char *)v);
			if (!ok)
				tl_err_set(err, TL_ERULE, "line %d: %s %s '%.*s' is not an absolute URL",
				           md_line(n), (const char *)n->name, attrs[i], MD_VALUE_SHOWN,
				           (const char *)v);
			xmlFree(v);
			if (!ok)
				return TL_ERULE;
		}
	}
	return TL_OK;
}

static int md_check_cert(xmlNodePtr c, struct tl_err *err)
{
	xmlChar *text = xmlNodeGetContent(c);
	struct cert_info ci;
	struct tl_err why = { 0 };
	int rc;

	if (text == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory checking certificates");
	rc = cert_parse_b64((const char *)text, &ci, &why);
	xmlFree(text);
	if (rc == TL_ENOMEM)
		return tl_err_set(err, rc, "out of memory checking certificates");
	if (rc != TL_OK)
		return tl_err_set(err, TL_ERULE, "line %d: KeyDescriptor certificate does not parse: %s",
		                  md_line(c), why.msg);
	return TL_OK;
}

static int md_check_certs(xmlNodePtr e, struct tl_err *err)
{
	for (xmlNodePtr n = md_next_element(e, e); n != NULL; n = md_next_element(e, n)) {
		if (!md_is(n, MD_NS, "KeyDescriptor"))
			continue;
		for (xmlNodePtr c = md_next_element(n, n); c != NULL; c = md_next_element(n, c)) {
			int rc;
			if (!md_is(c, MD_NS_DS, "X509Certificate"))
				continue;
			rc = md_check_cert(c, err);
			if (rc != TL_OK)
				return rc;
		}
	}
	return TL_OK;
}

static int md_check_root(xmlNodePtr e, struct tl_err *err)
{
	if (e == NULL || e->type != XML_ELEMENT_NODE)
		return tl_err_set(err, TL_EINVAL, "no element to check");
	if (md_is(e, MD_NS, "EntityDescriptor"))
		return TL_OK;
	if (md_is(e, MD_NS, "EntitiesDescriptor"))
		return tl_err_set(err, TL_ERULE,
		                  "line %d: this is an EntitiesDescriptor (an aggregate): use tillitctl import",
		                  md_line(e));
	if (e->ns != NULL)
		return tl_err_set(err, TL_ERULE,
		                  "line %d: element {%s}%s is not an md:EntityDescriptor (not SAML metadata)",
		                  md_line(e), (const char *)e->ns->href, (const char *)e->name);
	return tl_err_set(err, TL_ERULE,
	                  "line %d: element %s is not an md:EntityDescriptor (not SAML metadata)",
	                  md_line(e), (const char *)e->name);
}

int md_check_rules(xmlNodePtr e, struct tl_err *err)
{
	int rc;

	rc = md_check_root(e, err);
	if (rc == TL_OK)
		rc = md_check_entity_id(e, err);
	if (rc == TL_OK && !(md_roles(e) & (MD_ROLE_IDP | MD_ROLE_SP)))
		rc = tl_err_set(err, TL_ERULE,
		                "line %d: no IdP or SP role (an IDPSSODescriptor or SPSSODescriptor is required)",
		                md_line(e));
	if (rc == TL_OK)
		rc = md_check_locations(e, err);
	if (rc == TL_OK)
		rc = md_check_certs(e, err);
	return rc;
}

int md_validate_entity(const struct md_schema *s, xmlNodePtr e, struct tl_err *err)
{
	xmlSchemaValidCtxtPtr vctxt = NULL;
	struct md_errs errs;
	int rc;

	/*
	 * An aggregate or a page that is not metadata at all gets the rule's
	 * clear message at once rather than a schema validation of it.
	 */
	rc = md_check_root(e, err);
	if (rc != TL_OK)
		return rc;
	if (s == NULL || s->xs == NULL)
		return tl_err_set(err, TL_EINVAL, "no metadata schema loaded");
	memset(&errs, 0, sizeof(errs));
	vctxt = xmlSchemaNewValidCtxt(s->xs);
	if (vctxt == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory creating a schema validator");
	xmlSchemaSetValidStructuredErrors(vctxt, md_valid_error, &errs);
	rc = xmlSchemaValidateOneElement(vctxt, e);
	xmlSchemaFreeValidCtxt(vctxt);
	if (rc != 0 || errs.n > 0)
		return md_errs_set(&errs, err, rc < 0 ? TL_EINTERNAL : TL_ESCHEMA,
		                   rc < 0 ? "schema validation failed internally" : "not schema-valid");
	return md_check_rules(e, err);
}

/* ---- serialisation ----------------------------------------------------------- */

/*
 * Declare on copy (which may be orig itself) every namespace in scope at
 * orig's parent that copy
 * does not declare itself: the element and attribute names need them, and
 * so do QNames in content (xsi:type="xs:string" with xmlns:xs on the
 * aggregate's root).  The nearest declaration of a prefix wins.
 */
static int md_copy_inscope_ns(xmlNodePtr orig, xmlNodePtr copy)
{
	for (xmlNodePtr a = orig->parent; a != NULL && a->type == XML_ELEMENT_NODE; a = a->parent) {
		for (xmlNsPtr ns = a->nsDef; ns != NULL; ns = ns->next) {
			int declared = 0;
			if (ns->href == NULL || ns->href[0] == '\0' ||
			    xmlStrEqual(ns->prefix, BAD_CAST "xml"))
				continue;
			for (xmlNsPtr d = copy->nsDef; d != NULL && !declared; d = d->next)
				declared = xmlStrEqual(d->prefix, ns->prefix);
			if (!declared && xmlNewNs(copy, ns->href, ns->prefix) == NULL)
				return TL_ENOMEM;
		}
	}
	return TL_OK;
}

int md_serialize_entity(xmlNodePtr e, char **out, size_t *len, struct tl_err *err)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	xmlNodePtr node = e;
	xmlNsPtr last = NULL;
	xmlOutputBufferPtr ob = NULL;
	int borrowed = 0;
	const xmlChar *content;
	size_t size;
	int rc;

	*out = NULL;
	*len = 0;
	if (e == NULL || e->type != XML_ELEMENT_NODE || e->doc == NULL)
		return tl_err_set(err, TL_EINVAL, "no element to serialise");
	/*
	 * Inside a larger document (an aggregate streaming in), the namespaces
	 * e uses from its ancestors are declared on e itself for the time of
	 * the dump and removed again: cheaper than copying the subtree.
	 */
	if (e->parent != NULL && e->parent->type == XML_ELEMENT_NODE) {
		for (last = e->nsDef; last != NULL && last->next != NULL; last = last->next)
			;
		borrowed = 1;
		if (md_copy_inscope_ns(e, e) != TL_OK) {
			rc = tl_err_set(err, TL_ENOMEM, "out of memory copying namespaces");
			goto out;
		}
	}
	ob = xmlAllocOutputBuffer(NULL);
	if (ob == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory serialising an entity");
		goto out;
	}
	xmlOutputBufferWrite(ob, (int)(sizeof(decl) - 1), decl);
	xmlNodeDumpOutput(ob, node->doc, node, 0, 0, "UTF-8");
	xmlOutputBufferWrite(ob, 1, "\n");
	xmlOutputBufferFlush(ob);
	if (ob->error != 0) {
		rc = tl_err_set(err, TL_ENOMEM, "serialising an entity failed (libxml2 error %d)",
		                ob->error);
		goto out;
	}
	content = xmlOutputBufferGetContent(ob);
	size = xmlOutputBufferGetSize(ob);
	*out = malloc(size + 1);
	if (content == NULL || *out == NULL) {
		free(*out);
		*out = NULL;
		rc = tl_err_set(err, TL_ENOMEM, "out of memory serialising an entity");
		goto out;
	}
	memcpy(*out, content, size);
	(*out)[size] = '\0';
	*len = size;
	rc = TL_OK;
out:
	if (ob != NULL)
		xmlOutputBufferClose(ob);
	if (borrowed) {
		xmlNsPtr added = last != NULL ? last->next : e->nsDef;
		if (last != NULL)
			last->next = NULL;
		else
			e->nsDef = NULL;
		xmlFreeNsList(added);
	}
	return rc;
}
