"""A database written by the release before restarts were kept (schema 3)
opens in today's server, is brought up to date in place, and works: its
advisor logs in, residents chat, and what it held is still there. The old
schema is written out here by hand, not made by the binary under test."""
import sqlite3
import time

from conftest import (ADVISOR_NAME, ADVISOR_USER, advisor, queued, run,
                      taken)

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
