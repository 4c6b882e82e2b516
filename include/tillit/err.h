/*
 * err.h - Tillit error codes and the message that travels with them.
 *
 * Every fallible function returns TL_OK (0) or a negative tl_code, and
 * fills a caller-provided struct tl_err with a one-line message naming the
 * input that was wrong.  Library errors (LMDB, libxml2, xmlsec, OpenSSL,
 * lasso, libmicrohttpd) are translated into these codes at the boundary.
 */
#ifndef TILLIT_ERR_H
#define TILLIT_ERR_H

#include <stddef.h>

enum tl_code {
	TL_OK = 0,
	TL_ENOMEM = -1,    /* allocation failed */
	TL_EINVAL = -2,    /* bad argument or bad input value */
	TL_EIO = -3,       /* file or socket I/O failed */
	TL_ENOENT = -4,    /* no such member, entity, file, key ... */
	TL_EEXIST = -5,    /* already exists / owned by someone else */
	TL_EPARSE = -6,    /* XML not well-formed, DTD, entity, truncated */
	TL_ESCHEMA = -7,   /* XML schema validation failed */
	TL_ERULE = -8,     /* a federation rule is violated */
	TL_ESIG = -9,      /* signature missing, malformed or not valid */
	TL_EEXPIRED = -10, /* validUntil missing or in the past */
	TL_ELIMIT = -11,   /* a size or count limit was exceeded */
	TL_ESTATE = -12,   /* operation not allowed in the current state */
	TL_ESTORE = -13,   /* LMDB failure */
	TL_ECRYPTO = -14,  /* OpenSSL / xmlsec failure */
	TL_ECONF = -15,    /* configuration file error */
	TL_EUSAGE = -16,   /* command line usage error */
	TL_EPERM = -17,    /* permission or authentication failure */
	TL_EINTERNAL = -18 /* a bug: an invariant did not hold */
};

#define TL_ERR_MSG_MAX 512

struct tl_err {
	int code;                  /* last tl_code set, TL_OK if none */
	char msg[TL_ERR_MSG_MAX];  /* one line, no trailing newline */
};

/* Reset err to TL_OK with an empty message.  err may be NULL. */
void tl_err_clear(struct tl_err *err);

/*
 * Record code and a printf-style message in err (which may be NULL) and
 * return code, so that callers can write `return tl_err_set(err, ...)`.
 * Newlines in the formatted message are replaced by spaces.
 */
int tl_err_set(struct tl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with "prefix: ".  Returns err->code.
 * Used when a caller adds context (a file name, an entityID).
 */
int tl_err_prefix(struct tl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Static, human-readable name of a code.  Never NULL. */
const char *tl_strerror(int code);

/*
 * Process exit status for a code, per the interface contract:
 * 0 success, 1 failure, 2 usage error, 3 input rejected by validation.
 */
int tl_exit_status(int code);

/* HTTP status for a code (the one table every front end uses). */
unsigned tl_http_status(int code);

#endif
