/*
 * xsig.h - enveloped XML signatures on SAML messages held as libxml2
 * DOM trees: verification with keys taken from metadata, and signing with
 * the hub's key, both without copying keys per signature.
 *
 * lasso verifies and signs through xmlsec, which under OpenSSL 3 copies
 * the RSA key for every signature (through the provider's export and
 * import: about 0.4 ms each, several times a login).  The hub verifies
 * and signs its own SAML messages here instead, on the very DOM it checked
 * and read (saml.h), so that what was verified is what is used.
 *
 * Accepted (verify) and produced (sign) signatures:
 *   - the ds:Signature is a child of the signed element, with exactly one
 *     ds:Reference whose URI is "#" + the element's ID;
 *   - transforms: enveloped-signature, then at most one of exclusive C14N
 *     (with an optional InclusiveNamespaces PrefixList) or inclusive C14N
 *     1.0, with or without comments; SignedInfo's CanonicalizationMethod
 *     likewise;
 *   - digests SHA-256/384/512, signatures RSA or ECDSA with SHA-256/384/512.
 *     SHA-1 is refused.  Produced: exclusive C14N, SHA-256, RSA-SHA256 (or
 *     ECDSA-SHA256 for an EC key).
 * Any KeyInfo is ignored: the keys come from the signer's metadata.
 */
#ifndef TILLIT_XSIG_H
#define TILLIT_XSIG_H

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "tillit/buf.h"
#include "tillit/err.h"

/*
 * A key made ready for many signatures (a private key) or verifications
 * (a public one; sign.h's metadata key is one too): OpenSSL's SHA-256
 * signing or verifying context with it
 * is set up once here and copied for each use, since setting one up
 * costs about as much as an RSA verification.  Read-only once made, so
 * threads share it.  xsig_key_init takes pkey (freed by xsig_key_done,
 * also on failure); sign: set up for signing, else for verifying.
 * TL_ECRYPTO when OpenSSL refuses the key.
 */
struct xsig_key {
	EVP_PKEY *pkey;
	EVP_MD_CTX *sha256;          /* the context to copy */
};
int xsig_key_init(struct xsig_key *k, EVP_PKEY *pkey, int sign, struct tl_err *err);
void xsig_key_done(struct xsig_key *k);

/*
 * Verify the ds:Signature that is a child of e against any of the nkeys
 * keys.  Errors: TL_ENOENT (e has no signature), TL_ESIG naming what is
 * wrong (structure, algorithm, digest mismatch, no key verifies),
 * TL_ENOMEM.
 */
int xsig_verify(xmlNodePtr e, const struct xsig_key *keys, int nkeys, struct tl_err *err);

/*
 * Verify sig[0..siglen) (XML Signature's form: RSA as is, ECDSA as r || s)
 * over data with algorithm alg_uri (a SignatureMethod / SigAlg URI) and
 * any of the keys.  Errors: TL_ESIG (algorithm not accepted, SHA-1, no key
 * verifies).
 */
int xsig_verify_octets(const char *alg_uri, const void *data, size_t len, const void *sig,
                       size_t siglen, const struct xsig_key *keys, int nkeys, struct tl_err *err);

/*
 * Sign e (which carries an ID attribute) with key: a ds:Signature is
 * inserted as e's child right after its saml:Issuer child (where the SAML
 * schema puts it), or first when there is none.  Sign inner elements
 * before the outer ones.  Errors: TL_EINVAL (no ID), TL_ECRYPTO, TL_ENOMEM.
 */
int xsig_sign(xmlNodePtr e, const struct xsig_key *key, struct tl_err *err);

/*
 * The signature of an HTTP-Redirect message: the octets of data signed
 * with key (RSA-SHA256, or ECDSA-SHA256 in XML Signature's r || s form),
 * base64 in a new string (free()), and the SigAlg URI in *alg (static).
 * NULL on failure.
 */
char *xsig_sign_octets(const struct xsig_key *key, const void *data, size_t len, const char **alg);

/*
 * The SignedInfo of an enveloped signature over "#id" whose content has
 * the SHA-256 digest digest (Reference "#id", transforms
 * enveloped-signature and exc-c14n, key's signature algorithm), written in
 * its own exclusive C14N form (xmlns:ds on it) into si, and its
 * SignatureValue by key (base64, free()) in *sv.  The one writer of the
 * signatures xsig_sign_c14n and sign.h make.  Errors: TL_ECRYPTO (naming
 * OpenSSL's reason), TL_ELIMIT, TL_ENOMEM.
 */
int xsig_signed_info(struct buf *si, const char *id, const unsigned char digest[32],
                     const struct xsig_key *key, char **sv, struct tl_err *err);

/*
 * Sign an element the caller wrote as text in exclusive C14N form (the
 * form a verifier's exclusive canonicalisation renders it in, within its
 * document: sorted attributes, namespaces declared where first used, end
 * tags for empty elements, C14N escaping): append to out elem[0..at), an
 * enveloped ds:Signature over the element (Reference "#id", transforms
 * enveloped-signature and exc-c14n, SHA-256, key's signature algorithm),
 * itself in that form, then elem[at..len).  at is where the Signature
 * goes (after the Issuer).  No parse, no canonicalisation: the digest is
 * of the octets, so they must be canonical (test_hub checks ours are).
 * Errors: TL_ECRYPTO, TL_ENOMEM.
 */
int xsig_sign_c14n(struct buf *out, const char *elem, size_t len, size_t at, const char *id,
                   const struct xsig_key *key, struct tl_err *err);

/*
 * XML Encryption of the octets data[0..len) (an element declaring every
 * namespace it uses: it is decrypted out of context) for the holder of
 * the RSA key rsa: a fresh AES-256 key (GCM when gcm, else CBC) encrypts
 * the data, RSA-OAEP (rsa-oaep-mgf1p: MGF1 and digest SHA-1) the key.
 * Appends to out wrap_open, the xenc:EncryptedData in exclusive C14N
 * form, and wrap_close; wrap_open is the wrapper's start tag
 * ("<saml:EncryptedAssertion xmlns:saml=...>").  Errors: TL_ECRYPTO,
 * TL_ENOMEM.
 */
int xsig_encrypt_c14n(struct buf *out, const char *data, size_t len, EVP_PKEY *rsa, int gcm,
                      const char *wrap_open, const char *wrap_close, struct tl_err *err);

/* The SignatureMethod / SigAlg URI xsig signs with for key. */
const char *xsig_sig_alg(EVP_PKEY *key);


/* The public key of a base64 DER certificate (EVP_PKEY_free it), NULL if it is not one. */
EVP_PKEY *xsig_cert_key(const char *cert_b64);

/*
 * The public keys of the base64 DER certificates certs[0..n), into out,
 * ready for verifying (xsig_key_done each); returns how many.
 */
int xsig_keys_from_certs(const char *const *certs, int n, struct xsig_key *out, int max);

#endif
