# REFEDS Anonymous Access, Pseudonymous Access and Personalized Access entity
# categories, version 2 (Pseudonymous and Personalized v2 of 2023-02-13).
#
# Three sibling categories, none extending another: a service provider holds
# the one that fits what it needs to know about the user; an identity provider
# may support any of them. The bundles (all with NameFormat uri):
#   anonymous     schacHomeOrganization, eduPersonScopedAffiliation
#   pseudonymous  the above, pairwise-id, eduPersonAssurance
#   personalized  schacHomeOrganization, subject-id, displayName, givenName, sn,
#                 mail, eduPersonScopedAffiliation, eduPersonAssurance
# Every bundle but anonymous carries eduPersonAssurance with at least
# https://refeds.org/assurance.
#
# The specifications ask for "a contact" in the metadata without naming its
# type; the library has no "any contact" check, so the technical contact
# (which the baseline requires anyway) stands for it.

[framework]
id          = refeds-access
version     = 2.0
title       = REFEDS Anonymous, Pseudonymous and Personalized Access
source      = https://refeds.org/category/personalized ; https://refeds.org/category/pseudonymous ;
              https://refeds.org/category/anonymous
description = Entity categories that let a service get, without per-service negotiation, the
              attributes that match the access it gives: anonymous (organisation and
              affiliation), pseudonymous (plus a pairwise identifier and assurance) or
              personalized (plus a persistent identifier, name and e-mail).
applies     = idp sp

# ---- levels -----------------------------------------------------------------------

[level anonymous]
title       = Anonymous Access service
description = A service that needs to know only the user's organisation and affiliation.
applies     = sp
publish     = entity-category https://refeds.org/category/anonymous

[level pseudonymous]
title       = Pseudonymous Access service
description = A service that needs a pseudonymous, per-service identifier besides the
              organisation, affiliation and assurance.
applies     = sp
publish     = entity-category https://refeds.org/category/pseudonymous

[level personalized]
title       = Personalized Access service
description = A service that needs to know who the user is: identifier, name and e-mail.
applies     = sp
publish     = entity-category https://refeds.org/category/personalized

[level anonymous-support]
title       = Anonymous Access support
description = An identity provider that releases the anonymous bundle to every Anonymous Access
              service.
applies     = idp
publish     = entity-category-support https://refeds.org/category/anonymous

[level pseudonymous-support]
title       = Pseudonymous Access support
description = An identity provider that releases the pseudonymous bundle to every Pseudonymous
              Access service.
applies     = idp
publish     = entity-category-support https://refeds.org/category/pseudonymous

[level personalized-support]
title       = Personalized Access support
description = An identity provider that releases the personalized bundle to every Personalized
              Access service.
applies     = idp
publish     = entity-category-support https://refeds.org/category/personalized

# ---- Anonymous Access (service providers) --------------------------------------

[check AX-AN-MDUI]
level       = anonymous
text        = The service's metadata gives a display name and an information page.
test        = mdui-present DisplayName InformationURL
source      = Anonymous Access v2 RC1.1

[check AX-AN-EN]
level       = anonymous
text        = The user-interface texts should also be given in English.
test        = lang-required en scope=mdui
severity    = warning
source      = Anonymous Access v2 RC1.1 (English recommended)

[check AX-AN-CONTACT]
level       = anonymous
text        = The metadata names a contact for the service (here: its technical contact).
test        = contact-present technical
source      = Anonymous Access v2 RC1.2

[check AX-AN-ONE]
level       = anonymous
text        = The service should hold only one of the three access categories, the one that
              fits.
test        = access-category-exclusive
severity    = warning
source      = REFEDS access categories guidance (an SP asserts at most one)

[attest AX-AN-FIT]
level       = anonymous
text        = The service gives access on the basis of the user's organisation and affiliation
              alone and needs no identifier or personal data about the user.
evidence    = a description of the service and how it uses organisation and affiliation, as
              reviewed by the federation against the REFEDS guidance
validity    = P1Y
source      = Anonymous Access v2 definition; registrar review

# ---- Pseudonymous Access (service providers) -----------------------------------

[check AX-PS-MDUI]
level       = pseudonymous
text        = The service's metadata gives a display name, an information page and a privacy
              statement.
test        = mdui-present DisplayName InformationURL PrivacyStatementURL
source      = Pseudonymous Access v2 RC3.1

[check AX-PS-EN]
level       = pseudonymous
text        = The user-interface texts should also be given in English.
test        = lang-required en scope=mdui
severity    = warning
source      = Pseudonymous Access v2 RC3.1 (English recommended)

[check AX-PS-CONTACT]
level       = pseudonymous
text        = The metadata names a contact for the service (here: its technical contact).
test        = contact-present technical
source      = Pseudonymous Access v2 RC3.2

[check AX-PS-ONE]
level       = pseudonymous
text        = The service should hold only one of the three access categories, the one that
              fits.
test        = access-category-exclusive
severity    = warning
source      = REFEDS access categories guidance (an SP asserts at most one)

[attest AX-PS-RC1]
level       = pseudonymous
text        = The service has a documented, demonstrated need for the pseudonymous bundle: it
              must recognise a returning user but need not know who the user is.
evidence    = the service's description of why it needs each attribute of the bundle, as
              reviewed by the federation against the REFEDS guidance
validity    = P1Y
source      = Pseudonymous Access v2 RC1

[attest AX-PS-RC2]
level       = pseudonymous
text        = The service uses the attributes only for the purpose it states and keeps no more
              of them, and no longer, than it needs.
evidence    = the service owner's written commitment to data minimisation and purpose
              limitation
validity    = P1Y
source      = Pseudonymous Access v2 RC2

# ---- Personalized Access (service providers) -----------------------------------

[check AX-PE-MDUI]
level       = personalized
text        = The service's metadata gives a display name, an information page and a privacy
              statement.
test        = mdui-present DisplayName InformationURL PrivacyStatementURL
source      = Personalized Access v2 RC3.1

[check AX-PE-EN]
level       = personalized
text        = The user-interface texts should also be given in English.
test        = lang-required en scope=mdui
severity    = warning
source      = Personalized Access v2 RC3.1 (English recommended)

[check AX-PE-CONTACT]
level       = personalized
text        = The metadata names a contact for the service (here: its technical contact).
test        = contact-present technical
source      = Personalized Access v2 RC3.2

[check AX-PE-ONE]
level       = personalized
text        = The service should hold only one of the three access categories, the one that
              fits.
test        = access-category-exclusive
severity    = warning
source      = REFEDS access categories guidance (an SP asserts at most one)

[attest AX-PE-RC1]
level       = personalized
text        = The service has a documented, demonstrated need for the personalized bundle: it
              must know who the user is (identifier, name, e-mail) to provide the service.
evidence    = the service's description of why it needs each attribute of the bundle, as
              reviewed by the federation against the REFEDS guidance
validity    = P1Y
source      = Personalized Access v2 RC1

[attest AX-PE-RC2]
level       = personalized
text        = The service uses the attributes only for the purpose it states and keeps no more
              of them, and no longer, than it needs.
evidence    = the service owner's written commitment to data minimisation and purpose
              limitation
validity    = P1Y
source      = Personalized Access v2 RC2

[attest AX-PE-NOTICE]
level       = personalized
text        = The privacy notice at the published privacy statement address tells users which
              attributes the service receives, why, how long it keeps them and whom to ask.
evidence    = the privacy notice (its URL and date), showing those points
validity    = P1Y
source      = Personalized Access v2 definition (published privacy notice)

# ---- identity providers -----------------------------------------------------------

[check AX-AN-IDP-SCOPE]
level       = anonymous-support
text        = The identity provider declares the scope of the scoped values it releases
              (eduPersonScopedAffiliation).
test        = idp-scope
source      = Anonymous Access v2 bundle (scoped affiliation); SAML2Int SDP-IDP14

[attest AX-AN-IDP-RELEASE]
level       = anonymous-support
text        = The identity provider releases the anonymous bundle (home organisation and scoped
              affiliation) to every Anonymous Access service, for a significant share of its
              users, without an administrator acting for each service.
evidence    = the attribute release policy keyed on the category, and a test login at a
              release check service showing the bundle
validity    = P1Y
source      = Anonymous Access v2, identity provider support

[check AX-PS-IDP-SCOPE]
level       = pseudonymous-support
text        = The identity provider declares the scope of the scoped values it releases
              (pairwise-id, eduPersonScopedAffiliation).
test        = idp-scope
source      = Pseudonymous Access v2 bundle (scoped identifier and affiliation); SAML2Int SDP-IDP14

[attest AX-PS-IDP-RELEASE]
level       = pseudonymous-support
text        = The identity provider releases the pseudonymous bundle (home organisation,
              pairwise-id, scoped affiliation, assurance with at least the REFEDS base value)
              to every Pseudonymous Access service, for a significant share of its users,
              without an administrator acting for each service.
evidence    = the attribute release policy keyed on the category, and a test login at a
              release check service showing the bundle
validity    = P1Y
source      = Pseudonymous Access v2, identity provider support

[check AX-PE-IDP-SCOPE]
level       = personalized-support
text        = The identity provider declares the scope of the scoped values it releases
              (subject-id, eduPersonScopedAffiliation).
test        = idp-scope
source      = Personalized Access v2 bundle (scoped identifier and affiliation); SAML2Int SDP-IDP14

[attest AX-PE-IDP-RELEASE]
level       = personalized-support
text        = The identity provider releases the personalized bundle (home organisation,
              subject-id, display name, given name, surname, e-mail, scoped affiliation,
              assurance with at least the REFEDS base value) to every Personalized Access
              service, for a significant share of its users, without an administrator acting
              for each service.
evidence    = the attribute release policy keyed on the category, and a test login at a
              release check service showing the bundle
validity    = P1Y
source      = Personalized Access v2, identity provider support
