/*
 * ctl.h - tillitctl's own parts: the parsed command line and the helpers
 * its command files share (tillitctl.c: registry commands and main;
 * ctl_trust.c: frameworks, evaluation and attestations; ctl_sso.c: the SSO
 * hub's attribute release agreements).
 */
#ifndef TILLIT_CTL_H
#define TILLIT_CTL_H

#include <jansson.h>

#include "tillit/ctx.h"
#include "tillit/err.h"
#include "tillit/md.h"
#include "tillit/tf.h"

#define MAX_FLAGS 16

struct cli {
	const char *dir;
	int json;
	int argc;          /* positional arguments after the noun */
	char **argv;
	const char *flag_name[MAX_FLAGS];
	const char *flag_val[MAX_FLAGS];
	int nflags;
	struct tl_ctx ctx;
	int ctx_open;
	struct md_schema *schema;
	struct tf_set *frameworks;
};

/* "tillitctl: MESSAGE (try tillitctl --help)"; returns 2. */
int ctl_usage(const char *fmt, const char *arg);
/* Print err's one line; returns the exit status for its code. */
int ctl_fail(const struct tl_err *err);
/* The value of option --name, or NULL. */
const char *ctl_flag(const struct cli *c, const char *name);
/* Open the data directory once. */
int ctl_open(struct cli *c, struct tl_err *err);
/* Load the metadata schema once. */
int ctl_schema(struct cli *c, struct tl_err *err);
/* Load the trust frameworks once (the data directory must be open). */
int ctl_frameworks(struct cli *c, struct tl_err *err);
/* One JSON document on stdout. */
void ctl_print_json(json_t *j);
/* o[k] as a string, "-" when absent. */
const char *ctl_js(json_t *o, const char *k);

int cmd_framework(struct cli *c);
int cmd_evaluate(struct cli *c);
int cmd_attest(struct cli *c);
int cmd_attestation(struct cli *c);
int cmd_agreement(struct cli *c);

#endif
