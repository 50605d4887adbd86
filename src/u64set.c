/* u64set.c — open-addressing set of ids with a dense member array (see
 * u64set.h). No globals, no locks: the owner of a set serialises its use.
 *
 * The table stores positions, not ids: at half load it costs 8 bytes per
 * member, and with the 8 of the dense array a member costs what a table of
 * bare ids at half load would, while the dense array gives ordered lists
 * (ids.c) and values beside members (state.c) for nothing. */
#include "u64set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t u64set_hash(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

void u64set_init(struct u64set *s)
{
	memset(s, 0, sizeof *s);
}

void u64set_free(struct u64set *s)
{
	free(s->ids);
	free(s->tab);
	u64set_init(s);
}

/* The slot holding id, or the empty slot where it would go. tabcap > 0. */
static size_t slot_of(const struct u64set *s, uint64_t id)
{
	size_t mask = s->tabcap - 1, i = (size_t)u64set_hash(id) & mask;
	while (s->tab[i] != 0 && s->ids[s->tab[i] - 1] != id)
		i = (i + 1) & mask;
	return i;
}

/* A table of tabcap slots for the members of s. */
static int rehash(struct u64set *s, size_t tabcap)
{
	uint32_t *tab = calloc(tabcap, sizeof *tab);
	if (!tab)
		return -1;
	free(s->tab);
	s->tab = tab;
	s->tabcap = tabcap;
	for (size_t k = 0; k < s->n; k++)
		s->tab[slot_of(s, s->ids[k])] = (uint32_t)(k + 1);
	return 0;
}

int u64set_reserve(struct u64set *s, size_t more)
{
	if (more > UINT32_MAX - 1 - s->n) {
		errno = ENOMEM;
		return -1;
	}
	size_t need = s->n + more;
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 16;
	while (cap < need)
		cap *= 2;
	uint64_t *ids = realloc(s->ids, cap * sizeof *ids);
	if (!ids)
		return -1;
	s->ids = ids;
	if (rehash(s, cap * 2) != 0)
		return -1; /* ids grew; the old table still serves */
	s->cap = cap;
	return 0;
}

int u64set_add(struct u64set *s, uint64_t id)
{
	if (id == 0) {
		errno = EINVAL;
		return -1;
	}
	if (s->tabcap && s->tab[slot_of(s, id)] != 0)
		return 0;
	if (u64set_reserve(s, 1) != 0)
		return -1;
	s->ids[s->n++] = id;
	s->tab[slot_of(s, id)] = (uint32_t)s->n;
	return 1;
}

size_t u64set_find(const struct u64set *s, uint64_t id)
{
	if (id == 0 || s->tabcap == 0)
		return U64SET_NONE;
	uint32_t p = s->tab[slot_of(s, id)];
	return p ? (size_t)p - 1 : U64SET_NONE;
}

/* Empty slot i, then move later members of its probe run back so that
 * every lookup still finds them (backward-shift deletion). */
static void clear_slot(struct u64set *s, size_t i)
{
	size_t mask = s->tabcap - 1;
	for (size_t j = (i + 1) & mask; s->tab[j] != 0; j = (j + 1) & mask) {
		size_t home = (size_t)u64set_hash(s->ids[s->tab[j] - 1]) & mask;
		/* j's member may move to i when i lies on its path home..j */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i] = 0;
}

size_t u64set_remove(struct u64set *s, uint64_t id)
{
	if (id == 0 || s->tabcap == 0)
		return U64SET_NONE;
	size_t i = slot_of(s, id);
	if (s->tab[i] == 0)
		return U64SET_NONE;
	size_t pos = s->tab[i] - 1;
	clear_slot(s, i);
	size_t last = --s->n;
	if (pos != last) {
		uint64_t moved = s->ids[last];
		s->tab[slot_of(s, moved)] = (uint32_t)(pos + 1);
		s->ids[pos] = moved;
	}
	return pos;
}
