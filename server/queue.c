/*
 * queue.c - FIFO of waiting residents and the wait estimate (see queue.h).
 *
 * The list is intrusive and circular with a sentinel, so push, remove and
 * "back to the front" are O(1) and never allocate; positions are counted by
 * walking, which the service does once per coalesced flush, not per event.
 */
#include "queue.h"

void
queue_init(struct queue *q)
{
	q->head.prev = &q->head;
	q->head.next = &q->head;
	q->length = 0;
	q->shifts = 0;
	q->sweep = NULL;
}

static void
link_after(struct queue_node *at, struct queue_node *n)
{
	n->prev = at;
	n->next = at->next;
	at->next->prev = n;
	at->next = n;
}

void
queue_push_back(struct queue *q, struct queue_node *n, int64_t now)
{
	n->enqueued_at = now;
	link_after(q->head.prev, n);
	q->length++;
}

void
queue_push_front(struct queue *q, struct queue_node *n)
{
	link_after(&q->head, n);
	q->length++;
	q->shifts++;
}

void
queue_insert_before(struct queue *q, struct queue_node *at,
		    struct queue_node *n)
{
	link_after(at ? at->prev : q->head.prev, n);
	q->length++;
	if (at)
		q->shifts++;
}

void
queue_remove(struct queue *q, struct queue_node *n)
{
	if (!queue_is_queued(n))
		return;
	if (q->sweep == n)
		q->sweep = queue_next(q, n);
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
	q->length--;
	q->shifts++;
}

bool
queue_is_queued(const struct queue_node *n)
{
	return n->prev != NULL;
}

struct queue_node *
queue_first(const struct queue *q)
{
	return q->length ? q->head.next : NULL;
}

struct queue_node *
queue_next(const struct queue *q, const struct queue_node *n)
{
	return n->next == &q->head ? NULL : n->next;
}

size_t
queue_position(const struct queue *q, const struct queue_node *n)
{
	const struct queue_node *it;
	size_t pos = 1;

	if (!queue_is_queued(n))
		return 0;
	for (it = queue_first(q); it; it = queue_next(q, it), pos++)
		if (it == n)
			return pos;
	return 0;
}

void
queue_estimator_init(struct queue_estimator *e, double initial_handle_s)
{
	e->handle_s = initial_handle_s > 0 ? initial_handle_s
					   : QUEUE_DEFAULT_HANDLE_S;
	e->samples = 0;
}

void
queue_estimator_add(struct queue_estimator *e, double handle_s)
{
	/* The first chats replace the default outright (a plain mean of what
	 * was seen); from the fifth on, each chat moves the mean by a fifth so
	 * the estimate follows the day's pace. */
	double weight;

	if (handle_s < 0)
		return;
	if (e->samples < 5)
		e->samples++;
	weight = 1.0 / e->samples;
	e->handle_s += weight * (handle_s - e->handle_s);
}

long
queue_estimate_wait(const struct queue_estimator *e, size_t position,
		    int advisors, int max_chats, int free_slots)
{
	double capacity, ahead;

	if (advisors <= 0 || max_chats <= 0 || position == 0)
		return -1;
	if (free_slots < 0)
		free_slots = 0;
	if (position <= (size_t)free_slots)
		return QUEUE_PICKUP_S;
	/* Every advisor's chats end at a rate of capacity / handle_s; the
	 * resident waits for (position - free_slots) of those endings. */
	capacity = (double)advisors * max_chats;
	ahead = (double)(position - (size_t)free_slots);
	return QUEUE_PICKUP_S + (long)(ahead * e->handle_s / capacity + 0.5);
}

bool
queue_may_not_be_served(int64_t now, int64_t closes_at, long wait_s,
			size_t position, double handle_s, int advisors_online)
{
	int64_t left = closes_at - now;

	if (closes_at < 0)
		return false;
	if (wait_s >= 0)
		return now + wait_s > closes_at;
	if ((double)left < (double)position * handle_s)
		return true;
	return advisors_online == 0 && left <= QUEUE_LATE_NOBODY_S;
}
