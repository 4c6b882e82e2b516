/* peer.c - lasso SPs and IdPs that talk to the SSO hub in tests and benchmarks. */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_authn_context.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_idp_entry.h>
#include <lasso/xml/saml-2.0/samlp2_idp_list.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_scoping.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
#include <lasso/xml/saml-2.0/samlp2_status_response.h>

#include "tillit/attr.h"
#include "tillit/buf.h"
#include "tillit/keys.h"
#include "tillit/util.h"

#define PEER_NS "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" " \
	"xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" " \
	"xmlns:mdui=\"urn:oasis:names:tc:SAML:metadata:ui\" " \
	"xmlns:mdattr=\"urn:oasis:names:tc:SAML:metadata:attribute\" " \
	"xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" " \
	"xmlns:shibmd=\"urn:mace:shibboleth:metadata:1.0\" " \
	"xmlns:idpdisc=\"urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol\""
#define PEER_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

static char *peer_read(const char *path)
{
	char *p = NULL;
	size_t n;
	struct tl_err err;

	if (util_read_file(path, 1 << 20, &p, &n, &err) != TL_OK) {
		fprintf(stderr, "peer: %s\n", err.msg);
		return NULL;
	}
	return p;
}

/* The certificate's base64 body (PEM without armour and line breaks). */
static char *peer_cert_b64(const char *pem)
{
	const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----"), *e;
	char *out, *o;

	if (b == NULL || (e = strstr(b, "-----END CERTIFICATE-----")) == NULL)
		return NULL;
	b += strlen("-----BEGIN CERTIFICATE-----");
	out = o = malloc((size_t)(e - b) + 1);
	if (out == NULL)
		return NULL;
	for (; b < e; b++)
		if (*b != '\n' && *b != '\r')
			*o++ = *b;
	*o = '\0';
	return out;
}

static void peer_list(struct buf *b, const char *csv, const char *fmt)
{
	char *copy = csv ? strdup(csv) : NULL, *save = NULL;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t != NULL; t = strtok_r(NULL, ",", &save)) {
		const struct attr_def *d = attr_find(t);
		if (fmt == NULL) { /* RequestedAttribute */
			if (d != NULL)
				buf_printf(b, "      <md:RequestedAttribute FriendlyName=\"%s\" Name=\"%s\" "
				              "NameFormat=\"" PEER_URI "\"/>\n", d->friendly, d->name);
		} else {
			buf_printf(b, fmt, t);
		}
	}
	free(copy);
}

static char *peer_metadata(int is_idp, const char *id, const char *url, const char *cert,
                           const struct peer_opts *o)
{
	struct buf b;
	size_t len;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor " PEER_NS
	               " entityID=\"%s\">\n", id);
	if (o->categories != NULL) {
		buf_puts(&b, "  <md:Extensions><mdattr:EntityAttributes><saml:Attribute "
		             "Name=\"http://macedir.org/entity-category\" NameFormat=\"" PEER_URI "\">\n");
		peer_list(&b, o->categories, "    <saml:AttributeValue>%s</saml:AttributeValue>\n");
		buf_puts(&b, "  </saml:Attribute></mdattr:EntityAttributes></md:Extensions>\n");
	}
	if (is_idp) {
		buf_puts(&b, "  <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
		             "WantAuthnRequestsSigned=\"true\">\n    <md:Extensions>\n");
		if (o->scope != NULL)
			buf_printf(&b, "      <shibmd:Scope regexp=\"false\">%s</shibmd:Scope>\n", o->scope);
		buf_printf(&b, "      <mdui:UIInfo><mdui:DisplayName xml:lang=\"sv\">%s</mdui:DisplayName>"
		               "<mdui:DisplayName xml:lang=\"en\">%s</mdui:DisplayName></mdui:UIInfo>\n",
		           o->name_sv ? o->name_sv : "Testkommun", o->name_en ? o->name_en : "Test municipality");
		buf_puts(&b, "    </md:Extensions>\n");
	} else {
		buf_printf(&b, "  <md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
		               "AuthnRequestsSigned=\"%s\" WantAssertionsSigned=\"%s\">\n    <md:Extensions>\n",
		           o->sign_requests ? "true" : "false", o->unsigned_assertions ? "false" : "true");
		if (o->discovery != NULL)
			buf_printf(&b, "      <idpdisc:DiscoveryResponse Binding=\"urn:oasis:names:tc:SAML:profiles:SSO:"
			               "idp-discovery-protocol\" Location=\"%s\" index=\"0\"/>\n", o->discovery);
		buf_puts(&b, "      <mdui:UIInfo><mdui:DisplayName xml:lang=\"sv\">Testtjänst</mdui:DisplayName>"
		             "<mdui:DisplayName xml:lang=\"en\">Test service</mdui:DisplayName></mdui:UIInfo>\n"
		             "    </md:Extensions>\n");
	}
	buf_printf(&b, "    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	               "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n", cert);
	if (!is_idp && o->encryption_key)
		buf_printf(&b, "    <md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		               "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n", cert);
	if (is_idp) {
		buf_printf(&b, "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n"
		               "    <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
		               "Location=\"%s/sso\"/>\n"
		               "    <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
		               "Location=\"%s/sso\"/>\n  </md:IDPSSODescriptor>\n", url, url);
	} else {
		if (o->nameid_format != NULL)
			buf_printf(&b, "    <md:NameIDFormat>%s</md:NameIDFormat>\n", o->nameid_format);
		buf_printf(&b, "    <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
		               "Location=\"%s/acs\" index=\"0\" isDefault=\"true\"/>\n", url);
		if (o->requested != NULL) {
			buf_puts(&b, "    <md:AttributeConsumingService index=\"0\">\n"
			             "      <md:ServiceName xml:lang=\"en\">Test service</md:ServiceName>\n");
			peer_list(&b, o->requested, NULL);
			buf_puts(&b, "    </md:AttributeConsumingService>\n");
		}
		buf_puts(&b, "  </md:SPSSODescriptor>\n");
	}
	buf_puts(&b, "  <md:Organization><md:OrganizationName xml:lang=\"en\">Test</md:OrganizationName>"
	             "<md:OrganizationDisplayName xml:lang=\"en\">Test</md:OrganizationDisplayName>"
	             "<md:OrganizationURL xml:lang=\"en\">https://www.example.se/</md:OrganizationURL></md:Organization>\n"
	             "  <md:ContactPerson contactType=\"technical\"><md:GivenName>Test</md:GivenName>"
	             "<md:EmailAddress>mailto:test@example.se</md:EmailAddress></md:ContactPerson>\n"
	             "</md:EntityDescriptor>\n");
	return buf_steal(&b, &len);
}

char *peer_sp_metadata(const char *entity_id, const char *url, const char *cert_pem,
                       const struct peer_opts *o)
{
	char *b64 = peer_cert_b64(cert_pem), *md;

	if (b64 == NULL)
		return NULL;
	md = peer_metadata(0, entity_id, url, b64, o);
	free(b64);
	return md;
}

int peer_trust(struct peer *p, int is_idp, const char *hub_md)
{
	int rc = lasso_server_add_provider_from_buffer(p->server,
	                                               is_idp ? LASSO_PROVIDER_ROLE_SP : LASSO_PROVIDER_ROLE_IDP,
	                                               hub_md, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "peer: lasso refused the hub's metadata: %s\n", lasso_strerror(rc));
	return rc == 0 ? 0 : -1;
}

int peer_make(struct peer *p, int is_idp, const char *entity_id, const char *url, const char *dir,
              const struct peer_opts *o, const char *hub_md)
{
	char kpath[4096], cpath[4096];
	char *b64 = NULL;
	struct tl_err err;
	static unsigned serial;

	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "%s", url);
	snprintf(kpath, sizeof(kpath), "%s/peer%u.key", dir, serial);
	snprintf(cpath, sizeof(cpath), "%s/peer%u.crt", dir, serial++);
	if (keys_generate(kpath, cpath, 2048, "peer", 30, &err) != TL_OK) {
		fprintf(stderr, "peer: %s\n", err.msg);
		return -1;
	}
	p->entity_id = strdup(entity_id);
	p->key_pem = peer_read(kpath);
	p->cert_pem = peer_read(cpath);
	if (p->key_pem == NULL || p->cert_pem == NULL || (b64 = peer_cert_b64(p->cert_pem)) == NULL)
		return -1;
	p->metadata = peer_metadata(is_idp, entity_id, url, b64, o);
	free(b64);
	if (p->metadata == NULL)
		return -1;
	p->server = lasso_server_new_from_buffers(p->metadata, p->key_pem, NULL, p->cert_pem);
	if (p->server == NULL) {
		fprintf(stderr, "peer: lasso refused the peer's own metadata\n");
		return -1;
	}
	p->server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
	/* as the hub does: lasso leaks a BIO per signature when it re-reads the certificate */
	g_free(p->server->certificate);
	p->server->certificate = NULL;
	return hub_md != NULL ? peer_trust(p, is_idp, hub_md) : 0;
}

void peer_free(struct peer *p)
{
	if (p->server != NULL)
		lasso_server_destroy(p->server);
	free(p->entity_id);
	free(p->metadata);
	free(p->key_pem);
	free(p->cert_pem);
	memset(p, 0, sizeof(*p));
}

char *peer_form_encode(const char *v)
{
	return util_url_encode(v);
}

int peer_sp_request(struct peer *p, const char *hub_idp, int binding, const char *relay,
                    const char *cls, const char *idp, char **url_out, char **body_out,
                    char **req_id_out)
{
	LassoLogin *login = lasso_login_new(p->server);
	LassoProfile *pr = LASSO_PROFILE(login);
	LassoSamlp2AuthnRequest *req;
	int rc;

	*url_out = *body_out = *req_id_out = NULL;
	rc = lasso_login_init_authn_request(login, hub_idp,
	                                    binding ? LASSO_HTTP_METHOD_POST : LASSO_HTTP_METHOD_REDIRECT);
	if (rc != 0)
		goto fail;
	req = LASSO_SAMLP2_AUTHN_REQUEST(pr->request);
	if (cls != NULL) {
		LassoSamlp2RequestedAuthnContext *rac =
			LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
		rac->AuthnContextClassRef = g_list_append(NULL, g_strdup(cls));
		rac->Comparison = g_strdup(p->comparison != NULL ? p->comparison : "exact");
		req->RequestedAuthnContext = rac;
	}
	if (idp != NULL) {
		LassoSamlp2Scoping *sc = LASSO_SAMLP2_SCOPING(lasso_samlp2_scoping_new());
		LassoSamlp2IDPList *list = LASSO_SAMLP2_IDP_LIST(lasso_samlp2_idp_list_new());
		LassoSamlp2IDPEntry *e = LASSO_SAMLP2_IDP_ENTRY(lasso_samlp2_idp_entry_new());
		e->ProviderID = g_strdup(idp);
		list->IDPEntry = g_list_append(NULL, e);
		sc->IDPList = list;
		req->Scoping = sc;
	}
	if (relay != NULL)
		pr->msg_relayState = g_strdup(relay);
	rc = lasso_login_build_authn_request_msg(login);
	if (rc != 0)
		goto fail;
	*url_out = strdup(pr->msg_url);
	*req_id_out = strdup(LASSO_SAMLP2_REQUEST_ABSTRACT(req)->ID);
	if (binding) {
		char *e1 = util_url_encode(pr->msg_body), *e2 = relay ? util_url_encode(relay) : NULL;
		size_t n = strlen(e1) + (e2 ? strlen(e2) : 0) + 64;
		*body_out = malloc(n);
		snprintf(*body_out, n, "SAMLRequest=%s%s%s", e1, e2 ? "&RelayState=" : "", e2 ? e2 : "");
		free(e1);
		free(e2);
	}
	lasso_login_destroy(login);
	return 0;
fail:
	fprintf(stderr, "peer: cannot build the AuthnRequest: %s\n", lasso_strerror(rc));
	lasso_login_destroy(login);
	return -1;
}

static void peer_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void peer_add_attrs(LassoSaml2Assertion *as, const char *attrs)
{
	LassoSaml2AttributeStatement *st = LASSO_SAML2_ATTRIBUTE_STATEMENT(lasso_saml2_attribute_statement_new());
	char *copy = strdup(attrs ? attrs : ""), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		LassoSaml2Attribute *at = NULL;
		LassoSaml2AttributeValue *v;
		LassoMiscTextNode *t;
		if (eq == NULL)
			continue;
		*eq = '\0';
		/* values of one name go in one Attribute */
		for (GList *l = st->Attribute; l != NULL; l = l->next)
			if (strcmp(LASSO_SAML2_ATTRIBUTE(l->data)->Name, line) == 0)
				at = l->data;
		if (at == NULL) {
			at = LASSO_SAML2_ATTRIBUTE(lasso_saml2_attribute_new());
			at->Name = g_strdup(line);
			at->NameFormat = g_strdup(PEER_URI);
			st->Attribute = g_list_append(st->Attribute, at);
		}
		v = LASSO_SAML2_ATTRIBUTE_VALUE(lasso_saml2_attribute_value_new());
		t = LASSO_MISC_TEXT_NODE(lasso_misc_text_node_new_with_string(eq + 1));
		t->text_child = TRUE;
		v->any = g_list_append(NULL, t);
		at->AttributeValue = g_list_append(at->AttributeValue, v);
	}
	free(copy);
	as->AttributeStatement = g_list_append(as->AttributeStatement, st);
}

int peer_idp_respond(struct peer *p, const char *query, const char *attrs, const char *name_id,
                     const char *cls, int sign, char **body_out, char **xml_out)
{
	return peer_idp_respond_for(p, query, attrs, name_id, cls, sign, NULL, body_out, xml_out);
}

int peer_idp_respond_for(struct peer *p, const char *query, const char *attrs, const char *name_id,
                         const char *cls, int sign, const char *audience, char **body_out,
                         char **xml_out)
{
	LassoLogin *login = lasso_login_new(p->server);
	LassoProfile *pr = LASSO_PROFILE(login);
	LassoSaml2Assertion *as = NULL;
	char t1[32], t2[32], t3[32];
	time_t now = util_now();
	int rc;

	*body_out = NULL;
	if (xml_out != NULL)
		*xml_out = NULL;
	if ((rc = lasso_login_process_authn_request_msg(login, (char *)(uintptr_t)query)) != 0 ||
	    (rc = lasso_login_validate_request_msg(login, TRUE, TRUE)) != 0)
		goto fail;
	peer_time(now, t1);
	peer_time(now - 60, t2);
	peer_time(now + 300, t3);
	if ((rc = lasso_login_build_assertion(login, cls, t1, NULL, t2, t3)) != 0)
		goto fail;
	as = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(login));
	if (audience != NULL && as->Conditions != NULL && as->Conditions->AudienceRestriction != NULL) {
		LassoSaml2AudienceRestriction *ar = as->Conditions->AudienceRestriction->data;
		g_free(ar->Audience);
		ar->Audience = g_strdup(audience);
	}
	if (name_id != NULL && as->Subject != NULL) {
		LassoSaml2NameID *n = LASSO_SAML2_NAME_ID(lasso_saml2_name_id_new_with_string((char *)(uintptr_t)name_id));
		n->Format = g_strdup("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
		if (as->Subject->NameID != NULL)
			g_object_unref(as->Subject->NameID);
		as->Subject->NameID = n;
	}
	peer_add_attrs(as, attrs);
	if (!(sign & 2))
		lasso_profile_set_signature_hint(pr, LASSO_PROFILE_SIGNATURE_HINT_FORBID);
	if ((rc = lasso_login_build_authn_response_msg(login)) != 0)
		goto fail;
	{
		char *e1 = util_url_encode(pr->msg_body);
		char *e2 = pr->msg_relayState ? util_url_encode(pr->msg_relayState) : NULL;
		size_t n = strlen(e1) + (e2 ? strlen(e2) : 0) + 64;
		*body_out = malloc(n);
		snprintf(*body_out, n, "SAMLResponse=%s%s%s", e1, e2 ? "&RelayState=" : "", e2 ? e2 : "");
		free(e1);
		free(e2);
	}
	if (xml_out != NULL)
		*xml_out = (char *)g_base64_decode(pr->msg_body, &(gsize){ 0 });
	g_object_unref(as);
	lasso_login_destroy(login);
	return 0;
fail:
	fprintf(stderr, "peer: the IdP cannot answer: %s\n", lasso_strerror(rc));
	if (as != NULL)
		g_object_unref(as);
	lasso_login_destroy(login);
	return -1;
}

/* HTML-unescape the five entities the hub writes. */
static char *peer_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
		};
		size_t k;
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t l = strlen(ents[k].ent);
			if (i + l <= n && strncmp(s + i, ents[k].ent, l) == 0) {
				*o++ = ents[k].c;
				i += l - 1;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

char *peer_form_field(const char *page, const char *name)
{
	char pat[256];
	const char *p, *v, *e;

	snprintf(pat, sizeof(pat), "name=\"%s\" value=\"", name);
	if ((p = strstr(page, pat)) == NULL)
		return NULL;
	v = p + strlen(pat);
	if ((e = strchr(v, '"')) == NULL)
		return NULL;
	return peer_unescape(v, (size_t)(e - v));
}

char *peer_form_action(const char *page)
{
	const char *p = strstr(page, "action=\""), *e;

	if (p == NULL || (e = strchr(p + 8, '"')) == NULL)
		return NULL;
	return peer_unescape(p + 8, (size_t)(e - p - 8));
}

int peer_sp_accept(struct peer *p, const char *page, char **status, char **status2, char **attrs,
                   char **name_id, char **cls)
{
	LassoLogin *login = lasso_login_new(p->server);
	LassoProfile *pr = LASSO_PROFILE(login);
	LassoSamlp2StatusResponse *resp;
	LassoSaml2Assertion *as;
	char *b64 = peer_form_field(page, "SAMLResponse");
	struct buf b;
	size_t len;
	int rc;

	*status = *status2 = *attrs = *name_id = *cls = NULL;
	if (b64 == NULL) {
		fprintf(stderr, "peer: no SAMLResponse in the page\n");
		lasso_login_destroy(login);
		return -1;
	}
	rc = lasso_login_process_authn_response_msg(login, b64);
	free(b64);
	if (!LASSO_IS_SAMLP2_STATUS_RESPONSE(pr->response)) {
		fprintf(stderr, "peer: the SP cannot read the response: %s\n", lasso_strerror(rc));
		lasso_login_destroy(login);
		return -1;
	}
	resp = LASSO_SAMLP2_STATUS_RESPONSE(pr->response);
	if (resp->Status && resp->Status->StatusCode) {
		*status = strdup(resp->Status->StatusCode->Value);
		if (resp->Status->StatusCode->StatusCode)
			*status2 = strdup(resp->Status->StatusCode->StatusCode->Value);
	}
	buf_init(&b, 1 << 20);
	buf_puts(&b, "");
	if (rc != 0 && (*status == NULL || strcmp(*status, "urn:oasis:names:tc:SAML:2.0:status:Success") == 0)) {
		fprintf(stderr, "peer: the SP refuses the response: %s\n", lasso_strerror(rc));
		buf_free(&b);
		lasso_login_destroy(login);
		return -1;
	}
	if (rc == 0 && (as = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(login))) != NULL) {
		if (as->Subject && as->Subject->NameID)
			*name_id = strdup(as->Subject->NameID->content);
		if (as->AuthnStatement != NULL) {
			LassoSaml2AuthnStatement *s = as->AuthnStatement->data;
			if (s->AuthnContext && s->AuthnContext->AuthnContextClassRef)
				*cls = strdup(s->AuthnContext->AuthnContextClassRef);
		}
		for (GList *l = as->AttributeStatement; l != NULL; l = l->next)
			for (GList *a = LASSO_SAML2_ATTRIBUTE_STATEMENT(l->data)->Attribute; a != NULL; a = a->next) {
				LassoSaml2Attribute *at = a->data;
				for (GList *v = at->AttributeValue; v != NULL; v = v->next) {
					GList *any = LASSO_SAML2_ATTRIBUTE_VALUE(v->data)->any;
					const char *text = any && LASSO_IS_MISC_TEXT_NODE(any->data)
					                   ? LASSO_MISC_TEXT_NODE(any->data)->content : "";
					buf_printf(&b, "%s=%s\n", at->Name, text ? text : "");
				}
			}
		g_object_unref(as);
	}
	*attrs = buf_steal(&b, &len);
	lasso_login_destroy(login);
	return 0;
}
