"""CONTRACT section 1, the remaining neuvo-admin rows: `stats` (its shape
from section 6), `transcripts export` (redacted JSON Lines) and `purge`.
The chat is recorded once by a real server; neuvo-admin reads its database
after the server has stopped."""
import datetime as dt
import json
import pathlib
import sqlite3

import pytest

from conftest import Server, admin, advisor, local_today, queued, resident, run

STATS_KEYS = ["date", "started", "served", "abandoned", "queue_full", "closed_attempts",
              "closed_attempts_by_hour", "wait_p50_s", "wait_p90_s", "duration_p50_s",
              "duration_p90_s", "messages", "feedback_count", "feedback_avg", "topics",
              "outcomes"]
CSV_COLUMNS = [k for k in STATS_KEYS if k not in ("closed_attempts_by_hour", "topics",
                                                   "outcomes")]
HETU = "131052-308T"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, advisor_db):
    """A server that served one chat (3 messages, tagged housing/answered,
    rating 4) and turned one resident away as queue_full; then stopped."""
    srv = Server(tmp_path_factory.mktemp("reports"), template_db=advisor_db,
                 queue__max_length=1)
    srv.start()

    async def chat():
        r, q = await queued(srv, topic="housing")
        await r.send({"type": "msg", "text": f"tunnukseni {HETU}"})
        await r.recv_type("msg")
        a = await advisor(srv)
        await a.send({"type": "take", "chat": q["chat"]})
        await a.recv_type("chat")
        await a.send({"type": "msg", "chat": q["chat"], "text": "Kiitos kysymyksestä."})
        await r.recv_type("msg", text="Kiitos kysymyksestä.")
        await r.send({"type": "msg", "text": "Selvä, kiitos!"})
        await a.recv_type("msg", text="Selvä, kiitos!")
        await a.send({"type": "tag", "chat": q["chat"], "topics": ["housing"],
                      "outcome": "answered"})
        await a.send({"type": "end", "chat": q["chat"]})
        await r.recv_type("ended")
        await r.send({"type": "feedback", "rating": 4})
        await r.recv_type("thanks")
        return q["token"]

    async def turned_away():
        r1, _ = await queued(srv)
        r2 = await resident(srv, {})
        await r2.recv_type("queue_full")
        await r1.send({"type": "end"})
        await r1.recv_type("ended")

    try:
        token = run(chat())
        run(turned_away())
    finally:
        srv.stop()              # (its exit code is checked by the signal tests)
    return srv, token


def stats(srv, *args):
    today = local_today()
    return admin(srv.config, "stats", "--from", (today - dt.timedelta(days=2)).isoformat(),
                 "--to", today.isoformat(), *args)


def test_stats_json_has_one_object_per_day_with_the_contract_keys(recorded):
    srv, _ = recorded
    r = stats(srv, "--format", "json")
    assert r.returncode == 0, r.stderr
    days = json.loads(r.stdout)
    today = local_today()
    assert [d["date"] for d in days] == [(today - dt.timedelta(days=i)).isoformat()
                                         for i in (2, 1, 0)]
    for d in days:
        for key in STATS_KEYS:
            assert key in d, (key, d)
        assert len(d["closed_attempts_by_hour"]) == 24


def test_stats_count_todays_served_chat_feedback_and_topic(recorded):
    srv, _ = recorded
    r = stats(srv, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)[-1]
    assert d["started"] == 2 and d["served"] == 1 and d["abandoned"] == 1, d
    assert d["queue_full"] == 1, d
    assert d["messages"] == 3, d
    assert d["feedback_count"] == 1 and d["feedback_avg"] == 4, d
    assert d["topics"].get("housing") == 1 and d["outcomes"].get("answered") == 1, d
    assert isinstance(d["wait_p50_s"], (int, float))
    yesterday = json.loads(r.stdout)[-2]
    assert yesterday["started"] == 0 and yesterday["wait_p50_s"] is None
    assert yesterday["feedback_avg"] is None


def test_stats_csv_has_a_header_and_one_row_per_day(recorded):
    srv, _ = recorded
    r = stats(srv, "--format", "csv")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4, lines
    header = lines[0].split(",")
    assert [c for c in header if c in CSV_COLUMNS] == CSV_COLUMNS, header
    assert lines[-1].startswith(local_today().isoformat() + ",")


def test_stats_with_a_bad_date_fails_with_one_line(recorded):
    srv, _ = recorded
    r = admin(srv.config, "stats", "--from", "2026-13-01", "--to", "2026-12-01")
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_transcripts_export_is_redacted_json_lines(recorded):
    srv, token = recorded
    r = admin(srv.config, "transcripts", "export")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert lines, "nothing exported"
    for line in lines:
        assert isinstance(json.loads(line), dict), line
    assert "[hetu]" in r.stdout
    assert HETU not in r.stdout and token not in r.stdout


def test_purge_keeps_transcripts_within_retention_days(recorded):
    srv, _ = recorded
    r = admin(srv.config, "purge")
    assert r.returncode == 0, r.stderr
    r = admin(srv.config, "transcripts", "export")
    assert r.returncode == 0 and "[hetu]" in r.stdout


def test_purge_leaves_no_old_text_in_the_file_or_its_wal(tmp_path, advisor_db):
    """A transcript past retention_days goes, and with it every byte of its
    text: secure_delete overwrites the pages and purge empties the WAL. The
    purge runs beside the live server, whose connection keeps the WAL (and
    the frames the chat wrote into it) in place."""
    marker = "Vanhentunutviesti kirahvi"
    srv = Server(tmp_path, template_db=advisor_db)
    srv.start()

    async def chat():
        r, q = await queued(srv)
        a = await advisor(srv)
        await a.send({"type": "take", "chat": q["chat"]})
        await a.recv_type("chat")
        await r.send({"type": "msg", "text": marker})
        await a.recv_type("msg", text=marker)
        await a.send({"type": "end", "chat": q["chat"]})
        await r.recv_type("ended")

    try:
        run(chat())
        with sqlite3.connect(str(srv.db)) as db:   # age it past retention
            db.execute("UPDATE chats SET started_at = started_at - 400 * 86400, "
                       "ended_at = ended_at - 400 * 86400")
        db.close()
        assert any(marker.encode() in f.read_bytes() for f in srv.db_files())
        r = admin(srv.config, "purge")
        assert r.returncode == 0, r.stderr
        # The server's own daily purge may run first (its first one waits
        # for an empty queue, which the ended chat just gave it): then the
        # admin finds nothing left, and its WAL truncation still runs.
        by_server = "purged 1 chats" in srv.log_text()
        assert ("purged 1 chats" in r.stdout) != by_server, (r.stdout, by_server)
        for f in srv.db_files():
            assert marker.encode() not in f.read_bytes(), f.name
    finally:
        srv.stop()
    r = admin(srv.config, "transcripts", "export")
    assert r.returncode == 0 and marker not in r.stdout
