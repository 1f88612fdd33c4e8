/*
 * limits.c - the service's side of CONTRACT.md section 7, "One visitor
 * cannot take the service from the others": the rules that keep one
 * client address, or one chat, from using up what everyone shares.
 *
 *   at hello     a blocked address gets {"type":"blocked"} (close 1000);
 *                while the loop is overloaded (svc_overloaded) anyone gets
 *                queue_full (close 1000);
 *                one that opened max_new_chats_per_address_per_hour chats
 *                this hour gets rate_limited (close 1008); one with
 *                max_queued_per_address chats waiting gets queue_full as if
 *                the queue were full (close 1000). Hellos refused for being
 *                closed or full are recorded as events at most that many
 *                times an hour per address, so refusals cannot fill the disk.
 *   messages     a resident writes at most max_queued_messages while
 *                waiting (wait_for_advisor); a chat stores at most
 *                max_chat_chars code points of text in all (chat_full).
 *   histories    a `chat` or `resumed` frame is sent by svc_send_history,
 *                held to a budget derived from these caps instead of the
 *                ordinary send cap, so no history the caps allow costs an
 *                advisor its connection. A connection replaced by a resume
 *                or a login elsewhere drops what is queued for it at once
 *                (svc_close_replaced), so reconnecting many times over a
 *                link that stopped reading holds one history, not one per
 *                dead connection until its ping timeout.
 *   block        an advisor ends its chat and refuses its resident's address
 *                for 1-24 hours.
 *
 * "Address" is the client address of addr.h, and it is kept nowhere: each
 * connection's is turned into guard.h's keyed hash when it opens
 * (p->addr), and a chat keeps its resident's (c->addr). The counts that
 * outlive a connection are guard.c's; the chats waiting per address are
 * counted from the queue itself, so they cannot drift from it whatever
 * takes, ends, requeues or rollbacks do. Loop thread only.
 *
 * What a restart leaves open (known, kept on purpose). No address is at
 * rest (CONTRACT.md section 5), so a chat rebuilt after a restart has no
 * address until its resident resumes it (limits_chat_resumed charges it to
 * the address it resumes from, and from then on it counts against that
 * address's max_queued_per_address). Until then it counts for nobody: an
 * address that had its max_queued_per_address chats waiting before the
 * restart can open as many new ones first and resume the old ones after,
 * holding twice the cap; it gets no further hello until it is below the
 * cap again. Rebuilt chats not resumed within resume_grace_s are ended, so
 * the excess lasts only while the visitor keeps those chats waiting, and
 * the whole queue stays within [queue] max_length. Other answers were
 * weighed and refused: a keyed hash of the address stored
 * with the chat is still personal data at rest (the key would have to be
 * at rest too, or the hash is worthless after the restart); counting the
 * rebuilt-but-unresumed chats against every address would refuse each
 * newcomer for the whole grace after a restart with a few people waiting;
 * ending an address's newest chats when a resume takes it over the cap
 * would end chats that were told `queued` (a shared household address
 * looks the same). Likewise the hourly count
 * (max_new_chats_per_address_per_hour) is in memory only: a restart gives
 * every address a fresh hour.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "svc_internal.h"

#define GUARD_SWEEP_S 60            /* how often expired entries go */

/* ------------------------------------------------------------ lifetime */

int
limits_init(struct svc *s)
{
	s->lim.guard = guard_new();
	return s->lim.guard ? 0 : -1;
}

void
limits_free(struct svc *s)
{
	guard_free(s->lim.guard);
	s->lim.guard = NULL;
}

void
limits_peer_opened(struct svc *s, struct peer *p)
{
	const char *address = s->io.address ? s->io.address(p->conn) : NULL;

	/* No address (a test's io table): no per-address rule applies. */
	if (!address)
		return;
	if (guard_key_of(s->lim.guard, address, &p->addr))
		log_err("limits: cannot hash a client address");
}

void
limits_sweep(struct svc *s, int64_t now)
{
	if (now < s->lim.next_sweep)
		return;
	s->lim.next_sweep = now + GUARD_SWEEP_S;
	guard_sweep(s->lim.guard, now);
}

/* --------------------------------------------------------------- hello */

bool
limits_refuse_blocked(struct svc *s, struct peer *p, int64_t now)
{
	if (!guard_blocked(s->lim.guard, &p->addr, now))
		return false;
	s->lim.blocked_hellos++;
	svc_send(s, p, proto_out_blocked());
	svc_close_peer(s, p, 1000, "blocked");
	return true;
}

bool
limits_may_record(struct svc *s, struct peer *p, int64_t now)
{
	if (guard_key_unknown(&p->addr))
		return true;
	return guard_count_refusal(s->lim.guard, &p->addr,
				   s->cfg->max_new_chats_per_address_per_hour,
				   now);
}

/* Has address k `max` chats waiting (queued, their resident connected or
 * within the grace)? A walk of the queue, which stops at the max-th. */
static bool
queued_from(const struct svc *s, const struct guard_key *k, int max)
{
	const struct queue_node *n;
	int count = 0;

	for (n = queue_first(&s->queue); n && count < max;
	     n = queue_next(&s->queue, n)) {
		const struct chat *c = (const struct chat *)
			((const char *)n - offsetof(struct chat, qnode));

		count += guard_key_equal(&c->addr, k);
	}
	return count >= max;
}

/* A loop too busy to take anyone new comes first (issue 14: new residents
 * wait outside rather than slow the running chats). Then the hourly count:
 * it costs one lookup, so an address that used up its hour is turned away
 * without a walk of the queue. */
bool
limits_refuse_hello(struct svc *s, struct peer *p, int64_t now)
{
	if (svc_overloaded(s)) {
		s->lim.overloaded++;
		chat_refuse_full(s, p, now);
		return true;
	}
	if (guard_key_unknown(&p->addr))
		return false;
	if (!guard_open_allowed(s->lim.guard, &p->addr,
				s->cfg->max_new_chats_per_address_per_hour,
				now)) {
		s->lim.rate_limited++;
		svc_send_error(s, p, "rate_limited",
			       "too many new chats from this address; "
			       "please try again later");
		svc_close_peer(s, p, 1008, "too many new chats");
		return true;
	}
	if (queued_from(s, &p->addr, s->cfg->max_queued_per_address)) {
		s->lim.full_per_address++;
		chat_refuse_full(s, p, now);
		return true;
	}
	return false;
}

void
limits_chat_opened(struct svc *s, struct peer *p, struct chat *c,
		   int64_t now)
{
	c->addr = p->addr;
	c->usage_known = true;          /* new: nothing stored yet */
	if (!guard_key_unknown(&p->addr))
		guard_count_open(s->lim.guard, &p->addr, now);
}

/* Only an unknown address is filled in: were a resume to move a chat to
 * its new address, a visitor with two addresses could keep emptying the
 * first one's count of waiting chats and fill the queue after all. */
void
limits_chat_resumed(struct chat *c, const struct peer *p)
{
	if (guard_key_unknown(&c->addr))
		c->addr = p->addr;
}

void
limits_chat_taken(struct chat *c)
{
	c->queued_msgs = 0;
}

/* ------------------------------------------------------------- messages */

/* What c holds, from the store when not yet known (a chat rebuilt after a
 * restart). Returns 0, or -1 when the store cannot say. */
static int
load_usage(struct svc *s, struct chat *c)
{
	int64_t chars, tail;

	if (c->usage_known)
		return 0;
	if (store_chat_usage(s->st, c->id, &chars, &tail))
		return -1;
	c->chars = chars;
	/* A chat handed back to the queue starts counting again from the
	 * hand-back, as it did in memory; the store's tail would also count
	 * what was written while it was active. */
	c->queued_msgs = c->state == CHAT_QUEUED && !c->requeued ? tail : 0;
	c->usage_known = true;
	return 0;
}

bool
limits_msg_allowed(struct svc *s, struct chat *c, const char *from,
		   const char *text, long *chars)
{
	bool by_resident = !strcmp(from, "resident");
	struct peer *p = by_resident ? c->resident
		       : c->advisor ? c->advisor->peer : NULL;

	*chars = proto_utf8_chars(text, strlen(text));
	if (*chars < 0 || load_usage(s, c)) {
		svc_send_error(s, p, "not_allowed",
			       "message not saved, please send again");
		return false;
	}
	if (by_resident && c->state == CHAT_QUEUED &&
	    c->queued_msgs >= s->cfg->max_queued_messages) {
		s->lim.wait_for_advisor++;
		svc_send_error(s, p, "wait_for_advisor",
			       "please wait for an advisor before writing "
			       "more");
		return false;
	}
	if (c->chars + *chars > s->cfg->max_chat_chars) {
		s->lim.chat_full++;
		svc_send_error(s, p, "chat_full",
			       "this chat cannot hold more text");
		return false;
	}
	return true;
}

void
limits_msg_stored(struct chat *c, const char *from, long chars)
{
	c->chars += chars;
	if (!strcmp(from, "resident") && c->state == CHAT_QUEUED)
		c->queued_msgs++;
}

/* ------------------------------------------------------------ histories */

static size_t
times_saturated(size_t a, size_t b)
{
	return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/*
 * An advisor may hold max_chats_per_advisor chats (SVC_MAX_SLOTS at most)
 * and is sent each one's history at a take, an assignment or a login; a
 * resident is sent its one chat's at a resume, once per connection. Each
 * is at most proto_history_max_bytes of the largest max_chat_chars, or
 * the largest history frame actually built (a chat stored under an
 * earlier, higher cap: after a SIGHUP lowered it, or a restart): a history
 * that exists is allowed to be delivered.
 */
size_t
limits_history_budget(struct svc *s, const struct peer *p, size_t len)
{
	size_t one = proto_history_max_bytes(s->cfg->max_chat_chars);
	size_t chats = 1;

	if (len > s->lim.history_max)
		s->lim.history_max = len;
	if (one < s->lim.history_max)
		one = s->lim.history_max;
	if (p->role == PROTO_ADVISOR) {
		int n = s->cfg->max_chats_per_advisor;

		/* A restart, or a SIGHUP that lowered the cap, can leave an
		 * advisor holding more chats than the cap: all are delivered. */
		if (p->adv && p->adv->n_active > n)
			n = p->adv->n_active;
		chats = (size_t)(n < SVC_MAX_SLOTS ? n : SVC_MAX_SLOTS);
		/* A watched chat's frame holds its history and its whispers
		 * (each capped like a chat's text): two chats' worth. An own
		 * chat's frame may hold both too (a login again, a transfer);
		 * `one` follows the largest frame sent, which covers it. */
		if (p->adv)
			chats += 2 * (size_t)desk_watch_count(p->adv);
	}
	return times_saturated(one, chats);
}

/* ---------------------------------------------------------------- block */

void
limits_on_block(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = chat_find(s, in->chat);
	int64_t now = svc_now(s);
	int64_t until = now + (int64_t)in->hours * 3600;

	if (!c || c->advisor != p->adv) {
		svc_send_error(s, p, "unknown_chat", "not one of your chats");
		return;
	}
	if (guard_key_unknown(&c->addr)) {
		svc_send_error(s, p, "not_allowed", "the resident has not "
			       "come back since the server restarted, so "
			       "there is no address to block");
		return;
	}
	if (guard_block(s->lim.guard, &c->addr, now, until)) {
		svc_send_error(s, p, "not_allowed", "not blocked, try again");
		return;
	}
	/* A resident who resumed from another address is blocked there too
	 * (best effort: the chat's own address is what the rule names). */
	if (c->resident && !guard_key_unknown(&c->resident->addr) &&
	    memcmp(&c->resident->addr, &c->addr, sizeof(c->addr)))
		(void)guard_block(s->lim.guard, &c->resident->addr, now, until);
	if (!c->blocked) {
		c->blocked = true;
		s->lim.blocks++;
		svc_stat(s, now, STATS_BLOCKED, in->hours, NULL);
	}
	if (c->state != CHAT_ENDED)
		chat_end(s, c, PROTO_BY_ADVISOR);
	svc_send(s, p, proto_out_block_done(c->id, in->hours, until));
}
