# Principles for digital collaboration, as the Stockholm region's
# municipalities and county council adopted them ("Principer för digital
# samverkan i Stockholms län", 2017, architecture principles 4.1-4.7) and as
# E-delegationen's national guide ("Vägledning för digital samverkan")
# explains them. Texts are in English; `source` cites the Swedish sections.
#
# What the principles ask of a federation member, in short:
#   4.1 manage information security with a management system (LIS): policy
#       and guidelines, methods for information classification and risk and
#       vulnerability analysis, an incident process, a named person in charge
#   4.2 work actively with federation and trust: members, services, processes
#       and users are reviewed and approved, current standards are followed,
#       information is classified, services can consume identity assertions
#   4.3 use common concepts and information structures
#   4.5 fetch information at its source, with the primary source made clear
#   4.6 use standards (here: the federation's technical baseline)
#   4.7 ensure the availability of digital services (continuity, recovery)
# The guide adds an information exchange agreement
# (informationsutbytesöverenskommelse) for every exchange between producer
# and consumer (Vägledning 4.1.5, 4.5.2), with service levels.
#
# Levels and the URIs they publish (assurance-certification; the URIs are
# this federation's own, chosen for this framework):
#   grund   https://tillit.se/tf/digital-samverkan/grund
#           the basic level: the LIS, trust review, classification, an
#           agreement per exchange, source and continuity, plus the baseline
#   utokad  https://tillit.se/tf/digital-samverkan/utokad
#           for exchanges of protected information: the LIS and continuity
#           plans are followed up and exercised, agreements carry service
#           levels, incident response follows Sirtfi, and stricter metadata

[framework]
id          = digital-samverkan
version     = 1.0
title       = Principer för digital samverkan (digital collaboration principles)
source      = Principer för digital samverkan i Stockholms län (2017), sections 4.1-4.7;
              E-delegationen, Vägledning för digital samverkan
description = Information security management, federation and trust, common concepts,
              fetching information at its source and availability, as the regional principles
              for digital collaboration require of the organisations that exchange information.
              Levels publish assurance-certification https://tillit.se/tf/digital-samverkan/grund
              (basic) and https://tillit.se/tf/digital-samverkan/utokad (extended).
applies     = idp sp

[level grund]
title       = Grundnivå (basic level)
description = The organisation runs an information security management system, its service is
              reviewed and approved, its information is classified, each exchange has an
              agreement, identity providers are (or name) the source of what they release,
              continuity is planned, and the entity meets the federation's technical baseline.
extends     = tillit-baseline/baseline
publish     = assurance-certification https://tillit.se/tf/digital-samverkan/grund

[level utokad]
title       = Utökad nivå (extended level)
description = The basic level, with the security management and continuity plans followed up
              and exercised every year, service levels in the exchange agreements, Sirtfi v1
              incident response and stricter metadata: for exchanges of protected information.
extends     = grund refeds-sirtfi/sirtfi1
publish     = assurance-certification https://tillit.se/tf/digital-samverkan/utokad

# ---- 4.1 information security management (LIS) ---------------------------------

[attest DS-41-LIS]
level       = grund
text        = The organisation has an information security management system, with an
              information security policy adopted by its management and guidelines and
              steering documents under it.
evidence    = the adopted information security policy (decision and date) and the list of
              guidelines and steering documents in force
validity    = P1Y
source      = Principer för digital samverkan 4.1

[attest DS-41-CLASSIFICATION]
level       = grund
text        = The organisation has a method for classifying information by its need for
              confidentiality, integrity and availability, and uses it.
evidence    = the classification method (document and date) and an example of its use
validity    = P1Y
source      = Principer för digital samverkan 4.1; Vägledning för digital samverkan 5.3.3

[attest DS-41-RISK]
level       = grund
text        = The organisation has a method for risk and vulnerability analysis, and has
              analysed the service that this entity provides or uses.
evidence    = the risk and vulnerability analysis method and the latest analysis covering the
              service (date, main risks, actions)
validity    = P1Y
source      = Principer för digital samverkan 4.1; Vägledning för digital samverkan 6.3

[attest DS-41-INCIDENT]
level       = grund
text        = There is a process for handling and following up information security incidents,
              including incidents that affect the organisations it exchanges information with.
evidence    = the incident handling process (document and date) and how incidents are followed up
validity    = P1Y
source      = Principer för digital samverkan 4.1; Vägledning för digital samverkan 7.1

[attest DS-41-RESPONSIBLE]
level       = grund
text        = At least one named person is responsible for introducing the management system
              and leading the information security work continuously.
evidence    = the appointment (decision naming the person or role) and how to reach them
validity    = P1Y
source      = Principer för digital samverkan 4.1 (konsekvens)

# ---- 4.2 federation and trust -----------------------------------------------------

[attest DS-42-REVIEWED]
level       = grund
text        = The organisation, the service, its processes and its users have been through the
              federation's trust review and been approved; the organisation has signed the
              membership agreement.
evidence    = the signed membership agreement and the federation's record of the trust review
validity    = P1Y
source      = Principer för digital samverkan 4.2 (konsekvens)

[attest DS-42-CLASSIFIED]
level       = grund
text        = The information the entity exchanges (for a service: what it receives and
              handles; for an identity provider: the attributes it releases) has been classified.
evidence    = the classification of that information (confidentiality, integrity and
              availability levels) and its date
validity    = P1Y
source      = Principer för digital samverkan 4.2 (information ska säkerhetsklassas);
              Vägledning för digital samverkan 6.3

[check DS-42-SECURITY-CONTACT]
level       = grund
text        = A security contact is published, so that partners can report incidents that
              concern the entity.
test        = contact-present security
source      = Principer för digital samverkan 4.1 and 4.2 (incident handling between federation
              members); REFEDS security contact extension

[check DS-42-SECURITY-FIELDS]
level       = grund
text        = The security contact has contact type other, a name and an e-mail address.
test        = security-contact-fields
source      = Principer för digital samverkan 4.2; REFEDS security contact extension

[check DS-42-CONSUME]
level       = grund
applies     = sp
text        = The service can consume identity assertions from the federation: it has an
              assertion consumer service with the HTTP-POST binding.
test        = acs-post
source      = Principer för digital samverkan 4.2 (förmåga att konsumera elektroniska
              identitetsintyg)

# ---- information exchange agreements ---------------------------------------------

[attest DS-IUA-SP]
level       = grund
applies     = sp
text        = For this service there is an information exchange agreement that says which
              information it receives, from which sources (identity providers and other
              sources) and for what purpose.
evidence    = the information exchange agreement (informationsutbytesöverenskommelse), or the
              register entry that lists per attribute its source and purpose
validity    = P1Y
source      = Vägledning för digital samverkan 4.1.5 and 4.5.2; Principer för digital samverkan
              3.3 and 4.2

[check DS-IUA-SP-NEEDS]
level       = grund
applies     = sp
text        = The service's metadata says what it receives: it requests attributes or states
              its subject identifier requirement.
test        = sp-requested-or-subject-id
source      = Vägledning för digital samverkan 4.5.2 (what is exchanged); Principer för digital
              samverkan 4.3

[attest DS-IUA-IDP]
level       = grund
applies     = idp
text        = The identity provider's organisation has documented, in its information exchange
              agreements or its attribute release policy, which attributes it releases to which
              services and on what terms.
evidence    = the agreements or the release policy with the services and attributes it covers
validity    = P1Y
source      = Vägledning för digital samverkan 4.1.5 and 4.5.2 (producer to consumer)

# ---- 4.3 common concepts and information structures ------------------------------

[check DS-43-KNOWN]
level       = grund
applies     = sp
text        = Requested attributes should be attributes of the federation's common attribute
              profile.
test        = sp-requested-attributes-known
severity    = warning
source      = Principer för digital samverkan 4.3

[check DS-43-FORMAT]
level       = grund
applies     = sp
text        = Requested attributes should use the URI name format and their usual friendly
              names.
test        = sp-requested-attributes-format
severity    = warning
source      = Principer för digital samverkan 4.3 and 4.6

# ---- 4.5 fetch information at its source ----------------------------------------

[attest DS-45-SOURCE]
level       = grund
applies     = idp
text        = For every attribute it releases, the identity provider is the primary source or
              names the primary source it takes the value from (for example the population
              register, the HR system or the pupil register), and corrections are made there.
evidence    = the list of released attributes with the primary source of each and how changes
              at the source reach the identity provider
validity    = P1Y
source      = Principer för digital samverkan 4.5; Vägledning för digital samverkan 5.3.3

[check DS-45-SCOPE]
level       = grund
applies     = idp
text        = Every scope of the identity provider is its own organisation's domain: it asserts
              scoped values only for the users it is the source for.
test        = idp-scope-domain
source      = Principer för digital samverkan 4.5

# ---- 3.3 information security and privacy ----------------------------------------

[check DS-33-PRIVACY]
level       = grund
applies     = idp sp
text        = The entity publishes the address of its privacy notice, telling users how their
              personal data is handled.
test        = mdui-present PrivacyStatementURL
source      = Principer för digital samverkan 3.3 (dataskydd, GDPR)

# ---- 4.7 availability -----------------------------------------------------------

[attest DS-47-CONTINUITY]
level       = grund
text        = The availability the service must have is set from the needs of the
              collaborating organisations, and there is a continuity plan and a recovery plan
              for the IT systems behind the entity.
evidence    = the availability requirements, the continuity plan and the recovery plan (with
              dates)
validity    = P1Y
source      = Principer för digital samverkan 4.7; Vägledning för digital samverkan 7.4

# ---- extended level ------------------------------------------------------------

[attest DS-U-41-FOLLOWUP]
level       = utokad
text        = The information security management system is followed up every year: a
              management review and an internal audit, with actions recorded.
evidence    = the latest management review and internal audit report (dates, findings,
              actions)
validity    = P1Y
source      = Principer för digital samverkan 4.1; Vägledning för digital samverkan 7.3

[attest DS-U-47-EXERCISED]
level       = utokad
text        = The critical processes that depend on the collaboration are identified, and the
              continuity and recovery plans have been exercised within the last year.
evidence    = the list of critical processes and the report of the latest continuity or
              recovery exercise
validity    = P1Y
source      = Principer för digital samverkan 4.7; Vägledning för digital samverkan 7.4

[attest DS-U-IUA-LEVELS]
level       = utokad
text        = The information exchange agreements set service levels and say how changes to
              the content or use of the exchange are handled.
evidence    = the agreements' service-level and change sections
validity    = P1Y
source      = Vägledning för digital samverkan 4.5.2

[check DS-U-43-KNOWN]
level       = utokad
applies     = sp
text        = Requested attributes are attributes of the federation's common attribute profile.
test        = sp-requested-attributes-known
source      = Principer för digital samverkan 4.3

[check DS-U-SIGNED-REQUESTS]
level       = utokad
applies     = sp
text        = The service signs its authentication requests.
test        = sp-signs-requests
source      = Principer för digital samverkan 4.2 (higher security requirements in a federation)

[check DS-U-ALG-SHA1]
level       = utokad
text        = No declared algorithm uses SHA-1.
test        = alg-no-sha1
source      = Principer för digital samverkan 4.1 and 4.6

[check DS-U-CERT-EXPIRED]
level       = utokad
text        = No certificate in the metadata has expired.
test        = cert-expired
source      = Principer för digital samverkan 4.1 and 4.7
