/* log.c - leveled logging to stderr or a sink. */
#include "tillit/log.h"

#include <libxml/xmlerror.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * Process-wide settings, written only by main() before threads start and
 * read-only afterwards (the one exception to "no globals": a logger is
 * needed before the context object exists).
 */
static enum log_level log_max = LOG_LVL_INFO;
static int log_ts;
static log_sink_fn log_sink;
static void *log_sink_ud;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level lvl) { log_max = lvl; }
int log_enabled(enum log_level lvl) { return lvl <= log_max; }
void log_set_timestamps(int on) { log_ts = on; }

void log_set_sink(log_sink_fn fn, void *ud)
{
	log_sink = fn;
	log_sink_ud = ud;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, log_names[i]) == 0)
			return i;
	return -1;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[2048];
	char ts[32] = "";
	int n;

	if (lvl > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = (int)strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		line[--n] = '\0';
	if (log_sink != NULL) {
		log_sink(lvl, line, log_sink_ud);
		return;
	}
	if (log_ts) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	fprintf(stderr, "%s%s: %s\n", ts, log_names[lvl], line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_entity(enum log_level lvl, const char *entity_id, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(lvl, "entity %s: %s", entity_id, msg);
}

static void log_xml_generic(void *ctx, const char *msg, ...)
	__attribute__((format(printf, 2, 3)));

static void log_xml_generic(void *ctx, const char *msg, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, msg);
	log_vmsg(LOG_LVL_DEBUG, msg, ap);
	va_end(ap);
}

static void log_xml_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e != NULL && e->message != NULL)
		log_debug("libxml2: line %d: %s", e->line, e->message);
}

void log_route_libxml2(void)
{
	xmlSetGenericErrorFunc(NULL, log_xml_generic);
	xmlThrDefSetGenericErrorFunc(NULL, log_xml_generic);
	xmlSetStructuredErrorFunc(NULL, log_xml_structured);
	xmlThrDefSetStructuredErrorFunc(NULL, log_xml_structured);
}
