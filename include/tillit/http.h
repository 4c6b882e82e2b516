/*
 * http.h - tillitd's HTTP server (libmicrohttpd): federation metadata,
 * MDQ, health and metrics.
 *
 * The server runs in its own threads (an internal epoll loop with a pool of
 * conf.http_threads threads; poll where epoll is missing).  Every request
 * that needs the store opens its own read transaction and finishes it
 * before the response is queued, so the server holds no long-lived reader:
 * what tillitctl commits in another process is served at once.
 *
 * Routes (GET and HEAD; any other method on them is 405 with Allow):
 *   /metadata/federation.xml   DIR/published/federation.xml (PUB_AGGREGATE_REL)
 *   /entities, /entities/      the same aggregate
 *   /entities/{ID}             MDQ (draft-young-md-query): ID is the
 *                              percent-encoded entityID or {sha1}HEX
 *   /healthz                   200 "ok" while the process serves
 *   /readyz                    200 if the store opens a read transaction and
 *                              a publication exists, else 503 with the reason
 *   /metrics                   Prometheus text format, counters of this server
 * Metadata responses carry a strong ETag (If-None-Match gives 304),
 * Cache-Control: max-age=conf.cache_duration and Content-Type
 * application/samlmetadata+xml (application/xml or text/xml when the Accept
 * header allows only those; 406 when it allows none).  Every response has
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and, unless
 * the handler set one, Content-Security-Policy: default-src 'none'.  Error
 * bodies are one line of text/plain.  Limits: request bodies of at most
 * conf.http_max_body bytes (413), URLs of at most HTTP_URL_MAX bytes (414),
 * conf.http_max_connections connections, conf.http_per_ip_connections per
 * client address (0: no limit), conf.http_timeout seconds of idleness.
 * URLs are never built from the Host header.
 */
#ifndef TILLIT_HTTP_H
#define TILLIT_HTTP_H

#include "tillit/ctx.h"
#include "tillit/err.h"

/* Longest request target (path and query, as sent) that is served. */
#define HTTP_URL_MAX 8192
/*
 * libmicrohttpd's per-connection memory: the request line and headers must
 * fit (a target of HTTP_URL_MAX and 16 KB of headers do; more headers get
 * 431).  libmicrohttpd zeroes it for every request, so it costs time too:
 * 64 KB took about 6 us more CPU per MDQ request than 32 KB (BENCHMARKS.md).
 */
#define HTTP_CONN_MEMORY (32 * 1024)
/* Pending connections the listening socket queues. */
#define HTTP_BACKLOG 1024

struct http_server; /* opaque */

/*
 * Parse listen_addr ("ADDR:PORT": an IPv4 address, or an IPv6 address in
 * brackets; PORT 0..65535), bind and listen on it, and start serving ctx
 * (whose conf supplies the limits above and whose store must stay open
 * until http_stop()).  PORT 0 picks a free port: read it with http_port().
 * Call with SIGTERM/SIGINT/SIGHUP blocked if the caller waits for them
 * with sigwait(): the server's threads inherit the signal mask.
 * On success *out owns the server; release it with http_stop().
 * Errors: TL_EUSAGE (listen_addr malformed, naming it), TL_EIO ("cannot
 * listen on ADDR:PORT: REASON", e.g. the address is in use), TL_ECONF
 * (http_threads exceeds http_max_connections), TL_ENOMEM, TL_EINTERNAL
 * (libmicrohttpd refused to start).
 */
int http_start(struct http_server **out, struct tl_ctx *ctx, const char *listen_addr,
               struct tl_err *err);

/* Is listen_addr well-formed (as http_start() wants it)?  TL_EUSAGE naming it. */
int http_check_listen(const char *listen_addr, struct tl_err *err);

/* The port the server listens on (the chosen one when started with port 0). */
int http_port(const struct http_server *srv);

/*
 * Stop accepting, close every connection (requests in progress are cut
 * off), join the server's threads and free srv.  The context and its store
 * are left open for the caller to close.  NULL is ok.
 */
void http_stop(struct http_server *srv);

#endif
