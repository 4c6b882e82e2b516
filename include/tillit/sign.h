/*
 * sign.h - enveloped XML signatures over SAML metadata, made by us.
 *
 * RSA-SHA256 (or ECDSA-SHA256 for an EC key), exclusive C14N 1.0 without
 * comments, one Reference to the root element by its ID, transforms
 * enveloped-signature + exclusive C14N, the signing certificate in
 * KeyInfo/X509Data.  The canonical form is computed by libxml2's C14N and
 * the signature by OpenSSL; verifiers (xmlsec1, Shibboleth) check it.
 * A loaded key is immutable and may be shared by threads.
 */
#ifndef TILLIT_SIGN_H
#define TILLIT_SIGN_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

#include "tillit/buf.h"
#include "tillit/err.h"
#include "tillit/xsig.h"

struct sign_key {
	struct xsig_key key; /* the private key, set up for signing */
	char *cert_b64; /* DER certificate in base64, for KeyInfo */
};

/* Load keypath (PEM private key) and certpath (PEM).  Errors: TL_ENOENT, TL_ECRYPTO. */
int sign_key_load(struct sign_key *k, const char *keypath, const char *certpath,
                  struct tl_err *err);
void sign_key_free(struct sign_key *k);

/*
 * Append to out a complete ds:Signature element (declaring the ds prefix)
 * over a reference "#ref_id" whose canonicalised, enveloped-transformed
 * content has the SHA-256 digest digest.  Errors: TL_ECRYPTO, TL_ELIMIT.
 */
int sign_signature_xml(const struct sign_key *k, const char *ref_id,
                       const unsigned char digest[32], struct buf *out, struct tl_err *err);

/*
 * Sign the root element of doc in place: the root must carry an ID
 * attribute and no ds:Signature child yet; the signature is inserted as
 * its first child (where the SAML metadata schema wants it).
 * Errors: TL_EINVAL (no ID), TL_ECRYPTO, TL_ENOMEM.
 */
int sign_doc(const struct sign_key *k, xmlDocPtr doc, struct tl_err *err);

/*
 * A standalone metadata document as published: set ID, validUntil and
 * cacheDuration (seconds, written as an xs:duration) on doc's root, sign
 * it (sign_doc) and serialise it (UTF-8) into a new NUL-terminated string
 * *out (free()) of *outlen bytes.  doc stays the caller's.  Errors as
 * sign_doc, TL_ENOMEM.
 */
int sign_metadata_doc(const struct sign_key *k, xmlDocPtr doc, const char *id, time_t valid_until,
                      long long cache_duration, char **out, size_t *outlen, struct tl_err *err);

/*
 * Exclusive C14N 1.0 (no comments) of the whole document doc into a new
 * buffer (xmlFree() it).  Returns the length or -1 (err set: TL_ECRYPTO).
 */
int sign_c14n(xmlDocPtr doc, unsigned char **out, struct tl_err *err);

#endif
