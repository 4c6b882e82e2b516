/*
 * imp.c - import of another federation's signed aggregate.
 *
 * The reader (sigv.c, on the calling thread) streams the file, digests it
 * and hands over each EntityDescriptor; here it is copied into a document
 * of its own and queued for a pool of validator threads (schema, rules,
 * serialisation), whose results come back to the calling thread in the
 * order the entities appeared and are staged in its one write
 * transaction.  At most IMP_QUEUE entities are in flight, so memory stays
 * flat whatever the size of the aggregate.
 */
#include "tillit/imp.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tillit/audit.h"
#include "tillit/log.h"
#include "tillit/sigv.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define IMP_REPORT_MAX_REJECTED 1000
/* Entities in flight between the reader and the validators. */
#define IMP_QUEUE 64
#define IMP_MAX_THREADS 64

/* One entity on its way through the validators. */
struct imp_job {
	char *entity_id;
	unsigned char sha1[UTIL_SHA1_LEN];
	int line;
	int done;            /* set by the validator, under the pool's lock */
	int rc;              /* TL_OK: valid; TL_ENOMEM: fatal; else rejected with reason */
	char reason[TL_ERR_MSG_MAX];
	char *xml;           /* the entity serialised by the reader, parsed again by a validator */
	size_t len;
	unsigned roles;
};

struct imp_pool {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job was queued, or the pool is closing */
	pthread_cond_t done; /* a job was finished */
	struct imp_job ring[IMP_QUEUE];
	size_t head;         /* oldest job not yet stored (caller's thread only) */
	size_t next;         /* next job for a validator (under mu) */
	size_t tail;         /* next free slot (written by the caller under mu) */
	int closing;
	pthread_t threads[IMP_MAX_THREADS];
	unsigned nthreads;
	const struct md_schema *schema;
	struct md_limits lim;
};

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
	struct imp_pool *pool;
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

/* Parse and validate one entity (a validator thread, or inline). */
static void imp_validate(struct imp_pool *pool, struct imp_job *job)
{
	struct tl_err verr = { 0 };
	xmlDocPtr doc = NULL;
	int rc;

	struct md_limits lim = pool->lim;

	/* line 1 is the XML declaration the serialiser added: the start tag
	 * is on the line the reader found it, and so is what follows as long
	 * as no start tag of the entity spans several lines */
	lim.first_line = job->line - 1;
	rc = md_parse(job->xml, job->len, &lim, &doc, &verr);
	if (rc == TL_OK)
		rc = md_validate_entity(pool->schema, xmlDocGetRootElement(doc), &verr);
	if (rc == TL_OK)
		job->roles = md_roles(xmlDocGetRootElement(doc));
	job->rc = rc;
	if (rc != TL_OK)
		snprintf(job->reason, sizeof(job->reason), "%s", verr.msg);
	xmlFreeDoc(doc);
}

static void *imp_worker(void *arg)
{
	struct imp_pool *pool = arg;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		struct imp_job *job;
		while (pool->next == pool->tail && !pool->closing)
			pthread_cond_wait(&pool->work, &pool->mu);
		if (pool->next == pool->tail)
			break;
		job = &pool->ring[pool->next++ % IMP_QUEUE];
		pthread_mutex_unlock(&pool->mu);
		imp_validate(pool, job);
		pthread_mutex_lock(&pool->mu);
		job->done = 1;
		pthread_cond_broadcast(&pool->done);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

static unsigned imp_threads(const struct tl_ctx *ctx)
{
	long n = ctx->conf.import_threads;

	/* by default the reader keeps one core and the validators share the rest */
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (n < 1)
		n = 1;
	return n > IMP_MAX_THREADS ? IMP_MAX_THREADS : (unsigned)n;
}

/* Start the validators; with none the caller validates inline. */
static int imp_pool_start(struct imp_pool *pool, unsigned n, const struct md_schema *schema,
                          const struct md_limits *lim)
{
	memset(pool, 0, sizeof(*pool));
	pool->schema = schema;
	pool->lim = *lim;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->done, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&pool->threads[i], NULL, imp_worker, pool) != 0)
			break;
		pool->nthreads++;
	}
	return TL_OK;
}

static void imp_job_clear(struct imp_job *job)
{
	free(job->entity_id);
	free(job->xml);
	memset(job, 0, sizeof(*job));
}

/* Stop the validators and free what is left in the ring. */
static void imp_pool_stop(struct imp_pool *pool)
{
	pthread_mutex_lock(&pool->mu);
	pool->closing = 1;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->mu);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	for (size_t i = pool->head; i != pool->tail; i++)
		imp_job_clear(&pool->ring[i % IMP_QUEUE]);
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->mu);
}

/* Stage a validated entity (or record its rejection) in the transaction. */
static int imp_store(struct imp_state *st, struct imp_job *job, struct tl_err *err)
{
	struct store_val v;
	unsigned char digest[UTIL_SHA256_LEN];
	char hex[2 * UTIL_SHA256_LEN + 1];
	json_t *old = NULL, *rec = NULL;
	int unchanged = 0;

	if (job->rc == TL_ENOMEM)
		return tl_err_set(err, TL_ENOMEM, "out of memory validating %s", job->entity_id);
	if (job->rc != TL_OK) {
		imp_reject(st, job->entity_id, job->line, job->reason);
		return TL_OK;
	}
	util_sha256(job->xml, job->len, digest);
	util_hex(digest, sizeof(digest), hex);
	if (store_get(st->txn, STORE_DB_IMPORTED, job->sha1, UTIL_SHA1_LEN, &v) == TL_OK)
		old = json_loadb(v.data, v.len, 0, NULL);
	if (old != NULL) {
		const char *src = json_string_value(json_object_get(old, "source"));
		const char *osum = json_string_value(json_object_get(old, "sha256"));
		if (src != NULL && strcmp(src, st->opts->source) != 0) {
			char why[256];
			snprintf(why, sizeof(why), "entityID already imported from source '%s'", src);
			imp_reject(st, job->entity_id, job->line, why);
			goto out;
		}
		unchanged = osum != NULL && strcmp(osum, hex) == 0;
	}
	if (unchanged) {
		st->unchanged++;
		rec = json_incref(old);
		json_object_set_new(rec, "imported_at", json_string(st->now));
	} else {
		json_t *ra = json_array();
		if (job->roles & MD_ROLE_IDP)
			json_array_append_new(ra, json_string("idp"));
		if (job->roles & MD_ROLE_SP)
			json_array_append_new(ra, json_string("sp"));
		if (job->roles & MD_ROLE_AA)
			json_array_append_new(ra, json_string("aa"));
		rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "entity_id", job->entity_id, "source",
		                st->opts->source, "state", "imported", "sha256", hex, "imported_at",
		                st->now, "roles", ra);
		if (rec == NULL) {
			imp_reject(st, job->entity_id, job->line, "entityID is not valid UTF-8");
			goto out;
		}
		store_put(st->txn, STORE_DB_IMPORTED_XML, job->sha1, UTIL_SHA1_LEN, job->xml, job->len);
		st->accepted++;
	}
	{
		char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
		if (s == NULL) {
			json_decref(rec);
			json_decref(old);
			return tl_err_set(err, TL_ENOMEM, "out of memory importing");
		}
		store_put(st->txn, STORE_DB_IMPORTED, job->sha1, UTIL_SHA1_LEN, s, strlen(s));
		free(s);
	}
out:
	json_decref(rec);
	json_decref(old);
	if (st->txn->rc != TL_OK) {
		*err = st->txn->err;
		return st->txn->rc;
	}
	return TL_OK;
}

/*
 * Store finished jobs from the head of the ring, in order.  wait_for:
 * 0 = only those already done, 1 = until a slot is free, 2 = all.
 */
static int imp_drain(struct imp_state *st, int wait_for, struct tl_err *err)
{
	struct imp_pool *pool = st->pool;

	for (;;) {
		struct imp_job *job;
		int rc, done;
		pthread_mutex_lock(&pool->mu);
		if (pool->head == pool->tail) {
			pthread_mutex_unlock(&pool->mu);
			return TL_OK;
		}
		job = &pool->ring[pool->head % IMP_QUEUE];
		while (!job->done &&
		       (wait_for == 2 || (wait_for == 1 && pool->tail - pool->head == IMP_QUEUE)))
			pthread_cond_wait(&pool->done, &pool->mu);
		done = job->done;
		pthread_mutex_unlock(&pool->mu);
		if (!done)
			return TL_OK;
		rc = imp_store(st, job, err);
		imp_job_clear(job);
		pool->head++;
		if (rc != TL_OK)
			return rc;
	}
}

static int imp_entity(void *ud, xmlNodePtr e, int line, struct tl_err *err)
{
	struct imp_state *st = ud;
	struct imp_pool *pool = st->pool;
	struct imp_job *job;
	unsigned char sha1[UTIL_SHA1_LEN];
	const char *entity_id = md_entity_id(e);
	char *id = NULL, *xml = NULL;
	size_t len = 0;
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
	rc = md_serialize_entity(e, &xml, &len, err);
	if (rc != TL_OK)
		return rc;
	if (len > pool->lim.max_bytes) {
		free(xml);
		imp_reject(st, entity_id, line, "entity larger than max_metadata_size");
		return TL_OK;
	}
	id = strdup(entity_id);
	if (id == NULL) {
		free(xml);
		return tl_err_set(err, TL_ENOMEM, "out of memory importing");
	}
	rc = imp_drain(st, 1, err);
	if (rc != TL_OK) {
		free(xml);
		free(id);
		return rc;
	}
	pthread_mutex_lock(&pool->mu);
	job = &pool->ring[pool->tail % IMP_QUEUE];
	memset(job, 0, sizeof(*job));
	job->xml = xml;
	job->len = len;
	job->entity_id = id;
	memcpy(job->sha1, sha1, UTIL_SHA1_LEN);
	job->line = line;
	pool->tail++;
	if (pool->nthreads > 0)
		pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->mu);
	if (pool->nthreads == 0) {
		imp_validate(pool, job);
		job->done = 1;
	}
	return imp_drain(st, 0, err);
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
	for (size_t i = 0; i < n; i++) {
		store_del(st->txn, STORE_DB_IMPORTED, drop[i], UTIL_SHA1_LEN);
		store_del(st->txn, STORE_DB_IMPORTED_XML, drop[i], UTIL_SHA1_LEN);
	}
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
	struct imp_pool pool;
	EVP_PKEY *trust = NULL;
	json_t *rep = NULL, *details = NULL;
	size_t removed = 0;
	int rc, in_txn = 0, expired = 0, pool_on = 0;

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
	{
		struct md_limits lim = { (size_t)ctx->conf.max_metadata_size, (int)ctx->conf.max_xml_depth, 0 };
		imp_pool_start(&pool, imp_threads(ctx), schema, &lim);
	}
	pool_on = 1;
	st.pool = &pool;
	rc = sigv_verify_file(file, trust, &so, imp_entity, &st, &res, err);
	if (rc == TL_OK)
		rc = imp_drain(&st, 2, err);
	imp_pool_stop(&pool);
	pool_on = 0;
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
	if (pool_on)
		imp_pool_stop(&pool);
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
