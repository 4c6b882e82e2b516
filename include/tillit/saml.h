/*
 * saml.h - SAML protocol messages as they arrive over HTTP: the bindings'
 * encodings (form and query fields, base64, raw DEFLATE) with limits, and
 * an independent check of a Response's structure before lasso sees it.
 *
 * lasso verifies signatures and decrypts; it does not look at where the
 * signatures are, how many assertions there are, or whether IDs repeat.
 * saml_response_check() does, on a safe parse (md_parse: no DTD, no
 * entities, no network, size and depth limits), so that signature
 * wrapping, extra assertions and duplicate IDs are refused outright.
 */
#ifndef TILLIT_SAML_H
#define TILLIT_SAML_H

#include <stddef.h>
#include <time.h>

#include "tillit/err.h"
#include <openssl/evp.h>

#include "tillit/md.h"

#define SAML_NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define SAML_NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define SAML_STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"

#define SAML_FIELD_MAX (256 * 1024)    /* a SAMLRequest/SAMLResponse field, base64 */
#define SAML_INFLATED_MAX (512 * 1024) /* a Redirect message after inflation */
#define SAML_RELAY_STATE_MAX 2048
#define SAML_MAX_VALUES 64             /* values of one attribute kept */
#define SAML_MAX_ATTRS 128             /* attributes of one assertion kept */

/*
 * The value of field name in an application/x-www-form-urlencoded string
 * (a POST body or a raw query string), decoded, as a new string (free()),
 * or NULL if absent.  *bad is SAML_FIELD_MALFORMED when it is present
 * but not valid percent-encoding (or memory ran out), SAML_FIELD_TOO_LONG
 * when it is longer than max bytes (encoded), else 0.
 */
#define SAML_FIELD_MALFORMED 1
#define SAML_FIELD_TOO_LONG 2
char *saml_field(const char *form, size_t len, const char *name, size_t max, int *bad);

/* Inflate raw DEFLATE (the Redirect binding) into a new NUL-terminated buffer of at most max bytes. */
int saml_inflate(const unsigned char *in, size_t len, size_t max, char **out, size_t *outlen,
                 struct tl_err *err);

/*
 * Raw DEFLATE of in[0..len) as the Redirect binding carries it, into a new
 * buffer (*out, *outlen; free()): stored blocks, which any inflater reads
 * (the messages are under a kilobyte; compressing cost more than it saved).
 * Errors: TL_ELIMIT (over SAML_INFLATED_MAX), TL_ENOMEM.
 */
int saml_deflate(const char *in, size_t len, unsigned char **out, size_t *outlen, struct tl_err *err);

/* One attribute of an assertion. */
struct saml_attr {
	char *name;
	char *name_format;
	char *friendly_name;
	char **values;                 /* nvalues, at most SAML_MAX_VALUES */
	int nvalues;
};

/* The facts of an assertion that the hub judges itself. */
struct saml_assertion {
	char *id;
	char *issuer;
	int signed_itself;             /* a ds:Signature child referring to its ID */
	char *name_id;
	char *name_id_format;
	char *sc_method;               /* SubjectConfirmation Method */
	char *sc_recipient;
	char *sc_in_response_to;
	time_t sc_not_on_or_after;     /* 0: absent */
	time_t not_before;             /* Conditions; 0: absent */
	time_t not_on_or_after;
	char *audiences[8];
	int naudiences;
	int other_conditions;          /* Condition elements other than AudienceRestriction/OneTimeUse */
	char *authn_class;             /* AuthnContextClassRef */
	time_t authn_instant;
	char *session_index;
	struct saml_attr *attrs;       /* nattrs, at most SAML_MAX_ATTRS */
	int nattrs;
};

struct saml_response {
	char *id;
	char *destination;
	char *in_response_to;
	char *issuer;
	char *status;                  /* top-level StatusCode Value */
	char *status2;                 /* second-level StatusCode Value, or NULL */
	char *status_message;
	int signed_itself;             /* a ds:Signature child referring to its ID */
	int encrypted;                 /* the assertion is an EncryptedAssertion */
	int nassertions;               /* Assertion and EncryptedAssertion elements anywhere */
	struct saml_assertion a;       /* when nassertions == 1 and not encrypted */
	void *doc;                     /* the parsed document (xmlDocPtr), kept for xsig_verify */
	void *root;                    /* its samlp:Response (xmlNodePtr) */
	void *assertion;               /* the assertion element, or NULL */
};

/*
 * Check and read the Response xml[0..len): well-formed and safe (md_parse
 * with lim), root samlp:Response, at most one assertion (plain or
 * encrypted) anywhere in the document, no two elements with the same ID,
 * every ds:Signature a child of the Response or of its assertion and
 * referring ("#ID") to exactly that element.  Fills r (free with
 * saml_response_free()).  Errors: TL_EPARSE, TL_ELIMIT, TL_ESIG (a
 * signature elsewhere or referring elsewhere, a duplicate ID), TL_ERULE
 * (more than one assertion, not a Response), TL_ENOMEM.  r keeps the
 * parsed document (r->doc, r->root, r->assertion) so that the signatures
 * can be verified on the very tree that was read (xsig.h); "signed_itself"
 * only says a signature is there.
 */
int saml_response_check(const char *xml, size_t len, const struct md_limits *lim,
                        struct saml_response *r, struct tl_err *err);

/*
 * The same checks on a standalone Assertion document (an assertion lasso
 * decrypted, exported again).  Fills a (free with saml_assertion_free()).
 */
int saml_assertion_check(const char *xml, size_t len, const struct md_limits *lim,
                         struct saml_assertion *a, struct tl_err *err);

/* The facts of a service's AuthnRequest that the hub judges itself. */
#define SAML_MAX_CLASSES 8
#define SAML_MAX_IDPS 16
struct saml_request {
	char *id;
	char *version;
	char *issuer;
	char *destination;
	time_t issue_instant;          /* 0: absent or malformed */
	char *acs_url;                 /* AssertionConsumerServiceURL */
	char *protocol_binding;
	int acs_index;                 /* AssertionConsumerServiceIndex, -1 absent */
	int attr_index;                /* AttributeConsumingServiceIndex, -1 absent */
	int force_authn, is_passive;   /* 0 or 1 */
	char *nameid_format;           /* NameIDPolicy Format */
	int allow_create;              /* -1 absent, 0, 1 */
	char *classes[SAML_MAX_CLASSES]; /* RequestedAuthnContext AuthnContextClassRef */
	int nclasses;
	char *comparison;              /* exact (default), minimum, maximum, better */
	char *idps[SAML_MAX_IDPS];     /* Scoping/IDPList/IDPEntry ProviderID */
	int nidps;
	int signed_itself;             /* an enveloped ds:Signature referring to its ID */
};

/*
 * Check and read the AuthnRequest xml[0..len) (the POST binding's decoded
 * form, or the Redirect binding's inflated one) as saml_response_check()
 * does: safe parse, root samlp:AuthnRequest, unique IDs, a signature only
 * on the request itself.  Errors: TL_EPARSE, TL_ELIMIT, TL_ESIG, TL_ERULE
 * (not an AuthnRequest, Version not 2.0, no ID or Issuer, more than
 * SAML_MAX_CLASSES classes or SAML_MAX_IDPS IdPs), TL_ENOMEM.  Free with
 * saml_request_free().
 */
int saml_request_check(const char *xml, size_t len, const struct md_limits *lim,
                       struct saml_request *q, struct tl_err *err);

void saml_request_free(struct saml_request *q);

/*
 * The same checks on an Assertion element already parsed (the one lasso
 * decrypted from an EncryptedAssertion: its original node, xmlNodePtr).
 */
int saml_assertion_check_node(void *node, struct saml_assertion *a, struct tl_err *err);

/*
 * Decode the base64 text in[0..len) (whitespace ignored, as the POST and
 * Redirect bindings allow) into a new NUL-terminated buffer of at most max
 * bytes.  Errors: TL_EPARSE (not base64), TL_ELIMIT, TL_ENOMEM.
 */
int saml_base64_decode(const char *in, size_t len, size_t max, char **out, size_t *outlen,
                       struct tl_err *err);

/*
 * Verify the signature of an HTTP-Redirect message in raw_query (the query
 * string exactly as sent): the octets "FIELD=v&RelayState=v&SigAlg=v"
 * (field: "SAMLRequest" or "SAMLResponse"; values as sent) against
 * Signature, with any of the nkeys keys (the sender's, from its
 * metadata).  Accepted SigAlg: RSA and ECDSA with SHA-256, SHA-384 or
 * SHA-512; RSA-SHA1 is refused (xsig.h).  Errors: TL_ENOENT (the query
 * carries no Signature), TL_ESIG (no or unknown SigAlg, SHA-1, a signature
 * no key verifies).
 */
struct xsig_key;
int saml_redirect_verify(const char *raw_query, const char *field, const struct xsig_key *keys, int nkeys,
                         struct tl_err *err);

void saml_response_free(struct saml_response *r);
void saml_assertion_free(struct saml_assertion *a);

#endif
