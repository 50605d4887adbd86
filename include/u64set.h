/* u64set.h — a set of 64-bit ids (item ids: never 0), with a dense array of
 * its members, so that a caller can keep values beside them.
 *
 * `ids[0..n)` holds the members, in the order they were added as long as
 * nothing is removed (a removal moves the last member into the hole). An
 * open-addressing table of 32-bit positions (linear probing, power-of-two
 * size, at most half full) finds a member's position. A set belongs to one
 * thread at a time: the caller locks when it is shared. */
#ifndef HNBATCH_U64SET_H
#define HNBATCH_U64SET_H

#include <stddef.h>
#include <stdint.h>

struct u64set {
	uint64_t *ids;        /* the members, dense */
	size_t n, cap;        /* members, room in ids */
	uint32_t *tab;        /* 0: empty slot; else position in ids + 1 */
	size_t tabcap;        /* 0, or a power of two >= 2 * cap */
};

#define U64SET_NONE SIZE_MAX

void u64set_init(struct u64set *s);
void u64set_free(struct u64set *s);   /* back to empty; init'd again */

/* Make room for `more` additions, after which that many u64set_add calls
 * cannot fail. Returns 0, or -1 on out of memory (set unchanged). */
int u64set_reserve(struct u64set *s, size_t more);

/* Add id (> 0). Returns 1 when added (at position n-1), 0 when already a
 * member, -1 on out of memory or for id 0 (set unchanged). */
int u64set_add(struct u64set *s, uint64_t id);

/* Position of id in ids, or U64SET_NONE. */
size_t u64set_find(const struct u64set *s, uint64_t id);

static inline int u64set_has(const struct u64set *s, uint64_t id)
{
	return u64set_find(s, id) != U64SET_NONE;
}

/* Remove id. Returns the position it had, or U64SET_NONE when it was not a
 * member. When that position is < n afterwards, the former last member
 * (which was at position n) now sits there: a caller with values beside
 * ids moves value[n] to value[position] too. */
size_t u64set_remove(struct u64set *s, uint64_t id);

/* The hash the set uses (splitmix64's finalizer), for callers that spread
 * ids over shards. */
uint64_t u64set_hash(uint64_t id);

#endif
