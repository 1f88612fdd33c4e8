/*
 * throttle.h - the slow-down after failed logins: per key (today an
 * advisor username), a pause before the next try is even checked that
 * doubles with each failure past the first few.
 *
 * Pure logic: no clock of its own (the caller passes `now`), no
 * libwebsockets, no SQLite. Memory only, never written anywhere. One per
 * server, owned by the service and touched only on the event-loop thread.
 *
 * The rule: the first THROTTLE_FREE failures cost nothing; failure
 * THROTTLE_FREE + k (k >= 1) makes the key wait 2^k seconds, at most
 * THROTTLE_MAX_PAUSE_S (2, 4, 8, 16, 32, then 60). A success clears the
 * count. Guessing gets slow while the real person is never locked out for
 * long.
 *
 * Bounded: at most THROTTLE_KEPT keys are remembered; past that the key
 * whose first failure is the oldest is forgotten, so guessing with ever new
 * usernames cannot grow memory. A key of THROTTLE_KEY_MAX bytes or more
 * (no account has one) is never remembered and never paused.
 */
#ifndef NEUVO_THROTTLE_H
#define NEUVO_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THROTTLE_FREE 3                 /* failures before pauses start */
#define THROTTLE_MAX_PAUSE_S 60         /* longest pause, seconds */
#define THROTTLE_KEPT 4096              /* keys remembered at most */
#define THROTTLE_KEY_MAX 64             /* bytes of a key, with its NUL */

struct throttle_entry;

/* The table; owns its entries (throttle_clear frees them). */
struct throttle {
	struct throttle_entry *newest;  /* by first failure, newest first */
	size_t n;                       /* entries */
};

void throttle_init(struct throttle *t);

/* May `key` try now (its pause, if any, is over at `now`)? */
bool throttle_allowed(const struct throttle *t, const char *key, int64_t now);

/* Record the outcome of a try of `key` at `now`. A failure may allocate;
 * out of memory it is not counted. */
void throttle_note(struct throttle *t, const char *key, bool ok, int64_t now);

/* Failures counted for key since its last success (0 when unknown). */
int throttle_failures(const struct throttle *t, const char *key);

/* Free every entry; the table is then empty and usable. */
void throttle_clear(struct throttle *t);

#endif
