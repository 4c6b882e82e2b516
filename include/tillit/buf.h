/*
 * buf.h - a growable byte buffer that refuses to grow past its limit.
 *
 * The buffer owns its memory; buf_free() releases it.  The content is
 * always NUL-terminated (the terminator is not counted in len).
 */
#ifndef TILLIT_BUF_H
#define TILLIT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes used, excluding the NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* the limit: len never exceeds it */
};

/* Start empty with a limit of max bytes (no allocation yet). */
void buf_init(struct buf *b, size_t max);
/* Free the memory and reset to empty (the limit is kept). */
void buf_free(struct buf *b);
/* Drop the content, keep the memory. */
void buf_reset(struct buf *b);
/* Append n bytes.  TL_ELIMIT past the limit, TL_ENOMEM; b unchanged then. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Append the strings given, in order, up to a NULL: what buf_printf with
 * only %s would write, without formatting (glibc's printf costs tens of
 * instructions a byte of literal text).  All or nothing: past the limit
 * TL_ELIMIT, TL_ENOMEM, and b unchanged.
 */
int buf_cat(struct buf *b, ...) __attribute__((sentinel));
/* Append s with XML escaping of & < > " (for text and attribute values). */
int buf_xml_escape(struct buf *b, const char *s);
/* Hand the memory to the caller (free() it); b becomes empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
