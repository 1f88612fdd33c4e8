/*
 * svc_internal.h - the chat service's private header: the state every
 * service module shares, and the functions they call in one another.
 * Nothing outside the service modules listed below includes it;
 * the rest of the program sees service.h only.
 *
 * The modules, each owning one concern of the service:
 *
 *   service.c  struct svc itself: open/close of connections, frame
 *              dispatch by role and type, sending, the end of a turn
 *              (commit, then release), the tick, shutdown, daily purge
 *   chat.c     the chat rules: hello, resume, messages, typing, end,
 *              feedback, ping; take, auto-assign, tags; positions and the
 *              advisors' queue view; idle timeout, resume grace, requeue
 *   positions.c  what the queue tells: estimates, may_not_be_served,
 *              position pushes to residents, the queue view to advisors
 *   login.c    advisor sessions: password logins queued for the pool,
 *              token login and logout (tokens in the store), the failure
 *              throttle (throttle.h), revocation, sessions past their grace
 *   outbox.c   email copies: the request, the outbox scan, hand-over to the
 *              SMTP worker, results, backoff and the hourly cap
 *   status.c   the bodies of GET /api/status, GET /metrics and GET
 *              /healthz, and the count of residents queued today
 *   restore.c  the start after any stop: the queue and the open chats
 *              rebuilt from the store (CONTRACT.md section 7)
 *   limits.c   CONTRACT.md section 7's per-address rules and caps: hellos
 *              per address (queued, per hour, blocked), messages while
 *              queued, text per chat, the history budget, `block`
 *   desk.c     CONTRACT.md section 8, the supervisors' desk: the board,
 *              watch, whisper, urgent marks and alerts, transfers
 *   questions.c  CONTRACT.md section 9's questions left while closed: the
 *              offer after `closed`, `question`, `pickup` at any hour, the
 *              advisors' list and `answer`, the answer's email, expiry
 *
 * Threads: everything here runs on the event-loop thread. The only other
 * threads are libuv's pool (a login's scrypt check, which touches only its
 * own struct login_job) and the SMTP worker (which touches only struct
 * smtp; its results come back through svc_on_wake on the loop thread).
 *
 * Ownership: struct svc owns every chat (s->chats), advisor session
 * (s->advisors) and peer (s->peers); each struct below says when it is
 * created and freed. Pointers between them are borrowed and cleared by the
 * side that frees.
 */
#ifndef NEUVO_SVC_INTERNAL_H
#define NEUVO_SVC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cidset.h"
#include "config.h"
#include "guard.h"
#include "hours.h"
#include "idmap.h"
#include "overload.h"
#include "protocol.h"
#include "queue.h"
#include "service.h"
#include "smtp.h"
#include "stats.h"
#include "store.h"
#include "throttle.h"
#include "waits.h"

#define SVC_MAX_ERRORS 20           /* protocol errors before close 1008 */
#define SVC_RATE_LIMIT 10           /* frames per second per connection */
#define SVC_RATE_LAG_MAX_MS 30000   /* late reading allowed for at most */
/* Chats one advisor can hold at most: as many as the config may ask for. */
#define SVC_MAX_SLOTS CONFIG_MAX_CHATS_PER_ADVISOR
#define DESK_WATCH_MAX 16           /* chats one supervisor watches at once */

enum chat_state {
	CHAT_QUEUED,
	CHAT_ACTIVE,
	CHAT_ENDED
};

struct peer;
struct advisor;
struct login_job;

/*
 * One resident chat. Owned by s->chats (chat.c creates it at `hello`, and
 * frees it with chat_forget). It lives until its resident has been gone for
 * longer than resume_grace_s after it ended (or, if it never ended, until
 * that grace ends it with by = "disconnect"); an advisor may still tag it
 * for KEEP_ENDED_S (chat.c) after its end. Loop thread only.
 */
struct chat {
	struct chat *next, *prev;        /* s->chats, newest first */
	int64_t id;                      /* the store's row */
	uint8_t token[AUTH_DIGEST_LEN];  /* digest of the resident's token */
	enum chat_state state;
	char lang[CONFIG_ID_MAX];
	char topic[CONFIG_ID_MAX];       /* "" = none */
	struct peer *resident;           /* NULL while disconnected */
	int64_t gone_at;                 /* when the resident dropped */
	struct advisor *advisor;         /* who has (or had) it; may be NULL */
	struct queue_node qnode;         /* in s->queue while CHAT_QUEUED */
	int64_t started_at, taken_at, ended_at, last_activity;
	int64_t seq;                     /* last MSG id */
	uint64_t created_turn;           /* the turn whose commit holds its row */
	bool idle_warned;
	bool email_requested;
	bool requeued;                   /* handed back once: queued in front */
	bool rated;                      /* feedback given: one per chat */
	bool stat_served;                /* its "served" event is recorded */
	bool cids_forgotten;             /* ended, its cids deleted (chat.c) */
	bool token_clash;                /* not in s->chat_tokens (svc) */
	struct cidset cids;              /* hashes of its stored cids (owned) */
	int64_t stat_rows[PROTO_MAX_TOPICS + 1]; /* its topic/outcome events, */
	int n_stat_rows;                 /* replaced when it is re-tagged */
	size_t sent_position;            /* last pushed, to push only changes */
	long sent_wait;
	/* limits.c: its resident's client address as guard.h's keyed hash
	 * (all zero: unknown, e.g. not back since a restart); what it holds
	 * against the caps, read from the store when usage_known is false */
	struct guard_key addr;
	bool usage_known;
	int64_t chars;                   /* code points of text stored */
	int64_t queued_msgs;             /* resident messages while waiting */
	bool blocked;                    /* its address was blocked */
	/* desk.c: the urgent mark (kept in the store), whether its "urgent"
	 * event is recorded, its last message, and the text of whispers and
	 * notes kept with it since the start (capped like messages) */
	bool urgent;
	bool urgent_counted;
	int64_t last_msg_at;             /* 0: none since the start */
	int64_t desk_chars;
	/* honest waiting (CONTRACT.md section 9) */
	bool sent_late;                  /* last may_not_be_served pushed */
	bool told_late;                  /* counted once in the figures */
};

/* The chat that holds queue node n. */
static inline struct chat *
chat_of(struct queue_node *n)
{
	return (struct chat *)((char *)n - offsetof(struct chat, qnode));
}

/*
 * One advisor account with a session. Owned by s->advisors (login.c
 * creates it at the first login and frees it once its connection has been
 * gone longer than resume_grace_s, after chat_requeue has put its chats
 * back). Loop thread only.
 */
struct advisor {
	struct advisor *next;
	int64_t account_id;
	char username[STORE_USER_MAX];
	char name[STORE_NAME_MAX];
	uint8_t token[AUTH_DIGEST_LEN];  /* digest of its session token */
	int64_t token_expires;           /* absolute: password login + 12 h */
	bool has_token;                  /* token is set (not after a restart
					  * until its token login) */
	struct peer *peer;               /* NULL while disconnected */
	int64_t gone_at;
	bool available;
	struct chat *active[SVC_MAX_SLOTS]; /* its chats in CHAT_ACTIVE */
	int n_active;
	/* desk.c: its role as read at its latest login, and what its
	 * connection asked to follow (reset at each login): board pushes,
	 * and the chats it watches (by id, so an ended chat leaves nothing
	 * dangling) */
	bool supervisor;
	bool board;
	int64_t watching[DESK_WATCH_MAX];
	int n_watching;
};

/*
 * One WebSocket connection, any role, any state. Owned by s->peers, from
 * svc_on_open to svc_on_close (service.c); the connection itself is net.c's
 * and is reached only through s->io. Loop thread only.
 */
struct peer {
	struct net_conn *conn;
	enum proto_role role;
	struct chat *chat;               /* resident: its chat, if any */
	struct advisor *adv;             /* advisor, after login_ok */
	struct login_job *job;           /* advisor, password check waiting
					  * or running */
	int errors;                      /* error frames sent to it */
	struct overload_bucket rate;     /* the rate limit (rate_exceeded) */
	uint64_t sent_turn;              /* last turn that queued it a frame */
	uint64_t soft_turn;              /* ... a frame whose loss needs no
					  * resync (svc_send_soft) */
	uint64_t asked_turn;             /* last turn it sent a frame that
					  * may write */
	bool closing;                    /* closed or dropped: send nothing */
	struct guard_key addr;           /* client address, keyed (limits.c) */
	/* questions.c (CONTRACT.md section 9) */
	int64_t last_frame;              /* wall time of its latest frame */
	bool q_offered;                  /* resident told `closed` with
					  * questions: may leave one */
	bool q_asked;                    /* ... and has left it */
	bool q_idle;                     /* resident without a chat kept open
					  * for a question or pickup: closes
					  * after QUESTIONS_IDLE_S */
	bool q_watch;                    /* advisor asked for the list: gets
					  * it pushed when it changes */
	struct peer *prev, *next;
};

/* Questions left while closed (questions.c). */
struct question_state {
	int64_t open;                    /* unanswered, unexpired (store) */
	bool dirty;                      /* the list changed: push it */
	int64_t next_expire;             /* when expired rows next go */
};

/* Event counts for /metrics since the start; memory only. */
struct svc_counters {
	uint64_t started, served, abandoned, queue_full, closed_attempts;
	uint64_t messages, errors_sent, logins_ok, logins_failed;
	uint64_t ended_timeout, requeued;
	uint64_t logins_busy, logins_paused, sessions_revoked;
};

/* An outbox row handed to the SMTP worker, until its result is taken. */
struct mail_sending {
	int64_t id;
	int attempts;
	int64_t created_at;
};

/* Email copies (outbox.c). The worker is main's (svc_set_mailer). */
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

/* CONTRACT.md section 7's per-address rules and caps (limits.c); counts
 * for /metrics since the start, memory only. */
struct limits_state {
	struct guard *guard;             /* owned: per-address counts, blocks */
	size_t history_max;              /* largest history frame built yet */
	int64_t next_sweep;
	uint64_t blocked_hellos, blocks, full_per_address, rate_limited;
	uint64_t wait_for_advisor, chat_full;
	uint64_t overloaded;             /* hellos turned away, loop too busy */
};

#define LOGOUTS_PENDING_MAX 32      /* logouts awaiting the store */

/* The supervisors' desk (desk.c): board pushes, coalesced. */
struct desk_state {
	bool board_dirty;                /* something on the board changed */
	uint64_t board_sent_ms;          /* the last push (io.now_ms) */
	uint64_t boards_sent, whispers, transfers, alerts;
};

/*
 * Advisor logins (login.c). Password checks run LOGINS_IN_FLIGHT at a time
 * on the pool; the others wait in a bounded FIFO of struct login_job (each
 * owned by the queue while waiting, by the pool while running).
 */
struct login_state {
	struct throttle_login fails;     /* per (address, username), address */
	int running;                     /* checks on the pool */
	struct login_job *wait_head, *wait_tail; /* waiting, oldest first */
	int waiting;
	bool recheck;                    /* check every session's token */
	int64_t next_expire;             /* when expired tokens next go */
	/* Logged-out tokens whose delete the store may not hold yet (a failed
	 * commit rolls it back): refused in memory until it does. */
	struct logged_out {
		uint8_t digest[AUTH_DIGEST_LEN];
		uint64_t turn;           /* the logout's turn */
	} logged_out[LOGOUTS_PENDING_MAX];
	int n_logged_out;
};

/* What chat_late needs besides the chat: read once per round over the
 * queue. (positions.c) */
struct late_clock {
	int64_t now;
	int64_t closes_at;               /* -1: not open now */
	int online;                      /* advisors logged in and connected */
};

/*
 * A round of position pushes: one walk of the queue from the front to the
 * back, cut short every POSITIONS_PER_TURN pushes and gone on with in the
 * next turn at s->queue.sweep (which the queue keeps from dangling), so a
 * take while 10,000 wait costs one walk, not one per turn. Whatever may
 * have changed for entries the round has passed (the queue moved, the
 * estimate's inputs or the clock changed, a resume) makes it `dirty`: once
 * it reaches the back, another round starts at the front. So every waiting
 * resident is reached within two rounds, however often the queue moves.
 * One per server, in struct svc; loop thread only. (positions.c)
 */
struct positions_cursor {
	bool active;                     /* a round goes on at queue.sweep */
	bool dirty;                      /* another round must follow it */
	size_t pos;                      /* the sweep node's position, */
	uint64_t shifts;                 /* while queue.shifts is this */
	double handle_s;                 /* what the round read: the */
	int n_adv, free_slots;           /* estimate's inputs and the clock */
	struct late_clock clock;
};

/*
 * The service: one per server, created by main (svc_new) and freed after
 * the loop has run dry (svc_free). Loop thread only. Borrows the loop, the
 * config (swapped by svc_set_config) and the store; copies the io table.
 */
struct svc {
	struct uv_loop_s *loop;          /* for the login thread pool */
	const struct config *cfg;
	struct store *st;
	struct svc_io io;
	struct chat *chats;              /* newest first */
	struct idmap chat_ids;           /* id -> every chat in s->chats */
	/* token digest's first 8 bytes -> chat (chat.c): a resume finds its
	 * chat without walking them all. A restored chat whose key another
	 * holds stays out; while any does, a miss walks the list. */
	struct idmap chat_tokens;
	size_t token_clashes;
	struct advisor *advisors;
	struct peer *peers;              /* every open connection, any state */
	struct login_state login;
	struct queue queue;
	struct queue_estimator est;
	bool queue_dirty;                /* positions/queue views to push */
	bool positions_pending;          /* pushes left for the next turns */
	struct positions_cursor pcur;    /* the round those pushes are in */
	size_t positions_sent;           /* pushes in this turn (the tick's
					  * and the turn's end share them) */
	bool stopping;                   /* SIGTERM: hand out nothing new */
	bool draining;                   /* svc_drain: no new residents */
	bool store_down;                 /* writes fail (disk full, read-only):
					  * refuse what writes, probe */
	int64_t next_probe;              /* next store_probe while down */
	uint64_t turn;                   /* loop turns ended, from 1 */
	struct overload_gauge gauge;     /* the loop's backlog and
					  * utilisation (svc_loop_sample) */
	int64_t last_sweep;
	struct svc_counters n;
	int64_t next_purge;              /* when the daily purge is due */
	int64_t next_forget;             /* when ended chats' cids go */
	bool wal_dirty;                  /* deleted rows may linger in the WAL */
	int64_t next_checkpoint;         /* earliest retry while a reader holds it */
	struct hours_date today;         /* local day of chats_today */
	uint64_t chats_today;            /* residents queued today */
	struct mail_state mail;
	struct waits recent;             /* the wait p90 gauge (waits.h) */
	struct limits_state lim;
	struct desk_state desk;
	struct question_state q;
};

/* ------------------------------------------------------------ service.c */

/* Wall-clock seconds (the io table's clock). */
int64_t svc_now(const struct svc *s);

/* The loop's idle total now (svc_io.idle_us), or as last sampled
 * (svc_loop_sample) when the io table has none. */
uint64_t svc_idle_us(const struct svc *s);

/* Queue text (a frame from protocol.h; taken in every case) for p; NULL
 * text (out of memory) is logged and dropped, as is anything for a NULL or
 * closing peer. A peer whose queue is full is marked closing. */
void svc_send(struct svc *s, struct peer *p, char *text);

/* As svc_send, for a frame whose loss in a failed commit needs no resync
 * (MSG, position, queue view, typing, pong, error): the peer is told
 * `unavailable` if it asked for something, not closed (svc_end_turn). */
void svc_send_soft(struct svc *s, struct peer *p, char *text);

/* A store write failed while handling p's frame: error `unavailable` when
 * it is the disk's doing (the store is then treated as down until a probe
 * works), else `not_allowed` with `message`. */
void svc_write_failed(struct svc *s, struct peer *p, const char *message);
/* As svc_send, for a frame carrying a chat's history (`chat`, `resumed`):
 * held to limits_history_budget instead of the ordinary send cap. */
void svc_send_history(struct svc *s, struct peer *p, char *text);

/* Close p with a WebSocket close code after what is queued for it. */
void svc_close_peer(struct svc *s, struct peer *p, int code,
		    const char *reason);

/* Another connection has taken p's place (a resume, an advisor's login
 * elsewhere): what is queued for p is dropped at once, then p is closed.
 * A dead link that no longer reads would otherwise keep its copy of a
 * history in memory until its ping timeout (up to a minute), once per
 * reconnect. */
void svc_close_replaced(struct svc *s, struct peer *p, int code,
			const char *reason);

/* {"type":"error",...} to p; the SVC_MAX_ERRORS-th closes it with 1008. */
void svc_send_error(struct svc *s, struct peer *p, const char *code,
		    const char *message);

/* Record an anonymous event for stats. A failure is logged and otherwise
 * ignored: figures never stop a chat. */
void svc_stat(struct svc *s, int64_t at, enum stats_kind kind,
	      int64_t value, const char *label);

/* ---------------------------------------------------------------- chat.c */

/* Resident frames. */
void chat_on_hello(struct svc *s, struct peer *p, const struct proto_in *in);
void chat_on_resume(struct svc *s, struct peer *p, const struct proto_in *in);
void chat_on_resident_msg(struct svc *s, struct peer *p,
			  const struct proto_in *in);
void chat_on_resident_typing(struct svc *s, struct peer *p,
			     const struct proto_in *in);
void chat_on_resident_end(struct svc *s, struct peer *p);
void chat_on_feedback(struct svc *s, struct peer *p, const struct proto_in *in);
void chat_on_ping(struct svc *s, struct peer *p);

/* Advisor frames (p->adv is set). */
void chat_on_status(struct svc *s, struct peer *p, const struct proto_in *in);
void chat_on_take(struct svc *s, struct peer *p, const struct proto_in *in);
void chat_on_advisor_msg(struct svc *s, struct peer *p,
			 const struct proto_in *in);
void chat_on_advisor_typing(struct svc *s, struct peer *p,
			    const struct proto_in *in);
void chat_on_advisor_end(struct svc *s, struct peer *p,
			 const struct proto_in *in);
void chat_on_tag(struct svc *s, struct peer *p, const struct proto_in *in);

/* Turn a hello away as if the queue were full: count it (recorded as an
 * event within limits_may_record's quota), {"type":"queue_full"}, close
 * 1000. */
void chat_refuse_full(struct svc *s, struct peer *p, int64_t now);

/* End a queued or active chat (a no-op once ended); tells both sides. */
void chat_end(struct svc *s, struct chat *c, enum proto_ended_by by);

/* Unlink c from the queue, its advisor and resident, and free it. */
void chat_forget(struct svc *s, struct chat *c);

/* The chat with store id `id`, or NULL. Constant time (s->chat_ids). */
struct chat *chat_find(struct svc *s, int64_t id);

/* Room in the indexes for one more chat: call before writing a chat's
 * row, so that chat_link cannot fail after it. 0, or -1 out of memory. */
int chat_reserve(struct svc *s);

/* Puts c (id and token set) first in s->chats and in the indexes. Needs a
 * chat_reserve first; c is then owned by s (chat_forget frees it). */
void chat_link(struct svc *s, struct chat *c);

/* auto_assign = yes: hand waiting residents to available advisors. */
void chat_assign_waiting(struct svc *s);

/* Put advisor a's active chats back at the front of the queue. */
void chat_requeue(struct svc *s, struct advisor *a);

/* Link queued chat c at its place: chats handed back (c->requeued) first,
 * then the others, each by original arrival (started_at, then id). A
 * restart rebuilds the same order from the store. */
void chat_queue_place(struct svc *s, struct chat *c);

/* Advisors connected and available; *free_slots = their open chat slots.
 * (positions.c, like the estimates and pushes below) */
int chat_advisors_available(const struct svc *s, int *free_slots);

/* Estimated wait in seconds at queue position `position` (-1: unknown). */
long chat_estimate(const struct svc *s, size_t position);

/* Honest waiting (CONTRACT.md section 9): the rule is
 * queue_may_not_be_served's (queue.h); the first time it holds for c while
 * its resident is connected (and so is told), it is counted in the
 * figures. k: the clock of a round over the queue, or NULL to read it now.
 * (positions.c) */
struct late_clock;
bool chat_late(struct svc *s, struct chat *c, size_t pos, long wait,
	       const struct late_clock *k);

/* The advisors' `queue` frame: the length and its first entries (a new
 * string, or NULL on OOM). (positions.c) */
char *chat_queue_view(struct svc *s);

/* Greet a (re)logged-in advisor: the queue view, then a `chat` frame for
 * each chat it holds. */
void chat_greet_advisor(struct svc *s, struct advisor *a);

/* Once a second: idle warnings and timeouts, resume grace. */
void chat_sweep(struct svc *s, int64_t now);

/* The coalesced pushes: changed positions, and the queue view to every
 * connected advisor. */
void chat_push_queue(struct svc *s);

/* Push changed positions (a position, estimate or may_not_be_served,
 * CONTRACT.md section 9, that differs from what was last sent), at most a
 * turn's share (s->positions_pending: some are left; svc_end_turn calls it
 * again). */
void chat_push_positions(struct svc *s);

/* Another round of position pushes must start at the front, once the one
 * under way (if any) ends: call it when what was last sent to a queued
 * resident changes outside a round (a resume, a failed turn's withheld
 * frames) or when the rules do (a new config). (positions.c) */
void chat_positions_rewalk(struct svc *s);

/* Remove c from advisor a's active slots (a no-op when not there). */
void chat_slot_remove(struct advisor *a, struct chat *c);

/* The chats an advisor may hold at once (max_chats_per_advisor, at most
 * SVC_MAX_SLOTS). */
int chat_slot_max(const struct svc *s);

/* The first `max` waiting chats in queue order into w (strings borrowed
 * from the chats); returns how many. */
size_t chat_queue_list(struct svc *s, struct proto_waiting *w, size_t max);

/* Chat c's stored messages as a JSON history array for `own`'s side
 * ("resident" | "advisor": whose messages keep their cid; "" for none).
 * A new reference; NULL on OOM. */
json_t *chat_history_json(struct svc *s, const struct chat *c,
			  const char *own);

/* --------------------------------------------------------------- login.c */

void login_on_login(struct svc *s, struct peer *p, const struct proto_in *in);

/* {"type":"logout"} from a logged-in advisor: its token is revoked, it gets
 * {"type":"logged_out"} and close 1000, and its chats go back to the
 * front of the queue at once. */
void login_on_logout(struct svc *s, struct peer *p);

/* p is closing: a password login waiting for its turn is dropped; one
 * being checked must not answer it. */
void login_detach(struct peer *p);

/* Once a second: sessions gone past the grace end (their chats requeue);
 * sessions whose token another process revoked (neuvo-admin passwd,
 * remove) are closed at once and their chats requeued; live sessions whose
 * token has expired are closed; expired tokens are deleted hourly. */
void login_sweep(struct svc *s, int64_t now);

/* The login state of a new service (svc_new). */
void login_init(struct svc *s);

/* At a restart: the session of account `account_id`, disconnected since
 * `gone_at` (it has the resume grace from then), made from the store's
 * account if there is none. NULL when the account is gone or on OOM. */
struct advisor *login_restore_session(struct svc *s, int64_t account_id,
				      int64_t gone_at);

/* Free every session, waiting login and the throttle (svc_free). */
void login_free_all(struct svc *s);

/* -------------------------------------------------------------- outbox.c */

void outbox_on_email(struct svc *s, struct peer *p, const struct proto_in *in);

/* A chat with a copy asked for has ended: scan at the next tick. */
void outbox_chat_ended(struct svc *s);

/* Every tick: hand due copies to the worker (or, with none, give up the
 * old ones). */
void outbox_scan(struct svc *s, int64_t now);

/* Read the outbox's length from the store (at start, after a rollback). */
void outbox_recount(struct svc *s);

/* ------------------------------------------------------------- restore.c */

/* Rebuild the queue and every open chat from the store (svc_restore). */
int restore_chats(struct svc *s, int64_t now);

/* -------------------------------------------------------------- status.c */

/* chats_today from the store's "started" events since local midnight. */
void status_init_today(struct svc *s);

/* Count one resident queued at `now` (the count restarts at midnight). */
void status_count_today(struct svc *s, int64_t now);

/* -------------------------------------------------------------- limits.c */

/* Make and free the per-address table (svc_new, svc_free). limits_init
 * returns 0, or -1 when memory or the random generator fails. */
int limits_init(struct svc *s);
void limits_free(struct svc *s);

/* A new connection: keep its client address as a keyed hash in p->addr. */
void limits_peer_opened(struct svc *s, struct peer *p);

/* A hello from a blocked address: {"type":"blocked"}, close 1000, true. */
bool limits_refuse_blocked(struct svc *s, struct peer *p, int64_t now);

/* A hello refused (closed, queue full) at `now`: may it be recorded as an
 * event? At most max_new_chats_per_address_per_hour an hour per address,
 * so that a flood of refused hellos does not fill the disk. */
bool limits_may_record(struct svc *s, struct peer *p, int64_t now);

/* The per-address rules for a hello that would open a chat: the address's
 * chats this hour (rate_limited, close 1008) and its waiting chats
 * (queue_full, close 1000). True when refused (answered). */
bool limits_refuse_hello(struct svc *s, struct peer *p, int64_t now);

/* Chat c was opened by p's hello at `now`: count it for p's address. */
void limits_chat_opened(struct svc *s, struct peer *p, struct chat *c,
			int64_t now);

/* Chat c's resident came back as p: a chat whose address is unknown (not
 * back since a restart) counts by p's from now on; others keep theirs. */
void limits_chat_resumed(struct chat *c, const struct peer *p);

/* An advisor took chat c: its resident is no longer waiting. */
void limits_chat_taken(struct chat *c);

/* May `text` (already redacted, as it would be stored) from `from` go into
 * chat c? Sends wait_for_advisor or chat_full to the sender when not.
 * *chars gets text's code points, for limits_msg_stored. */
bool limits_msg_allowed(struct svc *s, struct chat *c, const char *from,
			const char *text, long *chars);

/* A message of `chars` code points from `from` was stored in c. */
void limits_msg_stored(struct chat *c, const char *from, long chars);

/* {"type":"block","chat":ID,"hours":H} from an advisor. */
void limits_on_block(struct svc *s, struct peer *p, const struct proto_in *in);

/* The bytes of history frames p may have waiting at once, given that the
 * next one is `len` bytes (see svc_send_history and net_send_history). */
size_t limits_history_budget(struct svc *s, const struct peer *p, size_t len);

/* Once a second: now and then drop expired per-address entries. */
void limits_sweep(struct svc *s, int64_t now);

/* ---------------------------------------------------------------- desk.c */

/* Supervisor frames (p->adv is set): board, watch, unwatch, whisper. Any
 * advisor: urgent, transfer. Each checks the role itself. */
void desk_on_board(struct svc *s, struct peer *p);
void desk_on_watch(struct svc *s, struct peer *p, const struct proto_in *in);
void desk_on_unwatch(struct svc *s, struct peer *p,
		     const struct proto_in *in);
void desk_on_whisper(struct svc *s, struct peer *p,
		     const struct proto_in *in);
void desk_on_urgent(struct svc *s, struct peer *p, const struct proto_in *in);
void desk_on_transfer(struct svc *s, struct peer *p,
		      const struct proto_in *in);

/* A login (login.c) bound session a to a new connection: its role is
 * `supervisor` from now on, and it follows nothing until it asks again. */
void desk_session_started(struct svc *s, struct advisor *a, bool supervisor);

/* Session a's account is no supervisor any more (neuvo-admin advisor role,
 * seen by login.c while the session runs): it stops following the board
 * and every chat it watches (each told `unwatched`) and is refused the
 * supervisor's frames from now on, not from its next login. */
void desk_session_demoted(struct svc *s, struct advisor *a);

/* Something the board shows changed (queue, advisors, chats). */
void desk_board_changed(struct svc *s);

/* Does advisor a watch chat `id`? */
bool desk_watches(const struct advisor *a, int64_t id);

/* Chats advisor a watches (for limits_history_budget). */
int desk_watch_count(const struct advisor *a);

/* Hooks from chat.c: MSG `m` was posted in c (watchers get it; the board
 * changes); c ended (watchers get `ended` and stop watching); c went back
 * to the queue (watchers get `unwatched`). */
void desk_on_msg(struct svc *s, struct chat *c, const struct proto_msg *m);
void desk_on_ended(struct svc *s, struct chat *c, enum proto_ended_by by);
void desk_on_requeued(struct svc *s, struct chat *c);

/* The chat's whispers and notes so far, oldest first, as a JSON list
 * (notes with "note":true; a list cut short by a store error is logged):
 * a new reference, or NULL out of memory. */
json_t *desk_whispers_json(struct svc *s, const struct chat *c);

/* Every tick: the board to every supervisor following it, when it has
 * changed, at most once per DESK_BOARD_MS. */
void desk_tick(struct svc *s);
/* ----------------------------------------------------------- questions.c */

#define QUESTIONS_IDLE_S 600        /* a question-only connection's limit */

/* Resident frames `question` and `pickup`; advisor frames `questions` and
 * `answer` (p->adv is set). */
void questions_on_question(struct svc *s, struct peer *p,
			   const struct proto_in *in);
void questions_on_pickup(struct svc *s, struct peer *p,
			 const struct proto_in *in);
void questions_on_list(struct svc *s, struct peer *p);
void questions_on_answer(struct svc *s, struct peer *p,
			 const struct proto_in *in);

/* A hello answered `closed` at `now`: with [chat] questions = yes (and not
 * draining), p stays open for one question and true is returned (the
 * caller sends "questions":true); else false (the caller closes p). */
bool questions_offer(struct svc *s, struct peer *p, int64_t now);

/* Read the open count from the store (at start, after a rollback). */
void questions_recount(struct svc *s);

/* Once a second: idle question-only connections close, expired questions
 * go (once a minute). */
void questions_sweep(struct svc *s, int64_t now);

/* The coalesced push: the list to every advisor watching it, when it
 * changed. */
void questions_push(struct svc *s);

#endif
