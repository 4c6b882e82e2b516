/*
 * mdm.c - the metadata model, built by one SAX pass over an
 * EntityDescriptor.
 *
 * The parser keeps a stack of frames, one per open element, each knowing
 * what the element is (enum mdm_frame_kind) and the model object it fills;
 * the path of the current element is kept in a buffer that grows and
 * shrinks with the stack.  Text is collected only for elements whose text
 * the model keeps.
 */
#include "tillit/mdm.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#define MDM_NS_XML "http://www.w3.org/XML/1998/namespace"
#define MDM_NS_ALG "urn:oasis:names:tc:SAML:metadata:algsupport"
#define MDM_NS_IDPDISC "urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol"
#define MDM_NS_INIT "urn:oasis:names:tc:SAML:profiles:SSO:request-init"
#define MDM_NS_REMD "http://refeds.org/metadata"
#define MDM_NS_XENC "http://www.w3.org/2001/04/xmlenc#"

#define MDM_DEFAULT_MAX_BYTES (1024 * 1024)
#define MDM_DEFAULT_MAX_DEPTH 64
#define MDM_PATH_MAX 16384
#define MDM_TEXT_MAX (CERT_B64_MAX + 1024)
#define MDM_ARENA_BLOCK (32 * 1024)
/* Distinct child element names counted per parent for positions. */
#define MDM_CHILD_NAMES 24

/* ---- arena ------------------------------------------------------------ */

struct mdm_block {
	struct mdm_block *next;
	size_t used, cap;
	unsigned char data[];
};

struct mdm_arena {
	struct mdm_block *head;
};

static void *arena_alloc(struct mdm_arena *a, size_t n)
{
	struct mdm_block *b = a->head;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > MDM_ARENA_BLOCK / 2 ? n : MDM_ARENA_BLOCK;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (n > MDM_ARENA_BLOCK / 2 && a->head != NULL) {
			/* a big one-off: keep the current block for small items */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	b->used += n;
	return memset(b->data + b->used - n, 0, n);
}

static char *arena_strndup(struct mdm_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(struct mdm_arena *a)
{
	struct mdm_block *b = a->head, *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

/* ---- parse state ------------------------------------------------------ */

enum mdm_frame_kind {
	F_OTHER = 0,
	F_ENTITY,
	F_ENT_EXT,
	F_ENTATTRS,
	F_ATTR,        /* saml:Attribute in entity attributes, or md:RequestedAttribute */
	F_ATTRVALUE,
	F_RPI,
	F_RPI_POLICY,
	F_ORG,
	F_ORG_ITEM,
	F_CONTACT,
	F_CONTACT_ITEM,
	F_ROLE,
	F_ROLE_EXT,
	F_UIINFO,
	F_UI_ITEM,
	F_SCOPE,
	F_KEY,
	F_KEYINFO_ANY,
	F_CERT,
	F_ENCMETHOD,
	F_ENDPOINT,
	F_NAMEIDFORMAT,
	F_ACS_SVC,
	F_SVC_TEXT,
	F_ALG,
	F_DISCO,
};

enum mdm_contact_field { CF_COMPANY, CF_GIVEN, CF_SURNAME, CF_EMAIL, CF_PHONE };

struct mdm_frame {
	enum mdm_frame_kind kind;
	size_t path_len;        /* length of the path up to and including this element */
	int line;
	int field;              /* contact field, or ui item index */
	void *obj;              /* the model object this element fills */
	size_t text_len;        /* characters of direct text (for the length check) */
	int text_data_uri;      /* text starts with "data:" */
	int has_children;       /* its text is only the white space between child elements */
	const xmlChar *child_names[MDM_CHILD_NAMES];
	int child_counts[MDM_CHILD_NAMES];
	int nchild_names;
};

struct mdm_parse {
	struct mdm_entity *m;
	struct mdm_arena *a;
	struct mdm_frame *frames;
	int depth, max_depth;
	char path[MDM_PATH_MAX];
	size_t path_len;
	char *text;
	size_t text_len, text_cap;
	int capture;
	int rc;                 /* first error */
	char why[TL_ERR_MSG_MAX];
	xmlParserCtxtPtr ctxt;
	/* list tails for appending in document order */
	struct mdm_role *role;
	struct mdm_role **role_tail;
	struct mdm_attr **attr_tail;
	struct mdm_contact **contact_tail;
	struct mdm_text **org_tail;
	struct mdm_lang **lang_tail;
	struct mdm_method **alg_tail;
	struct mdm_endpoint **ep_tail, **disco_tail;
	struct mdm_key **key_tail;
	struct mdm_text **ui_tail;
	struct mdm_scope **scope_tail;
	struct mdm_acs_service **svc_tail;
	struct mdm_method **ralg_tail;
	struct mdm_attr **req_tail;
	struct mdm_text **svc_text_tail;
	struct mdm_method **enc_tail;
	struct mdm_value **value_tail;
};

static void mdm_fail(struct mdm_parse *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mdm_fail(struct mdm_parse *p, int code, const char *fmt, ...)
{
	va_list ap;

	if (p->rc != TL_OK)
		return;
	p->rc = code;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	xmlStopParser(p->ctxt);
}

static int mdm_line(struct mdm_parse *p)
{
	return p->ctxt != NULL ? xmlSAX2GetLineNumber(p->ctxt) : 0;
}

static void *mdm_new(struct mdm_parse *p, size_t n)
{
	void *o = arena_alloc(p->a, n);

	if (o == NULL)
		mdm_fail(p, TL_ENOMEM, "out of memory building the metadata model");
	return o;
}

static const char *mdm_dup(struct mdm_parse *p, const xmlChar *s, const xmlChar *end)
{
	size_t n = end != NULL ? (size_t)(end - s) : strlen((const char *)s);
	char *d = arena_strndup(p->a, (const char *)s, n);

	if (d == NULL)
		mdm_fail(p, TL_ENOMEM, "out of memory building the metadata model");
	return d;
}

/* The conventional prefix of a namespace, for paths. */
static const char *mdm_prefix(const xmlChar *uri, const xmlChar *doc_prefix)
{
	static const struct { const char *uri, *prefix; } known[] = {
		{ MD_NS, "md" }, { MD_NS_DS, "ds" }, { MD_NS_MDUI, "mdui" }, { MD_NS_MDRPI, "mdrpi" },
		{ MD_NS_MDATTR, "mdattr" }, { MD_NS_SAML, "saml" }, { MD_NS_SHIBMD, "shibmd" },
		{ MDM_NS_ALG, "alg" }, { MDM_NS_IDPDISC, "idpdisc" }, { MDM_NS_INIT, "init" },
		{ MDM_NS_XENC, "xenc" },
	};

	if (uri != NULL)
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp((const char *)uri, known[i].uri) == 0)
				return known[i].prefix;
	return doc_prefix != NULL ? (const char *)doc_prefix : NULL;
}

static int mdm_is(const xmlChar *uri, const xmlChar *local, const char *ns, const char *name)
{
	return uri != NULL && strcmp((const char *)uri, ns) == 0 &&
	       strcmp((const char *)local, name) == 0;
}

/* An attribute of the start tag: (localname, prefix, URI, value, end) tuples. */
static const xmlChar *mdm_attr_get(const xmlChar **attrs, int n, const char *ns, const char *name,
                                   const xmlChar **end)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (strcmp((const char *)a[0], name) != 0)
			continue;
		if ((ns == NULL && a[2] == NULL) ||
		    (ns != NULL && a[2] != NULL && strcmp((const char *)a[2], ns) == 0)) {
			*end = a[4];
			return a[3];
		}
	}
	return NULL;
}

static const char *mdm_attr_dup(struct mdm_parse *p, const xmlChar **attrs, int n,
                                const char *ns, const char *name)
{
	const xmlChar *end = NULL, *v = mdm_attr_get(attrs, n, ns, name, &end);

	return v != NULL ? mdm_dup(p, v, end) : NULL;
}

/* xs:boolean: 1, 0, or -1 when absent or malformed. */
static int mdm_bool(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

static int mdm_int(const char *s, int dflt)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > INT_MAX)
		return dflt;
	return (int)v;
}

static struct mdm_loc mdm_here(struct mdm_parse *p)
{
	struct mdm_loc l;

	l.path = arena_strndup(p->a, p->path, p->path_len);
	if (l.path == NULL)
		mdm_fail(p, TL_ENOMEM, "out of memory building the metadata model");
	l.line = p->frames[p->depth - 1].line;
	return l;
}

/* Append this element's step ("/md:Foo[2]") to the path. */
static void mdm_path_push(struct mdm_parse *p, const xmlChar *local, const xmlChar *prefix,
                          const xmlChar *uri)
{
	struct mdm_frame *parent = p->depth > 1 ? &p->frames[p->depth - 2] : NULL;
	const char *pfx = mdm_prefix(uri, prefix);
	int pos = 1, n;

	if (parent != NULL) {
		int i;
		for (i = 0; i < parent->nchild_names; i++)
			if (parent->child_names[i] == local ||
			    strcmp((const char *)parent->child_names[i], (const char *)local) == 0)
				break;
		if (i < parent->nchild_names) {
			pos = ++parent->child_counts[i];
		} else if (i < MDM_CHILD_NAMES) {
			/* libxml2 interns names in the parser's dictionary: valid for the parse */
			parent->child_names[i] = local;
			parent->child_counts[i] = 1;
			parent->nchild_names++;
		}
	}
	{
		/* "/" prefix ":" local "[" pos "]", written by hand: this runs per element */
		size_t plen = pfx ? strlen(pfx) : 0, llen = strlen((const char *)local);
		char num[16], *w;
		int nlen = 0;
		if (parent != NULL) {
			char rev[16];
			int r = 0;
			for (int v = pos; v > 0 && r < 15; v /= 10)
				rev[r++] = (char)('0' + v % 10);
			num[nlen++] = '[';
			while (r > 0)
				num[nlen++] = rev[--r];
			num[nlen++] = ']';
		}
		n = (int)(1 + plen + (plen ? 1 : 0) + llen + (size_t)nlen);
		if (p->path_len + (size_t)n + 1 > sizeof(p->path)) {
			mdm_fail(p, TL_ELIMIT, "line %d: element path longer than %d bytes", mdm_line(p),
			         MDM_PATH_MAX);
			return;
		}
		w = p->path + p->path_len;
		*w++ = '/';
		if (plen) {
			memcpy(w, pfx, plen);
			w += plen;
			*w++ = ':';
		}
		memcpy(w, local, llen);
		w += llen;
		memcpy(w, num, (size_t)nlen);
		w += nlen;
		*w = '\0';
	}
	p->path_len += (size_t)n;
}

static void mdm_capture(struct mdm_parse *p)
{
	p->capture = 1;
	p->text_len = 0;
}

/* The captured text, trimmed of XML whitespace, in the arena. */
static const char *mdm_text_trimmed(struct mdm_parse *p)
{
	size_t s = 0, e = p->text_len;

	while (s < e && (p->text[s] == ' ' || p->text[s] == '\t' || p->text[s] == '\n' ||
	                 p->text[s] == '\r'))
		s++;
	while (e > s && (p->text[e - 1] == ' ' || p->text[e - 1] == '\t' || p->text[e - 1] == '\n' ||
	                 p->text[e - 1] == '\r'))
		e--;
	return mdm_dup(p, (const xmlChar *)p->text + s, (const xmlChar *)p->text + e);
}

static const char *mdm_text_raw(struct mdm_parse *p)
{
	return mdm_dup(p, (const xmlChar *)p->text, (const xmlChar *)p->text + p->text_len);
}

static void mdm_note_lang(struct mdm_parse *p, const xmlChar *local, const xmlChar *uri,
                          const char *lang)
{
	struct mdm_lang *l;
	char q[128];
	const char *pfx = mdm_prefix(uri, NULL);
	size_t scope_len = p->depth > 1 ? p->frames[p->depth - 2].path_len : 0;

	l = mdm_new(p, sizeof(*l));
	if (l == NULL)
		return;
	snprintf(q, sizeof(q), "%s%s%s", pfx ? pfx : "", pfx ? ":" : "", (const char *)local);
	l->element = arena_strndup(p->a, q, strlen(q));
	l->scope = arena_strndup(p->a, p->path, scope_len);
	l->lang = lang;
	l->loc = mdm_here(p);
	*p->lang_tail = l;
	p->lang_tail = &l->next;
}

static struct mdm_text *mdm_new_text(struct mdm_parse *p, const xmlChar *local, const char *lang)
{
	struct mdm_text *t = mdm_new(p, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->element = mdm_dup(p, local, NULL);
	t->lang = lang;
	t->width = t->height = -1;
	t->loc = mdm_here(p);
	return t;
}

/* ---- element handlers ----------------------------------------------- */

static void mdm_start_role(struct mdm_parse *p, const xmlChar *local, const xmlChar **attrs,
                           int nattrs, struct mdm_frame *f)
{
	struct mdm_role *r = mdm_new(p, sizeof(*r));

	if (r == NULL)
		return;
	if (strcmp((const char *)local, "IDPSSODescriptor") == 0) {
		r->kind = MDM_ROLE_IDP;
		p->m->roles |= MD_ROLE_IDP;
	} else if (strcmp((const char *)local, "SPSSODescriptor") == 0) {
		r->kind = MDM_ROLE_SP;
		p->m->roles |= MD_ROLE_SP;
	} else if (strcmp((const char *)local, "AttributeAuthorityDescriptor") == 0) {
		r->kind = MDM_ROLE_AA;
		p->m->roles |= MD_ROLE_AA;
	} else {
		r->kind = MDM_ROLE_OTHER;
	}
	r->element = mdm_dup(p, local, NULL);
	r->protocols = mdm_attr_dup(p, attrs, nattrs, NULL, "protocolSupportEnumeration");
	r->error_url = mdm_attr_dup(p, attrs, nattrs, NULL, "errorURL");
	r->want_authn_requests_signed = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "WantAuthnRequestsSigned"));
	r->authn_requests_signed = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "AuthnRequestsSigned"));
	r->want_assertions_signed = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "WantAssertionsSigned"));
	r->loc = mdm_here(p);
	*p->role_tail = r;
	p->role_tail = &r->next;
	p->role = r;
	p->ep_tail = &r->endpoints;
	p->disco_tail = &r->discovery;
	p->key_tail = &r->keys;
	p->ui_tail = &r->ui;
	p->scope_tail = &r->scopes;
	p->svc_tail = &r->services;
	p->ralg_tail = &r->algs;
	f->kind = F_ROLE;
	f->obj = r;
}

static void mdm_new_attr(struct mdm_parse *p, const xmlChar **attrs, int nattrs,
                         struct mdm_attr ***tail, struct mdm_frame *f)
{
	struct mdm_attr *a = mdm_new(p, sizeof(*a));

	if (a == NULL)
		return;
	a->name = mdm_attr_dup(p, attrs, nattrs, NULL, "Name");
	a->name_format = mdm_attr_dup(p, attrs, nattrs, NULL, "NameFormat");
	a->friendly_name = mdm_attr_dup(p, attrs, nattrs, NULL, "FriendlyName");
	a->is_required = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "isRequired"));
	a->loc = mdm_here(p);
	**tail = a;
	*tail = &a->next;
	p->value_tail = &a->values;
	f->kind = F_ATTR;
	f->obj = a;
}

static void mdm_new_method(struct mdm_parse *p, const xmlChar *local, const xmlChar **attrs,
                           int nattrs, struct mdm_method ***tail)
{
	struct mdm_method *mm = mdm_new(p, sizeof(*mm));

	if (mm == NULL)
		return;
	mm->element = mdm_dup(p, local, NULL);
	mm->algorithm = mdm_attr_dup(p, attrs, nattrs, NULL, "Algorithm");
	mm->loc = mdm_here(p);
	**tail = mm;
	*tail = &mm->next;
}

/* Decide what the element just opened is, given its parent's kind. */
static void mdm_classify(struct mdm_parse *p, struct mdm_frame *f, struct mdm_frame *parent,
                         const xmlChar *local, const xmlChar *uri, const xmlChar **attrs,
                         int nattrs)
{
	enum mdm_frame_kind pk = parent != NULL ? parent->kind : F_OTHER;
	struct mdm_entity *m = p->m;

	switch (pk) {
	case F_ENTITY:
		if (mdm_is(uri, local, MD_NS, "Extensions")) {
			f->kind = F_ENT_EXT;
		} else if (mdm_is(uri, local, MD_NS, "Organization")) {
			f->kind = F_ORG;
			m->organization++;
		} else if (mdm_is(uri, local, MD_NS, "ContactPerson")) {
			struct mdm_contact *c = mdm_new(p, sizeof(*c));
			if (c == NULL)
				return;
			c->type = mdm_attr_dup(p, attrs, nattrs, NULL, "contactType");
			c->remd_type = mdm_attr_dup(p, attrs, nattrs, MDM_NS_REMD, "contactType");
			c->loc = mdm_here(p);
			*p->contact_tail = c;
			p->contact_tail = &c->next;
			f->kind = F_CONTACT;
			f->obj = c;
		} else if (uri != NULL && strcmp((const char *)uri, MD_NS) == 0 &&
		           strstr((const char *)local, "Descriptor") != NULL) {
			mdm_start_role(p, local, attrs, nattrs, f);
		}
		break;
	case F_ENT_EXT:
		if (mdm_is(uri, local, MD_NS_MDATTR, "EntityAttributes")) {
			f->kind = F_ENTATTRS;
			m->entity_attr_blocks++;
		} else if (mdm_is(uri, local, MD_NS_MDRPI, "RegistrationInfo")) {
			f->kind = F_RPI;
			m->registration_infos++;
			m->registration_authority = mdm_attr_dup(p, attrs, nattrs, NULL, "registrationAuthority");
			m->registration_instant = mdm_attr_dup(p, attrs, nattrs, NULL, "registrationInstant");
		} else if (mdm_is(uri, local, MDM_NS_ALG, "DigestMethod") ||
		           mdm_is(uri, local, MDM_NS_ALG, "SigningMethod")) {
			mdm_new_method(p, local, attrs, nattrs, &p->alg_tail);
			f->kind = F_ALG;
		}
		break;
	case F_ENTATTRS:
		if (mdm_is(uri, local, MD_NS_SAML, "Attribute"))
			mdm_new_attr(p, attrs, nattrs, &p->attr_tail, f);
		break;
	case F_ATTR:
		if (mdm_is(uri, local, MD_NS_SAML, "AttributeValue")) {
			f->kind = F_ATTRVALUE;
			f->obj = parent->obj;
			mdm_capture(p);
		}
		break;
	case F_RPI:
		if (mdm_is(uri, local, MD_NS_MDRPI, "RegistrationPolicy")) {
			f->kind = F_RPI_POLICY;
			m->registration_policies++;
		}
		break;
	case F_ORG:
		if (uri != NULL && strcmp((const char *)uri, MD_NS) == 0 &&
		    (strcmp((const char *)local, "OrganizationName") == 0 ||
		     strcmp((const char *)local, "OrganizationDisplayName") == 0 ||
		     strcmp((const char *)local, "OrganizationURL") == 0)) {
			struct mdm_text *t = mdm_new_text(p, local, mdm_attr_dup(p, attrs, nattrs, MDM_NS_XML, "lang"));
			if (t == NULL)
				return;
			*p->org_tail = t;
			p->org_tail = &t->next;
			f->kind = F_ORG_ITEM;
			f->obj = t;
			mdm_capture(p);
		}
		break;
	case F_CONTACT: {
		static const char *const fields[] = { "Company", "GivenName", "SurName", "EmailAddress",
		                                      "TelephoneNumber" };
		for (int i = 0; i < 5; i++) {
			if (mdm_is(uri, local, MD_NS, fields[i])) {
				f->kind = F_CONTACT_ITEM;
				f->field = i;
				f->obj = parent->obj;
				mdm_capture(p);
			}
		}
		break;
	}
	case F_ROLE: {
		struct mdm_role *r = parent->obj;
		const xmlChar *end;
		if (mdm_is(uri, local, MD_NS, "Extensions")) {
			f->kind = F_ROLE_EXT;
		} else if (mdm_is(uri, local, MD_NS, "KeyDescriptor")) {
			struct mdm_key *k = mdm_new(p, sizeof(*k));
			const char *use = mdm_attr_dup(p, attrs, nattrs, NULL, "use");
			if (k == NULL)
				return;
			if (use == NULL)
				k->use = MDM_USE_BOTH;
			else if (strcmp(use, "signing") == 0)
				k->use = MDM_USE_SIGNING;
			else if (strcmp(use, "encryption") == 0)
				k->use = MDM_USE_ENCRYPTION;
			else
				k->use_bad = 1;
			k->loc = mdm_here(p);
			*p->key_tail = k;
			p->key_tail = &k->next;
			p->enc_tail = &k->methods;
			f->kind = F_KEY;
			f->obj = k;
		} else if (mdm_is(uri, local, MD_NS, "NameIDFormat")) {
			f->kind = F_NAMEIDFORMAT;
			f->obj = r;
			mdm_capture(p);
		} else if (mdm_is(uri, local, MD_NS, "AttributeConsumingService")) {
			struct mdm_acs_service *s = mdm_new(p, sizeof(*s));
			if (s == NULL)
				return;
			s->index = mdm_int(mdm_attr_dup(p, attrs, nattrs, NULL, "index"), -1);
			s->is_default = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "isDefault"));
			s->loc = mdm_here(p);
			*p->svc_tail = s;
			p->svc_tail = &s->next;
			p->svc_text_tail = &s->names;
			p->req_tail = &s->requested;
			f->kind = F_ACS_SVC;
			f->obj = s;
		} else if (uri != NULL && strcmp((const char *)uri, MD_NS) == 0 &&
		           mdm_attr_get(attrs, nattrs, NULL, "Location", &end) != NULL) {
			struct mdm_endpoint *e = mdm_new(p, sizeof(*e));
			if (e == NULL)
				return;
			e->element = mdm_dup(p, local, NULL);
			e->binding = mdm_attr_dup(p, attrs, nattrs, NULL, "Binding");
			e->location = mdm_attr_dup(p, attrs, nattrs, NULL, "Location");
			e->response_location = mdm_attr_dup(p, attrs, nattrs, NULL, "ResponseLocation");
			e->index = mdm_int(mdm_attr_dup(p, attrs, nattrs, NULL, "index"), -1);
			e->is_default = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "isDefault"));
			e->loc = mdm_here(p);
			*p->ep_tail = e;
			p->ep_tail = &e->next;
			f->kind = F_ENDPOINT;
		}
		break;
	}
	case F_ROLE_EXT: {
		struct mdm_role *r = p->role;
		if (mdm_is(uri, local, MD_NS_SHIBMD, "Scope")) {
			struct mdm_scope *s = mdm_new(p, sizeof(*s));
			if (s == NULL)
				return;
			s->regexp = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "regexp"));
			s->loc = mdm_here(p);
			*p->scope_tail = s;
			p->scope_tail = &s->next;
			f->kind = F_SCOPE;
			f->obj = s;
			mdm_capture(p);
		} else if (mdm_is(uri, local, MD_NS_MDUI, "UIInfo")) {
			f->kind = F_UIINFO;
			r->uiinfo++;
		} else if (mdm_is(uri, local, MD_NS_MDATTR, "EntityAttributes")) {
			r->entity_attributes++;
		} else if (mdm_is(uri, local, MDM_NS_ALG, "DigestMethod") ||
		           mdm_is(uri, local, MDM_NS_ALG, "SigningMethod")) {
			mdm_new_method(p, local, attrs, nattrs, &p->ralg_tail);
			f->kind = F_ALG;
		} else if (mdm_is(uri, local, MDM_NS_IDPDISC, "DiscoveryResponse") ||
		           mdm_is(uri, local, MDM_NS_INIT, "RequestInitiator")) {
			struct mdm_endpoint *e = mdm_new(p, sizeof(*e));
			if (e == NULL)
				return;
			e->element = mdm_dup(p, local, NULL);
			e->binding = mdm_attr_dup(p, attrs, nattrs, NULL, "Binding");
			e->location = mdm_attr_dup(p, attrs, nattrs, NULL, "Location");
			e->index = mdm_int(mdm_attr_dup(p, attrs, nattrs, NULL, "index"), -1);
			e->is_default = mdm_bool(mdm_attr_dup(p, attrs, nattrs, NULL, "isDefault"));
			e->loc = mdm_here(p);
			*p->disco_tail = e;
			p->disco_tail = &e->next;
			f->kind = F_DISCO;
		}
		break;
	}
	case F_UIINFO:
		if (uri != NULL && strcmp((const char *)uri, MD_NS_MDUI) == 0) {
			struct mdm_text *t = mdm_new_text(p, local, mdm_attr_dup(p, attrs, nattrs, MDM_NS_XML, "lang"));
			if (t == NULL)
				return;
			if (strcmp((const char *)local, "Logo") == 0) {
				t->width = mdm_int(mdm_attr_dup(p, attrs, nattrs, NULL, "width"), -1);
				t->height = mdm_int(mdm_attr_dup(p, attrs, nattrs, NULL, "height"), -1);
			}
			*p->ui_tail = t;
			p->ui_tail = &t->next;
			f->kind = F_UI_ITEM;
			f->obj = t;
			mdm_capture(p);
		}
		break;
	case F_KEY:
	case F_KEYINFO_ANY:
		if (mdm_is(uri, local, MD_NS, "EncryptionMethod") && pk == F_KEY) {
			mdm_new_method(p, local, attrs, nattrs, &p->enc_tail);
			f->kind = F_ENCMETHOD;
		} else if (mdm_is(uri, local, MD_NS_DS, "X509Certificate")) {
			struct mdm_key *k = parent->obj;
			k->ncerts++;
			f->kind = F_CERT;
			f->obj = k;
			if (k->ncerts == 1)
				mdm_capture(p);
		} else if (uri != NULL && strcmp((const char *)uri, MD_NS_DS) == 0) {
			f->kind = F_KEYINFO_ANY;
			f->obj = parent->obj;
		}
		break;
	case F_ACS_SVC:
		if (mdm_is(uri, local, MD_NS, "ServiceName") ||
		    mdm_is(uri, local, MD_NS, "ServiceDescription")) {
			struct mdm_text *t = mdm_new_text(p, local, mdm_attr_dup(p, attrs, nattrs, MDM_NS_XML, "lang"));
			if (t == NULL)
				return;
			*p->svc_text_tail = t;
			p->svc_text_tail = &t->next;
			f->kind = F_SVC_TEXT;
			f->obj = t;
			mdm_capture(p);
		} else if (mdm_is(uri, local, MD_NS, "RequestedAttribute")) {
			mdm_new_attr(p, attrs, nattrs, &p->req_tail, f);
		}
		break;
	default:
		break;
	}
}

static void mdm_sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
                          const xmlChar *uri, int nns, const xmlChar **ns, int nattrs,
                          int ndefaulted, const xmlChar **attrs)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ctx)->_private;
	struct mdm_frame *f, *parent;
	const xmlChar *end;
	const xmlChar *lang;

	(void)nns;
	(void)ns;
	(void)ndefaulted;
	if (p->rc != TL_OK)
		return;
	if (p->depth >= p->max_depth) {
		mdm_fail(p, TL_ELIMIT, "line %d: elements nested deeper than %d", mdm_line(p),
		         p->max_depth);
		return;
	}
	parent = p->depth > 0 ? &p->frames[p->depth - 1] : NULL;
	if (parent != NULL)
		parent->has_children = 1;
	f = &p->frames[p->depth++];
	memset(f, 0, sizeof(*f));
	f->line = mdm_line(p);
	mdm_path_push(p, local, prefix, uri);
	f->path_len = p->path_len;
	if (p->rc != TL_OK)
		return;
	/* text of an element with children is not collected */
	p->capture = 0;
	for (int i = 0; i < nattrs; i++) {
		size_t n = 0;
		for (const xmlChar *c = attrs[5 * i + 3]; c < attrs[5 * i + 4]; c++)
			n += (*c & 0xc0) != 0x80;
		if (n > p->m->longest_text && strncmp((const char *)attrs[5 * i + 3], "data:", 5) != 0) {
			p->m->longest_text = n;
			p->m->longest_loc.line = f->line;
			p->m->longest_loc.path = arena_strndup(p->a, p->path, p->path_len);
		}
	}
	if (parent == NULL) {
		if (!mdm_is(uri, local, MD_NS, "EntityDescriptor")) {
			mdm_fail(p, TL_EPARSE, "line %d: the root element is %s, not md:EntityDescriptor",
			         f->line, (const char *)local);
			return;
		}
		f->kind = F_ENTITY;
		p->m->entity_id = mdm_attr_dup(p, attrs, nattrs, NULL, "entityID");
		p->m->valid_until = mdm_attr_dup(p, attrs, nattrs, NULL, "validUntil");
		p->m->cache_duration = mdm_attr_dup(p, attrs, nattrs, NULL, "cacheDuration");
		p->m->loc = mdm_here(p);
		return;
	}
	mdm_classify(p, f, parent, local, uri, attrs, nattrs);
	lang = mdm_attr_get(attrs, nattrs, MDM_NS_XML, "lang", &end);
	if (lang != NULL)
		mdm_note_lang(p, local, uri, mdm_dup(p, lang, end));
}

static void mdm_sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
                        const xmlChar *uri)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ctx)->_private;
	struct mdm_frame *f;

	(void)local;
	(void)prefix;
	(void)uri;
	if (p->rc != TL_OK || p->depth == 0)
		return;
	f = &p->frames[p->depth - 1];
	if (!f->has_children && f->text_len > p->m->longest_text && !f->text_data_uri && f->kind != F_CERT) {
		p->m->longest_text = f->text_len;
		p->m->longest_loc.line = f->line;
		p->m->longest_loc.path = arena_strndup(p->a, p->path, p->path_len);
	}
	if (p->capture) {
		switch (f->kind) {
		case F_ATTRVALUE: {
			struct mdm_attr *a = f->obj;
			struct mdm_value *v = mdm_new(p, sizeof(*v));
			if (v == NULL)
				break;
			v->value = mdm_text_raw(p);
			*p->value_tail = v;
			p->value_tail = &v->next;
			a->nvalues++;
			break;
		}
		case F_ORG_ITEM:
		case F_UI_ITEM:
		case F_SVC_TEXT:
			((struct mdm_text *)f->obj)->value = mdm_text_trimmed(p);
			break;
		case F_SCOPE:
			((struct mdm_scope *)f->obj)->value = mdm_text_trimmed(p);
			break;
		case F_NAMEIDFORMAT: {
			struct mdm_role *r = f->obj;
			if (r->n_nameid_formats < 16)
				r->nameid_formats[r->n_nameid_formats++] = mdm_text_trimmed(p);
			break;
		}
		case F_CONTACT_ITEM: {
			struct mdm_contact *c = f->obj;
			const char *t = mdm_text_trimmed(p);
			if (t != NULL && *t == '\0')
				c->empty_child = 1;
			switch (f->field) {
			case CF_COMPANY: c->company = t; break;
			case CF_GIVEN: c->given_name = t; break;
			case CF_SURNAME: c->surname = t; break;
			case CF_EMAIL:
				if (c->nemails < 8)
					c->emails[c->nemails++] = t;
				break;
			case CF_PHONE:
				if (c->nphones < 8)
					c->phones[c->nphones++] = t;
				break;
			}
			break;
		}
		case F_CERT: {
			struct mdm_key *k = f->obj;
			struct tl_err cerr = { 0 };
			k->cert_b64 = mdm_text_raw(p);
			if (k->cert_b64 != NULL) {
				k->cert_ok = cert_parse_b64(k->cert_b64, &k->cert, &cerr) == TL_OK;
				if (!k->cert_ok)
					snprintf(k->cert_error, sizeof(k->cert_error), "%s", cerr.msg);
			}
			break;
		}
		default:
			break;
		}
	} else if (f->kind == F_CONTACT_ITEM) {
		((struct mdm_contact *)f->obj)->empty_child = 1; /* no text at all */
	}
	p->capture = 0;
	if (f->kind == F_ROLE)
		p->role = NULL;
	p->depth--;
	p->path_len = p->depth > 0 ? p->frames[p->depth - 1].path_len : 0;
	p->path[p->path_len] = '\0';
}

static void mdm_sax_chars(void *ctx, const xmlChar *ch, int len)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ctx)->_private;
	struct mdm_frame *f;

	if (p->rc != TL_OK || p->depth == 0 || len <= 0)
		return;
	f = &p->frames[p->depth - 1];
	if (f->text_len == 0 && len >= 5 && memcmp(ch, "data:", 5) == 0)
		f->text_data_uri = 1;
	for (int i = 0; i < len; i++) /* characters, not bytes */
		f->text_len += (ch[i] & 0xc0) != 0x80;
	if (!p->capture)
		return;
	if (p->text_len + (size_t)len > MDM_TEXT_MAX) {
		mdm_fail(p, TL_ELIMIT, "line %d: text of more than %d bytes", mdm_line(p), MDM_TEXT_MAX);
		return;
	}
	if (p->text_len + (size_t)len > p->text_cap) {
		size_t cap = p->text_cap * 2;
		char *t;
		while (cap < p->text_len + (size_t)len)
			cap *= 2;
		t = realloc(p->text, cap);
		if (t == NULL) {
			mdm_fail(p, TL_ENOMEM, "out of memory building the metadata model");
			return;
		}
		p->text = t;
		p->text_cap = cap;
	}
	memcpy(p->text + p->text_len, ch, (size_t)len);
	p->text_len += (size_t)len;
}

static void mdm_sax_doctype(void *ctx, const xmlChar *name, const xmlChar *eid,
                            const xmlChar *sid)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ctx)->_private;

	(void)name;
	(void)eid;
	(void)sid;
	mdm_fail(p, TL_EPARSE, "line %d: a DOCTYPE is not accepted in metadata", mdm_line(p));
}

static xmlEntityPtr mdm_sax_entity(void *ctx, const xmlChar *name)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ctx)->_private;

	mdm_fail(p, TL_EPARSE, "line %d: entity reference &%s; is not accepted", mdm_line(p),
	         (const char *)name);
	return NULL;
}

static void mdm_sax_error(void *ud, xmlErrorPtr e)
{
	struct mdm_parse *p = ((xmlParserCtxtPtr)ud)->_private;
	char msg[TL_ERR_MSG_MAX];
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "not well-formed");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	mdm_fail(p, TL_EPARSE, "line %d: %s", e->line, msg);
}

int mdm_parse(const char *xml, size_t len, const struct md_limits *lim, struct mdm_entity **out,
              struct tl_err *err)
{
	struct mdm_parse p;
	struct mdm_arena *arena = NULL;
	xmlParserCtxtPtr ctxt = NULL;
	size_t max_bytes = lim != NULL && lim->max_bytes ? lim->max_bytes : MDM_DEFAULT_MAX_BYTES;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	if (len == 0)
		return tl_err_set(err, TL_EPARSE, "empty document");
	if (len > max_bytes || len > INT_MAX)
		return tl_err_set(err, TL_ELIMIT, "document of %zu bytes is larger than the limit of %zu",
		                  len, max_bytes);
	p.max_depth = lim != NULL && lim->max_depth > 0 ? lim->max_depth : MDM_DEFAULT_MAX_DEPTH;
	arena = calloc(1, sizeof(*arena));
	p.frames = calloc((size_t)p.max_depth, sizeof(*p.frames));
	p.text_cap = 4096;
	p.text = malloc(p.text_cap);
	if (arena == NULL || p.frames == NULL || p.text == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory building the metadata model");
		goto out;
	}
	p.a = arena;
	p.m = arena_alloc(arena, sizeof(*p.m));
	if (p.m == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory building the metadata model");
		goto out;
	}
	p.m->arena = arena;
	p.role_tail = &p.m->role_list;
	p.attr_tail = &p.m->entity_attrs;
	p.contact_tail = &p.m->contacts;
	p.org_tail = &p.m->org;
	p.lang_tail = &p.m->langs;
	p.alg_tail = &p.m->algs;

	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt == NULL || ctxt->sax == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory creating an XML parser");
		goto out;
	}
	p.ctxt = ctxt;
	ctxt->_private = &p;
	memset(ctxt->sax, 0, sizeof(*ctxt->sax));
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	ctxt->sax->startElementNs = mdm_sax_start;
	ctxt->sax->endElementNs = mdm_sax_end;
	ctxt->sax->characters = mdm_sax_chars;
	ctxt->sax->cdataBlock = mdm_sax_chars;
	ctxt->sax->internalSubset = mdm_sax_doctype;
	ctxt->sax->getEntity = mdm_sax_entity;
	ctxt->sax->serror = mdm_sax_error;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES |
	                            (len > 10 * 1000 * 1000 ? XML_PARSE_HUGE : 0));
	ctxt->sax->serror = mdm_sax_error; /* xmlCtxtUseOptions may reset handlers */
	xmlParseDocument(ctxt);
	if (p.rc == TL_OK && !ctxt->wellFormed)
		mdm_fail(&p, TL_EPARSE, "line %d: not well-formed XML", mdm_line(&p));
	if (p.rc == TL_OK && p.m->entity_id == NULL)
		mdm_fail(&p, TL_EPARSE, "no EntityDescriptor with an entityID");
	if (p.rc != TL_OK) {
		rc = tl_err_set(err, p.rc, "%s", p.why);
		goto out;
	}
	*out = p.m;
	arena = NULL;
	rc = TL_OK;
out:
	if (ctxt != NULL) {
		ctxt->_private = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	if (arena != NULL) {
		arena_free(arena);
		free(arena);
	}
	free(p.frames);
	free(p.text);
	return rc;
}

void mdm_free(struct mdm_entity *m)
{
	struct mdm_arena *a;

	if (m == NULL)
		return;
	a = m->arena;
	arena_free(a);
	free(a);
}

/* ---- freezing and thawing ------------------------------------------------ */

/*
 * fix() is given the address of a pointer field of an object in the
 * buffer being converted; it rewrites the field (address -> offset, or
 * offset -> address) and returns where the object it refers to is in that
 * buffer, or NULL.  The visitor below is the one list of every pointer in
 * the model: a field added to mdm.h must be added here too (test_mdm's
 * round trip of every fixture would fail under ASan otherwise).
 */
typedef void *(*mdm_fix_fn)(void *field, void *ud);

#define FX(x) ((void)fix((void *)&(x), ud))

static void mdm_visit_loc(struct mdm_loc *l, mdm_fix_fn fix, void *ud)
{
	FX(l->path);
}

static void mdm_visit_texts(struct mdm_text **head, mdm_fix_fn fix, void *ud)
{
	for (struct mdm_text *t = fix(head, ud); t != NULL; t = fix(&t->next, ud)) {
		FX(t->element);
		FX(t->lang);
		FX(t->value);
		mdm_visit_loc(&t->loc, fix, ud);
	}
}

static void mdm_visit_methods(struct mdm_method **head, mdm_fix_fn fix, void *ud)
{
	for (struct mdm_method *x = fix(head, ud); x != NULL; x = fix(&x->next, ud)) {
		FX(x->element);
		FX(x->algorithm);
		mdm_visit_loc(&x->loc, fix, ud);
	}
}

static void mdm_visit_endpoints(struct mdm_endpoint **head, mdm_fix_fn fix, void *ud)
{
	for (struct mdm_endpoint *e = fix(head, ud); e != NULL; e = fix(&e->next, ud)) {
		FX(e->element);
		FX(e->binding);
		FX(e->location);
		FX(e->response_location);
		mdm_visit_loc(&e->loc, fix, ud);
	}
}

static void mdm_visit_attrs(struct mdm_attr **head, mdm_fix_fn fix, void *ud)
{
	for (struct mdm_attr *a = fix(head, ud); a != NULL; a = fix(&a->next, ud)) {
		FX(a->name);
		FX(a->name_format);
		FX(a->friendly_name);
		for (struct mdm_value *v = fix(&a->values, ud); v != NULL; v = fix(&v->next, ud))
			FX(v->value);
		mdm_visit_loc(&a->loc, fix, ud);
	}
}

static void mdm_visit(struct mdm_entity *m, mdm_fix_fn fix, void *ud)
{
	FX(m->entity_id);
	FX(m->valid_until);
	FX(m->cache_duration);
	FX(m->registration_authority);
	FX(m->registration_instant);
	mdm_visit_loc(&m->longest_loc, fix, ud);
	mdm_visit_loc(&m->loc, fix, ud);
	mdm_visit_attrs(&m->entity_attrs, fix, ud);
	mdm_visit_texts(&m->org, fix, ud);
	mdm_visit_methods(&m->algs, fix, ud);
	for (struct mdm_lang *l = fix(&m->langs, ud); l != NULL; l = fix(&l->next, ud)) {
		FX(l->element);
		FX(l->scope);
		FX(l->lang);
		mdm_visit_loc(&l->loc, fix, ud);
	}
	for (struct mdm_contact *c = fix(&m->contacts, ud); c != NULL; c = fix(&c->next, ud)) {
		FX(c->type);
		FX(c->remd_type);
		FX(c->company);
		FX(c->given_name);
		FX(c->surname);
		for (int i = 0; i < 8; i++) {
			FX(c->emails[i]);
			FX(c->phones[i]);
		}
		mdm_visit_loc(&c->loc, fix, ud);
	}
	for (struct mdm_role *r = fix(&m->role_list, ud); r != NULL; r = fix(&r->next, ud)) {
		FX(r->element);
		FX(r->protocols);
		FX(r->error_url);
		mdm_visit_endpoints(&r->endpoints, fix, ud);
		mdm_visit_endpoints(&r->discovery, fix, ud);
		for (struct mdm_key *k = fix(&r->keys, ud); k != NULL; k = fix(&k->next, ud)) {
			FX(k->cert_b64);
			mdm_visit_methods(&k->methods, fix, ud);
			mdm_visit_loc(&k->loc, fix, ud);
		}
		mdm_visit_texts(&r->ui, fix, ud);
		for (struct mdm_scope *sc = fix(&r->scopes, ud); sc != NULL; sc = fix(&sc->next, ud)) {
			FX(sc->value);
			mdm_visit_loc(&sc->loc, fix, ud);
		}
		for (struct mdm_acs_service *sv = fix(&r->services, ud); sv != NULL; sv = fix(&sv->next, ud)) {
			mdm_visit_texts(&sv->names, fix, ud);
			mdm_visit_attrs(&sv->requested, fix, ud);
			mdm_visit_loc(&sv->loc, fix, ud);
		}
		mdm_visit_methods(&r->algs, fix, ud);
		for (int i = 0; i < 16; i++)
			FX(r->nameid_formats[i]);
		mdm_visit_loc(&r->loc, fix, ud);
	}
}

#define MDM_MAGIC 0x544c4d4dU /* "TLMM" */

struct mdm_blob_hdr {
	uint32_t magic;
	uint32_t format;
	uint64_t size;     /* bytes of arena data after the header */
	uint64_t root;     /* offset + 1 of the mdm_entity */
};

struct mdm_freezer {
	unsigned char *base;       /* the copy's data */
	size_t nblocks;
	struct { const unsigned char *start; size_t used, off; } blk[256];
	int bad;
};

/* Address in the original arena -> offset + 1 (0 stays 0 for NULL). */
static uint64_t mdm_offset(struct mdm_freezer *f, const void *p)
{
	const unsigned char *q = p;

	if (q == NULL)
		return 0;
	for (size_t i = 0; i < f->nblocks; i++)
		if (q >= f->blk[i].start && q < f->blk[i].start + f->blk[i].used)
			return f->blk[i].off + (uint64_t)(q - f->blk[i].start) + 1;
	f->bad = 1; /* a pointer outside the arena: cannot be frozen */
	return 0;
}

static void *mdm_fix_freeze(void *field, void *ud)
{
	struct mdm_freezer *f = ud;
	void **pp = field;
	uint64_t off = mdm_offset(f, *pp);

	*(uintptr_t *)pp = (uintptr_t)off;
	return off ? f->base + off - 1 : NULL;
}

int mdm_freeze(const struct mdm_entity *m, void **blob, size_t *len, struct tl_err *err)
{
	struct mdm_freezer *f = calloc(1, sizeof(*f));
	struct mdm_blob_hdr h;
	size_t total = 0, off = 0;
	unsigned char *out;
	uint64_t root;

	*blob = NULL;
	*len = 0;
	if (f == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory freezing a model");
	for (struct mdm_block *b = m->arena->head; b != NULL; b = b->next) {
		if (f->nblocks == sizeof(f->blk) / sizeof(f->blk[0])) {
			free(f);
			return tl_err_set(err, TL_ELIMIT, "the model is too large to freeze");
		}
		f->blk[f->nblocks].start = b->data;
		f->blk[f->nblocks].used = b->used;
		f->blk[f->nblocks].off = total;
		total += (b->used + 7) & ~(size_t)7;
		f->nblocks++;
	}
	out = calloc(1, sizeof(h) + total);
	if (out == NULL) {
		free(f);
		return tl_err_set(err, TL_ENOMEM, "out of memory freezing a model");
	}
	f->base = out + sizeof(h);
	for (size_t i = 0; i < f->nblocks; i++)
		memcpy(f->base + f->blk[i].off, f->blk[i].start, f->blk[i].used);
	root = mdm_offset(f, m);
	if (root == 0) {
		free(out);
		free(f);
		return tl_err_set(err, TL_EINTERNAL, "the model is not in its arena");
	}
	{
		struct mdm_entity *copy = (struct mdm_entity *)(void *)(f->base + root - 1);
		copy->arena = NULL;
		mdm_visit(copy, mdm_fix_freeze, f);
	}
	(void)off;
	if (f->bad) {
		free(out);
		free(f);
		return tl_err_set(err, TL_EINTERNAL, "the model points outside its arena");
	}
	h.magic = MDM_MAGIC;
	h.format = MDM_FORMAT;
	h.size = total;
	h.root = root;
	memcpy(out, &h, sizeof(h));
	*blob = out;
	*len = sizeof(h) + total;
	free(f);
	return TL_OK;
}

struct mdm_thawer {
	unsigned char *base;
	uint64_t size;
	int bad;
};

static void *mdm_fix_thaw(void *field, void *ud)
{
	struct mdm_thawer *t = ud;
	uintptr_t off = *(uintptr_t *)field;

	if (off == 0) {
		*(void **)field = NULL;
		return NULL;
	}
	if (off > t->size) {
		t->bad = 1;
		*(void **)field = NULL;
		return NULL;
	}
	*(void **)field = t->base + off - 1;
	return t->base + off - 1;
}

int mdm_thaw(const void *blob, size_t len, struct mdm_entity **out, struct tl_err *err)
{
	struct mdm_blob_hdr h;
	struct mdm_arena *a;
	struct mdm_block *b;
	struct mdm_thawer t;
	struct mdm_entity *m;

	*out = NULL;
	if (len < sizeof(h))
		return tl_err_set(err, TL_EPARSE, "not a frozen model");
	memcpy(&h, blob, sizeof(h));
	if (h.magic != MDM_MAGIC || h.format != MDM_FORMAT || h.size != len - sizeof(h) ||
	    h.root == 0 || h.root + sizeof(struct mdm_entity) - 1 > h.size)
		return tl_err_set(err, TL_EPARSE, "not a frozen model of format %d", MDM_FORMAT);
	a = calloc(1, sizeof(*a));
	b = malloc(sizeof(*b) + (size_t)h.size);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return tl_err_set(err, TL_ENOMEM, "out of memory thawing a model");
	}
	memcpy(b->data, (const unsigned char *)blob + sizeof(h), (size_t)h.size);
	b->used = b->cap = (size_t)h.size; /* full: later allocations get a block of their own */
	b->next = NULL;
	a->head = b;
	t.base = b->data;
	t.size = h.size;
	t.bad = 0;
	m = (struct mdm_entity *)(void *)(b->data + h.root - 1);
	mdm_visit(m, mdm_fix_thaw, &t);
	m->arena = a;
	if (t.bad) {
		mdm_free(m);
		return tl_err_set(err, TL_EPARSE, "a frozen model is damaged");
	}
	*out = m;
	return TL_OK;
}

const struct mdm_role *mdm_role(const struct mdm_entity *m, enum mdm_role_kind kind)
{
	for (const struct mdm_role *r = m->role_list; r != NULL; r = r->next)
		if (r->kind == kind)
			return r;
	return NULL;
}

const struct mdm_attr *mdm_entity_attr(const struct mdm_entity *m, const char *name)
{
	for (const struct mdm_attr *a = m->entity_attrs; a != NULL; a = a->next)
		if (a->name != NULL && strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

int mdm_has_entity_attr(const struct mdm_entity *m, const char *name, const char *value)
{
	for (const struct mdm_attr *a = m->entity_attrs; a != NULL; a = a->next) {
		if (a->name == NULL || strcmp(a->name, name) != 0)
			continue;
		for (const struct mdm_value *v = a->values; v != NULL; v = v->next)
			if (v->value != NULL && strcmp(v->value, value) == 0)
				return 1;
	}
	return 0;
}
