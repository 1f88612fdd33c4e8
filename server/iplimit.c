/*
 * iplimit.c - per-address connection counts (see iplimit.h).
 *
 * FNV-1a spreads addresses over the buckets; a busy NAT address is just one
 * entry with a large count, so lookups stay short whatever the load.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iplimit.h"

/* One address with at least one connection; owned by its bucket chain. */
struct iplimit_entry {
	struct iplimit_entry *next;
	int count;
	char addr[IPLIMIT_ADDR_MAX];
};

static size_t
bucket_of(const char *addr)
{
	uint32_t h = 2166136261u;

	for (; *addr; addr++) {
		h ^= (uint8_t)*addr;
		h *= 16777619u;
	}
	return h % IPLIMIT_BUCKETS;
}

static struct iplimit_entry **
find(struct iplimit *t, const char *addr)
{
	struct iplimit_entry **pp = &t->bucket[bucket_of(addr)];

	while (*pp && strcmp((*pp)->addr, addr))
		pp = &(*pp)->next;
	return pp;
}

void
iplimit_init(struct iplimit *t)
{
	memset(t, 0, sizeof(*t));
}

bool
iplimit_acquire(struct iplimit *t, const char *addr, int max)
{
	struct iplimit_entry **pp = find(t, addr), *e = *pp;

	if (e) {
		if (e->count >= max)
			return false;
		e->count++;
		return true;
	}
	if (max < 1 || strlen(addr) >= IPLIMIT_ADDR_MAX)
		return false;
	e = calloc(1, sizeof(*e));
	if (!e)
		return false;
	strcpy(e->addr, addr);
	e->count = 1;
	*pp = e;
	t->addresses++;
	return true;
}

void
iplimit_release(struct iplimit *t, const char *addr)
{
	struct iplimit_entry **pp = find(t, addr), *e = *pp;

	if (!e)
		return;
	if (--e->count > 0)
		return;
	*pp = e->next;
	free(e);
	t->addresses--;
}

int
iplimit_count(const struct iplimit *t, const char *addr)
{
	const struct iplimit_entry *e = t->bucket[bucket_of(addr)];

	while (e && strcmp(e->addr, addr))
		e = e->next;
	return e ? e->count : 0;
}

void
iplimit_clear(struct iplimit *t)
{
	size_t i;

	for (i = 0; i < IPLIMIT_BUCKETS; i++) {
		while (t->bucket[i]) {
			struct iplimit_entry *e = t->bucket[i];
			t->bucket[i] = e->next;
			free(e);
		}
	}
	t->addresses = 0;
}
