/* log.c — timestamped lines on stderr.
 * Threads: any. `lock` serialises whole lines and the status line; the
 * level is written by main before threads start and only read afterwards. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level level = LOG_INFO;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char status[512];    /* guarded by lock */
static int status_on;        /* guarded by lock */

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }

void log_status(const char *line)
{
	pthread_mutex_lock(&lock);
	if (line) {
		snprintf(status, sizeof status, "%s", line);
		fprintf(stderr, "\r\033[K%s", status);
		status_on = 1;
	} else if (status_on) {
		fputs("\r\033[K", stderr);
		status_on = 0;
	}
	fflush(stderr);
	pthread_mutex_unlock(&lock);
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	if (l > level)
		return;
	char line[1024];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	int n = snprintf(line, sizeof line, "[%02d:%02d:%02d] hnbatch: ",
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&lock);
	if (status_on)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s\n", line);
	if (status_on)
		fputs(status, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&lock);
}
