/*
 * hub.h - the SSO hub: one SAML IdP toward the federation's services and
 * one SAML SP toward its member IdPs (an IdP proxy), over lasso.
 *
 * A person opens a service; the service sends an AuthnRequest to
 * /idp/sso; the hub checks it (an approved, not suspended service, its
 * signature when present or required, Destination, IssueInstant age, ID
 * reuse, an AssertionConsumerService from the service's metadata), keeps
 * it as a login waiting in the SSO store, and sends the person on to
 * their organisation's IdP (chosen by the service's Scoping, because only
 * one IdP fits, or on the discovery page /ds) with a signed AuthnRequest
 * of its own.  The IdP's Response comes back to /sp/acs; the hub verifies
 * what lasso verifies (signatures, decryption) and what it does not
 * (signature placement, Destination, Recipient, InResponseTo of a stored,
 * unused request, audience, times with clock_skew, an approved issuer,
 * assertion replay), keeps scoped attributes only in the IdP's scopes,
 * and answers the waiting service: a signed (and, when the service has an
 * encryption key and encrypt_assertions is on, encrypted) assertion with
 * the attributes the service asks for and is entitled to by its agreement
 * (agr.h), delivered by an auto-submitting form; or a SAML error Response
 * (NoAuthnContext, RequestDenied, ...) where the protocol defines one.
 * Every login appends an audit record naming the attributes released.
 *
 * The hub is independent of the HTTP library: http.c hands over requests
 * (struct hub_request) and sends back the answers (struct hub_response).
 * All functions are thread-safe; providers are loaded from the store on
 * demand into a bounded cache (provider_cache_size per side), so memory
 * does not grow with the size of the federation.
 *
 * State: the SSO environment DIR/sso (LMDB, no fsync: a login in flight
 * is lost only if the machine crashes) holds waiting logins, the hub's
 * upstream request IDs (one-shot) and the replay cache of request and
 * assertion IDs, each with an expiry; a purge thread removes expired
 * records.  The NameID secret is DIR/keys/hub-nameid.secret (0600,
 * created on first start).
 */
#ifndef TILLIT_HUB_H
#define TILLIT_HUB_H

#include <stddef.h>

#include "tillit/ctx.h"
#include "tillit/err.h"

/* The routes the hub answers (paths relative to conf.base_url). */
enum hub_route {
	HUB_IDP_METADATA, /* GET  /idp/metadata  the hub's IdP metadata (entityID = this URL) */
	HUB_SP_METADATA,  /* GET  /sp/metadata   the hub's SP metadata (entityID = this URL) */
	HUB_SSO,          /* GET|POST /idp/sso   AuthnRequests (HTTP-Redirect, HTTP-POST) */
	HUB_DS,           /* GET  /ds            discovery page, also the IdP Discovery Protocol */
	HUB_ACS,          /* POST /sp/acs        Responses of member IdPs (HTTP-POST) */
};

#define HUB_PATH_IDP_METADATA "/idp/metadata"
#define HUB_PATH_SP_METADATA "/sp/metadata"
#define HUB_PATH_SSO "/idp/sso"
#define HUB_PATH_DS "/ds"
#define HUB_PATH_ACS "/sp/acs"

struct hub_request {
	const char *method;           /* "GET", "POST", "HEAD" */
	const char *query;            /* the raw query string after '?', as sent, or NULL */
	const char *body;             /* the body (POST: application/x-www-form-urlencoded) */
	size_t body_len;
	const char *cookie;           /* the Cookie header, or NULL */
	const char *accept_language;  /* the Accept-Language header, or NULL */
	const char *client;           /* the client's address, for the log */
};

struct hub_response {
	unsigned status;              /* HTTP status */
	char *body;                   /* malloc'd; free with hub_response_free() */
	size_t len;
	const char *content_type;     /* static */
	char *location;               /* Location of a redirect, or NULL */
	char *set_cookie;             /* a Set-Cookie value, or NULL */
	char *csp;                    /* Content-Security-Policy, or NULL (the server's default) */
	int no_store;                 /* Cache-Control: no-store */
};

struct hub; /* opaque */

/*
 * Once per process, in main() before any thread starts: lasso and its
 * libraries, their log output routed to log.h, and the system CA bundle
 * kept from being parsed for every key lasso loads (SSL_CERT_FILE and
 * SSL_CERT_DIR are pointed at nothing: Tillit never uses the system trust
 * store).  Errors: TL_EINTERNAL.
 */
int hub_global_init(struct tl_err *err);
void hub_global_done(void);

/*
 * The first of the hub's key files (DIR/keys/hub-signing.{key,crt},
 * hub-encryption.{key,crt}) missing from ctx's data directory, its path
 * in path[CTX_PATH_MAX]; 0 when all four are there.
 */
int hub_keys_missing(const struct tl_ctx *ctx, char *path);

/*
 * Start the hub of ctx (whose store stays open until hub_close()): the
 * hub's keys (DIR/keys/hub-signing.*, hub-encryption.*; the NameID secret
 * is created when missing), its two lasso servers, the trust frameworks
 * (for assurance levels), the SSO environment and its purge thread.
 * Errors: TL_ENOENT (a key is missing, naming it), TL_ECRYPTO, TL_ESTORE,
 * TL_ECONF, TL_EINTERNAL (lasso refused the hub's own metadata or keys).
 */
int hub_open(struct hub **out, struct tl_ctx *ctx, struct tl_err *err);

/* Stop the purge thread and free everything.  NULL is ok. */
void hub_close(struct hub *h);

/*
 * Answer rq on route r.  Never fails: every problem is a response (an
 * HTML page naming what went wrong with a 4xx/5xx status, or a SAML
 * error Response to the service), logged with what was wrong.  A refused
 * message leaves no state behind.
 */
void hub_handle(struct hub *h, enum hub_route r, const struct hub_request *rq,
                struct hub_response *rs);

void hub_response_free(struct hub_response *rs);

/*
 * Remove expired waiting logins, upstream request IDs and replay-cache
 * entries (the purge thread calls it every minute).  Returns how many
 * records were removed, or a negative tl_code.
 */
long hub_purge(struct hub *h, struct tl_err *err);

/* Counters for /metrics. */
struct hub_stats {
	unsigned long long logins;        /* assertions issued */
	unsigned long long errors_sent;   /* SAML error Responses sent to services */
	unsigned long long refused;       /* messages refused (HTML error pages) */
	unsigned long long provider_loads;/* providers loaded into lasso (cache misses) */
	unsigned long long providers;     /* providers loaded now */
};
void hub_get_stats(struct hub *h, struct hub_stats *out);

#endif
