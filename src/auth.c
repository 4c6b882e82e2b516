/* auth.c - API tokens. */
#include "tillit/auth.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define AUTH_SECRET_BYTES 32
#define AUTH_PREFIX "tlt_"

const char *auth_role_name(enum auth_role r)
{
	return r == AUTH_OPERATOR ? "operator" : r == AUTH_MEMBER ? "member" : "none";
}

int auth_role_parse(const char *s, enum auth_role *r)
{
	if (s != NULL && strcmp(s, "operator") == 0)
		*r = AUTH_OPERATOR;
	else if (s != NULL && strcmp(s, "member") == 0)
		*r = AUTH_MEMBER;
	else
		return -1;
	return 0;
}

static int auth_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUTH_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* base64url without padding */
static void auth_b64url(const unsigned char *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = a[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = a[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Find the record of the token called name: its key (hash) into key. */
static json_t *auth_find_name(struct store_txn *txn, const char *name, unsigned char key[UTIL_SHA256_LEN])
{
	struct store_iter it;
	struct store_val k, v;
	json_t *found = NULL;

	store_iter_begin(txn, STORE_DB_TOKENS, NULL, 0, &it);
	while (found == NULL && store_iter_next(&it, &k, &v)) {
		json_t *r = json_loadb(v.data, v.len, 0, NULL);
		const char *n = json_string_value(json_object_get(r, "name"));
		if (n != NULL && strcmp(n, name) == 0 && k.len == UTIL_SHA256_LEN) {
			memcpy(key, k.data, UTIL_SHA256_LEN);
			found = r;
		} else {
			json_decref(r);
		}
	}
	store_iter_end(&it);
	return found;
}

int auth_token_add(struct tl_ctx *ctx, const char *name, enum auth_role role, const char *member,
                   time_t expires, char **token, json_t **out, struct tl_err *err)
{
	unsigned char secret[AUTH_SECRET_BYTES], hash[UTIL_SHA256_LEN], other[UTIL_SHA256_LEN];
	char b64[2 * AUTH_SECRET_BYTES], *tok, now[32], exp[32];
	struct store_txn txn;
	struct store_val v;
	json_t *rec, *dup, *details;
	char *s;
	int rc;

	*token = NULL;
	*out = NULL;
	if (!auth_valid_name(name))
		return tl_err_set(err, TL_EINVAL, "token name '%s' is not 1-64 lowercase letters, digits, '.', '_' or '-'", name);
	if (role == AUTH_MEMBER && (member == NULL || *member == '\0'))
		return tl_err_set(err, TL_EINVAL, "a member token needs --member ORG");
	if (role == AUTH_OPERATOR && member != NULL)
		return tl_err_set(err, TL_EINVAL, "an operator token belongs to no member");
	if (expires != 0 && expires <= util_now())
		return tl_err_set(err, TL_EINVAL, "the expiry is not in the future");
	if ((rc = util_random(secret, sizeof(secret), err)) != TL_OK)
		return rc;
	auth_b64url(secret, sizeof(secret), b64);
	tok = malloc(strlen(AUTH_PREFIX) + strlen(b64) + 1);
	if (tok == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	memcpy(tok, AUTH_PREFIX, strlen(AUTH_PREFIX));
	memcpy(tok + strlen(AUTH_PREFIX), b64, strlen(b64) + 1);
	util_sha256(tok, strlen(tok), hash);
	util_time_iso(util_now(), now, sizeof(now));
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		goto fail;
	dup = auth_find_name(&txn, name, other);
	if (dup != NULL) {
		json_decref(dup);
		store_abort(&txn);
		rc = tl_err_set(err, TL_EEXIST, "a token called %s exists (revoke it first)", name);
		goto fail;
	}
	if (role == AUTH_MEMBER && store_get(&txn, STORE_DB_MEMBERS, member, strlen(member), &v) != TL_OK) {
		store_abort(&txn);
		rc = tl_err_set(err, TL_ENOENT, "unknown member '%s'", member);
		goto fail;
	}
	rec = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "role", auth_role_name(role), "created",
	                now, "created_by", ctx->actor);
	if (role == AUTH_MEMBER)
		json_object_set_new(rec, "member", json_string(member));
	if (expires != 0) {
		util_time_iso(expires, exp, sizeof(exp));
		json_object_set_new(rec, "expires", json_string(exp));
	}
	s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (s != NULL)
		store_put(&txn, STORE_DB_TOKENS, hash, sizeof(hash), s, strlen(s));
	free(s);
	details = json_pack("{s:s, s:s?}", "role", auth_role_name(role), "member", member);
	audit_append(&txn, ctx->actor, "token.add", name, details);
	json_decref(details);
	rc = store_commit(&txn, err);
	if (rc != TL_OK) {
		json_decref(rec);
		goto fail;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	*token = tok;
	*out = rec;
	return TL_OK;
fail:
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	return rc;
}

int auth_token_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK) {
		json_decref(arr);
		return rc;
	}
	store_iter_begin(&txn, STORE_DB_TOKENS, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *r = json_loadb(v.data, v.len, 0, NULL);
		if (r != NULL)
			json_array_append_new(arr, r);
	}
	store_iter_end(&it);
	store_abort(&txn);
	*out = arr;
	return TL_OK;
}

int auth_token_revoke(struct tl_ctx *ctx, const char *name, struct tl_err *err)
{
	unsigned char key[UTIL_SHA256_LEN];
	struct store_txn txn;
	json_t *r;
	int rc;

	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	r = auth_find_name(&txn, name, key);
	if (r == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "no token called %s", name);
	}
	store_del(&txn, STORE_DB_TOKENS, key, sizeof(key));
	audit_append(&txn, ctx->actor, "token.revoke", name, NULL);
	json_decref(r);
	return store_commit(&txn, err);
}

int auth_check(struct tl_ctx *ctx, const char *token, struct auth_principal *p,
               struct tl_err *err)
{
	unsigned char hash[UTIL_SHA256_LEN];
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	json_t *rec = NULL;
	int rc, found = 0;
	time_t exp;

	memset(p, 0, sizeof(*p));
	if (token == NULL || strlen(token) > AUTH_TOKEN_MAX || strncmp(token, AUTH_PREFIX, 4) != 0)
		return tl_err_set(err, TL_EPERM, "no valid API token");
	util_sha256(token, strlen(token), hash);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	/*
	 * Every stored hash is compared, in constant time, so that neither the
	 * comparison nor the number of comparisons depends on the secret.
	 */
	store_iter_begin(&txn, STORE_DB_TOKENS, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		int eq = k.len == UTIL_SHA256_LEN && util_ct_equal(k.data, hash, UTIL_SHA256_LEN);
		if (eq && !found) {
			rec = json_loadb(v.data, v.len, 0, NULL);
			found = 1;
		}
	}
	store_iter_end(&it);
	store_abort(&txn);
	if (!found || rec == NULL)
		return tl_err_set(err, TL_EPERM, "unknown or revoked API token");
	if (json_object_get(rec, "expires") != NULL &&
	    util_time_parse(json_string_value(json_object_get(rec, "expires")), &exp) == 0 &&
	    exp <= util_now()) {
		json_decref(rec);
		return tl_err_set(err, TL_EPERM, "the API token has expired");
	}
	auth_role_parse(json_string_value(json_object_get(rec, "role")), &p->role);
	snprintf(p->name, sizeof(p->name), "%s", json_string_value(json_object_get(rec, "name")) ?: "");
	snprintf(p->member, sizeof(p->member), "%s", json_string_value(json_object_get(rec, "member")) ?: "");
	json_decref(rec);
	return TL_OK;
}
