/* xsig.c - enveloped XML signatures over libxml2 DOM trees (OpenSSL, libxml2's C14N). */
#include "tillit/xsig.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tillit/buf.h"
#include "tillit/saml.h"
#include "tillit/util.h"

#define XSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define XSIG_ENVELOPED XSIG_NS "enveloped-signature"
#define XSIG_EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define XSIG_EXC_C XSIG_EXC "WithComments"
#define XSIG_INC "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define XSIG_INC_C XSIG_INC "#WithComments"
#define XSIG_MAX_MSG (4 << 20)

static const struct {
	const char *uri;
	const char *md;
	int ecdsa;
} xsig_sigalgs[] = {
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "SHA256", 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "SHA384", 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "SHA512", 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "SHA256", 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", "SHA384", 1 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "SHA512", 1 },
};

static const struct {
	const char *uri;
	const char *md;
} xsig_digests[] = {
	{ "http://www.w3.org/2001/04/xmlenc#sha256", "SHA256" },
	{ "http://www.w3.org/2001/04/xmldsig-more#sha384", "SHA384" },
	{ "http://www.w3.org/2001/04/xmlenc#sha512", "SHA512" },
};

/* ---- DOM helpers --------------------------------------------------------------- */

static int xsig_is(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, BAD_CAST XSIG_NS) && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr xsig_child(xmlNodePtr e, const char *name)
{
	for (xmlNodePtr c = e ? e->children : NULL; c != NULL; c = c->next)
		if (xsig_is(c, name))
			return c;
	return NULL;
}

static xmlNodePtr xsig_next(xmlNodePtr n, const char *name)
{
	for (n = n ? n->next : NULL; n != NULL; n = n->next)
		if (xsig_is(n, name))
			return n;
	return NULL;
}

/* An attribute's value (xmlFree it) or NULL. */
static xmlChar *xsig_attr(xmlNodePtr e, const char *name)
{
	return e ? xmlGetNoNsProp(e, BAD_CAST name) : NULL;
}

/* ---- canonicalisation ------------------------------------------------------------ */

struct xsig_vis {
	xmlNodePtr root;    /* the subtree canonicalised */
	xmlNodePtr exclude; /* a subtree left out (the enveloped signature), or NULL */
};

/*
 * libxml2 asks for every node, attribute and namespace node; namespace
 * nodes (xmlNs) and attributes come with the element they belong to.
 */
static int xsig_visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
	struct xsig_vis *v = ud;
	xmlNodePtr n = node;

	if (node == NULL)
		return 0;
	if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE)
		n = parent;
	for (; n != NULL; n = n->parent) {
		if (n == v->exclude)
			return 0;
		if (n == v->root)
			return 1;
	}
	return 0;
}

static int xsig_buf_write(void *ctx, const char *p, int n)
{
	return buf_append(ctx, p, (size_t)n) == TL_OK ? n : -1;
}

static int xsig_buf_close(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * C14N of root's subtree (minus exclude) by method (one of the four URIs)
 * into out.  prefixes: exclusive C14N's InclusiveNamespaces, or NULL.
 */
static int xsig_c14n(xmlNodePtr root, xmlNodePtr exclude, const char *method, xmlChar **prefixes,
                     struct buf *out, struct tl_err *err)
{
	struct xsig_vis v = { root, exclude };
	xmlOutputBufferPtr ob;
	int mode, comments, n;

	if (strcmp(method, XSIG_EXC) == 0 || strcmp(method, XSIG_EXC_C) == 0)
		mode = XML_C14N_EXCLUSIVE_1_0;
	else if (strcmp(method, XSIG_INC) == 0 || strcmp(method, XSIG_INC_C) == 0)
		mode = XML_C14N_1_0;
	else
		return tl_err_set(err, TL_ESIG, "the canonicalisation %.100s is not accepted", method);
	comments = strstr(method, "WithComments") != NULL;
	ob = xmlOutputBufferCreateIO(xsig_buf_write, xsig_buf_close, out, NULL);
	if (ob == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory canonicalising");
	n = xmlC14NExecute(root->doc, xsig_visible, &v, mode, mode == XML_C14N_EXCLUSIVE_1_0 ? prefixes : NULL,
	                   comments, ob);
	if (xmlOutputBufferClose(ob) < 0 || n < 0)
		return tl_err_set(err, TL_ESIG, "the signed element cannot be canonicalised");
	return TL_OK;
}

/* The PrefixList of an ec:InclusiveNamespaces child of t, as libxml2 wants it (NULL-terminated). */
static xmlChar **xsig_prefixes(xmlNodePtr t, xmlChar **store, xmlChar **list, int max)
{
	int n = 0;

	*store = NULL;
	for (xmlNodePtr c = t ? t->children : NULL; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "InclusiveNamespaces") &&
		    c->ns != NULL && xmlStrEqual(c->ns->href, BAD_CAST XSIG_EXC)) {
			char *save = NULL;
			*store = xmlGetNoNsProp(c, BAD_CAST "PrefixList");
			for (char *p = *store ? strtok_r((char *)*store, " \t\r\n", &save) : NULL;
			     p != NULL && n < max - 1; p = strtok_r(NULL, " \t\r\n", &save))
				list[n++] = BAD_CAST(strcmp(p, "#default") == 0 ? "" : p);
		}
	}
	list[n] = NULL;
	return n > 0 ? list : NULL;
}

static int xsig_digest(const char *md, const struct buf *data, unsigned char *out, unsigned *outlen)
{
	const EVP_MD *m = util_md(md);

	return m != NULL && EVP_Digest(data->data, data->len, out, outlen, m, NULL) == 1;
}

/* ---- keys ------------------------------------------------------------------------- */

int xsig_key_init(struct xsig_key *k, EVP_PKEY *pkey, int sign, struct tl_err *err)
{
	int ok;

	k->pkey = pkey;
	k->sha256 = EVP_MD_CTX_new();
	ok = pkey != NULL && k->sha256 != NULL &&
	     (sign ? EVP_DigestSignInit(k->sha256, NULL, util_md("SHA256"), NULL, pkey)
	           : EVP_DigestVerifyInit(k->sha256, NULL, util_md("SHA256"), NULL, pkey)) == 1;
	if (!ok) {
		xsig_key_done(k);
		return tl_err_set(err, TL_ECRYPTO, "OpenSSL cannot %s with the key", sign ? "sign" : "verify");
	}
	return TL_OK;
}

void xsig_key_done(struct xsig_key *k)
{
	EVP_MD_CTX_free(k->sha256);
	EVP_PKEY_free(k->pkey);
	k->sha256 = NULL;
	k->pkey = NULL;
}

/* A context of k's for one use (EVP_MD_CTX_free it): a copy of the prepared one for SHA-256. */
static EVP_MD_CTX *xsig_key_ctx(const struct xsig_key *k, const char *md, int sign)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int ok;

	if (mc == NULL)
		return NULL;
	if (strcmp(md, "SHA256") == 0)
		ok = EVP_MD_CTX_copy_ex(mc, k->sha256) == 1;
	else if (sign)
		ok = EVP_DigestSignInit(mc, NULL, util_md(md), NULL, k->pkey) == 1;
	else
		ok = EVP_DigestVerifyInit(mc, NULL, util_md(md), NULL, k->pkey) == 1;
	if (!ok) {
		EVP_MD_CTX_free(mc);
		return NULL;
	}
	/* used once: OpenSSL need not keep it reusable after the final step */
	EVP_MD_CTX_set_flags(mc, EVP_MD_CTX_FLAG_FINALISE);
	return mc;
}

/* ---- verify ------------------------------------------------------------------------ */

/* XML Signature's ECDSA value (r || s) as DER. */
static unsigned char *xsig_ecdsa_der(const unsigned char *raw, size_t n, size_t *outlen)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int len;

	if (sig == NULL || n == 0 || n % 2 != 0) {
		ECDSA_SIG_free(sig);
		return NULL;
	}
	r = BN_bin2bn(raw, (int)(n / 2), NULL);
	s = BN_bin2bn(raw + n / 2, (int)(n / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	if (len <= 0)
		return NULL;
	*outlen = (size_t)len;
	return der;
}

static char *xsig_text(xmlNodePtr n)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

int xsig_verify_octets(const char *alg_uri, const void *data, size_t len, const void *sig,
                       size_t siglen, const struct xsig_key *keys, int nkeys, struct tl_err *err)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	int k = -1, rc;

	for (size_t i = 0; i < sizeof(xsig_sigalgs) / sizeof(xsig_sigalgs[0]); i++)
		if (alg_uri != NULL && strcmp(alg_uri, xsig_sigalgs[i].uri) == 0)
			k = (int)i;
	if (k < 0)
		return tl_err_set(err, TL_ESIG, "the signature method %.100s is not accepted (%s)",
		                  alg_uri ? alg_uri : "missing",
		                  alg_uri && strstr(alg_uri, "sha1") ? "SHA-1 is too weak" : "RSA or ECDSA with SHA-2");
	if (xsig_sigalgs[k].ecdsa && (der = xsig_ecdsa_der(sig, siglen, &derlen)) == NULL)
		return tl_err_set(err, TL_ESIG, "the ECDSA signature value is malformed");
	rc = TL_ESIG;
	for (int i = 0; i < nkeys && rc != TL_OK; i++) {
		EVP_MD_CTX *mc = keys[i].pkey != NULL ? xsig_key_ctx(&keys[i], xsig_sigalgs[k].md, 0) : NULL;
		if (mc != NULL && EVP_DigestVerify(mc, der ? der : sig, der ? derlen : siglen, data, len) == 1)
			rc = TL_OK;
		EVP_MD_CTX_free(mc);
	}
	OPENSSL_free(der);
	if (rc != TL_OK)
		tl_err_set(err, TL_ESIG, "the signature does not verify with %s",
		           nkeys ? "the signer's keys in its metadata" : "any key (its metadata has none)");
	return rc;
}

/* Check the Reference and compute its digest over e. */
static int xsig_check_reference(xmlNodePtr e, xmlNodePtr sig, xmlNodePtr ref, struct tl_err *err)
{
	xmlNodePtr trs = xsig_child(ref, "Transforms"), t1, t2, dm = xsig_child(ref, "DigestMethod");
	xmlChar *uri = xsig_attr(ref, "URI"), *id = xsig_attr(e, "ID"), *alg1 = NULL, *alg2 = NULL;
	xmlChar *dalg = xsig_attr(dm, "Algorithm"), *pstore = NULL, *plist[32];
	char *dv = xsig_text(xsig_child(ref, "DigestValue")), *want = NULL;
	const char *c14n = XSIG_INC, *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t wlen = 0;
	struct buf b;
	int rc = TL_ESIG;

	buf_init(&b, XSIG_MAX_MSG);
	if (uri == NULL || id == NULL || uri[0] != '#' || !xmlStrEqual(uri + 1, id)) {
		tl_err_set(err, TL_ESIG, "the signature's reference is not to the signed element");
		goto out;
	}
	t1 = xsig_child(trs, "Transform");
	t2 = xsig_next(t1, "Transform");
	alg1 = xsig_attr(t1, "Algorithm");
	alg2 = xsig_attr(t2, "Algorithm");
	if (alg1 == NULL || !xmlStrEqual(alg1, BAD_CAST XSIG_ENVELOPED) || xsig_next(t2, "Transform") != NULL) {
		tl_err_set(err, TL_ESIG, "the signature's transforms are not enveloped-signature and C14N");
		goto out;
	}
	if (alg2 != NULL)
		c14n = (const char *)alg2;
	for (size_t i = 0; i < sizeof(xsig_digests) / sizeof(xsig_digests[0]); i++)
		if (dalg != NULL && strcmp((const char *)dalg, xsig_digests[i].uri) == 0)
			md = xsig_digests[i].md;
	if (md == NULL) {
		tl_err_set(err, TL_ESIG, "the digest %.100s is not accepted (SHA-256, SHA-384 or SHA-512)",
		           dalg ? (const char *)dalg : "missing");
		goto out;
	}
	if ((rc = xsig_c14n(e, sig, c14n, xsig_prefixes(t2, &pstore, plist, 32), &b, err)) != TL_OK)
		goto out;
	rc = TL_ESIG;
	if (!xsig_digest(md, &b, digest, &dlen) || dv == NULL ||
	    saml_base64_decode(dv, strlen(dv), 128, &want, &wlen, NULL) != TL_OK || wlen != dlen ||
	    memcmp(want, digest, dlen) != 0) {
		tl_err_set(err, TL_ESIG, "the signed element's digest does not match (it was changed)");
		goto out;
	}
	rc = TL_OK;
out:
	buf_free(&b);
	xmlFree(uri);
	xmlFree(id);
	xmlFree(alg1);
	xmlFree(alg2);
	xmlFree(dalg);
	xmlFree(pstore);
	free(dv);
	free(want);
	return rc;
}

int xsig_verify(xmlNodePtr e, const struct xsig_key *keys, int nkeys, struct tl_err *err)
{
	xmlNodePtr sig = xsig_child(e, "Signature"), si, ref, cm;
	xmlChar *cmalg = NULL, *smalg = NULL, *pstore = NULL, *plist[32];
	char *sv = NULL, *raw = NULL;
	size_t rawlen = 0;
	struct buf b;
	int rc;

	if (sig == NULL)
		return tl_err_set(err, TL_ENOENT, "the element is not signed");
	buf_init(&b, XSIG_MAX_MSG);
	si = xsig_child(sig, "SignedInfo");
	ref = xsig_child(si, "Reference");
	cm = xsig_child(si, "CanonicalizationMethod");
	if (si == NULL || ref == NULL || xsig_next(ref, "Reference") != NULL || cm == NULL) {
		rc = tl_err_set(err, TL_ESIG, "the signature has no SignedInfo with one Reference");
		goto out;
	}
	if ((rc = xsig_check_reference(e, sig, ref, err)) != TL_OK)
		goto out;
	smalg = xsig_attr(xsig_child(si, "SignatureMethod"), "Algorithm");
	cmalg = xsig_attr(cm, "Algorithm");
	if ((rc = xsig_c14n(si, NULL, cmalg ? (const char *)cmalg : "", xsig_prefixes(cm, &pstore, plist, 32),
	                    &b, err)) != TL_OK)
		goto out;
	sv = xsig_text(xsig_child(sig, "SignatureValue"));
	if (sv == NULL || saml_base64_decode(sv, strlen(sv), 4096, &raw, &rawlen, NULL) != TL_OK) {
		rc = tl_err_set(err, TL_ESIG, "the SignatureValue is not base64");
		goto out;
	}
	rc = xsig_verify_octets((const char *)smalg, b.data, b.len, raw, rawlen, keys, nkeys, err);
out:
	buf_free(&b);
	xmlFree(cmalg);
	xmlFree(smalg);
	xmlFree(pstore);
	free(sv);
	free(raw);
	return rc;
}

/* ---- sign ------------------------------------------------------------------------------- */

/* An ECDSA DER signature as r || s of the key's field size. */
static unsigned char *xsig_ecdsa_raw(EVP_PKEY *key, const unsigned char *der, size_t n, size_t *outlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
	int half = (EVP_PKEY_get_bits(key) + 7) / 8;
	unsigned char *out;

	if (sig == NULL || (out = malloc((size_t)half * 2)) == NULL) {
		ECDSA_SIG_free(sig);
		return NULL;
	}
	if (BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, half) != half ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + half, half) != half) {
		free(out);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	ECDSA_SIG_free(sig);
	*outlen = (size_t)half * 2;
	return out;
}

const char *xsig_sig_alg(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? xsig_sigalgs[3].uri : xsig_sigalgs[0].uri;
}

char *xsig_sign_octets(const struct xsig_key *key, const void *data, size_t len, const char **alg)
{
	int ec = EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_EC;
	EVP_MD_CTX *mc = xsig_key_ctx(key, "SHA256", 1);
	unsigned char *sig = NULL, *raw = NULL;
	size_t slen = (size_t)EVP_PKEY_get_size(key->pkey), rlen = 0;
	char *out = NULL;

	*alg = ec ? xsig_sigalgs[3].uri : xsig_sigalgs[0].uri;
	if (mc == NULL || slen == 0 || (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(mc, sig, &slen, data, len) != 1)
		goto out;
	if (ec) {
		if ((raw = xsig_ecdsa_raw(key->pkey, sig, slen, &rlen)) == NULL)
			goto out;
		out = util_base64(raw, rlen);
	} else {
		out = util_base64(sig, slen);
	}
out:
	EVP_MD_CTX_free(mc);
	free(sig);
	free(raw);
	return out;
}

static xmlNodePtr xsig_add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *alg)
{
	xmlNodePtr n = xmlNewChild(parent, ns, BAD_CAST name, NULL);

	if (n != NULL && alg != NULL)
		xmlNewProp(n, BAD_CAST "Algorithm", BAD_CAST alg);
	return n;
}

int xsig_sign(xmlNodePtr e, const struct xsig_key *key, struct tl_err *err)
{
	xmlChar *id = xsig_attr(e, "ID");
	xmlNodePtr sig = NULL, si, ref, trs, dv, sv, issuer = NULL;
	xmlNsPtr ns;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char uri[256], *b64 = NULL;
	const char *alg = NULL;
	struct buf b;
	int rc = TL_ENOMEM;

	buf_init(&b, XSIG_MAX_MSG);
	if (id == NULL || xmlStrlen(id) > 200) {
		rc = tl_err_set(err, TL_EINVAL, "the element to sign has no usable ID");
		goto out;
	}
	snprintf(uri, sizeof(uri), "#%s", (const char *)id);
	sig = xmlNewNode(NULL, BAD_CAST "Signature");
	if (sig == NULL || (ns = xmlNewNs(sig, BAD_CAST XSIG_NS, BAD_CAST "ds")) == NULL)
		goto oom;
	xmlSetNs(sig, ns);
	si = xmlNewChild(sig, ns, BAD_CAST "SignedInfo", NULL);
	xsig_add(si, ns, "CanonicalizationMethod", XSIG_EXC);
	xsig_add(si, ns, "SignatureMethod", xsig_sig_alg(key->pkey));
	ref = xmlNewChild(si, ns, BAD_CAST "Reference", NULL);
	if (ref == NULL || xmlNewProp(ref, BAD_CAST "URI", BAD_CAST uri) == NULL)
		goto oom;
	trs = xmlNewChild(ref, ns, BAD_CAST "Transforms", NULL);
	xsig_add(trs, ns, "Transform", XSIG_ENVELOPED);
	xsig_add(trs, ns, "Transform", XSIG_EXC);
	xsig_add(ref, ns, "DigestMethod", xsig_digests[0].uri);
	dv = xmlNewChild(ref, ns, BAD_CAST "DigestValue", NULL);
	sv = xmlNewChild(sig, ns, BAD_CAST "SignatureValue", NULL);
	if (dv == NULL || sv == NULL)
		goto oom;
	for (xmlNodePtr c = e->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "Issuer")) {
			issuer = c;
			break;
		}
	if (issuer != NULL)
		xmlAddNextSibling(issuer, sig);
	else if (e->children != NULL)
		xmlAddPrevSibling(e->children, sig);
	else
		xmlAddChild(e, sig);
	if (xmlReconciliateNs(e->doc, sig) < 0)
		goto oom;

	if ((rc = xsig_c14n(e, sig, XSIG_EXC, NULL, &b, err)) != TL_OK)
		goto fail;
	if (!xsig_digest("SHA256", &b, digest, &dlen) || (b64 = util_base64(digest, dlen)) == NULL) {
		rc = tl_err_set(err, TL_ECRYPTO, "cannot digest the element to sign");
		goto fail;
	}
	xmlNodeSetContent(dv, BAD_CAST b64);
	free(b64);
	buf_reset(&b);
	if ((rc = xsig_c14n(si, NULL, XSIG_EXC, NULL, &b, err)) != TL_OK)
		goto fail;
	if ((b64 = xsig_sign_octets(key, b.data, b.len, &alg)) == NULL) {
		rc = tl_err_set(err, TL_ECRYPTO, "cannot sign");
		goto fail;
	}
	xmlNodeSetContent(sv, BAD_CAST b64);
	free(b64);
	rc = TL_OK;
	goto out;
oom:
	rc = tl_err_set(err, TL_ENOMEM, "out of memory signing");
fail:
	if (sig != NULL) {
		xmlUnlinkNode(sig);
		xmlFreeNode(sig);
	}
out:
	buf_free(&b);
	xmlFree(id);
	return rc;
}

/* ---- encrypt ------------------------------------------------------------------------------ */

#define XENC_NS "http://www.w3.org/2001/04/xmlenc#"

/* AES-256 (CBC with PKCS#7 padding, or GCM) of p[0..n): IV || ciphertext [|| tag], base64. */
static char *xsig_aes(const unsigned char *key, int gcm, const unsigned char *p, size_t n)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t ivlen = gcm ? 12 : 16, cap = ivlen + n + 32;
	unsigned char *out = malloc(cap);
	int l1 = 0, l2 = 0, ok;
	char *b64 = NULL;

	ok = c != NULL && out != NULL && RAND_bytes(out, (int)ivlen) == 1 &&
	     EVP_EncryptInit_ex(c, gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc(), NULL, key, out) == 1 &&
	     EVP_EncryptUpdate(c, out + ivlen, &l1, p, (int)n) == 1 &&
	     EVP_EncryptFinal_ex(c, out + ivlen + l1, &l2) == 1;
	if (ok && gcm)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + ivlen + l1 + l2) == 1;
	if (ok)
		b64 = util_base64(out, ivlen + (size_t)l1 + (size_t)l2 + (gcm ? 16 : 0));
	EVP_CIPHER_CTX_free(c);
	free(out);
	return b64;
}

/* RSA-OAEP (SHA-1, MGF1-SHA-1) of the content key, base64. */
static char *xsig_oaep(EVP_PKEY *rsa, const unsigned char *key, size_t n)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rsa, NULL);
	unsigned char out[1024];
	size_t olen = sizeof(out);
	char *b64 = NULL;

	if (c != NULL && EVP_PKEY_encrypt_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha1()) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha1()) == 1 &&
	    EVP_PKEY_encrypt(c, out, &olen, key, n) == 1)
		b64 = util_base64(out, olen);
	EVP_PKEY_CTX_free(c);
	return b64;
}

/* ---- signing and encrypting canonical text ------------------------------------------ */

int xsig_signed_info(struct buf *si, const char *id, const unsigned char digest[32],
                     const struct xsig_key *key, char **sv, struct tl_err *err)
{
	char *dv = util_base64(digest, 32);
	const char *alg = NULL;
	int rc;

	*sv = NULL;
	if (dv == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory signing");
	buf_puts(si, "<ds:SignedInfo xmlns:ds=\"" XSIG_NS "\"><ds:CanonicalizationMethod Algorithm=\""
	             XSIG_EXC "\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"");
	buf_puts(si, xsig_sig_alg(key->pkey));
	rc = buf_cat(si, "\"></ds:SignatureMethod><ds:Reference URI=\"#", id, "\"><ds:Transforms>"
	             "<ds:Transform Algorithm=\"" XSIG_ENVELOPED "\"></ds:Transform>"
	             "<ds:Transform Algorithm=\"" XSIG_EXC "\"></ds:Transform></ds:Transforms>"
	             "<ds:DigestMethod Algorithm=\"", xsig_digests[0].uri, "\"></ds:DigestMethod><ds:DigestValue>",
	             dv, "</ds:DigestValue></ds:Reference></ds:SignedInfo>", (char *)NULL);
	free(dv);
	if (rc != TL_OK || si->data == NULL)
		return tl_err_set(err, rc != TL_OK ? rc : TL_ENOMEM, "the signature's SignedInfo does not fit");
	if ((*sv = xsig_sign_octets(key, si->data, si->len, &alg)) == NULL) {
		char reason[256];
		ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
		ERR_clear_error();
		return tl_err_set(err, TL_ECRYPTO, "signing failed: %s", reason);
	}
	return TL_OK;
}

int xsig_sign_c14n(struct buf *out, const char *elem, size_t len, size_t at, const char *id,
                   const struct xsig_key *key, struct tl_err *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char *sv = NULL;
	struct buf si;
	struct buf data = { (char *)elem, len, len, len };
	int rc;

	if (at > len || strlen(id) > 200)
		return tl_err_set(err, TL_EINVAL, "xsig_sign_c14n: bad insertion point or ID");
	if (!xsig_digest("SHA256", &data, digest, &dlen))
		return tl_err_set(err, TL_ECRYPTO, "cannot digest the element to sign");
	buf_init(&si, 8192);
	if ((rc = xsig_signed_info(&si, id, digest, key, &sv, err)) != TL_OK)
		goto out;
	/* in the document the declaration is on ds:Signature, SignedInfo inherits it */
	buf_append(out, elem, at);
	buf_puts(out, "<ds:Signature xmlns:ds=\"" XSIG_NS "\"><ds:SignedInfo>");
	buf_append(out, si.data + strlen("<ds:SignedInfo xmlns:ds=\"" XSIG_NS "\">"),
	           si.len - strlen("<ds:SignedInfo xmlns:ds=\"" XSIG_NS "\">"));
	buf_cat(out, "<ds:SignatureValue>", sv, "</ds:SignatureValue></ds:Signature>", (char *)NULL);
	if (buf_append(out, elem + at, len - at) != TL_OK)
		rc = tl_err_set(err, TL_ENOMEM, "out of memory signing");
out:
	free(sv);
	buf_free(&si);
	return rc;
}

int xsig_encrypt_c14n(struct buf *out, const char *data, size_t len, EVP_PKEY *rsa, int gcm,
                      const char *wrap_open, const char *wrap_close, struct tl_err *err)
{
	unsigned char key[32];
	char *ct = NULL, *ekey = NULL;
	int rc = TL_OK;

	if (RAND_bytes(key, sizeof(key)) != 1 ||
	    (ct = xsig_aes(key, gcm, (const unsigned char *)data, len)) == NULL ||
	    (ekey = xsig_oaep(rsa, key, sizeof(key))) == NULL) {
		rc = tl_err_set(err, TL_ECRYPTO, "cannot encrypt for the service's key");
		goto out;
	}
	buf_puts(out, wrap_open);
	buf_printf(out, "<xenc:EncryptedData xmlns:xenc=\"" XENC_NS "\" Type=\"" XENC_NS "Element\">"
	                "<xenc:EncryptionMethod Algorithm=\"%s\"></xenc:EncryptionMethod>"
	                "<ds:KeyInfo xmlns:ds=\"" XSIG_NS "\"><xenc:EncryptedKey>"
	                "<xenc:EncryptionMethod Algorithm=\"" XENC_NS "rsa-oaep-mgf1p\">"
	                "<ds:DigestMethod Algorithm=\"" XSIG_NS "sha1\"></ds:DigestMethod></xenc:EncryptionMethod>"
	                "<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData>"
	                "</xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>%s"
	                "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>",
	           gcm ? "http://www.w3.org/2009/xmlenc11#aes256-gcm" : XENC_NS "aes256-cbc", ekey, ct);
	if (buf_puts(out, wrap_close) != TL_OK)
		rc = tl_err_set(err, TL_ENOMEM, "out of memory encrypting");
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(ct);
	free(ekey);
	return rc;
}

EVP_PKEY *xsig_cert_key(const char *cert_b64)
{
	char *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	EVP_PKEY *k = NULL;
	X509 *x;

	if (cert_b64 == NULL || saml_base64_decode(cert_b64, strlen(cert_b64), 64 * 1024, &der, &len, NULL) != TL_OK)
		return NULL;
	p = (const unsigned char *)der;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL)
		k = X509_get_pubkey(x);
	X509_free(x);
	free(der);
	return k;
}

int xsig_keys_from_certs(const char *const *certs, int n, struct xsig_key *out, int max)
{
	int k = 0;

	for (int i = 0; i < n && k < max; i++) {
		EVP_PKEY *pk = xsig_cert_key(certs[i]);
		if (pk != NULL && xsig_key_init(&out[k], pk, 0, NULL) == TL_OK)
			k++;
	}
	return k;
}
