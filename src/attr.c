/* attr.c - the table of SAML attributes Tillit knows. */
#include "tillit/attr.h"

#include <string.h>

static const struct attr_def attr_table[] = {
	{ "eduPersonPrincipalName", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6", 1, 1,
	  "a person's federated login name, user@scope" },
	{ "eduPersonScopedAffiliation", "urn:oid:1.3.6.1.4.1.5923.1.1.1.9", 1, 0,
	  "relation to the organisation (student, employee, ...) @scope" },
	{ "eduPersonAffiliation", "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", 0, 0,
	  "relation to the organisation without scope" },
	{ "eduPersonEntitlement", "urn:oid:1.3.6.1.4.1.5923.1.1.1.7", 0, 0,
	  "rights to specific resources (URIs)" },
	{ "eduPersonAssurance", "urn:oid:1.3.6.1.4.1.5923.1.1.1.11", 0, 0,
	  "identity assurance of the person (REFEDS RAF values)" },
	{ "eduPersonTargetedID", "urn:oid:1.3.6.1.4.1.5923.1.1.1.10", 0, 1,
	  "persistent pseudonymous identifier (deprecated by pairwise-id)" },
	{ "eduPersonOrcid", "urn:oid:1.3.6.1.4.1.5923.1.1.1.16", 0, 1, "ORCID iD" },
	{ "subject-id", "urn:oasis:names:tc:SAML:attribute:subject-id", 1, 1,
	  "general-purpose subject identifier, unique@scope" },
	{ "pairwise-id", "urn:oasis:names:tc:SAML:attribute:pairwise-id", 1, 1,
	  "per-service subject identifier, unique@scope" },
	{ "mail", "urn:oid:0.9.2342.19200300.100.1.3", 0, 0, "e-mail address" },
	{ "displayName", "urn:oid:2.16.840.1.113730.3.1.241", 0, 1, "name as displayed" },
	{ "givenName", "urn:oid:2.5.4.42", 0, 0, "given name" },
	{ "sn", "urn:oid:2.5.4.4", 0, 0, "surname" },
	{ "cn", "urn:oid:2.5.4.3", 0, 0, "common name" },
	{ "uid", "urn:oid:0.9.2342.19200300.100.1.1", 0, 1, "local user identifier" },
	{ "o", "urn:oid:2.5.4.10", 0, 0, "organisation name" },
	{ "ou", "urn:oid:2.5.4.11", 0, 0, "organisational unit" },
	{ "telephoneNumber", "urn:oid:2.5.4.20", 0, 0, "telephone number" },
	{ "title", "urn:oid:2.5.4.12", 0, 0, "title" },
	{ "preferredLanguage", "urn:oid:2.16.840.1.113730.3.1.39", 0, 1, "preferred language" },
	{ "schacHomeOrganization", "urn:oid:1.3.6.1.4.1.25178.1.2.9", 0, 1,
	  "the home organisation's domain" },
	{ "schacHomeOrganizationType", "urn:oid:1.3.6.1.4.1.25178.1.2.10", 0, 0,
	  "type of the home organisation" },
	{ "norEduPersonNIN", "urn:oid:1.3.6.1.4.1.2428.90.1.5", 0, 1,
	  "national identity number (Nordic)" },
	{ "personalIdentityNumber", "urn:oid:1.2.752.29.4.13", 0, 1,
	  "Swedish personal identity number (personnummer), 12 digits" },
	{ "dateOfBirth", "urn:oid:1.3.6.1.5.5.7.9.1", 0, 1, "date of birth YYYY-MM-DD" },
	{ "orgAffiliation", "urn:oid:1.2.752.201.3.1", 1, 0,
	  "affiliation with an organisation, VALUE@organisation number" },
	{ "employeeHsaId", "urn:oid:1.2.752.29.6.2.1", 0, 1, "HSA-id of an employee (health care)" },
	{ "organizationIdentifier", "urn:oid:2.5.4.97", 0, 1, "organisation number" },
	{ "sAMLSubjectID", "urn:oid:1.2.752.201.3.2", 0, 1, "subject identifier (Swedish eID)" },
};

#define ATTR_N (sizeof(attr_table) / sizeof(attr_table[0]))

const struct attr_def *attr_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < ATTR_N; i++)
		if (strcmp(attr_table[i].friendly, name) == 0 || strcmp(attr_table[i].name, name) == 0)
			return &attr_table[i];
	return NULL;
}

const struct attr_def *attr_all(size_t *n)
{
	*n = ATTR_N;
	return attr_table;
}
