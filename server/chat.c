/*
 * chat.c - the chat rules of CONTRACT.md section 4: a resident's chat from
 * `hello` to its end, and what advisors do with it.
 *
 * States: a chat is CHAT_QUEUED from `hello` (in s->queue), CHAT_ACTIVE from
 * a take (in its advisor's active slots), CHAT_ENDED from an end by the
 * resident, the advisor, the idle timeout or the resume grace; a stop does
 * not end it (the next start rebuilds it: restore.c). An advisor gone past
 * the grace hands its active chats back to the front of the queue
 * (chat_requeue, called by login.c's sweep).
 *
 * A `msg` with a cid the chat already holds from that sender is answered
 * with the stored MSG, never stored twice (answer_resend), also after the
 * chat has ended: a resident resuming into an ended chat may resend what
 * the end overtook. The cids are kept until its resume grace is over
 * (chat_sweep), then forgotten in the store.
 *
 * Every rule here is in memory plus one store write; frames are built by
 * protocol_out.c and queued with svc_send (service.c), which holds them until
 * the turn commits. What waiting residents and advisors are told about the
 * queue (estimates, positions, the queue view) is positions.c's. Loop thread
 * only.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "log.h"
#include "redact.h"
#include "svc_internal.h"

#define IDLE_WARN_S 120             /* warn this long before idle timeout */
#define KEEP_ENDED_S 3600           /* an ended chat can be tagged this long */

/* ---------------------------------------------------------------- figures */

/* A topic or outcome of chat c, remembered so a re-tag can replace it. */
static void
stat_tag(struct svc *s, struct chat *c, enum stats_kind kind,
	 const char *label)
{
	const char *name = stats_kind_name(kind);
	int64_t row;

	if (c->n_stat_rows >= PROTO_MAX_TOPICS + 1 ||
	    store_stat_add(s->st, c->started_at, name, 0, label, &row)) {
		log_err("service: %s event not stored", name);
		return;
	}
	c->stat_rows[c->n_stat_rows++] = row;
}

static void
stat_untag(struct svc *s, struct chat *c)
{
	while (c->n_stat_rows > 0)
		if (store_stat_remove(s->st, c->stat_rows[--c->n_stat_rows]))
			log_err("service: tag event not removed");
}

/* ---------------------------------------------------------------- sending */

/* A history being read: the array, and whose messages keep their cid. */
struct history {
	json_t *arr;
	const char *own;                 /* "resident" | "advisor" */
};

static int
history_add(void *ctx, const struct store_msg *m)
{
	struct history *h = ctx;
	struct proto_msg pm = { m->seq, m->from, m->text, m->at, m->redacted };
	json_t *cid = NULL;
	int rc;

	/* The reader's own messages carry their cid (the stored JSON text),
	 * so that its client can match what it still holds unconfirmed. */
	if (m->cid && !strcmp(m->from, h->own))
		cid = json_loads(m->cid, JSON_DECODE_ANY, NULL);
	rc = json_array_append_new(h->arr, proto_msg_json(&pm, cid, 0));
	json_decref(cid);
	return rc;
}

json_t *
chat_history_json(struct svc *s, const struct chat *c, const char *own)
{
	struct history h = { json_array(), own };
	json_t *arr = h.arr;

	if (arr && store_messages_each(s->st, c->id, history_add, &h))
		log_warn("service: history of chat %lld incomplete",
			 (long long)c->id);
	return arr;
}

static struct peer *
advisor_peer(const struct chat *c)
{
	return c->advisor ? c->advisor->peer : NULL;
}

/* ------------------------------------------------------------ chat states */

int
chat_slot_max(const struct svc *s)
{
	int m = s->cfg->max_chats_per_advisor;

	return m > SVC_MAX_SLOTS ? SVC_MAX_SLOTS : m;
}

void
chat_slot_remove(struct advisor *a, struct chat *c)
{
	int i;

	for (i = 0; i < a->n_active; i++) {
		if (a->active[i] != c)
			continue;
		a->active[i] = a->active[--a->n_active];
		return;
	}
}

void
chat_end(struct svc *s, struct chat *c, enum proto_ended_by by)
{
	const char *by_name = proto_ended_by_name(by);
	int64_t now = svc_now(s);

	if (c->state == CHAT_ENDED)
		return;
	if (c->state == CHAT_QUEUED) {
		queue_remove(&s->queue, &c->qnode);
		s->queue_dirty = true;
		/* Handed back after a take, it counts as served already, not
		 * again as abandoned (as store_close_orphans counts it). */
		if (!c->stat_served) {
			s->n.abandoned++;
			svc_stat(s, now, STATS_ABANDONED, now - c->started_at,
				 by_name);
		}
	} else {
		svc_stat(s, now, STATS_ENDED, now - c->taken_at, by_name);
		queue_estimator_add(&s->est, (double)(now - c->taken_at));
		if (c->advisor)
			chat_slot_remove(c->advisor, c);
	}
	c->state = CHAT_ENDED;
	c->ended_at = now;
	if (store_chat_ended(s->st, c->id, now, by_name))
		log_err("service: chat %lld end not stored", (long long)c->id);
	if (c->email_requested)
		outbox_chat_ended(s);   /* its copy goes now */
	svc_send(s, c->resident, proto_out_ended(by, 0));
	svc_send(s, advisor_peer(c), proto_out_ended(by, c->id));
	desk_on_ended(s, c, by);
	if (by == PROTO_BY_TIMEOUT)
		s->n.ended_timeout++;
	chat_assign_waiting(s);
}

/* A token digest's key in s->chat_tokens: its first 8 bytes (SHA-256 of
 * a random token, so as good as random). */
static int64_t
token_key(const uint8_t d[AUTH_DIGEST_LEN])
{
	int64_t k;

	memcpy(&k, d, sizeof(k));
	return k;
}

void
chat_forget(struct svc *s, struct chat *c)
{
	queue_remove(&s->queue, &c->qnode);
	if (c->advisor)
		chat_slot_remove(c->advisor, c);
	if (c->resident)
		c->resident->chat = NULL;
	if (idmap_get(&s->chat_ids, c->id) == c)
		idmap_del(&s->chat_ids, c->id);
	if (c->token_clash)
		s->token_clashes--;
	else if (idmap_get(&s->chat_tokens, token_key(c->token)) == c)
		/* A chat left out by a clash with c stays out (a miss
		 * walks the list while it lasts): a 2^-64 case. */
		idmap_del(&s->chat_tokens, token_key(c->token));
	if (c->prev)
		c->prev->next = c->next;
	else if (s->chats == c)
		s->chats = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cidset_free(&c->cids);
	free(c);
}

/* The whispers and notes an advisor's own `chat` frame carries (a chat
 * handed back and taken again may have some): NULL for a chat that never
 * had any, without asking the store, or out of memory (the frame then
 * goes without them). */
static json_t *
own_whispers(struct svc *s, const struct chat *c)
{
	return c->desk_chars ? desk_whispers_json(s, c) : NULL;
}

/* Hand queued chat c to advisor a; tells both sides. */
static void
take_chat(struct svc *s, struct advisor *a, struct chat *c)
{
	struct proto_chat pc;

	queue_remove(&s->queue, &c->qnode);
	s->queue_dirty = true;
	c->state = CHAT_ACTIVE;
	c->advisor = a;
	c->taken_at = svc_now(s);
	c->last_activity = c->taken_at;
	c->idle_warned = false;
	limits_chat_taken(c);
	a->active[a->n_active++] = c;
	s->n.served++;
	if (!c->stat_served) {
		svc_stat(s, c->taken_at, STATS_SERVED,
			 c->taken_at - c->started_at, NULL);
		waits_add(&s->recent, c->taken_at,
			  c->taken_at - c->started_at);
	}
	c->stat_served = true;
	if (store_chat_take(s->st, c->id, c->taken_at, a->account_id))
		log_err("service: chat %lld take not stored", (long long)c->id);
	pc = (struct proto_chat){ c->id, c->lang, c->topic,
				  c->taken_at - c->qnode.enqueued_at, false };
	svc_send_history(s, a->peer,
			 proto_out_chat(&pc, chat_history_json(s, c, "advisor"),
					own_whispers(s, c)));
	svc_send(s, c->resident, proto_out_assigned(a->name));
}

/* The available advisor with the most room, or NULL. */
static struct advisor *
best_advisor(struct svc *s)
{
	struct advisor *a, *best = NULL;

	for (a = s->advisors; a; a = a->next) {
		if (!a->peer || !a->available || a->n_active >= chat_slot_max(s))
			continue;
		if (!best || a->n_active < best->n_active)
			best = a;
	}
	return best;
}

void
chat_assign_waiting(struct svc *s)
{
	struct queue_node *n;
	struct advisor *a;

	if (!s->cfg->auto_assign || s->stopping || s->store_down)
		return;
	while ((n = queue_first(&s->queue)) && (a = best_advisor(s)))
		take_chat(s, a, chat_of(n));
}

/* Does queued chat a come before b? Handed back first, then by arrival. */
static bool
queued_before(const struct chat *a, const struct chat *b)
{
	if (a->requeued != b->requeued)
		return a->requeued;
	if (a->started_at != b->started_at)
		return a->started_at < b->started_at;
	return a->id < b->id;
}

void
chat_queue_place(struct svc *s, struct chat *c)
{
	struct queue_node *n = NULL;

	/* A restart adds them in order: then the back is the place. */
	if (s->queue.length && !queued_before(chat_of(s->queue.head.prev), c))
		for (n = queue_first(&s->queue); n; n = queue_next(&s->queue, n))
			if (queued_before(c, chat_of(n)))
				break;
	queue_insert_before(&s->queue, n, &c->qnode);
	s->queue_dirty = true;
}

/* Residents of an advisor gone past the grace go back to the front: before
 * everyone never taken, among the other handed-back ones by arrival. */
void
chat_requeue(struct svc *s, struct advisor *a)
{
	while (a->n_active > 0) {
		struct chat *c = a->active[--a->n_active];

		c->state = CHAT_QUEUED;
		c->advisor = NULL;
		c->taken_at = 0;
		c->sent_position = 0;
		c->requeued = true;
		chat_queue_place(s, c);
		(void)store_chat_requeued(s->st, c->id);
		s->n.requeued++;
		desk_on_requeued(s, c);
	}
	s->queue_dirty = true;
}

/* --------------------------------------------------------------- residents */

static struct chat *
find_chat_by_token(struct svc *s, const char *token)
{
	uint8_t d[AUTH_DIGEST_LEN];
	struct chat *c;

	auth_token_digest(token, d);
	c = idmap_get(&s->chat_tokens, token_key(d));
	if (c && auth_digest_equal(c->token, d))
		return c;
	if (!s->token_clashes)
		return NULL;
	for (c = s->chats; c; c = c->next)
		if (auth_digest_equal(c->token, d))
			return c;
	return NULL;
}

struct chat *
chat_find(struct svc *s, int64_t id)
{
	return idmap_get(&s->chat_ids, id);
}

int
chat_reserve(struct svc *s)
{
	if (idmap_reserve(&s->chat_ids, s->chat_ids.n + 1))
		return -1;
	return idmap_reserve(&s->chat_tokens, s->chat_tokens.n + 1);
}

void
chat_link(struct svc *s, struct chat *c)
{
	int64_t key = token_key(c->token);
	int rc = idmap_put(&s->chat_ids, c->id, c);

	/* chat_reserve made room: a put of a new key cannot fail. */
	assert(rc == 0);
	if (idmap_get(&s->chat_tokens, key)) {
		s->token_clashes++;
		c->token_clash = true;
	} else {
		rc = idmap_put(&s->chat_tokens, key, c);
		assert(rc == 0);
	}
	(void)rc;
	c->prev = NULL;
	c->next = s->chats;
	if (s->chats)
		s->chats->prev = c;
	s->chats = c;
}

void
chat_refuse_full(struct svc *s, struct peer *p, int64_t now)
{
	s->n.queue_full++;
	if (limits_may_record(s, p, now))
		(void)store_event_add(s->st, now,
				      stats_kind_name(STATS_QUEUE_FULL));
	svc_send(s, p, proto_out_queue_full());
	svc_close_peer(s, p, 1000, "queue full");
}

/* Closed or full: answer, count and close 1000. Returns true if refused. */
static bool
refuse_hello(struct svc *s, struct peer *p, int64_t now)
{
	time_t next;

	/* Draining (svc_drain): closed, with no next opening to promise. */
	if (s->draining || !hours_open_at(&s->cfg->hours, (time_t)now, NULL)) {
		s->n.closed_attempts++;
		if (limits_may_record(s, p, now))
			(void)store_event_add(s->st, now,
				stats_kind_name(STATS_CLOSED_ATTEMPT));
		bool questions = questions_offer(s, p, now);

		svc_send(s, p, proto_out_closed(s->draining ||
			hours_next_open(&s->cfg->hours, (time_t)now, 14, &next)
				? -1 : (int64_t)next, questions));
		if (!questions)
			svc_close_peer(s, p, 1000, "closed");
		return true;
	}
	if (s->queue.length >= (size_t)s->cfg->max_length) {
		chat_refuse_full(s, p, now);
		return true;
	}
	return false;
}

/* A fresh token for c whose digest's key no other chat holds, so that the
 * token index stays exact (a clash is a 2^-64 chance: a few tries). 0, or
 * -1 when no random bytes could be had. */
static int
new_token(struct svc *s, struct chat *c, char token[AUTH_TOKEN_CHARS + 1])
{
	int tries = 0;

	do {
		if (auth_token_new(token, c->token))
			return -1;
	} while (idmap_get(&s->chat_tokens, token_key(c->token)) &&
		 ++tries < 8);
	return 0;
}

/* A new chat for a checked hello, queued and stored; NULL (answered) when
 * it cannot be made. *token gets the resident's token. */
static struct chat *
new_chat(struct svc *s, struct peer *p, const struct proto_in *in,
	 int64_t now, char token[AUTH_TOKEN_CHARS + 1])
{
	struct chat *c = calloc(1, sizeof(*c));

	/* room in the indexes first: after its row, nothing may fail */
	if (!c || new_token(s, c, token) || chat_reserve(s)) {
		free(c);
		svc_send_error(s, p, "not_allowed", "server busy, try again");
		return NULL;
	}
	snprintf(c->lang, sizeof(c->lang), "%s",
		 in->lang ? in->lang : s->cfg->default_language);
	snprintf(c->topic, sizeof(c->topic), "%s", in->topic ? in->topic : "");
	c->started_at = c->last_activity = now;
	if (store_chat_add(s->st, now, c->lang, in->topic, c->token, &c->id)) {
		free(c);
		svc_send_error(s, p, "not_allowed", "server busy, try again");
		return NULL;
	}
	c->created_turn = s->turn;
	cidset_init(&c->cids, true);    /* nothing stored yet: all known */
	c->state = CHAT_QUEUED;
	c->resident = p;
	p->chat = c;
	chat_link(s, c);
	queue_push_back(&s->queue, &c->qnode, now);
	s->queue_dirty = true;
	return c;
}

void
chat_on_hello(struct svc *s, struct peer *p, const struct proto_in *in)
{
	char token[AUTH_TOKEN_CHARS + 1];
	int64_t now = svc_now(s);
	struct chat *c;
	size_t pos;

	if (p->chat) {
		svc_send_error(s, p, "not_allowed", "already in a chat");
		return;
	}
	if (in->lang && !config_has_language(s->cfg, in->lang)) {
		svc_send_error(s, p, "bad_field", "unknown 'lang'");
		return;
	}
	if (in->topic && !config_has_topic(s->cfg, in->topic)) {
		svc_send_error(s, p, "bad_field", "unknown 'topic'");
		return;
	}
	if (limits_refuse_blocked(s, p, now) || refuse_hello(s, p, now) ||
	    limits_refuse_hello(s, p, now) ||
	    !(c = new_chat(s, p, in, now, token)))
		return;
	limits_chat_opened(s, p, c, now);
	s->n.started++;
	status_count_today(s, now);
	svc_stat(s, now, STATS_STARTED, 0, c->lang);
	if (in->topic)
		stat_tag(s, c, STATS_TOPIC, in->topic);
	pos = s->queue.length;
	c->sent_position = pos;
	c->sent_wait = chat_estimate(s, pos);
	c->sent_late = chat_late(s, c, pos, c->sent_wait, NULL);
	svc_send(s, p, proto_out_queued(c->id, token, pos, c->sent_wait,
					c->sent_late));
	OPENSSL_cleanse(token, sizeof(token));
	chat_assign_waiting(s);
}

static enum proto_state
proto_state_of(enum chat_state st)
{
	return st == CHAT_QUEUED ? PROTO_STATE_QUEUED
	       : st == CHAT_ACTIVE ? PROTO_STATE_CHATTING : PROTO_STATE_ENDED;
}

void
chat_on_resume(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c;
	size_t pos;

	if (p->chat) {
		svc_send_error(s, p, "not_allowed", "already in a chat");
		return;
	}
	c = find_chat_by_token(s, in->token);
	if (!c || (!c->resident &&
		   svc_now(s) - c->gone_at > s->cfg->resume_grace_s)) {
		svc_send_error(s, p, "not_allowed", "nothing to resume");
		return;
	}
	if (c->resident) {
		/* The old connection is a dead phone link the server has not
		 * noticed yet: the newest one wins. */
		c->resident->chat = NULL;
		svc_close_replaced(s, c->resident, 1000, "resumed elsewhere");
	}
	c->resident = p;
	c->gone_at = 0;
	p->chat = c;
	limits_chat_resumed(c, p);
	pos = queue_position(&s->queue, &c->qnode);
	c->sent_position = pos;
	c->sent_wait = pos ? chat_estimate(s, pos) : -1;
	/* `resumed` does not carry the flag: a `position` follows if due,
	 * from a round that starts at the front, where c may stand. */
	c->sent_late = false;
	if (pos)
		chat_positions_rewalk(s);
	svc_send_history(s, p, proto_out_resumed(proto_state_of(c->state), pos,
		c->sent_wait, chat_history_json(s, c, "resident"),
		c->state == CHAT_ACTIVE && c->advisor ? c->advisor->name
						      : NULL));
}

static struct peer *
sender_peer(const struct chat *c, const char *from)
{
	return !strcmp(from, "resident") ? c->resident : advisor_peer(c);
}

/* The stored message of `from` with key `key` in c, read by the seq its
 * cid set gives (an indexed read). When the set cannot tell (incomplete),
 * or the message at that seq is not this key's (a rolled-back insert's
 * seq, or another key with the same hash), the chat's rows are walked.
 * 0 found (*m filled), 1 not stored, -1 unknown (a failed read). */
static int
stored_by_key(struct svc *s, struct chat *c, const char *from,
	      const char *key, struct store_msg *m)
{
	int64_t seq = cidset_seq(&c->cids, cidset_hash(from, key));
	int rc;

	if (!seq)
		return store_message_by_cid(s->st, c->id, from, key, m);
	rc = store_message_at(s->st, c->id, seq, m);
	if (rc < 0)
		return -1;
	if (rc == 0 && !strcmp(m->from, from) && m->cid &&
	    !strcmp(m->cid, key))
		return 0;
	if (rc == 0)
		store_msg_release(m);
	return store_message_by_cid(s->st, c->id, from, key, m);
}

/*
 * A `msg` whose cid (`key`, its compact JSON text) this chat already holds
 * from `from`: the sender gets the stored MSG again, same id, with the cid
 * as it sent it (CONTRACT.md section 7); the other side got it the first
 * time. Returns 1 when answered so, 0 when there is no such message, -1
 * when that cannot be read.
 */
static int
answer_resend(struct svc *s, struct chat *c, const char *from,
	      const char *key, json_t *cid)
{
	bool by_resident = !strcmp(from, "resident");
	struct store_msg m;
	struct proto_msg pm;
	int rc = stored_by_key(s, c, from, key, &m);

	if (rc)
		return rc > 0 ? 0 : -1;
	pm = (struct proto_msg){ m.seq, m.from, m.text, m.at,
				 by_resident ? m.redacted : false };
	svc_send_soft(s, sender_peer(c, from),
		      proto_out_msg(&pm, cid, by_resident ? 0 : c->id));
	store_msg_release(&m);
	return 1;
}

/* Store one message and show it to both sides. `shown` is what the sender
 * and the other side see, `stored` what goes to disk (both redacted for a
 * resident; an advisor's own words are shown as written). */
static void
post_message(struct svc *s, struct chat *c, const char *from,
	     const char *shown, const struct store_msg *stored, json_t *cid)
{
	bool by_resident = !strcmp(from, "resident");
	struct proto_msg live = { stored->seq, from, shown, stored->at,
				  by_resident ? stored->redacted : false };
	int rc = store_message_put(s->st, c->id, stored);

	if (rc) {
		c->seq--;
		if (rc < 0 || answer_resend(s, c, from, stored->cid, cid) <= 0)
			svc_write_failed(s, sender_peer(c, from),
					 "message not saved, please send again");
		return;
	}
	s->n.messages++;
	if (stored->cid)
		cidset_add(&c->cids, cidset_hash(from, stored->cid),
			   stored->seq);
	svc_stat(s, c->started_at, STATS_MESSAGE, 1, from);
	c->last_activity = stored->at;
	c->last_msg_at = stored->at;
	c->idle_warned = false;
	desk_on_msg(s, c, &live);
	svc_send_soft(s, c->resident,
		      proto_out_msg(&live, by_resident ? cid : NULL, 0));
	if (c->state == CHAT_ACTIVE && advisor_peer(c))
		svc_send_soft(s, advisor_peer(c),
			      proto_out_msg(&live, by_resident ? NULL : cid,
					    c->id));
}

static void
on_message(struct svc *s, struct chat *c, const char *from, const char *text,
	   json_t *cid)
{
	struct store_msg m;
	unsigned found = 0;
	char *key = cid ? json_dumps(cid, JSON_COMPACT | JSON_ENCODE_ANY)
			: NULL;
	bool maybe;
	int held = 0;
	char *clean;
	long chars;

	if (cid && !key) {
		log_err("service: out of memory reading a cid");
		return;
	}
	/* A resend of what is stored already is answered, not checked or
	 * stored again. The store is asked only when the chat's cid set
	 * cannot rule it out (cidset.h); when it can, or the store said the
	 * key is not there, the store is told the key is new and does not
	 * look again. */
	maybe = key && cidset_maybe(&c->cids, cidset_hash(from, key));
	if (maybe)
		held = answer_resend(s, c, from, key, cid);
	if (held > 0) {
		free(key);
		return;
	}
	clean = redact_text(text, strlen(text), &found);
	if (!clean) {
		log_err("service: out of memory redacting");
		free(key);
		return;
	}
	if (!limits_msg_allowed(s, c, from, clean, &chars)) {
		free(clean);
		free(key);
		return;
	}
	m.seq = ++c->seq;
	m.from = from;
	m.text = clean;
	m.at = svc_now(s);
	m.redacted = found != 0;
	m.cid = key;
	m.cid_new = key && held == 0;
	post_message(s, c, from, !strcmp(from, "resident") ? clean : text, &m,
		     cid);
	/* post_message takes the id back when the message was not stored. */
	if (c->seq == m.seq)
		limits_msg_stored(c, from, chars);
	free(clean);
	free(key);
}

/* A `msg` to ended chat c: true when `cid` is stored already from `from`
 * and was answered with its MSG; anything new is the caller's to refuse. */
static bool
resent_after_end(struct svc *s, struct chat *c, const char *from,
		 json_t *cid)
{
	char *key;
	bool answered;

	if (!cid || c->cids_forgotten)
		return false;
	key = json_dumps(cid, JSON_COMPACT | JSON_ENCODE_ANY);
	answered = key && answer_resend(s, c, from, key, cid) > 0;
	free(key);
	return answered;
}

void
chat_on_resident_msg(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;

	if (c && c->state == CHAT_ENDED &&
	    resent_after_end(s, c, "resident", in->cid))
		return;
	if (!c || c->state == CHAT_ENDED) {
		svc_send_error(s, p, "not_allowed", "no open chat");
		return;
	}
	on_message(s, c, "resident", in->text, in->cid);
}

void
chat_on_resident_typing(struct svc *s, struct peer *p,
			const struct proto_in *in)
{
	struct chat *c = p->chat;

	/* Typing while still queued is normal; there is just nobody to tell. */
	if (c && c->state == CHAT_ACTIVE && advisor_peer(c))
		svc_send_soft(s, advisor_peer(c),
			      proto_out_typing(in->on, c->id));
}

void
chat_on_resident_end(struct svc *s, struct peer *p)
{
	if (!p->chat || p->chat->state == CHAT_ENDED) {
		svc_send_error(s, p, "not_allowed", "no open chat");
		return;
	}
	chat_end(s, p->chat, PROTO_BY_RESIDENT);
}

void
chat_on_feedback(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;

	if (!c || c->state != CHAT_ENDED) {
		svc_send_error(s, p, "not_allowed",
			       "feedback is given after the chat");
		return;
	}
	if (c->rated) {
		svc_send_error(s, p, "not_allowed", "feedback already given");
		return;
	}
	if (store_chat_feedback(s->st, c->id, in->rating)) {
		svc_write_failed(s, p, "not saved, try again");
		return;
	}
	c->rated = true;
	svc_stat(s, svc_now(s), STATS_FEEDBACK, in->rating, NULL);
	svc_send(s, p, proto_out_thanks());
}

void
chat_on_ping(struct svc *s, struct peer *p)
{
	struct chat *c = p->chat;

	/* A resident's ping is the "I'm still here" answer to idle_warning;
	 * stored too, so that a restart does not cut the chat short. */
	if (c && c->state == CHAT_ACTIVE) {
		c->last_activity = svc_now(s);
		c->idle_warned = false;
		if (!s->store_down &&
		    store_chat_touch(s->st, c->id, c->last_activity))
			log_err("service: chat %lld touch not stored",
				(long long)c->id);
	}
	svc_send_soft(s, p, proto_out_pong());
}

/* ---------------------------------------------------------------- advisors */

void
chat_greet_advisor(struct svc *s, struct advisor *a)
{
	int i;

	svc_send(s, a->peer, chat_queue_view(s));
	for (i = 0; i < a->n_active; i++) {
		struct chat *c = a->active[i];
		struct proto_chat pc = { c->id, c->lang, c->topic,
			c->taken_at - c->qnode.enqueued_at, true };

		/* its whispers too: the console lost them with the link */
		svc_send_history(s, a->peer, proto_out_chat(&pc,
				 chat_history_json(s, c, "advisor"),
				 own_whispers(s, c)));
		/* CONTRACT.md section 8: the mark outlives a reconnect */
		if (c->urgent)
			svc_send(s, a->peer, proto_out_urgent(c->id, true));
	}
}

void
chat_on_status(struct svc *s, struct peer *p, const struct proto_in *in)
{
	p->adv->available = in->available;
	svc_send(s, p, proto_out_status(in->available));
	s->queue_dirty = true;
	chat_assign_waiting(s);
}

void
chat_on_take(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct advisor *a = p->adv;
	struct queue_node *n;
	struct chat *c;

	if (in->has_chat) {
		c = chat_find(s, in->chat);
		if (!c || c->state != CHAT_QUEUED) {
			svc_send_error(s, p, "unknown_chat",
				       "no such chat waiting");
			return;
		}
	} else {
		n = queue_first(&s->queue);
		if (!n) {
			svc_send_error(s, p, "queue_empty", "nobody waiting");
			return;
		}
		c = chat_of(n);
	}
	if (a->n_active >= chat_slot_max(s)) {
		svc_send_error(s, p, "too_many_chats",
			       "end a chat before taking another");
		return;
	}
	take_chat(s, a, c);
}

/* The advisor's chat `id`, or NULL after sending unknown_chat. */
static struct chat *
advisor_chat(struct svc *s, struct peer *p, int64_t id)
{
	struct chat *c = chat_find(s, id);

	if (c && c->advisor != p->adv && desk_watches(p->adv, id)) {
		svc_send_error(s, p, "not_allowed", "a watched chat is read "
			       "only; whisper to its advisor instead");
		return NULL;
	}
	if (!c || c->advisor != p->adv) {
		svc_send_error(s, p, "unknown_chat", "not one of your chats");
		return NULL;
	}
	return c;
}

/* The advisor's chat `id` while it is active, or NULL after sending
 * unknown_chat or not_allowed. */
static struct chat *
advisor_active_chat(struct svc *s, struct peer *p, int64_t id)
{
	struct chat *c = advisor_chat(s, p, id);

	if (c && c->state != CHAT_ACTIVE) {
		svc_send_error(s, p, "not_allowed", "the chat has ended");
		return NULL;
	}
	return c;
}

void
chat_on_advisor_msg(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = chat_find(s, in->chat);

	if (c && c->advisor == p->adv && c->state == CHAT_ENDED &&
	    resent_after_end(s, c, "advisor", in->cid))
		return;
	c = advisor_active_chat(s, p, in->chat);
	if (c)
		on_message(s, c, "advisor", in->text, in->cid);
}

void
chat_on_advisor_typing(struct svc *s, struct peer *p,
		       const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);

	if (c && c->state == CHAT_ACTIVE)
		svc_send_soft(s, c->resident, proto_out_typing(in->on, 0));
}

void
chat_on_advisor_end(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_active_chat(s, p, in->chat);

	if (c)
		chat_end(s, c, PROTO_BY_ADVISOR);
}

/* The tag replaces the chat's topic/outcome events; with no topics the
 * hello topic stays (CONTRACT section 6: "hello topic when untagged"). */
static void
tag_stats(struct svc *s, struct chat *c, const struct proto_in *in)
{
	int i;

	if (in->n_topics == 0 && !in->outcome)
		return;
	stat_untag(s, c);
	if (in->n_topics == 0 && c->topic[0])
		stat_tag(s, c, STATS_TOPIC, c->topic);
	for (i = 0; i < in->n_topics; i++)
		stat_tag(s, c, STATS_TOPIC, in->topics[i]);
	if (in->outcome && *in->outcome)
		stat_tag(s, c, STATS_OUTCOME, in->outcome);
}

void
chat_on_tag(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);
	int i;

	if (!c)
		return;
	for (i = 0; i < in->n_topics; i++)
		if (!config_has_topic(s->cfg, in->topics[i])) {
			svc_send_error(s, p, "bad_field", "unknown topic");
			return;
		}
	if (store_chat_tag(s->st, c->id, in->topics, in->n_topics,
			   in->outcome)) {
		svc_write_failed(s, p, "not saved, try again");
		return;
	}
	tag_stats(s, c, in);
	svc_send(s, p, proto_out_tagged(c->id));
}

/* ------------------------------------------------------------------ timers */

static void
check_idle(struct svc *s, struct chat *c, int64_t now)
{
	int64_t idle = now - c->last_activity, limit = s->cfg->idle_timeout_s;
	int64_t warn_at = limit > 4 * IDLE_WARN_S ? limit - IDLE_WARN_S
						  : limit * 3 / 4;

	if (idle >= limit) {
		chat_end(s, c, PROTO_BY_TIMEOUT);
		return;
	}
	if (idle >= warn_at && !c->idle_warned) {
		c->idle_warned = true;
		svc_send_soft(s, c->resident,
			      proto_out_idle_warning(limit - idle));
	}
}

void
chat_sweep(struct svc *s, int64_t now)
{
	struct chat *c = s->chats, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->state == CHAT_ACTIVE)
			check_idle(s, c, now);
		if (c->resident || now - c->gone_at <= s->cfg->resume_grace_s)
			continue;
		if (c->state != CHAT_ENDED)
			chat_end(s, c, PROTO_BY_DISCONNECT);
		/* Nobody can resume it to resend: its cids go now, even if it
		 * is kept a while for tagging. */
		if (!c->cids_forgotten &&
		    store_chat_forget_cids(s->st, c->id) == 0) {
			c->cids_forgotten = true;
			cidset_free(&c->cids);
		}
		/* The advisor may still tag it for a while after the end. */
		if (c->advisor && now - c->ended_at < KEEP_ENDED_S)
			continue;
		chat_forget(s, c);
	}
}
