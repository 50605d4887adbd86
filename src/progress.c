/* progress.c — the progress thread (see progress.h).
 * Threads: started and stopped by main around crawl_run(). It reads the
 * crawl's atomic counters (crawl_stats) and draws through log_status(), which
 * serialises it with log lines. `mu` guards `stop`; `cv` wakes the thread
 * at once on stop, so stopping never waits for a redraw period. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "crawl.h"
#include "log.h"

struct progress {
	struct crawl *c;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;           /* guarded by mu */
};

static void draw(struct crawl *c)
{
	struct crawl_stats st;
	crawl_stats(c, &st);
	double s = st.ms / 1000.0;
	char line[256];
	snprintf(line, sizeof line,
		 "%llu/%llu roots, %llu items, %.0f items/s, %llu in flight, "
		 "%llu failed",
		 (unsigned long long)st.roots_done,
		 (unsigned long long)st.roots,
		 (unsigned long long)st.items,
		 s > 0 ? (double)st.items / s : 0.0,
		 (unsigned long long)st.inflight,
		 (unsigned long long)st.failed);
	log_status(line);
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	/* Draw at least once, even when the run ends before this thread
	 * first runs: --progress always shows a line, however short the run. */
	pthread_mutex_lock(&p->mu);
	do {
		pthread_mutex_unlock(&p->mu);
		draw(p->c);
		pthread_mutex_lock(&p->mu);
		/* 10 redraws a second at most */
		struct timespec ts = clock_after_ms(100);
		while (!p->stop &&
		       pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
			;
	} while (!p->stop);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct progress *progress_start(struct crawl *c)
{
	struct progress *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->c = c;
	if (clock_cond_init(&p->cv) != 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	if (pthread_create(&p->th, NULL, progress_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	log_status(NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
