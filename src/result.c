/* result.c — names for root statuses.  Plain data, no state: safe from any
 * thread. */
#include "result.h"

/* Returns a static string; never NULL.  An out-of-range value (a broken
 * invariant in the caller) gives "unknown" rather than crashing output. */
const char *root_status_str(enum root_status s)
{
	switch (s) {
	case ROOT_COMPLETE:
		return "complete";
	case ROOT_PARTIAL:
		return "partial";
	case ROOT_MISSING:
		return "missing";
	case ROOT_INTERRUPTED:
		return "interrupted";
	case ROOT_LEFT:
		return "left";
	}
	return "unknown";
}
