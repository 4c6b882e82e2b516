/*
 * tf.h - trust frameworks: their definitions, read from files, and the
 * evaluation of one entity against them.
 *
 * A framework file (trust-frameworks/ID.tf, format in
 * trust-frameworks/README.md) defines a framework, its levels (which may
 * extend other levels, also of other frameworks) and its requirements:
 * automated checks (a named check of the library in tfc.h with its
 * parameters) and attestations (evidence the member shows and the
 * operator reviews).  A level is achieved when the levels it extends are,
 * every applicable error-severity check passes and every applicable
 * attestation is approved and unexpired; then its `publish` attributes go
 * into the entity's published metadata.
 *
 * Loading is strict: every mistake is an error naming file, line and item,
 * and a set with any error is refused as a whole.
 */
#ifndef TILLIT_TF_H
#define TILLIT_TF_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "tillit/err.h"
#include "tillit/mdm.h"
#include "tillit/util.h"

#define TF_ID_MAX 64
#define TF_FILE_MAX (1024 * 1024)  /* a framework file larger than this is refused */
#define TF_FILES_MAX 256           /* framework files in one directory */
#define TF_REQS_MAX 1024           /* requirements in one framework */

#define TF_ATTR_ASSURANCE "urn:oasis:names:tc:SAML:attribute:assurance-certification"
#define TF_ATTR_CATEGORY "http://macedir.org/entity-category"
#define TF_ATTR_CATEGORY_SUPPORT "http://macedir.org/entity-category-support"

enum tf_outcome {
	TF_PASS = 0,
	TF_FAIL,
	TF_WARNING,
	TF_NEEDS_ATTESTATION,
	TF_ATTESTED,
	TF_NOT_APPLICABLE,
	TF__OUTCOMES
};

/* "pass", "fail", "warning", "needs-attestation", "attested", "not-applicable". */
const char *tf_outcome_name(enum tf_outcome o);

enum tf_severity { TF_SEV_ERROR = 0, TF_SEV_WARNING };
enum tf_kind { TF_KIND_CHECK = 0, TF_KIND_ATTEST };

/* Roles a framework, level or requirement applies to (enum md_role bits). */
#define TF_ROLES_ALL 7u

struct tf_framework;
struct tfc_check;

struct tf_publish {
	char *attribute;  /* full attribute name */
	char *value;
};

struct tf_level {
	char *id;
	size_t idx;                /* position in the set (tf_report.levels[idx]) */
	char *title;
	char *description;
	struct tf_framework *fw;
	unsigned roles;
	char **extends_ref;        /* as written: "LEVEL" or "FRAMEWORK/LEVEL" */
	struct tf_level **extends; /* resolved */
	size_t nextends;
	struct tf_publish *publish;
	size_t npublish;
	int line;
};

/* A calendar period (P1Y6M, P90D). */
struct tf_period {
	int years, months, days;
};

struct tf_requirement {
	char *id;
	struct tf_framework *fw;
	struct tf_level *level;
	char *level_id;                 /* as written */
	enum tf_kind kind;
	char *text;
	char *source;
	unsigned roles;
	time_t since, until;            /* 0: not set */
	int line;
	/* checks */
	enum tf_severity severity;
	const struct tfc_check *check;
	void *params;                   /* the check's own, parsed from test */
	char *test;                     /* as written */
	/* attestations */
	char *evidence;
	struct tf_period validity;
	int remind_days;
};

struct tf_framework {
	char *id;
	char *version;
	char *title;
	char *source;
	char *description;
	char *file;
	unsigned roles;
	int baseline;
	struct tf_level *levels;
	size_t nlevels;
	struct tf_requirement *reqs;
	size_t nreqs;
	unsigned char sha256[UTIL_SHA256_LEN]; /* of the file's bytes */
};

struct tf_set {
	struct tf_framework *fws;
	size_t n;
	size_t nlevels;                 /* over all frameworks */
	unsigned char digest[UTIL_SHA256_LEN]; /* of every file, in name order */
	char dir[4096];
};

/*
 * Load every *.tf file of dir (in name order).  Errors: TL_ECONF
 * ("FILE:LINE: ITEM: problem"), TL_ENOENT (dir), TL_ELIMIT, TL_ENOMEM.
 * On success *out owns the set: tf_set_free() it.
 */
int tf_load_dir(const char *dir, struct tf_set **out, struct tl_err *err);

/* Load from a list of files (tests, `framework check`). */
int tf_load_files(const char *const *paths, size_t n, struct tf_set **out, struct tl_err *err);

void tf_set_free(struct tf_set *s);

const struct tf_framework *tf_find_framework(const struct tf_set *s, const char *id);

/* "FRAMEWORK/REQUIREMENT" as `framework show` prints it; NULL if none. */
const struct tf_requirement *tf_find_requirement(const struct tf_set *s, const char *ref);

/* The framework marked `baseline = yes`, or NULL. */
const struct tf_framework *tf_baseline(const struct tf_set *s);

/* An attestation as the evaluation sees it (the store's record, att.h). */
enum tf_att_state { TF_ATT_PENDING = 0, TF_ATT_APPROVED, TF_ATT_REJECTED, TF_ATT_WITHDRAWN };

struct tf_attestation {
	const char *requirement;  /* "FRAMEWORK/REQUIREMENT" */
	enum tf_att_state state;
	long long id;
	time_t submitted;
	time_t decided;
	time_t expires;           /* 0: until withdrawn */
	const char *reason;       /* a rejection's */
};

/* What a check may need besides the entity. */
struct tf_context {
	time_t now;
	int imported;                        /* from another federation's aggregate */
	const char *registration_authority;  /* ours */
	/*
	 * Is this display name (language lang) used by another approved IdP
	 * of the federation?  May be NULL (the check then passes).
	 */
	int (*display_name_taken)(void *ud, const char *entity_id, const char *lang,
	                          const char *name);
	void *ud;
	int quiet;   /* outcomes only: results carry no path or message (summaries) */
};

struct tf_result {
	const struct tf_requirement *req;
	enum tf_outcome outcome;
	char *path;     /* where in the metadata, or ""; NULL in a quiet report */
	char *message;  /* one sentence a non-expert understands; NULL in a quiet report */
};

struct tf_level_result {
	const struct tf_level *level;
	int applicable;
	int achieved;
	int counts[TF__OUTCOMES];    /* of the level's own requirements */
	const struct tf_level *missing_extends; /* the first extended level not achieved */
};

/* An attribute value in the published metadata, and what certification does with it. */
struct tf_claim {
	const char *attribute;
	const char *value;
	int claimed;             /* the entity's own metadata has it */
	int publish;             /* it goes into the published metadata */
	const struct tf_level *level; /* the level that owns it (achieved one if any) */
};

struct tf_report {
	struct tf_result *results;
	size_t nresults;
	struct tf_level_result *levels;
	size_t nlevels;
	struct tf_claim *claims;
	size_t nclaims;
	int time_dependent;           /* a result depends on the date (expiry, since/until) */
	int quiet;                    /* results have no path or message (tf_context.quiet) */
	time_t evaluated;
};

/*
 * Evaluate entity m against every framework of s, with its attestations
 * att[0..natt) and context c.  *out: a new report (tf_report_free()).
 * Errors: TL_ENOMEM.  Thread-safe: s and m are only read.
 */
int tf_evaluate(const struct tf_set *s, const struct mdm_entity *m,
                const struct tf_attestation *att, size_t natt, const struct tf_context *c,
                struct tf_report **out, struct tl_err *err);

void tf_report_free(struct tf_report *r);

/* The level result of level in r, or NULL. */
const struct tf_level_result *tf_report_level(const struct tf_report *r, const struct tf_level *l);

/*
 * The report as JSON: {entity_id, evaluated_at, results: [{framework,
 * level, requirement, kind, outcome, path, message}], levels: [{framework,
 * level, title, applicable, achieved, requires, counts}], certifications:
 * [{attribute, value, claimed, published, level}]}.  New reference.
 */
json_t *tf_report_json(const struct tf_report *r, const struct mdm_entity *m);

/* Does any level of s own this (attribute, value)? */
int tf_owns(const struct tf_set *s, const char *attribute, const char *value);

/*
 * Is the level that publishes (attribute, higher) at least the one that
 * publishes (attribute, lower): the same level, or one extending it
 * (transitively)?  0 when either value is owned by no level.  Orders
 * assurance classes for RequestedAuthnContext's minimum, better and
 * maximum comparisons.
 */
int tf_covers(const struct tf_set *s, const char *attribute, const char *higher, const char *lower);

/* Full name of a publish attribute alias ("assurance-certification"), or NULL. */
const char *tf_attribute_alias(const char *name);

/* "P1Y6M", "P90D" for a period. */
void tf_period_format(const struct tf_period *p, char *out, size_t n);

/* Add a period to a time (calendar months and years). */
time_t tf_period_add(time_t t, const struct tf_period *p);

#endif
