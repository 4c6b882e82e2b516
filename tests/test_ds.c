/*
 * test_ds.c - the discovery page and the SAML IdP Discovery Protocol.
 *
 * Every rendered page is parsed again as XML (the page is polyglot
 * markup), so a mistake in escaping or nesting fails the parse, and the
 * assertions read the page through XPath: what a browser would submit,
 * not what the bytes happen to look like.
 */
#include "tltest.h"

#include "tillit/buf.h"
#include "tillit/ds.h"
#include "tillit/err.h"
#include "tillit/util.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX (64 * 1024 * 1024)

#define AARE "https://idp.xn--re-1ia.se/idp" /* åre.se */
#define ALV "https://idp.alvdalen.se/idp"
#define OREBRO "https://idp.oru.se/idp"
#define ZETA "https://zeta.example.se/idp"
#define AAA "https://aaa.example.org/idp"

/* Swedish names in their own letters: the file is UTF-8. */
static const struct ds_idp towns[] = {
	{ ZETA, "Zeta AB", "Zeta Ltd", NULL, NULL, NULL },
	{ OREBRO, "Örebro universitet", "Örebro University", "Lärosäte i Närke",
	  "A Swedish university", "https://idp.oru.se/logo.png" },
	{ AARE, "Åre kommun", NULL, NULL, NULL, NULL },
	{ ALV, "Älvdalens kommun", "Älvdalen Municipality", NULL, NULL, NULL },
	{ AAA, NULL, "Aaa Testing", NULL, NULL, NULL },
};
#define NTOWNS (sizeof(towns) / sizeof(towns[0]))

static const struct ds_hidden state[] = { { "state", "n&o\"nce<1>" }, { "lang", "sv" } };

static struct buf out;
static xmlDocPtr doc;

static void setup(void)
{
	buf_init(&out, PAGE_MAX);
	doc = NULL;
}

static void teardown(void)
{
	xmlFreeDoc(doc);
	buf_free(&out);
}

static struct ds_page page_for(const char *lang, const char *query, const char *remembered)
{
	struct ds_page p = { 0 };

	p.lang = lang;
	p.action = "/ds";
	p.hidden = state;
	p.nhidden = sizeof(state) / sizeof(state[0]);
	p.sp_name = "E-tjänsten <Bygglov>";
	p.query = query;
	p.remembered = remembered;
	p.lang_switch_url = "/ds?state=x&lang=en";
	return p;
}

/* Render into out and parse it as XML (failing on any well-formedness error). */
static void render(const struct ds_page *p, const struct ds_idp *idps, size_t n)
{
	struct tl_err err;
	int rc;

	xmlFreeDoc(doc);
	doc = NULL;
	buf_reset(&out);
	rc = ds_render(p, idps, n, &out, &err);
	ck_assert_msg(rc == TL_OK, "ds_render: %s", err.msg);
	doc = xmlReadMemory(out.data, (int)out.len, "ds.html", "UTF-8",
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ck_assert_msg(doc != NULL, "the page is not well-formed:\n%s", out.data);
}

static double xp_num(const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	double v;

	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	v = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return v;
}

/* The string value of expr, into a static buffer. */
static const char *xp_str(const char *expr)
{
	static char s[4096];
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	xmlChar *v;

	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	v = xmlXPathCastToString(o);
	snprintf(s, sizeof(s), "%s", (const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

#define ck_count(expr, n) ck_assert_msg(xp_num(expr) == (n), "count %s = %g, not %d", expr, \
                                        xp_num(expr), (int)(n))

/* The entityIDs of the buttons under the node set sel, in page order, joined by spaces. */
static const char *buttons(const char *sel)
{
	static char s[4096];
	char expr[512];
	int n;

	snprintf(expr, sizeof(expr), "count(%s//button[@name='idp'])", sel);
	n = (int)xp_num(expr);
	s[0] = '\0';
	for (int i = 1; i <= n; i++) {
		size_t len = strlen(s);
		snprintf(expr, sizeof(expr), "string((%s//button[@name='idp'])[%d]/@value)", sel, i);
		snprintf(s + len, sizeof(s) - len, "%s%s", i > 1 ? " " : "", xp_str(expr));
	}
	return s;
}

START_TEST(lang_from_accept_language)
{
	static const struct { const char *header, *lang; } cases[] = {
		{ NULL, "sv" },
		{ "", "sv" },
		{ "en", "en" },
		{ "en-US,en;q=0.9", "en" },
		{ "EN-gb", "en" },
		{ "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv" },
		{ "en;q=0.5, sv;q=0.8", "sv" },
		{ "sv;q=0.3, en;q=0.7", "en" },
		{ "sv ; q=0.3 , en ; Q=0.7", "en" },
		{ "de-DE,de;q=0.9", "sv" },
		{ "de, en;q=0.5", "en" },
		{ "en;q=0", "sv" },
		{ "sv;q=0, en;q=0.1", "en" },
		{ "sv;q=0, en;q=0", "sv" },
		{ "*", "sv" },
		{ "en;q=0.5, *", "sv" },
		{ "sv;q=0.2, *;q=0.9", "en" },  /* "*" stands for en, not named */
		{ "*;q=0.9, sv;q=0.2", "en" },
		{ "sv;q=0.2, *;q=0.9, en;q=0.1", "sv" },
		{ "en, sv", "en" },
		{ "sv, en", "sv" },
		{ "english", "sv" },
		{ "en;q=abc", "sv" },
		{ "en;q=1.5", "sv" },
		{ "en;q=0.5x", "sv" },
		{ "en;q=0.1234", "sv" },
		{ "en;q=1.000", "en" },
		{ "en;level=1;q=0.9, sv;q=0.8", "en" },
		{ "xx;q=en", "sv" },
		{ ",,, ;q=1, en", "en" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(strcmp(ds_lang(cases[i].header), cases[i].lang) == 0,
		              "Accept-Language: %s gave %s, not %s", cases[i].header ? cases[i].header : "(none)",
		              ds_lang(cases[i].header), cases[i].lang);
}
END_TEST

START_TEST(lang_header_limit)
{
	/* en named only past DS_ACCEPT_LANGUAGE_MAX bytes is not seen */
	char h[DS_ACCEPT_LANGUAGE_MAX + 16];

	memset(h, ' ', sizeof(h));
	memcpy(h + DS_ACCEPT_LANGUAGE_MAX + 2, "en", 3);
	ck_assert_str_eq(ds_lang(h), "sv");
	memcpy(h + DS_ACCEPT_LANGUAGE_MAX - 3, "en", 3);
	ck_assert_str_eq(ds_lang(h), "en");
}
END_TEST

START_TEST(name_fallback)
{
	struct ds_idp both = { "urn:x:both", "Svenskt namn", "English name", NULL, NULL, NULL };
	struct ds_idp sv = { "urn:x:sv", "Bara svenska", NULL, NULL, NULL, NULL };
	struct ds_idp en = { "urn:x:en", "", "English only", NULL, NULL, NULL };
	struct ds_idp none = { "urn:x:none", NULL, "", NULL, NULL, NULL };

	ck_assert_str_eq(ds_name(&both, "sv"), "Svenskt namn");
	ck_assert_str_eq(ds_name(&both, "en"), "English name");
	ck_assert_str_eq(ds_name(&both, NULL), "Svenskt namn");
	ck_assert_str_eq(ds_name(&sv, "en"), "Bara svenska");
	ck_assert_str_eq(ds_name(&en, "sv"), "English only");
	ck_assert_str_eq(ds_name(&none, "sv"), "urn:x:none");
	ck_assert_str_eq(ds_name(&none, "en"), "urn:x:none");
}
END_TEST

START_TEST(page_structure)
{
	struct ds_page p = page_for("sv", NULL, NULL);

	render(&p, towns, NTOWNS);
	ck_assert(strncmp(out.data, "<!DOCTYPE html>\n", 16) == 0);
	ck_assert_str_eq(xp_str("string(/html/@lang)"), "sv");
	ck_assert_str_eq(xp_str("string(//h1)"), "Logga in på E-tjänsten <Bygglov>");
	ck_assert_str_eq(xp_str("string(//title)"), "Välj organisation – E-tjänsten <Bygglov>");
	ck_count("count(/html/body/main)", 1);
	ck_count("count(//main//h1)", 1);
	/* the search form: a labelled search box and a submit button */
	ck_count("count(//form[@role='search'][@method='get'][@action='/ds'])", 1);
	ck_count("count(//form[@role='search']//input[@type='search'][@name='q'][@id='ds-q'])", 1);
	ck_assert_str_eq(xp_str("string(//label[@for='ds-q'])"), "Sök organisation");
	ck_count("count(//form[@role='search']//button[@type='submit'])", 1);
	/* the choice form: every IdP a submit button */
	ck_count("count(//form[@method='get'][@action='/ds'])", 2);
	ck_count("count(//form[not(@role)]//button[@type='submit'][@name='idp'])", NTOWNS);
	ck_assert_str_eq(xp_str("string(//button[@value='" OREBRO "']//span[@class='n'])"),
	                 "Örebro universitet");
	ck_assert_str_eq(xp_str("string(//button[@value='" OREBRO "']//span[@class='d'])"),
	                 "Lärosäte i Närke");
	/* a name from the other language says so */
	ck_assert_str_eq(xp_str("string(//button[@value='" AAA "']//span[@class='n']/@lang)"), "en");
	ck_count("count(//button[@value='" AARE "']//span[@lang])", 0);
	/* the language switch */
	ck_assert_str_eq(xp_str("string(//header/nav/a/@href)"), "/ds?state=x&lang=en");
	ck_assert_str_eq(xp_str("string(//header/nav/a)"), "English");
	ck_assert_str_eq(xp_str("string(//header/nav/a/@hreflang)"), "en");
	/* no script of any kind, one style element, no style attributes */
	ck_assert_ptr_null(strstr(out.data, "<script"));
	ck_count("count(//script)", 0);
	ck_count("count(//@*[starts-with(name(), 'on')])", 0);
	ck_count("count(//style)", 1);
	ck_count("count(//@style)", 0);
	ck_assert_ptr_null(strstr(out.data, "javascript:"));

	p = page_for("en", NULL, NULL);
	p.sp_name = NULL;
	p.lang_switch_url = NULL;
	render(&p, towns, NTOWNS);
	ck_assert_str_eq(xp_str("string(/html/@lang)"), "en");
	ck_assert_str_eq(xp_str("string(//h1)"), "Log in");
	ck_assert_str_eq(xp_str("string(//label[@for='ds-q'])"), "Search for your organisation");
	ck_assert_str_eq(xp_str("string(//h2[@id='ds-all'])"), "All organisations");
	ck_assert_str_eq(xp_str("string(//button[@value='" OREBRO "']//span[@class='d'])"),
	                 "A Swedish university");
	ck_assert_str_eq(xp_str("string(//button[@value='" AARE "']//span[@class='n']/@lang)"), "sv");
	ck_count("count(//header)", 0);

	/* nothing to offer */
	p = page_for("sv", NULL, NULL);
	render(&p, NULL, 0);
	ck_assert_str_eq(xp_str("string(//p[@id='ds-none'])"), "Inga organisationer är tillgängliga just nu.");
	ck_count("count(//form)", 1);
}
END_TEST

START_TEST(values_escaped)
{
	static const struct ds_idp idps[] = {
		{ "https://idp.example.org/?a=1&b=\"2\"", "Ett & två", NULL, "<b>fet</b>", NULL, NULL },
		{ "urn:x:script", "<script>alert(1)</script>", NULL, NULL, NULL, NULL },
	};
	struct ds_page p = page_for("sv", NULL, NULL);

	render(&p, idps, 2);
	ck_assert_ptr_nonnull(strstr(out.data,
		"value=\"https://idp.example.org/?a=1&amp;b=&quot;2&quot;\""));
	ck_assert_ptr_nonnull(strstr(out.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_null(strstr(out.data, "<script"));
	ck_assert_ptr_null(strstr(out.data, "<b>"));
	ck_assert_ptr_nonnull(strstr(out.data, "Logga in på E-tjänsten &lt;Bygglov&gt;"));
	/* what a browser submits is the entityID as given */
	ck_assert_str_eq(buttons("//form[not(@role)]"), "urn:x:script https://idp.example.org/?a=1&b=\"2\"");
	ck_assert_str_eq(xp_str("string(//button[@value='urn:x:script']//span[@class='n'])"),
	                 "<script>alert(1)</script>");
	ck_count("count(//script)", 0);
}
END_TEST

START_TEST(bad_text_replaced)
{
	static const struct ds_idp idps[] = {
		{ "urn:x:bad", "Bad \xff byte\x01", NULL, NULL, NULL, NULL },
	};
	struct ds_page p = page_for("sv", NULL, NULL);

	/* libxml2 refuses a document that is not UTF-8 or holds a control character */
	render(&p, idps, 1);
	ck_assert_str_eq(xp_str("string(//span[@class='n'])"), "Bad \xef\xbf\xbd byte\xef\xbf\xbd");
	p.query = "b\xc3";
	render(&p, idps, 1);
	ck_assert_str_eq(xp_str("string(//input[@name='q']/@value)"), "b\xef\xbf\xbd");
}
END_TEST

START_TEST(hidden_fields_in_both_forms)
{
	struct ds_page p = page_for("sv", NULL, NULL);

	render(&p, towns, NTOWNS);
	ck_count("count(//form)", 2);
	ck_count("count(//form[input[@type='hidden'][@name='state'][@value='n&o\"nce<1>']]"
	         "[input[@type='hidden'][@name='lang'][@value='sv']])", 2);
	ck_assert_ptr_nonnull(strstr(out.data, "value=\"n&amp;o&quot;nce&lt;1&gt;\""));
	/* the link that clears a search keeps them too */
	p.query = "ingenting alls";
	render(&p, towns, NTOWNS);
	ck_assert_str_eq(xp_str("string(//p[@id='ds-none']/a/@href)"),
	                 "/ds?state=n%26o%22nce%3C1%3E&lang=sv");
	ck_count("count(//form[input[@name='state']])", 1);
}
END_TEST

START_TEST(search_filters)
{
	static const struct ds_idp extra[] = {
		{ "https://idp.lund-kafe.se/idp", "Café Lund", NULL, NULL, NULL, NULL },
		{ "https://idp.uni-muenchen.de/idp", NULL, "Universität München", NULL, NULL, NULL },
	};
	struct ds_idp all[NTOWNS + 2];
	struct ds_page p;

	memcpy(all, towns, sizeof(towns));
	memcpy(all + NTOWNS, extra, sizeof(extra));

	/* å ä ö in either case, é and ü with or without the accent */
	static const struct { const char *q, *hits; } cases[] = {
		{ "ÅRE", AARE },
		{ "åre", AARE },
		{ "  Åre\t", AARE },
		{ "älvdalens", ALV },
		{ "ÄLVDALEN", ALV },
		{ "öREBRO", OREBRO },
		{ "cafe", "https://idp.lund-kafe.se/idp" },
		{ "CAFÉ", "https://idp.lund-kafe.se/idp" },
		{ "munchen", "https://idp.uni-muenchen.de/idp" },
		{ "MÜNCHEN", "https://idp.uni-muenchen.de/idp" },
		{ "zeta.example", ZETA },        /* the entityID */
		{ "lärosäte", OREBRO },          /* the Swedish description */
		{ "swedish univ", OREBRO },      /* the English description */
		{ "kommun", AARE " " ALV },
		{ "are", "" },                   /* a and å are different letters */
		{ "orebro", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = page_for("sv", cases[i].q, NULL);
		render(&p, all, NTOWNS + 2);
		ck_assert_msg(strcmp(buttons("/"), cases[i].hits) == 0, "search %s found %s, not %s",
		              cases[i].q, buttons("/"), cases[i].hits);
	}

	/* a search says what it found and links back to everything */
	p = page_for("sv", "kommun", NULL);
	render(&p, all, NTOWNS + 2);
	ck_assert_str_eq(xp_str("string(//h2[@id='ds-all'])"), "2 träffar för ”kommun”");
	ck_assert_str_eq(xp_str("string(//section/p/a/@href)"), "/ds?state=n%26o%22nce%3C1%3E&lang=sv");
	ck_assert_str_eq(xp_str("string(//input[@name='q']/@value)"), "kommun");
	p = page_for("en", "åre", NULL);
	render(&p, all, NTOWNS + 2);
	ck_assert_str_eq(xp_str("string(//h2[@id='ds-all'])"), "1 match for “åre”");

	/* nothing found: a message and a way back, no choice form */
	p = page_for("sv", "<xyzzy>", NULL);
	render(&p, all, NTOWNS + 2);
	ck_assert_str_eq(xp_str("string(//p[@id='ds-none'])"),
	                 "Ingen organisation matchar ”<xyzzy>”. Visa alla organisationer");
	ck_count("count(//button[@name='idp'])", 0);
	ck_count("count(//p[@id='ds-none']/a[@href])", 1);
	p.lang = "en";
	render(&p, all, NTOWNS + 2);
	ck_assert_str_eq(xp_str("string(//p[@id='ds-none'])"),
	                 "No organisation matches “<xyzzy>”. Show all organisations");

	/* an empty or blank query is no search */
	p = page_for("sv", "   ", NULL);
	render(&p, all, NTOWNS + 2);
	ck_count("count(//button[@name='idp'])", NTOWNS + 2);
	ck_assert_str_eq(xp_str("string(//h2[@id='ds-all'])"), "Alla organisationer");
}
END_TEST

START_TEST(query_limit)
{
	char q[DS_QUERY_MAX + 100];
	struct ds_page p;

	memset(q, 'a', sizeof(q) - 1);
	q[sizeof(q) - 1] = '\0';
	p = page_for("sv", q, NULL);
	render(&p, towns, NTOWNS);
	ck_assert_uint_eq(strlen(xp_str("string(//input[@name='q']/@value)")), DS_QUERY_MAX);
	/* cut at a character boundary: "ö" would end past the limit */
	memcpy(q + DS_QUERY_MAX - 1, "ö", 3);
	q[DS_QUERY_MAX + 2] = '\0';
	render(&p, towns, NTOWNS);
	ck_assert_uint_eq(strlen(xp_str("string(//input[@name='q']/@value)")), DS_QUERY_MAX - 1);
	ck_count("count(//input[@name='q'][@maxlength='200'])", 1);
}
END_TEST

START_TEST(sort_order)
{
	struct ds_page p = page_for("sv", NULL, NULL);

	render(&p, towns, NTOWNS);
	/* Swedish: å ä ö after z, in that order */
	ck_assert_str_eq(buttons("//section[@aria-labelledby='ds-all']"),
	                 AAA " " ZETA " " AARE " " ALV " " OREBRO);
	p.lang = "en";
	render(&p, towns, NTOWNS);
	/* English: Aaa Testing, Älvdalen, Åre, Örebro, Zeta */
	ck_assert_str_eq(buttons("//section[@aria-labelledby='ds-all']"),
	                 AAA " " ALV " " AARE " " OREBRO " " ZETA);
}
END_TEST

START_TEST(sort_details)
{
	static const struct ds_idp idps[] = {
		{ "urn:x:9", "b", NULL, NULL, NULL, NULL },
		{ "urn:x:8", "B", NULL, NULL, NULL, NULL },
		{ "urn:x:7", "10 Kommun", NULL, NULL, NULL, NULL },
		{ "urn:x:6", "\"Quoted\"", NULL, NULL, NULL, NULL },
		{ "urn:x:5", "ab", NULL, NULL, NULL, NULL },
		{ "urn:x:4", "a", NULL, NULL, NULL, NULL },
		{ "urn:x:3", "Ø", NULL, NULL, NULL, NULL },
		{ "urn:x:2", "Ω", NULL, NULL, NULL, NULL },
		{ "urn:x:1", "a", NULL, NULL, NULL, NULL },
		{ "urn:x:10", "Ütest", NULL, NULL, NULL, NULL },
		{ "urn:x:11", "Ytest", NULL, NULL, NULL, NULL },
		{ "urn:x:12", "Zed", NULL, NULL, NULL, NULL },
		{ "urn:x:13", "Éva", NULL, NULL, NULL, NULL },
		{ "urn:x:14", "Evb", NULL, NULL, NULL, NULL },
		{ "urn:x:15", "Eva", NULL, NULL, NULL, NULL },
	};
	struct ds_page p = page_for("sv", NULL, NULL);

	render(&p, idps, sizeof(idps) / sizeof(idps[0]));
	/* punctuation, digits, letters (ties by bytes, then entityID), é as e, ü as y, ø as ö,
	 * other scripts last */
	ck_assert_str_eq(buttons("/"), "urn:x:6 urn:x:7 urn:x:1 urn:x:4 urn:x:5 urn:x:8 urn:x:9 "
	                               "urn:x:15 urn:x:13 urn:x:14 urn:x:11 urn:x:10 urn:x:12 "
	                               "urn:x:3 urn:x:2");
	/* English: ü as u, ø as o */
	p.lang = "en";
	render(&p, idps, sizeof(idps) / sizeof(idps[0]));
	ck_assert_str_eq(buttons("/"), "urn:x:6 urn:x:7 urn:x:1 urn:x:4 urn:x:5 urn:x:8 urn:x:9 "
	                               "urn:x:15 urn:x:13 urn:x:14 urn:x:3 urn:x:10 urn:x:11 "
	                               "urn:x:12 urn:x:2");
}
END_TEST

START_TEST(remembered_first)
{
	struct ds_page p = page_for("sv", NULL, OREBRO);

	render(&p, towns, NTOWNS);
	ck_assert_str_eq(xp_str("string((//button[@name='idp'])[1]/@value)"), OREBRO);
	ck_assert_str_eq(xp_str("string(//section[1]/h2)"), "Senast använd");
	ck_assert_str_eq(buttons("//section[@aria-labelledby='ds-last']"), OREBRO);
	/* and in its place in the full list */
	ck_assert_str_eq(buttons("//section[@aria-labelledby='ds-all']"),
	                 AAA " " ZETA " " AARE " " ALV " " OREBRO);
	p.lang = "en";
	render(&p, towns, NTOWNS);
	ck_assert_str_eq(xp_str("string(//h2[@id='ds-last'])"), "Last used");

	/* an IdP no longer offered, or one the search leaves out, is not shown */
	p = page_for("sv", NULL, "https://gone.example.org/idp");
	render(&p, towns, NTOWNS);
	ck_count("count(//section[@aria-labelledby='ds-last'])", 0);
	p = page_for("sv", "kommun", OREBRO);
	render(&p, towns, NTOWNS);
	ck_count("count(//section[@aria-labelledby='ds-last'])", 0);
	p = page_for("sv", "universitet", OREBRO);
	render(&p, towns, NTOWNS);
	ck_assert_str_eq(buttons("//section[@aria-labelledby='ds-last']"), OREBRO);
}
END_TEST

START_TEST(logos_checked)
{
	static char big[DS_LOGO_MAX + 2];
	struct ds_idp idps[] = {
		{ "urn:x:1", "A", NULL, NULL, NULL, "https://idp.example.org/logo.png" },
		{ "urn:x:2", "B", NULL, NULL, NULL, "data:image/png;base64,iVBORw0KGgo=" },
		{ "urn:x:3", "C", NULL, NULL, NULL, "DATA:image/svg+xml,%3Csvg%2F%3E" },
		{ "urn:x:4", "D", NULL, NULL, NULL, "javascript:alert(1)" },
		{ "urn:x:5", "E", NULL, NULL, NULL, "http://idp.example.org/logo.png" },
		{ "urn:x:6", "F", NULL, NULL, NULL, "data:text/html,%3Cscript%3E" },
		{ "urn:x:7", "G", NULL, NULL, NULL, "data:image/svg,x" },
		{ "urn:x:8", "H", NULL, NULL, NULL, "https://" },
		{ "urn:x:9", "I", NULL, NULL, NULL, "https://idp.example.org/a logo.png" },
		{ "urn:x:10", "J", NULL, NULL, NULL, big },
		{ "urn:x:11", "K", NULL, NULL, NULL, "" },
		{ "urn:x:12", "L", NULL, NULL, NULL, "//idp.example.org/logo.png" },
	};
	struct ds_page p = page_for("sv", NULL, NULL);

	memcpy(big, "data:image/png;base64,", 22);
	memset(big + 22, 'A', sizeof(big) - 23);
	render(&p, idps, sizeof(idps) / sizeof(idps[0]));
	ck_count("count(//img)", 3);
	ck_count("count(//button[@value='urn:x:1']/img[@src='https://idp.example.org/logo.png'])", 1);
	ck_count("count(//button[@value='urn:x:2']/img[@src='data:image/png;base64,iVBORw0KGgo='])", 1);
	ck_count("count(//button[@value='urn:x:3']/img)", 1);
	/* decorative (the name is text beside it), with its size */
	ck_count("count(//img[@alt=''][@width='40'][@height='40'][@loading='lazy'])", 3);
	ck_assert_ptr_null(strstr(out.data, "javascript:"));
	ck_assert_ptr_null(strstr(out.data, "http://idp"));
	ck_assert_ptr_null(strstr(out.data, "data:text"));
	ck_assert_ptr_null(strstr(out.data, "AAAAAAAA"));
	/* a logo just within the limit is shown */
	big[DS_LOGO_MAX] = '\0';
	render(&p, idps, sizeof(idps) / sizeof(idps[0]));
	ck_count("count(//img)", 4);
}
END_TEST

START_TEST(logo_budget)
{
	/* 40 logos of 64 KiB fill more than DS_LOGO_BUDGET: the rest are left out */
	enum { N = 40 };
	static char logo[DS_LOGO_MAX + 1];
	struct ds_idp idps[N];
	char ids[N][32];
	struct ds_page p = page_for("sv", NULL, NULL);

	memcpy(logo, "data:image/png;base64,", 22);
	memset(logo + 22, 'A', DS_LOGO_MAX - 22);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "urn:x:%02d", i);
		idps[i] = (struct ds_idp){ ids[i], ids[i], NULL, NULL, NULL, logo };
	}
	render(&p, idps, N);
	ck_count("count(//img)", DS_LOGO_BUDGET / DS_LOGO_MAX);
	ck_count("count(//button[@name='idp'])", N);
}
END_TEST

START_TEST(csp_matches_style)
{
	struct ds_page p = page_for("sv", NULL, NULL);
	unsigned char h[UTIL_SHA256_LEN];
	const char *a, *b;
	char *b64, *style, want[128];

	render(&p, towns, NTOWNS);
	a = strstr(out.data, "<style>");
	ck_assert_ptr_nonnull(a);
	a += strlen("<style>");
	b = strstr(a, "</style>");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(strstr(b + 1, "<style"));
	util_sha256(a, (size_t)(b - a), h);
	b64 = util_base64(h, sizeof(h));
	snprintf(want, sizeof(want), "style-src 'sha256-%s';", b64);
	free(b64);
	ck_assert_msg(strstr(ds_csp(), want) != NULL, "%s not in %s", want, ds_csp());
	ck_assert(strncmp(ds_csp(), "default-src 'none'; ", 20) == 0);
	ck_assert_ptr_nonnull(strstr(ds_csp(), "img-src https: data:;"));
	ck_assert_ptr_nonnull(strstr(ds_csp(), "form-action 'self' https:;"));
	ck_assert_ptr_nonnull(strstr(ds_csp(), "base-uri 'none'"));
	ck_assert_ptr_nonnull(strstr(ds_csp(), "frame-ancestors 'none'"));
	ck_assert_ptr_null(strstr(ds_csp(), "unsafe"));
	/* the same value every time, and the same style for an English page */
	ck_assert_ptr_eq(ds_csp(), ds_csp());
	style = strndup(a, (size_t)(b - a));
	ck_assert_ptr_nonnull(style);
	p.lang = "en";
	render(&p, towns, NTOWNS);
	a = strstr(out.data, "<style>");
	ck_assert_ptr_nonnull(a);
	ck_assert(strncmp(a + 7, style, strlen(style)) == 0);
	ck_assert(strncmp(a + 7 + strlen(style), "</style>", 8) == 0);
	free(style);
}
END_TEST

START_TEST(many_idps_cut)
{
	enum { N = DS_MAX_IDPS + 1 };
	struct ds_idp *idps = calloc(N, sizeof(*idps));
	char (*ids)[32] = calloc(N, sizeof(*ids));
	struct ds_page p = page_for("sv", NULL, NULL);

	ck_assert(idps != NULL && ids != NULL);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "urn:x:%05d", i);
		idps[i] = (struct ds_idp){ ids[i], ids[i] + 6, NULL, NULL, NULL, NULL };
	}
	render(&p, idps, N);
	ck_count("count(//button[@name='idp'])", DS_MAX_IDPS);
	ck_assert_str_eq(xp_str("string((//button[@name='idp'])[last()]/@value)"), "urn:x:04999");
	ck_assert_str_eq(xp_str("string(//section/p)"),
	                 "Visar de första 5000 av 5001 organisationerna. Sök för att hitta fler.");
	/* the one cut off is reached by searching */
	p.query = "05000";
	render(&p, idps, N);
	ck_assert_str_eq(buttons("/"), "urn:x:05000");
	free(ids);
	free(idps);
}
END_TEST

START_TEST(page_errors)
{
	struct ds_idp noid = { NULL, "Ingen", NULL, NULL, NULL, NULL };
	struct ds_hidden bad_hidden[] = { { "q", "x" } }, unnamed[] = { { NULL, "x" } };
	struct ds_hidden many[DS_MAX_HIDDEN + 1];
	struct ds_page p;
	struct tl_err err;
	struct buf small;

	for (int i = 0; i <= DS_MAX_HIDDEN; i++)
		many[i] = (struct ds_hidden){ "h", "v" };
	ck_assert_int_eq(buf_puts(&out, "kept"), TL_OK);
#define EXPECT(pp, idps, n, code, text)                                            \
	do {                                                                       \
		ck_assert_int_eq(ds_render(pp, idps, n, &out, &err), code);       \
		ck_assert_msg(strstr(err.msg, text) != NULL, "message: %s", err.msg); \
		ck_assert_str_eq(out.data, "kept");                                \
	} while (0)
	EXPECT(NULL, towns, NTOWNS, TL_EINVAL, "no action");
	p = page_for("sv", NULL, NULL);
	p.action = NULL;
	EXPECT(&p, towns, NTOWNS, TL_EINVAL, "no action");
	p = page_for("sv", NULL, NULL);
	p.action = "/ds?x=1";
	EXPECT(&p, towns, NTOWNS, TL_EINVAL, "/ds?x=1 has a query");
	p = page_for("de", NULL, NULL);
	EXPECT(&p, towns, NTOWNS, TL_EINVAL, "language de");
	p = page_for("sv", NULL, NULL);
	p.hidden = bad_hidden;
	p.nhidden = 1;
	EXPECT(&p, towns, NTOWNS, TL_EINVAL, "hidden field q");
	p.hidden = unnamed;
	EXPECT(&p, towns, NTOWNS, TL_EINVAL, "hidden field 0 has no name");
	p.hidden = many;
	p.nhidden = DS_MAX_HIDDEN + 1;
	EXPECT(&p, towns, NTOWNS, TL_ELIMIT, "17 hidden fields");
	p = page_for("sv", NULL, NULL);
	EXPECT(&p, &noid, 1, TL_EINVAL, "IdP 0 has no entityID");
#undef EXPECT

	/* a page larger than the buffer's limit: refused, the buffer as it was */
	buf_init(&small, 2000);
	ck_assert_int_eq(buf_puts(&small, "kept"), TL_OK);
	ck_assert_int_eq(ds_render(&p, towns, NTOWNS, &small, &err), TL_ELIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 2000 bytes"));
	ck_assert_str_eq(small.data, "kept");
	ck_assert_uint_eq(small.len, 4);
	buf_free(&small);
}
END_TEST

/* ---- the Discovery Protocol ---------------------------------------------------- */

#define SP_Q "entityID=https%3A%2F%2Fsp.example.org%2Fsp"
#define RET_Q "return=https%3A%2F%2Fsp.example.org%2FDS%3Fa%3D1"

START_TEST(request_good)
{
	struct ds_request r;
	struct ds_hidden h[DS_REQUEST_NHIDDEN];
	struct tl_err err;

	ck_assert_int_eq(ds_request_parse(SP_Q "&" RET_Q, &r, &err), TL_OK);
	ck_assert_str_eq(r.entity_id, "https://sp.example.org/sp");
	ck_assert_str_eq(r.ret, "https://sp.example.org/DS?a=1");
	ck_assert_str_eq(r.return_id_param, "entityID");
	ck_assert_int_eq(r.is_passive, 0);
	ck_assert_uint_eq(ds_request_hidden(&r, h), 3);
	ck_assert_str_eq(h[0].name, "entityID");
	ck_assert_str_eq(h[0].value, "https://sp.example.org/sp");
	ck_assert_str_eq(h[1].name, "return");
	ck_assert_str_eq(h[1].value, "https://sp.example.org/DS?a=1");
	ck_assert_str_eq(h[2].name, "returnIDParam");
	ck_assert_str_eq(h[2].value, "entityID");
	ds_request_free(&r);
	ck_assert_ptr_null(r.entity_id);
	ds_request_free(&r);

	ck_assert_int_eq(ds_request_parse("idp=x&q=y&" RET_Q "&returnIDParam=idp&isPassive=true"
	                                  "&policy=urn%3Aoasis%3Anames%3Atc%3ASAML%3Aprofiles%3ASSO"
	                                  "%3Aidp-discovery-protocol%3Asingle&" SP_Q, &r, &err), TL_OK);
	ck_assert_str_eq(r.return_id_param, "idp");
	ck_assert_int_eq(r.is_passive, 1);
	ds_request_free(&r);

	ck_assert_int_eq(ds_request_parse(SP_Q "&" RET_Q "&isPassive=false", &r, &err), TL_OK);
	ck_assert_int_eq(r.is_passive, 0);
	ds_request_free(&r);
	ck_assert_int_eq(ds_request_parse(SP_Q "&return=http://127.0.0.1:8080/ds&isPassive=1", &r, &err),
	                 TL_OK);
	ck_assert_str_eq(r.ret, "http://127.0.0.1:8080/ds");
	ck_assert_int_eq(r.is_passive, 1);
	ds_request_free(&r);
	/* '+' is a space in a query: a return URL with one is refused below, an entityID keeps it */
	ck_assert_int_eq(ds_request_parse("entityID=urn:x:a+b&" RET_Q, &r, &err), TL_OK);
	ck_assert_str_eq(r.entity_id, "urn:x:a b");
	ds_request_free(&r);
	ds_request_free(NULL);
}
END_TEST

START_TEST(request_bad)
{
	char big[DS_REQUEST_MAX + 64], id[DS_ENTITY_ID_MAX + 64];
	static const struct { const char *q; int code; const char *msg; } cases[] = {
		{ NULL, TL_EINVAL, "entityID is missing" },
		{ "", TL_EINVAL, "entityID is missing" },
		{ RET_Q, TL_EINVAL, "entityID is missing" },
		{ "entityID=&" RET_Q, TL_EINVAL, "entityID is empty" },
		{ SP_Q, TL_EINVAL, "return is missing" },
		{ SP_Q "&return=", TL_EINVAL, "return is empty" },
		{ SP_Q "&return=javascript:alert(1)", TL_EINVAL, "return javascript:alert(1) is not an http(s) URL" },
		{ SP_Q "&return=https:///x", TL_EINVAL, "not an http(s) URL" },
		{ SP_Q "&return=https://sp.example.org/a+b", TL_EINVAL, "not an http(s) URL" },
		{ SP_Q "&return=https%3A%2F%2Fsp%zz", TL_EINVAL, "return is not percent-encoded correctly" },
		{ SP_Q "&return=https://sp/%0d%0aSet-Cookie:x", TL_EINVAL, "return holds a control character" },
		{ SP_Q "&return=https://sp/%00x", TL_EINVAL, "encoded NUL" },
		{ SP_Q "&" RET_Q "&policy=urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol:multi",
		  TL_EINVAL, "policy urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol:multi is not supported" },
		{ SP_Q "&" RET_Q "&isPassive=yes", TL_EINVAL, "isPassive yes is neither true nor false" },
		{ SP_Q "&" RET_Q "&isPassive=TRUE", TL_EINVAL, "isPassive TRUE" },
		{ SP_Q "&" RET_Q "&returnIDParam=", TL_EINVAL, "returnIDParam is empty" },
		{ SP_Q "&" RET_Q "&returnIDParam=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  TL_ELIMIT, "returnIDParam is longer than 64 bytes" },
	};
	struct ds_request r;
	struct tl_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0x55, sizeof(r));
		ck_assert_msg(ds_request_parse(cases[i].q, &r, &err) == cases[i].code, "%s: %s",
		              cases[i].q ? cases[i].q : "(null)", err.msg);
		ck_assert_msg(strstr(err.msg, cases[i].msg) != NULL, "%s: message %s",
		              cases[i].q ? cases[i].q : "(null)", err.msg);
		ck_assert_ptr_null(r.entity_id);
		ck_assert_ptr_null(r.ret);
		ck_assert_ptr_null(r.return_id_param);
	}
	/* oversize: the whole query, and one parameter */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, SP_Q "&" RET_Q "&x=", strlen(SP_Q "&" RET_Q "&x="));
	ck_assert_int_eq(ds_request_parse(big, &r, &err), TL_ELIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "the query is longer than 8192 bytes"));
	big[DS_REQUEST_MAX] = '\0';
	ck_assert_int_eq(ds_request_parse(big, &r, &err), TL_OK);
	ds_request_free(&r);
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	memcpy(id, "entityID=", 9);
	id[9 + DS_ENTITY_ID_MAX + 1] = '\0';
	snprintf(big, sizeof(big), "%s&%s", id, RET_Q);
	ck_assert_int_eq(ds_request_parse(big, &r, &err), TL_ELIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "entityID is longer than 1024 bytes"));
	id[9 + DS_ENTITY_ID_MAX] = '\0';
	snprintf(big, sizeof(big), "%s&%s", id, RET_Q);
	ck_assert_int_eq(ds_request_parse(big, &r, &err), TL_OK);
	ds_request_free(&r);
}
END_TEST

START_TEST(return_url)
{
	static const struct { const char *ret, *param, *idp, *want; } cases[] = {
		{ "https://sp.example.org/DS", "entityID", "https://idp.example.org/idp",
		  "https://sp.example.org/DS?entityID=https%3A%2F%2Fidp.example.org%2Fidp" },
		{ "https://sp.example.org/DS?a=1", "entityID", "https://idp.example.org/idp",
		  "https://sp.example.org/DS?a=1&entityID=https%3A%2F%2Fidp.example.org%2Fidp" },
		{ "https://sp.example.org/DS?", "entityID", "urn:x:idp",
		  "https://sp.example.org/DS?entityID=urn%3Ax%3Aidp" },
		{ "https://sp.example.org/DS?a=1&", "entityID", "urn:x:idp",
		  "https://sp.example.org/DS?a=1&entityID=urn%3Ax%3Aidp" },
		{ "https://sp.example.org/DS?a=1#top", "entityID", "urn:x:idp",
		  "https://sp.example.org/DS?a=1&entityID=urn%3Ax%3Aidp#top" },
		{ "https://sp.example.org/DS#x?y", "entityID", "urn:x:idp",
		  "https://sp.example.org/DS?entityID=urn%3Ax%3Aidp#x?y" },
		{ "https://sp.example.org/DS", "my id&x", "https://idp/?a=b&c=d e",
		  "https://sp.example.org/DS?my%20id%26x=https%3A%2F%2Fidp%2F%3Fa%3Db%26c%3Dd%20e" },
		{ "https://sp.example.org/DS?a=1", "entityID", NULL, "https://sp.example.org/DS?a=1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ds_request r = { "urn:x:sp", (char *)cases[i].ret, (char *)cases[i].param, 0 };
		char *u = ds_return_url(&r, cases[i].idp);
		ck_assert_ptr_nonnull(u);
		ck_assert_str_eq(u, cases[i].want);
		free(u);
	}
}
END_TEST

START_TEST(protocol_round_trip)
{
	/* a DS request, the page it gets, the choice coming back, the answer */
	struct ds_request r, back;
	struct ds_hidden h[DS_REQUEST_NHIDDEN];
	struct ds_page p = page_for("sv", NULL, NULL);
	struct tl_err err;
	struct buf q;
	char expr[256], *u;

	ck_assert_int_eq(ds_request_parse(SP_Q "&" RET_Q "&returnIDParam=idpid", &r, &err), TL_OK);
	p.hidden = h;
	p.nhidden = ds_request_hidden(&r, h);
	render(&p, towns, NTOWNS);
	/* what the browser sends for the choice form: its hidden fields and the button */
	buf_init(&q, 8192);
	for (int i = 1; i <= (int)xp_num("count(//form[not(@role)]/input[@type='hidden'])"); i++) {
		char *v;
		snprintf(expr, sizeof(expr), "string(//form[not(@role)]/input[@type='hidden'][%d]/@name)", i);
		ck_assert_int_eq(buf_printf(&q, "%s=", xp_str(expr)), TL_OK);
		snprintf(expr, sizeof(expr), "string(//form[not(@role)]/input[@type='hidden'][%d]/@value)", i);
		v = util_url_encode(xp_str(expr));
		ck_assert_int_eq(buf_printf(&q, "%s&", v), TL_OK);
		free(v);
	}
	u = util_url_encode(xp_str("string(//button[@name='idp'][1]/@value)"));
	ck_assert_int_eq(buf_printf(&q, "idp=%s", u), TL_OK);
	free(u);
	ck_assert_int_eq(ds_request_parse(q.data, &back, &err), TL_OK);
	ck_assert_str_eq(back.entity_id, r.entity_id);
	ck_assert_str_eq(back.ret, r.ret);
	ck_assert_str_eq(back.return_id_param, "idpid");
	u = ds_return_url(&back, AAA);
	ck_assert_str_eq(u, "https://sp.example.org/DS?a=1&idpid=https%3A%2F%2Faaa.example.org%2Fidp");
	free(u);
	buf_free(&q);
	ds_request_free(&back);
	ds_request_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ds");
	TCase *tc = tcase_create("page");
	TCase *tp = tcase_create("protocol");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lang_from_accept_language);
	tcase_add_test(tc, lang_header_limit);
	tcase_add_test(tc, name_fallback);
	tcase_add_test(tc, page_structure);
	tcase_add_test(tc, values_escaped);
	tcase_add_test(tc, bad_text_replaced);
	tcase_add_test(tc, hidden_fields_in_both_forms);
	tcase_add_test(tc, search_filters);
	tcase_add_test(tc, query_limit);
	tcase_add_test(tc, sort_order);
	tcase_add_test(tc, sort_details);
	tcase_add_test(tc, remembered_first);
	tcase_add_test(tc, logos_checked);
	tcase_add_test(tc, logo_budget);
	tcase_add_test(tc, csp_matches_style);
	tcase_add_test(tc, many_idps_cut);
	tcase_add_test(tc, page_errors);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, request_good);
	tcase_add_test(tp, request_bad);
	tcase_add_test(tp, return_url);
	tcase_add_test(tp, protocol_round_trip);
	suite_add_tcase(s, tp);
	return tlt_run(s);
}
