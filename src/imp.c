/* imp.c - import of another federation's signed aggregate. */
#include "tillit/imp.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/sigv.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define IMP_REPORT_MAX_REJECTED 1000

struct imp_state {
	struct tl_ctx *ctx;
	const struct md_schema *schema;
	const struct imp_opts *opts;
	struct store_txn *txn;
	json_t *rejected;
	size_t accepted, unchanged, nrejected;
	/* SHA-1s of the entityIDs met in this aggregate: an open-addressing
	 * set (SHA-1 is uniform, so its first bytes are the hash). */
	unsigned char (*seen)[UTIL_SHA1_LEN];
	unsigned char *used;
	size_t nseen, capseen;
	char now[32];
};

static int imp_valid_source(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static size_t imp_slot(const struct imp_state *st, const unsigned char sha1[UTIL_SHA1_LEN])
{
	size_t h = 0;

	memcpy(&h, sha1, sizeof(h));
	h &= st->capseen - 1;
	while (st->used[h] && memcmp(st->seen[h], sha1, UTIL_SHA1_LEN) != 0)
		h = (h + 1) & (st->capseen - 1);
	return h;
}

static int imp_seen_has(const struct imp_state *st, const unsigned char sha1[UTIL_SHA1_LEN])
{
	return st->capseen > 0 && st->used[imp_slot(st, sha1)];
}

/* Add sha1 to the set; *dup tells whether it was there already. */
static int imp_seen_add(struct imp_state *st, const unsigned char sha1[UTIL_SHA1_LEN], int *dup)
{
	size_t h;

	if (2 * (st->nseen + 1) > st->capseen) {
		struct imp_state grown = *st;
		grown.capseen = st->capseen ? st->capseen * 2 : 1024;
		grown.seen = malloc(grown.capseen * UTIL_SHA1_LEN);
		grown.used = calloc(grown.capseen, 1);
		if (grown.seen == NULL || grown.used == NULL) {
			free(grown.seen);
			free(grown.used);
			return TL_ENOMEM;
		}
		for (size_t i = 0; i < st->capseen; i++) {
			if (!st->used[i])
				continue;
			h = imp_slot(&grown, st->seen[i]);
			memcpy(grown.seen[h], st->seen[i], UTIL_SHA1_LEN);
			grown.used[h] = 1;
		}
		free(st->seen);
		free(st->used);
		st->seen = grown.seen;
		st->used = grown.used;
		st->capseen = grown.capseen;
	}
	h = imp_slot(st, sha1);
	*dup = st->used[h];
	if (!*dup) {
		memcpy(st->seen[h], sha1, UTIL_SHA1_LEN);
		st->used[h] = 1;
		st->nseen++;
	}
	return TL_OK;
}

static void imp_reject(struct imp_state *st, const char *entity_id, int line, const char *reason)
{
	st->nrejected++;
	if (json_array_size(st->rejected) < IMP_REPORT_MAX_REJECTED)
		json_array_append_new(st->rejected,
		                      json_pack("{s:s, s:i, s:s}", "entity_id", entity_id ? entity_id : "",
		                                "line", line, "reason", reason));
}

static int imp_entity(void *ud, xmlNodePtr e, int line, struct tl_err *err)
{
	struct imp_state *st = ud;
	struct tl_err verr = { 0 };
	struct store_val v;
	unsigned char sha1[UTIL_SHA1_LEN], digest[UTIL_SHA256_LEN];
	char hex[2 * UTIL_SHA256_LEN + 1], roles[32];
	const char *entity_id = md_entity_id(e);
	char *xml = NULL;
	size_t len = 0;
	json_t *old = NULL, *rec = NULL;
	int rc, dup;

	if (entity_id == NULL || *entity_id == '\0') {
		imp_reject(st, "", line, "EntityDescriptor without entityID");
		return TL_OK;
	}
	util_sha1(entity_id, strlen(entity_id), sha1);
	/* keep the last good version of a rejected entity: it counts as seen */
	if (imp_seen_add(st, sha1, &dup) != TL_OK)
		return tl_err_set(err, TL_ENOMEM, "out of memory importing");
	if (dup) {
		imp_reject(st, entity_id, line, "entityID appears twice in this aggregate");
		return TL_OK;
	}
	rc = md_validate_entity(st->schema, e, &verr);
	if (rc != TL_OK) {
		imp_reject(st, entity_id, line, verr.msg);
		return TL_OK;
	}
	rc = md_serialize_entity(e, &xml, &len, &verr);
	if (rc != TL_OK) {
		imp_reject(st, entity_id, line, verr.msg);
		return TL_OK;
	}
	if (len > st->ctx->conf.max_metadata_size) {
		imp_reject(st, entity_id, line, "entity larger than max_metadata_size");
		goto out;
	}
	util_sha256(xml, len, digest);
	util_hex(digest, sizeof(digest), hex);
	if (store_get(st->txn, STORE_DB_IMPORTED, sha1, sizeof(sha1), &v) == TL_OK)
		old = json_loadb(v.data, v.len, 0, NULL);
	if (old != NULL) {
		const char *src = json_string_value(json_object_get(old, "source"));
		const char *osum = json_string_value(json_object_get(old, "sha256"));
		if (src != NULL && strcmp(src, st->opts->source) != 0) {
			char why[256];
			snprintf(why, sizeof(why), "entityID already imported from source '%s'", src);
			imp_reject(st, entity_id, line, why);
			goto out;
		}
		if (osum != NULL && strcmp(osum, hex) == 0) {
			st->unchanged++;
			json_object_set_new(old, "imported_at", json_string(st->now));
			rec = json_incref(old);
		}
	}
	if (rec == NULL) {
		md_roles_str(md_roles(e), roles, sizeof(roles));
		rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "entity_id", entity_id, "source",
		                st->opts->source, "state", "imported", "roles_str", roles, "sha256", hex,
		                "imported_at", st->now, "xml", xml);
		if (rec == NULL) {
			imp_reject(st, entity_id, line, "entity is not valid UTF-8");
			goto out;
		}
		{
			json_t *ra = json_array();
			unsigned mask = md_roles(e);
			if (mask & MD_ROLE_IDP)
				json_array_append_new(ra, json_string("idp"));
			if (mask & MD_ROLE_SP)
				json_array_append_new(ra, json_string("sp"));
			if (mask & MD_ROLE_AA)
				json_array_append_new(ra, json_string("aa"));
			json_object_set_new(rec, "roles", ra);
			json_object_del(rec, "roles_str");
		}
		st->accepted++;
	}
	{
		char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
		if (s == NULL) {
			free(xml);
			json_decref(rec);
			json_decref(old);
			return tl_err_set(err, TL_ENOMEM, "out of memory importing");
		}
		store_put(st->txn, STORE_DB_IMPORTED, sha1, sizeof(sha1), s, strlen(s));
		free(s);
	}
out:
	free(xml);
	json_decref(rec);
	json_decref(old);
	if (st->txn->rc != TL_OK) {
		*err = st->txn->err;
		return st->txn->rc;
	}
	return TL_OK;
}

/* Drop entities of this source that the new aggregate no longer holds. */
static size_t imp_prune(struct imp_state *st)
{
	struct store_iter it;
	struct store_val k, v;
	unsigned char (*drop)[UTIL_SHA1_LEN] = NULL;
	size_t n = 0, cap = 0;

	store_iter_begin(st->txn, STORE_DB_IMPORTED, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *rec;
		const char *src;
		int mine;
		if (k.len != UTIL_SHA1_LEN || imp_seen_has(st, k.data))
			continue;
		rec = json_loadb(v.data, v.len, 0, NULL);
		src = json_string_value(json_object_get(rec, "source"));
		mine = src != NULL && strcmp(src, st->opts->source) == 0;
		json_decref(rec);
		if (!mine)
			continue;
		if (n == cap) {
			void *p = realloc(drop, (cap = cap ? cap * 2 : 64) * UTIL_SHA1_LEN);
			if (p == NULL)
				break;
			drop = p;
		}
		memcpy(drop[n++], k.data, UTIL_SHA1_LEN);
	}
	store_iter_end(&it);
	for (size_t i = 0; i < n; i++)
		store_del(st->txn, STORE_DB_IMPORTED, drop[i], UTIL_SHA1_LEN);
	free(drop);
	return n;
}

int imp_import(struct tl_ctx *ctx, const struct md_schema *schema, const char *file,
               const struct imp_opts *opts, json_t **report, struct tl_err *err)
{
	struct sigv_opts so;
	struct sigv_result res;
	struct store_txn txn;
	struct imp_state st;
	EVP_PKEY *trust = NULL;
	json_t *rep = NULL, *details = NULL;
	size_t removed = 0;
	int rc, in_txn = 0, expired = 0;

	*report = NULL;
	memset(&res, 0, sizeof(res));
	memset(&st, 0, sizeof(st));
	if (!imp_valid_source(opts->source))
		return tl_err_set(err, TL_EINVAL,
		                  "source name '%s' is not valid: use 1-64 lowercase letters, digits, '.', '_' or '-'",
		                  opts->source);
	trust = sigv_load_trust(opts->trust_path, err);
	if (trust == NULL)
		return err ? err->code : TL_ECRYPTO;
	so.allow_sha1 = opts->allow_sha1;
	so.max_bytes = (size_t)ctx->conf.max_import_size;
	so.max_entities = (size_t)ctx->conf.max_import_entities;
	so.max_entity_bytes = (size_t)ctx->conf.max_metadata_size;
	so.max_depth = (int)ctx->conf.max_xml_depth;
	st.ctx = ctx;
	st.schema = schema;
	st.opts = opts;
	st.rejected = json_array();
	util_time_iso(util_now(), st.now, sizeof(st.now));
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		goto out;
	in_txn = 1;
	st.txn = &txn;
	rc = sigv_verify_file(file, trust, &so, imp_entity, &st, &res, err);
	if (rc != TL_OK)
		goto out;
	if (res.valid_until == NULL || res.valid_until_t < util_now()) {
		expired = 1;
		if (!opts->allow_expired) {
			rc = res.valid_until == NULL
			         ? tl_err_set(err, TL_EEXPIRED, "the aggregate has no validUntil (use --allow-expired for archives)")
			         : tl_err_set(err, TL_EEXPIRED, "the aggregate expired at %s (use --allow-expired for archives)",
			                      res.valid_until);
			goto out;
		}
	}
	removed = imp_prune(&st);
	rep = json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:O}", "source",
	                opts->source, "file", file, "name", res.name, "valid_until", res.valid_until,
	                "entities", (json_int_t)res.entities, "accepted", (json_int_t)st.accepted,
	                "unchanged", (json_int_t)st.unchanged, "rejected", (json_int_t)st.nrejected,
	                "removed", (json_int_t)removed, "used_sha1", res.used_sha1,
	                "allow_expired_used", expired, "rejected_entities", st.rejected);
	if (rep == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	{
		json_t *src = json_deep_copy(rep);
		char *s;
		json_object_set_new(src, "imported_at", json_string(st.now));
		s = json_dumps(src, JSON_COMPACT | JSON_SORT_KEYS);
		if (s != NULL)
			store_put(&txn, STORE_DB_SOURCES, opts->source, strlen(opts->source), s, strlen(s));
		free(s);
		json_decref(src);
	}
	details = json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:b}", "file", file, "accepted",
	                    (json_int_t)st.accepted, "unchanged", (json_int_t)st.unchanged, "rejected",
	                    (json_int_t)st.nrejected, "removed", (json_int_t)removed, "used_sha1",
	                    res.used_sha1, "allow_expired_used", expired);
	audit_append(&txn, ctx->actor, "import", opts->source, details);
	rc = store_commit(&txn, err);
	in_txn = 0;
	if (rc == TL_OK) {
		*report = rep;
		rep = NULL;
		log_info("import from %s: %zu accepted, %zu unchanged, %zu rejected, %zu removed",
		         opts->source, st.accepted, st.unchanged, st.nrejected, removed);
	}
out:
	if (in_txn)
		store_abort(&txn);
	json_decref(details);
	json_decref(rep);
	json_decref(st.rejected);
	free(st.seen);
	free(st.used);
	sigv_result_free(&res);
	EVP_PKEY_free(trust);
	return rc;
}
