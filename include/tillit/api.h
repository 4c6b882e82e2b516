/*
 * api.h - the JSON API (/api/v1/...), independent of the HTTP library:
 * http.c hands over a parsed request and sends back the response.
 *
 * Every request needs "Authorization: Bearer TOKEN" (auth.h): 401 without
 * a valid token, 403 when its role does not allow the request.  A member
 * token sees and attests its own organisation's entities only (and their
 * attribute release agreements); an operator token may do everything,
 * including reviews, approval and setting agreements.  Responses are
 * JSON (application/json), errors {"error": {"status", "code", "message"}}
 * with the status from the one table in err.c.
 *
 *   GET  /frameworks                     GET /frameworks/{id}
 *   GET  /entities[?state=S]             GET /entities/{entityID}
 *   GET  /entities/{entityID}/report[?framework=ID&version=N]
 *   POST /entities/{entityID}/approve    {"override_reason": TEXT}       operator
 *   POST /entities/{entityID}/attestations
 *        {"requirement": "FW/REQ", "evidence": BASE64, "evidence_name": NAME, "expires": "YYYY-MM-DD"}
 *   GET  /attestations[?state=S&due=30d&entity=ID]   GET /attestations/{id}
 *   POST /attestations/{id}/approve | /reject {"reason"} | /withdraw       operator
 *   GET  /summary                        operator
 *   GET  /agreements                     GET /agreements/{entityID}
 *   PUT  /agreements/{entityID}  {"attributes": [NAME...], "purpose": TEXT}   operator
 *   DELETE /agreements/{entityID}                                          operator
 *
 * {entityID} is percent-encoded in one path segment, as in MDQ.
 */
#ifndef TILLIT_API_H
#define TILLIT_API_H

#include <stddef.h>

#include "tillit/ctx.h"

#define API_PREFIX "/api/v1"

struct api_request {
	const char *method;
	const char *path;           /* after API_PREFIX, as sent (percent-encoded) */
	size_t path_len;
	const char *query;          /* after '?', as sent, or NULL */
	const char *authorization;  /* the header, or NULL */
	const char *body;           /* may be NULL when body_len is 0 */
	size_t body_len;
};

struct api_response {
	unsigned status;
	char *body;                 /* malloc'd JSON; free() it */
	size_t len;
};

/*
 * Answer rq on behalf of ctx's registry.  Never fails: every problem is an
 * error response.  Thread-safe: each call works on a copy of ctx whose
 * actor is the token's name, so the audit log names who acted.
 */
void api_handle(const struct tl_ctx *ctx, const struct api_request *rq, struct api_response *rs);

/* The largest request body the API accepts (evidence comes base64-encoded). */
unsigned long long api_max_body(const struct tl_ctx *ctx);

#endif
