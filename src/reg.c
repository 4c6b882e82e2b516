/* reg.c - members, entities, versions and the lifecycle. */
#include "tillit/reg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/mdm.h"
#include "tillit/pub.h"
#include "tillit/store.h"
#include "tillit/util.h"

/* ---- small helpers -------------------------------------------------- */

static json_t *reg_load(struct store_txn *txn, enum store_db db, const void *key, size_t klen)
{
	struct store_val v;

	if (store_get(txn, db, key, klen, &v) != TL_OK)
		return NULL;
	return json_loadb(v.data, v.len, 0, NULL);
}

static void reg_save(struct store_txn *txn, enum store_db db, const void *key, size_t klen,
                     json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	if (s == NULL) {
		if (txn->rc == TL_OK)
			txn->rc = tl_err_set(&txn->err, TL_ENOMEM, "cannot serialise a record");
		return;
	}
	store_put(txn, db, key, klen, s, strlen(s));
	free(s);
}

static const char *reg_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static unsigned reg_uint(json_t *o, const char *k)
{
	return (unsigned)json_integer_value(json_object_get(o, k));
}

static void reg_now(char out[32])
{
	util_time_iso(util_now(), out, 32);
}

static void reg_version_key(const unsigned char sha1[UTIL_SHA1_LEN], unsigned v,
                            unsigned char key[UTIL_SHA1_LEN + 4])
{
	memcpy(key, sha1, UTIL_SHA1_LEN);
	store_be32(key + UTIL_SHA1_LEN, v);
}

static void reg_history(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        const char *actor, const char *action, unsigned version,
                        const char *reason, json_t *details)
{
	unsigned char key[UTIL_SHA1_LEN + 8];
	char now[32];
	json_t *ev;

	memcpy(key, sha1, UTIL_SHA1_LEN);
	store_be64(key + UTIL_SHA1_LEN, store_next_seq(txn, STORE_DB_HISTORY, sha1, UTIL_SHA1_LEN));
	reg_now(now);
	ev = json_pack("{s:s, s:s, s:s, s:i}", "time", now, "actor", actor, "action", action,
	               "version", (int)version);
	if (ev == NULL)
		return;
	if (reason != NULL)
		json_object_set_new(ev, "reason", json_string(reason));
	if (details != NULL)
		json_object_set(ev, "details", details);
	reg_save(txn, STORE_DB_HISTORY, key, sizeof(key), ev);
	json_decref(ev);
}

static int reg_valid_org(const char *org)
{
	size_t n = strlen(org);

	if (n == 0 || n > REG_ORG_MAX || !(islower((unsigned char)org[0]) || isdigit((unsigned char)org[0])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)org[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int reg_valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int reg_txn_fail(struct store_txn *txn, struct tl_err *err)
{
	int rc = txn->rc;

	if (err != NULL)
		*err = txn->err;
	store_abort(txn);
	return rc;
}

/* ---- members -------------------------------------------------------- */

int reg_member_add(struct tl_ctx *ctx, const char *org, const char *name, const char *contact,
                   json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_val v;
	json_t *m = NULL;
	char now[32];
	int rc;

	*out = NULL;
	if (!reg_valid_org(org))
		return tl_err_set(err, TL_EINVAL,
		                  "member id '%s' is not valid: use 1-64 lowercase letters, digits, '.', '_' or '-'",
		                  org);
	if (name == NULL || !reg_valid_text(name, REG_NAME_MAX))
		return tl_err_set(err, TL_EINVAL, "member name must be 1-%d printable characters",
		                  REG_NAME_MAX);
	if (contact != NULL && (!reg_valid_text(contact, 254) || strchr(contact, '@') == NULL ||
	                        strchr(contact, ' ') != NULL))
		return tl_err_set(err, TL_EINVAL, "contact '%s' is not an email address", contact);
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	if (store_get(&txn, STORE_DB_MEMBERS, org, strlen(org), &v) == TL_OK) {
		store_abort(&txn);
		return tl_err_set(err, TL_EEXIST, "member '%s' already exists", org);
	}
	reg_now(now);
	m = json_pack("{s:s, s:s, s:s}", "org", org, "name", name, "created", now);
	if (m == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	if (contact != NULL)
		json_object_set_new(m, "contact", json_string(contact));
	reg_save(&txn, STORE_DB_MEMBERS, org, strlen(org), m);
	audit_append(&txn, ctx->actor, "member.add", org, m);
	rc = store_commit(&txn, err);
	if (rc != TL_OK) {
		json_decref(m);
		return rc;
	}
	*out = m;
	return TL_OK;
}

int reg_member_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err)
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
	store_iter_begin(&txn, STORE_DB_MEMBERS, NULL, 0, &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *m = json_loadb(v.data, v.len, 0, NULL);
		if (m != NULL)
			json_array_append_new(arr, m);
	}
	store_iter_end(&it);
	if (txn.rc != TL_OK) {
		json_decref(arr);
		return reg_txn_fail(&txn, err);
	}
	store_abort(&txn);
	*out = arr;
	return TL_OK;
}

static json_t *reg_entity_public(json_t *e, const unsigned char sha1[UTIL_SHA1_LEN]);

int reg_member_show(struct tl_ctx *ctx, const char *org, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	json_t *m, *ents;
	int rc;

	*out = NULL;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	m = reg_load(&txn, STORE_DB_MEMBERS, org, strlen(org));
	if (m == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "unknown member '%s'", org);
	}
	ents = json_array();
	store_iter_begin(&txn, STORE_DB_ENTITIES, NULL, 0, &it);
	for (size_t n = 1; store_iter_next(&it, &k, &v); n++) {
		json_t *e = json_loadb(v.data, v.len, 0, NULL);
		if (e != NULL && strcmp(reg_str(e, "member"), org) == 0)
			json_array_append_new(ents, reg_entity_public(e, k.data));
		json_decref(e);
		store_drop_pages_every(ctx->store, n); /* a walk over small records (store.h) */
	}
	store_iter_end(&it);
	store_abort(&txn);
	json_object_set_new(m, "entities", ents);
	*out = m;
	return TL_OK;
}

/* ---- entities ------------------------------------------------------- */

static json_t *reg_roles_json(unsigned roles)
{
	json_t *a = json_array();

	if (roles & MD_ROLE_IDP)
		json_array_append_new(a, json_string("idp"));
	if (roles & MD_ROLE_SP)
		json_array_append_new(a, json_string("sp"));
	if (roles & MD_ROLE_AA)
		json_array_append_new(a, json_string("aa"));
	return a;
}

/* The entity object as shown to users (a copy). */
static json_t *reg_entity_public(json_t *e, const unsigned char sha1[UTIL_SHA1_LEN])
{
	json_t *o = json_deep_copy(e);
	char hex[2 * UTIL_SHA1_LEN + 1];

	util_hex(sha1, UTIL_SHA1_LEN, hex);
	json_object_set_new(o, "sha1", json_string(hex));
	json_object_set_new(o, "pending_change",
	                    json_boolean(reg_uint(e, "pending_version") != 0 &&
	                                 reg_uint(e, "approved_version") != 0));
	return o;
}

int reg_entity_submit(struct tl_ctx *ctx, const struct md_schema *schema, const char *org,
                      const char *xml, size_t len, json_t **out, struct tl_err *err)
{
	struct md_limits lim = { (size_t)ctx->conf.max_metadata_size, (int)ctx->conf.max_xml_depth, 0 };
	struct store_txn txn = { 0 };
	struct store_val v;
	unsigned char sha1[UTIL_SHA1_LEN], vkey[UTIL_SHA1_LEN + 4], digest[UTIL_SHA256_LEN];
	char hexdigest[2 * UTIL_SHA256_LEN + 1], now[32];
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	json_t *ent = NULL, *ver = NULL, *res = NULL, *details = NULL;
	const char *entity_id;
	unsigned roles, version;
	int rc, in_txn = 0;

	*out = NULL;
	if (len > lim.max_bytes)
		return tl_err_set(err, TL_ELIMIT, "metadata is %zu bytes, more than max_metadata_size (%zu)",
		                  len, lim.max_bytes);
	rc = md_parse(xml, len, &lim, &doc, err);
	if (rc != TL_OK)
		goto out;
	root = xmlDocGetRootElement(doc);
	rc = md_validate_entity(schema, root, err);
	if (rc != TL_OK)
		goto out;
	entity_id = md_entity_id(root);
	roles = md_roles(root);
	util_sha1(entity_id, strlen(entity_id), sha1);
	util_sha256(xml, len, digest);
	util_hex(digest, sizeof(digest), hexdigest);

	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		goto out;
	in_txn = 1;
	if (store_get(&txn, STORE_DB_MEMBERS, org, strlen(org), &v) != TL_OK) {
		rc = tl_err_set(err, TL_ENOENT, "unknown member '%s' (add it with tillitctl member add)", org);
		goto out;
	}
	reg_now(now);
	ent = reg_load(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1));
	if (ent != NULL && strcmp(reg_str(ent, "member"), org) != 0 &&
	    strcmp(reg_str(ent, "state"), "removed") != 0) {
		rc = tl_err_set(err, TL_EEXIST, "entityID %s belongs to member '%s', not '%s'", entity_id,
		                reg_str(ent, "member"), org);
		goto out;
	}
	/* unchanged? compare with the pending, else the approved version */
	if (ent != NULL && strcmp(reg_str(ent, "state"), "removed") != 0 &&
	    strcmp(reg_str(ent, "state"), "rejected") != 0) {
		unsigned cur = reg_uint(ent, "pending_version");
		json_t *cv;
		if (cur == 0)
			cur = reg_uint(ent, "approved_version");
		reg_version_key(sha1, cur, vkey);
		cv = cur ? reg_load(&txn, STORE_DB_VERSIONS, vkey, sizeof(vkey)) : NULL;
		if (cv != NULL && strcmp(reg_str(cv, "sha256"), hexdigest) == 0) {
			res = json_pack("{s:s, s:i, s:s, s:b, s:o}", "entity_id", entity_id, "version",
			                (int)cur, "state", reg_str(ent, "state"), "unchanged", 1, "roles",
			                reg_roles_json(roles));
			json_decref(cv);
			rc = TL_OK;
			goto out;
		}
		json_decref(cv);
	}
	version = ent ? reg_uint(ent, "latest_version") + 1 : 1;
	ver = json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:I}", "version", (int)version,
	                "submitted_at", now, "submitted_by", ctx->actor, "status", "pending", "sha256",
	                hexdigest, "roles", reg_roles_json(roles), "bytes", (json_int_t)len);
	if (ver == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	if (ent == NULL) {
		ent = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:n, s:s, s:s}", "entity_id", entity_id,
		                "member", org, "state", "pending", "approved_version", 0,
		                "pending_version", 0, "latest_version", 0, "first_approved", "created",
		                now, "updated", now);
	}
	{
		const char *state = reg_str(ent, "state");
		unsigned old_pending = reg_uint(ent, "pending_version");
		if (old_pending != 0) { /* superseded by this one */
			json_t *ov;
			reg_version_key(sha1, old_pending, vkey);
			ov = reg_load(&txn, STORE_DB_VERSIONS, vkey, sizeof(vkey));
			if (ov != NULL) {
				json_object_set_new(ov, "status", json_string("superseded"));
				reg_save(&txn, STORE_DB_VERSIONS, vkey, sizeof(vkey), ov);
				json_decref(ov);
			}
		}
		if (strcmp(state, "removed") == 0 || strcmp(state, "rejected") == 0) {
			json_object_set_new(ent, "state", json_string("pending"));
			json_object_set_new(ent, "approved_version", json_integer(0));
			json_object_set_new(ent, "member", json_string(org));
		}
	}
	json_object_set_new(ent, "pending_version", json_integer(version));
	json_object_set_new(ent, "latest_version", json_integer(version));
	json_object_set_new(ent, "roles", reg_roles_json(roles));
	json_object_set_new(ent, "updated", json_string(now));
	reg_version_key(sha1, version, vkey);
	reg_save(&txn, STORE_DB_VERSIONS, vkey, sizeof(vkey), ver);
	store_put(&txn, STORE_DB_VERSION_XML, vkey, sizeof(vkey), xml, len);
	reg_save(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1), ent);
	reg_history(&txn, sha1, ctx->actor, "submit", version, NULL, NULL);
	details = json_pack("{s:s, s:i, s:s}", "member", org, "version", (int)version, "sha256",
	                    hexdigest);
	audit_append(&txn, ctx->actor, "entity.submit", entity_id, details);
	rc = store_commit(&txn, err);
	in_txn = 0;
	if (rc != TL_OK)
		goto out;
	res = json_pack("{s:s, s:i, s:s, s:b, s:o}", "entity_id", entity_id, "version", (int)version,
	                "state", reg_str(ent, "state"), "unchanged", 0, "roles",
	                reg_roles_json(roles));
	log_entity_info(entity_id, "version %u submitted by member %s", version, org);
out:
	if (in_txn)
		store_abort(&txn);
	if (rc == TL_OK)
		*out = res;
	else
		json_decref(res);
	json_decref(details);
	json_decref(ver);
	json_decref(ent);
	xmlFreeDoc(doc);
	return rc;
}

static int reg_state_matches(json_t *e, const char *state)
{
	const char *s = reg_str(e, "state");

	if (state == NULL)
		return 1;
	if (strcmp(state, "pending") == 0)
		return strcmp(s, "pending") == 0 || reg_uint(e, "pending_version") != 0;
	return strcmp(s, state) == 0;
}

static const char *const reg_states[] = { "pending", "approved", "rejected", "suspended",
	                                  "removed", "imported", NULL };

int reg_entity_list(struct tl_ctx *ctx, const char *state, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	json_t *arr;
	int rc, known = state == NULL;

	*out = NULL;
	for (int i = 0; !known && reg_states[i] != NULL; i++)
		known = strcmp(state, reg_states[i]) == 0;
	if (!known)
		return tl_err_set(err, TL_EUSAGE,
		                  "unknown state '%s' (pending, approved, rejected, suspended, removed, imported)",
		                  state);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	arr = json_array();
	if (state != NULL && strcmp(state, "imported") == 0) {
		store_iter_begin(&txn, STORE_DB_IMPORTED, NULL, 0, &it);
		for (size_t n = 1; store_iter_next(&it, &k, &v); n++) {
			json_t *e = json_loadb(v.data, v.len, 0, NULL);
			store_drop_pages_every(ctx->store, n); /* a walk over small records (store.h) */
			if (e == NULL)
				continue;
			json_array_append_new(arr, reg_entity_public(e, k.data));
			json_decref(e);
		}
	} else {
		store_iter_begin(&txn, STORE_DB_ENTITIES, NULL, 0, &it);
		for (size_t n = 1; store_iter_next(&it, &k, &v); n++) {
			json_t *e = json_loadb(v.data, v.len, 0, NULL);
			if (e != NULL && reg_state_matches(e, state))
				json_array_append_new(arr, reg_entity_public(e, k.data));
			json_decref(e);
			store_drop_pages_every(ctx->store, n); /* a walk over small records (store.h) */
		}
	}
	store_iter_end(&it);
	if (txn.rc != TL_OK) {
		json_decref(arr);
		return reg_txn_fail(&txn, err);
	}
	store_abort(&txn);
	*out = arr;
	return TL_OK;
}

int reg_entity_show(struct tl_ctx *ctx, const char *entity_id, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	unsigned char sha1[UTIL_SHA1_LEN];
	json_t *e, *pub, *versions;
	int rc;

	*out = NULL;
	util_sha1(entity_id, strlen(entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	e = reg_load(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1));
	if (e == NULL) {
		e = reg_load(&txn, STORE_DB_IMPORTED, sha1, sizeof(sha1));
		store_abort(&txn);
		if (e == NULL)
			return tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
		*out = reg_entity_public(e, sha1);
		json_decref(e);
		return TL_OK;
	}
	pub = reg_entity_public(e, sha1);
	json_decref(e);
	versions = json_array();
	store_iter_begin(&txn, STORE_DB_VERSIONS, sha1, sizeof(sha1), &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *ver = json_loadb(v.data, v.len, 0, NULL);
		if (ver == NULL)
			continue;
		json_array_append_new(versions, ver);
	}
	store_iter_end(&it);
	{
		struct pub_doc d;
		json_object_set_new(pub, "published_mdq",
		                    json_boolean(pub_mdq_get(&txn, sha1, &d) == TL_OK));
	}
	store_abort(&txn);
	json_object_set_new(pub, "versions", versions);
	*out = pub;
	return TL_OK;
}

int reg_entity_history(struct tl_ctx *ctx, const char *entity_id, json_t **out,
                       struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	unsigned char sha1[UTIL_SHA1_LEN];
	json_t *arr;
	int rc;

	*out = NULL;
	util_sha1(entity_id, strlen(entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	if (store_get(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1), &v) != TL_OK) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
	}
	arr = json_array();
	store_iter_begin(&txn, STORE_DB_HISTORY, sha1, sizeof(sha1), &it);
	while (store_iter_next(&it, &k, &v)) {
		json_t *ev = json_loadb(v.data, v.len, 0, NULL);
		if (ev != NULL)
			json_array_append_new(arr, ev);
	}
	store_iter_end(&it);
	store_abort(&txn);
	*out = arr;
	return TL_OK;
}

int reg_entity_xml(struct tl_ctx *ctx, const char *entity_id, unsigned version, char **xml,
                   struct tl_err *err)
{
	struct store_txn txn;
	unsigned char sha1[UTIL_SHA1_LEN];
	json_t *e;
	int rc;

	*xml = NULL;
	util_sha1(entity_id, strlen(entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	e = reg_load(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1));
	if (e == NULL) {
		struct store_val xv;
		if (store_get(&txn, STORE_DB_IMPORTED_XML, sha1, sizeof(sha1), &xv) == TL_OK) {
			*xml = malloc(xv.len + 1);
			if (*xml != NULL) {
				memcpy(*xml, xv.data, xv.len);
				(*xml)[xv.len] = '\0';
			}
		}
		store_abort(&txn);
		return *xml ? TL_OK : tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
	}
	if (version == 0)
		version = reg_uint(e, "approved_version");
	if (version == 0)
		version = reg_uint(e, "latest_version");
	json_decref(e);
	{
		struct store_val xv;
		if (reg_version_xml_get(&txn, sha1, version, &xv) != TL_OK) {
			store_abort(&txn);
			return tl_err_set(err, TL_ENOENT, "entity %s has no version %u", entity_id, version);
		}
		*xml = malloc(xv.len + 1);
		if (*xml != NULL) {
			memcpy(*xml, xv.data, xv.len);
			(*xml)[xv.len] = '\0';
		}
	}
	store_abort(&txn);
	return *xml ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

int reg_version_xml_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        unsigned version, struct store_val *xml)
{
	unsigned char vkey[UTIL_SHA1_LEN + 4];

	reg_version_key(sha1, version, vkey);
	return store_get(txn, STORE_DB_VERSION_XML, vkey, sizeof(vkey), xml);
}

void reg_head_free(struct reg_head *h)
{
	free(h->entity_id);
	free(h->member);
	free(h->state);
	free(h->first_approved);
	memset(h, 0, sizeof(*h));
}

static char *reg_head_dup(json_t *e, const char *key)
{
	const char *v = json_string_value(json_object_get(e, key));
	return strdup(v ? v : "");
}

int reg_head_read(const struct store_val *v, struct reg_head *h)
{
	const char *keys[] = { "entity_id", "member", "state", "first_approved" };
	char **out[] = { &h->entity_id, &h->member, &h->state, &h->first_approved };
	unsigned long long av = 0, lv = 0;
	int fast = 1;
	json_t *e;

	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < 4 && fast; i++)
		fast = util_json_str(v->data, v->len, keys[i], out[i]) >= 0 &&
		       (*out[i] != NULL || (*out[i] = strdup("")) != NULL);
	fast = fast && util_json_uint(v->data, v->len, "approved_version", &av) >= 0 &&
	       util_json_uint(v->data, v->len, "latest_version", &lv) >= 0;
	if (fast) {
		h->approved_version = (unsigned)av;
		h->latest_version = (unsigned)lv;
		return TL_OK;
	}
	reg_head_free(h);
	if ((e = json_loadb(v->data, v->len, 0, NULL)) == NULL || !json_is_object(e)) {
		json_decref(e);
		return TL_EPARSE;
	}
	for (size_t i = 0; i < 4; i++)
		*out[i] = reg_head_dup(e, keys[i]);
	h->approved_version = (unsigned)json_integer_value(json_object_get(e, "approved_version"));
	h->latest_version = (unsigned)json_integer_value(json_object_get(e, "latest_version"));
	json_decref(e);
	if (h->entity_id == NULL || h->member == NULL || h->state == NULL || h->first_approved == NULL) {
		reg_head_free(h);
		return TL_ENOMEM;
	}
	return TL_OK;
}

/* Whether w occurs in p[0..n). */
static int reg_has(const char *p, size_t n, const char *w)
{
	size_t l = strlen(w);

	for (size_t i = 0; i + l <= n; i++)
		if (memcmp(p + i, w, l) == 0)
			return 1;
	return 0;
}

int reg_version_head_read(const struct store_val *v, char sha256[65], unsigned *roles)
{
	const char *r = NULL;
	size_t n = 0;
	char *sha = NULL;
	int q = 0, rc;
	json_t *e;

	sha256[0] = '\0';
	*roles = 0;
	rc = util_json_str(v->data, v->len, "sha256", &sha);
	if (rc >= 0 && (rc = util_json_member(v->data, v->len, "roles", &r, &n, &q)) >= 0 &&
	    (rc == 0 || (!q && memchr(r, '\\', n) == NULL))) {
		/* an array of the role names, each quoted */
		static const struct { const char *q; unsigned bit; } names[] = {
			{ "\"idp\"", MD_ROLE_IDP }, { "\"sp\"", MD_ROLE_SP }, { "\"aa\"", MD_ROLE_AA },
		};
		for (size_t i = 0; rc == 1 && i < sizeof(names) / sizeof(names[0]); i++)
			if (reg_has(r, n, names[i].q))
				*roles |= names[i].bit;
		snprintf(sha256, 65, "%s", sha ? sha : "");
		free(sha);
		return TL_OK;
	}
	free(sha);
	if ((e = json_loadb(v->data, v->len, 0, NULL)) == NULL || !json_is_object(e)) {
		json_decref(e);
		return TL_EPARSE;
	}
	snprintf(sha256, 65, "%s", json_string_value(json_object_get(e, "sha256")) ?: "");
	*roles = reg_roles_parse(json_object_get(e, "roles"));
	json_decref(e);
	return TL_OK;
}

unsigned reg_roles_parse(json_t *roles)
{
	unsigned r = 0;
	size_t i;
	json_t *v;

	json_array_foreach(roles, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		r |= strcmp(s, "idp") == 0 ? MD_ROLE_IDP : strcmp(s, "sp") == 0 ? MD_ROLE_SP
		   : strcmp(s, "aa") == 0 ? MD_ROLE_AA : 0;
	}
	return r;
}

int reg_entity_facts(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                     struct reg_entity_facts *out)
{
	unsigned char vkey[UTIL_SHA1_LEN + 4];
	struct store_val v;
	json_t *e, *ver;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_get(txn, STORE_DB_ENTITIES, sha1, UTIL_SHA1_LEN, &v);
	if (rc != TL_OK)
		return rc;
	e = json_loadb(v.data, v.len, 0, NULL);
	if (e == NULL)
		return TL_ESTORE;
	snprintf(out->state, sizeof(out->state), "%s", reg_str(e, "state"));
	snprintf(out->member, sizeof(out->member), "%s", reg_str(e, "member"));
	out->version = reg_uint(e, "approved_version");
	if (out->version == 0)
		out->version = reg_uint(e, "latest_version");
	reg_version_key(sha1, out->version, vkey);
	ver = reg_load(txn, STORE_DB_VERSIONS, vkey, sizeof(vkey));
	rc = ver != NULL ? TL_OK : TL_ESTORE;
	out->roles = reg_roles_parse(json_object_get(ver, "roles"));
	json_decref(ver);
	json_decref(e);
	return rc;
}

void reg_history_append(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                        const char *actor, const char *action, unsigned version,
                        const char *reason, json_t *details)
{
	reg_history(txn, sha1, actor, action, version, reason, details);
}

const char *reg_decision_name(enum reg_decision d)
{
	static const char *const names[] = { "approve", "reject", "suspend", "reinstate", "remove" };
	return names[d];
}

static void reg_set_version_status(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                                   unsigned version, const char *status, const char *actor,
                                   const char *reason)
{
	unsigned char vkey[UTIL_SHA1_LEN + 4];
	char now[32];
	json_t *v;

	if (version == 0)
		return;
	reg_version_key(sha1, version, vkey);
	v = reg_load(txn, STORE_DB_VERSIONS, vkey, sizeof(vkey));
	if (v == NULL)
		return;
	reg_now(now);
	json_object_set_new(v, "status", json_string(status));
	json_object_set_new(v, "decided_at", json_string(now));
	json_object_set_new(v, "decided_by", json_string(actor));
	if (reason != NULL)
		json_object_set_new(v, "reason", json_string(reason));
	reg_save(txn, STORE_DB_VERSIONS, vkey, sizeof(vkey), v);
	json_decref(v);
}

#define REG_GEN_KEY "reg_gen"
#define REG_IDP_DIR_KEY "idp_dir_v2" /* STORE_DB_META: the IdP directory has been built (v2: "hidden") */
#define REG_ENTITY_CATEGORY "http://macedir.org/entity-category"
#define REG_HIDE_FROM_DISCOVERY "http://refeds.org/category/hide-from-discovery"

uint64_t reg_generation(struct store_txn *txn)
{
	struct store_val v;

	if (store_get(txn, STORE_DB_META, REG_GEN_KEY, strlen(REG_GEN_KEY), &v) == TL_OK && v.len == 8)
		return store_get_be64(v.data);
	return 0;
}

static void reg_bump_generation(struct store_txn *txn)
{
	unsigned char v[8];

	store_be64(v, reg_generation(txn) + 1);
	store_put(txn, STORE_DB_META, REG_GEN_KEY, strlen(REG_GEN_KEY), v, sizeof(v));
}

static const char *reg_ui(const struct mdm_role *r, const char *element, const char *lang)
{
	for (const struct mdm_text *t = r->ui; t != NULL; t = t->next)
		if (strcmp(t->element, element) == 0 && t->value != NULL &&
		    (lang == NULL || (t->lang != NULL && strcmp(t->lang, lang) == 0)))
			return t->value;
	return NULL;
}

/* The directory record of an IdP model, or NULL when it has no IdP role. */
static json_t *reg_idp_record(const struct mdm_entity *m)
{
	const struct mdm_role *r = mdm_role(m, MDM_ROLE_IDP);
	const struct mdm_attr *cats = mdm_entity_attr(m, REG_ENTITY_CATEGORY);
	const char *sv, *en;
	json_t *o, *scopes;
	int hidden = 0;

	if (r == NULL)
		return NULL;
	for (const struct mdm_value *v = cats ? cats->values : NULL; v != NULL; v = v->next)
		hidden |= v->value != NULL && strcmp(v->value, REG_HIDE_FROM_DISCOVERY) == 0;
	sv = reg_ui(r, "DisplayName", "sv");
	en = reg_ui(r, "DisplayName", "en");
	for (const struct mdm_text *t = m->org; sv == NULL && en == NULL && t != NULL; t = t->next)
		if (strcmp(t->element, "OrganizationDisplayName") == 0 && t->value != NULL)
			en = t->value; /* no mdui: the organisation's name */
	scopes = json_array();
	for (const struct mdm_scope *s = r->scopes; s != NULL; s = s->next)
		if (s->value != NULL)
			json_array_append_new(scopes, json_pack("[s, b]", s->value, s->regexp == 1));
	o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:b}", "entity_id", m->entity_id, "name_sv",
	              sv, "name_en", en, "desc_sv", reg_ui(r, "Description", "sv"), "desc_en",
	              reg_ui(r, "Description", "en"), "logo", reg_ui(r, "Logo", NULL), "scopes", scopes,
	              "hidden", hidden);
	return o;
}

/* Keep STORE_DB_IDP_DIR in step with an entity's state: present iff it is an approved IdP. */
static void reg_idp_dir_update(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                               const char *state, unsigned approved)
{
	struct store_val xml;
	struct mdm_entity *m = NULL;
	json_t *rec = NULL;
	char *s;

	if (strcmp(state, "approved") == 0 && approved > 0 &&
	    reg_version_xml_get(txn, sha1, approved, &xml) == TL_OK &&
	    mdm_parse(xml.data, xml.len, NULL, &m, NULL) == TL_OK)
		rec = reg_idp_record(m);
	mdm_free(m);
	if (rec == NULL) {
		store_del(txn, STORE_DB_IDP_DIR, sha1, UTIL_SHA1_LEN);
		return;
	}
	s = json_dumps(rec, JSON_COMPACT);
	if (s != NULL)
		store_put(txn, STORE_DB_IDP_DIR, sha1, UTIL_SHA1_LEN, s, strlen(s));
	free(s);
	json_decref(rec);
}

int reg_idp_dir_ensure(struct tl_ctx *ctx, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	int rc;

	if ((rc = store_txn_begin(ctx->store, &txn, 1, err)) != TL_OK)
		return rc;
	rc = store_get(&txn, STORE_DB_META, REG_IDP_DIR_KEY, strlen(REG_IDP_DIR_KEY), &v);
	store_abort(&txn);
	if (rc == TL_OK)
		return TL_OK;
	/* a store from before the directory: build it once */
	if ((rc = store_txn_begin(ctx->store, &txn, 0, err)) != TL_OK)
		return rc;
	store_iter_begin(&txn, STORE_DB_ENTITIES, NULL, 0, &it);
	for (size_t n = 1; store_iter_next(&it, &k, &v); n++) {
		json_t *e = json_loadb(v.data, v.len, 0, NULL);
		if (e != NULL && k.len == UTIL_SHA1_LEN) {
			unsigned char sha1[UTIL_SHA1_LEN];
			memcpy(sha1, k.data, sizeof(sha1));
			reg_idp_dir_update(&txn, sha1, reg_str(e, "state"), reg_uint(e, "approved_version"));
		}
		json_decref(e);
		store_drop_pages_every(ctx->store, n); /* it reads every approved version */
	}
	store_iter_end(&it);
	store_put(&txn, STORE_DB_META, REG_IDP_DIR_KEY, strlen(REG_IDP_DIR_KEY), "1", 1);
	reg_bump_generation(&txn);
	return store_commit(&txn, err);
}


int reg_entity_decide(struct tl_ctx *ctx, const char *entity_id, enum reg_decision d,
                      const char *reason, json_t *override, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	unsigned char sha1[UTIL_SHA1_LEN];
	json_t *e = NULL, *details = NULL;
	const char *state;
	unsigned pending, approved, version = 0;
	char now[32], action[32];
	int rc;

	*out = NULL;
	if ((d == REG_REJECT || d == REG_SUSPEND) && (reason == NULL || *reason == '\0'))
		return tl_err_set(err, TL_EUSAGE, "%s needs --reason TEXT", reg_decision_name(d));
	if (reason != NULL && !reg_valid_text(reason, REG_REASON_MAX))
		return tl_err_set(err, TL_EINVAL, "reason must be 1-%d printable characters",
		                  REG_REASON_MAX);
	util_sha1(entity_id, strlen(entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		return rc;
	e = reg_load(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1));
	if (e == NULL) {
		store_abort(&txn);
		return tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
	}
	state = reg_str(e, "state");
	pending = reg_uint(e, "pending_version");
	approved = reg_uint(e, "approved_version");
	reg_now(now);
	switch (d) {
	case REG_APPROVE:
		if (pending == 0) {
			rc = tl_err_set(err, TL_ESTATE, "entity %s is %s with no pending version to approve",
			                entity_id, state);
			goto out;
		}
		reg_set_version_status(&txn, sha1, approved, "superseded", ctx->actor, NULL);
		reg_set_version_status(&txn, sha1, pending, "approved", ctx->actor, reason);
		json_object_set_new(e, "approved_version", json_integer(pending));
		json_object_set_new(e, "pending_version", json_integer(0));
		if (json_is_null(json_object_get(e, "first_approved")) ||
		    json_object_get(e, "first_approved") == NULL)
			json_object_set_new(e, "first_approved", json_string(now));
		if (strcmp(state, "suspended") != 0)
			json_object_set_new(e, "state", json_string("approved"));
		version = pending;
		break;
	case REG_REJECT:
		if (pending == 0) {
			rc = tl_err_set(err, TL_ESTATE, "entity %s is %s with no pending version to reject",
			                entity_id, state);
			goto out;
		}
		reg_set_version_status(&txn, sha1, pending, "rejected", ctx->actor, reason);
		json_object_set_new(e, "pending_version", json_integer(0));
		if (approved == 0)
			json_object_set_new(e, "state", json_string("rejected"));
		version = pending;
		break;
	case REG_SUSPEND:
		if (strcmp(state, "approved") != 0) {
			rc = tl_err_set(err, TL_ESTATE, "entity %s is %s; only an approved entity can be suspended",
			                entity_id, state);
			goto out;
		}
		json_object_set_new(e, "state", json_string("suspended"));
		pub_mdq_withdraw(&txn, sha1);
		version = approved;
		break;
	case REG_REINSTATE:
		if (strcmp(state, "suspended") != 0) {
			rc = tl_err_set(err, TL_ESTATE, "entity %s is %s; only a suspended entity can be reinstated",
			                entity_id, state);
			goto out;
		}
		json_object_set_new(e, "state", json_string("approved"));
		version = approved;
		break;
	case REG_REMOVE:
		if (strcmp(state, "removed") == 0) {
			rc = tl_err_set(err, TL_ESTATE, "entity %s is already removed", entity_id);
			goto out;
		}
		reg_set_version_status(&txn, sha1, pending, "withdrawn", ctx->actor, reason);
		json_object_set_new(e, "state", json_string("removed"));
		json_object_set_new(e, "pending_version", json_integer(0));
		json_object_set_new(e, "approved_version", json_integer(0));
		pub_mdq_withdraw(&txn, sha1);
		version = approved;
		break;
	}
	json_object_set_new(e, "updated", json_string(now));
	if (reason != NULL)
		json_object_set_new(e, "reason", json_string(reason));
	else
		json_object_del(e, "reason");
	reg_save(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1), e);
	reg_history(&txn, sha1, ctx->actor, reg_decision_name(d), version, reason, override);
	details = json_pack("{s:i, s:s}", "version", (int)version, "state", reg_str(e, "state"));
	if (reason != NULL)
		json_object_set_new(details, "reason", json_string(reason));
	if (override != NULL)
		json_object_set(details, "override", override);
	snprintf(action, sizeof(action), "entity.%s", reg_decision_name(d));
	audit_append(&txn, ctx->actor, action, entity_id, details);
	reg_idp_dir_update(&txn, sha1, reg_str(e, "state"), reg_uint(e, "approved_version"));
	reg_bump_generation(&txn);
	rc = store_commit(&txn, err);
	if (rc == TL_OK) {
		*out = reg_entity_public(e, sha1);
		log_entity_info(entity_id, "%s by %s (version %u)", reg_decision_name(d), ctx->actor,
		                version);
	}
	json_decref(details);
	json_decref(e);
	return rc;
out:
	store_abort(&txn);
	json_decref(e);
	return rc;
}
