/* err.c - error codes, messages and their mapping to exit and HTTP status. */
#include "tillit/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int code;
	const char *name;
	int exit_status;
	unsigned http;
} err_table[] = {
	{ TL_OK, "success", 0, 200 },
	{ TL_ENOMEM, "out of memory", 1, 503 },
	{ TL_EINVAL, "invalid input", 3, 400 },
	{ TL_EIO, "input/output error", 1, 500 },
	{ TL_ENOENT, "not found", 1, 404 },
	{ TL_EEXIST, "already exists", 3, 409 },
	{ TL_EPARSE, "XML not well-formed", 3, 400 },
	{ TL_ESCHEMA, "schema validation failed", 3, 422 },
	{ TL_ERULE, "federation rule violated", 3, 422 },
	{ TL_ESIG, "signature not valid", 3, 422 },
	{ TL_EEXPIRED, "expired", 3, 422 },
	{ TL_ELIMIT, "limit exceeded", 3, 413 },
	{ TL_ESTATE, "not allowed in this state", 3, 409 },
	{ TL_ESTORE, "store failure", 1, 500 },
	{ TL_ECRYPTO, "cryptographic failure", 1, 500 },
	{ TL_ECONF, "configuration error", 1, 500 },
	{ TL_EUSAGE, "usage error", 2, 400 },
	{ TL_EPERM, "permission denied", 1, 403 },
	{ TL_EINTERNAL, "internal error", 1, 500 },
};

#define ERR_TABLE_LEN (sizeof(err_table) / sizeof(err_table[0]))

static size_t err_index(int code)
{
	for (size_t i = 0; i < ERR_TABLE_LEN; i++)
		if (err_table[i].code == code)
			return i;
	return ERR_TABLE_LEN - 1; /* TL_EINTERNAL */
}

void tl_err_clear(struct tl_err *err)
{
	if (err == NULL)
		return;
	err->code = TL_OK;
	err->msg[0] = '\0';
}

static void err_flatten(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int tl_err_set(struct tl_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err_flatten(err->msg);
	return code;
}

int tl_err_prefix(struct tl_err *err, const char *fmt, ...)
{
	char prefix[TL_ERR_MSG_MAX];
	char old[TL_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return TL_OK;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	err_flatten(err->msg);
	return err->code;
}

const char *tl_strerror(int code)
{
	return err_table[err_index(code)].name;
}

int tl_exit_status(int code)
{
	return err_table[err_index(code)].exit_status;
}

unsigned tl_http_status(int code)
{
	return err_table[err_index(code)].http;
}
