/* api.c - the JSON API: routing, authorisation, rendering of the services' results. */
#include "tillit/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "tillit/agr.h"
#include "tillit/att.h"
#include "tillit/auth.h"
#include "tillit/cert.h"
#include "tillit/log.h"
#include "tillit/pub.h"
#include "tillit/reg.h"
#include "tillit/tf.h"
#include "tillit/trust.h"
#include "tillit/util.h"

#define API_SEGMENTS 6
#define API_SEGMENT_MAX 2048
#define API_QUERY_MAX 8

struct api_call {
	struct tl_ctx ctx;            /* the caller's copy: actor = the token */
	const struct api_request *rq;
	struct api_response *rs;
	struct auth_principal who;
	char *seg[API_SEGMENTS];      /* decoded path segments */
	int nseg;
	char *qkey[API_QUERY_MAX], *qval[API_QUERY_MAX];
	int nq;
	json_t *body;                 /* parsed JSON body of a POST or PUT */
};

/* ---- responses -------------------------------------------------------- */

static void api_json(struct api_call *c, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	c->rs->status = s ? status : 500;
	c->rs->body = s ? s : strdup("{\"error\": {\"status\": 500, \"message\": \"out of memory\"}}");
	c->rs->len = c->rs->body ? strlen(c->rs->body) : 0;
	json_decref(j);
}

static void api_error(struct api_call *c, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void api_error(struct api_call *c, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[TL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_json(c, status, json_pack("{s:{s:i, s:s, s:s}}", "error", "status", (int)status, "code", code,
	                              "message", msg));
}

static void api_fail(struct api_call *c, const struct tl_err *err)
{
	api_error(c, tl_http_status(err->code), tl_strerror(err->code), "%s", err->msg);
}

/* ---- request parsing -------------------------------------------------- */

static int api_split(struct api_call *c)
{
	const char *p = c->rq->path, *end = c->rq->path + c->rq->path_len;

	while (p < end) {
		const char *s;
		if (*p != '/')
			return -1;
		p++;
		s = p;
		while (p < end && *p != '/')
			p++;
		if (p == s && p == end)
			break; /* a trailing slash */
		if (c->nseg == API_SEGMENTS || p - s > API_SEGMENT_MAX)
			return -1;
		c->seg[c->nseg] = util_url_decode(s, (size_t)(p - s));
		if (c->seg[c->nseg] == NULL)
			return -1;
		c->nseg++;
	}
	if (c->rq->query != NULL) {
		const char *q = c->rq->query;
		while (*q != '\0') {
			size_t n = strcspn(q, "&");
			const char *eq = memchr(q, '=', n);
			if (c->nq == API_QUERY_MAX)
				return -1;
			if (eq != NULL) {
				c->qkey[c->nq] = util_url_decode(q, (size_t)(eq - q));
				c->qval[c->nq] = util_url_decode(eq + 1, n - (size_t)(eq - q) - 1);
			} else {
				c->qkey[c->nq] = util_url_decode(q, n);
				c->qval[c->nq] = strdup("");
			}
			if (c->qkey[c->nq] == NULL || c->qval[c->nq] == NULL)
				return -1;
			c->nq++;
			q += n;
			if (*q == '&')
				q++;
		}
	}
	return 0;
}

static const char *api_q(struct api_call *c, const char *k)
{
	for (int i = 0; i < c->nq; i++)
		if (strcmp(c->qkey[i], k) == 0)
			return c->qval[i];
	return NULL;
}

static const char *api_bstr(struct api_call *c, const char *k)
{
	const char *s = json_string_value(json_object_get(c->body, k));
	return s;
}

static int api_is(struct api_call *c, const char *method, int nseg, ...)
{
	va_list ap;
	int ok = strcmp(c->rq->method, method) == 0 && c->nseg == nseg;

	va_start(ap, nseg);
	for (int i = 0; ok && i < nseg; i++) {
		const char *want = va_arg(ap, const char *);
		if (want != NULL && strcmp(c->seg[i], want) != 0)
			ok = 0;
	}
	va_end(ap);
	return ok;
}

/* ---- authorisation ---------------------------------------------------- */

static int api_operator(struct api_call *c)
{
	if (c->who.role == AUTH_OPERATOR)
		return 1;
	api_error(c, 403, "permission denied", "this needs an operator token; %s is a member token of %s",
	          c->who.name, c->who.member);
	return 0;
}

/* May the caller see and attest entity_id?  Answers 404/403 itself when not. */
static int api_may_entity(struct api_call *c, const char *entity_id, json_t **show)
{
	struct tl_err err = { 0 };
	json_t *e = NULL;
	const char *owner;

	if (reg_entity_show(&c->ctx, entity_id, &e, &err) != TL_OK) {
		api_fail(c, &err);
		return 0;
	}
	owner = json_string_value(json_object_get(e, "member"));
	if (c->who.role != AUTH_OPERATOR && (owner == NULL || strcmp(owner, c->who.member) != 0)) {
		json_decref(e);
		api_error(c, 403, "permission denied", "%s is not an entity of member %s", entity_id,
		          c->who.member);
		return 0;
	}
	if (show != NULL)
		*show = e;
	else
		json_decref(e);
	return 1;
}

/* The objects of all (a reference taken) whose "entity_id" is the calling member's entity. */
static json_t *api_mine(struct api_call *c, json_t *all)
{
	json_t *mine = json_array(), *a;
	size_t i;

	json_array_foreach(all, i, a) {
		json_t *e = NULL;
		struct tl_err err;
		const char *id = json_string_value(json_object_get(a, "entity_id"));
		if (id != NULL && reg_entity_show(&c->ctx, id, &e, &err) == TL_OK) {
			const char *m = json_string_value(json_object_get(e, "member"));
			if (m != NULL && strcmp(m, c->who.member) == 0)
				json_array_append(mine, a);
			json_decref(e);
		}
	}
	json_decref(all);
	return mine;
}

/* ---- handlers --------------------------------------------------------- */

static json_t *api_fw(const struct tf_framework *fw, int full)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I}", "id", fw->id, "version", fw->version,
	                      "title", fw->title, "source", fw->source, "baseline", fw->baseline, "levels",
	                      (json_int_t)fw->nlevels, "requirements", (json_int_t)fw->nreqs);
	json_t *levels, *reqs;

	if (!full)
		return o;
	levels = json_array();
	for (size_t i = 0; i < fw->nlevels; i++) {
		const struct tf_level *l = &fw->levels[i];
		json_t *pub = json_array(), *ext = json_array();
		for (size_t k = 0; k < l->npublish; k++)
			json_array_append_new(pub, json_pack("{s:s, s:s}", "attribute", l->publish[k].attribute,
			                                     "value", l->publish[k].value));
		for (size_t k = 0; k < l->nextends; k++) {
			char ref[2 * TF_ID_MAX + 2];
			snprintf(ref, sizeof(ref), "%s/%s", l->extends[k]->fw->id, l->extends[k]->id);
			json_array_append_new(ext, json_string(ref));
		}
		json_array_append_new(levels, json_pack("{s:s, s:s, s:o, s:o}", "level", l->id, "title", l->title,
		                                        "publish", pub, "extends", ext));
	}
	reqs = json_array();
	for (size_t i = 0; i < fw->nreqs; i++) {
		const struct tf_requirement *r = &fw->reqs[i];
		char ref[2 * TF_ID_MAX + 2];
		snprintf(ref, sizeof(ref), "%s/%s", fw->id, r->id);
		json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "id", ref, "level",
		                                      r->level->id, "kind",
		                                      r->kind == TF_KIND_CHECK ? "check" : "attestation", "text",
		                                      r->text, "evidence", r->evidence, "test", r->test));
	}
	json_object_set_new(o, "levels", levels);
	json_object_set_new(o, "requirements", reqs);
	return o;
}

static void api_frameworks(struct api_call *c, const struct tf_set *s)
{
	if (c->nseg == 1) {
		json_t *a = json_array();
		for (size_t i = 0; i < s->n; i++)
			json_array_append_new(a, api_fw(&s->fws[i], 0));
		api_json(c, 200, a);
		return;
	}
	{
		const struct tf_framework *fw = tf_find_framework(s, c->seg[1]);
		if (fw == NULL)
			api_error(c, 404, "not found", "no framework %s", c->seg[1]);
		else
			api_json(c, 200, api_fw(fw, 1));
	}
}

static void api_entities(struct api_call *c)
{
	struct tl_err err = { 0 };
	json_t *all = NULL, *mine, *e;
	size_t i;

	if (reg_entity_list(&c->ctx, api_q(c, "state"), &all, &err) != TL_OK) {
		api_fail(c, &err);
		return;
	}
	if (c->who.role == AUTH_OPERATOR) {
		api_json(c, 200, all);
		return;
	}
	mine = json_array();
	json_array_foreach(all, i, e) {
		const char *m = json_string_value(json_object_get(e, "member"));
		if (m != NULL && strcmp(m, c->who.member) == 0)
			json_array_append(mine, e);
	}
	json_decref(all);
	api_json(c, 200, mine);
}

static void api_report(struct api_call *c, const struct tf_set *s)
{
	struct tl_err err = { 0 };
	const char *v = api_q(c, "version"), *fw = api_q(c, "framework");
	json_t *rep = NULL;

	if (!api_may_entity(c, c->seg[1], NULL))
		return;
	if (trust_report(&c->ctx, s, c->seg[1], v ? (unsigned)strtoul(v, NULL, 10) : 0, &rep, &err) != TL_OK) {
		api_fail(c, &err);
		return;
	}
	if (fw != NULL) {
		json_t *keep = json_array(), *x;
		size_t i;
		json_array_foreach(json_object_get(rep, "results"), i, x)
			if (strcmp(json_string_value(json_object_get(x, "framework")) ?: "", fw) == 0)
				json_array_append(keep, x);
		json_object_set_new(rep, "results", keep);
	}
	api_json(c, 200, rep);
}

static void api_approve_entity(struct api_call *c, const struct tf_set *s)
{
	struct tl_err err = { 0 };
	json_t *out = NULL, *fails = NULL;
	int rc;

	if (!api_operator(c))
		return;
	rc = trust_approve(&c->ctx, s, c->seg[1], api_bstr(c, "override_reason"), &out, &fails, &err);
	if (rc == TL_ERULE && fails != NULL) {
		api_json(c, 422, json_pack("{s:{s:i, s:s, s:s, s:o}}", "error", "status", 422, "code",
		                           tl_strerror(rc), "message", err.msg, "failing", fails));
		return;
	}
	json_decref(fails);
	if (rc != TL_OK)
		api_fail(c, &err);
	else
		api_json(c, 200, out);
}

static void api_attest(struct api_call *c, const struct tf_set *s)
{
	struct tl_err err = { 0 };
	const char *req = api_bstr(c, "requirement"), *b64 = api_bstr(c, "evidence"),
	           *name = api_bstr(c, "evidence_name"), *exp = api_bstr(c, "expires");
	unsigned char *data = NULL;
	size_t len = 0;
	time_t expires = 0;
	json_t *out = NULL;

	if (!api_may_entity(c, c->seg[1], NULL))
		return;
	if (req == NULL || b64 == NULL) {
		api_error(c, 400, "invalid input", "the body needs \"requirement\" (FRAMEWORK/REQUIREMENT) and \"evidence\" (base64)");
		return;
	}
	if (exp != NULL && (strlen(exp) < 10 || util_time_parse(exp, &expires) != 0)) {
		api_error(c, 400, "invalid input", "\"expires\" '%s' is not an ISO 8601 date (2027-12-31)", exp);
		return;
	}
	if (cert_b64_decode(b64, &data, &len, &err) != TL_OK) {
		api_error(c, 400, "invalid input", "\"evidence\" is not base64: %s", err.msg);
		return;
	}
	if (att_submit(&c->ctx, s, c->seg[1], req, data, len, name ? name : "evidence", expires, &out, &err) != TL_OK)
		api_fail(c, &err);
	else
		api_json(c, 201, out);
	free(data);
}

static void api_attestations(struct api_call *c)
{
	struct tl_err err = { 0 };
	const char *due = api_q(c, "due"), *entity = api_q(c, "entity");
	long days = -1;
	json_t *all = NULL;

	if (due != NULL && (days = att_parse_days(due)) < 0) {
		api_error(c, 400, "invalid input", "due takes a number of days such as 30d, not '%s'", due);
		return;
	}
	if (entity != NULL && c->who.role != AUTH_OPERATOR && !api_may_entity(c, entity, NULL))
		return;
	if (att_list(&c->ctx, entity, api_q(c, "state"), days, &all, &err) != TL_OK) {
		api_fail(c, &err);
		return;
	}
	api_json(c, 200, c->who.role == AUTH_OPERATOR ? all : api_mine(c, all));
}

static int api_att_id(struct api_call *c, long long *id)
{
	char *end;

	*id = strtoll(c->seg[1], &end, 10);
	if (*c->seg[1] == '\0' || *end != '\0' || *id <= 0) {
		api_error(c, 404, "not found", "no attestation '%s'", c->seg[1]);
		return 0;
	}
	return 1;
}

static void api_attestation(struct api_call *c, const struct tf_set *s)
{
	struct tl_err err = { 0 };
	json_t *out = NULL;
	long long id;

	if (!api_att_id(c, &id))
		return;
	if (c->nseg == 2) {
		if (att_show(&c->ctx, id, &out, &err) != TL_OK) {
			api_fail(c, &err);
			return;
		}
		if (c->who.role != AUTH_OPERATOR &&
		    !api_may_entity(c, json_string_value(json_object_get(out, "entity_id")) ?: "", NULL)) {
			json_decref(out);
			return;
		}
		api_json(c, 200, out);
		return;
	}
	if (!api_operator(c))
		return;
	{
		enum att_decision d;
		struct pub_report rep;
		struct tl_err perr = { 0 };
		if (strcmp(c->seg[2], "approve") == 0)
			d = ATT_APPROVE;
		else if (strcmp(c->seg[2], "reject") == 0)
			d = ATT_REJECT;
		else if (strcmp(c->seg[2], "withdraw") == 0)
			d = ATT_WITHDRAW;
		else {
			api_error(c, 404, "not found", "no such resource");
			return;
		}
		if (att_decide(&c->ctx, s, id, d, api_bstr(c, "reason"), &out, &err) != TL_OK) {
			api_fail(c, &err);
			return;
		}
		if (pub_refresh_certification(&c->ctx, &rep, &perr) != TL_OK)
			log_warn("api: attestation %lld decided, certification not refreshed: %s", id, perr.msg);
		else
			json_object_set_new(out, "recertified", json_integer((json_int_t)rep.prepared));
		api_json(c, 200, out);
	}
}

static void api_agreements(struct api_call *c)
{
	struct tl_err err = { 0 };
	json_t *all = NULL;

	if (agr_list(&c->ctx, &all, &err) != TL_OK) {
		api_fail(c, &err);
		return;
	}
	api_json(c, 200, c->who.role == AUTH_OPERATOR ? all : api_mine(c, all));
}

/* PUT {"attributes": [NAME...], "purpose": TEXT}: set (replace) the agreement. */
static int api_agreement_put(struct api_call *c, struct tl_err *err)
{
	json_t *attrs = json_object_get(c->body, "attributes"), *x;
	const char *purpose = api_bstr(c, "purpose"), **names = NULL;
	size_t i, n = json_array_size(attrs);
	int rc;

	if (!json_is_array(attrs) || purpose == NULL)
		return tl_err_set(err, TL_EINVAL,
		                  "the body needs \"attributes\" (an array of attribute names) and \"purpose\" (text)");
	if (n > 0 && (names = calloc(n, sizeof(*names))) == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	json_array_foreach(attrs, i, x)
		if ((names[i] = json_string_value(x)) == NULL) {
			free(names);
			return tl_err_set(err, TL_EINVAL, "\"attributes\" must be an array of strings");
		}
	rc = agr_set(&c->ctx, c->seg[1], names, n, purpose, err);
	free(names);
	return rc;
}

static void api_agreement(struct api_call *c)
{
	struct tl_err err = { 0 };
	const char *m = c->rq->method, *id = c->seg[1];
	json_t *out = NULL;

	if (strcmp(m, "GET") == 0 && c->who.role != AUTH_OPERATOR && !api_may_entity(c, id, NULL))
		return;
	if (strcmp(m, "GET") != 0 && !api_operator(c))
		return;
	if (strcmp(m, "DELETE") == 0) {
		if (agr_remove(&c->ctx, id, &err) != TL_OK)
			api_fail(c, &err);
		else
			api_json(c, 200, json_pack("{s:s, s:b}", "entity_id", id, "removed", 1));
		return;
	}
	if ((strcmp(m, "PUT") == 0 && api_agreement_put(c, &err) != TL_OK) ||
	    agr_show(&c->ctx, id, &out, &err) != TL_OK)
		api_fail(c, &err);
	else
		api_json(c, 200, out);
}

static void api_summary(struct api_call *c, const struct tf_set *s)
{
	struct tl_err err = { 0 };
	struct trust_opts o = { 0 };
	struct trust_stats st;
	json_t *all = NULL;

	if (!api_operator(c))
		return;
	if (trust_evaluate_all(&c->ctx, s, &o, &all, &st, &err) != TL_OK) {
		api_fail(c, &err);
		return;
	}
	api_json(c, 200, json_pack("{s:o, s:I, s:I, s:f}", "entities", all, "evaluated",
	                           (json_int_t)st.evaluated, "fresh", (json_int_t)(st.entities - st.evaluated),
	                           "seconds", st.seconds));
}

/* ---- dispatch --------------------------------------------------------- */

static void api_route(struct api_call *c)
{
	struct tf_set *s = NULL;
	struct tl_err err = { 0 };
	const char *m = c->rq->method;

	if (c->nseg == 0) {
		api_error(c, 404, "not found", "no such resource (see /api/v1/frameworks, /entities, /attestations, /agreements)");
		return;
	}
	if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0 &&
	    !((strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0) && strcmp(c->seg[0], "agreements") == 0)) {
		api_error(c, 405, "method not allowed",
		          "the API takes GET and POST (and PUT and DELETE on /agreements/{entityID})");
		return;
	}
	if (strcmp(c->seg[0], "frameworks") == 0 || strcmp(c->seg[0], "summary") == 0 ||
	    (c->nseg >= 3 && (strcmp(c->seg[2], "report") == 0 || strcmp(c->seg[2], "attestations") == 0 ||
	                      strcmp(c->seg[2], "approve") == 0)) ||
	    (strcmp(c->seg[0], "attestations") == 0 && c->nseg == 3)) {
		if (trust_load(&c->ctx, &s, &err) != TL_OK) {
			api_fail(c, &err);
			return;
		}
	}
	if (api_is(c, "GET", 1, "frameworks") || api_is(c, "GET", 2, "frameworks", NULL))
		api_frameworks(c, s);
	else if (api_is(c, "GET", 1, "entities"))
		api_entities(c);
	else if (api_is(c, "GET", 2, "entities", NULL)) {
		json_t *e = NULL;
		if (api_may_entity(c, c->seg[1], &e))
			api_json(c, 200, e);
	} else if (api_is(c, "GET", 3, "entities", NULL, "report"))
		api_report(c, s);
	else if (api_is(c, "POST", 3, "entities", NULL, "approve"))
		api_approve_entity(c, s);
	else if (api_is(c, "POST", 3, "entities", NULL, "attestations"))
		api_attest(c, s);
	else if (api_is(c, "GET", 1, "attestations"))
		api_attestations(c);
	else if (api_is(c, "GET", 2, "attestations", NULL) || api_is(c, "POST", 3, "attestations", NULL, NULL))
		api_attestation(c, s);
	else if (api_is(c, "GET", 1, "summary"))
		api_summary(c, s);
	else if (api_is(c, "GET", 1, "agreements"))
		api_agreements(c);
	else if (api_is(c, "GET", 2, "agreements", NULL) || api_is(c, "PUT", 2, "agreements", NULL) ||
	         api_is(c, "DELETE", 2, "agreements", NULL))
		api_agreement(c);
	else
		api_error(c, 404, "not found", "no such resource: %s %.*s", m, (int)c->rq->path_len, c->rq->path);
	tf_set_free(s);
}

void api_handle(const struct tl_ctx *ctx, const struct api_request *rq, struct api_response *rs)
{
	struct api_call *c = calloc(1, sizeof(*c));
	struct tl_err err = { 0 };
	const char *auth = rq->authorization;

	memset(rs, 0, sizeof(*rs));
	if (c == NULL) {
		rs->status = 503;
		return;
	}
	c->ctx = *ctx;
	c->rq = rq;
	c->rs = rs;
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 ||
	    auth_check(&c->ctx, auth + 7 + strspn(auth + 7, " "), &c->who, &err) != TL_OK) {
		api_error(c, 401, "unauthorized", "%s", auth == NULL ? "an API token is needed: Authorization: Bearer TOKEN (tillitctl token add)"
		                                                    : err.msg[0] ? err.msg : "no valid API token");
		goto out;
	}
	snprintf(c->ctx.actor, sizeof(c->ctx.actor), "api:%s", c->who.name);
	if (api_split(c) != 0) {
		api_error(c, 400, "invalid input", "the path or query is malformed or too long");
		goto out;
	}
	if (strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0) {
		json_error_t je;
		c->body = rq->body_len ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je)
		                       : json_object();
		if (c->body == NULL || !json_is_object(c->body)) {
			api_error(c, 400, "invalid input", "the body is not a JSON object%s%s",
			          c->body == NULL ? ": " : "", c->body == NULL ? je.text : "");
			goto out;
		}
	}
	api_route(c);
out:
	for (int i = 0; i < c->nseg; i++)
		free(c->seg[i]);
	for (int i = 0; i < c->nq; i++) {
		free(c->qkey[i]);
		free(c->qval[i]);
	}
	json_decref(c->body);
	free(c);
}

unsigned long long api_max_body(const struct tl_ctx *ctx)
{
	unsigned long long b64 = ctx->conf.max_evidence_size / 3 * 4 + 64 * 1024;

	return b64 > ctx->conf.http_max_body ? b64 : ctx->conf.http_max_body;
}
