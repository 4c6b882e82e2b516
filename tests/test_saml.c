/* test_saml.c - binding encodings, and the structural checks of SAML messages. */
#include "tltest.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tillit/buf.h"
#include "tillit/rel.h"
#include "tillit/saml.h"

#define P "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\""
#define SIG(ref) "<ds:Signature><ds:SignedInfo><ds:Reference URI=\"#" ref "\"/></ds:SignedInfo></ds:Signature>"
#define ASSERTION(id, sig) "<saml:Assertion ID=\"" id "\"><saml:Issuer>https://idp</saml:Issuer>" sig \
	"<saml:Subject><saml:NameID>u</saml:NameID><saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">" \
	"<saml:SubjectConfirmationData Recipient=\"https://hub/sp/acs\" InResponseTo=\"_r\" NotOnOrAfter=\"2030-01-01T00:00:00Z\"/>" \
	"</saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore=\"2020-01-01T00:00:00Z\" NotOnOrAfter=\"2030-01-01T00:00:00Z\">" \
	"<saml:AudienceRestriction><saml:Audience>https://hub/sp</saml:Audience></saml:AudienceRestriction></saml:Conditions>" \
	"<saml:AuthnStatement AuthnInstant=\"2026-01-01T00:00:00Z\"><saml:AuthnContext><saml:AuthnContextClassRef>c</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>" \
	"<saml:AttributeStatement><saml:Attribute Name=\"urn:oid:1.3.6.1.4.1.5923.1.1.1.6\"><saml:AttributeValue>a@ok.se</saml:AttributeValue>" \
	"<saml:AttributeValue>b@evil.org</saml:AttributeValue></saml:Attribute>" \
	"<saml:Attribute Name=\"urn:oid:0.9.2342.19200300.100.1.3\"><saml:AttributeValue>a@evil.org</saml:AttributeValue></saml:Attribute>" \
	"</saml:AttributeStatement></saml:Assertion>"
#define RESPONSE(inner) "<samlp:Response " P " ID=\"_resp\" InResponseTo=\"_r\" Destination=\"https://hub/sp/acs\">" \
	"<saml:Issuer>https://idp</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>" \
	inner "</samlp:Response>"

static int check(const char *xml, struct saml_response *r, struct tl_err *err)
{
	struct md_limits lim = { 1 << 20, 64, 0 };

	return saml_response_check(xml, strlen(xml), &lim, r, err);
}

START_TEST(fields)
{
	int bad;
	char *v;

	v = saml_field("a=1&SAMLRequest=x%2By+z&b=2", 27, "SAMLRequest", 100, &bad);
	ck_assert_str_eq(v, "x+y z");
	ck_assert_int_eq(bad, 0);
	free(v);
	ck_assert_ptr_null(saml_field("a=1", 3, "SAMLRequest", 100, &bad));
	ck_assert_int_eq(bad, 0);
	ck_assert_ptr_null(saml_field("SAMLRequest=%zz", 15, "SAMLRequest", 100, &bad));
	ck_assert_int_eq(bad, SAML_FIELD_MALFORMED);
	ck_assert_ptr_null(saml_field("SAMLRequest=123456", 18, "SAMLRequest", 5, &bad));
	ck_assert_int_eq(bad, SAML_FIELD_TOO_LONG);
	/* a prefix of another name is not the name */
	ck_assert_ptr_null(saml_field("SAMLRequestX=1", 14, "SAMLRequest", 100, &bad));
	/* both cases of hex digits; %2B stays a plus, %20 and + a space; the field ends at & */
	v = saml_field("R=%3d%3D%2b%2B%20+%41&x=1", 25, "R", 100, &bad);
	ck_assert_str_eq(v, "==++  A");
	free(v);
	v = saml_field("R=", 2, "R", 100, &bad); /* present and empty */
	ck_assert_str_eq(v, "");
	free(v);
	/* a percent sign without two hex digits after it, at the end of the field or the form */
	static const char *const broken[] = { "R=ab%", "R=ab%4", "R=%4&x=1", "R=%G1", "R=%1g", "R=%@0" };
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		ck_assert_ptr_null(saml_field(broken[i], strlen(broken[i]), "R", 100, &bad));
		ck_assert_int_eq(bad, SAML_FIELD_MALFORMED);
	}
	/* the length given is the form's end, not the NUL: nothing past it is read */
	v = saml_field("R=abc%41", 5, "R", 100, &bad);
	ck_assert_str_eq(v, "abc");
	free(v);
	ck_assert_ptr_null(saml_field("R=abc%41", 7, "R", 100, &bad));
	ck_assert_int_eq(bad, SAML_FIELD_MALFORMED);
}
END_TEST

START_TEST(base64_and_inflate)
{
	struct tl_err err;
	char *out;
	size_t n;
	unsigned char def[256];
	z_stream zs;
	const char *text = "<samlp:AuthnRequest/>";

	ck_assert_int_eq(saml_base64_decode("aGVs\nbG8=", 9, 100, &out, &n, &err), TL_OK);
	ck_assert_str_eq(out, "hello");
	free(out);
	ck_assert_int_eq(saml_base64_decode("aGVs*G8=", 8, 100, &out, &n, &err), TL_EPARSE);
	ck_assert_int_eq(saml_base64_decode("aGVsbG8=", 8, 3, &out, &n, &err), TL_ELIMIT);
	ck_assert_int_eq(saml_base64_decode("", 0, 3, &out, &n, &err), TL_EPARSE);
	ck_assert_int_eq(saml_base64_decode("aG=Vs", 5, 10, &out, &n, &err), TL_EPARSE);

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)text;
	zs.avail_in = (unsigned)strlen(text);
	zs.next_out = def;
	zs.avail_out = sizeof(def);
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	ck_assert_int_eq(saml_inflate(def, n, 1000, &out, &n, &err), TL_OK);
	ck_assert_str_eq(out, text);
	free(out);
	ck_assert_int_eq(saml_inflate(def, 5, 1000, &out, &n, &err), TL_EPARSE); /* truncated */
	ck_assert_int_eq(saml_inflate((const unsigned char *)"\xff\xff\xff", 3, 1000, &out, &n, &err), TL_EPARSE);
}
END_TEST

START_TEST(deflate_round_trips)
{
	/* stored blocks: read back by saml_inflate and by zlib itself, at the
	 * block boundary (65535) and across several blocks */
	static const size_t lens[] = { 0, 1, 700, 65535, 65536, 200000 };
	static char in[200000];
	static unsigned char back[200001];
	struct tl_err err;
	unsigned char *def;
	char *out;
	size_t i, n, m;
	z_stream zs;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)('A' + (i * 7 + i / 13) % 26);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(saml_deflate(in, lens[i], &def, &n, &err), TL_OK);
		ck_assert_uint_eq(n, lens[i] + 5 * (lens[i] / 65535 + (lens[i] % 65535 || !lens[i] ? 1 : 0)));
		ck_assert_int_eq(saml_inflate(def, n, SAML_INFLATED_MAX, &out, &m, &err), TL_OK);
		ck_assert_uint_eq(m, lens[i]);
		ck_assert(memcmp(out, in, m) == 0);
		free(out);
		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(inflateInit2(&zs, -15), Z_OK);
		zs.next_in = def;
		zs.avail_in = (uInt)n;
		zs.next_out = back;
		zs.avail_out = sizeof(back);
		ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
		ck_assert_uint_eq(zs.total_out, lens[i]);
		ck_assert_uint_eq(zs.avail_in, 0); /* nothing after the final block */
		ck_assert(memcmp(back, in, lens[i]) == 0);
		inflateEnd(&zs);
		free(def);
	}
	ck_assert_int_eq(saml_deflate(in, SAML_INFLATED_MAX + 1, &def, &n, &err), TL_ELIMIT);
	ck_assert_ptr_null(def);
}
END_TEST

START_TEST(inflate_bomb_is_bounded)
{
	/* a megabyte of zeros deflates to about a kilobyte */
	static unsigned char zeros[1 << 20], def[1 << 14];
	z_stream zs;
	struct tl_err err;
	char *out;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = zeros;
	zs.avail_in = sizeof(zeros);
	zs.next_out = def;
	zs.avail_out = sizeof(def);
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	ck_assert_int_eq(saml_inflate(def, n, SAML_INFLATED_MAX, &out, &n, &err), TL_ELIMIT);
}
END_TEST

START_TEST(a_good_response)
{
	struct saml_response r;
	struct tl_err err;

	ck_assert_int_eq(check(RESPONSE(SIG("_resp") ASSERTION("_a", SIG("_a"))), &r, &err), TL_OK);
	ck_assert_int_eq(r.signed_itself, 1);
	ck_assert_int_eq(r.a.signed_itself, 1);
	ck_assert_int_eq(r.nassertions, 1);
	ck_assert_str_eq(r.destination, "https://hub/sp/acs");
	ck_assert_str_eq(r.a.sc_recipient, "https://hub/sp/acs");
	ck_assert_str_eq(r.a.audiences[0], "https://hub/sp");
	ck_assert_str_eq(r.a.authn_class, "c");
	ck_assert_int_eq(r.a.nattrs, 2);
	ck_assert_int_eq(r.a.attrs[0].nvalues, 2);
	saml_response_free(&r);
}
END_TEST

/* Attributes and values past SAML_MAX_ATTRS and SAML_MAX_VALUES are not kept; the rest are, in order. */
START_TEST(attribute_counts_are_bounded)
{
	struct saml_response r;
	struct tl_err err;
	struct buf b;

	buf_init(&b, 1 << 16);
	buf_printf(&b, "<samlp:Response " P " ID=\"_resp\"><saml:Issuer>https://idp</saml:Issuer>"
	           "<samlp:Status><samlp:StatusCode Value=\"%s\"/></samlp:Status>"
	           "<saml:Assertion ID=\"_a\"><saml:Issuer>https://idp</saml:Issuer><saml:AttributeStatement>"
	           "<saml:Attribute Name=\"many\">", SAML_STATUS_SUCCESS);
	for (int i = 0; i < SAML_MAX_VALUES + 3; i++)
		buf_printf(&b, "<saml:AttributeValue>v%d</saml:AttributeValue>", i);
	buf_puts(&b, "</saml:Attribute><saml:Attribute Name=\"none\"/></saml:AttributeStatement><saml:AttributeStatement>");
	for (int i = 2; i < SAML_MAX_ATTRS + 5; i++)
		buf_printf(&b, "<saml:Attribute Name=\"a%d\"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute>", i);
	buf_puts(&b, "</saml:AttributeStatement></saml:Assertion></samlp:Response>");
	ck_assert_int_eq(check(b.data, &r, &err), TL_OK);
	ck_assert_int_eq(r.a.nattrs, SAML_MAX_ATTRS);
	ck_assert_str_eq(r.a.attrs[0].name, "many");
	ck_assert_int_eq(r.a.attrs[0].nvalues, SAML_MAX_VALUES);
	ck_assert_str_eq(r.a.attrs[0].values[SAML_MAX_VALUES - 1], "v63");
	ck_assert_str_eq(r.a.attrs[1].name, "none");
	ck_assert_int_eq(r.a.attrs[1].nvalues, 0);
	ck_assert_str_eq(r.a.attrs[2].name, "a2");
	ck_assert_str_eq(r.a.attrs[SAML_MAX_ATTRS - 1].name, "a127");
	ck_assert_str_eq(r.a.attrs[SAML_MAX_ATTRS - 1].values[0], "x");
	saml_response_free(&r);
	ck_assert_int_eq(r.a.nattrs, 0);
	buf_free(&b);
}
END_TEST

START_TEST(wrapping_variants_are_refused)
{
	struct saml_response r;
	struct tl_err err;

	/* two assertions, one signed */
	ck_assert_int_eq(check(RESPONSE(ASSERTION("_a", SIG("_a")) ASSERTION("_b", "")), &r, &err), TL_ERULE);
	/* the signed one hidden in Extensions */
	ck_assert_int_eq(check(RESPONSE("<samlp:Extensions>" ASSERTION("_a", SIG("_a")) "</samlp:Extensions>"
	                                ASSERTION("_b", "")), &r, &err), TL_ERULE);
	/* a signature referring to another element */
	ck_assert_int_eq(check(RESPONSE(ASSERTION("_a", SIG("_resp"))), &r, &err), TL_ESIG);
	/* duplicate IDs */
	ck_assert_int_eq(check(RESPONSE(ASSERTION("_resp", SIG("_resp"))), &r, &err), TL_ESIG);
	/* a signature somewhere else */
	ck_assert_int_eq(check(RESPONSE("<samlp:Extensions>" SIG("_resp") "</samlp:Extensions>"), &r, &err), TL_ESIG);
	/* an assertion inside an assertion */
	ck_assert_int_eq(check(RESPONSE("<saml:Assertion ID=\"_o\"><saml:Advice>" ASSERTION("_i", SIG("_i"))
	                                "</saml:Advice></saml:Assertion>"), &r, &err), TL_ERULE);
	/* not a Response, DOCTYPE */
	ck_assert_int_eq(check("<samlp:ArtifactResponse " P "/>", &r, &err), TL_ERULE);
	ck_assert_int_eq(check("<!DOCTYPE x [<!ENTITY a \"b\">]>" RESPONSE(""), &r, &err), TL_EPARSE);
}
END_TEST

START_TEST(authn_requests)
{
	struct md_limits lim = { 1 << 20, 64, 0 };
	struct saml_request q;
	struct tl_err err;
	const char *good = "<samlp:AuthnRequest " P " ID=\"_q\" Version=\"2.0\" IssueInstant=\"2026-12-01T10:00:00Z\""
		" Destination=\"https://hub/idp/sso\" AssertionConsumerServiceIndex=\"1\" ForceAuthn=\"true\">"
		"<saml:Issuer>https://sp</saml:Issuer><samlp:NameIDPolicy Format=\"f\" AllowCreate=\"true\"/>"
		"<samlp:RequestedAuthnContext Comparison=\"minimum\"><saml:AuthnContextClassRef>c1</saml:AuthnContextClassRef>"
		"</samlp:RequestedAuthnContext><samlp:Scoping><samlp:IDPList><samlp:IDPEntry ProviderID=\"https://idp\"/>"
		"</samlp:IDPList></samlp:Scoping></samlp:AuthnRequest>";

	ck_assert_int_eq(saml_request_check(good, strlen(good), &lim, &q, &err), TL_OK);
	ck_assert_str_eq(q.issuer, "https://sp");
	ck_assert_str_eq(q.destination, "https://hub/idp/sso");
	ck_assert_int_eq(q.acs_index, 1);
	ck_assert_int_eq(q.force_authn, 1);
	ck_assert_int_eq(q.allow_create, 1);
	ck_assert_int_eq(q.nclasses, 1);
	ck_assert_str_eq(q.classes[0], "c1");
	ck_assert_str_eq(q.comparison, "minimum");
	ck_assert_int_eq(q.nidps, 1);
	ck_assert_int_ne(q.issue_instant, 0);
	saml_request_free(&q);
	{
		const char *noissuer = "<samlp:AuthnRequest " P " ID=\"_q\" Version=\"2.0\"/>";
		const char *v1 = "<samlp:AuthnRequest " P " ID=\"_q\" Version=\"1.1\"><saml:Issuer>x</saml:Issuer></samlp:AuthnRequest>";
		const char *idx = "<samlp:AuthnRequest " P " ID=\"_q\" Version=\"2.0\" AssertionConsumerServiceIndex=\"x\"><saml:Issuer>x</saml:Issuer></samlp:AuthnRequest>";
		ck_assert_int_eq(saml_request_check(noissuer, strlen(noissuer), &lim, &q, &err), TL_ERULE);
		ck_assert_int_eq(saml_request_check(v1, strlen(v1), &lim, &q, &err), TL_ERULE);
		ck_assert_int_eq(saml_request_check(idx, strlen(idx), &lim, &q, &err), TL_ERULE);
	}
}
END_TEST

START_TEST(scope_filtering)
{
	struct saml_response r;
	struct tl_err err;
	struct mdm_scope s2 = { NULL, "(.+\\.)?ok\\.se", 1, { NULL, 0 } };
	struct mdm_scope s1 = { &s2, "other.se", 0, { NULL, 0 } };
	struct mdm_role idp;

	memset(&idp, 0, sizeof(idp));
	idp.scopes = &s1;
	ck_assert_int_eq(rel_scope_ok(&idp, "a@ok.se"), 1);
	ck_assert_int_eq(rel_scope_ok(&idp, "a@sub.ok.se"), 1);
	ck_assert_int_eq(rel_scope_ok(&idp, "a@OTHER.se"), 1);
	ck_assert_int_eq(rel_scope_ok(&idp, "a@notok.se"), 0);
	ck_assert_int_eq(rel_scope_ok(&idp, "a@ok.se.evil.org"), 0);
	ck_assert_int_eq(rel_scope_ok(&idp, "unscoped"), 0);
	ck_assert_str_eq(rel_idp_scope(&idp), "other.se");
	ck_assert_int_eq(check(RESPONSE(ASSERTION("_a", SIG("_a"))), &r, &err), TL_OK);
	/* eppn is scoped: b@evil.org goes; mail is not scoped: kept */
	ck_assert_int_eq(rel_filter_scoped(&r.a, &idp), 1);
	ck_assert_int_eq(r.a.nattrs, 2);
	ck_assert_int_eq(r.a.attrs[0].nvalues, 1);
	ck_assert_str_eq(r.a.attrs[0].values[0], "a@ok.se");
	ck_assert_str_eq(r.a.attrs[1].values[0], "a@evil.org");
	saml_response_free(&r);
}
END_TEST

START_TEST(pseudonyms)
{
	unsigned char k1[32] = { 1 }, k2[32] = { 2 };
	char a[REL_PSEUDONYM_LEN + 1], b[REL_PSEUDONYM_LEN + 1];

	ck_assert_int_eq(rel_pseudonym(k1, 32, "l", "idp", "user", "sp", a), TL_OK);
	ck_assert_int_eq(strlen(a), REL_PSEUDONYM_LEN);
	ck_assert_int_eq(rel_pseudonym(k1, 32, "l", "idp", "user", "sp", b), TL_OK);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(rel_pseudonym(k1, 32, "l", "idp", "user", "sp2", b), TL_OK);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(rel_pseudonym(k2, 32, "l", "idp", "user", "sp", b), TL_OK);
	ck_assert_str_ne(a, b);
	/* parts are separated: ("ab","c") is not ("a","bc") */
	ck_assert_int_eq(rel_pseudonym(k1, 32, "l", "ab", "c", NULL, a), TL_OK);
	ck_assert_int_eq(rel_pseudonym(k1, 32, "l", "a", "bc", NULL, b), TL_OK);
	ck_assert_str_ne(a, b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("saml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fields);
	tcase_add_test(tc, base64_and_inflate);
	tcase_add_test(tc, deflate_round_trips);
	tcase_add_test(tc, inflate_bomb_is_bounded);
	tcase_add_test(tc, a_good_response);
	tcase_add_test(tc, attribute_counts_are_bounded);
	tcase_add_test(tc, wrapping_variants_are_refused);
	tcase_add_test(tc, authn_requests);
	tcase_add_test(tc, scope_filtering);
	tcase_add_test(tc, pseudonyms);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
