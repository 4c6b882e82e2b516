/* rel.c - attribute release policy and the hub's identifiers. */
#include "tillit/rel.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "tillit/attr.h"
#include "tillit/err.h"
#include "tillit/util.h"

void rel_set_add(struct rel_set *s, const char *name)
{
	if (name == NULL || rel_set_has(s, name) || s->n == REL_MAX)
		return;
	s->names[s->n++] = name;
}

int rel_set_has(const struct rel_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

static const struct {
	const char *category;
	const char *attrs[9];
} rel_bundles[] = {
	{ REL_CAT_RS, { "subject-id", "eduPersonPrincipalName", "mail", "displayName", "givenName", "sn",
	                "eduPersonScopedAffiliation", NULL } },
	/* R&S was published under both schemes */
	{ "https://refeds.org/category/research-and-scholarship",
	  { "subject-id", "eduPersonPrincipalName", "mail", "displayName", "givenName", "sn",
	    "eduPersonScopedAffiliation", NULL } },
	{ REL_CAT_PERSONALIZED, { "subject-id", "mail", "displayName", "givenName", "sn",
	                          "eduPersonAssurance", "eduPersonScopedAffiliation",
	                          "schacHomeOrganization", NULL } },
	{ REL_CAT_PSEUDONYMOUS, { "pairwise-id", "eduPersonAssurance", "eduPersonScopedAffiliation",
	                          "schacHomeOrganization", NULL } },
	{ REL_CAT_ANONYMOUS, { "eduPersonScopedAffiliation", "schacHomeOrganization", NULL } },
};

static const char *rel_canonical(const struct mdm_attr *ra)
{
	const struct attr_def *d = attr_find(ra->name);

	if (d != NULL)
		return d->name;
	if (ra->name_format != NULL && strcmp(ra->name_format, ATTR_NAMEFORMAT_URI) == 0)
		return ra->name;
	return NULL; /* basic or unspecified names the registry does not know: nothing to release */
}

/* The AttributeConsumingService a request names, else the default one, else the first. */
static const struct mdm_acs_service *rel_service(const struct mdm_role *sp, int attr_index)
{
	const struct mdm_acs_service *first = NULL, *dflt = NULL;

	for (const struct mdm_acs_service *s = sp->services; s != NULL; s = s->next) {
		if (attr_index >= 0 && s->index == attr_index)
			return s;
		if (first == NULL)
			first = s;
		if (dflt == NULL && s->is_default == 1)
			dflt = s;
	}
	return dflt ? dflt : first;
}

void rel_wanted(const struct mdm_entity *sp, int attr_index, struct rel_set *out)
{
	const struct mdm_role *role = mdm_role(sp, MDM_ROLE_SP);
	const struct mdm_attr *cats = mdm_entity_attr(sp, REL_ENTITY_CATEGORY);
	const struct mdm_acs_service *svc;

	out->n = 0;
	if (role == NULL)
		return;
	svc = rel_service(role, attr_index);
	for (const struct mdm_attr *ra = svc ? svc->requested : NULL; ra != NULL; ra = ra->next)
		rel_set_add(out, rel_canonical(ra));
	for (const struct mdm_value *v = cats ? cats->values : NULL; v != NULL; v = v->next) {
		for (size_t b = 0; b < sizeof(rel_bundles) / sizeof(rel_bundles[0]); b++) {
			if (strcmp(v->value, rel_bundles[b].category) != 0)
				continue;
			for (int i = 0; rel_bundles[b].attrs[i] != NULL; i++) {
				const struct attr_def *d = attr_find(rel_bundles[b].attrs[i]);
				if (d != NULL)
					rel_set_add(out, d->name);
			}
		}
	}
}

int rel_scope_ok(const struct mdm_role *idp, const char *value)
{
	const char *at = value ? strrchr(value, '@') : NULL;
	const char *scope;

	if (at == NULL || at == value || at[1] == '\0' || idp == NULL)
		return 0;
	scope = at + 1;
	for (const struct mdm_scope *s = idp->scopes; s != NULL; s = s->next) {
		if (s->value == NULL)
			continue;
		if (s->regexp == 1) {
			regex_t re;
			char anchored[512];
			int ok;
			/* the expression must match the whole scope */
			if ((size_t)snprintf(anchored, sizeof(anchored), "^(%s)$", s->value) >= sizeof(anchored))
				continue;
			if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
				continue;
			ok = regexec(&re, scope, 0, NULL, 0) == 0;
			regfree(&re);
			if (ok)
				return 1;
		} else if (strcasecmp(s->value, scope) == 0) {
			return 1;
		}
	}
	return 0;
}

const char *rel_idp_scope(const struct mdm_role *idp)
{
	for (const struct mdm_scope *s = idp ? idp->scopes : NULL; s != NULL; s = s->next)
		if (s->regexp != 1 && s->value != NULL && s->value[0] != '\0')
			return s->value;
	return NULL;
}

int rel_filter_scoped(struct saml_assertion *a, const struct mdm_role *idp)
{
	int dropped = 0, w = 0;

	for (int i = 0; i < a->nattrs; i++) {
		struct saml_attr *x = &a->attrs[i];
		const struct attr_def *d = x->name ? attr_find(x->name) : NULL;
		if (d != NULL && d->scoped) {
			int k = 0;
			for (int j = 0; j < x->nvalues; j++) {
				if (rel_scope_ok(idp, x->values[j])) {
					x->values[k++] = x->values[j];
				} else {
					free(x->values[j]);
					dropped++;
				}
			}
			x->nvalues = k;
		}
		if (x->nvalues == 0) {
			free(x->name);
			free(x->name_format);
			free(x->friendly_name);
			free(x->values);
			continue;
		}
		a->attrs[w++] = *x;
	}
	for (int i = w; i < a->nattrs; i++)
		memset(&a->attrs[i], 0, sizeof(a->attrs[i]));
	a->nattrs = w;
	return dropped;
}

static const char *rel_first_value(const struct saml_assertion *a, const char *friendly)
{
	const struct attr_def *d = attr_find(friendly);

	for (int i = 0; d != NULL && i < a->nattrs; i++)
		if (a->attrs[i].name != NULL && strcmp(a->attrs[i].name, d->name) == 0 &&
		    a->attrs[i].nvalues > 0 && a->attrs[i].values[0][0] != '\0')
			return a->attrs[i].values[0];
	return NULL;
}

const char *rel_user_key(const struct saml_assertion *a)
{
	const char *v;

	if ((v = rel_first_value(a, "subject-id")) != NULL)
		return v;
	if (a->name_id != NULL && a->name_id[0] != '\0' && a->name_id_format != NULL &&
	    strcmp(a->name_id_format, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent") == 0)
		return a->name_id;
	if ((v = rel_first_value(a, "eduPersonPrincipalName")) != NULL)
		return v;
	return rel_first_value(a, "uid");
}

int rel_pseudonym(const unsigned char *secret, size_t slen, const char *label, const char *part1,
                  const char *part2, const char *part3, char out[REL_PSEUDONYM_LEN + 1])
{
	const char *parts[4] = { label, part1, part2, part3 };
	unsigned char mac[EVP_MAX_MD_SIZE];
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int ok = 0;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	out[0] = '\0';
	if (c != NULL && EVP_MAC_init(c, secret, slen, params) == 1) {
		ok = 1;
		for (int i = 0; i < 4 && ok; i++)
			if (parts[i] != NULL)
				ok = EVP_MAC_update(c, (const unsigned char *)parts[i], strlen(parts[i]) + 1) == 1;
		ok = ok && EVP_MAC_final(c, mac, &outl, sizeof(mac)) == 1 && outl >= REL_PSEUDONYM_LEN / 2;
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	if (!ok)
		return TL_ECRYPTO;
	util_hex(mac, REL_PSEUDONYM_LEN / 2, out);
	out[REL_PSEUDONYM_LEN] = '\0';
	return TL_OK;
}
