/*
 * att.h - attestations: a member's statement, with evidence, that an
 * entity meets a requirement that cannot be checked from metadata, and the
 * operator's review of it.
 *
 * An attestation is submitted (state pending) with its evidence, which is
 * stored in LMDB with its SHA-256; the operator approves it (it then holds
 * until the earlier of the requested expiry and approval + the
 * requirement's validity) or rejects it with a reason.  A newer
 * attestation of the same requirement supersedes nothing by itself: the
 * evaluation takes the approved, unexpired one with the latest expiry, or
 * else the latest.  Every change is in the audit log in the same write
 * transaction.
 */
#ifndef TILLIT_ATT_H
#define TILLIT_ATT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/store.h"
#include "tillit/tf.h"
#include "tillit/util.h"

#define ATT_NAME_MAX 255      /* evidence file name kept with it */
#define ATT_REASON_MAX 2048

/*
 * Submit an attestation of requirement ref ("FRAMEWORK/REQUIREMENT") for
 * entity_id (a member's or an imported entity), with evidence[0..len)
 * named name, and an optional requested expiry (0: none).  Errors (nothing
 * stored): TL_ENOENT (unknown entity, or a requirement that does not exist
 * or is not an attestation), TL_ELIMIT (evidence larger than
 * max_evidence_size), TL_EINVAL (empty evidence, expiry in the past).
 * *out: the new record.
 */
int att_submit(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
               const char *ref, const void *evidence, size_t len, const char *name,
               time_t expires, json_t **out, struct tl_err *err);

enum att_decision { ATT_APPROVE, ATT_REJECT, ATT_WITHDRAW };

/*
 * Decide on attestation id (approve: pending only; reject: pending or
 * approved, reason required; withdraw: any but withdrawn).  The
 * requirement's validity comes from s (the requirement must still exist
 * to be approved).  Errors: TL_ENOENT, TL_ESTATE, TL_EINVAL.
 */
int att_decide(struct tl_ctx *ctx, const struct tf_set *s, long long id, enum att_decision d,
               const char *reason, json_t **out, struct tl_err *err);

/*
 * List attestations as JSON records.  entity_id may be NULL (all); state
 * may be NULL or pending/approved/rejected/withdrawn/expired; due_days >= 0
 * keeps only approved attestations that expire within that many days
 * (already expired ones included), -1 disables.  Ordered by id.
 */
int att_list(struct tl_ctx *ctx, const char *entity_id, const char *state, long due_days,
             json_t **out, struct tl_err *err);

/* One record with its evidence facts.  TL_ENOENT. */
int att_show(struct tl_ctx *ctx, long long id, json_t **out, struct tl_err *err);

/* The evidence bytes of id (new buffer, free()).  TL_ENOENT. */
int att_evidence(struct tl_ctx *ctx, long long id, char **data, size_t *len, struct tl_err *err);

/*
 * An entity's attestations for the evaluation, from txn.  *out is one
 * allocation holding the array and its strings (free() it); *n entries.
 * Errors: TL_ENOMEM, store errors.
 */
int att_load(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
             struct tf_attestation **out, size_t *n, struct tl_err *err);

/* SHA-256 over the entity's attestation records (changes when any of them does). */
void att_digest(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                unsigned char out[UTIL_SHA256_LEN]);

/* "30d", "4w", "P30D": days; -1 if malformed. */
long att_parse_days(const char *s);

#endif
