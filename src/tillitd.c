/*
 * tillitd.c - the daemon: serves a data directory over HTTP.
 *
 *   tillitd [-d DIR] [--listen ADDR:PORT] [--log-level LEVEL]
 *
 * Front end only: it opens the context, starts the HTTP server and waits
 * for a signal.  Every request reads the store in its own transaction, so
 * what tillitctl commits is served without a restart.
 * Exit status: 0 stopped by SIGTERM/SIGINT, 1 start-up failure, 2 usage.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/http.h"
#include "tillit/log.h"
#include "tillit/hub.h"
#include "tillit/maint.h"

static const char tillitd_usage[] =
	"usage: tillitd [-d DIR] [--listen ADDR:PORT] [--log-level LEVEL]\n"
	"       tillitd --version | --help\n"
	"\n"
	"  -d, --data-dir DIR    the data directory (default: $TILLIT_DATA)\n"
	"  -l, --listen ADDR:PORT  address to serve on (default: listen in tillit.conf,\n"
	"                        127.0.0.1:8440); IPv6 as [ADDR]:PORT\n"
	"  -L, --log-level LEVEL error, warning, info or debug (default: log_level)\n"
	"  -V, --version         print the version and exit\n"
	"  -h, --help            print this help and exit\n"
	"\n"
	"SIGTERM or SIGINT stops the server. See tillitd(8).\n";

static int tillitd_usage_error(const char *fmt, const char *arg)
{
	fputs("tillitd: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see tillitd --help)\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *listen_addr = NULL, *level = NULL;
	struct http_server *srv = NULL;
	struct maint *maint = NULL;
	struct hub *hub = NULL;
	struct tl_ctx ctx;
	char keypath[CTX_PATH_MAX];
	struct tl_err err;
	sigset_t sigs;
	int ch, sig, rc, lvl = -1, status = 1, ctx_open_done = 0, lasso_done = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:l:L:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'L': level = optarg; break;
		case 'V': printf("tillitd %s\n", PACKAGE_VERSION); return 0;
		case 'h': fputs(tillitd_usage, stdout); return 0;
		case ':': return tillitd_usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: return tillitd_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tillitd_usage_error("unexpected argument '%s'", argv[optind]);
	if (dir == NULL || dir[0] == '\0')
		dir = getenv("TILLIT_DATA");
	if (dir == NULL || dir[0] == '\0') {
		fprintf(stderr, "tillitd: no data directory: use -d DIR or set TILLIT_DATA\n");
		return 2;
	}
	if (level != NULL && (lvl = log_level_parse(level)) < 0)
		return tillitd_usage_error("unknown log level '%s' (error, warning, info, debug)",
		                           level);

	if (ctx_open(&ctx, dir, &err) != TL_OK) {
		fprintf(stderr, "tillitd: %s\n", err.msg);
		goto out;
	}
	ctx_open_done = 1;
	store_keep_small(ctx.store, STORE_DROP_EVERY); /* resident memory: what it serves, not what it read */
	/* Before any thread starts: the logger's settings are read-only afterwards. */
	log_route_libxml2();
	log_set_timestamps(1);
	log_set_level(lvl >= 0 ? (enum log_level)lvl : (enum log_level)ctx.conf.log_level);
	if (hub_global_init(&err) != TL_OK) {
		fprintf(stderr, "tillitd: %s\n", err.msg);
		goto out;
	}
	lasso_done = 1;
	if (listen_addr == NULL)
		listen_addr = ctx.conf.listen;
	if (http_check_listen(listen_addr, &err) != TL_OK) {
		fprintf(stderr, "tillitd: %s\n", err.msg);
		status = 2;
		goto out;
	}

	/* The server's threads inherit this mask: only sigwait() below sees these. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0) {
		fprintf(stderr, "tillitd: cannot block signals\n");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN); /* a client gone while sendfile() writes */

	if (hub_keys_missing(&ctx, keypath)) {
		/* a registry without the hub's keys: metadata, MDQ and the API still work */
		log_warn("the SSO hub is off: %s is missing (tillitctl keys create makes the hub's keys)",
		         keypath);
	} else if ((rc = hub_open(&hub, &ctx, &err)) != TL_OK) {
		fprintf(stderr, "tillitd: the SSO hub cannot start: %s\n", err.msg);
		goto out;
	}
	ctx.hub = hub;

	rc = http_start(&srv, &ctx, listen_addr, &err);
	if (rc != TL_OK) {
		fprintf(stderr, "tillitd: %s\n", err.msg);
		if (rc == TL_EUSAGE) /* a malformed --listen */
			status = 2;
		goto out;
	}
	log_info("serving %s on %s (port %d)", ctx.dir, listen_addr, http_port(srv));
	/* the first re-evaluation soon after start: what changed while it was down */
	if (maint_start(&maint, &ctx, 5, &err) != TL_OK)
		log_warn("%s: certification will only change when tillitctl publishes", err.msg);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			/* the registry is read per request; HUP asks for a re-evaluation now */
			log_info("SIGHUP: re-evaluating and refreshing certification now");
			if (maint != NULL)
				maint_kick(maint);
			continue;
		}
		log_info("stopping (%s)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	maint_stop(maint);
	maint = NULL;
	http_stop(srv);
	srv = NULL;
	status = 0;
out:
	maint_stop(maint);
	http_stop(srv);
	ctx.hub = NULL;
	hub_close(hub);
	if (lasso_done)
		hub_global_done();
	if (ctx_open_done)
		ctx_close(&ctx);
	if (status == 0)
		log_info("stopped");
	return status;
}
