/* fixture.c - data directory fixture for service tests. */
#include "fixture.h"
#include "tltest.h"

#include "tillit/keys.h"
#include "tillit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fixture_open(struct fixture *f)
{
	char path[4200], cert[4200];
	struct conf c;
	struct tl_err err;

	memset(f, 0, sizeof(*f));
	f->dir = tlt_tmpdir();
	conf_defaults(&c);
	ck_assert_int_eq(conf_set(&c, "name", "Test federation", &err), TL_OK);
	ck_assert_int_eq(conf_set(&c, "base_url", "https://hub.example.se", &err), TL_OK);
	ck_assert_int_eq(conf_set(&c, "map_size", "256M", &err), TL_OK);
	snprintf(path, sizeof(path), "%s/tillit.conf", f->dir);
	ck_assert_int_eq(conf_write(&c, path, &err), TL_OK);
	snprintf(path, sizeof(path), "%s/db", f->dir);
	ck_assert_int_eq(util_mkdirs(path, 0700, &err), TL_OK);
	snprintf(path, sizeof(path), "%s/keys", f->dir);
	ck_assert_int_eq(util_mkdirs(path, 0700, &err), TL_OK);
	snprintf(path, sizeof(path), "%s/keys/metadata-signing.key", f->dir);
	snprintf(cert, sizeof(cert), "%s/keys/metadata-signing.crt", f->dir);
	ck_assert_int_eq(keys_generate(path, cert, 2048, "test signing", 30, &err), TL_OK);
	ck_assert_msg(ctx_open(&f->ctx, f->dir, &err) == TL_OK, "%s", err.msg);
	snprintf(f->ctx.actor, sizeof(f->ctx.actor), "operator:test");
	ck_assert_msg(md_schema_load(&f->schema, &err) == TL_OK, "%s", err.msg);
}

void fixture_close(struct fixture *f)
{
	md_schema_free(f->schema);
	ctx_close(&f->ctx);
	tlt_rmtree(f->dir);
}

char *fixture_metadata(const char *name, size_t *len)
{
	char path[4096];
	struct tl_err err;
	char *p = NULL;

	snprintf(path, sizeof(path), "%s/../../metadata/%s", TL_TEST_DATADIR, name);
	ck_assert_msg(util_read_file(path, 1 << 20, &p, len, &err) == TL_OK, "%s", err.msg);
	return p;
}
