/*
 * maint.h - tillitd's maintenance thread: the work that time alone makes
 * necessary.
 *
 * Every recheck_interval (and when maint_kick() asks) it re-evaluates the
 * member entities whose stored results are stale (a framework file, an
 * attestation or the date changed: trust.h) and refreshes the
 * certification of the published metadata (pub_refresh_certification), so
 * that a level that no longer holds stops being claimed without anyone
 * running tillitctl.  Each run logs what it did; a failing run is logged
 * and retried at the next interval.
 */
#ifndef TILLIT_MAINT_H
#define TILLIT_MAINT_H

#include "tillit/ctx.h"
#include "tillit/err.h"

struct maint;

/*
 * Start the thread for ctx (which must outlive maint_stop()).  The first
 * run happens after first_delay seconds.  Errors: TL_ENOMEM, TL_EINTERNAL.
 */
int maint_start(struct maint **out, struct tl_ctx *ctx, unsigned first_delay, struct tl_err *err);

/* Ask for a run now (e.g. on SIGHUP). */
void maint_kick(struct maint *m);

/* Number of runs completed (for tests and metrics). */
unsigned long maint_runs(struct maint *m);

/* Stop the thread (waits for a run in progress) and free m.  NULL is ok. */
void maint_stop(struct maint *m);

#endif
