/*
 * audit.h - the tamper-evident audit log.
 *
 * Every submission and operator decision is appended, in the same write
 * transaction as the change it records, to STORE_DB_AUDIT as a JSON record
 * keyed by a big-endian sequence number.  Each record carries the SHA-256
 * hash of the record before it ("prev") and its own hash over its
 * canonical JSON (sorted keys, compact) without the "hash" member; the
 * head (last seq and hash) is kept in STORE_DB_META.  audit_verify() walks
 * the chain and names the first record that was changed, removed or
 * reordered.
 */
#ifndef TILLIT_AUDIT_H
#define TILLIT_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "tillit/err.h"
#include "tillit/store.h"

/*
 * Append a record {seq, time, actor, action, subject, details, prev, hash}
 * in txn.  details may be NULL (borrowed; not stolen).  Errors sticky in
 * txn.  Returns the sequence number given (0 if the txn had failed).
 */
uint64_t audit_append(struct store_txn *txn, const char *actor, const char *action,
                      const char *subject, json_t *details);

/*
 * Group commit for records that may reach the disk a moment after the
 * event they record (logins at the SSO hub): a writer thread appends all
 * records posted within interval_ms in one write transaction, so that one
 * disk sync serves many of them.  Each record keeps the time it was
 * posted.  At most max records wait; audit_queue_stop() writes what is
 * left.  Decisions keep audit_append() in their own transaction.
 */
struct audit_queue;

/* Start the writer on st (borrowed; must outlive the queue).  Errors: TL_ENOMEM, TL_EINTERNAL. */
int audit_queue_start(struct store *st, unsigned interval_ms, size_t max, struct audit_queue **q,
                      struct tl_err *err);

/*
 * Queue a record (details borrowed; may be NULL).  Errors: TL_ELIMIT when
 * max records are waiting (the writer is behind or the store fails: the
 * message says which), TL_ENOMEM.
 */
int audit_queue_post(struct audit_queue *q, const char *actor, const char *action,
                     const char *subject, json_t *details, struct tl_err *err);

/* Records written so far, the write transactions that wrote them, and those that failed. */
void audit_queue_stats(struct audit_queue *q, uint64_t *written, uint64_t *batches,
                       uint64_t *failed);

/* Write what is queued, stop the writer and free q (NULL is fine). */
void audit_queue_stop(struct audit_queue *q);

struct audit_verdict {
	uint64_t records;   /* records checked */
	uint64_t bad_seq;   /* first bad record (0 if the chain holds) */
	char problem[256];  /* what is wrong with it */
};

/*
 * Verify the whole chain in a read transaction.  Returns TL_OK if intact,
 * TL_ESIG if tampering was found (verdict says where and what), or a
 * store error.
 */
int audit_verify(struct store_txn *txn, struct audit_verdict *v, struct tl_err *err);

/*
 * All records (or those whose subject equals subject, if not NULL) as a
 * new JSON array (json_decref it), oldest first.  Errors: TL_ENOMEM,
 * store errors.
 */
int audit_list(struct store_txn *txn, const char *subject, json_t **out, struct tl_err *err);

#endif
