/* cert.c - a strict DER walker for the X.509 certificates in metadata. */
#include "tillit/cert.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DER tags used here (universal, or context-specific constructed/primitive). */
#define TAG_BOOLEAN 0x01
#define TAG_INTEGER 0x02
#define TAG_BIT_STRING 0x03
#define TAG_OCTET_STRING 0x04
#define TAG_NULL 0x05
#define TAG_OID 0x06
#define TAG_UTCTIME 0x17
#define TAG_GENTIME 0x18
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31
#define TAG_CTX0_C 0xa0 /* [0] EXPLICIT version */
#define TAG_CTX1_P 0x81 /* [1] IMPLICIT issuerUniqueID */
#define TAG_CTX2_P 0x82 /* [2] IMPLICIT subjectUniqueID */
#define TAG_CTX3_C 0xa3 /* [3] EXPLICIT extensions */

/* Longest OID encoding accepted (the longest in use is about 20 bytes). */
#define CERT_OID_MAX 32

/* A DER value: its tag and the bytes of its contents. */
struct der {
	unsigned tag;
	const unsigned char *p;
	size_t len;
};

/* A cursor over the contents of a constructed value. */
struct der_cur {
	const unsigned char *p, *end;
};

static void cur_init(struct der_cur *c, const struct der *d)
{
	c->p = d->p;
	c->end = d->p + d->len;
}

static int cur_done(const struct der_cur *c)
{
	return c->p == c->end;
}

/* The next TLV at c, or -1 if malformed (truncated, indefinite, high tag). */
static int der_read(struct der_cur *c, struct der *out)
{
	size_t left = (size_t)(c->end - c->p), len;
	const unsigned char *p = c->p;

	if (left < 2)
		return -1;
	out->tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -1; /* high tag numbers do not occur in certificates */
	if (p[1] < 0x80) {
		len = p[1];
		p += 2;
		left -= 2;
	} else {
		unsigned n = p[1] & 0x7f;
		if (n == 0 || n > 4 || left < 2 + (size_t)n)
			return -1; /* indefinite length or absurdly long */
		len = 0;
		for (unsigned i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80 || (n > 1 && p[2] == 0))
			return -1; /* not the minimal (DER) length encoding */
		p += 2 + n;
		left -= 2 + n;
	}
	if (len > left)
		return -1;
	out->p = p;
	out->len = len;
	c->p = p + len;
	return 0;
}

/* The next TLV, which must have tag. */
static int der_expect(struct der_cur *c, unsigned tag, struct der *out)
{
	if (der_read(c, out) != 0 || out->tag != tag)
		return -1;
	return 0;
}

/* Peek at the tag of the next TLV (0 at the end). */
static unsigned der_peek(const struct der_cur *c)
{
	return c->p < c->end ? c->p[0] : 0;
}

/* Dotted form of an OID's contents; -1 if malformed. */
static int der_oid_text(const struct der *d, char *out, size_t outlen)
{
	size_t off = 0;
	unsigned long long v = 0;
	int first = 1, n;

	if (d->len == 0 || d->len > CERT_OID_MAX || (d->p[d->len - 1] & 0x80))
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < d->len; i++) {
		if (v == 0 && d->p[i] == 0x80)
			return -1; /* non-minimal subidentifier */
		v = (v << 7) | (d->p[i] & 0x7f);
		if (v > (1ULL << 56))
			return -1;
		if (d->p[i] & 0x80)
			continue;
		if (first) {
			unsigned long long a = v < 40 ? 0 : v < 80 ? 1 : 2;
			n = snprintf(out + off, outlen - off, "%llu.%llu", a, v - a * 40);
			first = 0;
		} else {
			n = snprintf(out + off, outlen - off, ".%llu", v);
		}
		if (n < 0 || (size_t)n >= outlen - off)
			return -1;
		off += (size_t)n;
		v = 0;
	}
	return 0;
}

static int der_oid_is(const struct der *d, const char *dotted)
{
	char text[96];

	return der_oid_text(d, text, sizeof(text)) == 0 && strcmp(text, dotted) == 0;
}

/* Two digits at p as a number, or -1. */
static int two(const unsigned char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as time_t. */
static int der_time(const struct der *d, time_t *out)
{
	const unsigned char *p = d->p;
	struct tm tm;
	int year, f[5];

	memset(&tm, 0, sizeof(tm));
	if (d->tag == TAG_UTCTIME && d->len == 13 && p[12] == 'Z') {
		int yy = two(p);
		if (yy < 0)
			return -1;
		year = yy >= 50 ? 1900 + yy : 2000 + yy;
		p += 2;
	} else if (d->tag == TAG_GENTIME && d->len == 15 && p[14] == 'Z') {
		int hi = two(p), lo = two(p + 2);
		if (hi < 0 || lo < 0)
			return -1;
		year = hi * 100 + lo;
		p += 4;
	} else {
		return -1;
	}
	for (int i = 0; i < 5; i++)
		if ((f[i] = two(p + 2 * i)) < 0)
			return -1;
	if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = f[0] - 1;
	tm.tm_mday = f[1];
	tm.tm_hour = f[2];
	tm.tm_min = f[3];
	tm.tm_sec = f[4];
	*out = timegm(&tm);
	return 0;
}

/* An AlgorithmIdentifier: its OID and (optional) parameters. */
static int der_algid(const struct der *seq, struct der *oid, struct der *params, int *has_params)
{
	struct der_cur c;

	cur_init(&c, seq);
	if (der_expect(&c, TAG_OID, oid) != 0)
		return -1;
	*has_params = 0;
	if (!cur_done(&c)) {
		if (der_read(&c, params) != 0)
			return -1;
		*has_params = 1;
	}
	return cur_done(&c) ? 0 : -1;
}

/* A Name: SEQUENCE OF SET OF SEQUENCE { OID, ANY }. */
static int der_name(const struct der *name)
{
	struct der_cur c;
	struct der rdn;

	cur_init(&c, name);
	while (!cur_done(&c)) {
		struct der_cur rc;
		struct der atv;
		if (der_expect(&c, TAG_SET, &rdn) != 0 || rdn.len == 0)
			return -1;
		cur_init(&rc, &rdn);
		while (!cur_done(&rc)) {
			struct der_cur ac;
			struct der type, value;
			if (der_expect(&rc, TAG_SEQUENCE, &atv) != 0)
				return -1;
			cur_init(&ac, &atv);
			if (der_expect(&ac, TAG_OID, &type) != 0 || der_read(&ac, &value) != 0 ||
			    !cur_done(&ac))
				return -1;
		}
	}
	return 0;
}

/* Extensions: SEQUENCE OF SEQUENCE { OID, BOOLEAN DEFAULT FALSE, OCTET STRING }. */
static int der_extensions(const struct der *wrapped)
{
	struct der_cur w, c;
	struct der seq, ext;

	cur_init(&w, wrapped);
	if (der_expect(&w, TAG_SEQUENCE, &seq) != 0 || !cur_done(&w) || seq.len == 0)
		return -1;
	cur_init(&c, &seq);
	while (!cur_done(&c)) {
		struct der_cur ec;
		struct der oid, v;
		if (der_expect(&c, TAG_SEQUENCE, &ext) != 0)
			return -1;
		cur_init(&ec, &ext);
		if (der_expect(&ec, TAG_OID, &oid) != 0)
			return -1;
		if (der_peek(&ec) == TAG_BOOLEAN &&
		    (der_read(&ec, &v) != 0 || v.len != 1))
			return -1;
		if (der_expect(&ec, TAG_OCTET_STRING, &v) != 0 || !cur_done(&ec))
			return -1;
	}
	return 0;
}

/* Bits of a positive INTEGER's magnitude. */
static unsigned der_int_bits(const struct der *d)
{
	const unsigned char *p = d->p;
	size_t n = d->len;
	unsigned bits;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return 0;
	bits = (unsigned)(n - 1) * 8;
	for (unsigned char b = *p; b != 0; b >>= 1)
		bits++;
	return bits;
}

static const struct {
	const char *oid;
	const char *name;
	unsigned bits;
} cert_curves[] = {
	{ "1.2.840.10045.3.1.7", "P-256", 256 },
	{ "1.3.132.0.34", "P-384", 384 },
	{ "1.3.132.0.35", "P-521", 521 },
	{ "1.3.132.0.10", "secp256k1", 256 },
	{ "1.2.840.10045.3.1.1", "P-192", 192 },
	{ "1.3.132.0.33", "P-224", 224 },
	{ "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256 },
	{ "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384 },
	{ "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512 },
};

/* SubjectPublicKeyInfo: the key's type and size. */
static int cert_spki(const struct der *spki, struct cert_info *ci, const char **why)
{
	struct der_cur c, kc;
	struct der alg, oid, params, key, seq, mod, exp;
	int has_params;

	cur_init(&c, spki);
	if (der_expect(&c, TAG_SEQUENCE, &alg) != 0 || der_algid(&alg, &oid, &params, &has_params) != 0) {
		*why = "subjectPublicKeyInfo: algorithm is not an AlgorithmIdentifier";
		return -1;
	}
	if (der_expect(&c, TAG_BIT_STRING, &key) != 0 || !cur_done(&c) || key.len < 1 ||
	    key.p[0] != 0) {
		*why = "subjectPublicKeyInfo: subjectPublicKey is not a BIT STRING";
		return -1;
	}
	if (der_oid_text(&oid, ci->key_oid, sizeof(ci->key_oid)) != 0) {
		*why = "subjectPublicKeyInfo: malformed algorithm OID";
		return -1;
	}
	key.p++;
	key.len--;
	if (strcmp(ci->key_oid, "1.2.840.113549.1.1.1") == 0 ||
	    strcmp(ci->key_oid, "1.2.840.113549.1.1.10") == 0) {
		ci->key_type = CERT_KEY_RSA;
		snprintf(ci->key_name, sizeof(ci->key_name), "RSA");
		cur_init(&kc, &key);
		if (der_expect(&kc, TAG_SEQUENCE, &seq) != 0 || !cur_done(&kc)) {
			*why = "subjectPublicKeyInfo: RSA key is not an RSAPublicKey";
			return -1;
		}
		cur_init(&kc, &seq);
		if (der_expect(&kc, TAG_INTEGER, &mod) != 0 || der_expect(&kc, TAG_INTEGER, &exp) != 0 ||
		    !cur_done(&kc) || mod.len == 0 || (mod.p[0] & 0x80) || exp.len == 0 ||
		    (exp.p[0] & 0x80)) {
			*why = "subjectPublicKeyInfo: RSA key is not an RSAPublicKey";
			return -1;
		}
		ci->key_bits = der_int_bits(&mod);
		if (ci->key_bits == 0 || der_int_bits(&exp) == 0) {
			*why = "subjectPublicKeyInfo: RSA modulus or exponent is zero";
			return -1;
		}
		return 0;
	}
	if (strcmp(ci->key_oid, "1.2.840.10045.2.1") == 0) {
		ci->key_type = CERT_KEY_EC;
		if (!has_params || params.tag != TAG_OID) {
			*why = "subjectPublicKeyInfo: EC key without a named curve";
			return -1;
		}
		for (size_t i = 0; i < sizeof(cert_curves) / sizeof(cert_curves[0]); i++) {
			if (der_oid_is(&params, cert_curves[i].oid)) {
				ci->key_bits = cert_curves[i].bits;
				snprintf(ci->key_name, sizeof(ci->key_name), "%s", cert_curves[i].name);
				break;
			}
		}
		if (ci->key_bits == 0) {
			char curve[64];
			if (der_oid_text(&params, curve, sizeof(curve)) != 0) {
				*why = "subjectPublicKeyInfo: malformed EC curve OID";
				return -1;
			}
			snprintf(ci->key_name, sizeof(ci->key_name), "EC");
		}
		if (key.len == 0 || (key.p[0] != 0x04 && key.p[0] != 0x02 && key.p[0] != 0x03)) {
			*why = "subjectPublicKeyInfo: EC point is not encoded";
			return -1;
		}
		return 0;
	}
	if (strcmp(ci->key_oid, "1.3.101.112") == 0 || strcmp(ci->key_oid, "1.3.101.113") == 0) {
		int ed448 = ci->key_oid[9] == '3';
		ci->key_type = ed448 ? CERT_KEY_ED448 : CERT_KEY_ED25519;
		ci->key_bits = ed448 ? 456 : 256;
		snprintf(ci->key_name, sizeof(ci->key_name), "%s", ed448 ? "Ed448" : "Ed25519");
		if (key.len != (ed448 ? 57u : 32u)) {
			*why = "subjectPublicKeyInfo: EdDSA key has the wrong length";
			return -1;
		}
		return 0;
	}
	if (strcmp(ci->key_oid, "1.2.840.10040.4.1") == 0) {
		struct der_cur pc;
		struct der p;
		ci->key_type = CERT_KEY_DSA;
		snprintf(ci->key_name, sizeof(ci->key_name), "DSA");
		if (has_params && params.tag == TAG_SEQUENCE) {
			cur_init(&pc, &params);
			if (der_expect(&pc, TAG_INTEGER, &p) == 0)
				ci->key_bits = der_int_bits(&p);
		}
		return 0;
	}
	ci->key_type = CERT_KEY_OTHER;
	snprintf(ci->key_name, sizeof(ci->key_name), "unknown");
	return 0;
}

static const struct {
	const char *oid;
	const char *name;
	enum cert_hash hash;
} cert_sigalgs[] = {
	{ "1.2.840.113549.1.1.4", "md5WithRSAEncryption", CERT_HASH_MD5 },
	{ "1.2.840.113549.1.1.5", "sha1WithRSAEncryption", CERT_HASH_SHA1 },
	{ "1.2.840.113549.1.1.11", "sha256WithRSAEncryption", CERT_HASH_SHA256 },
	{ "1.2.840.113549.1.1.12", "sha384WithRSAEncryption", CERT_HASH_SHA384 },
	{ "1.2.840.113549.1.1.13", "sha512WithRSAEncryption", CERT_HASH_SHA512 },
	{ "1.2.840.113549.1.1.10", "rsassaPss", CERT_HASH_UNKNOWN },
	{ "1.2.840.10045.4.1", "ecdsa-with-SHA1", CERT_HASH_SHA1 },
	{ "1.2.840.10045.4.3.2", "ecdsa-with-SHA256", CERT_HASH_SHA256 },
	{ "1.2.840.10045.4.3.3", "ecdsa-with-SHA384", CERT_HASH_SHA384 },
	{ "1.2.840.10045.4.3.4", "ecdsa-with-SHA512", CERT_HASH_SHA512 },
	{ "1.3.101.112", "ED25519", CERT_HASH_NONE },
	{ "1.3.101.113", "ED448", CERT_HASH_NONE },
	{ "1.2.840.10040.4.3", "dsa-with-SHA1", CERT_HASH_SHA1 },
	{ "2.16.840.1.101.3.4.3.2", "dsa-with-SHA256", CERT_HASH_SHA256 },
};

/* The signature algorithm's name and hash (PSS: the hash in its parameters). */
static void cert_sigalg(const struct der *oid, const struct der *params, int has_params,
                        struct cert_info *ci)
{
	char text[96];

	ci->sig_hash = CERT_HASH_UNKNOWN;
	snprintf(ci->sig_name, sizeof(ci->sig_name), "unknown");
	if (der_oid_text(oid, text, sizeof(text)) != 0)
		return;
	for (size_t i = 0; i < sizeof(cert_sigalgs) / sizeof(cert_sigalgs[0]); i++) {
		if (strcmp(text, cert_sigalgs[i].oid) != 0)
			continue;
		snprintf(ci->sig_name, sizeof(ci->sig_name), "%s", cert_sigalgs[i].name);
		ci->sig_hash = cert_sigalgs[i].hash;
		break;
	}
	if (strcmp(text, "1.2.840.113549.1.1.10") == 0) {
		/* RSASSA-PSS-params: [0] hashAlgorithm, default SHA-1 */
		struct der_cur c, h;
		struct der f, hseq, hoid, hp;
		int hhas;
		ci->sig_hash = CERT_HASH_SHA1;
		if (!has_params || params->tag != TAG_SEQUENCE)
			return;
		cur_init(&c, params);
		if (der_peek(&c) != TAG_CTX0_C || der_read(&c, &f) != 0)
			return;
		cur_init(&h, &f);
		if (der_expect(&h, TAG_SEQUENCE, &hseq) != 0 || der_algid(&hseq, &hoid, &hp, &hhas) != 0)
			return;
		if (der_oid_is(&hoid, "2.16.840.1.101.3.4.2.1"))
			ci->sig_hash = CERT_HASH_SHA256;
		else if (der_oid_is(&hoid, "2.16.840.1.101.3.4.2.2"))
			ci->sig_hash = CERT_HASH_SHA384;
		else if (der_oid_is(&hoid, "2.16.840.1.101.3.4.2.3"))
			ci->sig_hash = CERT_HASH_SHA512;
		else
			ci->sig_hash = CERT_HASH_UNKNOWN;
	}
}

int cert_parse_der(const unsigned char *der, size_t len, struct cert_info *out,
                   struct tl_err *err)
{
	struct der top = { TAG_SEQUENCE, der, len };
	struct der_cur c, tc, vc;
	struct der cert, tbs, f, sigalg, sig, soid, sparams, issuer, subject, validity, spki, t1, t2;
	struct der inner_oid, inner_params;
	int has_sparams, has_inner;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	cur_init(&c, &top);
	if (der_expect(&c, TAG_SEQUENCE, &cert) != 0) {
		why = "not a DER SEQUENCE";
		goto bad;
	}
	if (!cur_done(&c)) {
		return tl_err_set(err, TL_EPARSE, "%zu bytes after the certificate",
		                  (size_t)(c.end - c.p));
	}
	cur_init(&c, &cert);
	if (der_expect(&c, TAG_SEQUENCE, &tbs) != 0) {
		why = "tbsCertificate is missing";
		goto bad;
	}
	if (der_expect(&c, TAG_SEQUENCE, &sigalg) != 0 ||
	    der_algid(&sigalg, &soid, &sparams, &has_sparams) != 0) {
		why = "signatureAlgorithm is not an AlgorithmIdentifier";
		goto bad;
	}
	if (der_expect(&c, TAG_BIT_STRING, &sig) != 0 || sig.len < 2 || !cur_done(&c)) {
		why = "signatureValue is not a BIT STRING";
		goto bad;
	}
	cert_sigalg(&soid, &sparams, has_sparams, out);

	cur_init(&tc, &tbs);
	if (der_peek(&tc) == TAG_CTX0_C) {
		struct der_cur vv;
		struct der ver;
		if (der_read(&tc, &f) != 0) {
			why = "version is malformed";
			goto bad;
		}
		cur_init(&vv, &f);
		if (der_expect(&vv, TAG_INTEGER, &ver) != 0 || !cur_done(&vv) || ver.len != 1 ||
		    ver.p[0] > 2) {
			why = "version is not v1, v2 or v3";
			goto bad;
		}
	}
	if (der_expect(&tc, TAG_INTEGER, &f) != 0 || f.len == 0 || f.len > 64) {
		why = "serialNumber is not an INTEGER";
		goto bad;
	}
	if (der_expect(&tc, TAG_SEQUENCE, &f) != 0 ||
	    der_algid(&f, &inner_oid, &inner_params, &has_inner) != 0) {
		why = "signature is not an AlgorithmIdentifier";
		goto bad;
	}
	if (f.len != sigalg.len || memcmp(f.p, sigalg.p, f.len) != 0) {
		why = "the two signature algorithms differ";
		goto bad;
	}
	if (der_expect(&tc, TAG_SEQUENCE, &issuer) != 0 || der_name(&issuer) != 0) {
		why = "issuer is not a Name";
		goto bad;
	}
	if (der_expect(&tc, TAG_SEQUENCE, &validity) != 0) {
		why = "validity is missing";
		goto bad;
	}
	cur_init(&vc, &validity);
	if (der_read(&vc, &t1) != 0 || der_time(&t1, &out->not_before) != 0) {
		why = "validity: notBefore is not a UTCTime or GeneralizedTime";
		goto bad;
	}
	if (der_read(&vc, &t2) != 0 || der_time(&t2, &out->not_after) != 0 || !cur_done(&vc)) {
		why = "validity: notAfter is not a UTCTime or GeneralizedTime";
		goto bad;
	}
	if (der_expect(&tc, TAG_SEQUENCE, &subject) != 0 || der_name(&subject) != 0) {
		why = "subject is not a Name";
		goto bad;
	}
	if (der_expect(&tc, TAG_SEQUENCE, &spki) != 0) {
		why = "subjectPublicKeyInfo is missing";
		goto bad;
	}
	if (cert_spki(&spki, out, &why) != 0)
		goto bad;
	if (der_peek(&tc) == TAG_CTX1_P && der_read(&tc, &f) != 0) {
		why = "issuerUniqueID is malformed";
		goto bad;
	}
	if (der_peek(&tc) == TAG_CTX2_P && der_read(&tc, &f) != 0) {
		why = "subjectUniqueID is malformed";
		goto bad;
	}
	if (der_peek(&tc) == TAG_CTX3_C) {
		if (der_read(&tc, &f) != 0 || der_extensions(&f) != 0) {
			why = "extensions are malformed";
			goto bad;
		}
	}
	if (!cur_done(&tc)) {
		why = "unexpected data at the end of tbsCertificate";
		goto bad;
	}
	out->self_issued = issuer.len == subject.len && memcmp(issuer.p, subject.p, issuer.len) == 0;
	util_sha256(der, len, out->der_sha256);
	/* the whole SubjectPublicKeyInfo TLV, header included */
	{
		const unsigned char *start = spki.p;
		size_t hdr = 2;
		if (spki.len >= 0x80)
			hdr += spki.len > 0xffffff ? 4 : spki.len > 0xffff ? 3 : spki.len > 0xff ? 2 : 1;
		util_sha256(start - hdr, spki.len + hdr, out->spki_sha256);
	}
	return TL_OK;
bad:
	return tl_err_set(err, TL_EPARSE, "not a DER X.509 certificate: %s", why);
}

/* Base64 digit values; 64 marks XML whitespace, 65 '=', 0xff anything else. */
static const unsigned char cert_b64[256] = {
	['A'] = 0,  ['B'] = 1,  ['C'] = 2,  ['D'] = 3,  ['E'] = 4,  ['F'] = 5,  ['G'] = 6,
	['H'] = 7,  ['I'] = 8,  ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13,
	['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20,
	['V'] = 21, ['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27,
	['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34,
	['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
	['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47, ['w'] = 48,
	['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
	['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62,
	['/'] = 63, [' '] = 64, ['\t'] = 64, ['\r'] = 64, ['\n'] = 64, ['='] = 65,
};

/* 'A' is the only character whose value is 0: everything else unlisted is invalid. */
static int cert_b64_digit(unsigned char c)
{
	unsigned char v = cert_b64[c];

	return v != 0 || c == 'A' ? v : 0xff;
}

int cert_b64_decode(const char *b64, unsigned char **out, size_t *len, struct tl_err *err)
{
	size_t n = 0, chars = 0, cap = strlen(b64) / 4 * 3 + 3;
	unsigned acc = 0;
	int bits = 0, pad = 0;
	unsigned char *buf;

	*out = NULL;
	*len = 0;
	buf = malloc(cap);
	if (buf == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory decoding base64");
	for (const unsigned char *p = (const unsigned char *)b64; *p != '\0'; p++) {
		unsigned d0, d1, d2, d3;
		int v;
		/* four digits on a boundary, the common case: no whitespace and no padding among them
		 * (a NUL is not a digit, so nothing past the end is read) */
		if (bits == 0 && pad == 0 && (d0 = (unsigned)cert_b64_digit(p[0])) < 64 &&
		    (d1 = (unsigned)cert_b64_digit(p[1])) < 64 && (d2 = (unsigned)cert_b64_digit(p[2])) < 64 &&
		    (d3 = (unsigned)cert_b64_digit(p[3])) < 64) {
			buf[n++] = (unsigned char)(d0 << 2 | d1 >> 4);
			buf[n++] = (unsigned char)(d1 << 4 | d2 >> 2);
			buf[n++] = (unsigned char)(d2 << 6 | d3);
			chars += 4;
			p += 3;
			continue;
		}
		v = cert_b64_digit(*p);
		if (v == 64)
			continue;
		chars++;
		if (v == 65) {
			pad++;
			continue;
		}
		if (pad > 0 || v == 0xff) {
			free(buf);
			return tl_err_set(err, TL_EPARSE, "not base64");
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chars == 0) {
		free(buf);
		return tl_err_set(err, TL_EPARSE, "empty");
	}
	if (chars % 4 != 0 || pad > 2) {
		free(buf);
		return tl_err_set(err, TL_EPARSE, "not base64 (bad length or padding)");
	}
	*out = buf;
	*len = n;
	return TL_OK;
}

int cert_parse_b64(const char *b64, struct cert_info *out, struct tl_err *err)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(b64) > CERT_B64_MAX)
		return tl_err_set(err, TL_ELIMIT, "certificate larger than %d characters of base64",
		                  CERT_B64_MAX);
	rc = cert_b64_decode(b64, &der, &len, err);
	if (rc == TL_OK)
		rc = cert_parse_der(der, len, out, err);
	free(der);
	return rc;
}
