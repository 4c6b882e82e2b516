/*
 * tltest.h - helpers shared by the Check suites: temporary directories,
 * a log sink that fails the test on any unexpected line, fixtures.
 */
#ifndef TILLIT_TLTEST_H
#define TILLIT_TLTEST_H

#include <check.h>
#include <stddef.h>

/* A fresh temporary directory (mkdtemp under $TMPDIR); removed by tlt_rmtree. */
char *tlt_tmpdir(void);
/* rm -rf path and free it. */
void tlt_rmtree(char *path);

/*
 * Capture log lines.  Between tlt_log_begin() and tlt_log_end(), every
 * line at warning level or above is recorded; tlt_log_expect(substr)
 * consumes one recorded line containing substr (failing if none), and
 * tlt_log_end() fails the test if any unconsumed line remains.
 */
void tlt_log_begin(void);
void tlt_log_expect(const char *substr);
void tlt_log_end(void);

/* Read TL_TEST_DATADIR/name into a new buffer (free()); fails the test if missing. */
char *tlt_data(const char *name, size_t *len);
/* Full path of TL_TEST_DATADIR/name in a static buffer (overwritten by the next call). */
const char *tlt_data_path(const char *name);
/* Write n bytes to dir/name; returns the path (free()). */
char *tlt_write(const char *dir, const char *name, const void *p, size_t n);

/* Run a suite with CK_NORMAL output; returns the process exit status. */
int tlt_run(Suite *s);

#endif
