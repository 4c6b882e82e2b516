/*
 * trust.h - the trust service: evaluation of the registry's entities
 * against the loaded frameworks, stored summaries, the approval gate and
 * the certification that publication puts into metadata.
 *
 * What is evaluated: for a member entity a version of it (by default the
 * latest: what the member submitted last; publication uses the approved
 * one), for an imported entity its current record.  The full report of
 * one entity is computed on demand (tf_report_json); a summary of every
 * evaluated version is stored in STORE_DB_REPORTS together with a
 * fingerprint of its inputs (the XML, the framework files, the entity's
 * attestations and, when a result depends on the date, the day), so that
 * stored results are recomputed exactly when one of those changed.
 */
#ifndef TILLIT_TRUST_H
#define TILLIT_TRUST_H

#include <jansson.h>
#include <stddef.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/store.h"
#include "tillit/tf.h"
#include "tillit/util.h"

/* The directory ctx reads frameworks from (frameworks_dir, else the shipped one). */
void trust_frameworks_dir(const struct tl_ctx *ctx, char *out, size_t n);

/* Load ctx's frameworks.  Errors: tf_load_dir()'s. */
int trust_load(const struct tl_ctx *ctx, struct tf_set **out, struct tl_err *err);

/*
 * The full report of one entity (tf_report_json plus member/source,
 * version, state, roles, achieved levels).  version 0: a member entity's
 * latest version.  Stores the summary too.  Errors: TL_ENOENT (unknown
 * entity or version), TL_EPARSE (stored XML unreadable), TL_ENOMEM.
 */
int trust_report(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                 unsigned version, json_t **out, struct tl_err *err);

struct trust_opts {
	const char *source;   /* NULL: member entities; else the imported entities of this source */
	int approved;         /* member entities' approved versions (of approved entities) instead */
	int force;            /* recompute even what is fresh */
	int full;             /* also return each entity's full report */
	unsigned threads;     /* 0: one per core */
};

struct trust_stats {
	size_t entities;      /* evaluated or found fresh */
	size_t evaluated;     /* computed this time */
	size_t unreadable;    /* whose XML could not be read (logged) */
	double seconds;
};

/*
 * Evaluate every member entity's latest version (or every imported entity
 * of opts->source), recomputing stale summaries and storing them.  *out:
 * array of summaries {entity_id, member|source, version, state, roles,
 * levels: {"FW/LEVEL": "achieved"|"not-achieved"|"not-applicable"},
 * counts: {FW: {fail, warning, needs-attestation, ...}}, fresh} in
 * entityID order, with "report" when opts->full.  out may be NULL when
 * only the stored summaries are wanted (publication, maintenance).
 */
int trust_evaluate_all(struct tl_ctx *ctx, const struct tf_set *s, const struct trust_opts *opts,
                       json_t **out, struct trust_stats *st, struct tl_err *err);

/* A member entity's version, to evaluate. */
struct trust_ref {
	unsigned char sha1[UTIL_SHA1_LEN];
	unsigned version;
};

/*
 * Bring the stored summaries of these versions up to date (recomputing
 * only the stale ones).  Errors: store errors, TL_ENOMEM; an entity that
 * cannot be evaluated is logged and skipped.
 */
int trust_refresh(struct tl_ctx *ctx, const struct tf_set *s, const struct trust_ref *refs,
                  size_t n, struct tl_err *err);

/*
 * The error-severity checks of the baseline framework that version of
 * entity_id fails: a new array of result objects (empty when it passes or
 * there is no baseline).  Errors as trust_report().
 */
int trust_baseline_failures(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                            unsigned version, json_t **failures, struct tl_err *err);

/*
 * Approve entity_id's pending version, if it passes the error-severity
 * checks of the baseline framework.  When it does not: without
 * override_reason TL_ERULE, *failures holds the failing results (one per
 * requirement) and nothing is stored; with override_reason (non-empty) it
 * is approved anyway and the failing requirements and the reason go to the
 * audit log and the entity's history.  *out: reg_entity_decide()'s result.
 * Other errors: reg_entity_decide()'s (TL_ENOENT, TL_ESTATE).
 */
int trust_approve(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                  const char *override_reason, json_t **out, json_t **failures,
                  struct tl_err *err);

/*
 * Certification of a version for publication, from its stored summary
 * (refresh it first with trust_evaluate_all, approved = 1): publish[] the
 * (attribute, value) pairs of achieved levels, strip[] every value some
 * level owns that the version is not certified for.  Both are
 * NULL-terminated lists of attribute, value, attribute, value... in one
 * allocation (free(c->mem)); digest is a SHA-256 over both.
 * Errors: TL_ENOENT (no summary), TL_ESTORE, TL_ENOMEM.
 */
struct trust_cert {
	const char **publish;
	const char **strip;
	unsigned char digest[UTIL_SHA256_LEN];
	void *mem;
};

int trust_cert_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                   unsigned version, struct trust_cert *out, struct tl_err *err);

#endif
