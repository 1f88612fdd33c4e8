/*
 * store_chats.c - the store's chats and messages (store.h): a chat's life
 * from hello to its end, its tags and rating, the open chats read back
 * after a stop (store_open_chats_each), and the messages with their cids.
 * Part of the store: see store_internal.h.
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

/* ----------------------------------------------------------------- chats */

int
store_chat_add(struct store *st, int64_t at, const char *lang,
	       const char *topic, const uint8_t token[STORE_DIGEST_LEN],
	       int64_t *id)
{
	if (store_begin(st) || store_q_run(st, Q_CHAT_ADD, "issb", at, lang, topic, token))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_chat_create(struct store *st, int64_t at, const char *lang,
		  const char *topic, int64_t *id)
{
	return store_chat_add(st, at, lang, topic, NULL, id);
}

int
store_chat_take(struct store *st, int64_t id, int64_t at, int64_t advisor_id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_TAKE, "iii", at, advisor_id, id);
}

int
store_chat_taken(struct store *st, int64_t id, int64_t at)
{
	return store_chat_take(st, id, at, 0);
}

int
store_chat_requeued(struct store *st, int64_t id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_REQUEUED, "i", id);
}

int
store_chat_ended(struct store *st, int64_t id, int64_t at, const char *by)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_ENDED, "isi", at, by, id);
}

int
store_chat_forget_cids(struct store *st, int64_t id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_FORGET_CIDS, "i", id);
}

int
store_forget_cids_due(struct store *st, int64_t ended_before, int64_t *chats)
{
	*chats = 0;
	if (store_begin(st) ||
	    store_q_run(st, Q_DUE_FORGET_CIDS, "i", ended_before) ||
	    store_q_run(st, Q_DUE_UNKEY, "i", ended_before))
		return -1;
	*chats = sqlite3_changes(st->db);
	return 0;
}

int
store_chat_touch(struct store *st, int64_t id, int64_t at)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_TOUCH, "ii", at, id);
}

int
store_chat_tag(struct store *st, int64_t id, const char *const *topics,
	       int n_topics, const char *outcome)
{
	int i;

	if (store_begin(st) || store_q_run(st, Q_TAG_CLEAR, "i", id) ||
	    store_q_run(st, Q_TAG_OUTCOME, "si", outcome, id))
		return -1;
	for (i = 0; i < n_topics; i++)
		if (store_q_run(st, Q_TAG_ADD, "is", id, topics[i]))
			return -1;
	return 0;
}

int
store_chat_feedback(struct store *st, int64_t id, int rating)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_FEEDBACK, "ii", (int64_t)rating, id);
}

/* End the open chats a stop left (all, or those without a token) with the
 * events the running server would have recorded, and commit. */
static int
close_left_open(struct store *st, int64_t now, bool all)
{
	int64_t flag = all;

	if (store_begin(st) || store_q_run(st, Q_ORPHAN_ENDED, "ii", now, flag) ||
	    store_q_run(st, Q_ORPHAN_ABANDONED, "ii", now, flag) ||
	    store_q_run(st, Q_ORPHAN_FORGET_CIDS, "ii", now, flag) ||
	    store_q_run(st, Q_ORPHAN_UNKEY, "ii", now, flag) ||
	    store_q_run(st, Q_ORPHAN_CLOSE, "ii", now, flag)) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int
store_close_orphans(struct store *st, int64_t now)
{
	return close_left_open(st, now, true);
}

int
store_close_unresumable(struct store *st, int64_t now)
{
	return close_left_open(st, now, false);
}

int
store_recent_handle_time(struct store *st, int n, double *mean_s)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_HANDLE_TIME, "i", (int64_t)n);
	int rc, found = 0;

	if (!s)
		return -1;
	rc = store_q_step(st, Q_HANDLE_TIME, s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*mean_s = sqlite3_column_double(s, 0);
		found = 1;
	}
	store_q_done(st, Q_HANDLE_TIME, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return found;
}

/* ------------------------------------------------- rebuild of open chats */

/* Event rows already given to a chat during one store_open_chats_each. */
struct rowset {
	int64_t *v;
	size_t n, cap;
};

static bool
rowset_has(const struct rowset *r, int64_t row)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i] == row)
			return true;
	return false;
}

static int
rowset_add(struct rowset *r, int64_t row)
{
	int64_t *v;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;

		if (!(v = realloc(r->v, cap * sizeof(*v))))
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = row;
	return 0;
}

/* Give chat c the first event (kind, label) at its start that no chat has
 * yet. None found is no error: the event may never have been stored. */
static int
claim_stat_row(struct store *st, struct store_chat *c, const char *kind,
	       const char *label, struct rowset *used)
{
	sqlite3_stmt *s;
	int64_t row = 0;
	int rc;

	if (c->n_stat_rows >= STORE_STAT_ROWS_MAX)
		return 0;
	s = store_q_prepare(st, Q_STAT_FIND, "iss", c->started_at, kind, label);
	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_STAT_FIND, s)) == SQLITE_ROW) {
		row = sqlite3_column_int64(s, 0);
		if (!rowset_has(used, row))
			break;
	}
	store_q_done(st, Q_STAT_FIND, s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW || rowset_add(used, row))
		return -1;
	c->stat_rows[c->n_stat_rows++] = row;
	return 0;
}

/* A chat's topic and outcome events, as the service recorded them: its
 * tagged topics (else its hello topic) and its outcome, at its start. */
static int
claim_stat_rows(struct store *st, struct store_chat *c, const char *outcome,
		struct rowset *used)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_TOPICS, "i", c->id);
	int rc, n = 0;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_TOPICS, s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		n++;
		if (t && claim_stat_row(st, c, "topic", t, used)) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	store_q_done(st, Q_TOPICS, s);
	if (rc != SQLITE_DONE)
		return -1;
	if (n == 0 && c->topic &&
	    claim_stat_row(st, c, "topic", c->topic, used))
		return -1;
	if (outcome && *outcome &&
	    claim_stat_row(st, c, "outcome", outcome, used))
		return -1;
	return 0;
}

static void
fill_chat(sqlite3_stmt *s, struct store_chat *c)
{
	const void *token = sqlite3_column_blob(s, 1);

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->has_token = token && sqlite3_column_bytes(s, 1) == STORE_DIGEST_LEN;
	if (c->has_token)
		memcpy(c->token, token, STORE_DIGEST_LEN);
	c->lang = (const char *)sqlite3_column_text(s, 2);
	c->topic = (const char *)sqlite3_column_text(s, 3);
	c->started_at = sqlite3_column_int64(s, 4);
	c->state = sqlite3_column_type(s, 5) == SQLITE_NULL
		   ? STORE_CHAT_QUEUED : STORE_CHAT_ACTIVE;
	c->taken_at = sqlite3_column_int64(s, 5);
	c->advisor_id = sqlite3_column_int64(s, 6);
	c->last_activity = sqlite3_column_int64(s, 7);
	c->seq = sqlite3_column_int64(s, 8);
	c->served = sqlite3_column_int(s, 9) != 0;
	c->requeued = sqlite3_column_int(s, 10) != 0;
	c->email_requested = sqlite3_column_int(s, 11) != 0;
	c->rated = sqlite3_column_int(s, 12) != 0;
	c->urgent = sqlite3_column_int(s, 14) != 0;
	c->urgent_counted = sqlite3_column_int(s, 15) != 0;
}

int
store_open_chats_each(struct store *st,
		      int (*fn)(void *ctx, const struct store_chat *c),
		      void *ctx)
{
	struct rowset used = { NULL, 0, 0 };
	struct store_chat c;
	sqlite3_stmt *s = store_q_prepare(st, Q_OPEN_CHATS, "");
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_OPEN_CHATS, s)) == SQLITE_ROW) {
		fill_chat(s, &c);
		if (!c.lang || claim_stat_rows(st, &c, (const char *)
					       sqlite3_column_text(s, 13),
					       &used)) {
			rc = SQLITE_ERROR;
			break;
		}
		if (fn(ctx, &c)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	store_q_done(st, Q_OPEN_CHATS, s);
	free(used.v);
	if (rc != SQLITE_DONE) {
		log_err("store: open chats not all read");
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- messages */

/* Does chat_id hold key `cid` from `from`? 1 yes, 0 no, -1 unknown (a
 * failed read, logged). A walk of the chat's rows (there is no index on
 * cids: see migration 7 in store.c), so the service asks only when its
 * cid set cannot rule the key out. */
static int
holds_key(struct store *st, int64_t chat_id, const char *from,
	  const char *cid)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_MSG_BY_CID, "iss", chat_id,
					  from, cid);
	int rc;

	if (!s)
		return -1;
	rc = store_q_step(st, Q_MSG_BY_CID, s);
	store_q_done(st, Q_MSG_BY_CID, s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_message_put(struct store *st, int64_t chat_id, const struct store_msg *m)
{
	int rc;

	if (store_begin(st))
		return -1;
	if (m->cid && !m->cid_new) {
		rc = holds_key(st, chat_id, m->from, m->cid);
		if (rc)
			return rc;
	}
	return store_q_run(st, Q_MSG_ADD, "iissiis", chat_id, m->seq, m->from,
			   m->text, m->at, (int64_t)m->redacted, m->cid);
}

int
store_message_add(struct store *st, int64_t chat_id, const struct store_msg *m)
{
	struct store_msg keyless = *m;

	keyless.cid = NULL;
	return store_message_put(st, chat_id, &keyless);
}

static void
fill_msg(sqlite3_stmt *s, struct store_msg *m)
{
	m->seq = sqlite3_column_int64(s, 0);
	m->from = (const char *)sqlite3_column_text(s, 1);
	m->text = (const char *)sqlite3_column_text(s, 2);
	m->at = sqlite3_column_int64(s, 3);
	m->redacted = sqlite3_column_int(s, 4) != 0;
	m->cid = (const char *)sqlite3_column_text(s, 5);
}

void
store_msg_release(struct store_msg *m)
{
	if (!m)
		return;
	free((char *)m->from);
	free((char *)m->text);
	free((char *)m->cid);
	memset(m, 0, sizeof(*m));
}

/* The row s stands on, as heap copies in *out (store_msg_release).
 * -1 when out of memory (logged; *out then empty). */
static int
copy_msg(sqlite3_stmt *s, struct store_msg *out)
{
	struct store_msg m;

	fill_msg(s, &m);
	*out = m;
	out->from = m.from ? strdup(m.from) : NULL;
	out->text = m.text ? strdup(m.text) : NULL;
	out->cid = m.cid ? strdup(m.cid) : NULL;
	if (!out->from || !out->text || (m.cid && !out->cid)) {
		log_err("store: out of memory reading a message");
		store_msg_release(out);
		return -1;
	}
	return 0;
}

/* Step s, prepared for query q, to its one row, as store_message_by_cid
 * gives it: 0 and *out filled, 1 when there is none, or -1. */
static int
read_msg(struct store *st, enum query q, sqlite3_stmt *s,
	 struct store_msg *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	rc = store_q_step(st, q, s);
	if (rc == SQLITE_ROW)
		rc = copy_msg(s, out) ? SQLITE_NOMEM : SQLITE_ROW;
	store_q_done(st, q, s);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_message_by_cid(struct store *st, int64_t chat_id, const char *from,
		     const char *cid, struct store_msg *out)
{
	return read_msg(st, Q_MSG_BY_CID, store_q_prepare(st, Q_MSG_BY_CID,
			"iss", chat_id, from, cid), out);
}

int
store_message_at(struct store *st, int64_t chat_id, int64_t seq,
		 struct store_msg *out)
{
	return read_msg(st, Q_MSG_AT, store_q_prepare(st, Q_MSG_AT, "ii",
			chat_id, seq), out);
}

int
store_message_keys_each(struct store *st, int64_t chat_id,
			int (*fn)(void *ctx, const char *from, const char *cid,
				  int64_t seq),
			void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_MSG_KEYS, "i", chat_id);
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_MSG_KEYS, s)) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(s, 0);
		const char *cid = (const char *)sqlite3_column_text(s, 1);

		if (!from || !cid) {
			log_err("store: message keys: out of memory");
			rc = SQLITE_NOMEM;
			break;
		}
		if (fn(ctx, from, cid, sqlite3_column_int64(s, 2))) {
			rc = SQLITE_ROW;
			break;
		}
	}
	store_q_done(st, Q_MSG_KEYS, s);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_ROW ? 1 : -1;
}

int
store_messages_each(struct store *st, int64_t chat_id,
		    int (*fn)(void *ctx, const struct store_msg *m), void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_MSGS, "i", chat_id);
	struct store_msg m;
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_MSGS, s)) == SQLITE_ROW) {
		fill_msg(s, &m);
		if (!m.from || !m.text || fn(ctx, &m))
			break;
	}
	store_q_done(st, Q_MSGS, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_chat_usage(struct store *st, int64_t chat_id, int64_t *chars,
		 int64_t *resident_tail)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_CHAT_USAGE, "i", chat_id);
	int rc;

	*chars = *resident_tail = 0;
	if (!s)
		return -1;
	rc = store_q_step(st, Q_CHAT_USAGE, s);
	if (rc == SQLITE_ROW) {
		*chars = sqlite3_column_int64(s, 0);
		*resident_tail = sqlite3_column_int64(s, 1);
	}
	store_q_done(st, Q_CHAT_USAGE, s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_event_add(struct store *st, int64_t at, const char *kind)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_EVENT_ADD, "is", at, kind);
}
