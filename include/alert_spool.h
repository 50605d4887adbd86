/* alert_spool.h — the --alert-spool file: one JSON line per delivery not
 * made, read at the start of a run, appended to while it runs (the journal
 * of raised alerts) and rewritten at its end.
 *
 *   {"id":1,"title":"...","comments":9,"url":"...","dest":"cmd"|"webhook",
 *    "reason":"...","attempts":4,"spooled_at":1700000000}
 *
 * Threads: alert_spool_open and alert_spool_close on main;
 * alert_spool_journal and alert_spool_save on the alert thread while it
 * runs, alert_spool_save on main after it was joined (pthread_create and
 * pthread_join order the hand-over). One struct is used by one thread at a
 * time. */
#ifndef HNBATCH_ALERT_SPOOL_H
#define HNBATCH_ALERT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

enum alert_dest { ALERT_DEST_CMD = 0, ALERT_DEST_WEBHOOK = 1 };

/* What one line holds. */
struct alert_rec {
	struct alert_info info;   /* info.title cleaned (text_clean) */
	enum alert_dest dest;
	unsigned attempts;        /* written only */
	const char *reason;       /* written only */
};

struct alert_spool;

/* Parse one spool line (without its newline) into *r; the cleaned title is
 * malloc'd into *title (r->info.title points to it; the caller frees it).
 * Strict: exactly one JSON object as hnbatch writes it (jsoncheck), with
 * id, title, comments and dest, and for a subthread kind, root and depth.
 * Returns 0, or -1 with a reason in why (*title NULL). Pure: any thread. */
int alert_spool_parse_line(const char *line, struct alert_rec *r,
			   char **title, char *why, size_t n);

/* Lock PATH.lock (held until alert_spool_close; a second run fails at
 * once), open PATH for appending (created when absent) and read every line
 * (a torn last line, without newline and not JSON, is dropped with a
 * warning and cut off the file):
 * take(rec, arg) is called for each in order (rec valid during the call
 * only) and returns 1 when this run delivers it, 0 to carry the line over
 * unchanged, -1 on out of memory. Returns the spool, or NULL with a message
 * in err naming the file (FILE:LINE for a bad line). */
struct alert_spool *alert_spool_open(const char *path,
				     int (*take)(const struct alert_rec *r,
						 void *arg),
				     void *arg, char *err, size_t errlen);

/* Lines read at open (delivered and carried). */
size_t alert_spool_loaded(const struct alert_spool *s);

/* The file's name, for messages. */
const char *alert_spool_path(const struct alert_spool *s);

struct delivery;

/* The journal: one line for each delivery of the list q (linked by next)
 * that did not come from the spool, appended all or nothing (on a failure
 * part way the file is cut back). Returns how many there were, written or
 * not; *e is 0, or the errno of the failure (after one, every later append
 * fails at once with EIO until a save succeeds). s NULL: counts only. */
uint64_t alert_spool_journal(struct alert_spool *s, const struct delivery *q,
			     int *e);

/* Replace the file (fileutil_replace: temporary file, fsync, rename) with
 * the carried lines, a line for each delivery of the nheld lists in held
 * (still to be made) and one for each of the list lost (given up, with its
 * reason); the journal goes on in the new file. Returns 0, or -1 with a
 * message in err (the old file is then untouched). */
int alert_spool_save(struct alert_spool *s, const struct delivery *const *held,
		     size_t nheld, const struct delivery *lost, char *err,
		     size_t errlen);

/* Close the file and release the lock. NULL is fine. */
void alert_spool_close(struct alert_spool *s);

#endif
