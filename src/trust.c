/* trust.c - evaluation of the registry's entities, stored summaries, certification. */
#include "tillit/trust.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tillit/att.h"
#include "tillit/buf.h"
#include "tillit/log.h"
#include "tillit/mdm.h"
#include "tillit/reg.h"

#define TRUST_THREADS_MAX 64
#define TRUST_BATCH 2048

/* ---- where the frameworks are ------------------------------------------ */

static int trust_is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void trust_frameworks_dir(const struct tl_ctx *ctx, char *out, size_t n)
{
	const char *d = ctx->conf.frameworks_dir;

	if (*d == '/')
		snprintf(out, n, "%s", d);
	else if (*d != '\0')
		snprintf(out, n, "%s/%s", ctx->dir, d);
	else if (trust_is_dir(TL_PKGDATADIR "/trust-frameworks"))
		snprintf(out, n, "%s", TL_PKGDATADIR "/trust-frameworks");
	else
		snprintf(out, n, "%s", TL_SRCDIR "/trust-frameworks");
}

int trust_load(const struct tl_ctx *ctx, struct tf_set **out, struct tl_err *err)
{
	char dir[CTX_PATH_MAX];

	trust_frameworks_dir(ctx, dir, sizeof(dir));
	return tf_load_dir(dir, out, err);
}

/* ---- subjects -------------------------------------------------------- */

/* One thing to evaluate: a member entity's version, or an imported entity. */
struct trust_subj {
	unsigned char sha1[UTIL_SHA1_LEN];
	unsigned version;       /* 0 for an imported entity */
	int imported;
	int approved;           /* this is the approved version of an approved IdP... of any role */
	char *entity_id;
	char *owner;            /* member or source */
	char *state;
	char xml_sha[2 * UTIL_SHA256_LEN + 1];
	unsigned roles;
	/* results */
	char *record;           /* summary record to store (NULL when fresh) */
	char *stored;           /* the summary record in force (fresh, or just computed) */
	char *names;            /* display names to store, when approved IdP */
	void *model;            /* frozen model to store (NULL when it came from the store) */
	size_t model_len;
	json_t *report;         /* full report, when asked */
	int rc;
	struct tl_err err;
};

static const char *trust_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void trust_subj_free(struct trust_subj *s)
{
	free(s->entity_id);
	free(s->owner);
	free(s->state);
	free(s->record);
	free(s->stored);
	free(s->names);
	free(s->model);
	json_decref(s->report);
	memset(s, 0, sizeof(*s));
}

static void trust_report_key(const struct trust_subj *s, unsigned char key[UTIL_SHA1_LEN + 4])
{
	memcpy(key, s->sha1, UTIL_SHA1_LEN);
	store_be32(key + UTIL_SHA1_LEN, s->version);
}

/*
 * A member entity's record (h, whose strings it takes) as a subject: its
 * latest version, or version.  Its version record is read apart
 * (trust_subj_version), by the thread that evaluates it.
 */
static void trust_subj_member(const unsigned char sha1[UTIL_SHA1_LEN], struct reg_head *h, unsigned version,
                              struct trust_subj *s)
{
	memcpy(s->sha1, sha1, UTIL_SHA1_LEN);
	s->version = version ? version : h->latest_version;
	s->approved = s->version == h->approved_version && strcmp(h->state, "approved") == 0;
	s->entity_id = h->entity_id;
	s->owner = h->member;
	s->state = h->state;
	free(h->first_approved);
	memset(h, 0, sizeof(*h));
}

/* A member subject's version record: the digest of its XML and its roles. */
static int trust_subj_version(struct store_txn *txn, struct trust_subj *s, struct tl_err *err)
{
	unsigned char vkey[UTIL_SHA1_LEN + 4];
	struct store_val v;

	memcpy(vkey, s->sha1, UTIL_SHA1_LEN);
	store_be32(vkey + UTIL_SHA1_LEN, s->version);
	if (store_get(txn, STORE_DB_VERSIONS, vkey, sizeof(vkey), &v) != TL_OK)
		return tl_err_set(err, TL_ENOENT, "entity %s has no version %u", s->entity_id, s->version);
	if (reg_version_head_read(&v, s->xml_sha, &s->roles) != TL_OK)
		return tl_err_set(err, TL_ESTORE, "the record of version %u of %s is unreadable", s->version,
		                  s->entity_id);
	return TL_OK;
}

static int trust_subj_imported(const unsigned char sha1[UTIL_SHA1_LEN], json_t *e,
                               struct trust_subj *s, struct tl_err *err)
{
	memcpy(s->sha1, sha1, UTIL_SHA1_LEN);
	s->imported = 1;
	s->entity_id = strdup(trust_str(e, "entity_id"));
	s->owner = strdup(trust_str(e, "source"));
	s->state = strdup("imported");
	snprintf(s->xml_sha, sizeof(s->xml_sha), "%s", trust_str(e, "sha256"));
	s->roles = reg_roles_parse(json_object_get(e, "roles"));
	return s->entity_id && s->owner && s->state ? TL_OK : tl_err_set(err, TL_ENOMEM, "out of memory");
}

static int trust_subject(struct store_txn *txn, const char *entity_id, unsigned version,
                         struct trust_subj *s, struct tl_err *err)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_val v;
	json_t *e;
	int rc;

	util_sha1(entity_id, strlen(entity_id), sha1);
	if (store_get(txn, STORE_DB_ENTITIES, sha1, sizeof(sha1), &v) == TL_OK) {
		struct reg_head h;
		if ((rc = reg_head_read(&v, &h)) != TL_OK)
			return tl_err_set(err, rc == TL_ENOMEM ? TL_ENOMEM : TL_ESTORE, "the record of %s is unreadable",
			                  entity_id);
		trust_subj_member(sha1, &h, version, s);
		return trust_subj_version(txn, s, err);
	}
	if (store_get(txn, STORE_DB_IMPORTED, sha1, sizeof(sha1), &v) == TL_OK) {
		if (version != 0)
			return tl_err_set(err, TL_ENOENT, "%s is imported: it has no versions", entity_id);
		e = json_loadb(v.data, v.len, 0, NULL);
		rc = e ? trust_subj_imported(sha1, e, s, err)
		       : tl_err_set(err, TL_ESTORE, "the record of %s is unreadable", entity_id);
		json_decref(e);
		return rc;
	}
	return tl_err_set(err, TL_ENOENT, "unknown entity %s", entity_id);
}

static int trust_xml(struct store_txn *txn, const struct trust_subj *s, struct store_val *xml)
{
	if (s->imported)
		return store_get(txn, STORE_DB_IMPORTED_XML, s->sha1, UTIL_SHA1_LEN, xml);
	return reg_version_xml_get(txn, s->sha1, s->version, xml);
}

/* ---- fingerprints ---------------------------------------------------- */

static void trust_day(time_t now, char out[16])
{
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* base = SHA-256(xml sha || framework set || attestations); with the day when time dependent. */
static void trust_fingerprint(const struct trust_subj *s, const struct tf_set *set,
                              const unsigned char att[UTIL_SHA256_LEN], int time_dependent,
                              time_t now, char out[2 * UTIL_SHA256_LEN + 1])
{
	unsigned char buf[2 * UTIL_SHA256_LEN + 1 + 2 * UTIL_SHA256_LEN + 16], d[UTIL_SHA256_LEN];
	size_t n = 0;

	memcpy(buf, s->xml_sha, 2 * UTIL_SHA256_LEN);
	n += 2 * UTIL_SHA256_LEN;
	memcpy(buf + n, set->digest, UTIL_SHA256_LEN);
	n += UTIL_SHA256_LEN;
	memcpy(buf + n, att, UTIL_SHA256_LEN);
	n += UTIL_SHA256_LEN;
	if (time_dependent) {
		char day[16];
		trust_day(now, day);
		memcpy(buf + n, day, 10);
		n += 10;
	}
	util_sha256(buf, n, d);
	util_hex(d, sizeof(d), out);
}

/*
 * A summary record, one line each (TAB separates attribute and value):
 *   TLR2 FINGERPRINT TIME_DEPENDENT(0|1) DAY EVALUATED_AT
 *   L LEVELS          one character per level of the set, in set order:
 *                     A achieved, N not achieved, - not applicable
 *   C FRAMEWORK COUNTS  the six outcome counts in enum tf_outcome order
 *   P ATTRIBUTE VALUE   published by certification
 *   S ATTRIBUTE VALUE   stripped: claimed, not certified
 *   B REQUIREMENT       failing error check of the baseline
 * Positions refer to the framework set whose digest is in the fingerprint:
 * a record of another set is stale anyway.  Plain text and no JSON, so
 * that checking freshness and reading certification cost no parse.
 */
#define TRUST_REC_MAGIC "TLR2 "

static int trust_rec_fp(const char *rec, size_t len, char fp[2 * UTIL_SHA256_LEN + 1], int *td)
{
	size_t m = strlen(TRUST_REC_MAGIC);

	if (len < m + 2 * UTIL_SHA256_LEN + 2 || memcmp(rec, TRUST_REC_MAGIC, m) != 0)
		return -1;
	memcpy(fp, rec + m, 2 * UTIL_SHA256_LEN);
	fp[2 * UTIL_SHA256_LEN] = '\0';
	*td = rec[m + 2 * UTIL_SHA256_LEN + 1] == '1';
	return 0;
}

/* The stored summary record of s if its inputs are unchanged (a copy), else NULL. */
static char *trust_fresh(struct store_txn *txn, const struct trust_subj *s,
                         const struct tf_set *set, time_t now)
{
	unsigned char key[UTIL_SHA1_LEN + 4], att[UTIL_SHA256_LEN];
	char fp[2 * UTIL_SHA256_LEN + 1], stored[2 * UTIL_SHA256_LEN + 1];
	struct store_val v;
	int td;

	trust_report_key(s, key);
	if (store_get(txn, STORE_DB_REPORTS, key, sizeof(key), &v) != TL_OK ||
	    trust_rec_fp(v.data, v.len, stored, &td) != 0)
		return NULL;
	att_digest(txn, s->sha1, att);
	trust_fingerprint(s, set, att, td, now, fp);
	if (strcmp(stored, fp) != 0)
		return NULL;
	return strndup(v.data, v.len);
}

/* Call fn for every line of rec that starts with tag (the rest of the line, NUL-ended in a copy). */
static void trust_rec_lines(const char *rec, char tag, void (*fn)(void *ud, char *rest), void *ud)
{
	const char *p = rec;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= 2 && p[0] == tag && p[1] == ' ') {
			char *line = strndup(p + 2, n - 2);
			if (line != NULL)
				fn(ud, line);
			free(line);
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* ---- display names of approved identity providers --------------------- */

/*
 * STORE_DB_NAME_IDX holds "lang TAB name" NUL sha1 for every display name
 * of an approved IdP, so that "is this name taken?" is one prefix lookup,
 * whatever the size of the federation.
 */
#define TRUST_NAME_KEY_MAX (STORE_KEY_MAX - UTIL_SHA1_LEN - 1)


struct trust_names {
	struct store_txn *txn;           /* the evaluating thread's */
	const unsigned char *self;       /* the entity being evaluated */
};

static size_t trust_name_key(const char *lang, const char *name, unsigned char *key)
{
	int n = snprintf((char *)key, TRUST_NAME_KEY_MAX, "%s\t%s", lang ? lang : "", name ? name : "");

	if (n < 0 || n >= TRUST_NAME_KEY_MAX)
		return 0; /* too long to index: never reported as taken */
	key[n] = '\0';
	return (size_t)n + 1;
}

static int trust_name_taken(void *ud, const char *entity_id, const char *lang, const char *name)
{
	struct trust_names *n = ud;
	unsigned char prefix[STORE_KEY_MAX];
	size_t plen = trust_name_key(lang, name, prefix);
	struct store_iter it;
	struct store_val k, v;
	int taken = 0;

	(void)entity_id;
	if (plen == 0)
		return 0;
	store_iter_begin(n->txn, STORE_DB_NAME_IDX, prefix, plen, &it);
	while (!taken && store_iter_next(&it, &k, &v)) {
		const unsigned char *owner = (const unsigned char *)k.data + plen;
		struct store_val ev;
		json_t *e;
		if (k.len != plen + UTIL_SHA1_LEN || memcmp(owner, n->self, UTIL_SHA1_LEN) == 0)
			continue;
		/* only an identity provider that is approved now counts */
		if (store_get(n->txn, STORE_DB_ENTITIES, owner, UTIL_SHA1_LEN, &ev) == TL_OK &&
		    (e = json_loadb(ev.data, ev.len, 0, NULL)) != NULL) {
			taken = strcmp(trust_str(e, "state"), "approved") == 0;
			json_decref(e);
		}
	}
	store_iter_end(&it);
	return taken;
}

/* Replace the display names indexed for sha1 by those in names ("id\nlang\tname\n"...). */
static void trust_names_put(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                            const char *names)
{
	struct store_val old;
	unsigned char key[STORE_KEY_MAX];

	for (int pass = 0; pass < 2; pass++) {
		const char *blob;
		size_t blen;
		char *copy, *line, *save = NULL;
		if (pass == 0) {
			if (store_get(txn, STORE_DB_NAMES, sha1, UTIL_SHA1_LEN, &old) != TL_OK)
				continue;
			blob = old.data;
			blen = old.len;
		} else {
			blob = names;
			blen = strlen(names);
		}
		copy = strndup(blob, blen);
		if (copy == NULL)
			continue;
		line = strtok_r(copy, "\n", &save); /* the entityID */
		for (line = strtok_r(NULL, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t');
			size_t klen;
			if (tab == NULL)
				continue;
			*tab = '\0';
			klen = trust_name_key(line, tab + 1, key);
			if (klen == 0)
				continue;
			memcpy(key + klen, sha1, UTIL_SHA1_LEN);
			if (pass == 0)
				store_del(txn, STORE_DB_NAME_IDX, key, klen + UTIL_SHA1_LEN);
			else
				store_put(txn, STORE_DB_NAME_IDX, key, klen + UTIL_SHA1_LEN, "", 0);
		}
		free(copy);
	}
	store_put(txn, STORE_DB_NAMES, sha1, UTIL_SHA1_LEN, names, strlen(names));
}

/* "ENTITYID\nlang\tname\n..." for an IdP model, or NULL when it has no display name. */
static char *trust_names_of(const struct mdm_entity *m)
{
	const struct mdm_role *idp = mdm_role(m, MDM_ROLE_IDP);
	struct buf b;

	if (idp == NULL)
		return NULL;
	buf_init(&b, 64 * 1024);
	buf_puts(&b, m->entity_id);
	buf_puts(&b, "\n");
	for (const struct mdm_text *t = idp->ui; t != NULL; t = t->next)
		if (strcmp(t->element, "DisplayName") == 0 && t->value != NULL &&
		    strchr(t->value, '\n') == NULL && strchr(t->value, '\t') == NULL)
			buf_printf(&b, "%s\t%s\n", t->lang ? t->lang : "", t->value);
	return buf_steal(&b, NULL);
}

/* ---- evaluating one subject --------------------------------------------- */

struct trust_job {
	struct tl_ctx *ctx;
	const struct tf_set *set;
	struct trust_subj *subj;
	size_t n;
	size_t next;               /* under lock */
	pthread_mutex_t lock;
	int force, full;
	int no_summaries;          /* the caller wants counts only: keep no copies of records */
	time_t now;
};

/* " N" for a count (a record has about fifty: no printf for each). */
static void trust_put_count(struct buf *b, int v)
{
	char t[16];
	size_t n = 0;
	unsigned u = v > 0 ? (unsigned)v : 0;

	do
		t[sizeof(t) - 1 - n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	t[sizeof(t) - 1 - n++] = ' ';
	buf_append(b, t + sizeof(t) - n, n);
}

static char *trust_record(const struct tf_set *set, const struct tf_report *r, const char *fp,
                          const char *day)
{
	struct buf b;
	char when[32];

	util_time_iso(r->evaluated, when, sizeof(when));
	buf_init(&b, 1 << 20);
	buf_printf(&b, TRUST_REC_MAGIC "%s %d %s %s\nL ", fp, r->time_dependent, day, when);
	for (size_t i = 0; i < r->nlevels; i++) {
		const struct tf_level_result *l = &r->levels[i];
		buf_append(&b, !l->applicable ? "-" : l->achieved ? "A" : "N", 1);
	}
	buf_puts(&b, "\n");
	for (size_t f = 0; f < set->n; f++) {
		int counts[TF__OUTCOMES] = { 0 };
		for (size_t i = 0; i < r->nresults; i++)
			if (r->results[i].req->fw == &set->fws[f])
				counts[r->results[i].outcome]++;
		buf_puts(&b, "C ");
		buf_puts(&b, set->fws[f].id);
		for (int k = 0; k < TF__OUTCOMES; k++)
			trust_put_count(&b, counts[k]);
		buf_puts(&b, "\n");
	}
	for (size_t i = 0; i < r->nclaims; i++)
		if (strchr(r->claims[i].attribute, '\n') == NULL && strchr(r->claims[i].value, '\n') == NULL) {
			buf_puts(&b, r->claims[i].publish ? "P " : "S ");
			buf_puts(&b, r->claims[i].attribute);
			buf_puts(&b, "\t");
			buf_puts(&b, r->claims[i].value);
			buf_puts(&b, "\n");
		}
	for (size_t i = 0; i < r->nresults; i++)
		if (r->results[i].outcome == TF_FAIL && r->results[i].req->fw->baseline) {
			buf_puts(&b, "B ");
			buf_puts(&b, r->results[i].req->id);
			buf_puts(&b, "\n");
		}
	return buf_steal(&b, NULL);
}

/* ---- summaries as JSON (for output only) ------------------------------- */

struct trust_jctx {
	json_t *counts, *pub, *strip, *base;
};

static void trust_j_count(void *ud, char *rest)
{
	struct trust_jctx *j = ud;
	char *save = NULL, *fw = strtok_r(rest, " ", &save);
	json_t *c = json_object();

	for (int k = 0; k < TF__OUTCOMES; k++) {
		char *n = strtok_r(NULL, " ", &save);
		json_object_set_new(c, tf_outcome_name((enum tf_outcome)k), json_integer(n ? strtol(n, NULL, 10) : 0));
	}
	if (fw != NULL)
		json_object_set_new(j->counts, fw, c);
	else
		json_decref(c);
}

static void trust_j_pair(json_t *arr, char *rest)
{
	char *tab = strchr(rest, '\t');

	if (tab != NULL) {
		*tab = '\0';
		json_array_append_new(arr, json_pack("[s, s]", rest, tab + 1));
	}
}

static void trust_j_pub(void *ud, char *rest)
{
	trust_j_pair(((struct trust_jctx *)ud)->pub, rest);
}

static void trust_j_strip(void *ud, char *rest)
{
	trust_j_pair(((struct trust_jctx *)ud)->strip, rest);
}

static void trust_j_base(void *ud, char *rest)
{
	json_array_append_new(((struct trust_jctx *)ud)->base, json_string(rest));
}

static json_t *trust_summary_json(const struct tf_set *set, const struct trust_subj *s)
{
	struct trust_jctx j = { json_object(), json_array(), json_array(), json_array() };
	json_t *levels = json_object(), *roles = json_array(), *o;
	const char *rec = s->stored ? s->stored : "", *l = strstr(rec, "\nL ");
	char fp[2 * UTIL_SHA256_LEN + 1];
	int td = 0;
	size_t k = 0;

	trust_rec_fp(rec, strlen(rec), fp, &td);
	if (l != NULL) {
		l += 3;
		for (size_t f = 0; f < set->n; f++)
			for (size_t i = 0; i < set->fws[f].nlevels; i++) {
				const struct tf_level *lv = &set->fws[f].levels[i];
				char ref[2 * TF_ID_MAX + 2], c = l[lv->idx];
				snprintf(ref, sizeof(ref), "%s/%s", set->fws[f].id, lv->id);
				json_object_set_new(levels, ref, json_string(c == 'A' ? "achieved" : c == 'N' ? "not-achieved"
				                                                     : "not-applicable"));
				k++;
			}
	}
	trust_rec_lines(rec, 'C', trust_j_count, &j);
	trust_rec_lines(rec, 'P', trust_j_pub, &j);
	trust_rec_lines(rec, 'S', trust_j_strip, &j);
	trust_rec_lines(rec, 'B', trust_j_base, &j);
	if (s->roles & MD_ROLE_IDP)
		json_array_append_new(roles, json_string("idp"));
	if (s->roles & MD_ROLE_SP)
		json_array_append_new(roles, json_string("sp"));
	if (s->roles & MD_ROLE_AA)
		json_array_append_new(roles, json_string("aa"));
	o = json_pack("{s:s, s:s, s:I, s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "entity_id", s->entity_id,
	              s->imported ? "source" : "member", s->owner, "version", (json_int_t)s->version,
	              "state", s->state, "roles", roles, "time_dependent", td, "levels", levels, "counts",
	              j.counts, "publish", j.pub, "strip", j.strip, "baseline_failures", j.base);
	(void)k;
	return o;
}

/* ---- cached models ------------------------------------------------------ */

/* The frozen model of s's XML from the store, or NULL when absent or of other XML. */
static struct mdm_entity *trust_model_get(struct store_txn *txn, const struct trust_subj *s)
{
	unsigned char key[UTIL_SHA1_LEN + 4], want[UTIL_SHA256_LEN];
	struct store_val v;
	struct mdm_entity *m = NULL;
	struct tl_err err;

	trust_report_key(s, key);
	if (store_get(txn, STORE_DB_MODELS, key, sizeof(key), &v) != TL_OK || v.len < UTIL_SHA256_LEN ||
	    util_unhex(s->xml_sha, want, UTIL_SHA256_LEN) != 0 ||
	    memcmp(v.data, want, UTIL_SHA256_LEN) != 0)
		return NULL;
	if (mdm_thaw((const unsigned char *)v.data + UTIL_SHA256_LEN, v.len - UTIL_SHA256_LEN, &m, &err) != TL_OK)
		return NULL;
	return m;
}

static void trust_eval_subj(struct trust_job *job, struct store_txn *txn, struct trust_subj *s)
{
	struct tf_context c;
	struct store_val xml;
	struct mdm_entity *m = NULL;
	struct tf_attestation *att = NULL;
	struct tf_report *r = NULL;
	unsigned char ad[UTIL_SHA256_LEN];
	char fp[2 * UTIL_SHA256_LEN + 1], day[16];
	struct md_limits lim = { (size_t)job->ctx->conf.max_metadata_size * 2,
		                 (int)job->ctx->conf.max_xml_depth, 0 };
	struct trust_names names = { txn, s->sha1 };
	size_t natt = 0;

	if (!s->imported && s->xml_sha[0] == '\0' && (s->rc = trust_subj_version(txn, s, &s->err)) != TL_OK) {
		log_entity_warn(s->entity_id, "not evaluated: %s", s->err.msg);
		return;
	}
	if (!job->force && !job->full && (s->stored = trust_fresh(txn, s, job->set, job->now)) != NULL) {
		if (job->no_summaries) { /* a pass over 10,000 entities would hold 10,000 copies */
			free(s->stored);
			s->stored = NULL;
		}
		return;
	}
	m = trust_model_get(txn, s);
	if (m == NULL) {
		if (trust_xml(txn, s, &xml) != TL_OK) {
			s->rc = tl_err_set(&s->err, TL_ENOENT, "the XML of %s version %u is missing", s->entity_id,
			                   s->version);
			return;
		}
		s->rc = mdm_parse(xml.data, xml.len, &lim, &m, &s->err);
		if (s->rc == TL_OK && mdm_freeze(m, &s->model, &s->model_len, &s->err) != TL_OK)
			s->model = NULL; /* not cached: evaluated all the same */
	}
	if (s->rc == TL_OK)
		s->rc = att_load(txn, s->sha1, &att, &natt, &s->err);
	if (s->rc != TL_OK)
		goto out;
	memset(&c, 0, sizeof(c));
	c.now = job->now;
	c.imported = s->imported;
	c.registration_authority = *job->ctx->conf.registration_authority
	                               ? job->ctx->conf.registration_authority
	                               : job->ctx->conf.base_url;
	c.display_name_taken = trust_name_taken;
	c.ud = &names;
	c.quiet = !job->full; /* a summary needs outcomes, not sentences */
	s->rc = tf_evaluate(job->set, m, att, natt, &c, &r, &s->err);
	if (s->rc != TL_OK)
		goto out;
	att_digest(txn, s->sha1, ad);
	trust_fingerprint(s, job->set, ad, r->time_dependent, job->now, fp);
	trust_day(job->now, day);
	s->record = trust_record(job->set, r, fp, day);
	s->stored = s->record && !job->no_summaries ? strdup(s->record) : NULL;
	if (s->record == NULL || (s->stored == NULL && !job->no_summaries))
		s->rc = tl_err_set(&s->err, TL_ENOMEM, "out of memory");
	if (job->full)
		s->report = tf_report_json(r, m);
	if (s->approved && !s->imported)
		s->names = trust_names_of(m);
out:
	if (s->rc != TL_OK)
		log_entity_warn(s->entity_id, "not evaluated: %s", s->err.msg);
	tf_report_free(r);
	free(att);
	mdm_free(m);
}

static void *trust_worker(void *arg)
{
	struct trust_job *job = arg;
	struct store_txn txn;
	struct tl_err err;

	if (store_txn_begin(job->ctx->store, &txn, 1, &err) != TL_OK) {
		log_warn("evaluation: %s", err.msg);
		return NULL;
	}
	for (;;) {
		size_t i;
		pthread_mutex_lock(&job->lock);
		i = job->next++;
		pthread_mutex_unlock(&job->lock);
		if (i >= job->n)
			break;
		trust_eval_subj(job, &txn, &job->subj[i]);
		/* a pass over the whole registry must not make the process's resident set the store's size */
		store_drop_pages_every(job->ctx->store, i + 1);
	}
	store_abort(&txn);
	return NULL;
}

static unsigned trust_nthreads(unsigned want)
{
	long n = want ? (long)want : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > TRUST_THREADS_MAX ? TRUST_THREADS_MAX : (unsigned)n;
}

static void trust_run(struct trust_job *job, unsigned threads)
{
	pthread_t tids[TRUST_THREADS_MAX];
	unsigned started = 0;

	for (unsigned t = 1; t < threads && t < job->n; t++)
		if (pthread_create(&tids[started], NULL, trust_worker, job) == 0)
			started++;
	trust_worker(job);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

/* Store the summaries (and display names) computed in job, in batches. */
static int trust_store(struct trust_job *job, struct tl_err *err)
{
	for (size_t off = 0; off < job->n; off += TRUST_BATCH) {
		struct store_txn txn;
		size_t end = off + TRUST_BATCH < job->n ? off + TRUST_BATCH : job->n;
		int rc = store_txn_begin(job->ctx->store, &txn, 0, err), any = 0;
		if (rc != TL_OK)
			return rc;
		for (size_t i = off; i < end; i++) {
			struct trust_subj *s = &job->subj[i];
			unsigned char key[UTIL_SHA1_LEN + 4];
			trust_report_key(s, key);
			if (s->model != NULL) {
				unsigned char *v = malloc(UTIL_SHA256_LEN + s->model_len);
				if (v != NULL && util_unhex(s->xml_sha, v, UTIL_SHA256_LEN) == 0) {
					memcpy(v + UTIL_SHA256_LEN, s->model, s->model_len);
					store_put(&txn, STORE_DB_MODELS, key, sizeof(key), v, UTIL_SHA256_LEN + s->model_len);
					any = 1;
				}
				free(v);
			}
			if (s->record == NULL)
				continue;
			store_put(&txn, STORE_DB_REPORTS, key, sizeof(key), s->record, strlen(s->record));
			if (s->names != NULL)
				trust_names_put(&txn, s->sha1, s->names);
			any = 1;
		}
		if (!any) {
			store_abort(&txn);
			continue;
		}
		rc = store_commit(&txn, err);
		if (rc != TL_OK)
			return rc;
	}
	return TL_OK;
}

static double trust_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Set up job over subj[0..n). */
static void trust_job_init(struct trust_job *job, struct tl_ctx *ctx, const struct tf_set *set,
                           struct trust_subj *subj, size_t n)
{
	memset(job, 0, sizeof(*job));
	job->ctx = ctx;
	job->set = set;
	job->subj = subj;
	job->n = n;
	job->now = util_now();
	pthread_mutex_init(&job->lock, NULL);
}

int trust_report(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                 unsigned version, json_t **out, struct tl_err *err)
{
	struct trust_subj subj;
	struct trust_job job;
	struct store_txn txn;
	json_t *rep;
	int rc;

	*out = NULL;
	memset(&subj, 0, sizeof(subj));
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	rc = trust_subject(&txn, entity_id, version, &subj, err);
	store_abort(&txn);
	if (rc != TL_OK)
		goto out;
	trust_job_init(&job, ctx, s, &subj, 1);
	job.full = 1;
	trust_run(&job, 1);
	pthread_mutex_destroy(&job.lock);
	if (subj.rc != TL_OK) {
		rc = subj.rc;
		*err = subj.err;
		goto out;
	}
	rc = trust_store(&job, err);
	if (rc != TL_OK)
		goto out;
	rep = subj.report;
	subj.report = NULL;
	json_object_set_new(rep, subj.imported ? "source" : "member", json_string(subj.owner));
	json_object_set_new(rep, "version", json_integer(subj.version));
	json_object_set_new(rep, "state", json_string(subj.state));
	{
		json_t *sum = trust_summary_json(s, &subj);
		json_object_set(rep, "baseline_failures", json_object_get(sum, "baseline_failures"));
		json_decref(sum);
	}
	*out = rep;
out:
	trust_subj_free(&subj);
	return rc;
}

int trust_baseline_failures(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                            unsigned version, json_t **failures, struct tl_err *err)
{
	json_t *rep = NULL, *res, *arr;
	size_t i;
	int rc;

	*failures = NULL;
	rc = trust_report(ctx, s, entity_id, version, &rep, err);
	if (rc != TL_OK)
		return rc;
	arr = json_array();
	json_array_foreach(json_object_get(rep, "results"), i, res) {
		const struct tf_framework *fw = tf_find_framework(s, trust_str(res, "framework"));
		if (fw != NULL && fw->baseline && strcmp(trust_str(res, "outcome"), "fail") == 0)
			json_array_append(arr, res);
	}
	json_decref(rep);
	*failures = arr;
	return TL_OK;
}

int trust_approve(struct tl_ctx *ctx, const struct tf_set *s, const char *entity_id,
                  const char *override_reason, json_t **out, json_t **failures,
                  struct tl_err *err)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_txn txn;
	struct store_val v;
	json_t *e, *fails = NULL, *override = NULL;
	unsigned pending = 0;
	int rc;

	*out = NULL;
	*failures = NULL;
	util_sha1(entity_id, strlen(entity_id), sha1);
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	if (store_get(&txn, STORE_DB_ENTITIES, sha1, sizeof(sha1), &v) == TL_OK &&
	    (e = json_loadb(v.data, v.len, 0, NULL)) != NULL) {
		pending = (unsigned)json_integer_value(json_object_get(e, "pending_version"));
		json_decref(e);
	}
	store_abort(&txn);
	if (pending != 0) {
		rc = trust_baseline_failures(ctx, s, entity_id, pending, &fails, err);
		if (rc != TL_OK)
			return rc;
	}
	if (json_array_size(fails) > 0) {
		json_t *ids, *f;
		size_t i;
		if (override_reason == NULL || *override_reason == '\0') {
			const struct tf_framework *b = tf_baseline(s);
			*failures = fails;
			return tl_err_set(err, TL_ERULE, "%s fails %zu requirement%s of the baseline %s: not approved",
			                  entity_id, json_array_size(fails), json_array_size(fails) == 1 ? "" : "s",
			                  b ? b->id : "");
		}
		ids = json_array();
		json_array_foreach(fails, i, f)
			json_array_append_new(ids, json_pack("{s:s, s:s}", "requirement", trust_str(f, "requirement"),
			                                     "message", trust_str(f, "message")));
		override = json_pack("{s:b, s:s, s:o}", "override", 1, "reason", override_reason,
		                     "failing", ids);
	} else if (override_reason != NULL && *override_reason != '\0') {
		override = json_pack("{s:b, s:s, s:[]}", "override", 1, "reason", override_reason, "failing");
	}
	json_decref(fails);
	rc = reg_entity_decide(ctx, entity_id, REG_APPROVE, override_reason, override, out, err);
	json_decref(override);
	return rc;
}

static int trust_subj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trust_subj *)a)->entity_id, ((const struct trust_subj *)b)->entity_id);
}

/* Every member entity's latest (or approved) version, or every imported entity of source. */
static int trust_collect(struct tl_ctx *ctx, const char *source, int approved,
                         struct trust_subj **out, size_t *n, struct tl_err *err)
{
	struct store_txn txn;
	struct store_iter it;
	struct store_val k, v;
	struct trust_subj *arr = NULL;
	size_t cnt = 0, cap = 0, seen = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK)
		return rc;
	store_iter_begin(&txn, source ? STORE_DB_IMPORTED : STORE_DB_ENTITIES, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &v)) {
		struct reg_head h;
		struct tl_err serr;
		json_t *e = NULL;

		/* each page fault maps the file's pages around it (64 KB): without drops the
		 * walk over the records maps most of the file */
		store_drop_pages_every(ctx->store, ++seen);

		if (k.len != UTIL_SHA1_LEN)
			continue;
		if (source != NULL) {
			e = json_loadb(v.data, v.len, 0, NULL);
			if (e == NULL || strcmp(trust_str(e, "source"), source) != 0) {
				json_decref(e);
				continue;
			}
		} else {
			if (reg_head_read(&v, &h) != TL_OK)
				continue;
			if (strcmp(h.state, "removed") == 0 ||
			    (approved && (h.approved_version == 0 || strcmp(h.state, "approved") != 0))) {
				reg_head_free(&h);
				continue;
			}
		}
		if (cnt == cap) {
			struct trust_subj *na = realloc(arr, (cap = cap ? cap * 2 : 256) * sizeof(*na));
			if (na == NULL) {
				json_decref(e);
				if (source == NULL)
					reg_head_free(&h);
				rc = tl_err_set(err, TL_ENOMEM, "out of memory");
				break;
			}
			arr = na;
		}
		memset(&arr[cnt], 0, sizeof(arr[cnt]));
		if (source == NULL) {
			trust_subj_member(k.data, &h, approved ? h.approved_version : 0, &arr[cnt]);
			cnt++;
		} else if (trust_subj_imported(k.data, e, &arr[cnt], &serr) == TL_OK) {
			cnt++;
		} else {
			trust_subj_free(&arr[cnt]);
		}
		json_decref(e);
	}
	store_iter_end(&it);
	store_abort(&txn);
	if (rc != TL_OK) {
		for (size_t i = 0; i < cnt; i++)
			trust_subj_free(&arr[i]);
		free(arr);
		return rc;
	}
	if (cnt > 1)
		qsort(arr, cnt, sizeof(*arr), trust_subj_cmp);
	*out = arr;
	*n = cnt;
	return TL_OK;
}

int trust_evaluate_all(struct tl_ctx *ctx, const struct tf_set *s, const struct trust_opts *opts,
                       json_t **out, struct trust_stats *st, struct tl_err *err)
{
	struct trust_subj *subj = NULL;
	struct trust_job job;
	size_t n = 0;
	double t0 = trust_clock();
	json_t *arr;
	int rc;

	if (out != NULL)
		*out = NULL;
	memset(st, 0, sizeof(*st));
	rc = trust_collect(ctx, opts->source, opts->approved, &subj, &n, err);
	if (rc != TL_OK)
		return rc;
	trust_job_init(&job, ctx, s, subj, n);
	job.force = opts->force;
	job.full = opts->full;
	job.no_summaries = out == NULL;
	trust_run(&job, trust_nthreads(opts->threads));
	pthread_mutex_destroy(&job.lock);
	rc = trust_store(&job, err);
	if (rc != TL_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		st->entities++;
		st->unreadable += subj[i].rc != TL_OK;
		st->evaluated += subj[i].rc == TL_OK && subj[i].record != NULL;
	}
	st->seconds = trust_clock() - t0;
	if (out == NULL)
		goto out;
	/* what follows is output, not evaluation */
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct trust_subj *x = &subj[i];
		json_t *o;
		if (x->rc != TL_OK)
			continue;
		o = trust_summary_json(s, x);
		json_object_set_new(o, "fresh", json_boolean(x->record == NULL));
		if (x->report != NULL)
			json_object_set(o, "report", x->report);
		json_array_append_new(arr, o);
	}
	*out = arr;
out:
	for (size_t i = 0; i < n; i++)
		trust_subj_free(&subj[i]);
	free(subj);
	return rc;
}

int trust_refresh(struct tl_ctx *ctx, const struct tf_set *s, const struct trust_ref *refs,
                  size_t n, struct tl_err *err)
{
	struct trust_subj *subj = calloc(n ? n : 1, sizeof(*subj));
	struct trust_job job;
	struct store_txn txn;
	size_t cnt = 0;
	int rc;

	if (subj == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	rc = store_txn_begin(ctx->store, &txn, 1, err);
	if (rc != TL_OK) {
		free(subj);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_val v;
		struct reg_head h;
		if (store_get(&txn, STORE_DB_ENTITIES, refs[i].sha1, UTIL_SHA1_LEN, &v) != TL_OK ||
		    reg_head_read(&v, &h) != TL_OK)
			continue;
		trust_subj_member(refs[i].sha1, &h, refs[i].version, &subj[cnt++]);
		store_drop_pages_every(ctx->store, i + 1); /* as trust_worker does */
	}
	store_abort(&txn);
	trust_job_init(&job, ctx, s, subj, cnt);
	job.no_summaries = 1;
	trust_run(&job, trust_nthreads(0));
	pthread_mutex_destroy(&job.lock);
	rc = trust_store(&job, err);
	for (size_t i = 0; i < cnt; i++)
		trust_subj_free(&subj[i]);
	free(subj);
	return rc;
}

/* ---- certification for publication -------------------------------------- */

struct trust_cctx {
	struct buf pairs[2];   /* "attr\0value\0" of publish, strip */
	size_t n[2];
};

static void trust_c_pair(struct trust_cctx *c, int which, char *rest)
{
	char *tab = strchr(rest, '\t');

	if (tab == NULL)
		return;
	*tab = '\0';
	buf_append(&c->pairs[which], rest, strlen(rest) + 1);
	buf_append(&c->pairs[which], tab + 1, strlen(tab + 1) + 1);
	c->n[which]++;
}

static void trust_c_pub(void *ud, char *rest)
{
	trust_c_pair(ud, 0, rest);
}

static void trust_c_strip(void *ud, char *rest)
{
	trust_c_pair(ud, 1, rest);
}

static int trust_cert_from(const char *rec, struct trust_cert *c, struct tl_err *err)
{
	struct trust_cctx cc;
	const char **ptrs;
	char *pool;
	size_t np, ns;

	memset(c, 0, sizeof(*c));
	buf_init(&cc.pairs[0], 1 << 20);
	buf_init(&cc.pairs[1], 1 << 20);
	cc.n[0] = cc.n[1] = 0;
	trust_rec_lines(rec, 'P', trust_c_pub, &cc);
	trust_rec_lines(rec, 'S', trust_c_strip, &cc);
	np = cc.n[0];
	ns = cc.n[1];
	c->mem = malloc((2 * np + 2 * ns + 2) * sizeof(char *) + cc.pairs[0].len + cc.pairs[1].len);
	if (c->mem == NULL) {
		buf_free(&cc.pairs[0]);
		buf_free(&cc.pairs[1]);
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	ptrs = c->mem;
	pool = (char *)(ptrs + 2 * np + 2 * ns + 2);
	for (int which = 0; which < 2; which++) {
		const char *p = cc.pairs[which].data;
		if (which == 0)
			c->publish = ptrs;
		else
			c->strip = ptrs;
		if (cc.pairs[which].len > 0)
			memcpy(pool, p, cc.pairs[which].len);
		for (size_t i = 0; i < 2 * cc.n[which]; i++) {
			*ptrs++ = pool;
			pool += strlen(pool) + 1;
		}
		*ptrs++ = NULL;
	}
	/* the digest covers both lists in order, so publication re-signs when either changes */
	{
		struct buf d;
		buf_init(&d, 2 << 20);
		buf_append(&d, cc.pairs[0].data ? cc.pairs[0].data : "", cc.pairs[0].len);
		buf_append(&d, "\n--\n", 4);
		buf_append(&d, cc.pairs[1].data ? cc.pairs[1].data : "", cc.pairs[1].len);
		util_sha256(d.data ? d.data : "", d.len, c->digest);
		buf_free(&d);
	}
	buf_free(&cc.pairs[0]);
	buf_free(&cc.pairs[1]);
	return TL_OK;
}

int trust_cert_get(struct store_txn *txn, const unsigned char sha1[UTIL_SHA1_LEN],
                   unsigned version, struct trust_cert *out, struct tl_err *err)
{
	unsigned char key[UTIL_SHA1_LEN + 4];
	struct store_val v;
	char *rec;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(key, sha1, UTIL_SHA1_LEN);
	store_be32(key + UTIL_SHA1_LEN, version);
	if (store_get(txn, STORE_DB_REPORTS, key, sizeof(key), &v) != TL_OK)
		return tl_err_set(err, TL_ENOENT, "no evaluation of version %u", version);
	rec = strndup(v.data, v.len);
	if (rec == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	rc = trust_cert_from(rec, out, err);
	free(rec);
	return rc;
}
