# eIDAS levels of assurance low, substantial and high (Regulation (EU) No
# 910/2014 Art. 8; the technical specifications and procedures in Commission
# Implementing Regulation (EU) 2015/1502, annex sections 2.1-2.4).
#
# An identity provider may claim an eIDAS level only for an electronic
# identification scheme that its Member State has notified at that level and
# that has been through the peer review, and only where the notifying authority
# lets it assert the level (in Sweden the eIDAS URIs are the national node's).
# None of that shows in metadata: each level's requirements are attestations,
# one per annex area, with the notification as evidence. Each level extends
# the one below, as a scheme notified at high also meets substantial and low.
#
# The few automated checks make sure the metadata does not undercut the level:
# endpoints over TLS and adequate signing keys (the technical controls of annex
# 2.4.6 operationalised by the federation); at high, as for Swedish LoA 4, no
# RSA key under 3072 bits valid beyond 2030.

[framework]
id          = eidas
version     = 1.0
title       = eIDAS levels of assurance
source      = Regulation (EU) No 910/2014 Art. 8 and 9; Commission Implementing Regulation (EU)
              2015/1502 (https://eur-lex.europa.eu/eli/reg_impl/2015/1502/oj)
description = The European levels of assurance for electronic identification means. An identity
              provider reaches a level when the scheme it serves is notified at that level, peer
              reviewed, and meets each area of the implementing regulation's annex at that
              level.
applies     = idp

[level low]
title       = eIDAS level of assurance low
description = The scheme is notified at level low (or higher) and meets the annex criteria for
              low.
publish     = assurance-certification http://eidas.europa.eu/LoA/low

[level substantial]
title       = eIDAS level of assurance substantial
description = The scheme is notified at level substantial (or higher) and meets the annex
              criteria for substantial.
extends     = low
publish     = assurance-certification http://eidas.europa.eu/LoA/substantial

[level high]
title       = eIDAS level of assurance high
description = The scheme is notified at level high and meets the annex criteria for high.
extends     = substantial
publish     = assurance-certification http://eidas.europa.eu/LoA/high

# ---- every level: who may claim eIDAS levels ---------------------------------------

[attest EI-ENTITLED]
level       = low
text        = The notifying Member State's authority has confirmed in writing that this identity
              provider may assert eIDAS levels of assurance for the notified scheme (in Sweden
              only the national eIDAS node asserts them).
evidence    = the authority's written confirmation (for Sweden, DIGG's) naming this entityID,
              the scheme and the levels it may assert
validity    = P1Y
source      = Regulation (EU) No 910/2014 Art. 7 and 9; Sweden Connect Registry for Identifiers
              3.1.1 and Tekniska anslutningsregler 1.2.3 (eIDAS URIs reserved to the eIDAS node)

[attest EI-PEER-REVIEW]
level       = low
text        = The scheme has completed the eIDAS peer review by the other Member States for the
              levels it is notified at.
evidence    = the Cooperation Network's opinion on the scheme's peer review (Implementing
              Decision (EU) 2015/296), with its date and the levels reviewed
validity    = P1Y
source      = Regulation (EU) No 910/2014 Art. 12(6)(c); Commission Implementing Decision (EU)
              2015/296

# ---- level low -------------------------------------------------------------------

[attest EI-L-NOTIFIED]
level       = low
text        = The electronic identification scheme is notified to the Commission at level low or
              higher, and the notification is in force.
evidence    = the notification as published by the Commission in the Official Journal (C
              series), naming the scheme, the notifying Member State and the level low (or
              higher), and the notification form (Implementing Decision (EU) 2015/1984)
validity    = P1Y
source      = Regulation (EU) No 910/2014 Art. 9; Commission Implementing Decision (EU)
              2015/1984

[attest EI-L-ENROLMENT]
level       = low
text        = Application, registration and identity proofing (of natural persons, of legal
              persons where offered, and the binding between them) meet the level-low criteria.
evidence    = the scheme's description of annex sections 2.1.1-2.1.4 from the notification form,
              and the latest audit report under annex 2.4.7 finding them met at level low
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.1 (enrolment: 2.1.1-2.1.4)

[attest EI-L-MEANS]
level       = low
text        = The electronic identification means are designed, issued, delivered, activated,
              suspended, revoked, renewed and replaced as the level-low criteria require.
evidence    = the scheme's description of annex sections 2.2.1-2.2.4 from the notification form,
              and the latest audit report under annex 2.4.7 finding them met at level low
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.2 (electronic identification means
              management: 2.2.1-2.2.4)

[attest EI-L-AUTHN]
level       = low
text        = Person identification data is given out only once the means and its validity have
              been checked, and the mechanism resists attacks as strongly as the level-low
              criteria demand.
evidence    = the scheme's description of annex section 2.3.1 from the notification form, and
              the latest audit report under annex 2.4.7 finding it met at level low
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.3 (authentication: 2.3.1)

[attest EI-L-MANAGEMENT]
level       = low
text        = The provider's management and organisation (general provisions, published notices,
              information security management, record keeping, facilities and staff, technical
              controls, compliance and audit) meet the level-low criteria.
evidence    = the scheme's description of annex sections 2.4.1-2.4.7 from the notification form,
              the information security certification if any, and the latest audit report under
              annex 2.4.7 finding them met at level low
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.4 (management and organisation:
              2.4.1-2.4.7)

[check EI-L-HTTPS]
level       = low
text        = Every endpoint is protected by TLS (https).
test        = endpoint-https
source      = Implementing Regulation (EU) 2015/1502, annex 2.4.6 (technical controls), as the
              federation applies it to metadata

[check EI-L-KEY-SIGNING]
level       = low
text        = The identity provider publishes a signing key with a readable certificate.
test        = key-signing
source      = Implementing Regulation (EU) 2015/1502, annex 2.4.6 (technical controls), as the
              federation applies it to metadata

[check EI-L-KEY-SIZE]
level       = low
text        = Every RSA key has at least 2048 bits and every EC key at least 256 bits.
test        = key-size rsa=2048 ec=256
source      = Implementing Regulation (EU) 2015/1502, annex 2.4.6 (technical controls); SAML2Int
              SDP-MD06 / SDP-MD07

# ---- level substantial -----------------------------------------------------------

[attest EI-S-NOTIFIED]
level       = substantial
text        = The electronic identification scheme is notified to the Commission at level
              substantial or higher, and the notification is in force.
evidence    = the notification as published by the Commission in the Official Journal (C
              series), naming the scheme, the notifying Member State and the level substantial
              (or higher), and the notification form (Implementing Decision (EU) 2015/1984)
validity    = P1Y
source      = Regulation (EU) No 910/2014 Art. 9; Commission Implementing Decision (EU)
              2015/1984

[attest EI-S-ENROLMENT]
level       = substantial
text        = Application, registration and identity proofing (of natural persons, of legal
              persons where offered, and the binding between them) meet the level-substantial
              criteria.
evidence    = the scheme's description of annex sections 2.1.1-2.1.4 from the notification form,
              and the latest audit report under annex 2.4.7 finding them met at level
              substantial
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.1 (enrolment: 2.1.1-2.1.4)

[attest EI-S-MEANS]
level       = substantial
text        = The electronic identification means are designed, issued, delivered, activated,
              suspended, revoked, renewed and replaced as the level-substantial criteria
              require.
evidence    = the scheme's description of annex sections 2.2.1-2.2.4 from the notification form,
              and the latest audit report under annex 2.4.7 finding them met at level
              substantial
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.2 (electronic identification means
              management: 2.2.1-2.2.4)

[attest EI-S-AUTHN]
level       = substantial
text        = Person identification data is given out only once the means and its validity have
              been checked, and the mechanism resists attacks as strongly as the
              level-substantial criteria demand.
evidence    = the scheme's description of annex section 2.3.1 from the notification form, and
              the latest audit report under annex 2.4.7 finding it met at level substantial
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.3 (authentication: 2.3.1)

[attest EI-S-MANAGEMENT]
level       = substantial
text        = The provider's management and organisation (general provisions, published notices,
              information security management, record keeping, facilities and staff, technical
              controls, compliance and audit) meet the level-substantial criteria.
evidence    = the scheme's description of annex sections 2.4.1-2.4.7 from the notification form,
              the information security certification if any, and the latest audit report under
              annex 2.4.7 finding them met at level substantial
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.4 (management and organisation:
              2.4.1-2.4.7)

[check EI-S-ALG-SHA1]
level       = substantial
text        = No declared algorithm uses SHA-1.
test        = alg-no-sha1
source      = Implementing Regulation (EU) 2015/1502, annex 2.4.6 (technical controls); Sweden
              Connect deployment profile 8 (SHA-1 considered broken)

# ---- level high ------------------------------------------------------------------

[attest EI-H-NOTIFIED]
level       = high
text        = The electronic identification scheme is notified to the Commission at level high,
              and the notification is in force.
evidence    = the notification as published by the Commission in the Official Journal (C
              series), naming the scheme, the notifying Member State and the level high, and the
              notification form (Implementing Decision (EU) 2015/1984)
validity    = P1Y
source      = Regulation (EU) No 910/2014 Art. 9; Commission Implementing Decision (EU)
              2015/1984

[attest EI-H-ENROLMENT]
level       = high
text        = Application, registration and identity proofing (of natural persons, of legal
              persons where offered, and the binding between them) meet the level-high criteria.
evidence    = the scheme's description of annex sections 2.1.1-2.1.4 from the notification form,
              and the latest audit report under annex 2.4.7 (an independent external audit)
              finding them met at level high
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.1 (enrolment: 2.1.1-2.1.4)

[attest EI-H-MEANS]
level       = high
text        = The electronic identification means are designed, issued, delivered, activated,
              suspended, revoked, renewed and replaced as the level-high criteria require.
evidence    = the scheme's description of annex sections 2.2.1-2.2.4 from the notification form,
              and the latest audit report under annex 2.4.7 (an independent external audit)
              finding them met at level high
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.2 (electronic identification means
              management: 2.2.1-2.2.4)

[attest EI-H-AUTHN]
level       = high
text        = Person identification data is given out only once the means and its validity have
              been checked, and the mechanism resists attacks as strongly as the level-high
              criteria demand.
evidence    = the scheme's description of annex section 2.3.1 from the notification form, and
              the latest audit report under annex 2.4.7 (an independent external audit) finding
              it met at level high
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.3 (authentication: 2.3.1)

[attest EI-H-MANAGEMENT]
level       = high
text        = The provider's management and organisation (general provisions, published notices,
              information security management, record keeping, facilities and staff, technical
              controls, compliance and audit) meet the level-high criteria.
evidence    = the scheme's description of annex sections 2.4.1-2.4.7 from the notification form,
              the information security certification if any, and the latest audit report under
              annex 2.4.7 (an independent external audit) finding them met at level high
validity    = P1Y
source      = Implementing Regulation (EU) 2015/1502, annex 2.4 (management and organisation:
              2.4.1-2.4.7)

[check EI-H-KEY-2030]
level       = high
text        = No RSA key under 3072 bits has a certificate valid beyond 2030 (the federation's
              rule for the highest level).
test        = key-size-2030
source      = Federation judgement for level high, after Implementing Regulation (EU) 2015/1502,
              annex 2.4.6 and SWAMID 5.2.1 (RSA under 3072 beyond 2030)
