/*
 * test_sigv.c - streaming verification of signed aggregates.
 *
 * Every signed document here is signed by the real xmlsec1 at test time,
 * with keys generated for the run; the canonicaliser must agree with it
 * byte for byte across many namespace styles, C14N methods and Reference
 * forms, or the digest would not match.  Hostile inputs live in
 * tests/data/sigv/.
 */
#define _GNU_SOURCE
#include "tltest.h"

#include "tillit/buf.h"
#include "tillit/keys.h"
#include "tillit/log.h"
#include "tillit/sigv.h"
#include "tillit/util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define EXC_C EXC "WithComments"
#define INC "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define INC_C INC "#WithComments"
#define SHA1 NS_DS "sha1"
#define SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define SHA384 "http://www.w3.org/2001/04/xmldsig-more#sha384"
#define SHA512 "http://www.w3.org/2001/04/xmlenc#sha512"
#define RSA_SHA1 NS_DS "rsa-sha1"
#define RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define MAX_SEEN 64

/* Keys made once per test case (an unchecked fixture runs before the forks). */
static char *keydir;
static char rsa_key[4096], rsa_cert[4096], other_cert[4096], ec_key[4096], ec_pub[4096];

static void keys_setup(void)
{
	char other_key[4096];
	struct tl_err err;
	EVP_PKEY *ec;
	FILE *f;

	keydir = tlt_tmpdir();
	snprintf(rsa_key, sizeof(rsa_key), "%s/rsa.key", keydir);
	snprintf(rsa_cert, sizeof(rsa_cert), "%s/rsa.crt", keydir);
	snprintf(other_key, sizeof(other_key), "%s/other.key", keydir);
	snprintf(other_cert, sizeof(other_cert), "%s/other.crt", keydir);
	snprintf(ec_key, sizeof(ec_key), "%s/ec.key", keydir);
	snprintf(ec_pub, sizeof(ec_pub), "%s/ec.pub", keydir);
	ck_assert_msg(keys_generate(rsa_key, rsa_cert, 2048, "sigv test", 30, &err) == TL_OK, "%s", err.msg);
	ck_assert_msg(keys_generate(other_key, other_cert, 2048, "sigv other", 30, &err) == TL_OK, "%s",
	              err.msg);
	ec = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(ec);
	f = fopen(ec_key, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
	f = fopen(ec_pub, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_PUBKEY(f, ec) == 1);
	fclose(f);
	EVP_PKEY_free(ec);
}

static void keys_teardown(void)
{
	tlt_rmtree(keydir);
	keydir = NULL;
}

/* Per test: a scratch directory and the log capture (any warning fails). */
static char *dir;

static void test_setup(void)
{
	dir = tlt_tmpdir();
	tlt_log_begin();
}

static void test_teardown(void)
{
	tlt_log_end();
	tlt_rmtree(dir);
	dir = NULL;
}

/* ---- building and signing aggregates ----------------------------------- */

struct seen {
	int n;
	char ids[MAX_SEEN][128];
	int fail_at;              /* return TL_ERULE on this call (1-based), 0: never */
};

static int collect(void *ud, xmlNodePtr e, int line, struct tl_err *err)
{
	struct seen *s = ud;
	xmlChar *id = xmlGetNoNsProp(e, BAD_CAST "entityID");

	ck_assert_int_gt(line, 0);
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq((const char *)e->name, "EntityDescriptor");
	ck_assert_ptr_nonnull(e->ns);
	ck_assert_str_eq((const char *)e->ns->href, NS_MD);
	if (s->n < MAX_SEEN)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", (const char *)id);
	xmlFree(id);
	s->n++;
	if (s->fail_at == s->n)
		return tl_err_set(err, TL_ERULE, "test callback refuses entity %d", s->n);
	return TL_OK;
}

/* Append t with "{i}" replaced by i and "{md}" by the md prefix. */
static void subst(struct buf *b, const char *t, int i, const char *md)
{
	while (*t != '\0') {
		if (strncmp(t, "{i}", 3) == 0) {
			ck_assert_int_eq(buf_printf(b, "%d", i), TL_OK);
			t += 3;
		} else if (strncmp(t, "{md}", 4) == 0) {
			ck_assert_int_eq(buf_puts(b, md), TL_OK);
			t += 4;
		} else {
			ck_assert_int_eq(buf_append(b, t, 1), TL_OK);
			t++;
		}
	}
}

/*
 * EntityDescriptors in many namespace styles; each has entityID
 * https://e{i}.example.org/sp.  {md} is "md:" or "" (default namespace root).
 */
static const char *const entity_styles[] = {
	/* md: declared on the root, mdui from the root used deep inside, xml:lang, & */
	"<{md}EntityDescriptor entityID='https://e{i}.example.org/sp'>\n"
	"    <{md}Extensions><mdui:UIInfo><mdui:DisplayName xml:lang='en'>SP {i}</mdui:DisplayName>"
	"<mdui:DisplayName xml:lang='de'>Universit\xc3\xa4t Z\xc3\xbcrich \xe2\x9c\x93</mdui:DisplayName>"
	"</mdui:UIInfo><x:wrap xmlns:x='urn:x:wrap'><{md}Inner/></x:wrap></{md}Extensions>\n"
	"    <{md}SPSSODescriptor protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol'>\n"
	"      <{md}AssertionConsumerService Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' "
	"Location='https://e{i}.example.org/acs?a=1&amp;b=2' index='0'/>\n"
	"    </{md}SPSSODescriptor>\n"
	"  </{md}EntityDescriptor>",
	/* its own default namespace */
	"<EntityDescriptor xmlns='" NS_MD "' entityID='https://e{i}.example.org/sp'>"
	"<SPSSODescriptor protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol'>"
	"<AssertionConsumerService Binding='b' Location='https://x/{i}' index='1'/>"
	"</SPSSODescriptor></EntityDescriptor>",
	/* comments, CDATA, character references in text and attributes, blanks, PIs */
	"<{md}EntityDescriptor entityID='https://e{i}.example.org/sp' ID='_e{i}'>\n"
	"\t<!-- a comment -->\n"
	"\t<{md}Extensions><x:Data xmlns:x='urn:x:data' note='tab&#9;nl&#10;cr&#13;q&quot;lt&lt;gt&gt;amp&amp;'>"
	"text &lt;&gt; &amp; &#xD; crlf&#13;&#10; <![CDATA[cdata <&> ]]>]]&gt; end</x:Data>\n"
	"\t   <x:Empty xmlns:x='urn:x:data'/>  <?pi-in-entity some data?><?bare?>\n"
	"\t</{md}Extensions>\n"
	"\t<{md}Organization><{md}OrganizationName xml:lang='en'>Org &amp; Co</{md}OrganizationName>"
	"<{md}OrganizationDisplayName xml:lang='en'>Org</{md}OrganizationDisplayName>"
	"<{md}OrganizationURL xml:lang='en'>https://o/</{md}OrganizationURL></{md}Organization>\n"
	"</{md}EntityDescriptor>",
	/* xmlns="" undeclarations, unprefixed attributes on prefixed elements */
	"<{md}EntityDescriptor entityID='https://e{i}.example.org/sp'><{md}Extensions>"
	"<foo xmlns='' a='1'><bar><baz xmlns='urn:baz'><q xmlns=''/></baz></bar></foo>"
	"<p:x xmlns:p='urn:p' attr='v'><p:y plain='1'/></p:x></{md}Extensions></{md}EntityDescriptor>",
	/* redundant and unused declarations, a prefix rebound deeper, remd on an attribute */
	"<{md}EntityDescriptor xmlns:md='" NS_MD "' xmlns:unused='urn:unused' "
	"entityID='https://e{i}.example.org/sp'><{md}Extensions><x:A xmlns:x='urn:a'>"
	"<x:B xmlns:x='urn:b' x:att='1'/><x:C/></x:A></{md}Extensions>"
	"<{md}ContactPerson contactType='technical' remd:contactType='http://refeds.org/metadata/contactType/security' "
	"xmlns:remd='http://refeds.org/metadata'><{md}EmailAddress>mailto:a@b</{md}EmailAddress>"
	"</{md}ContactPerson></{md}EntityDescriptor>",
	/* attributes to sort across namespaces; ds and shibmd from the root */
	"<{md}EntityDescriptor entityID='https://e{i}.example.org/sp' b='1' a='2' z:c='3' y:c='4' y:a='5' "
	"xmlns:z='urn:zz:b' xmlns:y='urn:zz:a' xmlns:s1='urn:same' xmlns:s2='urn:same' s2:b='1' s1:c='3' "
	"s1:a='2'><{md}IDPSSODescriptor "
	"protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol' WantAuthnRequestsSigned='false'>"
	"<{md}Extensions><shibmd:Scope regexp='false'>example.org</shibmd:Scope></{md}Extensions>"
	"<{md}KeyDescriptor use='signing'><ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIB\nAAAA"
	"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></{md}KeyDescriptor>"
	"<{md}SingleSignOnService Binding='urn:b' Location='https://idp/{i}'/></{md}IDPSSODescriptor>"
	"</{md}EntityDescriptor>",
	/* xsi:type from the root; ds redeclared on the entity */
	"<{md}EntityDescriptor entityID='https://e{i}.example.org/sp' xmlns:ds='" NS_DS "'>"
	"<{md}RoleDescriptor xsi:type='fed:ApplicationServiceType' "
	"xmlns:fed='http://docs.oasis-open.org/wsfed/federation/200706' protocolSupportEnumeration='urn:x'>"
	"<{md}KeyDescriptor><ds:KeyInfo><ds:KeyName>k</ds:KeyName></ds:KeyInfo></{md}KeyDescriptor>"
	"</{md}RoleDescriptor></{md}EntityDescriptor>",
	/* another prefix for the metadata namespace */
	"<m:EntityDescriptor xmlns:m='" NS_MD "' entityID='https://e{i}.example.org/sp'><m:Extensions>"
	"<mdui:UIInfo xmlns:mdui='urn:oasis:names:tc:SAML:metadata:ui'><mdui:Logo height='16' width='16'>"
	"https://l/</mdui:Logo></mdui:UIInfo></m:Extensions></m:EntityDescriptor>",
};
#define NSTYLES ((int)(sizeof(entity_styles) / sizeof(entity_styles[0])))

#define ROOT_NS                                                                                \
	"xmlns:mdui='urn:oasis:names:tc:SAML:metadata:ui' xmlns:shibmd='urn:mace:shibboleth:metadata:1.0' " \
	"xmlns:ds='" NS_DS "' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"

/* Root start tags: md: prefix; default namespace; declarations in odd places. */
static const char *const root_styles[] = {
	"<md:EntitiesDescriptor xmlns:md='" NS_MD "' " ROOT_NS " ID='_agg' Name='urn:fed:test' "
	"validUntil='2030-01-02T03:04:05Z' cacheDuration='PT6H'>",
	"<EntitiesDescriptor xmlns='" NS_MD "' " ROOT_NS " Name='urn:fed:test' ID='_agg'>",
	"<md:EntitiesDescriptor xmlns:unused='urn:unused' " ROOT_NS " xmlns:md='" NS_MD "' "
	"xml:lang='en' ext:flag='1' xmlns:ext='urn:ext' ID='_agg' Name='urn:fed:test'>",
};

struct agg {
	int root;                 /* root_styles index */
	const char *c14n;         /* the Reference's C14N transform, NULL for none */
	const char *prefixes;     /* its InclusiveNamespaces PrefixList */
	const char *si_c14n;      /* SignedInfo's CanonicalizationMethod */
	const char *si_prefixes;
	const char *uri;          /* Reference URI */
	const char *digest;
	const char *sigalg;
	int nested;               /* add a nested EntitiesDescriptor */
	int outside;              /* PIs and comments outside the root element */
	int crlf;                 /* CRLF line ends */
	const char *before_sig;   /* content between the root start and the signature */
	const char *after_sig;    /* content right after the signature */
	const char *extra_ref;    /* a second Reference */
	const char *extra_transform;
	int sig_in_extensions;    /* put the signature in the root's md:Extensions */
	int nentities;            /* how many entities (cycling the styles); 0: one per style */
	const char *body;         /* replaces the generated entities */
};

static void agg_defaults(struct agg *a)
{
	memset(a, 0, sizeof(*a));
	a->c14n = EXC;
	a->si_c14n = EXC;
	a->uri = "";
	a->digest = SHA256;
	a->sigalg = RSA_SHA256;
}

static void append_inclusive(struct buf *b, const char *prefixes)
{
	if (prefixes != NULL)
		ck_assert_int_eq(buf_printf(b, "<ec:InclusiveNamespaces xmlns:ec='" EXC "' PrefixList='%s'/>",
		                            prefixes), TL_OK);
}

/* Build the template; expected entityIDs go to exp. */
static char *agg_build(const struct agg *a, struct seen *exp, size_t *len)
{
	const char *md = a->root == 1 ? "" : "md:";
	struct buf b, sig;
	int n = a->nentities > 0 ? a->nentities : NSTYLES, id = 0;

	memset(exp, 0, sizeof(*exp));
	buf_init(&b, 64 << 20);
	buf_init(&sig, 1 << 20);
	ck_assert_int_eq(buf_puts(&sig, "<ds:Signature xmlns:ds='" NS_DS "'><ds:SignedInfo>"), TL_OK);
	ck_assert_int_eq(buf_printf(&sig, "<ds:CanonicalizationMethod Algorithm='%s'>", a->si_c14n), TL_OK);
	append_inclusive(&sig, a->si_prefixes);
	ck_assert_int_eq(buf_printf(&sig, "</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm='%s'/>"
	                                  "\n<ds:Reference URI='%s'><ds:Transforms>"
	                                  "<ds:Transform Algorithm='" NS_DS "enveloped-signature'/>",
	                            a->sigalg, a->uri), TL_OK);
	if (a->c14n != NULL) {
		ck_assert_int_eq(buf_printf(&sig, "<ds:Transform Algorithm='%s'>", a->c14n), TL_OK);
		append_inclusive(&sig, a->prefixes);
		ck_assert_int_eq(buf_puts(&sig, "</ds:Transform>"), TL_OK);
	}
	if (a->extra_transform != NULL)
		ck_assert_int_eq(buf_puts(&sig, a->extra_transform), TL_OK);
	ck_assert_int_eq(buf_printf(&sig, "</ds:Transforms><ds:DigestMethod Algorithm='%s'/>"
	                                  "<ds:DigestValue></ds:DigestValue></ds:Reference>%s"
	                                  "</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>",
	                            a->digest, a->extra_ref != NULL ? a->extra_ref : ""), TL_OK);

	ck_assert_int_eq(buf_puts(&b, "<?xml version='1.0' encoding='UTF-8'?>\n"), TL_OK);
	if (a->outside)
		ck_assert_int_eq(buf_puts(&b, "<?xml-stylesheet href='a.xsl'?>\n<!-- top -->\n"), TL_OK);
	ck_assert_int_eq(buf_printf(&b, "%s\n%s  ", root_styles[a->root],
	                            a->before_sig != NULL ? a->before_sig : ""), TL_OK);
	if (a->sig_in_extensions)
		ck_assert_int_eq(buf_printf(&b, "<%sExtensions>%s</%sExtensions>", md, sig.data, md), TL_OK);
	else
		ck_assert_int_eq(buf_puts(&b, sig.data), TL_OK);
	ck_assert_int_eq(buf_printf(&b, "\n%s", a->after_sig != NULL ? a->after_sig : ""), TL_OK);
	if (a->root == 2)
		ck_assert_int_eq(buf_puts(&b, "  <md:Extensions><x:Reg xmlns:x='urn:x:reg' authority='https://fed/'>"
		                              "  <x:Policy xml:lang='en'>https://fed/p</x:Policy></x:Reg></md:Extensions>\n"),
		                 TL_OK);
	if (a->body != NULL) {
		ck_assert_int_eq(buf_puts(&b, a->body), TL_OK);
	} else {
		for (int i = 0; i < n; i++, id++) {
			ck_assert_int_eq(buf_puts(&b, "  "), TL_OK);
			subst(&b, entity_styles[i % NSTYLES], id, md);
			ck_assert_int_eq(buf_puts(&b, "\n"), TL_OK);
			if (exp->n < MAX_SEEN)
				snprintf(exp->ids[exp->n++], sizeof(exp->ids[0]), "https://e%d.example.org/sp", id);
		}
	}
	if (a->nested) {
		ck_assert_int_eq(buf_printf(&b, "  <%sEntitiesDescriptor Name='nested'><!-- n -->\n", md), TL_OK);
		for (int i = 0; i < 3; i++, id++) {
			ck_assert_int_eq(buf_puts(&b, "    "), TL_OK);
			subst(&b, entity_styles[(i * 3 + 2) % NSTYLES], id, md);
			ck_assert_int_eq(buf_puts(&b, "\n"), TL_OK);
			snprintf(exp->ids[exp->n++], sizeof(exp->ids[0]), "https://e%d.example.org/sp", id);
		}
		ck_assert_int_eq(buf_printf(&b, "  </%sEntitiesDescriptor>\n", md), TL_OK);
	}
	ck_assert_int_eq(buf_printf(&b, "</%sEntitiesDescriptor>\n", md), TL_OK);
	if (a->outside)
		ck_assert_int_eq(buf_puts(&b, "<!-- after -->\n<?after-root x?>\n"), TL_OK);
	buf_free(&sig);
	if (a->crlf) {
		struct buf c;
		buf_init(&c, 128 << 20);
		for (size_t i = 0; i < b.len; i++) {
			if (b.data[i] == '\n')
				ck_assert_int_eq(buf_append(&c, "\r", 1), TL_OK);
			ck_assert_int_eq(buf_append(&c, &b.data[i], 1), TL_OK);
		}
		buf_free(&b);
		b = c;
	}
	return buf_steal(&b, len);
}

static const char *xmlsec1(void)
{
	const char *p = getenv("XMLSEC1");

	return p != NULL && *p != '\0' ? p : "xmlsec1";
}

/* Sign the template with the real xmlsec1; returns the signed file's path (free()). */
static char *xmlsec_sign(const char *name, const char *tmpl, size_t len, const char *key)
{
	char *in, *out, *cmd;
	char tname[256];
	int rc;

	snprintf(tname, sizeof(tname), "%s.tmpl", name);
	in = tlt_write(dir, tname, tmpl, len);
	ck_assert(asprintf(&out, "%s/%s", dir, name) > 0);
	ck_assert(asprintf(&cmd,
	                   "'%s' --sign --privkey-pem '%s' --id-attr:ID " NS_MD ":EntitiesDescriptor "
	                   "--id-attr:ID " NS_MD ":EntityDescriptor --output '%s' '%s' 2>'%s.err'",
	                   xmlsec1(), key, out, in, out) > 0);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "xmlsec1 --sign failed (%d) for %s: see %s.err", rc, name, out);
	free(cmd);
	free(in);
	return out;
}

/* Is the signed file also valid for xmlsec1 itself? */
static int xmlsec_verify(const char *path, const char *cert)
{
	char *cmd;
	int rc;

	ck_assert(asprintf(&cmd,
	                   "'%s' --verify --pubkey-cert-pem '%s' --id-attr:ID " NS_MD
	                   ":EntitiesDescriptor '%s' >/dev/null 2>&1",
	                   xmlsec1(), cert, path) > 0);
	rc = system(cmd);
	free(cmd);
	return rc == 0;
}

static EVP_PKEY *trust(const char *path)
{
	struct tl_err err;
	EVP_PKEY *k = sigv_load_trust(path, &err);

	ck_assert_msg(k != NULL, "%s", err.msg);
	return k;
}

static void opts_default(struct sigv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_bytes = 64 << 20;
	o->max_entities = 1000;
	o->max_entity_bytes = 1 << 20;
	o->max_depth = 64;
}

/* Verify path with the trust key in cert; fills got and res. */
static int verify(const char *path, const char *cert, const struct sigv_opts *o, struct seen *got,
                  struct sigv_result *res, struct tl_err *err)
{
	EVP_PKEY *k = trust(cert);
	struct sigv_opts def;
	int rc;

	if (o == NULL) {
		opts_default(&def);
		o = &def;
	}
	tl_err_clear(err);
	rc = sigv_verify_file(path, k, o, collect, got, res, err);
	EVP_PKEY_free(k);
	return rc;
}

static void assert_seen(const struct seen *got, const struct seen *exp)
{
	ck_assert_int_eq(got->n, exp->n);
	for (int i = 0; i < exp->n && i < MAX_SEEN; i++)
		ck_assert_str_eq(got->ids[i], exp->ids[i]);
}

/* Sign a, verify it with sigv; expect TL_OK and every entity seen. */
static void sign_and_verify(const char *name, const struct agg *a, const char *key, const char *cert,
                            const struct sigv_opts *o)
{
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	size_t len;
	char *tmpl = agg_build(a, &exp, &len);
	char *path = xmlsec_sign(name, tmpl, len, key);
	int rc;

	memset(&got, 0, sizeof(got));
	rc = verify(path, cert, o, &got, &res, &err);
	ck_assert_msg(rc == TL_OK, "%s: %s (c14n %s, SignedInfo %s, URI '%s')", name, err.msg,
	              a->c14n ? a->c14n : "none", a->si_c14n, a->uri);
	assert_seen(&got, &exp);
	ck_assert_uint_eq(res.entities, (size_t)exp.n);
	ck_assert_str_eq(res.c14n_method, a->c14n != NULL ? a->c14n : INC);
	ck_assert_str_eq(res.sig_method, a->sigalg);
	sigv_result_free(&res);
	free(path);
	free(tmpl);
}

/* Sign a and return the path; the test then tampers with it. */
static char *signed_agg(const char *name, const struct agg *a, struct seen *exp)
{
	size_t len;
	char *tmpl = agg_build(a, exp, &len);
	char *path = xmlsec_sign(name, tmpl, len, rsa_key);

	free(tmpl);
	return path;
}

static char *write_str(const char *name, const char *s)
{
	return tlt_write(dir, name, s, strlen(s));
}

static char *slurp(const char *path, size_t *len)
{
	char *p;
	struct tl_err err;

	ck_assert_msg(util_read_file(path, 256 << 20, &p, len, &err) == TL_OK, "%s", err.msg);
	return p;
}

/* Replace the first occurrence of from by to in the file (sizes may differ). */
static void file_replace(const char *path, const char *from, const char *to)
{
	size_t len;
	char *p = slurp(path, &len), *at = strstr(p, from);
	FILE *f;

	ck_assert_msg(at != NULL, "'%s' not found in %s", from, path);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(p, 1, (size_t)(at - p), f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	fclose(f);
	free(p);
}

static void expect_fail(const char *path, const char *cert, const struct sigv_opts *o, int code,
                        const char *substr)
{
	struct seen got;
	struct sigv_result res;
	struct tl_err err;
	int rc;

	memset(&got, 0, sizeof(got));
	rc = verify(path, cert, o, &got, &res, &err);
	ck_assert_msg(rc == code, "%s: expected %s, got %s: %s", path, tl_strerror(code), tl_strerror(rc),
	              err.msg);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(strstr(err.msg, substr) != NULL, "message '%s' lacks '%s'", err.msg, substr);
	sigv_result_free(&res);
}

/* ---- byte-exactness against xmlsec1 ------------------------------------ */

START_TEST(sigv_matches_xmlsec_c14n)
{
	static const struct {
		const char *c14n, *prefixes;
	} refs[] = {
		{ EXC, NULL }, { EXC_C, NULL }, { INC, NULL }, { INC_C, NULL }, { NULL, NULL },
		{ EXC, "md ds #default" }, { EXC_C, "xsi mdui" },
	};
	static const struct {
		const char *c14n, *prefixes;
	} sis[] = { { EXC, NULL }, { INC_C, NULL }, { EXC_C, "ds md" }, { INC, NULL }, { EXC, "#default" } };
	static const char *const digests[] = { SHA256, SHA384, SHA512 };
	int k = 0;

	for (int root = 0; root < 3; root++) {
		for (size_t r = 0; r < sizeof(refs) / sizeof(refs[0]); r++) {
			for (int u = 0; u < 2; u++, k++) {
				struct agg a;
				char name[64];

				agg_defaults(&a);
				a.root = root;
				a.c14n = refs[r].c14n;
				a.prefixes = refs[r].prefixes;
				a.si_c14n = sis[k % 5].c14n;
				a.si_prefixes = sis[k % 5].prefixes;
				a.uri = u ? "#_agg" : "";
				a.digest = digests[k % 3];
				a.nested = k % 2;
				a.outside = (k / 2) % 2;
				a.crlf = k % 7 == 3;
				a.before_sig = k % 4 == 1 ? "<!-- before --><?pi before?>\n  " : NULL;
				snprintf(name, sizeof(name), "agg-%d.xml", k);
				sign_and_verify(name, &a, rsa_key, rsa_cert, NULL);
			}
		}
	}
}
END_TEST

/* Text and attribute values larger than the digest chunk, an ISO-8859-1 file. */
START_TEST(sigv_matches_xmlsec_big_and_latin1)
{
	struct agg a;
	struct buf body;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	char *path;
	static const char latin1[] =
		"<?xml version='1.0' encoding='ISO-8859-1'?>\n"
		"<md:EntitiesDescriptor xmlns:md='" NS_MD "' ID='_agg'>"
		"<ds:Signature xmlns:ds='" NS_DS "'><ds:SignedInfo>"
		"<ds:CanonicalizationMethod Algorithm='" INC "'/>"
		"<ds:SignatureMethod Algorithm='" RSA_SHA256 "'/><ds:Reference URI='#_agg'><ds:Transforms>"
		"<ds:Transform Algorithm='" NS_DS "enveloped-signature'/><ds:Transform Algorithm='" INC "'/>"
		"</ds:Transforms><ds:DigestMethod Algorithm='" SHA256 "'/><ds:DigestValue/></ds:Reference>"
		"</ds:SignedInfo><ds:SignatureValue/></ds:Signature>"
		"<md:EntityDescriptor entityID='https://z\xfcrich.example.org/'>Z\xfcrich \xdf</md:EntityDescriptor>"
		"</md:EntitiesDescriptor>";

	buf_init(&body, 8 << 20);
	ck_assert_int_eq(buf_puts(&body, "<md:EntityDescriptor entityID='https://big.example.org/' a='"), TL_OK);
	for (int i = 0; i < 20000; i++)
		ck_assert_int_eq(buf_puts(&body, i % 1000 == 0 ? "&amp;&#10;" : "abcde"), TL_OK);
	ck_assert_int_eq(buf_puts(&body, "'>"), TL_OK);
	for (int i = 0; i < 60000; i++)
		ck_assert_int_eq(buf_puts(&body, i % 999 == 0 ? "&lt;&#13;" : "fghij"), TL_OK);
	ck_assert_int_eq(buf_puts(&body, "<![CDATA["), TL_OK);
	for (int i = 0; i < 30000; i++)
		ck_assert_int_eq(buf_puts(&body, "<&>\"'"), TL_OK);
	ck_assert_int_eq(buf_puts(&body, "]]></md:EntityDescriptor>\n"), TL_OK);
	agg_defaults(&a);
	a.body = body.data;
	path = signed_agg("big.xml", &a, &exp);
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, NULL, &got, &res, &err) == TL_OK, "%s", err.msg);
	ck_assert_int_eq(got.n, 1);
	ck_assert_str_eq(got.ids[0], "https://big.example.org/");
	sigv_result_free(&res);
	free(path);
	buf_free(&body);

	path = xmlsec_sign("latin1.xml", latin1, sizeof(latin1) - 1, rsa_key);
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, NULL, &got, &res, &err) == TL_OK, "%s", err.msg);
	ck_assert_int_eq(got.n, 1);
	ck_assert_str_eq(got.ids[0], "https://z\xc3\xbcrich.example.org/");
	sigv_result_free(&res);
	free(path);
}
END_TEST

/* Comments are outside a same-document Reference, even #WithComments (as for xmlsec1). */
START_TEST(sigv_comments_not_signed)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	char *path;

	agg_defaults(&a);
	a.c14n = EXC_C;
	a.outside = 1;
	path = signed_agg("comments.xml", &a, &exp);
	file_replace(path, "<!-- a comment -->", "<!-- another comment, longer -->");
	file_replace(path, "<!-- top -->", "<!-- top changed -->");
	ck_assert(xmlsec_verify(path, rsa_cert));
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, NULL, &got, &res, &err) == TL_OK, "%s", err.msg);
	assert_seen(&got, &exp);
	sigv_result_free(&res);
	/* but a PI outside the root is covered by URI="" */
	file_replace(path, "<?after-root x?>", "<?after-root y?>");
	ck_assert(!xmlsec_verify(path, rsa_cert));
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "does not match its ds:DigestValue");
	free(path);
}
END_TEST

/* ---- results, keys, algorithms ----------------------------------------- */

START_TEST(sigv_fills_result)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	time_t t;
	char *path;

	agg_defaults(&a);
	a.nested = 1;
	path = signed_agg("result.xml", &a, &exp);
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, NULL, &got, &res, &err) == TL_OK, "%s", err.msg);
	ck_assert_str_eq(res.name, "urn:fed:test");
	ck_assert_str_eq(res.id, "_agg");
	ck_assert_str_eq(res.valid_until, "2030-01-02T03:04:05Z");
	ck_assert_int_eq(util_time_parse("2030-01-02T03:04:05Z", &t), 0);
	ck_assert(res.valid_until_t == t);
	ck_assert_str_eq(res.cache_duration, "PT6H");
	ck_assert_uint_eq(res.entities, (size_t)NSTYLES + 3);
	ck_assert_int_eq(res.used_sha1, 0);
	ck_assert_str_eq(res.c14n_method, EXC);
	ck_assert_str_eq(res.sig_method, RSA_SHA256);
	sigv_result_free(&res);
	ck_assert_ptr_null(res.name);
	ck_assert_uint_eq(res.entities, 0);
	sigv_result_free(&res);
	free(path);
}
END_TEST

START_TEST(sigv_ecdsa_p256)
{
	struct agg a;

	agg_defaults(&a);
	a.sigalg = ECDSA_SHA256;
	a.nested = 1;
	sign_and_verify("ec.xml", &a, ec_key, ec_pub, NULL);
	a.si_c14n = INC;
	a.uri = "#_agg";
	sign_and_verify("ec2.xml", &a, ec_key, ec_pub, NULL);
}
END_TEST

START_TEST(sigv_key_type_mismatch)
{
	struct agg a;
	struct seen exp;
	size_t len;
	char *tmpl, *path;

	agg_defaults(&a);
	a.sigalg = ECDSA_SHA256;
	tmpl = agg_build(&a, &exp, &len);
	path = xmlsec_sign("ec.xml", tmpl, len, ec_key);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "does not match the trust key");
	free(path);
	free(tmpl);
}
END_TEST

START_TEST(sigv_sha1_needs_allow)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct sigv_opts o;
	struct tl_err err;
	char *path;

	agg_defaults(&a);
	a.digest = SHA1;
	a.sigalg = RSA_SHA1;
	path = signed_agg("sha1.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "SHA-1 is refused; use --allow-sha1");
	opts_default(&o);
	o.allow_sha1 = 1;
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, &o, &got, &res, &err) == TL_OK, "%s", err.msg);
	ck_assert_int_eq(res.used_sha1, 1);
	assert_seen(&got, &exp);
	sigv_result_free(&res);
	free(path);

	/* a SHA-1 digest alone is refused too */
	a.sigalg = RSA_SHA256;
	path = signed_agg("sha1-digest.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "DigestMethod uses SHA-1: SHA-1 is refused");
	free(path);
}
END_TEST

START_TEST(sigv_loads_trust)
{
	struct tl_err err;
	EVP_PKEY *k;
	char *p;

	k = sigv_load_trust(rsa_cert, &err);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
	EVP_PKEY_free(k);
	k = sigv_load_trust(ec_pub, &err);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	EVP_PKEY_free(k);
	p = tlt_write(dir, "missing-is-not-here", "", 0);
	unlink(p);
	ck_assert_ptr_null(sigv_load_trust(p, &err));
	ck_assert_int_eq(err.code, TL_ENOENT);
	free(p);
	p = tlt_write(dir, "garbage.pem", "not a certificate\n", 18);
	ck_assert_ptr_null(sigv_load_trust(p, &err));
	ck_assert_int_eq(err.code, TL_ECRYPTO);
	ck_assert(strstr(err.msg, "garbage.pem") != NULL);
	free(p);
}
END_TEST

/* ---- signatures that must be refused ------------------------------------ */

START_TEST(sigv_detects_changed_byte)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	char *path;

	agg_defaults(&a);
	a.nested = 1;
	path = signed_agg("changed.xml", &a, &exp);
	file_replace(path, "Org &amp; Co", "Org &amp; Cp");
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(verify(path, rsa_cert, NULL, &got, &res, &err), TL_ESIG);
	ck_assert(strstr(err.msg, "does not match its ds:DigestValue") != NULL);
	/* the verdict comes at the end: every entity streamed by first */
	ck_assert_int_eq(got.n, exp.n);
	sigv_result_free(&res);
	free(path);

	/* one byte in an attribute value of a nested entity */
	path = signed_agg("changed2.xml", &a, &exp);
	file_replace(path, "entityID=\"https://e10.example.org/sp\"", "entityID=\"https://e10.example.org/sq\"");
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "does not match its ds:DigestValue");
	free(path);

	/* and in SignedInfo: the signature value no longer verifies */
	path = signed_agg("changed3.xml", &a, &exp);
	file_replace(path, "URI=\"\"", "URI=\"\" Id=\"x\"");
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "does not verify with the trust key");
	free(path);
}
END_TEST

START_TEST(sigv_refuses_wrong_key)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	char *path;

	agg_defaults(&a);
	path = signed_agg("wrongkey.xml", &a, &exp);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(verify(path, other_cert, NULL, &got, &res, &err), TL_ESIG);
	ck_assert(strstr(err.msg, "does not verify with the trust key") != NULL);
	/* refused before any entity is streamed */
	ck_assert_int_eq(got.n, 0);
	sigv_result_free(&res);
	free(path);
}
END_TEST

START_TEST(sigv_refuses_missing_signature)
{
	struct seen exp;
	size_t len;
	char *tmpl, *path, *p;
	struct agg a;

	agg_defaults(&a);
	tmpl = agg_build(&a, &exp, &len);
	/* cut the signature out of the template */
	p = strstr(tmpl, "<ds:Signature");
	memmove(p, strstr(p, "</ds:Signature>") + strlen("</ds:Signature>"),
	        strlen(strstr(p, "</ds:Signature>") + strlen("</ds:Signature>")) + 1);
	path = tlt_write(dir, "unsigned.xml", tmpl, strlen(tmpl));
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "the aggregate is not signed");
	free(path);
	path = write_str("empty-root.xml", "<EntitiesDescriptor xmlns='" NS_MD "'/>");
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "not signed");
	free(path);
	free(tmpl);
}
END_TEST

START_TEST(sigv_refuses_wrapped_signature)
{
	struct agg a;
	struct seen exp;
	size_t len;
	char *path, *doc, *s, *e, *sig;

	agg_defaults(&a);
	path = signed_agg("wrapped.xml", &a, &exp);
	doc = slurp(path, &len);
	s = strstr(doc, "<ds:Signature");
	e = strstr(doc, "</ds:Signature>") + strlen("</ds:Signature>");
	sig = strndup(s, (size_t)(e - s));
	/* a copy of the valid signature as a second child of the root */
	{
		struct buf b;
		buf_init(&b, len * 2 + 1);
		ck_assert_int_eq(buf_append(&b, doc, (size_t)(e - doc)), TL_OK);
		ck_assert_int_eq(buf_puts(&b, sig), TL_OK);
		ck_assert_int_eq(buf_puts(&b, e), TL_OK);
		free(tlt_write(dir, "wrapped.xml", b.data, b.len));
		buf_free(&b);
	}
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "a second ds:Signature");
	free(sig);
	free(doc);
	free(path);

	/* the signature inside an Extensions element instead of the root */
	agg_defaults(&a);
	a.sig_in_extensions = 1;
	path = signed_agg("nested-sig.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "not signed");
	free(path);

	/* content before the signature */
	agg_defaults(&a);
	a.before_sig = "<md:Extensions/>";
	path = signed_agg("late-sig.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "must be the first child of the root element");
	free(path);

	/* a signature inside a nested EntitiesDescriptor */
	agg_defaults(&a);
	path = signed_agg("inner-sig.xml", &a, &exp);
	doc = slurp(path, &len);
	s = strstr(doc, "<ds:Signature");
	e = strstr(doc, "</ds:Signature>") + strlen("</ds:Signature>");
	sig = strndup(s, (size_t)(e - s));
	free(doc);
	{
		struct buf b;
		buf_init(&b, 1 << 16);
		ck_assert_int_eq(buf_printf(&b, "<md:EntitiesDescriptor>%s</md:EntitiesDescriptor>\n</md:EntitiesDescriptor>",
		                            sig), TL_OK);
		file_replace(path, "</md:EntitiesDescriptor>", b.data);
		buf_free(&b);
	}
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "is not a child of the root element");
	free(sig);
	free(path);
}
END_TEST

START_TEST(sigv_refuses_other_references)
{
	struct agg a;
	struct seen exp;
	char *path;

	/* a Reference to an entity's ID, as xmlsec1 signs it */
	agg_defaults(&a);
	a.uri = "#_e2";
	path = signed_agg("ref-entity.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "does not point to the root element");
	free(path);

	/* two References */
	agg_defaults(&a);
	a.extra_ref = "<ds:Reference URI='#_agg'><ds:Transforms><ds:Transform Algorithm='" NS_DS
	              "enveloped-signature'/></ds:Transforms><ds:DigestMethod Algorithm='" SHA256
	              "'/><ds:DigestValue/></ds:Reference>";
	path = signed_agg("two-refs.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "more than one ds:Reference");
	free(path);

	/* an XPath transform */
	agg_defaults(&a);
	a.c14n = NULL;
	a.extra_transform = "<ds:Transform Algorithm='http://www.w3.org/TR/1999/REC-xpath-19991116'>"
	                    "<ds:XPath>not(ancestor-or-self::md:Organization)</ds:XPath></ds:Transform>";
	path = signed_agg("xpath.xml", &a, &exp);
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "REC-xpath-19991116 is not accepted");
	free(path);

	/* no enveloped-signature transform first */
	agg_defaults(&a);
	path = signed_agg("no-enveloped.xml", &a, &exp);
	file_replace(path, "<ds:Transform Algorithm=\"" NS_DS "enveloped-signature\"/>", "");
	expect_fail(path, rsa_cert, NULL, TL_ESIG, "must be enveloped-signature");
	free(path);
}
END_TEST

START_TEST(sigv_refuses_relative_namespace)
{
	expect_fail(tlt_data_path("sigv/relative-namespace.xml"), rsa_cert, NULL, TL_ESIG, "is relative");
}
END_TEST

/* ---- hostile and broken files ------------------------------------------- */

/* Run f with stderr going to a file; fail if anything was written to it. */
static void quiet_expect_fail(const char *path, int code, const char *substr)
{
	char errpath[4200];
	struct stat sb;
	int saved, fd;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	expect_fail(path, rsa_cert, NULL, code, substr);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(stat(errpath, &sb), 0);
	ck_assert_msg(sb.st_size == 0, "libxml2 wrote to stderr for %s", path);
}

START_TEST(sigv_refuses_doctype)
{

	/* refused at the DOCTYPE, before any entity could expand */
	quiet_expect_fail(tlt_data_path("sigv/billion-laughs.xml"), TL_EPARSE, "DOCTYPE not allowed");
	quiet_expect_fail(tlt_data_path("sigv/external-entity.xml"), TL_EPARSE, "line 3: DOCTYPE not allowed");
}
END_TEST

START_TEST(sigv_refuses_broken_files)
{
	struct agg a;
	struct seen exp;
	size_t len;
	char *path, *doc, *p;

	p = write_str("empty.xml", "");
	quiet_expect_fail(p, TL_EPARSE, "empty");
	free(p);
	p = write_str("garbage.xml", "garbage\n");
	quiet_expect_fail(p, TL_EPARSE, "not well-formed");
	free(p);
	p = write_str("undefined.xml", "<md:EntitiesDescriptor xmlns:md='" NS_MD "'>&foo;</md:EntitiesDescriptor>");
	quiet_expect_fail(p, TL_EPARSE, "line 1");
	free(p);
	quiet_expect_fail(tlt_data_path("sigv/root-entity.xml"), TL_ESCHEMA,
	                  "not an EntitiesDescriptor: found <md:EntityDescriptor>");
	quiet_expect_fail(tlt_data_path("sigv/no-such-file.xml"), TL_ENOENT, "no-such-file.xml");

	/* truncated anywhere after the signature */
	agg_defaults(&a);
	a.nested = 1;
	path = signed_agg("full.xml", &a, &exp);
	doc = slurp(path, &len);
	for (size_t cut = strstr(doc, "</ds:Signature>") - doc; cut < len - 30; cut += 97) {
		p = tlt_write(dir, "truncated.xml", doc, cut);
		quiet_expect_fail(p, TL_EPARSE, "not well-formed XML");
		free(p);
	}
	p = tlt_write(dir, "truncated.xml", doc, (size_t)(strstr(doc, "</md:EntityDescriptor>") - doc));
	quiet_expect_fail(p, TL_EPARSE, "the file ends before the root element is closed (truncated?)");
	free(p);
	free(doc);
	free(path);
}
END_TEST

/* ---- limits and the callback ------------------------------------------- */

START_TEST(sigv_enforces_limits)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct sigv_opts o;
	struct tl_err err;
	struct stat sb;
	char *path;

	agg_defaults(&a);
	a.nested = 1;
	path = signed_agg("limits.xml", &a, &exp);
	ck_assert_int_eq(stat(path, &sb), 0);

	opts_default(&o);
	o.max_bytes = (size_t)sb.st_size;
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, &o, &got, &res, &err) == TL_OK, "%s", err.msg);
	sigv_result_free(&res);
	o.max_bytes = (size_t)sb.st_size - 1;
	expect_fail(path, rsa_cert, &o, TL_ELIMIT, "larger than max_bytes");

	opts_default(&o);
	o.max_entities = (size_t)exp.n;
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, &o, &got, &res, &err) == TL_OK, "%s", err.msg);
	sigv_result_free(&res);
	o.max_entities = (size_t)exp.n - 1;
	expect_fail(path, rsa_cert, &o, TL_ELIMIT, "more than max_entities");

	opts_default(&o);
	o.max_depth = 3;
	expect_fail(path, rsa_cert, &o, TL_ELIMIT, "deeper than max_depth (3)");
	free(path);
}
END_TEST

START_TEST(sigv_oversized_entity_rejected_alone)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct sigv_opts o;
	struct tl_err err;
	struct buf body;
	char *path;

	buf_init(&body, 1 << 20);
	ck_assert_int_eq(buf_puts(&body, "<md:EntityDescriptor entityID='https://small1.example.org/'/>\n"
	                                 "<md:EntityDescriptor entityID='https://big.example.org/'>"), TL_OK);
	for (int i = 0; i < 500; i++)
		ck_assert_int_eq(buf_puts(&body, "<md:Extensions>x</md:Extensions>"), TL_OK);
	ck_assert_int_eq(buf_puts(&body, "</md:EntityDescriptor>\n"
	                                 "<md:EntityDescriptor entityID='https://small2.example.org/'/>\n"), TL_OK);
	agg_defaults(&a);
	a.body = body.data;
	path = signed_agg("oversize.xml", &a, &exp);
	opts_default(&o);
	o.max_entity_bytes = 2000;
	memset(&got, 0, sizeof(got));
	ck_assert_msg(verify(path, rsa_cert, &o, &got, &res, &err) == TL_OK, "%s", err.msg);
	tlt_log_expect("entity https://big.example.org/: line ");
	ck_assert_int_eq(got.n, 2);
	ck_assert_str_eq(got.ids[0], "https://small1.example.org/");
	ck_assert_str_eq(got.ids[1], "https://small2.example.org/");
	ck_assert_uint_eq(res.entities, 3);
	sigv_result_free(&res);
	/* the oversized entity is still covered by the signature */
	file_replace(path, "<md:Extensions>x</md:Extensions>", "<md:Extensions>y</md:Extensions>");
	expect_fail(path, rsa_cert, &o, TL_ESIG, "does not match its ds:DigestValue");
	tlt_log_expect("https://big.example.org/");
	free(path);
	buf_free(&body);
}
END_TEST

START_TEST(sigv_callback_can_abort)
{
	struct agg a;
	struct seen exp, got;
	struct sigv_result res;
	struct tl_err err;
	EVP_PKEY *k;
	char *path;

	agg_defaults(&a);
	path = signed_agg("abort.xml", &a, &exp);
	memset(&got, 0, sizeof(got));
	got.fail_at = 3;
	k = trust(rsa_cert);
	ck_assert_int_eq(sigv_verify_file(path, k, NULL, collect, &got, &res, &err), TL_ERULE);
	ck_assert_str_eq(err.msg, "test callback refuses entity 3");
	ck_assert_int_eq(got.n, 3);
	sigv_result_free(&res);
	/* a NULL callback is fine */
	ck_assert_int_eq(sigv_verify_file(path, k, NULL, NULL, NULL, &res, &err), TL_OK);
	ck_assert_uint_eq(res.entities, (size_t)exp.n);
	sigv_result_free(&res);
	EVP_PKEY_free(k);
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigv");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sigv_matches_xmlsec_c14n);
	tcase_add_test(tc, sigv_matches_xmlsec_big_and_latin1);
	tcase_add_test(tc, sigv_comments_not_signed);
	tcase_add_test(tc, sigv_fills_result);
	tcase_add_test(tc, sigv_ecdsa_p256);
	tcase_add_test(tc, sigv_key_type_mismatch);
	tcase_add_test(tc, sigv_sha1_needs_allow);
	tcase_add_test(tc, sigv_loads_trust);
	tcase_add_test(tc, sigv_detects_changed_byte);
	tcase_add_test(tc, sigv_refuses_wrong_key);
	tcase_add_test(tc, sigv_refuses_missing_signature);
	tcase_add_test(tc, sigv_refuses_wrapped_signature);
	tcase_add_test(tc, sigv_refuses_other_references);
	tcase_add_test(tc, sigv_refuses_relative_namespace);
	tcase_add_test(tc, sigv_refuses_doctype);
	tcase_add_test(tc, sigv_refuses_broken_files);
	tcase_add_test(tc, sigv_enforces_limits);
	tcase_add_test(tc, sigv_oversized_entity_rejected_alone);
	tcase_add_test(tc, sigv_callback_can_abort);
	suite_add_tcase(s, tc);
	return tlt_run(s);
}
