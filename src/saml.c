/* saml.c - binding encodings and the structural check of Responses. */
#include "tillit/saml.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <libxml/tree.h>

#include "tillit/cert.h"
#include "tillit/util.h"
#include "tillit/xsig.h"

#define SAML_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define SAML_IDS_MAX 4096

/* ---- fields ----------------------------------------------------------- */

char *saml_field(const char *form, size_t len, const char *name, size_t max, int *bad)
{
	size_t nlen = strlen(name);
	const char *p = form, *end = form + len;

	*bad = 0;
	if (form == NULL)
		return NULL;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *stop = amp ? amp : end;
		eq = memchr(p, '=', (size_t)(stop - p));
		if (eq != NULL && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			char *v;
			size_t vlen = (size_t)(stop - eq - 1);
			if (vlen > max) {
				*bad = SAML_FIELD_TOO_LONG;
				return NULL;
			}
			if ((v = util_form_decode(eq + 1, vlen)) == NULL)
				*bad = SAML_FIELD_MALFORMED;
			return v;
		}
		p = amp ? amp + 1 : end;
	}
	return NULL;
}

int saml_deflate(const char *in, size_t len, unsigned char **out, size_t *outlen, struct tl_err *err)
{
	size_t off = 0;
	unsigned char *buf, *o;

	*out = NULL;
	*outlen = 0;
	/*
	 * Stored blocks (RFC 1951 3.2.4): the deflate format's own way of
	 * carrying bytes as they are, which every inflater reads.  A request
	 * is under a kilobyte; compressing it took zlib 8 us (cache-warm; 30 us
	 * inside a login) for a URL 40% shorter, where storing takes well under
	 * a microsecond, and the URL stays far below any server's limit.
	 */
	if (len > SAML_INFLATED_MAX)
		return tl_err_set(err, TL_ELIMIT, "the message to deflate is larger than %d bytes",
		                  SAML_INFLATED_MAX);
	if ((buf = o = malloc(len + 5 * (len / 65535 + 1))) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory deflating a message");
	do {
		size_t n = len - off > 65535 ? 65535 : len - off;
		o[0] = off + n == len ? 1 : 0; /* BFINAL on the last block; BTYPE 00, stored */
		o[1] = (unsigned char)(n & 0xff);
		o[2] = (unsigned char)(n >> 8);
		o[3] = (unsigned char)(~n & 0xff);
		o[4] = (unsigned char)((~n >> 8) & 0xff);
		memcpy(o + 5, in + off, n);
		o += 5 + n;
		off += n;
	} while (off < len);
	*out = buf;
	*outlen = (size_t)(o - buf);
	return TL_OK;
}

int saml_inflate(const unsigned char *in, size_t len, size_t max, char **out, size_t *outlen,
                 struct tl_err *err)
{
	z_stream zs;
	char *buf;
	size_t cap = 16 * 1024;
	int zr;

	*out = NULL;
	*outlen = 0;
	buf = malloc(cap + 1);
	if (buf == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory inflating a message");
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) { /* raw DEFLATE, as the Redirect binding has it */
		free(buf);
		return tl_err_set(err, TL_ENOMEM, "cannot start inflating");
	}
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (unsigned)len;
	for (;;) {
		zs.next_out = (unsigned char *)buf + zs.total_out;
		zs.avail_out = (unsigned)(cap - zs.total_out);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			inflateEnd(&zs);
			free(buf);
			return tl_err_set(err, TL_EPARSE, "the message is not valid DEFLATE data");
		}
		if (zs.avail_out == 0) {
			char *nb;
			if (cap >= max) {
				inflateEnd(&zs);
				free(buf);
				return tl_err_set(err, TL_ELIMIT, "the message inflates to more than %zu bytes", max);
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				inflateEnd(&zs);
				free(buf);
				return tl_err_set(err, TL_ENOMEM, "out of memory inflating a message");
			}
			buf = nb;
		} else if (zs.avail_in == 0) {
			inflateEnd(&zs);
			free(buf);
			return tl_err_set(err, TL_EPARSE, "the message is truncated DEFLATE data");
		}
	}
	*outlen = zs.total_out;
	buf[*outlen] = '\0';
	inflateEnd(&zs);
	*out = buf;
	return TL_OK;
}

/* ---- the structural check ----------------------------------------------- */

static int saml_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr saml_child(xmlNodePtr e, const char *ns, const char *name)
{
	for (xmlNodePtr c = e ? e->children : NULL; c != NULL; c = c->next)
		if (saml_is(c, ns, name))
			return c;
	return NULL;
}

static char *saml_attr(xmlNodePtr e, const char *name)
{
	xmlChar *v = e ? xmlGetNoNsProp(e, BAD_CAST name) : NULL;
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* Text content, trimmed. */
static char *saml_text(xmlNodePtr e)
{
	xmlChar *v = e ? xmlNodeGetContent(e) : NULL;
	const char *s = v ? (const char *)v : "";
	size_t n;
	char *out;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	out = v ? strndup(s, n) : NULL;
	xmlFree(v);
	return out;
}

static time_t saml_time(xmlNodePtr e, const char *name)
{
	char *v = saml_attr(e, name);
	time_t t = 0;

	if (v != NULL && util_time_parse(v, &t) != 0)
		t = 0;
	free(v);
	return t;
}

static int saml_id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Every element's ID is unique; every signature is a child of an allowed
 * element and refers to it.  allowed[]: the elements a signature may sign.
 * signed_out[i] is set when allowed[i] carries its own signature.
 */
static int saml_signatures(xmlNodePtr root, xmlNodePtr *allowed, int nallowed, int *signed_out,
                           struct tl_err *err)
{
	char *ids[SAML_IDS_MAX];
	int nids = 0, rc = TL_OK;

	for (xmlNodePtr n = root; n != NULL && rc == TL_OK; n = md_next_element(root, n)) {
		xmlChar *id = xmlGetNoNsProp(n, BAD_CAST "ID");
		if (id != NULL) {
			if (nids == SAML_IDS_MAX)
				rc = tl_err_set(err, TL_ELIMIT, "more than %d elements with an ID", SAML_IDS_MAX);
			else if ((ids[nids] = strdup((const char *)id)) == NULL)
				rc = tl_err_set(err, TL_ENOMEM, "out of memory checking IDs");
			else
				nids++;
			xmlFree(id);
		}
		if (saml_is(n, SAML_NS_DS, "Signature")) {
			xmlNodePtr parent = n->parent, si, ref, r2;
			xmlChar *pid, *uri;
			int k;
			for (k = 0; k < nallowed; k++)
				if (allowed[k] == parent)
					break;
			if (k == nallowed) {
				rc = tl_err_set(err, TL_ESIG, "a signature on %s is not on the response or its assertion",
				                parent && parent->name ? (const char *)parent->name : "?");
				break;
			}
			si = saml_child(n, SAML_NS_DS, "SignedInfo");
			ref = saml_child(si, SAML_NS_DS, "Reference");
			r2 = ref;
			for (r2 = ref ? ref->next : NULL; r2 != NULL && !saml_is(r2, SAML_NS_DS, "Reference"); r2 = r2->next)
				;
			if (ref == NULL || r2 != NULL) {
				rc = tl_err_set(err, TL_ESIG, "a signature without exactly one reference");
				break;
			}
			uri = xmlGetNoNsProp(ref, BAD_CAST "URI");
			pid = xmlGetNoNsProp(parent, BAD_CAST "ID");
			if (uri == NULL || pid == NULL || uri[0] != '#' || !xmlStrEqual(uri + 1, pid)) {
				rc = tl_err_set(err, TL_ESIG, "the signature on %s refers to another element (%s)",
				                (const char *)parent->name, uri ? (const char *)uri : "no URI");
			} else if (signed_out[k]) {
				rc = tl_err_set(err, TL_ESIG, "%s carries two signatures", (const char *)parent->name);
			} else {
				signed_out[k] = 1;
			}
			xmlFree(uri);
			xmlFree(pid);
		}
	}
	if (rc == TL_OK && nids > 1) {
		qsort(ids, (size_t)nids, sizeof(ids[0]), saml_id_cmp);
		for (int i = 1; i < nids && rc == TL_OK; i++)
			if (strcmp(ids[i - 1], ids[i]) == 0)
				rc = tl_err_set(err, TL_ESIG, "two elements have the ID %.80s", ids[i]);
	}
	for (int i = 0; i < nids; i++)
		free(ids[i]);
	return rc;
}

/* How many children of e are the element ns:name, at most max. */
static int saml_count_children(xmlNodePtr e, const char *ns, const char *name, int max)
{
	int n = 0;

	for (xmlNodePtr c = e->children; c != NULL && n < max; c = c->next)
		n += saml_is(c, ns, name);
	return n;
}

/*
 * The Attributes of the AttributeStatements of assertion a, the first
 * SAML_MAX_ATTRS with their first SAML_MAX_VALUES values each, into arrays
 * of the size the assertion needs.  TL_ENOMEM.
 */
static int saml_read_attrs(xmlNodePtr a, struct saml_assertion *out)
{
	int n = 0;

	for (xmlNodePtr st = a->children; st != NULL; st = st->next)
		if (saml_is(st, SAML_NS_ASSERTION, "AttributeStatement"))
			n += saml_count_children(st, SAML_NS_ASSERTION, "Attribute", SAML_MAX_ATTRS - n);
	if (n == 0)
		return TL_OK;
	if ((out->attrs = calloc((size_t)n, sizeof(out->attrs[0]))) == NULL)
		return TL_ENOMEM;
	for (xmlNodePtr st = a->children; st != NULL; st = st->next) {
		if (!saml_is(st, SAML_NS_ASSERTION, "AttributeStatement"))
			continue;
		for (xmlNodePtr at = st->children; at != NULL && out->nattrs < n; at = at->next) {
			struct saml_attr *x;
			int nv;
			if (!saml_is(at, SAML_NS_ASSERTION, "Attribute"))
				continue;
			x = &out->attrs[out->nattrs++];
			x->name = saml_attr(at, "Name");
			x->name_format = saml_attr(at, "NameFormat");
			x->friendly_name = saml_attr(at, "FriendlyName");
			nv = saml_count_children(at, SAML_NS_ASSERTION, "AttributeValue", SAML_MAX_VALUES);
			if (nv == 0)
				continue;
			if ((x->values = calloc((size_t)nv, sizeof(x->values[0]))) == NULL)
				return TL_ENOMEM;
			for (xmlNodePtr v = at->children; v != NULL && x->nvalues < nv; v = v->next)
				if (saml_is(v, SAML_NS_ASSERTION, "AttributeValue"))
					x->values[x->nvalues++] = saml_text(v);
		}
	}
	return TL_OK;
}

static int saml_read_assertion(xmlNodePtr a, struct saml_assertion *out)
{
	xmlNodePtr subj = saml_child(a, SAML_NS_ASSERTION, "Subject"), cond, as;

	out->id = saml_attr(a, "ID");
	out->issuer = saml_text(saml_child(a, SAML_NS_ASSERTION, "Issuer"));
	if (subj != NULL) {
		xmlNodePtr nid = saml_child(subj, SAML_NS_ASSERTION, "NameID");
		out->name_id = saml_text(nid);
		out->name_id_format = saml_attr(nid, "Format");
		for (xmlNodePtr sc = subj->children; sc != NULL; sc = sc->next) {
			char *method;
			xmlNodePtr scd;
			if (!saml_is(sc, SAML_NS_ASSERTION, "SubjectConfirmation"))
				continue;
			method = saml_attr(sc, "Method");
			if (out->sc_method != NULL &&
			    (method == NULL || strcmp(method, "urn:oasis:names:tc:SAML:2.0:cm:bearer") != 0)) {
				free(method);
				continue;
			}
			free(out->sc_method);
			free(out->sc_recipient);
			free(out->sc_in_response_to);
			out->sc_method = method;
			scd = saml_child(sc, SAML_NS_ASSERTION, "SubjectConfirmationData");
			out->sc_recipient = saml_attr(scd, "Recipient");
			out->sc_in_response_to = saml_attr(scd, "InResponseTo");
			out->sc_not_on_or_after = saml_time(scd, "NotOnOrAfter");
		}
	}
	cond = saml_child(a, SAML_NS_ASSERTION, "Conditions");
	if (cond != NULL) {
		out->not_before = saml_time(cond, "NotBefore");
		out->not_on_or_after = saml_time(cond, "NotOnOrAfter");
		for (xmlNodePtr c = cond->children; c != NULL; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			if (saml_is(c, SAML_NS_ASSERTION, "AudienceRestriction")) {
				for (xmlNodePtr au = c->children; au != NULL; au = au->next)
					if (saml_is(au, SAML_NS_ASSERTION, "Audience") && out->naudiences < 8)
						out->audiences[out->naudiences++] = saml_text(au);
			} else if (!saml_is(c, SAML_NS_ASSERTION, "OneTimeUse")) {
				out->other_conditions++;
			}
		}
	}
	as = saml_child(a, SAML_NS_ASSERTION, "AuthnStatement");
	if (as != NULL) {
		xmlNodePtr ac = saml_child(as, SAML_NS_ASSERTION, "AuthnContext");
		out->authn_instant = saml_time(as, "AuthnInstant");
		out->session_index = saml_attr(as, "SessionIndex");
		out->authn_class = saml_text(saml_child(ac, SAML_NS_ASSERTION, "AuthnContextClassRef"));
	}
	return saml_read_attrs(a, out);
}

/* Assertions and encrypted assertions anywhere below root. */
static int saml_count_assertions(xmlNodePtr root, xmlNodePtr *first, int *encrypted)
{
	int n = 0;

	for (xmlNodePtr e = root; e != NULL; e = md_next_element(root, e)) {
		if (saml_is(e, SAML_NS_ASSERTION, "Assertion") || saml_is(e, SAML_NS_ASSERTION, "EncryptedAssertion")) {
			if (n++ == 0) {
				*first = e;
				*encrypted = saml_is(e, SAML_NS_ASSERTION, "EncryptedAssertion");
			}
		}
	}
	return n;
}

int saml_response_check(const char *xml, size_t len, const struct md_limits *lim,
                        struct saml_response *r, struct tl_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, a = NULL, allowed[2], st;
	int signed_out[2] = { 0, 0 }, rc;

	memset(r, 0, sizeof(*r));
	rc = md_parse(xml, len, lim, &doc, err);
	if (rc != TL_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!saml_is(root, SAML_NS_PROTOCOL, "Response")) {
		rc = tl_err_set(err, TL_ERULE, "the message is not a samlp:Response");
		goto out;
	}
	r->nassertions = saml_count_assertions(root, &a, &r->encrypted);
	if (r->nassertions > 1) {
		rc = tl_err_set(err, TL_ERULE, "the response holds %d assertions: exactly one is accepted",
		                r->nassertions);
		goto out;
	}
	if (a != NULL && a->parent != root) {
		rc = tl_err_set(err, TL_ERULE, "the assertion is not a child of the response");
		goto out;
	}
	allowed[0] = root;
	allowed[1] = a != NULL && !r->encrypted ? a : root;
	rc = saml_signatures(root, allowed, a != NULL && !r->encrypted ? 2 : 1, signed_out, err);
	if (rc != TL_OK)
		goto out;
	r->signed_itself = signed_out[0];
	r->id = saml_attr(root, "ID");
	r->destination = saml_attr(root, "Destination");
	r->in_response_to = saml_attr(root, "InResponseTo");
	r->issuer = saml_text(saml_child(root, SAML_NS_ASSERTION, "Issuer"));
	st = saml_child(root, SAML_NS_PROTOCOL, "Status");
	{
		xmlNodePtr sc = saml_child(st, SAML_NS_PROTOCOL, "StatusCode");
		r->status = saml_attr(sc, "Value");
		r->status2 = saml_attr(saml_child(sc, SAML_NS_PROTOCOL, "StatusCode"), "Value");
		r->status_message = saml_text(saml_child(st, SAML_NS_PROTOCOL, "StatusMessage"));
	}
	if (a != NULL && !r->encrypted) {
		if (saml_read_assertion(a, &r->a) != TL_OK) {
			rc = tl_err_set(err, TL_ENOMEM, "out of memory reading the assertion");
			goto out;
		}
		r->a.signed_itself = signed_out[1];
	}
	r->doc = doc;
	r->root = root;
	r->assertion = a;
	doc = NULL;
	rc = TL_OK;
out:
	xmlFreeDoc(doc);
	if (rc != TL_OK)
		saml_response_free(r);
	return rc;
}

int saml_assertion_check_node(void *node, struct saml_assertion *a, struct tl_err *err)
{
	xmlNodePtr root = node, first = NULL;
	int signed_out[1] = { 0 }, enc = 0, rc;

	memset(a, 0, sizeof(*a));
	if (!saml_is(root, SAML_NS_ASSERTION, "Assertion"))
		return tl_err_set(err, TL_ERULE, "not a saml:Assertion");
	if (saml_count_assertions(root, &first, &enc) != 1)
		return tl_err_set(err, TL_ERULE, "an assertion holds another assertion");
	rc = saml_signatures(root, &root, 1, signed_out, err);
	if (rc != TL_OK)
		return rc;
	if (saml_read_assertion(root, a) != TL_OK) {
		saml_assertion_free(a);
		return tl_err_set(err, TL_ENOMEM, "out of memory reading the assertion");
	}
	a->signed_itself = signed_out[0];
	return TL_OK;
}

int saml_assertion_check(const char *xml, size_t len, const struct md_limits *lim,
                         struct saml_assertion *a, struct tl_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, first = NULL;
	int signed_out[1] = { 0 }, enc = 0, rc;

	memset(a, 0, sizeof(*a));
	rc = md_parse(xml, len, lim, &doc, err);
	if (rc != TL_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!saml_is(root, SAML_NS_ASSERTION, "Assertion")) {
		rc = tl_err_set(err, TL_ERULE, "not a saml:Assertion");
		goto out;
	}
	if (saml_count_assertions(root, &first, &enc) != 1) {
		rc = tl_err_set(err, TL_ERULE, "an assertion holds another assertion");
		goto out;
	}
	rc = saml_signatures(root, &root, 1, signed_out, err);
	if (rc != TL_OK)
		goto out;
	if (saml_read_assertion(root, a) != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory reading the assertion");
		goto out;
	}
	a->signed_itself = signed_out[0];
out:
	xmlFreeDoc(doc);
	if (rc != TL_OK)
		saml_assertion_free(a);
	return rc;
}

void saml_assertion_free(struct saml_assertion *a)
{
	free(a->id);
	free(a->issuer);
	free(a->name_id);
	free(a->name_id_format);
	free(a->sc_method);
	free(a->sc_recipient);
	free(a->sc_in_response_to);
	for (int i = 0; i < a->naudiences; i++)
		free(a->audiences[i]);
	free(a->authn_class);
	free(a->session_index);
	for (int i = 0; i < a->nattrs; i++) {
		free(a->attrs[i].name);
		free(a->attrs[i].name_format);
		free(a->attrs[i].friendly_name);
		for (int k = 0; k < a->attrs[i].nvalues; k++)
			free(a->attrs[i].values[k]);
		free(a->attrs[i].values);
	}
	free(a->attrs);
	memset(a, 0, sizeof(*a));
}

void saml_response_free(struct saml_response *r)
{
	free(r->id);
	free(r->destination);
	free(r->in_response_to);
	free(r->issuer);
	free(r->status);
	free(r->status2);
	free(r->status_message);
	saml_assertion_free(&r->a);
	xmlFreeDoc(r->doc);
	memset(r, 0, sizeof(*r));
}

static int saml_bool(xmlNodePtr e, const char *name)
{
	char *v = saml_attr(e, name);
	int b = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);

	free(v);
	return b;
}

static int saml_int(xmlNodePtr e, const char *name)
{
	char *v = saml_attr(e, name), *end;
	long n = -1;

	if (v != NULL) {
		n = strtol(v, &end, 10);
		if (end == v || *end != '\0' || n < 0 || n > 65535)
			n = -2; /* present but not an unsigned short */
	}
	free(v);
	return (int)n;
}

static int saml_read_request(xmlNodePtr root, struct saml_request *q, struct tl_err *err)
{
	xmlNodePtr pol, rac, sc, list;
	char *ac;

	q->id = saml_attr(root, "ID");
	q->version = saml_attr(root, "Version");
	q->issuer = saml_text(saml_child(root, SAML_NS_ASSERTION, "Issuer"));
	q->destination = saml_attr(root, "Destination");
	q->issue_instant = saml_time(root, "IssueInstant");
	q->acs_url = saml_attr(root, "AssertionConsumerServiceURL");
	q->protocol_binding = saml_attr(root, "ProtocolBinding");
	q->acs_index = saml_int(root, "AssertionConsumerServiceIndex");
	q->attr_index = saml_int(root, "AttributeConsumingServiceIndex");
	q->force_authn = saml_bool(root, "ForceAuthn");
	q->is_passive = saml_bool(root, "IsPassive");
	if (q->id == NULL || q->id[0] == '\0')
		return tl_err_set(err, TL_ERULE, "the AuthnRequest has no ID");
	if (q->version == NULL || strcmp(q->version, "2.0") != 0)
		return tl_err_set(err, TL_ERULE, "the AuthnRequest's Version is not 2.0");
	if (q->issuer == NULL || q->issuer[0] == '\0')
		return tl_err_set(err, TL_ERULE, "the AuthnRequest has no Issuer");
	if (q->acs_index == -2 || q->attr_index == -2)
		return tl_err_set(err, TL_ERULE, "a service index of the AuthnRequest is not a number");
	pol = saml_child(root, SAML_NS_PROTOCOL, "NameIDPolicy");
	if (pol != NULL) {
		char *v = saml_attr(pol, "AllowCreate");
		q->nameid_format = saml_attr(pol, "Format");
		q->allow_create = v == NULL ? -1 : (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
		free(v);
	} else {
		q->allow_create = -1;
	}
	rac = saml_child(root, SAML_NS_PROTOCOL, "RequestedAuthnContext");
	if (rac != NULL) {
		q->comparison = saml_attr(rac, "Comparison");
		for (xmlNodePtr c = rac->children; c != NULL; c = c->next) {
			if (!saml_is(c, SAML_NS_ASSERTION, "AuthnContextClassRef"))
				continue;
			if (q->nclasses == SAML_MAX_CLASSES)
				return tl_err_set(err, TL_ERULE, "the AuthnRequest asks for more than %d classes",
				                  SAML_MAX_CLASSES);
			if ((ac = saml_text(c)) == NULL)
				return tl_err_set(err, TL_ENOMEM, "out of memory reading the AuthnRequest");
			q->classes[q->nclasses++] = ac;
		}
	}
	sc = saml_child(root, SAML_NS_PROTOCOL, "Scoping");
	list = saml_child(sc, SAML_NS_PROTOCOL, "IDPList");
	for (xmlNodePtr c = list ? list->children : NULL; c != NULL; c = c->next) {
		char *pid;
		if (!saml_is(c, SAML_NS_PROTOCOL, "IDPEntry"))
			continue;
		if (q->nidps == SAML_MAX_IDPS)
			return tl_err_set(err, TL_ERULE, "the AuthnRequest's IDPList names more than %d IdPs",
			                  SAML_MAX_IDPS);
		if ((pid = saml_attr(c, "ProviderID")) != NULL)
			q->idps[q->nidps++] = pid;
	}
	return TL_OK;
}

int saml_request_check(const char *xml, size_t len, const struct md_limits *lim,
                       struct saml_request *q, struct tl_err *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int signed_out[1] = { 0 }, rc;

	memset(q, 0, sizeof(*q));
	q->acs_index = q->attr_index = -1;
	rc = md_parse(xml, len, lim, &doc, err);
	if (rc != TL_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!saml_is(root, SAML_NS_PROTOCOL, "AuthnRequest")) {
		rc = tl_err_set(err, TL_ERULE, "the message is not a samlp:AuthnRequest");
		goto out;
	}
	rc = saml_signatures(root, &root, 1, signed_out, err);
	if (rc != TL_OK)
		goto out;
	q->signed_itself = signed_out[0];
	rc = saml_read_request(root, q, err);
out:
	xmlFreeDoc(doc);
	if (rc != TL_OK)
		saml_request_free(q);
	return rc;
}

void saml_request_free(struct saml_request *q)
{
	free(q->id);
	free(q->version);
	free(q->issuer);
	free(q->destination);
	free(q->acs_url);
	free(q->protocol_binding);
	free(q->nameid_format);
	for (int i = 0; i < q->nclasses; i++)
		free(q->classes[i]);
	free(q->comparison);
	for (int i = 0; i < q->nidps; i++)
		free(q->idps[i]);
	memset(q, 0, sizeof(*q));
}

int saml_base64_decode(const char *in, size_t len, size_t max, char **out, size_t *outlen,
                       struct tl_err *err)
{
	unsigned char *raw = NULL;
	char *copy = NULL, *buf;
	size_t n = 0;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (len / 4 * 3 > max + 3)
		return tl_err_set(err, TL_ELIMIT, "the message is larger than %zu bytes", max);
	if (in[len] != '\0' && (in = copy = strndup(in, len)) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory decoding a message");
	rc = cert_b64_decode(in, &raw, &n, NULL);
	free(copy);
	if (rc != TL_OK)
		return tl_err_set(err, rc == TL_ENOMEM ? TL_ENOMEM : TL_EPARSE,
		                  "the message is not valid base64");
	if (n > max) {
		free(raw);
		return tl_err_set(err, TL_ELIMIT, "the message is larger than %zu bytes", max);
	}
	if ((buf = realloc(raw, n + 1)) == NULL) {
		free(raw);
		return tl_err_set(err, TL_ENOMEM, "out of memory decoding a message");
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return TL_OK;
}

/* ---- HTTP-Redirect signatures ----------------------------------------------- */

/* The raw (still percent-encoded) value of name in query, and its length. */
static const char *saml_raw(const char *q, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *p = q;

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			*len = amp ? (size_t)(amp - p - n - 1) : strlen(p + n + 1);
			return p + n + 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int saml_redirect_verify(const char *raw_query, const char *field, const struct xsig_key *keys, int nkeys,
                         struct tl_err *err)
{
	const char *msg, *relay, *alg, *sigv;
	size_t lm = 0, lr = 0, la = 0, ls = 0, n = 0, cap, siglen = 0;
	char *alg_uri = NULL, *sig_b64 = NULL, *sig = NULL, *data = NULL;
	int rc = TL_ESIG;

	msg = saml_raw(raw_query, field, &lm);
	relay = saml_raw(raw_query, "RelayState", &lr);
	alg = saml_raw(raw_query, "SigAlg", &la);
	sigv = saml_raw(raw_query, "Signature", &ls);
	if (sigv == NULL)
		return tl_err_set(err, TL_ENOENT, "the message is not signed");
	if (msg == NULL || alg == NULL || (alg_uri = util_url_decode(alg, la)) == NULL) {
		rc = tl_err_set(err, TL_ESIG, "the signed message has no %s", msg ? "SigAlg" : field);
		goto out;
	}
	if ((sig_b64 = util_url_decode(sigv, ls)) == NULL ||
	    saml_base64_decode(sig_b64, strlen(sig_b64), 8192, &sig, &siglen, NULL) != TL_OK) {
		rc = tl_err_set(err, TL_ESIG, "the Signature is not base64");
		goto out;
	}
	cap = lm + lr + la + strlen(field) + 32;
	data = malloc(cap);
	if (data == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory verifying a signature");
		goto out;
	}
	n = (size_t)snprintf(data, cap, "%s=%.*s", field, (int)lm, msg);
	if (relay != NULL)
		n += (size_t)snprintf(data + n, cap - n, "&RelayState=%.*s", (int)lr, relay);
	n += (size_t)snprintf(data + n, cap - n, "&SigAlg=%.*s", (int)la, alg);
	rc = xsig_verify_octets(alg_uri, data, n, sig, siglen, keys, nkeys, err);
out:
	free(alg_uri);
	free(sig_b64);
	free(sig);
	free(data);
	return rc;
}
