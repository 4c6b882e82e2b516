/*
 * ctx.h - the one context object: a data directory's configuration, store
 * and paths.  tillitd and tillitctl each hold exactly one; every service
 * function takes it explicitly (no global mutable state).
 *
 * Data directory layout:
 *   DIR/tillit.conf                 configuration (conf.h)
 *   DIR/db/                         the LMDB environment (store.h)
 *   DIR/keys/metadata-signing.key   federation metadata signing key (0600) + .crt
 *   DIR/keys/hub-signing.key        hub SAML signing key (0600) + .crt
 *   DIR/keys/hub-encryption.key     hub SAML encryption key (0600) + .crt
 *   DIR/published/federation.xml    the last signed aggregate (replaced atomically)
 */
#ifndef TILLIT_CTX_H
#define TILLIT_CTX_H

#include "tillit/conf.h"
#include "tillit/err.h"
#include "tillit/store.h"

#define CTX_PATH_MAX 4096

struct hub; /* hub.h: tillitd's SSO hub, NULL elsewhere */

struct tl_ctx {
	char dir[CTX_PATH_MAX];
	struct conf conf;
	struct store *store;
	char actor[128]; /* who acts, for the audit log ("operator:USER" for the CLI) */
	struct hub *hub; /* owned by whoever opened it (tillitd); ctx_close() leaves it */
};

/*
 * Open the data directory dir: load DIR/tillit.conf over the defaults and
 * open the store.  Errors: TL_ENOENT ("DIR is not a Tillit data directory
 * (run tillitctl init)"), TL_ECONF, TL_ESTORE.  On success release with
 * ctx_close().
 */
int ctx_open(struct tl_ctx *ctx, const char *dir, struct tl_err *err);

/* Close the store.  Safe on a context that failed to open. */
void ctx_close(struct tl_ctx *ctx);

/* Build DIR/rel into out (CTX_PATH_MAX). Returns out. */
char *ctx_path(const struct tl_ctx *ctx, const char *rel, char *out);

#endif
