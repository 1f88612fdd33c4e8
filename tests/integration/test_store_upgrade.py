"""A database written by the release before restarts were kept (schema 3)
opens in today's server, is brought up to date in place, and works: its
advisor logs in, residents chat, and what it held is still there. So does
one of the release before messages were kept in arrival order (schema 6),
whose open chat's resident resumes and resends. The old schemas are written
out here by hand, not made by the binary under test."""
import base64
import contextlib
import hashlib
import sqlite3
import time

from conftest import (ADVISOR_NAME, ADVISOR_USER, advisor, queued, resume,
                      run, send_with_cid, taken)

OLD_SCHEMA = """
CREATE TABLE advisors (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, phc TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE chats (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL,
  lang TEXT NOT NULL, topic TEXT, taken_at INTEGER, ended_at INTEGER,
  ended_by TEXT, outcome TEXT, rating INTEGER);
CREATE INDEX chats_started ON chats(started_at);
CREATE TABLE messages (chat_id INTEGER NOT NULL REFERENCES chats(id)
  ON DELETE CASCADE, seq INTEGER NOT NULL, sender TEXT NOT NULL,
  text TEXT NOT NULL, at INTEGER NOT NULL, redacted INTEGER NOT NULL,
  PRIMARY KEY (chat_id, seq)) WITHOUT ROWID;
CREATE TABLE chat_topics (chat_id INTEGER NOT NULL REFERENCES chats(id)
  ON DELETE CASCADE, topic TEXT NOT NULL,
  PRIMARY KEY (chat_id, topic)) WITHOUT ROWID;
CREATE TABLE events (at INTEGER NOT NULL, kind TEXT NOT NULL);
CREATE INDEX events_at ON events(at);
ALTER TABLE events ADD COLUMN value INTEGER;
ALTER TABLE events ADD COLUMN label TEXT;
CREATE TABLE outbox (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,
  addr TEXT NOT NULL, lang TEXT NOT NULL, created_at INTEGER NOT NULL,
  message TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0);
PRAGMA user_version = 3;
"""


def old_database(path, phc):
    """Schema 3 with the advisor (its real password hash), one finished
    chat with its history, and one chat a crash left open, both of the last
    hour (older ones would go with the daily purge)."""
    t = int(time.time()) - 3600
    db = sqlite3.connect(str(path))
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO advisors VALUES (1, ?, ?, ?, ?)",
               (ADVISOR_USER, ADVISOR_NAME, phc, t))
    db.execute("INSERT INTO chats VALUES (1, ?, 'fi', 'housing', ?, ?,"
               " 'advisor', 'answered', 4)", (t, t + 10, t + 100))
    db.execute("INSERT INTO messages VALUES (1, 1, 'resident', 'vanha viesti', ?, 0)",
               (t + 20,))
    db.execute("INSERT INTO chats (id, started_at, lang, taken_at)"
               " VALUES (2, ?, 'sv', ?)", (t + 200, t + 210))
    db.execute("INSERT INTO messages VALUES (2, 1, 'resident', 'kesken', ?, 0)",
               (t + 230,))
    db.commit()
    db.close()


def template_phc(advisor_db):
    with sqlite3.connect(str(advisor_db)) as db:
        return db.execute("SELECT phc FROM advisors WHERE username = ?",
                          (ADVISOR_USER,)).fetchone()[0]


def test_previous_release_database_opens_and_works(make_server, advisor_db):
    srv = make_server(advisor=False, start=False)
    old_database(srv.db, template_phc(advisor_db))
    srv.start()

    async def go():
        a = await advisor(srv)
        assert a.name == ADVISOR_NAME
        r, q = await queued(srv, lang="fi")
        assert q["chat"] == 3, q            # numbering goes on
        await taken(srv, a, r)
        await r.send({"type": "msg", "text": "uusi viesti", "cid": "k1"})
        echo = await r.recv_type("msg")
        assert echo["id"] == 1 and echo["cid"] == "k1"
        await a.recv_type("msg", chat=r.chat)
        await r.send({"type": "end"})
        await r.recv_type("ended")
    run(go())

    with sqlite3.connect(str(srv.db)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] > 3
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT text FROM messages WHERE chat_id = 1").fetchone()[0] \
            == "vanha viesti"
        assert db.execute("SELECT text FROM messages WHERE chat_id = 3").fetchone()[0] \
            == "uusi viesti"
        # The chat the crash left open is ended at its last message, and
        # counted once, for the 20 s it ran.
        assert db.execute("SELECT ended_at - started_at FROM chats WHERE id = 2"
                          ).fetchone()[0] == 30
        assert db.execute("SELECT value FROM events WHERE kind = 'ended'"
                          " AND label = 'restart'").fetchall() == [(20,)]


# Schema 6 exactly as the release before migration 7 made it: messages
# WITHOUT ROWID, keyed by (chat_id, seq), with a unique index on the cids.
SCHEMA_6 = (
    "CREATE TABLE advisors (  id INTEGER PRIMARY KEY,  username TEXT "
    "NOT NULL UNIQUE,  name TEXT NOT NULL,  phc TEXT NOT NULL,  "
    "created_at INTEGER NOT NULL, role TEXT NOT NULL DEFAULT "
    "'advisor'   CHECK (role IN ('advisor', 'supervisor')));\n"
    "CREATE TABLE chats (  id INTEGER PRIMARY KEY,  started_at INTEGER "
    "NOT NULL,  lang TEXT NOT NULL,  topic TEXT,  taken_at INTEGER,  "
    "ended_at INTEGER,  ended_by TEXT,  outcome TEXT,  rating INTEGER, "
    "token BLOB, advisor_id INTEGER, last_activity INTEGER, served "
    "INTEGER NOT NULL DEFAULT 0, requeued INTEGER NOT NULL DEFAULT 0, "
    "email_requested INTEGER NOT NULL   DEFAULT 0, urgent INTEGER NOT "
    "NULL DEFAULT 0, urgent_counted INTEGER NOT NULL   DEFAULT 0);\n"
    "CREATE INDEX chats_started ON chats(started_at);\n"
    "CREATE TABLE messages (  chat_id INTEGER NOT NULL REFERENCES "
    "chats(id) ON DELETE CASCADE,  seq INTEGER NOT NULL,  sender TEXT "
    "NOT NULL,  text TEXT NOT NULL,  at INTEGER NOT NULL,  redacted "
    "INTEGER NOT NULL, cid TEXT,  PRIMARY KEY (chat_id, seq)) WITHOUT "
    "ROWID;\n"
    "CREATE TABLE chat_topics (  chat_id INTEGER NOT NULL REFERENCES "
    "chats(id) ON DELETE CASCADE,  topic TEXT NOT NULL,  PRIMARY KEY "
    "(chat_id, topic)) WITHOUT ROWID;\n"
    "CREATE TABLE events (  at INTEGER NOT NULL,  kind TEXT NOT NULL, "
    "value INTEGER, label TEXT);\n"
    "CREATE INDEX events_at ON events(at);\n"
    "CREATE TABLE outbox (  id INTEGER PRIMARY KEY,  chat_id INTEGER "
    "NOT NULL,  addr TEXT NOT NULL,  lang TEXT NOT NULL,  created_at "
    "INTEGER NOT NULL,  message TEXT,  attempts INTEGER NOT NULL "
    "DEFAULT 0,  next_at INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE INDEX chats_open ON chats(started_at, id)   WHERE ended_at "
    "IS NULL;\n"
    "CREATE UNIQUE INDEX messages_cid ON messages(chat_id, sender, "
    "cid)   WHERE cid IS NOT NULL;\n"
    "CREATE TABLE advisor_tokens (  digest BLOB PRIMARY KEY,  "
    "account_id INTEGER NOT NULL REFERENCES advisors(id)     ON DELETE "
    "CASCADE,  issued_at INTEGER NOT NULL,  expires_at INTEGER NOT "
    "NULL) WITHOUT ROWID;\n"
    "CREATE INDEX advisor_tokens_account ON advisor_tokens(account_id);\n"
    "CREATE TABLE health (  id INTEGER PRIMARY KEY,  at INTEGER NOT "
    "NULL);\n"
    "INSERT INTO health (id, at) VALUES (1, 0);\n"
    "CREATE TABLE whispers (  id INTEGER PRIMARY KEY,  chat_id INTEGER "
    "NOT NULL REFERENCES chats(id) ON DELETE CASCADE,  kind TEXT NOT "
    "NULL,  sender TEXT NOT NULL,  text TEXT NOT NULL,  at INTEGER NOT "
    "NULL,  redacted INTEGER NOT NULL);\n"
    "CREATE INDEX whispers_chat ON whispers(chat_id);\n"
    "CREATE TABLE questions (  id INTEGER PRIMARY KEY,  code BLOB NOT "
    "NULL UNIQUE,  text TEXT NOT NULL,  lang TEXT NOT NULL,  asked_at "
    "INTEGER NOT NULL,  answer TEXT,  answered_at INTEGER,  email "
    "TEXT);\n"
    "CREATE INDEX questions_asked ON questions(asked_at);\n"
    "PRAGMA user_version = 6;\n"
)

# The queued resident's token, in the form the server gives them out
# (base64url of 32 bytes, unpadded: auth.h); the store keeps its SHA-256.
RESIDENT_TOKEN = base64.urlsafe_b64encode(bytes(range(1, 33))).rstrip(b"=").decode()

# (chat_id, seq, sender, text, cid as stored: the cid's compact JSON text),
# in the order they are written. Not in (chat_id, seq) order, and chat 3's
# rows interleaved with chat 2's, so that rowids in that order after the
# upgrade are the migration's doing. Chat 2 holds its resident's "k1" too:
# a key is per chat.
SCHEMA_6_MESSAGES = [
    (3, 2, "resident", "toinen jonossa", '"k2"'),
    (2, 1, "resident", "hei vaan", '"k1"'),
    (1, 2, "advisor", "ole hyvä", None),
    (3, 1, "resident", "ensimmäinen jonossa", '"k1"'),
    (2, 3, "resident", "kiitos", '"k2"'),
    (1, 1, "resident", "vanha viesti", None),
    (2, 2, "advisor", "päivää", '"a1"'),
]


def schema_6_database(path, phc):
    """Schema 6 holding, all of the last hour: chat 1 ended long ago, its
    cids forgotten; chat 2 ended shortly before the stop, within its
    resume grace, so still holding its cids; chat 3 queued (never taken),
    its resident's token stored, with two messages keyed "k1" and "k2"."""
    now = int(time.time())
    t = now - 3000
    digest = hashlib.sha256(RESIDENT_TOKEN.encode()).digest()
    with contextlib.closing(sqlite3.connect(str(path))) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(SCHEMA_6)
        db.execute("INSERT INTO advisors (id, username, name, phc, created_at)"
                   " VALUES (1, ?, ?, ?, ?)", (ADVISOR_USER, ADVISOR_NAME, phc, t))
        db.execute("INSERT INTO chats (id, started_at, lang, topic, taken_at,"
                   " ended_at, ended_by, outcome, rating, last_activity, served)"
                   " VALUES (1, ?, 'fi', 'housing', ?, ?, 'advisor', 'answered',"
                   " 4, ?, 1)", (t, t + 10, t + 100, t + 100))
        db.execute("INSERT INTO chats (id, started_at, lang, taken_at, ended_at,"
                   " ended_by, last_activity, served) VALUES (2, ?, 'fi', ?, ?,"
                   " 'resident', ?, 1)", (now - 400, now - 390, now - 60, now - 60))
        db.execute("INSERT INTO chats (id, started_at, lang, token,"
                   " last_activity) VALUES (3, ?, 'sv', ?, ?)",
                   (now - 300, digest, now - 250))
        for chat, seq, sender, text, cid in SCHEMA_6_MESSAGES:
            at = {1: t + 20, 2: now - 380, 3: now - 290}[chat] + seq
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, 0, ?)",
                       (chat, seq, sender, text, at, cid))
        db.commit()


def test_schema_6_database_is_kept_in_arrival_order_and_a_resend_still_matches(
        make_server, advisor_db):
    srv = make_server(advisor=False, start=False)
    schema_6_database(srv.db, template_phc(advisor_db))
    srv.start()
    texts = {(c, s): text for c, s, _, text, _ in SCHEMA_6_MESSAGES}

    async def go():
        r = await resume(srv, RESIDENT_TOKEN)
        got = await r.recv_type("resumed")
        assert got["state"] == "queued" and got["position"] == 1, got
        history = got["history"]
        assert [(m["id"], m["from"], m["text"], m.get("cid")) for m in history] == [
            (1, "resident", texts[3, 1], "k1"),
            (2, "resident", texts[3, 2], "k2")], history
        # The page never saw the echoes: it sends both again, and gets the
        # stored MSGs back, not second ones.
        again = await send_with_cid(r, texts[3, 1], "k1")
        assert again == history[0], (again, history[0])
        again = await send_with_cid(r, texts[3, 2], "k2")
        assert again == history[1], (again, history[1])
        new = await send_with_cid(r, "kolmas jonossa", "k3")
        assert new["id"] == 3 and new["text"] == "kolmas jonossa", new
        # Its advisor sees each message once, in order.
        a = await advisor(srv)
        r.chat = 3
        chat = await taken(srv, a, r)
        assert [(m["id"], m["text"]) for m in chat["history"]] == [
            (1, texts[3, 1]), (2, texts[3, 2]), (3, "kolmas jonossa")], chat
    run(go())
    assert srv.stop() == 0

    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 7
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        indexes = {n for (n,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "messages_chat" in indexes and "messages_cid" not in indexes, indexes
        rows = db.execute("SELECT id, chat_id, seq, sender, text, cid FROM messages"
                          " ORDER BY id").fetchall()
        # Every old message, and in rowid order they go by (chat, seq),
        # whatever order they were written in.
        old = [row[1:5] for row in rows if row[1] != 3 or row[2] < 3]
        assert old == sorted(
            (c, s, sender, text) for c, s, sender, text, _ in SCHEMA_6_MESSAGES), rows
        # Chat 3: one row a seq, "k1" once, the new "k3" after the old rows.
        assert [(row[2], row[5]) for row in rows if row[1] == 3] == [
            (1, '"k1"'), (2, '"k2"'), (3, '"k3"')], rows
        assert rows[-1][1:3] == (3, 3), rows
        # Chat 2 ended before the start: the start forgot its cids.
        assert [row[5] for row in rows if row[1] in (1, 2)] == [None] * 5, rows
        assert db.execute("SELECT id, keyed FROM chats ORDER BY id").fetchall() == [
            (1, 0), (2, 0), (3, 1)]
