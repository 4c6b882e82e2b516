# The federation's own technical baseline: what every identity provider and
# service provider must meet before the operator approves it. Modelled on the
# Kantara SAML V2.0 Deployment Profile for Federation Interoperability
# (SAML2Int v2.0) and on the SWAMID SAML WebSSO Technology Profile, with the
# severities those profiles give: a "must" is an error (it blocks approval),
# a "should" or a recommendation is a warning.
#
# Deliberate departures from SWAMID's validator, so that a well-run
# municipal member is not refused for things SAML2Int does not demand:
# the administrative contact, English and Swedish texts and certificate
# expiry are warnings here (SWAMID: errors); the extra mdui elements beyond
# DisplayName are warnings (SWAMID: errors for IdPs).

[framework]
id          = tillit-baseline
version     = 1.0
title       = Tillit federation technical baseline
source      = SAML2Int v2.0 (https://kantarainitiative.github.io/SAMLprofiles/saml2int.html)
              and the SWAMID SAML WebSSO Technology Profile (https://wiki.sunet.se/display/SWAMID)
description = The minimum every member entity meets to be approved and published: a
              well-formed entityID, a named organisation, reachable contacts, user interface
              texts, usable keys and algorithms, protected endpoints with the bindings the
              profiles require, and identity-provider scopes. Errors block approval;
              warnings are reported to the member and do not.
applies     = any
baseline    = yes

[level baseline]
title       = Approved for publication
description = Every error-severity requirement passes. Nothing is published for this level;
              it decides whether the operator may approve the entity.

# ---- entity ----------------------------------------------------------------

[check BL-ENTITYID-SCHEME]
level       = baseline
text        = The entityID is an absolute URI without white space, using the https, http
              or urn scheme.
test        = entityid-scheme
source      = SAML2Int SDP-G04; SWAMID 5.1.7 / 6.1.7

[check BL-ENTITYID-LENGTH]
level       = baseline
text        = The entityID is at most 256 characters long.
test        = entityid-length max=256
source      = SAML2Int SDP-G04; SWAMID 5.1.8 / 6.1.8

[check BL-SAML2]
level       = baseline
text        = Every role declares support for the SAML 2.0 protocol.
test        = saml2-protocol
source      = SWAMID technology profile (protocolSupportEnumeration); SAML2Int scope

[check BL-ORGANIZATION]
level       = baseline
text        = The organisation responsible for the entity is named, with an organisation
              name, a display name and a URL.
test        = organization
source      = SWAMID 5.1.22 / 6.1.21; eduGAIN profile E4/E5

[check BL-REGINFO]
level       = baseline
text        = An entity taken over from another federation carries exactly one registration
              record naming its registration authority; our own members get ours.
test        = registration-info
source      = eduGAIN metadata profile E2 / E8

[check BL-EA-PLACEMENT]
level       = baseline
text        = Entity attributes (categories, certifications) sit in a single block at the
              entity level, never inside a role.
test        = entity-attributes-placement
source      = SWAMID technology profile (Extensions placement); eduGAIN E9

[check BL-EA-FORMAT]
level       = baseline
text        = Entity attributes should use the URI name format, name each attribute once
              and list each value once, without surrounding white space.
test        = entity-attributes-format
severity    = warning
source      = SWAMID technology profile (EntityAttributes); eduGAIN validator warnings

# ---- languages -------------------------------------------------------------

[check BL-LANG-CODES]
level       = baseline
text        = Every language tag is a two-letter ISO 639-1 code, optionally with subtags.
test        = lang-codes
source      = SWAMID 5.1.1 / 6.1.1

[check BL-LANG-UNIQUE]
level       = baseline
text        = No text element is given twice in the same language.
test        = lang-unique
source      = SWAMID 5.1.2 / 6.1.2

[check BL-LANG-CONSISTENT]
level       = baseline
text        = Every localised element is given in every language the metadata uses.
test        = lang-consistent
source      = SWAMID 5.1.3 / 6.1.3

[check BL-LANG-EN]
level       = baseline
text        = Localised texts should also be given in English, for users and operators in
              other federations.
test        = lang-required en
severity    = warning
source      = SWAMID 5.1.4 / 6.1.4 (an error there; a recommendation here)

[check BL-LANG-SV]
level       = baseline
text        = Localised texts should also be given in Swedish, the language of most users.
test        = lang-required sv
severity    = warning
source      = SWAMID 5.1.5 / 6.1.5

# ---- user interface (mdui) -----------------------------------------------

[check BL-MDUI-DISPLAYNAME]
level       = baseline
applies     = idp sp
text        = The identity or service provider has user-interface information with at least
              a display name that users recognise.
test        = mdui-present DisplayName
source      = SAML2Int SDP-MD09; SWAMID 5.1.17 / 6.1.12

[check BL-MDUI-FULL]
level       = baseline
applies     = idp sp
text        = The user-interface information should also give a description, an information
              page, a privacy statement and a logo.
test        = mdui-present DisplayName Description InformationURL PrivacyStatementURL Logo
severity    = warning
source      = SAML2Int SDP-MD09 / SDP-MD10 (Logo; PrivacyStatementURL for SPs); SWAMID 5.1.17 /
              6.1.12

[check BL-MDUI-LOGO-HTTPS]
level       = baseline
applies     = idp sp
text        = Every logo is an https URL or an embedded data:image URI.
test        = mdui-logo-https
source      = SAML2Int SDP-MD10; SWAMID 5.1.17 / 6.1.13

[check BL-MDUI-DISPLAYNAME-UNIQUE]
level       = baseline
applies     = idp
text        = No two identity providers of the federation show users the same display name
              in the same language.
test        = mdui-displayname-unique
source      = SWAMID 5.1.17

# ---- contacts --------------------------------------------------------------

[check BL-CONTACT-TECHNICAL]
level       = baseline
text        = A technical contact is published.
test        = contact-present technical
source      = SAML2Int SDP-MD11; SWAMID 5.1.26 / 6.1.25

[check BL-CONTACT-ADMINISTRATIVE]
level       = baseline
text        = An administrative contact should be published, reaching whoever decides for the
              organisation about the entity.
test        = contact-present administrative
severity    = warning
source      = SWAMID 5.1.25 / 6.1.24 (an error there; SAML2Int does not require it)

[check BL-CONTACT-SUPPORT-IDP]
level       = baseline
applies     = idp
text        = An identity provider publishes a support contact that its users can turn to.
test        = contact-present support
source      = SWAMID 5.1.27 (MUST for identity providers)

[check BL-CONTACT-SUPPORT-SP]
level       = baseline
applies     = sp
text        = A service provider should publish a support contact for its users.
test        = contact-present support
severity    = warning
source      = SWAMID 6.1.26 (SHOULD for service providers)

[check BL-CONTACT-SECURITY]
level       = baseline
text        = A security contact (REFEDS security contact type) should be published, so that
              incidents can be reported to the entity's responders.
test        = contact-present security
severity    = warning
source      = SWAMID 5.1.28 / 6.1.27 (SHOULD; MUST with Sirtfi, see refeds-sirtfi)

[check BL-CONTACT-SECURITY-FIELDS]
level       = baseline
text        = A published security contact has contact type other, a name and an e-mail
              address.
test        = security-contact-fields
source      = REFEDS Security Contact Metadata Extension; SWAMID 5.1.28 / 6.1.27

[check BL-CONTACT-EMAIL]
level       = baseline
text        = Every contact has an e-mail address.
test        = contact-email
source      = SAML2Int SDP-MD11; SWAMID 5.1.23 / 6.1.22

[check BL-CONTACT-MAILTO]
level       = baseline
text        = Every e-mail address is written as a mailto: URI.
test        = contact-mailto
source      = SWAMID 5.1.23 / 6.1.22; eduGAIN E7

[check BL-CONTACT-ONE-PER-TYPE]
level       = baseline
text        = There is at most one contact of each type.
test        = contact-one-per-type
source      = SWAMID 5.1.24 / 6.1.23

[check BL-CONTACT-NONEMPTY]
level       = baseline
text        = No contact has an empty element (name, e-mail, telephone).
test        = contact-nonempty
source      = eduGAIN E3; SWAMID technology profile (empty contact elements)

# ---- keys and certificates ---------------------------------------------------

[check BL-KEY-SIGNING]
level       = baseline
applies     = idp aa
text        = An identity provider or attribute authority publishes a signing key with a
              readable certificate.
test        = key-signing
source      = SAML2Int SDP-MD08; SWAMID 5.1.20

[check BL-KEY-ENCRYPTION]
level       = baseline
applies     = sp
text        = A service provider publishes an encryption key with a readable certificate, so
              that assertions to it can be encrypted.
test        = key-encryption
source      = SAML2Int SDP-MD08 / SDP-SP15; SWAMID 6.1.14

[check BL-KEY-X509]
level       = baseline
text        = Every key is given as a readable X.509 certificate.
test        = key-x509
source      = SAML2Int SDP-MD05

[check BL-KEY-SIZE]
level       = baseline
text        = Every RSA key has at least 2048 bits and every EC key at least 256 bits.
test        = key-size rsa=2048 ec=256
source      = SAML2Int SDP-MD06 / SDP-MD07; SWAMID 5.2.1 / 6.2.1

[check BL-KEY-SIZE-2030]
level       = baseline
text        = An RSA key below 3072 bits should not have a certificate valid beyond 2030;
              plan a larger key at the next rollover.
test        = key-size-2030
severity    = warning
source      = SWAMID 5.2.1 / 6.2.1 (warning); SAML2Int SDP-MD06 (3072 recommended)

[check BL-CERT-EXPIRED]
level       = baseline
text        = No certificate should have expired. Metadata trusts the key, not the
              certificate, so this is a warning, but an expired certificate must be rolled over.
test        = cert-expired
severity    = warning
source      = SAML2Int SDP-MD05; SWAMID 5.2.2 / 6.2.2

# ---- algorithms ------------------------------------------------------------

[check BL-ALG-OBSOLETE]
level       = baseline
text        = No declared algorithm is obsolete (MD5, RSA PKCS#1 v1.5 key transport, 3DES).
test        = alg-no-obsolete
source      = SWAMID technology profile (obsolete algorithms: error); SAML2Int SDP-ALG01

[check BL-ALG-SHA1]
level       = baseline
text        = No declared digest, signature or encryption algorithm should use SHA-1.
test        = alg-no-sha1
severity    = warning
source      = SWAMID technology profile (SHA-1 family: warning); SAML2Int SDP-ALG01

# ---- endpoints -------------------------------------------------------------

[check BL-ENDPOINT-HTTPS]
level       = baseline
text        = Every endpoint (and response endpoint) is an https URL.
test        = endpoint-https
source      = SAML2Int SDP-IDP03 / SDP-SP09; SWAMID 5.1.21 / 6.1.15

[check BL-ENDPOINT-BINDINGS]
level       = baseline
text        = Every endpoint uses a known SAML binding (no misspelt binding URIs).
test        = endpoint-bindings-known
source      = SWAMID technology profile (binding URIs)

[check BL-ACS-POST]
level       = baseline
applies     = sp
text        = A service provider has an assertion consumer service with the HTTP-POST binding.
test        = acs-post
source      = SAML2Int SDP-SP08

[check BL-ACS-NO-REDIRECT]
level       = baseline
applies     = sp
text        = No assertion consumer service uses the HTTP-Redirect binding, which SAML does
              not allow for responses.
test        = acs-no-redirect
source      = SWAMID 6.1.16

[check BL-IDP-SSO-REDIRECT]
level       = baseline
applies     = idp
text        = An identity provider accepts authentication requests over the HTTP-Redirect
              binding.
test        = idp-sso-redirect
source      = SAML2Int SDP-IDP02 / SDP-IDP33

# ---- identity providers ------------------------------------------------------

[check BL-IDP-ERRORURL]
level       = baseline
applies     = idp
text        = An identity provider publishes an https errorURL, where services can send
              users when a login fails.
test        = idp-error-url
source      = SAML2Int SDP-MD12; SWAMID 5.1.13; InCommon BE2

[check BL-IDP-SCOPE]
level       = baseline
applies     = idp
text        = An identity provider declares the scope(s) of the scoped attributes it asserts.
test        = idp-scope
source      = SAML2Int SDP-IDP14; SWAMID 5.1.15

[check BL-IDP-SCOPE-LITERAL]
level       = baseline
applies     = idp aa
text        = Every scope is literal and says so (regexp="false").
test        = idp-scope-regexp
source      = SAML2Int SDP-IDP14; SWAMID 5.1.16

# ---- service providers -------------------------------------------------------

[check BL-SP-SUBJECT-ID]
level       = baseline
applies     = sp
text        = If a service provider states its subject identifier requirement, it gives
              exactly one value: subject-id, pairwise-id, any or none.
test        = sp-subject-id-req optional=yes
source      = SAML2Int SDP-SP39; SAML V2.0 Subject Identifier Attributes Profile; SWAMID parse rules

[check BL-SP-SUBJECT-ID-STATED]
level       = baseline
applies     = sp
text        = A service provider should state which subject identifier it needs
              (subject-id:req).
test        = sp-subject-id-req
severity    = warning
source      = SAML2Int SDP-SP15 / SDP-SP39

