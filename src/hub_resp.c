/*
 * hub_resp.c - the hub's Responses to services: written here, the
 * assertion signed, encrypted when the service has a key for it, the
 * Response signed (xsig.h), and delivered by the auto-submitting form.
 *
 * (lasso would build them too, but it copies the RSA key for every
 * signature under OpenSSL 3, which costs more than the rest of a login.)
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "tillit/attr.h"
#include "tillit/log.h"
#include "tillit/xsig.h"

#define RESP_NS "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" " \
	"xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""

static void resp_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	buf_xml_escape(b, value);
	buf_puts(b, "\"");
}

static void resp_text(struct buf *b, const char *open, const char *value, const char *close)
{
	buf_puts(b, open);
	buf_xml_escape(b, value);
	buf_puts(b, close);
}

/* The assertion element (with its own namespace declarations: it may be encrypted alone). */
static void resp_assertion(struct hub *h, struct buf *b, const struct hub_resp_in *in, const char *aid,
                           time_t now)
{
	const struct conf *c = &h->ctx->conf;
	char t_now[32], t_nb[32], t_noa[32], t_ai[32];

	hub_time(now, t_now);
	hub_time(now - (time_t)c->clock_skew, t_nb);
	hub_time(now + (time_t)c->assertion_lifetime, t_noa);
	hub_time(in->authn_instant, t_ai);
	buf_printf(b, "<saml:Assertion " RESP_NS " ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\">", aid, t_now);
	resp_text(b, "<saml:Issuer>", h->idp_id, "</saml:Issuer>");
	buf_puts(b, "<saml:Subject><saml:NameID");
	resp_attr(b, "Format", in->nameid_fmt);
	resp_attr(b, "NameQualifier", h->idp_id);
	resp_attr(b, "SPNameQualifier", in->sp);
	resp_text(b, ">", in->nameid, "</saml:NameID>");
	buf_puts(b, "<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
	            "<saml:SubjectConfirmationData");
	resp_attr(b, "InResponseTo", in->in_response_to);
	resp_attr(b, "NotOnOrAfter", t_noa);
	resp_attr(b, "Recipient", in->acs);
	buf_puts(b, "/></saml:SubjectConfirmation></saml:Subject>");
	buf_printf(b, "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><saml:AudienceRestriction>", t_nb, t_noa);
	resp_text(b, "<saml:Audience>", in->sp, "</saml:Audience>");
	buf_puts(b, "</saml:AudienceRestriction></saml:Conditions>");
	buf_printf(b, "<saml:AuthnStatement AuthnInstant=\"%s\" SessionIndex=\"%s\"><saml:AuthnContext>", t_ai, aid);
	resp_text(b, "<saml:AuthnContextClassRef>", in->cls, "</saml:AuthnContextClassRef>");
	buf_puts(b, "</saml:AuthnContext></saml:AuthnStatement>");
	if (in->nattrs > 0) {
		buf_puts(b, "<saml:AttributeStatement>");
		for (int i = 0; i < in->nattrs; i++) {
			const struct hub_attr_out *a = &in->attrs[i];
			buf_puts(b, "<saml:Attribute");
			resp_attr(b, "Name", a->name);
			resp_attr(b, "NameFormat", ATTR_NAMEFORMAT_URI);
			if (a->friendly != NULL)
				resp_attr(b, "FriendlyName", a->friendly);
			buf_puts(b, ">");
			for (int k = 0; k < a->nvalues; k++)
				resp_text(b, "<saml:AttributeValue>", a->values[k], "</saml:AttributeValue>");
			buf_puts(b, "</saml:Attribute>");
		}
		buf_puts(b, "</saml:AttributeStatement>");
	}
	buf_puts(b, "</saml:Assertion>");
}

static xmlNodePtr resp_child(xmlNodePtr e, const char *name)
{
	for (xmlNodePtr c = e->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST name))
			return c;
	return NULL;
}

int hub_resp_build(struct hub *h, const struct hub_resp_in *in, char **b64, struct tl_err *err)
{
	char rid[2 * 16 + 2], aid[2 * 16 + 2], t_now[32];
	struct buf b;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, as;
	xmlChar *out = NULL;
	int outlen = 0, rc;
	time_t now = util_now();

	*b64 = NULL;
	rid[0] = aid[0] = '_';
	if ((rc = hub_random_hex(rid + 1, 16, err)) != TL_OK || (rc = hub_random_hex(aid + 1, 16, err)) != TL_OK)
		return rc;
	hub_time(now, t_now);
	buf_init(&b, HUB_STATE_MAX * 4);
	buf_printf(&b, "<samlp:Response " RESP_NS " ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\"", rid, t_now);
	resp_attr(&b, "Destination", in->acs);
	if (in->in_response_to != NULL)
		resp_attr(&b, "InResponseTo", in->in_response_to);
	buf_puts(&b, ">");
	resp_text(&b, "<saml:Issuer>", h->idp_id, "</saml:Issuer>");
	if (in->status2 == NULL) {
		buf_puts(&b, "<samlp:Status><samlp:StatusCode Value=\"" SAML_STATUS_SUCCESS "\"/></samlp:Status>");
		resp_assertion(h, &b, in, aid, now);
	} else {
		buf_puts(&b, "<samlp:Status><samlp:StatusCode");
		resp_attr(&b, "Value", in->status1 ? in->status1 : HUB_ST_RESPONDER);
		buf_puts(&b, "><samlp:StatusCode");
		resp_attr(&b, "Value", in->status2);
		buf_puts(&b, "/></samlp:StatusCode>");
		if (in->message != NULL)
			resp_text(&b, "<samlp:StatusMessage>", in->message, "</samlp:StatusMessage>");
		buf_puts(&b, "</samlp:Status>");
	}
	if (buf_puts(&b, "</samlp:Response>") != TL_OK) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the response");
		goto out;
	}
	doc = xmlReadMemory(b.data, (int)b.len, NULL, "UTF-8", XML_PARSE_NONET);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL) {
		rc = tl_err_set(err, TL_EINTERNAL, "the response the hub wrote is not well-formed");
		goto out;
	}
	as = resp_child(root, "Assertion");
	if (as != NULL) {
		if ((rc = xsig_sign(as, h->sign_pkey, err)) != TL_OK)
			goto out;
		if (in->enc != NULL && (rc = xsig_encrypt(as, in->enc, in->gcm, "EncryptedAssertion", err)) != TL_OK)
			goto out;
	}
	if ((rc = xsig_sign(root, h->sign_pkey, err)) != TL_OK)
		goto out;
	xmlDocDumpMemoryEnc(doc, &out, &outlen, "UTF-8");
	if (out == NULL || (*b64 = util_base64(out, (size_t)outlen)) == NULL)
		rc = tl_err_set(err, TL_ENOMEM, "out of memory writing the response");
out:
	xmlFree(out);
	xmlFreeDoc(doc);
	buf_free(&b);
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
