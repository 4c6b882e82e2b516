/*
 * cert.h - the facts Tillit needs from an X.509 certificate in metadata,
 * read by a strict DER walker of our own.
 *
 * Why not d2i_X509(): under OpenSSL 3 every d2i_X509() builds a public-key
 * decoder context (OSSL_DECODER_CTX_new_for_pkey), which takes about 0.3 ms
 * and a hundred lock round trips per certificate; an eduGAIN-sized import
 * or an evaluation of 10,000 entities would spend seconds there.  Metadata
 * certificates are only containers for a key (the metadata interoperability
 * profile: no chains, no dates enforced), so the structure and the key's
 * type and size are all that must be known.  The walker is checked against
 * OpenSSL's parse in tests/test_cert.c.
 *
 * What "parses" means: one DER Certificate (RFC 5280 4.1) with nothing
 * after it; every TBSCertificate field present in order with the right
 * tag; Names a SEQUENCE OF SET OF AttributeTypeAndValue; times UTCTime or
 * GeneralizedTime in the DER "Z" form; the SubjectPublicKeyInfo's key
 * readable for RSA (modulus and exponent) and EC (a named curve).  Lengths
 * must be definite and inside their parent.
 */
#ifndef TILLIT_CERT_H
#define TILLIT_CERT_H

#include <stddef.h>
#include <time.h>

#include "tillit/err.h"
#include "tillit/util.h"

/* A base64 certificate in metadata larger than this is refused. */
#define CERT_B64_MAX (64 * 1024)

enum cert_key_type {
	CERT_KEY_OTHER = 0, /* an algorithm we do not know (the OID is in key_oid) */
	CERT_KEY_RSA,       /* rsaEncryption or RSASSA-PSS */
	CERT_KEY_EC,        /* id-ecPublicKey with a named curve */
	CERT_KEY_ED25519,
	CERT_KEY_ED448,
	CERT_KEY_DSA,
};

/* The hash of the certificate's own signature (for "no SHA-1" rules). */
enum cert_hash {
	CERT_HASH_UNKNOWN = 0,
	CERT_HASH_MD5,
	CERT_HASH_SHA1,
	CERT_HASH_SHA256,
	CERT_HASH_SHA384,
	CERT_HASH_SHA512,
	CERT_HASH_NONE, /* EdDSA: the algorithm carries its own hash */
};

struct cert_info {
	enum cert_key_type key_type;
	unsigned key_bits;          /* RSA/DSA modulus bits, EC field bits, 256/456 for EdDSA */
	char key_name[16];          /* "RSA", "P-256", "P-384", "P-521", "Ed25519", ... */
	char key_oid[64];           /* dotted OID of the key algorithm */
	enum cert_hash sig_hash;    /* hash of the signature on the certificate */
	char sig_name[32];          /* "sha256WithRSAEncryption", "ecdsa-with-SHA256", ... */
	time_t not_before;
	time_t not_after;
	int self_issued;            /* issuer and subject are the same Name */
	unsigned char der_sha256[UTIL_SHA256_LEN];  /* fingerprint of the certificate */
	unsigned char spki_sha256[UTIL_SHA256_LEN]; /* of the SubjectPublicKeyInfo: the key's identity */
};

/*
 * Read the DER certificate der[0..len).  On TL_OK *out holds its facts.
 * Errors: TL_EPARSE with a message naming the field that is wrong
 * ("validity: notAfter is not a UTCTime or GeneralizedTime").
 */
int cert_parse_der(const unsigned char *der, size_t len, struct cert_info *out,
                   struct tl_err *err);

/*
 * The same for the base64 text of a ds:X509Certificate (XML whitespace
 * ignored; at most CERT_B64_MAX characters).  Errors: TL_EPARSE ("not
 * base64", "empty"), TL_ELIMIT, TL_ENOMEM.
 */
int cert_parse_b64(const char *b64, struct cert_info *out, struct tl_err *err);

/*
 * Decode base64 text, skipping XML whitespace, into a new buffer
 * (free() it).  Errors: TL_EPARSE naming the problem, TL_ENOMEM.
 */
int cert_b64_decode(const char *b64, unsigned char **out, size_t *len, struct tl_err *err);

#endif
