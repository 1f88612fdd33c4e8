"""Issue 6: figures for service development. Real chats go through the real
server; then neuvo-admin reads them back with `stats`, `transcripts export`
and `report`; purge (by hand and the server's own daily one) deletes old
transcripts while the day's figures stay. /metrics shows chats today."""
import datetime as dt
import json
import shutil
import sqlite3
import time

import pytest

from conftest import (CLOSED_ALL_DAY, ROOT, Server, admin, advisor, local_now, local_today,
                      metrics, queued, resident, run, taken, zone)

HETU = "131052-308T"
PHONE = "040 123 4567"
EXPORT_KEYS = ["started", "waited_s", "duration_s", "lang", "topics", "outcome", "messages"]
MESSAGE_KEYS = ["from", "at_s", "text", "redacted"]


def stats_today(srv, *args):
    today = local_today().isoformat()
    r = admin(srv.config, "stats", "--from", today, "--to", today, *args)
    assert r.returncode == 0, r.stderr
    return r


def today_figures(srv):
    return json.loads(stats_today(srv, "--format", "json").stdout)[0]


def export(srv, *args):
    r = admin(srv.config, "transcripts", "export", *args)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def db(srv):
    return sqlite3.connect(str(srv.db), timeout=5)


@pytest.fixture(scope="module")
def chats(tmp_path_factory, advisor_db):
    """Three residents through a real server, then stopped:
    A (fi, topic housing at hello) is served, writes a hetu and a phone,
    gets two answers, is tagged twice (the second tag replaces the first:
    income_support + daily_life, outcome referred), ended by the advisor and
    rates 5; B (sv, topic family) is served, never tagged, ends it herself
    and rates 2; C (en) leaves the queue unserved."""
    srv = Server(tmp_path_factory.mktemp("stats"), template_db=advisor_db)
    srv.start()

    async def scenario():
        a = await advisor(srv)
        ra, qa = await queued(srv, lang="fi", topic="housing")
        rb, qb = await queued(srv, lang="sv", topic="family")
        rc, _ = await queued(srv, lang="en")
        await ra.send({"type": "msg", "text": f"hetu {HETU}, puh {PHONE}"})
        await ra.recv_type("msg")
        await taken(srv, a, ra)
        await taken(srv, a, rb)
        await a.send({"type": "msg", "chat": qa["chat"], "text": "Hei!"})
        await ra.recv_type("msg", text="Hei!")
        await a.send({"type": "msg", "chat": qa["chat"], "text": "Kelan sivuilta."})
        await ra.recv_type("msg", text="Kelan sivuilta.")
        await rb.send({"type": "msg", "text": "Tack."})
        await a.recv_type("msg", text="Tack.")
        await a.send({"type": "tag", "chat": qa["chat"], "topics": ["housing"],
                      "outcome": "answered"})
        await a.recv_type("tagged")
        await a.send({"type": "tag", "chat": qa["chat"],
                      "topics": ["income_support", "daily_life"], "outcome": "referred"})
        await a.recv_type("tagged")
        await rc.send({"type": "end"})
        await rc.recv_type("ended")
        await a.send({"type": "end", "chat": qa["chat"]})
        await ra.recv_type("ended")
        await ra.send({"type": "feedback", "rating": 5})
        await ra.recv_type("thanks")
        await rb.send({"type": "end"})
        await rb.recv_type("ended")
        await rb.send({"type": "feedback", "rating": 2})
        await rb.recv_type("thanks")
        return {"tokens": [qa["token"], qb["token"]], "ids": [qa["chat"], qb["chat"]]}

    try:
        info = run(scenario())
    finally:
        assert srv.stop() == 0
    return srv, info


# ------------------------------------------------------------------ stats

def test_stats_count_started_served_and_abandoned(chats):
    d = today_figures(chats[0])
    assert (d["started"], d["served"], d["abandoned"]) == (3, 2, 1), d


def test_stats_count_every_message_of_the_days_chats(chats):
    assert today_figures(chats[0])["messages"] == 4


def test_stats_topics_follow_the_last_tag_or_the_hello_topic(chats):
    d = today_figures(chats[0])
    assert d["topics"] == {"daily_life": 1, "family": 1, "income_support": 1}, d


def test_stats_outcomes_follow_the_last_tag(chats):
    assert today_figures(chats[0])["outcomes"] == {"referred": 1}


def test_stats_languages_of_the_residents_queued(chats):
    assert today_figures(chats[0])["languages"] == {"en": 1, "fi": 1, "sv": 1}


def test_stats_feedback_count_and_average(chats):
    d = today_figures(chats[0])
    assert d["feedback_count"] == 2 and d["feedback_avg"] == 3.5, d


def test_stats_waits_and_durations_are_whole_seconds(chats):
    d = today_figures(chats[0])
    for key in ("wait_p50_s", "wait_p90_s", "duration_p50_s", "duration_p90_s"):
        assert isinstance(d[key], int) and 0 <= d[key] < 60, (key, d)
    assert d["wait_p50_s"] <= d["wait_p90_s"]


def test_stats_no_closed_attempts_on_an_open_day(chats):
    d = today_figures(chats[0])
    assert d["closed_attempts"] == 0 and d["closed_attempts_by_hour"] == [0] * 24


def test_stats_csv_row_matches_the_json(chats):
    srv, _ = chats
    d = today_figures(srv)
    header, row = stats_today(srv, "--format", "csv").stdout.splitlines()
    fields = dict(zip(header.split(","), row.split(",")))
    assert fields["date"] == d["date"]
    assert int(fields["served"]) == d["served"]
    assert int(fields["wait_p90_s"]) == d["wait_p90_s"]
    assert float(fields["feedback_avg"]) == d["feedback_avg"]


def test_stats_default_format_is_json(chats):
    assert isinstance(json.loads(stats_today(chats[0]).stdout), list)


def test_events_hold_no_identifier(chats):
    srv, info = chats
    with db(srv) as con:
        rows = con.execute("SELECT at, kind, value, label FROM events").fetchall()
    text = repr(rows)
    for secret in info["tokens"] + [HETU, PHONE, "Kelan sivuilta."]:
        assert secret not in text
    labels = {r[3] for r in rows if r[3] is not None}
    assert labels <= {"fi", "sv", "en", "resident", "advisor", "housing", "family",
                      "income_support", "daily_life", "referred"}, labels


# ---------------------------------------------------------------- export

def test_export_has_one_line_per_chat_oldest_first(chats):
    lines = export(chats[0])
    assert [l["lang"] for l in lines] == ["fi", "sv", "en"]


def test_export_lines_hold_only_the_listed_keys(chats):
    for line in export(chats[0]):
        assert list(line) == EXPORT_KEYS, line
        for m in line["messages"]:
            assert list(m) == MESSAGE_KEYS, m


def test_export_messages_are_redacted_with_role_and_seconds(chats):
    first = export(chats[0])[0]
    msgs = first["messages"]
    assert [m["from"] for m in msgs] == ["resident", "advisor", "advisor"]
    assert "[hetu]" in msgs[0]["text"] and "[phone]" in msgs[0]["text"]
    assert msgs[0]["redacted"] is True
    assert all(isinstance(m["at_s"], int) and m["at_s"] >= 0 for m in msgs)


def test_export_topics_outcome_and_duration(chats):
    a, b, c = export(chats[0])
    assert a["topics"] == ["daily_life", "income_support"] and a["outcome"] == "referred"
    assert b["topics"] == ["family"] and b["outcome"] is None
    assert c["waited_s"] is None and isinstance(c["duration_s"], int)


def test_export_holds_no_ids_tokens_or_identifiers(chats):
    srv, info = chats
    r = admin(srv.config, "transcripts", "export")
    for secret in info["tokens"] + [HETU, PHONE]:
        assert secret not in r.stdout
    assert '"chat"' not in r.stdout and '"id"' not in r.stdout


def test_export_start_is_rfc3339_in_the_zone(chats):
    started = dt.datetime.fromisoformat(export(chats[0])[0]["started"])
    assert started.utcoffset() == local_now().utcoffset()


def test_export_from_tomorrow_is_empty(chats):
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    assert export(chats[0], "--from", tomorrow) == []


def test_export_to_today_has_every_chat(chats):
    assert len(export(chats[0], "--to", local_today().isoformat())) == 3


# ----------------------------------------------------------------- report

def report(srv, out, *args):
    """neuvo-admin report of today into `out`, with the pages' string files
    in the server's web root (the report's words come from them)."""
    i18n = srv.web / "i18n"
    if not i18n.exists():
        shutil.copytree(ROOT / "client-web" / "i18n", i18n)
    today = local_today().isoformat()
    return admin(srv.config, "report", "--from", today, "--to", today, "--out", str(out),
                 *args)


def test_report_writes_a_self_contained_page(chats, tmp_path):
    srv, _ = chats
    out = tmp_path / "r.html"
    r = report(srv, out, "--lang", "en")
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 5
    assert "http:" not in html and "https:" not in html and "<script" not in html
    assert 'lang="en"' in html and "Are we open when people try to reach us?" in html
    assert "Income support" in html       # topic income_support by its label


@pytest.mark.parametrize("lang,question,topic", [
    ("fi", "Olemmeko auki silloin, kun meitä yritetään tavoittaa?", "Toimeentulotuki"),
    ("sv", "Har vi öppet när folk försöker nå oss?", "Utkomststöd"),
])
def test_report_speaks_the_language_asked(chats, tmp_path, lang, question, topic):
    srv, _ = chats
    out = tmp_path / "r.html"
    r = report(srv, out, "--lang", lang)
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert f'lang="{lang}"' in html and question in html and topic in html
    assert "Are we open" not in html and "report." not in html


def test_report_defaults_to_the_configured_language(chats, tmp_path):
    srv, _ = chats                          # [chat] default_language = fi
    out = tmp_path / "r.html"
    r = report(srv, out)
    assert r.returncode == 0, r.stderr
    assert 'lang="fi"' in out.read_text()


@pytest.mark.parametrize("lang", ["de", "../i18n/fi", "FI"])
def test_report_in_a_language_without_strings_fails_with_one_line(chats, tmp_path, lang):
    srv, _ = chats
    out = tmp_path / "r.html"
    r = report(srv, out, "--lang", lang)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


# ----------------------------------------------------------- bad arguments

@pytest.mark.parametrize("args", [
    ("stats", "--from", "2026-01-01"),
    ("stats", "--from", "2026-01-02", "--to", "2026-01-01"),
    ("stats", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "xml"),
    ("stats", "--from", "2026-02-30", "--to", "2026-03-01"),
    ("stats", "--from", "2000-01-01", "--to", "2030-01-01"),
    ("transcripts",),
    ("transcripts", "import"),
    ("transcripts", "export", "--from", "yesterday"),
    ("purge", "now"),
    ("report", "--from", "2026-01-01", "--to", "2026-01-02"),
    ("stats", "--from"),
])
def test_bad_arguments_fail_with_one_line(chats, args):
    r = admin(chats[0].config, *args)
    assert r.returncode != 0, (args, r.stdout)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stdout == ""


# ------------------------------------------------------------------ purge

def backdate(srv, days):
    """Move every chat, message and event about `days` days into the past,
    as if the whole recording had happened then, to local noon of that day
    (so a change of UTC offset between then and now, or a recording made
    near midnight, cannot move it to another day). Returns that day,
    YYYY-MM-DD."""
    with db(srv) as con:
        first = con.execute("SELECT min(at) FROM events").fetchone()[0]
    then = dt.datetime.fromtimestamp(first - days * 86400, zone())
    noon = then.replace(hour=12, minute=0, second=0, microsecond=0)
    s = first - int(noon.timestamp())
    with db(srv) as con:
        con.execute("UPDATE chats SET started_at = started_at - ?, taken_at = taken_at - ?,"
                    " ended_at = ended_at - ?", (s, s, s))
        con.execute("UPDATE messages SET at = at - ?", (s,))
        con.execute("UPDATE events SET at = at - ?", (s,))
    return noon.date().isoformat()


def copy_of(chats, tmp_path, advisor_db, **over):
    """A fresh server directory holding a copy of the recorded database."""
    srv = Server(tmp_path, template_db=chats[0].db, **over)
    return srv


def test_purge_deletes_old_chats_and_keeps_their_figures(chats, tmp_path, advisor_db):
    srv = copy_of(chats, tmp_path, advisor_db)
    day = backdate(srv, 400)
    before = admin(srv.config, "stats", "--from", day, "--to", day).stdout
    r = admin(srv.config, "purge")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "purged 3 chats older than 365 days"
    assert export(srv) == []
    with db(srv) as con:
        assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM chat_topics").fetchone()[0] == 0
    after = admin(srv.config, "stats", "--from", day, "--to", day).stdout
    assert after == before
    assert json.loads(after)[0]["served"] == 2


def test_purge_keeps_chats_within_retention_days(chats, tmp_path, advisor_db):
    srv = copy_of(chats, tmp_path, advisor_db)
    backdate(srv, 364)
    r = admin(srv.config, "purge")
    assert r.returncode == 0 and r.stdout.startswith("purged 0 chats"), r
    assert len(export(srv)) == 3


def test_purge_follows_retention_days_of_the_config(chats, tmp_path, advisor_db):
    srv = copy_of(chats, tmp_path, advisor_db, transcripts__retention_days=10)
    backdate(srv, 11)
    r = admin(srv.config, "purge")
    assert r.stdout.strip() == "purged 3 chats older than 10 days", r


def test_server_purges_old_chats_by_itself(chats, tmp_path, advisor_db):
    srv = copy_of(chats, tmp_path, advisor_db)
    day = backdate(srv, 400)
    srv.start()
    try:
        deadline = time.monotonic() + 5
        left = None
        while time.monotonic() < deadline:
            with db(srv) as con:
                left = con.execute("SELECT count(*) FROM chats").fetchone()[0]
            if left == 0:
                break
            time.sleep(0.1)
        assert left == 0, "the server did not purge the old chats"
        assert "purged 3 chats" in srv.log_text()
    finally:
        assert srv.stop() == 0
    d = json.loads(admin(srv.config, "stats", "--from", day, "--to", day).stdout)[0]
    assert (d["started"], d["served"], d["abandoned"]) == (3, 2, 1), d


# ---------------------------------------------------- closed-time attempts

def test_closed_attempts_count_by_local_hour(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def knock():
        for _ in range(2):
            r = await resident(srv, {})
            await r.recv_type("closed")

    run(knock())
    hour = local_now().hour
    srv.stop()
    d = today_figures(srv)
    if local_now().hour != hour:        # the hour turned during the test
        hour = None
    assert d["closed_attempts"] == 2 and d["started"] == 0, d
    assert sum(d["closed_attempts_by_hour"]) == 2
    if hour is not None:
        assert d["closed_attempts_by_hour"][hour] == 2, d


def test_queue_full_is_counted(make_server):
    srv = make_server(queue__max_length=1)

    async def fill():
        r1, _ = await queued(srv)
        r2 = await resident(srv, {})
        await r2.recv_type("queue_full")
        await r1.send({"type": "end"})
        await r1.recv_type("ended")

    run(fill())
    srv.stop()
    d = today_figures(srv)
    assert (d["queue_full"], d["started"], d["abandoned"]) == (1, 1, 1), d


# ----------------------------------------------------------------- metrics

def test_metrics_count_chats_today(make_server):
    srv = make_server()
    assert metrics(srv)["neuvo_chats_today"] == 0

    async def two():
        for _ in range(2):
            r, _ = await queued(srv)
            await r.send({"type": "end"})
            await r.recv_type("ended")

    run(two())
    m = metrics(srv)
    assert m["neuvo_chats_today"] == 2
    assert m["neuvo_queue_length"] == 0
    assert m["neuvo_advisors_available"] == 0


def test_metrics_chats_today_survive_a_restart(make_server):
    srv = make_server()

    async def one():
        r, _ = await queued(srv)
        await r.send({"type": "end"})
        await r.recv_type("ended")

    run(one())
    assert srv.stop() == 0
    srv.start()
    assert metrics(srv)["neuvo_chats_today"] == 1


def test_metrics_hold_no_per_chat_labels(make_server):
    srv = make_server()
    _, _, body = srv.request("/metrics")
    assert "{" not in body.decode()
