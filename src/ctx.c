/* ctx.c - open and close a data directory. */
#include "tillit/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ctx_path(const struct tl_ctx *ctx, const char *rel, char *out)
{
	snprintf(out, CTX_PATH_MAX, "%s/%s", ctx->dir, rel);
	return out;
}

int ctx_open(struct tl_ctx *ctx, const char *dir, struct tl_err *err)
{
	char path[CTX_PATH_MAX];
	struct store_opts so = { 0 };
	struct stat sb;
	const char *user;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	snprintf(ctx->dir, sizeof(ctx->dir), "%s", dir);
	user = getenv("SUDO_USER");
	if (user == NULL)
		user = getenv("USER");
	snprintf(ctx->actor, sizeof(ctx->actor), "operator:%s", user ? user : "unknown");
	conf_defaults(&ctx->conf);
	ctx_path(ctx, "tillit.conf", path);
	if (stat(path, &sb) != 0)
		return tl_err_set(err, TL_ENOENT,
		                  "%s is not a Tillit data directory (no tillit.conf; run tillitctl init)",
		                  dir);
	rc = conf_load(&ctx->conf, path, err);
	if (rc != TL_OK)
		return rc;
	so.map_size = (size_t)ctx->conf.map_size;
	so.max_readers = (unsigned)ctx->conf.max_readers;
	so.nosync = 0;
	return store_open(&ctx->store, ctx_path(ctx, "db", path), &so, err);
}

void ctx_close(struct tl_ctx *ctx)
{
	store_close(ctx->store);
	ctx->store = NULL;
}
