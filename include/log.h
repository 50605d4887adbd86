/* log.h — messages for the user on stderr, each line "[HH:MM:SS] hnbatch: ...".
 * Safe from any thread: a whole line is written with one locked stdio call,
 * so lines from different threads never interleave. */
#ifndef HNBATCH_LOG_H
#define HNBATCH_LOG_H

enum log_level { LOG_QUIET = 0, LOG_ERROR = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Set once by main before threads start. Default LOG_INFO. */
void log_set_level(enum log_level l);
enum log_level log_get_level(void);

/* Show `line` as the status (progress) line at the bottom of stderr, or clear
 * it (NULL). Log lines are written above it: the status line is erased
 * before each log line and drawn again after it, under the same lock, so the
 * two never interleave. Only for a terminal; the caller decides. */
void log_status(const char *line);

void log_msg(enum log_level l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
