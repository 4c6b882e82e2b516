/*
 * mdm.h - the metadata model: the facts of one EntityDescriptor that the
 * trust-framework checks and the SSO hub need, read in one SAX pass.
 *
 * Why not the DOM: evaluating 10,000 entities must take well under a
 * second, and building a libxml2 tree costs more than twice what the SAX
 * pass does; the model keeps only what is looked at.  The input is
 * expected to have passed md_validate_entity() (submission and import
 * do that), but the parse is as safe as md_parse(): no DTD, no entities,
 * no network, size and depth limits.
 *
 * Everything a model holds lives in its arena and is freed with it.
 * Lists are singly linked in document order.  Every item records where it
 * is: an XPath-like path with conventional prefixes and 1-based positions
 * ("/md:EntityDescriptor/md:SPSSODescriptor[1]/md:AssertionConsumerService[2]")
 * and the line of its start tag.
 */
#ifndef TILLIT_MDM_H
#define TILLIT_MDM_H

#include <stddef.h>

#include "tillit/cert.h"
#include "tillit/err.h"
#include "tillit/md.h"

/* Where an item is in the document. */
struct mdm_loc {
	const char *path;
	int line;
};

/* A localised string (mdui, Organization, ServiceName) or a logo. */
struct mdm_text {
	struct mdm_text *next;
	const char *element; /* local name: DisplayName, Description, Logo, ... */
	const char *lang;    /* xml:lang or NULL */
	const char *value;   /* trimmed text */
	int width, height;   /* Logo only; -1 when absent */
	struct mdm_loc loc;
};

/* A language tag as used anywhere (for the language checks). */
struct mdm_lang {
	struct mdm_lang *next;
	const char *element; /* qualified: "mdui:DisplayName", "md:OrganizationName" */
	const char *scope;   /* path of the parent element: duplicates are per parent */
	const char *lang;
	struct mdm_loc loc;
};

struct mdm_endpoint {
	struct mdm_endpoint *next;
	const char *element;  /* SingleSignOnService, AssertionConsumerService, ... */
	const char *binding;
	const char *location;
	const char *response_location;
	int index;            /* -1 when absent */
	int is_default;       /* -1 absent, 0 false, 1 true */
	struct mdm_loc loc;
};

enum mdm_key_use { MDM_USE_BOTH = 0, MDM_USE_SIGNING = 1, MDM_USE_ENCRYPTION = 2 };

struct mdm_method {
	struct mdm_method *next;
	const char *element;   /* EncryptionMethod, DigestMethod, SigningMethod */
	const char *algorithm;
	struct mdm_loc loc;
};

struct mdm_key {
	struct mdm_key *next;
	enum mdm_key_use use;
	int use_bad;              /* a use attribute other than signing/encryption */
	int ncerts;               /* ds:X509Certificate elements */
	int cert_ok;              /* the first one parsed */
	struct cert_info cert;    /* its facts, when cert_ok */
	char cert_error[160];     /* why it did not parse */
	const char *cert_b64;     /* its base64 text (whitespace kept) */
	struct mdm_method *methods; /* md:EncryptionMethod children */
	struct mdm_loc loc;
};

struct mdm_scope {
	struct mdm_scope *next;
	const char *value;
	int regexp;               /* -1 absent, 0 false, 1 true */
	struct mdm_loc loc;
};

/* A saml:Attribute (entity attribute) or md:RequestedAttribute. */
struct mdm_value {
	struct mdm_value *next;
	const char *value;        /* as written (not trimmed) */
};

struct mdm_attr {
	struct mdm_attr *next;
	const char *name;
	const char *name_format;  /* NULL when absent */
	const char *friendly_name;
	int is_required;          /* -1 absent, 0, 1 */
	struct mdm_value *values;
	int nvalues;
	struct mdm_loc loc;
};

struct mdm_acs_service {
	struct mdm_acs_service *next;
	int index;
	int is_default;
	struct mdm_text *names;       /* ServiceName, ServiceDescription */
	struct mdm_attr *requested;
	struct mdm_loc loc;
};

enum mdm_role_kind { MDM_ROLE_IDP, MDM_ROLE_SP, MDM_ROLE_AA, MDM_ROLE_OTHER };

struct mdm_role {
	struct mdm_role *next;
	enum mdm_role_kind kind;
	const char *element;          /* IDPSSODescriptor, SPSSODescriptor, ... */
	const char *protocols;        /* protocolSupportEnumeration */
	const char *error_url;
	int want_authn_requests_signed; /* -1 absent, 0, 1 */
	int authn_requests_signed;
	int want_assertions_signed;
	struct mdm_endpoint *endpoints;   /* in document order, of every kind */
	struct mdm_endpoint *discovery;   /* idpdisc:DiscoveryResponse in Extensions */
	struct mdm_key *keys;
	struct mdm_text *ui;              /* mdui:UIInfo children (DisplayName ... Logo) */
	int uiinfo;                       /* mdui:UIInfo elements */
	struct mdm_scope *scopes;
	struct mdm_acs_service *services; /* AttributeConsumingService */
	struct mdm_method *algs;          /* alg:DigestMethod/SigningMethod in the role's Extensions */
	const char *nameid_formats[16];
	int n_nameid_formats;
	int entity_attributes;            /* mdattr:EntityAttributes here (misplaced) */
	struct mdm_loc loc;
};

struct mdm_contact {
	struct mdm_contact *next;
	const char *type;             /* contactType */
	const char *remd_type;        /* remd:contactType (REFEDS) or NULL */
	const char *company;
	const char *given_name;
	const char *surname;
	const char *emails[8];
	int nemails;
	const char *phones[8];
	int nphones;
	int empty_child;              /* a child element with no text */
	struct mdm_loc loc;
};

struct mdm_entity {
	const char *entity_id;
	const char *valid_until;
	const char *cache_duration;
	unsigned roles;               /* enum md_role mask */
	struct mdm_role *role_list;
	struct mdm_attr *entity_attrs;    /* in the entity's mdattr:EntityAttributes */
	int entity_attr_blocks;           /* mdattr:EntityAttributes elements at entity level */
	int registration_infos;
	const char *registration_authority;
	const char *registration_instant;
	int registration_policies;
	struct mdm_text *org;             /* OrganizationName, OrganizationDisplayName, OrganizationURL */
	int organization;                 /* md:Organization elements */
	struct mdm_contact *contacts;
	struct mdm_method *algs;          /* alg: methods at entity level */
	struct mdm_lang *langs;
	size_t longest_text;              /* longest text or attribute value (data: URIs excepted) */
	struct mdm_loc longest_loc;
	struct mdm_loc loc;               /* the EntityDescriptor itself */
	struct mdm_arena *arena;
};

/*
 * Build the model of the EntityDescriptor in xml[0..len).  lim may be
 * NULL (defaults of md_parse).  On success *out is new; free it with
 * mdm_free().  Errors: TL_EPARSE (not well-formed, DOCTYPE, not an
 * EntityDescriptor), TL_ELIMIT, TL_ENOMEM; the message has the line.
 */
int mdm_parse(const char *xml, size_t len, const struct md_limits *lim, struct mdm_entity **out,
              struct tl_err *err);

void mdm_free(struct mdm_entity *m);

/*
 * A model as one relocatable blob, to keep beside the XML it came from so
 * that evaluating it again needs no parse (trust.c keeps one per version).
 * The blob holds the arena with every pointer turned into an offset; it is
 * only meaningful to mdm_thaw() of the same build (MDM_FORMAT).
 * mdm_freeze: *blob new (free()).  Errors: TL_ENOMEM.
 * mdm_thaw: *out new (mdm_free()).  Errors: TL_EPARSE (not a blob of this
 * format, or damaged), TL_ENOMEM.
 */
#define MDM_FORMAT 1
int mdm_freeze(const struct mdm_entity *m, void **blob, size_t *len, struct tl_err *err);
int mdm_thaw(const void *blob, size_t len, struct mdm_entity **out, struct tl_err *err);

/* The first role of kind, or NULL. */
const struct mdm_role *mdm_role(const struct mdm_entity *m, enum mdm_role_kind kind);

/* Does the entity declare entity attribute name with value? */
int mdm_has_entity_attr(const struct mdm_entity *m, const char *name, const char *value);

/* The entity attribute called name, or NULL. */
const struct mdm_attr *mdm_entity_attr(const struct mdm_entity *m, const char *name);

#endif
