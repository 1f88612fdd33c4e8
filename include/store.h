/*
 * store.h - everything neuvo keeps on disk, in one SQLite file (WAL mode,
 * synchronous = FULL, secure_delete on).
 *
 * The only module that speaks SQL. It holds chats, messages (already
 * redacted), tags, feedback, anonymous events for statistics, and advisor
 * accounts. It never holds an IP address, user agent, cookie or resident
 * token (CONTRACT.md section 5): nothing in this API accepts one. The one
 * exception is the outbox (end of this file): an email address asked for a
 * copy lives there only until the copy is handed over or given up.
 *
 * Durability costs one sync per event-loop turn: the first write of a turn
 * opens a transaction, store_commit (called once at the end of the turn)
 * ends it. Callers release what they relayed only after store_commit
 * succeeds, so nothing is shown to anyone that is not on disk.
 *
 * Single-threaded: one struct store is used by one thread. Every function
 * returns 0 on success and -1 on a database error (logged here), unless it
 * says otherwise.
 */
#ifndef NEUVO_STORE_H
#define NEUVO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_NAME_MAX 128      /* advisor display name */
#define STORE_USER_MAX 64       /* advisor username */

/* Open (creating the file, its parent directory and the schema as needed).
 * busy_ms: how long to wait for another process's lock (the admin tool). */
int store_open(const char *path, int busy_ms, struct store **out);

/* Commit any open transaction; then close. NULL is a no-op. */
void store_close(struct store *st);

/* Is a transaction open (something written this turn)? */
bool store_pending(const struct store *st);

/* Commit this turn's transaction, if any. On failure it is rolled back and
 * -1 returned: the caller must not show what it wrote. */
int store_commit(struct store *st);

/* --- chats --- */

/* A new chat; *id is its number (shown to advisors, never secret). */
int store_chat_create(struct store *st, int64_t at, const char *lang,
		      const char *topic, int64_t *id);
int store_chat_taken(struct store *st, int64_t id, int64_t at);
/* A chat handed back to the queue (its advisor left): served again later. */
int store_chat_requeued(struct store *st, int64_t id);
int store_chat_ended(struct store *st, int64_t id, int64_t at, const char *by);
/* Replace the chat's tags. */
int store_chat_tag(struct store *st, int64_t id, const char *const *topics,
		   int n_topics, const char *outcome);
int store_chat_feedback(struct store *st, int64_t id, int rating);

/* Chats left open by a crash or kill: end them as by = "restart". */
int store_close_orphans(struct store *st, int64_t now);

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
};

int store_message_add(struct store *st, int64_t chat_id,
		      const struct store_msg *m);

/* Call fn for each message of a chat in order. fn returns 0 to go on.
 * The strings are valid only during the call. */
int store_messages_each(struct store *st, int64_t chat_id,
			int (*fn)(void *ctx, const struct store_msg *m),
			void *ctx);

/* --- anonymous events (no identifiers): "queue_full", "closed_attempt" --- */

int store_event_add(struct store *st, int64_t at, const char *kind);

/* --- advisor accounts --- */

struct store_advisor {
	int64_t id;
	char username[STORE_USER_MAX];
	char name[STORE_NAME_MAX];
	char phc[160];
	int64_t created_at;
};

/* Returns 0, 1 when the username exists already, or -1. */
int store_advisor_add(struct store *st, const char *username,
		      const char *name, const char *phc, int64_t at);
/* Returns 0 and fills *out, 1 when there is no such advisor, or -1. */
int store_advisor_get(struct store *st, const char *username,
		      struct store_advisor *out);
/* Returns 0, 1 when there is no such advisor, or -1. */
int store_advisor_set_password(struct store *st, const char *username,
			       const char *phc);
int store_advisor_remove(struct store *st, const char *username);
/* Call fn for each advisor by username (phc left empty). */
int store_advisor_each(struct store *st,
		       int (*fn)(void *ctx, const struct store_advisor *a),
		       void *ctx);

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

/* A new request; *id is its row number (never shown to anyone). */
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

/* Checkpoint in TRUNCATE mode: copy the WAL into the file and cut the WAL to
 * zero bytes, so no deleted row survives in it. Never waits: returns 1 when
 * another connection still reads the WAL (nothing is lost; try again later),
 * 0 when the WAL is empty, -1 on error or inside a turn's transaction. */
int store_checkpoint(struct store *st);

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
