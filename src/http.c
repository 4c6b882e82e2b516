/*
 * http.c - tillitd's HTTP server: routing, limits, the aggregate, MDQ,
 * health and metrics, over libmicrohttpd.
 *
 * Request life cycle (libmicrohttpd 0.9.75):
 *  1. http_uri_log() gets the request target exactly as sent, before
 *     libmicrohttpd unescapes it, and allocates the request (one malloc,
 *     the raw target stored inline); http_completed() frees it.
 *  2. http_access() is called once with the headers (routing, the
 *     Content-Length limit), once per body chunk (counted against
 *     http_max_body and discarded: no route takes a body yet), and a last
 *     time, when the response is queued.  Queueing on the first call would
 *     make libmicrohttpd close the connection after every response.
 *  3. Handlers answer through http_queue(), which adds the security
 *     headers, counts the request and writes the debug log line.
 *
 * To add a route, add a handler and a line to http_routes[] (POST routes:
 * collect the body in step 2 into a struct buf bounded by http_max_body).
 */
#include "tillit/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tillit/api.h"
#include "tillit/buf.h"
#include "tillit/hub.h"
#include "tillit/log.h"
#include "tillit/pub.h"
#include "tillit/store.h"
#include "tillit/util.h"

#define HTTP_CT_SAMLMD "application/samlmetadata+xml"
#define HTTP_CT_TEXT "text/plain; charset=utf-8"
#define HTTP_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_METRICS_MAX (64 * 1024)
#define HTTP_ERROR_BODY_MAX 512
#define HTTP_ETAG_MAX 96
#define HTTP_ENTITIES "/entities"
#define HTTP_SHA1_PREFIX "{sha1}"

/* Routes as counted in the metrics; HR_OTHER is everything unrouted. */
enum http_route_id { HR_AGGREGATE, HR_MDQ, HR_HEALTHZ, HR_READYZ, HR_METRICS, HR_API,
	             HR_IDP_METADATA, HR_SP_METADATA, HR_SSO, HR_DS, HR_ACS, HR_OTHER, HR__COUNT };
static const char *const http_route_names[HR__COUNT] = {
	"aggregate", "mdq", "healthz", "readyz", "metrics", "api",
	"idp_metadata", "sp_metadata", "sso", "ds", "acs", "other",
};

/* Methods as bits, so that a route names the set it allows. */
enum { HM_GET = 1, HM_HEAD = 2, HM_POST = 4, HM_PUT = 8, HM_DELETE = 16, HM_PATCH = 32,
       HM_OPTIONS = 64 };
static const struct {
	const char *name;
	unsigned bit;
} http_methods[] = {
	{ "GET", HM_GET }, { "HEAD", HM_HEAD }, { "POST", HM_POST }, { "PUT", HM_PUT },
	{ "DELETE", HM_DELETE }, { "PATCH", HM_PATCH }, { "OPTIONS", HM_OPTIONS },
};
#define HTTP_NMETHODS (sizeof(http_methods) / sizeof(http_methods[0]))

/* Counters of one server (no global state); relaxed atomics, read by /metrics. */
struct http_metrics {
	atomic_ullong requests[HR__COUNT][5]; /* by route and status class 1xx..5xx */
	atomic_ullong mdq_hits;
	atomic_ullong mdq_misses;
	atomic_ullong mdq_not_modified;
	atomic_ullong body_bytes;             /* response bodies queued (not for HEAD) */
};

struct http_server {
	struct tl_ctx *ctx;
	struct MHD_Daemon *mhd;
	int port;
	unsigned long long max_body;     /* routes that take no body */
	unsigned long long api_max_body; /* the API's (evidence comes in it) */
	time_t started;
	char aggregate_path[CTX_PATH_MAX];
	char cache_control[48];
	struct http_metrics m;
};

struct http_req;
typedef enum MHD_Result (*http_handler_fn)(struct http_req *req);

struct http_route {
	const char *path; /* the exact path, or a prefix when it ends in '/' */
	unsigned methods; /* HM_* bits allowed */
	enum http_route_id id;
	http_handler_fn handler;
	int body;         /* the handler reads the request body (collected in req->body):
	                   * HTTP_BODY_API up to api_max_body, HTTP_BODY_FORM up to http_max_body */
};
enum { HTTP_BODY_NONE, HTTP_BODY_API, HTTP_BODY_FORM };

/* One request: owned by libmicrohttpd's *con_cls from http_uri_log() to http_completed(). */
struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const struct http_route *route;
	const char *method;           /* libmicrohttpd's, valid for the request */
	unsigned mbit;                /* HM_* bit of method, 0 if unknown */
	int started;                  /* the headers call has been seen */
	int too_long;                 /* the target exceeded HTTP_URL_MAX (uri is empty) */
	int answered;                 /* a response is queued */
	unsigned long long body_len;  /* request body bytes received */
	unsigned long long body_max;  /* the route's limit */
	struct buf body;              /* the body, for routes that read it */
	size_t path_len;              /* bytes of uri before '?' */
	char uri[];                   /* the request target as sent, NUL-terminated */
};

static enum MHD_Result http_aggregate(struct http_req *req);
static enum MHD_Result http_mdq(struct http_req *req);
static enum MHD_Result http_healthz(struct http_req *req);
static enum MHD_Result http_readyz(struct http_req *req);
static enum MHD_Result http_metrics_page(struct http_req *req);
static enum MHD_Result http_api(struct http_req *req);
static enum MHD_Result http_hub(struct http_req *req);

static const struct http_route http_routes[] = {
	{ "/metadata/federation.xml", HM_GET | HM_HEAD, HR_AGGREGATE, http_aggregate, 0 },
	{ HTTP_ENTITIES, HM_GET | HM_HEAD, HR_MDQ, http_mdq, 0 },
	{ HTTP_ENTITIES "/", HM_GET | HM_HEAD, HR_MDQ, http_mdq, 0 },
	{ "/healthz", HM_GET | HM_HEAD, HR_HEALTHZ, http_healthz, 0 },
	{ "/readyz", HM_GET | HM_HEAD, HR_READYZ, http_readyz, 0 },
	{ "/metrics", HM_GET | HM_HEAD, HR_METRICS, http_metrics_page, 0 },
	{ API_PREFIX "/", HM_GET | HM_POST | HM_PUT | HM_DELETE, HR_API, http_api, HTTP_BODY_API },
	{ HUB_PATH_IDP_METADATA, HM_GET | HM_HEAD, HR_IDP_METADATA, http_hub, HTTP_BODY_NONE },
	{ HUB_PATH_SP_METADATA, HM_GET | HM_HEAD, HR_SP_METADATA, http_hub, HTTP_BODY_NONE },
	{ HUB_PATH_SSO, HM_GET | HM_POST, HR_SSO, http_hub, HTTP_BODY_FORM },
	{ HUB_PATH_DS, HM_GET, HR_DS, http_hub, HTTP_BODY_NONE },
	{ HUB_PATH_ACS, HM_POST, HR_ACS, http_hub, HTTP_BODY_FORM },
};
#define HTTP_NROUTES (sizeof(http_routes) / sizeof(http_routes[0]))

/* ---- helpers ---------------------------------------------------------- */

static void http_count(atomic_ullong *c, unsigned long long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long long http_read(atomic_ullong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static const struct http_route *http_route_find(const char *path, size_t len)
{
	for (size_t i = 0; i < HTTP_NROUTES; i++) {
		const struct http_route *r = &http_routes[i];
		size_t n = strlen(r->path);
		if (r->path[n - 1] == '/') {
			if (len >= n && memcmp(path, r->path, n) == 0)
				return r;
		} else if (len == n && memcmp(path, r->path, n) == 0) {
			return r;
		}
	}
	return NULL;
}

static unsigned http_method_bit(const char *method)
{
	for (size_t i = 0; i < HTTP_NMETHODS; i++)
		if (strcmp(method, http_methods[i].name) == 0)
			return http_methods[i].bit;
	return 0;
}

/* "GET, HEAD" for a set of HM_* bits. */
static void http_allow(unsigned methods, char *out, size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < HTTP_NMETHODS; i++) {
		if ((methods & http_methods[i].bit) == 0)
			continue;
		int n = snprintf(out + off, outlen - off, "%s%s", off ? ", " : "",
		                 http_methods[i].name);
		if (n < 0 || (size_t)n >= outlen - off)
			break;
		off += (size_t)n;
	}
}

/*
 * Does If-None-Match (a list of entity-tags or "*") match etag?  Weak
 * comparison, as RFC 9110 13.1.2 asks for If-None-Match.
 */
static int http_etag_match(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm;

	if (p == NULL)
		return 0;
	for (;;) {
		const char *end;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"') {
			p = strchr(p, ',');
			if (p == NULL)
				return 0;
			continue;
		}
		end = strchr(p + 1, '"');
		if (end == NULL)
			return 0;
		if ((size_t)(end - p + 1) == elen && memcmp(p, etag, elen) == 0)
			return 1;
		p = end + 1;
	}
}

/* Is this q parameter value zero ("0", "0.0", "0.000")? */
static int http_q_zero(const char *v, size_t n)
{
	if (n == 0 || v[0] != '0')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(i == 1 && v[i] == '.') && v[i] != '0')
			return 0;
	return 1;
}

/*
 * The media type to answer a metadata request with, given its Accept
 * header: ours (application/samlmetadata+xml) whenever it is acceptable,
 * else application/xml, else text/xml; NULL when none is (406).  Each type
 * takes the q of the most specific range that matches it (RFC 9110 12.5.1).
 */
static const char *http_negotiate(const char *accept)
{
	static const char *const types[] = { HTTP_CT_SAMLMD, "application/xml", "text/xml" };
	int spec[3] = { 0, 0, 0 }, ok[3] = { 0, 0, 0 };
	const char *p = accept;

	if (p == NULL || p[strspn(p, " \t")] == '\0')
		return types[0];
	while (*p != '\0') {
		const char *r, *re, *slash;
		int zero = 0;
		size_t rlen;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		r = p;
		p += strcspn(p, ";,");
		re = p;
		while (re > r && (re[-1] == ' ' || re[-1] == '\t'))
			re--;
		while (*p == ';') { /* parameters: only q matters */
			const char *v, *ve;
			p++;
			p += strspn(p, " \t");
			v = p;
			p += strcspn(p, ";,");
			ve = p;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ve - v >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
				zero = http_q_zero(v + 2, (size_t)(ve - v - 2));
		}
		rlen = (size_t)(re - r);
		if (rlen == 1 && r[0] == '*') { /* an old client's shorthand for * / * */
			r = "*/*";
			rlen = 3;
		}
		slash = memchr(r, '/', rlen);
		if (slash == NULL)
			continue;
		for (int i = 0; i < 3; i++) {
			size_t tlen = strlen(types[i]);
			int s = 0;
			if (rlen == 3 && memcmp(r, "*/*", 3) == 0)
				s = 1;
			else if (rlen >= 2 && r[rlen - 1] == '*' && slash == r + rlen - 2 &&
			         strncasecmp(r, types[i], rlen - 1) == 0)
				s = 2;
			else if (rlen == tlen && strncasecmp(r, types[i], tlen) == 0)
				s = 3;
			if (s > spec[i]) {
				spec[i] = s;
				ok[i] = !zero;
			}
		}
	}
	for (int i = 0; i < 3; i++)
		if (ok[i])
			return types[i];
	return NULL;
}

/* Does the (still encoded) identifier contain %00, which no entityID may hold? */
static int http_has_nul(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
			return 1;
	return 0;
}

/* ---- responses -------------------------------------------------------- */

/*
 * Add the headers every response carries, queue resp with status, count
 * and log the request.  Consumes resp (NULL: out of memory, the connection
 * is closed).  body_len is what the body holds, for the byte counter.
 */
static enum MHD_Result http_queue(struct http_req *req, unsigned status,
                                  struct MHD_Response *resp, unsigned long long body_len)
{
	struct http_server *srv = req->srv;
	enum http_route_id id = req->route ? req->route->id : HR_OTHER;
	enum MHD_Result ret = MHD_NO;
	int ok = 1;

	if (resp == NULL)
		goto out;
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES;
	if (MHD_get_response_header(resp, "Content-Security-Policy") == NULL)
		ok &= MHD_add_response_header(resp, "Content-Security-Policy",
		                              "default-src 'none'; frame-ancestors 'none'") == MHD_YES;
	if (ok)
		ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
out:
	if (ret == MHD_YES) {
		req->answered = 1;
		if (status >= 100 && status < 600)
			http_count(&srv->m.requests[id][status / 100 - 1], 1);
		if (req->mbit != HM_HEAD)
			http_count(&srv->m.body_bytes, body_len);
	}
	log_debug("http: %s %.*s %u%s", req->method ? req->method : "-",
	          req->too_long ? 10 : (int)req->path_len, req->too_long ? "(too long)" : req->uri,
	          status, ret == MHD_YES ? "" : " (not sent)");
	return ret;
}

/* A short text/plain response (copied). */
static struct MHD_Response *http_text(const char *text, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                                             HTTP_CT_TEXT) != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

/* Format the one-line body of an error page: "404 Not Found: MESSAGE". */
static size_t http_error_body(char *out, size_t outlen, unsigned status, const char *fmt,
                              va_list ap)
{
	char msg[HTTP_ERROR_BODY_MAX];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *c = msg; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	n = snprintf(out, outlen, "%u %s: %s\n", status, MHD_get_reason_phrase_for(status), msg);
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

static enum MHD_Result http_error(struct http_req *req, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result http_error(struct http_req *req, unsigned status, const char *fmt, ...)
{
	char body[HTTP_ERROR_BODY_MAX + 64];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = http_error_body(body, sizeof(body), status, fmt, ap);
	va_end(ap);
	return http_queue(req, status, http_text(body, n), n);
}

/* An error from a module: the status comes from the one table in err.c. */
static enum MHD_Result http_fail(struct http_req *req, int code, const char *what)
{
	return http_error(req, tl_http_status(code), "%s (%s)", what, tl_strerror(code));
}

/* 304 Not Modified with the validators and caching headers the 200 would carry. */
static enum MHD_Result http_not_modified(struct http_req *req, const char *etag,
                                         const char *last_modified)
{
	struct MHD_Response *resp;
	int ok = 1;

	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return http_queue(req, MHD_HTTP_NOT_MODIFIED, NULL, 0);
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                              req->srv->cache_control) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept") == MHD_YES;
	if (last_modified != NULL)
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
		                              last_modified) == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return http_queue(req, MHD_HTTP_NOT_MODIFIED, resp, 0);
}

/* Headers of a metadata document (200). */
static int http_metadata_headers(struct http_req *req, struct MHD_Response *resp,
                                 const char *type, const char *etag)
{
	int ok = 1;

	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                              req->srv->cache_control) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept") == MHD_YES;
	return ok;
}

static const char *http_header(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ---- handlers --------------------------------------------------------- */

/*
 * The published aggregate, from an fd.  The ETag comes from fstat() of the
 * same open file, so it always describes the bytes sent even while the
 * publisher renames a new file into place.
 */
static enum MHD_Result http_aggregate(struct http_req *req)
{
	struct http_server *srv = req->srv;
	struct MHD_Response *resp;
	const char *type;
	char etag[HTTP_ETAG_MAX], lastmod[64];
	struct stat sb;
	struct tm tm;
	int fd;

	type = http_negotiate(http_header(req, MHD_HTTP_HEADER_ACCEPT));
	if (type == NULL)
		return http_error(req, MHD_HTTP_NOT_ACCEPTABLE,
		                  "metadata is served as " HTTP_CT_SAMLMD);
	fd = open(srv->aggregate_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return http_error(req, MHD_HTTP_NOT_FOUND,
		                  "the federation metadata has not been published yet");
	if (fd < 0) {
		log_warn("http: cannot open %s: %s", srv->aggregate_path, strerror(errno));
		return http_fail(req, TL_EIO, "cannot read the published metadata");
	}
	if (fstat(fd, &sb) != 0) {
		log_warn("http: cannot stat %s: %s", srv->aggregate_path, strerror(errno));
		close(fd);
		return http_fail(req, TL_EIO, "cannot read the published metadata");
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx\"", (unsigned long long)sb.st_ino,
	         (unsigned long long)sb.st_size,
	         (unsigned long long)sb.st_mtim.tv_sec * 1000000000ULL +
	                 (unsigned long long)sb.st_mtim.tv_nsec);
	gmtime_r(&sb.st_mtim.tv_sec, &tm);
	strftime(lastmod, sizeof(lastmod), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (http_etag_match(http_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
		close(fd);
		return http_not_modified(req, etag, lastmod);
	}
	resp = MHD_create_response_from_fd((size_t)sb.st_size, fd); /* owns fd from here */
	if (resp == NULL) {
		close(fd);
		return http_queue(req, MHD_HTTP_OK, NULL, 0);
	}
	if (!http_metadata_headers(req, resp, type, etag) ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod) != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return http_queue(req, MHD_HTTP_OK, resp, (unsigned long long)sb.st_size);
}

/*
 * MDQ: /entities/{percent-encoded entityID} or /entities/{sha1}HEX.  The
 * identifier is taken from the target as sent: libmicrohttpd would have
 * turned %2F into a path separator.  The document is copied out of the
 * read transaction, which ends before the response is queued.
 */
static enum MHD_Result http_mdq(struct http_req *req)
{
	struct http_server *srv = req->srv;
	const char *id = req->uri + strlen(HTTP_ENTITIES), *type;
	size_t idlen = req->path_len - strlen(HTTP_ENTITIES), dlen;
	unsigned char sha1[UTIL_SHA1_LEN];
	char etag[HTTP_ETAG_MAX];
	char *decoded = NULL;
	struct MHD_Response *resp = NULL;
	struct store_txn txn;
	struct pub_doc doc;
	struct tl_err err;
	enum MHD_Result ret;
	int by_hash = 0, rc, in_txn = 0;

	if (idlen > 0) { /* the '/' of "/entities/" */
		id++;
		idlen--;
	}
	if (idlen == 0)
		return http_aggregate(req);
	type = http_negotiate(http_header(req, MHD_HTTP_HEADER_ACCEPT));
	if (type == NULL) {
		ret = http_error(req, MHD_HTTP_NOT_ACCEPTABLE,
		                 "metadata is served as " HTTP_CT_SAMLMD);
		goto out;
	}
	if (http_has_nul(id, idlen) || (decoded = util_url_decode(id, idlen)) == NULL) {
		ret = http_error(req, MHD_HTTP_BAD_REQUEST,
		                 "the entity identifier is not validly percent-encoded");
		goto out;
	}
	dlen = strlen(decoded);
	if (dlen == strlen(HTTP_SHA1_PREFIX) + 2 * UTIL_SHA1_LEN &&
	    memcmp(decoded, HTTP_SHA1_PREFIX, strlen(HTTP_SHA1_PREFIX)) == 0 &&
	    util_unhex(decoded + strlen(HTTP_SHA1_PREFIX), sha1, UTIL_SHA1_LEN) == 0)
		by_hash = 1;
	else
		util_sha1(decoded, dlen, sha1);

	rc = store_txn_begin(srv->ctx->store, &txn, 1, &err);
	if (rc != TL_OK) {
		log_warn("http: %s", err.msg);
		ret = http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "the registry is not available");
		goto out;
	}
	in_txn = 1;
	rc = pub_mdq_get(&txn, sha1, &doc);
	if (rc == TL_OK && !by_hash &&
	    (doc.entity_id_len != dlen || memcmp(doc.entity_id, decoded, dlen) != 0))
		rc = TL_ENOENT; /* another entityID with the same SHA-1 */
	if (rc == TL_ENOENT) {
		http_count(&srv->m.mdq_misses, 1);
		ret = http_error(req, MHD_HTTP_NOT_FOUND, "no such entity is published here");
		goto out;
	}
	if (rc != TL_OK) {
		log_warn("http: MDQ record of %.*s cannot be read (%s)", (int)dlen, decoded,
		         tl_strerror(rc));
		ret = http_fail(req, rc, "the MDQ record cannot be read");
		goto out;
	}
	snprintf(etag, sizeof(etag), "%s", doc.etag);
	if (http_etag_match(http_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
		store_abort(&txn);
		in_txn = 0;
		http_count(&srv->m.mdq_not_modified, 1);
		ret = http_not_modified(req, etag, NULL);
		goto out;
	}
	/* The LMDB page is only valid while txn is open: copy. */
	resp = MHD_create_response_from_buffer(doc.len, (void *)(uintptr_t)doc.body,
	                                       MHD_RESPMEM_MUST_COPY);
	store_abort(&txn);
	in_txn = 0;
	if (resp != NULL && !http_metadata_headers(req, resp, type, etag)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	http_count(&srv->m.mdq_hits, 1);
	ret = http_queue(req, MHD_HTTP_OK, resp, doc.len);
out:
	if (in_txn)
		store_abort(&txn);
	free(decoded);
	return ret;
}

static enum MHD_Result http_plain(struct http_req *req, unsigned status, const char *text)
{
	struct MHD_Response *resp = http_text(text, strlen(text));

	if (resp != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                                             "no-store") != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return http_queue(req, status, resp, strlen(text));
}

static enum MHD_Result http_healthz(struct http_req *req)
{
	return http_plain(req, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result http_readyz(struct http_req *req)
{
	struct store_txn txn;
	struct tl_err err;
	struct stat sb;
	char body[HTTP_ERROR_BODY_MAX + 64];

	if (store_txn_begin(req->srv->ctx->store, &txn, 1, &err) != TL_OK) {
		snprintf(body, sizeof(body), "not ready: %s\n", err.msg);
		return http_plain(req, MHD_HTTP_SERVICE_UNAVAILABLE, body);
	}
	store_abort(&txn);
	if (stat(req->srv->aggregate_path, &sb) != 0)
		return http_plain(req, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  "not ready: nothing has been published yet (run tillitctl publish)\n");
	return http_plain(req, MHD_HTTP_OK, "ready\n");
}

static enum MHD_Result http_metrics_page(struct http_req *req)
{
	struct http_metrics *m = &req->srv->m;
	struct MHD_Response *resp = NULL;
	struct buf b;
	size_t len = 0;
	char *text;
	int rc = TL_OK;

	buf_init(&b, HTTP_METRICS_MAX);
	rc |= buf_puts(&b, "# HELP tillit_http_requests_total HTTP requests answered, "
	                   "by route and status class.\n"
	                   "# TYPE tillit_http_requests_total counter\n");
	for (int r = 0; r < HR__COUNT; r++)
		for (int c = 0; c < 5; c++)
			rc |= buf_printf(&b, "tillit_http_requests_total{route=\"%s\",status=\"%dxx\"} %llu\n",
			                 http_route_names[r], c + 1, http_read(&m->requests[r][c]));
	rc |= buf_printf(&b,
	                 "# HELP tillit_mdq_lookups_total MDQ lookups of one entity, by result.\n"
	                 "# TYPE tillit_mdq_lookups_total counter\n"
	                 "tillit_mdq_lookups_total{result=\"hit\"} %llu\n"
	                 "tillit_mdq_lookups_total{result=\"miss\"} %llu\n"
	                 "tillit_mdq_lookups_total{result=\"not_modified\"} %llu\n"
	                 "# HELP tillit_http_response_body_bytes_total Bytes of response bodies "
	                 "sent (HEAD excluded).\n"
	                 "# TYPE tillit_http_response_body_bytes_total counter\n"
	                 "tillit_http_response_body_bytes_total %llu\n"
	                 "# HELP tillit_http_start_time_seconds When this server started, "
	                 "in seconds since the epoch.\n"
	                 "# TYPE tillit_http_start_time_seconds gauge\n"
	                 "tillit_http_start_time_seconds %lld\n",
	                 http_read(&m->mdq_hits), http_read(&m->mdq_misses),
	                 http_read(&m->mdq_not_modified), http_read(&m->body_bytes),
	                 (long long)req->srv->started);
	if (req->srv->ctx->hub != NULL) {
		struct hub_stats hs;
		hub_get_stats(req->srv->ctx->hub, &hs);
		rc |= buf_printf(&b,
		                 "# HELP tillit_sso_logins_total Assertions the SSO hub issued to services.\n"
		                 "# TYPE tillit_sso_logins_total counter\n"
		                 "tillit_sso_logins_total %llu\n"
		                 "# HELP tillit_sso_errors_sent_total SAML error Responses sent to services.\n"
		                 "# TYPE tillit_sso_errors_sent_total counter\n"
		                 "tillit_sso_errors_sent_total %llu\n"
		                 "# HELP tillit_sso_refused_total Messages the SSO hub refused with an error page.\n"
		                 "# TYPE tillit_sso_refused_total counter\n"
		                 "tillit_sso_refused_total %llu\n"
		                 "# HELP tillit_sso_provider_loads_total Providers loaded into lasso (cache misses).\n"
		                 "# TYPE tillit_sso_provider_loads_total counter\n"
		                 "tillit_sso_provider_loads_total %llu\n"
		                 "# HELP tillit_sso_providers Providers the SSO hub holds loaded now.\n"
		                 "# TYPE tillit_sso_providers gauge\n"
		                 "tillit_sso_providers %llu\n",
		                 hs.logins, hs.errors_sent, hs.refused, hs.provider_loads, hs.providers);
	}
	if (rc != TL_OK) {
		buf_free(&b);
		return http_fail(req, TL_ENOMEM, "metrics");
	}
	text = buf_steal(&b, &len);
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
	} else if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                                   HTTP_CT_METRICS) != MHD_YES ||
	           MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	                                   "no-store") != MHD_YES) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return http_queue(req, MHD_HTTP_OK, resp, len);
}

/* The JSON API: the request is handed to api.c as it was sent. */
static enum MHD_Result http_api(struct http_req *req)
{
	struct api_request rq;
	struct api_response rs;
	struct MHD_Response *resp;
	const char *q = memchr(req->uri, '?', strlen(req->uri));

	memset(&rq, 0, sizeof(rq));
	rq.method = req->method;
	rq.path = req->uri + strlen(API_PREFIX);
	rq.path_len = req->path_len - strlen(API_PREFIX);
	rq.query = q ? q + 1 : NULL;
	rq.authorization = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	rq.body = req->body.data;
	rq.body_len = req->body.len;
	api_handle(req->srv->ctx, &rq, &rs);
	if (rs.body == NULL)
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	resp = MHD_create_response_from_buffer(rs.len, rs.body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(rs.body);
		return http_queue(req, rs.status, NULL, 0);
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    (rs.status == MHD_HTTP_UNAUTHORIZED &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"tillit\"") != MHD_YES)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return http_queue(req, rs.status, resp, rs.len);
}

/* The SSO hub's routes: the request is handed to hub.c with its raw query. */
static enum MHD_Result http_hub(struct http_req *req)
{
	static const enum hub_route map[HR__COUNT] = {
		[HR_IDP_METADATA] = HUB_IDP_METADATA, [HR_SP_METADATA] = HUB_SP_METADATA,
		[HR_SSO] = HUB_SSO, [HR_DS] = HUB_DS, [HR_ACS] = HUB_ACS,
	};
	struct hub *hub = req->srv->ctx->hub;
	struct hub_request rq;
	struct hub_response rs;
	struct MHD_Response *resp;
	const char *q = memchr(req->uri, '?', strlen(req->uri));
	const union MHD_ConnectionInfo *ci;
	char client[64] = "-";
	int ok = 1;

	if (hub == NULL)
		return http_error(req, MHD_HTTP_NOT_FOUND, "this server runs no SSO hub");
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
			          sizeof(client));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
			          sizeof(client));
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = req->method;
	rq.query = q ? q + 1 : NULL;
	rq.body = req->body.data;
	rq.body_len = req->body.len;
	rq.cookie = http_header(req, MHD_HTTP_HEADER_COOKIE);
	rq.accept_language = http_header(req, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	rq.client = client;
	hub_handle(hub, map[req->route->id], &rq, &rs);
	if (rs.body == NULL) {
		hub_response_free(&rs);
		return http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	}
	resp = MHD_create_response_from_buffer(rs.len, rs.body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		hub_response_free(&rs);
		return http_queue(req, rs.status, NULL, 0);
	}
	rs.body = NULL; /* libmicrohttpd frees it */
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs.content_type) == MHD_YES;
	if (rs.location != NULL)
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rs.location) == MHD_YES;
	if (rs.set_cookie != NULL)
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rs.set_cookie) == MHD_YES;
	if (rs.csp != NULL)
		ok &= MHD_add_response_header(resp, "Content-Security-Policy", rs.csp) == MHD_YES;
	if (rs.no_store) {
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_PRAGMA, "no-cache") == MHD_YES;
	} else {
		ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		                              req->srv->cache_control) == MHD_YES;
	}
	ok &= MHD_add_response_header(resp, "X-Frame-Options", "DENY") == MHD_YES;
	if (strncmp(req->srv->ctx->conf.base_url, "https://", 8) == 0)
		ok &= MHD_add_response_header(resp, "Strict-Transport-Security",
		                              "max-age=31536000") == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	{
		unsigned status = rs.status;
		size_t len = rs.len;
		hub_response_free(&rs);
		return http_queue(req, status, resp, len);
	}
}

/* ---- libmicrohttpd callbacks ----------------------------------------- */

/* Step 1: the target as sent (before libmicrohttpd unescapes it in place). */
static void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	size_t n = strlen(uri), keep = n > HTTP_URL_MAX ? 0 : n;
	struct http_req *req;
	const char *q;

	req = malloc(sizeof(*req) + keep + 1);
	if (req == NULL)
		return NULL;
	memset(req, 0, sizeof(*req));
	req->srv = cls;
	req->conn = conn;
	req->too_long = n > HTTP_URL_MAX;
	memcpy(req->uri, uri, keep);
	req->uri[keep] = '\0';
	q = memchr(req->uri, '?', keep);
	req->path_len = q ? (size_t)(q - req->uri) : keep;
	return req;
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode why)
{
	struct http_req *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (req != NULL)
		buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_data_size,
                                   void **con_cls)
{
	struct http_server *srv = cls;
	struct http_req *req = *con_cls;
	char allow[64], body[HTTP_ERROR_BODY_MAX];
	struct MHD_Response *resp;
	const char *cl;
	size_t n;

	(void)conn; /* the same as req->conn */
	(void)url; /* unescaped by libmicrohttpd: req->uri is used instead */
	(void)version;
	if (req == NULL)
		return MHD_NO; /* out of memory in http_uri_log: drop the connection */
	if (!req->started) {
		req->started = 1;
		req->method = method;
		req->mbit = http_method_bit(method);
		if (!req->too_long)
			req->route = http_route_find(req->uri, req->path_len);
		req->body_max = req->route != NULL && req->route->body == HTTP_BODY_API ? srv->api_max_body
		                                                                        : srv->max_body;
		buf_init(&req->body, (size_t)req->body_max);
		cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			char *end;
			unsigned long long len;
			errno = 0;
			len = strtoull(cl, &end, 10);
			/* Answer before reading the body (the connection is then closed). */
			if (cl[0] >= '0' && cl[0] <= '9' && *end == '\0' &&
			    (errno == ERANGE || len > req->body_max))
				return http_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
				                  "the request body is larger than %llu bytes",
				                  req->body_max);
		}
		return MHD_YES;
	}
	if (req->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		req->body_len += *upload_data_size;
		if (req->route != NULL && req->route->body && req->body_len <= req->body_max &&
		    buf_append(&req->body, upload_data, *upload_data_size) != TL_OK)
			return MHD_NO; /* out of memory */
		*upload_data_size = 0;
		if (req->body_len > req->body_max) {
			/*
			 * A body without Content-Length (chunked) past the limit:
			 * libmicrohttpd 0.9.75 cannot queue a response while the body
			 * is still arriving, and reading on is what the limit is to
			 * prevent, so the connection is dropped.
			 */
			log_debug("http: %s %.*s: body over %llu bytes, connection dropped", method,
			          (int)req->path_len, req->uri, req->body_max);
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (req->too_long)
		return http_error(req, MHD_HTTP_URI_TOO_LONG, "the URL is longer than %d bytes",
		                  HTTP_URL_MAX);
	if (req->route == NULL)
		return http_error(req, MHD_HTTP_NOT_FOUND, "no such resource");
	if ((req->mbit & req->route->methods) == 0) {
		http_allow(req->route->methods, allow, sizeof(allow));
		n = (size_t)snprintf(body, sizeof(body), "405 %s: use %s\n",
		                     MHD_get_reason_phrase_for(MHD_HTTP_METHOD_NOT_ALLOWED), allow);
		resp = http_text(body, n);
		if (resp != NULL &&
		    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES) {
			MHD_destroy_response(resp);
			resp = NULL;
		}
		return http_queue(req, MHD_HTTP_METHOD_NOT_ALLOWED, resp, n);
	}
	return req->route->handler(req);
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[1024];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("libmicrohttpd: %s", line);
}

/* ---- start and stop -------------------------------------------------- */

/* "ADDR:PORT", "[ADDR6]:PORT" or "localhost:PORT" into a socket address. */
static int http_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
                             struct tl_err *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h, *he, *port;
	char *end;
	long p;
	int v6 = 0;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		h = spec + 1;
		he = strchr(h, ']');
		if (he == NULL || he[1] != ':')
			goto bad;
		port = he + 2;
		v6 = 1;
	} else {
		h = spec;
		he = strrchr(spec, ':');
		if (he == NULL || memchr(h, ':', (size_t)(he - h)) != NULL)
			goto bad;
		port = he + 1;
	}
	if ((size_t)(he - h) >= sizeof(host) || he == h)
		goto bad;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (port[0] < '0' || port[0] > '9')
		goto bad;
	errno = 0;
	p = strtol(port, &end, 10);
	if (*end != '\0' || errno != 0 || p < 0 || p > 65535)
		goto bad;
	if (!v6 && strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*s4);
	}
	return TL_OK;
bad:
	return tl_err_set(err, TL_EUSAGE,
	                  "listen address '%s' is not IPV4:PORT or [IPV6]:PORT", spec);
}

int http_check_listen(const char *listen_addr, struct tl_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;

	return http_parse_listen(listen_addr, &ss, &sslen, err);
}

int http_start(struct http_server **out, struct tl_ctx *ctx, const char *listen_addr,
               struct tl_err *err)
{
	const struct conf *c = &ctx->conf;
	struct http_server *srv = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	unsigned flags;
	int fd = -1, on = 1, rc;

	*out = NULL;
	rc = http_parse_listen(listen_addr, &ss, &sslen, err);
	if (rc != TL_OK)
		goto out;
	if (c->http_threads > c->http_max_connections) { /* libmicrohttpd would refuse */
		rc = tl_err_set(err, TL_ECONF, "http_threads (%lld) exceeds http_max_connections (%lld)",
		                c->http_threads, c->http_max_connections);
		goto out;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory starting the HTTP server");
		goto out;
	}
	srv->ctx = ctx;
	srv->max_body = c->http_max_body;
	srv->api_max_body = api_max_body(ctx);
	srv->started = time(NULL);
	ctx_path(ctx, PUB_AGGREGATE_REL, srv->aggregate_path);
	snprintf(srv->cache_control, sizeof(srv->cache_control), "max-age=%lld", c->cache_duration);

	/* Our own socket, so that a failure names its reason (address in use ...). */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, HTTP_BACKLOG) != 0) {
		rc = tl_err_set(err, TL_EIO, "cannot listen on %s: %s", listen_addr, strerror(errno));
		goto out;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		rc = tl_err_set(err, TL_EIO, "cannot listen on %s: %s", listen_addr, strerror(errno));
		goto out;
	}
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                           : ((struct sockaddr_in *)&ss)->sin_port);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
	                                                                : MHD_USE_POLL;
	srv->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, http_access, srv,
		MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, srv, /* first, to catch every message */
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->http_threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->http_max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)c->http_per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->http_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, srv,
		MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv,
		MHD_OPTION_END);
	if (srv->mhd == NULL) {
		rc = tl_err_set(err, TL_EINTERNAL, "cannot start the HTTP server on %s", listen_addr);
		goto out;
	}
	fd = -1; /* libmicrohttpd closes it in MHD_stop_daemon() */
	*out = srv;
	srv = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(srv);
	return rc;
}

int http_port(const struct http_server *srv)
{
	return srv->port;
}

void http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	free(srv);
}
