/* audit.c - hash-chained audit log in LMDB. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "tillit/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tillit/log.h"
#include "tillit/util.h"

#define AUDIT_HEAD_KEY "audit_head"
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* SHA-256 of a record's canonical text, in hex. */
static void audit_text_hash(const char *s, size_t len, char hex[65])
{
	unsigned char d[UTIL_SHA256_LEN];

	util_sha256(s, len, d);
	util_hex(d, sizeof(d), hex);
}

/* Hash of the record's canonical JSON without its "hash" member. */
static int audit_hash(json_t *rec, char hex[65])
{
	json_t *copy = json_deep_copy(rec);
	char *s;

	if (copy == NULL)
		return -1;
	json_object_del(copy, "hash");
	s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(copy);
	if (s == NULL)
		return -1;
	audit_text_hash(s, strlen(s), hex);
	free(s);
	return 0;
}

/*
 * *text is a record's canonical JSON without "hash"; hash it into hex and
 * put the member where json_dumps would with JSON_SORT_KEYS, before the
 * top-level "prev" (the keys after it, seq, subject and time, and those
 * before, action, actor and details, sort around "hash").  The top-level
 * ,"prev":" is the last one in the text: one inside details comes before
 * it, and within a string every quote is escaped.  0, or -1 without memory.
 */
static int audit_splice_hash(char **text, char hex[65])
{
	static const char mark[] = ",\"prev\":\"", key[] = ",\"hash\":\"";
	size_t len = strlen(*text), at, k = sizeof(key) - 1;
	char *p, *last = NULL, *out;

	audit_text_hash(*text, len, hex);
	for (p = *text; (p = strstr(p, mark)) != NULL; p++)
		last = p;
	if (last == NULL)
		return -1;
	at = (size_t)(last - *text);
	/* text[0..at) ,"hash":"HEX" text[at..len] (its NUL included) */
	if ((out = malloc(len + k + 64 + 2)) == NULL)
		return -1;
	memcpy(out, *text, at);
	memcpy(out + at, key, k);
	memcpy(out + at + k, hex, 64);
	out[at + k + 64] = '"';
	memcpy(out + at + k + 65, *text + at, len - at + 1);
	free(*text);
	*text = out;
	return 0;
}

static void audit_fail(struct store_txn *txn, int code, const char *msg)
{
	if (txn->rc == TL_OK)
		txn->rc = tl_err_set(&txn->err, code, "audit log: %s", msg);
}

static uint64_t audit_append_at(struct store_txn *txn, time_t t, const char *actor,
                                const char *action, const char *subject, json_t *details)
{
	struct store_val head;
	char prev[65] = AUDIT_GENESIS, hash[65], when[32];
	unsigned char key[8];
	uint64_t seq = 1;
	json_t *rec = NULL;
	char *s = NULL, headval[8 + 65];

	if (txn->rc != TL_OK)
		return 0;
	if (store_get(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), &head) == TL_OK &&
	    head.len == sizeof(headval)) {
		seq = store_get_be64(head.data) + 1;
		memcpy(prev, (const char *)head.data + 8, 64);
		prev[64] = '\0';
	}
	util_time_iso(t, when, sizeof(when));
	rec = json_pack("{s:I, s:s, s:s, s:s, s:s, s:O?, s:s}", "seq", (json_int_t)seq, "time", when,
	                "actor", actor, "action", action, "subject", subject ? subject : "",
	                "details", details, "prev", prev);
	if (rec == NULL) {
		audit_fail(txn, TL_ENOMEM, "cannot build a record");
		goto out;
	}
	/* the canonical text without "hash" is hashed, and the member spliced into it */
	if ((s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)) == NULL ||
	    audit_splice_hash(&s, hash) != 0) {
		audit_fail(txn, TL_ENOMEM, "cannot serialise a record");
		goto out;
	}
	store_be64(key, seq);
	store_put(txn, STORE_DB_AUDIT, key, sizeof(key), s, strlen(s));
	store_be64((unsigned char *)headval, seq);
	memcpy(headval + 8, hash, 65);
	store_put(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), headval,
	          sizeof(headval));
out:
	free(s);
	json_decref(rec);
	return txn->rc == TL_OK ? seq : 0;
}

uint64_t audit_append(struct store_txn *txn, const char *actor, const char *action,
                      const char *subject, json_t *details)
{
	return audit_append_at(txn, util_now(), actor, action, subject, details);
}

/* ---- group commit ---------------------------------------------------- */

struct audit_qrec {
	struct audit_qrec *next;
	time_t when;
	char *actor, *action, *subject;
	json_t *details;
};

struct audit_queue {
	struct store *st;
	unsigned interval_ms;
	size_t max, n;
	struct audit_qrec *head, **tail;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t writer;
	int stopping;
	int failing;            /* the last write failed */
	uint64_t written, batches, failed;
};

static void audit_qrec_free(struct audit_qrec *r)
{
	while (r != NULL) {
		struct audit_qrec *next = r->next;
		free(r->actor);
		free(r->action);
		free(r->subject);
		json_decref(r->details);
		free(r);
		r = next;
	}
}

/* Append the batch in one transaction.  Returns how many were written (0 or all). */
static size_t audit_queue_write(struct audit_queue *q, struct audit_qrec *batch, struct tl_err *err)
{
	struct store_txn txn;
	size_t n = 0;

	if (store_txn_begin(q->st, &txn, 0, err) != TL_OK)
		return 0;
	for (struct audit_qrec *r = batch; r != NULL; r = r->next, n++)
		audit_append_at(&txn, r->when, r->actor, r->action, r->subject, r->details);
	return store_commit(&txn, err) == TL_OK ? n : 0;
}

static void *audit_queue_run(void *arg)
{
	struct audit_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct audit_qrec *batch;
		struct tl_err err = { 0 };
		struct timespec ts;
		size_t n, done;

		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->head == NULL)
			break;
		/* gather what arrives within the interval (unless stopping) */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(q->interval_ms % 1000) * 1000000L;
		ts.tv_sec += q->interval_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		while (!q->stopping && pthread_cond_timedwait(&q->cond, &q->lock, &ts) != ETIMEDOUT)
			;
		batch = q->head;
		n = q->n;
		q->head = NULL;
		q->tail = &q->head;
		q->n = 0;
		pthread_mutex_unlock(&q->lock);

		done = audit_queue_write(q, batch, &err);

		pthread_mutex_lock(&q->lock);
		if (done == n) {
			q->written += n;
			q->batches++;
			q->failing = 0;
			audit_qrec_free(batch);
			continue;
		}
		q->failed++;
		q->failing = 1;
		log_err("audit: cannot write %zu login records (kept for the next attempt): %s", n,
		          err.msg);
		if (q->stopping) {
			audit_qrec_free(batch); /* nothing will retry: the error above says what is lost */
			break;
		}
		/* put the batch back in front of what came meanwhile, in order */
		{
			struct audit_qrec *last = batch;
			while (last->next != NULL)
				last = last->next;
			last->next = q->head;
			if (q->head == NULL)
				q->tail = &last->next;
			q->head = batch;
			q->n += n;
		}
		/* wait an interval before retrying */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int audit_queue_start(struct store *st, unsigned interval_ms, size_t max, struct audit_queue **qp,
                      struct tl_err *err)
{
	struct audit_queue *q;

	*qp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	q->st = st;
	q->interval_ms = interval_ms;
	q->max = max > 0 ? max : 1;
	q->tail = &q->head;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	if (pthread_create(&q->writer, NULL, audit_queue_run, q) != 0) {
		pthread_cond_destroy(&q->cond);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return tl_err_set(err, TL_EINTERNAL, "cannot start the audit writer thread");
	}
	pthread_setname_np(q->writer, "tillit-audit");
	*qp = q;
	return TL_OK;
}

int audit_queue_post(struct audit_queue *q, const char *actor, const char *action,
                     const char *subject, json_t *details, struct tl_err *err)
{
	struct audit_qrec *r;
	int rc = TL_OK;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	r->when = util_now();
	r->actor = strdup(actor);
	r->action = strdup(action);
	r->subject = strdup(subject ? subject : "");
	r->details = details ? json_deep_copy(details) : NULL;
	if (r->actor == NULL || r->action == NULL || r->subject == NULL ||
	    (details != NULL && r->details == NULL)) {
		audit_qrec_free(r);
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&q->lock);
	if (q->n >= q->max || q->stopping) {
		rc = tl_err_set(err, TL_ELIMIT, "audit log: %zu records wait to be written (%s)", q->n,
		                q->failing ? "writing to the store fails" : "the writer is behind");
	} else {
		*q->tail = r;
		q->tail = &r->next;
		if (q->n++ == 0)
			pthread_cond_signal(&q->cond);
		r = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	audit_qrec_free(r);
	return rc;
}

void audit_queue_stats(struct audit_queue *q, uint64_t *written, uint64_t *batches,
                       uint64_t *failed)
{
	pthread_mutex_lock(&q->lock);
	*written = q->written;
	*batches = q->batches;
	*failed = q->failed;
	pthread_mutex_unlock(&q->lock);
}

void audit_queue_stop(struct audit_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->writer, NULL);
	audit_qrec_free(q->head);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int audit_verify(struct store_txn *txn, struct audit_verdict *v, struct tl_err *err)
{
	struct store_iter it;
	struct store_val k, val, head;
	char prev[65] = AUDIT_GENESIS, hash[65];
	uint64_t expect = 1, head_seq = 0;
	int rc = TL_OK;

	memset(v, 0, sizeof(*v));
	if (store_get(txn, STORE_DB_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY), &head) == TL_OK &&
	    head.len == 8 + 65)
		head_seq = store_get_be64(head.data);
	store_iter_begin(txn, STORE_DB_AUDIT, NULL, 0, &it);
	while (rc == TL_OK && store_iter_next(&it, &k, &val)) {
		uint64_t seq = k.len == 8 ? store_get_be64(k.data) : 0;
		json_t *rec = json_loadb(val.data, val.len, 0, NULL);
		const char *h = json_string_value(json_object_get(rec, "hash"));
		const char *p = json_string_value(json_object_get(rec, "prev"));
		json_int_t rseq = json_integer_value(json_object_get(rec, "seq"));

		v->records++;
		if (rec == NULL || h == NULL || p == NULL) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem), "record %llu is not a valid record",
			         (unsigned long long)seq);
		} else if (seq != expect) {
			v->bad_seq = expect;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu is missing (the next record is %llu)",
			         (unsigned long long)expect, (unsigned long long)seq);
		} else if ((uint64_t)rseq != seq) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu holds record %lld: records were reordered",
			         (unsigned long long)seq, (long long)rseq);
		} else if (strcmp(p, prev) != 0) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem),
			         "record %llu does not follow record %llu (chain broken: reordered or a record removed)",
			         (unsigned long long)seq, (unsigned long long)seq - 1);
		} else if (audit_hash(rec, hash) != 0 || strcmp(hash, h) != 0) {
			v->bad_seq = seq;
			snprintf(v->problem, sizeof(v->problem), "record %llu was changed (hash mismatch)",
			         (unsigned long long)seq);
		} else {
			memcpy(prev, h, 65);
			expect++;
		}
		json_decref(rec);
		if (v->bad_seq != 0)
			rc = TL_ESIG;
	}
	store_iter_end(&it);
	if (txn->rc != TL_OK)
		return tl_err_set(err, txn->rc, "%s", txn->err.msg);
	if (rc == TL_OK && head_seq != expect - 1) {
		v->bad_seq = expect;
		snprintf(v->problem, sizeof(v->problem),
		         "the log ends at record %llu but its head says %llu: records were removed from the end",
		         (unsigned long long)(expect - 1), (unsigned long long)head_seq);
		rc = TL_ESIG;
	} else if (rc == TL_OK && head_seq > 0 && memcmp((const char *)head.data + 8, prev, 64) != 0) {
		v->bad_seq = head_seq;
		snprintf(v->problem, sizeof(v->problem), "the last record does not match the log head");
		rc = TL_ESIG;
	}
	if (rc != TL_OK)
		tl_err_set(err, rc, "audit log tampered: %s", v->problem);
	return rc;
}

int audit_list(struct store_txn *txn, const char *subject, json_t **out, struct tl_err *err)
{
	struct store_iter it;
	struct store_val k, val;
	json_t *arr = json_array();

	*out = NULL;
	if (arr == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	store_iter_begin(txn, STORE_DB_AUDIT, NULL, 0, &it);
	while (store_iter_next(&it, &k, &val)) {
		json_t *rec = json_loadb(val.data, val.len, 0, NULL);
		const char *s;
		if (rec == NULL)
			continue;
		s = json_string_value(json_object_get(rec, "subject"));
		if (subject == NULL || (s != NULL && strcmp(s, subject) == 0))
			json_array_append(arr, rec);
		json_decref(rec);
	}
	store_iter_end(&it);
	if (txn->rc != TL_OK) {
		json_decref(arr);
		return tl_err_set(err, txn->rc, "%s", txn->err.msg);
	}
	*out = arr;
	return TL_OK;
}
