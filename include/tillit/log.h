/*
 * log.h - the few logging functions every module uses.
 *
 * Lines go to stderr as "LEVEL: message" (tillitd prefixes a timestamp).
 * The subject goes in the line: log_entity_warn(entity_id, ...).
 * Never log a private key, a password, a secret or a whole assertion.
 * The log level and the sink live in the process (set once by main before
 * threads start); tests install a sink that records lines and fail on any
 * line they did not expect.
 */
#ifndef TILLIT_LOG_H
#define TILLIT_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* A sink gets each formatted line (no trailing newline). */
typedef void (*log_sink_fn)(enum log_level lvl, const char *line, void *ud);

/* Set the maximum level that is emitted (default LOG_LVL_INFO). Call before threads. */
void log_set_level(enum log_level lvl);
/* Whether lines of level lvl are emitted (to skip building what would not be). */
int log_enabled(enum log_level lvl);
/* Prefix every line with an ISO 8601 UTC timestamp (the daemon turns this on). */
void log_set_timestamps(int on);
/* Replace the sink (NULL restores stderr).  Call before threads start. */
void log_set_sink(log_sink_fn fn, void *ud);
/* Parse "error", "warning", "info", "debug"; returns -1 if unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Lines about one entity: "entity <id>: message". */
void log_entity(enum log_level lvl, const char *entity_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define log_entity_info(id, ...) log_entity(LOG_LVL_INFO, (id), __VA_ARGS__)
#define log_entity_warn(id, ...) log_entity(LOG_LVL_WARN, (id), __VA_ARGS__)

/*
 * Route libxml2's generic and structured error output (for the calling
 * thread and as the default for new threads) into log_debug, so that
 * library chatter about bad input never reaches stderr unformatted.
 */
void log_route_libxml2(void);

#endif
