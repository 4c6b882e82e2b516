/*
 * hub_resp.c - the hub's Responses to services: written here, the
 * assertion signed (unless the caller says not to), encrypted when the
 * service has a key for it, the Response signed (xsig.h), and delivered
 * by the auto-submitting form.
 *
 * (lasso would build them too, but it copies the RSA key for every
 * signature under OpenSSL 3, which costs more than the rest of a login.)
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tillit/attr.h"
#include "tillit/log.h"
#include "tillit/xsig.h"

#define RESP_NS_SAMLP "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\""
#define RESP_NS_SAML "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""

/*
 * Everything here is written in exclusive C14N form (see xsig_sign_c14n):
 * attributes in name order, each namespace declared on the element that
 * first uses it, empty elements with end tags, and C14N's escaping below.
 * The text is signed as written, without parsing it back.
 */

/*
 * C14N's escaping: in text & < > and carriage return; in attribute
 * values (in_attr) & < " tab newline carriage return.
 */
static void resp_c14n(struct buf *b, const char *s, int in_attr)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '\r': rep = "&#xD;"; break;
		case '>': rep = in_attr ? NULL : "&gt;"; break;
		case '"': rep = in_attr ? "&quot;" : NULL; break;
		case '\t': rep = in_attr ? "&#x9;" : NULL; break;
		case '\n': rep = in_attr ? "&#xA;" : NULL; break;
		default: break;
		}
		if (rep == NULL)
			continue;
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

static void resp_attr(struct buf *b, const char *name, const char *value)
{
	buf_cat(b, " ", name, "=\"", (char *)NULL);
	resp_c14n(b, value, 1);
	buf_puts(b, "\"");
}

static void resp_text(struct buf *b, const char *open, const char *value, const char *close)
{
	buf_puts(b, open);
	resp_c14n(b, value, 0);
	buf_puts(b, close);
}

/*
 * The assertion element, declaring saml: itself (it may be encrypted
 * alone); *at is set to the end of its Issuer, where its Signature goes.
 */
static void resp_assertion(struct hub *h, struct buf *b, const struct hub_resp_in *in, const char *aid,
                           time_t now, size_t *at)
{
	const struct conf *c = &h->ctx->conf;
	char t_now[32], t_nb[32], t_noa[32], t_ai[32];

	hub_time(now, t_now);
	hub_time(now - (time_t)c->clock_skew, t_nb);
	hub_time(now + (time_t)c->assertion_lifetime, t_noa);
	hub_time(in->authn_instant, t_ai);
	buf_cat(b, "<saml:Assertion " RESP_NS_SAML " ID=\"", aid, "\" IssueInstant=\"", t_now, "\" Version=\"2.0\">",
	        (char *)NULL);
	resp_text(b, "<saml:Issuer>", h->idp_id, "</saml:Issuer>");
	*at = b->len;
	buf_puts(b, "<saml:Subject><saml:NameID");
	resp_attr(b, "Format", in->nameid_fmt);
	resp_attr(b, "NameQualifier", h->idp_id);
	resp_attr(b, "SPNameQualifier", in->sp);
	resp_text(b, ">", in->nameid, "</saml:NameID>");
	buf_puts(b, "<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
	            "<saml:SubjectConfirmationData");
	if (in->in_response_to != NULL)
		resp_attr(b, "InResponseTo", in->in_response_to);
	resp_attr(b, "NotOnOrAfter", t_noa);
	resp_attr(b, "Recipient", in->acs);
	buf_puts(b, "></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>");
	buf_cat(b, "<saml:Conditions NotBefore=\"", t_nb, "\" NotOnOrAfter=\"", t_noa, "\"><saml:AudienceRestriction>",
	        (char *)NULL);
	resp_text(b, "<saml:Audience>", in->sp, "</saml:Audience>");
	buf_puts(b, "</saml:AudienceRestriction></saml:Conditions>");
	buf_cat(b, "<saml:AuthnStatement AuthnInstant=\"", t_ai, "\" SessionIndex=\"", aid, "\"><saml:AuthnContext>",
	        (char *)NULL);
	resp_text(b, "<saml:AuthnContextClassRef>", in->cls, "</saml:AuthnContextClassRef>");
	buf_puts(b, "</saml:AuthnContext></saml:AuthnStatement>");
	if (in->nattrs > 0) {
		buf_puts(b, "<saml:AttributeStatement>");
		for (int i = 0; i < in->nattrs; i++) {
			const struct hub_attr_out *a = &in->attrs[i];
			buf_puts(b, "<saml:Attribute");
			if (a->friendly != NULL)
				resp_attr(b, "FriendlyName", a->friendly);
			resp_attr(b, "Name", a->name);
			resp_attr(b, "NameFormat", ATTR_NAMEFORMAT_URI);
			buf_puts(b, ">");
			for (int k = 0; k < a->nvalues; k++)
				resp_text(b, "<saml:AttributeValue>", a->values[k], "</saml:AttributeValue>");
			buf_puts(b, "</saml:Attribute>");
		}
		buf_puts(b, "</saml:AttributeStatement>");
	}
	buf_puts(b, "</saml:Assertion>");
}

int hub_resp_build(struct hub *h, const struct hub_resp_in *in, char **b64, struct tl_err *err)
{
	char rid[2 * 16 + 2], aid[2 * 16 + 2], t_now[32];
	struct buf a, sa, ea, r, sr;
	size_t a_at = 0, r_at;
	int rc;
	time_t now = util_now();

	*b64 = NULL;
	rid[0] = aid[0] = '_';
	if ((rc = hub_random_hex(rid + 1, 16, err)) != TL_OK || (rc = hub_random_hex(aid + 1, 16, err)) != TL_OK)
		return rc;
	hub_time(now, t_now);
	buf_init(&a, HUB_STATE_MAX * 4);
	buf_init(&sa, HUB_STATE_MAX * 4);
	buf_init(&ea, HUB_STATE_MAX * 8);
	buf_init(&r, HUB_STATE_MAX * 8);
	buf_init(&sr, HUB_STATE_MAX * 8);
	if (in->status2 == NULL) {
		/* the assertion, signed if asked, then encrypted when the service has a key for it */
		resp_assertion(h, &a, in, aid, now, &a_at);
		if (a.data == NULL) {
			rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the assertion");
			goto fail;
		}
		if (in->sign_assertion)
			rc = xsig_sign_c14n(&sa, a.data, a.len, a_at, aid, &h->sign_pkey, err);
		else if (buf_append(&sa, a.data, a.len) != TL_OK)
			rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the assertion");
		if (rc != TL_OK)
			goto fail;
		if (in->enc != NULL &&
		    (rc = xsig_encrypt_c14n(&ea, sa.data, sa.len, in->enc, in->gcm,
		                            "<saml:EncryptedAssertion " RESP_NS_SAML ">",
		                            "</saml:EncryptedAssertion>", err)) != TL_OK)
			goto fail;
	}
	buf_puts(&r, "<samlp:Response " RESP_NS_SAMLP);
	resp_attr(&r, "Destination", in->acs);
	resp_attr(&r, "ID", rid);
	if (in->in_response_to != NULL)
		resp_attr(&r, "InResponseTo", in->in_response_to);
	resp_attr(&r, "IssueInstant", t_now);
	buf_puts(&r, " Version=\"2.0\">");
	resp_text(&r, "<saml:Issuer " RESP_NS_SAML ">", h->idp_id, "</saml:Issuer>");
	r_at = r.len;
	if (in->status2 == NULL) {
		buf_puts(&r, "<samlp:Status><samlp:StatusCode Value=\"" SAML_STATUS_SUCCESS "\"></samlp:StatusCode>"
		             "</samlp:Status>");
		if (in->enc != NULL)
			buf_append(&r, ea.data, ea.len);
		else
			buf_append(&r, sa.data, sa.len);
	} else {
		buf_puts(&r, "<samlp:Status><samlp:StatusCode");
		resp_attr(&r, "Value", in->status1 ? in->status1 : HUB_ST_RESPONDER);
		buf_puts(&r, "><samlp:StatusCode");
		resp_attr(&r, "Value", in->status2);
		buf_puts(&r, "></samlp:StatusCode></samlp:StatusCode>");
		if (in->message != NULL)
			resp_text(&r, "<samlp:StatusMessage>", in->message, "</samlp:StatusMessage>");
		buf_puts(&r, "</samlp:Status>");
	}
	if (buf_puts(&r, "</samlp:Response>") != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the response");
		goto fail;
	}
	if ((rc = xsig_sign_c14n(&sr, r.data, r.len, r_at, rid, &h->sign_pkey, err)) != TL_OK)
		goto fail;
	if ((*b64 = util_base64((const unsigned char *)sr.data, sr.len)) == NULL)
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the response");
fail:
	if (a.data != NULL)
		OPENSSL_cleanse(a.data, a.len); /* the attributes in the clear */
	if (sa.data != NULL)
		OPENSSL_cleanse(sa.data, sa.len);
	buf_free(&a);
	buf_free(&sa);
	buf_free(&ea);
	buf_free(&r);
	buf_free(&sr);
	return rc;
}

void hub_resp_send(struct hub *h, struct hub_response *rs, const struct hub_resp_in *in)
{
	struct tl_err err = { 0 };
	char *b64 = NULL;
	const char *fields[4];

	if (hub_resp_build(h, in, &b64, &err) != TL_OK) {
		log_warn("sso: cannot answer %s: %s", in->sp, err.msg);
		hub_page(h, rs, 500, "Tekniskt fel / Technical error", "the hub cannot build its response: %s",
		         err.msg);
		return;
	}
	fields[0] = "SAMLResponse";
	fields[1] = b64;
	fields[2] = "RelayState";
	fields[3] = in->relay;
	hub_post_form(h, rs, in->acs, fields, 2);
	free(b64);
	if (in->status2 != NULL) {
		atomic_fetch_add(&h->n_errors_sent, 1);
		log_info("sso: sent %s to %s: %s", in->status2, in->sp, in->message ? in->message : "");
	}
}
