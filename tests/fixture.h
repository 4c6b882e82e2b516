/*
 * fixture.h - a real data directory for service tests: tillit.conf with
 * defaults, the LMDB environment, a metadata-signing key, the schema.
 */
#ifndef TILLIT_FIXTURE_H
#define TILLIT_FIXTURE_H

#include "tillit/ctx.h"
#include "tillit/md.h"

struct fixture {
	char *dir;
	struct tl_ctx ctx;
	struct md_schema *schema;
};

/* Create and open a data directory (keys of 2048 bits to keep tests fast). */
void fixture_open(struct fixture *f);
void fixture_close(struct fixture *f);
/* Read metadata/NAME from the source tree (free()). */
char *fixture_metadata(const char *name, size_t *len);

#endif
