/*
 * store_records.c - the store's other records (store.h): advisor accounts
 * and their tokens, the anonymous statistics events, transcripts for
 * export, the purge, and the email outbox. Part of the store: see
 * store_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "auth.h"
#include "log.h"
#include "protocol.h"
#include "store.h"
#include "store_internal.h"

/* ------------------------------------------------------ advisor accounts */

int
store_advisor_add(struct store *st, const char *username, const char *name,
		  const char *phc, int64_t at)
{
	return store_advisor_add_role(st, username, name, phc, at, false);
}

int
store_advisor_add_role(struct store *st, const char *username,
		       const char *name, const char *phc, int64_t at,
		       bool supervisor)
{
	struct store_advisor a;
	int rc = store_advisor_get(st, username, &a);

	if (rc <= 0)
		return rc == 0 ? 1 : -1;
	if (store_begin(st) ||
	    store_q_run(st, Q_ADVISOR_ADD, "sssis", username, name, phc, at,
			supervisor ? "supervisor" : "advisor")) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

static void
copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t ? t : "");
}

/* Is the role in column col "supervisor"? */
static bool
is_supervisor(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return t && !strcmp(t, "supervisor");
}

/* One advisor row of Q_ADVISOR_GET or Q_ADVISOR_BY_ID. */
static int
read_advisor(struct store *st, enum query q, sqlite3_stmt *s,
	     struct store_advisor *out)
{
	int rc;

	if (!s)
		return -1;
	rc = store_q_step(st, q, s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		copy_col(out->username, sizeof(out->username), s, 1);
		copy_col(out->name, sizeof(out->name), s, 2);
		copy_col(out->phc, sizeof(out->phc), s, 3);
		out->created_at = sqlite3_column_int64(s, 4);
		out->supervisor = is_supervisor(s, 5);
	}
	store_q_done(st, q, s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_advisor_get(struct store *st, const char *username,
		  struct store_advisor *out)
{
	return read_advisor(st, Q_ADVISOR_GET,
			    store_q_prepare(st, Q_ADVISOR_GET, "s", username), out);
}

int
store_advisor_by_id(struct store *st, int64_t id, struct store_advisor *out)
{
	return read_advisor(st, Q_ADVISOR_BY_ID,
			    store_q_prepare(st, Q_ADVISOR_BY_ID, "i", id), out);
}

/* A change to one account (q with its parameters phc?, username) and the
 * end of all its tokens, in one transaction, committed. Returns 0, 1 when
 * there is no such account, or -1. */
static int
change_advisor(struct store *st, enum query q, const char *phc,
	       const char *username)
{
	int n;

	/* The tokens go first: the lookup by username needs the row. */
	if (store_begin(st) || store_q_run(st, Q_TOKENS_OF_USER, "s", username) ||
	    (phc ? store_q_run(st, q, "ss", phc, username)
		 : store_q_run(st, q, "s", username))) {
		store_rollback(st);
		return -1;
	}
	n = sqlite3_changes(st->db);
	if (store_commit(st))
		return -1;
	return n ? 0 : 1;
}

int
store_advisor_set_password(struct store *st, const char *username,
			   const char *phc)
{
	return change_advisor(st, Q_ADVISOR_PASSWD, phc, username);
}

int
store_advisor_remove(struct store *st, const char *username)
{
	return change_advisor(st, Q_ADVISOR_REMOVE, NULL, username);
}

int
store_advisor_each(struct store *st,
		   int (*fn)(void *ctx, const struct store_advisor *a),
		   void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_ADVISOR_EACH, "");
	struct store_advisor a;
	int rc;

	if (!s)
		return -1;
	memset(&a, 0, sizeof(a));
	while ((rc = store_q_step(st, Q_ADVISOR_EACH, s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		copy_col(a.username, sizeof(a.username), s, 1);
		copy_col(a.name, sizeof(a.name), s, 2);
		a.created_at = sqlite3_column_int64(s, 3);
		a.supervisor = is_supervisor(s, 4);
		if (fn(ctx, &a))
			break;
	}
	store_q_done(st, Q_ADVISOR_EACH, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* -------------------------------------------------------- advisor tokens */

int
store_advisor_token_add(struct store *st,
			const uint8_t digest[STORE_DIGEST_LEN],
			int64_t account_id, int64_t issued_at,
			int64_t expires_at)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_TOKEN_ADD, "biii", digest, account_id, issued_at,
		   expires_at);
}

int
store_advisor_token_get(struct store *st,
			const uint8_t digest[STORE_DIGEST_LEN], int64_t now,
			struct store_token *out)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_TOKEN_GET, "bi", digest, now);
	int rc;

	if (!s)
		return -1;
	rc = store_q_step(st, Q_TOKEN_GET, s);
	if (rc == SQLITE_ROW && out) {
		out->account_id = sqlite3_column_int64(s, 0);
		out->issued_at = sqlite3_column_int64(s, 1);
		out->expires_at = sqlite3_column_int64(s, 2);
	}
	store_q_done(st, Q_TOKEN_GET, s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_advisor_token_delete(struct store *st,
			   const uint8_t digest[STORE_DIGEST_LEN])
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_TOKEN_DELETE, "b", digest);
}

int
store_advisor_tokens_revoke(struct store *st, int64_t account_id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_TOKENS_REVOKE, "i", account_id);
}

int
store_advisor_tokens_expire(struct store *st, int64_t now, int64_t *deleted)
{
	*deleted = 0;
	if (store_begin(st) || store_q_run(st, Q_TOKENS_EXPIRE, "i", now))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

/* ---------------------------------------------------------------- stats */

int
store_stat_add(struct store *st, int64_t at, const char *kind, int64_t value,
	       const char *label, int64_t *row)
{
	if (store_begin(st) || store_q_run(st, Q_STAT_ADD, "isis", at, kind, value, label))
		return -1;
	if (row)
		*row = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_stat_remove(struct store *st, int64_t row)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_STAT_REMOVE, "i", row);
}

/* The one number of a count(*) statement. */
static int
count(struct store *st, enum query q, sqlite3_stmt *s, int64_t *n)
{
	int rc;

	if (!s)
		return -1;
	rc = store_q_step(st, q, s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_q_done(st, q, s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_stat_count(struct store *st, const char *kind, int64_t from, int64_t to,
		 int64_t *n)
{
	return count(st, Q_STAT_COUNT,
		     store_q_prepare(st, Q_STAT_COUNT, "sii", kind, from, to), n);
}

int
store_stats_each(struct store *st, int64_t from, int64_t to,
		 int (*fn)(void *ctx, const struct store_stat *e), void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_STATS, "ii", from, to);
	struct store_stat e;
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_STATS, s)) == SQLITE_ROW) {
		e.at = sqlite3_column_int64(s, 0);
		e.kind = (const char *)sqlite3_column_text(s, 1);
		e.value = sqlite3_column_int64(s, 2);
		e.label = (const char *)sqlite3_column_text(s, 3);
		if (!e.kind)
			continue;
		if (fn(ctx, &e))
			break;
	}
	store_q_done(st, Q_STATS, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The tagged topics of a chat, or its hello topic when it has none. */
static json_t *
chat_topics(struct store *st, int64_t id, const char *hello_topic)
{
	json_t *arr = json_array();
	sqlite3_stmt *s = store_q_prepare(st, Q_TOPICS, "i", id);
	int rc;

	if (!arr || !s) {
		store_q_done(st, Q_TOPICS, s);
		json_decref(arr);
		return NULL;
	}
	while ((rc = store_q_step(st, Q_TOPICS, s)) == SQLITE_ROW)
		if (json_array_append_new(arr, json_string((const char *)
					  sqlite3_column_text(s, 0))))
			break;
	store_q_done(st, Q_TOPICS, s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		if (rc == SQLITE_ROW)
			log_err("store: topics: out of memory");
		return NULL;
	}
	if (json_array_size(arr) == 0 && hello_topic &&
	    json_array_append_new(arr, json_string(hello_topic))) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static void
fill_transcript(struct store *st, sqlite3_stmt *s, struct store_transcript *t)
{
	t->id = sqlite3_column_int64(s, 0);
	t->started_at = sqlite3_column_int64(s, 1);
	t->lang = (const char *)sqlite3_column_text(s, 2);
	t->taken_at = sqlite3_column_type(s, 4) == SQLITE_NULL
		      ? -1 : sqlite3_column_int64(s, 4);
	t->ended_at = sqlite3_column_type(s, 5) == SQLITE_NULL
		      ? -1 : sqlite3_column_int64(s, 5);
	t->outcome = (const char *)sqlite3_column_text(s, 6);
	t->topics = chat_topics(st, t->id,
				(const char *)sqlite3_column_text(s, 3));
}

int
store_transcripts_each(struct store *st, int64_t from, int64_t to,
		       int (*fn)(void *ctx, const struct store_transcript *t),
		       void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_TRANSCRIPTS, "ii", from, to);
	struct store_transcript t;
	int rc, stop = 0;

	if (!s)
		return -1;
	while (!stop && (rc = store_q_step(st, Q_TRANSCRIPTS, s)) == SQLITE_ROW) {
		fill_transcript(st, s, &t);
		if (!t.topics || !t.lang) {
			json_decref(t.topics);
			store_q_done(st, Q_TRANSCRIPTS, s);
			return -1;
		}
		stop = fn(ctx, &t);
		json_decref(t.topics);
	}
	store_q_done(st, Q_TRANSCRIPTS, s);
	if (stop)
		return stop < 0 ? -1 : 0;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_purge(struct store *st, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	if (store_begin(st) || store_q_run(st, Q_PURGE, "i", before))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

/* --------------------------------------------------------------- outbox */

int
store_outbox_add(struct store *st, int64_t chat_id, const char *addr,
		 const char *lang, int64_t at, int64_t *id)
{
	if (store_begin(st) ||
	    store_q_run(st, Q_OUTBOX_ADD, "issi", chat_id, addr, lang, at))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return store_q_run(st, Q_OUTBOX_ASKED, "i", chat_id);
}

int
store_outbox_set_message(struct store *st, int64_t id, const char *message)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_OUTBOX_SET_MESSAGE, "si", message, id);
}

int
store_outbox_retry(struct store *st, int64_t id, int attempts,
		   int64_t next_at)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_OUTBOX_RETRY, "iii", (int64_t)attempts, next_at, id);
}

int
store_outbox_delete(struct store *st, int64_t id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_OUTBOX_DELETE, "i", id);
}

int
store_outbox_expire(struct store *st, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	if (store_begin(st) || store_q_run(st, Q_OUTBOX_EXPIRE, "i", before))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

int
store_outbox_count(struct store *st, int64_t *n)
{
	return count(st, Q_OUTBOX_COUNT, store_q_prepare(st, Q_OUTBOX_COUNT, ""), n);
}

static void
fill_outbox(sqlite3_stmt *s, struct store_outbox *o)
{
	o->id = sqlite3_column_int64(s, 0);
	o->chat_id = sqlite3_column_int64(s, 1);
	o->addr = (const char *)sqlite3_column_text(s, 2);
	o->lang = (const char *)sqlite3_column_text(s, 3);
	o->created_at = sqlite3_column_int64(s, 4);
	o->message = (const char *)sqlite3_column_text(s, 5);
	o->attempts = sqlite3_column_int(s, 6);
	o->next_at = sqlite3_column_int64(s, 7);
}

int
store_outbox_each(struct store *st, int64_t due,
		  int (*fn)(void *ctx, const struct store_outbox *o),
		  void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_OUTBOX_EACH, "i", due);
	struct store_outbox o;
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_OUTBOX_EACH, s)) == SQLITE_ROW) {
		fill_outbox(s, &o);
		if (!o.addr || !o.lang)
			continue;
		if (fn(ctx, &o))
			break;
	}
	store_q_done(st, Q_OUTBOX_EACH, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_autocheckpoint(struct store *st, int pages)
{
	return sqlite3_wal_autocheckpoint(st->db, pages) == SQLITE_OK
	       ? 0 : store_fail(st, "autocheckpoint");
}

/* No busy wait here: a reader (neuvo-admin stats, say) may hold the WAL for
 * a while, and the event loop must not stall on it. The caller tries again. */
int
store_checkpoint(struct store *st)
{
	int rc;

	if (st->in_tx)
		return -1;
	sqlite3_busy_timeout(st->db, 0);
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL,
				       SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(st->db, st->busy_ms);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 1;
	if (rc != SQLITE_OK)
		return store_fail(st, "WAL checkpoint");
	return 0;
}
