/*
 * idmap.c - 64-bit id to pointer, open addressing (idmap.h). A slot's home
 * is the key times 2^64/phi, top bits; a key sits at its home or after it
 * in an unbroken run of full slots. That run invariant is what del keeps by
 * shifting later entries back into the hole.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "idmap.h"

#define IDMAP_MIN 16

void
idmap_init(struct idmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}

void
idmap_free(struct idmap *m)
{
	free(m->slots);
	idmap_init(m);
}

/* The home slot of key in a table of cap slots (a power of two >= 16). */
static size_t
home(int64_t key, size_t cap)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> (64 - __builtin_ctzll((unsigned long long)cap)));
}

/* The slot holding key, or the empty slot ending its run. cap > 0. */
static size_t
find(const struct idmap *m, int64_t key)
{
	size_t mask = m->cap - 1, i = home(key, m->cap);

	while (m->slots[i].val && m->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

/* Moves every entry into a fresh table of cap slots. -1: out of memory. */
static int
rehash(struct idmap *m, size_t cap)
{
	struct idmap_slot *old = m->slots;
	size_t old_cap = m->cap, i;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].val)
			m->slots[find(m, old[i].key)] = old[i];
	free(old);
	return 0;
}

int
idmap_reserve(struct idmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : IDMAP_MIN;

	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(*m->slots))
			return -1;
		cap *= 2;
	}
	return cap == m->cap ? 0 : rehash(m, cap);
}

int
idmap_put(struct idmap *m, int64_t key, void *val)
{
	size_t i;

	if (!val)
		return -1;
	if (m->cap) {
		i = find(m, key);
		if (m->slots[i].val) {
			m->slots[i].val = val;
			return 0;
		}
	}
	if (idmap_reserve(m, m->n + 1))
		return -1;
	i = find(m, key);
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *
idmap_get(const struct idmap *m, int64_t key)
{
	return m->cap ? m->slots[find(m, key)].val : NULL;
}

/* May the entry whose home is k sit at j once slot i is empty? Only if k
 * is not cyclically in (i, j]: then the entry's run passes through i. */
static bool
may_move(size_t i, size_t j, size_t k)
{
	if (i <= j)
		return k <= i || k > j;
	return k <= i && k > j;
}

void *
idmap_del(struct idmap *m, int64_t key)
{
	size_t mask, i, j;
	void *val;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	i = find(m, key);
	val = m->slots[i].val;
	if (!val)
		return NULL;
	m->slots[i].val = NULL;
	m->n--;
	for (j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		if (!may_move(i, j, home(m->slots[j].key, m->cap)))
			continue;
		m->slots[i] = m->slots[j];
		m->slots[j].val = NULL;
		i = j;
	}
	return val;
}
