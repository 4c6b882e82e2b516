/*
 * md.h - SAML metadata: safe parsing, schema validation, federation rules,
 * and the facts other modules need from an EntityDescriptor.
 *
 * Validation runs in this order and stops at the first failing stage:
 *  1. parsing: no DTD (a DOCTYPE is refused), no entity expansion, no
 *     network, a size limit and an element-depth limit (TL_EPARSE,
 *     TL_ELIMIT; the message has the line);
 *  2. schema: SAML 2.0 metadata plus the extensions in common use (mdui,
 *     mdrpi, mdattr, alg, idpdisc, shibmd; REFEDS remd:contactType as an
 *     attribute) from Debian's opensaml-schemas, xmltooling-schemas and
 *     shibboleth-sp-common (TL_ESCHEMA; "line N: element X: reason");
 *  3. federation rules (TL_ERULE): an EntityDescriptor (an
 *     EntitiesDescriptor is refused with a pointer to `tillitctl import`),
 *     absolute entityID of at most 1024 characters, at least one IdP or SP
 *     role, absolute endpoint Locations, every certificate parses.
 * Rules that need the registry (an entityID belongs to one member) are
 * reg.c's.
 */
#ifndef TILLIT_MD_H
#define TILLIT_MD_H

#include <libxml/tree.h>
#include <stddef.h>

#include "tillit/err.h"

#define MD_NS "urn:oasis:names:tc:SAML:2.0:metadata"
#define MD_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define MD_NS_MDRPI "urn:oasis:names:tc:SAML:metadata:rpi"
#define MD_NS_MDUI "urn:oasis:names:tc:SAML:metadata:ui"
#define MD_NS_MDATTR "urn:oasis:names:tc:SAML:metadata:attribute"
#define MD_NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define MD_NS_SHIBMD "urn:mace:shibboleth:metadata:1.0"
#define MD_ENTITYID_MAX 1024

enum md_role {
	MD_ROLE_IDP = 1 << 0,  /* IDPSSODescriptor */
	MD_ROLE_SP = 1 << 1,   /* SPSSODescriptor */
	MD_ROLE_AA = 1 << 2,   /* AttributeAuthorityDescriptor */
};

struct md_limits {
	size_t max_bytes;  /* refuse larger documents (TL_ELIMIT) */
	int max_depth;     /* refuse deeper element nesting (TL_ELIMIT) */
	int first_line;    /* number of the document's first line in messages (0: 1) */
};

/*
 * Depth-first walk of the elements below top: the element after n (top
 * itself first when n == top), or NULL when the walk is done.
 */
xmlNodePtr md_next_element(xmlNodePtr top, xmlNodePtr n);

/* Compiled schemas: load once, share read-only between threads. */
struct md_schema;

/*
 * Compile the SAML metadata schema set from the directories found by
 * configure.  Errors: TL_ECONF naming the missing file.  Free with
 * md_schema_free().
 */
int md_schema_load(struct md_schema **out, struct tl_err *err);
void md_schema_free(struct md_schema *s);

/*
 * Parse len bytes of XML safely (see stage 1).  On success *out is a new
 * document (xmlFreeDoc it).  Errors: TL_EPARSE (empty, not well-formed,
 * truncated, DOCTYPE present: "line N: reason"), TL_ELIMIT.
 */
int md_parse(const char *xml, size_t len, const struct md_limits *lim, xmlDocPtr *out,
             struct tl_err *err);

/*
 * Validate the element e (an EntityDescriptor; it may live inside a larger
 * document, e.g. an imported aggregate) against the schema (stage 2) and
 * the federation rules (stage 3).  Errors: TL_ESCHEMA, TL_ERULE, each
 * message naming the line and element.  Thread-safe for a shared schema.
 */
int md_validate_entity(const struct md_schema *s, xmlNodePtr e, struct tl_err *err);

/*
 * Stage 3 alone on a parsed document: the root must be an EntityDescriptor
 * (an EntitiesDescriptor gets "use tillitctl import").  Used by
 * md_validate_entity(); exposed for tests.
 */
int md_check_rules(xmlNodePtr e, struct tl_err *err);

/* The entityID attribute of e (borrowed from the tree) or NULL. */
const char *md_entity_id(xmlNodePtr e);

/* The roles of e as a mask of enum md_role. */
unsigned md_roles(xmlNodePtr e);

/* Comma-separated role names ("idp,sp") for a mask, into out. */
void md_roles_str(unsigned roles, char *out, size_t outlen);

/*
 * Serialise e as a standalone document (namespace declarations it uses
 * from its ancestors copied onto it) into a new buffer (free()).  When e
 * has ancestors, those declarations are added to e for the time of the
 * call and removed again: e's document is modified, then restored.
 * Errors: TL_ENOMEM.
 */
int md_serialize_entity(xmlNodePtr e, char **out, size_t *len, struct tl_err *err);

/* The first child element of e with namespace ns and local name name, or NULL. */
xmlNodePtr md_child(xmlNodePtr e, const char *ns, const char *name);
/* The next sibling element of e with that namespace and name, or NULL. */
xmlNodePtr md_next(xmlNodePtr e, const char *ns, const char *name);

#endif
