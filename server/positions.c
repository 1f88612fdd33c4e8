/*
 * positions.c - what the queue tells those who wait and those who serve:
 * the wait estimate, whether a resident may not be served before closing
 * (CONTRACT.md section 9), the `position` pushes to residents and the
 * `queue` view to advisors (section 4).
 *
 * Nothing here changes a chat; chat.c's rules change the queue and mark it
 * dirty, and svc_tick/svc_end_turn call chat_push_queue. A take while
 * 10,000 wait changes every position, so the pushes are spread over turns
 * (POSITIONS_PER_TURN) and one view is built for all advisors. Loop thread
 * only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "svc_internal.h"

#define QUEUE_VIEW_MAX 100          /* waiting entries listed to advisors */
#define POSITIONS_PER_TURN 64       /* position pushes in one loop turn */

int
chat_advisors_available(const struct svc *s, int *free_slots)
{
	const struct advisor *a;
	int n = 0, max = s->cfg->max_chats_per_advisor;

	*free_slots = 0;
	for (a = s->advisors; a; a = a->next) {
		if (!a->peer || !a->available)
			continue;
		n++;
		if (a->n_active < max)
			*free_slots += max - a->n_active;
	}
	return n;
}

long
chat_estimate(const struct svc *s, size_t position)
{
	int free_slots, n = chat_advisors_available(s, &free_slots);

	return queue_estimate_wait(&s->est, position, n,
				   s->cfg->max_chats_per_advisor, free_slots);
}

static void
late_clock_read(const struct svc *s, struct late_clock *k)
{
	const struct advisor *a;
	time_t closes;

	k->now = svc_now(s);
	k->closes_at = hours_open_at(&s->cfg->hours, (time_t)k->now, &closes)
		       ? (int64_t)closes : -1;
	k->online = 0;
	for (a = s->advisors; a; a = a->next)
		k->online += a->peer != NULL;
}

/* k NULL: read the clock now. */
bool
chat_late(struct svc *s, struct chat *c, size_t pos, long wait,
	  const struct late_clock *k)
{
	struct late_clock own;
	bool late;

	if (!k) {
		late_clock_read(s, &own);
		k = &own;
	}
	late = queue_may_not_be_served(k->now, k->closes_at, wait, pos,
				       s->est.handle_s, k->online);
	/* Not while the store is down: a write then fails the turn. */
	if (late && !c->told_late && c->resident && !s->store_down) {
		c->told_late = true;
		svc_stat(s, k->now, STATS_TOLD_LATE, 0, NULL);
	}
	return late;
}

size_t
chat_queue_list(struct svc *s, struct proto_waiting *w, size_t max)
{
	struct queue_node *n;
	int64_t now = svc_now(s);
	size_t listed = 0;

	for (n = queue_first(&s->queue); n && listed < max;
	     n = queue_next(&s->queue, n), listed++) {
		struct chat *c = chat_of(n);

		w[listed] = (struct proto_waiting){ c->id,
			now - n->enqueued_at, c->lang, c->topic };
	}
	return listed;
}

char *
chat_queue_view(struct svc *s)
{
	struct proto_waiting w[QUEUE_VIEW_MAX];
	size_t listed = chat_queue_list(s, w, QUEUE_VIEW_MAX);

	return proto_out_queue(s->queue.length, w, listed);
}

void
chat_positions_rewalk(struct svc *s)
{
	s->pcur.dirty = true;
}

static bool
same_inputs(const struct positions_cursor *a, const struct positions_cursor *b)
{
	return a->handle_s == b->handle_s && a->n_adv == b->n_adv &&
	       a->free_slots == b->free_slots &&
	       a->clock.now == b->clock.now &&
	       a->clock.closes_at == b->clock.closes_at &&
	       a->clock.online == b->clock.online;
}

/*
 * Where this turn's share of pushes starts: at the sweep of the round under
 * way, or at the front for a new one. Returns the node (NULL: the round
 * under way has reached the back) and sets *pos.
 */
static struct queue_node *
round_start(struct svc *s, const struct positions_cursor *in, size_t *pos)
{
	struct positions_cursor *r = &s->pcur;

	if (!r->active) {
		*r = *in;                   /* not dirty: it starts afresh */
		r->active = true;
		*pos = 1;
		return queue_first(&s->queue);
	}
	if (!same_inputs(r, in))
		r->dirty = true;
	if (r->shifts != s->queue.shifts) {
		r->dirty = true;
		if (s->queue.sweep)
			r->pos = queue_position(&s->queue, s->queue.sweep);
	}
	*pos = r->pos;
	return s->queue.sweep;
}

/* Is c's position, estimate or flag not what its resident was last sent?
 * Sets *wait and *late to what they are now. */
static bool
position_due(struct svc *s, struct chat *c, size_t pos,
	     const struct positions_cursor *in, long *wait, bool *late)
{
	*wait = queue_estimate_wait(&s->est, pos, in->n_adv,
				    s->cfg->max_chats_per_advisor,
				    in->free_slots);
	*late = chat_late(s, c, pos, *wait, &in->clock);
	return c->sent_position != pos || c->sent_wait != *wait ||
	       c->sent_late != *late;
}

/* Stop the round before n, at `pos`, to go on next turn. */
static void
cut_round(struct svc *s, const struct positions_cursor *in,
	  struct queue_node *n, size_t pos)
{
	bool dirty = s->pcur.dirty;

	s->pcur = *in;
	s->pcur.active = true;
	s->pcur.dirty = dirty;
	s->pcur.pos = pos;
	s->pcur.shifts = s->queue.shifts;
	s->queue.sweep = n;
}

/* Push what changed from n (at pos) to the back, up to the turn's share
 * (s->positions_sent counts it): returns false when it was cut short (the
 * round goes on next turn). */
static bool
push_to_back(struct svc *s, const struct positions_cursor *in,
	     struct queue_node *n, size_t pos)
{
	for (; n; n = queue_next(&s->queue, n), pos++) {
		struct chat *c = chat_of(n);
		long wait;
		bool late;

		if (!c->resident || !position_due(s, c, pos, in, &wait, &late))
			continue;
		if (s->positions_sent >= POSITIONS_PER_TURN) {
			cut_round(s, in, n, pos);
			return false;
		}
		c->sent_position = pos;
		c->sent_wait = wait;
		c->sent_late = late;
		svc_send_soft(s, c->resident,
			      proto_out_position(pos, wait, late));
		s->positions_sent++;
	}
	return true;
}

/*
 * Changed positions, front of the queue first, at most POSITIONS_PER_TURN
 * a loop turn, however often it is called in one (svc_tick may call it
 * twice, svc_end_turn once more; svc_end_turn starts the next turn's
 * count); s->positions_pending says whether some are left for the next
 * turn. A take while 10,000 wait changes every position: pushed in one
 * turn, that turn would hold up every running chat (issue 14), so they are
 * spread over turns in rounds (struct positions_cursor; main keeps the loop
 * turning meanwhile: svc_pushing). A change of may_not_be_served alone
 * (CONTRACT.md section 9) is a change too. Two passes at most: the rest of
 * a round, then a new one from the front if the old was dirty (nothing
 * changes within one call, so a second is never dirty).
 */
void
chat_push_positions(struct svc *s)
{
	struct positions_cursor in = { .handle_s = s->est.handle_s };
	int pass;

	in.n_adv = chat_advisors_available(s, &in.free_slots);
	late_clock_read(s, &in.clock);
	s->positions_pending = false;
	for (pass = 0; pass < 2; pass++) {
		size_t pos;
		struct queue_node *n = round_start(s, &in, &pos);

		if (!push_to_back(s, &in, n, pos)) {
			s->positions_pending = true;
			return;
		}
		s->pcur.active = false;
		s->queue.sweep = NULL;
		if (!s->pcur.dirty)
			return;
	}
}

/* One view, built once, copied to every connected advisor. */
static void
push_queue_views(struct svc *s)
{
	struct advisor *a;
	char *text = NULL;

	for (a = s->advisors; a; a = a->next) {
		char *copy;

		if (!a->peer)
			continue;
		if (!text && !(text = chat_queue_view(s)))
			return;
		copy = strdup(text);
		if (copy)
			svc_send_soft(s, a->peer, copy);
	}
	free(text);
}

void
chat_push_queue(struct svc *s)
{
	chat_push_positions(s);
	push_queue_views(s);
}
