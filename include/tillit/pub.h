/*
 * pub.h - publication: the signed aggregate and the per-entity MDQ
 * documents, prepared ahead of time so that serving is a lookup.
 *
 * For every approved, not suspended entity, publication keeps in the store
 *  - a prepared piece (STORE_DB_PREPARED): the entity as it appears in the
 *    aggregate (with mdrpi:RegistrationInfo added) and its exclusive-C14N
 *    form in the aggregate's context, so that the aggregate is assembled
 *    and digested by concatenation, not re-parsed;
 *  - a signed MDQ document (STORE_DB_MDQ): the same EntityDescriptor as a
 *    standalone document with validUntil and cacheDuration, signed with
 *    the metadata key (RSA-SHA256, exclusive C14N, certificate in KeyInfo).
 * Publishing after a change re-prepares and re-signs only the entities
 * whose approved version changed (or whose MDQ document has used up half
 * its validity); the aggregate is re-assembled from the prepared pieces
 * and signed once.
 */
#ifndef TILLIT_PUB_H
#define TILLIT_PUB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define PUB_AGGREGATE_REL "published/federation.xml"

struct pub_report {
	size_t entities;       /* entities in the aggregate */
	size_t prepared;       /* pieces (re)prepared this time */
	size_t signed_mdq;     /* MDQ documents (re)signed this time */
	size_t removed;        /* MDQ documents dropped (no longer published) */
	size_t bytes;          /* size of the aggregate */
	char valid_until[32];  /* ISO 8601 */
	char id[64];           /* the aggregate's ID */
	double prepare_seconds; /* wall time preparing aggregate pieces */
	double sign_seconds;   /* wall time signing MDQ documents (all threads) */
	double aggregate_seconds; /* wall time assembling, digesting, signing, writing the aggregate */
	double seconds;        /* wall time of the whole publication */
	unsigned threads;      /* signing threads used */
};

/*
 * Publish: bring prepared pieces and MDQ documents up to date, write the
 * signed aggregate to DIR/published/federation.xml (atomically), and
 * record the publication in the audit log.  Errors: TL_ENOENT (signing
 * key missing), TL_ECRYPTO, TL_EIO, TL_ESTORE.  On error the previous
 * publication stays in place.
 */
int pub_publish(struct tl_ctx *ctx, struct pub_report *rep, struct tl_err *err);

/*
 * Certification refresh: for every entity in the last publication that is
 * still approved, re-evaluate the version that was published; where the
 * certification attributes it should carry changed (an attestation was
 * approved, rejected, withdrawn or expired, a framework file changed, a
 * time-dependent check flipped), re-prepare and re-sign that entity only
 * and write a new aggregate.  Nothing else changes: newly approved
 * entities and versions wait for pub_publish(); entities no longer
 * approved leave the aggregate.  When nothing changed nothing is written
 * (rep->prepared == 0).  tillitd runs this every recheck_interval and
 * tillitctl after each attestation decision.  Errors as pub_publish().
 */
int pub_refresh_certification(struct tl_ctx *ctx, struct pub_report *rep, struct tl_err *err);

/* A signed MDQ document as stored, borrowed from a read transaction. */
struct pub_doc {
	const char *entity_id;  /* not NUL-terminated: use entity_id_len */
	size_t entity_id_len;
	const char *etag;       /* quoted strong ETag, e.g. "\"3f2a...\"", NUL-terminated */
	const char *body;       /* the signed XML document */
	size_t len;
	int64_t signed_at;
	int64_t valid_until;
};

/*
 * Look up the MDQ document of the entity whose SHA-1(entityID) is sha1.
 * Returns TL_OK with *doc borrowed until txn ends, TL_ENOENT if the entity
 * is not published (unknown, never approved, suspended or removed), or the
 * store error.  This is all the HTTP server does per MDQ request.
 */
int pub_mdq_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                struct pub_doc *doc);

/*
 * Store a signed MDQ document for entity_id (keyed by its SHA-1) in the
 * caller's write transaction; the ETag is computed from the body.
 * Publication uses this; tests use it to seed a store.  Errors sticky.
 */
void pub_mdq_put(struct store_txn *txn, const char *entity_id, const char *body, size_t len,
                 int64_t signed_at, int64_t valid_until);

/*
 * Remove an entity's MDQ document at once (suspension, removal), inside
 * the caller's write transaction.  Errors are sticky in txn.
 */
void pub_mdq_withdraw(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN]);

#endif
