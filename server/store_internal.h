/*
 * store_internal.h - private to the store's files (store.c, store_chats.c,
 * store_records.c): the connection, the table of statements and the few
 * helpers every SQL-speaking function uses. Nothing else includes it; the
 * rest of the program sees store.h only.
 *
 *   store.c          open and close, the schema and its migrations, the
 *                    statements, the turn's transaction, errors, checkpoint
 *   store_chats.c    chats, their rebuild after a stop, and messages
 *   store_records.c  advisor accounts and tokens, statistics events,
 *                    transcripts, purge and the email outbox
 *   store_desk.c     the supervisors' desk: roles, urgent marks,
 *                    transfers, whispers and transfer notes
 *   store_questions.c  questions left while closed and their answers
 *
 * Single-threaded, like struct store itself.
 */
#ifndef NEUVO_STORE_INTERNAL_H
#define NEUVO_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* Every statement of the store; its SQL is in store.c's `queries`. */
enum query {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_PROBE,
	Q_DATA_VERSION,
	Q_CHAT_ADD,
	Q_CHAT_TAKE,
	Q_CHAT_REQUEUED,
	Q_CHAT_ENDED,
	Q_CHAT_FORGET_CIDS,
	Q_DUE_FORGET_CIDS,
	Q_DUE_UNKEY,
	Q_CHAT_TOUCH,
	Q_CHAT_FEEDBACK,
	Q_TAG_CLEAR,
	Q_TAG_OUTCOME,
	Q_TAG_ADD,
	Q_ORPHAN_ENDED,
	Q_ORPHAN_ABANDONED,
	Q_ORPHAN_FORGET_CIDS,
	Q_ORPHAN_UNKEY,
	Q_ORPHAN_CLOSE,
	Q_OPEN_CHATS,
	Q_STAT_FIND,
	Q_HANDLE_TIME,
	Q_MSG_ADD,
	Q_MSG_BY_CID,
	Q_MSG_KEYS,
	Q_MSG_AT,
	Q_MSGS,
	Q_EVENT_ADD,
	Q_ADVISOR_ADD,
	Q_ADVISOR_GET,
	Q_ADVISOR_BY_ID,
	Q_ADVISOR_PASSWD,
	Q_ADVISOR_REMOVE,
	Q_ADVISOR_EACH,
	Q_TOKENS_OF_USER,
	Q_TOKEN_ADD,
	Q_TOKEN_GET,
	Q_TOKEN_DELETE,
	Q_TOKENS_REVOKE,
	Q_TOKENS_EXPIRE,
	Q_STAT_ADD,
	Q_STAT_REMOVE,
	Q_STAT_COUNT,
	Q_STATS,
	Q_TOPICS,
	Q_TRANSCRIPTS,
	Q_PURGE,
	Q_OUTBOX_ADD,
	Q_OUTBOX_ASKED,
	Q_OUTBOX_SET_MESSAGE,
	Q_OUTBOX_RETRY,
	Q_OUTBOX_DELETE,
	Q_OUTBOX_EXPIRE,
	Q_OUTBOX_COUNT,
	Q_OUTBOX_EACH,
	Q_CHAT_USAGE,
	Q_ADVISOR_ROLE,
	Q_CHAT_URGENT,
	Q_CHAT_TRANSFER,
	Q_WHISPER_ADD,
	Q_WHISPERS,
	Q_QUESTION_ADD,
	Q_QUESTION_BY_CODE,
	Q_QUESTION_GET,
	Q_QUESTION_ANSWER,
	Q_QUESTIONS_OPEN,
	Q_QUESTIONS_OPEN_COUNT,
	Q_QUESTIONS_EXPIRE,
	Q_N
};

/* One per open database; owned by whoever called store_open. */
struct store {
	sqlite3 *db;
	bool in_tx;             /* a turn's transaction is open */
	bool tx_failed;         /* a statement failed inside it */
	int busy_ms;            /* the busy timeout given to store_open */
	enum store_error err;   /* latest failure since the last good commit */
	bool seen_version;      /* data_version read once */
	int64_t data_version;   /* as last read by store_changed_elsewhere */
	sqlite3_stmt *stmts[Q_N]; /* prepared on first use, owned here */
};

/* A statement's short name, for log lines. */
const char *store_query_name(enum query q);

/* Log the connection's latest error (as "store: what: ...") and keep its
 * kind for store_last_error. Returns -1. */
int store_fail(struct store *st, const char *what);

/* The statement q with its parameters bound from fmt ('i' int64, 's' text
 * or NULL, 'b' a STORE_DIGEST_LEN digest or NULL; nothing copied), or NULL
 * (logged). The caller steps it and then calls store_q_done. */
sqlite3_stmt *store_q_prepare(struct store *st, enum query q,
			      const char *fmt, ...);

/* Done with a statement from store_q_prepare (reset, or finalized when it
 * was a nested one of its own). NULL is a no-op. */
void store_q_done(struct store *st, enum query q, sqlite3_stmt *s);

/* Run a statement that returns no rows: 0, or -1 (logged). */
int store_q_run(struct store *st, enum query q, const char *fmt, ...);

/* Step a statement read to its end by the caller: SQLITE_ROW and
 * SQLITE_DONE pass, anything else is logged. Returns sqlite3_step's code. */
int store_q_step(struct store *st, enum query q, sqlite3_stmt *s);

/* Open the turn's transaction on the first write: 0, or -1 when a write
 * earlier in the turn made SQLite undo it (or BEGIN failed). */
int store_begin(struct store *st);

/* Undo what is open, if SQLite has not done so already. */
void store_rollback(struct store *st);

#endif
