/* sign.c - enveloped RSA-SHA256 signatures with exclusive C14N. */
#include "tillit/sign.h"

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/keys.h"
#include "tillit/util.h"

#define SIGN_NS_DS "http://www.w3.org/2000/09/xmldsig#"

int sign_key_load(struct sign_key *k, const char *keypath, const char *certpath,
                  struct tl_err *err)
{
	EVP_PKEY *pkey;
	X509 *x;
	int rc;

	memset(k, 0, sizeof(*k));
	pkey = keys_load_private(keypath, err);
	if (pkey == NULL)
		return err ? err->code : TL_ECRYPTO;
	/* the signing context set up once, copied for each document (xsig.h) */
	if ((rc = xsig_key_init(&k->key, pkey, 1, err)) != TL_OK)
		return tl_err_set(err, rc, "%s: OpenSSL cannot sign with this key", keypath);
	x = keys_load_cert(certpath, err);
	if (x == NULL) {
		sign_key_free(k);
		return err ? err->code : TL_ECRYPTO;
	}
	k->cert_b64 = keys_cert_base64(x);
	X509_free(x);
	if (k->cert_b64 == NULL) {
		sign_key_free(k);
		return tl_err_set(err, TL_ECRYPTO, "%s: cannot encode the certificate", certpath);
	}
	return TL_OK;
}

void sign_key_free(struct sign_key *k)
{
	xsig_key_done(&k->key);
	free(k->cert_b64);
	k->cert_b64 = NULL;
}

int sign_signature_xml(const struct sign_key *k, const char *ref_id,
                       const unsigned char digest[32], struct buf *out, struct tl_err *err)
{
	struct buf si;
	char *sv = NULL;
	int rc;

	buf_init(&si, 8192);
	if ((rc = xsig_signed_info(&si, ref_id, digest, &k->key, &sv, err)) != TL_OK)
		goto out;
	/* SignedInfo kept as its own canonicalisation renders it (xmlns:ds repeated) */
	rc = buf_puts(out, "<ds:Signature xmlns:ds=\"" SIGN_NS_DS "\">");
	if (rc == TL_OK)
		rc = buf_append(out, si.data, si.len);
	if (rc == TL_OK)
		rc = buf_printf(out,
		                "<ds:SignatureValue>%s</ds:SignatureValue><ds:KeyInfo><ds:X509Data>"
		                "<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
		                "</ds:Signature>",
		                sv, k->cert_b64);
	if (rc != TL_OK)
		rc = tl_err_set(err, rc, "signature does not fit the output buffer");
out:
	free(sv);
	buf_free(&si);
	return rc;
}

int sign_c14n(xmlDocPtr doc, unsigned char **out, struct tl_err *err)
{
	xmlChar *c = NULL;
	int n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, &c);

	if (n < 0) {
		tl_err_set(err, TL_ECRYPTO, "exclusive canonicalisation failed");
		return -1;
	}
	*out = c;
	return n;
}

int sign_doc(const struct sign_key *k, xmlDocPtr doc, struct tl_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), sig = NULL, first;
	xmlDocPtr sigdoc = NULL;
	xmlChar *id = NULL;
	unsigned char *c14n = NULL, digest[32];
	struct buf sb;
	int n, rc;

	buf_init(&sb, 64 * 1024);
	if (root == NULL || (id = xmlGetProp(root, BAD_CAST "ID")) == NULL) {
		rc = tl_err_set(err, TL_EINVAL, "the root element has no ID attribute to sign");
		goto out;
	}
	n = sign_c14n(doc, &c14n, err);
	if (n < 0) {
		rc = TL_ECRYPTO;
		goto out;
	}
	util_sha256(c14n, (size_t)n, digest);
	rc = sign_signature_xml(k, (const char *)id, digest, &sb, err);
	if (rc != TL_OK)
		goto out;
	sigdoc = xmlReadMemory(sb.data, (int)sb.len, NULL, "UTF-8", XML_PARSE_NONET);
	if (sigdoc == NULL) {
		rc = tl_err_set(err, TL_EINTERNAL, "our own signature does not parse");
		goto out;
	}
	sig = xmlDocCopyNode(xmlDocGetRootElement(sigdoc), doc, 1);
	if (sig == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory inserting the signature");
		goto out;
	}
	first = root->children;
	if (first != NULL)
		xmlAddPrevSibling(first, sig);
	else
		xmlAddChild(root, sig);
	sig = NULL;
	rc = TL_OK;
out:
	if (sig != NULL)
		xmlFreeNode(sig);
	xmlFreeDoc(sigdoc);
	xmlFree(c14n);
	xmlFree(id);
	buf_free(&sb);
	return rc;
}

int sign_metadata_doc(const struct sign_key *k, xmlDocPtr doc, const char *id, time_t valid_until,
                      long long cache_duration, char **out, size_t *outlen, struct tl_err *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlChar *mem = NULL;
	char vu[32], cd[32];
	int rc, memlen = 0;

	*out = NULL;
	*outlen = 0;
	if (root == NULL)
		return tl_err_set(err, TL_EINVAL, "the document has no root element");
	util_time_iso(valid_until, vu, sizeof(vu));
	util_duration_format(cache_duration, cd, sizeof(cd));
	if (xmlSetProp(root, BAD_CAST "ID", BAD_CAST id) == NULL ||
	    xmlSetProp(root, BAD_CAST "validUntil", BAD_CAST vu) == NULL ||
	    xmlSetProp(root, BAD_CAST "cacheDuration", BAD_CAST cd) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	if ((rc = sign_doc(k, doc, err)) != TL_OK)
		return rc;
	xmlDocDumpMemoryEnc(doc, &mem, &memlen, "UTF-8");
	if (mem == NULL || (*out = malloc((size_t)memlen + 1)) == NULL) {
		xmlFree(mem);
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	memcpy(*out, mem, (size_t)memlen);
	(*out)[memlen] = '\0';
	*outlen = (size_t)memlen;
	xmlFree(mem);
	return TL_OK;
}
