/*
 * guard.h - what the service remembers about client addresses between
 * connections (CONTRACT.md section 7, "One visitor cannot take the service
 * from the others"): how many chats an address opened in its current hour,
 * how many of its refused hellos were recorded as events, and the blocks
 * advisors set.
 *
 * An address is never kept, not even here: every rule counts by a keyed
 * hash of the client address text (addr.h), HMAC-SHA256 under a key drawn
 * from RAND_bytes when the guard is made. The key lives in this process's
 * memory only, so the hashes mean nothing to anyone who later reads a core
 * file or swap without the key, and a restart forgets every block by
 * design. Nothing of this goes to the database or a log.
 *
 * Pure logic (OpenSSL's HMAC and RAND only; no libwebsockets, no SQLite; no
 * clock of its own: the caller passes `now`, wall seconds). One per
 * server, owned by the service and touched only on the event-loop thread.
 *
 * Bounded: at most GUARD_MAX_COUNTED addresses are counted at once (more
 * only from an attacker with that many addresses, who gains nothing more
 * by it): with the table full, a chat opened is not counted (a new
 * address is let in rather than everyone refused) and a refusal is not
 * recorded (the database does not grow). At most GUARD_MAX_BLOCKS blocks
 * are kept; one more replaces the one that would end first. Entries whose
 * hour and block are over are dropped by guard_sweep.
 */
#ifndef NEUVO_GUARD_H
#define NEUVO_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUARD_KEY_LEN 32            /* HMAC-SHA256 */
#define GUARD_HOUR_S 3600           /* the window of the hourly counts */
#define GUARD_MAX_COUNTED 65536     /* addresses counted at once */
#define GUARD_MAX_BLOCKS 4096       /* blocks kept at once */

/* The keyed hash of one client address. All zero: no address known. */
struct guard_key {
	unsigned char b[GUARD_KEY_LEN];
};

struct guard;

/* A new, empty guard with a fresh random key. NULL when memory or the
 * random generator fails. Free with guard_free. */
struct guard *guard_new(void);

/* Free the table and wipe the key. NULL is a no-op. */
void guard_free(struct guard *g);

/*
 * The keyed hash of `address` (a NUL-terminated client address text) into
 * *out. Equal texts give equal keys within one guard; two guards give
 * unrelated keys. Returns 0, or -1 (HMAC failed; *out is then all zero).
 */
int guard_key_of(const struct guard *g, const char *address,
		 struct guard_key *out);

/* Is *k all zero (no address known)? */
bool guard_key_unknown(const struct guard_key *k);

/* Equal keys? (Compared in constant time.) */
bool guard_key_equal(const struct guard_key *a, const struct guard_key *b);

/* --- chats opened per hour --- */

/*
 * May k open another chat at `now`: has it opened fewer than `max` in its
 * current hour? An hour starts at the first chat counted (or refusal
 * recorded) and lasts GUARD_HOUR_S; after it the counts start again.
 */
bool guard_open_allowed(const struct guard *g, const struct guard_key *k,
			int max, int64_t now);

/* Count one chat opened by k at `now`. With the table full (or out of
 * memory) it is not counted. */
void guard_count_open(struct guard *g, const struct guard_key *k,
		      int64_t now);

/* Chats k has opened in its current hour at `now`. */
int guard_opened(const struct guard *g, const struct guard_key *k,
		 int64_t now);

/*
 * A hello of k refused at `now` (closed, queue full): count it, and say
 * whether it is among the first `max` of k's hour, to be recorded as an
 * event. False also when the table is full, so a flood of refusals never
 * grows the database.
 */
bool guard_count_refusal(struct guard *g, const struct guard_key *k, int max,
			 int64_t now);

/* --- questions while closed (CONTRACT.md section 9) --- */

/* What else is counted per address in the same hour as chats opened. */
enum guard_tally {
	GUARD_QUESTIONS,            /* questions left */
	GUARD_BAD_CODES,            /* pickups with a wrong code */
	GUARD_N_TALLIES
};

/* k's count of `t` in its current hour at `now` (0 when none). */
int guard_tally(const struct guard *g, const struct guard_key *k,
		enum guard_tally t, int64_t now);

/* Count one `t` for k at `now`. With the table full (or out of memory) it
 * is not counted. */
void guard_tally_add(struct guard *g, const struct guard_key *k,
		     enum guard_tally t, int64_t now);

/* --- blocks --- */

/*
 * Refuse k from `now` until `until` (wall seconds). A block in force ends
 * at the later of the two. Returns 0, or -1 when out of memory (nothing
 * blocked). An unknown (all zero) key is never blocked: returns -1.
 */
int guard_block(struct guard *g, const struct guard_key *k, int64_t now,
		int64_t until);

/* Is k blocked at `now`? */
bool guard_blocked(const struct guard *g, const struct guard_key *k,
		   int64_t now);

/* Blocks in force at `now`. */
size_t guard_blocks(const struct guard *g, int64_t now);

/* --- upkeep --- */

/* Drop the entries whose hour is over and which hold no block in force.
 * Costs a walk of the table: call it now and then (the service does once a
 * minute). */
void guard_sweep(struct guard *g, int64_t now);

/* Entries held (counted addresses and blocks). */
size_t guard_entries(const struct guard *g);

#endif
