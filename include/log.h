/*
 * log.h - the server's log lines on standard error.
 *
 * One line per event: "2026-11-23T09:00:01Z LEVEL message". Callers never
 * pass message text, addresses, tokens or anything else a resident typed:
 * the log is at rest too (CONTRACT.md section 5).
 */
#ifndef NEUVO_LOG_H
#define NEUVO_LOG_H

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERR
};

/* Lines below this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)

#endif
