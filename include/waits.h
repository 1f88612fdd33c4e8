/*
 * waits.h - how long residents have been waiting lately, for the
 * neuvo_queue_wait_p90_seconds gauge of /metrics (an alert on "the queue
 * wait p90 is over 10 minutes").
 *
 * Pure logic: no libwebsockets, no SQLite, no allocation. The service feeds
 * it the wait of every chat an advisor takes (waits_add); the gauge is the
 * nearest-rank 90th percentile (as in stats.h) over the chats taken in the
 * last WAITS_WINDOW_S seconds *and* the residents waiting now, each with its
 * wait so far. Counting those still waiting is what makes the gauge rise
 * when nobody is being served at all, which is when an alert matters most.
 *
 * One per service, embedded in it and zeroed at start; touched by the event
 * loop thread only. Holds no identifier: a time and a number of seconds.
 */
#ifndef NEUVO_WAITS_H
#define NEUVO_WAITS_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

#define WAITS_WINDOW_S 900      /* chats taken in the last 15 minutes */
#define WAITS_MAX 512           /* takes remembered; older ones drop out */

/* A ring of the most recent takes. All zero is a valid empty window. */
struct waits {
	int64_t at[WAITS_MAX];          /* when the chat was taken */
	int64_t wait_s[WAITS_MAX];      /* how long it had waited */
	size_t next;                    /* slot the next take goes to */
	size_t n;                       /* slots in use, up to WAITS_MAX */
};

/* Remember that a chat waiting wait_s seconds was taken at `at`. */
void waits_add(struct waits *w, int64_t at, int64_t wait_s);

/* The p90 in seconds of the waits of chats taken in (now - WAITS_WINDOW_S,
 * now] and of everyone in `q` (now - enqueued_at); 0 when there are none.
 * No allocation: a binary search over the answer, counting the values at
 * or below each guess, so about 40 passes over the ring and the queue. */
int64_t waits_p90(const struct waits *w, const struct queue *q, int64_t now);

#endif
