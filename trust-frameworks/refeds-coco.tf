# REFEDS Data Protection Code of Conduct, version 2 (2022): a GDPR-aligned
# code that service providers commit to, so that home organisations may
# release the attributes the service needs. It replaces the GÉANT Data
# Protection Code of Conduct v1 (http://www.geant.net/uri/dataprotection-code-of-conduct/v1),
# which is deprecated and not published by this framework.
#
# The metadata rules follow the CoCo v2 SAML profile as SWAMID's validator
# encodes it (sections 5.1.x and 5.2.x); appendix 1 G makes the service handle
# security incidents under Sirtfi, hence `extends refeds-sirtfi/sirtfi1`.
# The commitments of the code itself are attested: the service owner signs
# them and shows the privacy notice.

[framework]
id          = refeds-coco
version     = 2.0
title       = REFEDS Data Protection Code of Conduct v2
source      = https://refeds.org/category/code-of-conduct/v2
description = Service providers that commit to the Code of Conduct's data protection
              principles and publish a privacy notice; identity providers that release the
              necessary attributes to them.
applies     = idp sp

[level coco]
title       = Code of Conduct v2 service
description = A service provider that has committed to the code, publishes a privacy notice,
              says what it needs, and meets Sirtfi v1 for incident handling.
applies     = sp
extends     = refeds-sirtfi/sirtfi1
publish     = entity-category https://refeds.org/category/code-of-conduct/v2

[level coco-support]
title       = Code of Conduct v2 support
description = An identity provider that releases to Code of Conduct v2 services the requested
              attributes they need.
applies     = idp
publish     = entity-category-support https://refeds.org/category/code-of-conduct/v2

# ---- service providers: metadata ------------------------------------------------

[check CC-511-PRIVACY]
level       = coco
text        = The service publishes the address of its privacy notice
              (mdui:PrivacyStatementURL).
test        = mdui-present PrivacyStatementURL
source      = REFEDS CoCo v2 SAML profile 5.1.1

[check CC-511-HTTPS]
level       = coco
text        = The privacy notice and information page should be https addresses.
test        = mdui-url-https
severity    = warning
source      = REFEDS CoCo v2 SAML profile 5.1.1; federation practice (https)

[check CC-512-DISPLAYNAME]
level       = coco
text        = The service should give a display name.
test        = mdui-present DisplayName
severity    = warning
source      = REFEDS CoCo v2 SAML profile 5.1.2 (recommended)

[check CC-513-DESCRIPTION]
level       = coco
text        = The service should give a description of what it does.
test        = mdui-present Description
severity    = warning
source      = REFEDS CoCo v2 SAML profile 5.1.3 (recommended)

[check CC-513-LENGTH]
level       = coco
text        = A description should be at most 140 characters.
test        = mdui-description-length max=140
severity    = warning
source      = REFEDS CoCo v2 SAML profile 5.1.3

[check CC-514-EN]
level       = coco
text        = Every user-interface element the service gives (the privacy statement address
              included) is also given in English.
test        = lang-required en scope=mdui
source      = REFEDS CoCo v2 SAML profile 5.1.1 / 5.1.4

[check CC-521-SUBJECT-ID]
level       = coco
text        = If the service states a subject identifier requirement, it is subject-id or
              pairwise-id.
test        = sp-subject-id-req subject-id pairwise-id optional=yes
source      = REFEDS CoCo v2 SAML profile 5.2.1

[check CC-522-NEEDS]
level       = coco
text        = The service says what it needs: it requests attributes or states a subject
              identifier requirement.
test        = sp-requested-or-subject-id
source      = REFEDS CoCo v2 SAML profile 5.2.2

[check CC-522-KNOWN]
level       = coco
text        = The attributes requested should be ones the federation knows, so that home
              organisations can judge whether to release them.
test        = sp-requested-attributes-known
severity    = warning
source      = REFEDS CoCo v2 data minimisation; federation attribute profile

# ---- service providers: the code's commitments ----------------------------------

[attest CC-COMMIT]
level       = coco
text        = The service owner has committed in writing to the Code of Conduct v2 for this
              service.
evidence    = the signed commitment to the code, naming the service, its entityID and the
              responsible organisation
validity    = P1Y
source      = REFEDS CoCo v2 (adherence)

[attest CC-PURPOSE]
level       = coco
text        = Attributes received are used only to give users access to the service and for
              the purposes the privacy notice states.
evidence    = the purposes for which the service processes the attributes, as stated in the
              commitment and the privacy notice
validity    = P1Y
source      = REFEDS CoCo v2 purpose limitation

[attest CC-MINIMISATION]
level       = coco
text        = The service requests and keeps only the attributes that are necessary for its
              purpose.
evidence    = the list of requested attributes with why each is necessary
validity    = P1Y
source      = REFEDS CoCo v2 data minimisation

[attest CC-DEVIATION]
level       = coco
text        = Attributes are not used for any other purpose without the user's prior
              consent or another lawful basis.
evidence    = the commitment's clause on other uses and how consent would be asked
validity    = P1Y
source      = REFEDS CoCo v2 deviating purposes

[attest CC-THIRD-PARTIES]
level       = coco
text        = Attributes are not passed on to third parties except as the code allows (for
              example to a processor under a data processing agreement).
evidence    = the list of recipients and processors, with their data processing agreements
validity    = P1Y
source      = REFEDS CoCo v2 transfer to third parties

[attest CC-TRANSFER]
level       = coco
text        = Attributes leave the EU/EEA only under the safeguards that data protection law
              requires.
evidence    = where the service processes the attributes and the transfer mechanism for each
              country outside the EU/EEA (or a statement that none leave it)
validity    = P1Y
source      = REFEDS CoCo v2 transfers outside the EU/EEA

[attest CC-NOTICE]
level       = coco
text        = The privacy notice names the service and its operator, the purposes, the
              attributes, any recipients, the retention period, users' rights and the
              applicable law.
evidence    = the privacy notice at the published address, with its date
validity    = P1Y
source      = REFEDS CoCo v2 information duty (privacy notice)

[attest CC-SECURITY]
level       = coco
text        = The service protects the attributes with appropriate technical and
              organisational security measures.
evidence    = a summary of the security measures protecting the attributes (access control,
              encryption, logging)
validity    = P1Y
source      = REFEDS CoCo v2 security measures

[attest CC-INCIDENT]
level       = coco
text        = A personal data breach concerning the attributes is reported to the home
              organisation and handled as the Sirtfi framework describes.
evidence    = the breach notification routine, naming who tells the home organisation and how
              fast
validity    = P1Y
source      = REFEDS CoCo v2 incident notification; appendix 1 G (Sirtfi)

[attest CC-RETENTION]
level       = coco
text        = Attributes are deleted or anonymised when they are no longer needed, for example
              after a stated period without the user logging in.
evidence    = the retention rule for the attributes and how deletion is done
validity    = P1Y
source      = REFEDS CoCo v2 data retention

[attest CC-LIABILITY]
level       = coco
text        = The service owner accepts the code's liability and governing-law terms towards
              home organisations.
evidence    = the signed commitment's clauses on liability and governing law
validity    = P1Y
source      = REFEDS CoCo v2 liability and jurisdiction

# ---- identity providers ----------------------------------------------------------

[attest CC-IDP-RELEASE]
level       = coco-support
text        = The identity provider releases to Code of Conduct v2 services the requested
              attributes that are necessary for the service, and tells its users which
              attributes are released.
evidence    = the attribute release policy keyed on the category, and where users are
              informed (the identity provider's privacy notice or consent screen)
validity    = P1Y
source      = REFEDS CoCo v2 (home organisation side); entity-category-support semantics (RFC 8409)

[check CC-IDP-PRIVACY]
level       = coco-support
text        = The identity provider should publish its own privacy notice address, where users
              learn about releases.
test        = mdui-present PrivacyStatementURL
severity    = warning
source      = REFEDS CoCo v2 (informing users); SWAMID 5.1.17
