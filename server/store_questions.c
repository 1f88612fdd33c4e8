/*
 * store_questions.c - the questions left while closed and their answers
 * (store.h, CONTRACT.md section 9): the SQL behind questions.c.
 *
 * What is kept of a question is listed in store.h; the pickup code itself
 * never reaches this file, only its digest. secure_delete is on for the
 * whole store, so an expired row, or the email address an answer clears,
 * is overwritten in the file; the service checkpoints the WAL after such
 * a commit.
 */
#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

int
store_question_add(struct store *st, const uint8_t code[STORE_DIGEST_LEN],
		   const char *text, const char *lang, int64_t asked_at,
		   const char *email, int64_t *id)
{
	if (store_begin(st) ||
	    store_q_run(st, Q_QUESTION_ADD, "bssis", code, text, lang,
			asked_at, email))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Step a one-row lookup and hand its row to fill and fn. */
static int
lookup_one(struct store *st, enum query q, sqlite3_stmt *s,
	   void (*fill)(sqlite3_stmt *s, struct store_question *out),
	   void (*fn)(void *ctx, const struct store_question *q), void *ctx)
{
	struct store_question row = { 0 };
	int rc;

	if (!s)
		return -1;
	rc = store_q_step(st, q, s);
	if (rc == SQLITE_ROW) {
		fill(s, &row);
		if (row.text && row.lang)
			fn(ctx, &row);
	}
	store_q_done(st, q, s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
fill_by_code(sqlite3_stmt *s, struct store_question *q)
{
	q->text = (const char *)sqlite3_column_text(s, 0);
	q->lang = "";
	q->answer = (const char *)sqlite3_column_text(s, 1);
	q->answered_at = sqlite3_column_int64(s, 2);
}

int
store_question_by_code(struct store *st,
		       const uint8_t code[STORE_DIGEST_LEN], int64_t since,
		       void (*fn)(void *ctx, const struct store_question *q),
		       void *ctx)
{
	return lookup_one(st, Q_QUESTION_BY_CODE,
			  store_q_prepare(st, Q_QUESTION_BY_CODE, "bi", code,
					  since),
			  fill_by_code, fn, ctx);
}

static void
fill_get(sqlite3_stmt *s, struct store_question *q)
{
	q->asked_at = sqlite3_column_int64(s, 0);
	q->answer = sqlite3_column_int(s, 1) ? "" : NULL;
	q->lang = (const char *)sqlite3_column_text(s, 2);
	q->text = (const char *)sqlite3_column_text(s, 3);
	q->email = (const char *)sqlite3_column_text(s, 4);
}

int
store_question_get(struct store *st, int64_t id, int64_t since,
		   void (*fn)(void *ctx, const struct store_question *q),
		   void *ctx)
{
	return lookup_one(st, Q_QUESTION_GET,
			  store_q_prepare(st, Q_QUESTION_GET, "ii", id, since),
			  fill_get, fn, ctx);
}

int
store_question_answer(struct store *st, int64_t id, const char *answer,
		      int64_t at)
{
	if (store_begin(st) ||
	    store_q_run(st, Q_QUESTION_ANSWER, "sii", answer, at, id))
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int
store_questions_open_each(struct store *st, int64_t since,
			  int (*fn)(void *ctx, const struct store_question *q),
			  void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_QUESTIONS_OPEN, "ii", since,
					  (int64_t)STORE_QUESTIONS_MAX_LIST);
	struct store_question q = { 0 };
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_QUESTIONS_OPEN, s)) == SQLITE_ROW) {
		q.id = sqlite3_column_int64(s, 0);
		q.text = (const char *)sqlite3_column_text(s, 1);
		q.lang = (const char *)sqlite3_column_text(s, 2);
		q.asked_at = sqlite3_column_int64(s, 3);
		if (!q.text || !q.lang)
			continue;
		if (fn(ctx, &q))
			break;
	}
	store_q_done(st, Q_QUESTIONS_OPEN, s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_questions_open_count(struct store *st, int64_t since, int64_t *n)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_QUESTIONS_OPEN_COUNT, "i",
					  since);
	int rc;

	*n = 0;
	if (!s)
		return -1;
	rc = store_q_step(st, Q_QUESTIONS_OPEN_COUNT, s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_q_done(st, Q_QUESTIONS_OPEN_COUNT, s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_questions_expire(struct store *st, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	if (store_begin(st) ||
	    store_q_run(st, Q_QUESTIONS_EXPIRE, "i", before))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}
