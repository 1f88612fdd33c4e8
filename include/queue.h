/*
 * queue.h - the FIFO of residents waiting for an advisor, and the estimate
 * of how long the wait will be.
 *
 * Pure logic: no libwebsockets, no SQLite, no allocation. A struct
 * queue_node is embedded in whatever waits (the service's struct chat); the
 * queue only links nodes, it never owns them. Position 1 is the front.
 *
 * Invariant: a node is in at most one queue; node->prev == NULL exactly when
 * it is in none.
 */
#ifndef NEUVO_QUEUE_H
#define NEUVO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One waiting resident's link. Embedded; lifetime is its owner's. */
struct queue_node {
	struct queue_node *prev, *next;
	int64_t enqueued_at;    /* seconds; kept when put back at the front */
};

/* One per server. `head` is a sentinel of a circular list. */
struct queue {
	struct queue_node head;
	size_t length;
	/* Counts every change that can move a queued node or unlink it: all
	 * but an append at the back (queue_push_back, queue_insert_before
	 * with NULL). Unchanged, a node once seen at position p is still
	 * there. */
	uint64_t shifts;
	/* Where the one walk that is cut short and goes on later (the
	 * service's position pushes) goes on: set by its owner, and moved on
	 * to the next node (NULL past the back) when queue_remove unlinks
	 * it, so it never dangles. */
	struct queue_node *sweep;
};

void queue_init(struct queue *q);

/* Append; n must not be queued. Sets n->enqueued_at = now. */
void queue_push_back(struct queue *q, struct queue_node *n, int64_t now);

/* Put n at the front, keeping its enqueued_at (advisor gone: back to front). */
void queue_push_front(struct queue *q, struct queue_node *n);

/* Link n just before `at` (a queued node), or at the back when `at` is
 * NULL, keeping n->enqueued_at: a chat put back at its place in the queue,
 * or rebuilt at a restart. n must not be queued. */
void queue_insert_before(struct queue *q, struct queue_node *at,
			 struct queue_node *n);

/* Unlink n; a no-op when it is not queued. A sweep at n moves on. */
void queue_remove(struct queue *q, struct queue_node *n);

bool queue_is_queued(const struct queue_node *n);

/* First node, or NULL when empty. */
struct queue_node *queue_first(const struct queue *q);

/* Node after n, or NULL at the end. */
struct queue_node *queue_next(const struct queue *q, const struct queue_node *n);

/* 1-based position of n, 0 when not queued. O(position). */
size_t queue_position(const struct queue *q, const struct queue_node *n);

/*
 * Estimator of a chat's handling time (take to end): an exponentially
 * weighted mean of recent chats, so it follows the day's pace. One per
 * server.
 */
struct queue_estimator {
	double handle_s;        /* current estimate of one chat's length */
	int samples;            /* how many chats it has seen (saturates) */
};

#define QUEUE_DEFAULT_HANDLE_S 600.0   /* before any chat: ten minutes */
#define QUEUE_PICKUP_S 30              /* a free advisor notices and takes */

void queue_estimator_init(struct queue_estimator *e, double initial_handle_s);

/* Feed one finished chat's handling time in seconds (ignored when < 0). */
void queue_estimator_add(struct queue_estimator *e, double handle_s);

/*
 * Seconds the resident at `position` (1-based) can expect to wait, with
 * `advisors` available advisors of `max_chats` chats each, `free_slots` of
 * which are open now. Returns -1 (JSON null) when no advisor is available:
 * an honest "we don't know" beats a made-up number.
 */
long queue_estimate_wait(const struct queue_estimator *e, size_t position,
			 int advisors, int max_chats, int free_slots);

#define QUEUE_LATE_NOBODY_S 900 /* closing this near with no advisor: late */

/*
 * Honest waiting (CONTRACT.md section 9): may the resident at `position`
 * (1-based) not be served before closing? All times in wall seconds.
 *  - closes_at < 0 (today's closing is not known, e.g. the service is not
 *    open now): false; nothing is promised either way.
 *  - wait_s >= 0 (an estimate exists): true when now + wait_s is past
 *    closes_at.
 *  - wait_s < 0 (no advisor is available, so no estimate): true when the
 *    open time left is shorter than position * handle_s (the estimator's
 *    mean handling time, as if one advisor took them one by one), or when
 *    no advisor is logged in at all (advisors_online == 0) and closing is
 *    at most QUEUE_LATE_NOBODY_S away.
 */
bool queue_may_not_be_served(int64_t now, int64_t closes_at, long wait_s,
			     size_t position, double handle_s,
			     int advisors_online);

#endif
