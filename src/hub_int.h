/*
 * hub_int.h - the SSO hub's parts, shared by its files and nothing else
 * (hub.c: setup, keys, lasso servers, the provider cache, the directory of
 * member IdPs, the hub's own metadata, pages and purging; hub_sso.c: the
 * login flows).  The contract for the rest of Tillit is include/tillit/hub.h.
 */
#ifndef TILLIT_HUB_INT_H
#define TILLIT_HUB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <lasso/lasso.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
#include <lasso/xml/saml-2.0/samlp2_status_response.h>

#include "tillit/buf.h"
#include "tillit/hub.h"
#include "tillit/md.h"
#include "tillit/saml.h"
#include "tillit/sign.h"
#include "tillit/mdm.h"
#include "tillit/store.h"
#include "tillit/tf.h"
#include "tillit/util.h"
#include "tillit/xsig.h"

#define HUB_SECRET_LEN 32
#define HUB_NONCE_LEN 32            /* hex characters of a state nonce */
#define HUB_PAGE_MAX (1 << 20)      /* an HTML page the hub writes */
#define HUB_STATE_MAX (256 * 1024)  /* a waiting login's record */
#define HUB_COOKIE_IDP "tillit_idp" /* the IdP chosen last on /ds */
#define HUB_AUDIT_QUEUE_MAX 100000  /* login records waiting for the audit writer */
#define HUB_BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define HUB_BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

/* One provider loaded into a lasso server. */
struct hub_pentry {
	char *entity_id;
	unsigned version;            /* the approved version loaded */
	struct mdm_entity *model;    /* its model (read-only while the lock is held) */
	struct xsig_key keys[8];     /* its signing keys (from the model's certificates) */
	int nkeys;
	EVP_PKEY *enc;               /* its encryption key, or NULL */
	int gcm;                     /* it lists AES-GCM among its EncryptionMethods */
	atomic_ullong used;          /* the cache's clock when last used */
};

/*
 * One side of the hub: a lasso server and the providers it holds, at
 * most max of them.  Requests hold lock for reading while they use the
 * server; loading and evicting a provider takes it for writing (lasso
 * servers must not change while in use).
 */
struct hub_pcache {
	pthread_rwlock_t lock;
	LassoServer *server;
	LassoProviderRole role;      /* the role of the providers held */
	enum mdm_role_kind kind;
	GHashTable *entries;         /* entityID -> struct hub_pentry * */
	size_t max;
	atomic_ullong tick;
	LassoKey *signing_key;       /* the hub's, set on every provider */
	int encrypt;                 /* encrypt assertions to providers with an encryption key */
	atomic_ullong loads;
};

/* A member IdP as the discovery page and the hub's metadata show it. */
struct hub_idp {
	char *entity_id;
	char *name_sv, *name_en, *desc_sv, *desc_en, *logo;
	char *scopes[16];
	int nscopes;
	int scope_regexp[16];
	int hidden;                  /* hide-from-discovery: not listed on /ds */
};

/* The approved member IdPs, rebuilt when the registry changes (refcounted snapshot). */
struct hub_dir {
	atomic_int refs;
	uint64_t gen;                /* the registry generation it was built from */
	struct hub_idp *idps;        /* sorted by entityID */
	size_t n;
	char *idp_metadata;          /* the hub's IdP metadata, with the members' scopes */
	size_t idp_metadata_len;
	char *sp_metadata;           /* its SP metadata, as served */
	size_t sp_metadata_len;
	time_t resign_at;            /* when both are signed again (their validUntil nears) */
};

struct hub {
	struct tl_ctx *ctx;
	struct store *sso;           /* DIR/sso */
	struct tf_set *frameworks;
	struct md_limits lim;
	char idp_id[CONF_STR_MAX + 32], sp_id[CONF_STR_MAX + 32];
	char sso_url[CONF_STR_MAX + 32], acs_url[CONF_STR_MAX + 32], ds_url[CONF_STR_MAX + 32];
	char *sign_key, *sign_cert, *enc_key, *enc_cert; /* PEM */
	struct xsig_key sign_pkey;   /* the hub's signing key, decoded and set up once */
	char *sign_cert_b64, *enc_cert_b64;
	unsigned char secret[HUB_SECRET_LEN];
	char *sp_metadata;           /* unsigned (lasso's copy; the directory holds the one served) */
	size_t sp_metadata_len;
	struct sign_key md_key;      /* the federation's metadata-signing key, for the two above */
	int md_signed;               /* md_key loaded: the metadata is served signed */
	struct hub_pcache idp_side;  /* the hub as IdP: services' providers */
	struct hub_pcache sp_side;   /* the hub as SP: member IdPs' providers */
	pthread_mutex_t dir_lock;
	struct hub_dir *dir;
	pthread_t purger;
	int purger_started;
	pthread_mutex_t purge_lock;
	pthread_cond_t purge_cond;
	int stopping;
	struct audit_queue *auditq;  /* login records (NULL: written one by one) */
	atomic_ullong n_logins, n_errors_sent, n_refused;
};

/* ---- hub.c ---------------------------------------------------------- */

/*
 * The approved member entity entity_id as a provider of pc, loaded if
 * needed: on TL_OK the caller holds pc->lock for reading and *pe is
 * valid until hub_prov_release().  Errors (nothing held): TL_ENOENT (not
 * a member entity, or it has no role of pc's kind), TL_ESTATE (not
 * approved, or suspended: the message says which), TL_EPARSE, TL_ESTORE,
 * TL_EINTERNAL (lasso refused the metadata).
 */
int hub_prov_acquire(struct hub *h, struct hub_pcache *pc, const char *entity_id,
                     struct hub_pentry **pe, struct tl_err *err);
void hub_prov_release(struct hub_pcache *pc);

/* The current directory (a reference: hub_dir_put() it). NULL on failure (err set). */
struct hub_dir *hub_dir_get(struct hub *h, struct tl_err *err);
void hub_dir_put(struct hub_dir *d);
const struct hub_idp *hub_dir_find(const struct hub_dir *d, const char *entity_id);

/* Responses. */
void hub_page(struct hub *h, struct hub_response *rs, unsigned status, const char *title,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void hub_redirect(struct hub_response *rs, const char *url);
/* The auto-submitting form that POSTs fields (name, value pairs) to url. */
void hub_post_form(struct hub *h, struct hub_response *rs, const char *url,
                   const char *const *fields, int nfields);

/* Random hex (n bytes -> 2n characters + NUL). */
int hub_random_hex(char *out, size_t n, struct tl_err *err);

/* ISO 8601 UTC of t ("2026-12-01T10:00:00Z"). */
void hub_time(time_t t, char out[32]);

/* ---- hub_resp.c ----------------------------------------------------- */

#define HUB_ST_RESPONDER "urn:oasis:names:tc:SAML:2.0:status:Responder"
#define HUB_ST_REQUESTER "urn:oasis:names:tc:SAML:2.0:status:Requester"

struct hub_attr_out {
	const char *name, *friendly;      /* canonical name; friendly name or NULL */
	const char *const *values;
	int nvalues;
};

/* What the hub answers a service. */
struct hub_resp_in {
	const char *sp, *acs, *in_response_to, *relay;
	const char *status1, *status2;    /* status2 NULL: Success, with the assertion below */
	const char *message;              /* StatusMessage of an error */
	const char *nameid, *nameid_fmt, *cls;
	time_t authn_instant;
	const struct hub_attr_out *attrs;
	int nattrs;
	EVP_PKEY *enc;                    /* encrypt the assertion to this key (NULL: do not) */
	int gcm;                          /* with AES-256-GCM (else CBC) */
	int sign_assertion;               /* sign the assertion too (the Response always is) */
};

/* The Response, signed (the assertion if in->sign_assertion, then the Response), as base64 (free()). */
int hub_resp_build(struct hub *h, const struct hub_resp_in *in, char **b64, struct tl_err *err);
/* Build it and answer with the auto-submitting form to in->acs (or an error page). */
void hub_resp_send(struct hub *h, struct hub_response *rs, const struct hub_resp_in *in);

/* ---- hub_sso.c ------------------------------------------------------ */

void hub_sso(struct hub *h, const struct hub_request *rq, struct hub_response *rs);
void hub_ds(struct hub *h, const struct hub_request *rq, struct hub_response *rs);
void hub_acs(struct hub *h, const struct hub_request *rq, struct hub_response *rs);

#endif
