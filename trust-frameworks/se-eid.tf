# Tillitsramverk för Svensk e-legitimation (DIGG's trust framework for Swedish
# e-identification), levels of assurance 2, 3 and 4, as used in the Sweden
# Connect federation.
#
# Only an identity provider whose e-identification issuer AND identity
# provider (intygsfunktion) DIGG has reviewed and approved at a level may
# publish that level's URI (a level-4 approval also covers loa3, a level-3 or
# level-4 approval loa2). The approval is DIGG's decision, outside metadata,
# so each level's core requirements are attestations with the decision as
# evidence; the K-requirement areas DIGG reviews are attested at loa2 and hold
# for whatever level the approval names. Because each level extends the one
# below, an identity provider approved at loa4 publishes loa2, loa3 and loa4.
#
# Automated checks follow the Sweden Connect technical framework (deployment
# profile, technical connection rules). Stricter at loa4: no RSA key under
# 3072 bits may be valid beyond 2030 (an error there, a warning in the
# baseline) - the federation's judgement that keys protecting the highest
# level should follow the NIST/SWAMID transition date; DIGG itself requires
# 2048 bits and recommends 3072, which is checked as a warning at loa2.

[framework]
id          = se-eid
version     = 1.0
title       = Tillitsramverk för Svensk e-legitimation (LoA 2-4)
source      = https://www.digg.se/digitala-tjanster/e-legitimering/ ; Sweden Connect technical
              framework (https://github.com/swedenconnect/technical-framework)
description = DIGG's levels of assurance for Swedish e-identification. An identity provider
              reaches a level when DIGG has approved its issuer and its identity provider at
              that level (or higher) and its metadata meets the Sweden Connect technical rules.
applies     = idp

[level loa2]
title       = Tillitsnivå 2 (LoA 2)
description = DIGG has approved the issuer and the identity provider at level 2 or higher.
publish     = assurance-certification http://id.elegnamnden.se/loa/1.0/loa2

[level loa3]
title       = Tillitsnivå 3 (LoA 3)
description = DIGG has approved the issuer and the identity provider at level 3 or higher.
extends     = loa2
publish     = assurance-certification http://id.elegnamnden.se/loa/1.0/loa3

[level loa4]
title       = Tillitsnivå 4 (LoA 4)
description = DIGG has approved the issuer and the identity provider at level 4.
extends     = loa3
publish     = assurance-certification http://id.elegnamnden.se/loa/1.0/loa4

# ---- loa2: DIGG's decisions ---------------------------------------------------------

[attest SE-L2-ISSUER]
level       = loa2
text        = DIGG has approved the organisation issuing the e-identifications used at this
              identity provider for level 2 or higher, and the approval is in force.
evidence    = DIGG's approval decision for the issuer (diary number, date, approved level)
              and its entry in DIGG's list of approved issuers
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation (granskning av utfärdare); Sweden Connect
              Tekniska anslutningsregler 1.2.1 / 3.3

[attest SE-L2-IDP]
level       = loa2
text        = DIGG has approved this identity provider (its intygsfunktion) for level 2 or
              higher, and the approval is in force.
evidence    = DIGG's approval decision for the identity provider (diary number, date, approved
              level, the entityID it covers)
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation (granskning av legitimeringstjänst);
              Sweden Connect Tekniska anslutningsregler 1.2.1 / 3.3

[attest SE-AGREEMENT]
level       = loa2
text        = The organisation's agreement with DIGG covers this identity provider, and the
              organisation name and number in the metadata are those of the agreement.
evidence    = the signed agreement with DIGG (parties, organisation number, date) and the
              organisation number in the metadata
validity    = P1Y
source      = Sweden Connect Tekniska anslutningsregler 3.1 (organisation and agreement)

# ---- loa2: the areas DIGG reviews (K requirements), at the approved level -------------

[attest SE-K-ARCHITECTURE]
level       = loa2
text        = The technical architecture of the issuance and identity provider services is
              described and was part of DIGG's review at the approved level.
evidence    = the architecture description submitted to DIGG and DIGG's review report
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation (teknisk arkitektur)

[attest SE-K-ORGANISATION]
level       = loa2
text        = The provider is financially stable and organised to run the service over time.
evidence    = the financial information submitted to DIGG (for example the annual report) and
              DIGG's review report
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation (organisation och ekonomisk stabilitet)

[attest SE-K-INFOSEC]
level       = loa2
text        = Information security management and internal control are in place, including
              separation of duties for critical roles.
evidence    = the information security policy, the internal control description and DIGG's
              review report on them
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation K3 (e.g. K3.4 separation of duties)

[attest SE-K-PROOFING]
level       = loa2
text        = Applicants' identities are established with the identity-proofing process DIGG
              approved for the level, including rules for deriving an e-identification from
              another approved one.
evidence    = the identity-proofing procedure and DIGG's review report on it
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation K5 (e.g. K5.12 derivation from another
              approved e-identification)

[attest SE-K-ISSUANCE]
level       = loa2
text        = E-identifications are issued, delivered, activated, renewed and revoked as the
              approved process describes.
evidence    = the issuance and life-cycle procedure (including revocation) and DIGG's review
              report on it
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation K5 (utfärdande)

[attest SE-K-AUTHN]
level       = loa2
text        = Users authenticate with more than one factor, as the level requires.
evidence    = the description of the authentication mechanism submitted to DIGG and its review
              report
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation K6.1 (multi-factor authentication)

# ---- loa2: Sweden Connect operation ------------------------------------------------

[attest SE-SC-TECHREVIEW]
level       = loa2
text        = The identity provider passed DIGG's technical review through the sandbox and QA
              environments before production, and its QA instance offers the production
              functions with test identities only.
evidence    = DIGG's confirmation of the technical review and the QA entityID
validity    = P1Y
source      = Sweden Connect Tekniska anslutningsregler (Sandbox, QA, Production)

[attest SE-SC-VERSIONS]
level       = loa2
text        = New versions of the Swedish eID technical framework are supported within 180
              days of their publication.
evidence    = the framework version the identity provider supports now and the routine for
              adopting new versions
validity    = P1Y
source      = Sweden Connect Tekniska anslutningsregler (180 days for new framework versions)

[attest SE-SC-SCOPES]
level       = loa2
text        = The identity provider is authorised by DIGG for every scope it declares, and
              the list of organisations behind organisation-scoped attributes is kept current.
evidence    = DIGG's record of authorised scopes and the current list of organisation numbers
validity    = P1Y
source      = Sweden Connect deployment profile (shibmd:Scope); Tekniska anslutningsregler 3

# ---- loa2: metadata ----------------------------------------------------------------

[check SE-ORGANIZATION]
level       = loa2
text        = The metadata names the organisation, with its registered name, a display name
              and a URL.
test        = organization
source      = Sweden Connect deployment profile 2 (md:Organization SHALL)

[check SE-MDUI]
level       = loa2
text        = The identity provider has user-interface information with a display name and at
              least one logo.
test        = mdui-present DisplayName Logo
source      = Sweden Connect deployment profile 2 (mdui:UIInfo, DisplayName and Logo SHALL)

[check SE-MDUI-SV]
level       = loa2
text        = The user-interface texts are given in Swedish (the display name must be; the
              library checks every mdui element, so this is a warning).
test        = lang-required sv scope=mdui
severity    = warning
source      = Sweden Connect deployment profile 2 (DisplayName xml:lang="sv" SHALL, Description
              sv SHOULD)

[check SE-KEY-SIGNING]
level       = loa2
text        = The identity provider publishes a signing key as an X.509 certificate.
test        = key-signing
source      = Sweden Connect deployment profile 2 (md:KeyDescriptor, ds:X509Certificate)

[check SE-KEY-SIZE]
level       = loa2
text        = Every RSA key has at least 2048 bits and every EC key at least 256 bits.
test        = key-size rsa=2048 ec=256
source      = Sweden Connect deployment profile 8 (cryptographic algorithms: RSA at least 2048,
              EC at least 256)

[check SE-KEY-SIZE-3072]
level       = loa2
text        = RSA keys should have at least 3072 bits, as the Swedish eID framework
              recommends.
test        = key-size rsa=3072 ec=256
severity    = warning
source      = Sweden Connect deployment profile 8 (RSA 3072 recommended)

[check SE-KEY-CURVE]
level       = loa2
text        = EC keys use the P-256, P-384 or P-521 curve.
test        = key-curve
source      = Sweden Connect deployment profile 8 (EC P-256, P-384, P-521)

[check SE-ALG-OBSOLETE]
level       = loa2
text        = No declared algorithm is prohibited (MD5, RSA PKCS#1 v1.5 key transport, 3DES).
test        = alg-no-obsolete
source      = Sweden Connect deployment profile 2 (declared algorithms must not be prohibited)

[check SE-ALG-SHA1]
level       = loa2
text        = No declared algorithm uses SHA-1, which the Swedish eID framework considers
              broken.
test        = alg-no-sha1
source      = Sweden Connect deployment profile 8 (SHA-1 digests considered broken)

[check SE-ALG-GCM]
level       = loa2
text        = The encryption key should declare AES-GCM.
test        = alg-gcm
severity    = warning
source      = Sweden Connect deployment profile 8 (AES-GCM support SHOULD be declared)

[check SE-ENDPOINT-HTTPS]
level       = loa2
text        = Every endpoint is protected by TLS (https).
test        = endpoint-https
source      = Sweden Connect deployment profile 5.2 (endpoints over TLS)

[check SE-SSO-REDIRECT]
level       = loa2
text        = The identity provider accepts authentication requests over HTTP-Redirect.
test        = idp-sso-redirect
source      = Sweden Connect deployment profile 5.2 (IdP MUST support HTTP-Redirect and HTTP-POST)

[check SE-SSO-POST]
level       = loa2
text        = The identity provider accepts authentication requests over HTTP-POST.
test        = idp-sso-post
source      = Sweden Connect deployment profile 5.2 (IdP MUST support HTTP-Redirect and HTTP-POST)

[check SE-SCOPE-LITERAL]
level       = loa2
text        = Every declared scope is literal (regexp="false").
test        = idp-scope-regexp
source      = Sweden Connect deployment profile (shibmd:Scope in IDPSSODescriptor)

[check SE-SCOPE-DOMAIN]
level       = loa2
text        = Domain scopes should be the identity provider's own domain (organisation-number
              scopes for orgAffiliation are authorised by DIGG instead, see SE-SC-SCOPES).
test        = idp-scope-domain
severity    = warning
source      = Sweden Connect deployment profile (scopes verified by DIGG)

[check SE-SECURITY-CONTACT]
level       = loa2
text        = A security contact should be published, so that relying services and the
              federation can reach the provider's incident handling.
test        = contact-present security
severity    = warning
source      = Tillitsramverk för Svensk e-legitimation (information security, incident
              handling); REFEDS security contact extension

# ---- loa3 ---------------------------------------------------------------------------

[attest SE-L3-ISSUER]
level       = loa3
text        = DIGG has approved the issuer for level 3 or higher, and the approval is in force.
evidence    = DIGG's approval decision for the issuer naming level 3 or 4 (diary number, date)
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation, level 3; Sweden Connect Tekniska
              anslutningsregler 1.2.1 (loa3 needs a level-3 or level-4 approval)

[attest SE-L3-IDP]
level       = loa3
text        = DIGG has approved this identity provider for level 3 or higher, and the approval
              is in force.
evidence    = DIGG's approval decision for the identity provider naming level 3 or 4 and this
              entityID
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation, level 3; Sweden Connect Tekniska
              anslutningsregler 1.2.1

[attest SE-L3-NONCOPYABLE]
level       = loa3
text        = The e-identification cannot be copied: its secret is bound to a protected device
              or component under the user's control.
evidence    = the description of how the authentication secret is protected against copying,
              as reviewed by DIGG
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation K6.2 (levels 3 and 4)

# ---- loa4 ---------------------------------------------------------------------------

[attest SE-L4-ISSUER]
level       = loa4
text        = DIGG has approved the issuer for level 4, and the approval is in force.
evidence    = DIGG's approval decision for the issuer naming level 4 (diary number, date)
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation, level 4; Sweden Connect Tekniska
              anslutningsregler 1.2.1 (loa4 needs a level-4 approval)

[attest SE-L4-IDP]
level       = loa4
text        = DIGG has approved this identity provider for level 4, and the approval is in
              force.
evidence    = DIGG's approval decision for the identity provider naming level 4 and this
              entityID
validity    = P1Y
source      = Tillitsramverk för Svensk e-legitimation, level 4; Sweden Connect Tekniska
              anslutningsregler 1.2.1

[check SE-L4-KEY-2030]
level       = loa4
text        = No RSA key under 3072 bits has a certificate valid beyond 2030 (stricter than
              DIGG's minimum: the federation's rule for the highest level).
test        = key-size-2030
source      = Federation judgement for LoA 4, after the Sweden Connect recommendation of 3072-bit
              RSA and SWAMID 5.2.1 (RSA under 3072 beyond 2030)

[check SE-L4-SECURITY-CONTACT]
level       = loa4
text        = A security contact is published (required at level 4).
test        = contact-present security
source      = Federation judgement for LoA 4; Tillitsramverk för Svensk e-legitimation
              (information security, incident handling)
