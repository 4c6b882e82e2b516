/* tltest.c - shared test helpers. */
#define _GNU_SOURCE
#include "tltest.h"

#include "tillit/log.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TLT_MAX_LINES 64

static char tlt_lines[TLT_MAX_LINES][1024];
static int tlt_nlines;
static int tlt_capturing;

char *tlt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (base == NULL)
		base = "/tmp";
	if (asprintf(&p, "%s/tillit-test-XXXXXX", base) < 0)
		ck_abort_msg("asprintf");
	if (mkdtemp(p) == NULL)
		ck_abort_msg("mkdtemp failed");
	return p;
}

static int tlt_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

void tlt_rmtree(char *path)
{
	if (path == NULL)
		return;
	nftw(path, tlt_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

static void tlt_sink(enum log_level lvl, const char *line, void *ud)
{
	(void)ud;
	if (lvl > LOG_LVL_WARN)
		return;
	if (!tlt_capturing) {
		fprintf(stderr, "unexpected log line: %s\n", line);
		ck_abort_msg("unexpected log line outside capture: %s", line);
	}
	if (tlt_nlines < TLT_MAX_LINES)
		snprintf(tlt_lines[tlt_nlines++], sizeof(tlt_lines[0]), "%s", line);
}

void tlt_log_begin(void)
{
	tlt_nlines = 0;
	tlt_capturing = 1;
	log_set_sink(tlt_sink, NULL);
}

void tlt_log_expect(const char *substr)
{
	for (int i = 0; i < tlt_nlines; i++) {
		if (strstr(tlt_lines[i], substr) != NULL) {
			memmove(tlt_lines[i], tlt_lines[i + 1],
			        (size_t)(tlt_nlines - i - 1) * sizeof(tlt_lines[0]));
			tlt_nlines--;
			return;
		}
	}
	ck_abort_msg("expected a log line containing '%s'", substr);
}

void tlt_log_end(void)
{
	tlt_capturing = 0;
	if (tlt_nlines > 0)
		ck_abort_msg("unexpected log line: %s", tlt_lines[0]);
}

const char *tlt_data_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", TL_TEST_DATADIR, name);
	return path;
}

char *tlt_data(const char *name, size_t *len)
{
	const char *path = tlt_data_path(name);
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	ck_assert_msg(f != NULL, "missing test data %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	ck_assert(p != NULL);
	ck_assert(fread(p, 1, (size_t)n, f) == (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return p;
}

char *tlt_write(const char *dir, const char *name, const void *p, size_t n)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		ck_abort_msg("asprintf");
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert(fwrite(p, 1, n, f) == n);
	fclose(f);
	return path;
}

int tlt_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
