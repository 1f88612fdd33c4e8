/*
 * cidset.c - the stored cids of one chat as hashes in memory (cidset.h):
 * an open-addressing table of 64-bit FNV-1a hashes with the seq of each
 * one's message, linear probing, grown at half full. Lets the message path skip the store's lookup for a cid
 * that was never stored.
 */
#include <stdlib.h>

#include "cidset.h"

void
cidset_init(struct cidset *set, bool complete)
{
	set->slots = NULL;
	set->cap = 0;
	set->n = 0;
	set->complete = complete;
}

void
cidset_free(struct cidset *set)
{
	free(set->slots);
	cidset_init(set, false);
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
cidset_hash(const char *sender, const char *key)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, sender);

	h ^= 0xff;              /* a separator no UTF-8 text holds */
	h *= 0x100000001b3ULL;
	h = fnv1a(h, key);
	return h ? h : 1;
}

/* The slot of h, or the empty slot where it would go. cap > 0. */
static size_t
slot_of(const struct cidset *set, uint64_t h)
{
	size_t mask = set->cap - 1, i = (size_t)(h ^ (h >> 32)) & mask;

	while (set->slots[i].h && set->slots[i].h != h)
		i = (i + 1) & mask;
	return i;
}

bool
cidset_maybe(const struct cidset *set, uint64_t h)
{
	if (!set->complete)
		return true;
	if (!set->cap)
		return false;
	return set->slots[slot_of(set, h)].h == h;
}

int64_t
cidset_seq(const struct cidset *set, uint64_t h)
{
	const struct cidset_slot *sl;

	if (!set->complete || !set->cap)
		return 0;
	sl = &set->slots[slot_of(set, h)];
	return sl->h == h ? sl->seq : 0;
}

/* Doubles the table (16 slots at first). false: out of memory. */
static bool
grow(struct cidset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 16, i;
	struct cidset_slot *old = set->slots;
	struct cidset_slot *slots = calloc(cap, sizeof(*slots));
	size_t old_cap = set->cap;

	if (!slots)
		return false;
	set->slots = slots;
	set->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].h)
			set->slots[slot_of(set, old[i].h)] = old[i];
	free(old);
	return true;
}

void
cidset_add(struct cidset *set, uint64_t h, int64_t seq)
{
	size_t i;

	if (!set->complete)
		return;
	if (set->n >= CIDSET_MAX ||
	    ((set->n + 1) * 2 > set->cap && !grow(set))) {
		cidset_free(set);
		return;
	}
	i = slot_of(set, h);
	/* A later message takes it: an earlier one of this hash was rolled
	 * back (or is another key's, a collision, see cidset.h). */
	if (set->slots[i].h != h)
		set->n++;
	set->slots[i].h = h;
	set->slots[i].seq = seq;
}
