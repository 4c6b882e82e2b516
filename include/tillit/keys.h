/*
 * keys.h - key pairs and self-signed certificates in the data directory.
 *
 * Private keys are written with mode 0600 from the moment the file exists
 * (created with O_EXCL and that mode, never chmod'ed afterwards) and are
 * never logged.
 */
#ifndef TILLIT_KEYS_H
#define TILLIT_KEYS_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tillit/err.h"

/*
 * Generate an RSA key of bits bits and a self-signed SHA-256 certificate
 * for subject CN=cn valid for days days; write the key (PKCS#8 PEM, mode
 * 0600) to keypath and the certificate (PEM, 0644) to certpath.  Refuses
 * to overwrite an existing key (TL_EEXIST).  Errors: TL_ECRYPTO, TL_EIO.
 */
int keys_generate(const char *keypath, const char *certpath, int bits, const char *cn,
                  int days, struct tl_err *err);

/* Load a PEM private key.  New reference (EVP_PKEY_free).  Errors: TL_ENOENT, TL_ECRYPTO. */
EVP_PKEY *keys_load_private(const char *path, struct tl_err *err);

/* Load a PEM certificate.  New object (X509_free).  Errors: TL_ENOENT, TL_ECRYPTO. */
X509 *keys_load_cert(const char *path, struct tl_err *err);

/* Base64 of the DER certificate, no line breaks (free()); NULL on failure. */
char *keys_cert_base64(X509 *cert);

#endif
