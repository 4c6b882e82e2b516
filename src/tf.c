/*
 * tf.c - trust-framework files: a strict parser, the set of frameworks,
 * and the evaluation of one entity.
 */
#include "tillit/tf.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tillit/buf.h"
#include "tillit/tfc.h"

/* ---- small helpers ---------------------------------------------------- */

const char *tf_outcome_name(enum tf_outcome o)
{
	static const char *const names[TF__OUTCOMES] = {
		"pass", "fail", "warning", "needs-attestation", "attested", "not-applicable",
	};
	return (unsigned)o < TF__OUTCOMES ? names[o] : "?";
}

const char *tf_attribute_alias(const char *name)
{
	if (strcmp(name, "assurance-certification") == 0)
		return TF_ATTR_ASSURANCE;
	if (strcmp(name, "entity-category") == 0)
		return TF_ATTR_CATEGORY;
	if (strcmp(name, "entity-category-support") == 0)
		return TF_ATTR_CATEGORY_SUPPORT;
	return NULL;
}

static int tf_valid_id(const char *s, int lower_only)
{
	size_t n = strlen(s);

	if (n == 0 || n > TF_ID_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (lower_only ? !(islower(c) || isdigit(c) || c == '-' || c == '.')
		               : !(isalnum(c) || c == '-' || c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

/* "idp sp" -> role bits; -1 on an unknown word. */
static int tf_roles_parse(const char *s, unsigned *out)
{
	char word[16];
	unsigned r = 0;

	while (*s != '\0') {
		size_t n;
		while (*s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, " \t");
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return -1;
		memcpy(word, s, n);
		word[n] = '\0';
		if (strcmp(word, "idp") == 0)
			r |= MD_ROLE_IDP;
		else if (strcmp(word, "sp") == 0)
			r |= MD_ROLE_SP;
		else if (strcmp(word, "aa") == 0)
			r |= MD_ROLE_AA;
		else if (strcmp(word, "any") == 0)
			r |= TF_ROLES_ALL;
		else
			return -1;
		s += n;
	}
	if (r == 0)
		return -1;
	*out = r;
	return 0;
}

/* ISO 8601 calendar period: PnYnMnD (at least one part, no time part). */
static int tf_period_parse(const char *s, struct tf_period *p)
{
	int any = 0;

	memset(p, 0, sizeof(*p));
	if (*s++ != 'P')
		return -1;
	while (*s != '\0') {
		char *end;
		long v;
		if (!isdigit((unsigned char)*s))
			return -1;
		v = strtol(s, &end, 10);
		if (v < 0 || v > 1000)
			return -1;
		switch (*end) {
		case 'Y': p->years = (int)v; break;
		case 'M': p->months = (int)v; break;
		case 'W': p->days += 7 * (int)v; break;
		case 'D': p->days += (int)v; break;
		default: return -1;
		}
		any = 1;
		s = end + 1;
	}
	return any && (p->years || p->months || p->days) ? 0 : -1;
}

void tf_period_format(const struct tf_period *p, char *out, size_t n)
{
	size_t off = (size_t)snprintf(out, n, "P");

	if (p->years && off < n)
		off += (size_t)snprintf(out + off, n - off, "%dY", p->years);
	if (p->months && off < n)
		off += (size_t)snprintf(out + off, n - off, "%dM", p->months);
	if ((p->days || off == 1) && off < n)
		snprintf(out + off, n - off, "%dD", p->days);
}

time_t tf_period_add(time_t t, const struct tf_period *p)
{
	struct tm tm;
	int mday;

	gmtime_r(&t, &tm);
	mday = tm.tm_mday;
	tm.tm_year += p->years;
	tm.tm_mon += p->months;
	/* 31 January + 1 month is the last of February, not 3 March */
	tm.tm_mday = 1;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	{
		static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int y = tm.tm_year + 1900, last = dim[tm.tm_mon];
		if (tm.tm_mon == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
			last = 29;
		tm.tm_mday = mday < last ? mday : last;
	}
	return timegm(&tm) + (time_t)p->days * 86400;
}

/* A plain date YYYY-MM-DD (midnight UTC). */
static int tf_date_parse(const char *s, time_t *t)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	return util_time_parse(s, t);
}

/* ---- the file parser -------------------------------------------------- */

enum tf_section { SEC_NONE, SEC_FRAMEWORK, SEC_LEVEL, SEC_CHECK, SEC_ATTEST };

struct tf_parser {
	const char *file;
	int line;
	struct tf_framework *fw;
	enum tf_section sec;
	int sec_line;
	size_t cur;              /* index of the current level or requirement */
	unsigned seen;           /* keys seen in this section (bit per key) */
	struct tl_err *err;
	size_t cap_levels, cap_reqs;
};

static int tf_perr(struct tf_parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int tf_perr(struct tf_parser *p, int line, const char *fmt, ...)
{
	char msg[TL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tl_err_set(p->err, TL_ECONF, "%s:%d: %s", p->file, line, msg);
}

/* "check SF-1" / "level sirtfi1" / "framework": what the errors name. */
static void tf_item(const struct tf_parser *p, char *out, size_t n)
{
	switch (p->sec) {
	case SEC_FRAMEWORK: snprintf(out, n, "[framework]"); break;
	case SEC_LEVEL: snprintf(out, n, "level %s", p->fw->levels[p->cur].id); break;
	case SEC_CHECK: snprintf(out, n, "check %s", p->fw->reqs[p->cur].id); break;
	case SEC_ATTEST: snprintf(out, n, "attest %s", p->fw->reqs[p->cur].id); break;
	default: snprintf(out, n, "(outside any section)"); break;
	}
}

/* The keys of each section, in bit order. */
static const char *const tf_fw_keys[] = { "id", "version", "title", "source", "description",
	                                  "applies", "baseline", NULL };
static const char *const tf_level_keys[] = { "title", "description", "extends", "publish",
	                                     "applies", NULL };
static const char *const tf_check_keys[] = { "level", "text", "test", "severity", "applies",
	                                     "since", "until", "source", NULL };
static const char *const tf_attest_keys[] = { "level", "text", "evidence", "validity", "remind",
	                                      "applies", "since", "until", "source", NULL };

static const char *const *tf_keys(enum tf_section s)
{
	switch (s) {
	case SEC_FRAMEWORK: return tf_fw_keys;
	case SEC_LEVEL: return tf_level_keys;
	case SEC_CHECK: return tf_check_keys;
	case SEC_ATTEST: return tf_attest_keys;
	default: return NULL;
	}
}

static int tf_key_index(enum tf_section s, const char *key)
{
	const char *const *k = tf_keys(s);

	for (int i = 0; k != NULL && k[i] != NULL; i++)
		if (strcmp(k[i], key) == 0)
			return i;
	return -1;
}

/* The required keys of the section just closed are all there? */
static int tf_close_section(struct tf_parser *p)
{
	static const char *const fw_req[] = { "id", "version", "title", "source", NULL };
	static const char *const level_req[] = { "title", NULL };
	static const char *const check_req[] = { "level", "text", "test", NULL };
	static const char *const attest_req[] = { "level", "text", "evidence", "validity", NULL };
	const char *const *req = p->sec == SEC_FRAMEWORK ? fw_req
	                       : p->sec == SEC_LEVEL     ? level_req
	                       : p->sec == SEC_CHECK     ? check_req
	                       : p->sec == SEC_ATTEST    ? attest_req
	                                                 : NULL;
	char item[TF_ID_MAX + 16];

	for (int i = 0; req != NULL && req[i] != NULL; i++) {
		if (!(p->seen & (1u << tf_key_index(p->sec, req[i])))) {
			tf_item(p, item, sizeof(item));
			return tf_perr(p, p->sec_line, "%s: '%s' is missing", item, req[i]);
		}
	}
	return TL_OK;
}

static int tf_open_section(struct tf_parser *p, char *hdr)
{
	char *sp, *name = NULL;
	struct tf_framework *fw = p->fw;
	int rc;

	if (p->sec != SEC_NONE && (rc = tf_close_section(p)) != TL_OK)
		return rc;
	sp = strchr(hdr, ' ');
	if (sp != NULL) {
		*sp = '\0';
		name = sp + 1;
		while (*name == ' ')
			name++;
	}
	p->seen = 0;
	p->sec_line = p->line;
	if (strcmp(hdr, "framework") == 0) {
		if (name != NULL && *name != '\0')
			return tf_perr(p, p->line, "[framework] takes no name");
		if (fw->id != NULL || fw->nlevels > 0 || fw->nreqs > 0)
			return tf_perr(p, p->line, "[framework] must come first, and once");
		p->sec = SEC_FRAMEWORK;
		return TL_OK;
	}
	if (p->sec == SEC_NONE)
		return tf_perr(p, p->line, "the file must start with [framework]");
	if (name == NULL || *name == '\0' || !tf_valid_id(name, 0))
		return tf_perr(p, p->line, "[%s] needs a name of letters, digits, '.', '-' or '_' (at most %d)",
		               hdr, TF_ID_MAX);
	if (strcmp(hdr, "level") == 0) {
		for (size_t i = 0; i < fw->nlevels; i++)
			if (strcmp(fw->levels[i].id, name) == 0)
				return tf_perr(p, p->line, "level %s is defined twice (first at line %d)", name,
				               fw->levels[i].line);
		if (fw->nlevels == p->cap_levels) {
			size_t nc = p->cap_levels ? p->cap_levels * 2 : 8;
			struct tf_level *nl = realloc(fw->levels, nc * sizeof(*nl));
			if (nl == NULL)
				return tl_err_set(p->err, TL_ENOMEM, "out of memory");
			fw->levels = nl;
			p->cap_levels = nc;
		}
		p->cur = fw->nlevels++;
		memset(&fw->levels[p->cur], 0, sizeof(fw->levels[p->cur]));
		fw->levels[p->cur].id = strdup(name);
		fw->levels[p->cur].line = p->line;
		fw->levels[p->cur].roles = fw->roles;
		p->sec = SEC_LEVEL;
		return fw->levels[p->cur].id ? TL_OK : tl_err_set(p->err, TL_ENOMEM, "out of memory");
	}
	if (strcmp(hdr, "check") == 0 || strcmp(hdr, "attest") == 0) {
		struct tf_requirement *r;
		for (size_t i = 0; i < fw->nreqs; i++)
			if (strcmp(fw->reqs[i].id, name) == 0)
				return tf_perr(p, p->line, "requirement %s is defined twice (first at line %d)",
				               name, fw->reqs[i].line);
		if (fw->nreqs >= TF_REQS_MAX)
			return tf_perr(p, p->line, "more than %d requirements", TF_REQS_MAX);
		if (fw->nreqs == p->cap_reqs) {
			size_t nc = p->cap_reqs ? p->cap_reqs * 2 : 16;
			struct tf_requirement *nr = realloc(fw->reqs, nc * sizeof(*nr));
			if (nr == NULL)
				return tl_err_set(p->err, TL_ENOMEM, "out of memory");
			fw->reqs = nr;
			p->cap_reqs = nc;
		}
		p->cur = fw->nreqs++;
		r = &fw->reqs[p->cur];
		memset(r, 0, sizeof(*r));
		r->id = strdup(name);
		r->line = p->line;
		r->kind = hdr[0] == 'c' ? TF_KIND_CHECK : TF_KIND_ATTEST;
		r->roles = TF_ROLES_ALL;
		r->remind_days = 30;
		p->sec = hdr[0] == 'c' ? SEC_CHECK : SEC_ATTEST;
		return r->id ? TL_OK : tl_err_set(p->err, TL_ENOMEM, "out of memory");
	}
	return tf_perr(p, p->line, "unknown section [%s] (framework, level, check or attest)", hdr);
}

static int tf_set_str(struct tf_parser *p, char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? TL_OK : tl_err_set(p->err, TL_ENOMEM, "out of memory");
}

static int tf_key_framework(struct tf_parser *p, const char *key, const char *v)
{
	struct tf_framework *fw = p->fw;

	if (strcmp(key, "id") == 0) {
		if (!tf_valid_id(v, 1))
			return tf_perr(p, p->line, "[framework]: id '%s' must be lowercase letters, digits, '.' or '-'", v);
		return tf_set_str(p, &fw->id, v);
	}
	if (strcmp(key, "version") == 0)
		return tf_set_str(p, &fw->version, v);
	if (strcmp(key, "title") == 0)
		return tf_set_str(p, &fw->title, v);
	if (strcmp(key, "source") == 0)
		return tf_set_str(p, &fw->source, v);
	if (strcmp(key, "description") == 0)
		return tf_set_str(p, &fw->description, v);
	if (strcmp(key, "applies") == 0) {
		if (tf_roles_parse(v, &fw->roles) != 0)
			return tf_perr(p, p->line, "[framework]: applies '%s': use idp, sp, aa or any", v);
		return TL_OK;
	}
	if (strcmp(key, "baseline") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return tf_perr(p, p->line, "[framework]: baseline is yes or no, not '%s'", v);
		fw->baseline = v[0] == 'y';
		return TL_OK;
	}
	return TL_EINTERNAL;
}

static int tf_split_words(struct tf_parser *p, const char *v, char ***out, size_t *n)
{
	char **w = NULL;
	size_t cnt = 0;

	while (*v != '\0') {
		size_t len;
		char **nw;
		while (*v == ' ' || *v == '\t')
			v++;
		len = strcspn(v, " \t");
		if (len == 0)
			break;
		nw = realloc(w, (cnt + 1) * sizeof(*w));
		if (nw == NULL || (nw[cnt] = strndup(v, len)) == NULL) {
			free(nw ? nw : w);
			return tl_err_set(p->err, TL_ENOMEM, "out of memory");
		}
		w = nw;
		cnt++;
		v += len;
	}
	*out = w;
	*n = cnt;
	return TL_OK;
}

static int tf_key_level(struct tf_parser *p, const char *key, const char *v)
{
	struct tf_level *l = &p->fw->levels[p->cur];

	if (strcmp(key, "title") == 0)
		return tf_set_str(p, &l->title, v);
	if (strcmp(key, "description") == 0)
		return tf_set_str(p, &l->description, v);
	if (strcmp(key, "applies") == 0) {
		if (tf_roles_parse(v, &l->roles) != 0)
			return tf_perr(p, p->line, "level %s: applies '%s': use idp, sp, aa or any", l->id, v);
		return TL_OK;
	}
	if (strcmp(key, "extends") == 0) {
		int rc = tf_split_words(p, v, &l->extends_ref, &l->nextends);
		if (rc == TL_OK && l->nextends == 0)
			return tf_perr(p, p->line, "level %s: extends names no level", l->id);
		return rc;
	}
	if (strcmp(key, "publish") == 0) {
		char **w = NULL;
		size_t n = 0;
		const char *full;
		struct tf_publish *np;
		int rc = tf_split_words(p, v, &w, &n);
		if (rc != TL_OK)
			return rc;
		if (n != 2) {
			for (size_t i = 0; i < n; i++)
				free(w[i]);
			free(w);
			return tf_perr(p, p->line, "level %s: publish takes ATTRIBUTE VALUE", l->id);
		}
		full = tf_attribute_alias(w[0]);
		if (full == NULL && strncmp(w[0], "http", 4) != 0 && strncmp(w[0], "urn:", 4) != 0) {
			rc = tf_perr(p, p->line,
			             "level %s: publish attribute '%s' is neither a URI nor one of "
			             "assurance-certification, entity-category, entity-category-support",
			             l->id, w[0]);
		} else if ((np = realloc(l->publish, (l->npublish + 1) * sizeof(*np))) == NULL) {
			rc = tl_err_set(p->err, TL_ENOMEM, "out of memory");
		} else {
			l->publish = np;
			np[l->npublish].attribute = strdup(full ? full : w[0]);
			np[l->npublish].value = w[1];
			w[1] = NULL;
			l->npublish++;
		}
		free(w[0]);
		free(w[1]);
		free(w);
		return rc;
	}
	return TL_EINTERNAL;
}

static int tf_key_req(struct tf_parser *p, const char *key, const char *v)
{
	struct tf_requirement *r = &p->fw->reqs[p->cur];
	const char *what = r->kind == TF_KIND_CHECK ? "check" : "attest";

	if (strcmp(key, "level") == 0)
		return tf_set_str(p, &r->level_id, v);
	if (strcmp(key, "text") == 0)
		return tf_set_str(p, &r->text, v);
	if (strcmp(key, "source") == 0)
		return tf_set_str(p, &r->source, v);
	if (strcmp(key, "applies") == 0) {
		if (tf_roles_parse(v, &r->roles) != 0)
			return tf_perr(p, p->line, "%s %s: applies '%s': use idp, sp, aa or any", what, r->id, v);
		return TL_OK;
	}
	if (strcmp(key, "since") == 0 || strcmp(key, "until") == 0) {
		time_t *t = key[0] == 's' ? &r->since : &r->until;
		if (tf_date_parse(v, t) != 0)
			return tf_perr(p, p->line, "%s %s: %s '%s' is not a date YYYY-MM-DD", what, r->id, key, v);
		return TL_OK;
	}
	if (strcmp(key, "severity") == 0) {
		if (strcmp(v, "error") == 0)
			r->severity = TF_SEV_ERROR;
		else if (strcmp(v, "warning") == 0)
			r->severity = TF_SEV_WARNING;
		else
			return tf_perr(p, p->line, "check %s: severity is error or warning, not '%s'", r->id, v);
		return TL_OK;
	}
	if (strcmp(key, "test") == 0) {
		char why[TL_ERR_MSG_MAX];
		struct tfc_args *args = NULL;
		if (tfc_parse(v, &r->check, &args, why, sizeof(why)) != 0)
			return tf_perr(p, p->line, "check %s: %s", r->id, why);
		tfc_args_free(r->params);
		r->params = args;
		return tf_set_str(p, &r->test, v);
	}
	if (strcmp(key, "evidence") == 0)
		return tf_set_str(p, &r->evidence, v);
	if (strcmp(key, "validity") == 0) {
		if (tf_period_parse(v, &r->validity) != 0)
			return tf_perr(p, p->line, "attest %s: validity '%s' is not a period like P1Y, P6M or P90D",
			               r->id, v);
		return TL_OK;
	}
	if (strcmp(key, "remind") == 0) {
		struct tf_period rp;
		if (tf_period_parse(v, &rp) != 0 || rp.years || rp.months || rp.days > 3650)
			return tf_perr(p, p->line, "attest %s: remind '%s' is not a period of days like P30D",
			               r->id, v);
		r->remind_days = rp.days;
		return TL_OK;
	}
	return TL_EINTERNAL;
}

static int tf_key(struct tf_parser *p, char *key, char *v)
{
	int idx = tf_key_index(p->sec, key), rc;
	char item[TF_ID_MAX + 16];

	tf_item(p, item, sizeof(item));
	if (p->sec == SEC_NONE)
		return tf_perr(p, p->line, "'%s' before any section (the file starts with [framework])", key);
	if (idx < 0) {
		const char *const *k = tf_keys(p->sec);
		char list[256] = "";
		for (int i = 0; k[i] != NULL; i++) {
			strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, k[i], sizeof(list) - strlen(list) - 1);
		}
		return tf_perr(p, p->line, "%s: unknown key '%s' (known: %s)", item, key, list);
	}
	if ((p->seen & (1u << idx)) && !(p->sec == SEC_LEVEL && strcmp(key, "publish") == 0))
		return tf_perr(p, p->line, "%s: '%s' is given twice", item, key);
	if (*v == '\0')
		return tf_perr(p, p->line, "%s: '%s' has no value", item, key);
	p->seen |= 1u << idx;
	switch (p->sec) {
	case SEC_FRAMEWORK: rc = tf_key_framework(p, key, v); break;
	case SEC_LEVEL: rc = tf_key_level(p, key, v); break;
	default: rc = tf_key_req(p, key, v); break;
	}
	return rc;
}

static void tf_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (i > 0)
		memmove(s, s + i, n - i + 1);
}

/* The file name's stem ("refeds-sirtfi" for ".../refeds-sirtfi.tf"). */
static void tf_stem(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len > 3 && strcmp(b + len - 3, ".tf") == 0)
		len -= 3;
	snprintf(out, n, "%.*s", (int)len, b);
}

static int tf_parse_text(struct tf_parser *p, char *text)
{
	struct tf_framework *fw = p->fw;
	char *line = text, *next;
	char *pend_key = NULL;
	struct buf val;
	int pend_line = 0, rc = TL_OK;

	buf_init(&val, TF_FILE_MAX);
	for (p->line = 1; line != NULL && rc == TL_OK; line = next, p->line++) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* a continuation line: indented text after a key */
		if ((line[0] == ' ' || line[0] == '\t') && pend_key != NULL) {
			tf_trim(line);
			if (*line != '\0' && *line != '#') {
				buf_puts(&val, " ");
				buf_puts(&val, line);
			}
			continue;
		}
		if (pend_key != NULL) {
			int save = p->line;
			p->line = pend_line;
			rc = tf_key(p, pend_key, val.data ? val.data : "");
			p->line = save;
			free(pend_key);
			pend_key = NULL;
			buf_reset(&val);
			if (rc != TL_OK)
				break;
		}
		tf_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');
			if (close == NULL || close[1] != '\0') {
				rc = tf_perr(p, p->line, "a section header is [NAME] or [KIND ID]");
				break;
			}
			*close = '\0';
			tf_trim(line + 1);
			rc = tf_open_section(p, line + 1);
			continue;
		}
		{
			char *eq = strchr(line, '=');
			if (eq == NULL) {
				rc = tf_perr(p, p->line, "expected KEY = VALUE, a [section] or a # comment");
				break;
			}
			*eq = '\0';
			tf_trim(line);
			tf_trim(eq + 1);
			if (*line == '\0') {
				rc = tf_perr(p, p->line, "a key is missing before '='");
				break;
			}
			pend_key = strdup(line);
			pend_line = p->line;
			buf_reset(&val);
			if (pend_key == NULL || buf_puts(&val, eq + 1) != TL_OK)
				rc = tl_err_set(p->err, TL_ENOMEM, "out of memory");
		}
	}
	if (rc == TL_OK && pend_key != NULL) {
		p->line = pend_line;
		rc = tf_key(p, pend_key, val.data ? val.data : "");
	}
	free(pend_key);
	buf_free(&val);
	if (rc != TL_OK)
		return rc;
	if (p->sec == SEC_NONE)
		return tf_perr(p, 1, "no [framework] section");
	if ((rc = tf_close_section(p)) != TL_OK)
		return rc;
	if (fw->nlevels == 0)
		return tf_perr(p, 1, "framework %s defines no level", fw->id);
	/* every requirement belongs to a level of this framework */
	for (size_t i = 0; i < fw->nreqs; i++) {
		struct tf_requirement *r = &fw->reqs[i];
		r->fw = fw;
		for (size_t j = 0; j < fw->nlevels && r->level == NULL; j++)
			if (strcmp(fw->levels[j].id, r->level_id) == 0)
				r->level = &fw->levels[j];
		if (r->level == NULL)
			return tf_perr(p, r->line, "%s %s: level '%s' is not defined in this file",
			               r->kind == TF_KIND_CHECK ? "check" : "attest", r->id, r->level_id);
		if (r->kind == TF_KIND_ATTEST && r->severity != TF_SEV_ERROR)
			return tf_perr(p, r->line, "attest %s: severity is for checks", r->id);
	}
	for (size_t j = 0; j < fw->nlevels; j++) {
		fw->levels[j].fw = fw;
		if ((fw->levels[j].roles & fw->roles) == 0)
			return tf_perr(p, fw->levels[j].line,
			               "level %s: applies to roles the framework does not apply to",
			               fw->levels[j].id);
	}
	return TL_OK;
}

static int tf_load_one(const char *path, struct tf_framework *fw, struct tl_err *err)
{
	struct tf_parser p;
	char stem[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(fw, 0, sizeof(*fw));
	memset(&p, 0, sizeof(p));
	fw->roles = TF_ROLES_ALL;
	fw->file = strdup(path);
	rc = util_read_file(path, TF_FILE_MAX, &text, &len, err);
	if (rc != TL_OK)
		return rc;
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return tl_err_set(err, TL_ECONF, "%s: contains a NUL byte: not a framework file", path);
	}
	util_sha256(text, len, fw->sha256);
	p.file = path;
	p.fw = fw;
	p.err = err;
	rc = tf_parse_text(&p, text);
	free(text);
	if (rc != TL_OK)
		return rc;
	tf_stem(path, stem, sizeof(stem));
	if (strcmp(stem, fw->id) != 0)
		return tl_err_set(err, TL_ECONF, "%s:%d: [framework]: id '%s' differs from the file name '%s.tf'",
		                  path, 1, fw->id, stem);
	return TL_OK;
}

static void tf_fw_free(struct tf_framework *fw)
{
	for (size_t i = 0; i < fw->nlevels; i++) {
		struct tf_level *l = &fw->levels[i];
		free(l->id);
		free(l->title);
		free(l->description);
		for (size_t j = 0; j < l->nextends; j++)
			free(l->extends_ref[j]);
		free(l->extends_ref);
		free(l->extends);
		for (size_t j = 0; j < l->npublish; j++) {
			free(l->publish[j].attribute);
			free(l->publish[j].value);
		}
		free(l->publish);
	}
	for (size_t i = 0; i < fw->nreqs; i++) {
		struct tf_requirement *r = &fw->reqs[i];
		free(r->id);
		free(r->level_id);
		free(r->text);
		free(r->source);
		free(r->test);
		free(r->evidence);
		tfc_args_free(r->params);
	}
	free(fw->levels);
	free(fw->reqs);
	free(fw->id);
	free(fw->version);
	free(fw->title);
	free(fw->source);
	free(fw->description);
	free(fw->file);
}

void tf_set_free(struct tf_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		tf_fw_free(&s->fws[i]);
	free(s->fws);
	free(s);
}

const struct tf_framework *tf_find_framework(const struct tf_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->fws[i].id, id) == 0)
			return &s->fws[i];
	return NULL;
}

const struct tf_requirement *tf_find_requirement(const struct tf_set *s, const char *ref)
{
	const char *slash = strchr(ref, '/');
	char fwid[TF_ID_MAX + 1];
	const struct tf_framework *fw;

	if (slash == NULL || (size_t)(slash - ref) > TF_ID_MAX)
		return NULL;
	snprintf(fwid, sizeof(fwid), "%.*s", (int)(slash - ref), ref);
	fw = tf_find_framework(s, fwid);
	if (fw == NULL)
		return NULL;
	for (size_t i = 0; i < fw->nreqs; i++)
		if (strcmp(fw->reqs[i].id, slash + 1) == 0)
			return &fw->reqs[i];
	return NULL;
}

const struct tf_framework *tf_baseline(const struct tf_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fws[i].baseline)
			return &s->fws[i];
	return NULL;
}

static struct tf_level *tf_level_ref(struct tf_set *s, struct tf_framework *fw, const char *ref)
{
	const char *slash = strchr(ref, '/');
	struct tf_framework *f = fw;
	const char *lid = ref;

	if (slash != NULL) {
		f = NULL;
		for (size_t i = 0; i < s->n; i++)
			if (strlen(s->fws[i].id) == (size_t)(slash - ref) &&
			    strncmp(s->fws[i].id, ref, (size_t)(slash - ref)) == 0)
				f = &s->fws[i];
		lid = slash + 1;
	}
	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < f->nlevels; i++)
		if (strcmp(f->levels[i].id, lid) == 0)
			return &f->levels[i];
	return NULL;
}

/* Depth-first search for a cycle through l; colour: 0 new, 1 on the path, 2 done. */
static struct tf_level *tf_cycle(struct tf_level *l, unsigned char *colour)
{
	colour[l->idx] = 1;
	for (size_t i = 0; i < l->nextends; i++) {
		struct tf_level *e = l->extends[i];
		if (colour[e->idx] == 1)
			return e;
		if (colour[e->idx] == 0) {
			struct tf_level *c = tf_cycle(e, colour);
			if (c != NULL)
				return c;
		}
	}
	colour[l->idx] = 2;
	return NULL;
}

/* Across files: unique ids, one baseline, extends resolved and acyclic. */
static int tf_link(struct tf_set *s, struct tl_err *err)
{
	const struct tf_framework *base = NULL;
	unsigned char *colour;
	size_t idx = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct tf_framework *fw = &s->fws[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->fws[j].id, fw->id) == 0)
				return tl_err_set(err, TL_ECONF, "%s:1: framework %s is also defined in %s",
				                  fw->file, fw->id, s->fws[j].file);
		if (fw->baseline) {
			if (base != NULL)
				return tl_err_set(err, TL_ECONF,
				                  "%s:1: [framework]: baseline = yes, but %s is the baseline already",
				                  fw->file, base->id);
			base = fw;
		}
		for (size_t j = 0; j < fw->nlevels; j++)
			fw->levels[j].idx = idx++;
	}
	s->nlevels = idx;
	for (size_t i = 0; i < s->n; i++) {
		struct tf_framework *fw = &s->fws[i];
		for (size_t j = 0; j < fw->nlevels; j++) {
			struct tf_level *l = &fw->levels[j];
			if (l->nextends == 0)
				continue;
			l->extends = calloc(l->nextends, sizeof(*l->extends));
			if (l->extends == NULL)
				return tl_err_set(err, TL_ENOMEM, "out of memory");
			for (size_t k = 0; k < l->nextends; k++) {
				l->extends[k] = tf_level_ref(s, fw, l->extends_ref[k]);
				if (l->extends[k] == NULL)
					return tl_err_set(err, TL_ECONF, "%s:%d: level %s: extends unknown level '%s'",
					                  fw->file, l->line, l->id, l->extends_ref[k]);
			}
		}
	}
	colour = calloc(idx ? idx : 1, 1);
	if (colour == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		struct tf_framework *fw = &s->fws[i];
		for (size_t j = 0; j < fw->nlevels; j++) {
			struct tf_level *l = &fw->levels[j], *c;
			if (colour[l->idx] != 0)
				continue;
			c = tf_cycle(l, colour);
			if (c != NULL) {
				free(colour);
				return tl_err_set(err, TL_ECONF,
				                  "%s:%d: level %s: extends form a cycle through %s/%s",
				                  c->fw->file, c->line, c->id, c->fw->id, c->id);
			}
		}
	}
	free(colour);
	return TL_OK;
}

static int tf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tf_load_files(const char *const *paths, size_t n, struct tf_set **out, struct tl_err *err)
{
	struct tf_set *s;
	struct buf d;
	int rc = TL_OK;

	*out = NULL;
	if (n > TF_FILES_MAX)
		return tl_err_set(err, TL_ELIMIT, "more than %d framework files", TF_FILES_MAX);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->fws = calloc(n ? n : 1, sizeof(*s->fws))) == NULL) {
		free(s);
		return tl_err_set(err, TL_ENOMEM, "out of memory");
	}
	buf_init(&d, (size_t)TF_FILES_MAX * (PATH_MAX + UTIL_SHA256_LEN));
	for (size_t i = 0; i < n && rc == TL_OK; i++) {
		const char *b = strrchr(paths[i], '/');
		rc = tf_load_one(paths[i], &s->fws[i], err);
		s->n = i + 1;
		buf_puts(&d, b ? b + 1 : paths[i]);
		buf_append(&d, "", 1);
		buf_append(&d, s->fws[i].sha256, UTIL_SHA256_LEN);
	}
	if (rc == TL_OK)
		rc = tf_link(s, err);
	util_sha256(d.data ? d.data : "", d.len, s->digest);
	buf_free(&d);
	if (rc != TL_OK) {
		tf_set_free(s);
		return rc;
	}
	*out = s;
	return TL_OK;
}

int tf_load_dir(const char *dir, struct tf_set **out, struct tl_err *err)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (dh == NULL)
		return tl_err_set(err, TL_ENOENT, "%s: cannot open the trust-framework directory", dir);
	while ((de = readdir(dh)) != NULL) {
		size_t len = strlen(de->d_name);
		char **nn;
		if (len < 4 || strcmp(de->d_name + len - 3, ".tf") != 0 || de->d_name[0] == '.')
			continue;
		if (n == TF_FILES_MAX) {
			rc = tl_err_set(err, TL_ELIMIT, "%s: more than %d framework files", dir, TF_FILES_MAX);
			goto out;
		}
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn == NULL) {
			rc = tl_err_set(err, TL_ENOMEM, "out of memory");
			goto out;
		}
		names = nn;
		{
			size_t need = strlen(dir) + len + 2;
			names[n] = malloc(need);
			if (names[n] == NULL) {
				rc = tl_err_set(err, TL_ENOMEM, "out of memory");
				goto out;
			}
			snprintf(names[n], need, "%s/%s", dir, de->d_name);
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), tf_name_cmp);
	rc = tf_load_files((const char *const *)names, n, out, err);
	if (rc == TL_OK)
		snprintf((*out)->dir, sizeof((*out)->dir), "%s", dir);
out:
	closedir(dh);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- evaluation ------------------------------------------------------- */

struct tf_eval {
	const struct tf_set *s;
	const struct mdm_entity *m;
	const struct tf_attestation *att;
	size_t natt;
	const struct tf_context *c;
	struct tf_report *r;
	signed char *achieved;   /* per level idx: -1 unknown, 0, 1 */
	unsigned char *own_ok;   /* per level idx: own requirements allow achievement */
};

static int tf_add_result(struct tf_report *r, const struct tf_requirement *req,
                         enum tf_outcome o, const char *path, const char *msg)
{
	struct tf_result *res = &r->results[r->nresults];

	res->req = req;
	res->outcome = o;
	if (r->quiet) {
		res->path = res->message = NULL;
		r->nresults++;
		return TL_OK;
	}
	res->path = strdup(path ? path : "");
	res->message = strdup(msg ? msg : "");
	if (res->path == NULL || res->message == NULL) {
		free(res->path);
		free(res->message);
		return TL_ENOMEM;
	}
	r->nresults++;
	return TL_OK;
}

static const char *tf_roles_words(unsigned roles, char *out, size_t n)
{
	static const char *const names[] = { "identity providers", "service providers",
		                             "attribute authorities" };
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!(roles & (1u << i)))
			continue;
		off += (size_t)snprintf(out + off, n - off, "%s%s", off ? " and " : "", names[i]);
		if (off >= n)
			break;
	}
	return out;
}

static void tf_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

/* Is "FRAMEWORK/REQUIREMENT" ref the reference of req? */
static int tf_ref_is(const char *ref, const struct tf_requirement *req)
{
	size_t n = strlen(req->fw->id);

	return strncmp(ref, req->fw->id, n) == 0 && ref[n] == '/' && strcmp(ref + n + 1, req->id) == 0;
}

/* The attestation that decides a requirement: approved and current, else the latest. */
static const struct tf_attestation *tf_pick_att(struct tf_eval *e, const struct tf_requirement *req)
{
	const struct tf_attestation *best = NULL, *latest = NULL;

	for (size_t i = 0; i < e->natt; i++) {
		const struct tf_attestation *a = &e->att[i];
		if (!tf_ref_is(a->requirement, req) || a->state == TF_ATT_WITHDRAWN)
			continue;
		if (a->state == TF_ATT_APPROVED && (a->expires == 0 || a->expires > e->c->now)) {
			if (best == NULL || a->expires == 0 || (best->expires != 0 && a->expires > best->expires))
				best = a;
		}
		if (latest == NULL || a->id > latest->id)
			latest = a;
	}
	return best != NULL ? best : latest;
}

static int tf_eval_attest(struct tf_eval *e, const struct tf_requirement *req, enum tf_outcome *o)
{
	char ref[2 * TF_ID_MAX + 2], msg[TFC_MSG_MAX], d1[16], d2[16];
	const struct tf_attestation *a = e->natt > 0 ? tf_pick_att(e, req) : NULL;

	if (e->c->quiet) {
		*o = a != NULL && a->state == TF_ATT_APPROVED && (a->expires == 0 || a->expires > e->c->now)
		         ? TF_ATTESTED : TF_NEEDS_ATTESTATION;
		if (a != NULL && a->expires != 0)
			e->r->time_dependent = 1;
		return tf_add_result(e->r, req, *o, NULL, NULL);
	}
	snprintf(ref, sizeof(ref), "%s/%s", req->fw->id, req->id);
	if (a == NULL) {
		snprintf(msg, sizeof(msg), "Not attested yet: show %s (tillitctl attest %s %s --evidence FILE).",
		         req->evidence, e->m->entity_id, ref);
		*o = TF_NEEDS_ATTESTATION;
	} else if (a->state == TF_ATT_APPROVED && (a->expires == 0 || a->expires > e->c->now)) {
		tf_date(a->decided, d1, sizeof(d1));
		if (a->expires != 0) {
			tf_date(a->expires, d2, sizeof(d2));
			if (a->expires - e->c->now <= (time_t)req->remind_days * 86400)
				snprintf(msg, sizeof(msg),
				         "Attested (attestation %lld, approved %s), but it expires on %s: renew it.",
				         a->id, d1, d2);
			else
				snprintf(msg, sizeof(msg), "Attested (attestation %lld, approved %s, valid until %s).",
				         a->id, d1, d2);
			e->r->time_dependent = 1;
		} else {
			snprintf(msg, sizeof(msg), "Attested (attestation %lld, approved %s).", a->id, d1);
		}
		*o = TF_ATTESTED;
	} else if (a->state == TF_ATT_APPROVED) {
		tf_date(a->expires, d2, sizeof(d2));
		snprintf(msg, sizeof(msg), "Attestation %lld expired on %s: attest again with new evidence.",
		         a->id, d2);
		*o = TF_NEEDS_ATTESTATION;
	} else if (a->state == TF_ATT_PENDING) {
		tf_date(a->submitted, d1, sizeof(d1));
		snprintf(msg, sizeof(msg), "Attestation %lld, submitted %s, waits for the operator's review.",
		         a->id, d1);
		*o = TF_NEEDS_ATTESTATION;
	} else {
		tf_date(a->decided, d1, sizeof(d1));
		snprintf(msg, sizeof(msg), "Attestation %lld was rejected on %s: %s.", a->id, d1,
		         a->reason ? a->reason : "no reason given");
		*o = TF_NEEDS_ATTESTATION;
	}
	return tf_add_result(e->r, req, *o, "", msg);
}

static int tf_eval_req(struct tf_eval *e, const struct tf_requirement *req)
{
	const struct tf_level *l = req->level;
	unsigned roles = req->roles & l->roles & e->m->roles;
	char msg[TFC_MSG_MAX], words[96], d[16];
	struct tf_level_result *lr = &e->r->levels[l->idx];
	enum tf_outcome o;
	int rc, quiet = e->c->quiet;

	if (req->since != 0 || req->until != 0)
		e->r->time_dependent = 1;
	msg[0] = '\0';
	if (!lr->applicable) {
		if (!quiet)
			snprintf(msg, sizeof(msg), "Level %s applies to %s only.", l->id,
			         tf_roles_words(l->roles, words, sizeof(words)));
		o = TF_NOT_APPLICABLE;
		rc = tf_add_result(e->r, req, o, "", msg);
	} else if (roles == 0) {
		if (!quiet)
			snprintf(msg, sizeof(msg), "Applies to %s only.",
			         tf_roles_words(req->roles & l->roles, words, sizeof(words)));
		o = TF_NOT_APPLICABLE;
		rc = tf_add_result(e->r, req, o, "", msg);
	} else if (req->since != 0 && e->c->now < req->since) {
		if (!quiet) {
			tf_date(req->since, d, sizeof(d));
			snprintf(msg, sizeof(msg), "Required from %s.", d);
		}
		o = TF_NOT_APPLICABLE;
		rc = tf_add_result(e->r, req, o, "", msg);
	} else if (req->until != 0 && e->c->now >= req->until) {
		if (!quiet) {
			tf_date(req->until, d, sizeof(d));
			snprintf(msg, sizeof(msg), "No longer required since %s.", d);
		}
		o = TF_NOT_APPLICABLE;
		rc = tf_add_result(e->r, req, o, "", msg);
	} else if (req->kind == TF_KIND_ATTEST) {
		rc = tf_eval_attest(e, req, &o);
	} else {
		struct tfc_out out;
		out.quiet = e->c->quiet;
		tfc_run(req->check, req->params, e->m, e->c, roles, &out);
		if (req->check->time_dependent)
			e->r->time_dependent = 1;
		o = out.outcome;
		if (o == TF_FAIL && req->severity == TF_SEV_WARNING)
			o = TF_WARNING;
		rc = tf_add_result(e->r, req, o, out.path, out.msg);
	}
	if (rc != TL_OK)
		return rc;
	lr->counts[o]++;
	if (o == TF_FAIL || o == TF_NEEDS_ATTESTATION)
		e->own_ok[l->idx] = 0;
	return TL_OK;
}

static int tf_achieved(struct tf_eval *e, const struct tf_level *l)
{
	struct tf_level_result *lr = &e->r->levels[l->idx];
	int ok;

	if (e->achieved[l->idx] >= 0)
		return e->achieved[l->idx];
	ok = lr->applicable && e->own_ok[l->idx];
	for (size_t i = 0; ok && i < l->nextends; i++) {
		if (!tf_achieved(e, l->extends[i])) {
			ok = 0;
			lr->missing_extends = l->extends[i];
		}
	}
	e->achieved[l->idx] = (signed char)ok;
	lr->achieved = ok;
	return ok;
}

static const struct tf_level *tf_owner(const struct tf_set *s, const char *attribute,
                                       const char *value)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->fws[i].nlevels; j++) {
			const struct tf_level *l = &s->fws[i].levels[j];
			for (size_t k = 0; k < l->npublish; k++)
				if (strcmp(l->publish[k].attribute, attribute) == 0 &&
				    strcmp(l->publish[k].value, value) == 0)
					return l;
		}
	return NULL;
}

/* Does l extend (or equal) target?  depth bounds a cycle the loader should have refused. */
static int tf_extends_level(const struct tf_level *l, const struct tf_level *target, int depth)
{
	if (l == target)
		return 1;
	if (depth > 64)
		return 0;
	for (size_t i = 0; i < l->nextends; i++)
		if (l->extends[i] != NULL && tf_extends_level(l->extends[i], target, depth + 1))
			return 1;
	return 0;
}

int tf_covers(const struct tf_set *s, const char *attribute, const char *higher, const char *lower)
{
	const struct tf_level *hi = tf_owner(s, attribute, higher), *lo = tf_owner(s, attribute, lower);

	return hi != NULL && lo != NULL && tf_extends_level(hi, lo, 0);
}

int tf_owns(const struct tf_set *s, const char *attribute, const char *value)
{
	return tf_owner(s, attribute, value) != NULL;
}

static struct tf_claim *tf_claim_find(struct tf_report *r, const char *attr, const char *value)
{
	for (size_t i = 0; i < r->nclaims; i++)
		if (strcmp(r->claims[i].attribute, attr) == 0 && strcmp(r->claims[i].value, value) == 0)
			return &r->claims[i];
	return NULL;
}

static int tf_claim_add(struct tf_report *r, size_t *cap, const char *attr, const char *value,
                        struct tf_claim **out)
{
	struct tf_claim *c = tf_claim_find(r, attr, value);

	if (c == NULL) {
		if (r->nclaims == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			struct tf_claim *n = realloc(r->claims, nc * sizeof(*n));
			if (n == NULL)
				return TL_ENOMEM;
			r->claims = n;
			*cap = nc;
		}
		c = &r->claims[r->nclaims++];
		memset(c, 0, sizeof(*c));
		c->attribute = attr;
		c->value = value;
	}
	*out = c;
	return TL_OK;
}

/* What certification publishes and what it removes of the entity's own claims. */
static int tf_claims(struct tf_eval *e)
{
	struct tf_report *r = e->r;
	size_t cap = 0;
	struct tf_claim *c;

	for (size_t i = 0; i < e->s->n; i++)
		for (size_t j = 0; j < e->s->fws[i].nlevels; j++) {
			const struct tf_level *l = &e->s->fws[i].levels[j];
			int ach = r->levels[l->idx].achieved;
			for (size_t k = 0; k < l->npublish; k++) {
				if (tf_claim_add(r, &cap, l->publish[k].attribute, l->publish[k].value, &c) != TL_OK)
					return TL_ENOMEM;
				if (ach && !c->publish) {
					c->publish = 1;
					c->level = l;
				} else if (c->level == NULL) {
					c->level = l;
				}
			}
		}
	/* keep only the values that are published or claimed */
	for (const struct mdm_attr *a = e->m->entity_attrs; a != NULL; a = a->next)
		for (const struct mdm_value *v = a->values; v != NULL; v = v->next)
			if (a->name != NULL && v->value != NULL &&
			    (c = tf_claim_find(r, a->name, v->value)) != NULL)
				c->claimed = 1;
	{
		size_t w = 0;
		for (size_t i = 0; i < r->nclaims; i++)
			if (r->claims[i].claimed || r->claims[i].publish)
				r->claims[w++] = r->claims[i];
		r->nclaims = w;
	}
	return TL_OK;
}

int tf_evaluate(const struct tf_set *s, const struct mdm_entity *m,
                const struct tf_attestation *att, size_t natt, const struct tf_context *c,
                struct tf_report **out, struct tl_err *err)
{
	struct tf_eval e;
	struct tf_report *r;
	size_t nreqs = 0;
	int rc = TL_OK;

	*out = NULL;
	for (size_t i = 0; i < s->n; i++)
		nreqs += s->fws[i].nreqs;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return tl_err_set(err, TL_ENOMEM, "out of memory evaluating");
	r->evaluated = c->now;
	r->quiet = c->quiet;
	r->results = calloc(nreqs ? nreqs : 1, sizeof(*r->results));
	r->levels = calloc(s->nlevels ? s->nlevels : 1, sizeof(*r->levels));
	memset(&e, 0, sizeof(e));
	e.achieved = malloc(s->nlevels ? s->nlevels : 1);
	e.own_ok = malloc(s->nlevels ? s->nlevels : 1);
	if (r->results == NULL || r->levels == NULL || e.achieved == NULL || e.own_ok == NULL) {
		rc = TL_ENOMEM;
		goto out;
	}
	r->nlevels = s->nlevels;
	e.s = s;
	e.m = m;
	e.att = att;
	e.natt = natt;
	e.c = c;
	e.r = r;
	memset(e.achieved, -1, s->nlevels ? s->nlevels : 1);
	memset(e.own_ok, 1, s->nlevels ? s->nlevels : 1);
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->fws[i].nlevels; j++) {
			const struct tf_level *l = &s->fws[i].levels[j];
			r->levels[l->idx].level = l;
			r->levels[l->idx].applicable = (l->roles & m->roles) != 0;
		}
	for (size_t i = 0; i < s->n && rc == TL_OK; i++)
		for (size_t j = 0; j < s->fws[i].nreqs && rc == TL_OK; j++)
			rc = tf_eval_req(&e, &s->fws[i].reqs[j]);
	for (size_t i = 0; i < s->nlevels && rc == TL_OK; i++)
		tf_achieved(&e, r->levels[i].level);
	if (rc == TL_OK)
		rc = tf_claims(&e);
out:
	free(e.achieved);
	free(e.own_ok);
	if (rc != TL_OK) {
		tf_report_free(r);
		return tl_err_set(err, TL_ENOMEM, "out of memory evaluating");
	}
	*out = r;
	return TL_OK;
}

void tf_report_free(struct tf_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nresults; i++) {
		free(r->results[i].path);
		free(r->results[i].message);
	}
	free(r->results);
	free(r->levels);
	free(r->claims);
	free(r);
}

const struct tf_level_result *tf_report_level(const struct tf_report *r, const struct tf_level *l)
{
	return l->idx < r->nlevels ? &r->levels[l->idx] : NULL;
}

json_t *tf_report_json(const struct tf_report *r, const struct mdm_entity *m)
{
	json_t *o = json_object(), *res = json_array(), *lv = json_array(), *cert = json_array();
	char when[32];

	util_time_iso(r->evaluated, when, sizeof(when));
	json_object_set_new(o, "entity_id", json_string(m->entity_id));
	json_object_set_new(o, "evaluated_at", json_string(when));
	for (size_t i = 0; i < r->nresults; i++) {
		const struct tf_result *x = &r->results[i];
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "framework", x->req->fw->id,
		                      "level", x->req->level->id, "requirement", x->req->id, "kind",
		                      x->req->kind == TF_KIND_CHECK ? "check" : "attestation", "outcome",
		                      tf_outcome_name(x->outcome), "path", x->path, "message", x->message);
		if (j == NULL)
			continue;
		json_object_set_new(j, "text", json_string(x->req->text));
		if (x->req->kind == TF_KIND_CHECK) {
			json_object_set_new(j, "severity",
			                    json_string(x->req->severity == TF_SEV_ERROR ? "error" : "warning"));
			json_object_set_new(j, "test", json_string(x->req->test));
		}
		json_array_append_new(res, j);
	}
	for (size_t i = 0; i < r->nlevels; i++) {
		const struct tf_level_result *l = &r->levels[i];
		json_t *counts = json_object(), *req = json_array();
		for (int k = 0; k < TF__OUTCOMES; k++)
			json_object_set_new(counts, tf_outcome_name((enum tf_outcome)k), json_integer(l->counts[k]));
		for (size_t k = 0; k < l->level->nextends; k++) {
			char ref[2 * TF_ID_MAX + 2];
			snprintf(ref, sizeof(ref), "%s/%s", l->level->extends[k]->fw->id, l->level->extends[k]->id);
			json_array_append_new(req, json_string(ref));
		}
		json_array_append_new(lv, json_pack("{s:s, s:s, s:s?, s:b, s:b, s:o, s:o}", "framework",
		                                    l->level->fw->id, "level", l->level->id, "title",
		                                    l->level->title, "applicable", l->applicable, "achieved",
		                                    l->achieved, "requires", req, "counts", counts));
	}
	for (size_t i = 0; i < r->nclaims; i++) {
		const struct tf_claim *c = &r->claims[i];
		char ref[2 * TF_ID_MAX + 2];
		snprintf(ref, sizeof(ref), "%s/%s", c->level->fw->id, c->level->id);
		json_array_append_new(cert, json_pack("{s:s, s:s, s:b, s:b, s:s}", "attribute", c->attribute,
		                                      "value", c->value, "claimed", c->claimed, "published",
		                                      c->publish, "level", ref));
	}
	json_object_set_new(o, "results", res);
	json_object_set_new(o, "levels", lv);
	json_object_set_new(o, "certifications", cert);
	json_object_set_new(o, "time_dependent", json_boolean(r->time_dependent));
	return o;
}
