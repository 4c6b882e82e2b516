/*
 * tfc.c - the library of automated checks over the metadata model.
 *
 * Each check is a function that looks at the model and says pass, fail or
 * not applicable with a path and a sentence; the table at the end names
 * them.  Messages speak to the person who maintains the metadata: what is
 * wrong, where, and what is expected.
 */
#include "tillit/tfc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tillit/attr.h"

#define NS_SAML2_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define B_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define B_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define B_DISCO "urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol"
#define ATTR_SUBJECT_ID_REQ "urn:oasis:names:tc:SAML:profiles:subject-id:req"
#define NAMEFORMAT_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
#define REMD_SECURITY "http://refeds.org/metadata/contactType/security"
#define ENTITY_PATH "/md:EntityDescriptor"

/* ---- arguments -------------------------------------------------------- */

void tfc_args_free(struct tfc_args *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < a->n; i++) {
		free(a->key[i]);
		free(a->val[i]);
	}
	free(a);
}

static const char *tfc_get(const struct tfc_args *a, const char *key, const char *dflt)
{
	for (int i = 0; a != NULL && i < a->n; i++)
		if (a->key[i] != NULL && strcmp(a->key[i], key) == 0)
			return a->val[i];
	return dflt;
}

static long tfc_int(const struct tfc_args *a, const char *key, long dflt)
{
	const char *v = tfc_get(a, key, NULL);

	return v != NULL ? strtol(v, NULL, 10) : dflt;
}

static int tfc_npos(const struct tfc_args *a)
{
	int n = 0;

	for (int i = 0; a != NULL && i < a->n; i++)
		n += a->key[i] == NULL;
	return n;
}

static const char *tfc_pos(const struct tfc_args *a, int k)
{
	for (int i = 0; a != NULL && i < a->n; i++)
		if (a->key[i] == NULL && k-- == 0)
			return a->val[i];
	return NULL;
}

/* Check a against the usage string: named "[key=default]" and positional WORD, [WORD], WORD..., [WORD...]. */
static int tfc_check_usage(const struct tfc_check *c, const struct tfc_args *a, char *why,
                           size_t whylen)
{
	char u[256], *tok, *save = NULL;
	int min = 0, max = 0;

	snprintf(u, sizeof(u), "%s", c->usage);
	for (tok = strtok_r(u, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		int opt = tok[0] == '[';
		if (strchr(tok, '=') != NULL)
			continue;
		if (strstr(tok, "...") != NULL)
			max = 1000;
		else if (max < 1000)
			max++;
		if (!opt)
			min++;
	}
	for (int i = 0; i < a->n; i++) {
		char pat[80];
		const char *dflt;
		if (a->key[i] == NULL)
			continue;
		snprintf(pat, sizeof(pat), "[%s=", a->key[i]);
		dflt = strstr(c->usage, pat);
		if (dflt == NULL) {
			snprintf(why, whylen, "%s takes no argument %s= (usage: %s %s)", c->name, a->key[i],
			         c->name, c->usage);
			return -1;
		}
		dflt += strlen(pat);
		if (isdigit((unsigned char)*dflt)) {
			char *end;
			long v = strtol(a->val[i], &end, 10);
			if (*a->val[i] == '\0' || *end != '\0' || v < 0 || v > 1000000) {
				snprintf(why, whylen, "%s: %s=%s is not a number", c->name, a->key[i], a->val[i]);
				return -1;
			}
		}
	}
	{
		int np = tfc_npos(a);
		if (np < min || np > max) {
			snprintf(why, whylen, "%s takes %s (usage: %s %s)", c->name,
			         max == 0 ? "no positional arguments" : np < min ? "more arguments" : "fewer arguments",
			         c->name, c->usage);
			return -1;
		}
	}
	return 0;
}

int tfc_parse(const char *test, const struct tfc_check **check, struct tfc_args **args,
              char *why, size_t whylen)
{
	char name[64];
	const char *p = test;
	size_t n;
	struct tfc_args *a;

	*check = NULL;
	*args = NULL;
	while (*p == ' ')
		p++;
	n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(name)) {
		snprintf(why, whylen, "test names no check");
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	*check = tfc_find(name);
	if (*check == NULL) {
		snprintf(why, whylen, "unknown check '%s' (tillitctl framework checks lists them)", name);
		return -1;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	p += n;
	for (;;) {
		const char *eq;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (a->n == TFC_ARGS_MAX || n >= TFC_ARG_MAX) {
			snprintf(why, whylen, "%s: too many or too long arguments", name);
			tfc_args_free(a);
			return -1;
		}
		eq = memchr(p, '=', n);
		/* key=value only for a plain lowercase key: URIs with '=' stay positional */
		if (eq != NULL && eq > p && strspn(p, "abcdefghijklmnopqrstuvwxyz-") == (size_t)(eq - p)) {
			a->key[a->n] = strndup(p, (size_t)(eq - p));
			a->val[a->n] = strndup(eq + 1, n - (size_t)(eq - p) - 1);
		} else {
			a->val[a->n] = strndup(p, n);
		}
		if (a->val[a->n] == NULL) {
			snprintf(why, whylen, "out of memory");
			tfc_args_free(a);
			return -1;
		}
		a->n++;
		p += n;
	}
	if (tfc_check_usage(*check, a, why, whylen) != 0 ||
	    ((*check)->validate != NULL && (*check)->validate(a, why, whylen) != 0)) {
		tfc_args_free(a);
		*check = NULL;
		return -1;
	}
	*args = a;
	return 0;
}

/* ---- outcomes --------------------------------------------------------- */

static void tfc_set(struct tfc_out *o, enum tf_outcome oc, const char *path, const char *fmt,
                    va_list ap)
{
	o->outcome = oc;
	if (o->quiet)
		return; /* formatting is most of a check's cost */
	snprintf(o->path, sizeof(o->path), "%s", path ? path : "");
	vsnprintf(o->msg, sizeof(o->msg), fmt, ap);
}

static void pass(struct tfc_out *o, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct tfc_out *o, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void na(struct tfc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pass(struct tfc_out *o, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tfc_set(o, TF_PASS, path, fmt, ap);
	va_end(ap);
}

static void fail(struct tfc_out *o, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tfc_set(o, TF_FAIL, path, fmt, ap);
	va_end(ap);
}

static void na(struct tfc_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tfc_set(o, TF_NOT_APPLICABLE, "", fmt, ap);
	va_end(ap);
}

/* ---- model helpers ---------------------------------------------------- */

/* "a" or "an" before word. */
static const char *article(const char *word)
{
	return strchr("aeiouAEIOU", word[0]) != NULL && word[0] != '\0' ? "an" : "a";
}

/* Characters (not bytes) of a UTF-8 string. */
static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static unsigned role_bit(const struct mdm_role *r)
{
	switch (r->kind) {
	case MDM_ROLE_IDP: return MD_ROLE_IDP;
	case MDM_ROLE_SP: return MD_ROLE_SP;
	case MDM_ROLE_AA: return MD_ROLE_AA;
	default: return 0;
	}
}

static const char *role_name(const struct mdm_role *r)
{
	switch (r->kind) {
	case MDM_ROLE_IDP: return "identity provider";
	case MDM_ROLE_SP: return "service provider";
	case MDM_ROLE_AA: return "attribute authority";
	default: return r->element;
	}
}

#define FOR_ROLES(m, roles, r) \
	for (const struct mdm_role *r = (m)->role_list; r != NULL; r = r->next) \
		if (role_bit(r) & (roles))

static int has_roles(const struct mdm_entity *m, unsigned roles)
{
	FOR_ROLES(m, roles, r)
		return 1;
	return 0;
}

static int starts(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* An absolute URL with scheme https (or http when allow_http) and a host. */
static int url_ok(const char *u, int allow_http)
{
	const char *rest;

	if (starts(u, "https://"))
		rest = u + 8;
	else if (allow_http && starts(u, "http://"))
		rest = u + 7;
	else
		return 0;
	return *rest != '\0' && *rest != '/' && strpbrk(u, " \t\r\n") == NULL;
}

/* The host of an http(s) URL into out (lowercase); "" if none. */
static void url_host(const char *u, char *out, size_t n)
{
	const char *h = strstr(u ? u : "", "://");
	size_t len;

	out[0] = '\0';
	if (h == NULL)
		return;
	h += 3;
	len = strcspn(h, ":/?#");
	if (len >= n)
		len = n - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)h[i]);
	out[len] = '\0';
}

static const char *contact_kind(const struct mdm_contact *c)
{
	if (streq(c->remd_type, REMD_SECURITY))
		return "security";
	return c->type ? c->type : "(none)";
}

/* ---- entity and organisation -------------------------------------------- */

static int v_schemes(const struct tfc_args *a, char *why, size_t n)
{
	for (int i = 0; i < tfc_npos(a); i++) {
		const char *s = tfc_pos(a, i);
		if (strcmp(s, "https") && strcmp(s, "http") && strcmp(s, "urn")) {
			snprintf(why, n, "entityid-scheme: scheme '%s' is not https, http or urn", s);
			return -1;
		}
	}
	return 0;
}

static void c_entityid_scheme(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const char *id = m->entity_id, *path = ENTITY_PATH "/@entityID";
	int n = tfc_npos(a);
	(void)c;
	(void)roles;
	if (strpbrk(id, " \t\r\n") != NULL) {
		fail(o, path, "The entityID '%s' contains white space.", id);
		return;
	}
	for (int i = 0; i < (n ? n : 3); i++) {
		const char *s = n ? tfc_pos(a, i) : i == 0 ? "https" : i == 1 ? "http" : "urn";
		char pfx[16];
		snprintf(pfx, sizeof(pfx), "%s:", s);
		if (starts(id, pfx)) {
			pass(o, path, "The entityID uses the %s scheme.", s);
			return;
		}
	}
	{
		char want[64] = "";
		for (int i = 0; i < (n ? n : 3); i++) {
			const char *sch = n ? tfc_pos(a, i) : i == 0 ? "https" : i == 1 ? "http" : "urn";
			int last = i == (n ? n : 3) - 1;
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s%s",
			         i == 0 ? "" : last ? " or " : ", ", sch, strcmp(sch, "urn") == 0 ? ":" : "://");
		}
		fail(o, path, "The entityID '%s' must start with %s.", id, want);
	}
}

static void c_entityid_length(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long max = tfc_int(a, "max", 256);
	size_t len = strlen(m->entity_id);
	(void)c;
	(void)roles;
	if ((long)len > max)
		fail(o, ENTITY_PATH "/@entityID", "The entityID is %zu characters long; at most %ld are allowed.",
		     len, max);
	else
		pass(o, ENTITY_PATH "/@entityID", "The entityID is %zu characters long (at most %ld).", len, max);
}

static void c_organization(const struct mdm_entity *m, const struct tfc_args *a,
                           const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	static const char *const need[] = { "OrganizationName", "OrganizationDisplayName", "OrganizationURL" };
	(void)a;
	(void)c;
	(void)roles;
	if (m->organization == 0) {
		fail(o, ENTITY_PATH, "There is no md:Organization: name the organisation responsible for the entity, with OrganizationName, OrganizationDisplayName and OrganizationURL.");
		return;
	}
	for (int i = 0; i < 3; i++) {
		int found = 0;
		for (const struct mdm_text *t = m->org; t != NULL; t = t->next)
			if (strcmp(t->element, need[i]) == 0) {
				if (t->value == NULL || *t->value == '\0') {
					fail(o, t->loc.path, "md:%s is empty.", need[i]);
					return;
				}
				found = 1;
			}
		if (!found) {
			fail(o, ENTITY_PATH "/md:Organization[1]", "md:Organization has no md:%s.", need[i]);
			return;
		}
	}
	pass(o, ENTITY_PATH "/md:Organization[1]", "The organisation is named, with a display name and a URL.");
}

static void c_organization_url(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_text *t = m->org; t != NULL; t = t->next)
		if (strcmp(t->element, "OrganizationURL") == 0 && !url_ok(t->value, 0)) {
			fail(o, t->loc.path, "OrganizationURL '%s' is not an https:// URL.", t->value);
			return;
		}
	if (m->organization == 0)
		na(o, "There is no md:Organization.");
	else
		pass(o, ENTITY_PATH "/md:Organization[1]", "Every OrganizationURL is an https:// URL.");
}

static void c_registration_info(const struct mdm_entity *m, const struct tfc_args *a,
                                const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const char *path = ENTITY_PATH "/md:Extensions[1]";
	(void)a;
	(void)roles;
	if (!c->imported) {
		pass(o, path, "The federation adds its own mdrpi:RegistrationInfo (authority %s) when it publishes the entity.",
		     c->registration_authority ? c->registration_authority : "of this federation");
		return;
	}
	if (m->registration_infos != 1) {
		fail(o, path, "An entity from another federation must carry exactly one mdrpi:RegistrationInfo; it has %d.",
		     m->registration_infos);
		return;
	}
	if (m->registration_authority == NULL || *m->registration_authority == '\0') {
		fail(o, path, "mdrpi:RegistrationInfo has no registrationAuthority.");
		return;
	}
	pass(o, path, "Registered by %s.", m->registration_authority);
}

static void c_entity_attributes_placement(const struct mdm_entity *m, const struct tfc_args *a,
                                          const struct tf_context *c, unsigned roles,
                                          struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	if (m->entity_attr_blocks > 1) {
		fail(o, ENTITY_PATH "/md:Extensions[1]", "There are %d mdattr:EntityAttributes elements; put all entity attributes in one.",
		     m->entity_attr_blocks);
		return;
	}
	for (const struct mdm_role *r = m->role_list; r != NULL; r = r->next)
		if (r->entity_attributes > 0) {
			fail(o, r->loc.path, "mdattr:EntityAttributes belongs in the EntityDescriptor's md:Extensions, not in the %s role.",
			     role_name(r));
			return;
		}
	pass(o, ENTITY_PATH "/md:Extensions[1]", "Entity attributes are in one place, at the entity level.");
}

static void c_entity_attributes_format(const struct mdm_entity *m, const struct tfc_args *a,
                                       const struct tf_context *c, unsigned roles,
                                       struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_attr *x = m->entity_attrs; x != NULL; x = x->next) {
		if (!streq(x->name_format, NAMEFORMAT_URI)) {
			fail(o, x->loc.path, "Entity attribute %s should have NameFormat %s.", x->name ? x->name : "?",
			     NAMEFORMAT_URI);
			return;
		}
		for (const struct mdm_attr *y = x->next; y != NULL; y = y->next)
			if (streq(x->name, y->name)) {
				fail(o, y->loc.path, "Entity attribute %s is given twice; list all its values in one saml:Attribute.", x->name);
				return;
			}
		for (const struct mdm_value *v = x->values; v != NULL; v = v->next) {
			size_t len = strlen(v->value);
			if (len == 0 || isspace((unsigned char)v->value[0]) || isspace((unsigned char)v->value[len - 1])) {
				fail(o, x->loc.path, "A value of entity attribute %s is empty or has white space around it.", x->name);
				return;
			}
			for (const struct mdm_value *w = v->next; w != NULL; w = w->next)
				if (strcmp(v->value, w->value) == 0) {
					fail(o, x->loc.path, "Entity attribute %s lists the value %s twice.", x->name, v->value);
					return;
				}
		}
	}
	if (m->entity_attrs == NULL)
		na(o, "The entity has no entity attributes.");
	else
		pass(o, ENTITY_PATH "/md:Extensions[1]", "Entity attributes are well formed.");
}

static void c_saml2_protocol(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		if (r->protocols == NULL || strstr(r->protocols, NS_SAML2_PROTOCOL) == NULL) {
			fail(o, r->loc.path, "The %s role does not list SAML 2.0 (%s) in protocolSupportEnumeration.",
			     role_name(r), NS_SAML2_PROTOCOL);
			return;
		}
	}
	pass(o, ENTITY_PATH, "Every role supports SAML 2.0.");
}

static void c_string_length(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long max = tfc_int(a, "max", 256);
	(void)c;
	(void)roles;
	if ((long)m->longest_text > max)
		fail(o, m->longest_loc.path, "A value of %zu characters is longer than %ld (data: logos excepted).",
		     m->longest_text, max);
	else
		pass(o, ENTITY_PATH, "No value is longer than %ld characters.", max);
}

/* ---- languages -------------------------------------------------------- */

static int lang_tag_ok(const char *l)
{
	size_t n = 0;

	while (islower((unsigned char)l[n]))
		n++;
	if (n != 2)
		return 0;
	while (l[n] == '-') {
		size_t k = 0;
		n++;
		while (isalnum((unsigned char)l[n + k]))
			k++;
		if (k == 0 || k > 8)
			return 0;
		n += k;
	}
	return l[n] == '\0';
}

static void c_lang_codes(const struct mdm_entity *m, const struct tfc_args *a,
                         const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next)
		if (!lang_tag_ok(l->lang)) {
			fail(o, l->loc.path, "xml:lang=\"%s\" on %s is not a two-letter ISO 639-1 language code (like sv or en).",
			     l->lang, l->element);
			return;
		}
	if (m->langs == NULL)
		na(o, "No element carries a language.");
	else
		pass(o, ENTITY_PATH, "Every xml:lang is an ISO 639-1 code.");
}

static void c_lang_unique(const struct mdm_entity *m, const struct tfc_args *a,
                          const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next)
		for (const struct mdm_lang *k = l->next; k != NULL; k = k->next)
			if (strcmp(l->element, k->element) == 0 && strcmp(l->scope, k->scope) == 0 &&
			    strcasecmp(l->lang, k->lang) == 0) {
				fail(o, k->loc.path, "%s is given twice in language '%s'.", k->element, k->lang);
				return;
			}
	if (m->langs == NULL)
		na(o, "No element carries a language.");
	else
		pass(o, ENTITY_PATH, "No element is given twice in the same language.");
}

/*
 * Elements users read: mdui, Organization and the service names.  Other
 * elements with xml:lang (mdrpi:RegistrationPolicy, mdrpi:PublicationInfo's
 * UsagePolicy) are documents per language, not texts every language needs.
 */
static int lang_display(const struct mdm_lang *l)
{
	return starts(l->element, "mdui:") || starts(l->element, "md:Organization") ||
	       strcmp(l->element, "md:ServiceName") == 0 || strcmp(l->element, "md:ServiceDescription") == 0;
}

static int lang_in_scope(const struct mdm_lang *l, const char *scope)
{
	return (strcmp(scope, "all") == 0 && lang_display(l)) ||
	       (strcmp(scope, "mdui") == 0 && starts(l->element, "mdui:"));
}

static int v_lang(const struct tfc_args *a, char *why, size_t n)
{
	const char *scope = tfc_get(a, "scope", "all");

	if (!lang_tag_ok(tfc_pos(a, 0))) {
		snprintf(why, n, "lang-required: '%s' is not a language code", tfc_pos(a, 0));
		return -1;
	}
	if (strcmp(scope, "all") != 0 && strcmp(scope, "mdui") != 0) {
		snprintf(why, n, "lang-required: scope is all or mdui, not '%s'", scope);
		return -1;
	}
	return 0;
}

static void c_lang_required(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const char *want = tfc_pos(a, 0), *scope = tfc_get(a, "scope", "all");
	int any = 0;
	(void)c;
	(void)roles;
	for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next) {
		int found = 0;
		if (!lang_in_scope(l, scope))
			continue;
		any = 1;
		for (const struct mdm_lang *k = m->langs; k != NULL && !found; k = k->next)
			found = strcmp(k->element, l->element) == 0 && strcmp(k->scope, l->scope) == 0 &&
			        strcasecmp(k->lang, want) == 0;
		if (!found) {
			fail(o, l->loc.path, "%s is given in '%s' but not in '%s'.", l->element, l->lang, want);
			return;
		}
	}
	if (!any)
		na(o, "No %selement carries a language.", strcmp(scope, "mdui") == 0 ? "mdui " : "");
	else
		pass(o, ENTITY_PATH, "Every %selement given in some language is also given in '%s'.",
		     strcmp(scope, "mdui") == 0 ? "mdui " : "", want);
}

#define LANG_DISTINCT_MAX 32

static void c_lang_consistent(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	/*
	 * The distinct languages, and per group (element and parent) a mask of
	 * those it is given in: linear in the number of xml:lang attributes.
	 */
	const char *langs[LANG_DISTINCT_MAX];
	struct { const struct mdm_lang *first; unsigned mask; } groups[256];
	int nl = 0, ng = 0, any = 0;
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_lang *l = m->langs; l != NULL; l = l->next) {
		int li, gi;
		if (!lang_display(l))
			continue;
		any = 1;
		for (li = 0; li < nl && strcasecmp(langs[li], l->lang) != 0; li++)
			;
		if (li == nl) {
			if (nl == LANG_DISTINCT_MAX)
				continue;
			langs[nl++] = l->lang;
		}
		for (gi = 0; gi < ng; gi++)
			if (strcmp(groups[gi].first->element, l->element) == 0 &&
			    strcmp(groups[gi].first->scope, l->scope) == 0)
				break;
		if (gi == ng) {
			if (ng == 256)
				continue;
			groups[ng].first = l;
			groups[ng].mask = 0;
			ng++;
		}
		groups[gi].mask |= 1u << li;
	}
	for (int li = 0; li < nl; li++)
		for (int gi = 0; gi < ng; gi++)
			if (!(groups[gi].mask & (1u << li))) {
				fail(o, groups[gi].first->loc.path, "The metadata uses language '%s', but %s is not given in it.",
				     langs[li], groups[gi].first->element);
				return;
			}
	if (!any)
		na(o, "No element carries a language.");
	else
		pass(o, ENTITY_PATH, "Every localised element is given in every language used.");
}

/* ---- mdui ------------------------------------------------------------- */

static const char *const mdui_names[] = { "DisplayName", "Description", "InformationURL",
	                                  "PrivacyStatementURL", "Logo", "Keywords", NULL };

static int v_mdui(const struct tfc_args *a, char *why, size_t n)
{
	for (int i = 0; i < tfc_npos(a); i++) {
		int ok = 0;
		for (int k = 0; mdui_names[k] != NULL; k++)
			ok |= strcmp(tfc_pos(a, i), mdui_names[k]) == 0;
		if (!ok) {
			snprintf(why, n, "mdui-present: '%s' is not an mdui:UIInfo element (DisplayName, Description, InformationURL, PrivacyStatementURL, Logo, Keywords)",
			         tfc_pos(a, i));
			return -1;
		}
	}
	return 0;
}

static const struct mdm_text *ui_find(const struct mdm_role *r, const char *element)
{
	for (const struct mdm_text *t = r->ui; t != NULL; t = t->next)
		if (strcmp(t->element, element) == 0)
			return t;
	return NULL;
}

static void c_mdui_present(const struct mdm_entity *m, const struct tfc_args *a,
                           const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int n = tfc_npos(a);
	char list[256] = "";
	(void)c;
	if (!has_roles(m, roles)) {
		na(o, "The entity has no role this applies to.");
		return;
	}
	FOR_ROLES(m, roles, r) {
		if (r->uiinfo == 0) {
			fail(o, r->loc.path, "The %s role has no mdui:UIInfo: users see its name, description and logo from there.",
			     role_name(r));
			return;
		}
		for (int i = 0; i < n; i++) {
			if (ui_find(r, tfc_pos(a, i)) == NULL) {
				fail(o, r->loc.path, "The %s role's mdui:UIInfo has no mdui:%s.", role_name(r), tfc_pos(a, i));
				return;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, tfc_pos(a, i), sizeof(list) - strlen(list) - 1);
	}
	pass(o, "", "mdui:UIInfo is there%s%s.", n ? " with " : "", list);
}

static void c_mdui_description_length(const struct mdm_entity *m, const struct tfc_args *a,
                                      const struct tf_context *c, unsigned roles,
                                      struct tfc_out *o)
{
	long max = tfc_int(a, "max", 140);
	int any = 0;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_text *t = r->ui; t != NULL; t = t->next) {
			if (strcmp(t->element, "Description") != 0)
				continue;
			any = 1;
			if ((long)utf8_len(t->value) > max) {
				fail(o, t->loc.path, "mdui:Description (%s) is %zu characters; keep it to %ld.",
				     t->lang ? t->lang : "?", utf8_len(t->value), max);
				return;
			}
		}
	if (!any)
		na(o, "There is no mdui:Description.");
	else
		pass(o, "", "Every mdui:Description is at most %ld characters.", max);
}

static void c_mdui_logo_https(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_text *t = r->ui; t != NULL; t = t->next) {
			if (strcmp(t->element, "Logo") != 0)
				continue;
			any = 1;
			if (!url_ok(t->value, 0) && !starts(t->value, "data:image/")) {
				fail(o, t->loc.path, "The logo '%.80s' must be an https:// URL or a data:image/ URI.", t->value);
				return;
			}
		}
	if (!any)
		na(o, "There is no mdui:Logo.");
	else
		pass(o, "", "Every logo is an https:// URL or a data: image.");
}

static void c_mdui_logo_size(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long min = tfc_int(a, "min", 16);
	int any = 0;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_text *t = r->ui; t != NULL; t = t->next) {
			if (strcmp(t->element, "Logo") != 0)
				continue;
			any = 1;
			if (t->width < min || t->height < min) {
				fail(o, t->loc.path, "The logo is %dx%d pixels; at least %ldx%ld are needed to show it.",
				     t->width, t->height, min, min);
				return;
			}
		}
	if (!any)
		na(o, "There is no mdui:Logo.");
	else
		pass(o, "", "Every logo is at least %ldx%ld pixels.", min, min);
}

static void c_mdui_url_https(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_text *t = r->ui; t != NULL; t = t->next) {
			if (strcmp(t->element, "InformationURL") != 0 && strcmp(t->element, "PrivacyStatementURL") != 0)
				continue;
			any = 1;
			if (!url_ok(t->value, 0)) {
				fail(o, t->loc.path, "mdui:%s '%.100s' is not an https:// URL.", t->element, t->value);
				return;
			}
		}
	if (!any)
		na(o, "There is no InformationURL or PrivacyStatementURL.");
	else
		pass(o, "", "InformationURL and PrivacyStatementURL are https:// URLs.");
}

static void c_mdui_displayname_unique(const struct mdm_entity *m, const struct tfc_args *a,
                                      const struct tf_context *c, unsigned roles,
                                      struct tfc_out *o)
{
	int any = 0;
	(void)a;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_text *t = r->ui; t != NULL; t = t->next) {
			if (strcmp(t->element, "DisplayName") != 0)
				continue;
			any = 1;
			if (c->display_name_taken != NULL &&
			    c->display_name_taken(c->ud, m->entity_id, t->lang, t->value)) {
				fail(o, t->loc.path, "Another identity provider of the federation is called '%s' (%s): users could not tell them apart.",
				     t->value, t->lang ? t->lang : "no language");
				return;
			}
		}
	if (!any)
		na(o, "There is no mdui:DisplayName.");
	else
		pass(o, "", "No other identity provider of the federation has the same display name.");
}

/* ---- contacts --------------------------------------------------------- */

static int v_contact_type(const struct tfc_args *a, char *why, size_t n)
{
	static const char *const types[] = { "technical", "administrative", "support", "billing",
		                             "other", "security", NULL };
	for (int i = 0; types[i] != NULL; i++)
		if (strcmp(tfc_pos(a, 0), types[i]) == 0)
			return 0;
	snprintf(why, n, "contact-present: '%s' is not a contact type (technical, administrative, support, billing, other, security)",
	         tfc_pos(a, 0));
	return -1;
}

static void c_contact_present(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const char *want = tfc_pos(a, 0);
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		if (strcmp(contact_kind(k), want) == 0 ||
		    (strcmp(want, "other") == 0 && streq(k->type, "other"))) {
			pass(o, k->loc.path, "There is %s %s contact.", article(want), want);
			return;
		}
	if (strcmp(want, "security") == 0)
		fail(o, ENTITY_PATH, "There is no security contact: add a md:ContactPerson contactType=\"other\" with remd:contactType=\"%s\" and an e-mail address that reaches your incident response.",
		     REMD_SECURITY);
	else
		fail(o, ENTITY_PATH, "There is no md:ContactPerson with contactType=\"%s\".", want);
}

static void c_contact_email(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		if (k->nemails == 0) {
			fail(o, k->loc.path, "The %s contact has no md:EmailAddress.", contact_kind(k));
			return;
		}
	if (m->contacts == NULL)
		na(o, "There are no contacts.");
	else
		pass(o, ENTITY_PATH, "Every contact has an e-mail address.");
}

static void c_contact_mailto(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		for (int i = 0; i < k->nemails; i++) {
			any = 1;
			if (!starts(k->emails[i], "mailto:") || strlen(k->emails[i]) < 10 ||
			    strchr(k->emails[i], '@') == NULL) {
				fail(o, k->loc.path, "The e-mail address '%s' of the %s contact must be written mailto:name@domain.",
				     k->emails[i], contact_kind(k));
				return;
			}
		}
	if (!any)
		na(o, "There are no e-mail addresses.");
	else
		pass(o, ENTITY_PATH, "Every e-mail address is a mailto: URI.");
}

static void c_contact_one_per_type(const struct mdm_entity *m, const struct tfc_args *a,
                                   const struct tf_context *c, unsigned roles,
                                   struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		for (const struct mdm_contact *j = k->next; j != NULL; j = j->next)
			if (strcmp(contact_kind(k), contact_kind(j)) == 0 && strcmp(contact_kind(k), "other") != 0) {
				fail(o, j->loc.path, "There are two %s contacts; keep one per type (a shared mailbox serves better than persons).",
				     contact_kind(j));
				return;
			}
	if (m->contacts == NULL)
		na(o, "There are no contacts.");
	else
		pass(o, ENTITY_PATH, "At most one contact of each type.");
}

static void c_contact_nonempty(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		if (k->empty_child) {
			fail(o, k->loc.path, "The %s contact has an empty element; remove it or fill it in.", contact_kind(k));
			return;
		}
	if (m->contacts == NULL)
		na(o, "There are no contacts.");
	else
		pass(o, ENTITY_PATH, "No contact has an empty element.");
}

static const struct mdm_contact *security_contact(const struct mdm_entity *m)
{
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		if (streq(k->remd_type, REMD_SECURITY))
			return k;
	return NULL;
}

static void c_security_contact_fields(const struct mdm_entity *m, const struct tfc_args *a,
                                      const struct tf_context *c, unsigned roles,
                                      struct tfc_out *o)
{
	const struct mdm_contact *k = security_contact(m);
	(void)a;
	(void)c;
	(void)roles;
	if (k == NULL) {
		na(o, "There is no security contact.");
		return;
	}
	if (!streq(k->type, "other"))
		fail(o, k->loc.path, "The security contact must have contactType=\"other\", not \"%s\".",
		     k->type ? k->type : "");
	else if (k->given_name == NULL || *k->given_name == '\0')
		fail(o, k->loc.path, "The security contact has no md:GivenName (a team name such as \"Security Response Team\" will do).");
	else if (k->nemails == 0)
		fail(o, k->loc.path, "The security contact has no md:EmailAddress.");
	else
		pass(o, k->loc.path, "The security contact has a name and an e-mail address.");
}

static void c_security_contact_typed(const struct mdm_entity *m, const struct tfc_args *a,
                                     const struct tf_context *c, unsigned roles,
                                     struct tfc_out *o)
{
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next)
		if (streq(k->type, "other") && k->remd_type == NULL) {
			fail(o, k->loc.path, "A contact of type \"other\" without remd:contactType is not recognised as anything; if it is the security contact add remd:contactType=\"%s\".",
			     REMD_SECURITY);
			return;
		}
	pass(o, ENTITY_PATH, "Every contact of type \"other\" says what it is.");
}

static void c_security_not_support(const struct mdm_entity *m, const struct tfc_args *a,
                                   const struct tf_context *c, unsigned roles,
                                   struct tfc_out *o)
{
	const struct mdm_contact *s = security_contact(m);
	(void)a;
	(void)c;
	(void)roles;
	if (s == NULL) {
		na(o, "There is no security contact.");
		return;
	}
	for (const struct mdm_contact *k = m->contacts; k != NULL; k = k->next) {
		if (!streq(k->type, "support"))
			continue;
		for (int i = 0; i < s->nemails; i++)
			for (int j = 0; j < k->nemails; j++)
				if (strcasecmp(s->emails[i], k->emails[j]) == 0) {
					fail(o, s->loc.path, "The security contact uses the support address %s: incidents should reach the responders directly.",
					     s->emails[i]);
					return;
				}
	}
	pass(o, s->loc.path, "The security contact has its own address.");
}

/* ---- keys and certificates ------------------------------------------- */

static const char *use_name(enum mdm_key_use u)
{
	return u == MDM_USE_SIGNING ? "signing" : u == MDM_USE_ENCRYPTION ? "encryption" : "signing and encryption";
}

static void key_for_use(const struct mdm_entity *m, unsigned roles, enum mdm_key_use want,
                        struct tfc_out *o)
{
	const char *what = want == MDM_USE_SIGNING ? "signing" : "encryption";

	if (!has_roles(m, roles)) {
		na(o, "The entity has no role this applies to.");
		return;
	}
	FOR_ROLES(m, roles, r) {
		const struct mdm_key *good = NULL, *bad = NULL;
		for (const struct mdm_key *k = r->keys; k != NULL; k = k->next) {
			if (k->use != MDM_USE_BOTH && k->use != want)
				continue;
			if (k->ncerts > 0 && k->cert_ok)
				good = k;
			else if (bad == NULL)
				bad = k;
		}
		if (good == NULL) {
			if (bad != NULL)
				fail(o, bad->loc.path, "The %s role's %s key has no certificate that can be read: %s.", role_name(r),
				     what, bad->ncerts ? bad->cert_error : "no ds:X509Certificate");
			else
				fail(o, r->loc.path, "The %s role has no key for %s (md:KeyDescriptor use=\"%s\" or without use).",
				     role_name(r), what, what);
			return;
		}
	}
	pass(o, "", "There is %s %s key with a readable certificate.", article(what), what);
}

static void c_key_signing(const struct mdm_entity *m, const struct tfc_args *a,
                          const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	key_for_use(m, roles, MDM_USE_SIGNING, o);
}

static void c_key_encryption(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	key_for_use(m, roles, MDM_USE_ENCRYPTION, o);
}

#define FOR_KEYS(m, roles, r, k) \
	FOR_ROLES(m, roles, r) \
		for (const struct mdm_key *k = r->keys; k != NULL; k = k->next)

static int any_keys(const struct mdm_entity *m, unsigned roles)
{
	FOR_KEYS(m, roles, r, k)
		return 1;
	return 0;
}

static void c_key_x509(const struct mdm_entity *m, const struct tfc_args *a,
                       const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k) {
		if (k->ncerts == 0) {
			fail(o, k->loc.path, "A key of the %s role is not given as a ds:X509Certificate.", role_name(r));
			return;
		}
		if (!k->cert_ok) {
			fail(o, k->loc.path, "A certificate of the %s role cannot be read: %s.", role_name(r), k->cert_error);
			return;
		}
	}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "Every key is a readable X.509 certificate.");
}

static void c_key_size(const struct mdm_entity *m, const struct tfc_args *a,
                       const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long rsa = tfc_int(a, "rsa", 2048), ec = tfc_int(a, "ec", 256);
	(void)c;
	FOR_KEYS(m, roles, r, k) {
		if (!k->cert_ok)
			continue;
		if ((k->cert.key_type == CERT_KEY_RSA || k->cert.key_type == CERT_KEY_DSA) &&
		    (long)k->cert.key_bits < rsa) {
			fail(o, k->loc.path, "The %s key of the %s role is %s of %u bits; at least %ld are required.",
			     use_name(k->use), role_name(r), k->cert.key_name, k->cert.key_bits, rsa);
			return;
		}
		if (k->cert.key_type == CERT_KEY_EC && (long)k->cert.key_bits < ec) {
			fail(o, k->loc.path, "The %s key of the %s role is EC %s of %u bits; at least %ld are required.",
			     use_name(k->use), role_name(r), k->cert.key_name, k->cert.key_bits, ec);
			return;
		}
	}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "Every key is at least RSA %ld or EC %ld bits.", rsa, ec);
}

static void c_key_curve(const struct mdm_entity *m, const struct tfc_args *a,
                        const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k) {
		if (!k->cert_ok || k->cert.key_type != CERT_KEY_EC)
			continue;
		any = 1;
		if (strcmp(k->cert.key_name, "P-256") && strcmp(k->cert.key_name, "P-384") &&
		    strcmp(k->cert.key_name, "P-521")) {
			fail(o, k->loc.path, "The EC key of the %s role uses curve %s; use P-256, P-384 or P-521.",
			     role_name(r), k->cert.key_name);
			return;
		}
	}
	if (!any)
		na(o, "There are no EC keys.");
	else
		pass(o, "", "Every EC key uses a NIST curve that every SAML product supports.");
}

static void day(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

static void c_cert_expired(const struct mdm_entity *m, const struct tfc_args *a,
                           const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	char d[16];
	(void)a;
	FOR_KEYS(m, roles, r, k) {
		if (k->cert_ok && k->cert.not_after < c->now) {
			day(k->cert.not_after, d, sizeof(d));
			fail(o, k->loc.path, "The %s certificate of the %s role expired on %s; publish a new one.",
			     use_name(k->use), role_name(r), d);
			return;
		}
	}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "No certificate has expired.");
}

static void c_cert_expiring(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long days = tfc_int(a, "days", 30);
	char d[16];
	FOR_KEYS(m, roles, r, k) {
		if (k->cert_ok && k->cert.not_after >= c->now &&
		    k->cert.not_after < c->now + (time_t)days * 86400) {
			day(k->cert.not_after, d, sizeof(d));
			fail(o, k->loc.path, "The %s certificate of the %s role expires on %s, within %ld days: plan its rollover now.",
			     use_name(k->use), role_name(r), d, days);
			return;
		}
	}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "No certificate expires within %ld days.", days);
}

static void c_cert_self_signed(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k)
		if (k->cert_ok && !k->cert.self_issued) {
			fail(o, k->loc.path, "The %s certificate of the %s role is issued by a CA; metadata trusts the key itself, so a long-lived self-signed certificate avoids needless rollovers.",
			     use_name(k->use), role_name(r));
			return;
		}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "Every certificate is self-signed.");
}

static void c_cert_signature_hash(const struct mdm_entity *m, const struct tfc_args *a,
                                  const struct tf_context *c, unsigned roles,
                                  struct tfc_out *o)
{
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k)
		if (k->cert_ok && (k->cert.sig_hash == CERT_HASH_MD5 || k->cert.sig_hash == CERT_HASH_SHA1)) {
			fail(o, k->loc.path, "The %s certificate of the %s role is signed with %s; some software refuses MD5 and SHA-1 certificates.",
			     use_name(k->use), role_name(r), k->cert.sig_name);
			return;
		}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "No certificate is signed with MD5 or SHA-1.");
}

static void c_key_duplicate(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k) {
		if (!k->cert_ok)
			continue;
		for (const struct mdm_key *j = k->next; j != NULL; j = j->next)
			if (j->cert_ok && j->use == k->use &&
			    memcmp(j->cert.spki_sha256, k->cert.spki_sha256, UTIL_SHA256_LEN) == 0) {
				fail(o, j->loc.path, "The %s role lists the same %s key twice.", role_name(r), use_name(k->use));
				return;
			}
	}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "No key is listed twice for the same use.");
}

static void c_key_size_2030(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const time_t end2030 = 1924991999; /* 2030-12-31T23:59:59Z */
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k)
		if (k->cert_ok && k->cert.key_type == CERT_KEY_RSA && k->cert.key_bits < 3072 &&
		    k->cert.not_after > end2030) {
			fail(o, k->loc.path, "The %s key of the %s role is RSA %u and valid beyond 2030; keys used after 2030 should be at least RSA 3072.",
			     use_name(k->use), role_name(r), k->cert.key_bits);
			return;
		}
	if (!any_keys(m, roles))
		na(o, "There are no keys.");
	else
		pass(o, "", "No RSA key under 3072 bits is valid beyond 2030.");
}

/* ---- algorithms ------------------------------------------------------- */

static int alg_sha1(const char *u)
{
	static const char *const bad[] = {
		"http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
		"http://www.w3.org/2000/09/xmldsig#dsa-sha1", "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
		"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", NULL,
	};
	for (int i = 0; bad[i] != NULL; i++)
		if (streq(u, bad[i]))
			return 1;
	return 0;
}

static int alg_obsolete(const char *u)
{
	static const char *const bad[] = {
		"http://www.w3.org/2001/04/xmldsig-more#md5", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
		"http://www.w3.org/2001/04/xmldsig-more#hmac-md5", "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
		"http://www.w3.org/2001/04/xmlenc#tripledes-cbc", NULL,
	};
	for (int i = 0; bad[i] != NULL; i++)
		if (streq(u, bad[i]))
			return 1;
	return 0;
}

/* Visit every declared algorithm; returns the first that bad() flags. */
static const struct mdm_method *alg_find(const struct mdm_entity *m, unsigned roles,
                                         int (*bad)(const char *), int *any)
{
	for (const struct mdm_method *x = m->algs; x != NULL; x = x->next) {
		*any = 1;
		if (bad(x->algorithm))
			return x;
	}
	FOR_ROLES(m, roles, r) {
		for (const struct mdm_method *x = r->algs; x != NULL; x = x->next) {
			*any = 1;
			if (bad(x->algorithm))
				return x;
		}
		for (const struct mdm_key *k = r->keys; k != NULL; k = k->next)
			for (const struct mdm_method *x = k->methods; x != NULL; x = x->next) {
				*any = 1;
				if (bad(x->algorithm))
					return x;
			}
	}
	return NULL;
}

static void c_alg_no_sha1(const struct mdm_entity *m, const struct tfc_args *a,
                          const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	const struct mdm_method *x = alg_find(m, roles, alg_sha1, &any);
	(void)a;
	(void)c;
	if (x != NULL)
		fail(o, x->loc.path, "%s declares %s, a SHA-1 algorithm that is no longer safe.", x->element, x->algorithm);
	else if (!any)
		na(o, "No algorithms are declared.");
	else
		pass(o, "", "No declared algorithm uses SHA-1.");
}

static void c_alg_no_obsolete(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	const struct mdm_method *x = alg_find(m, roles, alg_obsolete, &any);
	(void)a;
	(void)c;
	if (x != NULL)
		fail(o, x->loc.path, "%s declares %s, an obsolete algorithm (MD5, RSA PKCS#1 v1.5 key transport or 3DES).",
		     x->element, x->algorithm);
	else if (!any)
		na(o, "No algorithms are declared.");
	else
		pass(o, "", "No declared algorithm is obsolete.");
}

static int alg_none(const char *u)
{
	(void)u;
	return 0;
}

static void c_alg_declared(const struct mdm_entity *m, const struct tfc_args *a,
                           const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int sig = 0, dig = 0, any = 0;
	(void)a;
	(void)c;
	(void)alg_find(m, roles, alg_none, &any);
	for (const struct mdm_method *x = m->algs; x != NULL; x = x->next) {
		sig |= strcmp(x->element, "SigningMethod") == 0;
		dig |= strcmp(x->element, "DigestMethod") == 0;
	}
	FOR_ROLES(m, roles, r)
		for (const struct mdm_method *x = r->algs; x != NULL; x = x->next) {
			sig |= strcmp(x->element, "SigningMethod") == 0;
			dig |= strcmp(x->element, "DigestMethod") == 0;
		}
	if (!sig || !dig)
		fail(o, ENTITY_PATH "/md:Extensions[1]", "The metadata does not declare the %s it supports (alg:%s); peers then have to guess.",
		     !sig ? "signature algorithms" : "digest algorithms", !sig ? "SigningMethod" : "DigestMethod");
	else
		pass(o, "", "Supported digest and signature algorithms are declared.");
}

static void c_alg_gcm(const struct mdm_entity *m, const struct tfc_args *a,
                      const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int enc_keys = 0;
	(void)a;
	(void)c;
	FOR_KEYS(m, roles, r, k) {
		if (k->use == MDM_USE_SIGNING)
			continue;
		enc_keys++;
		for (const struct mdm_method *x = k->methods; x != NULL; x = x->next)
			if (strstr(x->algorithm ? x->algorithm : "", "-gcm") != NULL) {
				pass(o, k->loc.path, "The encryption key declares AES-GCM.");
				return;
			}
	}
	if (enc_keys == 0)
		na(o, "There is no encryption key.");
	else
		fail(o, "", "No encryption key declares AES-GCM (md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes128-gcm\"); without it peers fall back to AES-CBC.");
}

/* ---- endpoints -------------------------------------------------------- */

static int binding_known(const char *b)
{
	static const char *const known[] = {
		"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
		"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
		"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign",
		"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact",
		"urn:oasis:names:tc:SAML:2.0:bindings:SOAP",
		"urn:oasis:names:tc:SAML:2.0:bindings:PAOS",
		"urn:oasis:names:tc:SAML:2.0:bindings:URI",
		"urn:oasis:names:tc:SAML:2.0:profiles:holder-of-key:SSO:browser",
		"urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol",
		"urn:oasis:names:tc:SAML:profiles:SSO:request-init",
		"urn:oasis:names:tc:SAML:1.0:profiles:browser-post",
		"urn:oasis:names:tc:SAML:1.0:profiles:artifact-01",
		"urn:oasis:names:tc:SAML:1.0:bindings:SOAP-binding",
		"urn:mace:shibboleth:1.0:profiles:AuthnRequest",
		NULL,
	};
	for (int i = 0; known[i] != NULL; i++)
		if (streq(b, known[i]))
			return 1;
	return 0;
}

static void c_endpoint_https(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int n = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		for (int pass_ = 0; pass_ < 2; pass_++)
			for (const struct mdm_endpoint *e = pass_ ? r->discovery : r->endpoints; e != NULL; e = e->next) {
				n++;
				if (!url_ok(e->location, 0)) {
					fail(o, e->loc.path, "%s Location '%.120s' is not an https:// URL: SAML messages carry personal data and must be protected in transit.",
					     e->element, e->location ? e->location : "");
					return;
				}
				if (e->response_location != NULL && !url_ok(e->response_location, 0)) {
					fail(o, e->loc.path, "%s ResponseLocation '%.120s' is not an https:// URL.",
					     e->element, e->response_location);
					return;
				}
			}
	}
	if (n == 0)
		na(o, "There are no endpoints.");
	else
		pass(o, "", "All %d endpoints use https://.", n);
}

static void c_endpoint_bindings_known(const struct mdm_entity *m, const struct tfc_args *a,
                                      const struct tf_context *c, unsigned roles,
                                      struct tfc_out *o)
{
	int n = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		for (int pass_ = 0; pass_ < 2; pass_++)
			for (const struct mdm_endpoint *e = pass_ ? r->discovery : r->endpoints; e != NULL; e = e->next) {
				n++;
				if (!binding_known(e->binding)) {
					fail(o, e->loc.path, "%s has an unknown binding '%.120s' (a typo?).", e->element,
					     e->binding ? e->binding : "");
					return;
				}
			}
	}
	if (n == 0)
		na(o, "There are no endpoints.");
	else
		pass(o, "", "Every endpoint uses a known SAML binding.");
}

static const struct mdm_endpoint *ep_find(const struct mdm_role *r, const char *element,
                                          const char *binding)
{
	for (const struct mdm_endpoint *e = r->endpoints; e != NULL; e = e->next)
		if (strcmp(e->element, element) == 0 && (binding == NULL || streq(e->binding, binding)))
			return e;
	return NULL;
}

static void ep_require(const struct mdm_entity *m, unsigned roles, enum mdm_role_kind kind,
                       const char *element, const char *binding, const char *bname,
                       struct tfc_out *o)
{
	int any = 0;

	FOR_ROLES(m, roles, r) {
		const struct mdm_endpoint *e;
		if (r->kind != kind)
			continue;
		any = 1;
		e = ep_find(r, element, binding);
		if (e == NULL) {
			fail(o, r->loc.path, "The %s role has no %s with the %s binding.", role_name(r), element, bname);
			return;
		}
	}
	if (!any)
		na(o, "The entity is no %s.", kind == MDM_ROLE_IDP ? "identity provider" : "service provider");
	else
		pass(o, "", "There is a%s %s with the %s binding.", element[0] == 'A' ? "n" : "", element, bname);
}

static void c_acs_post(const struct mdm_entity *m, const struct tfc_args *a,
                       const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	ep_require(m, roles, MDM_ROLE_SP, "AssertionConsumerService", B_POST, "HTTP-POST", o);
}

static void c_acs_no_redirect(const struct mdm_entity *m, const struct tfc_args *a,
                              const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		const struct mdm_endpoint *e;
		if (r->kind != MDM_ROLE_SP)
			continue;
		any = 1;
		e = ep_find(r, "AssertionConsumerService", B_REDIRECT);
		if (e != NULL) {
			fail(o, e->loc.path, "An AssertionConsumerService uses HTTP-Redirect, which SAML does not allow for responses.");
			return;
		}
	}
	if (!any)
		na(o, "The entity is no service provider.");
	else
		pass(o, "", "No AssertionConsumerService uses HTTP-Redirect.");
}

static void c_acs_index_unique(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		int defaults = 0;
		for (const struct mdm_endpoint *e = r->endpoints; e != NULL; e = e->next) {
			if (strcmp(e->element, "AssertionConsumerService") != 0)
				continue;
			any = 1;
			defaults += e->is_default == 1;
			for (const struct mdm_endpoint *f = e->next; f != NULL; f = f->next)
				if (strcmp(f->element, "AssertionConsumerService") == 0 && f->index == e->index &&
				    e->index >= 0) {
					fail(o, f->loc.path, "Two AssertionConsumerService elements have index %d.", e->index);
					return;
				}
		}
		if (defaults > 1) {
			fail(o, r->loc.path, "%d AssertionConsumerService elements say isDefault=\"true\"; at most one may.", defaults);
			return;
		}
	}
	if (!any)
		na(o, "There is no AssertionConsumerService.");
	else
		pass(o, "", "AssertionConsumerService indexes are unique, with at most one default.");
}

static void c_idp_sso_redirect(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	ep_require(m, roles, MDM_ROLE_IDP, "SingleSignOnService", B_REDIRECT, "HTTP-Redirect", o);
}

static void c_idp_sso_post(const struct mdm_entity *m, const struct tfc_args *a,
                           const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	ep_require(m, roles, MDM_ROLE_IDP, "SingleSignOnService", B_POST, "HTTP-POST", o);
}

static void c_slo_present(const struct mdm_entity *m, const struct tfc_args *a,
                          const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		if (r->kind != MDM_ROLE_IDP && r->kind != MDM_ROLE_SP)
			continue;
		any = 1;
		if (ep_find(r, "SingleLogoutService", NULL) == NULL) {
			fail(o, r->loc.path, "The %s role has no SingleLogoutService: users cannot log out everywhere at once.", role_name(r));
			return;
		}
	}
	if (!any)
		na(o, "The entity is neither identity nor service provider.");
	else
		pass(o, "", "There is a SingleLogoutService.");
}

static void c_discovery_response(const struct mdm_entity *m, const struct tfc_args *a,
                                 const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_endpoint *e = r->discovery; e != NULL; e = e->next) {
			if (strcmp(e->element, "DiscoveryResponse") != 0)
				continue;
			any = 1;
			if (r->kind != MDM_ROLE_SP) {
				fail(o, e->loc.path, "idpdisc:DiscoveryResponse belongs to the service provider role.");
				return;
			}
			if (!streq(e->binding, B_DISCO)) {
				fail(o, e->loc.path, "idpdisc:DiscoveryResponse must use the binding %s.", B_DISCO);
				return;
			}
		}
	if (!any)
		na(o, "There is no discovery response endpoint.");
	else
		pass(o, "", "Discovery response endpoints are well formed.");
}

/* ---- identity providers ---------------------------------------------- */

static void c_idp_error_url(const struct mdm_entity *m, const struct tfc_args *a,
                            const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		if (r->kind != MDM_ROLE_IDP)
			continue;
		any = 1;
		if (r->error_url == NULL) {
			fail(o, r->loc.path, "The identity provider has no errorURL: services cannot send users anywhere helpful when a login fails.");
			return;
		}
		if (!url_ok(r->error_url, 0)) {
			fail(o, r->loc.path, "errorURL '%.120s' is not an https:// URL.", r->error_url);
			return;
		}
	}
	if (!any)
		na(o, "The entity is no identity provider.");
	else
		pass(o, "", "The identity provider has an https:// errorURL.");
}

static void c_idp_scope(const struct mdm_entity *m, const struct tfc_args *a,
                        const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		if (r->kind != MDM_ROLE_IDP && r->kind != MDM_ROLE_AA)
			continue;
		any = 1;
		if (r->scopes == NULL) {
			fail(o, r->loc.path, "The %s declares no shibmd:Scope: services cannot tell which scoped values (user@scope) it may assert.",
			     role_name(r));
			return;
		}
	}
	if (!any)
		na(o, "The entity is no identity provider.");
	else
		pass(o, "", "The identity provider declares its scopes.");
}

static int v_allow(const struct tfc_args *a, char *why, size_t n)
{
	const char *v = tfc_get(a, "allow", "no");

	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		snprintf(why, n, "idp-scope-regexp: allow is yes or no, not '%s'", v);
		return -1;
	}
	return 0;
}

static void c_idp_scope_regexp(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int allow = strcmp(tfc_get(a, "allow", "no"), "yes") == 0, any = 0;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (const struct mdm_scope *s = r->scopes; s != NULL; s = s->next) {
			any = 1;
			if (s->regexp == 1 && !allow) {
				fail(o, s->loc.path, "The scope '%s' is a regular expression; this federation accepts only literal scopes.", s->value);
				return;
			}
			if (s->regexp == -1) {
				fail(o, s->loc.path, "The scope '%s' does not say regexp=\"false\".", s->value);
				return;
			}
		}
	if (!any)
		na(o, "There are no scopes.");
	else
		pass(o, "", "Every scope is %s.", allow ? "explicit about regexp" : "literal (regexp=\"false\")");
}

static void c_idp_scope_domain(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	char host[256];
	int any = 0;
	(void)a;
	(void)c;
	url_host(m->entity_id, host, sizeof(host));
	FOR_ROLES(m, roles, r)
		for (const struct mdm_scope *s = r->scopes; s != NULL; s = s->next) {
			size_t hl = strlen(host), sl;
			if (s->regexp == 1 || s->value == NULL)
				continue;
			any = 1;
			sl = strlen(s->value);
			if (hl == 0 || !(strcasecmp(host, s->value) == 0 ||
			                 (hl > sl && host[hl - sl - 1] == '.' && strcasecmp(host + hl - sl, s->value) == 0))) {
				fail(o, s->loc.path, "The scope '%s' is not the domain of the entityID (%s) or a parent of it: attributes from this identity provider should come from the organisation that is their source.",
				     s->value, *host ? host : m->entity_id);
				return;
			}
		}
	if (!any)
		na(o, "There are no literal scopes.");
	else
		pass(o, "", "Every scope belongs to the domain of the entityID.");
}

static void c_idp_category_support(const struct mdm_entity *m, const struct tfc_args *a,
                                   const struct tf_context *c, unsigned roles,
                                   struct tfc_out *o)
{
	(void)a;
	(void)c;
	if (!(m->roles & MD_ROLE_IDP) || !(roles & MD_ROLE_IDP)) {
		na(o, "The entity is no identity provider.");
		return;
	}
	if (mdm_entity_attr(m, TF_ATTR_CATEGORY_SUPPORT) == NULL)
		fail(o, ENTITY_PATH, "The identity provider declares no entity-category-support: services cannot see which attribute bundles it releases.");
	else
		pass(o, ENTITY_PATH, "The identity provider declares the entity categories it supports.");
}

static void c_nameid_formats_known(const struct mdm_entity *m, const struct tfc_args *a,
                                   const struct tf_context *c, unsigned roles,
                                   struct tfc_out *o)
{
	static const char *const known[] = {
		"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
		"urn:mace:shibboleth:1.0:nameIdentifier", NULL,
	};
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r)
		for (int i = 0; i < r->n_nameid_formats; i++) {
			int ok = 0;
			any = 1;
			for (int k = 0; known[k] != NULL && !ok; k++)
				ok = streq(r->nameid_formats[i], known[k]);
			if (!ok) {
				fail(o, r->loc.path, "The %s role lists an unknown NameIDFormat '%.120s'.", role_name(r), r->nameid_formats[i]);
				return;
			}
		}
	if (!any)
		na(o, "No NameIDFormat is listed.");
	else
		pass(o, "", "Every NameIDFormat is a known one.");
}

/* ---- service providers ----------------------------------------------- */

#define FOR_REQUESTED(m, roles, r, s, x) \
	FOR_ROLES(m, roles, r) \
		for (const struct mdm_acs_service *s = r->services; s != NULL; s = s->next) \
			for (const struct mdm_attr *x = s->requested; x != NULL; x = x->next)

static int sp_roles(const struct mdm_entity *m, unsigned roles)
{
	FOR_ROLES(m, roles, r)
		if (r->kind == MDM_ROLE_SP)
			return 1;
	return 0;
}

static void c_sp_requested_attributes(const struct mdm_entity *m, const struct tfc_args *a,
                                      const struct tf_context *c, unsigned roles,
                                      struct tfc_out *o)
{
	long min = tfc_int(a, "min", 1), n = 0;
	(void)c;
	if (!sp_roles(m, roles)) {
		na(o, "The entity is no service provider.");
		return;
	}
	FOR_REQUESTED(m, roles, r, s, x) {
		(void)x;
		n++;
	}
	if (n < min)
		fail(o, "", "The service provider requests %ld attributes (md:RequestedAttribute); it must say which it needs, so that it gets those and no more.", n);
	else
		pass(o, "", "The service provider says which %ld attributes it needs.", n);
}

static void c_sp_requested_attributes_known(const struct mdm_entity *m, const struct tfc_args *a,
                                            const struct tf_context *c, unsigned roles,
                                            struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_REQUESTED(m, roles, r, s, x) {
		const struct attr_def *d = attr_find(x->name);
		any = 1;
		if (d == NULL) {
			fail(o, x->loc.path, "The requested attribute '%.120s' is not one this federation knows; use the urn:oid: names of the attribute profile.",
			     x->name ? x->name : "");
			return;
		}
		if (strcmp(d->name, x->name) != 0) {
			/* a friendly name in Name: identity providers release by the real name */
			fail(o, x->loc.path, "The requested attribute is named '%s'; its SAML name is %s (put '%s' in FriendlyName).",
			     x->name, d->name, d->friendly);
			return;
		}
	}
	if (!any)
		na(o, "No attributes are requested.");
	else
		pass(o, "", "Every requested attribute is a known one.");
}

static void c_sp_requested_attributes_format(const struct mdm_entity *m, const struct tfc_args *a,
                                             const struct tf_context *c, unsigned roles,
                                             struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_REQUESTED(m, roles, r, s, x) {
		const struct attr_def *d = attr_find(x->name);
		any = 1;
		if (!streq(x->name_format, NAMEFORMAT_URI)) {
			fail(o, x->loc.path, "The requested attribute %s should have NameFormat %s.", x->name ? x->name : "?",
			     NAMEFORMAT_URI);
			return;
		}
		if (d != NULL && x->friendly_name != NULL && strcmp(x->friendly_name, d->friendly) != 0) {
			fail(o, x->loc.path, "The requested attribute %s has FriendlyName '%s'; its name is %s.", x->name,
			     x->friendly_name, d->friendly);
			return;
		}
	}
	if (!any)
		na(o, "No attributes are requested.");
	else
		pass(o, "", "Requested attributes use NameFormat uri and their usual friendly names.");
}

static void c_sp_attribute_service(const struct mdm_entity *m, const struct tfc_args *a,
                                   const struct tf_context *c, unsigned roles,
                                   struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	FOR_ROLES(m, roles, r) {
		int defaults = 0;
		for (const struct mdm_acs_service *s = r->services; s != NULL; s = s->next) {
			int named = 0;
			any = 1;
			defaults += s->is_default == 1;
			for (const struct mdm_text *t = s->names; t != NULL; t = t->next)
				named |= strcmp(t->element, "ServiceName") == 0 && t->value && *t->value;
			if (!named) {
				fail(o, s->loc.path, "md:AttributeConsumingService has no md:ServiceName.");
				return;
			}
			if (s->requested == NULL) {
				fail(o, s->loc.path, "md:AttributeConsumingService requests no attribute.");
				return;
			}
			for (const struct mdm_acs_service *t = s->next; t != NULL; t = t->next)
				if (t->index == s->index) {
					fail(o, t->loc.path, "Two md:AttributeConsumingService elements have index %d.", s->index);
					return;
				}
		}
		if (defaults > 1) {
			fail(o, r->loc.path, "More than one md:AttributeConsumingService says isDefault=\"true\".");
			return;
		}
	}
	if (!any)
		na(o, "There is no md:AttributeConsumingService.");
	else
		pass(o, "", "Attribute consuming services are named, with unique indexes.");
}

static int v_subject_id(const struct tfc_args *a, char *why, size_t n)
{
	const char *opt = tfc_get(a, "optional", "no");

	if (strcmp(opt, "yes") != 0 && strcmp(opt, "no") != 0) {
		snprintf(why, n, "sp-subject-id-req: optional is yes or no, not '%s'", opt);
		return -1;
	}
	for (int i = 0; i < tfc_npos(a); i++) {
		const char *v = tfc_pos(a, i);
		if (strcmp(v, "subject-id") && strcmp(v, "pairwise-id") && strcmp(v, "any") && strcmp(v, "none")) {
			snprintf(why, n, "sp-subject-id-req: '%s' is not subject-id, pairwise-id, any or none", v);
			return -1;
		}
	}
	return 0;
}

static void c_sp_subject_id_req(const struct mdm_entity *m, const struct tfc_args *a,
                                const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const struct mdm_attr *x = mdm_entity_attr(m, ATTR_SUBJECT_ID_REQ);
	int n = tfc_npos(a);
	(void)c;
	if (!sp_roles(m, roles)) {
		na(o, "The entity is no service provider.");
		return;
	}
	if (x == NULL && strcmp(tfc_get(a, "optional", "no"), "yes") == 0) {
		na(o, "The service provider states no subject identifier requirement.");
		return;
	}
	if (x == NULL || x->nvalues == 0) {
		fail(o, ENTITY_PATH, "The service provider does not say which subject identifier it needs (entity attribute %s: subject-id, pairwise-id, any or none).",
		     ATTR_SUBJECT_ID_REQ);
		return;
	}
	if (x->nvalues != 1) {
		fail(o, x->loc.path, "Entity attribute %s must have exactly one value.", ATTR_SUBJECT_ID_REQ);
		return;
	}
	for (int i = 0; i < (n ? n : 4); i++) {
		const char *v = n ? tfc_pos(a, i) : i == 0 ? "subject-id" : i == 1 ? "pairwise-id" : i == 2 ? "any" : "none";
		if (streq(x->values->value, v)) {
			pass(o, x->loc.path, "The service provider asks for %s.", v);
			return;
		}
	}
	fail(o, x->loc.path, "The subject identifier requirement '%s' is not accepted here.", x->values->value);
}

static void c_sp_requested_or_subject_id(const struct mdm_entity *m, const struct tfc_args *a,
                                         const struct tf_context *c, unsigned roles,
                                         struct tfc_out *o)
{
	(void)a;
	(void)c;
	if (!sp_roles(m, roles)) {
		na(o, "The entity is no service provider.");
		return;
	}
	FOR_REQUESTED(m, roles, r, s, x) {
		(void)x;
		pass(o, "", "The service provider lists the attributes it requests.");
		return;
	}
	if (mdm_entity_attr(m, ATTR_SUBJECT_ID_REQ) != NULL) {
		pass(o, ENTITY_PATH, "The service provider states its subject identifier requirement.");
		return;
	}
	fail(o, "", "The service provider neither requests attributes nor states a subject identifier requirement: it must say what it needs.");
}

static void c_sp_signs_requests(const struct mdm_entity *m, const struct tfc_args *a,
                                const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	(void)a;
	(void)c;
	if (!sp_roles(m, roles)) {
		na(o, "The entity is no service provider.");
		return;
	}
	FOR_ROLES(m, roles, r)
		if (r->kind == MDM_ROLE_SP && r->authn_requests_signed != 1) {
			fail(o, r->loc.path, "The service provider does not say AuthnRequestsSigned=\"true\": unsigned requests can be forged in its name.");
			return;
		}
	pass(o, "", "The service provider signs its authentication requests.");
}

/* ---- entity categories ------------------------------------------------ */

static const struct {
	const char *uri;
	int deprecated;
} known_categories[] = {
	{ "http://refeds.org/category/research-and-scholarship", 0 },
	{ "https://refeds.org/category/code-of-conduct/v2", 0 },
	{ "http://www.geant.net/uri/dataprotection-code-of-conduct/v1", 1 },
	{ "https://refeds.org/category/anonymous", 0 },
	{ "https://refeds.org/category/pseudonymous", 0 },
	{ "https://refeds.org/category/personalized", 0 },
	{ "http://refeds.org/category/hide-from-discovery", 0 },
	{ "http://id.elegnamnden.se/ec/1.0/loa2-pnr", 0 },
	{ "http://id.elegnamnden.se/ec/1.0/loa3-pnr", 0 },
	{ "http://id.elegnamnden.se/ec/1.0/loa4-pnr", 0 },
	{ "http://id.elegnamnden.se/ec/1.0/eidas-naturalperson", 0 },
	{ "http://id.elegnamnden.se/ec/1.0/eidas-pnr-delivery", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa3-hsaid", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa2-orgid", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa3-orgid", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa4-orgid", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa2-name", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa3-name", 0 },
	{ "http://id.swedenconnect.se/ec/1.0/loa4-name", 0 },
	{ "http://id.elegnamnden.se/st/1.0/public-sector-sp", 0 },
	{ "http://id.elegnamnden.se/st/1.0/private-sector-sp", 0 },
	{ "http://id.elegnamnden.se/st/1.0/sigservice", 0 },
	{ "http://id.elegnamnden.se/sprop/1.0/mobile-auth", 0 },
	{ "http://id.elegnamnden.se/sprop/1.0/scal2", 0 },
	{ "http://id.swedenconnect.se/general-ec/1.0/secure-authenticator-binding", 0 },
	{ "http://id.swedenconnect.se/general-ec/1.0/accepts-coordination-number", 0 },
	{ "http://id.swedenconnect.se/general-ec/1.0/supports-user-message", 0 },
};

static void c_category_known(const struct mdm_entity *m, const struct tfc_args *a,
                             const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	int any = 0;
	(void)a;
	(void)c;
	(void)roles;
	for (const struct mdm_attr *x = m->entity_attrs; x != NULL; x = x->next) {
		if (!streq(x->name, TF_ATTR_CATEGORY) && !streq(x->name, TF_ATTR_CATEGORY_SUPPORT))
			continue;
		for (const struct mdm_value *v = x->values; v != NULL; v = v->next) {
			size_t i, n = sizeof(known_categories) / sizeof(known_categories[0]);
			any = 1;
			for (i = 0; i < n; i++)
				if (streq(v->value, known_categories[i].uri))
					break;
			if (i == n) {
				fail(o, x->loc.path, "The entity category '%.120s' is not one this federation knows.", v->value);
				return;
			}
			if (known_categories[i].deprecated) {
				fail(o, x->loc.path, "The entity category %s is deprecated (the GÉANT Code of Conduct v1 is replaced by REFEDS Code of Conduct v2).", v->value);
				return;
			}
		}
	}
	if (!any)
		na(o, "The entity declares no entity category.");
	else
		pass(o, ENTITY_PATH, "Every entity category is a known, current one.");
}

static void c_access_category_exclusive(const struct mdm_entity *m, const struct tfc_args *a,
                                        const struct tf_context *c, unsigned roles,
                                        struct tfc_out *o)
{
	static const char *const cats[] = { "https://refeds.org/category/anonymous",
		                            "https://refeds.org/category/pseudonymous",
		                            "https://refeds.org/category/personalized" };
	int n = 0;
	(void)a;
	(void)c;
	(void)roles;
	for (int i = 0; i < 3; i++)
		n += mdm_has_entity_attr(m, TF_ATTR_CATEGORY, cats[i]);
	if (n > 1)
		fail(o, ENTITY_PATH, "The service provider holds %d of the REFEDS access categories (anonymous, pseudonymous, personalized); it should hold the one that fits.", n);
	else
		pass(o, ENTITY_PATH, "At most one REFEDS access category.");
}

static void c_entity_attribute(const struct mdm_entity *m, const struct tfc_args *a,
                               const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	const char *name = tfc_pos(a, 0), *value = tfc_pos(a, 1), *full = tf_attribute_alias(name);
	(void)c;
	(void)roles;
	if (full != NULL)
		name = full;
	if (mdm_has_entity_attr(m, name, value))
		pass(o, ENTITY_PATH, "The entity declares %s %s.", name, value);
	else
		fail(o, ENTITY_PATH, "The entity does not declare entity attribute %s with value %s.", name, value);
}

/* ---- timing ----------------------------------------------------------- */

static void c_valid_until(const struct mdm_entity *m, const struct tfc_args *a,
                          const struct tf_context *c, unsigned roles, struct tfc_out *o)
{
	long max = tfc_int(a, "max-days", 28);
	time_t t;
	(void)roles;
	if (m->valid_until == NULL) {
		na(o, "The entity has no validUntil of its own.");
		return;
	}
	if (util_time_parse(m->valid_until, &t) != 0) {
		fail(o, ENTITY_PATH "/@validUntil", "validUntil '%s' is not a date and time.", m->valid_until);
		return;
	}
	if (t <= c->now)
		fail(o, ENTITY_PATH "/@validUntil", "The metadata expired at %s (validUntil).", m->valid_until);
	else if (t - c->now > (time_t)max * 86400)
		fail(o, ENTITY_PATH "/@validUntil", "validUntil %s is more than %ld days ahead.", m->valid_until, max);
	else
		pass(o, ENTITY_PATH "/@validUntil", "validUntil %s is in the next %ld days.", m->valid_until, max);
}

/* ---- the table -------------------------------------------------------- */

static const struct tfc_check tfc_table[] = {
	/* entity and organisation */
	{ "entityid-scheme", "entity", "[SCHEME...]", "entityID has no white space and uses one of the schemes (default https http urn)", 0, v_schemes, c_entityid_scheme },
	{ "entityid-length", "entity", "[max=256]", "entityID is at most max characters", 0, NULL, c_entityid_length },
	{ "organization", "entity", "", "md:Organization with OrganizationName, OrganizationDisplayName and OrganizationURL", 0, NULL, c_organization },
	{ "organization-url", "entity", "", "every OrganizationURL is https", 0, NULL, c_organization_url },
	{ "registration-info", "entity", "", "an imported entity has exactly one mdrpi:RegistrationInfo with an authority (members get ours)", 0, NULL, c_registration_info },
	{ "entity-attributes-placement", "entity", "", "mdattr:EntityAttributes once, at the entity level only", 0, NULL, c_entity_attributes_placement },
	{ "entity-attributes-format", "entity", "", "entity attributes: NameFormat uri, one element per name, trimmed and distinct values", 0, NULL, c_entity_attributes_format },
	{ "saml2-protocol", "entity", "", "every role lists SAML 2.0 in protocolSupportEnumeration", 0, NULL, c_saml2_protocol },
	{ "string-length", "entity", "[max=256]", "no text or attribute value longer than max (data: URIs excepted)", 0, NULL, c_string_length },
	/* languages */
	{ "lang-codes", "language", "", "every xml:lang is an ISO 639-1 code, optionally with subtags", 0, NULL, c_lang_codes },
	{ "lang-unique", "language", "", "no element given twice in one language", 0, NULL, c_lang_unique },
	{ "lang-required", "language", "LANG [scope=all]", "every text users read (scope all: mdui, Organization, ServiceName; or mdui) also in LANG", 0, v_lang, c_lang_required },
	{ "lang-consistent", "language", "", "every text users read (mdui, Organization, ServiceName) in every language used for them", 0, NULL, c_lang_consistent },
	/* mdui */
	{ "mdui-present", "mdui", "[ELEMENT...]", "the role has mdui:UIInfo with these elements", 0, v_mdui, c_mdui_present },
	{ "mdui-description-length", "mdui", "[max=140]", "every mdui:Description at most max characters", 0, NULL, c_mdui_description_length },
	{ "mdui-logo-https", "mdui", "", "every logo is an https URL or a data:image URI", 0, NULL, c_mdui_logo_https },
	{ "mdui-logo-size", "mdui", "[min=16]", "every logo is at least min pixels wide and high", 0, NULL, c_mdui_logo_size },
	{ "mdui-url-https", "mdui", "", "InformationURL and PrivacyStatementURL are https URLs", 0, NULL, c_mdui_url_https },
	{ "mdui-displayname-unique", "mdui", "", "no other identity provider of the federation has the same display name", 0, NULL, c_mdui_displayname_unique },
	/* contacts */
	{ "contact-present", "contacts", "TYPE", "a contact of TYPE (technical, administrative, support, billing, other, security)", 0, v_contact_type, c_contact_present },
	{ "contact-email", "contacts", "", "every contact has an e-mail address", 0, NULL, c_contact_email },
	{ "contact-mailto", "contacts", "", "every e-mail address is a mailto: URI", 0, NULL, c_contact_mailto },
	{ "contact-one-per-type", "contacts", "", "at most one contact of each type", 0, NULL, c_contact_one_per_type },
	{ "contact-nonempty", "contacts", "", "no empty contact elements", 0, NULL, c_contact_nonempty },
	{ "security-contact-fields", "contacts", "", "the REFEDS security contact has contactType other, GivenName and EmailAddress", 0, NULL, c_security_contact_fields },
	{ "security-contact-typed", "contacts", "", "a contact of type other carries remd:contactType", 0, NULL, c_security_contact_typed },
	{ "security-not-support", "contacts", "", "the security contact does not use the support address", 0, NULL, c_security_not_support },
	/* keys and certificates */
	{ "key-signing", "keys", "", "a signing key with a readable certificate", 0, NULL, c_key_signing },
	{ "key-encryption", "keys", "", "an encryption key with a readable certificate", 0, NULL, c_key_encryption },
	{ "key-x509", "keys", "", "every key is a readable ds:X509Certificate", 0, NULL, c_key_x509 },
	{ "key-size", "keys", "[rsa=2048] [ec=256]", "every RSA/DSA key at least rsa bits, every EC key at least ec", 0, NULL, c_key_size },
	{ "key-curve", "keys", "", "EC keys use P-256, P-384 or P-521", 0, NULL, c_key_curve },
	{ "key-duplicate", "keys", "", "no key listed twice for the same use", 0, NULL, c_key_duplicate },
	{ "key-size-2030", "keys", "", "no RSA key under 3072 bits valid beyond 2030", 0, NULL, c_key_size_2030 },
	{ "cert-expired", "keys", "", "no certificate has expired", 1, NULL, c_cert_expired },
	{ "cert-expiring", "keys", "[days=30]", "no certificate expires within days", 1, NULL, c_cert_expiring },
	{ "cert-self-signed", "keys", "", "certificates are self-signed", 0, NULL, c_cert_self_signed },
	{ "cert-signature-hash", "keys", "", "no certificate signed with MD5 or SHA-1", 0, NULL, c_cert_signature_hash },
	/* algorithms */
	{ "alg-no-sha1", "algorithms", "", "no declared digest, signature or encryption algorithm uses SHA-1", 0, NULL, c_alg_no_sha1 },
	{ "alg-no-obsolete", "algorithms", "", "no declared MD5, RSA PKCS#1 v1.5 key transport or 3DES", 0, NULL, c_alg_no_obsolete },
	{ "alg-declared", "algorithms", "", "alg:SigningMethod and alg:DigestMethod are declared", 0, NULL, c_alg_declared },
	{ "alg-gcm", "algorithms", "", "an encryption key declares AES-GCM", 0, NULL, c_alg_gcm },
	/* endpoints */
	{ "endpoint-https", "endpoints", "", "every endpoint Location and ResponseLocation is https", 0, NULL, c_endpoint_https },
	{ "endpoint-bindings-known", "endpoints", "", "every endpoint binding is a known SAML binding", 0, NULL, c_endpoint_bindings_known },
	{ "acs-post", "endpoints", "", "the SP has an AssertionConsumerService with HTTP-POST", 0, NULL, c_acs_post },
	{ "acs-no-redirect", "endpoints", "", "no AssertionConsumerService with HTTP-Redirect", 0, NULL, c_acs_no_redirect },
	{ "acs-index-unique", "endpoints", "", "AssertionConsumerService indexes unique, at most one default", 0, NULL, c_acs_index_unique },
	{ "idp-sso-redirect", "endpoints", "", "the IdP has a SingleSignOnService with HTTP-Redirect", 0, NULL, c_idp_sso_redirect },
	{ "idp-sso-post", "endpoints", "", "the IdP has a SingleSignOnService with HTTP-POST", 0, NULL, c_idp_sso_post },
	{ "slo-present", "endpoints", "", "the role has a SingleLogoutService", 0, NULL, c_slo_present },
	{ "discovery-response", "endpoints", "", "idpdisc:DiscoveryResponse in the SP role with its binding", 0, NULL, c_discovery_response },
	/* identity providers */
	{ "idp-error-url", "idp", "", "the IdP has an https errorURL", 0, NULL, c_idp_error_url },
	{ "idp-scope", "idp", "", "the IdP declares at least one shibmd:Scope", 0, NULL, c_idp_scope },
	{ "idp-scope-regexp", "idp", "[allow=no]", "scopes say regexp=\"false\" (regular expressions only with allow=yes)", 0, v_allow, c_idp_scope_regexp },
	{ "idp-scope-domain", "idp", "", "every literal scope is the entityID's domain or a parent of it", 0, NULL, c_idp_scope_domain },
	{ "idp-category-support", "idp", "", "the IdP declares entity-category-support", 0, NULL, c_idp_category_support },
	{ "nameid-formats-known", "idp", "", "every NameIDFormat is a known one", 0, NULL, c_nameid_formats_known },
	/* service providers */
	{ "sp-requested-attributes", "sp", "[min=1]", "the SP requests at least min attributes", 0, NULL, c_sp_requested_attributes },
	{ "sp-requested-attributes-known", "sp", "", "every requested attribute is one the federation knows", 0, NULL, c_sp_requested_attributes_known },
	{ "sp-requested-attributes-format", "sp", "", "requested attributes use NameFormat uri and their usual FriendlyName", 0, NULL, c_sp_requested_attributes_format },
	{ "sp-attribute-service", "sp", "", "every AttributeConsumingService is named, requests something, has a unique index", 0, NULL, c_sp_attribute_service },
	{ "sp-subject-id-req", "sp", "[VALUE...] [optional=no]", "the SP states one subject-id:req value among these (default subject-id pairwise-id any none); with optional=yes only if it states one", 0, v_subject_id, c_sp_subject_id_req },
	{ "sp-requested-or-subject-id", "sp", "", "the SP requests attributes or states a subject-id:req", 0, NULL, c_sp_requested_or_subject_id },
	{ "sp-signs-requests", "sp", "", "the SP says AuthnRequestsSigned=\"true\"", 0, NULL, c_sp_signs_requests },
	/* entity categories */
	{ "category-known", "categories", "", "every entity category is known and not deprecated", 0, NULL, c_category_known },
	{ "access-category-exclusive", "categories", "", "at most one of the REFEDS anonymous, pseudonymous and personalized categories", 0, NULL, c_access_category_exclusive },
	{ "entity-attribute", "categories", "NAME VALUE", "the entity declares entity attribute NAME (or an alias) with VALUE", 0, NULL, c_entity_attribute },
	/* timing */
	{ "valid-until", "timing", "[max-days=28]", "the entity's own validUntil, if any, is in the future and at most max-days ahead", 1, NULL, c_valid_until },
};

#define TFC_N (sizeof(tfc_table) / sizeof(tfc_table[0]))

const struct tfc_check *tfc_find(const char *name)
{
	for (size_t i = 0; i < TFC_N; i++)
		if (strcmp(tfc_table[i].name, name) == 0)
			return &tfc_table[i];
	return NULL;
}

const struct tfc_check *tfc_all(size_t *n)
{
	*n = TFC_N;
	return tfc_table;
}

void tfc_run(const struct tfc_check *check, const struct tfc_args *a, const struct mdm_entity *m,
             const struct tf_context *c, unsigned roles, struct tfc_out *out)
{
	int quiet = out->quiet;

	out->outcome = TF_NOT_APPLICABLE;
	out->path[0] = out->msg[0] = '\0';
	out->quiet = quiet;
	check->run(m, a, c, roles, out);
}
