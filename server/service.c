/*
 * service.c - residents, advisors and the queue between them (service.h).
 *
 * Flow of one frame: net.c hands a complete frame to svc_on_frame, which
 * rate-limits, parses (protocol.c), and dispatches to one handler per
 * message type. Handlers change the in-memory state, write to the store in
 * the turn's transaction, and queue frames with net_send. At the end of the
 * turn svc_end_turn commits and releases the frames: what anyone sees is on
 * disk first.
 *
 * Pushes that many residents would otherwise get for one event (positions,
 * the advisors' queue view) are not sent from handlers: handlers only mark
 * the queue dirty, and svc_tick sends one coalesced round at most every
 * 250 ms.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "hours.h"
#include "log.h"
#include "mail.h"
#include "net.h"
#include "queue.h"
#include "redact.h"
#include "service.h"
#include "smtp.h"
#include "store.h"
#include "waits.h"

#define MAX_ERRORS 20               /* protocol errors before close 1008 */
#define RATE_LIMIT 10               /* frames per second per connection */
#define ADVISOR_TOKEN_TTL (12 * 3600)
#define MAX_SLOTS 64                /* chats one advisor can hold at most */
#define QUEUE_VIEW_MAX 100          /* waiting entries listed to advisors */
#define IDLE_WARN_S 120             /* warn this long before idle timeout */
#define LOGIN_FAILS_FREE 3          /* failures before backoff starts */
#define LOGIN_BACKOFF_MAX 60        /* longest pause after failures, s */
#define LOGIN_FAILS_KEPT 4096       /* usernames with failures remembered */
#define LOGINS_IN_FLIGHT 4          /* password checks at once */
#define KEEP_ENDED_S 3600           /* an ended chat can be tagged this long */

enum chat_state {
	CHAT_QUEUED,
	CHAT_ACTIVE,
	CHAT_ENDED
};

struct peer;
struct advisor;

/* One per resident chat; owned by svc->chats (see service.h for lifetime). */
struct chat {
	struct chat *next;
	int64_t id;
	uint8_t token[AUTH_DIGEST_LEN];  /* digest of the resident's token */
	enum chat_state state;
	char lang[CONFIG_ID_MAX];
	char topic[CONFIG_ID_MAX];       /* "" = none */
	struct peer *resident;           /* NULL while disconnected */
	int64_t gone_at;                 /* when the resident dropped */
	struct advisor *advisor;         /* who has (or had) it; may be NULL */
	struct queue_node qnode;
	int64_t started_at, taken_at, ended_at, last_activity;
	int64_t seq;                     /* last MSG id */
	bool idle_warned;
	bool email_requested;
	bool rated;                      /* feedback given: one per chat */
	bool stat_served;                /* its "served" event is recorded */
	int64_t stat_rows[PROTO_MAX_TOPICS + 1]; /* its topic/outcome events, */
	int n_stat_rows;                 /* replaced when it is re-tagged */
	size_t sent_position;            /* last pushed, to push only changes */
	long sent_wait;
};

/* One per advisor account with a session; owned by svc->advisors; from
 * login until its connection has been gone longer than resume_grace_s. */
struct advisor {
	struct advisor *next;
	int64_t account_id;
	char username[STORE_USER_MAX];
	char name[STORE_NAME_MAX];
	uint8_t token[AUTH_DIGEST_LEN];
	int64_t token_expires;
	struct peer *peer;               /* NULL while disconnected */
	int64_t gone_at;
	bool available;
	struct chat *active[MAX_SLOTS];  /* its chats in CHAT_ACTIVE */
	int n_active;
};

/* A password check on the thread pool; owned by itself, freed in its
 * after-work callback. `p` is cleared if the connection closes first. */
struct login_job {
	uv_work_t req;
	struct svc *s;
	struct peer *p;
	char username[STORE_USER_MAX];
	char password[AUTH_PASSWORD_MAX + 1];
	struct store_advisor account;
	bool known;
	int ok;
};

/* One per WebSocket connection; from svc_on_open to svc_on_close. */
struct peer {
	struct net_conn *conn;
	enum proto_role role;
	struct chat *chat;               /* resident */
	struct advisor *adv;             /* advisor, after login_ok */
	struct login_job *job;           /* advisor, password check running */
	int errors;
	uint64_t rate_window_ms;
	int rate_count;
	bool closing;
	struct peer *prev, *next;        /* svc.peers: every open connection */
};

/* Failed logins per username, in memory only. */
struct login_fail {
	struct login_fail *next;
	char username[STORE_USER_MAX];
	int fails;
	int64_t next_try;
};

struct counters {
	uint64_t started, served, abandoned, queue_full, closed_attempts;
	uint64_t messages, errors_sent, logins_ok, logins_failed;
	uint64_t ended_timeout, requeued;
};

/* An outbox row handed to the SMTP worker, until its result is taken. */
struct mail_sending {
	int64_t id;
	int attempts;
	int64_t created_at;
};

/* An outbox row read for dispatch; strings are heap copies (the address
 * wiped when freed), owned by the scan that read it. */
struct email_row {
	int64_t id, chat_id;
	char *addr, *lang, *message;
	int attempts;
	int64_t created_at;
};

struct email_scan {
	struct svc *s;
	struct email_row rows[SMTP_QUEUE_MAX];
	int n;
};

/* Email copies (issue 5); loop thread only. The worker is main's. */
struct mail_state {
	struct smtp *worker;             /* NULL: copies unavailable */
	struct mail_sending sending[SMTP_QUEUE_MAX];
	int n_sending;
	int64_t outbox_len;              /* rows in the store's outbox */
	uint64_t sent, retried, given_up;
	int64_t hour;                    /* start of the capped clock hour */
	int hour_count;                  /* copies asked for in it */
	int64_t next_scan;
	bool scan_now;                   /* a chat with a request ended */
	bool held;                       /* svc_hold_mail: dispatch nothing */
};

struct svc {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *st;
	struct chat *chats;
	struct advisor *advisors;
	struct login_fail *fails;        /* newest first */
	int n_fails;
	struct peer *peers;              /* every open connection, any state */
	struct queue queue;
	struct queue_estimator est;
	bool queue_dirty;
	bool stopping;                   /* SIGTERM: hand out nothing new */
	int logins_in_flight;
	int64_t last_sweep;
	struct counters n;
	int64_t next_purge;              /* when the daily purge is due */
	bool wal_dirty;                  /* deleted rows may linger in the WAL */
	int64_t next_checkpoint;         /* earliest retry while a reader holds it */
	struct hours_date today;         /* local day of chats_today */
	uint64_t chats_today;            /* residents queued today */
	struct mail_state mail;
	struct waits recent;             /* the wait p90 gauge (waits.h) */
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* ---------------------------------------------------------------- figures */

/* Record an anonymous event for stats (stats.h lists the kinds). A failure
 * is logged and otherwise ignored: figures never stop a chat. */
static void
stat_event(struct svc *s, int64_t at, const char *kind, int64_t value,
	   const char *label)
{
	if (store_stat_add(s->st, at, kind, value, label, NULL))
		log_err("service: %s event not stored", kind);
}

/* A topic or outcome of chat c, remembered so a re-tag can replace it. */
static void
stat_tag(struct svc *s, struct chat *c, const char *kind, const char *label)
{
	int64_t row;

	if (c->n_stat_rows >= PROTO_MAX_TOPICS + 1 ||
	    store_stat_add(s->st, c->started_at, kind, 0, label, &row)) {
		log_err("service: %s event not stored", kind);
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

static bool
same_date(const struct hours_date *a, const struct hours_date *b)
{
	return a->y == b->y && a->m == b->m && a->d == b->d;
}

/* Count a resident queued today (local), starting again at midnight. */
static void
count_today(struct svc *s, int64_t now)
{
	struct hours_date d = hours_local_date((time_t)now);

	if (!same_date(&d, &s->today)) {
		s->today = d;
		s->chats_today = 0;
	}
	s->chats_today++;
}

/* Once a day, when nobody is waiting: delete transcripts older than
 * retention_days in one statement (it joins this turn's transaction). */
static void
maybe_purge(struct svc *s, int64_t now)
{
	int64_t n;

	if (now < s->next_purge || s->queue.length > 0)
		return;
	s->next_purge = now + 86400;
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

/* ---------------------------------------------------------------- sending */

static void
send_obj(struct peer *p, json_t *obj)
{
	char *text;

	if (!p || p->closing) {
		json_decref(obj);
		return;
	}
	text = proto_dump(obj);
	if (!text) {
		log_err("service: out of memory building a frame");
		return;
	}
	if (net_send(p->conn, text))
		p->closing = true;
}

static void
close_peer(struct peer *p, int code, const char *reason)
{
	if (p->closing)
		return;
	p->closing = true;
	net_close(p->conn, code, reason);
}

static void
send_error(struct svc *s, struct peer *p, const char *code, const char *msg)
{
	char *text = proto_error(code, msg);

	s->n.errors_sent++;
	if (text && !p->closing && net_send(p->conn, text))
		p->closing = true;
	if (++p->errors >= MAX_ERRORS)
		close_peer(p, 1008, "too many errors");
}

static json_t *
time_json(int64_t t)
{
	char buf[40];

	hours_format_rfc3339((time_t)t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
wait_json(long w)
{
	return w < 0 ? json_null() : json_integer(w);
}

static json_t *
topic_json(const struct chat *c)
{
	return c->topic[0] ? json_string(c->topic) : json_null();
}

/* MSG of CONTRACT section 4; `chat_id` > 0 adds "chat" for advisors. */
static json_t *
msg_json(const struct store_msg *m, json_t *cid, int64_t chat_id)
{
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:o, s:b}", "type", "msg",
			      "id", (json_int_t)m->seq, "from", m->from,
			      "text", m->text, "at", time_json(m->at),
			      "redacted", m->redacted);

	if (o && cid)
		json_object_set(o, "cid", cid);
	if (o && chat_id > 0)
		json_object_set_new(o, "chat", json_integer(chat_id));
	return o;
}

static int
history_add(void *ctx, const struct store_msg *m)
{
	return json_array_append_new((json_t *)ctx, msg_json(m, NULL, 0));
}

static json_t *
history_json(struct svc *s, const struct chat *c)
{
	json_t *arr = json_array();

	if (arr && store_messages_each(s->st, c->id, history_add, arr))
		log_warn("service: history of chat %lld incomplete",
			 (long long)c->id);
	return arr;
}

static void
send_to_advisor(struct chat *c, json_t *obj)
{
	if (!c->advisor || !c->advisor->peer) {
		json_decref(obj);
		return;
	}
	json_object_set_new(obj, "chat", json_integer(c->id));
	send_obj(c->advisor->peer, obj);
}

static void
send_to_resident(struct chat *c, json_t *obj)
{
	if (!c->resident) {
		json_decref(obj);
		return;
	}
	send_obj(c->resident, obj);
}

/* ---------------------------------------------------------- queue figures */

static int
advisors_available(const struct svc *s, int *free_slots)
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

static long
estimate(const struct svc *s, size_t position)
{
	int free_slots, n = advisors_available(s, &free_slots);

	return queue_estimate_wait(&s->est, position, n,
				   s->cfg->max_chats_per_advisor, free_slots);
}

static struct chat *
chat_of(struct queue_node *n)
{
	return (struct chat *)((char *)n - offsetof(struct chat, qnode));
}

/* ------------------------------------------------------------ chat states */

static int
slot_max(const struct svc *s)
{
	int m = s->cfg->max_chats_per_advisor;

	return m > MAX_SLOTS ? MAX_SLOTS : m;
}

static void
slot_remove(struct advisor *a, struct chat *c)
{
	int i;

	for (i = 0; i < a->n_active; i++) {
		if (a->active[i] != c)
			continue;
		a->active[i] = a->active[--a->n_active];
		return;
	}
}

static void assign_waiting(struct svc *s);

/* End a queued or active chat; tells both sides. */
static void
end_chat(struct svc *s, struct chat *c, const char *by)
{
	int64_t now = now_s();

	if (c->state == CHAT_ENDED)
		return;
	if (c->state == CHAT_QUEUED) {
		queue_remove(&s->queue, &c->qnode);
		s->queue_dirty = true;
		s->n.abandoned++;
		stat_event(s, now, "abandoned", now - c->started_at, by);
	} else {
		stat_event(s, now, "ended", now - c->taken_at, by);
		queue_estimator_add(&s->est, (double)(now - c->taken_at));
		if (c->advisor)
			slot_remove(c->advisor, c);
	}
	c->state = CHAT_ENDED;
	c->ended_at = now;
	if (store_chat_ended(s->st, c->id, now, by))
		log_err("service: chat %lld end not stored", (long long)c->id);
	if (c->email_requested)
		s->mail.scan_now = true;        /* its copy goes now */
	send_to_resident(c, json_pack("{s:s, s:s}", "type", "ended", "by", by));
	send_to_advisor(c, json_pack("{s:s, s:s}", "type", "ended", "by", by));
	if (!strcmp(by, "timeout"))
		s->n.ended_timeout++;
	assign_waiting(s);
}

static void
forget_chat(struct svc *s, struct chat *c)
{
	struct chat **pp;

	queue_remove(&s->queue, &c->qnode);
	if (c->advisor)
		slot_remove(c->advisor, c);
	if (c->resident)
		c->resident->chat = NULL;
	for (pp = &s->chats; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	free(c);
}

/* Hand queued chat c to advisor a; tells both sides. */
static void
take_chat(struct svc *s, struct advisor *a, struct chat *c)
{
	json_t *o;

	queue_remove(&s->queue, &c->qnode);
	s->queue_dirty = true;
	c->state = CHAT_ACTIVE;
	c->advisor = a;
	c->taken_at = now_s();
	c->last_activity = c->taken_at;
	c->idle_warned = false;
	a->active[a->n_active++] = c;
	s->n.served++;
	if (!c->stat_served) {
		stat_event(s, c->taken_at, "served",
			   c->taken_at - c->started_at, NULL);
		waits_add(&s->recent, c->taken_at, c->taken_at - c->started_at);
	}
	c->stat_served = true;
	if (store_chat_taken(s->st, c->id, c->taken_at))
		log_err("service: chat %lld take not stored", (long long)c->id);
	o = json_pack("{s:s, s:I, s:s, s:o, s:o, s:I}", "type", "chat",
		      "chat", (json_int_t)c->id, "lang", c->lang,
		      "topic", topic_json(c), "history", history_json(s, c),
		      "waited_s", (json_int_t)(c->taken_at - c->qnode.enqueued_at));
	send_obj(a->peer, o);
	send_to_resident(c, json_pack("{s:s, s:s}", "type", "assigned",
				      "advisor", a->name));
}

/* The available advisor with the most room, or NULL. */
static struct advisor *
best_advisor(struct svc *s)
{
	struct advisor *a, *best = NULL;

	for (a = s->advisors; a; a = a->next) {
		if (!a->peer || !a->available || a->n_active >= slot_max(s))
			continue;
		if (!best || a->n_active < best->n_active)
			best = a;
	}
	return best;
}

/* auto_assign = yes: give waiting residents to available advisors. */
static void
assign_waiting(struct svc *s)
{
	struct queue_node *n;
	struct advisor *a;

	if (!s->cfg->auto_assign || s->stopping)
		return;
	while ((n = queue_first(&s->queue)) && (a = best_advisor(s)))
		take_chat(s, a, chat_of(n));
}

/* --------------------------------------------------------------- residents */

static struct chat *
find_chat_by_token(struct svc *s, const char *token)
{
	uint8_t d[AUTH_DIGEST_LEN];
	struct chat *c;

	auth_token_digest(token, d);
	for (c = s->chats; c; c = c->next)
		if (auth_digest_equal(c->token, d))
			return c;
	return NULL;
}

static struct chat *
find_chat(struct svc *s, int64_t id)
{
	struct chat *c;

	for (c = s->chats; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* Closed or full: answer, count and close 1000. Returns true if refused. */
static bool
refuse_hello(struct svc *s, struct peer *p, int64_t now)
{
	time_t next;
	json_t *o;

	if (!hours_open_at(&s->cfg->hours, (time_t)now, NULL)) {
		s->n.closed_attempts++;
		(void)store_event_add(s->st, now, "closed_attempt");
		o = json_pack("{s:s, s:o}", "type", "closed", "next_open",
			      hours_next_open(&s->cfg->hours, (time_t)now, 14,
					      &next) ? json_null()
						     : time_json(next));
		send_obj(p, o);
		close_peer(p, 1000, "closed");
		return true;
	}
	if (s->queue.length >= (size_t)s->cfg->max_length) {
		s->n.queue_full++;
		(void)store_event_add(s->st, now, "queue_full");
		send_obj(p, json_pack("{s:s}", "type", "queue_full"));
		close_peer(p, 1000, "queue full");
		return true;
	}
	return false;
}

static void
on_hello(struct svc *s, struct peer *p, const struct proto_in *in)
{
	char token[AUTH_TOKEN_CHARS + 1];
	int64_t now = now_s();
	struct chat *c;
	size_t pos;
	long wait;

	if (p->chat) {
		send_error(s, p, "not_allowed", "already in a chat");
		return;
	}
	if (in->lang && !config_has_language(s->cfg, in->lang)) {
		send_error(s, p, "bad_field", "unknown 'lang'");
		return;
	}
	if (in->topic && !config_has_topic(s->cfg, in->topic)) {
		send_error(s, p, "bad_field", "unknown 'topic'");
		return;
	}
	if (refuse_hello(s, p, now))
		return;
	c = calloc(1, sizeof(*c));
	if (!c || auth_token_new(token, c->token)) {
		free(c);
		send_error(s, p, "not_allowed", "server busy, try again");
		return;
	}
	snprintf(c->lang, sizeof(c->lang), "%s",
		 in->lang ? in->lang : s->cfg->default_language);
	snprintf(c->topic, sizeof(c->topic), "%s", in->topic ? in->topic : "");
	c->started_at = c->last_activity = now;
	if (store_chat_create(s->st, now, c->lang, in->topic, &c->id)) {
		free(c);
		send_error(s, p, "not_allowed", "server busy, try again");
		return;
	}
	c->state = CHAT_QUEUED;
	c->resident = p;
	p->chat = c;
	c->next = s->chats;
	s->chats = c;
	queue_push_back(&s->queue, &c->qnode, now);
	s->queue_dirty = true;
	s->n.started++;
	count_today(s, now);
	stat_event(s, now, "started", 0, c->lang);
	if (in->topic)
		stat_tag(s, c, "topic", in->topic);
	pos = s->queue.length;
	wait = estimate(s, pos);
	c->sent_position = pos;
	c->sent_wait = wait;
	send_obj(p, json_pack("{s:s, s:I, s:s, s:I, s:o}", "type", "queued",
			      "chat", (json_int_t)c->id, "token", token,
			      "position", (json_int_t)pos,
			      "estimated_wait_s", wait_json(wait)));
	OPENSSL_cleanse(token, sizeof(token));
	assign_waiting(s);
}

static const char *
state_name(enum chat_state st)
{
	return st == CHAT_QUEUED ? "queued" : st == CHAT_ACTIVE ? "chatting"
								: "ended";
}

static void
on_resume(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c;
	size_t pos;
	json_t *o;

	if (p->chat) {
		send_error(s, p, "not_allowed", "already in a chat");
		return;
	}
	c = find_chat_by_token(s, in->token);
	if (!c || (!c->resident &&
		   now_s() - c->gone_at > s->cfg->resume_grace_s)) {
		send_error(s, p, "not_allowed", "nothing to resume");
		return;
	}
	if (c->resident) {
		/* The old connection is a dead phone link the server has not
		 * noticed yet: the newest one wins. */
		c->resident->chat = NULL;
		close_peer(c->resident, 1000, "resumed elsewhere");
	}
	c->resident = p;
	c->gone_at = 0;
	p->chat = c;
	pos = queue_position(&s->queue, &c->qnode);
	c->sent_position = pos;
	c->sent_wait = pos ? estimate(s, pos) : -1;
	o = json_pack("{s:s, s:s, s:I, s:o, s:o}", "type", "resumed",
		      "state", state_name(c->state), "position", (json_int_t)pos,
		      "estimated_wait_s", wait_json(c->sent_wait),
		      "history", history_json(s, c));
	if (o && c->state == CHAT_ACTIVE && c->advisor)
		json_object_set_new(o, "advisor", json_string(c->advisor->name));
	send_obj(p, o);
}

/* Store one message and show it to both sides. `shown` is what the sender
 * and the other side see, `stored` what goes to disk (both redacted for a
 * resident; an advisor's own words are shown as written). */
static void
post_message(struct svc *s, struct chat *c, const char *from,
	     const char *shown, const struct store_msg *stored, json_t *cid)
{
	struct store_msg live = *stored;
	bool by_resident = !strcmp(from, "resident");

	if (store_message_add(s->st, c->id, stored)) {
		struct peer *p = by_resident ? c->resident
					     : c->advisor ? c->advisor->peer
							  : NULL;
		if (p)
			send_error(s, p, "not_allowed",
				   "message not saved, please send again");
		c->seq--;
		return;
	}
	s->n.messages++;
	stat_event(s, c->started_at, "message", 1, from);
	c->last_activity = stored->at;
	c->idle_warned = false;
	live.text = shown;
	live.redacted = by_resident ? stored->redacted : false;
	send_to_resident(c, msg_json(&live, by_resident ? cid : NULL, 0));
	if (c->state == CHAT_ACTIVE)
		send_to_advisor(c, msg_json(&live, by_resident ? NULL : cid, 0));
}

static void
on_message(struct svc *s, struct chat *c, const char *from, const char *text,
	   json_t *cid)
{
	struct store_msg m;
	unsigned found = 0;
	char *clean = redact_text(text, strlen(text), &found);

	if (!clean) {
		log_err("service: out of memory redacting");
		return;
	}
	m.seq = ++c->seq;
	m.from = from;
	m.text = clean;
	m.at = now_s();
	m.redacted = found != 0;
	post_message(s, c, from, !strcmp(from, "resident") ? clean : text, &m,
		     cid);
	free(clean);
}

static void
on_resident_msg(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;

	if (!c || c->state == CHAT_ENDED) {
		send_error(s, p, "not_allowed", "no open chat");
		return;
	}
	on_message(s, c, "resident", in->text, in->cid);
}

static void
on_resident_typing(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;

	(void)s;
	/* Typing while still queued is normal; there is just nobody to tell. */
	if (c && c->state == CHAT_ACTIVE)
		send_to_advisor(c, json_pack("{s:s, s:b}", "type", "typing",
					     "on", in->on));
}

static void
on_resident_end(struct svc *s, struct peer *p)
{
	if (!p->chat || p->chat->state == CHAT_ENDED) {
		send_error(s, p, "not_allowed", "no open chat");
		return;
	}
	end_chat(s, p->chat, "resident");
}

/* ------------------------------------------------------------ email copies
 *
 * A request puts a row in the store's outbox (the address, nothing else of
 * the resident's). Once the chat has ended, outbox_scan renders the copy
 * from the stored (redacted) messages, stores it in the row and hands it to
 * the SMTP worker (smtp.h); svc_on_wake takes the results back on this
 * thread: sent or refused for good -> the row is deleted and, after the
 * commit, the WAL checkpointed; a temporary failure -> tried again later
 * (backoff), for up to EMAIL_GIVE_UP_S. */

#define EMAIL_GIVE_UP_S (24 * 3600)
#define EMAIL_CONNECT_TIMEOUT_S 10L
#define EMAIL_TOTAL_TIMEOUT_S 60L

/* Backoff multiples of [smtp] retry_min_s: 1, 2, 5, 10, 30 min, then
 * hourly with the default 60 s. */
static int64_t
email_backoff(const struct svc *s, int attempts)
{
	static const int steps[] = { 1, 2, 5, 10, 30, 60 };
	int i = attempts - 1;

	if (i < 0)
		i = 0;
	if (i > 5)
		i = 5;
	return (int64_t)steps[i] * s->cfg->smtp_retry_min_s;
}

/* The whole server's hourly cap (fixed clock hours). */
static bool
email_cap_reached(struct svc *s, int64_t now)
{
	int64_t hour = now - now % 3600;

	if (hour != s->mail.hour) {
		s->mail.hour = hour;
		s->mail.hour_count = 0;
	}
	return s->mail.hour_count >= s->cfg->smtp_max_per_hour;
}

static struct mail_sending *
email_sending(struct svc *s, int64_t id)
{
	int i;

	for (i = 0; i < s->mail.n_sending; i++)
		if (s->mail.sending[i].id == id)
			return &s->mail.sending[i];
	return NULL;
}

/* Messages of a chat as mail lines; texts are heap copies. */
struct email_lines {
	struct mail_line *v;
	size_t n, cap;
	bool oom;
};

static int
email_line_add(void *ctx, const struct store_msg *m)
{
	struct email_lines *l = ctx;
	struct mail_line *grown;
	char *text;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		grown = realloc(l->v, cap * sizeof(*grown));
		if (!grown) {
			l->oom = true;
			return 1;
		}
		l->v = grown;
		l->cap = cap;
	}
	text = strdup(m->text);
	if (!text) {
		l->oom = true;
		return 1;
	}
	l->v[l->n++] = (struct mail_line){ !strcmp(m->from, "advisor"), m->at,
					   text };
	return 0;
}

static void
email_lines_free(struct email_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].text);
	free(l->v);
}

/* Render the copy of row o's chat; heap string or NULL. */
static char *
email_render(struct svc *s, const struct email_row *o)
{
	struct email_lines lines = { NULL, 0, 0, false };
	unsigned char raw[16];
	char msgid[33];
	struct mail_copy m;
	char *text = NULL;
	int i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	for (i = 0; i < 16; i++)
		snprintf(msgid + 2 * i, 3, "%02x", raw[i]);
	if (store_messages_each(s->st, o->chat_id, email_line_add, &lines) == 0
	    && !lines.oom) {
		m = (struct mail_copy){ o->lang, s->cfg->smtp_from, o->addr,
					msgid, now_s(), &s->cfg->hours,
					lines.v, lines.n };
		text = mail_render(&m);
	}
	email_lines_free(&lines);
	return text;
}

/* A row is gone: handed over (sent) or given up. */
static void
email_row_done(struct svc *s, int64_t id, bool sent)
{
	if (store_outbox_delete(s->st, id)) {
		log_err("service: email copy %lld not deleted", (long long)id);
		return;
	}
	s->wal_dirty = true;
	if (s->mail.outbox_len > 0)
		s->mail.outbox_len--;
	if (sent)
		s->mail.sent++;
	else
		s->mail.given_up++;
	log_info("service: email copy %lld %s", (long long)id,
		 sent ? "handed to the mail server" : "given up");
}

static void
email_settings(const struct svc *s, struct smtp_settings *set)
{
	const struct config *c = s->cfg;

	*set = (struct smtp_settings){ c->smtp_url, c->smtp_from,
		c->smtp_username, c->smtp_password, c->smtp_ca_file,
		c->smtp_starttls_required, EMAIL_CONNECT_TIMEOUT_S,
		EMAIL_TOTAL_TIMEOUT_S };
}

/* Hand one due row to the worker, rendering it first if need be. */
static void
email_dispatch(struct svc *s, struct email_row *o)
{
	struct smtp_settings set;
	int rc;

	if (!o->message) {
		o->message = email_render(s, o);
		if (!o->message ||
		    store_outbox_set_message(s->st, o->id, o->message)) {
			log_err("service: email copy %lld cannot be rendered",
				(long long)o->id);
			email_row_done(s, o->id, false);
			return;
		}
	}
	email_settings(s, &set);
	rc = smtp_submit(s->mail.worker, &set, o->id, o->addr, o->message);
	if (rc)
		return;                 /* queue full or OOM: next scan */
	s->mail.sending[s->mail.n_sending++] = (struct mail_sending){
		o->id, o->attempts, o->created_at };
}

static void
email_row_free(struct email_row *o)
{
	if (o->addr)
		explicit_bzero(o->addr, strlen(o->addr));
	free(o->addr);
	free(o->lang);
	free(o->message);
}

/* Collect due rows (copied: the store's strings live only in the call). */
static int
email_collect(void *ctx, const struct store_outbox *row)
{
	struct email_scan *sc = ctx;
	struct email_row *o;

	if (sc->n == SMTP_QUEUE_MAX)
		return 1;
	if (email_sending(sc->s, row->id))
		return 0;
	if (!row->message) {
		struct chat *c = find_chat(sc->s, row->chat_id);

		if (c && c->state != CHAT_ENDED)
			return 0;       /* goes when the chat ends */
	}
	o = &sc->rows[sc->n];
	*o = (struct email_row){ row->id, row->chat_id, strdup(row->addr),
		strdup(row->lang), row->message ? strdup(row->message) : NULL,
		row->attempts, row->created_at };
	if (!o->addr || !o->lang || (row->message && !o->message)) {
		email_row_free(o);
		return 1;
	}
	sc->n++;
	return 0;
}

/* With no mail server to try them (SMTP taken out of the config, or the
 * worker failed to start), copies still go after EMAIL_GIVE_UP_S: the address
 * is kept no longer than with one. */
static void
outbox_expire(struct svc *s, int64_t now)
{
	int64_t n;

	if (store_outbox_expire(s->st, now - EMAIL_GIVE_UP_S, &n)) {
		log_err("service: old email copies not given up");
		return;
	}
	if (n == 0)
		return;
	s->wal_dirty = true;
	s->mail.outbox_len = n > s->mail.outbox_len ? 0 : s->mail.outbox_len - n;
	s->mail.given_up += (uint64_t)n;
	log_info("service: %lld email copies given up: no mail server "
		 "configured", (long long)n);
}

/* Every second, and at once after a chat with a request ends. */
static void
outbox_scan(struct svc *s, int64_t now)
{
	struct email_scan sc;
	int i;

	if (s->mail.outbox_len == 0)
		return;
	if (!s->mail.worker || !s->cfg->smtp_url[0]) {
		if (now >= s->mail.next_scan) {
			s->mail.next_scan = now + 60;
			outbox_expire(s, now);
		}
		return;
	}
	if (s->mail.held || (!s->mail.scan_now && now < s->mail.next_scan))
		return;
	s->mail.scan_now = false;
	s->mail.next_scan = now + 1;
	sc.s = s;
	sc.n = 0;
	if (store_outbox_each(s->st, now, email_collect, &sc))
		log_err("service: outbox not read");
	for (i = 0; i < sc.n; i++) {
		if (s->mail.n_sending < SMTP_QUEUE_MAX)
			email_dispatch(s, &sc.rows[i]);
		email_row_free(&sc.rows[i]);
	}
}

static void
email_result(struct svc *s, const struct smtp_result *r, int64_t now)
{
	struct mail_sending *m = email_sending(s, r->id), done;

	if (!m)
		return;
	done = *m;
	*m = s->mail.sending[--s->mail.n_sending];
	if (r->outcome == SMTP_SENT || r->outcome == SMTP_PERMANENT ||
	    now - done.created_at >= EMAIL_GIVE_UP_S) {
		email_row_done(s, r->id, r->outcome == SMTP_SENT);
		return;
	}
	done.attempts++;
	if (store_outbox_retry(s->st, r->id, done.attempts,
			       now + email_backoff(s, done.attempts)))
		log_err("service: email copy %lld retry not stored",
			(long long)r->id);
	s->mail.retried++;
}

void
svc_on_wake(struct svc *s)
{
	struct smtp_result r;
	int64_t now = now_s();

	if (!s->mail.worker)
		return;
	while (smtp_take(s->mail.worker, &r) == 1)
		email_result(s, &r, now);
}

void
svc_set_mailer(struct svc *s, struct smtp *w)
{
	s->mail.worker = w;
	s->mail.n_sending = 0;
	s->mail.scan_now = true;
}

void
svc_hold_mail(struct svc *s, bool hold)
{
	s->mail.held = hold;
	if (!hold)
		s->mail.scan_now = true;
}

static void
on_email(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;
	int64_t now = now_s(), id;

	if (!c || !c->taken_at) {
		send_error(s, p, "not_allowed",
				  "a copy can be asked for once an advisor has joined");
		return;
	}
	if (c->email_requested) {
		send_error(s, p, "email_limit", "one copy per chat");
		return;
	}
	if (!s->cfg->smtp_url[0] || !s->mail.worker) {
		send_error(s, p, "email_unavailable",
			   "email copies are not available");
		return;
	}
	if (!mail_address_ok(in->to)) {
		send_error(s, p, "invalid_email", "not one valid email address");
		return;
	}
	if (email_cap_reached(s, now)) {
		send_error(s, p, "email_unavailable",
			   "too many copies this hour, try again later");
		return;
	}
	if (store_outbox_add(s->st, c->id, in->to, c->lang, now, &id)) {
		send_error(s, p, "email_unavailable", "not saved, try again");
		return;
	}
	c->email_requested = true;
	s->mail.hour_count++;
	s->mail.outbox_len++;
	s->mail.scan_now = c->state == CHAT_ENDED;
	send_obj(p, json_pack("{s:s}", "type", "email_queued"));
}

static void
on_feedback(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = p->chat;

	if (!c || c->state != CHAT_ENDED) {
		send_error(s, p, "not_allowed",
				  "feedback is given after the chat");
		return;
	}
	if (c->rated) {
		send_error(s, p, "not_allowed", "feedback already given");
		return;
	}
	if (store_chat_feedback(s->st, c->id, in->rating)) {
		send_error(s, p, "not_allowed", "not saved, try again");
		return;
	}
	c->rated = true;
	stat_event(s, now_s(), "feedback", in->rating, NULL);
	send_obj(p, json_pack("{s:s}", "type", "thanks"));
}

static void
on_ping(struct svc *s, struct peer *p)
{
	struct chat *c = p->chat;

	(void)s;
	/* A resident's ping is the "I'm still here" answer to idle_warning. */
	if (c && c->state == CHAT_ACTIVE) {
		c->last_activity = now_s();
		c->idle_warned = false;
	}
	send_obj(p, json_pack("{s:s}", "type", "pong"));
}

static void
resident_frame(struct svc *s, struct peer *p, const struct proto_in *in)
{
	switch (in->type) {
	case PROTO_HELLO:
		on_hello(s, p, in);
		return;
	case PROTO_RESUME:
		on_resume(s, p, in);
		return;
	case PROTO_MSG:
		on_resident_msg(s, p, in);
		return;
	case PROTO_TYPING:
		on_resident_typing(s, p, in);
		return;
	case PROTO_END:
		on_resident_end(s, p);
		return;
	case PROTO_EMAIL:
		on_email(s, p, in);
		return;
	case PROTO_FEEDBACK:
		on_feedback(s, p, in);
		return;
	case PROTO_PING:
		on_ping(s, p);
		return;
	default:
		send_error(s, p, "bad_type", "not a resident message");
		return;
	}
}

/* ---------------------------------------------------------------- advisors */

static json_t *
queue_view(struct svc *s)
{
	json_t *arr = json_array(), *o;
	struct queue_node *n;
	int64_t now = now_s();
	int listed = 0;

	for (n = queue_first(&s->queue); n && listed < QUEUE_VIEW_MAX;
	     n = queue_next(&s->queue, n), listed++) {
		struct chat *c = chat_of(n);

		json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:o}",
			"chat", (json_int_t)c->id,
			"waited_s", (json_int_t)(now - n->enqueued_at),
			"lang", c->lang, "topic", topic_json(c)));
	}
	o = json_pack("{s:s, s:I, s:o}", "type", "queue", "length",
		      (json_int_t)s->queue.length, "waiting", arr);
	return o;
}

static void
send_queue_view(struct svc *s, struct peer *p)
{
	send_obj(p, queue_view(s));
}

static void
send_active_chats(struct svc *s, struct advisor *a)
{
	int i;

	for (i = 0; i < a->n_active; i++) {
		struct chat *c = a->active[i];

		send_obj(a->peer, json_pack("{s:s, s:I, s:s, s:o, s:o, s:b, s:I}",
			"type", "chat", "chat", (json_int_t)c->id,
			"lang", c->lang, "topic", topic_json(c),
			"history", history_json(s, c), "resumed", 1,
			"waited_s",
			(json_int_t)(c->taken_at - c->qnode.enqueued_at)));
	}
}

/* Bind peer p to session a and greet it with a fresh token. */
static void
login_ok(struct svc *s, struct peer *p, struct advisor *a)
{
	char token[AUTH_TOKEN_CHARS + 1];

	if (auth_token_new(token, a->token)) {
		send_error(s, p, "auth_failed", "try again");
		close_peer(p, 1008, "auth failed");
		return;
	}
	a->token_expires = now_s() + ADVISOR_TOKEN_TTL;
	if (a->peer && a->peer != p) {
		a->peer->adv = NULL;
		close_peer(a->peer, 1000, "logged in elsewhere");
	}
	a->peer = p;
	a->gone_at = 0;
	p->adv = a;
	s->n.logins_ok++;
	send_obj(p, json_pack("{s:s, s:s, s:s, s:b}", "type", "login_ok",
			      "name", a->name, "token", token,
			      "available", a->available));
	OPENSSL_cleanse(token, sizeof(token));
	send_queue_view(s, p);
	send_active_chats(s, a);
	s->queue_dirty = true;          /* estimates change with advisors */
	assign_waiting(s);
}

static void
login_failed(struct svc *s, struct peer *p)
{
	s->n.logins_failed++;
	send_error(s, p, "auth_failed", "wrong username or password");
	close_peer(p, 1008, "auth failed");
}

static struct advisor *
find_session(struct svc *s, int64_t account_id)
{
	struct advisor *a;

	for (a = s->advisors; a; a = a->next)
		if (a->account_id == account_id)
			return a;
	return NULL;
}

static struct advisor *
session_for(struct svc *s, const struct store_advisor *acc)
{
	struct advisor *a = find_session(s, acc->id);

	if (a)
		return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->account_id = acc->id;
	snprintf(a->username, sizeof(a->username), "%s", acc->username);
	snprintf(a->name, sizeof(a->name), "%s", acc->name);
	a->available = true;
	a->next = s->advisors;
	s->advisors = a;
	return a;
}

/* Guessing with ever new usernames must not grow memory without bound:
 * past LOGIN_FAILS_KEPT entries the oldest (the list's tail) goes. */
static void
drop_oldest_fail(struct svc *s)
{
	struct login_fail **pp = &s->fails;

	if (!*pp)
		return;
	while ((*pp)->next)
		pp = &(*pp)->next;
	free(*pp);
	*pp = NULL;
	s->n_fails--;
}

static struct login_fail *
fail_entry(struct svc *s, const char *username, bool create)
{
	struct login_fail *f;

	for (f = s->fails; f; f = f->next)
		if (!strcmp(f->username, username))
			return f;
	if (!create)
		return NULL;
	if (s->n_fails >= LOGIN_FAILS_KEPT)
		drop_oldest_fail(s);
	if (!(f = calloc(1, sizeof(*f))))
		return NULL;
	snprintf(f->username, sizeof(f->username), "%s", username);
	f->next = s->fails;
	s->fails = f;
	s->n_fails++;
	return f;
}

/* After a few failures each further one doubles the pause before the next
 * try is even checked (up to a minute): guessing gets slow, while the real
 * person is never locked out for long. */
static void
note_login_result(struct svc *s, const char *username, bool ok)
{
	struct login_fail *f = fail_entry(s, username, !ok);
	int over;

	if (!f)
		return;
	if (ok) {
		f->fails = 0;
		f->next_try = 0;
		return;
	}
	f->fails++;
	over = f->fails - LOGIN_FAILS_FREE;
	if (over > 0)
		f->next_try = now_s() + (over >= 6 ? LOGIN_BACKOFF_MAX
						   : (1 << over));
}

static void
login_work(uv_work_t *req)
{
	struct login_job *j = req->data;

	j->ok = auth_verify_password(j->password,
				     j->known ? j->account.phc : NULL);
}

static void
login_done(uv_work_t *req, int status)
{
	struct login_job *j = req->data;
	struct svc *s = j->s;
	struct advisor *a;
	bool ok = status == 0 && j->ok == 1 && j->known;

	s->logins_in_flight--;
	OPENSSL_cleanse(j->password, sizeof(j->password));
	note_login_result(s, j->username, ok);
	if (j->p) {
		j->p->job = NULL;
		if (!ok)
			login_failed(s, j->p);
		else if (!(a = session_for(s, &j->account)))
			login_failed(s, j->p);
		else
			login_ok(s, j->p, a);
	}
	free(j);
}

static void
login_password(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct login_fail *f = fail_entry(s, in->username, false);
	struct login_job *j;
	int rc;

	if ((f && f->next_try > now_s()) ||
	    s->logins_in_flight >= LOGINS_IN_FLIGHT) {
		login_failed(s, p);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		login_failed(s, p);
		return;
	}
	j->s = s;
	j->p = p;
	snprintf(j->username, sizeof(j->username), "%s", in->username);
	snprintf(j->password, sizeof(j->password), "%s", in->password);
	rc = store_advisor_get(s->st, in->username, &j->account);
	j->known = rc == 0;
	j->req.data = j;
	if (rc < 0 || uv_queue_work(s->loop, &j->req, login_work, login_done)) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		free(j);
		login_failed(s, p);
		return;
	}
	s->logins_in_flight++;
	p->job = j;
}

static void
login_token(struct svc *s, struct peer *p, const struct proto_in *in)
{
	uint8_t d[AUTH_DIGEST_LEN];
	struct store_advisor acc;
	struct advisor *a;

	auth_token_digest(in->token, d);
	for (a = s->advisors; a; a = a->next)
		if (auth_digest_equal(a->token, d))
			break;
	/* The account may have been removed since the token was given. */
	if (!a || a->token_expires < now_s() ||
	    store_advisor_get(s->st, a->username, &acc) != 0) {
		login_failed(s, p);
		return;
	}
	login_ok(s, p, a);
}

static void
on_login(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (p->adv || p->job) {
		send_error(s, p, "not_allowed", "already logged in");
		return;
	}
	if (in->token) {
		login_token(s, p, in);
		return;
	}
	login_password(s, p, in);
}

static void
on_status(struct svc *s, struct peer *p, const struct proto_in *in)
{
	p->adv->available = in->available;
	send_obj(p, json_pack("{s:s, s:b}", "type", "status",
			      "available", in->available));
	s->queue_dirty = true;
	assign_waiting(s);
}

static void
on_take(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct advisor *a = p->adv;
	struct queue_node *n;
	struct chat *c;

	if (in->has_chat) {
		c = find_chat(s, in->chat);
		if (!c || c->state != CHAT_QUEUED) {
			send_error(s, p, "unknown_chat",
					  "no such chat waiting");
			return;
		}
	} else {
		n = queue_first(&s->queue);
		if (!n) {
			send_error(s, p, "queue_empty", "nobody waiting");
			return;
		}
		c = chat_of(n);
	}
	if (a->n_active >= slot_max(s)) {
		send_error(s, p, "too_many_chats",
				  "end a chat before taking another");
		return;
	}
	take_chat(s, a, c);
}

/* The advisor's chat `id`, or NULL after sending unknown_chat. */
static struct chat *
advisor_chat(struct svc *s, struct peer *p, int64_t id)
{
	struct chat *c = find_chat(s, id);

	if (!c || c->advisor != p->adv) {
		send_error(s, p, "unknown_chat", "not one of your chats");
		return NULL;
	}
	return c;
}

static void
on_advisor_msg(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);

	if (!c)
		return;
	if (c->state != CHAT_ACTIVE) {
		send_error(s, p, "not_allowed", "the chat has ended");
		return;
	}
	on_message(s, c, "advisor", in->text, in->cid);
}

static void
on_advisor_typing(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);

	if (c && c->state == CHAT_ACTIVE)
		send_to_resident(c, json_pack("{s:s, s:b}", "type", "typing",
					      "on", in->on));
}

static void
on_advisor_end(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);

	if (!c)
		return;
	if (c->state != CHAT_ACTIVE) {
		send_error(s, p, "not_allowed", "the chat has ended");
		return;
	}
	end_chat(s, c, "advisor");
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
		stat_tag(s, c, "topic", c->topic);
	for (i = 0; i < in->n_topics; i++)
		stat_tag(s, c, "topic", in->topics[i]);
	if (in->outcome && *in->outcome)
		stat_tag(s, c, "outcome", in->outcome);
}

static void
on_tag(struct svc *s, struct peer *p, const struct proto_in *in)
{
	struct chat *c = advisor_chat(s, p, in->chat);
	int i;

	if (!c)
		return;
	for (i = 0; i < in->n_topics; i++)
		if (!config_has_topic(s->cfg, in->topics[i])) {
			send_error(s, p, "bad_field", "unknown topic");
			return;
		}
	if (store_chat_tag(s->st, c->id, in->topics, in->n_topics,
			   in->outcome)) {
		send_error(s, p, "not_allowed", "not saved, try again");
		return;
	}
	tag_stats(s, c, in);
	send_obj(p, json_pack("{s:s, s:I}", "type", "tagged", "chat",
			      (json_int_t)c->id));
}

static void
advisor_frame(struct svc *s, struct peer *p, const struct proto_in *in)
{
	if (in->type == PROTO_LOGIN) {
		on_login(s, p, in);
		return;
	}
	if (!p->adv) {
		send_error(s, p, "not_allowed", "log in first");
		return;
	}
	switch (in->type) {
	case PROTO_STATUS:
		on_status(s, p, in);
		return;
	case PROTO_TAKE:
		on_take(s, p, in);
		return;
	case PROTO_MSG:
		on_advisor_msg(s, p, in);
		return;
	case PROTO_TYPING:
		on_advisor_typing(s, p, in);
		return;
	case PROTO_END:
		on_advisor_end(s, p, in);
		return;
	case PROTO_TAG:
		on_tag(s, p, in);
		return;
	default:
		send_error(s, p, "bad_type", "not an advisor message");
		return;
	}
}

/* ------------------------------------------------------------ connections */

/* chats_today after a restart: the "started" events since local midnight. */
static void
init_today(struct svc *s)
{
	int64_t now = now_s(), n = 0;
	time_t midnight;

	s->today = hours_local_date((time_t)now);
	midnight = hours_local_time(&s->today, 0);
	if (store_stat_count(s->st, "started", (int64_t)midnight, now + 1, &n))
		n = 0;
	s->chats_today = (uint64_t)n;
}

struct svc *
svc_new(struct uv_loop_s *loop, const struct config *cfg, struct store *st)
{
	struct svc *s = calloc(1, sizeof(*s));
	double mean;

	if (!s)
		return NULL;
	s->loop = loop;
	s->cfg = cfg;
	s->st = st;
	queue_init(&s->queue);
	queue_estimator_init(&s->est, QUEUE_DEFAULT_HANDLE_S);
	if (store_recent_handle_time(st, 20, &mean) == 1)
		queue_estimator_init(&s->est, mean);
	init_today(s);
	if (store_outbox_count(st, &s->mail.outbox_len))
		s->mail.outbox_len = 0;
	/* A copy deleted just before a crash may still sit in the WAL. */
	s->wal_dirty = true;
	return s;
}

void
svc_free(struct svc *s)
{
	if (!s)
		return;
	while (s->chats)
		forget_chat(s, s->chats);
	while (s->advisors) {
		struct advisor *a = s->advisors;
		s->advisors = a->next;
		free(a);
	}
	while (s->fails) {
		struct login_fail *f = s->fails;
		s->fails = f->next;
		free(f);
	}
	free(s);
}

void
svc_set_config(struct svc *s, const struct config *cfg)
{
	s->cfg = cfg;
	s->queue_dirty = true;
	assign_waiting(s);
}

void
svc_on_open(struct svc *s, struct net_conn *c, enum proto_role role)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p) {
		net_close(c, 1011, "out of memory");
		return;
	}
	p->conn = c;
	p->role = role;
	p->next = s->peers;
	if (s->peers)
		s->peers->prev = p;
	s->peers = p;
	net_conn_set_user(c, p);
	if (s->stopping)
		close_peer(p, 1001, "server shutting down");
}

/* More than RATE_LIMIT frames in the current one-second window? */
static bool
rate_exceeded(struct svc *s, struct peer *p)
{
	uint64_t now = uv_now(s->loop);

	if (now - p->rate_window_ms >= 1000) {
		p->rate_window_ms = now;
		p->rate_count = 0;
	}
	return ++p->rate_count > RATE_LIMIT;
}

void
svc_on_frame(struct svc *s, struct net_conn *c, const char *buf, size_t len)
{
	struct peer *p = net_conn_user(c);
	struct proto_limits lim;
	struct proto_in in;
	const char *code, *msg;

	if (!p || p->closing)
		return;
	if (rate_exceeded(s, p)) {
		send_error(s, p, "rate_limited",
				  "more than 10 messages a second");
		return;
	}
	lim.max_message_chars = s->cfg->max_message_chars;
	if (proto_parse(buf, len, p->role, &lim, &in, &code, &msg)) {
		send_error(s, p, code, msg);
		return;
	}
	if (p->role == PROTO_RESIDENT)
		resident_frame(s, p, &in);
	else
		advisor_frame(s, p, &in);
	proto_in_free(&in);
}

void
svc_on_close(struct svc *s, struct net_conn *c)
{
	struct peer *p = net_conn_user(c);
	int64_t now = now_s();

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
	if (p->job)
		p->job->p = NULL;
	if (p->prev)
		p->prev->next = p->next;
	else
		s->peers = p->next;
	if (p->next)
		p->next->prev = p->prev;
	net_conn_set_user(c, NULL);
	free(p);
}

/* Deleted rows (a copy's address, purged transcripts) must not outlive the
 * delete in the WAL. A reader may hold the WAL for a while; then try again
 * each second, never waiting on it. */
static void
checkpoint_wal(struct svc *s)
{
	int64_t now = now_s();
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

void
svc_end_turn(struct svc *s)
{
	if (store_commit(s->st)) {
		log_err("service: commit failed; this turn's frames withheld");
		net_discard_unreleased();
		/* Rolled back: a deleted copy's row is back. */
		if (store_outbox_count(s->st, &s->mail.outbox_len))
			s->mail.outbox_len = 0;
		return;
	}
	net_release();
	if (s->wal_dirty)
		checkpoint_wal(s);
}

/* ------------------------------------------------------------------ timers */

static void
push_positions(struct svc *s)
{
	struct queue_node *n;
	size_t pos = 1;

	for (n = queue_first(&s->queue); n; n = queue_next(&s->queue, n), pos++) {
		struct chat *c = chat_of(n);
		long wait = estimate(s, pos);

		if (!c->resident ||
		    (c->sent_position == pos && c->sent_wait == wait))
			continue;
		c->sent_position = pos;
		c->sent_wait = wait;
		send_obj(c->resident, json_pack("{s:s, s:I, s:o}", "type",
			"position", "position", (json_int_t)pos,
			"estimated_wait_s", wait_json(wait)));
	}
}

static void
push_queue_views(struct svc *s)
{
	struct advisor *a;
	char *text = NULL;

	for (a = s->advisors; a; a = a->next) {
		char *copy;

		if (!a->peer)
			continue;
		if (!text && !(text = proto_dump(queue_view(s))))
			return;
		copy = strdup(text);
		if (copy && net_send(a->peer->conn, copy))
			a->peer->closing = true;
	}
	free(text);
}

/* Residents of an advisor gone past the grace go back to the front, in the
 * order they were taken. */
static void
requeue_chats(struct svc *s, struct advisor *a)
{
	while (a->n_active > 0) {
		struct chat *c = a->active[--a->n_active];

		c->state = CHAT_QUEUED;
		c->advisor = NULL;
		c->taken_at = 0;
		c->sent_position = 0;
		queue_push_front(&s->queue, &c->qnode);
		(void)store_chat_requeued(s->st, c->id);
		s->n.requeued++;
	}
	s->queue_dirty = true;
}

static void
drop_advisor(struct svc *s, struct advisor *a)
{
	struct advisor **pp;
	struct chat *c;

	requeue_chats(s, a);
	for (c = s->chats; c; c = c->next)
		if (c->advisor == a)
			c->advisor = NULL;
	for (pp = &s->advisors; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	free(a);
}

static void
sweep_advisors(struct svc *s, int64_t now)
{
	struct advisor *a = s->advisors, *next;

	for (; a; a = next) {
		next = a->next;
		if (!a->peer && now - a->gone_at > s->cfg->resume_grace_s)
			drop_advisor(s, a);
	}
	assign_waiting(s);
}

static void
check_idle(struct svc *s, struct chat *c, int64_t now)
{
	int64_t idle = now - c->last_activity, limit = s->cfg->idle_timeout_s;
	int64_t warn_at = limit > 4 * IDLE_WARN_S ? limit - IDLE_WARN_S
						  : limit * 3 / 4;

	if (idle >= limit) {
		end_chat(s, c, "timeout");
		return;
	}
	if (idle >= warn_at && !c->idle_warned) {
		c->idle_warned = true;
		send_to_resident(c, json_pack("{s:s, s:I}", "type",
			"idle_warning", "seconds_left", (json_int_t)(limit - idle)));
	}
}

static void
sweep_chats(struct svc *s, int64_t now)
{
	struct chat *c = s->chats, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->state == CHAT_ACTIVE)
			check_idle(s, c, now);
		if (c->resident || now - c->gone_at <= s->cfg->resume_grace_s)
			continue;
		if (c->state != CHAT_ENDED)
			end_chat(s, c, "disconnect");
		/* The advisor may still tag it for a while after the end. */
		if (c->advisor && now - c->ended_at < KEEP_ENDED_S)
			continue;
		forget_chat(s, c);
	}
}

void
svc_tick(struct svc *s)
{
	int64_t now = now_s();

	if (now != s->last_sweep) {
		s->last_sweep = now;
		sweep_chats(s, now);
		sweep_advisors(s, now);
		maybe_purge(s, now);
	}
	outbox_scan(s, now);
	if (!s->queue_dirty)
		return;
	s->queue_dirty = false;
	push_positions(s);
	push_queue_views(s);
}

void
svc_shutdown(struct svc *s)
{
	struct chat *c;
	struct peer *p;

	s->stopping = true;
	for (c = s->chats; c; c = c->next)
		if (c->state != CHAT_ENDED)
			end_chat(s, c, "closing");
	/* Every connection, also those that never sent hello or login. */
	for (p = s->peers; p; p = p->next)
		close_peer(p, 1001, "server shutting down");
}

/* ------------------------------------------------------------- HTTP bodies */

static json_t *
week_json(const struct hours *h)
{
	static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat",
				      "sun" };
	json_t *o = json_object();
	char buf[32];
	int d, i;

	for (d = 0; d < 7; d++) {
		json_t *arr = json_array();

		for (i = 0; i < h->week[d].n; i++) {
			const struct hours_range *r = &h->week[d].r[i];

			snprintf(buf, sizeof(buf), "%02d:%02d-%02d:%02d",
				 r->start_min / 60, r->start_min % 60,
				 r->end_min / 60, r->end_min % 60);
			json_array_append_new(arr, json_string(buf));
		}
		json_object_set_new(o, days[d], arr);
	}
	return o;
}

static json_t *
today_json(const struct hours *h, time_t now)
{
	struct hours_date d = hours_local_date(now);
	struct hours_day day;
	enum hours_kind kind;
	char date[16], ranges[128];

	hours_for_date(h, &d, &day, &kind);
	hours_format_day(&day, ranges, sizeof(ranges));
	snprintf(date, sizeof(date), "%04d-%02d-%02d", d.y, d.m, d.d);
	return json_pack("{s:s, s:s, s:s}", "date", date, "hours", ranges,
			 "kind", kind == HOURS_HOLIDAY ? "holiday"
				 : kind == HOURS_EXCEPTION ? "exception"
							   : "regular");
}

static json_t *
id_list(const char (*ids)[CONFIG_ID_MAX], int n)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	return arr;
}

char *
svc_status_json(struct svc *s)
{
	const struct config *cfg = s->cfg;
	time_t now = time(NULL), closes, next;
	int free_slots, avail = advisors_available(s, &free_slots);
	bool open = hours_open_at(&cfg->hours, now, &closes);
	json_t *o;

	o = json_pack("{s:b, s:o, s:o, s:o, s:I, s:i, s:o, s:s, s:o, s:o}",
		"open", open, "now", time_json(now),
		"closes_at", open ? time_json(closes) : json_null(),
		"next_open", hours_next_open(&cfg->hours, now, 14, &next)
			     ? json_null() : time_json(next),
		"queue_length", (json_int_t)s->queue.length,
		"advisors_available", avail,
		"estimated_wait_s", wait_json(estimate(s, s->queue.length + 1)),
		"timezone", cfg->hours.timezone,
		"hours", week_json(&cfg->hours),
		"today", today_json(&cfg->hours, now));
	if (!o)
		return NULL;
	json_object_set_new(o, "idle_timeout_s",
			    json_integer(cfg->idle_timeout_s));
	json_object_set_new(o, "max_message_chars",
			    json_integer(cfg->max_message_chars));
	json_object_set_new(o, "languages",
			    id_list(cfg->languages, cfg->n_languages));
	json_object_set_new(o, "default_language",
			    json_string(cfg->default_language));
	json_object_set_new(o, "topics", id_list(cfg->topics, cfg->n_topics));
	json_object_set_new(o, "email_available",
			    json_boolean(cfg->smtp_url[0] != '\0' &&
					 s->mail.worker != NULL));
	return proto_dump(o);
}

struct metric {
	const char *name, *type, *help;
	uint64_t value;
};

static uint64_t
chats_today(struct svc *s)
{
	struct hours_date d = hours_local_date(time(NULL));

	return same_date(&d, &s->today) ? s->chats_today : 0;
}

char *
svc_metrics_text(struct svc *s)
{
	const struct net_stats *ns = net_get_stats();
	int free_slots, avail = advisors_available(s, &free_slots), online = 0;
	int active = 0;
	struct advisor *a;
	struct metric m[48];
	size_t i, n = 0, cap = 8192, used = 0;
	char *out;

	for (a = s->advisors; a; a = a->next) {
		online += a->peer != NULL;
		active += a->n_active;
	}
#define M(nm, ty, hp, v) m[n++] = (struct metric){ nm, ty, hp, (uint64_t)(v) }
	M("neuvo_open", "gauge", "1 when the service is open now",
	  hours_open_at(&s->cfg->hours, time(NULL), NULL));
	M("neuvo_queue_length", "gauge", "residents waiting", s->queue.length);
	M("neuvo_advisors_online", "gauge", "advisors connected", online);
	M("neuvo_advisors_available", "gauge", "advisors available", avail);
	M("neuvo_chats_active", "gauge", "chats with an advisor", active);
	M("neuvo_chats_today", "gauge", "residents queued today (local day)",
	  chats_today(s));
	M("neuvo_queue_wait_p90_seconds", "gauge", "p90 wait of the last 15 "
	  "min's takes and everyone waiting", waits_p90(&s->recent, &s->queue,
							 now_s()));
	M("neuvo_connections_open", "gauge", "WebSocket connections",
	  ns->connections_open);
	M("neuvo_chats_started_total", "counter", "residents queued",
	  s->n.started);
	M("neuvo_chats_served_total", "counter", "chats taken", s->n.served);
	M("neuvo_chats_abandoned_total", "counter", "left the queue unserved",
	  s->n.abandoned);
	M("neuvo_chats_requeued_total", "counter", "chats put back in the queue",
	  s->n.requeued);
	M("neuvo_chats_timed_out_total", "counter", "chats ended idle",
	  s->n.ended_timeout);
	M("neuvo_queue_full_total", "counter", "turned away, queue full",
	  s->n.queue_full);
	M("neuvo_closed_attempts_total", "counter", "hello while closed",
	  s->n.closed_attempts);
	M("neuvo_messages_total", "counter", "chat messages", s->n.messages);
	M("neuvo_protocol_errors_total", "counter", "error frames sent",
	  s->n.errors_sent);
	M("neuvo_logins_total", "counter", "advisor logins", s->n.logins_ok);
	M("neuvo_login_failures_total", "counter", "failed advisor logins",
	  s->n.logins_failed);
	M("neuvo_ws_connections_total", "counter", "WebSocket connections",
	  ns->connections_total);
	M("neuvo_ws_frames_in_total", "counter", "frames received",
	  ns->frames_in);
	M("neuvo_ws_frames_out_total", "counter", "frames sent", ns->frames_out);
	M("neuvo_ws_dropped_slow_total", "counter", "peers dropped, not reading",
	  ns->dropped_slow);
	M("neuvo_ws_refused_origin_total", "counter", "handshakes refused, Origin",
	  ns->refused_origin);
	M("neuvo_ws_refused_protocol_total", "counter",
	  "handshakes refused, subprotocol", ns->refused_protocol);
	M("neuvo_email_outbox", "gauge", "email copies waiting in the outbox",
	  s->mail.outbox_len);
	M("neuvo_email_sent_total", "counter",
	  "email copies handed to the mail server", s->mail.sent);
	M("neuvo_email_retried_total", "counter",
	  "email copy attempts that failed for now", s->mail.retried);
	M("neuvo_email_given_up_total", "counter",
	  "email copies given up (5xx, 24 h)", s->mail.given_up);
#undef M
	out = malloc(cap);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		int w = snprintf(out + used, cap - used,
				 "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
				 m[i].name, m[i].help, m[i].name, m[i].type,
				 m[i].name, (unsigned long long)m[i].value);
		if (w < 0 || (size_t)w >= cap - used) {
			free(out);
			return NULL;
		}
		used += (size_t)w;
	}
	return out;
}
