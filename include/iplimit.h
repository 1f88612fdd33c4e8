/*
 * iplimit.h - how many WebSocket connections each peer address holds, so
 * that one address cannot take every slot (CONTRACT.md section 5: in memory
 * only, never written anywhere).
 *
 * Pure logic: a chained hash table of address strings. One per server,
 * touched only on the event-loop thread. The table owns its entries; an
 * entry is freed when its count drops to zero, so idle addresses leave no
 * trace.
 */
#ifndef NEUVO_IPLIMIT_H
#define NEUVO_IPLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#define IPLIMIT_BUCKETS 4096
#define IPLIMIT_ADDR_MAX 64

struct iplimit_entry;

struct iplimit {
	struct iplimit_entry *bucket[IPLIMIT_BUCKETS];
	size_t addresses;               /* entries in use */
};

void iplimit_init(struct iplimit *t);

/* Count one more connection from addr unless it holds `max` already.
 * Returns true when admitted (and counted); false when over the cap or out
 * of memory (then nothing is counted). */
bool iplimit_acquire(struct iplimit *t, const char *addr, int max);

/* Forget one connection from addr (admitted earlier). */
void iplimit_release(struct iplimit *t, const char *addr);

/* Connections counted for addr now. */
int iplimit_count(const struct iplimit *t, const char *addr);

/* Free every entry. */
void iplimit_clear(struct iplimit *t);

#endif
