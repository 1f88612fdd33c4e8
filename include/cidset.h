/*
 * cidset.h - which client message ids (cids) one chat has stored, kept in
 * memory so that a new message need not ask the store first.
 *
 * A `msg` may carry a cid; a resend of a stored cid is answered with the
 * stored message (CONTRACT.md section 7). The stored messages are the
 * truth, but the store keeps no index on cids (a message would cost its
 * commit a page of its chat's own: store.c, migration 7), so asking it
 * walks the chat's rows. Each chat keeps the 64-bit hashes of its stored
 * (sender, cid) pairs here: a pair not in a complete set was never stored,
 * so the store is told the key is new and does not look; a pair in it (a
 * resend, or a hash collision) is looked up.
 *
 * The one invariant: no false negatives while the set is `complete`. So a
 * set starts complete for a chat made in this run, and a chat rebuilt
 * after a restart starts incomplete and is made complete from the keys its
 * chat stored (restore.c) before anything is sent to it. A set that would
 * pass CIDSET_MAX entries gives up and becomes incomplete (every key is
 * then looked up in the store; only a chat an advisor kept going for
 * thousands of messages gets there). A rolled-back insert leaves its hash
 * in: a false positive, which only costs a lookup.
 *
 * Pure logic, memory only (hashes of cids, never the cids). One per chat,
 * owned by it (cidset_free), touched only on the event-loop thread.
 */
#ifndef NEUVO_CIDSET_H
#define NEUVO_CIDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CIDSET_MAX 8192         /* entries before the set gives up */

struct cidset {
	uint64_t *slots;        /* open addressing; 0 marks an empty slot */
	size_t cap;             /* slots, a power of two (0: none yet) */
	size_t n;               /* entries */
	bool complete;          /* every stored pair is in (see above) */
};

/* An empty set: complete (a new chat) or not (a restored one). */
void cidset_init(struct cidset *set, bool complete);

/* Frees the slots; the set is then empty and incomplete. */
void cidset_free(struct cidset *set);

/* The hash of one (sender, cid key) pair; never 0. */
uint64_t cidset_hash(const char *sender, const char *key);

/* May the pair of hash h have been stored? false only when the set is
 * complete and h is not in it: then the store has no such message. */
bool cidset_maybe(const struct cidset *set, uint64_t h);

/* Records a stored pair. On running out of memory or past CIDSET_MAX the
 * set frees its slots and becomes incomplete (lookups go to the store). */
void cidset_add(struct cidset *set, uint64_t h);

#endif
