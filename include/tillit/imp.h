/*
 * imp.h - import of another federation's signed aggregate.
 *
 * The aggregate is verified as a whole (sigv.h: pinned key, one enveloped
 * signature over the root, streaming so memory stays flat) and its
 * validUntil checked; then each entity is validated on its own (md.h
 * schema and rules).  A bad entity is rejected with its reason in the
 * report and its last good version, if any, is kept; it never drops the
 * rest of the feed.  Entities are staged in one write transaction that is
 * committed only if the aggregate as a whole is accepted, so a refused
 * aggregate stores nothing.  Imported entities live apart from members'
 * (STORE_DB_IMPORTED, state "imported", with their source) and are not
 * republished.
 */
#ifndef TILLIT_IMP_H
#define TILLIT_IMP_H

#include <jansson.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/md.h"

struct imp_opts {
	const char *source;      /* name of the source federation: [a-z0-9._-]{1,64} */
	const char *trust_path;  /* PEM certificate or public key: the pinned trust anchor */
	int allow_expired;       /* accept a missing or past validUntil */
	int allow_sha1;          /* accept SHA-1 digests / RSA-SHA1 */
};

/*
 * Import file.  On TL_OK the aggregate was accepted and *report is
 * {source, name, valid_until, entities, accepted, unchanged, rejected,
 * removed, used_sha1, allow_expired_used, rejected_entities: [{entity_id,
 * line, reason}]} (json_decref it).  Errors (nothing stored): TL_ESIG,
 * TL_EEXPIRED, TL_EPARSE, TL_ESCHEMA (not an EntitiesDescriptor),
 * TL_ELIMIT, TL_ENOENT/TL_ECRYPTO (trust file), TL_EINVAL (source name).
 */
int imp_import(struct tl_ctx *ctx, const struct md_schema *schema, const char *file,
               const struct imp_opts *opts, json_t **report, struct tl_err *err);

#endif
