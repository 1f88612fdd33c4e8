/*
 * cidset.h - which client message ids (cids) one chat has stored, kept in
 * memory so that a new message need not ask the store first.
 *
 * A `msg` may carry a cid; a resend of a stored cid is answered with the
 * stored message (CONTRACT.md section 7). The stored messages are the
 * truth, but the store keeps no index on cids (a message would cost its
 * commit a page of its chat's own: store.c, migration 7), so asking it
 * walks the chat's rows. Each chat keeps the 64-bit hashes of its stored
 * (sender, cid) pairs here, each with the seq of its message: a pair not
 * in a complete set was never stored, so the store is told the key is new
 * and does not look; a pair in it (a resend, or a hash collision) is read
 * by its seq, through the store's (chat_id, seq) index, and compared. Only
 * an incomplete set makes the store walk the chat's rows.
 *
 * The one invariant: no false negatives while the set is `complete`. So a
 * set starts complete for a chat made in this run, and a chat rebuilt
 * after a restart starts incomplete and is made complete from the keys its
 * chat stored (restore.c) before anything is sent to it. A set that would
 * pass CIDSET_MAX entries gives up and becomes incomplete (every key is
 * then looked up in the store, a walk of the chat). A rolled-back insert
 * leaves its hash in, and two keys may share a hash (2^-64 a pair: the
 * hash is keyed with a secret, cidset_seed): then the message at the seq
 * held is not the key's (or is gone), and the store walks the chat's rows
 * for it, so no key is ever taken as new on the set's word alone unless
 * the set lacks its hash.
 *
 * Pure logic, memory only (hashes of cids, never the cids). One per chat,
 * owned by it (cidset_free), touched only on the event-loop thread.
 */
#ifndef NEUVO_CIDSET_H
#define NEUVO_CIDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries before the set gives up. Above the default max_chat_chars
 * (50,000; every message holds a character at least), so with the default
 * limits no chat gets there; with max_chat_chars set higher a chat can,
 * and then each new key costs a walk of the chat (README, [limits]). */
#define CIDSET_MAX 65536

struct cidset_slot {
	uint64_t h;             /* 0: empty */
	int64_t seq;            /* the message last stored with it */
};

struct cidset {
	struct cidset_slot *slots; /* open addressing */
	size_t cap;             /* slots, a power of two (0: none yet) */
	size_t n;               /* entries */
	bool complete;          /* every stored pair is in (see above) */
};

/* An empty set: complete (a new chat) or not (a restored one). */
void cidset_init(struct cidset *set, bool complete);

/* Frees the slots; the set is then empty and incomplete. */
void cidset_free(struct cidset *set);

/* The hash key, 16 secret bytes drawn at each start (svc_new), before any
 * set is filled: a client that cannot predict hashes can neither make two
 * keys collide nor crowd one run of slots. Unseeded, the key is zero (the
 * unit tests). */
void cidset_seed(const uint8_t key[16]);

/* SipHash-2-4 of data under key, as cidset_hash computes it (for tests
 * against the reference vectors). */
uint64_t cidset_siphash(const uint8_t key[16], const void *data, size_t len);

/* The hash of one (sender, cid key) pair under the seeded key; never 0. */
uint64_t cidset_hash(const char *sender, const char *key);

/* May the pair of hash h have been stored? false only when the set is
 * complete and h is not in it: then the store has no such message. */
bool cidset_maybe(const struct cidset *set, uint64_t h);

/* The seq of the message last stored with hash h; 0 when the set holds
 * no h (or is incomplete). A hash is not its cid: the caller checks the
 * message at that seq is the same sender and key. */
int64_t cidset_seq(const struct cidset *set, uint64_t h);

/* Records a pair stored as message `seq`. On running out of memory or past
 * CIDSET_MAX the set frees its slots and becomes incomplete (lookups go to
 * the store). */
void cidset_add(struct cidset *set, uint64_t h, int64_t seq);

#endif
