/*
 * ssobench.c - tillit-ssobench: complete logins through a running tillitd
 * (its SSO hub), with this program playing the services and the member
 * IdPs, and the hub's CPU time per login read from /proc.
 *
 *   tillit-ssobench -d DIR --url URL --pid PID [--base-url URL] [--sps N] [--logins N] [--threads N]
 *
 * --url is where tillitd listens; --base-url its configured base_url (the
 * URLs in its messages), by default the same.
 *
 * Setup (in DIR, while tillitd runs; nothing is signed by the hub yet):
 * member "bench-sso" with N services (one shared key, unsigned
 * AuthnRequests, RequestedAttribute mail, eduPersonPrincipalName,
 * displayName; an agreement for mail and eduPersonPrincipalName each) and
 * two IdPs (lasso, their own keys), submitted and approved.
 *
 * One login: the service's AuthnRequest (HTTP-Redirect, naming the IdP
 * in Scoping) -> the hub's signed AuthnRequest to the IdP (302) -> the
 * IdP's signed Response (lasso) POSTed to the hub's ACS -> the hub's page
 * with the signed assertion for the service (200, checked: its form goes
 * to that service's ACS and holds a SAMLResponse).  Client threads keep
 * their connections alive.
 *
 * --unsigned-assertions: the services' metadata says WantAssertionsSigned="false"
 * (for a hub with sign_assertions = no).  --signatures N: each service's
 * first Response must hold N signatures (2: Response and assertion).
 *
 * Two passes: cold (each service's first login: the hub loads it from
 * the store) and warm (--logins more, services round-robin).  For each:
 * the hub's CPU (utime + stime of PID, less its maintenance thread's,
 * which is reported apart), logins/s and this program's CPU.
 * At the end the hub's VmRSS and VmHWM.  Output: one line per figure,
 * "name value unit".
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "../tests/peer.h"
#include "tillit/agr.h"
#include "tillit/ctx.h"
#include "tillit/hub.h"
#include "tillit/keys.h"
#include "tillit/log.h"
#include "tillit/md.h"
#include "tillit/reg.h"
#include "tillit/saml.h"
#include "tillit/util.h"

#define SB_RESP_MAX (4 << 20)
#define SB_SP_MAX 100000

struct sb {
	const char *dir, *url;
	const char *base;          /* the hub's base_url (its URLs in messages); default url */
	char host[256];
	int port;
	int pid;
	int nsps, logins, threads;
	int unsigned_assertions;   /* services whose metadata does not ask for signed assertions */
	int want_sigs;             /* signatures the hub's Response must hold (checked in the cold pass; 0: not) */
	char **sp_ids;
	struct peer idp[2];
	atomic_int next;
	atomic_int done, failed;
	int limit;
	char hub_idp[512];
};

/* ---- a small HTTP/1.1 client with keep-alive -------------------------------- */

struct conn {
	int fd;
	char *buf;
	size_t len;
};

static int conn_open(struct sb *b, struct conn *c)
{
	struct sockaddr_in sa;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)b->port);
	inet_pton(AF_INET, b->host, &sa.sin_addr);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "ssobench: cannot connect to %s:%d: %s\n", b->host, b->port, strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->buf == NULL)
		c->buf = malloc(SB_RESP_MAX + 1);
	c->len = 0;
	return c->buf ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One request; *status, *location (malloc'd or NULL) and the body in c->buf (NUL-terminated). */
static int http(struct sb *b, struct conn *c, const char *method, const char *target, const char *body,
                int *status, char **location, size_t *body_len)
{
	char head[1024];
	size_t blen = body ? strlen(body) : 0, have = 0, hlen, clen = 0;
	char *end = NULL, *p;
	int n;

	*location = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%zu\r\n\r\n", method, target,
		             b->host, b->port, body ? "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
		                                    : "Content-Length: ", blen);
		if ((c->fd >= 0 || conn_open(b, c) == 0) && write_all(c->fd, head, (size_t)n) == 0 &&
		    (body == NULL || write_all(c->fd, body, blen) == 0))
			break;
		close(c->fd);
		c->fd = -1;
		if (attempt == 1)
			return -1;
	}
	for (;;) {
		ssize_t r;
		if (end == NULL && have > 4) {
			c->buf[have] = '\0';
			end = strstr(c->buf, "\r\n\r\n");
			if (end != NULL) {
				hlen = (size_t)(end - c->buf) + 4;
				p = strcasestr(c->buf, "\r\nContent-Length:");
				clen = p && p < end ? strtoul(p + 17, NULL, 10) : 0;
				if (hlen + clen > SB_RESP_MAX)
					return -1;
			}
		}
		if (end != NULL && have >= hlen + clen)
			break;
		r = read(c->fd, c->buf + have, SB_RESP_MAX - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	*status = (int)strtol(c->buf + 9, NULL, 10);
	p = strcasestr(c->buf, "\r\nLocation: ");
	if (p != NULL && p < end) {
		char *e = strstr(p + 12, "\r\n");
		*location = strndup(p + 12, (size_t)(e - p - 12));
	}
	p = strcasestr(c->buf, "\r\nConnection: close");
	if (p != NULL && p < end) {
		close(c->fd);
		c->fd = -1;
	}
	memmove(c->buf, c->buf + hlen, clen);
	c->buf[clen] = '\0';
	*body_len = clen;
	return 0;
}

/* ---- messages ----------------------------------------------------------------- */

static char *sp_url(int i, char *out, size_t n)
{
	snprintf(out, n, "https://sp%d.bench.example.se", i);
	return out;
}

/* The service's AuthnRequest as an HTTP-Redirect query (malloc'd). */
static char *authn_request(struct sb *b, int sp, const char *idp)
{
	char xml[4096], id[33], when[32], url[128], *b64, *enc, *q;
	unsigned char raw[16], def[4096];
	z_stream zs;
	size_t n;

	util_random(raw, sizeof(raw), NULL);
	util_hex(raw, sizeof(raw), id);
	util_time_iso(util_now(), when, sizeof(when));
	sp_url(sp, url, sizeof(url));
	n = (size_t)snprintf(xml, sizeof(xml),
	                     "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
	                     "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_%s\" Version=\"2.0\" "
	                     "IssueInstant=\"%s\" Destination=\"%s/idp/sso\" AssertionConsumerServiceURL=\"%s/acs\" "
	                     "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">"
	                     "<saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy AllowCreate=\"true\" "
	                     "Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\"/>"
	                     "<samlp:Scoping><samlp:IDPList><samlp:IDPEntry ProviderID=\"%s\"/></samlp:IDPList>"
	                     "</samlp:Scoping></samlp:AuthnRequest>",
	                     id, when, b->base, url, b->sp_ids[sp], idp);
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)xml;
	zs.avail_in = (unsigned)n;
	zs.next_out = def;
	zs.avail_out = sizeof(def);
	deflate(&zs, Z_FINISH);
	n = zs.total_out;
	deflateEnd(&zs);
	b64 = util_base64(def, n);
	enc = util_url_encode(b64);
	n = strlen(enc) + 64;
	q = malloc(n);
	snprintf(q, n, "SAMLRequest=%s&RelayState=r%d", enc, sp);
	free(b64);
	free(enc);
	return q;
}

/* The ds:SignatureValue elements in the SAMLResponse of the hub's page (-1: none decodes). */
static int response_signatures(const char *page)
{
	char *b64 = peer_form_field(page, "SAMLResponse"), *xml = NULL;
	struct tl_err err;
	size_t len;
	int n = -1;

	if (b64 != NULL && saml_base64_decode(b64, strlen(b64), SAML_FIELD_MAX, &xml, &len, &err) == TL_OK) {
		n = 0;
		for (const char *p = xml; (p = strstr(p, "<ds:SignatureValue>")) != NULL; p++)
			n++;
	}
	free(xml);
	free(b64);
	return n;
}

static int one_login(struct sb *b, struct conn *c, int sp)
{
	struct peer *idp = &b->idp[sp % 2];
	char *q = authn_request(b, sp, idp->entity_id), *target, *loc = NULL, *body = NULL, want[160], url[128];
	size_t n = strlen(q) + 32, blen;
	int status = 0, rc = -1, sigs;

	target = malloc(n);
	snprintf(target, n, "/idp/sso?%s", q);
	if (http(b, c, "GET", target, NULL, &status, &loc, &blen) != 0 || status != 302 || loc == NULL ||
	    strchr(loc, '?') == NULL) {
		fprintf(stderr, "ssobench: /idp/sso answered %d: %.300s\n", status, c->buf ? c->buf : "");
		goto out;
	}
	if (peer_idp_respond(idp, strchr(loc, '?') + 1, "urn:oid:0.9.2342.19200300.100.1.3=user@bench.example.se\n"
	                     "urn:oid:1.3.6.1.4.1.5923.1.1.1.6=user@bench.example.se\n"
	                     "urn:oid:2.16.840.1.113730.3.1.241=Bench User\n",
	                     "bench-user", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
	                     3, &body, NULL) != 0)
		goto out;
	free(loc);
	loc = NULL;
	if (http(b, c, "POST", "/sp/acs", body, &status, &loc, &blen) != 0 || status != 200) {
		fprintf(stderr, "ssobench: /sp/acs answered %d: %.300s\n", status, c->buf ? c->buf : "");
		goto out;
	}
	snprintf(want, sizeof(want), "action=\"%s/acs\"", sp_url(sp, url, sizeof(url)));
	if (strstr(c->buf, want) == NULL || strstr(c->buf, "name=\"SAMLResponse\"") == NULL) {
		fprintf(stderr, "ssobench: the hub's page is not the assertion for service %d\n", sp);
		goto out;
	}
	if (b->want_sigs > 0 && (sigs = response_signatures(c->buf)) != b->want_sigs) {
		fprintf(stderr, "ssobench: the hub's Response to service %d holds %d signatures, not %d\n", sp, sigs,
		        b->want_sigs);
		goto out;
	}
	rc = 0;
out:
	free(q);
	free(target);
	free(loc);
	free(body);
	return rc;
}

static void *worker(void *arg)
{
	struct sb *b = arg;
	struct conn c = { -1, NULL, 0 };

	for (;;) {
		int i = atomic_fetch_add(&b->next, 1);
		if (i >= b->limit)
			break;
		if (one_login(b, &c, i % b->nsps) == 0)
			atomic_fetch_add(&b->done, 1);
		else
			atomic_fetch_add(&b->failed, 1);
	}
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return NULL;
}

/* ---- setup --------------------------------------------------------------------- */

static char *fetch(struct sb *b, const char *path)
{
	struct conn c = { -1, NULL, 0 };
	char *loc = NULL, *out = NULL;
	int status = 0;
	size_t n;

	if (http(b, &c, "GET", path, NULL, &status, &loc, &n) == 0 && status == 200)
		out = strndup(c.buf, n);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	free(loc);
	return out;
}

static int submit_approve(struct tl_ctx *ctx, const struct md_schema *schema, const char *id,
                          const char *md)
{
	json_t *o = NULL;
	struct tl_err err;
	int rc = reg_entity_submit(ctx, schema, "bench-sso", md, strlen(md), &o, &err);

	json_decref(o);
	if (rc != TL_OK) {
		fprintf(stderr, "ssobench: %s: %s\n", id, err.msg);
		return -1;
	}
	rc = reg_entity_decide(ctx, id, REG_APPROVE, NULL, NULL, &o, &err);
	json_decref(o);
	if (rc != TL_OK && rc != TL_ESTATE) {
		fprintf(stderr, "ssobench: %s: %s\n", id, err.msg);
		return -1;
	}
	return 0;
}

static int setup(struct sb *b)
{
	struct tl_ctx ctx;
	struct md_schema *schema = NULL;
	struct tl_err err;
	char path[4200], k[4300], crt[4300], url[128], id[160];
	char *key_pem = NULL, *cert_pem = NULL, *hub_sp;
	size_t n;
	json_t *o = NULL;
	struct peer_opts so = { .requested = "mail,eduPersonPrincipalName,displayName",
	                        .unsigned_assertions = b->unsigned_assertions };
	struct peer_opts io = { .scope = "bench.example.se" };
	const char *names[2] = { "mail", "eduPersonPrincipalName" };
	int rc = -1;

	if (ctx_open(&ctx, b->dir, &err) != TL_OK || md_schema_load(&schema, &err) != TL_OK) {
		fprintf(stderr, "ssobench: %s\n", err.msg);
		return -1;
	}
	snprintf(ctx.actor, sizeof(ctx.actor), "operator:ssobench");
	snprintf(path, sizeof(path), "%s/bench-peers", b->dir);
	util_mkdirs(path, 0700, &err);
	snprintf(k, sizeof(k), "%s/sp.key", path);
	snprintf(crt, sizeof(crt), "%s/sp.crt", path);
	if (access(k, R_OK) != 0 && keys_generate(k, crt, 2048, "bench services", 30, &err) != TL_OK) {
		fprintf(stderr, "ssobench: %s\n", err.msg);
		goto out;
	}
	if (util_read_file(crt, 1 << 20, &cert_pem, &n, &err) != TL_OK)
		goto out;
	reg_member_add(&ctx, "bench-sso", "SSO benchmark", NULL, &o, &err);
	json_decref(o);
	if ((hub_sp = fetch(b, "/sp/metadata")) == NULL) {
		fprintf(stderr, "ssobench: cannot fetch the hub's SP metadata from %s\n", b->url);
		goto out;
	}
	/* the IdPs get new keys (and a new approved version) on every run */
	snprintf(path, sizeof(path), "%s/bench-peers/run-%ld", b->dir, (long)getpid());
	util_mkdirs(path, 0700, &err);
	for (int i = 0; i < 2; i++) {
		char eid[128], base[128];
		snprintf(eid, sizeof(eid), "https://idp%d.bench.example.se/idp", i);
		snprintf(base, sizeof(base), "https://idp%d.bench.example.se", i);
		if (peer_make(&b->idp[i], 1, eid, base, path, &io, hub_sp) != 0 ||
		    submit_approve(&ctx, schema, eid, b->idp[i].metadata) != 0) {
			free(hub_sp);
			goto out;
		}
	}
	free(hub_sp);
	b->sp_ids = calloc((size_t)b->nsps, sizeof(char *));
	for (int i = 0; i < b->nsps; i++) {
		char *md;
		sp_url(i, url, sizeof(url));
		snprintf(id, sizeof(id), "%s/sp", url);
		b->sp_ids[i] = strdup(id);
		md = peer_sp_metadata(id, url, cert_pem, &so);
		if (md == NULL || submit_approve(&ctx, schema, id, md) != 0 ||
		    agr_set(&ctx, id, names, 2, "benchmark", &err) != TL_OK) {
			free(md);
			goto out;
		}
		free(md);
	}
	rc = 0;
out:
	free(key_pem);
	free(cert_pem);
	md_schema_free(schema);
	ctx_close(&ctx);
	return rc;
}

/* ---- measuring ------------------------------------------------------------------- */

/*
 * utime + stime in seconds of a /proc stat file; its comm (thread name)
 * into comm and its stime alone into sys, each if not NULL.
 */
static double cpu_of_stat(const char *path, char comm[32], double *sys)
{
	char buf[2048], *p, *q;
	unsigned long ut = 0, st = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	q = strchr(buf, '(');
	if (comm != NULL)
		snprintf(comm, 32, "%.*s", p && q && p > q ? (int)(p - q - 1) : 0, q ? q + 1 : "");
	/* fields after ")": state(3) ... utime(14) stime(15) */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	if (sys != NULL)
		*sys = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double cpu_of(int pid, double *sys)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return cpu_of_stat(path, NULL, sys);
}

/*
 * The CPU of tillitd's maintenance thread ("tillit-maint": re-evaluating
 * and re-certifying the registry, which runs 5 s after start and then
 * every recheck_interval, logins or not); the thread lives as long as
 * tillitd.
 */
static double maint_cpu_of(int pid)
{
	char path[300], comm[32];
	struct dirent *e;
	double sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		double c;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		if ((c = cpu_of_stat(path, comm, NULL)) > 0 && strcmp(comm, "tillit-maint") == 0)
			sum += c;
	}
	closedir(d);
	return sum;
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static long status_kb(int pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pass(struct sb *b, const char *name, int count)
{
	pthread_t t[64];
	double c0, c1, k0 = 0, k1 = 0, m0, m1, s0, s1, w0, w1;

	atomic_store(&b->next, 0);
	atomic_store(&b->done, 0);
	atomic_store(&b->failed, 0);
	b->limit = count;
	c0 = cpu_of(b->pid, &k0);
	m0 = maint_cpu_of(b->pid);
	s0 = self_cpu();
	w0 = wall();
	for (int i = 0; i < b->threads; i++)
		pthread_create(&t[i], NULL, worker, b);
	for (int i = 0; i < b->threads; i++)
		pthread_join(t[i], NULL);
	w1 = wall();
	c1 = cpu_of(b->pid, &k1);
	m1 = maint_cpu_of(b->pid);
	s1 = self_cpu();
	printf("%s_logins %d\n", name, atomic_load(&b->done));
	printf("%s_failed %d\n", name, atomic_load(&b->failed));
	if (atomic_load(&b->done) > 0) {
		/* logins only: the maintenance thread's registry pass is reported apart */
		printf("%s_hub_cpu_ms_per_login %.3f ms\n", name,
		       ((c1 - c0) - (m1 - m0)) * 1000.0 / atomic_load(&b->done));
		printf("%s_hub_sys_ms_per_login %.3f ms\n", name, (k1 - k0) * 1000.0 / atomic_load(&b->done));
		printf("%s_hub_maintenance_cpu_s %.3f s\n", name, m1 - m0);
		printf("%s_logins_per_s %.1f /s\n", name, atomic_load(&b->done) / (w1 - w0));
		printf("%s_generator_cpu_ms_per_login %.3f ms\n", name, (s1 - s0) * 1000.0 / atomic_load(&b->done));
	}
	fflush(stdout);
	return atomic_load(&b->failed) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' }, { "url", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' }, { "sps", required_argument, NULL, 's' },
		{ "logins", required_argument, NULL, 'n' }, { "threads", required_argument, NULL, 't' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "unsigned-assertions", no_argument, NULL, 'a' }, { "signatures", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb b;
	struct tl_err err;
	int ch, rc = 0;

	memset(&b, 0, sizeof(b));
	b.nsps = 1000;
	b.logins = 4000;
	b.threads = 2;
	while ((ch = getopt_long(argc, argv, "d:u:p:s:n:t:b:ag:", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': b.unsigned_assertions = 1; break;
		case 'g': b.want_sigs = (int)strtol(optarg, NULL, 10); break;
		case 'b': b.base = optarg; break;
		case 'd': b.dir = optarg; break;
		case 'u': b.url = optarg; break;
		case 'p': b.pid = (int)strtol(optarg, NULL, 10); break;
		case 's': b.nsps = (int)strtol(optarg, NULL, 10); break;
		case 'n': b.logins = (int)strtol(optarg, NULL, 10); break;
		case 't': b.threads = (int)strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (b.dir == NULL || b.url == NULL || b.pid <= 0 || b.nsps < 1 || b.nsps > SB_SP_MAX ||
	    b.threads < 1 || b.threads > 64 || b.logins < 1 ||
	    sscanf(b.url, "http://%255[^:]:%d", b.host, &b.port) != 2)
		goto usage;
	log_set_level(LOG_LVL_WARN);
	if (b.base == NULL)
		b.base = b.url;
	if (hub_global_init(&err) != TL_OK) {
		fprintf(stderr, "ssobench: %s\n", err.msg);
		return 1;
	}
	if (setup(&b) != 0)
		return 1;
	fprintf(stderr, "ssobench: %d services and 2 IdPs registered; cold pass\n", b.nsps);
	rc |= pass(&b, "cold", b.nsps);
	b.want_sigs = 0; /* checked on each service's first login only */
	fprintf(stderr, "ssobench: warm pass, %d logins\n", b.logins);
	rc |= pass(&b, "warm", b.logins);
	printf("hub_vmrss %ld KB\nhub_vmhwm %ld KB\nhub_rss_anon %ld KB\nhub_rss_file %ld KB\n",
	       status_kb(b.pid, "VmRSS:"), status_kb(b.pid, "VmHWM:"), status_kb(b.pid, "RssAnon:"),
	       status_kb(b.pid, "RssFile:"));
	for (int i = 0; i < 2; i++)
		peer_free(&b.idp[i]);
	for (int i = 0; i < b.nsps; i++)
		free(b.sp_ids ? b.sp_ids[i] : NULL);
	free(b.sp_ids);
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: tillit-ssobench -d DIR --url http://ADDR:PORT --pid PID [--base-url URL] [--sps N] "
	                "[--logins N] [--threads N] [--unsigned-assertions] [--signatures N]\n");
	return 2;
}
