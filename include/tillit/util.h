/*
 * util.h - small helpers shared by all modules: hashes, time, files.
 */
#ifndef TILLIT_UTIL_H
#define TILLIT_UTIL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tillit/err.h"

#define UTIL_SHA1_LEN 20
#define UTIL_SHA256_LEN 32

/* SHA-1 of n bytes (the MDQ {sha1} identifier and our entity keys). */
void util_sha1(const void *p, size_t n, unsigned char out[UTIL_SHA1_LEN]);
/* SHA-256 of n bytes. */
void util_sha256(const void *p, size_t n, unsigned char out[UTIL_SHA256_LEN]);

/*
 * OpenSSL's implementation of the digest "SHA1", "SHA256", "SHA384" or
 * "SHA512", fetched once per process (OpenSSL 3 otherwise looks it up in
 * its provider tables on every use); NULL for another name.  Not to be
 * freed.
 */
const EVP_MD *util_md(const char *name);
/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void util_hex(const unsigned char *p, size_t n, char *out);
/* Parse 2n hex digits (either case) into out; -1 if malformed. */
int util_unhex(const char *hex, unsigned char *out, size_t n);

/* Format t as ISO 8601 UTC "YYYY-MM-DDThh:mm:ssZ" into out (>= 21 bytes). */
void util_time_iso(time_t t, char *out, size_t outlen);
/*
 * Parse an xs:dateTime ("2026-01-02T03:04:05Z", fractions and +hh:mm
 * offsets accepted) or a plain date ("2026-01-02", midnight UTC).
 * Returns 0 and sets *t, or -1 if malformed.
 */
int util_time_parse(const char *s, time_t *t);
/*
 * Parse an xs:duration made of days, hours, minutes, seconds ("P7D",
 * "PT6H", "P1DT2H"); years and months are refused.  Returns 0 and sets
 * *secs, or -1.
 */
int util_duration_parse(const char *s, long long *secs);
/* Format secs as an xs:duration ("PT21600S" style normalised to "P7D" / "PT6H"). */
void util_duration_format(long long secs, char *out, size_t outlen);
/* The current time; TILLIT_NOW (seconds since the epoch) overrides it in tests. */
time_t util_now(void);

/*
 * Read a whole file (or standard input for "-") of at most max bytes into
 * a new NUL-terminated buffer (free() it).  Errors: TL_ENOENT, TL_EIO,
 * TL_ELIMIT ("FILE is larger than N bytes"), TL_ENOMEM.
 */
int util_read_file(const char *path, size_t max, char **out, size_t *len, struct tl_err *err);

/*
 * Write n bytes to path atomically: a temporary file in the same
 * directory, fsync, rename.  mode is the new file's permission bits.
 * Errors: TL_EIO naming the path.
 */
int util_write_atomic(const char *path, const void *p, size_t n, unsigned mode,
                      struct tl_err *err);

/* mkdir -p with mode for the directories it creates.  Errors: TL_EIO. */
int util_mkdirs(const char *path, unsigned mode, struct tl_err *err);

/* Constant-time comparison of n bytes: 1 if equal. */
int util_ct_equal(const void *a, const void *b, size_t n);

/* Fill p with n cryptographically random bytes.  Errors: TL_ECRYPTO. */
int util_random(void *p, size_t n, struct tl_err *err);

/* Percent-decode s into a new string (free() it); NULL if malformed. */
char *util_url_decode(const char *s, size_t len);
/* The same for a form value (application/x-www-form-urlencoded): '+' is a space too. */
char *util_form_decode(const char *s, size_t len);
/* Percent-encode s (RFC 3986 unreserved kept) into a new string; free() it. */
char *util_url_encode(const char *s);

/* Base64 of n bytes into a new NUL-terminated string; free() it. */
char *util_base64(const unsigned char *p, size_t n);

/*
 * A top-level member of a JSON object held as text, read in place: the
 * store's records are read by the ten thousand in a pass, and jansson
 * builds every value of each.  Keys are compared as written.  1: found,
 * *v and *n its value as written (a string's between its quotes, escapes
 * left in) and *quoted whether it is a string; 0: no such member; -1: s
 * is not a JSON object this reader can walk.
 */
int util_json_member(const char *s, size_t len, const char *key, const char **v, size_t *n, int *quoted);
/*
 * A string member without escapes as a new string (*out, free()): 1;
 * absent or null: 0 (*out NULL); anything else (another type, escapes,
 * not an object, no memory): -1, and the caller parses s with jansson.
 */
int util_json_str(const char *s, size_t len, const char *key, char **out);
/* A non-negative integer member (at most 2^53): 1; absent or null: 0 (*out 0); else -1. */
int util_json_uint(const char *s, size_t len, const char *key, unsigned long long *out);

/* Parse a decimal size with optional K/M/G suffix ("64M"); -1 if malformed. */
int util_parse_size(const char *s, unsigned long long *out);

#endif
