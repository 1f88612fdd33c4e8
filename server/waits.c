/*
 * waits.c - recent queue waits and their 90th percentile (see waits.h).
 *
 * The percentile is found without sorting or allocating: the nearest-rank
 * p90 of n values is the smallest t with at least ceil(0.9 n) values <= t,
 * so a binary search over t in [0, max] counts the values ~40 times. With a
 * queue of 10,000 that is well under a millisecond per scrape.
 */
#include <stdbool.h>

#include "waits.h"

void
waits_add(struct waits *w, int64_t at, int64_t wait_s)
{
	w->at[w->next] = at;
	w->wait_s[w->next] = wait_s < 0 ? 0 : wait_s;
	w->next = (w->next + 1) % WAITS_MAX;
	if (w->n < WAITS_MAX)
		w->n++;
}

static bool
in_window(const struct waits *w, size_t i, int64_t now)
{
	return w->at[i] > now - WAITS_WINDOW_S && w->at[i] <= now;
}

static int64_t
queued_wait(const struct queue_node *node, int64_t now)
{
	return now > node->enqueued_at ? now - node->enqueued_at : 0;
}

/* How many of the values are <= t (t < 0: how many there are at all), and
 * the largest of them in *max. */
static size_t
count_at_most(const struct waits *w, const struct queue *q, int64_t now,
	      int64_t t, int64_t *max)
{
	const struct queue_node *node;
	size_t i, n = 0;
	int64_t v;

	*max = 0;
	for (i = 0; i < w->n; i++) {
		if (!in_window(w, i, now))
			continue;
		v = w->wait_s[i];
		*max = v > *max ? v : *max;
		n += t < 0 || v <= t;
	}
	for (node = queue_first(q); node; node = queue_next(q, node)) {
		v = queued_wait(node, now);
		*max = v > *max ? v : *max;
		n += t < 0 || v <= t;
	}
	return n;
}

int64_t
waits_p90(const struct waits *w, const struct queue *q, int64_t now)
{
	int64_t lo = 0, hi, mid, ignored;
	size_t n = count_at_most(w, q, now, -1, &hi), rank;

	if (n == 0)
		return 0;
	rank = (n * 90 + 99) / 100;             /* ceil(0.9 n) */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (count_at_most(w, q, now, mid, &ignored) >= rank)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
