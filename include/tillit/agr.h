/*
 * agr.h - attribute release agreements: which attributes the SSO hub may
 * release to a service provider, and why.
 *
 * The federation operator sets one agreement per SP: a purpose and a set
 * of attributes from the registry in attr.h, named by friendly name
 * ("mail") or by name ("urn:oid:0.9.2342.19200300.100.1.3"); both mean
 * the same.  The hub releases to an SP only what its agreement allows,
 * and nothing to an SP without one.  An agreement with no attributes is
 * valid and releases nothing.
 *
 * The SP must be a member entity (reg.h) that is not rejected or removed
 * and whose current metadata (the approved version, else the latest) has
 * an SPSSODescriptor.  Agreements are stored in STORE_DB_AGREEMENTS,
 * keyed by SHA-1(entityID), with the attribute names in canonical form
 * (attr_def.name), sorted and unique.  Setting an agreement replaces the
 * previous one; every set and remove is one write transaction together
 * with its audit record (actions "agreement.set", "agreement.remove") and
 * an event in the entity's history.  An agreement is not removed with its
 * SP (a suspended or removed SP is not served by the hub anyway); it stays
 * until agr_remove().
 *
 * All functions return TL_OK or a negative tl_code with err (which may
 * be NULL) naming what was wrong; on error nothing was stored.  JSON
 * results are new references (json_decref them), keys in snake_case:
 *   {"entity_id", "purpose", "updated" (ISO 8601 UTC), "actor",
 *    "attributes": [{"name": "urn:oid:...", "friendly_name": "mail"}]}
 * ("friendly_name" is null for a stored name the registry no longer knows).
 */
#ifndef TILLIT_AGR_H
#define TILLIT_AGR_H

#include <jansson.h>
#include <stddef.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/store.h"

#define AGR_ATTRS_MAX 64     /* attribute names in one agreement, as given */
#define AGR_PURPOSE_MAX 1024 /* bytes of the purpose */

/* An agreement as agr_get() reads it.  Every member is owned by it. */
struct agr {
	char *entity_id;  /* the SP's entityID */
	char *purpose;
	char **attrs;     /* canonical names, sorted by strcmp, unique */
	size_t nattrs;    /* 0: release nothing */
	char updated[32]; /* when it was last set, ISO 8601 UTC */
	char actor[128];  /* who set it ("operator:USER", "api:TOKEN") */
};

/*
 * Set (create or replace) the agreement of the SP sp_entity_id: the n
 * attribute names in names (friendly or canonical; duplicates allowed,
 * names may be NULL when n is 0) and purpose, 1 to AGR_PURPOSE_MAX bytes of
 * UTF-8 without control characters.  The actor is ctx->actor.  All
 * arguments are borrowed.
 * Errors: TL_ELIMIT (more than AGR_ATTRS_MAX names), TL_EINVAL (an
 * unknown attribute, named; a bad purpose; an empty entityID; an entity
 * that is not an SP), TL_ENOENT (no such member entity), TL_ESTATE (the
 * entity is rejected or removed), TL_ENOMEM, TL_ESTORE.
 */
int agr_set(struct tl_ctx *ctx, const char *sp_entity_id, const char *const *names, size_t n,
            const char *purpose, struct tl_err *err);

/*
 * Remove the agreement of sp_entity_id: from then on nothing is released
 * to it.  The SP need no longer be registered.
 * Errors: TL_ENOENT (no agreement for it), TL_ENOMEM, TL_ESTORE.
 */
int agr_remove(struct tl_ctx *ctx, const char *sp_entity_id, struct tl_err *err);

/*
 * Read the agreement of sp_entity_id within the caller's transaction txn
 * (read or write; nothing is written).  On success *out owns its members:
 * release them with agr_free().  On error *out is zeroed (agr_free() on it
 * is harmless).  This is the hub's lookup on every login: one get and one
 * small parse.
 * Errors: TL_ENOENT (no agreement), TL_ESTORE (the store's error or an
 * unreadable record), TL_ENOMEM.
 */
int agr_get(struct store_txn *txn, const char *sp_entity_id, struct agr *out, struct tl_err *err);

/*
 * 1 if agreement a allows the attribute with canonical name canonical_name
 * (attr_def.name; a friendly name is not looked up), else 0.  A NULL a or
 * name allows nothing.  Binary search: O(log nattrs).
 */
int agr_allows(const struct agr *a, const char *canonical_name);

/* Free what agr_get() allocated and zero *a.  NULL and zeroed structs are fine. */
void agr_free(struct agr *a);

/*
 * Every agreement as a new JSON array of objects (see above), ordered by
 * entityID.  Errors: TL_ENOMEM, TL_ESTORE.
 */
int agr_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err);

/*
 * The agreement of sp_entity_id as a new JSON object (see above).
 * Errors: TL_ENOENT (no agreement), TL_ENOMEM, TL_ESTORE.
 */
int agr_show(struct tl_ctx *ctx, const char *sp_entity_id, json_t **out, struct tl_err *err);

#endif
