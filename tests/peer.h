/*
 * peer.h - SAML peers for the SSO hub's tests and benchmark: a service
 * (SP) and a member IdP built on lasso, each with its own key, metadata
 * that passes the registry's validation, and the lasso calls that speak to
 * the hub.  The hub's own code is never used to build what it is tested with.
 */
#ifndef TILLIT_PEER_H
#define TILLIT_PEER_H

#include <stddef.h>

#include <lasso/lasso.h>

struct peer_opts {
	int sign_requests;            /* SP: AuthnRequestsSigned="true" and sign */
	int encryption_key;           /* SP: publish an encryption key (the hub may encrypt) */
	const char *requested;        /* SP: RequestedAttribute friendly names, comma-separated */
	const char *categories;       /* entity categories, comma-separated URIs */
	const char *nameid_format;    /* SP: NameIDFormat in its metadata */
	const char *discovery;        /* SP: a DiscoveryResponse URL */
	int unsigned_assertions;      /* SP: WantAssertionsSigned="false" (else "true") */
	const char *scope;            /* IdP: shibmd:Scope */
	const char *name_sv, *name_en;/* IdP: mdui:DisplayName */
};

struct peer {
	char *entity_id;
	char *metadata;               /* its EntityDescriptor (malloc'd) */
	char *key_pem, *cert_pem;     /* its key pair (PEM, malloc'd) */
	LassoServer *server;          /* with the hub's metadata as its one provider */
	char url[512];                /* base URL: endpoints are url + "/acs", "/sso", "/ds" */
	const char *comparison;       /* an SP's RequestedAuthnContext Comparison (NULL: exact) */
};

/*
 * Make an SP (is_idp 0) or IdP (1) called entity_id with endpoints under
 * url; its key and certificate are written to dir (RSA-2048).  hub_md is
 * the hub's metadata for the other side (its IdP metadata for an SP, its SP
 * metadata for an IdP).  Returns 0, or -1 with a message on stderr.
 */
int peer_make(struct peer *p, int is_idp, const char *entity_id, const char *url, const char *dir,
              const struct peer_opts *o, const char *hub_md);

/* An SP's metadata (as peer_make writes it) for a certificate (PEM) it shares with others (malloc'd). */
char *peer_sp_metadata(const char *entity_id, const char *url, const char *cert_pem,
                       const struct peer_opts *o);

/* Load the hub's metadata (again) into the peer's lasso server. */
int peer_trust(struct peer *p, int is_idp, const char *hub_md);

void peer_free(struct peer *p);

/*
 * SP: an AuthnRequest to the hub (the hub's IdP entityID).  binding 0:
 * HTTP-Redirect (*url_out = the full URL), 1: HTTP-POST (*url_out the
 * hub's SSO URL, *body_out the form body).  relay may be NULL.  classes:
 * NULL or a RequestedAuthnContext class.  idp: NULL or one Scoping IdP.
 * *req_id_out: the request ID.  All outputs malloc'd.
 */
int peer_sp_request(struct peer *p, const char *hub_idp, int binding, const char *relay,
                    const char *cls, const char *idp, char **url_out, char **body_out,
                    char **req_id_out);

/*
 * IdP: answer the hub's AuthnRequest (query = the raw query of the hub's
 * redirect): a signed response with attrs ("name=value\n" lines, names in
 * urn:oid: form), NameID name_id (persistent), class cls.  lasso always
 * signs the assertion; sign & 2: the Response as well.  *body_out: "SAMLResponse=...&RelayState=..."
 * for the hub's ACS; *xml_out (may be NULL): the response XML as sent.
 */
int peer_idp_respond(struct peer *p, const char *query, const char *attrs, const char *name_id,
                     const char *cls, int sign, char **body_out, char **xml_out);

/* The same, with the assertion's Audience set to audience (NULL: the hub's, as lasso makes it). */
int peer_idp_respond_for(struct peer *p, const char *query, const char *attrs, const char *name_id,
                         const char *cls, int sign, const char *audience, char **body_out,
                         char **xml_out);

/*
 * SP: process the hub's form (its HTML page): the response must verify.
 * On 0: *status the top-level status and *status2 the second level (may be
 * NULL), *attrs "name=value\n" lines of the assertion (empty on errors),
 * *name_id its NameID, *cls the class.  All malloc'd.
 */
int peer_sp_accept(struct peer *p, const char *page, char **status, char **status2, char **attrs,
                   char **name_id, char **cls);

/* The value of hidden field name in an HTML form page (decoded, malloc'd) or NULL. */
char *peer_form_field(const char *page, const char *name);
/* The action of the form in page (malloc'd) or NULL. */
char *peer_form_action(const char *page);
/* Form-encode a value (malloc'd). */
char *peer_form_encode(const char *v);

#endif
