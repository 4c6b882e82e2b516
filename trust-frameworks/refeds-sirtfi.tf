# REFEDS Sirtfi, the Security Incident Response Trust Framework for Federated
# Identity. Version 1 and version 2 are both current; an entity that meets
# v2 meets v1 too and publishes both values, which the extends line gives.
#
# Sirtfi is a self-assessment: the member asserts each item and the operator
# only records the assertion, so the items are attestations, reconfirmed every
# year (SWAMID-style annual reconfirmation). The security contact is the one
# part that metadata shows, and it is checked.
#
# The v2 items below are based on REFEDS's description of v2 ("improved
# communications and notification") and on eduGAIN's security-contact
# baseline; the reference notes that the v2 wording is still to be confirmed
# against the v2 document, so their texts stay close to that description.

[framework]
id          = refeds-sirtfi
version     = 2.0
title       = REFEDS Sirtfi (Security Incident Response Trust Framework)
source      = https://refeds.org/sirtfi
description = Operational security, incident response, traceability and participant
              responsibilities, asserted by the member. Version 1 publishes
              https://refeds.org/sirtfi; version 2 adds stronger communication and notification
              duties and publishes https://refeds.org/sirtfi2 as well.
applies     = idp sp

[level sirtfi1]
title       = Sirtfi version 1
description = The member has assessed itself against every Sirtfi v1 assertion and publishes
              a working security contact.
publish     = assurance-certification https://refeds.org/sirtfi

[level sirtfi2]
title       = Sirtfi version 2
description = Sirtfi v1, plus a security contact that is kept current, answers quickly and
              takes part in communication checks, and prompt notification of incidents that
              may affect others.
extends     = sirtfi1
publish     = assurance-certification https://refeds.org/sirtfi2

# ---- automated: the security contact (IR1) ---------------------------------------

[check SF-IR1-CONTACT]
level       = sirtfi1
text        = A security contact (REFEDS security contact type) is published in the metadata.
test        = contact-present security
source      = Sirtfi v1 IR1; REFEDS Security Contact Metadata Extension

[check SF-IR1-FIELDS]
level       = sirtfi1
text        = The security contact has contact type other, a name (a team name will do) and
              an e-mail address.
test        = security-contact-fields
source      = Sirtfi v1 IR1; REFEDS Security Contact Metadata Extension

[check SF-IR1-TYPED]
level       = sirtfi1
text        = A contact of type other should carry the REFEDS contact type; one without it is
              not taken for the security contact.
test        = security-contact-typed
severity    = warning
source      = eduGAIN validator warnings (Sirtfi without a typed security contact)

# ---- attested: operational security (OS) ---------------------------------------

[attest SF-OS1]
level       = sirtfi1
text        = Security patches for operating systems and applications are applied promptly.
evidence    = the patch management routine (who patches what, how fast for critical fixes) and
              the signed Sirtfi self-assessment
validity    = P1Y
source      = Sirtfi v1 OS1

[attest SF-OS2]
level       = sirtfi1
text        = A process for managing vulnerabilities in the systems behind the entity is in
              place and followed.
evidence    = the vulnerability management process (scanning, assessment, remediation
              deadlines) and a recent record of its use
validity    = P1Y
source      = Sirtfi v1 OS2

[attest SF-OS3]
level       = sirtfi1
text        = Mechanisms that detect intrusions or other imminent threats are deployed and
              monitored.
evidence    = a description of the intrusion detection or monitoring in place and who acts on
              its alerts
validity    = P1Y
source      = Sirtfi v1 OS3

[attest SF-OS4]
level       = sirtfi1
text        = A user's access can be suspended, changed or removed quickly when needed.
evidence    = the routine for blocking or removing an account, with the time it takes and who
              may do it
validity    = P1Y
source      = Sirtfi v1 OS4

[attest SF-OS5]
level       = sirtfi1
text        = The organisation can reach its users and the owners of its services when an
              incident requires it.
evidence    = how users and service owners are contacted (registers, channels) during an
              incident
validity    = P1Y
source      = Sirtfi v1 OS5

[attest SF-OS6]
level       = sirtfi1
text        = There is an incident response capability with the authority to contain and
              remedy incidents affecting the entity.
evidence    = the mandate of the incident response function (team or role, its authority,
              how it is reached outside office hours)
validity    = P1Y
source      = Sirtfi v1 OS6

# ---- attested: incident response (IR) -------------------------------------------

[attest SF-IR1]
level       = sirtfi1
text        = The published security contact is monitored and reaches the people who handle
              security incidents.
evidence    = who reads the security mailbox and how often, and a recent test message with its
              answer
validity    = P1Y
source      = Sirtfi v1 IR1

[attest SF-IR2]
level       = sirtfi1
text        = Requests for help from other Sirtfi participants in handling a security incident
              are answered in good time.
evidence    = the incident response procedure's rule for answering external requests and its
              target response time
validity    = P1Y
source      = Sirtfi v1 IR2

[attest SF-IR3]
level       = sirtfi1
text        = The organisation works together with other affected Sirtfi organisations to
              manage an incident that concerns them.
evidence    = the procedure's section on cooperation with external parties during an incident
validity    = P1Y
source      = Sirtfi v1 IR3

[attest SF-IR4]
level       = sirtfi1
text        = Incidents are handled according to the organisation's own incident response
              procedures.
evidence    = the organisation's incident response procedure (document and date of adoption)
validity    = P1Y
source      = Sirtfi v1 IR4

[attest SF-IR5]
level       = sirtfi1
text        = Incident handling respects users' privacy as the organisation's policy and legal
              advice require.
evidence    = the rules for handling personal data in incident response (policy reference or
              legal advice)
validity    = P1Y
source      = Sirtfi v1 IR5

[attest SF-IR6]
level       = sirtfi1
text        = Information about incidents is shared according to the Traffic Light Protocol.
evidence    = the procedure's rule that incident information is labelled and shared by TLP
validity    = P1Y
source      = Sirtfi v1 IR6

# ---- attested: traceability (TR) ------------------------------------------------

[attest SF-TR1]
level       = sirtfi1
text        = Logs of the entity's systems are kept with accurate time stamps and the
              identifiers needed to trace an incident.
evidence    = the logging set-up (which systems, which identifiers, time synchronisation)
validity    = P1Y
source      = Sirtfi v1 TR1

[attest SF-TR2]
level       = sirtfi1
text        = Those logs are retained for as long as the organisation's incident response
              policy says.
evidence    = the retention period for the logs and the policy that sets it
validity    = P1Y
source      = Sirtfi v1 TR2

# ---- attested: participant responsibilities (PR) -------------------------------

[attest SF-PR1]
level       = sirtfi1
text        = The organisation has an acceptable use policy for its users.
evidence    = the acceptable use policy (its URL or document)
validity    = P1Y
source      = Sirtfi v1 PR1

[attest SF-PR2]
level       = sirtfi1
text        = Users are made aware of the acceptable use policy and accept it, for example
              when their account is created.
evidence    = where and how users accept the policy (registration step, terms of employment
              or enrolment)
validity    = P1Y
source      = Sirtfi v1 PR2

# ---- Sirtfi v2: communication and notification ----------------------------------

[check SF2-DEDICATED-ADDRESS]
level       = sirtfi2
text        = The security contact has its own address, not the support mailbox, so that
              reports reach the responders directly.
test        = security-not-support
severity    = warning
source      = Sirtfi v2 (improved communications); eduGAIN security contact baseline (dedicated
              mailbox)

[attest SF2-CONTACT-CURRENT]
level       = sirtfi2
text        = The security contact is a role mailbox rather than a person, and is kept current:
              it is updated in the metadata as soon as it changes.
evidence    = the mailbox's owner role and the routine that updates the federation when it
              changes
validity    = P1Y
source      = Sirtfi v2 (improved communications, as summarised in trust-frameworks.md 2.1);
              eduGAIN security contact baseline

[attest SF2-RESPONSE-TIME]
level       = sirtfi2
text        = Messages to the security contact are acknowledged promptly, within one business
              day at most (eduGAIN asks for about half a business day).
evidence    = the response time target for the security mailbox and how it is staffed
validity    = P1Y
source      = Sirtfi v2 (improved communications); eduGAIN security contact baseline

[attest SF2-NOTIFY]
level       = sirtfi2
text        = A suspected security incident that may affect other federation participants or
              their users is reported promptly to them and to the federation operator.
evidence    = the procedure's notification step: whom it notifies (federation operator,
              affected participants), through which channel and how fast
validity    = P1Y
source      = Sirtfi v2 (improved notification, as summarised in trust-frameworks.md 2.1)

[attest SF2-COMMS-CHECK]
level       = sirtfi2
text        = The organisation takes part in the communication checks that the federation or
              the eduGAIN security team run against security contacts, and answers them.
evidence    = the answer to the latest communication check, or a commitment to answer them and
              who does
validity    = P1Y
source      = Sirtfi v2 (improved communications); eduGAIN security contact baseline (periodic
              communication checks by eduGAIN CSIRT)

[attest SF2-SELF-ASSESSMENT]
level       = sirtfi2
text        = The self-assessment has been made against the version 2 framework, not only
              version 1.
evidence    = the signed Sirtfi v2 self-assessment, with its date
validity    = P1Y
source      = Sirtfi v2; REFEDS Sirtfi guide for federation participants
