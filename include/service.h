/*
 * service.h - the chat service: residents, advisors, the queue and the
 * rules of CONTRACT.md section 4, between the network glue (net.c) and the
 * store (store.c).
 *
 * It knows no libwebsockets: it reaches connections only through the
 * struct svc_io table given to svc_new (main passes net.c's functions, the
 * unit tests their own), and it knows no SQL (it calls store.h). It uses
 * libuv only for its thread pool, where password checks run so that a
 * login never stalls the event loop.
 *
 * One struct svc per server, created by main and touched only on the
 * event-loop thread. It owns every chat and advisor session in memory; a
 * chat lives from `hello` until its resident has been gone for longer than
 * resume_grace_s after it ended (or, if it never ended, until that grace
 * ends it with by = "disconnect"). The modules behind this header are
 * described in server/svc_internal.h.
 */
#ifndef NEUVO_SERVICE_H
#define NEUVO_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

struct config;
struct store;
struct net_conn;
struct uv_loop_s;
struct net_stats;
struct svc;

/*
 * What the service needs of the world outside it: the connections (net.h
 * documents each function; main passes exactly those) and the clocks.
 * Every member must be set, but those that say they may be NULL. Called
 * on the loop thread only.
 */
struct svc_io {
	/* Queue a frame for c (takes text); -1: c dropped, queue full. */
	int (*send)(struct net_conn *c, char *text);
	/* Close c with a WebSocket code after what is queued. */
	void (*close)(struct net_conn *c, int code, const char *reason);
	/* The turn committed: let its frames go out. */
	void (*release)(void);
	/* The turn's commit failed: drop its frames (closes still go). */
	void (*discard)(void);
	/* The service's per-connection pointer. */
	void (*set_user)(struct net_conn *c, void *user);
	void *(*user)(const struct net_conn *c);
	/* Connection counts for /metrics. */
	const struct net_stats *(*stats)(void);
	/* Wall clock, seconds since the epoch (time(NULL)). */
	int64_t (*now)(void);
	/* A monotonic clock in milliseconds (the per-connection rate window). */
	uint64_t (*now_ms)(void);
	/* The client address of c (net_conn_address), valid from svc_on_open.
	 * May be NULL (a test without addresses): every connection then has
	 * the address "". */
	const char *(*address)(const struct net_conn *c);
	/* Queue a frame that carries a history, held to `budget` bytes of
	 * such frames instead of the ordinary cap (net_send_history). May be
	 * NULL: such frames then go through `send`. */
	int (*send_history)(struct net_conn *c, char *text, size_t budget);
	/* Drop every frame queued for c, released or not (net_drop_queue):
	 * c is being closed because another connection took its place. May
	 * be NULL. */
	void (*drop_queue)(struct net_conn *c);
	/* The loop's idle total, microseconds spent waiting in its poll
	 * (uv_metrics_idle_time), on the loop given to svc_new. May be NULL:
	 * the total then only comes with svc_loop_sample. */
	uint64_t (*idle_us)(struct uv_loop_s *loop);
};

/* Create the service over a store it does not own; io is copied. NULL on
 * OOM. */
struct svc *svc_new(struct uv_loop_s *loop, const struct config *cfg,
		    struct store *st, const struct svc_io *io);

/*
 * At the start, before any connection: rebuild the queue (in the order of
 * chat_queue_place) and every open chat from the store (CONTRACT.md
 * section 7), so a stop of any kind loses nobody. Residents and the
 * advisors holding chats start disconnected, with resume_grace_s from now
 * to come back: a resident's `resume` gets its state, place and history;
 * an advisor's token login its chats. What is not resumed in the grace
 * ends as usual (`by:"disconnect"`; an advisor's chats go back to the
 * queue). Chats that cannot be resumed (no token digest) must have been
 * ended first (store_close_unresumable). Returns 0, or -1 (logged) when the
 * store cannot be read or memory runs out.
 */
int svc_restore(struct svc *s);

/* Free all chats and sessions. Call after every connection has closed and
 * the loop has run dry (password checks in flight hold a pointer). */
void svc_free(struct svc *s);

/* Use a reloaded config from now on (the caller keeps it alive). */
void svc_set_config(struct svc *s, const struct config *cfg);

/* Connection events from net.c. */
void svc_on_open(struct svc *s, struct net_conn *c, enum proto_role role);
void svc_on_frame(struct svc *s, struct net_conn *c, const char *buf,
		  size_t len);
void svc_on_close(struct svc *s, struct net_conn *c);

/* Email copies (issue 5): the SMTP worker to hand copies to (NULL: none,
 * copies unavailable; main stops it after setting NULL). Not owned. */
struct smtp;
void svc_set_mailer(struct svc *s, struct smtp *w);

/* Hold (true) or resume handing copies to the worker; held copies wait in
 * the outbox. main holds them while a new timezone waits for an idle
 * worker. */
void svc_hold_mail(struct svc *s, bool hold);

/* The SMTP worker has results (main's uv_async_t woke the loop): take
 * them, on the loop thread. */
void svc_on_wake(struct svc *s);

/*
 * Once per loop turn (main's check handle, after every poll): commit what
 * the turn wrote, then release the frames it queued.
 *
 * A failed commit (disk full, I/O error): the store has rolled the whole
 * turn back, and nothing of it may be shown, so
 *  - the clients: every frame queued in the turn is dropped. Each
 *    connection that sent a frame in the turn gets error `unavailable`
 *    (CONTRACT.md section 7: not stored, send again later). A connection
 *    that was to get a frame telling of a change of state (queued,
 *    assigned, chat, ended, ...) is closed with 1011 ("not saved, try
 *    again"), so that its client reconnects and resumes from what is
 *    stored (a resident's `resume`, an advisor's token login); one that
 *    was to get only frames of svc_send_soft (messages, positions, the
 *    queue view) stays connected: the message it would have seen does not
 *    exist. When the failure is the disk's (store_error_unavailable), only
 *    the first turn is lost this way: from then on every frame that would
 *    write is answered `unavailable` up front, the timeouts wait, /healthz
 *    answers 503, and the store is probed every second until a write
 *    works. Any other failure closes every connection that was to get a
 *    frame, as above. Closes queued in the turn still go out.
 *  - the memory: kept as the turn left it (queue order, takes, ends,
 *    counters), since the handlers' changes cannot be undone one by one;
 *    the next writes about those chats go to the store as usual. The one
 *    exception is a chat created in the turn: it has no row, and its id
 *    would be handed out again, so it is forgotten at once. The outbox
 *    length is read again from the store.
 */
void svc_end_turn(struct svc *s);

/*
 * Once a turn, just before the loop polls, main samples it (issue 14): the
 * time (microseconds, the clock of svc_io.now_ms) and the loop's idle
 * total so far (time spent waiting in the poll). A poll that had to wait
 * was quiet, nothing at all ready to be read, until its wait ended; the
 * service learns of it from the idle total, here or (svc_io.idle_us) as it
 * judges the frames that poll reads. See overload.h. Two things follow:
 *  - the rate limit allows for frames that were sent in time but read
 *    late: those since the last quiet moment, at SVC_RATE_LIMIT a second;
 *  - while the loop is saturated (svc_overloaded), new residents get
 *    `queue_full` at hello, so that the running chats keep their pace.
 */
void svc_loop_sample(struct svc *s, uint64_t now_us, uint64_t idle_us);

/* Is the loop too busy to take new residents? True while it works 90 % of
 * the time or more, smoothed over about half a second, AND nothing has
 * been quiet for OVERLOAD_BACKLOG_MS (overload.h): one slow turn turns
 * nobody away. */
bool svc_overloaded(const struct svc *s);

/* Are position pushes left for the next turns (svc_end_turn sends a
 * share each turn)? main keeps the loop turning while they are. */
bool svc_pushing(const struct svc *s);

/* Every 250 ms: coalesced position and queue pushes; once a second also the
 * timeouts (resume grace, idle chats). */
void svc_tick(struct svc *s);

/* SIGTERM: close every connection with 1012 (service restart), keeping the
 * queue and the chats in the store for the next start (svc_restore); no
 * chat is ended. After a finished drain (svc_drained) the code is 1001:
 * there is nothing to come back to. */
void svc_shutdown(struct svc *s);

/* Ending service for good (SIGUSR1): from now on a `hello` gets
 * {"type":"closed","next_open":null} and /api/status says closed; queued
 * and active chats go on to their end as usual. Idempotent. */
void svc_drain(struct svc *s);

/* Draining, and no chat is left open: main may stop (svc_shutdown). */
bool svc_drained(const struct svc *s);

/* Bodies for GET /api/status and GET /metrics; heap strings (caller frees),
 * NULL on OOM (net.c answers 500). */
char *svc_status_json(struct svc *s);
char *svc_metrics_text(struct svc *s);

/* Body for GET /healthz: {"status":"ok"} with *http_status 200, or, while
 * the store cannot write, {"status":"unavailable","reason":R} with 503.
 * Heap string (caller frees), NULL on OOM. */
char *svc_health_json(struct svc *s, int *http_status);

/* The accessibility statement's language (Act 306/2019; CONTRACT.md
 * section 9): `lang` (the ?lang= argument, may be NULL) when it is fi, sv
 * or en; else the Accept-Language entry (may be NULL) of highest q whose
 * primary tag is one of those (the first of equal q); else "fi". */
const char *svc_accessibility_lang(const char *lang, const char *accept);

/* Body for GET /accessibility: <web_root>/accessibility/<lang>.html as
 * the administrator edited it (lang from svc_accessibility_lang). Heap
 * string (caller frees); NULL when the file cannot be read (net.c answers
 * 404) or is larger than SVC_ACCESSIBILITY_MAX bytes. */
#define SVC_ACCESSIBILITY_MAX (256 * 1024)
char *svc_accessibility_html(struct svc *s, const char *lang);

#endif
