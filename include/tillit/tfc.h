/*
 * tfc.h - the library of named automated checks over an entity's metadata
 * model, used by the trust-framework requirements (`test = NAME ARGS`).
 *
 * A check is given the model, its parsed arguments, the evaluation context
 * and the roles it is to look at (the requirement's roles that the entity
 * has).  It answers pass, fail or not-applicable, with the path of the
 * element concerned and one sentence saying why, in words a member's
 * administrator understands.  `tillitctl framework checks` lists them.
 *
 * Arguments: words separated by spaces; "key=value" words are named
 * arguments, the rest positional.  Each check declares what it takes in
 * its usage string and refuses anything else when the framework is loaded.
 */
#ifndef TILLIT_TFC_H
#define TILLIT_TFC_H

#include <stddef.h>

#include "tillit/mdm.h"
#include "tillit/tf.h"

#define TFC_ARGS_MAX 24
#define TFC_ARG_MAX 512
#define TFC_PATH_MAX 512
#define TFC_MSG_MAX 600

/* Parsed arguments, owned by the requirement. */
struct tfc_args {
	int n;
	char *key[TFC_ARGS_MAX];   /* NULL for a positional word */
	char *val[TFC_ARGS_MAX];
};

struct tfc_out {
	int quiet;                 /* set by the caller: only the outcome is wanted */
	enum tf_outcome outcome;   /* TF_PASS, TF_FAIL or TF_NOT_APPLICABLE */
	char path[TFC_PATH_MAX];
	char msg[TFC_MSG_MAX];
};

struct tfc_check {
	const char *name;
	const char *group;    /* entity, language, mdui, contacts, keys, algorithms, endpoints, idp, sp, categories, timing */
	const char *usage;    /* arguments: "", "TYPE", "[rsa=2048] [ec=256]", "LANG...", ... */
	const char *doc;      /* what it checks */
	int time_dependent;   /* the outcome may change with the date alone */
	/* Validate args; 0 or -1 with why filled. */
	int (*validate)(const struct tfc_args *a, char *why, size_t whylen);
	void (*run)(const struct mdm_entity *m, const struct tfc_args *a,
	            const struct tf_context *c, unsigned roles, struct tfc_out *out);
};

/* The check called name, or NULL. */
const struct tfc_check *tfc_find(const char *name);

/* The library, for listing: *n checks. */
const struct tfc_check *tfc_all(size_t *n);

/*
 * Split "NAME ARGS..." into the check and its arguments (*args new:
 * tfc_args_free()).  Errors, with why filled: unknown check, malformed or
 * refused arguments.  Returns 0 or -1.
 */
int tfc_parse(const char *test, const struct tfc_check **check, struct tfc_args **args,
              char *why, size_t whylen);

void tfc_args_free(struct tfc_args *a);

/* Run check on m (roles: enum md_role bits to look at). */
void tfc_run(const struct tfc_check *check, const struct tfc_args *a, const struct mdm_entity *m,
             const struct tf_context *c, unsigned roles, struct tfc_out *out);

#endif
