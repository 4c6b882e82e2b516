/*
 * test_cert.c - the DER certificate walker, checked against OpenSSL's own
 * parse of certificates made here with every key type and hash in use.
 */
#define _GNU_SOURCE /* memmem */
#include "tltest.h"

#include "tillit/cert.h"
#include "tillit/util.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* A certificate for key, signed by signer (itself when NULL) with md. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const EVP_MD *md, long days, int ext)
{
	X509 *x = X509_new();
	X509_NAME *n;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400L);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"idp.älvby.example.se",
	                           -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Alvby", -1, -1, 0);
	if (signer == NULL) {
		X509_set_issuer_name(x, n);
	} else {
		X509_NAME *in = X509_NAME_new();
		X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const unsigned char *)"Some CA", -1,
		                           -1, 0);
		X509_set_issuer_name(x, in);
		X509_NAME_free(in);
	}
	if (ext) {
		X509V3_CTX ctx;
		X509_EXTENSION *e;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:idp.alvby.example.se");
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	ck_assert_int_gt(X509_sign(x, signer ? signer : key, md), 0);
	return x;
}

static unsigned char *cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

/* Our facts agree with OpenSSL's for x. */
static void agree(X509 *x, enum cert_key_type type, const char *name)
{
	struct cert_info ci;
	struct tl_err err = { 0 };
	unsigned char *der, *spki = NULL, fp[UTIL_SHA256_LEN];
	unsigned fplen = 0;
	size_t len;
	int mdnid = 0, pknid = 0, n;
	EVP_PKEY *pk = X509_get0_pubkey(x);

	der = cert_der(x, &len);
	ck_assert_msg(cert_parse_der(der, len, &ci, &err) == TL_OK, "%s: %s", name, err.msg);
	ck_assert_int_eq(ci.key_type, type);
	ck_assert_uint_eq(ci.key_bits, (unsigned)EVP_PKEY_get_bits(pk));
	ck_assert_str_eq(ci.key_name, name);
	ck_assert_int_eq(ci.not_before, asn1_time(X509_get0_notBefore(x)));
	ck_assert_int_eq(ci.not_after, asn1_time(X509_get0_notAfter(x)));
	ck_assert_int_eq(ci.self_issued,
	                 X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0);
	X509_digest(x, EVP_sha256(), fp, &fplen);
	ck_assert_uint_eq(fplen, UTIL_SHA256_LEN);
	ck_assert_mem_eq(ci.der_sha256, fp, UTIL_SHA256_LEN);
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	ck_assert_int_gt(n, 0);
	util_sha256(spki, (size_t)n, fp);
	ck_assert_mem_eq(ci.spki_sha256, fp, UTIL_SHA256_LEN);
	ck_assert_int_eq(X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL), 1);
	switch (mdnid) {
	case NID_sha1: ck_assert_int_eq(ci.sig_hash, CERT_HASH_SHA1); break;
	case NID_sha256: ck_assert_int_eq(ci.sig_hash, CERT_HASH_SHA256); break;
	case NID_sha384: ck_assert_int_eq(ci.sig_hash, CERT_HASH_SHA384); break;
	case NID_sha512: ck_assert_int_eq(ci.sig_hash, CERT_HASH_SHA512); break;
	case NID_undef: ck_assert_int_eq(ci.sig_hash, CERT_HASH_NONE); break;
	default: ck_abort_msg("unexpected digest %d", mdnid);
	}
	OPENSSL_free(spki);
	OPENSSL_free(der);
}

START_TEST(cert_agrees_with_openssl_rsa)
{
	static const unsigned sizes[] = { 1024, 2048, 3072 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)sizes[i]);
		X509 *x;
		ck_assert_ptr_nonnull(k);
		x = make_cert(k, NULL, EVP_sha256(), 3650, 1);
		agree(x, CERT_KEY_RSA, "RSA");
		X509_free(x);
		x = make_cert(k, NULL, EVP_sha1(), 10, 0);
		agree(x, CERT_KEY_RSA, "RSA");
		X509_free(x);
		EVP_PKEY_free(k);
	}
}
END_TEST

START_TEST(cert_agrees_with_openssl_ec_and_eddsa)
{
	static const struct { const char *curve; const char *name; } curves[] = {
		{ "P-256", "P-256" }, { "P-384", "P-384" }, { "P-521", "P-521" },
	};
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x;

	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i].curve);
		ck_assert_ptr_nonnull(k);
		x = make_cert(k, NULL, EVP_sha384(), 365, 1);
		agree(x, CERT_KEY_EC, curves[i].name);
		X509_free(x);
		/* an EC key in a certificate issued (RSA, SHA-512) by someone else */
		x = make_cert(k, rsa, EVP_sha512(), 365, 0);
		agree(x, CERT_KEY_EC, curves[i].name);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	ck_assert_ptr_nonnull(ed);
	x = make_cert(ed, NULL, NULL, 365, 1);
	agree(x, CERT_KEY_ED25519, "Ed25519");
	X509_free(x);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}
END_TEST

START_TEST(cert_agrees_on_the_demo_federation)
{
	/* every certificate of the demo metadata, read by both parsers */
	static const char *const files[] = { "md/idp-vaxjo.xml", "md/sp-lulea.xml",
	                                     "md/idpsp-orebro.xml" };
	int seen = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *xml = tlt_data(files[f], &len), *p = xml;
		while ((p = strstr(p, "<ds:X509Certificate>")) != NULL) {
			char *end = strstr(p, "</");
			struct cert_info ci;
			struct tl_err err = { 0 };
			unsigned char *der;
			const unsigned char *q;
			size_t dlen;
			X509 *x;
			p += strlen("<ds:X509Certificate>");
			if (end == NULL || end < p)
				break;
			*end = '\0';
			ck_assert_int_eq(cert_b64_decode(p, &der, &dlen, &err), TL_OK);
			q = der;
			x = d2i_X509(NULL, &q, (long)dlen);
			ck_assert_ptr_nonnull(x);
			ck_assert_int_eq(cert_parse_b64(p, &ci, &err), TL_OK);
			ck_assert_uint_eq(ci.key_bits, (unsigned)EVP_PKEY_get_bits(X509_get0_pubkey(x)));
			ck_assert_int_eq(ci.not_after, asn1_time(X509_get0_notAfter(x)));
			X509_free(x);
			free(der);
			p = end + 1;
			seen++;
		}
		free(xml);
	}
	ck_assert_int_gt(seen, 2);
}
END_TEST

/* A parse of der[0..len) that must fail with a message containing what. */
static void refused(const unsigned char *der, size_t len, const char *what)
{
	struct cert_info ci;
	struct tl_err err = { 0 };

	ck_assert_int_eq(cert_parse_der(der, len, &ci, &err), TL_EPARSE);
	ck_assert_msg(strstr(err.msg, what) != NULL, "'%s' lacks '%s'", err.msg, what);
}

START_TEST(cert_refuses_malformed_der)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *x = make_cert(k, NULL, EVP_sha256(), 365, 1);
	size_t len, vpos;
	unsigned char *der = cert_der(x, &len), *copy = malloc(len + 1);
	struct cert_info ci;
	struct tl_err err = { 0 };

	/* every truncation fails, and never reads past the given length */
	for (size_t n = 0; n < len; n++) {
		unsigned char *t = malloc(n ? n : 1);
		memcpy(t, der, n);
		ck_assert_int_eq(cert_parse_der(t, n, &ci, &err), TL_EPARSE);
		free(t);
	}
	memcpy(copy, der, len);
	copy[len] = 0;
	refused(copy, len + 1, "after the certificate");
	/* indefinite length (BER, not DER) */
	memcpy(copy, der, len);
	copy[1] = 0x80;
	refused(copy, len, "not a DER SEQUENCE");
	/* the validity's notAfter with a month 13 */
	memcpy(copy, der, len);
	{
		unsigned char *t = NULL, *p;
		int tlen = i2d_ASN1_TIME(X509_get0_notAfter(x), &t);
		ck_assert_int_eq(tlen, 15); /* UTCTime, 13 characters */
		p = memmem(copy, len, t, (size_t)tlen);
		OPENSSL_free(t);
		ck_assert_ptr_nonnull(p);
		vpos = (size_t)(p - copy);
		copy[vpos + 4] = '1';
		copy[vpos + 5] = '3';
		refused(copy, len, "notAfter");
	}
	/* an RSA modulus that is negative */
	memcpy(copy, der, len);
	{
		static const unsigned char rsa_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		                                         0x01, 0x01, 0x01 };
		unsigned char *p = memmem(copy, len, rsa_oid, sizeof(rsa_oid));
		unsigned char *m;
		ck_assert_ptr_nonnull(p);
		m = memmem(p, len - (size_t)(p - copy), "\x02\x82\x01\x01\x00", 5); /* INTEGER 257 bytes */
		ck_assert_ptr_nonnull(m);
		m[4] = 0x80;
		refused(copy, len, "RSAPublicKey");
	}
	free(copy);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(cert_b64_errors)
{
	unsigned char *der = NULL;
	size_t len;
	struct cert_info ci;
	struct tl_err err = { 0 };
	char *big = malloc(CERT_B64_MAX + 2);

	ck_assert_int_eq(cert_b64_decode("  \n ", &der, &len, &err), TL_EPARSE);
	ck_assert_str_eq(err.msg, "empty");
	ck_assert_int_eq(cert_b64_decode("MII*", &der, &len, &err), TL_EPARSE);
	ck_assert_str_eq(err.msg, "not base64");
	ck_assert_int_eq(cert_b64_decode("MIIB=", &der, &len, &err), TL_EPARSE);
	ck_assert_int_eq(cert_b64_decode("TWFu\nTWE=", &der, &len, &err), TL_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(der, "ManMa", 5);
	free(der);
	memset(big, 'A', CERT_B64_MAX + 1);
	big[CERT_B64_MAX + 1] = '\0';
	ck_assert_int_eq(cert_parse_b64(big, &ci, &err), TL_ELIMIT);
	ck_assert_int_eq(cert_parse_b64("TWFu", &ci, &err), TL_EPARSE);
	free(big);
}
END_TEST

/*
 * The decoder against OpenSSL's EVP_EncodeBlock: every length from 0 to 300
 * bytes, as encoded and with whitespace put in at varying places; and
 * padding or a bad character anywhere refused.
 */
START_TEST(cert_b64_matches_openssl)
{
	unsigned char raw[300], enc[512], *der;
	char spaced[1024];
	size_t len;
	struct tl_err err = { 0 };

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 131 + 7);
	for (int n = 1; n <= (int)sizeof(raw); n++) {
		int elen = EVP_EncodeBlock(enc, raw, n);
		size_t k = 0;
		ck_assert_int_eq(cert_b64_decode((const char *)enc, &der, &len, &err), TL_OK);
		ck_assert_uint_eq(len, (size_t)n);
		ck_assert_mem_eq(der, raw, (size_t)n);
		free(der);
		for (int i = 0; i < elen; i++) {
			if ((i + n) % 7 == 0)
				spaced[k++] = (i % 2) ? '\n' : ' ';
			spaced[k++] = (char)enc[i];
		}
		spaced[k] = '\0';
		ck_assert_int_eq(cert_b64_decode(spaced, &der, &len, &err), TL_OK);
		ck_assert_uint_eq(len, (size_t)n);
		ck_assert_mem_eq(der, raw, (size_t)n);
		free(der);
		if (elen >= 8) {
			char c = spaced[3];
			spaced[3] = '=';  /* padding inside the text */
			ck_assert_int_eq(cert_b64_decode(spaced, &der, &len, &err), TL_EPARSE);
			spaced[3] = '*';
			ck_assert_int_eq(cert_b64_decode(spaced, &der, &len, &err), TL_EPARSE);
			spaced[3] = c;
			spaced[k - 1] = '-';
			ck_assert_int_eq(cert_b64_decode(spaced, &der, &len, &err), TL_EPARSE);
		}
	}
	ck_assert_int_eq(cert_b64_decode("TWE=TWFu", &der, &len, &err), TL_EPARSE);
	ck_assert_int_eq(cert_b64_decode("TWFuT", &der, &len, &err), TL_EPARSE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cert");
	TCase *tc = tcase_create("cert");

	tcase_add_test(tc, cert_agrees_with_openssl_rsa);
	tcase_add_test(tc, cert_agrees_with_openssl_ec_and_eddsa);
	tcase_add_test(tc, cert_agrees_on_the_demo_federation);
	tcase_add_test(tc, cert_refuses_malformed_der);
	tcase_add_test(tc, cert_b64_errors);
	tcase_add_test(tc, cert_b64_matches_openssl);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
