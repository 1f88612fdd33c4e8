/*
 * service.c - the service's core (service.h): connections come and go,
 * frames are dispatched to the module that owns their rule, and each loop
 * turn ends with a commit before anything is shown.
 *
 * Flow of one frame: net.c hands a complete frame to svc_on_frame, which
 * rate-limits, parses (protocol.c), and dispatches by role and type to
 * chat.c, login.c or outbox.c. Handlers change the in-memory state, write
 * to the store in the turn's transaction, and queue frames with svc_send.
 * At the end of the turn svc_end_turn commits and releases the frames: what
 * anyone sees is on disk first.
 *
 * Pushes that many residents would otherwise get for one event (positions,
 * the advisors' queue view) are not sent from handlers: handlers only mark
 * the queue dirty, and svc_tick sends one coalesced round at most every
 * 250 ms. The state shared by the modules is in svc_internal.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "log.h"
#include "svc_internal.h"

/* ---------------------------------------------------------------- sending */

int64_t
svc_now(const struct svc *s)
{
	return s->io.now();
}

void
svc_send(struct svc *s, struct peer *p, char *text)
{
	if (!text) {
		log_err("service: out of memory building a frame");
		return;
	}
	if (!p || p->closing) {
		free(text);
		return;
	}
	p->sent_turn = s->turn;
	if (s->io.send(p->conn, text))
		p->closing = true;
}

void
svc_send_soft(struct svc *s, struct peer *p, char *text)
{
	uint64_t state_turn = p ? p->sent_turn : 0;

	svc_send(s, p, text);
	if (!p)
		return;
	p->sent_turn = state_turn;
	p->soft_turn = s->turn;
}

/* The store cannot write: not the client's fault, so it is not counted
 * among the errors that close a connection at SVC_MAX_ERRORS. */
static void
send_unavailable(struct svc *s, struct peer *p)
{
	s->n.errors_sent++;
	svc_send_soft(s, p, proto_error("unavailable",
		"not saved: the service cannot store anything just now; "
		"please send again shortly"));
}

/* The disk's trouble: refuse what writes and probe until writes work. */
static void
mark_store_down(struct svc *s)
{
	const char *reason;

	if (s->store_down)
		return;
	(void)store_last_error(s->st, &reason);
	log_err("service: store unavailable (%s): refusing changes until "
		"writes work again", reason);
	s->store_down = true;
	s->next_probe = svc_now(s) + 1;
}

void
svc_write_failed(struct svc *s, struct peer *p, const char *message)
{
	if (store_error_unavailable(store_last_error(s->st, NULL))) {
		mark_store_down(s);
		if (p)
			send_unavailable(s, p);
		return;
	}
	if (p)
		svc_send_error(s, p, "not_allowed", message);
}

void
svc_send_history(struct svc *s, struct peer *p, char *text)
{
	size_t budget;

	if (!text || !p || p->closing || !s->io.send_history) {
		svc_send(s, p, text);
		return;
	}
	budget = limits_history_budget(s, p, strlen(text));
	p->sent_turn = s->turn;
	if (s->io.send_history(p->conn, text, budget))
		p->closing = true;
}

void
svc_close_peer(struct svc *s, struct peer *p, int code, const char *reason)
{
	if (p->closing)
		return;
	p->closing = true;
	s->io.close(p->conn, code, reason);
}

void
svc_close_replaced(struct svc *s, struct peer *p, int code,
		   const char *reason)
{
	if (s->io.drop_queue)
		s->io.drop_queue(p->conn);
	svc_close_peer(s, p, code, reason);
}

void
svc_send_error(struct svc *s, struct peer *p, const char *code,
	       const char *message)
{
	s->n.errors_sent++;
	if (!p->closing)
		svc_send_soft(s, p, proto_error(code, message));
	if (++p->errors >= SVC_MAX_ERRORS)
		svc_close_peer(s, p, 1008, "too many errors");
}

void
svc_stat(struct svc *s, int64_t at, enum stats_kind kind, int64_t value,
	 const char *label)
{
	if (store_stat_add(s->st, at, stats_kind_name(kind), value, label,
			   NULL))
		log_err("service: %s event not stored", stats_kind_name(kind));
}

/* --------------------------------------------------------------- dispatch */

static void
resident_frame(struct svc *s, struct peer *p, const struct proto_in *in)
{
	switch (in->type) {
	case PROTO_HELLO:
		chat_on_hello(s, p, in);
		return;
	case PROTO_RESUME:
		chat_on_resume(s, p, in);
		return;
	case PROTO_MSG:
		chat_on_resident_msg(s, p, in);
		return;
	case PROTO_TYPING:
		chat_on_resident_typing(s, p, in);
		return;
	case PROTO_END:
		chat_on_resident_end(s, p);
		return;
	case PROTO_EMAIL:
		outbox_on_email(s, p, in);
		return;
	case PROTO_FEEDBACK:
		chat_on_feedback(s, p, in);
		return;
	case PROTO_PING:
		chat_on_ping(s, p);
		return;
	case PROTO_QUESTION:
		questions_on_question(s, p, in);
		return;
	case PROTO_PICKUP:
		questions_on_pickup(s, p, in);
		return;
	default:
		svc_send_error(s, p, "bad_type", "not a resident message");
		return;
	}
}

static void
advisor_frame(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (in->type == PROTO_LOGIN) {
		login_on_login(s, p, in);
		return;
	}
	if (!p->adv) {
		svc_send_error(s, p, "not_allowed", "log in first");
		return;
	}
	switch (in->type) {
	case PROTO_STATUS:
		chat_on_status(s, p, in);
		return;
	case PROTO_TAKE:
		chat_on_take(s, p, in);
		return;
	case PROTO_MSG:
		chat_on_advisor_msg(s, p, in);
		return;
	case PROTO_TYPING:
		chat_on_advisor_typing(s, p, in);
		return;
	case PROTO_END:
		chat_on_advisor_end(s, p, in);
		return;
	case PROTO_TAG:
		chat_on_tag(s, p, in);
		return;
	case PROTO_LOGOUT:
		login_on_logout(s, p);
		return;
	case PROTO_BLOCK:
		limits_on_block(s, p, in);
		return;
	case PROTO_BOARD:
		desk_on_board(s, p);
		return;
	case PROTO_WATCH:
		desk_on_watch(s, p, in);
		return;
	case PROTO_UNWATCH:
		desk_on_unwatch(s, p, in);
		return;
	case PROTO_WHISPER:
		desk_on_whisper(s, p, in);
		return;
	case PROTO_URGENT:
		desk_on_urgent(s, p, in);
		return;
	case PROTO_TRANSFER:
		desk_on_transfer(s, p, in);
		return;
	case PROTO_QUESTIONS:
		questions_on_list(s, p);
		return;
	case PROTO_ANSWER:
		questions_on_answer(s, p, in);
		return;
	default:
		svc_send_error(s, p, "bad_type", "not an advisor message");
		return;
	}
}

/* May handling a frame of this type write to the store? Types added later
 * count as writing until listed here, so that nothing slips through while
 * the store is down. */
static bool
may_write(enum proto_type t)
{
	switch (t) {
	case PROTO_RESUME:
	case PROTO_TYPING:
	case PROTO_PING:
	case PROTO_STATUS:
	case PROTO_BOARD:
	case PROTO_WATCH:
	case PROTO_UNWATCH:
	case PROTO_PICKUP:
	case PROTO_QUESTIONS:
		return false;
	default:
		return true;
	}
}

uint64_t
svc_idle_us(const struct svc *s)
{
	return s->io.idle_us ? s->io.idle_us(s->loop) : s->gauge.idle_us;
}

/*
 * More than SVC_RATE_LIMIT frames a second? The connection's token bucket
 * (overload.h) is one second deep plus the loop's backlog: the time since
 * nothing was left to read, in which frames sent in time pile up unread
 * and then come in a burst that is not the client's fault. The backlog
 * allowed is capped (SVC_RATE_LAG_MAX_MS), and the refill stays
 * SVC_RATE_LIMIT a second, so over time nobody gets more.
 */
static bool
rate_exceeded(struct svc *s, struct peer *p)
{
	uint64_t now = s->io.now_ms();
	uint64_t lag = overload_backlog_ms(&s->gauge, now, svc_idle_us(s));

	if (lag > SVC_RATE_LAG_MAX_MS)
		lag = SVC_RATE_LAG_MAX_MS;
	return !overload_bucket_take(&p->rate, SVC_RATE_LIMIT, now, lag);
}

void
svc_loop_sample(struct svc *s, uint64_t now_us, uint64_t idle_us)
{
	overload_sample(&s->gauge, now_us, idle_us);
}

bool
svc_pushing(const struct svc *s)
{
	return s->positions_pending;
}

bool
svc_overloaded(const struct svc *s)
{
	return overload_saturated(&s->gauge, s->io.now_ms(), svc_idle_us(s));
}

void
svc_on_frame(struct svc *s, struct net_conn *c, const char *buf, size_t len)
{
	struct peer *p = s->io.user(c);
	struct proto_limits lim;
	struct proto_in in;
	const char *code, *msg;

	if (!p || p->closing)
		return;
	p->last_frame = svc_now(s);
	if (rate_exceeded(s, p)) {
		svc_send_error(s, p, "rate_limited",
			       "more than 10 messages a second");
		return;
	}
	lim.max_message_chars = s->cfg->max_message_chars;
	if (proto_parse(buf, len, p->role, &lim, &in, &code, &msg)) {
		svc_send_error(s, p, code, msg);
		return;
	}
	if (may_write(in.type)) {
		if (s->store_down) {
			send_unavailable(s, p);
			proto_in_free(&in);
			return;
		}
		p->asked_turn = s->turn;
	}
	if (p->role == PROTO_RESIDENT)
		resident_frame(s, p, &in);
	else
		advisor_frame(s, p, &in);
	proto_in_free(&in);
}

/* ------------------------------------------------------------ connections */

struct svc *
svc_new(struct uv_loop_s *loop, const struct config *cfg, struct store *st,
	const struct svc_io *io)
{
	struct svc *s = calloc(1, sizeof(*s));
	uint8_t cid_key[16];
	double mean;

	if (!s)
		return NULL;
	/* Every chat's cid set hashes under a key no client knows (cidset.h);
	 * the sets are memory only, so a new key each start is safe. */
	if (RAND_bytes(cid_key, sizeof(cid_key)) != 1) {
		log_err("service: no random bytes for the cid key");
		free(s);
		return NULL;
	}
	cidset_seed(cid_key);
	s->loop = loop;
	s->cfg = cfg;
	s->st = st;
	s->io = *io;
	s->turn = 1;
	overload_init(&s->gauge, s->io.now_ms() * 1000,
		      s->io.idle_us ? s->io.idle_us(loop) : 0);
	login_init(s);
	if (limits_init(s)) {
		login_free_all(s);
		free(s);
		return NULL;
	}
	queue_init(&s->queue);
	idmap_init(&s->chat_ids);
	idmap_init(&s->chat_tokens);
	queue_estimator_init(&s->est, QUEUE_DEFAULT_HANDLE_S);
	if (store_recent_handle_time(st, 20, &mean) == 1)
		queue_estimator_init(&s->est, mean);
	status_init_today(s);
	outbox_recount(s);
	questions_recount(s);
	/* A copy deleted just before a crash may still sit in the WAL. */
	s->wal_dirty = true;
	return s;
}

int
svc_restore(struct svc *s)
{
	return restore_chats(s, svc_now(s));
}

void
svc_free(struct svc *s)
{
	if (!s)
		return;
	while (s->chats)
		chat_forget(s, s->chats);
	idmap_free(&s->chat_ids);
	idmap_free(&s->chat_tokens);
	login_free_all(s);
	limits_free(s);
	free(s);
}

void
svc_set_config(struct svc *s, const struct config *cfg)
{
	s->cfg = cfg;
	s->queue_dirty = true;
	chat_positions_rewalk(s);       /* new hours or slots: new estimates */
	chat_assign_waiting(s);
}

/* SIGTERM: 1012 "come back", unless a drain has ended service for good. */
static void
close_for_stop(struct svc *s, struct peer *p)
{
	if (svc_drained(s))
		svc_close_peer(s, p, 1001, "service ended");
	else
		svc_close_peer(s, p, 1012, "server restarting");
}

void
svc_on_open(struct svc *s, struct net_conn *c, enum proto_role role)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p) {
		s->io.close(c, 1011, "out of memory");
		return;
	}
	p->conn = c;
	p->role = role;
	overload_bucket_init(&p->rate, SVC_RATE_LIMIT, s->io.now_ms());
	p->next = s->peers;
	if (s->peers)
		s->peers->prev = p;
	s->peers = p;
	s->io.set_user(c, p);
	limits_peer_opened(s, p);
	if (s->stopping)
		close_for_stop(s, p);
}

void
svc_on_close(struct svc *s, struct net_conn *c)
{
	struct peer *p = s->io.user(c);
	int64_t now = svc_now(s);

	if (!p)
		return;
	if (p->chat && p->chat->resident == p) {
		p->chat->resident = NULL;
		p->chat->gone_at = now;
	}
	if (p->adv && p->adv->peer == p) {
		p->adv->peer = NULL;
		p->adv->gone_at = now;
		s->queue_dirty = true;
	}
	login_detach(p);
	if (p->prev)
		p->prev->next = p->next;
	else
		s->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	s->io.set_user(c, NULL);
	free(p);
}

/* ----------------------------------------------------------- end of turn */

/* Deleted rows (a copy's address, purged transcripts) must not outlive the
 * delete in the WAL. A reader may hold the WAL for a while; then try again
 * each second, never waiting on it. */
static void
checkpoint_wal(struct svc *s)
{
	int64_t now = svc_now(s);
	int rc;

	if (now < s->next_checkpoint)
		return;
	rc = store_checkpoint(s->st);
	if (rc == 0) {
		s->wal_dirty = false;
		return;
	}
	s->next_checkpoint = now + 1;
	if (rc < 0)
		log_err("service: WAL checkpoint failed; trying again");
}

/* The store rolled back `turn`: the policy of service.h (svc_end_turn). */
static void
turn_failed(struct svc *s, uint64_t turn)
{
	bool down = store_error_unavailable(store_last_error(s->st, NULL));
	struct chat *c, *next;
	struct peer *p;

	log_err("service: commit failed; this turn's frames withheld");
	for (c = s->chats; c; c = next) {
		next = c->next;
		if (c->created_turn == turn)
			chat_forget(s, c);
		else if (c->state == CHAT_QUEUED)
			c->sent_position = 0;   /* pushed again */
	}
	chat_positions_rewalk(s);
	s->io.discard();
	if (down)
		mark_store_down(s);
	for (p = s->peers; p; p = p->next) {
		bool resync = p->sent_turn == turn ||
			      (!down && p->soft_turn == turn);

		if (p->asked_turn == turn)
			send_unavailable(s, p);
		if (resync)
			svc_close_peer(s, p, 1011, "not saved, try again");
	}
	/* Only the errors: they claim nothing is stored. */
	s->io.release();
	s->queue_dirty = true;
	/* Rolled back: a deleted copy's row is back, a new one gone. */
	outbox_recount(s);
	questions_recount(s);
}

/* A write committed: the store works, whatever the last probe said. */
static void
store_back(struct svc *s)
{
	s->store_down = false;
	s->queue_dirty = true;
	log_info("service: store writes work again; service resumed");
}

void
svc_end_turn(struct svc *s)
{
	uint64_t turn;
	bool wrote;

	/* Before the commit, so the pushes go out in this turn's release. */
	if (s->positions_pending)
		chat_push_positions(s);
	s->positions_sent = 0;          /* the next turn's share */
	turn = s->turn++;
	wrote = store_pending(s->st);

	if (store_commit(s->st)) {
		turn_failed(s, turn);
		return;
	}
	if (wrote && s->store_down)
		store_back(s);
	s->io.release();
	if (s->wal_dirty)
		checkpoint_wal(s);
}

/* ------------------------------------------------------------------ timers */

/* Once a day, when nobody is waiting: delete transcripts older than
 * retention_days in one statement, and expired advisor tokens (both join
 * this turn's transaction). */
static void
maybe_purge(struct svc *s, int64_t now)
{
	int64_t n;

	if (now < s->next_purge || s->queue.length > 0)
		return;
	s->next_purge = now + 86400;
	/* Advisor tokens kept for restarts (login.c) go once expired. */
	if (store_advisor_tokens_expire(s->st, now, &n))
		log_err("service: expired advisor tokens not deleted");
	if (store_purge(s->st, now - (int64_t)s->cfg->retention_days * 86400,
			&n)) {
		log_err("service: purge failed; next try in a day");
		return;
	}
	if (n == 0)
		return;
	s->wal_dirty = true;
	log_info("service: purged %lld chats older than %d days", (long long)n,
		 s->cfg->retention_days);
}

/* A chat ended this long ago has its cids forgotten even if the turn
 * that named it failed to commit (no resend comes an hour after the end). */
#define FORGET_LOST_S 3600

/* The cids of chats whose resume grace is over (chat.c named them with
 * store_chat_forget_cids) go together once every resume_grace_s: chats
 * that ran at the same time share the pages of their messages, so one
 * statement for all of them writes each page once, where one a chat wrote
 * it again for each. A cid so stays at most one more grace, and a restart
 * forgets every one at once. */
static void
maybe_forget_cids(struct svc *s, int64_t now)
{
	int64_t n;

	if (now < s->next_forget)
		return;
	s->next_forget = now + (s->cfg->resume_grace_s > 0
				? s->cfg->resume_grace_s : 1);
	if (store_forget_cids_due(s->st, now - FORGET_LOST_S, &n))
		log_err("service: ended chats' cids not forgotten; trying "
			"again in %d s", s->cfg->resume_grace_s);
}

/* While the store is down: one tiny write a second, outside any turn's
 * transaction, to learn when writes work again. */
static void
probe_store(struct svc *s, int64_t now)
{
	if (now < s->next_probe || store_pending(s->st))
		return;
	s->next_probe = now + 1;
	if (store_probe(s->st, now))
		return;                 /* logged by the store */
	store_back(s);
}

void
svc_tick(struct svc *s)
{
	int64_t now = svc_now(s);

	if (s->store_down)
		probe_store(s, now);
	/* What would write (timeouts, requeues, the outbox) waits while the
	 * store is down; nobody's time runs out meanwhile by our fault. */
	if (now != s->last_sweep && !s->store_down) {
		s->last_sweep = now;
		chat_sweep(s, now);
		login_sweep(s, now);
		limits_sweep(s, now);
		questions_sweep(s, now);
		maybe_purge(s, now);
		maybe_forget_cids(s, now);
		/* may_not_be_served follows the clock, not only the queue. */
		chat_push_positions(s);
	}
	if (!s->store_down)
		outbox_scan(s, now);
	questions_push(s);
	if (s->queue_dirty) {
		s->queue_dirty = false;
		desk_board_changed(s);
		chat_push_queue(s);
	}
	desk_tick(s);
}

void
svc_shutdown(struct svc *s)
{
	struct peer *p;

	/* The chats stay open in the store: the next start rebuilds them. */
	s->stopping = true;
	/* Every connection, also those that never sent hello or login. */
	for (p = s->peers; p; p = p->next)
		close_for_stop(s, p);
}

void
svc_drain(struct svc *s)
{
	if (s->draining)
		return;
	s->draining = true;
	log_info("draining: no new residents; the open chats go on to their "
		 "end, then the server stops");
}

bool
svc_drained(const struct svc *s)
{
	const struct chat *c;

	if (!s->draining)
		return false;
	for (c = s->chats; c; c = c->next)
		if (c->state != CHAT_ENDED)
			return false;
	return true;
}
