/*
 * store.c - the SQLite store (see store.h for the contract).
 *
 * Schema changes go through the `migrations` array: each entry runs once,
 * in order, and PRAGMA user_version records how far a file has come, so an
 * old database is brought up to date on open and never recreated.
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

#include "log.h"
#include "store.h"

/* One per open database; owned by whoever called store_open. */
struct store {
	sqlite3 *db;
	bool in_tx;             /* a turn's transaction is open */
	int busy_ms;            /* the busy timeout given to store_open */
};

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
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int
fail(struct store *st, const char *what)
{
	log_err("store: %s: %s", what, sqlite3_errmsg(st->db));
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

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL))
		return fail(st, "user_version");
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
	if (exec(st, "PRAGMA journal_mode = WAL") ||
	    exec(st, "PRAGMA synchronous = FULL") ||
	    exec(st, "PRAGMA foreign_keys = ON") ||
	    exec(st, "PRAGMA secure_delete = ON") || migrate(st)) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		(void)store_commit(st);
	sqlite3_close(st->db);
	free(st);
}

bool
store_pending(const struct store *st)
{
	return st->in_tx;
}

int
store_commit(struct store *st)
{
	if (!st->in_tx)
		return 0;
	st->in_tx = false;
	if (exec(st, "COMMIT") == 0)
		return 0;
	(void)exec(st, "ROLLBACK");
	return -1;
}

/* Open the turn's transaction on the first write. */
static int
begin(struct store *st)
{
	if (st->in_tx)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE"))
		return -1;
	st->in_tx = true;
	return 0;
}

/*
 * Prepare sql and bind its parameters from a format: 'i' int64, 's' text
 * (NULL binds NULL). Returns the statement or NULL (logged).
 */
static sqlite3_stmt *
prepare(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		fail(st, "prepare");
		return NULL;
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i] && rc == SQLITE_OK; i++) {
		if (fmt[i] == 'i') {
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		} else {
			const char *t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(s, i + 1, t, -1,
						   SQLITE_TRANSIENT)
			       : sqlite3_bind_null(s, i + 1);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		fail(st, "bind");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Step a statement that returns no rows, then finalize it. */
static int
run(struct store *st, sqlite3_stmt *s)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(st, "step");
	return 0;
}

int
store_chat_create(struct store *st, int64_t at, const char *lang,
		  const char *topic, int64_t *id)
{
	if (begin(st) || run(st, prepare(st,
	    "INSERT INTO chats (started_at, lang, topic) VALUES (?, ?, ?)",
	    "iss", at, lang, topic)))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_chat_taken(struct store *st, int64_t id, int64_t at)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st,
	    "UPDATE chats SET taken_at = ? WHERE id = ?", "ii", at, id));
}

int
store_chat_requeued(struct store *st, int64_t id)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st,
	    "UPDATE chats SET taken_at = NULL WHERE id = ?", "i", id));
}

int
store_chat_ended(struct store *st, int64_t id, int64_t at, const char *by)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st,
	    "UPDATE chats SET ended_at = ?, ended_by = ? WHERE id = ?",
	    "isi", at, by, id));
}

int
store_chat_tag(struct store *st, int64_t id, const char *const *topics,
	       int n_topics, const char *outcome)
{
	int i;

	if (begin(st) ||
	    run(st, prepare(st, "DELETE FROM chat_topics WHERE chat_id = ?",
			    "i", id)) ||
	    run(st, prepare(st, "UPDATE chats SET outcome = ? WHERE id = ?",
			    "si", outcome, id)))
		return -1;
	for (i = 0; i < n_topics; i++)
		if (run(st, prepare(st, "INSERT OR IGNORE INTO chat_topics "
				    "(chat_id, topic) VALUES (?, ?)",
				    "is", id, topics[i])))
			return -1;
	return 0;
}

int
store_chat_feedback(struct store *st, int64_t id, int rating)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "UPDATE chats SET rating = ? WHERE id = ?",
			       "ii", (int64_t)rating, id));
}

int
store_close_orphans(struct store *st, int64_t now)
{
	if (begin(st))
		return -1;
	if (run(st, prepare(st, "UPDATE chats SET ended_at = ?, "
			    "ended_by = 'restart' WHERE ended_at IS NULL",
			    "i", now)))
		return -1;
	return store_commit(st);
}

int
store_recent_handle_time(struct store *st, int n, double *mean_s)
{
	sqlite3_stmt *s;
	int found = 0;

	s = prepare(st, "SELECT avg(d) FROM (SELECT ended_at - taken_at AS d "
		    "FROM chats WHERE taken_at IS NOT NULL AND ended_at IS NOT "
		    "NULL ORDER BY id DESC LIMIT ?)", "i", (int64_t)n);
	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*mean_s = sqlite3_column_double(s, 0);
		found = 1;
	}
	sqlite3_finalize(s);
	return found;
}

int
store_message_add(struct store *st, int64_t chat_id, const struct store_msg *m)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "INSERT INTO messages (chat_id, seq, sender, "
			       "text, at, redacted) VALUES (?, ?, ?, ?, ?, ?)",
			       "iissii", chat_id, m->seq, m->from, m->text,
			       m->at, (int64_t)m->redacted));
}

int
store_messages_each(struct store *st, int64_t chat_id,
		    int (*fn)(void *ctx, const struct store_msg *m), void *ctx)
{
	struct store_msg m;
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT seq, sender, text, at, redacted FROM messages "
		    "WHERE chat_id = ? ORDER BY seq", "i", chat_id);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.seq = sqlite3_column_int64(s, 0);
		m.from = (const char *)sqlite3_column_text(s, 1);
		m.text = (const char *)sqlite3_column_text(s, 2);
		m.at = sqlite3_column_int64(s, 3);
		m.redacted = sqlite3_column_int(s, 4) != 0;
		if (!m.from || !m.text || fn(ctx, &m))
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "messages");
	return 0;
}

int
store_event_add(struct store *st, int64_t at, const char *kind)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "INSERT INTO events (at, kind) VALUES (?, ?)",
			       "is", at, kind));
}

int
store_advisor_add(struct store *st, const char *username, const char *name,
		  const char *phc, int64_t at)
{
	struct store_advisor a;
	int rc = store_advisor_get(st, username, &a);

	if (rc <= 0)
		return rc == 0 ? 1 : -1;
	if (begin(st) || run(st, prepare(st, "INSERT INTO advisors (username, "
			     "name, phc, created_at) VALUES (?, ?, ?, ?)",
			     "sssi", username, name, phc, at)))
		return -1;
	return store_commit(st);
}

static void
copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t ? t : "");
}

int
store_advisor_get(struct store *st, const char *username,
		  struct store_advisor *out)
{
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT id, username, name, phc, created_at FROM "
		    "advisors WHERE username = ?", "s", username);
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		copy_col(out->username, sizeof(out->username), s, 1);
		copy_col(out->name, sizeof(out->name), s, 2);
		copy_col(out->phc, sizeof(out->phc), s, 3);
		out->created_at = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : fail(st, "advisor");
}

/* Run a one-row change on the advisors table and commit it.
 * Returns 0, 1 when no row matched, or -1. */
static int
change_advisor(struct store *st, sqlite3_stmt *s)
{
	if (!s || begin(st)) {
		sqlite3_finalize(s);
		return -1;
	}
	if (run(st, s))
		return -1;
	if (store_commit(st))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int
store_advisor_set_password(struct store *st, const char *username,
			   const char *phc)
{
	return change_advisor(st, prepare(st, "UPDATE advisors SET phc = ? "
				  "WHERE username = ?", "ss", phc, username));
}

int
store_advisor_remove(struct store *st, const char *username)
{
	return change_advisor(st, prepare(st, "DELETE FROM advisors WHERE "
				  "username = ?", "s", username));
}

int
store_advisor_each(struct store *st,
		   int (*fn)(void *ctx, const struct store_advisor *a),
		   void *ctx)
{
	struct store_advisor a;
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT id, username, name, created_at FROM advisors "
		    "ORDER BY username", "");
	if (!s)
		return -1;
	memset(&a, 0, sizeof(a));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		copy_col(a.username, sizeof(a.username), s, 1);
		copy_col(a.name, sizeof(a.name), s, 2);
		a.created_at = sqlite3_column_int64(s, 3);
		if (fn(ctx, &a))
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "advisors");
	return 0;
}

/* ---------------------------------------------------------------- stats */

int
store_stat_add(struct store *st, int64_t at, const char *kind, int64_t value,
	       const char *label, int64_t *row)
{
	if (begin(st) || run(st, prepare(st, "INSERT INTO events (at, kind, "
			     "value, label) VALUES (?, ?, ?, ?)", "isis", at,
			     kind, value, label)))
		return -1;
	if (row)
		*row = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_stat_remove(struct store *st, int64_t row)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "DELETE FROM events WHERE rowid = ?", "i",
			       row));
}

int
store_stat_count(struct store *st, const char *kind, int64_t from, int64_t to,
		 int64_t *n)
{
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT count(*) FROM events WHERE kind = ? AND "
		    "at >= ? AND at < ?", "sii", kind, from, to);
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : fail(st, "count events");
}

int
store_stats_each(struct store *st, int64_t from, int64_t to,
		 int (*fn)(void *ctx, const struct store_stat *e), void *ctx)
{
	struct store_stat e;
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT at, kind, coalesce(value, 0), label FROM events "
		    "WHERE at >= ? AND at < ? ORDER BY at, rowid", "ii", from,
		    to);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		e.at = sqlite3_column_int64(s, 0);
		e.kind = (const char *)sqlite3_column_text(s, 1);
		e.value = sqlite3_column_int64(s, 2);
		e.label = (const char *)sqlite3_column_text(s, 3);
		if (!e.kind)
			continue;
		if (fn(ctx, &e))
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "events");
	return 0;
}

/* The tagged topics of a chat, or its hello topic when it has none. */
static json_t *
chat_topics(struct store *st, int64_t id, const char *hello_topic)
{
	json_t *arr = json_array();
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT topic FROM chat_topics WHERE chat_id = ? "
		    "ORDER BY topic", "i", id);
	if (!arr || !s) {
		sqlite3_finalize(s);
		json_decref(arr);
		return NULL;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (json_array_append_new(arr, json_string((const char *)
					  sqlite3_column_text(s, 0))))
			break;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		log_err("store: topics: %s", rc == SQLITE_ROW ? "out of memory"
							      : "step failed");
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
	struct store_transcript t;
	sqlite3_stmt *s;
	int rc, stop = 0;

	s = prepare(st, "SELECT id, started_at, lang, topic, taken_at, "
		    "ended_at, outcome FROM chats WHERE started_at >= ? AND "
		    "started_at < ? ORDER BY started_at, id", "ii", from, to);
	if (!s)
		return -1;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		fill_transcript(st, s, &t);
		if (!t.topics || !t.lang) {
			json_decref(t.topics);
			sqlite3_finalize(s);
			return -1;
		}
		stop = fn(ctx, &t);
		json_decref(t.topics);
	}
	sqlite3_finalize(s);
	if (stop)
		return stop < 0 ? -1 : 0;
	if (rc != SQLITE_DONE)
		return fail(st, "transcripts");
	return 0;
}

int
store_purge(struct store *st, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	if (begin(st) || run(st, prepare(st, "DELETE FROM chats WHERE "
			     "started_at < ? AND ended_at IS NOT NULL", "i",
			     before)))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

/* --------------------------------------------------------------- outbox */

int
store_outbox_add(struct store *st, int64_t chat_id, const char *addr,
		 const char *lang, int64_t at, int64_t *id)
{
	if (begin(st) || run(st, prepare(st, "INSERT INTO outbox (chat_id, "
			     "addr, lang, created_at) VALUES (?, ?, ?, ?)",
			     "issi", chat_id, addr, lang, at)))
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_outbox_set_message(struct store *st, int64_t id, const char *message)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "UPDATE outbox SET message = ? WHERE id = ?",
			       "si", message, id));
}

int
store_outbox_retry(struct store *st, int64_t id, int attempts,
		   int64_t next_at)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "UPDATE outbox SET attempts = ?, next_at = ? "
			       "WHERE id = ?", "iii", (int64_t)attempts,
			       next_at, id));
}

int
store_outbox_delete(struct store *st, int64_t id)
{
	if (begin(st))
		return -1;
	return run(st, prepare(st, "DELETE FROM outbox WHERE id = ?", "i", id));
}

int
store_outbox_expire(struct store *st, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	if (begin(st) || run(st, prepare(st, "DELETE FROM outbox WHERE "
			     "created_at < ?", "i", before)))
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

int
store_outbox_count(struct store *st, int64_t *n)
{
	sqlite3_stmt *s = prepare(st, "SELECT count(*) FROM outbox", "");
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : fail(st, "count outbox");
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
	struct store_outbox o;
	sqlite3_stmt *s;
	int rc;

	s = prepare(st, "SELECT id, chat_id, addr, lang, created_at, message, "
		    "attempts, next_at FROM outbox WHERE next_at <= ? "
		    "ORDER BY id", "i", due);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fill_outbox(s, &o);
		if (!o.addr || !o.lang)
			continue;
		if (fn(ctx, &o))
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(st, "outbox");
	return 0;
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
		return fail(st, "WAL checkpoint");
	return 0;
}
