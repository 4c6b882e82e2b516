/* agr.c - attribute release agreements: storage, validation, rendering. */
#include "tillit/agr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/attr.h"
#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/md.h"
#include "tillit/reg.h"
#include "tillit/util.h"

/*
 * Stored record (compact JSON, sorted keys):
 *   {"actor", "attributes": [canonical names, sorted], "entity_id", "purpose", "updated"}
 */

static int agr_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1..AGR_PURPOSE_MAX bytes, no C0 control, DEL or (UTF-8 encoded) C1 control. */
static int agr_valid_purpose(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > AGR_PURPOSE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i], d = (unsigned char)p[i + 1];
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && d >= 0x80 && d <= 0x9f))
			return 0;
	}
	return 1;
}

/*
 * The canonical names of names[0..n) into canon (AGR_ATTRS_MAX entries,
 * borrowed from the attribute registry), sorted and unique.
 */
static int agr_canonical(const char *const *names, size_t n, const char **canon, size_t *ncanon,
                         struct tl_err *err)
{
	size_t k = 0;

	*ncanon = 0;
	if (n > AGR_ATTRS_MAX)
		return tl_err_set(err, TL_ELIMIT, "%zu attributes named, more than the %d an agreement may name",
		                  n, AGR_ATTRS_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct attr_def *d = attr_find(names[i]);
		if (d == NULL)
			return tl_err_set(err, TL_EINVAL,
			                  "unknown attribute '%.200s' (use a friendly name such as mail or its urn:oid: name)",
			                  names[i] ? names[i] : "");
		canon[k++] = d->name;
	}
	if (k > 1)
		qsort(canon, k, sizeof(canon[0]), agr_strcmp);
	for (size_t i = 0; i < k; i++)
		if (*ncanon == 0 || strcmp(canon[*ncanon - 1], canon[i]) != 0)
			canon[(*ncanon)++] = canon[i];
	return TL_OK;
}

static json_t *agr_names_json(const char *const *names, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(names[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

void agr_free(struct agr *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nattrs; i++)
		free(a->attrs[i]);
	free(a->attrs);
	free(a->entity_id);
	free(a->purpose);
	memset(a, 0, sizeof(*a));
}

/* Parse a stored record into out (zeroed before). */
static int agr_parse(const struct store_val *v, struct agr *out, struct tl_err *err)
{
	json_t *o = json_loadb(v->data, v->len, 0, NULL), *names, *name;
	const char *id, *purpose;
	size_t i;
	int rc = TL_OK;

	id = json_string_value(json_object_get(o, "entity_id"));
	purpose = json_string_value(json_object_get(o, "purpose"));
	names = json_object_get(o, "attributes");
	if (id == NULL || purpose == NULL || !json_is_array(names)) {
		rc = tl_err_set(err, TL_ESTORE, "an agreement record is unreadable");
		goto out;
	}
	out->entity_id = strdup(id);
	out->purpose = strdup(purpose);
	if (json_array_size(names) > 0)
		out->attrs = calloc(json_array_size(names), sizeof(out->attrs[0]));
	if (out->entity_id == NULL || out->purpose == NULL || (json_array_size(names) > 0 && out->attrs == NULL)) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(names, i, name) {
		if (!json_is_string(name)) {
			rc = tl_err_set(err, TL_ESTORE, "the agreement of %s is unreadable", id);
			goto out;
		}
		out->attrs[i] = strdup(json_string_value(name));
		if (out->attrs[i] == NULL) {
			rc = tl_err_set(err, TL_ENOMEM, "out of memory");
			goto out;
		}
		out->nattrs++;
	}
	/* agr_allows() relies on the order: keep it even for a record written elsewhere */
	if (out->nattrs > 1)
		qsort(out->attrs, out->nattrs, sizeof(out->attrs[0]), agr_strcmp);
	snprintf(out->updated, sizeof(out->updated), "%s",
	         json_string_value(json_object_get(o, "updated")) ?: "");
	snprintf(out->actor, sizeof(out->actor), "%s", json_string_value(json_object_get(o, "actor")) ?: "");
out:
	if (rc != TL_OK)
		agr_free(out);
	json_decref(o);
	return rc;
}

int agr_get(struct store_txn *txn, const char *sp_entity_id, struct agr *out, struct tl_err *err)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_val v;
	int rc;

	memset(out, 0, sizeof(*out));
	util_sha1(sp_entity_id, strlen(sp_entity_id), sha1);
	rc = store_get(txn, STORE_DB_AGREEMENTS, sha1, sizeof(sha1), &v);
	if (rc == TL_ENOENT)
		return tl_err_set(err, TL_ENOENT, "no agreement for %s", sp_entity_id);
	if (rc != TL_OK)
		return tl_err_set(err, rc, "%s", txn->err.msg);
	rc = agr_parse(&v, out, err);
	if (rc == TL_OK && strcmp(out->entity_id, sp_entity_id) != 0) { /* a SHA-1 collision */
		agr_free(out);
		return tl_err_set(err, TL_ENOENT, "no agreement for %s", sp_entity_id);
	}
	return rc;
}

int agr_allows(const struct agr *a, const char *canonical_name)
{
	if (a == NULL || canonical_name == NULL || a->nattrs == 0)
		return 0;
	return bsearch(&canonical_name, a->attrs, a->nattrs, sizeof(a->attrs[0]), agr_strcmp) != NULL;
}

static json_t *agr_json(const struct agr *a)
{
	json_t *attrs = json_array();

	for (size_t i = 0; attrs != NULL && i < a->nattrs; i++) {
		const struct attr_def *d = attr_find(a->attrs[i]);
		json_array_append_new(attrs, json_pack("{s:s, s:s?}", "name", a->attrs[i], "friendly_name",
		                                       d ? d->friendly : NULL));
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:s}", "entity_id", a->entity_id, "purpose", a->purpose,
	                 "attributes", attrs, "updated", a->updated, "actor", a->actor);
}

/* The names of sp_entity_id's agreement in txn as a new JSON array.  TL_ENOENT if none. */
static int agr_previous(struct store_txn *txn, const char *sp_entity_id, json_t **names,
                        struct tl_err *err)
{
	struct agr a;
	int rc;

	*names = NULL;
	rc = agr_get(txn, sp_entity_id, &a, err);
	if (rc != TL_OK)
		return rc;
	*names = agr_names_json((const char *const *)a.attrs, a.nattrs);
	agr_free(&a);
	return *names ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

int agr_set(struct tl_ctx *ctx, const char *sp_entity_id, const char *const *names, size_t n,
            const char *purpose, struct tl_err *err)
{
	const char *canon[AGR_ATTRS_MAX];
	unsigned char sha1[UTIL_SHA1_LEN];
	struct reg_entity_facts f;
	struct store_txn txn;
	json_t *rec = NULL, *details = NULL, *purpose_js = NULL, *prev;
	char now[32], *s = NULL;
	size_t ncanon;
	int rc, in_txn = 0;

	if (sp_entity_id == NULL || *sp_entity_id == '\0')
		return tl_err_set(err, TL_EINVAL, "the service provider's entityID is empty");
	if (purpose == NULL || !agr_valid_purpose(purpose))
		return tl_err_set(err, TL_EINVAL, "the purpose must be 1-%d bytes without control characters",
		                  AGR_PURPOSE_MAX);
	purpose_js = json_string(purpose);
	if (purpose_js == NULL)
		return tl_err_set(err, TL_EINVAL, "the purpose is not valid UTF-8");
	rc = agr_canonical(names, n, canon, &ncanon, err);
	if (rc != TL_OK)
		goto out;
	util_sha1(sp_entity_id, strlen(sp_entity_id), sha1);
	util_time_iso(util_now(), now, sizeof(now));
	rec = json_pack("{s:s, s:O, s:o, s:s, s:s}", "entity_id", sp_entity_id, "purpose", purpose_js,
	                "attributes", agr_names_json(canon, ncanon), "updated", now, "actor", ctx->actor);
	s = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (s == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		goto out;
	in_txn = 1;
	rc = reg_entity_facts(&txn, sha1, &f);
	if (rc == TL_ENOENT) {
		rc = tl_err_set(err, TL_ENOENT,
		                "unknown entity %s: an agreement is for a member's registered service provider",
		                sp_entity_id);
		goto out;
	}
	if (rc != TL_OK) {
		rc = tl_err_set(err, rc, "cannot read the record of %s", sp_entity_id);
		goto out;
	}
	if (strcmp(f.state, "removed") == 0 || strcmp(f.state, "rejected") == 0) {
		rc = tl_err_set(err, TL_ESTATE, "entity %s is %s: an agreement needs a registered service provider",
		                sp_entity_id, f.state);
		goto out;
	}
	if ((f.roles & MD_ROLE_SP) == 0) {
		rc = tl_err_set(err, TL_EINVAL,
		                "entity %s is not a service provider: its metadata (version %u) has no SPSSODescriptor",
		                sp_entity_id, f.version);
		goto out;
	}
	details = json_pack("{s:O, s:O}", "attributes", json_object_get(rec, "attributes"), "purpose",
	                    purpose_js);
	if (details == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	rc = agr_previous(&txn, sp_entity_id, &prev, err);
	if (rc == TL_OK)
		json_object_set_new(details, "previous", prev);
	else if (rc == TL_ENOENT)
		tl_err_clear(err); /* a first agreement */
	else
		goto out;
	store_put(&txn, STORE_DB_AGREEMENTS, sha1, sizeof(sha1), s, strlen(s));
	reg_history_append(&txn, sha1, ctx->actor, "agreement.set", f.version, NULL, details);
	audit_append(&txn, ctx->actor, "agreement.set", sp_entity_id, details);
	rc = store_commit(&txn, err);
	in_txn = 0;
	if (rc == TL_OK)
		log_entity_info(sp_entity_id, "attribute release agreement set by %s: %zu attributes",
		                ctx->actor, ncanon);
out:
	if (in_txn)
		store_abort(&txn);
	free(s);
	json_decref(details);
	json_decref(rec);
	json_decref(purpose_js);
	return rc;
}

int agr_remove(struct tl_ctx *ctx, const char *sp_entity_id, struct tl_err *err)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct reg_entity_facts f;
	struct store_txn txn;
	json_t *prev, *details = NULL;
	int rc, in_txn = 0;

	util_sha1(sp_entity_id, strlen(sp_entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 0, err);
	if (rc != TL_OK)
		goto out;
	in_txn = 1;
	rc = agr_previous(&txn, sp_entity_id, &prev, err);
	if (rc != TL_OK)
		goto out;
	details = json_pack("{s:o}", "previous", prev);
	if (details == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	store_del(&txn, STORE_DB_AGREEMENTS, sha1, sizeof(sha1));
	/* an entity's record outlives its removal: absent only in a damaged store */
	if (reg_entity_facts(&txn, sha1, &f) == TL_OK)
		reg_history_append(&txn, sha1, ctx->actor, "agreement.remove", f.version, NULL, details);
	audit_append(&txn, ctx->actor, "agreement.remove", sp_entity_id, details);
	rc = store_commit(&txn, err);
	in_txn = 0;
	if (rc == TL_OK)
		log_entity_info(sp_entity_id, "attribute release agreement removed by %s", ctx->actor);
out:
	if (in_txn)
		store_abort(&txn);
	json_decref(details);
	return rc;
}

int agr_show(struct tl_ctx *ctx, const char *sp_entity_id, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct agr a;
	int rc;

	*out = NULL;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	rc = agr_get(&txn, sp_entity_id, &a, err);
	store_abort(&txn);
	if (rc != TL_OK)
		return rc;
	*out = agr_json(&a);
	agr_free(&a);
	return *out ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

static int agr_by_entity(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "entity_id")),
	              json_string_value(json_object_get(*(json_t *const *)b, "entity_id")));
}

int agr_list(struct tl_ctx *ctx, json_t **out, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	json_t **all = NULL, *arr = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	store_iter_begin(&txn, STORE_DB_AGREEMENTS, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &v)) {
		struct agr a = { 0 };
		if (n == cap) {
			json_t **p = realloc(all, (cap = cap ? 2 * cap : 16) * sizeof(*all));
			if (p == NULL) {
				rc = tl_err_set(err, TL_ENOMEM, "out of memory");
				break;
			}
			all = p;
		}
		rc = agr_parse(&v, &a, err);
		if (rc != TL_OK)
			break;
		all[n] = agr_json(&a);
		agr_free(&a);
		if (all[n++] == NULL)
			rc = tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	store_iter_end(&it);
	if (rc == TL_OK && txn.rc != TL_OK)
		rc = tl_err_set(err, txn.rc, "%s", txn.err.msg);
	store_abort(&txn);
	if (rc == TL_OK && (arr = json_array()) == NULL)
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
	if (rc == TL_OK && n > 1)
		qsort(all, n, sizeof(*all), agr_by_entity);
	for (size_t i = 0; i < n; i++) {
		if (rc != TL_OK)
			json_decref(all[i]);
		else if (json_array_append_new(arr, all[i]) != 0) /* stolen even then */
			rc = tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	free(all);
	if (rc != TL_OK) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return TL_OK;
}
