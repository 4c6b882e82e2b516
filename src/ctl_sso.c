/*
 * ctl_sso.c - tillitctl's commands for the SSO hub: attribute release
 * agreements.  Front end only: the service is agr.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/agr.h"

#include "ctl.h"

#define AGR_USAGE \
	"usage: agreement set SP-ENTITYID --attributes NAME,... --purpose TEXT | agreement show SP-ENTITYID | agreement list | agreement remove SP-ENTITYID%s"

/*
 * Split the comma-separated list into *names (NULL when empty), pointing
 * into *buf; spaces around a name are dropped.  An empty list is no
 * names; an empty name within one is refused.
 */
static int agr_split(const char *list, char **buf, char ***names, size_t *n, struct tl_err *err)
{
	size_t cap = 1;
	char *p;

	*names = NULL;
	*n = 0;
	*buf = strdup(list);
	if (*buf == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	if (list[strspn(list, " \t")] == '\0')
		return TL_OK;
	for (const char *q = list; *q != '\0'; q++)
		cap += *q == ',';
	*names = calloc(cap, sizeof(**names));
	if (*names == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	for (p = *buf;;) {
		char *end = p + strcspn(p, ","), *sep = *end ? end : NULL;
		*end = '\0';
		p += strspn(p, " \t");
		for (char *t = end; t > p && (t[-1] == ' ' || t[-1] == '\t');)
			*--t = '\0';
		if (*p == '\0')
			return tl_err_set(err, TL_EINVAL, "--attributes '%.200s' has an empty name", list);
		(*names)[(*n)++] = p;
		if (sep == NULL)
			break;
		p = sep + 1;
	}
	return TL_OK;
}

static void print_agreement(json_t *a)
{
	json_t *attrs = json_object_get(a, "attributes"), *x;
	size_t i;

	printf("entity_id:  %s\npurpose:    %s\nupdated:    %s by %s\n", ctl_js(a, "entity_id"),
	       ctl_js(a, "purpose"), ctl_js(a, "updated"), ctl_js(a, "actor"));
	if (json_array_size(attrs) == 0)
		printf("attributes: none (nothing is released)\n");
	else
		printf("attributes: %zu\n", json_array_size(attrs));
	json_array_foreach(attrs, i, x)
		printf("  %-28s %s\n", ctl_js(x, "friendly_name"), ctl_js(x, "name"));
}

/* "mail, eduPersonPrincipalName": the friendly names (else the names), or "none ...". */
static void print_friendly(json_t *a)
{
	json_t *attrs = json_object_get(a, "attributes"), *x;
	size_t i;

	if (json_array_size(attrs) == 0)
		printf("none (nothing is released)");
	json_array_foreach(attrs, i, x)
		printf("%s%s", i ? ", " : "",
		       json_is_string(json_object_get(x, "friendly_name")) ? ctl_js(x, "friendly_name")
		                                                          : ctl_js(x, "name"));
}

static int agreement_set(struct cli *c, struct tl_err *err, json_t **out)
{
	const char *list = ctl_flag(c, "attributes"), *purpose = ctl_flag(c, "purpose");
	char *buf = NULL, **names = NULL;
	size_t n = 0;
	int rc;

	rc = agr_split(list, &buf, &names, &n, err);
	if (rc == TL_OK)
		rc = agr_set(&c->ctx, c->argv[1], (const char *const *)names, n, purpose, err);
	if (rc == TL_OK)
		rc = agr_show(&c->ctx, c->argv[1], out, err);
	free(names);
	free(buf);
	if (rc == TL_OK && !c->json) {
		printf("agreement for %s set: ", c->argv[1]);
		print_friendly(*out);
		printf("\n");
	}
	return rc;
}

int cmd_agreement(struct cli *c)
{
	struct tl_err err = { 0 };
	const char *verb = c->argc > 0 ? c->argv[0] : "";
	json_t *out = NULL, *a;
	size_t i;
	int rc;

	if (strcmp(verb, "set") == 0) {
		if (c->argc != 2 || ctl_flag(c, "attributes") == NULL || ctl_flag(c, "purpose") == NULL)
			return ctl_usage("usage: agreement set SP-ENTITYID --attributes NAME,... --purpose TEXT%s", "");
	} else if (strcmp(verb, "show") == 0 || strcmp(verb, "remove") == 0) {
		if (c->argc != 2)
			return ctl_usage("usage: agreement %s SP-ENTITYID", verb);
	} else if (strcmp(verb, "list") == 0) {
		if (c->argc != 1)
			return ctl_usage("usage: agreement list%s", "");
	} else {
		if (c->argc == 0)
			return ctl_usage(AGR_USAGE, "");
		return ctl_usage("unknown agreement command '%s'", verb);
	}
	if ((rc = ctl_open(c, &err)) != TL_OK)
		return ctl_fail(&err);
	if (strcmp(verb, "set") == 0) {
		rc = agreement_set(c, &err, &out);
	} else if (strcmp(verb, "show") == 0) {
		rc = agr_show(&c->ctx, c->argv[1], &out, &err);
		if (rc == TL_OK && !c->json)
			print_agreement(out);
	} else if (strcmp(verb, "remove") == 0) {
		rc = agr_remove(&c->ctx, c->argv[1], &err);
		if (rc == TL_OK)
			out = json_pack("{s:s, s:b}", "entity_id", c->argv[1], "removed", 1);
		if (rc == TL_OK && !c->json)
			printf("agreement for %s removed: nothing is released to it\n", c->argv[1]);
	} else {
		rc = agr_list(&c->ctx, &out, &err);
		if (rc == TL_OK && !c->json)
			json_array_foreach(out, i, a) {
				printf("%s  ", ctl_js(a, "entity_id"));
				print_friendly(a);
				printf("\n");
			}
	}
	if (rc != TL_OK)
		return ctl_fail(&err);
	if (c->json)
		ctl_print_json(out);
	json_decref(out);
	return 0;
}
