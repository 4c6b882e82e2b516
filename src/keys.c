/* keys.c - key generation and loading. */
#include "tillit/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tillit/util.h"

static int keys_ossl_err(struct tl_err *err, const char *what)
{
	char reason[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return tl_err_set(err, TL_ECRYPTO, "%s: %s", what, e ? reason : "unknown OpenSSL error");
}

static FILE *keys_create(const char *path, unsigned mode, struct tl_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		tl_err_set(err, errno == EEXIST ? TL_EEXIST : TL_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno));
	}
	return f;
}

int keys_generate(const char *keypath, const char *certpath, int bits, const char *cn,
                  int days, struct tl_err *err)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	FILE *kf = NULL, *cf = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int rc = TL_OK;

	pkey = EVP_RSA_gen((unsigned)bits);
	if (pkey == NULL) {
		rc = keys_ossl_err(err, "RSA key generation failed");
		goto out;
	}
	x = X509_new();
	if (x == NULL || util_random(serial, sizeof(serial), err) != TL_OK) {
		rc = x == NULL ? keys_ossl_err(err, "X509_new") : TL_ECRYPTO;
		goto out;
	}
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	X509_set_version(x, 2);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400L);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, pkey, EVP_sha256()) == 0) {
		rc = keys_ossl_err(err, "certificate signing failed");
		goto out;
	}
	kf = keys_create(keypath, 0600, err);
	if (kf == NULL) {
		rc = err ? err->code : TL_EIO;
		goto out;
	}
	if (PEM_write_PrivateKey(kf, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		rc = keys_ossl_err(err, keypath);
		goto out;
	}
	cf = keys_create(certpath, 0644, err);
	if (cf == NULL) {
		rc = err ? err->code : TL_EIO;
		goto out;
	}
	if (PEM_write_X509(cf, x) != 1)
		rc = keys_ossl_err(err, certpath);
out:
	if (kf != NULL && fclose(kf) != 0 && rc == TL_OK)
		rc = tl_err_set(err, TL_EIO, "%s: %s", keypath, strerror(errno));
	if (cf != NULL && fclose(cf) != 0 && rc == TL_OK)
		rc = tl_err_set(err, TL_EIO, "%s: %s", certpath, strerror(errno));
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

EVP_PKEY *keys_load_private(const char *path, struct tl_err *err)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL) {
		tl_err_set(err, errno == ENOENT ? TL_ENOENT : TL_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		keys_ossl_err(err, path);
	return k;
}

X509 *keys_load_cert(const char *path, struct tl_err *err)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL) {
		tl_err_set(err, errno == ENOENT ? TL_ENOENT : TL_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		keys_ossl_err(err, path);
	return x;
}

char *keys_cert_base64(X509 *cert)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	char *b64;

	if (n <= 0)
		return NULL;
	b64 = util_base64(der, (size_t)n);
	OPENSSL_free(der);
	return b64;
}
