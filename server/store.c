/*
 * store.c - the SQLite store (see store.h for the contract): opening the
 * file, the schema, the statements, the turn's transaction and errors. The
 * chats and messages are in store_chats.c, the other records in
 * store_records.c (store_internal.h says who owns what).
 *
 * Schema changes go through the `migrations` array: each entry runs once,
 * in order, and PRAGMA user_version records how far a file has come, so an
 * old database is brought up to date on open and never recreated.
 *
 * Every statement lives in the `queries` table and is prepared once, on
 * first use, with SQLITE_PREPARE_PERSISTENT; after each use it is reset and
 * its bindings cleared, so no statement holds a read snapshot or a pointer
 * between calls. Text is bound without a copy (SQLITE_STATIC) for that
 * reason: the caller's strings outlive the call that binds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "auth.h"
#include "log.h"
#include "protocol.h"
#include "store.h"
#include "store_internal.h"

_Static_assert(STORE_DIGEST_LEN == AUTH_DIGEST_LEN,
	       "a stored digest is an auth digest");
_Static_assert(STORE_STAT_ROWS_MAX == PROTO_MAX_TOPICS + 1,
	       "a chat's events: its topics and one outcome");



static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE advisors ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  phc TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE chats ("
	"  id INTEGER PRIMARY KEY,"
	"  started_at INTEGER NOT NULL,"
	"  lang TEXT NOT NULL,"
	"  topic TEXT,"
	"  taken_at INTEGER,"
	"  ended_at INTEGER,"
	"  ended_by TEXT,"
	"  outcome TEXT,"
	"  rating INTEGER);"
	"CREATE INDEX chats_started ON chats(started_at);"
	"CREATE TABLE messages ("
	"  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  redacted INTEGER NOT NULL,"
	"  PRIMARY KEY (chat_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE chat_topics ("
	"  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,"
	"  topic TEXT NOT NULL,"
	"  PRIMARY KEY (chat_id, topic)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL);"
	"CREATE INDEX events_at ON events(at);",
	/* stats: events carry a number (wait, duration, rating) and a label
	 * (language, topic, outcome, who ended): still no identifier. */
	"ALTER TABLE events ADD COLUMN value INTEGER;"
	"ALTER TABLE events ADD COLUMN label TEXT;",
	/* email copies waiting to be handed to the SMTP server (issue 5):
	 * the only place an address is ever written, deleted at hand-over or
	 * give-up. message is NULL until the chat has ended. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  chat_id INTEGER NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  lang TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  message TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL DEFAULT 0);",
	/* restarts lose nobody (issue 13): what the server needs to rebuild
	 * its queue and chats after any stop. token is the resident token's
	 * digest while the chat is open; advisor_id the account that has it
	 * while active; served/requeued/email_requested flags the running
	 * server kept in memory; last_activity a sign of life that is not a
	 * message. cid: the sender's key of a message, at most once per chat
	 * and sender, so a resend is never stored twice. advisor_tokens: the
	 * digests of advisor tokens. health: one row store_probe rewrites. */
	"ALTER TABLE chats ADD COLUMN token BLOB;"
	"ALTER TABLE chats ADD COLUMN advisor_id INTEGER;"
	"ALTER TABLE chats ADD COLUMN last_activity INTEGER;"
	"ALTER TABLE chats ADD COLUMN served INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE chats ADD COLUMN requeued INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE chats ADD COLUMN email_requested INTEGER NOT NULL "
	"  DEFAULT 0;"
	"UPDATE chats SET served = 1 WHERE taken_at IS NOT NULL;"
	"UPDATE chats SET email_requested = 1 "
	"  WHERE id IN (SELECT chat_id FROM outbox);"
	"CREATE INDEX chats_open ON chats(started_at, id) "
	"  WHERE ended_at IS NULL;"
	"ALTER TABLE messages ADD COLUMN cid TEXT;"
	"CREATE UNIQUE INDEX messages_cid ON messages(chat_id, sender, cid) "
	"  WHERE cid IS NOT NULL;"
	"CREATE TABLE advisor_tokens ("
	"  digest BLOB PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES advisors(id) "
	"    ON DELETE CASCADE,"
	"  issued_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX advisor_tokens_account ON advisor_tokens(account_id);"
	"CREATE TABLE health ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL);"
	"INSERT INTO health (id, at) VALUES (1, 0);",
	/* supervisors (issue 15, CONTRACT.md section 8): an account's role; a
	 * chat's urgent mark and whether its day has counted it (both kept
	 * across restarts); whispers and transfer notes (kind), internal to
	 * the desk: never the resident's, the copy's or the export's, and
	 * deleted with their chat by the purge. sender is the display name
	 * of the supervisor or advisor who wrote it. */
	"ALTER TABLE advisors ADD COLUMN role TEXT NOT NULL DEFAULT 'advisor' "
	"  CHECK (role IN ('advisor', 'supervisor'));"
	"ALTER TABLE chats ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE chats ADD COLUMN urgent_counted INTEGER NOT NULL "
	"  DEFAULT 0;"
	"CREATE TABLE whispers ("
	"  id INTEGER PRIMARY KEY,"
	"  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  redacted INTEGER NOT NULL);"
	"CREATE INDEX whispers_chat ON whispers(chat_id);",
	/* questions left while closed (CONTRACT.md section 9): code is the
	 * pickup code's digest (qcode.h), never the code; text and answer are
	 * redacted; email is the address for a one-time copy of the answer,
	 * cleared when the answer goes to the outbox. Rows go question_days
	 * after asked_at (store_questions.c). */
	"CREATE TABLE questions ("
	"  id INTEGER PRIMARY KEY,"
	"  code BLOB NOT NULL UNIQUE,"
	"  text TEXT NOT NULL,"
	"  lang TEXT NOT NULL,"
	"  asked_at INTEGER NOT NULL,"
	"  answer TEXT,"
	"  answered_at INTEGER,"
	"  email TEXT);"
	"CREATE INDEX questions_asked ON questions(asked_at);",
	/* messages in arrival order (issue 14, docs/capacity.md 2.0i). Kept
	 * by (chat_id, seq) and with a unique index on the cids, each message
	 * landed on its chat's own leaf of two B-trees: two pages or more a
	 * message in every commit, most of what a busy turn wrote and synced.
	 * Now rows append at one end of the table, and the one index, on
	 * (chat_id, seq), finds a chat's rows and keeps seq unique in it. A
	 * cid is kept at most once per chat and sender by store_message_put,
	 * which looks it up unless the service vouches that it is new (a
	 * chat's cid set, cidset.h, knows every key its chat stored).
	 * keyed: 1 while the chat's messages may hold cids, 2 once they are
	 * to go (store_chat_forget_cids), 0 when they are gone
	 * (store_forget_cids_due clears many chats' at once, since chats that
	 * ran at the same time share pages); so a start finds the cids to
	 * forget without reading every message. The rows keep their order: by
	 * chat, then seq. */
	"CREATE TABLE messages_by_arrival ("
	"  id INTEGER PRIMARY KEY,"
	"  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  redacted INTEGER NOT NULL,"
	"  cid TEXT);"
	"INSERT INTO messages_by_arrival (chat_id, seq, sender, text, at, "
	"  redacted, cid) SELECT chat_id, seq, sender, text, at, redacted, "
	"  cid FROM messages ORDER BY chat_id, seq;"
	"ALTER TABLE chats ADD COLUMN keyed INTEGER NOT NULL DEFAULT 1;"
	"UPDATE chats SET keyed = 0 WHERE ended_at IS NOT NULL AND id NOT IN "
	"  (SELECT chat_id FROM messages WHERE cid IS NOT NULL);"
	"DROP TABLE messages;"
	"ALTER TABLE messages_by_arrival RENAME TO messages;"
	"CREATE UNIQUE INDEX messages_chat ON messages(chat_id, seq);"
	"CREATE INDEX chats_keyed ON chats(keyed);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* A chat's last sign of life: its start, take, last message or touch. */
#define LAST_SIGN \
	"max(started_at, coalesce(taken_at, 0), coalesce(last_activity, 0), " \
	"coalesce((SELECT max(m.at) FROM messages m " \
	"WHERE m.chat_id = chats.id), 0))"

/* Open chats a stop left: all of them (?2 = 1) or those without a token. */
#define ORPHANS \
	"FROM chats WHERE ended_at IS NULL AND (?2 OR token IS NULL)"

/* Keyed chats nothing resumes now: ended, or every one (?2 = 1), or
 * without a token. */
#define ORPHAN_KEYED \
	"keyed > 0 AND (ended_at IS NOT NULL OR ?2 OR token IS NULL)"

/* Chats whose cids are to go: named, or ended before ?1 (a name lost
 * with a failed commit). */
#define DUE_KEYED \
	"keyed = 2 OR (keyed = 1 AND ended_at < ?1)"

/* Every statement, by what it does (the name is for the log). */
static const struct {
	const char *name;
	const char *sql;
} queries[Q_N] = {
	[Q_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
	[Q_COMMIT] = {"commit", "COMMIT"},
	[Q_ROLLBACK] = {"rollback", "ROLLBACK"},
	[Q_PROBE] = {"probe", "UPDATE health SET at = ? WHERE id = 1"},
	[Q_DATA_VERSION] = {"data version", "PRAGMA data_version"},
	[Q_CHAT_ADD] = {"chat add",
		"INSERT INTO chats (started_at, lang, topic, token) "
		"VALUES (?, ?, ?, ?)"},
	[Q_CHAT_TAKE] = {"chat take",
		"UPDATE chats SET taken_at = ?1, advisor_id = nullif(?2, 0), "
		"served = 1 WHERE id = ?3"},
	[Q_CHAT_REQUEUED] = {"chat requeue",
		"UPDATE chats SET taken_at = NULL, advisor_id = NULL, "
		"requeued = 1 WHERE id = ?"},
	[Q_CHAT_ENDED] = {"chat end",
		"UPDATE chats SET ended_at = ?, ended_by = ?, token = NULL, "
		"advisor_id = NULL WHERE id = ?"},
	[Q_CHAT_FORGET_CIDS] = {"chat forget cids",
		"UPDATE chats SET keyed = 2 WHERE id = ? AND keyed > 0"},
	[Q_DUE_FORGET_CIDS] = {"due forget cids",
		"UPDATE messages SET cid = NULL WHERE cid IS NOT NULL AND "
		"chat_id IN (SELECT id FROM chats WHERE " DUE_KEYED ")"},
	[Q_DUE_UNKEY] = {"due unkey",
		"UPDATE chats SET keyed = 0 WHERE " DUE_KEYED},
	[Q_CHAT_TOUCH] = {"chat touch",
		"UPDATE chats SET last_activity = "
		"max(coalesce(last_activity, 0), ?) WHERE id = ?"},
	[Q_CHAT_FEEDBACK] = {"feedback",
		"UPDATE chats SET rating = ? WHERE id = ?"},
	[Q_TAG_CLEAR] = {"tag clear",
		"DELETE FROM chat_topics WHERE chat_id = ?"},
	[Q_TAG_OUTCOME] = {"tag outcome",
		"UPDATE chats SET outcome = ? WHERE id = ?"},
	[Q_TAG_ADD] = {"tag add",
		"INSERT OR IGNORE INTO chat_topics (chat_id, topic) "
		"VALUES (?, ?)"},
	[Q_ORPHAN_ENDED] = {"orphan ended events",
		"INSERT INTO events (at, kind, value, label) "
		"SELECT e, 'ended', max(e - taken_at, 0), 'restart' FROM "
		"(SELECT taken_at, min(?1, " LAST_SIGN ") AS e " ORPHANS
		" AND taken_at IS NOT NULL)"},
	[Q_ORPHAN_ABANDONED] = {"orphan abandoned events",
		"INSERT INTO events (at, kind, value, label) "
		"SELECT e, 'abandoned', max(e - started_at, 0), 'restart' FROM "
		"(SELECT started_at, min(?1, " LAST_SIGN ") AS e " ORPHANS
		" AND taken_at IS NULL AND served = 0)"},
	/* Also the chats a stop left ended but not yet forgotten (their
	 * cids are kept through the resume grace): nothing resumes them now.
	 * Driven by the index of keyed chats: only their rows are read. */
	[Q_ORPHAN_FORGET_CIDS] = {"orphan forget cids",
		"UPDATE messages SET cid = NULL WHERE cid IS NOT NULL AND "
		"chat_id IN (SELECT id FROM chats WHERE " ORPHAN_KEYED ")"},
	[Q_ORPHAN_UNKEY] = {"orphan unkey",
		"UPDATE chats SET keyed = 0 WHERE " ORPHAN_KEYED},
	[Q_ORPHAN_CLOSE] = {"orphan close",
		"UPDATE chats SET ended_at = min(?1, " LAST_SIGN "), "
		"ended_by = 'restart', token = NULL, advisor_id = NULL "
		"WHERE ended_at IS NULL AND (?2 OR token IS NULL)"},
	[Q_OPEN_CHATS] = {"open chats",
		"SELECT id, token, lang, topic, started_at, taken_at, "
		"advisor_id, " LAST_SIGN ", coalesce((SELECT max(m.seq) FROM "
		"messages m WHERE m.chat_id = chats.id), 0), served, requeued, "
		"email_requested, rating IS NOT NULL, outcome, urgent, "
		"urgent_counted FROM chats "
		"WHERE ended_at IS NULL ORDER BY started_at, id"},
	[Q_STAT_FIND] = {"stat find",
		"SELECT rowid FROM events WHERE at = ? AND kind = ? AND "
		"label = ? ORDER BY rowid"},
	[Q_HANDLE_TIME] = {"handle time",
		"SELECT avg(d) FROM (SELECT ended_at - taken_at AS d "
		"FROM chats WHERE taken_at IS NOT NULL AND ended_at IS NOT "
		"NULL ORDER BY id DESC LIMIT ?)"},
	[Q_MSG_ADD] = {"message add",
		"INSERT INTO messages (chat_id, seq, sender, text, at, "
		"redacted, cid) VALUES (?, ?, ?, ?, ?, ?, ?)"},
	[Q_MSG_BY_CID] = {"message by cid",
		"SELECT seq, sender, text, at, redacted, cid FROM messages "
		"WHERE chat_id = ? AND sender = ? AND cid = ?"},
	[Q_MSG_KEYS] = {"message keys",
		"SELECT sender, cid, seq FROM messages WHERE chat_id = ? AND "
		"cid IS NOT NULL"},
	[Q_MSG_AT] = {"message at",
		"SELECT seq, sender, text, at, redacted, cid FROM messages "
		"WHERE chat_id = ? AND seq = ?"},
	[Q_MSGS] = {"messages",
		"SELECT seq, sender, text, at, redacted, cid FROM messages "
		"WHERE chat_id = ? ORDER BY seq"},
	/* length() of TEXT counts characters (code points), not bytes. */
	[Q_CHAT_USAGE] = {"chat usage",
		"SELECT coalesce(sum(length(text)), 0), "
		"coalesce(sum(sender = 'resident' AND seq > coalesce("
		"(SELECT max(seq) FROM messages WHERE chat_id = ?1 AND "
		"sender = 'advisor'), 0)), 0) FROM messages WHERE chat_id = ?1"},
	[Q_EVENT_ADD] = {"event add",
		"INSERT INTO events (at, kind) VALUES (?, ?)"},
	[Q_ADVISOR_ADD] = {"advisor add",
		"INSERT INTO advisors (username, name, phc, created_at, role) "
		"VALUES (?, ?, ?, ?, ?)"},
	[Q_ADVISOR_GET] = {"advisor",
		"SELECT id, username, name, phc, created_at, role FROM advisors "
		"WHERE username = ?"},
	[Q_ADVISOR_BY_ID] = {"advisor by id",
		"SELECT id, username, name, phc, created_at, role FROM advisors "
		"WHERE id = ?"},
	[Q_ADVISOR_PASSWD] = {"advisor password",
		"UPDATE advisors SET phc = ? WHERE username = ?"},
	[Q_ADVISOR_REMOVE] = {"advisor remove",
		"DELETE FROM advisors WHERE username = ?"},
	[Q_ADVISOR_EACH] = {"advisors",
		"SELECT id, username, name, created_at, role FROM advisors "
		"ORDER BY username"},
	[Q_TOKENS_OF_USER] = {"advisor tokens revoke",
		"DELETE FROM advisor_tokens WHERE account_id = "
		"(SELECT id FROM advisors WHERE username = ?)"},
	[Q_TOKEN_ADD] = {"token add",
		"INSERT INTO advisor_tokens (digest, account_id, issued_at, "
		"expires_at) VALUES (?, ?, ?, ?)"},
	[Q_TOKEN_GET] = {"token",
		"SELECT account_id, issued_at, expires_at FROM advisor_tokens "
		"WHERE digest = ? AND expires_at > ?"},
	[Q_TOKEN_DELETE] = {"token delete",
		"DELETE FROM advisor_tokens WHERE digest = ?"},
	[Q_TOKENS_REVOKE] = {"tokens revoke",
		"DELETE FROM advisor_tokens WHERE account_id = ?"},
	[Q_TOKENS_EXPIRE] = {"tokens expire",
		"DELETE FROM advisor_tokens WHERE expires_at <= ?"},
	[Q_STAT_ADD] = {"stat add",
		"INSERT INTO events (at, kind, value, label) "
		"VALUES (?, ?, ?, ?)"},
	[Q_STAT_REMOVE] = {"stat remove",
		"DELETE FROM events WHERE rowid = ?"},
	[Q_STAT_COUNT] = {"count events",
		"SELECT count(*) FROM events WHERE kind = ? AND "
		"at >= ? AND at < ?"},
	[Q_STATS] = {"events",
		"SELECT at, kind, coalesce(value, 0), label FROM events "
		"WHERE at >= ? AND at < ? ORDER BY at, rowid"},
	[Q_TOPICS] = {"topics",
		"SELECT topic FROM chat_topics WHERE chat_id = ? "
		"ORDER BY topic"},
	[Q_TRANSCRIPTS] = {"transcripts",
		"SELECT id, started_at, lang, topic, taken_at, ended_at, "
		"outcome FROM chats WHERE started_at >= ? AND started_at < ? "
		"ORDER BY started_at, id"},
	[Q_PURGE] = {"purge",
		"DELETE FROM chats WHERE started_at < ? AND "
		"ended_at IS NOT NULL"},
	[Q_OUTBOX_ADD] = {"outbox add",
		"INSERT INTO outbox (chat_id, addr, lang, created_at) "
		"VALUES (?, ?, ?, ?)"},
	[Q_OUTBOX_ASKED] = {"outbox asked",
		"UPDATE chats SET email_requested = 1 WHERE id = ?"},
	[Q_OUTBOX_SET_MESSAGE] = {"outbox message",
		"UPDATE outbox SET message = ? WHERE id = ?"},
	[Q_OUTBOX_RETRY] = {"outbox retry",
		"UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?"},
	[Q_OUTBOX_DELETE] = {"outbox delete",
		"DELETE FROM outbox WHERE id = ?"},
	[Q_OUTBOX_EXPIRE] = {"outbox expire",
		"DELETE FROM outbox WHERE created_at < ?"},
	[Q_OUTBOX_COUNT] = {"count outbox", "SELECT count(*) FROM outbox"},
	[Q_OUTBOX_EACH] = {"outbox",
		"SELECT id, chat_id, addr, lang, created_at, message, "
		"attempts, next_at FROM outbox WHERE next_at <= ? "
		"ORDER BY id"},
	/* supervisors: store_desk.c */
	[Q_ADVISOR_ROLE] = {"advisor role",
		"UPDATE advisors SET role = ? WHERE username = ?"},
	[Q_CHAT_URGENT] = {"chat urgent",
		"UPDATE chats SET urgent = ?1, "
		"urgent_counted = max(urgent_counted, ?1) WHERE id = ?2"},
	[Q_CHAT_TRANSFER] = {"chat transfer",
		"UPDATE chats SET advisor_id = ? WHERE id = ? AND "
		"ended_at IS NULL"},
	[Q_WHISPER_ADD] = {"whisper add",
		"INSERT INTO whispers (chat_id, kind, sender, text, at, "
		"redacted) VALUES (?, ?, ?, ?, ?, ?)"},
	[Q_WHISPERS] = {"whispers",
		"SELECT kind, sender, text, at, redacted, id FROM whispers "
		"WHERE chat_id = ? ORDER BY id"},
	/* questions (store_questions.c); ?2 / the last ? is the oldest
	 * asked_at that has not expired */
	[Q_QUESTION_ADD] = {"question add",
		"INSERT INTO questions (code, text, lang, asked_at, email) "
		"VALUES (?, ?, ?, ?, ?)"},
	[Q_QUESTION_BY_CODE] = {"question by code",
		"SELECT text, answer, answered_at FROM questions "
		"WHERE code = ? AND asked_at >= ?"},
	[Q_QUESTION_GET] = {"question",
		"SELECT asked_at, answer IS NOT NULL, lang, text, email "
		"FROM questions WHERE id = ? AND asked_at >= ?"},
	[Q_QUESTION_ANSWER] = {"question answer",
		"UPDATE questions SET answer = ?, answered_at = ?, "
		"email = NULL WHERE id = ? AND answer IS NULL"},
	[Q_QUESTIONS_OPEN] = {"open questions",
		"SELECT id, text, lang, asked_at FROM questions "
		"WHERE answer IS NULL AND asked_at >= ? "
		"ORDER BY asked_at, id LIMIT ?"},
	[Q_QUESTIONS_OPEN_COUNT] = {"count open questions",
		"SELECT count(*) FROM questions "
		"WHERE answer IS NULL AND asked_at >= ?"},
	[Q_QUESTIONS_EXPIRE] = {"questions expire",
		"DELETE FROM questions WHERE asked_at < ?"},
};

const char *
store_query_name(enum query q)
{
	return queries[q].name;
}

static enum store_error
kind_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_OK;
	case SQLITE_FULL:
		return STORE_ERR_FULL;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return STORE_ERR_READONLY;
	case SQLITE_IOERR:
		return STORE_ERR_IO;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERR_BUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_ERR_CORRUPT;
	default:
		return STORE_ERR_OTHER;
	}
}

/* Log the connection's latest error and keep its kind. */
int
store_fail(struct store *st, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);

	log_err("store: %s: %s (%d)", what, sqlite3_errmsg(st->db), rc);
	st->err = kind_of(rc);
	if (st->err == STORE_OK)        /* a misuse reported without a code */
		st->err = STORE_ERR_OTHER;
	if (st->in_tx)
		st->tx_failed = true;
	return -1;
}

static int
exec(struct store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("store: %s", err ? err : "exec failed");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Create the directory that will hold the file, one level (e.g. var/),
 * owner only (CONTRACT.md section 7) whatever the umask. A directory that
 * exists already is the administrator's and is left as it is. */
static int
make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700))
			log_warn("store: cannot set the mode of %s: %s", dir,
				 strerror(errno));
		return 0;
	}
	if (errno != EEXIST) {
		log_err("store: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Make fd's file 0600 unless it is; a failure is logged, not fatal (the
 * file is usable, only not as private as it should be). */
static void
owner_only(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) || (st.st_mode & 07777) == 0600)
		return;
	if (fchmod(fd, 0600))
		log_warn("store: %s is mode %04o and cannot be made 0600: %s",
			 path, (unsigned)(st.st_mode & 07777), strerror(errno));
}

/*
 * The database, its -wal and its -shm hold chats: owner only (CONTRACT.md
 * section 7). The database file is created here, 0600 whatever the umask,
 * before SQLite opens it (an empty file is an empty database); SQLite then
 * gives -wal and -shm the mode of the database file. Files an older
 * version left group- or world-readable are tightened. A file that cannot
 * be opened here is left to sqlite3_open_v2, which reports it or opens it
 * read-only as it always did.
 */
static void
make_private(const char *path)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char side[4096 + 8];
	size_t i;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		owner_only(fd, path);
		close(fd);
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", path, suffixes[i]);
		fd = open(side, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;       /* not there: SQLite makes it 0600 */
		owner_only(fd, side);
		close(fd);
	}
}

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s;

	*v = 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL))
		return store_fail(st, "user_version");
	*v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

static int
migrate(struct store *st)
{
	char sql[64];
	int v;

	if (user_version(st, &v))
		return -1;
	if (v > N_MIGRATIONS) {
		log_err("store: database schema %d is newer than this program (%d)",
			v, N_MIGRATIONS);
		return -1;
	}
	for (; v < N_MIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(st, "BEGIN IMMEDIATE") || exec(st, migrations[v]) ||
		    exec(st, sql) || exec(st, "COMMIT")) {
			(void)exec(st, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

int
store_open(const char *path, int busy_ms, struct store **out)
{
	struct store *st;

	*out = NULL;
	if (make_parent_dir(path))
		return -1;
	make_private(path);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) {
		log_err("store: cannot open %s: %s", path,
			st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		free(st);
		return -1;
	}
	st->busy_ms = busy_ms;
	sqlite3_busy_timeout(st->db, busy_ms);
	/* cache_size: 32 MiB of pages, not SQLite's 2 MiB. A thousand
	 * running chats each append to their own leaf of the (chat_id, seq)
	 * index (until migration 7, of the messages table and the cid index);
	 * with the default cache those leaves fell out between messages and
	 * were read back from the WAL (issue 14's profile: pread at 10 % of
	 * the server's CPU at 9,000 msgs/s, 1 % with this). */
	if (exec(st, "PRAGMA journal_mode = WAL") ||
	    exec(st, "PRAGMA synchronous = FULL") ||
	    exec(st, "PRAGMA foreign_keys = ON") ||
	    exec(st, "PRAGMA secure_delete = ON") ||
	    exec(st, "PRAGMA cache_size = -32768") || migrate(st)) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	if (st->in_tx)
		(void)store_commit(st);
	for (i = 0; i < Q_N; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

bool
store_pending(const struct store *st)
{
	return st->in_tx;
}

/* ------------------------------------------------------------ statements */

/* Bind from a format: 'i' int64, 's' text (NULL binds NULL), 'b' a digest
 * of STORE_DIGEST_LEN bytes (NULL binds NULL). Nothing is copied: see the
 * top of the file. */
static int
bind_args(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i, rc = SQLITE_OK;

	for (i = 0; fmt[i] && rc == SQLITE_OK; i++) {
		if (fmt[i] == 'i') {
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		} else if (fmt[i] == 's') {
			const char *t = va_arg(ap, const char *);

			rc = t ? sqlite3_bind_text(s, i + 1, t, -1,
						   SQLITE_STATIC)
			       : sqlite3_bind_null(s, i + 1);
		} else {
			const uint8_t *d = va_arg(ap, const uint8_t *);

			rc = d ? sqlite3_bind_blob(s, i + 1, d,
						   STORE_DIGEST_LEN, SQLITE_STATIC)
			       : sqlite3_bind_null(s, i + 1);
		}
	}
	return rc;
}

/* Done with a statement from prepare: the cached one is reset for the next
 * call, one of its own (see prepare) finalized. */
void
store_q_done(struct store *st, enum query q, sqlite3_stmt *s)
{
	if (!s)
		return;
	if (s != st->stmts[q]) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static sqlite3_stmt *
vprepare(struct store *st, enum query q, const char *fmt, va_list ap)
{
	sqlite3_stmt *s = st->stmts[q];

	/* In use further up the stack (a callback of an iteration over the
	 * same query): this call gets a statement of its own. */
	if (!s || sqlite3_stmt_busy(s)) {
		if (sqlite3_prepare_v3(st->db, queries[q].sql, -1,
				       s ? 0 : SQLITE_PREPARE_PERSISTENT, &s,
				       NULL) != SQLITE_OK) {
			store_fail(st, queries[q].name);
			return NULL;
		}
		if (!st->stmts[q])
			st->stmts[q] = s;
	}
	if (bind_args(s, fmt, ap) != SQLITE_OK) {
		store_fail(st, queries[q].name);
		store_q_done(st, q, s);
		return NULL;
	}
	return s;
}

/* The statement q with its parameters bound, or NULL (logged). The caller
 * steps it and then calls done. */
sqlite3_stmt *
store_q_prepare(struct store *st, enum query q, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	s = vprepare(st, q, fmt, ap);
	va_end(ap);
	return s;
}

/* Run a statement that returns no rows. */
int
store_q_run(struct store *st, enum query q, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	s = vprepare(st, q, fmt, ap);
	va_end(ap);
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		store_fail(st, queries[q].name);
	store_q_done(st, q, s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Step a statement read to its end by the caller: SQLITE_ROW and
 * SQLITE_DONE pass, anything else is logged. */
int
store_q_step(struct store *st, enum query q, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(st, queries[q].name);
	return rc;
}

/* -------------------------------------------------------- transactions */

/* Undo what is open, if SQLite has not done so already; its own failure
 * changes nothing the caller could act on, so it is not kept. */
void
store_rollback(struct store *st)
{
	sqlite3_stmt *s;

	st->in_tx = false;
	if (sqlite3_get_autocommit(st->db))
		return;
	s = store_q_prepare(st, Q_ROLLBACK, "");
	if (s && sqlite3_step(s) != SQLITE_DONE)
		log_err("store: rollback: %s", sqlite3_errmsg(st->db));
	store_q_done(st, Q_ROLLBACK, s);
}

int
store_commit(struct store *st)
{
	if (!st->in_tx)
		return 0;
	if (sqlite3_get_autocommit(st->db)) {
		/* SQLite rolled it back after a failed write (err kept). */
		st->in_tx = false;
		return -1;
	}
	if (store_q_run(st, Q_COMMIT, "")) {
		store_rollback(st);
		return -1;
	}
	st->in_tx = false;
	/* Only a turn whose every write worked shows that writes work. */
	if (!st->tx_failed)
		st->err = STORE_OK;
	return 0;
}

/* Open the turn's transaction on the first write. */
int
store_begin(struct store *st)
{
	if (st->in_tx) {
		if (!sqlite3_get_autocommit(st->db))
			return 0;
		/* A write earlier in the turn failed and SQLite undid the
		 * transaction: a later write must not be kept without it. */
		log_err("store: transaction lost earlier in this turn");
		if (st->err == STORE_OK)
			st->err = STORE_ERR_OTHER;
		return -1;
	}
	if (store_q_run(st, Q_BEGIN, ""))
		return -1;
	st->in_tx = true;
	st->tx_failed = false;
	return 0;
}

/* ---------------------------------------------------------------- errors */

enum store_error
store_last_error(const struct store *st, const char **reason)
{
	static const char *const reasons[] = {
		[STORE_OK] = "ok",
		[STORE_ERR_FULL] = "disk full",
		[STORE_ERR_READONLY] = "database read-only",
		[STORE_ERR_IO] = "disk I/O error",
		[STORE_ERR_BUSY] = "database locked",
		[STORE_ERR_CORRUPT] = "database corrupt",
		[STORE_ERR_OTHER] = "database error",
	};

	if (reason)
		*reason = reasons[st->err];
	return st->err;
}

bool
store_error_unavailable(enum store_error e)
{
	return e == STORE_ERR_FULL || e == STORE_ERR_READONLY ||
	       e == STORE_ERR_IO || e == STORE_ERR_BUSY;
}

int
store_probe(struct store *st, int64_t now)
{
	if (st->in_tx)
		return -1;
	if (store_begin(st) || store_q_run(st, Q_PROBE, "i", now)) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int
store_changed_elsewhere(struct store *st, bool *changed)
{
	sqlite3_stmt *s = store_q_prepare(st, Q_DATA_VERSION, "");
	int64_t v;

	if (!s)
		return -1;
	if (store_q_step(st, Q_DATA_VERSION, s) != SQLITE_ROW) {
		store_q_done(st, Q_DATA_VERSION, s);
		return -1;
	}
	v = sqlite3_column_int64(s, 0);
	store_q_done(st, Q_DATA_VERSION, s);
	*changed = !st->seen_version || v != st->data_version;
	st->seen_version = true;
	st->data_version = v;
	return 0;
}

