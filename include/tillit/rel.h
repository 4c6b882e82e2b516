/*
 * rel.h - attribute release: what a service asks for, what a member IdP
 * may assert, and the identifiers the hub makes for a person.
 *
 * Pure functions over metadata models (mdm.h) and the attribute registry
 * (attr.h); the SSO hub (hub.h) bounds the result by the operator's
 * agreement (agr.h).
 *
 *   wanted   = RequestedAttribute of the service's AttributeConsumingService
 *              (the one the AuthnRequest names, else the default, else the first)
 *            + the bundles of the entity categories the service holds
 *   released = wanted, restricted to the agreement, of what the IdP sent
 *
 * Entity category bundles (the categories' own definitions):
 *   research-and-scholarship  subject-id eduPersonPrincipalName mail displayName
 *                             givenName sn eduPersonScopedAffiliation
 *   personalized              subject-id mail displayName givenName sn
 *                             eduPersonAssurance eduPersonScopedAffiliation schacHomeOrganization
 *   pseudonymous              pairwise-id eduPersonAssurance eduPersonScopedAffiliation
 *                             schacHomeOrganization
 *   anonymous                 eduPersonScopedAffiliation schacHomeOrganization
 */
#ifndef TILLIT_REL_H
#define TILLIT_REL_H

#include <stddef.h>

#include "tillit/mdm.h"
#include "tillit/saml.h"

#define REL_MAX 128
#define REL_ENTITY_CATEGORY "http://macedir.org/entity-category"
#define REL_CAT_RS "http://refeds.org/category/research-and-scholarship"
#define REL_CAT_PERSONALIZED "https://refeds.org/category/personalized"
#define REL_CAT_PSEUDONYMOUS "https://refeds.org/category/pseudonymous"
#define REL_CAT_ANONYMOUS "https://refeds.org/category/anonymous"

/* A set of attribute names in their canonical (urn:oid: / URI) form, borrowed. */
struct rel_set {
	const char *names[REL_MAX];
	size_t n;
};

/* Add name (canonical) unless present or the set is full. */
void rel_set_add(struct rel_set *s, const char *name);
int rel_set_has(const struct rel_set *s, const char *name);

/*
 * The attributes service sp wants (see above), canonical names borrowed
 * from the registry or the model.  attr_index: the AuthnRequest's
 * AttributeConsumingServiceIndex, -1 when absent.  RequestedAttributes
 * with a name the registry does not know are kept as written when their
 * NameFormat is uri.
 */
void rel_wanted(const struct mdm_entity *sp, int attr_index, struct rel_set *out);

/*
 * Is the scope of value ("x@SCOPE") one the IdP role declares
 * (shibmd:Scope, literal, or a regular expression when regexp="true",
 * matched against the whole scope)?  A value without '@' has no scope.
 */
int rel_scope_ok(const struct mdm_role *idp, const char *value);

/*
 * Drop from a the values of scoped attributes (attr_def.scoped) whose
 * scope the IdP does not declare; attributes left with no value are
 * removed.  Returns the number of values dropped.
 */
int rel_filter_scoped(struct saml_assertion *a, const struct mdm_role *idp);

/* The first literal scope of the IdP role, or NULL. */
const char *rel_idp_scope(const struct mdm_role *idp);

/*
 * The person's stable key at the IdP, for persistent identifiers: the
 * IdP's subject-id, else a persistent NameID, else eduPersonPrincipalName,
 * else uid; NULL when the IdP sent none of these (then identifiers are
 * made from the transient NameID and last one login).  Borrowed from a.
 */
const char *rel_user_key(const struct saml_assertion *a);

/*
 * A pseudonym: lowercase hex of the first 20 bytes of
 * HMAC-SHA256(secret, part1 NUL part2 NUL part3) (part3 may be NULL), 40
 * characters + NUL in out.  Persistent NameIDs use (idp, user, sp),
 * pairwise-id (idp, user, sp) under another label, subject-id (idp, user).
 * label separates the uses.  Errors: TL_ECRYPTO (out is then empty).
 */
#define REL_PSEUDONYM_LEN 40
int rel_pseudonym(const unsigned char *secret, size_t slen, const char *label, const char *part1,
                  const char *part2, const char *part3, char out[REL_PSEUDONYM_LEN + 1]);

#endif
