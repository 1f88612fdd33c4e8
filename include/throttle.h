/*
 * throttle.h - the slow-down after failed logins: per key, a pause before
 * the next try is even checked that doubles with each failure past the
 * first few.
 *
 * Pure logic: no clock of its own (the caller passes `now`), no
 * libwebsockets, no SQLite. Memory only, never written anywhere. One per
 * server, owned by the service and touched only on the event-loop thread.
 *
 * The rule of one table: the first `free` failures (THROTTLE_FREE unless
 * the table was made with another count) cost nothing; failure free + k
 * (k >= 1) makes the key wait 2^k seconds, at most THROTTLE_MAX_PAUSE_S
 * (2, 4, 8, 16, 32, then 60). A success clears the count, and so do
 * THROTTLE_FORGET_S seconds without a failure. Guessing gets slow while
 * nobody is locked out for long.
 *
 * Bounded: at most THROTTLE_KEPT keys are remembered; past that the key
 * whose first failure is the oldest is forgotten, so guessing with ever new
 * keys cannot grow memory. A key of THROTTLE_KEY_MAX bytes or more is never
 * remembered and never paused.
 *
 * Advisor logins (CONTRACT.md section 7) use two tables, struct
 * throttle_login below: one per (client address, username), so that
 * failures from one address never pause the real person on another, and
 * one per client address, so that one address guessing many usernames is
 * slowed down too. The keys hold the address: memory only, never logged.
 */
#ifndef NEUVO_THROTTLE_H
#define NEUVO_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THROTTLE_FREE 3                 /* failures before pauses start */
#define THROTTLE_MAX_PAUSE_S 60         /* longest pause, seconds */
#define THROTTLE_FORGET_S 900           /* a quiet key starts over */
#define THROTTLE_KEPT 4096              /* keys remembered at most */
#define THROTTLE_KEY_MAX 128            /* bytes of a key, with its NUL */

struct throttle_entry;

/* One table; owns its entries (throttle_clear frees them). */
struct throttle {
	struct throttle_entry *newest;  /* by first failure, newest first */
	size_t n;                       /* entries */
	int free;                       /* failures before pauses start */
};

/* An empty table with THROTTLE_FREE free failures. */
void throttle_init(struct throttle *t);

/* An empty table with `free_fails` (>= 0) free failures. */
void throttle_init_free(struct throttle *t, int free_fails);

/* May `key` try now (its pause, if any, is over at `now`)? */
bool throttle_allowed(const struct throttle *t, const char *key, int64_t now);

/* Seconds until `key` may try again (0: now). */
int64_t throttle_wait(const struct throttle *t, const char *key, int64_t now);

/* Record the outcome of a try of `key` at `now`. A failure may allocate;
 * out of memory it is not counted. */
void throttle_note(struct throttle *t, const char *key, bool ok, int64_t now);

/* Failures counted for key since its last success (0 when unknown or
 * forgotten at `now`). */
int throttle_failures(const struct throttle *t, const char *key, int64_t now);

/* Free every entry; the table is then empty and usable. */
void throttle_clear(struct throttle *t);

/* ------------------------------------------------------- advisor logins */

#define THROTTLE_ADDR_FREE 10           /* one address, any usernames */

/*
 * The two tables of advisor logins. A try waits for the longer of its
 * (address, username) pause and its address's pause; a failure counts in
 * both; a success clears both (the address has a person who knows a
 * password). The address is the client address (addr.h), the username as
 * the client sent it.
 */
struct throttle_login {
	struct throttle by_pair;        /* "address\nusername" */
	struct throttle by_addr;        /* "address" */
};

void throttle_login_init(struct throttle_login *t);

/* Seconds until a password login of `user` from `addr` may be checked
 * (0: now). */
int64_t throttle_login_wait(const struct throttle_login *t, const char *addr,
			    const char *user, int64_t now);

/* Record the outcome of a checked login of `user` from `addr` at `now`. A
 * pair too long to be a key (no account has such a username) counts for
 * the address alone. */
void throttle_login_note(struct throttle_login *t, const char *addr,
			 const char *user, bool ok, int64_t now);

/* Free both tables; they are then empty and usable. */
void throttle_login_clear(struct throttle_login *t);

#endif
