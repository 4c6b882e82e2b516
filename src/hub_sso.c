/*
 * hub_sso.c - the login flows: a service's AuthnRequest in (/idp/sso),
 * the choice of IdP (/ds), the hub's AuthnRequest out, the IdP's Response
 * in (/sp/acs) and the assertion or SAML error out.
 *
 * Waiting logins live in STORE_DB_SSO_STATE under a random nonce (also the
 * RelayState of the hub's upstream request) as be64 expiry || JSON:
 *   {"sp", "relay", "dump" (lasso_login_dump of the service's request),
 *    "req" (its ID), "classes" [...], "cmp", "fmt" (NameID format to issue),
 *    "attr_index", "idps" [...] (Scoping), "idp" (when chosen)}
 * The hub's upstream request IDs live in STORE_DB_SSO_UPREQ as be64 expiry
 * || nonce NUL idp; they are deleted in the transaction that accepts the
 * Response, so each is answered once.  STORE_DB_SSO_REPLAY holds 'R' ||
 * SHA-256(service NUL request ID) and 'A' || SHA-256(idp NUL assertion ID)
 * with their expiry.
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "tillit/agr.h"
#include "tillit/attr.h"
#include "tillit/audit.h"
#include "tillit/ds.h"
#include "tillit/log.h"
#include "tillit/reg.h"
#include "tillit/rel.h"
#include "tillit/saml.h"
#include "tillit/trust.h"
#include "tillit/xsig.h"

#define SSO_NAMEID_TRANSIENT "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
#define SSO_NAMEID_PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
#define SSO_NAMEID_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define SSO_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SSO_AC_UNSPECIFIED "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
#define SSO_ST_RESPONDER "urn:oasis:names:tc:SAML:2.0:status:Responder"
#define SSO_ST_REQUESTER "urn:oasis:names:tc:SAML:2.0:status:Requester"
#define SSO_ST_NO_AUTHN_CONTEXT "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
#define SSO_ST_REQUEST_DENIED "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
#define SSO_ST_NO_AVAILABLE_IDP "urn:oasis:names:tc:SAML:2.0:status:NoAvailableIDP"
#define SSO_CERT_MAX 64        /* assurance classes read of one IdP's certification */
#define SSO_ST_INVALID_NAMEID_POLICY "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
#define SSO_ST_AUTHN_FAILED "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
#define SSO_ST_NO_PASSIVE "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
#define SSO_LABEL_PERSISTENT "tillit persistent NameID"
#define SSO_LABEL_PAIRWISE "tillit pairwise-id"
#define SSO_LABEL_SUBJECT "tillit subject-id"

/* ---- small helpers ----------------------------------------------------- */

/* Log why a message was refused and answer with an HTML page. */
static void sso_refuse(struct hub *h, struct hub_response *rs, unsigned status, const char *who,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void sso_refuse(struct hub *h, struct hub_response *rs, unsigned status, const char *who,
                       const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("sso: refused (%u) %s: %s", status, who ? who : "-", msg);
	hub_page(h, rs, status, status >= 500 ? "Tekniskt fel / Technical error"
	                                      : "Inloggningen avbröts / Login refused", "%s", msg);
}

static unsigned sso_status_of(int code)
{
	switch (code) {
	case TL_ELIMIT: return 413;
	case TL_ESIG: return 403;
	case TL_ESTATE: return 403;
	case TL_ENOENT: return 403;
	case TL_ENOMEM: case TL_ESTORE: case TL_EINTERNAL: case TL_EIO: case TL_ECRYPTO: return 500;
	default: return 400;
	}
}

static void sso_replay_key(char tag, const char *a, const char *b, unsigned char key[1 + UTIL_SHA256_LEN])
{
	size_t la = strlen(a), lb = strlen(b);
	char *tmp = malloc(la + lb + 2);

	key[0] = (unsigned char)tag;
	if (tmp == NULL) {
		memset(key + 1, 0, UTIL_SHA256_LEN);
		return;
	}
	memcpy(tmp, a, la + 1);
	memcpy(tmp + la + 1, b, lb);
	util_sha256(tmp, la + lb + 1, key + 1);
	free(tmp);
}

static const char *sso_js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A message field of a form or query: decoded, within limits. */
static int sso_message(const char *form, size_t flen, const char *name, int inflate, char **xml,
                       size_t *xlen, struct tl_err *err)
{
	char *b64, *raw = NULL;
	size_t rlen = 0;
	int bad = 0, rc;

	*xml = NULL;
	b64 = saml_field(form, flen, name, SAML_FIELD_MAX, &bad);
	if (bad == SAML_FIELD_TOO_LONG)
		return tl_err_set(err, TL_ELIMIT, "the %s field is longer than %d bytes", name, SAML_FIELD_MAX);
	if (bad)
		return tl_err_set(err, TL_EPARSE, "the %s field is not valid percent-encoding", name);
	if (b64 == NULL)
		return tl_err_set(err, TL_EINVAL, "no %s in the message", name);
	rc = saml_base64_decode(b64, strlen(b64), inflate ? SAML_FIELD_MAX : SAML_INFLATED_MAX, &raw,
	                        &rlen, err);
	free(b64);
	if (rc != TL_OK)
		return rc;
	if (!inflate) {
		*xml = raw;
		*xlen = rlen;
		return TL_OK;
	}
	rc = saml_inflate((const unsigned char *)raw, rlen, SAML_INFLATED_MAX, xml, xlen, err);
	free(raw);
	return rc;
}

/* Does the form have field name (with any value)? */
static int sso_has_field(const char *form, size_t flen, const char *name)
{
	int bad = 0;
	char *v = saml_field(form, flen, name, SAML_FIELD_MAX, &bad);

	free(v);
	return v != NULL || bad;
}

/* The value of a cookie in a Cookie header (new string), or NULL. */
static char *sso_cookie(const char *header, const char *name)
{
	size_t n = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			const char *v = p + n + 1, *e = strchr(v, ';');
			size_t len = e ? (size_t)(e - v) : strlen(v);
			return len > 0 && len < 2048 ? util_url_decode(v, len) : NULL;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* ---- SAML error Responses to a service ------------------------------------ */

/* A SAML error Response (status1 / status2, message) to the service's ACS, in rs. */
static void sso_send_error(struct hub *h, struct hub_response *rs, const char *sp, const char *acs,
                           const char *req_id, const char *relay, const char *status1,
                           const char *status2, const char *message)
{
	struct hub_resp_in in;

	memset(&in, 0, sizeof(in));
	in.sp = sp;
	in.acs = acs;
	in.in_response_to = req_id;
	in.relay = relay;
	in.status1 = status1;
	in.status2 = status2;
	in.message = message;
	hub_resp_send(h, rs, &in);
}

/* ---- the upstream request ---------------------------------------------- */

/* Sign an HTTP-POST message (base64 XML, lasso's, unsigned) in place. */
static int sso_sign_post(struct hub *h, char **b64, struct tl_err *err)
{
	char *xml = NULL, *enc = NULL;
	size_t len = 0;
	xmlDocPtr doc;
	xmlChar *out = NULL;
	int outlen = 0, rc;

	if ((rc = saml_base64_decode(*b64, strlen(*b64), SAML_INFLATED_MAX, &xml, &len, err)) != TL_OK)
		return rc;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	free(xml);
	if (doc == NULL)
		return tl_err_set(err, TL_EINTERNAL, "lasso's AuthnRequest is not well-formed");
	rc = xsig_sign(xmlDocGetRootElement(doc), &h->sign_pkey, err);
	if (rc == TL_OK) {
		xmlDocDumpMemoryEnc(doc, &out, &outlen, "UTF-8");
		enc = out ? util_base64(out, (size_t)outlen) : NULL;
		if (enc == NULL)
			rc = tl_err_set(err, TL_ENOMEM, "out of memory signing the AuthnRequest");
		else {
			g_free(*b64);
			*b64 = g_strdup(enc);
		}
	}
	xmlFree(out);
	free(enc);
	xmlFreeDoc(doc);
	return rc;
}

/* The IdP's HTTP-Redirect SingleSignOnService (borrowed from the model), or NULL. */
static const char *sso_idp_redirect_sso(const struct mdm_entity *idp)
{
	const struct mdm_role *r = mdm_role(idp, MDM_ROLE_IDP);

	for (const struct mdm_endpoint *e = r ? r->endpoints : NULL; e != NULL; e = e->next)
		if (strcmp(e->element, "SingleSignOnService") == 0 && e->location != NULL &&
		    e->binding != NULL && strcmp(e->binding, HUB_BINDING_REDIRECT) == 0)
			return e->location;
	return NULL;
}

/*
 * The AuthnRequest to an IdP with an HTTP-Redirect SingleSignOnService at
 * sso, written and signed here: ID, IssueInstant, Destination, the hub's
 * ACS (HTTP-POST) and Issuer, a NameIDPolicy without Format (the hub
 * makes the service's NameID itself), the service's ForceAuthn, IsPassive
 * and RequestedAuthnContext; RelayState the nonce.  rs gets the redirect.
 */
static int sso_upstream_redirect(struct hub *h, const char *sso, const char *nonce, json_t *state,
                                 struct hub_response *rs, char **req_id, struct tl_err *err)
{
	json_t *classes = json_object_get(state, "classes"), *c;
	char id[2 * 16 + 2], when[32];
	unsigned char *z = NULL;
	size_t i, zlen = 0;
	char *b64 = NULL, *eb64 = NULL, *erelay = NULL, *ealg = NULL, *sig = NULL, *esig = NULL;
	const char *alg = xsig_sig_alg(h->sign_pkey.pkey), *cmp = sso_js(state, "cmp");
	struct buf x, q, url;
	int rc;

	buf_init(&x, HUB_PAGE_MAX);
	buf_init(&q, HUB_PAGE_MAX);
	buf_init(&url, HUB_PAGE_MAX);
	id[0] = '_';
	if ((rc = hub_random_hex(id + 1, 16, err)) != TL_OK)
		goto out;
	hub_time(util_now(), when);
	buf_cat(&x, "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
	        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"", id, "\" Version=\"2.0\" "
	        "IssueInstant=\"", when, "\" Destination=\"", (char *)NULL);
	buf_xml_escape(&x, sso);
	buf_puts(&x, "\" AssertionConsumerServiceURL=\"");
	buf_xml_escape(&x, h->acs_url);
	buf_puts(&x, "\" ProtocolBinding=\"" HUB_BINDING_POST "\"");
	if (json_is_true(json_object_get(state, "force")))
		buf_puts(&x, " ForceAuthn=\"true\"");
	if (json_is_true(json_object_get(state, "passive")))
		buf_puts(&x, " IsPassive=\"true\"");
	buf_puts(&x, "><saml:Issuer>");
	buf_xml_escape(&x, h->sp_id);
	buf_puts(&x, "</saml:Issuer><samlp:NameIDPolicy AllowCreate=\"true\"/>");
	if (json_array_size(classes) > 0) {
		buf_puts(&x, "<samlp:RequestedAuthnContext");
		if (cmp != NULL) {
			buf_puts(&x, " Comparison=\"");
			buf_xml_escape(&x, cmp);
			buf_puts(&x, "\"");
		}
		buf_puts(&x, ">");
		json_array_foreach(classes, i, c) {
			buf_puts(&x, "<saml:AuthnContextClassRef>");
			buf_xml_escape(&x, json_string_value(c));
			buf_puts(&x, "</saml:AuthnContextClassRef>");
		}
		buf_puts(&x, "</samlp:RequestedAuthnContext>");
	}
	if (buf_puts(&x, "</samlp:AuthnRequest>") != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the AuthnRequest");
		goto out;
	}
	if ((rc = saml_deflate(x.data, x.len, &z, &zlen, err)) != TL_OK)
		goto out;
	/* the signed octets: SAMLRequest, RelayState, SigAlg as sent (the binding's 3.4.4.1) */
	if ((b64 = util_base64(z, zlen)) == NULL || (eb64 = util_url_encode(b64)) == NULL ||
	    (erelay = util_url_encode(nonce)) == NULL || (ealg = util_url_encode(alg)) == NULL ||
	    buf_cat(&q, "SAMLRequest=", eb64, "&RelayState=", erelay, "&SigAlg=", ealg, (char *)NULL) != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the AuthnRequest");
		goto out;
	}
	if ((sig = xsig_sign_octets(&h->sign_pkey, q.data, q.len, &alg)) == NULL ||
	    (esig = util_url_encode(sig)) == NULL) {
		rc = tl_err_set(err, TL_ECRYPTO, "cannot sign the AuthnRequest");
		goto out;
	}
	if (buf_cat(&url, sso, strchr(sso, '?') ? "&" : "?", q.data, "&Signature=", esig, (char *)NULL) != TL_OK ||
	    (*req_id = strdup(id)) == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the AuthnRequest");
		goto out;
	}
	hub_redirect(rs, url.data);
	rc = TL_OK;
out:
	free(z);
	free(b64);
	free(eb64);
	free(erelay);
	free(ealg);
	free(sig);
	free(esig);
	buf_free(&x);
	buf_free(&q);
	buf_free(&url);
	return rc;
}

/*
 * The hub's AuthnRequest to idp for the waiting login nonce: the service's
 * RequestedAuthnContext, ForceAuthn and IsPassive passed on; signed.  On
 * TL_OK rs holds the redirect (or form) and *req_id the request's ID.
 * HTTP-Redirect when the IdP has it (written here); else HTTP-POST, built
 * by lasso.
 */
static int sso_upstream(struct hub *h, const char *idp, const char *nonce, json_t *state,
                        struct hub_response *rs, char **req_id, struct tl_err *err)
{
	struct hub_pentry *pe;
	LassoLogin *login = NULL;
	LassoProfile *p;
	LassoSamlp2AuthnRequest *req;
	json_t *classes = json_object_get(state, "classes"), *c;
	size_t i;
	int rc, lrc;

	*req_id = NULL;
	if ((rc = hub_prov_acquire(h, &h->sp_side, idp, &pe, err)) != TL_OK)
		return rc;
	{
		const char *sso = sso_idp_redirect_sso(pe->model);
		if (sso != NULL) {
			rc = sso_upstream_redirect(h, sso, nonce, state, rs, req_id, err);
			hub_prov_release(&h->sp_side);
			return rc;
		}
	}
	/* no HTTP-Redirect SingleSignOnService: lasso builds the POST binding's form */
	login = lasso_login_new(h->sp_side.server);
	p = LASSO_PROFILE(login);
	lrc = lasso_login_init_authn_request(login, idp, LASSO_HTTP_METHOD_POST);
	if (lrc != 0) {
		rc = tl_err_set(err, TL_ERULE, "the IdP %.200s has no usable SingleSignOnService: %s", idp,
		                lasso_strerror(lrc));
		goto out;
	}
	req = LASSO_SAMLP2_AUTHN_REQUEST(p->request);
	req->ForceAuthn = json_is_true(json_object_get(state, "force"));
	req->IsPassive = json_is_true(json_object_get(state, "passive"));
	/* the IdP picks the NameID format it has; the hub makes its own for services */
	if (req->NameIDPolicy != NULL) {
		g_free(req->NameIDPolicy->Format);
		req->NameIDPolicy->Format = NULL;
		req->NameIDPolicy->AllowCreate = TRUE;
	}
	if (json_array_size(classes) > 0) {
		LassoSamlp2RequestedAuthnContext *rac =
			LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
		json_array_foreach(classes, i, c)
			rac->AuthnContextClassRef = g_list_append(rac->AuthnContextClassRef,
			                                          g_strdup(json_string_value(c)));
		if (sso_js(state, "cmp") != NULL)
			rac->Comparison = g_strdup(sso_js(state, "cmp"));
		req->RequestedAuthnContext = rac;
	}
	g_free(p->msg_relayState);
	p->msg_relayState = g_strdup(nonce);
	/* signed here (xsig.h), not by lasso: its signing copies the key each time */
	lasso_profile_set_signature_hint(p, LASSO_PROFILE_SIGNATURE_HINT_FORBID);
	lrc = lasso_login_build_authn_request_msg(login);
	if (lrc != 0 || p->msg_url == NULL) {
		rc = tl_err_set(err, TL_EINTERNAL, "cannot build the AuthnRequest to %.200s: %s", idp,
		                lasso_strerror(lrc));
		goto out;
	}
	if ((rc = sso_sign_post(h, &p->msg_body, err)) != TL_OK)
		goto out;
	if ((*req_id = strdup(LASSO_SAMLP2_REQUEST_ABSTRACT(req)->ID)) == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	{
		const char *fields[4] = { "SAMLRequest", p->msg_body, "RelayState", nonce };
		hub_post_form(h, rs, p->msg_url, fields, 2);
	}
	rc = TL_OK;
out:
	if (login != NULL)
		lasso_login_destroy(login);
	hub_prov_release(&h->sp_side);
	return rc;
}

/* State value: be64 expiry || JSON text. */
static int sso_state_put(struct store_txn *txn, const char *nonce, json_t *state, time_t exp)
{
	char *s = json_dumps(state, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;
	unsigned char *v;

	if (s == NULL || n + 8 > HUB_STATE_MAX) {
		free(s);
		return TL_ENOMEM;
	}
	v = malloc(n + 8);
	if (v == NULL) {
		free(s);
		return TL_ENOMEM;
	}
	store_be64(v, (uint64_t)exp);
	memcpy(v + 8, s, n);
	store_put(txn, STORE_DB_SSO_STATE, nonce, strlen(nonce), v, n + 8);
	free(v);
	free(s);
	return TL_OK;
}

static json_t *sso_state_get(struct hub *h, const char *nonce, time_t *exp, struct tl_err *err)
{
	struct store_txn txn;
	struct store_val v;
	json_t *j = NULL;

	if (strlen(nonce) != HUB_NONCE_LEN) {
		tl_err_set(err, TL_EINVAL, "the login's state is malformed");
		return NULL;
	}
	if (store_txn_begin(h->sso, &txn, 1, err) != TL_OK)
		return NULL;
	if (store_get(&txn, STORE_DB_SSO_STATE, nonce, strlen(nonce), &v) == TL_OK && v.len > 8) {
		*exp = (time_t)store_get_be64(v.data);
		j = json_loadb((const char *)v.data + 8, v.len - 8, 0, NULL);
	}
	store_abort(&txn);
	if (j == NULL)
		tl_err_set(err, TL_ENOENT, "the login has expired or was already completed: "
		                           "go back to the service and start again");
	else if (*exp < util_now()) {
		json_decref(j);
		j = NULL;
		tl_err_set(err, TL_ENOENT, "the login has expired: go back to the service and start again");
	}
	return j;
}

/* Upstream request: be64 expiry || nonce NUL idp. */
static void sso_upreq_put(struct store_txn *txn, const char *req_id, const char *nonce,
                          const char *idp, time_t exp)
{
	size_t ln = strlen(nonce), li = strlen(idp);
	unsigned char *v = malloc(8 + ln + 1 + li);

	if (v == NULL) {
		store_put(txn, STORE_DB_SSO_UPREQ, "", 0, "", 0); /* never reached in practice */
		return;
	}
	store_be64(v, (uint64_t)exp);
	memcpy(v + 8, nonce, ln + 1);
	memcpy(v + 8 + ln + 1, idp, li);
	store_put(txn, STORE_DB_SSO_UPREQ, req_id, strlen(req_id), v, 8 + ln + 1 + li);
	free(v);
}

/*
 * Send the waiting login nonce to idp: the upstream request, then one
 * transaction storing its ID and the state (with the IdP chosen).
 */
static void sso_go_upstream(struct hub *h, const char *idp, const char *nonce, json_t *state,
                            time_t exp, const unsigned char *replay_key, struct hub_response *rs)
{
	struct tl_err err = { 0 };
	struct store_txn txn;
	struct store_val v;
	char *req_id = NULL;
	int rc;

	json_object_set_new(state, "idp", json_string(idp));
	rc = sso_upstream(h, idp, nonce, state, rs, &req_id, &err);
	if (rc != TL_OK) {
		hub_response_free(rs);
		sso_refuse(h, rs, sso_status_of(rc), idp, "%s", err.msg);
		return;
	}
	if ((rc = store_txn_begin(h->sso, &txn, 0, &err)) == TL_OK) {
		if (replay_key != NULL) {
			if (store_get(&txn, STORE_DB_SSO_REPLAY, replay_key, 1 + UTIL_SHA256_LEN, &v) == TL_OK) {
				store_abort(&txn);
				free(req_id);
				hub_response_free(rs);
				sso_refuse(h, rs, 400, sso_js(state, "sp"),
				           "the service's AuthnRequest ID was already used");
				return;
			}
			{
				unsigned char e[8];
				store_be64(e, (uint64_t)(util_now() + h->ctx->conf.authn_request_max_age +
				                         2 * h->ctx->conf.clock_skew));
				store_put(&txn, STORE_DB_SSO_REPLAY, replay_key, 1 + UTIL_SHA256_LEN, e, 8);
			}
		}
		if (sso_state_put(&txn, nonce, state, exp) != TL_OK)
			tl_err_set(&err, TL_ENOMEM, "out of memory saving the login");
		sso_upreq_put(&txn, req_id, nonce, idp, exp);
		rc = store_commit(&txn, &err);
	}
	free(req_id);
	if (rc != TL_OK) {
		hub_response_free(rs);
		sso_refuse(h, rs, 500, idp, "cannot save the login: %s", err.msg);
	}
}

/* ---- /idp/sso -------------------------------------------------------------- */

static const char *sso_lasso_request_error(int lrc, unsigned *status)
{
	*status = 400;
	switch (lrc) {
	case LASSO_PROFILE_ERROR_INVALID_PROTOCOLPROFILE:
	case LASSO_LOGIN_ERROR_NO_DEFAULT_ENDPOINT:
		return "the AssertionConsumerService it names is not in its metadata (or not HTTP-POST)";
	case LASSO_DS_ERROR_INVALID_SIGNATURE:
	case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND:
	case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE:
	case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
	case LASSO_DS_ERROR_INVALID_SIGALG:
	case LASSO_PROFILE_ERROR_INVALID_QUERY:
		*status = 403;
		return "its signature is missing or does not verify with the service's key";
	case LASSO_PROFILE_ERROR_UNKNOWN_PROVIDER:
	case LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND:
		*status = 403;
		return "the service is unknown";
	default:
		return NULL;
	}
}

static int sso_certified(struct hub *h, const char *idp, const char *cls);
static int sso_certified_classes(struct hub *h, const char *idp, const char **cls, int max, void **mem);
static int sso_class_meets(struct hub *h, const char *cls, const char *want, const char *cmp);

/* Does every class the service asks for belong to a trust framework's levels? */
static int sso_classes_owned(struct hub *h, const struct saml_request *q)
{
	for (int i = 0; i < q->nclasses; i++)
		if (!tf_owns(h->frameworks, TF_ATTR_ASSURANCE, q->classes[i]))
			return 0;
	return q->nclasses > 0;
}

/*
 * May this IdP serve the login: when the service asks for levels, is it
 * certified for a class that meets one of them under the request's
 * Comparison (better: a stronger one; maximum: that one or a weaker one)?
 */
static int sso_fits(struct hub *h, const struct saml_request *q, int owned, const char *idp)
{
	const char *cls[SSO_CERT_MAX];
	void *mem = NULL;
	int n, fits = 0;

	if (!owned)
		return 1;
	n = sso_certified_classes(h, idp, cls, SSO_CERT_MAX, &mem);
	for (int k = 0; k < n && !fits; k++)
		for (int i = 0; i < q->nclasses && !fits; i++)
			fits = sso_class_meets(h, cls[k], q->classes[i], q->comparison);
	free(mem);
	return fits;
}

/*
 * The IdPs this login may go to, listed in out: the service's Scoping
 * among the members, else all members; when the service asks for
 * assurance levels, only IdPs certified for one of them.
 */
static void sso_candidates(struct hub *h, const struct hub_dir *d, const struct saml_request *q,
                           json_t *out)
{
	int owned = sso_classes_owned(h, q);

	if (q->nidps > 0) {
		for (int i = 0; i < q->nidps; i++)
			if (hub_dir_find(d, q->idps[i]) != NULL && sso_fits(h, q, owned, q->idps[i]))
				json_array_append_new(out, json_string(q->idps[i]));
		return;
	}
	for (size_t i = 0; i < d->n; i++)
		if (sso_fits(h, q, owned, d->idps[i].entity_id))
			json_array_append_new(out, json_string(d->idps[i].entity_id));
}

/* The NameID format the service gets: requested, else its metadata's first, else transient. */
static const char *sso_nameid_format(const struct saml_request *q, const struct mdm_entity *sp)
{
	const char *f = q->nameid_format;
	const struct mdm_role *r = mdm_role(sp, MDM_ROLE_SP);

	if ((f == NULL || strcmp(f, SSO_NAMEID_UNSPECIFIED) == 0) && r != NULL) {
		for (int i = 0; i < r->n_nameid_formats; i++)
			if (strcmp(r->nameid_formats[i], SSO_NAMEID_TRANSIENT) == 0 ||
			    strcmp(r->nameid_formats[i], SSO_NAMEID_PERSISTENT) == 0)
				return r->nameid_formats[i];
	}
	if (f == NULL || strcmp(f, SSO_NAMEID_UNSPECIFIED) == 0 || strcmp(f, SSO_NAMEID_TRANSIENT) == 0)
		return SSO_NAMEID_TRANSIENT;
	if (strcmp(f, SSO_NAMEID_PERSISTENT) == 0)
		return SSO_NAMEID_PERSISTENT;
	return NULL;
}

/*
 * The AssertionConsumerService the answer goes to (borrowed from the
 * model): the request's URL (with HTTP-POST), its index, else the
 * default one (isDefault, else the first not marked false, else the
 * first).  NULL when none is an HTTP-POST endpoint of the service.
 */
static const char *sso_acs_url(const struct saml_request *q, const struct mdm_entity *sp)
{
	const struct mdm_role *r = mdm_role(sp, MDM_ROLE_SP);
	const struct mdm_endpoint *dflt = NULL, *unmarked = NULL, *first = NULL;

	for (const struct mdm_endpoint *e = r ? r->endpoints : NULL; e != NULL; e = e->next) {
		if (strcmp(e->element, "AssertionConsumerService") != 0 || e->location == NULL)
			continue;
		if (q->acs_url != NULL || q->acs_index >= 0) {
			/* the URL may be listed once per binding: the HTTP-POST one counts */
			if (((q->acs_url != NULL && strcmp(q->acs_url, e->location) == 0) ||
			     (q->acs_url == NULL && e->index == q->acs_index)) &&
			    e->binding != NULL && strcmp(e->binding, HUB_BINDING_POST) == 0)
				return e->location;
			continue;
		}
		if (e->binding == NULL || strcmp(e->binding, HUB_BINDING_POST) != 0)
			continue;
		if (first == NULL)
			first = e;
		if (dflt == NULL && e->is_default == 1)
			dflt = e;
		if (unmarked == NULL && e->is_default == -1)
			unmarked = e;
	}
	if (q->acs_url != NULL || q->acs_index >= 0)
		return NULL;
	return dflt ? dflt->location : unmarked ? unmarked->location : first ? first->location : NULL;
}

void hub_sso(struct hub *h, const struct hub_request *rq, struct hub_response *rs)
{
	const struct conf *c = &h->ctx->conf;
	struct tl_err err = { 0 };
	struct saml_request q;
	struct hub_pentry *pe = NULL;
	struct hub_dir *d = NULL;
	LassoLogin *login = NULL;
	LassoProfile *p;
	int redirect = strcmp(rq->method, "POST") != 0, bad = 0, lrc, rc, has_sig;
	const char *form = redirect ? rq->query : rq->body;
	size_t flen = form == NULL ? 0 : redirect ? strlen(form) : rq->body_len;
	char *xml = NULL, *relay = NULL, *enc = NULL, *b64 = NULL;
	char nonce[HUB_NONCE_LEN + 1];
	size_t xlen = 0;
	unsigned status;
	time_t now = util_now(), exp;
	unsigned char rkey[1 + UTIL_SHA256_LEN];
	json_t *state = NULL, *cand = NULL;
	const char *why, *fmt, *acs = NULL;

	memset(&q, 0, sizeof(q));
	if (redirect && (enc = saml_field(form, flen, "SAMLEncoding", 256, &bad)) != NULL &&
	    strcmp(enc, "urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE") != 0) {
		sso_refuse(h, rs, 400, rq->client, "unknown SAMLEncoding '%.100s': only DEFLATE is supported", enc);
		goto out;
	}
	if (form == NULL || (b64 = saml_field(form, flen, "SAMLRequest", SAML_FIELD_MAX, &bad)) == NULL) {
		int resp_bad = 0;
		char *other = form ? saml_field(form, flen, "SAMLResponse", SAML_FIELD_MAX, &resp_bad) : NULL;
		sso_refuse(h, rs, bad == SAML_FIELD_TOO_LONG ? 413 : 400, rq->client, "%s",
		           bad == SAML_FIELD_TOO_LONG ? "the SAMLRequest field is too long"
		           : bad ? "the SAMLRequest field is not valid percent-encoding"
		           : other ? "a SAMLResponse was sent to the SSO endpoint; only AuthnRequests are accepted here"
		                   : "no SAMLRequest in the request (HTTP-Redirect or HTTP-POST binding)");
		free(other);
		goto out;
	}
	relay = saml_field(form, flen, "RelayState", SAML_RELAY_STATE_MAX, &bad);
	if (bad) {
		sso_refuse(h, rs, 400, rq->client, "the RelayState is malformed or longer than %d bytes",
		           SAML_RELAY_STATE_MAX);
		goto out;
	}
	if ((rc = sso_message(form, flen, "SAMLRequest", redirect, &xml, &xlen, &err)) != TL_OK ||
	    (rc = saml_request_check(xml, xlen, &h->lim, &q, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc) == 403 ? 400 : sso_status_of(rc), rq->client,
		           "the AuthnRequest is refused: %s", err.msg);
		goto out;
	}
	has_sig = redirect ? sso_has_field(form, flen, "Signature") : q.signed_itself;

	/* the service: approved, not suspended, loaded */
	if ((rc = hub_prov_acquire(h, &h->idp_side, q.issuer, &pe, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc), q.issuer, "the service is not allowed to use the hub: %s",
		           err.msg);
		goto out;
	}
	/*
	 * Signatures: a Redirect's is verified here (the octets as sent, the
	 * service's keys, no SHA-1); a POST's enveloped one by lasso.  Every
	 * other check is the hub's own (saml_request_check, below).
	 */
	{
		const struct mdm_role *r = mdm_role(pe->model, MDM_ROLE_SP);
		int required = c->require_signed_authn_requests || (r && r->authn_requests_signed == 1);
		if (!has_sig && required) {
			sso_refuse(h, rs, 403, q.issuer, "the AuthnRequest is refused: the service must sign its "
			                                 "AuthnRequests (%s)", c->require_signed_authn_requests
			                                 ? "require_signed_authn_requests" : "AuthnRequestsSigned in its metadata");
			goto out;
		}
		if (redirect && has_sig) {
			if ((rc = saml_redirect_verify(rq->query, "SAMLRequest", pe->keys, pe->nkeys, &err)) != TL_OK) {
				sso_refuse(h, rs, 403, q.issuer, "the AuthnRequest is refused: %s", err.msg);
				goto out;
			}
		}
	}
	if (!redirect && has_sig) {
		login = lasso_login_new(h->idp_side.server);
		p = LASSO_PROFILE(login);
		lasso_profile_set_signature_verify_hint(p, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
		lrc = lasso_login_process_authn_request_msg(login, b64);
		if (lrc != 0) {
			why = sso_lasso_request_error(lrc, &status);
			sso_refuse(h, rs, status, q.issuer, "the AuthnRequest is refused: %s (%s)",
			           why ? why : "lasso cannot process it", lasso_strerror(lrc));
			goto out;
		}
	}
	if (q.protocol_binding != NULL && strcmp(q.protocol_binding, HUB_BINDING_POST) != 0) {
		sso_refuse(h, rs, 400, q.issuer, "the AuthnRequest asks for a response binding other than "
		                                 "HTTP-POST, the only one the hub answers with");
		goto out;
	}
	if ((acs = sso_acs_url(&q, pe->model)) == NULL) {
		sso_refuse(h, rs, 400, q.issuer, "the AuthnRequest is refused: the AssertionConsumerService it "
		                                 "names is not an HTTP-POST endpoint in the service's metadata");
		goto out;
	}
	/* what lasso does not check */
	if (q.destination != NULL ? strcmp(q.destination, h->sso_url) != 0 : has_sig) {
		sso_refuse(h, rs, 400, q.issuer, "the AuthnRequest's Destination is %.300s, not %s",
		           q.destination ? q.destination : "missing", h->sso_url);
		goto out;
	}
	if (q.issue_instant == 0 || q.issue_instant > now + c->clock_skew ||
	    q.issue_instant < now - c->authn_request_max_age - c->clock_skew) {
		sso_refuse(h, rs, 400, q.issuer, "the AuthnRequest's IssueInstant is %s (the hub accepts "
		                                 "requests issued in the last %llds, with %llds of clock skew)",
		           q.issue_instant == 0 ? "missing or malformed"
		           : q.issue_instant > now ? "in the future" : "too old",
		           (long long)c->authn_request_max_age, (long long)c->clock_skew);
		goto out;
	}
	sso_replay_key('R', q.issuer, q.id, rkey);
	{
		struct store_txn t;
		struct store_val v;
		int used = 0;
		if (store_txn_begin(h->sso, &t, 1, &err) == TL_OK) {
			used = store_get(&t, STORE_DB_SSO_REPLAY, rkey, sizeof(rkey), &v) == TL_OK;
			store_abort(&t);
		}
		if (used) {
			sso_refuse(h, rs, 400, q.issuer, "the AuthnRequest ID %.100s was already used", q.id);
			goto out;
		}
	}
	if ((fmt = sso_nameid_format(&q, pe->model)) == NULL) {
		sso_send_error(h, rs, q.issuer, acs, q.id, relay, SSO_ST_REQUESTER, SSO_ST_INVALID_NAMEID_POLICY,
		               "the hub issues transient and persistent NameIDs only");
		goto out;
	}
	if ((d = hub_dir_get(h, &err)) == NULL) {
		sso_refuse(h, rs, 500, q.issuer, "%s", err.msg);
		goto out;
	}
	cand = json_array();
	sso_candidates(h, d, &q, cand);
	if (json_array_size(cand) == 0 && sso_classes_owned(h, &q)) {
		sso_send_error(h, rs, q.issuer, acs, q.id, relay, SSO_ST_RESPONDER, SSO_ST_NO_AUTHN_CONTEXT,
		               "no identity provider the service may use is certified for the assurance "
		               "level it asked for");
		goto out;
	}
	if (json_array_size(cand) == 0) {
		sso_send_error(h, rs, q.issuer, acs, q.id, relay, SSO_ST_RESPONDER, SSO_ST_NO_AVAILABLE_IDP,
		               q.nidps > 0 ? "none of the IdPs the service named is a member of the federation"
		                           : "the federation has no identity provider yet");
		goto out;
	}
	if (json_array_size(cand) > 1 && q.is_passive) {
		/* no page may be shown: the IdP the user chose last, if it fits, or NoPassive */
		char *last = sso_cookie(rq->cookie, HUB_COOKIE_IDP);
		size_t k;
		json_t *v, *one = NULL;
		json_array_foreach(cand, k, v)
			if (last != NULL && strcmp(json_string_value(v), last) == 0)
				one = json_pack("[O]", v);
		free(last);
		if (one == NULL) {
			sso_send_error(h, rs, q.issuer, acs, q.id, relay, SSO_ST_RESPONDER, SSO_ST_NO_PASSIVE,
			               "the service asked for a passive login and more than one identity "
			               "provider fits: the user must choose");
			goto out;
		}
		json_decref(cand);
		cand = one;
	}
	if (hub_random_hex(nonce, HUB_NONCE_LEN / 2, &err) != TL_OK) {
		sso_refuse(h, rs, 500, q.issuer, "cannot keep the login: %s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	{
		json_t *classes = json_array();
		for (int i = 0; i < q.nclasses; i++)
			json_array_append_new(classes, json_string(q.classes[i]));
		state = json_pack("{s:s, s:s?, s:s, s:s, s:o, s:s?, s:s, s:i, s:b, s:b}", "sp", q.issuer,
		                  "relay", relay, "acs", acs, "req", q.id, "classes", classes, "cmp",
		                  q.comparison, "fmt", fmt, "attr_index", q.attr_index, "force", q.force_authn,
		                  "passive", q.is_passive);
	}
	if (state == NULL) {
		sso_refuse(h, rs, 500, q.issuer, "out of memory keeping the login");
		goto out;
	}
	if (json_array_size(cand) < d->n)
		json_object_set(state, "idps", cand); /* the discovery page offers only these */
	exp = now + c->sso_state_lifetime;
	if (login != NULL)
		lasso_login_destroy(login);
	login = NULL;
	hub_prov_release(&h->idp_side);
	pe = NULL;
	if (json_array_size(cand) == 1) {
		/* one IdP fits: no discovery */
		sso_go_upstream(h, json_string_value(json_array_get(cand, 0)), nonce, state, exp, rkey, rs);
	} else {
		struct store_txn t;
		char url[CONF_STR_MAX + 128];
		unsigned char e[8];
		rc = store_txn_begin(h->sso, &t, 0, &err);
		if (rc == TL_OK) {
			store_be64(e, (uint64_t)(now + c->authn_request_max_age + 2 * c->clock_skew));
			store_put(&t, STORE_DB_SSO_REPLAY, rkey, sizeof(rkey), e, 8);
			sso_state_put(&t, nonce, state, exp);
			rc = store_commit(&t, &err);
		}
		if (rc != TL_OK) {
			sso_refuse(h, rs, 500, q.issuer, "cannot keep the login: %s", err.msg);
			goto out;
		}
		snprintf(url, sizeof(url), "%s?state=%s", h->ds_url, nonce);
		hub_redirect(rs, url);
	}
out:
	if (login != NULL)
		lasso_login_destroy(login);
	if (pe != NULL)
		hub_prov_release(&h->idp_side);
	hub_dir_put(d);
	json_decref(state);
	json_decref(cand);
	saml_request_free(&q);
	free(xml);
	free(relay);
	free(enc);
	free(b64);
}

/* ---- /ds ------------------------------------------------------------------ */

static void sso_ds_cookie(struct hub *h, struct hub_response *rs, const char *idp)
{
	char *v = util_url_encode(idp);
	char buf[4096];
	int secure = strncmp(h->ctx->conf.base_url, "https://", 8) == 0;

	if (v == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s=%s; Path=%s; Max-Age=31536000; HttpOnly; SameSite=Lax%s",
	         HUB_COOKIE_IDP, v, HUB_PATH_DS, secure ? "; Secure" : "");
	free(v);
	free(rs->set_cookie);
	rs->set_cookie = strdup(buf);
}

static void sso_ds_render(struct hub *h, const struct hub_request *rq, struct hub_response *rs,
                          const struct hub_dir *d, json_t *only, const struct ds_hidden *hidden,
                          size_t nhidden, const char *sp_name)
{
	struct ds_idp *list;
	struct ds_page page;
	struct buf b;
	struct tl_err err = { 0 };
	char *q = NULL, *remembered = NULL;
	int bad = 0;
	size_t n = 0;

	list = calloc(d->n ? d->n : 1, sizeof(*list));
	if (list == NULL) {
		sso_refuse(h, rs, 500, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct hub_idp *x = &d->idps[i];
		if (x->hidden) /* hide-from-discovery: reachable by Scoping or the DS protocol only */
			continue;
		if (json_array_size(only) > 0) {
			size_t k;
			json_t *v;
			int hit = 0;
			json_array_foreach(only, k, v)
				hit |= strcmp(json_string_value(v), x->entity_id) == 0;
			if (!hit)
				continue;
		}
		list[n].entity_id = x->entity_id;
		list[n].name_sv = x->name_sv;
		list[n].name_en = x->name_en;
		list[n].desc_sv = x->desc_sv;
		list[n].desc_en = x->desc_en;
		list[n].logo = x->logo;
		n++;
	}
	if (rq->query != NULL)
		q = saml_field(rq->query, strlen(rq->query), "q", 600, &bad);
	remembered = sso_cookie(rq->cookie, HUB_COOKIE_IDP);
	memset(&page, 0, sizeof(page));
	page.lang = ds_lang(rq->accept_language);
	page.action = h->ds_url;
	page.hidden = hidden;
	page.nhidden = nhidden;
	page.sp_name = sp_name;
	page.query = q;
	page.remembered = remembered && hub_dir_find(d, remembered) ? remembered : NULL;
	buf_init(&b, HUB_PAGE_MAX * 8);
	if (ds_render(&page, list, n, &b, &err) != TL_OK) {
		buf_free(&b);
		sso_refuse(h, rs, 500, NULL, "cannot show the discovery page: %s", err.msg);
	} else {
		size_t len = 0;
		rs->body = buf_steal(&b, &len);
		rs->len = len;
		rs->status = 200;
		rs->content_type = "text/html; charset=utf-8";
		rs->csp = strdup(ds_csp());
		rs->no_store = 1;
	}
	free(q);
	free(remembered);
	free(list);
}

/* The service's display name (mdui, else its entityID), borrowed from the model. */
static const char *sso_sp_name(const struct mdm_entity *m, const char *lang)
{
	const struct mdm_role *r = mdm_role(m, MDM_ROLE_SP);
	const char *any = NULL;

	for (const struct mdm_text *t = r ? r->ui : NULL; t != NULL; t = t->next) {
		if (strcmp(t->element, "DisplayName") != 0 || t->value == NULL)
			continue;
		if (t->lang != NULL && strcmp(t->lang, lang) == 0)
			return t->value;
		if (any == NULL)
			any = t->value;
	}
	return any ? any : m->entity_id;
}

/* The IdP Discovery Protocol: return must be one of the service's DiscoveryResponse URLs. */
static int sso_ds_return_ok(const struct mdm_entity *m, const char *ret)
{
	const struct mdm_role *r = mdm_role(m, MDM_ROLE_SP);

	for (const struct mdm_endpoint *e = r ? r->discovery : NULL; e != NULL; e = e->next) {
		size_t n;
		if (e->location == NULL)
			continue;
		n = strlen(e->location);
		if (strncmp(ret, e->location, n) == 0 && (ret[n] == '\0' || ret[n] == '?'))
			return 1;
	}
	return 0;
}

static void sso_ds_protocol(struct hub *h, const struct hub_request *rq, struct hub_response *rs,
                            struct hub_dir *d)
{
	struct tl_err err = { 0 };
	struct ds_request dr;
	struct hub_pentry *pe;
	char *choice = NULL, *url = NULL, *remembered = NULL;
	int bad = 0, rc;

	memset(&dr, 0, sizeof(dr));
	if ((rc = ds_request_parse(rq->query, &dr, &err)) != TL_OK) {
		sso_refuse(h, rs, 400, rq->client, "discovery request refused: %s", err.msg);
		return;
	}
	if ((rc = hub_prov_acquire(h, &h->idp_side, dr.entity_id, &pe, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc), dr.entity_id, "discovery request refused: %s", err.msg);
		ds_request_free(&dr);
		return;
	}
	if (!sso_ds_return_ok(pe->model, dr.ret)) {
		hub_prov_release(&h->idp_side);
		sso_refuse(h, rs, 400, dr.entity_id, "discovery request refused: the return URL %.300s is "
		                                     "not a DiscoveryResponse endpoint of the service", dr.ret);
		ds_request_free(&dr);
		return;
	}
	choice = saml_field(rq->query, strlen(rq->query), "idp", 4096, &bad);
	remembered = sso_cookie(rq->cookie, HUB_COOKIE_IDP);
	if (choice != NULL) {
		if (hub_dir_find(d, choice) == NULL) {
			sso_refuse(h, rs, 400, dr.entity_id, "%.300s is not an identity provider of the federation",
			           choice);
		} else {
			url = ds_return_url(&dr, choice);
			hub_redirect(rs, url ? url : dr.ret);
			sso_ds_cookie(h, rs, choice);
		}
	} else if (dr.is_passive) {
		const char *r = remembered && hub_dir_find(d, remembered) ? remembered
		                : d->n == 1 ? d->idps[0].entity_id : NULL;
		url = ds_return_url(&dr, r);
		hub_redirect(rs, url ? url : dr.ret);
	} else {
		struct ds_hidden hidden[3] = {
			{ "entityID", dr.entity_id }, { "return", dr.ret },
			{ "returnIDParam", dr.return_id_param },
		};
		sso_ds_render(h, rq, rs, d, NULL, hidden, 3, sso_sp_name(pe->model, ds_lang(rq->accept_language)));
	}
	hub_prov_release(&h->idp_side);
	free(url);
	free(choice);
	free(remembered);
	ds_request_free(&dr);
}

void hub_ds(struct hub *h, const struct hub_request *rq, struct hub_response *rs)
{
	struct tl_err err = { 0 };
	struct hub_dir *d = NULL;
	char *nonce = NULL, *choice = NULL;
	json_t *state = NULL;
	time_t exp = 0;
	int bad = 0;
	size_t qlen = rq->query ? strlen(rq->query) : 0;

	if ((d = hub_dir_get(h, &err)) == NULL) {
		sso_refuse(h, rs, 500, rq->client, "%s", err.msg);
		return;
	}
	if (qlen > 0 && (nonce = saml_field(rq->query, qlen, "state", 64, &bad)) == NULL) {
		sso_ds_protocol(h, rq, rs, d);
		goto out;
	}
	if (nonce == NULL) {
		sso_refuse(h, rs, 400, rq->client, "the discovery page was opened without a login: go to "
		                                   "the service you want to use and log in from there");
		goto out;
	}
	if ((state = sso_state_get(h, nonce, &exp, &err)) == NULL) {
		sso_refuse(h, rs, 400, rq->client, "%s", err.msg);
		goto out;
	}
	if (sso_js(state, "idp") != NULL) {
		sso_refuse(h, rs, 400, sso_js(state, "sp"), "an organisation was already chosen for this "
		                                            "login: go back to the service and start again");
		goto out;
	}
	choice = saml_field(rq->query, qlen, "idp", 4096, &bad);
	if (choice != NULL) {
		json_t *only = json_object_get(state, "idps");
		int allowed = hub_dir_find(d, choice) != NULL;
		if (allowed && json_array_size(only) > 0) {
			size_t k;
			json_t *v;
			allowed = 0;
			json_array_foreach(only, k, v)
				allowed |= strcmp(json_string_value(v), choice) == 0;
		}
		if (!allowed) {
			sso_refuse(h, rs, 400, sso_js(state, "sp"), "%.300s is not an organisation this login "
			                                            "can use", choice);
			goto out;
		}
		sso_go_upstream(h, choice, nonce, state, exp, NULL, rs);
		if (rs->status == 302 || rs->status == 200)
			sso_ds_cookie(h, rs, choice);
	} else {
		struct ds_hidden hidden[1] = { { "state", nonce } };
		struct hub_pentry *pe;
		const char *sp = sso_js(state, "sp");
		if (hub_prov_acquire(h, &h->idp_side, sp, &pe, &err) != TL_OK) {
			sso_refuse(h, rs, 403, sp, "the service is not allowed to use the hub: %s", err.msg);
			goto out;
		}
		sso_ds_render(h, rq, rs, d, json_object_get(state, "idps"), hidden, 1,
		              sso_sp_name(pe->model, ds_lang(rq->accept_language)));
		hub_prov_release(&h->idp_side);
	}
out:
	json_decref(state);
	free(nonce);
	free(choice);
	hub_dir_put(d);
}

/* ---- /sp/acs ---------------------------------------------------------------- */

/* Upstream request record: nonce and IdP (new strings). */
static int sso_upreq_get(struct hub *h, const char *req_id, char **nonce, char **idp, time_t *exp,
                         struct tl_err *err)
{
	struct store_txn txn;
	struct store_val v;
	int rc;

	*nonce = *idp = NULL;
	if ((rc = store_txn_begin(h->sso, &txn, 1, err)) != TL_OK)
		return rc;
	rc = store_get(&txn, STORE_DB_SSO_UPREQ, req_id, strlen(req_id), &v);
	if (rc == TL_OK && v.len > 8 + HUB_NONCE_LEN + 1) {
		const char *p = (const char *)v.data + 8;
		size_t ln = strnlen(p, v.len - 8);
		*exp = (time_t)store_get_be64(v.data);
		if (ln < v.len - 8) {
			*nonce = strndup(p, ln);
			*idp = strndup(p + ln + 1, v.len - 8 - ln - 1);
		}
	}
	store_abort(&txn);
	if (*nonce == NULL || *idp == NULL) {
		free(*nonce);
		free(*idp);
		*nonce = *idp = NULL;
		return tl_err_set(err, TL_ENOENT, "the response answers no request the hub has waiting "
		                                  "(unsolicited, already answered, or expired)");
	}
	return TL_OK;
}

/* The checks lasso does not make, on the assertion that is used. */
static int sso_check_assertion(struct hub *h, const struct saml_response *r,
                               const struct saml_assertion *a, const char *idp, const char *req_id,
                               struct tl_err *err)
{
	const struct conf *c = &h->ctx->conf;
	time_t now = util_now(), skew = (time_t)c->clock_skew;
	int aud = 0;

	if (r->destination != NULL ? strcmp(r->destination, h->acs_url) != 0 : r->signed_itself)
		return tl_err_set(err, TL_ERULE, "the response's Destination is %.300s, not %s",
		                  r->destination ? r->destination : "missing", h->acs_url);
	if (r->issuer != NULL && strcmp(r->issuer, idp) != 0)
		return tl_err_set(err, TL_ERULE, "the response's Issuer is %.300s, not the IdP asked (%.300s)",
		                  r->issuer, idp);
	if (a->id == NULL || a->issuer == NULL || strcmp(a->issuer, idp) != 0)
		return tl_err_set(err, TL_ERULE, "the assertion's Issuer is %.300s, not the IdP asked (%.300s)",
		                  a->issuer ? a->issuer : "missing", idp);
	if (a->sc_method == NULL || strcmp(a->sc_method, SSO_BEARER) != 0)
		return tl_err_set(err, TL_ERULE, "the assertion has no bearer SubjectConfirmation");
	if (a->sc_recipient == NULL || strcmp(a->sc_recipient, h->acs_url) != 0)
		return tl_err_set(err, TL_ERULE, "the assertion's Recipient is %.300s, not %s",
		                  a->sc_recipient ? a->sc_recipient : "missing", h->acs_url);
	if (a->sc_in_response_to == NULL || strcmp(a->sc_in_response_to, req_id) != 0)
		return tl_err_set(err, TL_ERULE, "the assertion's InResponseTo does not match the request");
	if (a->sc_not_on_or_after == 0 || a->sc_not_on_or_after <= now - skew)
		return tl_err_set(err, TL_ERULE, "the assertion's SubjectConfirmation %s",
		                  a->sc_not_on_or_after == 0 ? "has no NotOnOrAfter" : "has expired");
	if (a->not_before != 0 && a->not_before > now + skew)
		return tl_err_set(err, TL_ERULE, "the assertion is not valid yet (NotBefore in the future)");
	if (a->not_on_or_after != 0 && a->not_on_or_after <= now - skew)
		return tl_err_set(err, TL_ERULE, "the assertion has expired (NotOnOrAfter passed)");
	for (int i = 0; i < a->naudiences; i++)
		aud |= a->audiences[i] != NULL && strcmp(a->audiences[i], h->sp_id) == 0;
	if (!aud)
		return tl_err_set(err, TL_ERULE, "the assertion's audience is not the hub (%s)", h->sp_id);
	if (a->other_conditions > 0)
		return tl_err_set(err, TL_ERULE, "the assertion has conditions the hub does not understand");
	if (a->authn_instant == 0)
		return tl_err_set(err, TL_ERULE, "the assertion has no AuthnStatement");
	return TL_OK;
}

/*
 * The classes published as assurance-certification for the IdP's approved
 * version, at most max of them, into cls; they point into *mem (free() it,
 * also when none are found).  Returns how many.
 */
static int sso_certified_classes(struct hub *h, const char *idp, const char **cls, int max, void **mem)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_txn txn;
	struct store_val v;
	struct reg_head e;
	struct trust_cert tc;
	struct tl_err err = { 0 };
	unsigned version = 0;
	int n = 0;

	*mem = NULL;
	util_sha1(idp, strlen(idp), sha1);
	if (store_txn_begin(h->ctx->store, &txn, 1, &err) != TL_OK)
		return 0;
	if (store_get(&txn, STORE_DB_ENTITIES, sha1, UTIL_SHA1_LEN, &v) == TL_OK && reg_head_read(&v, &e) == TL_OK) {
		version = e.approved_version;
		reg_head_free(&e);
	}
	if (version > 0 && trust_cert_get(&txn, sha1, version, &tc, &err) == TL_OK) {
		for (int i = 0; tc.publish[i] != NULL && tc.publish[i + 1] != NULL && n < max; i += 2)
			if (strcmp(tc.publish[i], TF_ATTR_ASSURANCE) == 0)
				cls[n++] = tc.publish[i + 1];
		*mem = tc.mem;
	}
	store_abort(&txn);
	return n;
}

/* Is (assurance-certification, cls) published for the IdP's approved version? */
static int sso_certified(struct hub *h, const char *idp, const char *cls)
{
	const char *have[SSO_CERT_MAX];
	void *mem = NULL;
	int n = sso_certified_classes(h, idp, have, SSO_CERT_MAX, &mem), ok = 0;

	for (int i = 0; i < n && !ok; i++)
		ok = strcmp(have[i], cls) == 0;
	free(mem);
	return ok;
}

/*
 * Does class cls meet the requested class want under comparison cmp
 * (exact when NULL)?  Classes are ordered by the trust frameworks' levels
 * (a level extending another is stronger); classes no framework orders
 * meet only themselves, and only for exact, minimum and maximum.
 */
static int sso_class_meets(struct hub *h, const char *cls, const char *want, const char *cmp)
{
	int same = strcmp(cls, want) == 0;

	if (cmp == NULL || strcmp(cmp, "exact") == 0)
		return same;
	if (strcmp(cmp, "minimum") == 0)
		return same || tf_covers(h->frameworks, TF_ATTR_ASSURANCE, cls, want);
	if (strcmp(cmp, "better") == 0)
		return !same && tf_covers(h->frameworks, TF_ATTR_ASSURANCE, cls, want);
	if (strcmp(cmp, "maximum") == 0)
		return same || tf_covers(h->frameworks, TF_ATTR_ASSURANCE, want, cls);
	return 0;
}

/*
 * The class passed on to the service, or NULL when the service asked for
 * classes this login does not meet (NoAuthnContext).  A class some trust
 * framework owns counts only if the IdP is certified for it.
 */
static const char *sso_assurance(struct hub *h, const char *idp, const char *cls, json_t *requested,
                                 const char *cmp)
{
	int owned = cls != NULL && tf_owns(h->frameworks, TF_ATTR_ASSURANCE, cls);
	int trusted = cls != NULL && (!owned || sso_certified(h, idp, cls));
	size_t i;
	json_t *v;

	if (json_array_size(requested) == 0)
		return trusted ? cls : SSO_AC_UNSPECIFIED;
	if (!trusted)
		return NULL;
	json_array_foreach(requested, i, v)
		if (sso_class_meets(h, cls, json_string_value(v), cmp))
			return cls;
	return NULL;
}

/* Is the assertion for this service signed: sign_assertions, or its metadata's WantAssertionsSigned? */
static int sso_sign_assertion(const struct hub *h, const struct mdm_entity *sp)
{
	const struct mdm_role *r = mdm_role(sp, MDM_ROLE_SP);

	return h->ctx->conf.sign_assertions || (r != NULL && r->want_assertions_signed == 1);
}

/* What the hub tells the service about the person, and the audit's list of names. */
struct sso_release {
	const char *sp, *idp, *user;      /* user: the stable key, or the IdP's NameID */
	const char *fmt;                  /* NameID format to issue */
	const struct saml_assertion *a;   /* what the IdP sent (scope-filtered) */
	const struct mdm_entity *sp_model;
	const char *scope;                /* the IdP's scope, for the identifiers the hub makes */
	int attr_index;
	json_t *released;                 /* friendly names released (out) */
	char nameid[REL_PSEUDONYM_LEN + 2];              /* (out) */
	struct hub_attr_out out[SAML_MAX_ATTRS + 2];     /* (out) */
	int nout;
	char made[2][REL_PSEUDONYM_LEN + 260];           /* values of the identifiers made */
	const char *made_v[2];
};

static void sso_out(struct sso_release *x, const struct attr_def *d, const char *name,
                    const char *const *values, int n)
{
	struct hub_attr_out *o = &x->out[x->nout++];

	o->name = name;
	o->friendly = d ? d->friendly : NULL;
	o->values = values;
	o->nvalues = n;
	json_array_append_new(x->released, json_string(d ? d->friendly : name));
}

/* The NameID and the attributes released to the service, into x. */
static int sso_release(struct hub *h, struct sso_release *x, struct agr *ag, struct tl_err *err)
{
	struct rel_set wanted;
	struct store_txn txn;
	char id[REL_PSEUDONYM_LEN + 2];
	int rc;

	/* NameID */
	if (strcmp(x->fmt, SSO_NAMEID_PERSISTENT) == 0) {
		if ((rc = rel_pseudonym(h->secret, sizeof(h->secret), SSO_LABEL_PERSISTENT, x->idp, x->user,
		                        x->sp, x->nameid)) != TL_OK)
			return tl_err_set(err, rc, "cannot compute the persistent NameID");
	} else {
		x->nameid[0] = '_';
		if ((rc = hub_random_hex(x->nameid + 1, REL_PSEUDONYM_LEN / 2, err)) != TL_OK)
			return rc;
	}
	x->released = json_array();
	x->nout = 0;
	/* attributes: wanted, within the agreement, of what the IdP sent */
	if ((rc = store_txn_begin(h->ctx->store, &txn, 1, err)) != TL_OK)
		return rc;
	rc = agr_get(&txn, x->sp, ag, err);
	store_abort(&txn);
	if (rc == TL_ENOENT) {
		log_info("sso: %s has no attribute release agreement: no attributes released", x->sp);
		return TL_OK;
	}
	if (rc != TL_OK)
		return rc;
	rel_wanted(x->sp_model, x->attr_index, &wanted);
	for (int i = 0; i < x->a->nattrs && x->nout < SAML_MAX_ATTRS; i++) {
		const struct saml_attr *at = &x->a->attrs[i];
		const struct attr_def *d = at->name ? attr_find(at->name) : NULL;
		const char *name = d ? d->name : at->name;
		if (name == NULL || !rel_set_has(&wanted, name) || !agr_allows(ag, name))
			continue;
		if (strcmp(name, "urn:oasis:names:tc:SAML:attribute:pairwise-id") == 0)
			continue; /* the IdP's pairwise-id is for the hub; services get their own */
		sso_out(x, d, name, (const char *const *)at->values, at->nvalues);
	}
	/* identifiers the hub makes, scoped with the IdP's scope */
	if (x->scope != NULL && x->user != NULL) {
		static const struct { const char *friendly, *label; int per_sp; } made[] = {
			{ "subject-id", SSO_LABEL_SUBJECT, 0 }, { "pairwise-id", SSO_LABEL_PAIRWISE, 1 },
		};
		for (size_t k = 0; k < sizeof(made) / sizeof(made[0]); k++) {
			const struct attr_def *d = attr_find(made[k].friendly);
			int dup = 0;
			if (d == NULL || !rel_set_has(&wanted, d->name) || !agr_allows(ag, d->name))
				continue;
			for (int j = 0; j < x->nout; j++) /* an IdP's own subject-id was passed on above */
				dup |= strcmp(x->out[j].name, d->name) == 0;
			if (dup || rel_pseudonym(h->secret, sizeof(h->secret), made[k].label, x->idp, x->user,
			                         made[k].per_sp ? x->sp : NULL, id) != TL_OK)
				continue;
			snprintf(x->made[k], sizeof(x->made[k]), "%s@%s", id, x->scope);
			x->made_v[k] = x->made[k];
			sso_out(x, d, d->name, &x->made_v[k], 1);
		}
	}
	return TL_OK;
}

/* Accept the response once: delete the upstream request and the state, remember the assertion. */
static int sso_consume(struct hub *h, const char *req_id, const char *nonce,
                       const unsigned char *akey, time_t aexp, struct tl_err *err)
{
	struct store_txn txn;
	struct store_val v;
	unsigned char e[8];
	int rc;

	if ((rc = store_txn_begin(h->sso, &txn, 0, err)) != TL_OK)
		return rc;
	if (store_get(&txn, STORE_DB_SSO_UPREQ, req_id, strlen(req_id), &v) != TL_OK) {
		store_abort(&txn);
		return tl_err_set(err, TL_ESTATE, "the request this response answers was already answered");
	}
	if (akey != NULL && store_get(&txn, STORE_DB_SSO_REPLAY, akey, 1 + UTIL_SHA256_LEN, &v) == TL_OK) {
		store_abort(&txn);
		return tl_err_set(err, TL_ESTATE, "the assertion was already used (replay)");
	}
	store_del(&txn, STORE_DB_SSO_UPREQ, req_id, strlen(req_id));
	store_del(&txn, STORE_DB_SSO_STATE, nonce, strlen(nonce));
	if (akey != NULL) {
		store_be64(e, (uint64_t)aexp);
		store_put(&txn, STORE_DB_SSO_REPLAY, akey, 1 + UTIL_SHA256_LEN, e, 8);
	}
	return store_commit(&txn, err);
}

static int sso_audit(struct hub *h, const struct sso_release *x, const char *cls, struct tl_err *err)
{
	struct store_txn txn;
	json_t *details;
	int rc;

	details = json_pack("{s:s, s:s, s:O, s:s, s:s?}", "idp", x->idp, "service", x->sp, "attributes",
	                    x->released ? x->released : json_array(), "nameid_format", x->fmt,
	                    "authn_context", cls);
	if (details == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	if (h->auditq != NULL)
		rc = audit_queue_post(h->auditq, "sso", "sso.login", x->sp, details, err);
	else if ((rc = store_txn_begin(h->ctx->store, &txn, 0, err)) == TL_OK) {
		audit_append(&txn, "sso", "sso.login", x->sp, details);
		rc = store_commit(&txn, err);
	}
	json_decref(details);
	return rc;
}

/* An upstream error status, passed on to the service (Responder / the IdP's second level). */
static const char *sso_upstream_status(const struct saml_response *r)
{
	if (r->status2 != NULL)
		return r->status2;
	if (r->status != NULL && strcmp(r->status, SSO_ST_REQUESTER) != 0 &&
	    strcmp(r->status, SSO_ST_RESPONDER) != 0)
		return r->status;
	return SSO_ST_AUTHN_FAILED;
}

void hub_acs(struct hub *h, const struct hub_request *rq, struct hub_response *rs)
{
	const struct conf *c = &h->ctx->conf;
	struct tl_err err = { 0 };
	struct saml_response r;
	struct saml_assertion dec, *a = NULL;
	struct hub_pentry *pe = NULL, *spe = NULL;
	struct sso_release x;
	struct agr ag;
	LassoLogin *up = NULL;
	xmlDocPtr decdoc = NULL;
	char *xml = NULL, *b64 = NULL, *relay = NULL, *nonce = NULL, *idp = NULL, *scope = NULL;
	size_t xlen = 0;
	time_t uexp = 0, sexp = 0, now = util_now(), aexp = 0;
	unsigned char akey[1 + UTIL_SHA256_LEN];
	json_t *state = NULL;
	const char *sp = NULL, *cls = NULL, *upstream_error = NULL;
	int bad = 0, rc, lrc;

	memset(&r, 0, sizeof(r));
	memset(&dec, 0, sizeof(dec));
	memset(&x, 0, sizeof(x));
	memset(&ag, 0, sizeof(ag));
	if (rq->body == NULL || rq->body_len == 0) {
		sso_refuse(h, rs, 400, rq->client, "no SAMLResponse in the request (HTTP-POST binding)");
		goto out;
	}
	relay = saml_field(rq->body, rq->body_len, "RelayState", SAML_RELAY_STATE_MAX, &bad);
	if ((rc = sso_message(rq->body, rq->body_len, "SAMLResponse", 0, &xml, &xlen, &err)) != TL_OK ||
	    (rc = saml_response_check(xml, xlen, &h->lim, &r, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc) == 403 ? 403 : sso_status_of(rc), rq->client,
		           "the response is refused: %s", err.msg);
		goto out;
	}
	if (r.in_response_to == NULL) {
		sso_refuse(h, rs, 400, r.issuer, "the response is refused: unsolicited (no InResponseTo); "
		                                 "the hub accepts only answers to its own requests");
		goto out;
	}
	if ((rc = sso_upreq_get(h, r.in_response_to, &nonce, &idp, &uexp, &err)) != TL_OK) {
		sso_refuse(h, rs, 400, r.issuer, "the response is refused: %s", err.msg);
		goto out;
	}
	if (uexp < now) {
		sso_refuse(h, rs, 400, idp, "the response is refused: the login it answers has expired");
		goto out;
	}
	if (relay != NULL && strcmp(relay, nonce) != 0) {
		sso_refuse(h, rs, 400, idp, "the response is refused: its RelayState is not the request's");
		goto out;
	}
	if ((state = sso_state_get(h, nonce, &sexp, &err)) == NULL) {
		sso_refuse(h, rs, 400, idp, "%s", err.msg);
		goto out;
	}
	sp = sso_js(state, "sp");

	/* the IdP: approved, not suspended; lasso verifies and decrypts */
	if ((rc = hub_prov_acquire(h, &h->sp_side, idp, &pe, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc), idp, "the response is refused: %s", err.msg);
		goto out;
	}
	/*
	 * Signatures: verified here, on the tree that was read and is used.
	 * A verified signature of the Response covers its one assertion
	 * (a child of it, encrypted or not), so the assertion's own is then
	 * not checked again (as lasso does); an unsigned Response needs a
	 * signed assertion.
	 */
	if (r.signed_itself && (rc = xsig_verify(r.root, pe->keys, pe->nkeys, &err)) != TL_OK) {
		sso_refuse(h, rs, 403, idp, "the response is refused: its signature: %s", err.msg);
		goto out;
	}
	if (r.status == NULL || strcmp(r.status, SAML_STATUS_SUCCESS) != 0) {
		/* the IdP said no: tell the service */
		if (r.issuer != NULL && strcmp(r.issuer, idp) != 0) {
			sso_refuse(h, rs, 400, idp, "the response is refused: its Issuer is %.300s", r.issuer);
			goto out;
		}
		upstream_error = sso_upstream_status(&r);
	} else if (r.nassertions != 1) {
		sso_refuse(h, rs, 403, idp, "the response is refused: it holds no assertion");
		goto out;
	} else {
		if (r.encrypted) {
			/* lasso decrypts with the hub's key; the signatures are checked here */
			LassoNode *n;
			xmlNode *orig;
			up = lasso_login_new(h->sp_side.server);
			lasso_profile_set_signature_verify_hint(LASSO_PROFILE(up),
			                                        LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
			b64 = saml_field(rq->body, rq->body_len, "SAMLResponse", SAML_FIELD_MAX, &bad);
			lrc = lasso_login_process_authn_response_msg(up, b64);
			n = lrc == 0 ? lasso_login_get_assertion(up) : NULL;
			orig = n ? lasso_node_get_original_xmlnode(n) : NULL;
			/* the decrypted element, as a document of its own (namespaces reconciled) */
			if (orig != NULL && (decdoc = xmlNewDoc(BAD_CAST "1.0")) != NULL) {
				xmlNodePtr copy = xmlDocCopyNode(orig, decdoc, 1);
				if (copy != NULL)
					xmlDocSetRootElement(decdoc, copy);
				orig = copy;
			}
			rc = orig ? saml_assertion_check_node(orig, &dec, &err)
			          : tl_err_set(&err, TL_ECRYPTO, "the assertion cannot be decrypted (%s)",
			                       lasso_strerror(lrc));
			if (rc == TL_OK && dec.signed_itself && !r.signed_itself)
				rc = xsig_verify(orig, pe->keys, pe->nkeys, &err);
			if (n != NULL)
				g_object_unref(n);
			if (rc != TL_OK) {
				sso_refuse(h, rs, 403, idp, "the response is refused: %s", err.msg);
				goto out;
			}
			a = &dec;
		} else {
			a = &r.a;
			if (a->signed_itself && !r.signed_itself &&
			    (rc = xsig_verify(r.assertion, pe->keys, pe->nkeys, &err)) != TL_OK) {
				sso_refuse(h, rs, 403, idp, "the response is refused: the assertion's signature: %s",
				           err.msg);
				goto out;
			}
		}
		if (!r.signed_itself && !a->signed_itself) {
			sso_refuse(h, rs, 403, idp, "the response is refused: neither it nor its assertion is signed");
			goto out;
		}
		if ((rc = sso_check_assertion(h, &r, a, idp, r.in_response_to, &err)) != TL_OK) {
			sso_refuse(h, rs, 403, idp, "the response is refused: %s", err.msg);
			goto out;
		}
		{
			int dropped = rel_filter_scoped(a, mdm_role(pe->model, MDM_ROLE_IDP));
			if (dropped > 0)
				log_info("sso: %s: dropped %d scoped value%s outside the IdP's scopes", idp, dropped,
				         dropped == 1 ? "" : "s");
		}
		if (rel_idp_scope(mdm_role(pe->model, MDM_ROLE_IDP)) != NULL &&
		    (scope = strdup(rel_idp_scope(mdm_role(pe->model, MDM_ROLE_IDP)))) == NULL) {
			sso_refuse(h, rs, 500, idp, "out of memory");
			goto out;
		}
	}
	if (up != NULL)
		lasso_login_destroy(up);
	up = NULL;
	hub_prov_release(&h->sp_side); /* one side at a time */
	pe = NULL;

	/* answer the service */
	if ((rc = hub_prov_acquire(h, &h->idp_side, sp, &spe, &err)) != TL_OK) {
		sso_refuse(h, rs, sso_status_of(rc), sp, "the service is no longer allowed to use the hub: %s",
		           err.msg);
		goto out;
	}
	if (upstream_error == NULL) {
		cls = sso_assurance(h, idp, a->authn_class, json_object_get(state, "classes"),
		                    sso_js(state, "cmp"));
		if (cls == NULL)
			upstream_error = SSO_ST_NO_AUTHN_CONTEXT;
	}
	if (a != NULL) {
		aexp = (a->not_on_or_after > a->sc_not_on_or_after ? a->not_on_or_after : a->sc_not_on_or_after) +
		       (time_t)c->clock_skew;
		if (aexp < now + (time_t)c->clock_skew)
			aexp = now + (time_t)c->clock_skew;
		sso_replay_key('A', idp, a->id, akey);
	}
	if ((rc = sso_consume(h, r.in_response_to, nonce, a ? akey : NULL, aexp, &err)) != TL_OK) {
		sso_refuse(h, rs, rc == TL_ESTATE ? 400 : 500, idp, "the response is refused: %s", err.msg);
		goto out;
	}
	if (upstream_error != NULL) {
		char msg[512];
		if (strcmp(upstream_error, SSO_ST_NO_AUTHN_CONTEXT) == 0 && a != NULL)
			snprintf(msg, sizeof(msg), "the IdP authenticated with %.200s, which it is not certified "
			                           "for or the service did not ask for", a->authn_class ? a->authn_class : "no class");
		else
			snprintf(msg, sizeof(msg), "the IdP answered %.200s%s%.200s", upstream_error,
			         r.status_message ? ": " : "", r.status_message ? r.status_message : "");
		sso_send_error(h, rs, sp, sso_js(state, "acs"), sso_js(state, "req"), sso_js(state, "relay"),
		               SSO_ST_RESPONDER, upstream_error, msg);
		goto out;
	}
	x.sp = sp;
	x.idp = idp;
	x.user = rel_user_key(a);
	if (x.user == NULL)
		x.user = a->name_id;
	x.fmt = sso_js(state, "fmt");
	x.a = a;
	x.sp_model = spe->model;
	x.scope = scope;
	x.attr_index = (int)json_integer_value(json_object_get(state, "attr_index"));
	if (x.user == NULL || x.fmt == NULL || sso_js(state, "acs") == NULL) {
		sso_refuse(h, rs, 400, idp, "the IdP's assertion names no subject");
		goto out;
	}
	if ((rc = sso_release(h, &x, &ag, &err)) != TL_OK) {
		sso_refuse(h, rs, 500, sp, "cannot build the assertion: %s", err.msg);
		goto out;
	}
	if ((rc = sso_audit(h, &x, cls, &err)) != TL_OK) {
		sso_refuse(h, rs, 500, sp, "cannot record the login in the audit log: %s", err.msg);
		goto out;
	}
	{
		struct hub_resp_in in;
		memset(&in, 0, sizeof(in));
		in.sp = sp;
		in.acs = sso_js(state, "acs");
		in.in_response_to = sso_js(state, "req");
		in.relay = sso_js(state, "relay");
		in.nameid = x.nameid;
		in.nameid_fmt = x.fmt;
		in.cls = cls;
		in.authn_instant = a->authn_instant;
		in.attrs = x.out;
		in.nattrs = x.nout;
		in.enc = h->idp_side.encrypt ? spe->enc : NULL;
		in.gcm = spe->gcm;
		in.sign_assertion = sso_sign_assertion(h, spe->model);
		hub_resp_send(h, rs, &in);
	}
	/*
	 * Logins read each service's records from the store's mapping; what
	 * they touched stays in the resident set until let go, so let it go
	 * now and then (the pages stay in the page cache).
	 */
	store_drop_pages_every(h->ctx->store, (size_t)atomic_fetch_add(&h->n_logins, 1) + 1);
	if (log_enabled(LOG_LVL_INFO)) {
		char *names = json_dumps(x.released, JSON_COMPACT);
		log_info("sso: login at %s for %s, released %s", idp, sp, names ? names : "[]");
		free(names);
	}
out:
	if (up != NULL)
		lasso_login_destroy(up);
	xmlFreeDoc(decdoc);
	agr_free(&ag);
	if (pe != NULL)
		hub_prov_release(&h->sp_side);
	if (spe != NULL)
		hub_prov_release(&h->idp_side);
	json_decref(x.released);
	json_decref(state);
	saml_response_free(&r);
	saml_assertion_free(&dec);
	free(xml);
	free(b64);
	free(relay);
	free(nonce);
	free(idp);
	free(scope);
}
