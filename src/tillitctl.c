/*
 * tillitctl.c - the operator's command line.
 *
 *   tillitctl [-d DIR] [--json] NOUN VERB [ARGS]
 *
 * Front end only: it parses arguments, calls the registry, publication
 * and import services, and renders their results as text or JSON.
 * Exit status: 0 success, 1 failure, 2 usage error, 3 input rejected.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "config.h"
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "tillit/audit.h"
#include "tillit/auth.h"
#include "tillit/cert.h"
#include "tillit/conf.h"
#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/imp.h"
#include "tillit/keys.h"
#include "tillit/log.h"
#include "tillit/md.h"
#include "tillit/pub.h"
#include "tillit/reg.h"
#include "tillit/store.h"
#include "tillit/trust.h"
#include "tillit/util.h"

#include "ctl.h"

static const char usage_text[] =
	"usage: tillitctl [-d DIR] [--json] COMMAND ...\n"
	"  init --name NAME --base-url URL [--registration-authority URI]\n"
	"  member add ORG --name NAME [--contact EMAIL] | member list | member show ORG\n"
	"  entity submit ORG FILE|- [FILE...]\n"
	"  entity list [--state STATE] | entity show ENTITYID | entity history ENTITYID\n"
	"  entity approve ENTITYID... [--override --reason TEXT] | entity reject ENTITYID --reason TEXT\n"
	"  entity suspend ENTITYID --reason TEXT | entity reinstate ENTITYID | entity remove ENTITYID\n"
	"  entity xml ENTITYID [--version N]\n"
	"  publish [--refresh]\n"
	"  import FILE --trust CERT.pem --source NAME [--allow-expired] [--allow-sha1]\n"
	"  framework list | framework show ID | framework checks | framework check FILE...\n"
	"  evaluate ENTITYID... [--version N] [--framework ID]\n"
	"  evaluate --all [--framework ID] [--summary] [--source NAME] [--force]\n"
	"  attest ENTITYID FRAMEWORK/REQUIREMENT --evidence FILE [--expires DATE]\n"
	"  attestation list [--due 30d] [--state STATE] [--entity ENTITYID]\n"
	"  attestation show|approve|withdraw|evidence ID | attestation reject ID --reason TEXT\n"
	"  agreement set SP-ENTITYID --attributes NAME,... --purpose TEXT | agreement show SP-ENTITYID\n"
	"  agreement list | agreement remove SP-ENTITYID\n"
	"  token add NAME --role operator|member [--member ORG] [--expires DATE] | token list | token revoke NAME\n"
	"  audit list [--subject S] | audit verify\n"
	"  keys list | keys create\n"
	"  config keys\n"
	"DIR defaults to $TILLIT_DATA.\n";

int ctl_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tillitctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try tillitctl --help)\n");
	return 2;
}

int ctl_fail(const struct tl_err *err)
{
	fprintf(stderr, "tillitctl: %s\n", err->msg[0] ? err->msg : tl_strerror(err->code));
	return tl_exit_status(err->code);
}

/* Flags known per command; value-taking flags listed with '='. */
static const char *const known_flags[] = {
	"name=", "base-url=", "registration-authority=", "contact=", "state=", "reason=",
	"override", "trust=", "source=", "allow-expired", "allow-sha1", "subject=", "version=",
	"all", "summary", "refresh", "role=", "member=", "framework=", "force", "evidence=", "expires=", "due=", "entity=", "output=",
	"attributes=", "purpose=", "json", NULL,
};

/* Positional arguments are compacted to the front of argv, in place (the
 * write index never passes the read index), so their number is bounded
 * only by the kernel's ARG_MAX. */
static int cli_parse_flags(struct cli *c, int argc, char **argv)
{
	char **pos = argv;
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int found = 0;
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--") == 0 || a[2] == '\0') {
			pos[npos++] = argv[i];
			continue;
		}
		for (int k = 0; known_flags[k] != NULL; k++) {
			size_t n = strcspn(known_flags[k], "=");
			int takes = known_flags[k][n] == '=';
			const char *eq = strchr(a + 2, '=');
			size_t alen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			if (alen != n || strncmp(a + 2, known_flags[k], n) != 0)
				continue;
			found = 1;
			if (strcmp(known_flags[k], "json") == 0) {
				c->json = 1;
				break;
			}
			if (c->nflags == MAX_FLAGS)
				return ctl_usage("too many options%s", "");
			c->flag_name[c->nflags] = known_flags[k];
			if (takes) {
				if (eq != NULL)
					c->flag_val[c->nflags] = eq + 1;
				else if (i + 1 < argc)
					c->flag_val[c->nflags] = argv[++i];
				else
					return ctl_usage("option %s needs a value", a);
			} else {
				if (eq != NULL)
					return ctl_usage("option %s takes no value", a);
				c->flag_val[c->nflags] = "1";
			}
			c->nflags++;
			break;
		}
		if (!found)
			return ctl_usage("unknown option %s", a);
	}
	c->argc = npos;
	c->argv = pos;
	return 0;
}

const char *ctl_flag(const struct cli *c, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < c->nflags; i++)
		if (strncmp(c->flag_name[i], name, n) == 0 &&
		    (c->flag_name[i][n] == '\0' || c->flag_name[i][n] == '='))
			return c->flag_val[i];
	return NULL;
}

int ctl_open(struct cli *c, struct tl_err *err)
{
	int rc;

	if (c->ctx_open)
		return TL_OK;
	rc = ctx_open(&c->ctx, c->dir, err);
	if (rc != TL_OK) {
		ctx_close(&c->ctx);
		return rc;
	}
	c->ctx_open = 1;
	return TL_OK;
}

int ctl_schema(struct cli *c, struct tl_err *err)
{
	if (c->schema != NULL)
		return TL_OK;
	return md_schema_load(&c->schema, err);
}

void ctl_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}

const char *ctl_js(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void roles_text(json_t *roles, char *out, size_t n)
{
	size_t i;
	json_t *r;

	out[0] = '\0';
	json_array_foreach(roles, i, r) {
		if (i > 0)
			strncat(out, ",", n - strlen(out) - 1);
		strncat(out, json_string_value(r) ? json_string_value(r) : "?", n - strlen(out) - 1);
	}
	if (out[0] == '\0')
		snprintf(out, n, "-");
}

static void print_entity_line(json_t *e)
{
	char roles[32];
	const char *owner = json_object_get(e, "member") ? ctl_js(e, "member") : ctl_js(e, "source");

	roles_text(json_object_get(e, "roles"), roles, sizeof(roles));
	printf("%-10s%s %-8s %-20s %s\n", ctl_js(e, "state"),
	       json_is_true(json_object_get(e, "pending_change")) ? "+" : " ", roles, owner,
	       ctl_js(e, "entity_id"));
}

/* ---- commands ------------------------------------------------------- */

/* The key pairs of a data directory: DIR/keys/FILE.{key,crt}. */
static const struct {
	const char *file;
	int hub;
	const char *cn;
} ctl_keys[] = {
	{ "metadata-signing", 0, "metadata signing" },
	{ "hub-signing", 1, "hub signing" },
	{ "hub-encryption", 1, "hub encryption" },
};
#define CTL_NKEYS (sizeof(ctl_keys) / sizeof(ctl_keys[0]))

/* Create key pair i of conf's federation in dir (never over an existing key). */
static int ctl_key_create(const char *dir, const struct conf *conf, size_t i, struct tl_err *err)
{
	char path[CTX_PATH_MAX], cert[CTX_PATH_MAX], cn[CONF_STR_MAX + 64];

	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, ctl_keys[i].file);
	snprintf(cert, sizeof(cert), "%s/keys/%s.crt", dir, ctl_keys[i].file);
	snprintf(cn, sizeof(cn), "%s %s", conf->name, ctl_keys[i].cn);
	cn[64] = '\0'; /* X.509 CN upper bound */
	return keys_generate(path, cert,
	                     (int)(ctl_keys[i].hub ? conf->hub_key_bits : conf->metadata_key_bits), cn,
	                     3650, err);
}

static int cmd_init(struct cli *c)
{
	struct conf conf;
	struct tl_err err = { 0 };
	char path[CTX_PATH_MAX];
	const char *name = ctl_flag(c, "name"), *base = ctl_flag(c, "base-url");
	const char *ra = ctl_flag(c, "registration-authority");
	struct stat sb;
	int rc;

	if (name == NULL || base == NULL || c->argc != 0)
		return ctl_usage("usage: tillitctl -d DIR init --name NAME --base-url URL%s", "");
	conf_defaults(&conf);
	if ((rc = conf_set(&conf, "name", name, &err)) != TL_OK ||
	    (rc = conf_set(&conf, "base_url", base, &err)) != TL_OK ||
	    (ra != NULL && (rc = conf_set(&conf, "registration_authority", ra, &err)) != TL_OK)) {
		err.code = TL_EINVAL;
		return ctl_fail(&err);
	}
	if (strncmp(base, "http", 4) != 0) {
		tl_err_set(&err, TL_EINVAL, "--base-url must be an http(s) URL");
		return ctl_fail(&err);
	}
	snprintf(path, sizeof(path), "%s/tillit.conf", c->dir);
	if (stat(path, &sb) == 0) {
		/* Not a rejected input but a refusal to overwrite: plain failure. */
		tl_err_set(&err, TL_EEXIST, "%s is already a Tillit data directory", c->dir);
		ctl_fail(&err);
		return 1;
	}
	if ((rc = util_mkdirs(c->dir, 0700, &err)) != TL_OK)
		return ctl_fail(&err);
	snprintf(path, sizeof(path), "%s/keys", c->dir);
	if ((rc = util_mkdirs(path, 0700, &err)) != TL_OK)
		return ctl_fail(&err);
	snprintf(path, sizeof(path), "%s/db", c->dir);
	if ((rc = util_mkdirs(path, 0700, &err)) != TL_OK)
		return ctl_fail(&err);
	snprintf(path, sizeof(path), "%s/published", c->dir);
	if ((rc = util_mkdirs(path, 0755, &err)) != TL_OK)
		return ctl_fail(&err);
	for (size_t i = 0; i < CTL_NKEYS; i++)
		if ((rc = ctl_key_create(c->dir, &conf, i, &err)) != TL_OK)
			return ctl_fail(&err);
	snprintf(path, sizeof(path), "%s/tillit.conf", c->dir);
	if ((rc = conf_write(&conf, path, &err)) != TL_OK)
		return ctl_fail(&err);
	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	{
		struct store_txn txn;
		json_t *d = json_pack("{s:s, s:s}", "name", conf.name, "base_url", conf.base_url);
		rc = store_txn_begin(c->ctx.store, &txn, 0, &err);
		if (rc == TL_OK) {
			audit_append(&txn, c->ctx.actor, "init", "federation", d);
			rc = store_commit(&txn, &err);
		}
		json_decref(d);
		if (rc != TL_OK)
			return ctl_fail(&err);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "data_dir", c->dir, "name", conf.name,
		                      "base_url", conf.base_url);
		ctl_print_json(o);
		json_decref(o);
	} else {
		printf("initialised %s for federation \"%s\" at %s\n", c->dir, conf.name, conf.base_url);
	}
	return 0;
}

/*
 * keys list: each key pair's certificate (subject, expiry, fingerprint).
 * keys create: the pairs that are missing (a data directory from before
 * the SSO hub, or a key moved away to be replaced); existing keys are kept.
 */
static int cmd_keys(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	int create = strcmp(verb, "create") == 0, rc, status = 0;
	json_t *out;

	if ((!create && strcmp(verb, "list") != 0) || c->argc != 1)
		return ctl_usage("usage: tillitctl keys list | keys create%s", "");
	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	out = json_array();
	for (size_t i = 0; i < CTL_NKEYS; i++) {
		char key[CTX_PATH_MAX], cert[CTX_PATH_MAX], fp[2 * UTIL_SHA256_LEN + 1], until[32];
		struct stat sb;
		const char *state = "present";
		struct cert_info ci;
		X509 *x;
		char *b64;

		snprintf(key, sizeof(key), "%s/keys/%s.key", c->dir, ctl_keys[i].file);
		snprintf(cert, sizeof(cert), "%s/keys/%s.crt", c->dir, ctl_keys[i].file);
		if (stat(key, &sb) != 0) {
			state = "missing";
			if (create) {
				if (stat(cert, &sb) == 0) {
					tl_err_set(&err, TL_EEXIST, "%s is missing but its certificate %s is there: "
					                            "move the certificate away to make a new pair", key, cert);
					ctl_fail(&err);
					status = 1; /* a refusal to overwrite, not rejected input */
					break;
				}
				if ((rc = ctl_key_create(c->dir, &c->ctx.conf, i, &err)) != TL_OK) {
					status = ctl_fail(&err);
					break;
				}
				state = "created";
				{
					struct store_txn txn;
					json_t *d = json_pack("{s:s}", "key", ctl_keys[i].file);
					if (store_txn_begin(c->ctx.store, &txn, 0, &err) == TL_OK) {
						audit_append(&txn, c->ctx.actor, "keys.create", ctl_keys[i].file, d);
						rc = store_commit(&txn, &err);
					}
					json_decref(d);
				}
			}
		}
		fp[0] = until[0] = '\0';
		if ((x = keys_load_cert(cert, &err)) != NULL) {
			b64 = keys_cert_base64(x);
			if (b64 != NULL && cert_parse_b64(b64, &ci, &err) == TL_OK) {
				util_hex(ci.der_sha256, sizeof(ci.der_sha256), fp);
				util_time_iso(ci.not_after, until, sizeof(until));
			}
			free(b64);
			X509_free(x);
		} else if (strcmp(state, "present") == 0) {
			state = "no certificate";
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", ctl_keys[i].file,
		                                     "state", state, "path", key, "not_after", until,
		                                     "sha256", fp));
	}
	if (c->json) {
		ctl_print_json(out);
	} else {
		size_t i;
		json_t *k;
		json_array_foreach(out, i, k) {
			printf("%-17s %s", ctl_js(k, "key"), ctl_js(k, "state"));
			if (ctl_js(k, "sha256")[0])
				printf(", valid until %s, SHA-256 %s", ctl_js(k, "not_after"), ctl_js(k, "sha256"));
			printf("\n");
		}
	}
	json_decref(out);
	return status;
}

static int cmd_member(struct cli *c)
{
	struct tl_err err = { 0 };
	json_t *out = NULL;
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	int rc;

	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "add") == 0) {
		if (c->argc != 2 || ctl_flag(c, "name") == NULL)
			return ctl_usage("usage: member add ORG --name NAME [--contact EMAIL]%s", "");
		rc = reg_member_add(&c->ctx, c->argv[1], ctl_flag(c, "name"), ctl_flag(c, "contact"), &out, &err);
		if (rc == TL_OK && !c->json)
			printf("member %s added\n", c->argv[1]);
	} else if (strcmp(verb, "list") == 0) {
		size_t i;
		json_t *m;
		if (c->argc != 1)
			return ctl_usage("usage: member list%s", "");
		rc = reg_member_list(&c->ctx, &out, &err);
		if (rc == TL_OK && !c->json)
			json_array_foreach(out, i, m)
				printf("%-20s %s\n", ctl_js(m, "org"), ctl_js(m, "name"));
	} else if (strcmp(verb, "show") == 0) {
		size_t i;
		json_t *e;
		if (c->argc != 2)
			return ctl_usage("usage: member show ORG%s", "");
		rc = reg_member_show(&c->ctx, c->argv[1], &out, &err);
		if (rc == TL_OK && !c->json) {
			printf("member:  %s\nname:    %s\ncontact: %s\ncreated: %s\nentities:\n", ctl_js(out, "org"),
			       ctl_js(out, "name"), ctl_js(out, "contact"), ctl_js(out, "created"));
			json_array_foreach(json_object_get(out, "entities"), i, e) {
				printf("  ");
				print_entity_line(e);
			}
		}
	} else {
		return ctl_usage("unknown member command '%s'", verb);
	}
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json)
		ctl_print_json(out);
	json_decref(out);
	return 0;
}

static void print_entity(json_t *e)
{
	char roles[32];
	size_t i;
	json_t *v;

	roles_text(json_object_get(e, "roles"), roles, sizeof(roles));
	printf("entity_id:       %s\n", ctl_js(e, "entity_id"));
	if (json_object_get(e, "member"))
		printf("member:          %s\n", ctl_js(e, "member"));
	if (json_object_get(e, "source"))
		printf("source:          %s\n", ctl_js(e, "source"));
	printf("state:           %s\nroles:           %s\nsha1:            %s\n", ctl_js(e, "state"), roles,
	       ctl_js(e, "sha1"));
	if (json_object_get(e, "approved_version"))
		printf("approved:        version %lld\n",
		       (long long)json_integer_value(json_object_get(e, "approved_version")));
	if (json_integer_value(json_object_get(e, "pending_version")) > 0)
		printf("pending:         version %lld\n",
		       (long long)json_integer_value(json_object_get(e, "pending_version")));
	if (json_object_get(e, "first_approved"))
		printf("first approved:  %s\n", ctl_js(e, "first_approved"));
	if (json_object_get(e, "published_mdq"))
		printf("served by MDQ:   %s\n",
		       json_is_true(json_object_get(e, "published_mdq")) ? "yes" : "no");
	if (json_object_get(e, "reason"))
		printf("reason:          %s\n", ctl_js(e, "reason"));
	json_array_foreach(json_object_get(e, "versions"), i, v)
		printf("  version %lld: %-10s submitted %s by %s\n",
		       (long long)json_integer_value(json_object_get(v, "version")), ctl_js(v, "status"),
		       ctl_js(v, "submitted_at"), ctl_js(v, "submitted_by"));
}

/*
 * One decision on one entity.  An approval goes through the baseline
 * (trust_approve); when refused, each failing requirement is printed on
 * its own line and *printed is set.
 */
static int entity_decide_one(struct cli *c, const char *entity_id, enum reg_decision d,
                             json_t **out, int *printed, struct tl_err *err)
{
	const char *reason = ctl_flag(c, "reason");
	int override = ctl_flag(c, "override") != NULL, rc;

	*printed = 0;
	if (override && (d != REG_APPROVE || reason == NULL || *reason == '\0'))
		return tl_err_set(err, TL_EUSAGE, "--override is for approve and needs --reason TEXT");
	if (d == REG_APPROVE) {
		json_t *fails = NULL, *f;
		size_t i;
		if ((rc = ctl_frameworks(c, err)) != TL_OK)
			return rc;
		rc = trust_approve(&c->ctx, c->frameworks, entity_id, override ? reason : NULL, out, &fails, err);
		if (rc == TL_ERULE && fails != NULL) {
			json_array_foreach(fails, i, f)
				fprintf(stderr, "tillitctl: %s: %s/%s: %s%s%s%s\n", entity_id, ctl_js(f, "framework"),
				        ctl_js(f, "requirement"), ctl_js(f, "message"), *ctl_js(f, "path") ? " [" : "",
				        ctl_js(f, "path"), *ctl_js(f, "path") ? "]" : "");
			*printed = 1;
		}
		json_decref(fails);
		return rc;
	}
	return reg_entity_decide(&c->ctx, entity_id, d, reason, NULL, out, err);
}

static int cmd_entity(struct cli *c)
{
	struct tl_err err = { 0 };
	json_t *out = NULL;
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	static const struct { const char *verb; enum reg_decision d; } decisions[] = {
		{ "approve", REG_APPROVE }, { "reject", REG_REJECT }, { "suspend", REG_SUSPEND },
		{ "reinstate", REG_REINSTATE }, { "remove", REG_REMOVE },
	};
	int rc;

	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "submit") == 0) {
		/* several files may be given: each is its own transaction */
		json_t *all = json_array();
		int worst = 0;
		if (c->argc < 3)
			return ctl_usage("usage: entity submit ORG FILE [FILE...]%s", "");
		rc = ctl_schema(c, &err);
		if (rc != TL_OK)
			return ctl_fail(&err);
		for (int f = 2; f < c->argc; f++) {
			char *xml = NULL;
			size_t len = 0;
			json_t *one = NULL;
			rc = util_read_file(c->argv[f], (size_t)c->ctx.conf.max_metadata_size, &xml, &len, &err);
			if (rc == TL_OK)
				rc = reg_entity_submit(&c->ctx, c->schema, c->argv[1], xml, len, &one, &err);
			free(xml);
			if (rc != TL_OK) {
				int st;
				if (strcmp(c->argv[f], "-") != 0 && rc != TL_ENOENT && rc != TL_EEXIST)
					tl_err_prefix(&err, "%s", c->argv[f]);
				st = ctl_fail(&err);
				if (st > worst)
					worst = st;
				continue;
			}
			if (!c->json)
				printf("%s: version %lld %s (%s)\n", ctl_js(one, "entity_id"),
				       (long long)json_integer_value(json_object_get(one, "version")),
				       json_is_true(json_object_get(one, "unchanged")) ? "unchanged" : "submitted",
				       ctl_js(one, "state"));
			json_array_append_new(all, one);
		}
		if (c->json && json_array_size(all) > 0)
			ctl_print_json(c->argc == 3 ? json_array_get(all, 0) : all);
		json_decref(all);
		return worst;
	} else if (strcmp(verb, "list") == 0) {
		size_t i;
		json_t *e;
		if (c->argc != 1)
			return ctl_usage("usage: entity list [--state STATE]%s", "");
		rc = reg_entity_list(&c->ctx, ctl_flag(c, "state"), &out, &err);
		if (rc == TL_OK && !c->json)
			json_array_foreach(out, i, e)
				print_entity_line(e);
	} else if (strcmp(verb, "show") == 0) {
		if (c->argc != 2)
			return ctl_usage("usage: entity show ENTITYID%s", "");
		rc = reg_entity_show(&c->ctx, c->argv[1], &out, &err);
		if (rc == TL_OK && !c->json)
			print_entity(out);
	} else if (strcmp(verb, "history") == 0) {
		size_t i;
		json_t *ev;
		if (c->argc != 2)
			return ctl_usage("usage: entity history ENTITYID%s", "");
		rc = reg_entity_history(&c->ctx, c->argv[1], &out, &err);
		if (rc == TL_OK && !c->json)
			json_array_foreach(out, i, ev) {
				printf("%s  %-9s version %lld by %s", ctl_js(ev, "time"), ctl_js(ev, "action"),
				       (long long)json_integer_value(json_object_get(ev, "version")),
				       ctl_js(ev, "actor"));
				if (json_object_get(ev, "reason"))
					printf(": %s", ctl_js(ev, "reason"));
				printf("\n");
			}
	} else if (strcmp(verb, "xml") == 0) {
		char *xml = NULL;
		const char *v = ctl_flag(c, "version");
		if (c->argc != 2)
			return ctl_usage("usage: entity xml ENTITYID [--version N]%s", "");
		rc = reg_entity_xml(&c->ctx, c->argv[1], v ? (unsigned)strtoul(v, NULL, 10) : 0, &xml, &err);
		if (rc == TL_OK)
			fputs(xml, stdout);
		free(xml);
		return rc == TL_OK ? 0 : ctl_fail(&err);
	} else {
		size_t i;
		for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
			if (strcmp(verb, decisions[i].verb) == 0)
				break;
		if (i == sizeof(decisions) / sizeof(decisions[0]))
			return ctl_usage("unknown entity command '%s'", verb);
		if (c->argc > 2) {
			/* several entities: one decision each, one line per failure */
			int worst = 0;
			json_t *all = json_array();
			for (int k = 1; k < c->argc; k++) {
				json_t *one = NULL;
				int printed;
				rc = entity_decide_one(c, c->argv[k], decisions[i].d, &one, &printed, &err);
				if (rc == TL_EUSAGE)
					return ctl_usage("%s", err.msg);
				if (rc != TL_OK) {
					int st = printed ? tl_exit_status(rc) : ctl_fail(&err);
					worst = st > worst ? st : worst;
					continue;
				}
				if (!c->json)
					printf("%s: %s\n", ctl_js(one, "entity_id"), ctl_js(one, "state"));
				json_array_append_new(all, one);
			}
			if (c->json)
				ctl_print_json(all);
			json_decref(all);
			return worst;
		}
		{
			int printed = 0;
			if (c->argc != 2)
				return ctl_usage("usage: entity %s ENTITYID", verb);
			rc = entity_decide_one(c, c->argv[1], decisions[i].d, &out, &printed, &err);
			if (rc == TL_EUSAGE)
				return ctl_usage("%s", err.msg);
			if (rc != TL_OK && printed)
				return tl_exit_status(rc);
		}
		if (rc == TL_OK && !c->json)
			printf("%s: %s\n", ctl_js(out, "entity_id"), ctl_js(out, "state"));
	}
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json)
		ctl_print_json(out);
	json_decref(out);
	return 0;
}

static int cmd_publish(struct cli *c)
{
	struct tl_err err = { 0 };
	struct pub_report rep;
	int rc;

	if (c->argc != 0)
		return ctl_usage("usage: publish [--refresh]%s", "");
	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	rc = ctl_flag(c, "refresh") != NULL ? pub_refresh_certification(&c->ctx, &rep, &err)
	                                   : pub_publish(&c->ctx, &rep, &err);
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:f, s:f, s:f, s:f, s:i}",
		                      "entities", (json_int_t)rep.entities, "prepared",
		                      (json_int_t)rep.prepared, "signed_mdq", (json_int_t)rep.signed_mdq,
		                      "removed", (json_int_t)rep.removed, "bytes", (json_int_t)rep.bytes,
		                      "valid_until", rep.valid_until, "id", rep.id, "seconds", rep.seconds,
		                      "prepare_seconds", rep.prepare_seconds, "sign_seconds",
		                      rep.sign_seconds, "aggregate_seconds", rep.aggregate_seconds,
		                      "threads", (int)rep.threads);
		ctl_print_json(o);
		json_decref(o);
	} else {
		printf("published %zu entities (%zu bytes, valid until %s); %zu prepared, %zu MDQ documents signed, %zu withdrawn, in %.3f s\n",
		       rep.entities, rep.bytes, rep.valid_until, rep.prepared, rep.signed_mdq, rep.removed,
		       rep.seconds);
	}
	return 0;
}

static int cmd_import(struct cli *c)
{
	struct tl_err err = { 0 };
	struct imp_opts o = { 0 };
	json_t *rep = NULL, *e;
	size_t i;
	int rc;

	o.source = ctl_flag(c, "source");
	o.trust_path = ctl_flag(c, "trust");
	o.allow_expired = ctl_flag(c, "allow-expired") != NULL;
	o.allow_sha1 = ctl_flag(c, "allow-sha1") != NULL;
	if (c->argc != 1 || o.source == NULL || o.trust_path == NULL)
		return ctl_usage("usage: import FILE --trust CERT.pem --source NAME [--allow-expired]%s", "");
	if ((rc = ctl_open(c, &err)) != TL_OK || (rc = ctl_schema(c, &err)) != TL_OK)
		return ctl_fail(&err);
	rc = imp_import(&c->ctx, c->schema, c->argv[0], &o, &rep, &err);
	if (rc != TL_OK) {
		if (rc != TL_EIO && rc != TL_ENOENT && rc != TL_ECRYPTO)
			tl_err_prefix(&err, "%s refused", c->argv[0]);
		return ctl_fail(&err);
	}
	if (c->json) {
		ctl_print_json(rep);
	} else {
		printf("imported %s from source %s: %lld accepted, %lld unchanged, %lld rejected, %lld no longer present%s%s\n",
		       c->argv[0], o.source, (long long)json_integer_value(json_object_get(rep, "accepted")),
		       (long long)json_integer_value(json_object_get(rep, "unchanged")),
		       (long long)json_integer_value(json_object_get(rep, "rejected")),
		       (long long)json_integer_value(json_object_get(rep, "removed")),
		       json_is_true(json_object_get(rep, "used_sha1")) ? " (SHA-1 signature accepted by --allow-sha1)" : "",
		       json_is_true(json_object_get(rep, "allow_expired_used")) ? " (expired, accepted by --allow-expired)" : "");
		json_array_foreach(json_object_get(rep, "rejected_entities"), i, e)
			printf("rejected %s (line %lld): %s\n", ctl_js(e, "entity_id"),
			       (long long)json_integer_value(json_object_get(e, "line")), ctl_js(e, "reason"));
	}
	json_decref(rep);
	return 0;
}

static int cmd_token(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	json_t *out = NULL, *t;
	size_t i;
	int rc;

	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "add") == 0 && c->argc == 2) {
		enum auth_role role;
		const char *exp = ctl_flag(c, "expires");
		time_t expires = 0;
		char *token = NULL;
		if (auth_role_parse(ctl_flag(c, "role"), &role) != 0)
			return ctl_usage("usage: token add NAME --role operator|member [--member ORG] [--expires DATE]%s", "");
		if (exp != NULL && (strlen(exp) < 10 || util_time_parse(exp, &expires) != 0)) {
			tl_err_set(&err, TL_EINVAL, "--expires '%s' is not an ISO 8601 date (2027-12-31)", exp);
			return ctl_fail(&err);
		}
		rc = auth_token_add(&c->ctx, c->argv[1], role, ctl_flag(c, "member"), expires, &token, &out, &err);
		if (rc != TL_OK)
			return ctl_fail(&err);
		if (c->json) {
			json_object_set_new(out, "token", json_string(token));
			ctl_print_json(out);
		} else {
			printf("%s\n", token);
			fprintf(stderr, "tillitctl: token %s (%s%s%s) created: it is shown only now; send it as \"Authorization: Bearer TOKEN\"\n",
			        c->argv[1], auth_role_name(role), role == AUTH_MEMBER ? " of " : "",
			        role == AUTH_MEMBER ? ctl_flag(c, "member") : "");
		}
		OPENSSL_cleanse(token, strlen(token));
		free(token);
		json_decref(out);
		return 0;
	}
	if (strcmp(verb, "list") == 0 && c->argc == 1) {
		if ((rc = auth_token_list(&c->ctx, &out, &err)) != TL_OK)
			return ctl_fail(&err);
		if (c->json)
			ctl_print_json(out);
		else
			json_array_foreach(out, i, t)
				printf("%-24s %-9s %-16s created %s%s%s\n", ctl_js(t, "name"), ctl_js(t, "role"),
				       json_object_get(t, "member") ? ctl_js(t, "member") : "-", ctl_js(t, "created"),
				       json_object_get(t, "expires") ? ", expires " : "",
				       json_object_get(t, "expires") ? ctl_js(t, "expires") : "");
		json_decref(out);
		return 0;
	}
	if (strcmp(verb, "revoke") == 0 && c->argc == 2) {
		if ((rc = auth_token_revoke(&c->ctx, c->argv[1], &err)) != TL_OK)
			return ctl_fail(&err);
		if (!c->json)
			printf("token %s revoked\n", c->argv[1]);
		return 0;
	}
	return ctl_usage("usage: token add NAME --role operator|member [--member ORG] [--expires DATE] | token list | token revoke NAME%s", "");
}

static int cmd_audit(struct cli *c)
{
	struct tl_err err = { 0 };
	struct store_txn txn;
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	int rc;

	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "list") == 0 && c->argc == 1) {
		json_t *out = NULL, *r;
		size_t i;
		if ((rc = store_txn_begin(c->ctx.store, &txn, 1, &err)) != TL_OK)
			return ctl_fail(&err);
		rc = audit_list(&txn, ctl_flag(c, "subject"), &out, &err);
		store_abort(&txn);
		if (rc != TL_OK)
			return ctl_fail(&err);
		if (c->json) {
			ctl_print_json(out);
		} else {
			json_array_foreach(out, i, r)
				printf("%6lld %s %-20s %-18s %s\n",
				       (long long)json_integer_value(json_object_get(r, "seq")), ctl_js(r, "time"),
				       ctl_js(r, "actor"), ctl_js(r, "action"), ctl_js(r, "subject"));
		}
		json_decref(out);
		return 0;
	}
	if (strcmp(verb, "verify") == 0 && c->argc == 1) {
		struct audit_verdict v;
		if ((rc = store_txn_begin(c->ctx.store, &txn, 1, &err)) != TL_OK)
			return ctl_fail(&err);
		rc = audit_verify(&txn, &v, &err);
		store_abort(&txn);
		if (c->json) {
			json_t *o = json_pack("{s:b, s:I, s:I, s:s}", "intact", rc == TL_OK, "records",
			                      (json_int_t)v.records, "bad_seq", (json_int_t)v.bad_seq,
			                      "problem", v.problem);
			ctl_print_json(o);
			json_decref(o);
		}
		if (rc != TL_OK) {
			fprintf(stderr, "tillitctl: %s\n", err.msg);
			return 1;
		}
		if (!c->json)
			printf("audit log intact: %llu records\n", (unsigned long long)v.records);
		return 0;
	}
	return ctl_usage("usage: audit list | audit verify%s", "");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	const char *noun;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	c.dir = getenv("TILLIT_DATA");
	log_set_level(LOG_LVL_WARN);
	while ((ch = getopt_long(argc, argv, "+d:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': c.dir = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("tillitctl %s\n", PACKAGE_VERSION); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	noun = argv[optind++];
	if (strcmp(noun, "config") == 0) {
		conf_print_table(stdout);
		return 0;
	}
	if (strcmp(noun, "framework") == 0 && optind < argc &&
	    (strcmp(argv[optind], "checks") == 0 || strcmp(argv[optind], "check") == 0)) {
		/* these read no data directory */
		if ((rc = cli_parse_flags(&c, argc - optind, argv + optind)) != 0)
			return rc;
		xmlInitParser();
		rc = cmd_framework(&c);
		xmlCleanupParser();
		return rc;
	}
	if (c.dir == NULL || *c.dir == '\0') {
		fprintf(stderr, "tillitctl: no data directory: use -d DIR or set TILLIT_DATA\n");
		return 2;
	}
	if ((rc = cli_parse_flags(&c, argc - optind, argv + optind)) != 0)
		return rc;
	xmlInitParser();
	log_route_libxml2();
	if (strcmp(noun, "init") == 0)
		rc = cmd_init(&c);
	else if (strcmp(noun, "member") == 0)
		rc = cmd_member(&c);
	else if (strcmp(noun, "entity") == 0)
		rc = cmd_entity(&c);
	else if (strcmp(noun, "publish") == 0)
		rc = cmd_publish(&c);
	else if (strcmp(noun, "import") == 0)
		rc = cmd_import(&c);
	else if (strcmp(noun, "audit") == 0)
		rc = cmd_audit(&c);
	else if (strcmp(noun, "token") == 0)
		rc = cmd_token(&c);
	else if (strcmp(noun, "framework") == 0)
		rc = cmd_framework(&c);
	else if (strcmp(noun, "evaluate") == 0)
		rc = cmd_evaluate(&c);
	else if (strcmp(noun, "attest") == 0)
		rc = cmd_attest(&c);
	else if (strcmp(noun, "attestation") == 0)
		rc = cmd_attestation(&c);
	else if (strcmp(noun, "agreement") == 0)
		rc = cmd_agreement(&c);
	else if (strcmp(noun, "keys") == 0)
		rc = cmd_keys(&c);
	else
		rc = ctl_usage("unknown command '%s'", noun);
	md_schema_free(c.schema);
	tf_set_free(c.frameworks);
	if (c.ctx_open)
		ctx_close(&c.ctx);
	xmlCleanupParser();
	return rc;
}
