/* util.c - hashes, time, files. */
#include "tillit/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fetched once, then only read: the process's digest implementations. */
static const char *const util_md_names[] = { "SHA1", "SHA256", "SHA384", "SHA512" };
static EVP_MD *util_mds[4];
static pthread_once_t util_md_once = PTHREAD_ONCE_INIT;

static void util_md_fetch(void)
{
	for (size_t i = 0; i < sizeof(util_md_names) / sizeof(util_md_names[0]); i++)
		util_mds[i] = EVP_MD_fetch(NULL, util_md_names[i], NULL);
}

const EVP_MD *util_md(const char *name)
{
	pthread_once(&util_md_once, util_md_fetch);
	for (size_t i = 0; i < sizeof(util_md_names) / sizeof(util_md_names[0]); i++)
		if (strcmp(name, util_md_names[i]) == 0)
			return util_mds[i];
	return NULL;
}

void util_sha1(const void *p, size_t n, unsigned char out[UTIL_SHA1_LEN])
{
	const EVP_MD *md = util_md("SHA1");

	if (md == NULL || EVP_Digest(p, n, out, NULL, md, NULL) != 1)
		SHA1(p, n, out);
}

void util_sha256(const void *p, size_t n, unsigned char out[UTIL_SHA256_LEN])
{
	const EVP_MD *md = util_md("SHA256");

	if (md == NULL || EVP_Digest(p, n, out, NULL, md, NULL) != 1)
		SHA256(p, n, out);
}

void util_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int util_unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = util_hexval((unsigned char)hex[2 * i]);
		int lo = hi < 0 ? -1 : util_hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

void util_time_iso(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int util_digits(const char **s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

int util_time_parse(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;

	memset(&tm, 0, sizeof(tm));
	if (util_digits(&s, 4, &y) || *s++ != '-' || util_digits(&s, 2, &mo) || *s++ != '-' ||
	    util_digits(&s, 2, &d))
		return -1;
	if (*s == 'T') {
		s++;
		if (util_digits(&s, 2, &h) || *s++ != ':' || util_digits(&s, 2, &mi) ||
		    *s++ != ':' || util_digits(&s, 2, &sec))
			return -1;
		if (*s == '.') {
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			while (isdigit((unsigned char)*s))
				s++;
		}
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1, oh, om;
			if (util_digits(&s, 2, &oh) || *s++ != ':' || util_digits(&s, 2, &om))
				return -1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm) - off;
	return 0;
}

int util_duration_parse(const char *s, long long *secs)
{
	long long total = 0, v;
	int in_time = 0, any = 0;

	if (*s++ != 'P')
		return -1;
	while (*s != '\0') {
		if (*s == 'T') {
			if (in_time)
				return -1;
			in_time = 1;
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > 100000000LL)
				return -1;
			v = v * 10 + (*s++ - '0');
		}
		if (*s == '.') { /* fractional seconds: ignore the fraction */
			s++;
			while (isdigit((unsigned char)*s))
				s++;
			if (*s != 'S')
				return -1;
		}
		switch (*s++) {
		case 'D': if (in_time) return -1; total += v * 86400; break;
		case 'H': if (!in_time) return -1; total += v * 3600; break;
		case 'M': if (!in_time) return -1; total += v * 60; break;
		case 'S': if (!in_time) return -1; total += v; break;
		default: return -1;
		}
		any = 1;
	}
	if (!any)
		return -1;
	*secs = total;
	return 0;
}

void util_duration_format(long long secs, char *out, size_t outlen)
{
	if (secs > 0 && secs % 86400 == 0)
		snprintf(out, outlen, "P%lldD", secs / 86400);
	else if (secs > 0 && secs % 3600 == 0)
		snprintf(out, outlen, "PT%lldH", secs / 3600);
	else
		snprintf(out, outlen, "PT%lldS", secs);
}

time_t util_now(void)
{
	const char *fake = getenv("TILLIT_NOW");

	if (fake != NULL && *fake != '\0')
		return (time_t)strtoll(fake, NULL, 10);
	return time(NULL);
}

int util_read_file(const char *path, size_t max, char **out, size_t *len, struct tl_err *err)
{
	int fd = -1, rc = TL_OK;
	size_t cap = 65536, n = 0;
	char *p = NULL, *np;
	ssize_t r;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return tl_err_set(err, errno == ENOENT ? TL_ENOENT : TL_EIO, "%s: %s", path,
			                  strerror(errno));
	}
	p = malloc(cap + 1);
	if (p == NULL) {
		rc = tl_err_set(err, TL_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				rc = tl_err_set(err, TL_ELIMIT, "%s is larger than %zu bytes", path, max);
				goto out;
			}
			cap *= 2;
			np = realloc(p, cap + 1);
			if (np == NULL) {
				rc = tl_err_set(err, TL_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			p = np;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = tl_err_set(err, TL_ELIMIT, "%s is larger than %zu bytes", path, max);
			goto out;
		}
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	p = NULL;
out:
	free(p);
	if (fd > STDIN_FILENO)
		close(fd);
	return rc;
}

int util_write_atomic(const char *path, const void *p, size_t n, unsigned mode,
                      struct tl_err *err)
{
	char tmp[4200];
	const char *c = p;
	int fd, rc = TL_OK;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return tl_err_set(err, TL_EIO, "%s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) != 0) {
		rc = tl_err_set(err, TL_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = tl_err_set(err, TL_EIO, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		c += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0)
		rc = tl_err_set(err, TL_EIO, "%s: %s", tmp, strerror(errno));
out:
	close(fd);
	if (rc == TL_OK && rename(tmp, path) != 0)
		rc = tl_err_set(err, TL_EIO, "%s: %s", path, strerror(errno));
	if (rc != TL_OK)
		unlink(tmp);
	return rc;
}

int util_mkdirs(const char *path, unsigned mode, struct tl_err *err)
{
	char p[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return tl_err_set(err, TL_EINVAL, "bad directory path '%s'", path);
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return tl_err_set(err, TL_EIO, "%s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return tl_err_set(err, TL_EIO, "%s: %s", p, strerror(errno));
	return TL_OK;
}

int util_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

int util_random(void *p, size_t n, struct tl_err *err)
{
	if (RAND_bytes(p, (int)n) != 1)
		return tl_err_set(err, TL_ECRYPTO, "no random bytes from OpenSSL");
	return TL_OK;
}

/* Percent-decoding in one pass; plus: '+' is a space (form encoding). */
static char *util_pct_decode(const char *s, size_t len, int plus)
{
	char *out = malloc(len + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi = -1, lo = -1;
			if (i + 2 < len) {
				hi = util_hexval((unsigned char)s[i + 1]);
				lo = util_hexval((unsigned char)s[i + 2]);
			}
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

char *util_url_decode(const char *s, size_t len)
{
	return util_pct_decode(s, len, 0);
}

char *util_form_decode(const char *s, size_t len)
{
	return util_pct_decode(s, len, 1);
}

char *util_url_encode(const char *s)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = digits[c >> 4];
			*o++ = digits[c & 15];
		}
	}
	*o = '\0';
	return out;
}

char *util_base64(const unsigned char *p, size_t n)
{
	size_t outlen = 4 * ((n + 2) / 3) + 1;
	char *out = malloc(outlen);

	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int util_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > (~0ULL) / 10 - 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p++ - '0');
	}
	switch (*p) {
	case '\0': break;
	case 'K': case 'k': v <<= 10; p++; break;
	case 'M': case 'm': v <<= 20; p++; break;
	case 'G': case 'g': v <<= 30; p++; break;
	default: return -1;
	}
	if (*p != '\0')
		return -1;
	*out = v;
	return 0;
}

/* ---- JSON members read in place ---------------------------------------- */

static size_t util_json_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* The index after the string that starts at s[i] (a quote); 0 if it does not end. */
static size_t util_json_string_end(const char *s, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* The index after the value that starts at s[i]; 0 if malformed. */
static size_t util_json_value_end(const char *s, size_t i, size_t len)
{
	int depth = 0;

	if (i >= len)
		return 0;
	if (s[i] == '"')
		return util_json_string_end(s, i, len);
	if (s[i] != '{' && s[i] != '[') {
		size_t st = i;
		while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
		       s[i] != '\n' && s[i] != '\r' && s[i] != '"' && s[i] != '{' && s[i] != '[' && s[i] != ':')
			i++;
		return i > st ? i : 0;
	}
	for (; i < len; i++) {
		if (s[i] == '"') {
			size_t e = util_json_string_end(s, i, len);
			if (e == 0)
				return 0;
			i = e - 1;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

int util_json_member(const char *s, size_t len, const char *key, const char **v, size_t *n, int *quoted)
{
	size_t klen = strlen(key), i = util_json_ws(s, 0, len);

	if (i >= len || s[i] != '{')
		return -1;
	i = util_json_ws(s, i + 1, len);
	if (i < len && s[i] == '}')
		return 0;
	for (;;) {
		size_t ke, vs, ve;
		if (i >= len || s[i] != '"' || (ke = util_json_string_end(s, i, len)) == 0)
			return -1;
		vs = util_json_ws(s, ke, len);
		if (vs >= len || s[vs] != ':')
			return -1;
		vs = util_json_ws(s, vs + 1, len);
		if ((ve = util_json_value_end(s, vs, len)) == 0)
			return -1;
		if (ke - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0) {
			*quoted = s[vs] == '"';
			*v = s + vs + (*quoted ? 1 : 0);
			*n = ve - vs - (*quoted ? 2 : 0);
			return 1;
		}
		i = util_json_ws(s, ve, len);
		if (i < len && s[i] == '}')
			return 0;
		if (i >= len || s[i] != ',')
			return -1;
		i = util_json_ws(s, i + 1, len);
	}
}

int util_json_str(const char *s, size_t len, const char *key, char **out)
{
	const char *v;
	size_t n;
	int q, rc = util_json_member(s, len, key, &v, &n, &q);

	*out = NULL;
	if (rc <= 0)
		return rc;
	if (!q)
		return n == 4 && memcmp(v, "null", 4) == 0 ? 0 : -1;
	if (memchr(v, '\\', n) != NULL || (*out = strndup(v, n)) == NULL)
		return -1;
	return 1;
}

int util_json_uint(const char *s, size_t len, const char *key, unsigned long long *out)
{
	const char *v;
	size_t n;
	int q, rc = util_json_member(s, len, key, &v, &n, &q);
	unsigned long long x = 0;

	*out = 0;
	if (rc <= 0)
		return rc;
	if (q)
		return -1;
	if (n == 4 && memcmp(v, "null", 4) == 0)
		return 0;
	if (n == 0 || n > 16 || (n > 1 && v[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	if (x > (1ULL << 53))
		return -1;
	*out = x;
	return 1;
}
