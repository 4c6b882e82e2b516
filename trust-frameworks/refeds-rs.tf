# REFEDS Research and Scholarship entity category, version 1.3 (8 September
# 2016), still the current R&S version on refeds.org/specifications.
#
# Service providers hold the category (entity-category); identity providers
# show that they release the R&S attribute bundle to such services
# (entity-category-support). Both use the same URI, with the http scheme.
#
# The bundle (v1.3): a non-reassigned user identifier (eduPersonPrincipalName,
# with eduPersonTargetedID where ePPN may be reassigned), a person name
# (displayName, or givenName and sn), e-mail (mail); eduPersonScopedAffiliation
# optional. Whether an identity provider really releases it can only be seen
# in a live login, so that is attested.

[framework]
id          = refeds-rs
version     = 1.3
title       = REFEDS Research and Scholarship
source      = https://refeds.org/category/research-and-scholarship
description = Service providers that support research and scholarship collaboration get a
              small attribute bundle from identity providers that support the category,
              without per-service release negotiation.
applies     = idp sp

[level rs]
title       = Research and Scholarship service
description = A service provider that the federation, as registrar, has found to meet the R&S
              definition and metadata requirements.
applies     = sp
publish     = entity-category http://refeds.org/category/research-and-scholarship

[level rs-support]
title       = Research and Scholarship support
description = An identity provider that releases the R&S attribute bundle to every R&S service
              provider.
applies     = idp
publish     = entity-category-support http://refeds.org/category/research-and-scholarship

# ---- service providers: metadata ------------------------------------------------

[check RS-431-POST]
level       = rs
text        = The service has an assertion consumer service with the SAML 2.0 HTTP-POST binding.
test        = acs-post
source      = R&S v1.3 4.3.1

[check RS-433-MDUI]
level       = rs
text        = The service's metadata gives a display name and an information page
              (mdui:DisplayName and mdui:InformationURL).
test        = mdui-present DisplayName InformationURL
source      = R&S v1.3 4.3.3

[check RS-433-EN]
level       = rs
text        = The user-interface texts should also be given in English.
test        = lang-required en scope=mdui
severity    = warning
source      = R&S v1.3 4.3.3 (English version recommended)

[check RS-433-HTTPS]
level       = rs
text        = The information page should be an https address that users can open.
test        = mdui-url-https
severity    = warning
source      = R&S v1.3 4.3.3 (InformationURL); federation practice

[check RS-434-TECHNICAL]
level       = rs
text        = The service's metadata names at least one technical contact.
test        = contact-present technical
source      = R&S v1.3 4.3.4

[check RS-BUNDLE-REQUESTED]
level       = rs
text        = The service should say which attributes it needs, so that identity providers can
              see it asks for no more than the bundle.
test        = sp-requested-attributes min=1
severity    = warning
source      = R&S v1.3 section 4 (data minimisation commitment); federation practice (requested
              attributes make it visible)

# ---- service providers: attested ----------------------------------------------

[attest RS-DEF]
level       = rs
text        = The service is run, at least in part, to support research and scholarship:
              collaboration, interaction or management of such work. It is not a service
              selling access to licensed content.
evidence    = a description of the service, its users and its purpose, as reviewed by the
              federation when registering the category
validity    = P1Y
source      = R&S v1.3 section 1 (definition)

[attest RS-MIN]
level       = rs
text        = The service uses the attributes it receives only for the research and
              scholarship purpose it was approved for, and asks for no more of the bundle than
              it needs.
evidence    = the service owner's written commitment and the list of attributes it uses, with
              why each is needed
validity    = P1Y
source      = R&S v1.3 section 4 (data minimisation commitment)

[attest RS-431-PRODUCTION]
level       = rs
text        = The entity is a production SAML 2.0 deployment, not a test or development
              instance.
evidence    = the production URL of the service and its operational status
validity    = P1Y
source      = R&S v1.3 4.3.1

[attest RS-FIX]
level       = rs
text        = The service owner corrects non-compliance promptly when told and tells the
              federation when the service no longer meets the category, so the tag can be
              removed.
evidence    = the service owner's written commitment and the contact that receives the
              federation's notices
validity    = P1Y
source      = R&S v1.3 registrar duties (review, and removal of the category on non-compliance)

# ---- identity providers ----------------------------------------------------------

[check RS-IDP-SCOPE]
level       = rs-support
text        = The identity provider declares the scope of the scoped identifier it releases
              (eduPersonPrincipalName).
test        = idp-scope
source      = R&S v1.3 attribute bundle (eduPersonPrincipalName is scoped); SAML2Int SDP-IDP14

[attest RS-IDP-RELEASE]
level       = rs-support
text        = The identity provider releases the whole R&S bundle to every R&S service
              provider, for at least some of its users, without an administrator having to act
              for each new service.
evidence    = the attribute release policy that matches the R&S entity category, and a test
              login at an R&S attribute release check showing the bundle
validity    = P1Y
source      = R&S v1.3 section 7 (identity provider support)

[attest RS-IDP-COMPLETE]
level       = rs-support
text        = The identity provider can release every element of the bundle (identifier, name,
              e-mail); one that cannot does not declare support.
evidence    = which sources provide the identifier, name and e-mail for the users concerned,
              and whether ePPN can be reassigned (then eduPersonTargetedID is released too)
validity    = P1Y
source      = R&S v1.3 section 7; R&S v1.3 attribute bundle
