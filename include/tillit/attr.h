/*
 * attr.h - the SAML attributes Tillit knows: friendly names, their
 * urn:oid: (or URI) names, and how their values are formed.
 *
 * Used wherever a person names an attribute (agreements, framework
 * checks) and wherever the hub releases one: both forms mean the same.
 */
#ifndef TILLIT_ATTR_H
#define TILLIT_ATTR_H

#include <stddef.h>

#define ATTR_NAMEFORMAT_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

struct attr_def {
	const char *friendly;  /* "eduPersonPrincipalName" */
	const char *name;      /* "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" (NameFormat uri) */
	int scoped;            /* values are VALUE@SCOPE and the scope must be the IdP's */
	int single;            /* at most one value */
	const char *doc;
};

/* The attribute with this friendly name or name (case-sensitive), or NULL. */
const struct attr_def *attr_find(const char *name);

/* All known attributes, *n of them, in a fixed order. */
const struct attr_def *attr_all(size_t *n);

#endif
