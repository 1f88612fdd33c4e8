/*
 * restore.c - the start after any stop (CONTRACT.md section 7): the queue
 * and every open chat rebuilt from the store, so that a SIGTERM, a crash,
 * a kill -9 or a power cut loses nobody.
 *
 * The store keeps what memory held about each open chat: its resident
 * token's digest, its advisor account, its last message id, its flags
 * (served, handed back, copy asked for, rated) and its topic/outcome
 * events. store_open_chats_each hands the chats over in order of arrival;
 * each becomes a struct chat as chat.c would have it, its resident
 * disconnected since the start, so that the resume grace counts from the
 * start. A chat an advisor held goes back to that advisor's session
 * (login.c), disconnected since the start as well: the advisor's token
 * login finds it, and past the grace its chats go back to the queue as
 * they always did. A chat whose advisor account is gone goes back to the
 * queue at once; that is written after the read, as the read's callback
 * must not write.
 *
 * Loop thread, once, before the first connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "svc_internal.h"

_Static_assert(STORE_STAT_ROWS_MAX == PROTO_MAX_TOPICS + 1,
	       "a chat's events fit its stat_rows");

/* One rebuild, on restore_chats' stack. `requeue` (owned here) lists the
 * chats handed back for want of their advisor, written after the read. */
struct restore {
	struct svc *s;
	int64_t now;
	int64_t *requeue;
	size_t n_requeue, cap;
	int queued, active;
	bool failed;                     /* out of memory: stop */
};

static int
note_requeue(struct restore *r, int64_t id)
{
	int64_t *v;

	if (r->n_requeue == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		v = realloc(r->requeue, r->cap * sizeof(*v));
		if (!v)
			return -1;
		r->requeue = v;
	}
	r->requeue[r->n_requeue++] = id;
	return 0;
}

/* c back to its advisor's session; false when the account is gone (or its
 * slots are full). */
static bool
to_advisor(struct restore *r, struct chat *c, const struct store_chat *sc)
{
	struct advisor *a = login_restore_session(r->s, sc->advisor_id,
						  r->now);

	if (!a || a->n_active >= SVC_MAX_SLOTS)
		return false;
	c->state = CHAT_ACTIVE;
	c->advisor = a;
	c->taken_at = sc->taken_at;
	a->active[a->n_active++] = c;
	r->active++;
	return true;
}

/* A chat as the running server had it, before its place is known. */
static struct chat *
chat_from_store(const struct store_chat *sc, int64_t now)
{
	struct chat *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = sc->id;
	/* Its stored cids were never hashed in this run (restore_keys). */
	cidset_init(&c->cids, false);
	memcpy(c->token, sc->token, sizeof(c->token));
	snprintf(c->lang, sizeof(c->lang), "%s", sc->lang);
	snprintf(c->topic, sizeof(c->topic), "%s", sc->topic ? sc->topic : "");
	c->gone_at = now;                /* the grace counts from the start */
	c->started_at = sc->started_at;
	/* Active chats too: a take reports waited_s from it, and a chat
	 * handed back to the queue later keeps it as its arrival. */
	c->qnode.enqueued_at = sc->started_at;
	c->last_activity = sc->last_activity;
	c->seq = sc->seq;
	c->stat_served = sc->served;
	c->requeued = sc->requeued;
	c->email_requested = sc->email_requested;
	c->rated = sc->rated;
	c->urgent = sc->urgent;
	c->urgent_counted = sc->urgent_counted;
	c->last_msg_at = sc->last_activity;     /* the board's "last_msg" */
	memcpy(c->stat_rows, sc->stat_rows,
	       (size_t)sc->n_stat_rows * sizeof(c->stat_rows[0]));
	c->n_stat_rows = sc->n_stat_rows;
	return c;
}

static int
key_add(void *ctx, const char *from, const char *cid, int64_t seq)
{
	cidset_add(ctx, cidset_hash(from, cid), seq);
	return 0;
}

/* c's cid set from the keys its chat holds, so that its next messages are
 * checked in memory as a new chat's are. A failed read leaves the set
 * incomplete: every key is then looked up in the store. Read after the
 * chats' read, like the desk's text below. */
static void
restore_keys(struct svc *s, struct chat *c)
{
	cidset_free(&c->cids);
	cidset_init(&c->cids, true);
	if (store_message_keys_each(s->st, c->id, key_add, &c->cids)) {
		log_err("restore: chat %lld: its cids not read; each is looked "
			"up", (long long)c->id);
		cidset_free(&c->cids);
	}
}

static int
restore_one(void *ctx, const struct store_chat *sc)
{
	struct restore *r = ctx;
	struct svc *s = r->s;
	struct chat *c;

	if (!sc->has_token)             /* cannot be resumed: ended before */
		return 0;
	c = chat_from_store(sc, r->now);
	if (!c || chat_reserve(s)) {
		free(c);
		r->failed = true;
		return 1;
	}
	chat_link(s, c);
	if (sc->state == STORE_CHAT_ACTIVE && to_advisor(r, c, sc))
		return 0;
	if (sc->state == STORE_CHAT_ACTIVE) {
		/* Its advisor's account is gone: back to the queue. */
		c->requeued = true;
		if (note_requeue(r, c->id)) {
			r->failed = true;
			return 1;
		}
	}
	c->state = CHAT_QUEUED;
	chat_queue_place(s, c);
	r->queued++;
	return 0;
}

/* One whisper or note more in the chat's count (desk.c's cap). */
static int
add_desk_chars(void *ctx, const struct store_whisper *w)
{
	int64_t *chars = ctx;
	long n = proto_utf8_chars(w->text, strlen(w->text));

	if (n > 0)
		*chars += n;
	return 0;
}

/* The text of whispers and notes each chat holds already, so that the
 * cap of desk.c (max_chat_chars) counts from where it was, not from zero
 * after every start. Read after the chats' read, which must not nest. */
static int
restore_desk_chars(struct svc *s)
{
	struct chat *c;

	for (c = s->chats; c; c = c->next)
		if (store_whispers_each(s->st, c->id, add_desk_chars,
					&c->desk_chars))
			return -1;
	return 0;
}

int
restore_chats(struct svc *s, int64_t now)
{
	struct restore r = { s, now, NULL, 0, 0, 0, 0, false };
	struct chat *c;
	size_t i;
	int rc = store_open_chats_each(s->st, restore_one, &r);

	if (rc == 0 && r.failed)
		log_err("service: out of memory rebuilding the chats");
	for (i = 0; rc == 0 && !r.failed && i < r.n_requeue; i++) {
		rc = store_chat_requeued(s->st, r.requeue[i]);
		s->n.requeued++;
	}
	free(r.requeue);
	if (rc == 0 && !r.failed)
		rc = restore_desk_chars(s);
	if (rc == 0 && !r.failed)
		for (c = s->chats; c; c = c->next)
			restore_keys(s, c);
	if (rc || r.failed || store_commit(s->st)) {
		log_err("service: the open chats could not be rebuilt");
		return -1;
	}
	if (r.queued || r.active)
		log_info("service: rebuilt %d queued and %d active chats; "
			 "%d s to resume", r.queued, r.active,
			 s->cfg->resume_grace_s);
	return 0;
}
