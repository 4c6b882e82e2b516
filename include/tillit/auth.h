/*
 * auth.h - API tokens: who may use the JSON API, and as what.
 *
 * A token is 32 random bytes, shown once (base64url, prefixed "tlt_") when
 * it is created; the store keeps only its SHA-256 with the record {name,
 * role, member, created, expires}.  A presented token is hashed and looked
 * up, and the stored hash compared in constant time.  Roles: operator (the
 * whole API) and member (its own organisation's entities: reports and
 * attestations).  Creation and revocation are in the audit log.
 */
#ifndef TILLIT_AUTH_H
#define TILLIT_AUTH_H

#include <jansson.h>
#include <time.h>

#include "tillit/ctx.h"
#include "tillit/err.h"

#define AUTH_NAME_MAX 64
#define AUTH_TOKEN_MAX 128  /* longest bearer token looked at */

enum auth_role { AUTH_NONE = 0, AUTH_MEMBER, AUTH_OPERATOR };

struct auth_principal {
	enum auth_role role;
	char name[AUTH_NAME_MAX + 1];
	char member[AUTH_NAME_MAX + 1]; /* for AUTH_MEMBER */
};

/*
 * Create a token called name ([a-z0-9._-]{1,64}, unique) for role (member:
 * of member org, which must exist), valid until expires (0: no expiry).
 * *token: the secret (free() it), shown once.  Errors: TL_EINVAL,
 * TL_EEXIST, TL_ENOENT (member), TL_ECRYPTO.
 */
int auth_token_add(struct tl_ctx *ctx, const char *name, enum auth_role role, const char *member,
                   time_t expires, char **token, json_t **out, struct tl_err *err);

/* Token records (never the secrets). */
int auth_token_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err);

/* Revoke the token called name.  TL_ENOENT. */
int auth_token_revoke(struct tl_ctx *ctx, const char *name, struct tl_err *err);

/*
 * Who presents token?  TL_OK and *p filled, or TL_EPERM ("unknown or
 * revoked token", "token expired").  Read-only; safe from any thread.
 */
int auth_check(struct tl_ctx *ctx, const char *token, struct auth_principal *p,
               struct tl_err *err);

/* "operator", "member" (or NULL for an unknown word). */
const char *auth_role_name(enum auth_role r);
int auth_role_parse(const char *s, enum auth_role *r);

#endif
