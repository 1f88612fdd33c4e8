/* test_store.c - the SQLite store against a temporary file: migrations from
 * the first release's schema, what a restart rebuilds from, idempotent
 * messages, advisor tokens, and the kinds of disk trouble (simulated by a
 * VFS that wraps the real one, so no mount and no root is needed, and root
 * cannot ignore it as it ignores file modes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store.h"
#include "unit.h"

/* ------------------------------------------------------------- fixture */

struct fx {
	char dir[64];
	char path[96];
	struct store *st;
};

static void
remove_db(struct fx *f)
{
	static const char *const tails[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, tails[i]);
		unlink(p);
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/neuvo-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/neuvo.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	remove_db(f);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The fixture with the store opened on a fresh file. */
static struct fx *
opened(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_open(f->path, 1000, &f->st), 0);
	return f;
}

static void
reopen(struct fx *f)
{
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, 1000, &f->st), 0);
}

static void
digest_of(uint8_t d[STORE_DIGEST_LEN], int n)
{
	memset(d, 0, STORE_DIGEST_LEN);
	d[0] = (uint8_t)n;
	d[STORE_DIGEST_LEN - 1] = 0xa5;
}

static int64_t
new_chat(struct store *st, int64_t at, const char *topic, int n)
{
	uint8_t d[STORE_DIGEST_LEN];
	int64_t id;

	digest_of(d, n);
	assert_int_equal(store_chat_add(st, at, "fi", topic, d, &id), 0);
	return id;
}

static int
put(struct store *st, int64_t chat, int64_t seq, const char *from,
    const char *text, const char *cid)
{
	struct store_msg m = { seq, from, text, 1000 + seq, false, cid, false };

	return store_message_put(st, chat, &m);
}

/* What store_open_chats_each gave, copied. */
struct seen {
	int n;
	struct store_chat c[8];
	char topic[8][32];
	char lang[8][8];
	int stop_after;         /* 0: never */
};

static int
collect(void *ctx, const struct store_chat *c)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->c[s->n] = *c;
	snprintf(s->topic[s->n], sizeof(s->topic[0]), "%s",
		 c->topic ? c->topic : "");
	snprintf(s->lang[s->n], sizeof(s->lang[0]), "%s", c->lang);
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void
open_chats(struct store *st, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(store_open_chats_each(st, collect, s), 0);
}

/* One number from SQL, through a connection of the test's own. */
static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* ------------------------------------------- the first release's schema */

/* The schema as the release before restarts left it (user_version 3),
 * written out here rather than taken from store.c, so that a change to an
 * old migration there cannot hide a broken upgrade. */
static const char old_schema[] =
	"PRAGMA journal_mode = WAL;"
	"CREATE TABLE advisors (id INTEGER PRIMARY KEY, username TEXT NOT NULL "
	"  UNIQUE, name TEXT NOT NULL, phc TEXT NOT NULL, created_at INTEGER "
	"  NOT NULL);"
	"CREATE TABLE chats (id INTEGER PRIMARY KEY, started_at INTEGER NOT "
	"  NULL, lang TEXT NOT NULL, topic TEXT, taken_at INTEGER, ended_at "
	"  INTEGER, ended_by TEXT, outcome TEXT, rating INTEGER);"
	"CREATE INDEX chats_started ON chats(started_at);"
	"CREATE TABLE messages (chat_id INTEGER NOT NULL REFERENCES chats(id) "
	"  ON DELETE CASCADE, seq INTEGER NOT NULL, sender TEXT NOT NULL, text "
	"  TEXT NOT NULL, at INTEGER NOT NULL, redacted INTEGER NOT NULL, "
	"  PRIMARY KEY (chat_id, seq)) WITHOUT ROWID;"
	"CREATE TABLE chat_topics (chat_id INTEGER NOT NULL REFERENCES "
	"  chats(id) ON DELETE CASCADE, topic TEXT NOT NULL, PRIMARY KEY "
	"  (chat_id, topic)) WITHOUT ROWID;"
	"CREATE TABLE events (at INTEGER NOT NULL, kind TEXT NOT NULL);"
	"CREATE INDEX events_at ON events(at);"
	"ALTER TABLE events ADD COLUMN value INTEGER;"
	"ALTER TABLE events ADD COLUMN label TEXT;"
	"CREATE TABLE outbox (id INTEGER PRIMARY KEY, chat_id INTEGER NOT "
	"  NULL, addr TEXT NOT NULL, lang TEXT NOT NULL, created_at INTEGER "
	"  NOT NULL, message TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
	"  next_at INTEGER NOT NULL DEFAULT 0);"
	"PRAGMA user_version = 3;"
	/* An advisor; chat 1 ended and tagged; chat 2 taken and left open by
	 * a crash, with two messages and a copy asked for; chat 3 queued. */
	"INSERT INTO advisors VALUES (1, 'anna', 'Anna', '$scrypt$x', 10);"
	"INSERT INTO chats VALUES (1, 100, 'fi', 'housing', 110, 200, "
	"  'advisor', 'helped', 5);"
	"INSERT INTO chat_topics VALUES (1, 'money');"
	"INSERT INTO chats (id, started_at, lang, topic, taken_at) "
	"  VALUES (2, 300, 'sv', NULL, 320);"
	"INSERT INTO messages VALUES (2, 1, 'resident', 'hej', 310, 0);"
	"INSERT INTO messages VALUES (2, 2, 'advisor', 'hej hej', 330, 0);"
	"INSERT INTO outbox (chat_id, addr, lang, created_at) "
	"  VALUES (2, 'a@example.fi', 'sv', 325);"
	"INSERT INTO chats (id, started_at, lang) VALUES (3, 400, 'fi');"
	"INSERT INTO events (at, kind, value, label) "
	"  VALUES (300, 'started', 0, 'sv');";

static struct fx *
opened_old(void **state)
{
	struct fx *f = *state;

	sql_exec(f->path, old_schema);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 3);
	return opened(state);
}

static void
old_database_is_migrated_to_the_current_schema(void **state)
{
	struct fx *f = opened_old(state);

	assert_true(sql_int(f->path, "PRAGMA user_version") > 3);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats"), 3);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
				 "pragma_integrity_check WHERE "
				 "integrity_check = 'ok'"), 1);
}

static void
old_database_keeps_accounts_and_history(void **state)
{
	struct fx *f = opened_old(state);
	struct store_advisor a;

	assert_int_equal(store_advisor_get(f->st, "anna", &a), 0);
	assert_string_equal(a.name, "Anna");
	assert_int_equal(store_advisor_by_id(f->st, 1, &a), 0);
	assert_string_equal(a.username, "anna");
	assert_int_equal(store_advisor_by_id(f->st, 2, &a), 1);
}

static void
old_open_chats_are_listed_without_a_token(void **state)
{
	struct fx *f = opened_old(state);
	struct seen s;

	open_chats(f->st, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.c[0].id, 2);
	assert_false(s.c[0].has_token);
	assert_int_equal(s.c[0].state, STORE_CHAT_ACTIVE);
	assert_true(s.c[0].served);
	assert_true(s.c[0].email_requested);
	assert_int_equal(s.c[0].seq, 2);
	assert_int_equal(s.c[0].last_activity, 330);
	assert_int_equal(s.c[0].advisor_id, 0);
	assert_int_equal(s.c[1].id, 3);
	assert_int_equal(s.c[1].state, STORE_CHAT_QUEUED);
	assert_false(s.c[1].served);
	assert_false(s.c[1].email_requested);
}

static void
old_database_takes_new_writes(void **state)
{
	struct fx *f = opened_old(state);
	struct store_msg m;
	int64_t id;

	assert_int_equal(put(f->st, 2, 3, "resident", "taas", "c1"), 0);
	assert_int_equal(put(f->st, 2, 4, "resident", "taas", "c1"), 1);
	id = new_chat(f->st, 500, "housing", 1);
	assert_int_equal(id, 4);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_message_by_cid(f->st, 2, "resident", "c1", &m),
			 0);
	assert_int_equal(m.seq, 3);
	store_msg_release(&m);
}

static void
old_unresumable_chats_end_with_their_figures(void **state)
{
	struct fx *f = opened_old(state);
	struct seen s;

	new_chat(f->st, 500, NULL, 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_close_unresumable(f->st, 1000), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 1);
	assert_true(s.c[0].has_token);
	/* Chat 2 ends at its last message (330): 10 s after its take. */
	assert_int_equal(sql_int(f->path, "SELECT value FROM events WHERE "
				 "kind = 'ended' AND at = 330"), 10);
	/* Chat 3 never got anything after its start: waited 0 s. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events "
				 "WHERE kind = 'abandoned' AND at = 400 AND "
				 "label = 'restart'"), 1);
	assert_int_equal(sql_int(f->path, "SELECT ended_at FROM chats "
				 "WHERE id = 2"), 330);
}

/* ------------------------------------------------------ rebuild at start */

static void
new_chat_keeps_its_token_digest_until_the_end(void **state)
{
	struct fx *f = opened(state);
	uint8_t d[STORE_DIGEST_LEN];
	struct seen s;
	int64_t id = new_chat(f->st, 100, "housing", 7);

	assert_int_equal(store_commit(f->st), 0);
	reopen(f);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].id, id);
	assert_true(s.c[0].has_token);
	digest_of(d, 7);
	assert_memory_equal(s.c[0].token, d, STORE_DIGEST_LEN);
	assert_string_equal(s.topic[0], "housing");
	assert_string_equal(s.lang[0], "fi");
	assert_int_equal(store_chat_ended(f->st, id, 200, "resident"), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats WHERE "
				 "token IS NOT NULL"), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 0);
}

static void
open_chats_come_in_order_of_arrival(void **state)
{
	struct fx *f = opened(state);
	int64_t a, b, c;
	struct seen s;

	a = new_chat(f->st, 100, NULL, 1);
	b = new_chat(f->st, 100, NULL, 2);
	c = new_chat(f->st, 90, NULL, 3);      /* clock stepped back */
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.c[0].id, c);
	assert_int_equal(s.c[1].id, a);
	assert_int_equal(s.c[2].id, b);
}

static void
handed_back_chat_keeps_its_arrival_and_flags(void **state)
{
	struct fx *f = opened(state);
	int64_t first, second;
	struct seen s;

	first = new_chat(f->st, 100, NULL, 1);
	second = new_chat(f->st, 110, NULL, 2);
	assert_int_equal(store_chat_take(f->st, first, 120, 42), 0);
	assert_int_equal(store_chat_requeued(f->st, first), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.c[0].id, first);
	assert_int_equal(s.c[0].state, STORE_CHAT_QUEUED);
	assert_true(s.c[0].served);
	assert_true(s.c[0].requeued);
	assert_int_equal(s.c[0].advisor_id, 0);
	assert_int_equal(s.c[0].taken_at, 0);
	assert_int_equal(s.c[1].id, second);
	assert_false(s.c[1].requeued);
}

static void
active_chat_comes_back_with_its_advisor(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_chat_take(f->st, id, 130, 42), 0);
	assert_int_equal(put(f->st, id, 1, "resident", "hei", NULL), 0);
	assert_int_equal(put(f->st, id, 2, "advisor", "moi", NULL), 0);
	assert_int_equal(store_chat_feedback(f->st, id, 4), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].state, STORE_CHAT_ACTIVE);
	assert_int_equal(s.c[0].taken_at, 130);
	assert_int_equal(s.c[0].advisor_id, 42);
	assert_int_equal(s.c[0].seq, 2);
	assert_int_equal(s.c[0].last_activity, 1002);
	assert_true(s.c[0].rated);
	assert_true(s.c[0].served);
}

static void
chat_taken_without_advisor_is_active_with_none(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_chat_taken(f->st, id, 130), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.c[0].state, STORE_CHAT_ACTIVE);
	assert_int_equal(s.c[0].advisor_id, 0);
}

static void
touch_moves_the_last_sign_of_life_only_forward(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_chat_touch(f->st, id, 5000), 0);
	assert_int_equal(store_chat_touch(f->st, id, 4000), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.c[0].last_activity, 5000);
	assert_int_equal(s.c[0].seq, 0);
}

static void
copy_request_marks_the_chat(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t id = new_chat(f->st, 100, NULL, 1), row, n;

	assert_int_equal(store_outbox_add(f->st, id, "x@example.fi", "fi", 120,
					  &row), 0);
	assert_int_equal(store_outbox_expire(f->st, 1000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_true(s.c[0].email_requested);    /* also with the row gone */
}

static void
callback_can_stop_the_rebuild(void **state)
{
	struct fx *f = opened(state);
	struct seen s;

	new_chat(f->st, 100, NULL, 1);
	new_chat(f->st, 110, NULL, 2);
	assert_int_equal(store_commit(f->st), 0);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(store_open_chats_each(f->st, collect, &s), 0);
	assert_int_equal(s.n, 1);
	/* The statement was reset: a write and a checkpoint still work. */
	new_chat(f->st, 120, NULL, 3);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_checkpoint(f->st), 0);
}

static void
stat_rows_are_found_again_for_a_retag(void **state)
{
	struct fx *f = opened(state);
	const char *topics[] = { "money", "work" };
	int64_t a, b, rows[4];
	struct seen s;

	a = new_chat(f->st, 100, "housing", 1);
	b = new_chat(f->st, 100, "housing", 2);
	/* What the service records: the hello topic of both ... */
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "housing",
					&rows[0]), 0);
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "housing",
					&rows[1]), 0);
	/* ... then chat b re-tagged: its hello topic event replaced. */
	assert_int_equal(store_stat_remove(f->st, rows[1]), 0);
	assert_int_equal(store_chat_tag(f->st, b, topics, 2, "helped"), 0);
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "money",
					&rows[1]), 0);
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "work",
					&rows[2]), 0);
	assert_int_equal(store_stat_add(f->st, 100, "outcome", 0, "helped",
					&rows[3]), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.c[0].id, a);
	assert_int_equal(s.c[0].n_stat_rows, 1);
	assert_int_equal(s.c[0].stat_rows[0], rows[0]);
	assert_int_equal(s.c[1].n_stat_rows, 3);
	assert_int_equal(s.c[1].stat_rows[0], rows[1]);
	assert_int_equal(s.c[1].stat_rows[1], rows[2]);
	assert_int_equal(s.c[1].stat_rows[2], rows[3]);
}

static void
alike_events_go_to_one_chat_each(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t r1, r2;

	new_chat(f->st, 100, "housing", 1);
	new_chat(f->st, 100, "housing", 2);
	new_chat(f->st, 100, "housing", 3);     /* its event was not stored */
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "housing",
					&r1), 0);
	assert_int_equal(store_stat_add(f->st, 100, "topic", 0, "housing",
					&r2), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.c[0].stat_rows[0], r1);
	assert_int_equal(s.c[1].stat_rows[0], r2);
	assert_int_equal(s.c[2].n_stat_rows, 0);
}

/* ----------------------------------------------------- orphans' figures */

static void
orphans_get_the_events_the_server_would_have_recorded(void **state)
{
	struct fx *f = opened(state);
	int64_t queued, active, back;

	queued = new_chat(f->st, 100, NULL, 1);
	active = new_chat(f->st, 110, NULL, 2);
	back = new_chat(f->st, 120, NULL, 3);
	assert_int_equal(store_chat_take(f->st, active, 150, 1), 0);
	assert_int_equal(put(f->st, active, 1, "advisor", "hei", NULL), 0);
	assert_int_equal(store_chat_take(f->st, back, 160, 1), 0);
	assert_int_equal(store_chat_requeued(f->st, back), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_close_orphans(f->st, 5000), 0);
	/* active: ended at its last message (1001), 851 s after the take */
	assert_int_equal(sql_int(f->path, "SELECT value FROM events WHERE "
				 "kind = 'ended' AND at = 1001 AND label = "
				 "'restart'"), 851);
	/* queued: abandoned, never touched after its start */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events WHERE "
				 "kind = 'abandoned' AND at = 100"), 1);
	/* handed back: served already, so neither abandoned nor ended */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats WHERE "
				 "ended_at IS NULL OR token IS NOT NULL"), 0);
	(void)queued;
}

static void
orphans_end_no_later_than_now(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_chat_touch(f->st, id, 9000), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_close_orphans(f->st, 500), 0);
	assert_int_equal(sql_int(f->path, "SELECT ended_at FROM chats"), 500);
	assert_int_equal(sql_int(f->path, "SELECT value FROM events"), 400);
}

static void
closing_unresumable_leaves_chats_with_tokens(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t old, id, ended;

	assert_int_equal(store_chat_create(f->st, 100, "fi", NULL, &old), 0);
	id = new_chat(f->st, 110, NULL, 1);
	ended = new_chat(f->st, 120, NULL, 2);
	/* The stop came within an ended chat's grace: its cids were kept. */
	assert_int_equal(put(f->st, id, 1, "resident", "x", "k"), 0);
	assert_int_equal(put(f->st, ended, 1, "resident", "x", "k"), 0);
	assert_int_equal(store_chat_ended(f->st, ended, 150, "advisor"), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_close_unresumable(f->st, 200), 0);
	open_chats(f->st, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.c[0].id, id);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 1);
	/* The resumable chat keeps its keys, the ended one's are gone. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NOT NULL"), 1);
	assert_int_equal(sql_int(f->path, "SELECT chat_id FROM messages "
				 "WHERE cid IS NOT NULL"), id);
	(void)old;
}

/* -------------------------------------------------------------- messages */

static void
same_cid_from_same_sender_is_stored_once(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	struct store_msg m;

	assert_int_equal(put(f->st, id, 1, "resident", "eka", "\"a1\""), 0);
	assert_int_equal(put(f->st, id, 2, "resident", "toka", "\"a1\""), 1);
	assert_int_equal(store_commit(f->st), 0);       /* the turn goes on */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_message_by_cid(f->st, id, "resident", "\"a1\"",
					      &m), 0);
	assert_int_equal(m.seq, 1);
	assert_string_equal(m.text, "eka");
	assert_string_equal(m.from, "resident");
	assert_string_equal(m.cid, "\"a1\"");
	assert_int_equal(m.at, 1001);
	store_msg_release(&m);
	assert_null(m.text);
}

/* The end keeps the cids (a resume within the grace may resend); they go
 * when the service forgets them, or with the orphans after a stop. */
static void
cids_are_forgotten_after_the_end_or_at_the_next_start(void **state)
{
	struct fx *f = opened(state);
	int64_t a = new_chat(f->st, 100, NULL, 1);
	int64_t b = new_chat(f->st, 100, NULL, 2);
	int64_t c = new_chat(f->st, 100, NULL, 3);
	int64_t d = new_chat(f->st, 100, NULL, 4);
	int64_t n;

	assert_int_equal(put(f->st, a, 1, "resident", "x", "k"), 0);
	assert_int_equal(put(f->st, b, 1, "resident", "x", "k"), 0);
	assert_int_equal(put(f->st, c, 1, "resident", "x", "k"), 0);
	assert_int_equal(put(f->st, d, 1, "resident", "x", "k"), 0);
	assert_int_equal(store_chat_ended(f->st, a, 200, "advisor"), 0);
	assert_int_equal(store_chat_ended(f->st, d, 200, "advisor"), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NOT NULL"), 4);
	assert_int_equal(store_chat_forget_cids(f->st, d), 0);
	assert_int_equal(store_commit(f->st), 0);
	/* Named, they go with the next due clearing, together. */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NOT NULL"), 4);
	assert_int_equal(store_forget_cids_due(f->st, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NOT NULL"), 3);
	assert_int_equal(store_forget_cids_due(f->st, 0, &n), 0);
	assert_int_equal(n, 0);
	/* A chat named while a stop came: a start forgets it too. */
	assert_int_equal(store_chat_forget_cids(f->st, a), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_close_orphans(f->st, 300), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NOT NULL"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 4);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats "
				 "WHERE keyed > 0"), 0);
}

static void
same_cid_elsewhere_is_a_new_message(void **state)
{
	struct fx *f = opened(state);
	int64_t a = new_chat(f->st, 100, NULL, 1);
	int64_t b = new_chat(f->st, 100, NULL, 2);

	assert_int_equal(put(f->st, a, 1, "resident", "x", "7"), 0);
	assert_int_equal(put(f->st, a, 2, "advisor", "x", "7"), 0);
	assert_int_equal(put(f->st, b, 1, "resident", "x", "7"), 0);
	assert_int_equal(put(f->st, a, 3, "resident", "x", "\"7\""), 0);
	assert_int_equal(put(f->st, a, 4, "resident", "x", NULL), 0);
	assert_int_equal(put(f->st, a, 5, "resident", "x", NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 6);
}

static void
unknown_cid_is_not_found(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	struct store_msg m;

	assert_int_equal(put(f->st, id, 1, "resident", "x", "a"), 0);
	assert_int_equal(store_message_by_cid(f->st, id, "advisor", "a", &m),
			 1);
	assert_int_equal(store_message_by_cid(f->st, id, "resident", "b", &m),
			 1);
	assert_null(m.text);
}

static void
same_seq_twice_is_an_error_not_a_resend(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(put(f->st, id, 1, "resident", "x", "a"), 0);
	assert_int_equal(put(f->st, id, 1, "resident", "y", "b"), -1);
	assert_int_equal(store_last_error(f->st, NULL), STORE_ERR_OTHER);
	assert_false(store_error_unavailable(STORE_ERR_OTHER));
}

/* No index on cids (migration 7): the store looks a key up unless the
 * caller vouches that it is new, and then takes its word. */
static void
a_key_vouched_new_is_not_looked_up(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	struct store_msg m = { 1, "resident", "x", 1, false, "\"a\"", true };

	assert_int_equal(store_message_put(f->st, id, &m), 0);
	m.seq = 2;
	assert_int_equal(store_message_put(f->st, id, &m), 0);
	m.seq = 3;
	m.cid_new = false;
	assert_int_equal(store_message_put(f->st, id, &m), 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 2);
}

/* Messages go in arrival order whatever their chat; one unique index on
 * (chat_id, seq) finds a chat's, and none is kept on cids. */
static void
messages_are_kept_in_arrival_order(void **state)
{
	struct fx *f = opened(state);
	int64_t a = new_chat(f->st, 100, NULL, 1);
	int64_t b = new_chat(f->st, 100, NULL, 2);

	assert_int_equal(put(f->st, b, 1, "resident", "b1", "\"x\""), 0);
	assert_int_equal(put(f->st, a, 1, "resident", "a1", "\"x\""), 0);
	assert_int_equal(put(f->st, b, 2, "advisor", "b2", NULL), 0);
	assert_int_equal(put(f->st, a, 2, "resident", "a2", NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT group_concat(text, '') = "
				 "'b1a1b2a2' FROM (SELECT text FROM messages "
				 "ORDER BY id)"), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_schema "
				 "WHERE name = 'messages_cid'"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sqlite_schema "
				 "WHERE name = 'messages_chat' AND sql LIKE "
				 "'CREATE UNIQUE INDEX%(chat_id, seq)'"), 1);
}

struct keys {
	int n;
	int stop_at;            /* stop the walk at this key (0: never) */
	char seen[8][16];
};

static int
key_seen(void *ctx, const char *from, const char *cid, int64_t seq)
{
	struct keys *k = ctx;

	snprintf(k->seen[k->n % 8], sizeof(k->seen[0]), "%c%s@%lld", from[0],
		 cid, (long long)seq);
	return ++k->n == k->stop_at;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* What a rebuilt chat's cid set is made from: its own keys, each with its
 * sender, none of another chat's, none once forgotten. */
static void
keys_of_a_chat_are_read_until_forgotten(void **state)
{
	struct fx *f = opened(state);
	int64_t a = new_chat(f->st, 100, NULL, 1);
	int64_t b = new_chat(f->st, 100, NULL, 2);
	struct keys k = { 0 };
	int64_t n;

	assert_int_equal(put(f->st, a, 1, "resident", "x", "1"), 0);
	assert_int_equal(put(f->st, b, 1, "resident", "x", "9"), 0);
	assert_int_equal(put(f->st, a, 2, "advisor", "x", "1"), 0);
	assert_int_equal(put(f->st, a, 3, "resident", "x", NULL), 0);
	assert_int_equal(put(f->st, a, 4, "resident", "x", "\"2\""), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_message_keys_each(f->st, a, key_seen, &k), 0);
	assert_int_equal(k.n, 3);
	qsort(k.seen, 3, sizeof(k.seen[0]), key_cmp);
	assert_string_equal(k.seen[0], "a1@2");
	assert_string_equal(k.seen[1], "r\"2\"@4");
	assert_string_equal(k.seen[2], "r1@1");
	k = (struct keys){ .stop_at = 2 };
	assert_int_equal(store_message_keys_each(f->st, a, key_seen, &k), 1);
	assert_int_equal(k.n, 2);
	assert_int_equal(store_chat_forget_cids(f->st, a), 0);
	assert_int_equal(store_forget_cids_due(f->st, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(f->st), 0);
	k = (struct keys){ 0 };
	assert_int_equal(store_message_keys_each(f->st, a, key_seen, &k), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(sql_int(f->path, "SELECT keyed FROM chats WHERE "
				 "id = 1"), 0);
	assert_int_equal(sql_int(f->path, "SELECT keyed FROM chats WHERE "
				 "id = 2"), 1);
}

static void
old_add_ignores_the_cid_field(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	struct store_msg m = { 1, "resident", "x", 1, false, "a", false };

	assert_int_equal(store_message_add(f->st, id, &m), 0);
	m.seq = 2;
	assert_int_equal(store_message_add(f->st, id, &m), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages "
				 "WHERE cid IS NULL"), 2);
}

struct nested {
	struct store *st;
	int64_t other;
	int outer, inner;
};

static int
count_inner(void *ctx, const struct store_msg *m)
{
	(void)m;
	((struct nested *)ctx)->inner++;
	return 0;
}

static int
count_outer(void *ctx, const struct store_msg *m)
{
	struct nested *n = ctx;

	(void)m;
	n->outer++;
	assert_int_equal(store_messages_each(n->st, n->other, count_inner, n),
			 0);
	return 0;
}

static void
history_can_be_read_inside_a_history_callback(void **state)
{
	struct fx *f = opened(state);
	struct nested n = { f->st, 0, 0, 0 };
	int64_t a = new_chat(f->st, 100, NULL, 1);

	n.other = new_chat(f->st, 100, NULL, 2);
	assert_int_equal(put(f->st, a, 1, "resident", "x", NULL), 0);
	assert_int_equal(put(f->st, a, 2, "resident", "y", NULL), 0);
	assert_int_equal(put(f->st, n.other, 1, "resident", "z", NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_messages_each(f->st, a, count_outer, &n), 0);
	assert_int_equal(n.outer, 2);
	assert_int_equal(n.inner, 2);
}

/* --------------------------------------------------------- advisor tokens */

static int64_t
advisor(struct fx *f, const char *user)
{
	struct store_advisor a;

	assert_int_equal(store_advisor_add(f->st, user, "Name", "$scrypt$x",
					   10), 0);
	assert_int_equal(store_advisor_get(f->st, user, &a), 0);
	return a.id;
}

static void
token_is_valid_until_its_absolute_expiry(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna");
	uint8_t d[STORE_DIGEST_LEN];
	struct store_token t;

	digest_of(d, 1);
	assert_int_equal(store_advisor_token_add(f->st, d, id, 1000,
						 1000 + 12 * 3600), 0);
	assert_int_equal(store_commit(f->st), 0);
	reopen(f);
	assert_int_equal(store_advisor_token_get(f->st, d, 1000 + 12 * 3600 - 1,
						 &t), 0);
	assert_int_equal(t.account_id, id);
	assert_int_equal(t.issued_at, 1000);
	assert_int_equal(t.expires_at, 1000 + 12 * 3600);
	assert_int_equal(store_advisor_token_get(f->st, d, 1000 + 12 * 3600,
						 NULL), 1);
}

static void
unknown_token_is_not_valid(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna");
	uint8_t d[STORE_DIGEST_LEN], other[STORE_DIGEST_LEN];

	digest_of(d, 1);
	digest_of(other, 2);
	assert_int_equal(store_advisor_token_add(f->st, d, id, 0, 100), 0);
	assert_int_equal(store_advisor_token_get(f->st, other, 0, NULL), 1);
}

static void
token_for_no_account_is_refused(void **state)
{
	struct fx *f = opened(state);
	uint8_t d[STORE_DIGEST_LEN];

	digest_of(d, 1);
	assert_int_equal(store_advisor_token_add(f->st, d, 99, 0, 100), -1);
}

static void
logout_forgets_one_token(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna");
	uint8_t a[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];

	digest_of(a, 1);
	digest_of(b, 2);
	assert_int_equal(store_advisor_token_add(f->st, a, id, 0, 100), 0);
	assert_int_equal(store_advisor_token_add(f->st, b, id, 0, 100), 0);
	assert_int_equal(store_advisor_token_delete(f->st, a), 0);
	assert_int_equal(store_advisor_token_delete(f->st, a), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_advisor_token_get(f->st, a, 0, NULL), 1);
	assert_int_equal(store_advisor_token_get(f->st, b, 0, NULL), 0);
}

static void
revoke_forgets_every_token_of_one_account(void **state)
{
	struct fx *f = opened(state);
	int64_t anna = advisor(f, "anna"), bo = advisor(f, "bo");
	uint8_t a1[STORE_DIGEST_LEN], a2[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];

	digest_of(a1, 1);
	digest_of(a2, 2);
	digest_of(b, 3);
	assert_int_equal(store_advisor_token_add(f->st, a1, anna, 0, 100), 0);
	assert_int_equal(store_advisor_token_add(f->st, a2, anna, 0, 100), 0);
	assert_int_equal(store_advisor_token_add(f->st, b, bo, 0, 100), 0);
	assert_int_equal(store_advisor_tokens_revoke(f->st, anna), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_advisor_token_get(f->st, a1, 0, NULL), 1);
	assert_int_equal(store_advisor_token_get(f->st, a2, 0, NULL), 1);
	assert_int_equal(store_advisor_token_get(f->st, b, 0, NULL), 0);
}

static void
expire_deletes_only_expired_tokens(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna"), n;
	uint8_t a[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];

	digest_of(a, 1);
	digest_of(b, 2);
	assert_int_equal(store_advisor_token_add(f->st, a, id, 0, 100), 0);
	assert_int_equal(store_advisor_token_add(f->st, b, id, 0, 200), 0);
	assert_int_equal(store_advisor_tokens_expire(f->st, 100, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
				 "advisor_tokens"), 1);
}

static void
new_password_revokes_the_accounts_tokens(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna");
	uint8_t d[STORE_DIGEST_LEN];

	digest_of(d, 1);
	assert_int_equal(store_advisor_token_add(f->st, d, id, 0, 100), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_advisor_set_password(f->st, "anna", "$new"), 0);
	assert_int_equal(store_advisor_token_get(f->st, d, 0, NULL), 1);
	assert_int_equal(store_advisor_set_password(f->st, "nobody", "$x"), 1);
}

static void
removed_account_takes_its_tokens_along(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna");
	uint8_t d[STORE_DIGEST_LEN];

	digest_of(d, 1);
	assert_int_equal(store_advisor_token_add(f->st, d, id, 0, 100), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_advisor_remove(f->st, "anna"), 0);
	assert_int_equal(store_advisor_token_get(f->st, d, 0, NULL), 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
				 "advisor_tokens"), 0);
	assert_int_equal(store_advisor_remove(f->st, "anna"), 1);
}

static void
admin_change_is_seen_by_the_server(void **state)
{
	struct fx *f = opened(state);
	int64_t id = advisor(f, "anna"), n;
	uint8_t d[STORE_DIGEST_LEN];
	struct store *admin;
	bool changed;

	digest_of(d, 1);
	assert_int_equal(store_advisor_token_add(f->st, d, id, 0, 100), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_changed_elsewhere(f->st, &changed), 0);
	assert_true(changed);                   /* the first call */
	assert_int_equal(store_changed_elsewhere(f->st, &changed), 0);
	assert_false(changed);
	/* Its own writes do not count. */
	assert_int_equal(store_advisor_tokens_expire(f->st, 0, &n), 0);
	new_chat(f->st, 100, NULL, 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_changed_elsewhere(f->st, &changed), 0);
	assert_false(changed);
	/* neuvo-admin advisor passwd, from a connection of its own */
	assert_int_equal(store_open(f->path, 1000, &admin), 0);
	assert_int_equal(store_advisor_set_password(admin, "anna", "$n"), 0);
	store_close(admin);
	assert_int_equal(store_changed_elsewhere(f->st, &changed), 0);
	assert_true(changed);
	assert_int_equal(store_advisor_token_get(f->st, d, 0, NULL), 1);
}

/* ------------------------------------------------------ errors, via a VFS */

/* A VFS over the default one whose writes fail on demand. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static int shim_write_rc;       /* SQLITE_OK: writes pass */
static int shim_writes_left = -1; /* then writes fail with SQLITE_FULL;
				   * -1: never */
static bool shim_readonly;      /* open the main file read-only */

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;     /* right after this struct */
};

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct shim_file *)f)->real;
}

static int
shim_close(sqlite3_file *f)
{
	return real_of(f)->pMethods->xClose(real_of(f));
}

static int
shim_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
	return real_of(f)->pMethods->xRead(real_of(f), b, n, off);
}

static int
shim_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
	if (shim_write_rc != SQLITE_OK)
		return shim_write_rc;
	if (shim_writes_left == 0)
		return SQLITE_FULL;
	if (shim_writes_left > 0)
		shim_writes_left--;
	return real_of(f)->pMethods->xWrite(real_of(f), b, n, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int
shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
shim_lock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int
shim_unlock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int
shim_check_lock(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
shim_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
shim_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int
shim_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), pg, sz, extend, p);
}

static int
shim_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), off, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int
shim_shm_unmap(sqlite3_file *f, int del)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

/* Version 2: shared memory for WAL, no memory-mapped reads. */
static const sqlite3_io_methods shim_methods = {
	2, shim_close, shim_read, shim_write, shim_truncate, shim_sync,
	shim_file_size, shim_lock, shim_unlock, shim_check_lock,
	shim_file_control, shim_sector_size, shim_device, shim_shm_map,
	shim_shm_lock, shim_shm_barrier, shim_shm_unmap, NULL, NULL
};

static int
shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
	  int *out_flags)
{
	struct shim_file *sf = (struct shim_file *)f;
	int rc;

	(void)vfs;
	if (shim_readonly && (flags & SQLITE_OPEN_MAIN_DB))
		flags = (flags & ~(SQLITE_OPEN_READWRITE |
				   SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
	sf->real = (sqlite3_file *)(sf + 1);
	rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out_flags);
	sf->base.pMethods = sf->real->pMethods ? &shim_methods : NULL;
	return rc;
}

static int
shim_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int
shim_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
shim_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int
shim_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
shim_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
shim_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
shim_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int
setup_shim(void **state)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return -1;
	memset(&shim_vfs, 0, sizeof(shim_vfs));
	shim_vfs.iVersion = 1;
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	shim_vfs.mxPathname = real_vfs->mxPathname;
	shim_vfs.zName = "neuvo-test-shim";
	shim_vfs.xOpen = shim_open;
	shim_vfs.xDelete = shim_delete;
	shim_vfs.xAccess = shim_access;
	shim_vfs.xFullPathname = shim_full_pathname;
	shim_vfs.xRandomness = shim_randomness;
	shim_vfs.xSleep = shim_sleep;
	shim_vfs.xCurrentTime = shim_current_time;
	shim_vfs.xGetLastError = shim_last_error;
	shim_write_rc = SQLITE_OK;
	shim_writes_left = -1;
	shim_readonly = false;
	if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK)
		return -1;
	return setup(state);
}

static int
teardown_shim(void **state)
{
	shim_write_rc = SQLITE_OK;
	shim_writes_left = -1;
	shim_readonly = false;
	teardown(state);
	sqlite3_vfs_unregister(&shim_vfs);
	sqlite3_vfs_register(real_vfs, 1);
	return 0;
}

/* ------------------------------------------------ migration 7, from 6 */

/* A file at schema 6 (messages WITHOUT ROWID keyed by (chat_id, seq),
 * unique index on the cids, no chats.keyed), made by taking a current
 * file back: the older tables are as migrations 1-6 left them. Then
 * M6_CHATS chats: every third ended with keyed messages, every third
 * ended without, the rest open (every fourth of those without a token:
 * a chat from before restarts), M6_MSGS messages each, written in
 * shuffled order, with NULL cids, 7 next to "7", and some long texts.
 * `expected` keeps a copy of the messages, which migration 7 leaves
 * alone. */
#define M6_CHATS 300
#define M6_MSGS 12
#define M6_LONG 40000           /* chars in a long text */

static void
make_schema_6(struct fx *f)
{
	char *sql, *long_text;
	size_t cap = 1 << 20, n = 0;
	int c, i, k;

	opened((void **)&f);
	store_close(f->st);
	f->st = NULL;
	sql_exec(f->path,
		 "DROP INDEX chats_keyed;"
		 "ALTER TABLE chats DROP COLUMN keyed;"
		 "DROP TABLE messages;"
		 "CREATE TABLE messages (chat_id INTEGER NOT NULL REFERENCES "
		 "  chats(id) ON DELETE CASCADE, seq INTEGER NOT NULL, sender "
		 "  TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL, "
		 "  redacted INTEGER NOT NULL, cid TEXT, PRIMARY KEY (chat_id, "
		 "  seq)) WITHOUT ROWID;"
		 "CREATE UNIQUE INDEX messages_cid ON messages(chat_id, sender, "
		 "  cid) WHERE cid IS NOT NULL;"
		 "PRAGMA user_version = 6;");
	sql = malloc(cap);
	long_text = malloc(M6_LONG + 1);
	assert_non_null(sql);
	assert_non_null(long_text);
	for (i = 0; i < M6_LONG; i++)
		long_text[i] = (char)('a' + i % 26);
	long_text[M6_LONG] = '\0';
	n += (size_t)snprintf(sql + n, cap - n, "BEGIN;");
	for (c = 1; c <= M6_CHATS; c++)
		n += (size_t)snprintf(sql + n, cap - n,
			"INSERT INTO chats (id, started_at, lang, ended_at, "
			"token) VALUES (%d, %d, 'fi', %s, %s);", c, 100 + c,
			c % 3 == 0 ? "NULL" : "5000",
			c % 3 != 0 ? "NULL" : c % 4 == 0 ? "NULL" : "x'01'");
	snprintf(sql + n, cap - n, "COMMIT;");
	sql_exec(f->path, sql);
	n = 0;
	/* seq descending, chats interleaved: the order of writing is not
	 * the order of any key */
	for (k = M6_MSGS; k >= 1; k--) {
		n = (size_t)snprintf(sql, cap, "BEGIN;");
		for (c = M6_CHATS; c >= 1; c--) {
			char cid[16];

			if (c % 3 == 2 || k % 4 == 0)
				snprintf(cid, sizeof(cid), "NULL");
			else if (k <= 2)        /* 7 and "7" */
				snprintf(cid, sizeof(cid), k == 1 ? "'7'"
					 : "'\"7\"'");
			else
				snprintf(cid, sizeof(cid), "'\"c%d\"'", k);
			n += (size_t)snprintf(sql + n, cap - n,
				"INSERT INTO messages VALUES (%d, %d, '%s', "
				"%s, %d, %d, %s);", c, k,
				k % 2 ? "resident" : "advisor",
				k == 5 && c % 10 == 0 ? "'LONG'" : "'m' || "
				"hex(randomblob(8))", 1000 + k, k % 5 == 0,
				cid);
		}
		snprintf(sql + n, cap - n, "COMMIT;");
		sql_exec(f->path, sql);
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE messages SET "
			"text = ? WHERE text = 'LONG'", -1, &s, NULL),
			SQLITE_OK);
		sqlite3_bind_text(s, 1, long_text, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	sql_exec(f->path, "CREATE TABLE expected AS SELECT * FROM "
		 "messages;");
	free(sql);
	free(long_text);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM expected"),
			 M6_CHATS * M6_MSGS);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM expected "
				 "WHERE length(text) = " "40000"), M6_CHATS / 10);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 6);
}

/* Every message of `expected` is in messages as it was, and no other. */
static void
messages_as_expected(struct fx *f)
{
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"),
			 M6_CHATS * M6_MSGS);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM (SELECT "
				 "chat_id, seq, sender, text, at, redacted, cid "
				 "FROM messages EXCEPT SELECT * FROM expected)"),
			 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM (SELECT * "
				 "FROM expected EXCEPT SELECT chat_id, seq, "
				 "sender, text, at, redacted, cid FROM "
				 "messages)"), 0);
}

/* Passes on f3963e6: migration 7 copies every message as it was, in
 * (chat, seq) order, marks keyed exactly the chats whose cids a start
 * must still forget, keeps the foreign key and its cascade, and a start
 * then forgets the cids of every chat nothing can resume (and only
 * those) through the keyed index. */
static void
schema_6_migrates_every_message_in_chat_order(void **state)
{
	struct fx *f = *state;
	int64_t n, open_left;

	make_schema_6(f);
	opened(state);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 7);
	messages_as_expected(f);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages a "
				 "JOIN messages b ON b.id = a.id + 1 WHERE "
				 "(b.chat_id, b.seq) < (a.chat_id, a.seq)"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
				 "pragma_foreign_key_check"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
				 "pragma_integrity_check WHERE "
				 "integrity_check = 'ok'"), 1);
	/* keyed: 0 only for ended chats holding no cid */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats WHERE "
				 "keyed != (ended_at IS NULL OR id IN (SELECT "
				 "chat_id FROM expected WHERE cid IS NOT "
				 "NULL))"), 0);
	assert_true(sql_int(f->path, "SELECT count(*) FROM chats WHERE "
			    "NOT keyed") > 0);
	/* The start: the cids of chats nothing resumes go, the others stay. */
	assert_int_equal(store_close_unresumable(f->st, 9000), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages m "
				 "JOIN chats c ON c.id = m.chat_id WHERE "
				 "m.cid IS NOT NULL AND c.token IS NULL"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages m "
				 "JOIN chats c ON c.id = m.chat_id WHERE "
				 "c.token IS NOT NULL AND m.cid IS NOT "
				 "(SELECT cid FROM expected e WHERE e.chat_id = "
				 "m.chat_id AND e.seq = m.seq)"), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM chats WHERE "
				 "keyed AND token IS NULL"), 0);
	/* The purge takes the ended chats' messages with them; the open
	 * (resumable) ones keep theirs. */
	assert_int_equal(store_commit(f->st), 0);
	open_left = sql_int(f->path, "SELECT count(*) FROM chats WHERE "
			    "ended_at IS NULL");
	assert_true(open_left > 0);
	assert_int_equal(store_purge(f->st, 100000, &n), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(n, M6_CHATS - open_left);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"),
			 open_left * M6_MSGS);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages m "
				 "JOIN chats c ON c.id = m.chat_id WHERE "
				 "c.ended_at IS NULL"), open_left * M6_MSGS);
}

/* Passes on f3963e6: a disk that fills up in the middle of migration 7
 * refuses the start and leaves the file at schema 6 with every message;
 * the next start with room migrates it whole. */
static void
schema_6_migration_cut_by_a_full_disk_loses_nothing(void **state)
{
	struct fx *f = *state;
	int left;

	make_schema_6(f);
	for (left = 2; left <= 1024; left *= 2) {
		shim_writes_left = left;
		assert_int_equal(store_open(f->path, 1000, &f->st), -1);
		assert_null(f->st);
		shim_writes_left = -1;
		assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 6);
		assert_int_equal(sql_int(f->path, "SELECT count(*) FROM "
					 "sqlite_schema WHERE name = "
					 "'messages_by_arrival'"), 0);
		messages_as_expected(f);
	}
	opened(state);
	assert_int_equal(sql_int(f->path, "PRAGMA user_version"), 7);
	messages_as_expected(f);
}

/* A turn that writes one message to a fresh chat; returns its commit. */
static int
turn_with_a_message(struct store *st, int64_t chat, int64_t seq)
{
	if (put(st, chat, seq, "resident", "x", NULL))
		return -1;
	return store_commit(st);
}

static void
full_disk_fails_the_commit_as_full(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	const char *why;

	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_last_error(f->st, &why), STORE_OK);
	assert_string_equal(why, "ok");
	shim_write_rc = SQLITE_FULL;
	assert_int_equal(turn_with_a_message(f->st, id, 1), -1);
	assert_int_equal(store_last_error(f->st, &why), STORE_ERR_FULL);
	assert_string_equal(why, "disk full");
	assert_true(store_error_unavailable(STORE_ERR_FULL));
	assert_false(store_pending(f->st));
	shim_write_rc = SQLITE_OK;
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 0);
}

static void
probe_reports_recovery_when_space_returns(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_commit(f->st), 0);
	shim_write_rc = SQLITE_FULL;
	assert_int_equal(turn_with_a_message(f->st, id, 1), -1);
	assert_int_equal(store_probe(f->st, 200), -1);
	assert_int_equal(store_last_error(f->st, NULL), STORE_ERR_FULL);
	shim_write_rc = SQLITE_OK;
	assert_int_equal(store_probe(f->st, 201), 0);
	assert_int_equal(store_last_error(f->st, NULL), STORE_OK);
	/* And the message, sent again, is stored now. */
	assert_int_equal(turn_with_a_message(f->st, id, 1), 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 1);
}

static void
probe_inside_a_turn_does_not_commit_it(void **state)
{
	struct fx *f = opened(state);

	new_chat(f->st, 100, NULL, 1);
	assert_int_equal(store_probe(f->st, 200), -1);
	assert_true(store_pending(f->st));
	assert_int_equal(store_commit(f->st), 0);
}

static void
io_error_is_told_apart(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);
	const char *why;

	assert_int_equal(store_commit(f->st), 0);
	shim_write_rc = SQLITE_IOERR_WRITE;
	assert_int_equal(turn_with_a_message(f->st, id, 1), -1);
	assert_int_equal(store_last_error(f->st, &why), STORE_ERR_IO);
	assert_string_equal(why, "disk I/O error");
	assert_true(store_error_unavailable(STORE_ERR_IO));
}

static void
read_only_file_is_told_apart(void **state)
{
	struct fx *f = opened(state);
	const char *why;
	int64_t id;

	new_chat(f->st, 100, NULL, 1);
	assert_int_equal(store_commit(f->st), 0);
	shim_readonly = true;
	reopen(f);
	assert_int_equal(store_chat_add(f->st, 110, "fi", NULL, NULL, &id), -1);
	assert_int_equal(store_last_error(f->st, &why), STORE_ERR_READONLY);
	assert_string_equal(why, "database read-only");
	assert_true(store_error_unavailable(STORE_ERR_READONLY));
	/* The turn's commit has nothing to keep; the trouble stays known. */
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_last_error(f->st, NULL), STORE_ERR_READONLY);
	assert_int_equal(store_probe(f->st, 300), -1);
	assert_int_equal(store_last_error(f->st, NULL), STORE_ERR_READONLY);
	/* Reading still works: the rebuild can happen from a read-only file. */
	{
		struct seen s;

		open_chats(f->st, &s);
		assert_int_equal(s.n, 1);
	}
}

static void
failed_write_leaves_the_rest_of_the_turn_out(void **state)
{
	struct fx *f = opened(state);
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(put(f->st, id, 1, "resident", "x", NULL), 0);
	shim_write_rc = SQLITE_FULL;
	assert_int_equal(store_commit(f->st), -1);
	shim_write_rc = SQLITE_OK;
	/* A new turn starts cleanly and keeps only its own write. */
	assert_int_equal(put(f->st, id, 2, "resident", "y", NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(sql_int(f->path, "SELECT max(seq) FROM messages"), 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_last_error(f->st, NULL), STORE_OK);
}

static void
error_kinds_that_pass_by_themselves(void **state)
{
	(void)state;
	assert_false(store_error_unavailable(STORE_OK));
	assert_true(store_error_unavailable(STORE_ERR_BUSY));
	assert_false(store_error_unavailable(STORE_ERR_CORRUPT));
	assert_false(store_error_unavailable(STORE_ERR_OTHER));
}

/* ------------------------------------------------ the supervisors' desk */

static void
roles_are_added_read_listed_and_changed(void **state)
{
	struct fx *f = opened(state);
	struct store_advisor a;

	assert_int_equal(store_advisor_add(f->st, "anna", "Anna", "$x", 1), 0);
	assert_int_equal(store_advisor_add_role(f->st, "sini", "Sini", "$x", 1,
						true), 0);
	assert_int_equal(store_advisor_get(f->st, "anna", &a), 0);
	assert_false(a.supervisor);
	assert_int_equal(store_advisor_get(f->st, "sini", &a), 0);
	assert_true(a.supervisor);
	assert_int_equal(store_advisor_set_role(f->st, "anna", true), 0);
	assert_int_equal(store_advisor_set_role(f->st, "nobody", true), 1);
	assert_int_equal(store_advisor_by_id(f->st, 1, &a), 0);
	assert_true(a.supervisor);
}

static void
urgent_mark_and_transfer_come_back_after_a_stop(void **state)
{
	struct fx *f = opened(state);
	struct seen s;
	int64_t id = new_chat(f->st, 100, NULL, 1);

	assert_int_equal(store_chat_take(f->st, id, 130, 42), 0);
	assert_int_equal(store_chat_urgent(f->st, id, true), 0);
	assert_int_equal(store_chat_urgent(f->st, id, false), 0);
	assert_int_equal(store_chat_transfer(f->st, id, 43), 0);
	assert_int_equal(store_commit(f->st), 0);
	reopen(f);
	open_chats(f->st, &s);
	assert_int_equal(s.c[0].advisor_id, 43);
	assert_false(s.c[0].urgent);
	assert_true(s.c[0].urgent_counted);     /* was urgent once */
	assert_int_equal(store_chat_urgent(f->st, id, true), 0);
	assert_int_equal(store_commit(f->st), 0);
	open_chats(f->st, &s);
	assert_true(s.c[0].urgent);
}

static int
whisper_text(void *ctx, const struct store_whisper *w)
{
	char *out = ctx;

	strcat(out, w->kind == STORE_NOTE ? "N:" : "W:");
	strcat(out, w->text);
	strcat(out, ";");
	return 0;
}

/* Keeps the ids read back, in order (ctx: int64_t[3], [0] the count). */
static int
whisper_ids(void *ctx, const struct store_whisper *w)
{
	int64_t *ids = ctx;

	ids[++ids[0]] = w->id;
	return ids[0] == 2;             /* stops after two */
}

static void
whispers_stay_apart_from_messages_and_go_with_the_purge(void **state)
{
	struct fx *f = opened(state);
	struct store_whisper w = { STORE_WHISPER, "Sini", "kuiskaus", 200,
				   false, 0 };
	struct store_whisper n = { STORE_NOTE, "Anna", "muistio", 210, true, 0 };
	int64_t id = new_chat(f->st, 100, NULL, 1), gone, chars, tail;
	int64_t wid = 0, nid = 0, ids[3] = { 0 };
	char got[128] = "";

	assert_int_equal(put(f->st, id, 1, "resident", "hei", NULL), 0);
	assert_int_equal(store_whisper_add(f->st, id, &w, &wid), 0);
	assert_int_equal(store_whisper_add(f->st, id, &n, &nid), 0);
	assert_true(wid > 0 && nid > wid);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_whispers_each(f->st, id, whisper_text, got), 0);
	assert_string_equal(got, "W:kuiskaus;N:muistio;");
	/* each line comes back with the id its add gave; a callback that
	 * stops the walk is told apart from a walk that ended */
	assert_int_equal(store_whispers_each(f->st, id, whisper_ids, ids), 1);
	assert_true(ids[0] == 2 && ids[1] == wid && ids[2] == nid);
	assert_int_equal(store_chat_usage(f->st, id, &chars, &tail), 0);
	assert_int_equal(chars, 3);             /* "hei" only */
	assert_int_equal(store_chat_ended(f->st, id, 300, "resident"), 0);
	assert_int_equal(store_purge(f->st, 1000, &gone), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(gone, 1);
	got[0] = '\0';
	assert_int_equal(store_whispers_each(f->st, id, whisper_text, got), 0);
	assert_string_equal(got, "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TV(f) cmocka_unit_test_setup_teardown(f, setup_shim, teardown_shim)

int
test_store_run(void)
{
	const struct CMUnitTest tests[] = {
		T(old_database_is_migrated_to_the_current_schema),
		T(schema_6_migrates_every_message_in_chat_order),
		TV(schema_6_migration_cut_by_a_full_disk_loses_nothing),
		T(old_database_keeps_accounts_and_history),
		T(old_open_chats_are_listed_without_a_token),
		T(old_database_takes_new_writes),
		T(old_unresumable_chats_end_with_their_figures),
		T(new_chat_keeps_its_token_digest_until_the_end),
		T(open_chats_come_in_order_of_arrival),
		T(handed_back_chat_keeps_its_arrival_and_flags),
		T(active_chat_comes_back_with_its_advisor),
		T(chat_taken_without_advisor_is_active_with_none),
		T(touch_moves_the_last_sign_of_life_only_forward),
		T(roles_are_added_read_listed_and_changed),
		T(urgent_mark_and_transfer_come_back_after_a_stop),
		T(whispers_stay_apart_from_messages_and_go_with_the_purge),
		T(copy_request_marks_the_chat),
		T(callback_can_stop_the_rebuild),
		T(stat_rows_are_found_again_for_a_retag),
		T(alike_events_go_to_one_chat_each),
		T(orphans_get_the_events_the_server_would_have_recorded),
		T(orphans_end_no_later_than_now),
		T(closing_unresumable_leaves_chats_with_tokens),
		T(same_cid_from_same_sender_is_stored_once),
		T(cids_are_forgotten_after_the_end_or_at_the_next_start),
		T(same_cid_elsewhere_is_a_new_message),
		T(unknown_cid_is_not_found),
		T(same_seq_twice_is_an_error_not_a_resend),
		T(a_key_vouched_new_is_not_looked_up),
		T(messages_are_kept_in_arrival_order),
		T(keys_of_a_chat_are_read_until_forgotten),
		T(old_add_ignores_the_cid_field),
		T(history_can_be_read_inside_a_history_callback),
		T(token_is_valid_until_its_absolute_expiry),
		T(unknown_token_is_not_valid),
		T(token_for_no_account_is_refused),
		T(logout_forgets_one_token),
		T(revoke_forgets_every_token_of_one_account),
		T(expire_deletes_only_expired_tokens),
		T(new_password_revokes_the_accounts_tokens),
		T(removed_account_takes_its_tokens_along),
		T(admin_change_is_seen_by_the_server),
		TV(full_disk_fails_the_commit_as_full),
		TV(probe_reports_recovery_when_space_returns),
		TV(probe_inside_a_turn_does_not_commit_it),
		TV(io_error_is_told_apart),
		TV(read_only_file_is_told_apart),
		TV(failed_write_leaves_the_rest_of_the_turn_out),
		cmocka_unit_test(error_kinds_that_pass_by_themselves),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
