/*
 * ctl_trust.c - tillitctl's trust-framework commands: framework, evaluate,
 * attest and attestation.  Front end only: the services are tf.h, trust.h
 * and att.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tillit/att.h"
#include "tillit/log.h"
#include "tillit/pub.h"
#include "tillit/tf.h"
#include "tillit/tfc.h"
#include "tillit/trust.h"
#include "tillit/util.h"

#include "ctl.h"

int ctl_frameworks(struct cli *c, struct tl_err *err)
{
	if (c->frameworks != NULL)
		return TL_OK;
	return trust_load(&c->ctx, &c->frameworks, err);
}

static const char *roles_words(unsigned r, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s", (r & MD_ROLE_IDP) ? "idp " : "", (r & MD_ROLE_SP) ? "sp " : "",
	         (r & MD_ROLE_AA) ? "aa " : "", r == 0 ? "none " : "");
	if (*out != '\0')
		out[strlen(out) - 1] = '\0';
	return out;
}

static json_t *roles_json(unsigned r)
{
	json_t *a = json_array();

	if (r & MD_ROLE_IDP)
		json_array_append_new(a, json_string("idp"));
	if (r & MD_ROLE_SP)
		json_array_append_new(a, json_string("sp"));
	if (r & MD_ROLE_AA)
		json_array_append_new(a, json_string("aa"));
	return a;
}

/* ---- framework ------------------------------------------------------- */

static json_t *fw_json(const struct tf_framework *fw, int full)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:b, s:o, s:I, s:I}", "id", fw->id, "version",
	                      fw->version, "title", fw->title, "source", fw->source, "description",
	                      fw->description, "baseline", fw->baseline, "applies", roles_json(fw->roles),
	                      "levels", (json_int_t)fw->nlevels, "requirements", (json_int_t)fw->nreqs);
	json_t *levels, *reqs;

	json_object_set_new(o, "file", json_string(fw->file));
	if (!full)
		return o;
	levels = json_array();
	for (size_t i = 0; i < fw->nlevels; i++) {
		const struct tf_level *l = &fw->levels[i];
		json_t *ext = json_array(), *pub = json_array();
		for (size_t k = 0; k < l->nextends; k++) {
			char ref[2 * TF_ID_MAX + 2];
			snprintf(ref, sizeof(ref), "%s/%s", l->extends[k]->fw->id, l->extends[k]->id);
			json_array_append_new(ext, json_string(ref));
		}
		for (size_t k = 0; k < l->npublish; k++)
			json_array_append_new(pub, json_pack("{s:s, s:s}", "attribute", l->publish[k].attribute,
			                                     "value", l->publish[k].value));
		json_array_append_new(levels, json_pack("{s:s, s:s, s:s?, s:o, s:o, s:o}", "level", l->id,
		                                        "title", l->title, "description", l->description,
		                                        "applies", roles_json(l->roles), "extends", ext,
		                                        "publish", pub));
	}
	reqs = json_array();
	for (size_t i = 0; i < fw->nreqs; i++) {
		const struct tf_requirement *r = &fw->reqs[i];
		char ref[2 * TF_ID_MAX + 2], d[32];
		json_t *j;
		snprintf(ref, sizeof(ref), "%s/%s", fw->id, r->id);
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s?}", "id", ref, "requirement", r->id, "level",
		              r->level->id, "kind", r->kind == TF_KIND_CHECK ? "check" : "attestation", "text",
		              r->text, "applies", roles_json(r->roles & r->level->roles), "source", r->source);
		if (r->kind == TF_KIND_CHECK) {
			json_object_set_new(j, "test", json_string(r->test));
			json_object_set_new(j, "severity", json_string(r->severity == TF_SEV_ERROR ? "error" : "warning"));
		} else {
			char v[48];
			tf_period_format(&r->validity, v, sizeof(v));
			json_object_set_new(j, "validity", json_string(v));
			json_object_set_new(j, "evidence", json_string(r->evidence));
			json_object_set_new(j, "remind_days", json_integer(r->remind_days));
		}
		if (r->since) {
			util_time_iso(r->since, d, sizeof(d));
			d[10] = '\0';
			json_object_set_new(j, "since", json_string(d));
		}
		if (r->until) {
			util_time_iso(r->until, d, sizeof(d));
			d[10] = '\0';
			json_object_set_new(j, "until", json_string(d));
		}
		json_array_append_new(reqs, j);
	}
	json_object_set_new(o, "levels", levels);
	json_object_set_new(o, "requirements", reqs);
	return o;
}

static int fw_checks(struct cli *c)
{
	size_t n;
	const struct tfc_check *t = tfc_all(&n);

	if (c->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", t[i].name, "group",
			                                   t[i].group, "usage", t[i].usage, "doc", t[i].doc,
			                                   "time_dependent", t[i].time_dependent));
		ctl_print_json(a);
		json_decref(a);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char sig[128];
		snprintf(sig, sizeof(sig), "%s%s%s", t[i].name, *t[i].usage ? " " : "", t[i].usage);
		printf("%-11s %-42s %s\n", t[i].group, sig, t[i].doc);
	}
	printf("%zu checks\n", n);
	return 0;
}

int cmd_framework(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	int rc;

	if (strcmp(verb, "checks") == 0 && c->argc == 1)
		return fw_checks(c);
	if (strcmp(verb, "check") == 0) {
		struct tf_set *s = NULL;
		if (c->argc < 2)
			return ctl_usage("usage: framework check FILE.tf...%s", "");
		rc = tf_load_files((const char *const *)c->argv + 1, (size_t)c->argc - 1, &s, &err);
		if (rc != TL_OK)
			return ctl_fail(&err);
		if (c->json) {
			json_t *a = json_array();
			for (size_t i = 0; i < s->n; i++)
				json_array_append_new(a, fw_json(&s->fws[i], 0));
			ctl_print_json(a);
			json_decref(a);
		} else {
			size_t reqs = 0;
			for (size_t i = 0; i < s->n; i++)
				reqs += s->fws[i].nreqs;
			printf("%zu frameworks, %zu levels, %zu requirements: no errors\n", s->n, s->nlevels, reqs);
		}
		tf_set_free(s);
		return 0;
	}
	if ((rc = ctl_open(c, &err)) != TL_OK || (rc = ctl_frameworks(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "list") == 0 && c->argc == 1) {
		if (c->json) {
			json_t *a = json_array();
			for (size_t i = 0; i < c->frameworks->n; i++)
				json_array_append_new(a, fw_json(&c->frameworks->fws[i], 0));
			ctl_print_json(a);
			json_decref(a);
			return 0;
		}
		for (size_t i = 0; i < c->frameworks->n; i++) {
			const struct tf_framework *fw = &c->frameworks->fws[i];
			char r[32];
			size_t checks = 0;
			for (size_t k = 0; k < fw->nreqs; k++)
				checks += fw->reqs[k].kind == TF_KIND_CHECK;
			printf("%-20s %-6s %-8s %zu levels, %3zu checks, %3zu attestations  %s%s\n", fw->id,
			       fw->version, roles_words(fw->roles, r, sizeof(r)), fw->nlevels, checks,
			       fw->nreqs - checks, fw->title, fw->baseline ? " (baseline)" : "");
		}
		return 0;
	}
	if (strcmp(verb, "show") == 0 && c->argc == 2) {
		const struct tf_framework *fw = tf_find_framework(c->frameworks, c->argv[1]);
		if (fw == NULL) {
			tl_err_set(&err, TL_ENOENT, "no framework %s (tillitctl framework list)", c->argv[1]);
			return ctl_fail(&err);
		}
		if (c->json) {
			json_t *o = fw_json(fw, 1);
			ctl_print_json(o);
			json_decref(o);
			return 0;
		}
		printf("%s %s: %s%s\nsource: %s\nfile:   %s\n", fw->id, fw->version, fw->title,
		       fw->baseline ? " (the federation's baseline)" : "", fw->source, fw->file);
		if (fw->description)
			printf("%s\n", fw->description);
		for (size_t i = 0; i < fw->nlevels; i++) {
			const struct tf_level *l = &fw->levels[i];
			char r[32];
			printf("\nlevel %s: %s (%s)\n", l->id, l->title, roles_words(l->roles, r, sizeof(r)));
			for (size_t k = 0; k < l->nextends; k++)
				printf("  requires %s/%s\n", l->extends[k]->fw->id, l->extends[k]->id);
			for (size_t k = 0; k < l->npublish; k++)
				printf("  publishes %s %s\n", l->publish[k].attribute, l->publish[k].value);
			for (size_t k = 0; k < fw->nreqs; k++) {
				const struct tf_requirement *q = &fw->reqs[k];
				if (q->level != l)
					continue;
				if (q->kind == TF_KIND_CHECK)
					printf("  %s/%-18s check (%s) %s: %s\n", fw->id, q->id,
					       q->severity == TF_SEV_ERROR ? "error" : "warning", q->test, q->text);
				else
					printf("  %s/%-18s attest: %s  Evidence: %s\n", fw->id, q->id, q->text, q->evidence);
			}
		}
		return 0;
	}
	return ctl_usage("usage: framework list | framework show ID | framework checks | framework check FILE...%s", "");
}

/* ---- evaluate -------------------------------------------------------- */

static int in_framework(json_t *o, const char *fw)
{
	return fw == NULL || strcmp(ctl_js(o, "framework"), fw) == 0;
}

static void print_report(json_t *rep, const char *only_fw)
{
	json_t *lv, *res, *cert;
	size_t i, j;
	const char *cur = "";
	char roles[32] = "";

	printf("%s  (%s %s, version %lld, %s)\n", ctl_js(rep, "entity_id"),
	       json_object_get(rep, "source") ? "source" : "member",
	       json_object_get(rep, "source") ? ctl_js(rep, "source") : ctl_js(rep, "member"),
	       (long long)json_integer_value(json_object_get(rep, "version")), ctl_js(rep, "state"));
	(void)roles;
	json_array_foreach(json_object_get(rep, "levels"), i, lv) {
		int na = 0;
		if (!in_framework(lv, only_fw))
			continue;
		if (strcmp(cur, ctl_js(lv, "framework")) != 0) {
			cur = ctl_js(lv, "framework");
			printf("\n%s\n", cur);
		}
		if (!json_is_true(json_object_get(lv, "applicable"))) {
			printf("  %-20s not applicable\n", ctl_js(lv, "level"));
			continue;
		}
		printf("  %-20s %s", ctl_js(lv, "level"),
		       json_is_true(json_object_get(lv, "achieved")) ? "achieved" : "not achieved");
		{
			json_t *cnt = json_object_get(lv, "counts");
			long long f = json_integer_value(json_object_get(cnt, "fail")),
			          w = json_integer_value(json_object_get(cnt, "warning")),
			          a = json_integer_value(json_object_get(cnt, "needs-attestation"));
			if (f || w || a)
				printf(" (%lld failed, %lld warnings, %lld need attestation)", f, w, a);
			json_array_foreach(json_object_get(lv, "requires"), j, res)
				printf("; requires %s", json_string_value(res));
		}
		printf("\n");
		json_array_foreach(json_object_get(rep, "results"), j, res) {
			const char *o = ctl_js(res, "outcome");
			if (strcmp(ctl_js(res, "framework"), cur) != 0 ||
			    strcmp(ctl_js(res, "level"), ctl_js(lv, "level")) != 0)
				continue;
			if (strcmp(o, "not-applicable") == 0) {
				na++;
				continue;
			}
			printf("    %-17s %-18s %s", o, ctl_js(res, "requirement"), ctl_js(res, "message"));
			if (*ctl_js(res, "path") && strcmp(ctl_js(res, "path"), "-") != 0 && strcmp(o, "pass") != 0)
				printf("  [%s]", ctl_js(res, "path"));
			printf("\n");
		}
		if (na)
			printf("    (%d not applicable)\n", na);
	}
	cert = json_object_get(rep, "certifications");
	if (json_array_size(cert) > 0 && only_fw == NULL) {
		printf("\ncertification in published metadata:\n");
		json_array_foreach(cert, i, res) {
			const char *what = json_is_true(json_object_get(res, "published"))
			                       ? (json_is_true(json_object_get(res, "claimed")) ? "kept    " : "added   ")
			                       : "REMOVED ";
			printf("  %s %s %s (%s%s)\n", what, ctl_js(res, "attribute"), ctl_js(res, "value"),
			       ctl_js(res, "level"),
			       json_is_true(json_object_get(res, "published")) ? " achieved" : " not achieved: the entity claims it without being certified");
		}
	}
}

/* Keep only the results, levels and certifications of framework fw. */
static void filter_report(json_t *rep, const char *fw)
{
	static const char *const keys[] = { "results", "levels", "certifications", NULL };

	if (fw == NULL)
		return;
	for (int k = 0; keys[k] != NULL; k++) {
		json_t *in = json_object_get(rep, keys[k]), *out = json_array(), *x;
		size_t i;
		json_array_foreach(in, i, x) {
			const char *f = keys[k][0] == 'c' ? ctl_js(x, "level") : ctl_js(x, "framework");
			size_t n = strlen(fw);
			if (strncmp(f, fw, n) == 0 && (f[n] == '\0' || f[n] == '/'))
				json_array_append(out, x);
		}
		json_object_set_new(rep, keys[k], out);
	}
}

struct level_total {
	char ref[2 * TF_ID_MAX + 2];
	int achieved, not_achieved, na;
};

static void print_summary(struct cli *c, json_t *all, const char *only_fw,
                          const struct trust_stats *st)
{
	const struct tf_set *s = c->frameworks;
	struct level_total *tot = calloc(s->nlevels ? s->nlevels : 1, sizeof(*tot));
	json_t *e, *out;
	size_t i;

	for (size_t f = 0; f < s->n; f++)
		for (size_t l = 0; l < s->fws[f].nlevels; l++)
			snprintf(tot[s->fws[f].levels[l].idx].ref, sizeof(tot[0].ref), "%s/%s", s->fws[f].id,
			         s->fws[f].levels[l].id);
	json_array_foreach(all, i, e) {
		json_t *lv = json_object_get(e, "levels");
		for (size_t k = 0; k < s->nlevels; k++) {
			const char *v = json_string_value(json_object_get(lv, tot[k].ref));
			if (v == NULL)
				continue;
			if (strcmp(v, "achieved") == 0)
				tot[k].achieved++;
			else if (strcmp(v, "not-achieved") == 0)
				tot[k].not_achieved++;
			else
				tot[k].na++;
		}
	}
	if (c->json) {
		json_t *t = json_array();
		for (size_t k = 0; k < s->nlevels; k++) {
			if (only_fw && (strncmp(tot[k].ref, only_fw, strlen(only_fw)) || tot[k].ref[strlen(only_fw)] != '/'))
				continue;
			char fwid[TF_ID_MAX + 1];
			snprintf(fwid, sizeof(fwid), "%.*s", (int)(strchr(tot[k].ref, '/') - tot[k].ref), tot[k].ref);
			json_array_append_new(t, json_pack("{s:s, s:s, s:i, s:i, s:i}", "framework", fwid, "level",
			                                   strchr(tot[k].ref, '/') + 1, "achieved", tot[k].achieved,
			                                   "not_achieved", tot[k].not_achieved, "not_applicable", tot[k].na));
		}
		out = json_pack("{s:O, s:o, s:I, s:I, s:f}", "entities", all, "totals", t, "evaluated",
		                (json_int_t)st->evaluated, "fresh", (json_int_t)(st->entities - st->evaluated),
		                "seconds", st->seconds);
		ctl_print_json(out);
		json_decref(out);
		free(tot);
		return;
	}
	printf("%-52s %-6s", "entity", "roles");
	for (size_t f = 0; f < s->n; f++)
		if (only_fw == NULL || strcmp(s->fws[f].id, only_fw) == 0)
			printf(" %-24.24s", s->fws[f].id);
	printf("\n");
	json_array_foreach(all, i, e) {
		json_t *lv = json_object_get(e, "levels"), *cnt = json_object_get(e, "counts");
		char roles[16] = "", *p = roles;
		size_t ri;
		json_t *r;
		json_array_foreach(json_object_get(e, "roles"), ri, r)
			p += snprintf(p, sizeof(roles) - (size_t)(p - roles), "%s%s", ri ? "," : "", json_string_value(r));
		printf("%-52.52s %-6s", ctl_js(e, "entity_id"), roles);
		for (size_t f = 0; f < s->n; f++) {
			const struct tf_framework *fw = &s->fws[f];
			char cell[128] = "";
			json_t *fc = json_object_get(cnt, fw->id);
			int any = 0;
			if (only_fw != NULL && strcmp(fw->id, only_fw) != 0)
				continue;
			for (size_t l = 0; l < fw->nlevels; l++) {
				const char *v = json_string_value(json_object_get(lv, tot[fw->levels[l].idx].ref));
				if (v != NULL && strcmp(v, "achieved") == 0) {
					strncat(cell, any ? "," : "", sizeof(cell) - strlen(cell) - 1);
					strncat(cell, fw->levels[l].id, sizeof(cell) - strlen(cell) - 1);
					any = 1;
				}
			}
			if (!any)
				snprintf(cell, sizeof(cell), "-");
			{
				char c2[64];
				long long fl = json_integer_value(json_object_get(fc, "fail")),
				          w = json_integer_value(json_object_get(fc, "warning")),
				          a = json_integer_value(json_object_get(fc, "needs-attestation"));
				snprintf(c2, sizeof(c2), " f%lld w%lld a%lld", fl, w, a);
				strncat(cell, c2, sizeof(cell) - strlen(cell) - 1);
			}
			printf(" %-24.24s", cell);
		}
		printf("\n");
	}
	printf("\n%-44s %8s %13s %15s\n", "framework/level", "achieved", "not achieved", "not applicable");
	for (size_t k = 0; k < s->nlevels; k++) {
		if (only_fw && (strncmp(tot[k].ref, only_fw, strlen(only_fw)) || tot[k].ref[strlen(only_fw)] != '/'))
			continue;
		printf("%-44s %8d %13d %15d\n", tot[k].ref, tot[k].achieved, tot[k].not_achieved, tot[k].na);
	}
	printf("%zu entities: %zu evaluated, %zu unchanged since their last evaluation, in %.3f s\n",
	       st->entities, st->evaluated, st->entities - st->evaluated, st->seconds);
	free(tot);
}

int cmd_evaluate(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *fw = ctl_flag(c, "framework"), *v = ctl_flag(c, "version");
	int all = ctl_flag(c, "all") != NULL, rc, worst = 0;

	if ((all && c->argc != 0) || (!all && c->argc == 0))
		return ctl_usage("usage: evaluate ENTITYID... [--version N] | evaluate --all [--framework ID] [--summary] [--source NAME]%s", "");
	if ((rc = ctl_open(c, &err)) != TL_OK || (rc = ctl_frameworks(c, &err)) != TL_OK)
		return ctl_fail(&err);
	/*
	 * a pass over 10,000 entities: without letting go it maps the whole
	 * store (586 MB resident); letting go every 1,024 entities keeps it
	 * near 370 MB and costs 10 drops instead of 39 (0.1-0.2 s of faults)
	 */
	store_keep_small(c->ctx.store, STORE_DROP_PASS);
	if (fw != NULL && tf_find_framework(c->frameworks, fw) == NULL) {
		tl_err_set(&err, TL_ENOENT, "no framework %s (tillitctl framework list)", fw);
		return ctl_fail(&err);
	}
	if (all) {
		struct trust_opts o = { 0 };
		struct trust_stats st;
		json_t *arr = NULL, *e;
		size_t i;
		o.source = ctl_flag(c, "source");
		o.force = ctl_flag(c, "force") != NULL;
		o.full = ctl_flag(c, "summary") == NULL;
		rc = trust_evaluate_all(&c->ctx, c->frameworks, &o, &arr, &st, &err);
		if (rc != TL_OK)
			return ctl_fail(&err);
		if (!o.full) {
			print_summary(c, arr, fw, &st);
		} else if (c->json) {
			json_t *reps = json_array();
			json_array_foreach(arr, i, e) {
				json_t *r = json_object_get(e, "report");
				filter_report(r, fw);
				json_object_set(r, json_object_get(e, "source") ? "source" : "member",
				                json_object_get(e, json_object_get(e, "source") ? "source" : "member"));
				json_object_set(r, "version", json_object_get(e, "version"));
				json_object_set(r, "state", json_object_get(e, "state"));
				json_array_append(reps, r);
			}
			ctl_print_json(reps);
			json_decref(reps);
		} else {
			json_array_foreach(arr, i, e) {
				json_t *r = json_object_get(e, "report");
				json_object_set(r, json_object_get(e, "source") ? "source" : "member",
				                json_object_get(e, json_object_get(e, "source") ? "source" : "member"));
				json_object_set(r, "version", json_object_get(e, "version"));
				json_object_set(r, "state", json_object_get(e, "state"));
				if (i > 0)
					printf("\n");
				print_report(r, fw);
			}
		}
		json_decref(arr);
		return st.unreadable ? 1 : 0;
	}
	{
		json_t *many = json_array();
		for (int k = 0; k < c->argc; k++) {
			json_t *rep = NULL;
			rc = trust_report(&c->ctx, c->frameworks, c->argv[k], v ? (unsigned)strtoul(v, NULL, 10) : 0,
			                  &rep, &err);
			if (rc != TL_OK) {
				int st = ctl_fail(&err);
				worst = st > worst ? st : worst;
				continue;
			}
			filter_report(rep, fw);
			if (!c->json) {
				if (k > 0)
					printf("\n");
				print_report(rep, fw);
			}
			json_array_append_new(many, rep);
		}
		if (c->json && json_array_size(many) > 0)
			ctl_print_json(c->argc == 1 ? json_array_get(many, 0) : many);
		json_decref(many);
	}
	return worst;
}

/* ---- attestations ---------------------------------------------------- */

static void print_att(json_t *a)
{
	int has_exp = json_object_get(a, "expires") != NULL;

	printf("%-5lld %-9s %-44s %-40s %s%s", (long long)json_integer_value(json_object_get(a, "id")),
	       ctl_js(a, "state"), ctl_js(a, "requirement"), ctl_js(a, "entity_id"),
	       has_exp ? "expires " : "submitted ", has_exp ? ctl_js(a, "expires") : ctl_js(a, "submitted_at"));
	if (json_object_get(a, "days_left") != NULL)
		printf(" (%lld days left)", (long long)json_integer_value(json_object_get(a, "days_left")));
	printf("\n");
}

int cmd_attest(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *file = ctl_flag(c, "evidence"), *exp = ctl_flag(c, "expires"), *base;
	time_t expires = 0;
	char *data = NULL;
	size_t len = 0;
	json_t *out = NULL;
	int rc;

	if (c->argc != 2 || file == NULL)
		return ctl_usage("usage: attest ENTITYID FRAMEWORK/REQUIREMENT --evidence FILE [--expires YYYY-MM-DD]%s", "");
	if (exp != NULL && (strlen(exp) < 10 || util_time_parse(exp, &expires) != 0)) {
		tl_err_set(&err, TL_EINVAL, "--expires '%s' is not an ISO 8601 date (2027-12-31)", exp);
		return ctl_fail(&err);
	}
	if ((rc = ctl_open(c, &err)) != TL_OK || (rc = ctl_frameworks(c, &err)) != TL_OK)
		return ctl_fail(&err);
	rc = util_read_file(file, (size_t)c->ctx.conf.max_evidence_size, &data, &len, &err);
	if (rc == TL_ELIMIT) {
		tl_err_set(&err, TL_ELIMIT, "evidence %s is larger than max_evidence_size (%llu bytes)", file,
		           c->ctx.conf.max_evidence_size);
		return ctl_fail(&err);
	}
	if (rc != TL_OK)
		return ctl_fail(&err);
	base = strrchr(file, '/');
	rc = att_submit(&c->ctx, c->frameworks, c->argv[0], c->argv[1], data, len, base ? base + 1 : file,
	                expires, &out, &err);
	free(data);
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json)
		ctl_print_json(out);
	else
		printf("attestation %lld of %s for %s submitted (%zu bytes of evidence, sha256 %s); it waits for the operator's review\n",
		       (long long)json_integer_value(json_object_get(out, "id")), c->argv[1], c->argv[0], len,
		       ctl_js(out, "evidence_sha256"));
	json_decref(out);
	return 0;
}

static int att_id(const char *s, long long *id)
{
	char *end;

	*id = strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && *id > 0 ? 0 : -1;
}

int cmd_attestation(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	json_t *out = NULL;
	long long id = 0;
	int rc;

	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "list") == 0 && c->argc == 1) {
		const char *due = ctl_flag(c, "due");
		long days = -1;
		size_t i;
		json_t *a;
		if (due != NULL && (days = att_parse_days(due)) < 0)
			return ctl_usage("--due takes a number of days such as 30d, not '%s'", due);
		rc = att_list(&c->ctx, ctl_flag(c, "entity"), ctl_flag(c, "state"), days, &out, &err);
		if (rc == TL_EUSAGE)
			return ctl_usage("%s", err.msg);
		if (rc != TL_OK)
			return ctl_fail(&err);
		if (c->json)
			ctl_print_json(out);
		else
			json_array_foreach(out, i, a)
				print_att(a);
		json_decref(out);
		return 0;
	}
	if (c->argc != 2 || att_id(c->argv[1], &id) != 0)
		return ctl_usage("usage: attestation list [--due 30d] [--state STATE] [--entity ENTITYID] | attestation show|approve|withdraw|evidence ID | attestation reject ID --reason TEXT%s", "");
	if (strcmp(verb, "show") == 0) {
		rc = att_show(&c->ctx, id, &out, &err);
	} else if (strcmp(verb, "evidence") == 0) {
		char *data = NULL;
		size_t len = 0;
		const char *to = ctl_flag(c, "output");
		rc = att_evidence(&c->ctx, id, &data, &len, &err);
		if (rc == TL_OK) {
			if (to != NULL)
				rc = util_write_atomic(to, data, len, 0600, &err);
			else if (fwrite(data, 1, len, stdout) != len)
				rc = tl_err_set(&err, TL_EIO, "cannot write the evidence");
		}
		free(data);
		return rc == TL_OK ? 0 : ctl_fail(&err);
	} else {
		enum att_decision d;
		if (strcmp(verb, "approve") == 0)
			d = ATT_APPROVE;
		else if (strcmp(verb, "reject") == 0)
			d = ATT_REJECT;
		else if (strcmp(verb, "withdraw") == 0)
			d = ATT_WITHDRAW;
		else
			return ctl_usage("unknown attestation command '%s'", verb);
		if ((rc = ctl_frameworks(c, &err)) != TL_OK)
			return ctl_fail(&err);
		rc = att_decide(&c->ctx, c->frameworks, id, d, ctl_flag(c, "reason"), &out, &err);
		if (rc == TL_OK) {
			/* a decision can change what published metadata may claim: at once */
			struct pub_report rep;
			struct tl_err perr = { 0 };
			if (pub_refresh_certification(&c->ctx, &rep, &perr) != TL_OK)
				fprintf(stderr, "tillitctl: attestation %lld decided, but the certification of published metadata was not refreshed: %s\n",
				        id, perr.msg);
			else if (rep.prepared > 0 && !c->json)
				printf("published metadata re-certified: %zu entit%s, new aggregate %s\n", rep.prepared,
				       rep.prepared == 1 ? "y" : "ies", rep.id);
		}
	}
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json) {
		ctl_print_json(out);
	} else if (strcmp(verb, "show") == 0) {
		const char *keys[] = { "id", "entity_id", "requirement", "state", "submitted_at", "submitted_by",
			               "evidence_name", "evidence_bytes", "evidence_sha256", "requested_expiry",
			               "expires", "decided_at", "decided_by", "reason", NULL };
		for (int k = 0; keys[k] != NULL; k++) {
			json_t *x = json_object_get(out, keys[k]);
			if (x == NULL)
				continue;
			if (json_is_integer(x))
				printf("%-17s %lld\n", keys[k], (long long)json_integer_value(x));
			else
				printf("%-17s %s\n", keys[k], json_string_value(x));
		}
	} else {
		printf("attestation %lld: %s%s%s\n", id, ctl_js(out, "state"),
		       json_object_get(out, "expires") ? ", valid until " : "",
		       json_object_get(out, "expires") ? ctl_js(out, "expires") : "");
	}
	json_decref(out);
	return 0;
}
