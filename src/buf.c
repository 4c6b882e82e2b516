/* buf.c - bounded growable buffer. */
#include "tillit/buf.h"
#include "tillit/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return TL_ELIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return TL_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return TL_ENOMEM;
	b->data = p;
	b->cap = cap;
	return TL_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc != TL_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TL_OK;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_cat(struct buf *b, ...)
{
	size_t total = 0;
	const char *s;
	va_list ap;
	int rc;

	va_start(ap, b);
	while ((s = va_arg(ap, const char *)) != NULL)
		total += strlen(s);
	va_end(ap);
	if ((rc = buf_reserve(b, total)) != TL_OK)
		return rc;
	va_start(ap, b);
	while ((s = va_arg(ap, const char *)) != NULL) {
		size_t n = strlen(s);
		memcpy(b->data + b->len, s, n);
		b->len += n;
	}
	va_end(ap);
	b->data[b->len] = '\0';
	return TL_OK;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	size_t room = b->cap - b->len; /* the NUL's byte included; 0 before the first allocation */
	va_list ap;
	int n, rc;

	/* formatted once where it fits in what is allocated (the common case), else measured first */
	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (room > 0)
			b->data[b->len] = '\0';
		return TL_EINVAL;
	}
	if ((size_t)n < room && (size_t)n <= b->max - b->len) {
		b->len += (size_t)n;
		return TL_OK;
	}
	if (room > 0)
		b->data[b->len] = '\0'; /* what did not fit, or passes the limit, is not kept */
	rc = buf_reserve(b, (size_t)n);
	if (rc != TL_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TL_OK;
}

int buf_xml_escape(struct buf *b, const char *s)
{
	int rc = TL_OK;

	while (rc == TL_OK) {
		size_t n = strcspn(s, "&<>\""); /* the runs between are most of the text (base64 forms) */
		const char *rep;
		if ((rc = buf_append(b, s, n)) != TL_OK || s[n] == '\0')
			break;
		s += n;
		switch (*s++) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		default: rep = "&quot;"; break;
		}
		rc = buf_puts(b, rep);
	}
	return rc;
}

char *buf_steal(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
