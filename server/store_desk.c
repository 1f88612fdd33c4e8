/*
 * store_desk.c - the store's part of the supervisors' desk (store.h,
 * CONTRACT.md section 8): an account's role, a chat's urgent mark, the
 * advisor a transfer hands a chat to, and the desk's internal lines
 * (whispers and transfer notes). Part of the store: see store_internal.h.
 *
 * Whispers live in their own table, never in `messages`: the email copy
 * and the transcript export read messages only, so nothing internal can
 * reach them by mistake. The table references its chat ON DELETE CASCADE,
 * so the purge takes them with the chat.
 */
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

int
store_advisor_set_role(struct store *st, const char *username,
		       bool supervisor)
{
	int n;

	if (store_begin(st) ||
	    store_q_run(st, Q_ADVISOR_ROLE, "ss",
			supervisor ? "supervisor" : "advisor", username)) {
		store_rollback(st);
		return -1;
	}
	n = sqlite3_changes(st->db);
	if (store_commit(st))
		return -1;
	return n ? 0 : 1;
}

int
store_chat_urgent(struct store *st, int64_t id, bool on)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_URGENT, "ii", (int64_t)on, id);
}

int
store_chat_transfer(struct store *st, int64_t id, int64_t advisor_id)
{
	if (store_begin(st))
		return -1;
	return store_q_run(st, Q_CHAT_TRANSFER, "ii", advisor_id, id);
}

static const char *
kind_name(enum store_whisper_kind k)
{
	return k == STORE_NOTE ? "note" : "whisper";
}

int
store_whisper_add(struct store *st, int64_t chat_id,
		  const struct store_whisper *w, int64_t *id)
{
	if (store_begin(st) ||
	    store_q_run(st, Q_WHISPER_ADD, "isssii", chat_id,
			kind_name(w->kind), w->from, w->text, w->at,
			(int64_t)w->redacted))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_whispers_each(struct store *st, int64_t chat_id,
		    int (*fn)(void *ctx, const struct store_whisper *w),
		    void *ctx)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_WHISPERS, "i", chat_id);
	struct store_whisper w;
	int rc;

	if (!s)
		return -1;
	while ((rc = store_q_step(st, Q_WHISPERS, s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);

		w.kind = kind && !strcmp(kind, "note") ? STORE_NOTE
						       : STORE_WHISPER;
		w.from = (const char *)sqlite3_column_text(s, 1);
		w.text = (const char *)sqlite3_column_text(s, 2);
		w.at = sqlite3_column_int64(s, 3);
		w.redacted = sqlite3_column_int(s, 4) != 0;
		w.id = sqlite3_column_int64(s, 5);
		if (!w.from || !w.text) {
			rc = SQLITE_ERROR;
			break;
		}
		if (fn(ctx, &w))
			break;
	}
	store_q_done(st, Q_WHISPERS, s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}
