/*
 * store.h - everything neuvo keeps on disk, in one SQLite file (WAL mode,
 * synchronous = FULL, secure_delete on).
 *
 * The only module that speaks SQL. It holds chats, messages (already
 * redacted), tags, feedback, anonymous events for statistics, and advisor
 * accounts. It never holds an IP address, user agent, cookie or resident
 * token (CONTRACT.md section 5): nothing in this API accepts one; of a
 * token only its SHA-256 is kept, and a resident's only while the chat is
 * open. The one exception is the outbox (end of this file): an email
 * address asked for a copy lives there only until the copy is handed over
 * or given up.
 *
 * Durability costs one sync per event-loop turn: the first write of a turn
 * opens a transaction, store_commit (called once at the end of the turn)
 * ends it. Callers release what they relayed only after store_commit
 * succeeds, so nothing is shown to anyone that is not on disk.
 *
 * Restarts (CONTRACT.md section 7): the queue, every open chat with its
 * resident token digest and its advisor, and the advisors' tokens are kept
 * here, so that after any stop the server rebuilds what it had in memory
 * (store_open_chats_each, store_advisor_token_get) and nobody is lost.
 *
 * Every statement is prepared once (SQLITE_PREPARE_PERSISTENT) and reused
 * until store_close.
 *
 * Single-threaded: one struct store is used by one thread. Every function
 * returns 0 on success and -1 on a database error (logged here, its kind
 * kept for store_last_error), unless it says otherwise.
 */
#ifndef NEUVO_STORE_H
#define NEUVO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_NAME_MAX 128      /* advisor display name */
#define STORE_USER_MAX 64       /* advisor username */
#define STORE_DIGEST_LEN 32     /* a token's SHA-256 (AUTH_DIGEST_LEN) */
#define STORE_STAT_ROWS_MAX 17  /* a chat's topic/outcome events (16 + 1) */

/* Open (creating the file, its parent directory and the schema as needed).
 * busy_ms: how long to wait for another process's lock (the admin tool). */
int store_open(const char *path, int busy_ms, struct store **out);

/* Commit any open transaction; then close. NULL is a no-op. */
void store_close(struct store *st);

/* Is a transaction open (something written this turn)? */
bool store_pending(const struct store *st);

/* Commit this turn's transaction, if any. On failure it is rolled back and
 * -1 returned: the caller must not show what it wrote. A write that failed
 * earlier in the turn may already have made SQLite roll the transaction
 * back (a full disk, an I/O error); then every later write of the turn
 * fails too and so does this, so nothing of the turn is half kept. */
int store_commit(struct store *st);

/* --- errors ---
 *
 * What kind of trouble the store is in, so that the service can tell a
 * sender `unavailable` and /healthz can answer 503 with a reason when the
 * disk, not the program, is at fault. */

enum store_error {
	STORE_OK = 0,           /* no failure since the last good commit */
	STORE_ERR_FULL,         /* SQLITE_FULL: disk or quota full */
	STORE_ERR_READONLY,     /* SQLITE_READONLY, _CANTOPEN, _PERM, _AUTH */
	STORE_ERR_IO,           /* SQLITE_IOERR_*: a read, write or sync */
	STORE_ERR_BUSY,         /* another process held the lock past busy_ms */
	STORE_ERR_CORRUPT,      /* SQLITE_CORRUPT, _NOTADB */
	STORE_ERR_OTHER         /* anything else: a bug, out of memory */
};

/*
 * The kind of the latest failure since the last commit whose every write
 * worked (of a turn, of an admin change, or of store_probe), STORE_OK when
 * there was none. *reason (if not NULL) gets a short fixed English phrase
 * for logs and /healthz ("disk full", "database read-only", "disk I/O
 * error", "database locked", "database corrupt", "database error"; "ok").
 * A cid already stored (store_message_put returning 1) is not a failure.
 * A file that was read-only when opened stays read-only for this
 * connection (SQLite opened it so): only a new store_open can write it.
 */
enum store_error store_last_error(const struct store *st,
				  const char **reason);

/* True for the kinds that are the disk's or another process's doing and pass
 * by themselves once space or permission returns (FULL, READONLY, IO,
 * BUSY): the sender gets `unavailable`, /healthz 503. */
bool store_error_unavailable(enum store_error e);

/*
 * Try one tiny write and commit (a row of its own, nothing else changes),
 * to learn whether writes work again while nobody writes anything else:
 * poll it every second or two while store_last_error is not STORE_OK.
 * Returns 0 when the write was committed (store_last_error is then
 * STORE_OK), -1 when it failed (its kind kept), or -1 inside a turn's
 * transaction without trying (commit first).
 */
int store_probe(struct store *st, int64_t now);

/* --- chats --- */

/*
 * A chat's state is not stored as such: it is ended when ended_at is set,
 * active when taken_at is set, else queued. A queued chat keeps its
 * started_at (its original arrival) even when handed back to the queue, so
 * the queue's order after a restart is that of arrival.
 */

/* A new chat; *id is its number (shown to advisors, never secret). `token`
 * is the digest of the resident's token (auth_token_digest; never the token
 * itself), kept until the chat ends so that a resume works after a
 * restart. topic may be NULL. */
int store_chat_add(struct store *st, int64_t at, const char *lang,
		   const char *topic, const uint8_t token[STORE_DIGEST_LEN],
		   int64_t *id);
/* As store_chat_add without a token: such a chat cannot be resumed after a
 * restart (store_close_unresumable ends it). Kept until the service stores
 * tokens. */
int store_chat_create(struct store *st, int64_t at, const char *lang,
		      const char *topic, int64_t *id);
/* Advisor account `advisor_id` took the chat at `at` (it counts as served
 * from now on, also after a hand-back). */
int store_chat_take(struct store *st, int64_t id, int64_t at,
		    int64_t advisor_id);
/* As store_chat_take without the advisor: after a restart nobody has the
 * chat. Kept until the service passes the advisor. */
int store_chat_taken(struct store *st, int64_t id, int64_t at);
/* A chat handed back to the queue (its advisor left): served again later.
 * It keeps its place by original arrival and is marked requeued. */
int store_chat_requeued(struct store *st, int64_t id);
/* The end of a chat; its token digest and its advisor are forgotten (it
 * cannot be resumed after a restart). Its messages' cids are kept: within
 * the resume grace a resident may resend a message the end overtook, and
 * gets the stored MSG back (CONTRACT.md section 7). */
int store_chat_ended(struct store *st, int64_t id, int64_t at, const char *by);
/* Chat `id` has ended and nobody can resend to it any more (its resume
 * grace is over): its messages' cids are to go, and go at the next
 * store_forget_cids_due. Until then they are still read; the service no
 * longer asks. A stop before that leaves them to store_close_orphans or
 * store_close_unresumable. */
int store_chat_forget_cids(struct store *st, int64_t id);
/* Forget the cids of every chat store_chat_forget_cids named, and of any
 * chat ended before `ended_before` that still holds some (a name lost with
 * a failed commit), in the turn's transaction; *chats = how many chats.
 * One statement for many chats: messages are stored in arrival order, so
 * the rows of chats that ran at the same time share pages, and clearing
 * them together writes each page once where a statement a chat wrote it
 * once per chat. */
int store_forget_cids_due(struct store *st, int64_t ended_before,
			  int64_t *chats);
/* A sign of life that is not a message (a ping answering idle_warning):
 * the rebuilt chat's idle clock starts from the latest of this, the take,
 * the start and the last message. */
int store_chat_touch(struct store *st, int64_t id, int64_t at);
/* Replace the chat's tags. */
int store_chat_tag(struct store *st, int64_t id, const char *const *topics,
		   int n_topics, const char *outcome);
int store_chat_feedback(struct store *st, int64_t id, int rating);

/*
 * Chats left open by a stop: end every one as by = "restart", and commit.
 * The figures stay right: each gets the event it would have got from the
 * running server ("ended" for an active chat, "abandoned" for a queued one
 * never served; nothing more for a served chat handed back to the queue).
 * Its end, for the chat and its event, is its last sign of life (start,
 * take, last message, store_chat_touch), not `now`, so a crash at night
 * does not stretch waits and durations until the morning; `now` caps it.
 * The cids of these chats, and of chats the stop left ended but keyed
 * (store_chat_forget_cids not yet run), are forgotten.
 * Used by a server that does not rebuild its chats.
 */
int store_close_orphans(struct store *st, int64_t now);

/* As store_close_orphans, but only the open chats that cannot be resumed
 * (no token digest: made before tokens were stored, or by
 * store_chat_create); the others are left for store_open_chats_each. */
int store_close_unresumable(struct store *st, int64_t now);

enum store_chat_state {
	STORE_CHAT_QUEUED,
	STORE_CHAT_ACTIVE
};

/* An open chat as read back for the rebuild at start; strings are valid
 * only during the callback. */
struct store_chat {
	int64_t id;
	enum store_chat_state state;
	bool has_token;                 /* false: cannot be resumed */
	uint8_t token[STORE_DIGEST_LEN]; /* the resident token's digest */
	const char *lang;
	const char *topic;              /* the hello topic; NULL when none */
	int64_t started_at;             /* original arrival (queue order) */
	int64_t taken_at;               /* active: when taken; else 0 */
	int64_t advisor_id;             /* active: the account; 0 unknown */
	int64_t last_activity;          /* latest start/take/message/touch */
	int64_t seq;                    /* last MSG id; 0 when none yet */
	bool served;                    /* its "served" event is recorded */
	bool requeued;                  /* handed back to the queue once */
	bool email_requested;           /* a copy was asked for */
	bool rated;                     /* feedback was given */
	bool urgent;                    /* marked urgent (section 8) */
	bool urgent_counted;            /* its "urgent" event is recorded */
	/* Its topic/outcome events (store_stat_add rows), so that a re-tag
	 * after the restart replaces them as before: found again by kind,
	 * label and the chat's start (the events hold no chat id), each row
	 * given to at most one chat. Events alike in all of these are alike
	 * for the figures too, so which one is taken back does not matter. */
	int64_t stat_rows[STORE_STAT_ROWS_MAX];
	int n_stat_rows;
};

/*
 * Call fn for every chat not ended, in order of original arrival (then id):
 * so the queued ones come in the queue's order. fn returns 0 to go on,
 * non-zero to stop (then this returns 0). fn may read the store (the
 * history with store_messages_each, the advisor with store_advisor_by_id)
 * but should not write chats: the rows being read could be seen changed.
 * Copy what is needed, and end what must end after the call.
 */
int store_open_chats_each(struct store *st,
			  int (*fn)(void *ctx, const struct store_chat *c),
			  void *ctx);

/* Mean handling time (take to end) of the last `n` served chats; returns 1
 * and sets *mean_s, or 0 when there are none. */
int store_recent_handle_time(struct store *st, int n, double *mean_s);

/* --- messages --- */

struct store_msg {
	int64_t seq;            /* the MSG id, rising within a chat */
	const char *from;       /* "resident" | "advisor" */
	const char *text;       /* redacted */
	int64_t at;
	bool redacted;
	const char *cid;        /* the sender's message key, NULL when none:
				 * read by store_message_put only */
	bool cid_new;           /* the caller knows the chat holds no such
				 * key from this sender: not looked up */
};

/*
 * Store one message with its client key m->cid (may be NULL). The key is
 * opaque here and stored as given, at most once per chat and sender: the
 * chat's rows are searched for it first, unless m->cid_new says the caller
 * knows it is new (there is no index on keys, so that a message costs its
 * commit no page of its chat's own: store.c, migration 7). The service
 * passes the frame's `cid` as its compact JSON text, so that 7 and "7"
 * differ and the history can give each own message its cid back (the
 * clients match their unsent messages by it after a resume). It is kept
 * while the chat can be resumed (store_chat_forget_cids).
 * Returns 0 when stored, 1 when this chat already holds the key from this
 * sender (nothing stored, the turn's transaction goes on; answer with
 * store_message_by_cid), or -1 (a seq the chat holds already is -1 too).
 */
int store_message_put(struct store *st, int64_t chat_id,
		      const struct store_msg *m);

/* As store_message_put, ignoring m->cid (stored without a key). Kept until
 * the service passes keys. */
int store_message_add(struct store *st, int64_t chat_id,
		      const struct store_msg *m);

/*
 * Calls fn(ctx, from, cid, seq) for every key chat `chat_id` still holds,
 * with the seq of its message (the strings are the store's, valid during
 * the call only), in no order; a nonzero return from fn stops the walk. For a chat rebuilt after a stop,
 * whose cid set must know every key it stored. Returns 0 when every key
 * was given, 1 when fn stopped it, -1 on a failed read (logged).
 */
int store_message_keys_each(struct store *st, int64_t chat_id,
			    int (*fn)(void *ctx, const char *from,
				      const char *cid, int64_t seq),
			    void *ctx);

/* Message `seq` of chat `chat_id`, as store_message_by_cid gives it (its
 * cid NULL when it has none): 0, 1 when there is none, or -1. Through the
 * (chat_id, seq) index: what a resend costs when the chat's cid set holds
 * its key (cidset_seq). */
int store_message_at(struct store *st, int64_t chat_id, int64_t seq,
		     struct store_msg *out);

/*
 * The message stored with key `cid` from `from` in chat `chat_id` (a walk
 * of the chat's rows: no index is kept on keys). Returns
 * 0 and fills *out (its strings are heap copies owned by the caller: free
 * them with store_msg_release), 1 when there is none, or -1.
 */
int store_message_by_cid(struct store *st, int64_t chat_id, const char *from,
			 const char *cid, struct store_msg *out);

/* Free the strings of a message filled by store_message_by_cid and clear
 * it; NULL or a cleared one is a no-op. */
void store_msg_release(struct store_msg *m);

/* Call fn for each message of a chat in order. fn returns 0 to go on.
 * The strings (m->cid too, NULL when none) are valid only during the
 * call. */
int store_messages_each(struct store *st, int64_t chat_id,
			int (*fn)(void *ctx, const struct store_msg *m),
			void *ctx);

/*
 * What chat `chat_id` holds, for the caps of CONTRACT.md section 7 after
 * a restart: *chars, the code points of all its messages' text;
 * *resident_tail, its resident's messages after the advisor's last one
 * (all of them when no advisor wrote), i.e. those written while waiting
 * for an advisor. Both 0 for an unknown chat.
 */
int store_chat_usage(struct store *st, int64_t chat_id, int64_t *chars,
		     int64_t *resident_tail);

/* --- anonymous events (no identifiers): "queue_full", "closed_attempt" --- */

int store_event_add(struct store *st, int64_t at, const char *kind);

/* --- advisor accounts --- */

struct store_advisor {
	int64_t id;
	char username[STORE_USER_MAX];
	char name[STORE_NAME_MAX];
	char phc[160];
	int64_t created_at;
	bool supervisor;        /* role "supervisor" (else "advisor") */
};

/* Returns 0, 1 when the username exists already, or -1. */
int store_advisor_add(struct store *st, const char *username,
		      const char *name, const char *phc, int64_t at);
/* As store_advisor_add, with the role: supervisor or advisor. */
int store_advisor_add_role(struct store *st, const char *username,
			   const char *name, const char *phc, int64_t at,
			   bool supervisor);
/* Returns 0 and fills *out, 1 when there is no such advisor, or -1. */
int store_advisor_get(struct store *st, const char *username,
		      struct store_advisor *out);
/* Returns 0, 1 when there is no such advisor, or -1. */
int store_advisor_set_password(struct store *st, const char *username,
			       const char *phc);
/* Both also revoke every token of the account, in the same transaction. */
int store_advisor_remove(struct store *st, const char *username);
/* By account id. Returns 0 and fills *out, 1 when there is none, or -1. */
int store_advisor_by_id(struct store *st, int64_t id,
			struct store_advisor *out);
/* Call fn for each advisor by username (phc left empty). */
int store_advisor_each(struct store *st,
		       int (*fn)(void *ctx, const struct store_advisor *a),
		       void *ctx);

/* --- advisor tokens ---
 *
 * A token given at a password login is kept as its digest (never the token)
 * with the account and an absolute expiry (12 hours after the password
 * login: a token login does not extend it). The add, delete and revoke
 * calls join the turn's transaction: the caller commits before showing the
 * token or confirming a logout.
 *
 * Revocation by another process (neuvo-admin advisor passwd/remove deletes
 * the rows): the server learns of it by polling. Every second or two it
 * calls store_changed_elsewhere, which costs no table read; only when that
 * says true it checks each live session's token with
 * store_advisor_token_get (a primary-key lookup) and closes the sessions
 * whose token is gone. A per-account generation counter would do the same
 * with one more column to keep right; the token rows themselves are the
 * truth, so they are what is asked.
 */

struct store_token {
	int64_t account_id;
	int64_t issued_at;      /* the password login */
	int64_t expires_at;     /* absolute */
};

/* Keep a new token's digest. -1 also when the account does not exist. */
int store_advisor_token_add(struct store *st,
			    const uint8_t digest[STORE_DIGEST_LEN],
			    int64_t account_id, int64_t issued_at,
			    int64_t expires_at);
/* A token that is kept and not expired at `now` (expires_at > now): 0 and
 * *out filled (out may be NULL), 1 when unknown or expired, or -1. */
int store_advisor_token_get(struct store *st,
			    const uint8_t digest[STORE_DIGEST_LEN],
			    int64_t now, struct store_token *out);
/* Forget one token (logout). Forgetting an unknown one is no error. */
int store_advisor_token_delete(struct store *st,
			       const uint8_t digest[STORE_DIGEST_LEN]);
/* Forget every token of an account. */
int store_advisor_tokens_revoke(struct store *st, int64_t account_id);
/* Forget the tokens expired at `now`; *deleted = how many. */
int store_advisor_tokens_expire(struct store *st, int64_t now,
				int64_t *deleted);

/* *changed = true when another connection (neuvo-admin) has committed
 * anything to the file since the previous call (PRAGMA data_version); the
 * first call says true, as nothing is known yet. This connection's own
 * commits never count. */
int store_changed_elsewhere(struct store *st, bool *changed);

/* --- stats: anonymous events for CONTRACT.md section 6 ---
 *
 * An event is (at, kind, value, label) and nothing else: kinds and what
 * value and label hold are listed in stats.h. They outlive the chats they
 * came from, so the figures stay after store_purge. */

/* Record one event (value 0 when it has none; label may be NULL). *row, if
 * not NULL, gets its row number so the caller can take it back with
 * store_stat_remove while it still holds it in memory (a chat re-tagged);
 * the row number is never stored anywhere else. */
int store_stat_add(struct store *st, int64_t at, const char *kind,
		   int64_t value, const char *label, int64_t *row);
int store_stat_remove(struct store *st, int64_t row);

/* *n = events of `kind` with from <= at < to. */
int store_stat_count(struct store *st, const char *kind, int64_t from,
		     int64_t to, int64_t *n);

/* One event as read back; the strings are valid only during the call. */
struct store_stat {
	int64_t at;
	const char *kind;
	int64_t value;          /* 0 when none was stored */
	const char *label;      /* may be NULL */
};

/* Call fn for each event with from <= at < to, in time order. fn returns 0
 * to go on. */
int store_stats_each(struct store *st, int64_t from, int64_t to,
		     int (*fn)(void *ctx, const struct store_stat *e),
		     void *ctx);

/* One chat for `transcripts export`. id is for store_messages_each only and
 * must not be shown. taken_at/ended_at are -1 when missing. topics is a
 * jansson array of strings (tags, else the hello topic), borrowed: valid
 * only during the call (json_incref to keep it). Strings likewise. */
struct store_transcript {
	int64_t id;
	int64_t started_at, taken_at, ended_at;
	const char *lang;
	const char *outcome;    /* may be NULL */
	struct json_t *topics;
};

/* Call fn for each chat started in [from, to), oldest first. fn returns 0
 * to go on, > 0 to stop (returns 0) or < 0 to stop with -1. */
int store_transcripts_each(struct store *st, int64_t from, int64_t to,
			   int (*fn)(void *ctx,
				     const struct store_transcript *t),
			   void *ctx);

/* Delete the ended chats started before `before`, with their messages and
 * tags (events stay). *deleted = how many chats. Joins the turn's
 * transaction: the caller commits (store_commit). */
int store_purge(struct store *st, int64_t before, int64_t *deleted);

/* --- outbox: email copies waiting for the SMTP server (issue 5) ---
 *
 * A row holds the recipient address and, once the chat has ended, the
 * rendered message. It is deleted when the copy is handed over or given up;
 * secure_delete is on, and the caller then runs store_checkpoint after the
 * commit so that neither the file nor its WAL keeps the address. All these
 * join the turn's transaction (the caller commits), except store_checkpoint.
 */

/* A new request; *id is its row number (never shown to anyone). The chat
 * is marked as having asked for its copy (one per chat, also after a
 * restart), in the same transaction. */
int store_outbox_add(struct store *st, int64_t chat_id, const char *addr,
		     const char *lang, int64_t at, int64_t *id);
/* The rendered message of a row (the chat has ended). */
int store_outbox_set_message(struct store *st, int64_t id,
			     const char *message);
/* A temporary failure: the attempts so far and when to try again. */
int store_outbox_retry(struct store *st, int64_t id, int attempts,
		       int64_t next_at);
/* Handed over or given up: the row goes (secure_delete overwrites it). */
int store_outbox_delete(struct store *st, int64_t id);
/* Give up every row asked for before `before` (when no mail server is
 * there to try it); *deleted = how many went. */
int store_outbox_expire(struct store *st, int64_t before, int64_t *deleted);
/* *n = rows in the outbox. */
int store_outbox_count(struct store *st, int64_t *n);

/* One row as read back; strings valid only during the call. */
struct store_outbox {
	int64_t id, chat_id;
	const char *addr;
	const char *lang;
	int64_t created_at;
	const char *message;    /* NULL until the chat has ended */
	int attempts;
	int64_t next_at;
};

/* Call fn for each row with next_at <= due, oldest first; fn returns 0 to
 * go on. */
int store_outbox_each(struct store *st, int64_t due,
		      int (*fn)(void *ctx, const struct store_outbox *o),
		      void *ctx);

/* --- the supervisors' desk (store_desk.c, CONTRACT.md section 8) --- */

/* The account's role, committed at once (neuvo-admin advisor role): a
 * live session takes it at its next login. Returns 0, 1 when there is no
 * such advisor, or -1. */
int store_advisor_set_role(struct store *st, const char *username,
			   bool supervisor);

/* The chat's urgent mark; once on, the chat counts as having been urgent
 * (store_chat.urgent_counted) for good. Joins the turn's transaction. */
int store_chat_urgent(struct store *st, int64_t id, bool on);

/* An open chat moves to advisor account `advisor_id` (a transfer), so a
 * restart gives it to that advisor. Joins the turn's transaction. */
int store_chat_transfer(struct store *st, int64_t id, int64_t advisor_id);

/* One internal line of a chat, seen only by its advisor and supervisors:
 * a whisper, or the note that came with a transfer. Never in the email
 * copy, the transcript export or anything the resident gets; deleted with
 * its chat (store_purge). text must be redacted already. */
enum store_whisper_kind {
	STORE_WHISPER,                  /* "whisper" */
	STORE_NOTE                      /* "note": with a transfer */
};

struct store_whisper {
	enum store_whisper_kind kind;
	const char *from;               /* display name of who wrote it */
	const char *text;               /* redacted */
	int64_t at;
	bool redacted;
	int64_t id;                     /* its row: set by add, and on read */
};

/* Keep one (joins the turn's transaction); *id gets its row's id, which
 * the frames carry so that a console shows each line once. */
int store_whisper_add(struct store *st, int64_t chat_id,
		      const struct store_whisper *w, int64_t *id);

/* Call fn for each of a chat's whispers and notes, oldest first; fn
 * returns 0 to go on. Strings valid only during the call. 0 when every
 * line was given, 1 when fn stopped it, -1 on a database error. */
int store_whispers_each(struct store *st, int64_t chat_id,
			int (*fn)(void *ctx, const struct store_whisper *w),
			void *ctx);
/* --- questions left while closed (CONTRACT.md section 9) ---
 *
 * A question is kept with its pickup code's digest (never the code), its
 * redacted text and language, and, when the resident asked for the answer
 * by email, that address until the answer is handed to the outbox. Every
 * read takes `since`, the oldest asked_at that has not expired
 * (now - question_days), so an expired row is never shown even before
 * store_questions_expire has deleted it. Writes join the turn's
 * transaction (the caller commits).
 */

/* Open questions in one list: 20 of at most max_message_chars (4000) code
 * points of 4 bytes each stay far below a peer's send queue (net.h). */
#define STORE_QUESTIONS_MAX_LIST 20

/* A new question; email may be NULL. *id gets its row. The code digest is
 * unique: -1 on the (astronomically unlikely) clash, as on any failure. */
int store_question_add(struct store *st, const uint8_t code[STORE_DIGEST_LEN],
		       const char *text, const char *lang, int64_t asked_at,
		       const char *email, int64_t *id);

/* A question as read back; strings valid only during the call. */
struct store_question {
	int64_t id;
	const char *text;
	const char *lang;
	int64_t asked_at;
	const char *answer;     /* NULL: not answered */
	int64_t answered_at;    /* 0: not answered */
	const char *email;      /* NULL: none (or handed over) */
};

/* The unexpired question with pickup code digest `code`: fn is called
 * once with it (text, answer, answered_at set). Returns 1 when found, 0
 * when not, -1 on error. */
int store_question_by_code(struct store *st,
			   const uint8_t code[STORE_DIGEST_LEN], int64_t since,
			   void (*fn)(void *ctx,
				      const struct store_question *q),
			   void *ctx);

/* The unexpired question `id`: fn is called once with it (asked_at, lang,
 * text, email; answer is non-NULL, "", when it has been answered).
 * Returns 1 when found, 0 when not, -1 on error. */
int store_question_get(struct store *st, int64_t id, int64_t since,
		       void (*fn)(void *ctx, const struct store_question *q),
		       void *ctx);

/* Store the answer of question `id` at `at` and forget its email address.
 * Returns 0, 1 when it had been answered already (nothing changed), or -1. */
int store_question_answer(struct store *st, int64_t id, const char *answer,
			  int64_t at);

/* Call fn for the oldest STORE_QUESTIONS_MAX_LIST unanswered, unexpired
 * questions, oldest first (id, text, lang, asked_at). fn returns 0 to go
 * on, non-zero to stop. Returns 0 or -1. */
int store_questions_open_each(struct store *st, int64_t since,
			      int (*fn)(void *ctx,
					const struct store_question *q),
			      void *ctx);

/* *n = unanswered, unexpired questions. */
int store_questions_open_count(struct store *st, int64_t since, int64_t *n);

/* Delete every question asked before `before`, answered or not, with its
 * answer and any address; *deleted = how many went. */
int store_questions_expire(struct store *st, int64_t before,
			   int64_t *deleted);

/* Checkpoint in TRUNCATE mode: copy the WAL into the file and cut the WAL to
 * zero bytes, so no deleted row survives in it. Never waits: returns 1 when
 * another connection still reads the WAL (nothing is lost; try again later),
 * 0 when the WAL is empty, -1 on error or inside a turn's transaction. */
int store_checkpoint(struct store *st);

/* The WAL's size, in pages, at which a commit checkpoints it itself
 * (SQLite's default, which the server keeps: 1,000; 0: never, for the
 * store benchmark's count of WAL bytes). -1 on a database error. */
int store_autocheckpoint(struct store *st, int pages);

/* --- backup and restore (store_backup.c, issue 17) ---
 *
 * These take paths, not a struct store: each opens its own connections, so
 * neuvo-admin can copy the database while a server writes to it. Each
 * returns 0 on success, or -1 with a one-line reason for the administrator
 * in why[n] (e.g. "/backup/x.db exists already"); store_restore also 1.
 */

/* Write a consistent copy of the database at db_path, as of one moment, to
 * the new file dest with VACUUM INTO: WAL lets a running server go on
 * writing meanwhile, and the copy has no free pages, so nothing deleted
 * travels with it. dest is created mode 0600 (refused when it exists),
 * synced to disk and then checked with store_backup_verify (*version, if
 * not NULL, gets the copy's schema version). On failure no dest is left
 * behind. db_path must exist (it is never created here). */
int store_backup(const char *db_path, const char *dest, int *version,
		 char *why, size_t n);

/* Is path a sound neuvo database: PRAGMA integrity_check says "ok", and it
 * has a neuvo schema (user_version >= 1 and the tables every version has)?
 * Opened read-only, nothing written. *version, if not NULL, gets its
 * user_version. Whether this program can use that version is settled by
 * store_open (newer: refused; older: brought up to date). */
int store_backup_verify(const char *path, int *version, char *why, size_t n);

/* Replace the database at db_path with the copy at src, atomically: src is
 * verified (above), copied next to db_path (mode 0600; when run as root,
 * owned by the owner of db_path's directory, so the server's user can open
 * it), brought to this program's schema with store_open, and renamed over
 * db_path, whose stale -wal and -shm are removed first. Returns 1 and
 * changes nothing while another process (a running server) has db_path
 * open: the restore must not pull the file from under it. src is never
 * changed. */
int store_restore(const char *db_path, const char *src, char *why, size_t n);

#endif
