/*
 * test_http.c - the HTTP server over a real data directory and real
 * sockets: routes, MDQ, conditional requests, limits, health, metrics,
 * and that the store is followed without a restart.
 */
#define _GNU_SOURCE
#include "tltest.h"

#include "tillit/conf.h"
#include "tillit/ctx.h"
#include "tillit/buf.h"
#include "tillit/http.h"
#include "tillit/pub.h"
#include "tillit/store.h"
#include "tillit/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define IDP "https://idp.example.org/idp"
#define SP "urn:x-tillit-test:sp"
#define MAX_BODY 4096

static const char idp_xml[] =
	"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	"entityID=\"" IDP "\"/>\n";
static const char sp_xml[] =
	"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	"entityID=\"" SP "\"/>\n";
static const char agg_xml[] =
	"<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>\n";

static char *dir;
static struct tl_ctx ctx;
static struct http_server *srv;

/* ---- a tiny HTTP/1.1 client ------------------------------------------ */

struct resp {
	int status;           /* 0: no response (connection closed) */
	char head[16384];     /* status line and headers */
	char *body;
	size_t len;
};

static int client_connect(void)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)http_port(srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s",
	              strerror(errno));
	return fd;
}

static void client_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the server may close early (413) */
		p += w;
		n -= (size_t)w;
	}
}

/* The value of header name in r (into a static buffer), or NULL. */
static const char *hdr(const struct resp *r, const char *name)
{
	static char val[1024];
	size_t nlen = strlen(name);
	const char *p = strstr(r->head, "\r\n");

	while (p != NULL && p[2] != '\0') {
		const char *line = p + 2, *eol = strstr(line, "\r\n");
		if (eol == NULL)
			eol = line + strlen(line);
		if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(eol - v), v);
			return val;
		}
		p = *eol ? eol : NULL;
	}
	return NULL;
}

/* Read one response from fd (no body for HEAD, 304 and 1xx). */
static void client_read(int fd, int head_only, struct resp *r)
{
	size_t hlen = 0, want;
	char *end = NULL;
	const char *cl;

	memset(r, 0, sizeof(*r));
	while (end == NULL && hlen < sizeof(r->head) - 1) {
		ssize_t n = recv(fd, r->head + hlen, 1, 0); /* byte by byte: keep-alive safe */
		if (n <= 0)
			return;
		hlen++;
		r->head[hlen] = '\0';
		end = strstr(r->head, "\r\n\r\n");
	}
	ck_assert_msg(end != NULL, "response headers too long");
	ck_assert_int_eq(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
	cl = hdr(r, "Content-Length");
	want = cl ? strtoul(cl, NULL, 10) : 0;
	if (head_only || r->status == 304)
		want = 0;
	r->body = calloc(1, want + 1);
	ck_assert(r->body != NULL);
	while (r->len < want) {
		ssize_t n = recv(fd, r->body + r->len, want - r->len, 0);
		ck_assert_msg(n > 0, "short body");
		r->len += (size_t)n;
	}
}

static void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* One request on a new connection; extra is more header lines ("A: b\r\n"). */
static void request(const char *method, const char *target, const char *extra, struct resp *r)
{
	char *req;
	int fd = client_connect();
	int n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: test\r\n%sConnection: close\r\n\r\n",
	                 method, target, extra ? extra : "");

	ck_assert_int_gt(n, 0);
	client_send(fd, req, (size_t)n);
	client_read(fd, strcmp(method, "HEAD") == 0, r);
	free(req);
	close(fd);
}

static void get(const char *target, struct resp *r)
{
	request("GET", target, NULL, r);
}

static void assert_security_headers(const struct resp *r)
{
	ck_assert_str_eq(hdr(r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(hdr(r, "Referrer-Policy"), "no-referrer");
	ck_assert_ptr_nonnull(strstr(hdr(r, "Content-Security-Policy"), "default-src 'none'"));
}

/* ---- fixture ---------------------------------------------------------- */

static void seed(const char *id, const char *xml)
{
	struct store_txn txn;
	struct tl_err err;

	ck_assert_int_eq(store_txn_begin(ctx.store, &txn, 0, &err), TL_OK);
	pub_mdq_put(&txn, id, xml, strlen(xml), 1700000000, 1900000000);
	ck_assert_msg(store_commit(&txn, &err) == TL_OK, "%s", err.msg);
}

static void withdraw(const char *id)
{
	unsigned char sha1[UTIL_SHA1_LEN];
	struct store_txn txn;
	struct tl_err err;

	util_sha1(id, strlen(id), sha1);
	ck_assert_int_eq(store_txn_begin(ctx.store, &txn, 0, &err), TL_OK);
	pub_mdq_withdraw(&txn, sha1);
	ck_assert_msg(store_commit(&txn, &err) == TL_OK, "%s", err.msg);
}

/* Publish an aggregate the way the publisher does: a new file renamed into place. */
static void publish_file(const char *text)
{
	char path[CTX_PATH_MAX], pubdir[CTX_PATH_MAX];
	struct tl_err err;

	ck_assert_int_eq(util_mkdirs(ctx_path(&ctx, "published", pubdir), 0755, &err), TL_OK);
	ck_assert_msg(util_write_atomic(ctx_path(&ctx, PUB_AGGREGATE_REL, path), text, strlen(text),
	                                0644, &err) == TL_OK, "%s", err.msg);
}

static void setup(void)
{
	struct conf c;
	struct tl_err err;
	char path[4096];

	signal(SIGPIPE, SIG_IGN);
	tlt_log_begin();
	dir = tlt_tmpdir();
	conf_defaults(&c);
	ck_assert_int_eq(conf_set(&c, "http_max_body", "4096", &err), TL_OK);
	ck_assert_int_eq(conf_set(&c, "cache_duration", "PT1H", &err), TL_OK);
	ck_assert_int_eq(conf_set(&c, "http_threads", "2", &err), TL_OK);
	snprintf(path, sizeof(path), "%s/tillit.conf", dir);
	ck_assert_msg(conf_write(&c, path, &err) == TL_OK, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/db", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_msg(ctx_open(&ctx, dir, &err) == TL_OK, "%s", err.msg);
	seed(IDP, idp_xml);
	seed(SP, sp_xml);
	ck_assert_msg(http_start(&srv, &ctx, "127.0.0.1:0", &err) == TL_OK, "%s", err.msg);
	ck_assert_int_gt(http_port(srv), 0);
}

static void teardown(void)
{
	http_stop(srv);
	srv = NULL;
	ctx_close(&ctx);
	tlt_rmtree(dir);
	dir = NULL;
	tlt_log_end();
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_healthz)
{
	struct resp r;

	get("/healthz", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok\n");
	ck_assert_str_eq(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	assert_security_headers(&r);
	resp_free(&r);
}
END_TEST

START_TEST(test_readyz)
{
	struct resp r;

	get("/readyz", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "published"));
	resp_free(&r);
	publish_file(agg_xml);
	get("/readyz", &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

START_TEST(test_aggregate)
{
	static const char *const paths[] = { "/metadata/federation.xml", "/entities", "/entities/" };
	struct resp r;
	char etag[128], inm[200];

	get("/metadata/federation.xml", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	assert_security_headers(&r);
	resp_free(&r);

	publish_file(agg_xml);
	for (size_t i = 0; i < 3; i++) {
		get(paths[i], &r);
		ck_assert_msg(r.status == 200, "%s: %d", paths[i], r.status);
		ck_assert_str_eq(r.body, agg_xml);
		ck_assert_str_eq(hdr(&r, "Content-Type"), "application/samlmetadata+xml");
		ck_assert_str_eq(hdr(&r, "Cache-Control"), "max-age=3600");
		ck_assert_ptr_nonnull(hdr(&r, "Last-Modified"));
		ck_assert_ptr_nonnull(strstr(hdr(&r, "Last-Modified"), " GMT"));
		assert_security_headers(&r);
		snprintf(etag, sizeof(etag), "%s", hdr(&r, "ETag"));
		ck_assert_int_eq(etag[0], '"');
		resp_free(&r);
	}

	/* the validator works, and changes with the file */
	snprintf(inm, sizeof(inm), "If-None-Match: %s\r\n", etag);
	request("GET", "/metadata/federation.xml", inm, &r);
	ck_assert_int_eq(r.status, 304);
	ck_assert_str_eq(hdr(&r, "ETag"), etag);
	ck_assert_str_eq(hdr(&r, "Cache-Control"), "max-age=3600");
	resp_free(&r);
	publish_file("<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	             "Name=\"second\"/>\n");
	request("GET", "/metadata/federation.xml", inm, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "second"));
	ck_assert_str_ne(hdr(&r, "ETag"), etag);
	resp_free(&r);

	/* HEAD: the headers of a GET, no body */
	request("HEAD", "/metadata/federation.xml", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.len, 0);
	ck_assert_ptr_nonnull(hdr(&r, "ETag"));
	resp_free(&r);
}
END_TEST

START_TEST(test_mdq)
{
	unsigned char sha1[UTIL_SHA1_LEN], digest[UTIL_SHA256_LEN];
	char hex[2 * UTIL_SHA1_LEN + 1], hex256[2 * UTIL_SHA256_LEN + 1];
	char target[256], etag[80], inm[200];
	char *enc = util_url_encode(IDP);
	struct resp r;

	ck_assert_ptr_nonnull(strstr(enc, "%2F")); /* the case libmicrohttpd would mangle */
	snprintf(target, sizeof(target), "/entities/%s", enc);
	get(target, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, idp_xml);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "application/samlmetadata+xml");
	ck_assert_str_eq(hdr(&r, "Cache-Control"), "max-age=3600");
	assert_security_headers(&r);
	util_sha256(idp_xml, strlen(idp_xml), digest);
	util_hex(digest, sizeof(digest), hex256);
	snprintf(etag, sizeof(etag), "\"%s\"", hex256);
	ck_assert_str_eq(hdr(&r, "ETag"), etag);
	resp_free(&r);

	/* If-None-Match: exact, weak form, in a list; a stale one gets the body */
	snprintf(inm, sizeof(inm), "If-None-Match: %s\r\n", etag);
	request("GET", target, inm, &r);
	ck_assert_int_eq(r.status, 304);
	ck_assert_int_eq(r.len, 0);
	ck_assert_str_eq(hdr(&r, "ETag"), etag);
	resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: \"x\", W/%s\r\n", etag);
	request("GET", target, inm, &r);
	ck_assert_int_eq(r.status, 304);
	resp_free(&r);
	request("GET", target, "If-None-Match: \"stale\"\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);

	/* {sha1} form, lower and upper case, braces raw or encoded */
	util_sha1(IDP, strlen(IDP), sha1);
	util_hex(sha1, sizeof(sha1), hex);
	snprintf(target, sizeof(target), "/entities/{sha1}%s", hex);
	get(target, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, idp_xml);
	resp_free(&r);
	for (char *c = hex; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	snprintf(target, sizeof(target), "/entities/%%7Bsha1%%7D%s", hex);
	get(target, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, idp_xml);
	resp_free(&r);

	/* an entityID without characters to encode; HEAD */
	request("HEAD", "/entities/urn:x-tillit-test:sp", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.len, 0);
	ck_assert_int_eq(strtoul(hdr(&r, "Content-Length"), NULL, 10), strlen(sp_xml));
	resp_free(&r);

	/* unknown: by name and by hash; malformed encoding; NUL */
	get("/entities/https%3A%2F%2Fnobody.example.org%2Fidp", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "text/plain; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "404 Not Found"));
	resp_free(&r);
	get("/entities/{sha1}0000000000000000000000000000000000000000", &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	get("/entities/%zz", &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	get("/entities/a%00b", &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	free(enc);
}
END_TEST

START_TEST(test_accept)
{
	static const struct {
		const char *accept;
		int status;
		const char *type;
	} cases[] = {
		{ "Accept: application/samlmetadata+xml\r\n", 200, "application/samlmetadata+xml" },
		{ "Accept: */*\r\n", 200, "application/samlmetadata+xml" },
		{ "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n", 200,
		  "application/samlmetadata+xml" },
		{ "Accept: application/*\r\n", 200, "application/samlmetadata+xml" },
		{ "Accept: *\r\n", 200, "application/samlmetadata+xml" },
		{ "Accept: application/xml\r\n", 200, "application/xml" },
		{ "Accept: text/xml\r\n", 200, "text/xml" },
		{ "Accept: application/samlmetadata+xml;q=0, text/xml\r\n", 200, "text/xml" },
		{ "Accept: text/html\r\n", 406, "text/plain; charset=utf-8" },
		{ "Accept: application/json, */*;q=0\r\n", 406, "text/plain; charset=utf-8" },
	};
	struct resp r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		request("GET", "/entities/urn:x-tillit-test:sp", cases[i].accept, &r);
		ck_assert_msg(r.status == cases[i].status, "%s: %d", cases[i].accept, r.status);
		ck_assert_str_eq(hdr(&r, "Content-Type"), cases[i].type);
		resp_free(&r);
	}
}
END_TEST

START_TEST(test_methods)
{
	struct resp r;

	request("DELETE", "/entities/urn:x-tillit-test:sp", NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(hdr(&r, "Allow"), "GET, HEAD");
	assert_security_headers(&r);
	resp_free(&r);
	request("PUT", "/metadata/federation.xml", "Content-Length: 0\r\n", &r);
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
	get("/nothing/here", &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	get("/entitiesX", &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

START_TEST(test_limits)
{
	char *url, *body, *req;
	struct resp r;
	int fd, n;

	/* a declared body over http_max_body is refused before it is read */
	fd = client_connect();
	n = asprintf(&req, "POST /entities/x HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n",
	             MAX_BODY + 1);
	client_send(fd, req, (size_t)n);
	client_read(fd, 0, &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.body, "4096"));
	resp_free(&r);
	free(req);
	close(fd);

	/* a chunked body past the limit ends the connection without a 2xx */
	fd = client_connect();
	body = malloc(2 * MAX_BODY);
	memset(body, 'a', 2 * MAX_BODY);
	n = asprintf(&req, "POST /entities/x HTTP/1.1\r\nHost: test\r\n"
	                   "Transfer-Encoding: chunked\r\n\r\n%x\r\n", 2 * MAX_BODY);
	client_send(fd, req, (size_t)n);
	client_send(fd, body, 2 * MAX_BODY);
	client_send(fd, "\r\n0\r\n\r\n", 7);
	client_read(fd, 0, &r);
	ck_assert_int_eq(r.status, 0);
	resp_free(&r);
	free(req);
	free(body);
	close(fd);

	/* a body within the limit is read, then the method is refused (keep-alive) */
	fd = client_connect();
	n = asprintf(&req, "POST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n"
	                   "0123456789GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
	client_send(fd, req, (size_t)n);
	client_read(fd, 0, &r);
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
	client_read(fd, 0, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	free(req);
	close(fd);

	/* a URL over HTTP_URL_MAX */
	url = malloc(HTTP_URL_MAX + 64);
	memcpy(url, "/entities/", 10);
	memset(url + 10, 'a', HTTP_URL_MAX);
	url[HTTP_URL_MAX + 10] = '\0';
	get(url, &r);
	ck_assert_int_eq(r.status, 414);
	assert_security_headers(&r);
	resp_free(&r);

	/*
	 * the longest target served, with 16 KB of headers besides (browsers
	 * send a few KB): both fit in libmicrohttpd's per-connection memory,
	 * and the request reaches the handler (an unknown entity: our 404)
	 */
	url[HTTP_URL_MAX] = '\0';
	{
		struct buf b;
		char line[1024];
		int cfd = client_connect();
		memset(line, 'c', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		buf_init(&b, HTTP_URL_MAX + 32 * 1024);
		buf_cat(&b, "GET ", url, " HTTP/1.1\r\nHost: test\r\n", (char *)NULL);
		for (int i = 0; i < 16; i++)
			buf_printf(&b, "X-Pad-%d: %s\r\n", i, line + 12);
		ck_assert_int_eq(buf_puts(&b, "\r\n"), TL_OK);
		ck_assert_uint_gt(b.len, HTTP_URL_MAX + 16 * 1000);
		client_send(cfd, b.data, b.len);
		client_read(cfd, 0, &r);
		ck_assert_int_eq(r.status, 404);
		assert_security_headers(&r);
		resp_free(&r);
		buf_free(&b);
		close(cfd);
	}
	free(url);
}
END_TEST

START_TEST(test_keepalive)
{
	static const char two[] = "GET /entities/urn:x-tillit-test:sp HTTP/1.1\r\nHost: test\r\n\r\n"
	                          "GET /entities/urn:x-tillit-test:sp HTTP/1.1\r\nHost: test\r\n\r\n";
	struct resp r;
	int fd = client_connect();

	client_send(fd, two, strlen(two));
	for (int i = 0; i < 2; i++) {
		client_read(fd, 0, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(r.body, sp_xml);
		ck_assert_ptr_null(hdr(&r, "Connection")); /* not "close" */
		resp_free(&r);
	}
	close(fd);
}
END_TEST

/* tillitctl commits in another process; the server follows without a restart. */
START_TEST(test_follow_store)
{
	static const char v2[] = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	                         "entityID=\"" SP "\" ID=\"v2\"/>\n";
	static const char later[] = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	                            "entityID=\"https://later.example.org/sp\"/>\n";
	struct resp r;
	char etag[128];

	get("/entities/https%3A%2F%2Flater.example.org%2Fsp", &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	seed("https://later.example.org/sp", later);
	get("/entities/https%3A%2F%2Flater.example.org%2Fsp", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, later);
	resp_free(&r);

	get("/entities/urn:x-tillit-test:sp", &r);
	snprintf(etag, sizeof(etag), "%s", hdr(&r, "ETag"));
	resp_free(&r);
	seed(SP, v2);
	get("/entities/urn:x-tillit-test:sp", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, v2);
	ck_assert_str_ne(hdr(&r, "ETag"), etag);
	resp_free(&r);

	withdraw(SP);
	get("/entities/urn:x-tillit-test:sp", &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

static unsigned long long metric(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p += n;
	}
	ck_abort_msg("no metric %s in:\n%s", series, text);
	return 0;
}

START_TEST(test_metrics)
{
	struct resp r;
	char inm[200];

	get("/entities/urn:x-tillit-test:sp", &r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s\r\n", hdr(&r, "ETag"));
	resp_free(&r);
	get("/entities/urn:x-tillit-test:sp", &r);
	resp_free(&r);
	request("GET", "/entities/urn:x-tillit-test:sp", inm, &r);
	resp_free(&r);
	get("/entities/urn:nobody", &r);
	resp_free(&r);
	get("/healthz", &r);
	resp_free(&r);
	request("DELETE", "/healthz", NULL, &r);
	resp_free(&r);
	get("/nowhere", &r);
	resp_free(&r);

	get("/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(hdr(&r, "Content-Type"), "text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE tillit_http_requests_total counter\n"));
	ck_assert_int_eq(metric(r.body, "tillit_mdq_lookups_total{result=\"hit\"}"), 2);
	ck_assert_int_eq(metric(r.body, "tillit_mdq_lookups_total{result=\"miss\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_mdq_lookups_total{result=\"not_modified\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"mdq\",status=\"2xx\"}"), 2);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"mdq\",status=\"3xx\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"mdq\",status=\"4xx\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"healthz\",status=\"2xx\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"healthz\",status=\"4xx\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_requests_total{route=\"other\",status=\"4xx\"}"), 1);
	ck_assert_int_eq(metric(r.body, "tillit_http_response_body_bytes_total") >=
	                 2 * strlen(sp_xml) + 3, 1);
	resp_free(&r);
}
END_TEST

START_TEST(test_listen_errors)
{
	static const char *const bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000",
	                                   "::1:80", "[::1]80", "host.example:80", ":80" };
	struct http_server *other = NULL;
	struct tl_err err;
	char addr[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(http_start(&other, &ctx, bad[i], &err) == TL_EUSAGE, "%s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, bad[i]));
		ck_assert_ptr_null(other);
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", http_port(srv));
	ck_assert_int_eq(http_start(&other, &ctx, addr, &err), TL_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, addr));
	ck_assert_ptr_nonnull(strstr(err.msg, "in use"));
	ck_assert_ptr_null(other);

	ctx.conf.http_threads = ctx.conf.http_max_connections + 1;
	ck_assert_int_eq(http_start(&other, &ctx, "127.0.0.1:0", &err), TL_ECONF);
	ck_assert_ptr_nonnull(strstr(err.msg, "http_threads"));
	ck_assert_ptr_null(other);
	ctx.conf.http_threads = 2;

	/* IPv6 where the host has it */
	if (http_start(&other, &ctx, "[::1]:0", &err) == TL_OK) {
		ck_assert_int_gt(http_port(other), 0);
		http_stop(other);
	} else {
		ck_assert_int_eq(err.code, TL_EIO);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_healthz);
	tcase_add_test(tc, test_readyz);
	tcase_add_test(tc, test_aggregate);
	tcase_add_test(tc, test_mdq);
	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_follow_store);
	tcase_add_test(tc, test_metrics);
	tcase_add_test(tc, test_listen_errors);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
