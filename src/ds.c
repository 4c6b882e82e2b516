/*
 * ds.c - the discovery page and the SAML IdP Discovery Protocol.
 *
 * The page is written through a sticky-error writer (struct ds_w): the
 * rendering code is straight-line and the result is checked once.  Text is
 * handled as UTF-8 code points for three things only: searching (folding
 * case and a few accents), sorting (Swedish or English letter order) and
 * replacing what is not valid UTF-8 before it is escaped.
 */
#include "tillit/ds.h"
#include "tillit/saml.h"
#include "tillit/util.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- UTF-8 ---------------------------------------------------------------- */

#define DS_BAD UINT32_MAX /* an invalid or truncated sequence (one byte consumed) */
#define DS_REPLACEMENT 0xFFFDu

/* The code point at *pp, advancing *pp past it; DS_BAD for one bad byte. */
static uint32_t ds_utf8_next(const char **pp)
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t c = p[0], min;
	int n;

	if (c < 0x80) {
		*pp += 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3, c &= 0x07, min = 0x10000;
	} else {
		goto bad;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80) /* also stops at the NUL */
			goto bad;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*pp += n + 1;
	return c;
bad:
	*pp += 1;
	return DS_BAD;
}

/* Characters that must not reach the page: C0 and C1 controls but tab and newlines. */
static int ds_control(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c < 0xA0);
}

/* Encode c at s (4 bytes of room); the number of bytes written. */
static size_t ds_utf8_put(char *s, uint32_t c)
{
	if (c < 0x80) {
		s[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		s[0] = (char)(0xC0 | c >> 6), s[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		s[0] = (char)(0xE0 | c >> 12), s[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		s[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	s[0] = (char)(0xF0 | c >> 18), s[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	s[2] = (char)(0x80 | ((c >> 6) & 0x3F)), s[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* ---- letters: search folding and sort order ------------------------------- */

/*
 * Sort weights: punctuation and spaces (their ASCII value) before digits
 * before letters before everything else (by code point).  Letters are
 * 0..25 for a..z; Swedish puts å ä ö after z.
 */
#define DS_W_DIGIT 0x100u
#define DS_W_LETTER 0x200u
#define DS_W_OTHER 0x300u
enum { DS_L_AA = 26, DS_L_AE = 27, DS_L_OE = 28 };
#define DS_L(ch) ((ch) - 'a')

/* The letters beyond ASCII that the page knows. */
static const struct ds_letter {
	uint32_t cp;    /* the letter */
	uint32_t fold;  /* what searching sees: lower case, é è ü without accent */
	uint8_t sv, en; /* sort position in Swedish and English */
} ds_letters[] = {
	{ 0xC5, 0xE5, DS_L_AA, DS_L('a') }, { 0xE5, 0xE5, DS_L_AA, DS_L('a') }, /* Å å */
	{ 0xC4, 0xE4, DS_L_AE, DS_L('a') }, { 0xE4, 0xE4, DS_L_AE, DS_L('a') }, /* Ä ä */
	{ 0xD6, 0xF6, DS_L_OE, DS_L('o') }, { 0xF6, 0xF6, DS_L_OE, DS_L('o') }, /* Ö ö */
	{ 0xC6, 0xE6, DS_L_AE, DS_L('a') }, { 0xE6, 0xE6, DS_L_AE, DS_L('a') }, /* Æ æ */
	{ 0xD8, 0xF8, DS_L_OE, DS_L('o') }, { 0xF8, 0xF8, DS_L_OE, DS_L('o') }, /* Ø ø */
	{ 0xC9, 'e', DS_L('e'), DS_L('e') }, { 0xE9, 'e', DS_L('e'), DS_L('e') }, /* É é */
	{ 0xC8, 'e', DS_L('e'), DS_L('e') }, { 0xE8, 'e', DS_L('e'), DS_L('e') }, /* È è */
	{ 0xDC, 'u', DS_L('y'), DS_L('u') }, { 0xFC, 'u', DS_L('y'), DS_L('u') }, /* Ü ü */
};

static const struct ds_letter *ds_letter(uint32_t c)
{
	for (size_t i = 0; i < sizeof(ds_letters) / sizeof(ds_letters[0]); i++)
		if (ds_letters[i].cp == c)
			return &ds_letters[i];
	return NULL;
}

static uint32_t ds_weight(uint32_t c, int en)
{
	const struct ds_letter *l;

	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (c >= 'a' && c <= 'z')
		return DS_W_LETTER + DS_L(c);
	if (c >= '0' && c <= '9')
		return DS_W_DIGIT + (c - '0');
	if (c < 0x80)
		return c;
	l = ds_letter(c);
	if (l != NULL)
		return DS_W_LETTER + (en ? l->en : l->sv);
	return DS_W_OTHER + (c == DS_BAD ? DS_REPLACEMENT : c);
}

/* Append the folded form of at most max bytes of s to b. */
static int ds_fold(struct buf *b, const char *s, size_t max)
{
	const char *start = s;
	char chunk[256];
	size_t n = 0;
	int rc = TL_OK;

	/* a chunk at a time: searching folds every text of every IdP */
	while (*s != '\0' && (size_t)(s - start) < max && rc == TL_OK) {
		uint32_t c = ds_utf8_next(&s);
		const struct ds_letter *l;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (c == DS_BAD)
			c = DS_REPLACEMENT;
		else if (c >= 0x80 && (l = ds_letter(c)) != NULL)
			c = l->fold;
		n += ds_utf8_put(chunk + n, c);
		if (n > sizeof(chunk) - 4) {
			rc = buf_append(b, chunk, n);
			n = 0;
		}
	}
	return rc == TL_OK ? buf_append(b, chunk, n) : rc;
}

/* ---- languages and names --------------------------------------------------- */

static int ds_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/* HTTP's optional white space. */
static int ds_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int ds_blank(char c)
{
	return ds_ows(c) || c == '\r' || c == '\n';
}

/* The text in the page language, else in the other one, else NULL. */
static const char *ds_pick(const char *sv, const char *en, int en_page)
{
	const char *first = en_page ? en : sv, *second = en_page ? sv : en;

	return ds_set(first) ? first : ds_set(second) ? second : NULL;
}

/* The lang attribute s needs when it is not in the page language, or NULL. */
static const char *ds_text_lang(const char *s, const char *sv, const char *en, int en_page)
{
	if (en_page)
		return s == sv && s != en ? "sv" : NULL;
	return s == en && s != sv ? "en" : NULL;
}

const char *ds_name(const struct ds_idp *idp, const char *lang)
{
	const char *name = ds_pick(idp->name_sv, idp->name_en, lang != NULL && strcmp(lang, "en") == 0);

	return name != NULL ? name : idp->entity_id;
}

/* An RFC 9110 qvalue in [p, end) as thousandths, or -1 if malformed. */
static int ds_qvalue(const char *p, const char *end)
{
	int q, scale = 100;

	if (p == end || (*p != '0' && *p != '1'))
		return -1;
	q = (*p++ - '0') * 1000;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			q += (*p - '0') * scale;
	while (p < end && ds_ows(*p))
		p++;
	return q <= 1000 && (p == end || *p == ';') ? q : -1;
}

/* One language range [p, end): its tag, and its q-value, or -1 if that is malformed. */
static int ds_range(const char *p, const char *end, const char **tag, size_t *taglen)
{
	int q = 1000;

	while (p < end && ds_ows(*p))
		p++;
	*tag = p;
	while (p < end && *p != ';' && !ds_ows(*p))
		p++;
	*taglen = (size_t)(p - *tag);
	while (p < end && q >= 0) {
		if (*p++ != ';')
			continue;
		while (p < end && ds_ows(*p))
			p++;
		if (end - p >= 2 && (*p == 'q' || *p == 'Q') && p[1] == '=')
			q = ds_qvalue(p + 2, end);
	}
	return q;
}

const char *ds_lang(const char *al)
{
	/* per language: the best q-value and the position of the range that gave it */
	int q_sv = -1, q_en = -1, q_any = -1, pos_sv = 0, pos_en = 0, pos_any = 0;
	const char *p, *end, *rend;
	int pos = 0;

	if (al == NULL)
		return "sv";
	end = al + strnlen(al, DS_ACCEPT_LANGUAGE_MAX);
	for (p = al; p < end; p = rend + 1, pos++) {
		const char *tag, *dash;
		size_t taglen, prim;
		int q, *best = NULL, *bestpos = NULL;

		rend = memchr(p, ',', (size_t)(end - p));
		if (rend == NULL)
			rend = end;
		q = ds_range(p, rend, &tag, &taglen);
		dash = memchr(tag, '-', taglen);
		prim = dash != NULL ? (size_t)(dash - tag) : taglen;
		if (prim == 2 && strncasecmp(tag, "sv", 2) == 0)
			best = &q_sv, bestpos = &pos_sv;
		else if (prim == 2 && strncasecmp(tag, "en", 2) == 0)
			best = &q_en, bestpos = &pos_en;
		else if (taglen == 1 && *tag == '*')
			best = &q_any, bestpos = &pos_any;
		if (best != NULL && q > *best)
			*best = q, *bestpos = pos;
	}
	/* "*" stands for a language the header does not name */
	if (q_sv < 0)
		q_sv = q_any, pos_sv = pos_any;
	if (q_en < 0)
		q_en = q_any, pos_en = pos_any;
	if (q_en > 0 && (q_en > q_sv || (q_en == q_sv && pos_en < pos_sv)))
		return "en";
	return "sv";
}

/* ---- the page's words -------------------------------------------------------- */

static const struct ds_words {
	const char *lang;
	const char *title;        /* <title>, before " – SERVICE" */
	const char *login;        /* <h1> without a service */
	const char *login_to;     /* <h1> before the service's name */
	const char *intro;
	const char *search_label;
	const char *search_button;
	const char *last_used;
	const char *all;
	const char *match_one, *match_many; /* "N match(es) for" */
	const char *no_match;     /* before the query */
	const char *show_all;
	const char *none;
	const char *cut[3];       /* "Showing the first" N "of" M "..." */
	const char *lang_nav;
	const char *other_lang, *other_name;
	const char *lq, *rq;      /* quotation marks */
} ds_words[] = {
	{
		.lang = "sv",
		.title = "Välj organisation",
		.login = "Logga in",
		.login_to = "Logga in på ",
		.intro = "Välj den organisation du tillhör för att logga in.",
		.search_label = "Sök organisation",
		.search_button = "Sök",
		.last_used = "Senast använd",
		.all = "Alla organisationer",
		.match_one = " träff för ",
		.match_many = " träffar för ",
		.no_match = "Ingen organisation matchar ",
		.show_all = "Visa alla organisationer",
		.none = "Inga organisationer är tillgängliga just nu.",
		.cut = { "Visar de första ", " av ", " organisationerna. Sök för att hitta fler." },
		.lang_nav = "Språk",
		.other_lang = "en",
		.other_name = "English",
		.lq = "”",
		.rq = "”",
	},
	{
		.lang = "en",
		.title = "Choose your organisation",
		.login = "Log in",
		.login_to = "Log in to ",
		.intro = "Choose the organisation you belong to in order to log in.",
		.search_label = "Search for your organisation",
		.search_button = "Search",
		.last_used = "Last used",
		.all = "All organisations",
		.match_one = " match for ",
		.match_many = " matches for ",
		.no_match = "No organisation matches ",
		.show_all = "Show all organisations",
		.none = "No organisations are available right now.",
		.cut = { "Showing the first ", " of ", " organisations. Search to find more." },
		.lang_nav = "Language",
		.other_lang = "sv",
		.other_name = "Svenska",
		.lq = "“",
		.rq = "”",
	},
};

/*
 * The one <style> element; its SHA-256 is in ds_csp().  Contrast is at
 * least 4.5:1 for text and 3:1 for borders and the focus ring; nothing is
 * wider than 320 CSS pixels.  No '<' or '&' (the page is also XML).
 */
static const char ds_style[] =
	"\n*{box-sizing:border-box}\n"
	"body{margin:0;font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;"
	"color:#1b1b1b;background:#fff}\n"
	"header{display:flex;justify-content:flex-end;padding:.5rem 1rem}\n"
	"main{max-width:40rem;margin:0 auto;padding:.5rem 1rem 2rem}\n"
	"h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0}\n"
	"h2{font-size:1.125rem;margin:1.5rem 0 .5rem}\n"
	"a{color:#0b4fa8}\n"
	".s{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}\n"
	".s label{flex:1 0 100%;font-weight:600}\n"
	".s input[type=search]{flex:1 1 10rem;min-width:0;font:inherit;padding:.5rem;color:inherit;"
	"background:#fff;border:2px solid #5f5f5f;border-radius:4px}\n"
	"button{font:inherit;color:inherit;cursor:pointer}\n"
	".s button{padding:.5rem 1rem;color:#fff;background:#0b4fa8;border:2px solid #0b4fa8;"
	"border-radius:4px}\n"
	"ul{list-style:none;margin:0;padding:0}\n"
	"li{margin:0 0 .5rem}\n"
	".i{display:flex;align-items:center;gap:.75rem;width:100%;min-height:3.5rem;"
	"padding:.5rem .75rem;text-align:start;background:#fff;border:1px solid #6b6b6b;"
	"border-radius:6px}\n"
	".i:hover{background:#eef3fb;border-color:#0b4fa8}\n"
	".i img,.nl{flex:none;width:40px;height:40px;object-fit:contain}\n"
	".t{min-width:0;overflow-wrap:anywhere}\n"
	".n{display:block;font-weight:600}\n"
	".d{display:block;font-size:.875rem;color:#4d4d4d}\n"
	":focus-visible{outline:3px solid #0b4fa8;outline-offset:2px}\n"
	"@media (forced-colors:active){.i{border-color:ButtonText}}\n";

/* Written once by pthread_once, read-only afterwards. */
static char ds_csp_value[320];
static pthread_once_t ds_csp_once = PTHREAD_ONCE_INIT;

static void ds_csp_init(void)
{
	unsigned char h[UTIL_SHA256_LEN], b64[4 * ((UTIL_SHA256_LEN + 2) / 3) + 1];

	util_sha256(ds_style, sizeof(ds_style) - 1, h);
	EVP_EncodeBlock(b64, h, (int)sizeof(h));
	snprintf(ds_csp_value, sizeof(ds_csp_value),
	         "default-src 'none'; style-src 'sha256-%s'; img-src https: data:; "
	         "form-action 'self' https:; base-uri 'none'; frame-ancestors 'none'",
	         (const char *)b64);
}

const char *ds_csp(void)
{
	pthread_once(&ds_csp_once, ds_csp_init);
	return ds_csp_value;
}

/* ---- the writer ------------------------------------------------------------------ */

struct ds_w {
	struct buf *b;
	int rc; /* the first error; nothing is written after it */
};

static void ds_put(struct ds_w *w, const char *s)
{
	if (w->rc == TL_OK)
		w->rc = buf_puts(w->b, s);
}

static void ds_size(struct ds_w *w, size_t n)
{
	if (w->rc == TL_OK)
		w->rc = buf_printf(w->b, "%zu", n);
}

/* s escaped; what is not valid UTF-8, and control characters, as U+FFFD. */
static void ds_text(struct ds_w *w, const char *s)
{
	const char *p = s;
	struct buf clean;
	int ok = 1;

	if (w->rc != TL_OK)
		return;
	while (*p != '\0' && ok) {
		uint32_t c = ds_utf8_next(&p);
		ok = c != DS_BAD && !ds_control(c);
	}
	if (ok) {
		w->rc = buf_xml_escape(w->b, s);
		return;
	}
	buf_init(&clean, 3 * strlen(s) + 1);
	for (p = s; *p != '\0' && w->rc == TL_OK;) {
		uint32_t c = ds_utf8_next(&p);
		char enc[4];
		w->rc = buf_append(&clean, enc,
		                   ds_utf8_put(enc, c == DS_BAD || ds_control(c) ? DS_REPLACEMENT : c));
	}
	if (w->rc == TL_OK)
		w->rc = buf_xml_escape(w->b, clean.data);
	buf_free(&clean);
}

/* ' name="value"' */
static void ds_attr(struct ds_w *w, const char *name, const char *value)
{
	ds_put(w, " ");
	ds_put(w, name);
	ds_put(w, "=\"");
	ds_text(w, value);
	ds_put(w, "\"");
}

/* ---- URLs -------------------------------------------------------------------------- */

/* Append "?name=value" or "&name=value", percent-encoded, to the URL in u. */
static int ds_url_param(struct buf *u, const char *name, const char *value)
{
	char *n = util_url_encode(name), *v = util_url_encode(value);
	const char *sep = "?";
	int rc;

	if (u->len > 0 && memchr(u->data, '?', u->len) != NULL)
		sep = u->data[u->len - 1] == '?' || u->data[u->len - 1] == '&' ? "" : "&";
	rc = n != NULL && v != NULL ? buf_printf(u, "%s%s=%s", sep, n, v) : TL_ENOMEM;
	free(n);
	free(v);
	return rc;
}

/* page->action with the hidden fields: the page without a search. */
static int ds_clear_url(const struct ds_page *page, struct buf *u)
{
	int rc = buf_puts(u, page->action);

	for (size_t i = 0; i < page->nhidden && rc == TL_OK; i++)
		rc = ds_url_param(u, page->hidden[i].name,
		                  page->hidden[i].value != NULL ? page->hidden[i].value : "");
	return rc;
}

/* A logo worth showing, within what is left of the page's budget. */
static int ds_logo_ok(const char *u, size_t *budget)
{
	static const char *const types[] = { "png", "jpeg", "gif", "svg+xml" };
	size_t len;
	int ok = 0;

	if (!ds_set(u))
		return 0;
	len = strnlen(u, DS_LOGO_MAX + 1);
	if (len > DS_LOGO_MAX || len > *budget)
		return 0;
	for (const char *p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7F)
			return 0;
	if (strncasecmp(u, "https://", 8) == 0) {
		ok = u[8] != '\0' && u[8] != '/';
	} else if (strncasecmp(u, "data:image/", 11) == 0) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && !ok; i++) {
			size_t tl = strlen(types[i]);
			ok = strncasecmp(u + 11, types[i], tl) == 0 && (u[11 + tl] == ';' || u[11 + tl] == ',');
		}
	}
	if (ok)
		*budget -= len;
	return ok;
}

/* ---- rendering ----------------------------------------------------------------------- */

/* One IdP offered, with its name in the page language and that name's sort key. */
struct ds_ent {
	const struct ds_idp *idp;
	const char *name;
	const unsigned char *key; /* a weight per character, 3 bytes big-endian: memcmp order */
	size_t keylen;
	int en;                   /* the page is in English */
};

/* Write the sort key of s into k (3 bytes a character: at most 3 * strlen(s)); its length. */
static size_t ds_key(unsigned char *k, const char *s, int en)
{
	unsigned char *start = k;

	while (*s != '\0') {
		uint32_t w = ds_weight(ds_utf8_next(&s), en);
		*k++ = (unsigned char)(w >> 16);
		*k++ = (unsigned char)(w >> 8);
		*k++ = (unsigned char)w;
	}
	return (size_t)(k - start);
}

/* Sort keys for ents[0..m) in one allocation (free() it); NULL if out of memory. */
static unsigned char *ds_keys(struct ds_ent *ents, size_t m)
{
	unsigned char *keys, *k;
	size_t total = 1;

	for (size_t i = 0; i < m; i++)
		total += 3 * strlen(ents[i].name);
	keys = k = malloc(total);
	for (size_t i = 0; i < m && keys != NULL; i++) {
		ents[i].key = k;
		ents[i].keylen = ds_key(k, ents[i].name, ents[i].en);
		k += ents[i].keylen;
	}
	return keys;
}

static int ds_ent_cmp(const void *a, const void *b)
{
	const struct ds_ent *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen : y->keylen);

	if (c == 0 && x->keylen != y->keylen)
		c = x->keylen < y->keylen ? -1 : 1;
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c != 0 ? c : strcmp(x->idp->entity_id, y->idp->entity_id);
}

/* Does the folded query fq occur in a text of idp?  scratch is reused. */
static int ds_match(const struct ds_idp *idp, const char *fq, struct buf *scratch, int *hit)
{
	const char *texts[] = { idp->name_sv, idp->name_en, idp->desc_sv, idp->desc_en, idp->entity_id };
	int rc = TL_OK;

	*hit = 0;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]) && !*hit && rc == TL_OK; i++) {
		if (!ds_set(texts[i]))
			continue;
		buf_reset(scratch);
		rc = ds_fold(scratch, texts[i], DS_TEXT_MAX);
		*hit = rc == TL_OK && strstr(scratch->data, fq) != NULL;
	}
	return rc;
}

static void ds_hidden(struct ds_w *w, const struct ds_page *page)
{
	for (size_t i = 0; i < page->nhidden; i++) {
		const struct ds_hidden *h = &page->hidden[i];
		ds_put(w, "<input type=\"hidden\"");
		ds_attr(w, "name", h->name);
		ds_attr(w, "value", h->value != NULL ? h->value : "");
		ds_put(w, "/>\n");
	}
}

/* A text of an IdP in a span, marked with its language when that is not the page's. */
static void ds_span(struct ds_w *w, const char *cls, const char *s, const char *sv,
                    const char *en, int en_page)
{
	const char *lang = ds_text_lang(s, sv, en, en_page);

	ds_put(w, "<span class=\"");
	ds_put(w, cls);
	ds_put(w, "\"");
	if (lang != NULL)
		ds_attr(w, "lang", lang);
	ds_put(w, ">");
	ds_text(w, s);
	ds_put(w, "</span>");
}

static void ds_button(struct ds_w *w, const struct ds_ent *e, size_t *budget)
{
	const struct ds_idp *idp = e->idp;
	const char *desc = ds_pick(idp->desc_sv, idp->desc_en, e->en);

	ds_put(w, "<li><button type=\"submit\" class=\"i\" name=\"" DS_PARAM_IDP "\"");
	ds_attr(w, "value", idp->entity_id);
	ds_put(w, ">");
	if (ds_logo_ok(idp->logo, budget)) {
		ds_put(w, "<img");
		ds_attr(w, "src", idp->logo);
		ds_put(w, " alt=\"\" width=\"40\" height=\"40\" loading=\"lazy\"/>");
	} else {
		ds_put(w, "<span class=\"nl\"></span>");
	}
	ds_put(w, "<span class=\"t\">");
	ds_span(w, "n", e->name, idp->name_sv, idp->name_en, e->en);
	if (desc != NULL)
		ds_span(w, "d", desc, idp->desc_sv, idp->desc_en, e->en);
	ds_put(w, "</span></button></li>\n");
}

static void ds_quoted(struct ds_w *w, const struct ds_words *t, const char *q)
{
	ds_put(w, t->lq);
	ds_text(w, q);
	ds_put(w, t->rq);
}

/* The search text as used: spaces trimmed, at most DS_QUERY_MAX bytes, whole characters. */
static void ds_query(const char *in, char out[DS_QUERY_MAX + 1])
{
	size_t n;

	out[0] = '\0';
	if (in == NULL)
		return;
	while (ds_blank(*in))
		in++;
	n = strnlen(in, DS_QUERY_MAX + 1);
	if (n > DS_QUERY_MAX) {
		n = DS_QUERY_MAX;
		while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
			n--;
	}
	while (n > 0 && ds_blank(in[n - 1]))
		n--;
	memcpy(out, in, n);
	out[n] = '\0';
}

static int ds_check_page(const struct ds_page *page, struct tl_err *err)
{
	if (page == NULL || !ds_set(page->action))
		return tl_err_set(err, TL_EINVAL, "discovery page: no action URL");
	if (strpbrk(page->action, "?#") != NULL)
		return tl_err_set(err, TL_EINVAL,
		                  "discovery page: action URL %.200s has a query or fragment "
		                  "(a GET form drops it: use hidden fields)", page->action);
	if (page->lang != NULL && strcmp(page->lang, "sv") != 0 && strcmp(page->lang, "en") != 0)
		return tl_err_set(err, TL_EINVAL, "discovery page: language %.20s is neither sv nor en",
		                  page->lang);
	if (page->nhidden > DS_MAX_HIDDEN)
		return tl_err_set(err, TL_ELIMIT, "discovery page: %zu hidden fields, at most %d",
		                  page->nhidden, DS_MAX_HIDDEN);
	for (size_t i = 0; i < page->nhidden; i++) {
		const char *name = page->hidden[i].name;
		if (!ds_set(name))
			return tl_err_set(err, TL_EINVAL, "discovery page: hidden field %zu has no name", i);
		if (strcmp(name, DS_PARAM_QUERY) == 0 || strcmp(name, DS_PARAM_IDP) == 0)
			return tl_err_set(err, TL_EINVAL,
			                  "discovery page: hidden field %s has a name the page uses", name);
	}
	return TL_OK;
}

/* Everything from <!DOCTYPE> to the end of the search form. */
static void ds_head(struct ds_w *w, const struct ds_page *page, const struct ds_words *t,
                    const char *q)
{
	ds_put(w, "<!DOCTYPE html>\n<html");
	ds_attr(w, "lang", t->lang);
	ds_put(w, ">\n<head>\n<meta charset=\"utf-8\"/>\n"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	          "<meta name=\"referrer\" content=\"no-referrer\"/>\n<title>");
	ds_text(w, t->title);
	if (ds_set(page->sp_name)) {
		ds_put(w, " – ");
		ds_text(w, page->sp_name);
	}
	ds_put(w, "</title>\n<style>");
	ds_put(w, ds_style);
	ds_put(w, "</style>\n</head>\n<body>\n");
	if (ds_set(page->lang_switch_url)) {
		ds_put(w, "<header>\n<nav");
		ds_attr(w, "aria-label", t->lang_nav);
		ds_put(w, "><a");
		ds_attr(w, "href", page->lang_switch_url);
		ds_attr(w, "lang", t->other_lang);
		ds_attr(w, "hreflang", t->other_lang);
		ds_put(w, ">");
		ds_text(w, t->other_name);
		ds_put(w, "</a></nav>\n</header>\n");
	}
	ds_put(w, "<main>\n<h1>");
	if (ds_set(page->sp_name)) {
		ds_text(w, t->login_to);
		ds_text(w, page->sp_name);
	} else {
		ds_text(w, t->login);
	}
	ds_put(w, "</h1>\n<p>");
	ds_text(w, t->intro);
	ds_put(w, "</p>\n<form class=\"s\" role=\"search\" method=\"get\"");
	ds_attr(w, "action", page->action);
	ds_put(w, ">\n");
	ds_hidden(w, page);
	ds_put(w, "<label for=\"ds-q\">");
	ds_text(w, t->search_label);
	ds_put(w, "</label>\n<input type=\"search\" id=\"ds-q\" name=\"" DS_PARAM_QUERY "\"");
	ds_attr(w, "value", q);
	ds_put(w, " maxlength=\"");
	ds_size(w, DS_QUERY_MAX);
	ds_put(w, "\" spellcheck=\"false\"/>\n<button type=\"submit\">");
	ds_text(w, t->search_button);
	ds_put(w, "</button>\n</form>\n");
}

/* A link to the page without the search (clear: its URL). */
static void ds_show_all(struct ds_w *w, const struct ds_words *t, const struct buf *clear)
{
	ds_put(w, "<a");
	ds_attr(w, "href", clear->data);
	ds_put(w, ">");
	ds_text(w, t->show_all);
	ds_put(w, "</a>");
}

/* The form of IdP buttons: ents[0..m) sorted, last the remembered one or NULL. */
static void ds_choices(struct ds_w *w, const struct ds_page *page, const struct ds_words *t,
                       const char *q, const struct ds_ent *ents, size_t m,
                       const struct ds_ent *last, const struct buf *clear)
{
	size_t shown = m < DS_MAX_IDPS ? m : DS_MAX_IDPS, budget = DS_LOGO_BUDGET;

	ds_put(w, "<form method=\"get\"");
	ds_attr(w, "action", page->action);
	ds_put(w, ">\n");
	ds_hidden(w, page);
	if (last != NULL) {
		ds_put(w, "<section aria-labelledby=\"ds-last\">\n<h2 id=\"ds-last\">");
		ds_text(w, t->last_used);
		ds_put(w, "</h2>\n<ul>\n");
		ds_button(w, last, &budget);
		ds_put(w, "</ul>\n</section>\n");
	}
	ds_put(w, "<section aria-labelledby=\"ds-all\">\n<h2 id=\"ds-all\">");
	if (q[0] != '\0') {
		ds_size(w, m);
		ds_text(w, m == 1 ? t->match_one : t->match_many);
		ds_quoted(w, t, q);
		ds_put(w, "</h2>\n<p>");
		ds_show_all(w, t, clear);
		ds_put(w, "</p>\n");
	} else {
		ds_text(w, t->all);
		ds_put(w, "</h2>\n");
	}
	ds_put(w, "<ul>\n");
	for (size_t i = 0; i < shown; i++)
		ds_button(w, &ents[i], &budget);
	ds_put(w, "</ul>\n");
	if (shown < m) {
		ds_put(w, "<p>");
		ds_text(w, t->cut[0]);
		ds_size(w, shown);
		ds_text(w, t->cut[1]);
		ds_size(w, m);
		ds_text(w, t->cut[2]);
		ds_put(w, "</p>\n");
	}
	ds_put(w, "</section>\n</form>\n");
}

int ds_render(const struct ds_page *page, const struct ds_idp *idps, size_t n,
              struct buf *out, struct tl_err *err)
{
	char q[DS_QUERY_MAX + 1];
	struct buf fq, scratch, clear;
	struct ds_ent *ents = NULL;
	unsigned char *keys = NULL;
	const struct ds_ent *last = NULL;
	const struct ds_words *t;
	struct ds_w w = { out, TL_OK };
	size_t m = 0, start = out->len;
	int rc, en;

	/* a folded text is at most three times as long (a bad byte becomes U+FFFD) */
	buf_init(&fq, 3 * DS_QUERY_MAX);
	buf_init(&scratch, 3 * (DS_TEXT_MAX + 4));
	buf_init(&clear, out->max);
	rc = ds_check_page(page, err);
	for (size_t i = 0; i < n && rc == TL_OK; i++)
		if (!ds_set(idps[i].entity_id))
			rc = tl_err_set(err, TL_EINVAL, "discovery page: IdP %zu has no entityID", i);
	if (rc != TL_OK)
		goto out;
	en = page->lang != NULL && strcmp(page->lang, "en") == 0;
	t = &ds_words[en];
	ds_query(page->query, q);

	/* until the page is written, w.rc can only be TL_ENOMEM */
	if (q[0] != '\0')
		w.rc = ds_fold(&fq, q, DS_QUERY_MAX);
	ents = calloc(n > 0 ? n : 1, sizeof(*ents));
	if (ents == NULL)
		w.rc = TL_ENOMEM;
	for (size_t i = 0; i < n && w.rc == TL_OK; i++) {
		int hit = 1;
		if (q[0] != '\0')
			w.rc = ds_match(&idps[i], fq.data, &scratch, &hit);
		if (hit)
			ents[m++] = (struct ds_ent){ &idps[i], ds_name(&idps[i], t->lang), NULL, 0, en };
	}
	if (w.rc == TL_OK && m > 1) {
		keys = ds_keys(ents, m);
		if (keys != NULL)
			qsort(ents, m, sizeof(*ents), ds_ent_cmp);
		else
			w.rc = TL_ENOMEM;
	}
	for (size_t i = 0; i < m && last == NULL && ds_set(page->remembered); i++)
		if (strcmp(ents[i].idp->entity_id, page->remembered) == 0)
			last = &ents[i];
	if (w.rc == TL_OK && q[0] != '\0')
		w.rc = ds_clear_url(page, &clear);

	ds_head(&w, page, t, q);
	if (m == 0) {
		ds_put(&w, "<p id=\"ds-none\">");
		if (q[0] != '\0') {
			ds_text(&w, t->no_match);
			ds_quoted(&w, t, q);
			ds_put(&w, ". ");
			ds_show_all(&w, t, &clear);
		} else {
			ds_text(&w, t->none);
		}
		ds_put(&w, "</p>\n");
	} else {
		ds_choices(&w, page, t, q, ents, m, last, &clear);
	}
	ds_put(&w, "</main>\n</body>\n</html>\n");
	if (w.rc == TL_ELIMIT)
		rc = tl_err_set(err, TL_ELIMIT, "discovery page: larger than %zu bytes", out->max);
	else if (w.rc != TL_OK)
		rc = tl_err_set(err, TL_ENOMEM, "discovery page: out of memory");
out:
	if (rc != TL_OK && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	free(keys);
	free(ents);
	buf_free(&clear);
	buf_free(&scratch);
	buf_free(&fq);
	return rc;
}

/* ---- the SAML IdP Discovery Protocol ---------------------------------------------------- */

/*
 * Parameter name of raw query q[0..len) into *out (NULL when absent),
 * decoded, at most max bytes, without control characters; required
 * parameters must be present and not empty.
 */
static int ds_param(const char *q, size_t len, const char *name, size_t max, int required,
                    char **out, struct tl_err *err)
{
	int bad;
	size_t n;

	*out = saml_field(q, len, name, len, &bad);
	if (bad)
		return tl_err_set(err, TL_EINVAL, "DS request: %s is not percent-encoded correctly", name);
	if (*out == NULL)
		return required ? tl_err_set(err, TL_EINVAL, "DS request: %s is missing", name) : TL_OK;
	n = strlen(*out);
	if (n > max)
		return tl_err_set(err, TL_ELIMIT, "DS request: %s is longer than %zu bytes", name, max);
	if (n == 0)
		return tl_err_set(err, TL_EINVAL, "DS request: %s is empty", name);
	for (const char *p = *out; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7F)
			return tl_err_set(err, TL_EINVAL, "DS request: %s holds a control character", name);
	return TL_OK;
}

int ds_request_parse(const char *raw_query, struct ds_request *out, struct tl_err *err)
{
	const char *q = raw_query != NULL ? raw_query : "";
	char *policy = NULL, *passive = NULL;
	const char *host;
	size_t len = strnlen(q, DS_REQUEST_MAX + 1);
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > DS_REQUEST_MAX)
		return tl_err_set(err, TL_ELIMIT, "DS request: the query is longer than %d bytes",
		                  DS_REQUEST_MAX);
	/* a NUL would cut a value short after decoding, unseen */
	for (const char *p = q; (p = strchr(p, '%')) != NULL; p++)
		if (p[1] == '0' && p[2] == '0')
			return tl_err_set(err, TL_EINVAL, "DS request: the query holds an encoded NUL");
	if ((rc = ds_param(q, len, "entityID", DS_ENTITY_ID_MAX, 1, &out->entity_id, err)) != TL_OK ||
	    (rc = ds_param(q, len, "return", DS_RETURN_MAX, 1, &out->ret, err)) != TL_OK ||
	    (rc = ds_param(q, len, "returnIDParam", DS_RETURN_ID_PARAM_MAX, 0, &out->return_id_param,
	                   err)) != TL_OK ||
	    (rc = ds_param(q, len, "policy", DS_ENTITY_ID_MAX, 0, &policy, err)) != TL_OK ||
	    (rc = ds_param(q, len, "isPassive", 16, 0, &passive, err)) != TL_OK)
		goto out;
	host = strncasecmp(out->ret, "https://", 8) == 0 ? out->ret + 8
	       : strncasecmp(out->ret, "http://", 7) == 0 ? out->ret + 7 : NULL;
	if (host == NULL || *host == '\0' || strchr("/?#:", *host) != NULL || strchr(out->ret, ' ')) {
		rc = tl_err_set(err, TL_EINVAL, "DS request: return %.200s is not an http(s) URL",
		                out->ret);
		goto out;
	}
	if (policy != NULL && strcmp(policy, DS_POLICY_SINGLE) != 0) {
		rc = tl_err_set(err, TL_EINVAL, "DS request: policy %.200s is not supported (only %s)",
		                policy, DS_POLICY_SINGLE);
		goto out;
	}
	if (passive != NULL) {
		if (strcmp(passive, "true") == 0 || strcmp(passive, "1") == 0) {
			out->is_passive = 1;
		} else if (strcmp(passive, "false") != 0 && strcmp(passive, "0") != 0) {
			rc = tl_err_set(err, TL_EINVAL, "DS request: isPassive %s is neither true nor false",
			                passive);
			goto out;
		}
	}
	if (out->return_id_param == NULL &&
	    (out->return_id_param = strdup(DS_RETURN_ID_PARAM_DEFAULT)) == NULL)
		rc = tl_err_set(err, TL_ENOMEM, "DS request: out of memory");
out:
	free(passive);
	free(policy);
	if (rc != TL_OK)
		ds_request_free(out);
	return rc;
}

char *ds_return_url(const struct ds_request *r, const char *idp_entity_id)
{
	const char *frag = strchr(r->ret, '#');
	size_t base = frag != NULL ? (size_t)(frag - r->ret) : strlen(r->ret);
	struct buf u;

	buf_init(&u, strlen(r->ret) + 3 * (strlen(r->return_id_param) +
	              (idp_entity_id != NULL ? strlen(idp_entity_id) : 0)) + 4);
	if (buf_append(&u, r->ret, base) != TL_OK ||
	    (idp_entity_id != NULL && ds_url_param(&u, r->return_id_param, idp_entity_id) != TL_OK) ||
	    (frag != NULL && buf_puts(&u, frag) != TL_OK)) {
		buf_free(&u);
		return NULL;
	}
	return buf_steal(&u, NULL);
}

size_t ds_request_hidden(const struct ds_request *r, struct ds_hidden out[DS_REQUEST_NHIDDEN])
{
	out[0] = (struct ds_hidden){ "entityID", r->entity_id };
	out[1] = (struct ds_hidden){ "return", r->ret };
	out[2] = (struct ds_hidden){ "returnIDParam", r->return_id_param };
	return DS_REQUEST_NHIDDEN;
}

void ds_request_free(struct ds_request *r)
{
	if (r == NULL)
		return;
	free(r->entity_id);
	free(r->ret);
	free(r->return_id_param);
	memset(r, 0, sizeof(*r));
}
