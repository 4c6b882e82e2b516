/* maint.c - the maintenance thread of tillitd. */
#define _GNU_SOURCE /* pthread_setname_np: the thread is "tillit-maint" in top and /proc */
#include "tillit/maint.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tillit/log.h"
#include "tillit/pub.h"
#include "tillit/tf.h"
#include "tillit/trust.h"

struct maint {
	struct tl_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kick;
	unsigned long runs;
	unsigned first_delay;
};

static void maint_run_once(struct maint *m)
{
	struct tl_ctx *ctx = m->ctx;
	struct tf_set *set = NULL;
	struct trust_opts o = { 0 };
	struct trust_stats st;
	struct pub_report rep;
	struct tl_err err = { 0 };

	if (trust_load(ctx, &set, &err) != TL_OK) {
		log_err("maintenance: the trust frameworks do not load, nothing re-evaluated: %s", err.msg);
		return;
	}
	if (trust_evaluate_all(ctx, set, &o, NULL, &st, &err) != TL_OK)
		log_warn("maintenance: evaluation failed: %s", err.msg);
	else if (st.evaluated > 0)
		log_info("maintenance: %zu of %zu entities re-evaluated in %.3f s", st.evaluated, st.entities,
		         st.seconds);
	tf_set_free(set);
	if (pub_refresh_certification(ctx, &rep, &err) != TL_OK)
		log_warn("maintenance: certification refresh failed: %s", err.msg);
	/* the pass read every entity: keep tillitd's resident memory to what it serves */
	store_drop_pages(ctx->store);
}

static void *maint_main(void *arg)
{
	struct maint *m = arg;
	unsigned wait_s = m->first_delay;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)wait_s;
		while (!m->stop && !m->kick) {
			if (pthread_cond_timedwait(&m->cv, &m->mu, &until) == ETIMEDOUT)
				break;
		}
		if (m->stop)
			break;
		m->kick = 0;
		pthread_mutex_unlock(&m->mu);
		maint_run_once(m);
		pthread_mutex_lock(&m->mu);
		m->runs++;
		pthread_cond_broadcast(&m->cv);
		wait_s = (unsigned)m->ctx->conf.recheck_interval;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int maint_start(struct maint **out, struct tl_ctx *ctx, unsigned first_delay, struct tl_err *err)
{
	struct maint *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory starting maintenance");
	m->ctx = ctx;
	m->first_delay = first_delay;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->thread, NULL, maint_main, m) != 0) {
		pthread_cond_destroy(&m->cv);
		pthread_mutex_destroy(&m->mu);
		free(m);
		return tl_err_set(err, TL_EINTERNAL, "cannot start the maintenance thread");
	}
	pthread_setname_np(m->thread, "tillit-maint");
	*out = m;
	return TL_OK;
}

void maint_kick(struct maint *m)
{
	pthread_mutex_lock(&m->mu);
	m->kick = 1;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

unsigned long maint_runs(struct maint *m)
{
	unsigned long n;

	pthread_mutex_lock(&m->mu);
	n = m->runs;
	pthread_mutex_unlock(&m->mu);
	return n;
}

void maint_stop(struct maint *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = 1;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
