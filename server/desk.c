/*
 * desk.c - the supervisors' desk of CONTRACT.md section 8, beside the chat
 * rules (chat.c) and not inside them: the board, watching a chat, whispers,
 * urgent marks with their alerts, and transfers.
 *
 * Roles. An account is an advisor or a supervisor (neuvo-admin advisor
 * role); a session takes its role at each login (desk_session_started), so
 * a change made while it runs counts from its next login. board, watch,
 * unwatch and whisper are a supervisor's; urgent and transfer also the
 * chat's own advisor's. Anything else gets not_allowed.
 *
 * What a session follows (the board, the chats it watches) belongs to its
 * connection and is reset at each login: a console that reconnects asks
 * again. Watched chats are kept by id, never by pointer, so a chat that
 * ends or goes back to the queue leaves nothing dangling; its watchers are
 * told (`ended`, `unwatched`) and the id is dropped.
 *
 * The board is pushed like the queue view: handlers only mark it changed
 * (desk_board_changed, and svc_tick whenever the queue view is dirty), and
 * desk_tick builds it once and copies it to every supervisor following it,
 * at most once per DESK_BOARD_MS (4 a second), whatever the burst.
 *
 * Whispers and transfer notes are redacted like messages (redact.h) and
 * stored in their own table (store_desk.c), never with the messages: the
 * resident, the email copy and the transcript export read messages only.
 * Their text per chat is capped by max_chat_chars (chat_full), so that a
 * watch frame stays within two chats' worth of the history budget
 * (limits_history_budget). Loop thread only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redact.h"
#include "svc_internal.h"

#define DESK_BOARD_MS 250           /* at most 4 board pushes a second */
#define BOARD_QUEUE_MAX 100         /* waiting residents listed, as the
				     * advisors' queue view */

/* ------------------------------------------------------------- audiences */

/* The connections one frame goes to, each once. Owned by the caller; the
 * peers are borrowed for the handler's duration. */
struct audience {
	struct peer **p;
	size_t n, cap;
};

static void
audience_add(struct audience *au, struct peer *p)
{
	size_t i;

	if (!p || p->closing)
		return;
	for (i = 0; i < au->n; i++)
		if (au->p[i] == p)
			return;
	if (au->n == au->cap) {
		size_t cap = au->cap ? au->cap * 2 : 8;
		struct peer **grown = realloc(au->p, cap * sizeof(*grown));

		if (!grown) {
			log_err("desk: out of memory listing recipients");
			return;
		}
		au->p = grown;
		au->cap = cap;
	}
	au->p[au->n++] = p;
}

/* Everyone watching chat c (not its advisor: it does not watch its own). */
static void
audience_watchers(struct svc *s, struct audience *au, const struct chat *c)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		if (a->peer && desk_watches(a, c->id))
			audience_add(au, a->peer);
}

/* text (taken) to everyone in au; soft: as svc_send_soft. Frees au. */
static void
audience_send(struct svc *s, struct audience *au, char *text, bool soft)
{
	size_t i;

	for (i = 0; text && i < au->n; i++) {
		char *copy = i + 1 < au->n ? strdup(text) : text;

		if (!copy) {
			log_err("desk: out of memory copying a frame");
			continue;
		}
		if (soft)
			svc_send_soft(s, au->p[i], copy);
		else
			svc_send(s, au->p[i], copy);
		if (copy == text)
			text = NULL;
	}
	free(text);
	free(au->p);
	memset(au, 0, sizeof(*au));
}

/* ------------------------------------------------------------ watch lists */

bool
desk_watches(const struct advisor *a, int64_t id)
{
	int i;

	for (i = 0; a && i < a->n_watching; i++)
		if (a->watching[i] == id)
			return true;
	return false;
}

int
desk_watch_count(const struct advisor *a)
{
	return a->n_watching;
}

static void
unwatch(struct advisor *a, int64_t id)
{
	int i;

	for (i = 0; i < a->n_watching; i++)
		if (a->watching[i] == id) {
			a->watching[i] = a->watching[--a->n_watching];
			return;
		}
}

/* Nobody watches chat `id` any more. */
static void
unwatch_all(struct svc *s, int64_t id)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		unwatch(a, id);
}

/* ------------------------------------------------------------------ roles */

void
desk_session_started(struct svc *s, struct advisor *a, bool supervisor)
{
	a->supervisor = supervisor;
	a->board = false;
	a->n_watching = 0;
	desk_board_changed(s);
}

void
desk_session_demoted(struct svc *s, struct advisor *a)
{
	int i;

	a->supervisor = false;
	a->board = false;
	for (i = 0; a->peer && i < a->n_watching; i++)
		svc_send(s, a->peer, proto_out_unwatched(a->watching[i]));
	a->n_watching = 0;
	desk_board_changed(s);
}

/* Is p a supervisor? Answers not_allowed when not. */
static bool
supervisor_only(struct svc *s, struct peer *p)
{
	if (p->adv->supervisor)
		return true;
	svc_send_error(s, p, "not_allowed", "only a supervisor may do this");
	return false;
}

/* The running (taken, not ended) chat `id`, or NULL after unknown_chat. */
static struct chat *
running_chat(struct svc *s, struct peer *p, int64_t id)
{
	struct chat *c = chat_find(s, id);

	if (!c || c->state != CHAT_ACTIVE || !c->advisor) {
		svc_send_error(s, p, "unknown_chat", "no such running chat");
		return NULL;
	}
	return c;
}

/* ------------------------------------------------------------------ board */

void
desk_board_changed(struct svc *s)
{
	s->desk.board_dirty = true;
}

static int
count_advisors(const struct svc *s)
{
	const struct advisor *a;
	int n = 0;

	for (a = s->advisors; a; a = a->next)
		n++;
	return n;
}

static int
count_running(const struct svc *s)
{
	const struct chat *c;
	int n = 0;

	for (c = s->chats; c; c = c->next)
		n += c->state == CHAT_ACTIVE && c->advisor;
	return n;
}

static void
list_advisors(const struct svc *s, struct proto_board_advisor *out)
{
	const struct advisor *a;
	size_t i = 0;

	for (a = s->advisors; a; a = a->next, i++)
		out[i] = (struct proto_board_advisor){ a->name, a->username,
			a->peer != NULL, a->peer && a->available,
			a->supervisor, a->n_active };
}

static void
list_chats(const struct svc *s, struct proto_board_chat *out)
{
	const struct chat *c;
	size_t i = 0;

	for (c = s->chats; c; c = c->next) {
		if (c->state != CHAT_ACTIVE || !c->advisor)
			continue;
		out[i++] = (struct proto_board_chat){ c->id, c->advisor->name,
			c->advisor->username, c->taken_at,
			c->last_msg_at > c->taken_at ? c->last_msg_at
						     : c->taken_at,
			c->urgent, c->lang, c->topic };
	}
}

/* The whole board as one frame (heap), or NULL on OOM. */
static char *
board_frame(struct svc *s)
{
	struct proto_waiting w[BOARD_QUEUE_MAX];
	size_t n_w = chat_queue_list(s, w, BOARD_QUEUE_MAX);
	int n_a = count_advisors(s), n_c = count_running(s);
	struct proto_board_advisor *a = calloc((size_t)n_a + 1, sizeof(*a));
	struct proto_board_chat *c = calloc((size_t)n_c + 1, sizeof(*c));
	char *text = NULL;

	if (a && c) {
		list_advisors(s, a);
		list_chats(s, c);
		text = proto_out_board(s->queue.length, w, n_w, a, (size_t)n_a,
				       c, (size_t)n_c);
	}
	free(a);
	free(c);
	return text;
}

void
desk_on_board(struct svc *s, struct peer *p)
{
	if (!supervisor_only(s, p))
		return;
	p->adv->board = true;
	svc_send(s, p, board_frame(s));
}

void
desk_tick(struct svc *s)
{
	struct audience au = { NULL, 0, 0 };
	uint64_t now = s->io.now_ms();
	struct advisor *a;

	if (!s->desk.board_dirty ||
	    now - s->desk.board_sent_ms < DESK_BOARD_MS)
		return;
	s->desk.board_dirty = false;
	for (a = s->advisors; a; a = a->next)
		if (a->board && a->supervisor)
			audience_add(&au, a->peer);
	if (!au.n) {
		free(au.p);
		return;
	}
	s->desk.board_sent_ms = now;
	s->desk.boards_sent++;
	audience_send(s, &au, board_frame(s), true);
}

/* ------------------------------------------------------------------ watch */

/* A whisper or note as read back, into a JSON list. */
static int
whisper_add(void *ctx, const struct store_whisper *w)
{
	struct proto_whisper pw = { 0, w->from, w->text, w->at, w->redacted,
				    w->id };
	json_t *o = proto_whisper_json(&pw);

	if (o && w->kind == STORE_NOTE &&
	    json_object_set_new(o, "note", json_true())) {
		json_decref(o);
		o = NULL;
	}
	return json_array_append_new(ctx, o);
}

json_t *
desk_whispers_json(struct svc *s, const struct chat *c)
{
	json_t *arr = json_array();

	if (arr && store_whispers_each(s->st, c->id, whisper_add, arr) != 0)
		log_warn("desk: whispers of chat %lld incomplete",
			 (long long)c->id);
	return arr;
}

void
desk_on_watch(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct advisor *a = p->adv;
	struct proto_chat pc;
	struct chat *c;

	if (!supervisor_only(s, p) || !(c = running_chat(s, p, in->chat)))
		return;
	if (c->advisor == a) {
		svc_send_error(s, p, "not_allowed", "this is your own chat");
		return;
	}
	if (!desk_watches(a, c->id)) {
		if (a->n_watching >= DESK_WATCH_MAX) {
			svc_send_error(s, p, "not_allowed", "watching too many "
				       "chats; unwatch one first");
			return;
		}
		a->watching[a->n_watching++] = c->id;
	}
	pc = (struct proto_chat){ c->id, c->lang, c->topic,
				  c->taken_at - c->qnode.enqueued_at, false };
	svc_send_history(s, p, proto_out_watch(&pc,
			 chat_history_json(s, c, ""), c->advisor->name,
			 desk_whispers_json(s, c), c->urgent));
}

void
desk_on_unwatch(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (!supervisor_only(s, p))
		return;
	unwatch(p->adv, in->chat);
	svc_send(s, p, proto_out_unwatched(in->chat));
}

/* ---------------------------------------------------------------- whisper */

/* text redacted and stored as a line of kind `kind` in chat c, from
 * `from`; *pw is filled for the frames (its text is *clean, the caller's to
 * free). Returns 0, or -1 after answering p (chat_full, not saved). */
static int
keep_line(struct svc *s, struct peer *p, struct chat *c,
	  enum store_whisper_kind kind, const char *text, char **clean,
	  struct proto_whisper *pw)
{
	unsigned found = 0;
	struct store_whisper w;
	long chars;

	*clean = redact_text(text, strlen(text), &found);
	if (!*clean) {
		svc_send_error(s, p, "not_allowed", "server busy, try again");
		return -1;
	}
	chars = proto_utf8_chars(*clean, strlen(*clean));
	if (chars < 0 || c->desk_chars + chars > s->cfg->max_chat_chars) {
		svc_send_error(s, p, "chat_full", "this chat holds as many "
			       "whispers and notes as it may");
		free(*clean);
		*clean = NULL;
		return -1;
	}
	w = (struct store_whisper){ kind, p->adv->name, *clean, svc_now(s),
				    found != 0, 0 };
	if (store_whisper_add(s->st, c->id, &w, &w.id)) {
		svc_write_failed(s, p, "not saved, please send again");
		free(*clean);
		*clean = NULL;
		return -1;
	}
	c->desk_chars += chars;
	*pw = (struct proto_whisper){ c->id, w.from, w.text, w.at,
				      w.redacted, w.id };
	return 0;
}

void
desk_on_whisper(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct audience au = { NULL, 0, 0 };
	struct proto_whisper pw;
	struct chat *c;
	char *clean;

	if (!supervisor_only(s, p) || !(c = running_chat(s, p, in->chat)) ||
	    keep_line(s, p, c, STORE_WHISPER, in->text, &clean, &pw))
		return;
	s->desk.whispers++;
	audience_add(&au, c->advisor->peer);
	audience_watchers(s, &au, c);
	audience_add(&au, p);
	audience_send(s, &au, proto_out_whisper(&pw), true);
	free(clean);
}

/* ----------------------------------------------------------------- urgent */

/* May p mark chat c: its own advisor, or a supervisor watching it? */
static bool
may_mark(const struct peer *p, const struct chat *c)
{
	return c->advisor == p->adv ||
	       (p->adv->supervisor && desk_watches(p->adv, c->id));
}

/* Every logged-in supervisor hears of chat c turning urgent. */
static void
alert_supervisors(struct svc *s, const struct chat *c)
{
	struct audience au = { NULL, 0, 0 };
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		if (a->supervisor)
			audience_add(&au, a->peer);
	s->desk.alerts++;
	audience_send(s, &au, proto_out_alert(c->id, c->advisor->name), false);
}

void
desk_on_urgent(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct audience au = { NULL, 0, 0 };
	struct chat *c = chat_find(s, in->chat);
	bool was;

	if (!c || !c->advisor || !may_mark(p, c)) {
		svc_send_error(s, p, "unknown_chat", !c || !p->adv->supervisor
			       ? "not one of your chats"
			       : "watch the chat before marking it");
		return;
	}
	if (c->state != CHAT_ACTIVE) {
		svc_send_error(s, p, "not_allowed", "the chat has ended");
		return;
	}
	if (store_chat_urgent(s->st, c->id, in->on)) {
		svc_write_failed(s, p, "not saved, try again");
		return;
	}
	was = c->urgent;
	c->urgent = in->on;
	if (in->on && !c->urgent_counted) {
		c->urgent_counted = true;
		svc_stat(s, svc_now(s), STATS_URGENT, 0, NULL);
	}
	audience_add(&au, c->advisor->peer);
	audience_watchers(s, &au, c);
	audience_add(&au, p);
	audience_send(s, &au, proto_out_urgent(c->id, c->urgent), false);
	if (c->urgent && !was)
		alert_supervisors(s, c);
	desk_board_changed(s);
}

/* --------------------------------------------------------------- transfer */

/* The connected session of `username` that may take one more chat; NULL
 * after not_available. */
static struct advisor *
transfer_target(struct svc *s, struct peer *p, const char *username)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		if (!strcmp(a->username, username))
			break;
	if (!a || !a->peer || a->peer->closing) {
		svc_send_error(s, p, "not_available",
			       "that advisor is not logged in");
		return NULL;
	}
	if (a->n_active >= chat_slot_max(s)) {
		svc_send_error(s, p, "not_available",
			       "that advisor has no room for another chat");
		return NULL;
	}
	return a;
}

/* Chat c moves to advisor `to` in memory; the store has it already. */
static void
move_chat(struct svc *s, struct chat *c, struct advisor *to)
{
	chat_slot_remove(c->advisor, c);
	to->active[to->n_active++] = c;
	c->advisor = to;
	unwatch(to, c->id);             /* its own chat now */
	s->desk.transfers++;
	desk_board_changed(s);
}

/* Everyone but the new advisor learns where chat c went. */
static void
tell_transferred(struct svc *s, struct peer *p, struct advisor *old,
		 struct chat *c)
{
	struct audience au = { NULL, 0, 0 };

	audience_add(&au, old->peer);
	audience_watchers(s, &au, c);
	if (p != c->advisor->peer)
		audience_add(&au, p);
	audience_send(s, &au, proto_out_transferred(c->id, c->advisor->name,
			c->advisor->username), false);
}

void
desk_on_transfer(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct proto_whisper note = { 0, NULL, NULL, 0, false, 0 };
	struct chat *c = chat_find(s, in->chat);
	struct advisor *to, *old;
	struct proto_chat pc;
	char *clean = NULL;

	if (!c || c->state != CHAT_ACTIVE || !c->advisor ||
	    (c->advisor != p->adv && !p->adv->supervisor)) {
		svc_send_error(s, p, "unknown_chat", "no such running chat "
			       "of yours");
		return;
	}
	if (!strcmp(c->advisor->username, in->to)) {
		svc_send_error(s, p, "not_allowed",
			       "the chat is with that advisor already");
		return;
	}
	if (!(to = transfer_target(s, p, in->to)))
		return;
	if (in->note && keep_line(s, p, c, STORE_NOTE, in->note, &clean,
				  &note))
		return;
	if (store_chat_transfer(s->st, c->id, to->account_id)) {
		svc_write_failed(s, p, "not transferred, try again");
		free(clean);
		return;
	}
	old = c->advisor;
	move_chat(s, c, to);
	pc = (struct proto_chat){ c->id, c->lang, c->topic,
				  c->taken_at - c->qnode.enqueued_at, false };
	svc_send_history(s, to->peer, proto_out_transfer_chat(&pc,
			 chat_history_json(s, c, "advisor"),
			 desk_whispers_json(s, c), &note, p->adv->name,
			 c->urgent));
	svc_send(s, c->resident, proto_out_assigned(to->name));
	tell_transferred(s, p, old, c);
	free(clean);
}

/* ------------------------------------------------------------ chat hooks */

void
desk_on_msg(struct svc *s, struct chat *c, const struct proto_msg *m)
{
	struct audience au = { NULL, 0, 0 };

	desk_board_changed(s);
	if (c->state != CHAT_ACTIVE)
		return;
	audience_watchers(s, &au, c);
	if (!au.n) {
		free(au.p);
		return;
	}
	audience_send(s, &au, proto_out_msg(m, NULL, c->id), true);
}

/* Chat c is no longer running: its watchers are told (`ended` with `by`,
 * or `unwatched` when by is NULL) and watch it no more. */
static void
watchers_done(struct svc *s, struct chat *c, const enum proto_ended_by *by)
{
	struct audience au = { NULL, 0, 0 };

	desk_board_changed(s);
	audience_watchers(s, &au, c);
	unwatch_all(s, c->id);
	if (!au.n) {
		free(au.p);
		return;
	}
	audience_send(s, &au, by ? proto_out_ended(*by, c->id)
				 : proto_out_unwatched(c->id), false);
}

void
desk_on_ended(struct svc *s, struct chat *c, enum proto_ended_by by)
{
	watchers_done(s, c, &by);
}

void
desk_on_requeued(struct svc *s, struct chat *c)
{
	watchers_done(s, c, NULL);
}
