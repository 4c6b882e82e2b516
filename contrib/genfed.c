/*
 * genfed.c - tillit-genfed: synthetic but realistic SAML 2.0 metadata for
 * a federation of N entities, for benchmarks and tests (usage_text says
 * what it writes).
 *
 * Everything follows from --seed: roles, organisations, names, the RSA key
 * pool (its primes are searched from the seeded generator, so the pool is
 * the same on every run) and therefore every certificate.  The clock is read
 * only for the default validUntil and the aggregate's creationInstant, via
 * util_now(), which TILLIT_NOW overrides: same arguments, same bytes.
 *
 * One entity at a time is rendered into a bounded buffer and written out;
 * the aggregate is streamed, never held in memory.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h> /* isfinite, a macro: no libm */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlstring.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tillit/buf.h"
#include "tillit/err.h"
#include "tillit/util.h"

#define GENFED_COUNT_MAX 1000000UL   /* entities per run */
#define GENFED_KEY_POOL 16           /* RSA keys shared by all certificates */
#define GENFED_RSA_BITS 2048
#define GENFED_RSA_E 65537
#define GENFED_ORG_MAX 6             /* entities per organisation, at most */
#define GENFED_ENTITY_MAX (256 * 1024) /* one rendered entity */
#define GENFED_SUFFIX_MAX 200        /* --domain-suffix */
#define GENFED_NAME_MAX 1024         /* --name */
#define GENFED_ID_MAX 256            /* --id */
#define GENFED_DIR_MAX 3800          /* --out-dir, leaving room for file names */
#define GENFED_HOST_MAX 256
#define GENFED_URL_MAX 320
#define GENFED_PLACE_MAX 64
#define GENFED_IOBUF (1024 * 1024)   /* stdio buffer of the aggregate */
#define GENFED_CERT_DAYS 3652        /* certificate lifetime */
#define GENFED_EPOCH 1609459200      /* 2021-01-01: certificates start after it */
#define GENFED_REG_EPOCH 1420070400  /* 2015-01-01: registrations start after it */
#define GENFED_DEFAULT_VALIDITY (7 * 86400)

#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define BIND "urn:oasis:names:tc:SAML:2.0:bindings:"
#define ATTR_URI "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
#define REFEDS_RS "http://refeds.org/category/research-and-scholarship"
#define REFEDS_COCO "https://refeds.org/category/code-of-conduct/v2"
#define REFEDS_SIRTFI "https://refeds.org/sirtfi"

static const char usage_text[] =
	"usage: tillit-genfed --count N [--seed S] [--out-dir DIR] [--aggregate FILE]\n"
	"         [--no-template] [--idp-share X] [--domain-suffix D] [--valid-until T]\n"
	"         [--name NAME] [--id ID]\n"
	"Generate synthetic, schema-valid SAML 2.0 metadata for a federation of N\n"
	"entities (about 8 KB each: 10,000 entities make an aggregate of about 80 MB).\n"
	"\n"
	"  --count N          number of entities, 1..1000000 (required)\n"
	"  --seed S           unsigned integer (default 1); the same seed and arguments\n"
	"                     give the same entities, certificates included\n"
	"  --out-dir DIR      write DIR/entity-00001.xml ... (each a standalone\n"
	"                     md:EntityDescriptor document) and DIR/index.tsv, lines of\n"
	"                     FILE<TAB>ENTITYID<TAB>idp|sp<TAB>ORG (ORG like k0123)\n"
	"  --aggregate FILE   write all entities as one unsigned md:EntitiesDescriptor\n"
	"                     (Name, ID, validUntil, cacheDuration; \"-\": standard\n"
	"                     output); its first child is an empty ds:Signature template\n"
	"                     (exc-c14n, RSA-SHA256, SHA-256, Reference URI=\"#ID\")\n"
	"  --no-template      leave the signature template out\n"
	"  --idp-share X      fraction of IdPs, 0..1 (default 0.3); the rest are SPs\n"
	"  --domain-suffix D  DNS suffix of every host name (default example.se)\n"
	"  --valid-until T    the aggregate's validUntil, xs:dateTime or date\n"
	"                     (default: now + 7 days)\n"
	"  --name NAME        the aggregate's Name (default https://fed.D/)\n"
	"  --id ID            the aggregate's ID, an NCName (default genfed-S-N)\n"
	"  --help             this text\n"
	"At least one of --out-dir and --aggregate is needed.\n"
	"\n"
	"The entities: organisations k0001, k0002, ... (\"<Place> kommun 0001\" and\n"
	"\"<Place> Municipality 0001\") own 1 to 6 entities each.  IdPs are\n"
	"https://idp.k0001.D/idp/shibboleth (scope k0001.D), SPs\n"
	"https://SERVICE.k0001.D/shibboleth.  Every entity has mdui in sv and en,\n"
	"mdrpi:RegistrationInfo, alg support, Organization, technical and support\n"
	"contacts; some have R&S, CoCo or Sirtfi entity attributes (Sirtfi ones a\n"
	"REFEDS security contact).  Each has its own self-signed certificate (CN = its\n"
	"host name, unique serial, SHA-256 with RSA-2048) used for signing and\n"
	"encryption; the keys come from a pool of 16 derived from the seed.\n"
	"\n"
	"Sign the aggregate with:\n"
	"  xmlsec1 --sign --privkey-pem KEY,CERT \\\n"
	"    --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor \\\n"
	"    --output signed.xml FILE\n"
	"The clock (TILLIT_NOW overrides it) is read only for the default\n"
	"validUntil and the aggregate's mdrpi:PublicationInfo creationInstant.\n"
	"Exit status: 0 success, 1 I/O or crypto failure, 2 usage error.\n";

/* ---- data ---------------------------------------------------------------- */

static const char *const place_head[] = {
	"Ål", "Äng", "Öster", "Väster", "Sjö", "Björk", "Gran", "Lill", "Stor", "Norr",
	"Söder", "Häll", "Mål", "Kär", "Ljung", "Mö", "Bå", "Fä", "Rå", "Tå", "Ek",
	"Lövs", "Hög", "Ny",
};
static const char *const place_tail[] = {
	"by", "sjö", "ås", "ö", "åker", "berga", "fors", "holm", "hamn", "köping",
	"älv", "näs", "vik", "tuna", "sta", "lunda", "mo", "sätra",
};
static const char *const given_names[] = {
	"Åsa", "Björn", "Märta", "Göran", "Jöns", "Sören", "Örjan", "Ingegärd", "Anders",
	"Eva", "Karin", "Lars", "Maria", "Per", "Ylva", "Håkan", "Tove", "Mårten",
};
static const char *const surnames[] = {
	"Öberg", "Åkesson", "Ström", "Sjöberg", "Lindqvist", "Nilsson", "Bäckström",
	"Källström", "Hägg", "Ekdahl", "Gröndal", "Wästberg", "Holmér", "Ångström",
};

struct service {
	const char *label;  /* first DNS label of the host */
	const char *sv, *en;
	const char *sv_desc, *en_desc;
};

static const struct service services[] = {
	{ "skolportal", "Skolportalen", "School portal",
	  "Portal för elever, vårdnadshavare och lärare.",
	  "Portal for pupils, guardians and teachers." },
	{ "bibliotek", "Biblioteket", "Library services",
	  "Lån, reservationer och e-böcker från kommunens bibliotek.",
	  "Loans, reservations and e-books from the municipal library." },
	{ "etjanster", "E-tjänster", "E-services",
	  "Ansökningar och ärenden för invånare och företag.",
	  "Applications and cases for residents and businesses." },
	{ "intranat", "Intranätet", "Intranet",
	  "Nyheter, styrdokument och rutiner för medarbetare.",
	  "News, policies and procedures for staff." },
	{ "larplattform", "Lärplattformen", "Learning platform",
	  "Kurser, uppgifter och omdömen i grundskola och gymnasium.",
	  "Courses, assignments and assessments in compulsory and upper secondary school." },
	{ "personal", "Personalsystemet", "HR system",
	  "Lön, ledighet och kompetensutveckling för anställda.",
	  "Salary, leave and professional development for staff." },
	{ "ekonomi", "Ekonomisystemet", "Finance system",
	  "Fakturor, attester och uppföljning av budget.",
	  "Invoices, approvals and budget follow-up." },
	{ "samarbete", "Samarbetsytan", "Collaboration space",
	  "Dokument och projektytor för förvaltningar och bolag.",
	  "Documents and project spaces for departments and companies." },
	{ "omsorg", "Vård och omsorg", "Health and social care",
	  "Journalsystem för hemtjänst och särskilt boende.",
	  "Records system for home care and residential care." },
	{ "bygglov", "Bygglov", "Building permits",
	  "Handläggning av bygglov, kartor och detaljplaner.",
	  "Handling of building permits, maps and local plans." },
	{ "maltider", "Skolmåltider", "School meals",
	  "Matsedlar, specialkost och beställningar för förskola och skola.",
	  "Menus, special diets and orders for preschool and school." },
	{ "forskola", "Förskoleportalen", "Preschool portal",
	  "Schema, frånvaro och kontakt mellan förskola och hem.",
	  "Schedules, absence and contact between preschool and home." },
};

struct req_attr {
	const char *friendly;
	const char *name;
};

static const struct req_attr req_attrs[] = {
	{ "eduPersonPrincipalName", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6" },
	{ "mail", "urn:oid:0.9.2342.19200300.100.1.3" },
	{ "displayName", "urn:oid:2.16.840.1.113730.3.1.241" },
	{ "givenName", "urn:oid:2.5.4.42" },
	{ "sn", "urn:oid:2.5.4.4" },
	{ "eduPersonScopedAffiliation", "urn:oid:1.3.6.1.4.1.5923.1.1.1.9" },
	{ "personalIdentityNumber", "urn:oid:1.2.752.29.4.13" },
	{ "norEduPersonNIN", "urn:oid:1.3.6.1.4.1.2428.90.1.5" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The namespaces, all declared on the aggregate's root; a standalone entity
 * declares those it uses (uses: 0 always, else a mask of enum ns_use).
 */
enum ns_use { NS_ATTRS = 1, NS_IDP = 2, NS_SP = 4, NS_SECURITY = 8 };

static const struct {
	const char *decl;
	unsigned uses;
} namespaces[] = {
	{ " xmlns:md=\"" NS_MD "\"", 0 },
	{ " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"", 0 },
	{ " xmlns:mdui=\"urn:oasis:names:tc:SAML:metadata:ui\"", 0 },
	{ " xmlns:mdattr=\"urn:oasis:names:tc:SAML:metadata:attribute\"", NS_ATTRS },
	{ " xmlns:mdrpi=\"urn:oasis:names:tc:SAML:metadata:rpi\"", 0 },
	{ " xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"", NS_ATTRS },
	{ " xmlns:shibmd=\"urn:mace:shibboleth:metadata:1.0\"", NS_IDP },
	{ " xmlns:alg=\"urn:oasis:names:tc:SAML:metadata:algsupport\"", 0 },
	{ " xmlns:idpdisc=\"urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol\"", NS_SP },
	{ " xmlns:remd=\"http://refeds.org/metadata\"", NS_SECURITY },
};

/* ---- a seeded generator (splitmix64) -------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* An independent stream for (seed, purpose, index). */
static void rng_init(struct rng *r, uint64_t seed, uint64_t purpose, uint64_t index)
{
	struct rng m = { seed ^ (purpose * 0xd1b54a32d192ed03ULL) };

	m.s ^= rng_next(&m) + index * 0x8cb92ba72f3d8dd7ULL;
	r->s = rng_next(&m);
}

/* Uniform enough below n (n is small, the bias is about n / 2^64). */
static unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

/* 1 with probability percent / 100. */
static int rng_chance(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

static void rng_fill(struct rng *r, unsigned char *p, size_t n)
{
	while (n > 0) {
		uint64_t v = rng_next(r);
		for (int i = 0; i < 8 && n > 0; i++, n--) {
			*p++ = (unsigned char)v;
			v >>= 8;
		}
	}
}

enum rng_purpose { RNG_KEYS = 1, RNG_ROLES, RNG_ORGS, RNG_ENTITY };

/* ---- state ---------------------------------------------------------------- */

struct opts {
	unsigned long count;
	uint64_t seed;
	const char *out_dir;
	const char *aggregate;
	int template;
	double idp_share;
	const char *suffix;
	char valid_until[32];
	const char *name;       /* NULL: fed_url */
	char id[GENFED_ID_MAX + 1];
};

struct entity {
	unsigned long num;                 /* 1-based */
	int idp;
	unsigned org;
	char org_code[24];                 /* "k0123" */
	char host[GENFED_HOST_MAX];
	char entity_id[GENFED_URL_MAX];
	const struct service *svc;         /* SPs */
	struct rng rng;
	char *cert;                        /* base64 in 64-column lines; free() */
};

struct gen {
	struct opts o;
	char fed_url[GENFED_URL_MAX];      /* https://fed.SUFFIX/ */
	char now_iso[32];
	EVP_PKEY *keys[GENFED_KEY_POOL];
	unsigned char *roles;              /* 1 for IdP, per entity */
	unsigned long idps;
	/* the organisation being filled */
	struct rng org_rng;
	unsigned org, org_left, org_idps, org_sps, org_svc;
	char place[GENFED_PLACE_MAX];
	/* output of one entity; rc is sticky so renderers check once */
	struct buf b;
	int rc;
	size_t ns_start, ns_end;           /* the namespace declarations inside b */
	unsigned long long agg_bytes, file_bytes;
};

/* ---- output helpers ------------------------------------------------------- */

static void put(struct gen *g, const char *s)
{
	if (g->rc == TL_OK)
		g->rc = buf_puts(&g->b, s);
}

static void put_esc(struct gen *g, const char *s)
{
	if (g->rc == TL_OK)
		g->rc = buf_xml_escape(&g->b, s);
}

static void putf(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct gen *g, const char *fmt, ...)
{
	char tmp[1024], *p = tmp;
	va_list ap;
	int n;

	if (g->rc != TL_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		g->rc = TL_EINTERNAL;
		return;
	}
	if ((size_t)n >= sizeof(tmp)) {
		p = malloc((size_t)n + 1);
		if (p == NULL) {
			g->rc = TL_ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	g->rc = buf_append(&g->b, p, (size_t)n);
	if (p != tmp)
		free(p);
}

static int write_all(FILE *f, const void *p, size_t n, const char *path, struct tl_err *err)
{
	if (n > 0 && fwrite(p, 1, n, f) != n)
		return tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno));
	return TL_OK;
}

static int close_file(FILE *f, const char *path, struct tl_err *err)
{
	int failed = ferror(f);

	if (fclose(f) != 0 || failed)
		return tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno ? errno : EIO));
	return TL_OK;
}

static int ossl_fail(struct tl_err *err, const char *what)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	return tl_err_set(err, TL_ECRYPTO, "%s: %s", what,
	                  e ? ERR_reason_error_string(e) : "OpenSSL failure");
}

/* ---- the key pool: RSA keys from seeded primes ---------------------------- */

/* A prime of bits/2 bits with its top two bits set and gcd(p-1, e) = 1. */
static int gen_prime(struct rng *r, BIGNUM *p, BN_CTX *bc)
{
	unsigned char b[GENFED_RSA_BITS / 16];

	for (;;) {
		rng_fill(r, b, sizeof(b));
		b[0] |= 0xc0;
		b[sizeof(b) - 1] |= 1;
		if (BN_bin2bn(b, (int)sizeof(b), p) == NULL)
			return -1;
		for (int step = 0; step < 8192; step++) {
			if (BN_mod_word(p, GENFED_RSA_E) != 1) {
				int prime = BN_check_prime(p, bc, NULL);
				if (prime < 0)
					return -1;
				if (prime == 1)
					return BN_num_bits(p) == GENFED_RSA_BITS / 2 ? 0 : -1;
			}
			if (!BN_add_word(p, 2))
				return -1;
		}
	}
}

static int make_key(struct rng *r, EVP_PKEY **out, struct tl_err *err)
{
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *p = BN_new(), *q = BN_new(), *n = BN_new(), *e = BN_new(), *d = BN_new();
	BIGNUM *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new(), *dp = BN_new();
	BIGNUM *dq = BN_new(), *qinv = BN_new();
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	int rc = TL_OK;

	*out = NULL;
	if (bc == NULL || p == NULL || q == NULL || n == NULL || e == NULL || d == NULL ||
	    p1 == NULL || q1 == NULL || phi == NULL || dp == NULL || dq == NULL || qinv == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory making the key pool");
		goto out;
	}
	do {
		if (gen_prime(r, p, bc) != 0 || gen_prime(r, q, bc) != 0) {
			rc = ossl_fail(err, "searching an RSA prime");
			goto out;
		}
	} while (BN_cmp(p, q) == 0);
	if (BN_cmp(p, q) < 0)
		BN_swap(p, q);  /* p > q, as OpenSSL's own keys have it */
	if (!BN_set_word(e, GENFED_RSA_E) || !BN_mul(n, p, q, bc) ||
	    !BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) ||
	    !BN_mul(phi, p1, q1, bc) || BN_mod_inverse(d, e, phi, bc) == NULL ||
	    !BN_mod(dp, d, p1, bc) || !BN_mod(dq, d, q1, bc) ||
	    BN_mod_inverse(qinv, q, p, bc) == NULL) {
		rc = ossl_fail(err, "computing an RSA key");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, out, EVP_PKEY_KEYPAIR, params) <= 0) {
		rc = ossl_fail(err, "building an RSA key");
		goto out;
	}
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(qinv);
	BN_clear_free(dq);
	BN_clear_free(dp);
	BN_clear_free(phi);
	BN_clear_free(q1);
	BN_clear_free(p1);
	BN_clear_free(d);
	BN_free(e);
	BN_free(n);
	BN_clear_free(q);
	BN_clear_free(p);
	BN_CTX_free(bc);
	return rc;
}

/*
 * Pool key k, made on first use from its own stream: a small run makes only
 * the keys it needs, and a key does not depend on --count.
 */
static int pool_key(struct gen *g, unsigned k, EVP_PKEY **out, struct tl_err *err)
{
	struct rng r;
	int rc = TL_OK;

	if (g->keys[k] == NULL) {
		rng_init(&r, g->o.seed, RNG_KEYS, k);
		rc = make_key(&r, &g->keys[k], err);
	}
	*out = g->keys[k];
	return rc;
}

/* ---- certificates --------------------------------------------------------- */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/*
 * e's own self-signed certificate, as base64 in 64-column lines (e->cert).
 * The serial is 8 seeded bytes and the entity number, so it is unique.
 */
static int make_cert(struct gen *g, struct entity *e, struct tl_err *err)
{
	EVP_PKEY *key;
	unsigned char serial[12];
	char san[GENFED_HOST_MAX + 8];
	time_t nb = GENFED_EPOCH + (time_t)rng_below(&e->rng, 3 * 365 * 86400);
	X509 *x = NULL;
	BIGNUM *sn = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL, *w;
	int derlen, rc = TL_OK;
	size_t len, lines;

	rc = pool_key(g, rng_below(&e->rng, GENFED_KEY_POOL), &key, err);
	if (rc != TL_OK)
		goto out;
	rng_fill(&e->rng, serial, 8);
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	for (int i = 0; i < 4; i++)
		serial[8 + i] = (unsigned char)(e->num >> (24 - 8 * i));
	snprintf(san, sizeof(san), "DNS:%s", e->host);

	x = X509_new();
	sn = BN_bin2bn(serial, (int)sizeof(serial), NULL);
	if (x == NULL || sn == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    BN_to_ASN1_INTEGER(sn, X509_get_serialNumber(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	                                (const unsigned char *)e->host, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), nb + (time_t)GENFED_CERT_DAYS * 86400) == NULL ||
	    !X509_set_pubkey(x, key) ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_subject_alt_name, san) ||
	    X509_sign(x, key, EVP_sha256()) <= 0 ||
	    (derlen = i2d_X509(x, &der)) <= 0) {
		rc = ossl_fail(err, "making a certificate");
		tl_err_prefix(err, "%s", e->host);
		goto out;
	}
	b64 = util_base64(der, (size_t)derlen);
	if (b64 == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	len = strlen(b64);
	lines = (len + 63) / 64;
	free(e->cert);
	e->cert = w = malloc(len + lines + 1);
	if (w == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t off = 0; off < len; off += 64) {
		size_t n = len - off < 64 ? len - off : 64;
		memcpy(w, b64 + off, n);
		w += n;
		*w++ = '\n';
	}
	*w = '\0';
out:
	free(b64);
	OPENSSL_free(der);
	BN_free(sn);
	X509_free(x);
	return rc;
}

/* ---- organisations and entities ------------------------------------------ */

/* Place entity number num (1-based) in an organisation and name it. */
static void entity_init(struct gen *g, struct entity *e, unsigned long num)
{
	const char *label;
	char lab[32];

	if (g->org_left == 0) {
		g->org++;
		g->org_left = 1 + rng_below(&g->org_rng, GENFED_ORG_MAX);
		g->org_idps = g->org_sps = 0;
		g->org_svc = rng_below(&g->org_rng, NELEM(services));
		snprintf(g->place, sizeof(g->place), "%s%s",
		         place_head[rng_below(&g->org_rng, NELEM(place_head))],
		         place_tail[rng_below(&g->org_rng, NELEM(place_tail))]);
	}
	g->org_left--;
	free(e->cert);
	memset(e, 0, sizeof(*e));
	e->num = num;
	e->idp = g->roles[num - 1];
	e->org = g->org;
	rng_init(&e->rng, g->o.seed, RNG_ENTITY, num);
	snprintf(e->org_code, sizeof(e->org_code), "k%04u", e->org);
	if (e->idp) {
		if (g->org_idps++ == 0) {
			label = "idp";
		} else {
			snprintf(lab, sizeof(lab), "idp%u", g->org_idps);
			label = lab;
		}
	} else {
		/* GENFED_ORG_MAX <= NELEM(services): labels never repeat in an org */
		e->svc = &services[(g->org_svc + g->org_sps++) % NELEM(services)];
		label = e->svc->label;
	}
	snprintf(e->host, sizeof(e->host), "%s.%s.%s", label, e->org_code, g->o.suffix);
	snprintf(e->entity_id, sizeof(e->entity_id), e->idp ? "https://%s/idp/shibboleth"
	                                                    : "https://%s/shibboleth", e->host);
}

/* ---- rendering ------------------------------------------------------------ */

static void put_entity_attr(struct gen *g, const char *name, const char *value)
{
	putf(g, "      <saml:Attribute Name=\"%s\" NameFormat=\"" ATTR_URI "\">\n"
	        "        <saml:AttributeValue>%s</saml:AttributeValue>\n"
	        "      </saml:Attribute>\n", name, value);
}

/* Declare the namespaces in uses (a mask of enum ns_use); ~0u: all. */
static void put_namespaces(struct gen *g, unsigned uses)
{
	for (size_t i = 0; i < NELEM(namespaces); i++)
		if (namespaces[i].uses == 0 || (namespaces[i].uses & uses) != 0)
			put(g, namespaces[i].decl);
}

static void put_entity_ext(struct gen *g, struct entity *e, int rs, int coco, int sirtfi)
{
	char reg[32];

	util_time_iso(GENFED_REG_EPOCH + (time_t)rng_below(&e->rng, 9 * 365 * 86400),
	              reg, sizeof(reg));
	put(g, "  <md:Extensions>\n");
	putf(g, "    <mdrpi:RegistrationInfo registrationAuthority=\"%s\" "
	        "registrationInstant=\"%s\">\n", g->fed_url, reg);
	putf(g, "      <mdrpi:RegistrationPolicy xml:lang=\"en\">%spolicy/registration"
	        "</mdrpi:RegistrationPolicy>\n", g->fed_url);
	put(g, "    </mdrpi:RegistrationInfo>\n");
	if (rs || coco || sirtfi) {
		put(g, "    <mdattr:EntityAttributes>\n");
		if (rs)
			put_entity_attr(g, e->idp ? "http://macedir.org/entity-category-support"
			                          : "http://macedir.org/entity-category", REFEDS_RS);
		if (coco)
			put_entity_attr(g, "http://macedir.org/entity-category", REFEDS_COCO);
		if (sirtfi)
			put_entity_attr(g, "urn:oasis:names:tc:SAML:attribute:assurance-certification",
			                REFEDS_SIRTFI);
		put(g, "    </mdattr:EntityAttributes>\n");
	}
	put(g, "    <alg:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
	       "    <alg:SigningMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\""
	       " MinKeySize=\"2048\"/>\n"
	       "  </md:Extensions>\n");
}

static void put_uiinfo(struct gen *g, struct entity *e)
{
	unsigned logo = 64 + 16 * rng_below(&e->rng, 5);

	put(g, "      <mdui:UIInfo>\n");
	if (e->idp) {
		putf(g, "        <mdui:DisplayName xml:lang=\"sv\">"
		        "%s kommun %04u</mdui:DisplayName>\n",
		     g->place, e->org);
		putf(g, "        <mdui:DisplayName xml:lang=\"en\">"
		        "%s Municipality %04u</mdui:DisplayName>\n",
		     g->place, e->org);
		putf(g, "        <mdui:Description xml:lang=\"sv\">"
		        "Inloggning för anställda, elever och "
		        "förtroendevalda i %s kommun.</mdui:Description>\n", g->place);
		putf(g, "        <mdui:Description xml:lang=\"en\">"
		        "Login for staff, pupils and elected "
		        "representatives of %s Municipality.</mdui:Description>\n", g->place);
		putf(g, "        <mdui:InformationURL xml:lang=\"sv\">https://www.%s.%s/inloggning"
		        "</mdui:InformationURL>\n", e->org_code, g->o.suffix);
		putf(g, "        <mdui:InformationURL xml:lang=\"en\">https://www.%s.%s/en/login"
		        "</mdui:InformationURL>\n", e->org_code, g->o.suffix);
	} else {
		putf(g, "        <mdui:DisplayName xml:lang=\"sv\">"
		        "%s – %s kommun</mdui:DisplayName>\n",
		     e->svc->sv, g->place);
		putf(g, "        <mdui:DisplayName xml:lang=\"en\">"
		        "%s – %s Municipality</mdui:DisplayName>\n",
		     e->svc->en, g->place);
		putf(g, "        <mdui:Description xml:lang=\"sv\">%s</mdui:Description>\n",
		     e->svc->sv_desc);
		putf(g, "        <mdui:Description xml:lang=\"en\">%s</mdui:Description>\n",
		     e->svc->en_desc);
		putf(g, "        <mdui:InformationURL xml:lang=\"sv\">"
		        "https://%s/om</mdui:InformationURL>\n",
		     e->host);
		putf(g, "        <mdui:InformationURL xml:lang=\"en\">"
		        "https://%s/about</mdui:InformationURL>\n",
		     e->host);
	}
	putf(g, "        <mdui:PrivacyStatementURL xml:lang=\"sv\">"
	        "https://www.%s.%s/personuppgifter"
	        "</mdui:PrivacyStatementURL>\n", e->org_code, g->o.suffix);
	putf(g, "        <mdui:PrivacyStatementURL xml:lang=\"en\">https://www.%s.%s/en/privacy"
	        "</mdui:PrivacyStatementURL>\n", e->org_code, g->o.suffix);
	putf(g, "        <mdui:Logo height=\"%u\" width=\"%u\">"
	        "https://www.%s.%s/logo-%u.png</mdui:Logo>\n",
	     logo, logo, e->org_code, g->o.suffix, logo);
	put(g, "      </mdui:UIInfo>\n");
}

static void put_key(struct gen *g, const struct entity *e, const char *use)
{
	putf(g, "    <md:KeyDescriptor use=\"%s\">\n"
	        "      <ds:KeyInfo>\n"
	        "        <ds:X509Data>\n"
	        "          <ds:X509Certificate>\n", use);
	put(g, e->cert);
	put(g, "          </ds:X509Certificate>\n"
	       "        </ds:X509Data>\n"
	       "      </ds:KeyInfo>\n");
	if (strcmp(use, "encryption") == 0)
		put(g, "      <md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>\n"
		       "      <md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes128-gcm\"/>\n"
		       "      <md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes128-cbc\"/>\n"
		       "      <md:EncryptionMethod "
		       "Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\"/>\n");
	put(g, "    </md:KeyDescriptor>\n");
}

static void put_idp(struct gen *g, struct entity *e)
{
	const char *h = e->host;

	putf(g, "  <md:IDPSSODescriptor "
	        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\""
	        " errorURL=\"https://%s/idp/error?code=ERRORURL_CODE&amp;ts=ERRORURL_TS\">\n", h);
	put(g, "    <md:Extensions>\n");
	putf(g, "      <shibmd:Scope regexp=\"false\">%s.%s</shibmd:Scope>"
	        "\n", e->org_code, g->o.suffix);
	put_uiinfo(g, e);
	putf(g, "      <mdui:DiscoHints>\n"
	        "        <mdui:IPHint>10.%u.%u.0/24</mdui:IPHint>\n"
	        "        <mdui:IPHint>2001:db8:%x::/48</mdui:IPHint>\n"
	        "        <mdui:DomainHint>%s.%s</mdui:DomainHint>\n"
	        "      </mdui:DiscoHints>\n",
	     (e->org >> 8) & 0xff, e->org & 0xff, e->org & 0xffff, e->org_code, g->o.suffix);
	put(g, "    </md:Extensions>\n");
	put_key(g, e, "signing");
	put_key(g, e, "encryption");
	putf(g, "    <md:ArtifactResolutionService Binding=\"" BIND "SOAP\" "
	        "Location=\"https://%s:8443/idp/profile/SAML2/SOAP/ArtifactResolution\" "
	        "index=\"1\"/>\n", h);
	putf(g, "    <md:SingleLogoutService Binding=\"" BIND "HTTP-Redirect\" "
	        "Location=\"https://%s/idp/profile/SAML2/Redirect/SLO\"/>\n", h);
	putf(g, "    <md:SingleLogoutService Binding=\"" BIND "HTTP-POST\" "
	        "Location=\"https://%s/idp/profile/SAML2/POST/SLO\"/>\n", h);
	put(g, "    <md:NameIDFormat>"
	       "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n"
	       "    <md:NameIDFormat>"
	       "urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\n");
	putf(g, "    <md:SingleSignOnService Binding=\"" BIND "HTTP-Redirect\" "
	        "Location=\"https://%s/idp/profile/SAML2/Redirect/SSO\"/>\n", h);
	putf(g, "    <md:SingleSignOnService Binding=\"" BIND "HTTP-POST\" "
	        "Location=\"https://%s/idp/profile/SAML2/POST/SSO\"/>\n", h);
	putf(g, "    <md:SingleSignOnService Binding=\"" BIND "HTTP-POST-SimpleSign\" "
	        "Location=\"https://%s/idp/profile/SAML2/POST-SimpleSign/SSO\"/>\n", h);
	put(g, "  </md:IDPSSODescriptor>\n");
}

static void put_sp(struct gen *g, struct entity *e)
{
	const char *h = e->host;
	unsigned want = 4 + rng_below(&e->rng, 5), left = NELEM(req_attrs);

	put(g, "  <md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\""
	       " AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\">\n");
	put(g, "    <md:Extensions>\n");
	putf(g, "      <idpdisc:DiscoveryResponse Binding=\"urn:oasis:names:tc:SAML:profiles:SSO:"
	        "idp-discovery-protocol\" Location=\"https://%s/Shibboleth.sso/Login\" "
	        "index=\"1\"/>\n", h);
	put_uiinfo(g, e);
	put(g, "    </md:Extensions>\n");
	put_key(g, e, "signing");
	put_key(g, e, "encryption");
	putf(g, "    <md:SingleLogoutService Binding=\"" BIND "HTTP-Redirect\" "
	        "Location=\"https://%s/Shibboleth.sso/SLO/Redirect\"/>\n", h);
	putf(g, "    <md:SingleLogoutService Binding=\"" BIND "HTTP-POST\" "
	        "Location=\"https://%s/Shibboleth.sso/SLO/POST\"/>\n", h);
	put(g, "    <md:NameIDFormat>"
	       "urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\n");
	putf(g, "    <md:AssertionConsumerService Binding=\"" BIND "HTTP-POST\" "
	        "Location=\"https://%s/Shibboleth.sso/SAML2/POST\" index=\"0\" isDefault=\"true\"/>\n", h);
	putf(g, "    <md:AssertionConsumerService Binding=\"" BIND "HTTP-Artifact\" "
	        "Location=\"https://%s/Shibboleth.sso/SAML2/Artifact\" index=\"1\"/>\n", h);
	put(g, "    <md:AttributeConsumingService index=\"0\" isDefault=\"true\">\n");
	putf(g, "      <md:ServiceName xml:lang=\"sv\">%s – %s kommun</md:ServiceName>\n",
	     e->svc->sv, g->place);
	putf(g, "      <md:ServiceName xml:lang=\"en\">%s – %s Municipality</md:ServiceName>\n",
	     e->svc->en, g->place);
	/* a random subset of want attributes, in table order (selection sampling) */
	for (size_t i = 0; i < NELEM(req_attrs); i++, left--) {
		if (rng_below(&e->rng, left) >= want)
			continue;
		want--;
		putf(g, "      <md:RequestedAttribute FriendlyName=\"%s\" Name=\"%s\" "
		        "NameFormat=\"" ATTR_URI "\" isRequired=\"%s\"/>\n",
		     req_attrs[i].friendly, req_attrs[i].name,
		     rng_chance(&e->rng, 50) ? "true" : "false");
	}
	put(g, "    </md:AttributeConsumingService>\n");
	put(g, "  </md:SPSSODescriptor>\n");
}

static void put_contact(struct gen *g, struct entity *e, const char *type, const char *given,
                        const char *sur, const char *mailbox)
{
	putf(g, "  <md:ContactPerson contactType=\"%s\"%s>\n", type,
	     strcmp(type, "other") == 0
	             ? " remd:contactType=\"http://refeds.org/metadata/contactType/security\"" : "");
	putf(g, "    <md:GivenName>%s</md:GivenName>\n", given);
	if (sur != NULL)
		putf(g, "    <md:SurName>%s</md:SurName>\n", sur);
	putf(g, "    <md:EmailAddress>mailto:%s@%s.%s</md:EmailAddress>\n", mailbox, e->org_code,
	     g->o.suffix);
	putf(g, "    <md:TelephoneNumber>+46 %u %03u %02u %02u</md:TelephoneNumber>\n",
	     10 + rng_below(&e->rng, 90), rng_below(&e->rng, 1000), rng_below(&e->rng, 100),
	     rng_below(&e->rng, 100));
	put(g, "  </md:ContactPerson>\n");
}

static void put_org(struct gen *g, struct entity *e)
{
	put(g, "  <md:Organization>\n");
	putf(g, "    <md:OrganizationName xml:lang=\"sv\">%s kommun %04u</md:OrganizationName>\n",
	     g->place, e->org);
	putf(g, "    <md:OrganizationName xml:lang=\"en\">"
	        "%s Municipality %04u</md:OrganizationName>\n",
	     g->place, e->org);
	putf(g, "    <md:OrganizationDisplayName xml:lang=\"sv\">"
	        "%s kommun</md:OrganizationDisplayName>\n",
	     g->place);
	putf(g, "    <md:OrganizationDisplayName xml:lang=\"en\">%s Municipality"
	        "</md:OrganizationDisplayName>\n", g->place);
	putf(g, "    <md:OrganizationURL xml:lang=\"sv\">https://www.%s.%s/</md:OrganizationURL>\n",
	     e->org_code, g->o.suffix);
	putf(g, "    <md:OrganizationURL xml:lang=\"en\">"
	        "https://www.%s.%s/en/</md:OrganizationURL>\n",
	     e->org_code, g->o.suffix);
	put(g, "  </md:Organization>\n");
}

/* Render e into g->b: the EntityDescriptor element, namespaces at ns_start..ns_end. */
static void put_entity(struct gen *g, struct entity *e)
{
	int rs = rng_chance(&e->rng, e->idp ? 50 : 30);
	int coco = !e->idp && rng_chance(&e->rng, 20);
	int sirtfi = rng_chance(&e->rng, 30);
	unsigned uses = (e->idp ? NS_IDP : NS_SP) | (rs || coco || sirtfi ? NS_ATTRS : 0) |
	                (sirtfi ? NS_SECURITY : 0);

	buf_reset(&g->b);
	put(g, "<md:EntityDescriptor");
	g->ns_start = g->b.len;
	put_namespaces(g, uses);
	g->ns_end = g->b.len;
	putf(g, " entityID=\"%s\">\n", e->entity_id);
	put_entity_ext(g, e, rs, coco, sirtfi);
	if (e->idp)
		put_idp(g, e);
	else
		put_sp(g, e);
	put_org(g, e);
	put_contact(g, e, "technical", given_names[rng_below(&e->rng, NELEM(given_names))],
	            surnames[rng_below(&e->rng, NELEM(surnames))], "it-drift");
	put_contact(g, e, "support", "Servicedesk", NULL, "servicedesk");
	if (sirtfi)
		put_contact(g, e, "other", "Säkerhetsincidenter", NULL, "cert");
	put(g, "</md:EntityDescriptor>\n");
}

static void put_agg_head(struct gen *g)
{
	buf_reset(&g->b);
	put(g, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntitiesDescriptor");
	put_namespaces(g, ~0u);
	putf(g, " ID=\"%s\" Name=\"", g->o.id);
	put_esc(g, g->o.name != NULL ? g->o.name : g->fed_url);
	putf(g, "\" validUntil=\"%s\" cacheDuration=\"PT1H\">\n", g->o.valid_until);
	if (g->o.template)
		putf(g, "<ds:Signature>\n"
		        "<ds:SignedInfo>\n"
		        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
		        "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\n"
		        "<ds:Reference URI=\"#%s\">\n"
		        "<ds:Transforms>\n"
		        "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\n"
		        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\n"
		        "</ds:Transforms>\n"
		        "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
		        "<ds:DigestValue></ds:DigestValue>\n"
		        "</ds:Reference>\n"
		        "</ds:SignedInfo>\n"
		        "<ds:SignatureValue></ds:SignatureValue>\n"
		        "<ds:KeyInfo>\n"
		        "<ds:X509Data>\n"
		        "<ds:X509Certificate></ds:X509Certificate>\n"
		        "</ds:X509Data>\n"
		        "</ds:KeyInfo>\n"
		        "</ds:Signature>\n", g->o.id);
	putf(g, "<md:Extensions>\n"
	        "  <mdrpi:PublicationInfo publisher=\"%s\" creationInstant=\"%s\" publicationId=\"%s\">\n"
	        "    <mdrpi:UsagePolicy xml:lang=\"sv\">%spolicy/anvandning</mdrpi:UsagePolicy>\n"
	        "    <mdrpi:UsagePolicy xml:lang=\"en\">%spolicy/usage</mdrpi:UsagePolicy>\n"
	        "  </mdrpi:PublicationInfo>\n"
	        "</md:Extensions>\n", g->fed_url, g->now_iso, g->o.id, g->fed_url, g->fed_url);
}

/* ---- the run --------------------------------------------------------------- */

/* Exactly round(count * idp_share) IdPs, placed by a seeded shuffle. */
static int assign_roles(struct gen *g, struct tl_err *err)
{
	unsigned long n = g->o.count;
	struct rng r;

	g->roles = calloc(n, 1);
	if (g->roles == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory for %lu roles", n);
	g->idps = (unsigned long)((double)n * g->o.idp_share + 0.5);
	for (unsigned long i = 0; i < g->idps; i++)
		g->roles[i] = 1;
	rng_init(&r, g->o.seed, RNG_ROLES, 0);
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = (unsigned long)(rng_next(&r) % (i + 1));
		unsigned char t = g->roles[i];
		g->roles[i] = g->roles[j];
		g->roles[j] = t;
	}
	return TL_OK;
}

static int write_entity_file(struct gen *g, const char *path, struct tl_err *err)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno));
	rc = write_all(f, decl, sizeof(decl) - 1, path, err);
	if (rc == TL_OK)
		rc = write_all(f, g->b.data, g->b.len, path, err);
	if (close_file(f, path, err) != TL_OK && rc == TL_OK)
		rc = err->code;
	if (rc == TL_OK)
		g->file_bytes += sizeof(decl) - 1 + g->b.len;
	return rc;
}

/*
 * Where the aggregate goes: standard output ("-"); an existing device or
 * pipe, written in place; otherwise a temporary file beside the target,
 * renamed over it at the end, so a failed run leaves no half aggregate.
 */
enum agg_mode { AGG_STDOUT = 1, AGG_IN_PLACE, AGG_RENAME };

struct agg_out {
	FILE *f;              /* NULL: no aggregate, or already closed */
	enum agg_mode mode;
	const char *name;     /* for messages */
	const char *path;
	char tmp[4096];
};

static int agg_open(struct agg_out *a, const char *path, struct tl_err *err)
{
	struct stat st;
	const char *open_path = path;

	if (strcmp(path, "-") == 0) {
		a->f = stdout;
		a->mode = AGG_STDOUT;
		a->name = "standard output";
	} else {
		a->name = a->path = path;
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			a->mode = AGG_IN_PLACE;
		} else {
			a->mode = AGG_RENAME;
			snprintf(a->tmp, sizeof(a->tmp), "%s.tmp%ld", path, (long)getpid());
			open_path = a->tmp;
		}
		a->f = fopen(open_path, "w");
		if (a->f == NULL)
			return tl_err_set(err, TL_EIO, "%s: %s", open_path, strerror(errno));
	}
	setvbuf(a->f, NULL, _IOFBF, GENFED_IOBUF);
	return TL_OK;
}

static int agg_finish(struct agg_out *a, struct tl_err *err)
{
	FILE *f = a->f;

	a->f = NULL;
	if (a->mode == AGG_STDOUT) {
		if (fflush(f) != 0 || ferror(f))
			return tl_err_set(err, TL_EIO, "%s: %s", a->name, strerror(errno));
		return TL_OK;
	}
	if (close_file(f, a->mode == AGG_RENAME ? a->tmp : a->path, err) != TL_OK) {
		if (a->mode == AGG_RENAME)
			unlink(a->tmp);
		return err->code;
	}
	if (a->mode == AGG_RENAME && rename(a->tmp, a->path) != 0) {
		tl_err_set(err, TL_EIO, "%s: %s", a->path, strerror(errno));
		unlink(a->tmp);
		return err->code;
	}
	return TL_OK;
}

/* After a failure: close without replacing anything. */
static void agg_abort(struct agg_out *a)
{
	if (a->f == NULL || a->mode == AGG_STDOUT)
		return;
	fclose(a->f);
	a->f = NULL;
	if (a->mode == AGG_RENAME)
		unlink(a->tmp);
}

static int run(struct gen *g, struct tl_err *err)
{
	char path[4096], idx_path[4096];
	struct agg_out agg;
	FILE *idx = NULL;
	struct entity e;
	int rc;

	memset(&e, 0, sizeof(e));
	memset(&agg, 0, sizeof(agg));
	rc = assign_roles(g, err);
	if (rc != TL_OK)
		goto out;
	rng_init(&g->org_rng, g->o.seed, RNG_ORGS, 0);

	if (g->o.out_dir != NULL) {
		rc = util_mkdirs(g->o.out_dir, 0755, err);
		if (rc != TL_OK)
			goto out;
		snprintf(idx_path, sizeof(idx_path), "%s/index.tsv", g->o.out_dir);
		idx = fopen(idx_path, "w");
		if (idx == NULL) {
			rc = tl_err_set(err, TL_EIO, "%s: %s", idx_path, strerror(errno));
			goto out;
		}
	}
	if (g->o.aggregate != NULL) {
		if ((rc = agg_open(&agg, g->o.aggregate, err)) != TL_OK)
			goto out;
		put_agg_head(g);
		if ((rc = g->rc) != TL_OK ||
		    (rc = write_all(agg.f, g->b.data, g->b.len, agg.name, err)) != TL_OK)
			goto out;
		g->agg_bytes += g->b.len;
	}

	for (unsigned long num = 1; num <= g->o.count; num++) {
		entity_init(g, &e, num);
		rc = make_cert(g, &e, err);
		if (rc != TL_OK)
			goto out;
		put_entity(g, &e);
		if (g->rc != TL_OK) {
			rc = tl_err_set(err, g->rc, "rendering entity %lu: %s", num, tl_strerror(g->rc));
			goto out;
		}
		if (agg.f != NULL) {
			/* the root declares every namespace: leave the entity's own out */
			if ((rc = write_all(agg.f, g->b.data, g->ns_start, agg.name, err)) != TL_OK ||
			    (rc = write_all(agg.f, g->b.data + g->ns_end, g->b.len - g->ns_end, agg.name,
			                    err)) != TL_OK)
				goto out;
			g->agg_bytes += g->b.len - (g->ns_end - g->ns_start);
		}
		if (idx != NULL) {
			char file[32];
			snprintf(file, sizeof(file), "entity-%05lu.xml", num);
			snprintf(path, sizeof(path), "%s/%s", g->o.out_dir, file);
			rc = write_entity_file(g, path, err);
			if (rc != TL_OK)
				goto out;
			if (fprintf(idx, "%s\t%s\t%s\t%s\n", file, e.entity_id, e.idp ? "idp" : "sp",
			            e.org_code) < 0) {
				rc = tl_err_set(err, TL_EIO, "%s: %s", idx_path, strerror(errno));
				goto out;
			}
		}
	}

	if (agg.f != NULL) {
		static const char tail[] = "</md:EntitiesDescriptor>\n";
		if ((rc = write_all(agg.f, tail, sizeof(tail) - 1, agg.name, err)) != TL_OK ||
		    (rc = agg_finish(&agg, err)) != TL_OK)
			goto out;
		g->agg_bytes += sizeof(tail) - 1;
	}
	if (idx != NULL) {
		FILE *f = idx;
		idx = NULL;
		rc = close_file(f, idx_path, err);
	}
out:
	if (idx != NULL)
		fclose(idx);
	agg_abort(&agg);
	free(e.cert);
	return rc;
}

/* ---- arguments ------------------------------------------------------------ */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tillit-genfed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try tillit-genfed --help)\n", stderr);
	return TL_EUSAGE;
}

/* All decimal digits, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Lowercase DNS name: labels of [a-z0-9-], not starting or ending with '-'. */
static int valid_suffix(const char *s)
{
	size_t label = 0;

	if (*s == '\0' || strlen(s) > GENFED_SUFFIX_MAX)
		return 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		           (*p == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s[strlen(s) - 1] != '-';
}

/* Text that can go into an attribute value as it is, once escaped. */
static int valid_text(const char *s)
{
	if (*s == '\0' || strlen(s) > GENFED_NAME_MAX || !xmlCheckUTF8((const xmlChar *)s))
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* An ASCII NCName, which is what xs:ID takes. */
static int valid_ncname(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

enum { OPT_COUNT = 256, OPT_SEED, OPT_OUT_DIR, OPT_AGGREGATE, OPT_NO_TEMPLATE, OPT_IDP_SHARE,
       OPT_SUFFIX, OPT_VALID_UNTIL, OPT_NAME, OPT_ID, OPT_HELP };

static const struct option long_opts[] = {
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "aggregate", required_argument, NULL, OPT_AGGREGATE },
	{ "no-template", no_argument, NULL, OPT_NO_TEMPLATE },
	{ "idp-share", required_argument, NULL, OPT_IDP_SHARE },
	{ "domain-suffix", required_argument, NULL, OPT_SUFFIX },
	{ "valid-until", required_argument, NULL, OPT_VALID_UNTIL },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "id", required_argument, NULL, OPT_ID },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* TL_OK, TL_EUSAGE (message printed), or 1 for --help (text printed). */
static int parse_args(struct gen *g, int argc, char **argv)
{
	struct opts *o = &g->o;
	const char *valid_until = NULL, *id = NULL;
	int have_count = 0, c;
	uint64_t v;
	char *end;
	time_t t;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->template = 1;
	o->idp_share = 0.3;
	o->suffix = "example.se";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_COUNT:
			if (parse_u64(optarg, &v) != 0 || v < 1 || v > GENFED_COUNT_MAX)
				return usage_error("--count: '%s' is not a number from 1 to %lu", optarg,
				                   GENFED_COUNT_MAX);
			o->count = (unsigned long)v;
			have_count = 1;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, &o->seed) != 0)
				return usage_error("--seed: '%s' is not an unsigned integer", optarg);
			break;
		case OPT_OUT_DIR:
			if (*optarg == '\0' || strlen(optarg) > GENFED_DIR_MAX)
				return usage_error("--out-dir: empty or longer than %d bytes", GENFED_DIR_MAX);
			o->out_dir = optarg;
			break;
		case OPT_AGGREGATE:
			if (*optarg == '\0' || strlen(optarg) > GENFED_DIR_MAX)
				return usage_error("--aggregate: empty or longer than %d bytes", GENFED_DIR_MAX);
			o->aggregate = optarg;
			break;
		case OPT_NO_TEMPLATE:
			o->template = 0;
			break;
		case OPT_IDP_SHARE:
			errno = 0;
			o->idp_share = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 || !isfinite(o->idp_share) ||
			    o->idp_share < 0.0 || o->idp_share > 1.0)
				return usage_error("--idp-share: '%s' is not a number from 0 to 1", optarg);
			break;
		case OPT_SUFFIX:
			if (!valid_suffix(optarg))
				return usage_error("--domain-suffix: '%s' is not a lowercase DNS name", optarg);
			o->suffix = optarg;
			break;
		case OPT_VALID_UNTIL:
			valid_until = optarg;
			break;
		case OPT_NAME:
			if (!valid_text(optarg))
				return usage_error("--name: empty, longer than %d bytes, not UTF-8 or "
				                   "with control characters", GENFED_NAME_MAX);
			o->name = optarg;
			break;
		case OPT_ID:
			if (strlen(optarg) > GENFED_ID_MAX || !valid_ncname(optarg))
				return usage_error("--id: '%s' is not an NCName of at most %d characters",
				                   optarg, GENFED_ID_MAX);
			id = optarg;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return 1;
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_count)
		return usage_error("--count is required");
	if (o->out_dir == NULL && o->aggregate == NULL)
		return usage_error("nothing to write: give --out-dir, --aggregate or both");

	if (valid_until != NULL) {
		if (util_time_parse(valid_until, &t) != 0)
			return usage_error("--valid-until: '%s' is not an xs:dateTime", valid_until);
	} else {
		t = util_now() + GENFED_DEFAULT_VALIDITY;
	}
	util_time_iso(t, o->valid_until, sizeof(o->valid_until));
	if (id != NULL)
		snprintf(o->id, sizeof(o->id), "%s", id);
	else
		snprintf(o->id, sizeof(o->id), "genfed-%llu-%lu", (unsigned long long)o->seed,
		         o->count);
	snprintf(g->fed_url, sizeof(g->fed_url), "https://fed.%s/", o->suffix);
	util_time_iso(util_now(), g->now_iso, sizeof(g->now_iso));
	return TL_OK;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct gen g;
	struct tl_err err;
	struct timespec t0;
	int rc, status;

	memset(&g, 0, sizeof(g));
	tl_err_clear(&err);
	buf_init(&g.b, GENFED_ENTITY_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = parse_args(&g, argc, argv);
	if (rc != TL_OK) {
		status = rc == 1 ? 0 : 2;
		goto out;
	}
	rc = run(&g, &err);
	if (rc != TL_OK) {
		fprintf(stderr, "tillit-genfed: %s\n", err.msg[0] ? err.msg : tl_strerror(rc));
		status = 1;
		goto out;
	}
	status = 0;
	if (g.o.aggregate == NULL || strcmp(g.o.aggregate, "-") != 0) {
		printf("tillit-genfed: %lu entities (%lu IdPs, %lu SPs) of %u organisations",
		       g.o.count, g.idps, g.o.count - g.idps, g.org);
		if (g.o.aggregate != NULL)
			printf("; aggregate %llu bytes", g.agg_bytes);
		if (g.o.out_dir != NULL)
			printf("; entity files %llu bytes", g.file_bytes);
		printf("; %.1f s\n", elapsed(&t0));
	}
out:
	for (size_t i = 0; i < GENFED_KEY_POOL; i++)
		EVP_PKEY_free(g.keys[i]);
	free(g.roles);
	buf_free(&g.b);
	return status;
}
