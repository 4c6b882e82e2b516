/*
 * conf.h - tillit.conf: a table of typed keys with defaults and ranges.
 *
 * The file is "key = value" lines; '#' starts a comment; blank lines are
 * ignored.  Every key has a type (string, url, integer, size, duration,
 * listen address, log level, yes/no), a default and, for numbers, a range.  Load
 * errors name file:line:key.  The same table produces the commented file
 * written by `tillitctl init` and is documented in tillit.conf(5).
 */
#ifndef TILLIT_CONF_H
#define TILLIT_CONF_H

#include <stddef.h>

#include "tillit/err.h"

#define CONF_STR_MAX 1024

struct conf {
	/* federation */
	char name[CONF_STR_MAX];                   /* federation name (aggregate @Name) */
	char base_url[CONF_STR_MAX];               /* public base URL, no trailing slash */
	char registration_authority[CONF_STR_MAX]; /* mdrpi:RegistrationInfo authority */
	char publication_publisher[CONF_STR_MAX];  /* mdrpi:PublicationInfo publisher */
	long long aggregate_validity;              /* seconds; validUntil = now + this */
	long long cache_duration;                  /* seconds; cacheDuration */
	/* http */
	char listen[CONF_STR_MAX];                 /* ADDR:PORT */
	long long http_threads;
	long long http_max_connections;
	long long http_per_ip_connections;
	long long http_timeout;                    /* seconds */
	unsigned long long http_max_body;          /* bytes */
	/* store */
	unsigned long long map_size;               /* bytes */
	long long max_readers;
	/* limits on input */
	unsigned long long max_metadata_size;      /* one submitted EntityDescriptor */
	unsigned long long max_import_size;        /* one imported aggregate */
	long long max_import_entities;
	long long max_xml_depth;
	/* trust frameworks */
	char frameworks_dir[CONF_STR_MAX];         /* empty: the shipped frameworks */
	unsigned long long max_evidence_size;      /* one attestation's evidence */
	long long recheck_interval;                /* seconds between tillitd's re-evaluations */
	/* SSO hub */
	long long clock_skew;                      /* seconds tolerated on SAML times */
	long long authn_request_max_age;           /* seconds */
	long long sso_state_lifetime;              /* seconds a login may take upstream */
	long long assertion_lifetime;              /* seconds */
	int encrypt_assertions;                    /* boolean */
	int sign_assertions;                       /* boolean */
	int require_signed_authn_requests;         /* boolean */
	long long provider_cache_size;             /* providers kept loaded */
	long long login_audit_batch_ms;            /* 0: each login synced on its own */
	/* keys and signing */
	long long metadata_key_bits;
	long long hub_key_bits;
	long long signing_threads;                 /* 0 = one per core */
	long long import_threads;                  /* 0 = one per core */
	/* logging */
	int log_level;                             /* enum log_level */
};

/* Fill c with every key's default. */
void conf_defaults(struct conf *c);

/*
 * Load path over the defaults in c.  Unknown keys, malformed values and
 * values out of range are errors naming "path:line: key: problem".
 * Errors: TL_ECONF, TL_ENOENT, TL_EIO.
 */
int conf_load(struct conf *c, const char *path, struct tl_err *err);

/* Set one key from a string (as a line of the file would). Errors: TL_ECONF. */
int conf_set(struct conf *c, const char *key, const char *value, struct tl_err *err);

/*
 * Write c as a complete, commented tillit.conf to path (mode 0644),
 * every key with its documentation, type, range and default.
 * Errors: TL_EIO.
 */
int conf_write(const struct conf *c, const char *path, struct tl_err *err);

/* Print the key table (name, type, range, default, doc) for docs/man. */
void conf_print_table(void *stdio_file);

#endif
