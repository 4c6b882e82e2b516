/*
 * ds.h - the discovery page (/ds), where a person picks the IdP of their
 * organisation, and the SAML IdP Discovery Protocol (sstc-saml-idp-discovery,
 * OASIS 2008) that services use to ask the hub for that choice.
 *
 * Pure functions: no HTTP, no store, no cookies, no logging.  The hub owns
 * routing, decides which IdPs are offered, reads and writes the cookie that
 * remembers the last choice, checks that a DS request's `return` is one of
 * the service's DiscoveryResponse endpoints, and sends ds_csp() as the
 * page's Content-Security-Policy.
 *
 * The page works without JavaScript (it contains none): a search form and a
 * form of IdP buttons, both submitted with GET to page->action.  Searching
 * sends DS_PARAM_QUERY; choosing sends DS_PARAM_IDP with the IdP's
 * entityID.  Both forms repeat the caller's hidden fields, so the state of
 * the login (a nonce, or the DS protocol's parameters, see
 * ds_request_hidden()) travels through every round trip.
 *
 * Text is UTF-8.  Strings that are not valid UTF-8 or that hold control
 * characters are shown with U+FFFD in their place; everything taken from
 * the input is HTML-escaped.
 */
#ifndef TILLIT_DS_H
#define TILLIT_DS_H

#include <stddef.h>

#include "tillit/buf.h"
#include "tillit/err.h"

/* ---- limits ------------------------------------------------------------ */

/* IdPs shown on one page; more matches are cut off with a notice asking to search. */
#define DS_MAX_IDPS 5000
/* Bytes of search text used; a longer query is cut at a character boundary. */
#define DS_QUERY_MAX 200
/* Hidden fields a page carries. */
#define DS_MAX_HIDDEN 16
/* Bytes of one logo URL (data: URLs included); a longer logo is left out. */
#define DS_LOGO_MAX (64 * 1024)
/* Bytes of logo URLs on one page; logos past this are left out (the page stays bounded). */
#define DS_LOGO_BUDGET (2 * 1024 * 1024)
/* Bytes of one display name, description or entityID that searching reads (the rest is not searched). */
#define DS_TEXT_MAX (64 * 1024)
/* Bytes of an Accept-Language header examined; the rest is ignored. */
#define DS_ACCEPT_LANGUAGE_MAX 1024

/* Form fields the page submits (a hidden field must not use these names). */
#define DS_PARAM_QUERY "q"
#define DS_PARAM_IDP "idp"

/* ---- the page ------------------------------------------------------------ */

/* One IdP offered.  Strings are borrowed; NULL or "" means absent. */
struct ds_idp {
	const char *entity_id;          /* required */
	const char *name_sv, *name_en;  /* mdui:DisplayName xml:lang="sv" / "en" */
	const char *desc_sv, *desc_en;  /* mdui:Description */
	const char *logo;               /* mdui:Logo URL: https: or data:image/(png|jpeg|gif|svg+xml) */
};

/* A form field carried through both forms.  value NULL is sent as "". */
struct ds_hidden {
	const char *name, *value;
};

/* What the page shows.  Strings are borrowed; NULL or "" means absent. */
struct ds_page {
	const char *lang;             /* "sv" or "en" (NULL: "sv"), e.g. from ds_lang() */
	const char *action;           /* required: URL both forms submit to with GET; no '?'
	                               * or '#' (a GET form drops the query: use hidden fields) */
	const struct ds_hidden *hidden;
	size_t nhidden;               /* at most DS_MAX_HIDDEN */
	const char *sp_name;          /* display name of the service logged in to */
	const char *query;            /* the search text (DS_PARAM_QUERY as received) */
	const char *remembered;       /* entityID chosen last time (from a cookie) */
	const char *lang_switch_url;  /* the same page in the other language */
};

/*
 * The page language for an Accept-Language header (RFC 9110 12.5.4):
 * "sv" or "en", whichever has the higher q-value ("sv-SE" and "en-GB"
 * count for their language, "*" for one not named, q=0 means not at all;
 * equal q-values go to the one named first).  "sv" when neither is
 * acceptable, the header is NULL, empty or malformed.  A range with a
 * malformed q-value is ignored.  Returns a static string.
 */
const char *ds_lang(const char *accept_language);

/*
 * The display name of idp for lang ("en" or anything else, meaning "sv"):
 * the name in that language, else in the other one, else the entityID.
 * Returns a string borrowed from idp.
 */
const char *ds_name(const struct ds_idp *idp, const char *lang);

/*
 * Render the whole discovery page (HTML5, UTF-8) and append it to out (an
 * initialised buffer whose limit bounds the page; a few MB for thousands of
 * IdPs).  page and idps are only read; nothing is kept after the call.
 *
 * idps[0..n) are the IdPs that may be chosen (the hub has already left out
 * those not approved or hidden from discovery).  With a query, only IdPs
 * whose display name, description (either language) or entityID contains
 * it are listed: case-insensitive for ASCII and å ä ö æ ø é è ü (é and è
 * match e, ü matches u), after trimming spaces around the query.  The list
 * is sorted by display name in the page language (case-insensitive;
 * punctuation, then digits, then letters, then other scripts): Swedish
 * collation puts å ä ö (æ as ä, ø as ö) after z and ü with y, English sorts
 * å ä as a, ö as o, ü as u; é and è are e in both.  Ties go by the bytes of
 * the name, then by entityID.  The search text is cut to DS_QUERY_MAX bytes
 * (at a character boundary) and shown in the search box as used.  At most
 * DS_MAX_IDPS are listed, with a notice that searching finds the rest.  The
 * remembered IdP, when it is among those that match, is shown first in a
 * section of its own ("Senast använd" / "Last used") and again in its place
 * in the list; an unknown one is ignored.  Logos are shown only
 * when they are https: or data:image/(png|jpeg|gif|svg+xml) URLs of at
 * most DS_LOGO_MAX bytes, within DS_LOGO_BUDGET per page; others are
 * silently left out (the name is always text, so the logo is decorative).
 *
 * The page holds no script, no inline style attributes and exactly one
 * <style> element, the one whose hash ds_csp() allows; it is also
 * well-formed XML (polyglot markup), which the tests rely on.
 *
 * Errors (out is then left as it was): TL_EINVAL naming the field (page or
 * action missing, action with '?' or '#', lang other than sv/en, a hidden
 * field without a name or named DS_PARAM_QUERY / DS_PARAM_IDP, an IdP
 * without entityID), TL_ELIMIT (more than DS_MAX_HIDDEN hidden fields,
 * the page larger than out->max), TL_ENOMEM.
 */
int ds_render(const struct ds_page *page, const struct ds_idp *idps, size_t n,
              struct buf *out, struct tl_err *err);

/*
 * The Content-Security-Policy for the page ds_render() produces: nothing
 * but the page's own <style> element (by its SHA-256) and images from
 * https: and data:.  form-action is 'self' https:, not 'self' alone:
 * Chrome and Safari apply form-action to the redirect that follows a
 * submission, and choosing an IdP redirects to that IdP (or to the
 * service's `return` URL), so an IdP or service reached over plain http
 * (a loopback test federation) is blocked there.  Static string, computed
 * once (thread-safe).
 */
const char *ds_csp(void);

/* ---- the SAML IdP Discovery Protocol -------------------------------------- */

#define DS_POLICY_SINGLE "urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol:single"
#define DS_RETURN_ID_PARAM_DEFAULT "entityID"
/* Bytes of a raw DS request query string. */
#define DS_REQUEST_MAX 8192
/* Bytes of the entityID parameter (decoded), the SAML limit on entityIDs. */
#define DS_ENTITY_ID_MAX 1024
/* Bytes of the return parameter (decoded). */
#define DS_RETURN_MAX 4096
/* Bytes of the returnIDParam parameter (decoded). */
#define DS_RETURN_ID_PARAM_MAX 64
/* Hidden fields ds_request_hidden() fills. */
#define DS_REQUEST_NHIDDEN 3

/* A DS request, owned: free with ds_request_free(). */
struct ds_request {
	char *entity_id;        /* the requesting service's entityID */
	char *ret;              /* where to send the answer (the hub checks it against
	                         * the service's DiscoveryResponse endpoints) */
	char *return_id_param;  /* the name of the answer's parameter ("entityID" if absent) */
	int is_passive;         /* 1: no page may be shown */
};

/*
 * Parse a DS request from raw_query, a query string as received (without
 * the '?'; other parameters, such as DS_PARAM_IDP and DS_PARAM_QUERY, are
 * ignored; when a parameter repeats the first one counts).  entityID and
 * return are required (the protocol lets return default to the service's
 * metadata; the hub asks services to send it); return must be an http: or
 * https: URL.  policy, when present, must be DS_POLICY_SINGLE.  isPassive
 * is "true" or "false" ("1" or "0"); absent means false.
 * Fills *out (zeroed first; free with ds_request_free() on success;
 * nothing to free on error).
 * Errors, each naming the parameter: TL_EINVAL (missing or empty,
 * malformed percent-encoding, a control character or an encoded NUL, return
 * not an http(s) URL, another policy, an isPassive other than the four
 * values), TL_ELIMIT (the query longer than DS_REQUEST_MAX, a parameter
 * longer than its limit above), TL_ENOMEM.
 */
int ds_request_parse(const char *raw_query, struct ds_request *out, struct tl_err *err);

/*
 * The URL that answers r: r->ret with return_id_param=IDP appended (with
 * '&' when r->ret has a query already, '?' otherwise, before any
 * '#fragment'), name and value percent-encoded.  idp_entity_id NULL: r->ret
 * unchanged (a passive request where no IdP is known).
 * Returns a new string (free()), or NULL if out of memory.
 */
char *ds_return_url(const struct ds_request *r, const char *idp_entity_id);

/*
 * Fill out[0..DS_REQUEST_NHIDDEN) with r's entityID, return and
 * returnIDParam as hidden fields, so that the page's forms carry the
 * request to the hub again.  The values are borrowed from r.  Returns
 * DS_REQUEST_NHIDDEN.
 */
size_t ds_request_hidden(const struct ds_request *r, struct ds_hidden out[DS_REQUEST_NHIDDEN]);

/* Free what r owns and zero it.  NULL is ok, so is a zeroed request. */
void ds_request_free(struct ds_request *r);

#endif
