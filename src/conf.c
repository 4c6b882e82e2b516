/* conf.c - the configuration table, loader and writer. */
#include "tillit/conf.h"
#include "tillit/buf.h"
#include "tillit/log.h"
#include "tillit/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum conf_type { CT_STR, CT_URL, CT_INT, CT_SIZE, CT_DURATION, CT_LISTEN, CT_LOGLEVEL, CT_BOOL };

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	long long min, max;   /* for numbers: inclusive range */
	const char *dflt;     /* as it would be written in the file ("" = empty) */
	const char *doc;
};

#define OFF(f) offsetof(struct conf, f)

static const struct conf_key conf_keys[] = {
	{ "name", CT_STR, OFF(name), 1, 256, "Tillit Federation",
	  "Name of the federation; the Name of the published aggregate." },
	{ "base_url", CT_URL, OFF(base_url), 0, 0, "http://127.0.0.1:8440",
	  "Public base URL of the hub; every URL the hub publishes is built from it, never from the Host header." },
	{ "registration_authority", CT_URL, OFF(registration_authority), 0, 0, "",
	  "Registration authority URI put in mdrpi:RegistrationInfo (empty: base_url)." },
	{ "publication_publisher", CT_URL, OFF(publication_publisher), 0, 0, "",
	  "Publisher URI put in mdrpi:PublicationInfo (empty: registration_authority)." },
	{ "aggregate_validity", CT_DURATION, OFF(aggregate_validity), 3600, 28 * 86400, "P7D",
	  "How long a publication stays valid (validUntil = publication time + this)." },
	{ "cache_duration", CT_DURATION, OFF(cache_duration), 60, 86400, "PT6H",
	  "cacheDuration of published metadata and HTTP Cache-Control max-age." },
	{ "listen", CT_LISTEN, OFF(listen), 0, 0, "127.0.0.1:8440",
	  "Address and port tillitd listens on (overridden by --listen)." },
	{ "http_threads", CT_INT, OFF(http_threads), 1, 256, "4",
	  "Worker threads serving HTTP." },
	{ "http_max_connections", CT_INT, OFF(http_max_connections), 1, 100000, "1024",
	  "Concurrent connections accepted in total." },
	{ "http_per_ip_connections", CT_INT, OFF(http_per_ip_connections), 0, 100000, "256",
	  "Concurrent connections accepted from one IP address (0: no limit)." },
	{ "http_timeout", CT_INT, OFF(http_timeout), 1, 3600, "30",
	  "Seconds an idle connection is kept." },
	{ "http_max_body", CT_SIZE, OFF(http_max_body), 1024, 64LL << 20, "1M",
	  "Largest request body accepted; larger requests get 413." },
	{ "map_size", CT_SIZE, OFF(map_size), 16LL << 20, 1LL << 40, "8G",
	  "LMDB map size: the largest the database may grow (address space, not memory)." },
	{ "max_readers", CT_INT, OFF(max_readers), 16, 4096, "256",
	  "LMDB reader slots (concurrent read transactions across processes)." },
	{ "max_metadata_size", CT_SIZE, OFF(max_metadata_size), 4096, 64LL << 20, "1M",
	  "Largest EntityDescriptor document accepted by entity submit." },
	{ "max_import_size", CT_SIZE, OFF(max_import_size), 1LL << 20, 4LL << 30, "512M",
	  "Largest aggregate accepted by import." },
	{ "max_import_entities", CT_INT, OFF(max_import_entities), 1, 10000000, "100000",
	  "Most entities accepted in one imported aggregate." },
	{ "max_xml_depth", CT_INT, OFF(max_xml_depth), 8, 1024, "64",
	  "Deepest element nesting accepted in any XML input." },
	{ "frameworks_dir", CT_STR, OFF(frameworks_dir), 0, 1000, "",
	  "Directory of trust-framework files (*.tf); empty: the frameworks shipped with Tillit." },
	{ "max_evidence_size", CT_SIZE, OFF(max_evidence_size), 1024, 256LL << 20, "10M",
	  "Largest evidence file accepted with an attestation." },
	{ "recheck_interval", CT_DURATION, OFF(recheck_interval), 60, 86400, "PT1H",
	  "How often tillitd re-evaluates entities whose results depend on the date, frameworks or attestations." },
	{ "clock_skew", CT_DURATION, OFF(clock_skew), 0, 3600, "PT3M",
	  "Clock difference tolerated when judging the times in SAML messages (IssueInstant, NotBefore, NotOnOrAfter)." },
	{ "authn_request_max_age", CT_DURATION, OFF(authn_request_max_age), 30, 86400, "PT5M",
	  "Oldest IssueInstant accepted on a service's AuthnRequest (plus clock_skew)." },
	{ "sso_state_lifetime", CT_DURATION, OFF(sso_state_lifetime), 60, 86400, "PT30M",
	  "How long a login may take at the member IdP: the hub's request and the service's waiting request expire after this." },
	{ "assertion_lifetime", CT_DURATION, OFF(assertion_lifetime), 60, 3600, "PT5M",
	  "Validity of the assertions the hub issues (Conditions NotOnOrAfter = issue time + this)." },
	{ "encrypt_assertions", CT_BOOL, OFF(encrypt_assertions), 0, 1, "yes",
	  "Encrypt assertions to services whose metadata holds an encryption key." },
	{ "sign_assertions", CT_BOOL, OFF(sign_assertions), 0, 1, "yes",
	  "Sign each assertion to a service besides the Response that carries it; no: only for services whose metadata says WantAssertionsSigned=\"true\" (the Response is always signed, and its signature covers the assertion)." },
	{ "require_signed_authn_requests", CT_BOOL, OFF(require_signed_authn_requests), 0, 1, "no",
	  "Refuse unsigned AuthnRequests from every service (a service whose metadata says AuthnRequestsSigned is always held to it)." },
	{ "provider_cache_size", CT_INT, OFF(provider_cache_size), 1, 1000000, "1000",
	  "Providers the SSO hub keeps loaded on each side (services it serves as IdP, member IdPs it uses as SP); others are loaded from the store when needed." },
	{ "login_audit_batch_ms", CT_INT, OFF(login_audit_batch_ms), 0, 5000, "200",
	  "Milliseconds within which the hub gathers login records into one write to the audit log (one disk sync); 0: each login is written and synced before its assertion is sent." },
	{ "metadata_key_bits", CT_INT, OFF(metadata_key_bits), 2048, 8192, "3072",
	  "RSA key size of the metadata-signing key created by init." },
	{ "hub_key_bits", CT_INT, OFF(hub_key_bits), 2048, 8192, "2048",
	  "RSA key size of the hub's signing and encryption keys created by init." },
	{ "signing_threads", CT_INT, OFF(signing_threads), 0, 256, "0",
	  "Threads that sign per-entity MDQ documents at publication (0: one per core)." },
	{ "import_threads", CT_INT, OFF(import_threads), 0, 256, "0",
	  "Threads that validate the entities of an imported aggregate while it streams in (0: one per core but the one reading the file)." },
	{ "log_level", CT_LOGLEVEL, OFF(log_level), 0, 0, "info",
	  "Least severe level logged: error, warning, info or debug." },
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const char *const conf_type_names[] = {
	"string", "URL", "integer", "size", "duration", "address:port", "log level", "yes/no",
};

static const struct conf_key *conf_find(const char *name)
{
	for (size_t i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

static int conf_set_key(struct conf *c, const struct conf_key *k, const char *v,
                        struct tl_err *err)
{
	char *field = (char *)c + k->off;
	long long n;
	unsigned long long u;
	char *end;

	switch (k->type) {
	case CT_STR:
		if (strlen(v) < (size_t)k->min || strlen(v) > (size_t)k->max)
			return tl_err_set(err, TL_ECONF, "%s: must be %lld to %lld characters", k->name,
			                  k->min, k->max);
		snprintf(field, CONF_STR_MAX, "%s", v);
		return TL_OK;
	case CT_URL:
		if (*v != '\0' && strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "urn:", 4) != 0)
			return tl_err_set(err, TL_ECONF, "%s: '%s' is not an absolute http(s) URL or URN",
			                  k->name, v);
		if (strlen(v) >= CONF_STR_MAX)
			return tl_err_set(err, TL_ECONF, "%s: longer than %d characters", k->name,
			                  CONF_STR_MAX - 1);
		snprintf(field, CONF_STR_MAX, "%s", v);
		/* base_url is used as a prefix: keep it without a trailing slash */
		if (strcmp(k->name, "base_url") == 0) {
			size_t len = strlen(field);
			while (len > 0 && field[len - 1] == '/')
				field[--len] = '\0';
		}
		return TL_OK;
	case CT_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0')
			return tl_err_set(err, TL_ECONF, "%s: '%s' is not an integer", k->name, v);
		if (n < k->min || n > k->max)
			return tl_err_set(err, TL_ECONF, "%s: %lld is out of range %lld..%lld", k->name,
			                  n, k->min, k->max);
		*(long long *)(void *)field = n;
		return TL_OK;
	case CT_SIZE:
		if (util_parse_size(v, &u) != 0)
			return tl_err_set(err, TL_ECONF, "%s: '%s' is not a size (e.g. 64M)", k->name, v);
		if (u < (unsigned long long)k->min || u > (unsigned long long)k->max)
			return tl_err_set(err, TL_ECONF, "%s: %s is out of range %lld..%lld bytes",
			                  k->name, v, k->min, k->max);
		*(unsigned long long *)(void *)field = u;
		return TL_OK;
	case CT_DURATION:
		if (util_duration_parse(v, &n) != 0)
			return tl_err_set(err, TL_ECONF,
			                  "%s: '%s' is not a duration in days/hours/minutes/seconds (e.g. P7D, PT6H)",
			                  k->name, v);
		if (n < k->min || n > k->max)
			return tl_err_set(err, TL_ECONF, "%s: %s is out of range %llds..%llds", k->name,
			                  v, k->min, k->max);
		*(long long *)(void *)field = n;
		return TL_OK;
	case CT_LISTEN: {
		const char *colon = strrchr(v, ':');
		long port;
		if (colon == NULL || colon == v)
			return tl_err_set(err, TL_ECONF, "%s: '%s' is not ADDRESS:PORT", k->name, v);
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return tl_err_set(err, TL_ECONF, "%s: bad port in '%s'", k->name, v);
		snprintf(field, CONF_STR_MAX, "%s", v);
		return TL_OK;
	}
	case CT_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(int *)(void *)field = 0;
		else
			return tl_err_set(err, TL_ECONF, "%s: '%s' is not yes or no", k->name, v);
		return TL_OK;
	case CT_LOGLEVEL: {
		int lvl = log_level_parse(v);
		if (lvl < 0)
			return tl_err_set(err, TL_ECONF,
			                  "%s: '%s' is not one of error, warning, info, debug", k->name, v);
		*(int *)(void *)field = lvl;
		return TL_OK;
	}
	}
	return tl_err_set(err, TL_EINTERNAL, "%s: unknown type", k->name);
}

void conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		int rc = conf_set_key(c, &conf_keys[i], conf_keys[i].dflt, NULL);
		(void)rc; /* the table's defaults are valid (tested) */
	}
}

int conf_set(struct conf *c, const char *key, const char *value, struct tl_err *err)
{
	const struct conf_key *k = conf_find(key);

	if (k == NULL)
		return tl_err_set(err, TL_ECONF, "unknown key '%s'", key);
	return conf_set_key(c, k, value, err);
}

static char *conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int conf_load(struct conf *c, const char *path, struct tl_err *err)
{
	char *text = NULL, *line, *next;
	size_t len;
	int rc, lineno = 0;

	rc = util_read_file(path, 1 << 20, &text, &len, err);
	if (rc != TL_OK)
		return rc;
	if (memchr(text, '\0', len) != NULL) {
		rc = tl_err_set(err, TL_ECONF, "%s: contains a NUL byte", path);
		goto out;
	}
	for (line = text; line != NULL; line = next) {
		char *eq, *key, *val, *hash;
		struct tl_err kerr;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		line = conf_trim(line);
		if (*line == '\0')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			rc = tl_err_set(err, TL_ECONF, "%s:%d: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = conf_trim(line);
		val = conf_trim(eq + 1);
		if (conf_find(key) == NULL) {
			rc = tl_err_set(err, TL_ECONF, "%s:%d: %s: unknown key", path, lineno, key);
			goto out;
		}
		rc = conf_set(c, key, val, &kerr);
		if (rc != TL_OK) {
			rc = tl_err_set(err, TL_ECONF, "%s:%d: %s", path, lineno, kerr.msg);
			goto out;
		}
	}
	rc = TL_OK;
out:
	free(text);
	return rc;
}

static void conf_format_value(const struct conf *c, const struct conf_key *k, char *out,
                              size_t outlen)
{
	const char *field = (const char *)c + k->off;
	static const char *const lvl[] = { "error", "warning", "info", "debug" };

	switch (k->type) {
	case CT_STR:
	case CT_URL:
	case CT_LISTEN:
		snprintf(out, outlen, "%s", field);
		break;
	case CT_INT:
		snprintf(out, outlen, "%lld", *(const long long *)(const void *)field);
		break;
	case CT_SIZE: {
		unsigned long long u = *(const unsigned long long *)(const void *)field;
		if (u % (1ULL << 30) == 0)
			snprintf(out, outlen, "%lluG", u >> 30);
		else if (u % (1ULL << 20) == 0)
			snprintf(out, outlen, "%lluM", u >> 20);
		else if (u % 1024 == 0)
			snprintf(out, outlen, "%lluK", u >> 10);
		else
			snprintf(out, outlen, "%llu", u);
		break;
	}
	case CT_DURATION:
		util_duration_format(*(const long long *)(const void *)field, out, outlen);
		break;
	case CT_LOGLEVEL:
		snprintf(out, outlen, "%s", lvl[*(const int *)(const void *)field & 3]);
		break;
	case CT_BOOL:
		snprintf(out, outlen, "%s", *(const int *)(const void *)field ? "yes" : "no");
		break;
	}
}

static void conf_range(const struct conf_key *k, char *out, size_t outlen)
{
	char a[32], b[32];

	switch (k->type) {
	case CT_INT:
		snprintf(out, outlen, "%lld..%lld", k->min, k->max);
		break;
	case CT_SIZE:
		snprintf(out, outlen, "%lld..%lld bytes", k->min, k->max);
		break;
	case CT_DURATION:
		util_duration_format(k->min, a, sizeof(a));
		util_duration_format(k->max, b, sizeof(b));
		snprintf(out, outlen, "%s..%s", a, b);
		break;
	case CT_STR:
		snprintf(out, outlen, "%lld..%lld characters", k->min, k->max);
		break;
	default:
		snprintf(out, outlen, "-");
	}
}

int conf_write(const struct conf *c, const char *path, struct tl_err *err)
{
	struct buf b;
	char val[CONF_STR_MAX + 8], range[96];
	int rc = TL_OK;

	buf_init(&b, 1 << 20);
	rc = buf_puts(&b, "# tillit.conf - Tillit hub configuration (see tillit.conf(5)).\n"
	                  "# Every key is optional; a missing key takes its default.\n");
	for (size_t i = 0; rc == TL_OK && i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		conf_format_value(c, k, val, sizeof(val));
		conf_range(k, range, sizeof(range));
		rc = buf_printf(&b, "\n# %s\n# type: %s; range: %s; default: %s\n%s = %s\n", k->doc,
		                conf_type_names[k->type], range, *k->dflt ? k->dflt : "(empty)",
		                k->name, val);
	}
	if (rc == TL_OK)
		rc = util_write_atomic(path, b.data, b.len, 0644, err);
	else
		rc = tl_err_set(err, rc, "%s: configuration too large", path);
	buf_free(&b);
	return rc;
}

void conf_print_table(void *stdio_file)
{
	FILE *f = stdio_file;
	char range[96];

	for (size_t i = 0; i < CONF_NKEYS; i++) {
		conf_range(&conf_keys[i], range, sizeof(range));
		fprintf(f, "%s\t%s\t%s\t%s\t%s\n", conf_keys[i].name, conf_type_names[conf_keys[i].type],
		        range, *conf_keys[i].dflt ? conf_keys[i].dflt : "(empty)", conf_keys[i].doc);
	}
}
