/*
 * store_backup.c - backup and restore of the SQLite file (see the end of
 * store.h). The rest of the store works through one struct store; these
 * work on paths with connections of their own, because a backup is taken
 * from a database another process (the server) has open, and a restore
 * replaces the file itself.
 *
 * Backup is VACUUM INTO: one read transaction, so the copy is the database
 * as of one commit while the server keeps writing to its WAL; and the copy
 * is rebuilt rather than copied page by page, so free pages (where deleted
 * rows were, though secure_delete zeroes them) do not travel.
 *
 * Restore refuses while anyone has the database open. SQLite tells us: a
 * connection in EXCLUSIVE locking mode cannot begin a transaction while
 * another process holds the database in WAL mode. Holding that lock, the old
 * file's WAL is folded in and deleted (so no stale WAL can be replayed onto
 * the new file) and the checked copy is renamed over it in one step.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define BACKUP_BUSY_MS 5000

/* The tables every schema version has; their presence marks a neuvo file. */
static const char *const core_tables[] = {
	"advisors", "chats", "messages", "chat_topics", "events",
};

static int say(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put the reason in why; returns -1 for `return say(...)`. */
static int
say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* fsync the file at path, and the directory holding it, so a rename or a
 * new file survives a power cut. */
static int
sync_path(const char *path, bool is_dir)
{
	int fd = open(path, (is_dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
sync_parent(const char *path)
{
	char copy[4096];

	if (strlen(path) >= sizeof(copy))
		return -1;
	strcpy(copy, path);
	return sync_path(dirname(copy), true);
}

/* One statement with no result rows wanted. Returns the SQLite code. */
static int
run(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* VACUUM INTO dest from the open db. */
static int
vacuum_into(sqlite3 *db, const char *dest)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, dest, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Remove path and whatever SQLite may have left beside it. */
static void
remove_db_file(const char *path)
{
	static const char *const sides[] = { "-journal", "-wal", "-shm" };
	char side[4096];
	size_t i;

	(void)unlink(path);
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if (snprintf(side, sizeof(side), "%s%s", path, sides[i]) <
		    (int)sizeof(side))
			(void)unlink(side);
}

/* VACUUM INTO dest from the database at src, opened with `flags`. On
 * failure dest goes (with anything beside it) and why says so. */
static int
copy_database(const char *src, int flags, const char *dest, char *why,
	      size_t n)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(src, &db, flags, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, BACKUP_BUSY_MS);
		rc = vacuum_into(db, dest);
	}
	if (rc != SQLITE_OK) {
		say(why, n, "cannot copy %s: %s", src,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		remove_db_file(dest);
		return -1;
	}
	sqlite3_close(db);
	return 0;
}

/* Create dest empty, mode 0600, refusing one that exists: VACUUM INTO then
 * writes into it and keeps the mode. */
static int
create_private(const char *dest, char *why, size_t n)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST)
		return say(why, n, "%s exists already; give a new file name",
			   dest);
	if (fd < 0)
		return say(why, n, "cannot create %s: %s", dest,
			   strerror(errno));
	close(fd);
	return 0;
}

int
store_backup(const char *db_path, const char *dest, int *version, char *why,
	     size_t n)
{
	if (create_private(dest, why, n))
		return -1;
	if (copy_database(db_path, SQLITE_OPEN_READWRITE, dest, why, n))
		return -1;
	if (sync_path(dest, false) || sync_parent(dest)) {
		remove_db_file(dest);
		return say(why, n, "cannot sync %s to disk: %s", dest,
			   strerror(errno));
	}
	if (store_backup_verify(dest, version, why, n)) {
		remove_db_file(dest);
		return -1;
	}
	return 0;
}

/* The first column of the first row of sql as an int, or -1. */
static int
query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The first line of integrity_check's answer that names a problem (it
 * opens with a "*** in database main ***" heading). */
static const char *
first_problem(const char *text)
{
	while (!strncmp(text, "***", 3) && strchr(text, '\n'))
		text = strchr(text, '\n') + 1;
	return text;
}

/* End s at its first line break: a reason is one line. */
static void
cut_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* integrity_check's verdict: 0 when it says "ok", else -1 with its first
 * complaint in why. */
static int
integrity(sqlite3 *db, const char *path, char *why, size_t n)
{
	sqlite3_stmt *s;
	const char *first;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL))
		return say(why, n, "%s is not a readable database: %s", path,
			   sqlite3_errmsg(db));
	rc = sqlite3_step(s);
	first = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0)
				 : NULL;
	if (first && !strcmp(first, "ok")) {
		sqlite3_finalize(s);
		return 0;
	}
	say(why, n, "%s fails the integrity check: %s", path,
	    first ? first_problem(first) : sqlite3_errmsg(db));
	cut_line(why);
	sqlite3_finalize(s);
	return -1;
}

static int
has_core_tables(sqlite3 *db, const char *path, char *why, size_t n)
{
	sqlite3_stmt *s;
	size_t i;
	int found;

	for (i = 0; i < sizeof(core_tables) / sizeof(core_tables[0]); i++) {
		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema"
				       " WHERE type = 'table' AND name = ?1",
				       -1, &s, NULL))
			return say(why, n, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_bind_text(s, 1, core_tables[i], -1, SQLITE_STATIC);
		found = sqlite3_step(s) == SQLITE_ROW &&
			sqlite3_column_int(s, 0) == 1;
		sqlite3_finalize(s);
		if (!found)
			return say(why, n, "%s is not a neuvo database (no "
				   "table %s)", path, core_tables[i]);
	}
	return 0;
}

int
store_backup_verify(const char *path, int *version, char *why, size_t n)
{
	sqlite3 *db = NULL;
	int v = 0, rc = -1;

	if (access(path, R_OK))
		return say(why, n, "cannot read %s: %s", path, strerror(errno));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		say(why, n, "cannot open %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, BACKUP_BUSY_MS);
	if (integrity(db, path, why, n))
		goto out;
	if (query_int(db, "PRAGMA user_version", &v) || v < 1) {
		say(why, n, "%s is not a neuvo database (schema version %d)",
		    path, v);
		goto out;
	}
	if (has_core_tables(db, path, why, n))
		goto out;
	if (version)
		*version = v;
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}

/* ------------------------------------------------------------- restore */

/* Copy src to a new private file beside db_path (its name in tmp[n]) and
 * bring it to this program's schema. */
static int
stage_copy(const char *db_path, const char *src, char *tmp, size_t tmp_n,
	   char *why, size_t n)
{
	struct store *st;
	int fd;

	if (snprintf(tmp, tmp_n, "%s.restore-XXXXXX", db_path) >= (int)tmp_n)
		return say(why, n, "database path too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return say(why, n, "cannot create a file beside %s: %s",
			   db_path, strerror(errno));
	close(fd);
	if (copy_database(src, SQLITE_OPEN_READONLY, tmp, why, n))
		return -1;
	/* store_open runs the migrations an older copy lacks and refuses a
	 * newer one; closing folds its WAL back in and removes it. */
	if (store_open(tmp, BACKUP_BUSY_MS, &st)) {
		remove_db_file(tmp);
		return say(why, n, "%s cannot be used by this version of neuvo "
			   "(see the message above)", src);
	}
	store_close(st);
	return 0;
}

/* Give the staged copy the owner of the database's directory when run as
 * root, so the server's own user can open it; then sync it. */
static int
settle_copy(const char *db_path, const char *tmp, char *why, size_t n)
{
	char dir[4096];
	struct stat sb;

	if (strlen(db_path) >= sizeof(dir))
		return say(why, n, "database path too long");
	strcpy(dir, db_path);
	if (geteuid() == 0) {
		if (stat(dirname(dir), &sb))
			return say(why, n, "cannot stat the directory of %s: %s",
				   db_path, strerror(errno));
		if (chown(tmp, sb.st_uid, sb.st_gid))
			return say(why, n, "cannot give %s its owner: %s", tmp,
				   strerror(errno));
	}
	if (chmod(tmp, 0600) || sync_path(tmp, false))
		return say(why, n, "cannot sync %s: %s", tmp, strerror(errno));
	return 0;
}

/* The journal mode after setting it to DELETE: "delete" when it took. */
static int
journal_to_delete(sqlite3 *db)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = DELETE", -1, &s,
				NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
				     "delete") ? SQLITE_BUSY : SQLITE_OK;
	sqlite3_finalize(s);
	return rc;
}

/*
 * Open db_path and take it for ourselves. Returns 1 when another process
 * has it open, -1 on error, else 0 with *out NULL when there is no file or
 * it is no database at all, or (hold) *out an open connection holding an
 * EXCLUSIVE lock on a file whose WAL has been folded in and deleted;
 * without hold the lock was only tried.
 */
static int
lock_live(const char *db_path, bool hold, sqlite3 **out, char *why, size_t n)
{
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (access(db_path, F_OK) && errno == ENOENT)
		return 0;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL)) {
		say(why, n, "cannot open %s: %s", db_path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	/* No busy timeout: a server holds it for good, waiting is no use. */
	rc = run(db, "PRAGMA locking_mode = EXCLUSIVE");
	if (rc == SQLITE_OK)
		rc = run(db, "BEGIN EXCLUSIVE");
	if (rc == SQLITE_OK)
		rc = run(db, "COMMIT");
	/* Then a rollback-journal transaction keeps the lock until the rename
	 * and leaves nothing to write when it is closed. */
	if (rc == SQLITE_OK && hold)
		rc = journal_to_delete(db);
	if (rc == SQLITE_OK && hold)
		rc = run(db, "BEGIN EXCLUSIVE");
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		say(why, n, "%s is in use (is neuvo-server running? stop it "
		    "first)", db_path);
		sqlite3_close(db);
		return 1;
	}
	/* A broken file, the reason for many a restore: SQLite took the file
	 * lock before it read a page, so nobody else holds it; replace it. */
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		sqlite3_close(db);
		return 0;
	}
	if (rc != SQLITE_OK) {
		say(why, n, "cannot lock %s: %s", db_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	if (hold)
		*out = db;
	else
		sqlite3_close(db);
	return 0;
}

/* Remove the old file's -wal and -shm, if any are left: they belong to the
 * file being replaced and must never be read with the new one. */
static int
remove_side_files(const char *db_path, char *why, size_t n)
{
	static const char *const sides[] = { "-wal", "-shm" };
	char side[4096];
	size_t i;

	for (i = 0; i < 2; i++) {
		if (snprintf(side, sizeof(side), "%s%s", db_path, sides[i]) >=
		    (int)sizeof(side))
			return say(why, n, "database path too long");
		if (unlink(side) && errno != ENOENT)
			return say(why, n, "cannot remove %s: %s", side,
				   strerror(errno));
	}
	return 0;
}

int
store_restore(const char *db_path, const char *src, char *why, size_t n)
{
	char tmp[4096];
	sqlite3 *live;
	int rc;

	if (store_backup_verify(src, NULL, why, n))
		return -1;
	/* Fail early, before the copy, if a server has it; asked again
	 * below with the lock that then stays held. */
	if ((rc = lock_live(db_path, false, &live, why, n)))
		return rc;
	if (stage_copy(db_path, src, tmp, sizeof(tmp), why, n))
		return -1;
	if (settle_copy(db_path, tmp, why, n)) {
		remove_db_file(tmp);
		return -1;
	}
	rc = lock_live(db_path, true, &live, why, n);
	if (rc == 0)
		rc = remove_side_files(db_path, why, n);
	if (rc == 0 && rename(tmp, db_path))
		rc = say(why, n, "cannot replace %s: %s", db_path,
			 strerror(errno));
	if (rc == 0 && sync_parent(db_path))
		rc = say(why, n, "replaced %s but cannot sync its directory: "
			 "%s", db_path, strerror(errno));
	if (live) {
		(void)run(live, "ROLLBACK");
		sqlite3_close(live);
	}
	if (rc)
		remove_db_file(tmp);
	return rc;
}
