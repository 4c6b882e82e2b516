/*
 * reg.h - the registry: member organisations, their entities, versions,
 * the lifecycle and its history.
 *
 * Lifecycle of an entity: pending -> approved -> (suspended <-> approved)
 * -> removed, or pending -> rejected.  A new version of an approved (or
 * suspended) entity is pending beside the approved version, which stays
 * published until the new one is approved.  Every change happens in one
 * write transaction together with its history event and audit record.
 *
 * All functions return TL_OK or a negative tl_code with err naming what
 * was wrong; on error nothing was stored.  JSON results are new
 * references (json_decref them); keys are snake_case as the interface
 * contract requires.
 */
#ifndef TILLIT_REG_H
#define TILLIT_REG_H

#include <jansson.h>
#include <stddef.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/md.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define REG_ORG_MAX 64
#define REG_NAME_MAX 256
#define REG_REASON_MAX 2048

/* Add a member organisation.  org: [a-z0-9][a-z0-9._-]{0,63}.  TL_EINVAL, TL_EEXIST. */
int reg_member_add(struct tl_ctx *ctx, const char *org, const char *name, const char *contact,
                   json_t **out, struct tl_err *err);
/* All members, ordered by id. */
int reg_member_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err);
/* One member with its entities.  TL_ENOENT. */
int reg_member_show(struct tl_ctx *ctx, const char *org, json_t **out, struct tl_err *err);

/*
 * Submit one EntityDescriptor document for member org.  Validation (md.h
 * stages 1-3) then registry rules: the member exists (TL_ENOENT), the
 * entityID is not another member's (TL_EEXIST).  A document identical to
 * the current pending or approved version is reported as unchanged.
 * *out: {entity_id, version, state, unchanged, roles}.
 */
int reg_entity_submit(struct tl_ctx *ctx, const struct md_schema *schema, const char *org,
                      const char *xml, size_t len, json_t **out, struct tl_err *err);

/* Entities, optionally only those in state (pending also lists approved
 * entities with a pending change; "imported" lists imported entities). */
int reg_entity_list(struct tl_ctx *ctx, const char *state, json_t **out, struct tl_err *err);
/* One entity (member's or imported), with its versions.  TL_ENOENT. */
int reg_entity_show(struct tl_ctx *ctx, const char *entity_id, json_t **out, struct tl_err *err);
/* Every event of an entity, oldest first.  TL_ENOENT. */
int reg_entity_history(struct tl_ctx *ctx, const char *entity_id, json_t **out,
                       struct tl_err *err);
/* The XML of a version (0 = the approved one, else the latest), new string. */
int reg_entity_xml(struct tl_ctx *ctx, const char *entity_id, unsigned version, char **xml,
                   struct tl_err *err);

/*
 * The XML of version (>= 1) of the member entity whose SHA-1(entityID) is
 * sha1, borrowed from txn (not NUL-terminated).  TL_ENOENT if there is no
 * such version, or the store error.
 */
int reg_version_xml_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        unsigned version, struct store_val *xml);

enum reg_decision {
	REG_APPROVE,   /* pending version -> approved */
	REG_REJECT,    /* pending version -> rejected (reason required) */
	REG_SUSPEND,   /* approved -> suspended (reason required); MDQ 404 at once */
	REG_REINSTATE, /* suspended -> approved */
	REG_REMOVE,    /* any -> removed; MDQ 404 at once */
};

/*
 * Apply an operator decision.  reason may be NULL where not required.
 * override (may be NULL) is recorded with the decision (e.g. the failing
 * requirements an approval overrode).  TL_ENOENT, TL_ESTATE (names the
 * current state and what is allowed), TL_EINVAL (reason missing).
 */
int reg_entity_decide(struct tl_ctx *ctx, const char *entity_id, enum reg_decision d,
                      const char *reason, json_t *override, json_t **out, struct tl_err *err);

/*
 * The registry's generation: a counter every decision above increments in
 * its transaction, so that whoever caches what is approved (the SSO hub's
 * directory of member IdPs) knows when to look again.  0 before the first.
 */
uint64_t reg_generation(struct store_txn *txn);

/*
 * STORE_DB_IDP_DIR holds one JSON record per approved member IdP
 * ({entity_id, name_sv, name_en, desc_sv, desc_en, logo, scopes: [[scope,
 * regexp]...]}), kept in step by every decision, so that the SSO hub's
 * directory never reads the whole registry.  reg_idp_dir_ensure() builds
 * it once for a store made before it existed.  Errors: TL_ESTORE.
 */
int reg_idp_dir_ensure(struct tl_ctx *ctx, struct tl_err *err);

/* Name of a decision ("approve", ...). */
const char *reg_decision_name(enum reg_decision d);

/* The MD_ROLE_* bits of a stored "roles" array (["idp", "sp", "aa"]). */
unsigned reg_roles_parse(json_t *roles);

/*
 * What passes over the registry need of a member entity's record (v, as
 * stored in STORE_DB_ENTITIES), read in place: jansson only for a record
 * whose strings have escapes.  state is "" when the record has none.
 * Strings are copies (reg_head_free).  TL_EPARSE: not a record;
 * TL_ENOMEM.
 */
struct reg_head {
	char *entity_id, *member, *state, *first_approved;
	unsigned approved_version, latest_version;
};
int reg_head_read(const struct store_val *v, struct reg_head *h);
void reg_head_free(struct reg_head *h);

/*
 * The same of a version record (STORE_DB_VERSIONS): the hex SHA-256 of its
 * XML into sha256 (65 bytes; "" when none) and its roles.  TL_EPARSE.
 */
int reg_version_head_read(const struct store_val *v, char sha256[65], unsigned *roles);

/* What another service needs to know of a member entity. */
struct reg_entity_facts {
	char state[16];               /* pending, approved, rejected, suspended, removed */
	char member[REG_ORG_MAX + 1]; /* the owning member */
	unsigned version;             /* the current version: the approved one, else the latest */
	unsigned roles;               /* MD_ROLE_* of that version's metadata */
};

/*
 * The facts of the member entity whose SHA-1(entityID) is sha1, read in
 * the caller's transaction txn.  Returns TL_OK, TL_ENOENT if there is no
 * member entity (imported entities are not), or TL_ESTORE (the store's
 * error, or an unreadable record); the caller words the message.
 */
int reg_entity_facts(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                     struct reg_entity_facts *out);

/*
 * Append an event {time, actor, action, version[, reason][, details]} to
 * the history of the member entity sha1, in the caller's write
 * transaction txn, for a service that changes something about an entity
 * in the same transaction.  reason and details may be NULL; details is
 * borrowed.  Errors are sticky in txn.
 */
void reg_history_append(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        const char *actor, const char *action, unsigned version,
                        const char *reason, json_t *details);

#endif
