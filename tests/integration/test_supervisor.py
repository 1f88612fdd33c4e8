"""The supervisors' desk (CONTRACT section 8, issue 15) against the real
server: roles (neuvo-admin advisor add --role, advisor role, login_ok's
role, an advisor refused the supervisor's frames), the board and its
coalesced pushes, watch and unwatch, whispers (never the resident's, the
email copy's or the export's), urgent marks with their alerts and figures,
and transfers, also across a restart.

The accounts: anna and bertta are advisors, sini and siiri supervisors,
made once into a template database (scrypt makes `advisor add` slow)."""
import asyncio
import contextlib
import json
import sqlite3
import time

import pytest

from conftest import (ADVISOR_NAME, ADVISOR_PASSWORD, MANY_CHATS, Server, admin, advisor,
                      chatting, local_today, login, queued, resident, run, taken)
from test_email import smtp_over, smtpd  # noqa: F401 (a fixture)

BERTTA = "Bertta Neuvoja"
SINI = "Sini Vuorovastaava"
SIIRI = "Siiri Vuorovastaava"
HETU = "131052-308T"


@pytest.fixture(scope="module")
def desk_db(tmp_path_factory, advisor_db):
    """A database with anna (advisor, from advisor_db), bertta (advisor),
    sini and siiri (supervisors)."""
    srv = Server(tmp_path_factory.mktemp("desk-template"), template_db=advisor_db)
    for user, name, role in (("bertta", BERTTA, "advisor"), ("sini", SINI, "supervisor"),
                             ("siiri", SIIRI, "supervisor")):
        r = admin(srv.config, "advisor", "add", user, "--name", name, "--role", role,
                  stdin=ADVISOR_PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
    return srv.db


@pytest.fixture
def desk(request, tmp_path, desk_db):
    """desk(**over) -> a started server on a copy of desk_db."""
    servers = []

    def make(start=True, **over):
        srv = Server(tmp_path / f"desk{len(servers)}", template_db=desk_db,
                     **{**MANY_CHATS, **over})
        servers.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in servers:
        srv.stop_in_background(request.node.nodeid)


async def sup(srv, user="sini"):
    return await advisor(srv, user=user)


def db_rows(srv, sql, *args):
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        return db.execute(sql, args).fetchall()


def stats_today(srv, fmt="json"):
    today = local_today().isoformat()
    r = admin(srv.config, "stats", "--from", today, "--to", today, "--format", fmt)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ------------------------------------------------------------------ roles

def test_advisor_list_shows_each_role(desk):
    srv = desk(start=False)
    r = admin(srv.config, "advisor", "list")
    assert r.returncode == 0, r.stderr
    roles = {line.split("\t")[0]: line.split("\t")[-1] for line in r.stdout.splitlines()}
    assert roles == {"anna": "advisor", "bertta": "advisor", "sini": "supervisor",
                     "siiri": "supervisor"}, r.stdout


def test_advisor_role_changes_the_role_and_refuses_nonsense(desk):
    srv = desk(start=False)
    r = admin(srv.config, "advisor", "role", "anna", "supervisor")
    assert r.returncode == 0, r.stderr
    r = admin(srv.config, "advisor", "role", "sini", "advisor")
    assert r.returncode == 0, r.stderr
    out = admin(srv.config, "advisor", "list").stdout
    assert "anna\tAnna Neuvoja\t" in out
    roles = {line.split("\t")[0]: line.split("\t")[-1] for line in out.splitlines()}
    assert roles["anna"] == "supervisor" and roles["sini"] == "advisor", out
    for args in (("role", "anna", "boss"), ("role", "anna"), ("role", "nobody", "advisor"),
                 ("role", "anna", "advisor", "extra"), ("list", "--role", "advisor")):
        r = admin(srv.config, "advisor", *args)
        assert r.returncode != 0, (args, r.stdout)
        assert r.stderr.startswith("neuvo-admin: ") and len(r.stderr.splitlines()) == 1, \
            (args, r.stderr)
    assert "boss" in admin(srv.config, "advisor", "role", "anna", "boss").stderr


def test_advisor_add_with_a_bad_role_adds_nobody(desk):
    srv = desk(start=False)
    r = admin(srv.config, "advisor", "add", "kalle", "--name", "Kalle", "--role", "root",
              stdin=ADVISOR_PASSWORD + "\n")
    assert r.returncode != 0 and "root" in r.stderr, r.stderr
    assert "kalle" not in admin(srv.config, "advisor", "list").stdout
    r = admin(srv.config, "advisor", "add", "kalle", "--name", "Kalle",
              stdin=ADVISOR_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    line = [l for l in admin(srv.config, "advisor", "list").stdout.splitlines()
            if l.startswith("kalle\t")]
    assert line and line[0].endswith("\tadvisor"), line


def test_login_ok_carries_the_role_for_password_and_token(desk):
    srv = desk()

    async def go():
        a = await advisor(srv)
        s = await sup(srv)
        assert a.login_ok["role"] == "advisor" and s.login_ok["role"] == "supervisor"
        await s.close()
        s2, ok = await login(srv, token=s.token)
        assert ok["type"] == "login_ok" and ok["role"] == "supervisor", ok
        a2, ok = await login(srv, token=a.token)
        assert ok["role"] == "advisor", ok
    run(go())


def test_a_role_change_counts_from_the_next_login(desk):
    srv = desk()

    async def go():
        a = await advisor(srv)
        r = admin(srv.config, "advisor", "role", "anna", "supervisor")
        assert r.returncode == 0, r.stderr
        await a.send({"type": "board"})
        await a.error("not_allowed")
        await a.close()
        a2, ok = await login(srv, token=a.token)
        assert ok["role"] == "supervisor", ok
        await a2.send({"type": "board"})
        await a2.recv_type("board")
    run(go())


def test_an_advisor_gets_not_allowed_for_every_supervisor_frame(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        for frame in ({"type": "board"}, {"type": "watch", "chat": res.chat},
                      {"type": "unwatch", "chat": res.chat},
                      {"type": "whisper", "chat": res.chat, "text": "hei"}):
            await b.send(frame)
            await b.error("not_allowed")
        # the chat's own advisor is no supervisor either
        await a.send({"type": "whisper", "chat": res.chat, "text": "hei"})
        await a.error("not_allowed")
        await res.quiet("whisper")
        # and a resident may not even name them
        await res.send({"type": "board"})
        await res.error("bad_type")
    run(go())


def test_supervisor_frames_before_login_are_not_allowed(desk):
    srv = desk()

    async def go():
        from conftest import Client
        c = await Client.connect(srv, "advisor")
        await c.send({"type": "board"})
        await c.error("not_allowed")
    run(go())


# ------------------------------------------------------------------ board

def test_the_board_shows_queue_advisors_and_chats(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv, lang="sv", topic="housing")
        waiting, _ = await queued(srv, topic="family")
        s = await sup(srv)
        await s.send({"type": "board"})
        b = await s.recv_type("board")
        assert b["length"] == 1
        assert [(q["chat"], q["lang"], q["topic"]) for q in b["queue"]] == \
            [(waiting.chat, "fi", "family")], b
        assert isinstance(b["queue"][0]["waited_s"], int)
        names = {x["username"]: x for x in b["advisors"]}
        assert names["anna"]["name"] == ADVISOR_NAME and names["anna"]["chats"] == 1
        assert names["anna"]["available"] is True
        assert names["sini"]["chats"] == 0
        assert [(c["chat"], c["advisor"], c["lang"], c["topic"], c["urgent"])
                for c in b["chats"]] == [(res.chat, ADVISOR_NAME, "sv", "housing", False)]
        assert b["chats"][0]["started"] and b["chats"][0]["last_msg"]
    run(go())


def test_the_board_is_pushed_when_it_changes(desk):
    srv = desk()

    async def go():
        s = await sup(srv)
        await s.send({"type": "board"})
        await s.recv_type("board")
        res, _ = await queued(srv)
        b = await s.recv_where(lambda m: m.get("type") == "board" and m["length"] == 1,
                               "board with one waiting", 5)
        assert b["queue"][0]["chat"] == res.chat
        a = await advisor(srv)
        await taken(srv, a, res)
        b = await s.recv_where(lambda m: m.get("type") == "board" and m["chats"],
                               "board with the chat", 5)
        assert b["chats"][0]["chat"] == res.chat and b["length"] == 0
        await res.send({"type": "end"})
        await s.recv_where(lambda m: m.get("type") == "board" and not m["chats"],
                           "board without the chat", 5)
    run(go())


def test_board_pushes_are_coalesced_over_a_burst(desk):
    srv = desk()

    async def go():
        a = await advisor(srv)
        pairs = []
        for _ in range(3):
            res, _ = await queued(srv)
            await taken(srv, a, res)
            pairs.append(res)
        s = await sup(srv)
        await s.send({"type": "board"})
        await s.recv_type("board")
        await asyncio.sleep(0.5)
        s.drop("board")
        start = time.monotonic()
        sent = 0
        for round_ in range(8):             # 3 residents x 8 = 24 changes
            for res in pairs:
                await res.send({"type": "msg", "text": f"viesti {round_}"})
                sent += 1
            await asyncio.sleep(0.12)
        for res in pairs:
            await res.recv_type("msg", text="viesti 7")
        await asyncio.sleep(0.6)
        elapsed = time.monotonic() - start
        boards = s.unread("board")
        print(f"board pushes: {len(boards)} for {sent} messages in {elapsed:.2f} s")
        assert boards, "no board push during the burst"
        # at most 4 a second (one more for a window's edge), loosely timed
        assert len(boards) <= 4 * (elapsed + 1), (len(boards), elapsed, sent)
        assert len(boards) < sent, (len(boards), sent)
    run(go())


# ------------------------------------------------------------------ watch

def test_watch_sees_the_history_and_live_messages_and_the_resident_is_not_told(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv, topic="housing")
        await res.send({"type": "msg", "text": "ensimmäinen"})
        await a.recv_type("msg", text="ensimmäinen")
        s = await sup(srv)
        await s.send({"type": "watch", "chat": res.chat})
        w = await s.recv_type("chat", chat=res.chat)
        assert w["watching"] is True and w["advisor"] == ADVISOR_NAME
        assert w["whispers"] == [] and w["urgent"] is False and w["topic"] == "housing"
        assert [m["text"] for m in w["history"]] == ["ensimmäinen"]
        await res.send({"type": "msg", "text": "toinen"})
        m = await s.recv_type("msg", text="toinen")
        assert m["chat"] == res.chat and m["from"] == "resident"
        await a.send({"type": "msg", "chat": res.chat, "text": "vastaus"})
        m = await s.recv_type("msg", text="vastaus")
        assert m["chat"] == res.chat and m["from"] == "advisor"
        # read only
        for frame in ({"type": "msg", "chat": res.chat, "text": "väliin"},
                      {"type": "end", "chat": res.chat},
                      {"type": "tag", "chat": res.chat, "topics": ["housing"]}):
            await s.send(frame)
            await s.error("not_allowed")
        await s.send({"type": "unwatch", "chat": res.chat})
        await s.recv_type("unwatched", chat=res.chat)
        await res.send({"type": "msg", "text": "kolmas"})
        await a.recv_type("msg", text="kolmas")
        await s.quiet("msg")
        # the resident saw nothing of it
        seen = {m["type"] for m in res.frames}
        assert seen <= {"queued", "assigned", "msg", "position"}, seen
        assert "väliin" not in json.dumps(res.frames, ensure_ascii=False)
    run(go())


def test_watch_of_an_unknown_or_waiting_chat_is_unknown_chat(desk):
    srv = desk()

    async def go():
        waiting, _ = await queued(srv)
        s = await sup(srv)
        for chat in (waiting.chat, 99999):
            await s.send({"type": "watch", "chat": chat})
            await s.error("unknown_chat")
    run(go())


def test_watchers_see_the_end(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await sup(srv)
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await a.send({"type": "end", "chat": res.chat})
        e = await s.recv_type("ended", chat=res.chat)
        assert e["by"] == "advisor"
        await s.send({"type": "watch", "chat": res.chat})
        await s.error("unknown_chat")
    run(go())


# ---------------------------------------------------------------- whisper

def test_a_whisper_reaches_advisor_watchers_and_sender_never_the_resident(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await sup(srv)
        s2 = await sup(srv, "siiri")
        await s2.send({"type": "watch", "chat": res.chat})
        await s2.recv_type("chat", chat=res.chat)
        await s.send({"type": "whisper", "chat": res.chat, "text": "Kysy asumisesta"})
        for c in (a, s, s2):
            w = await c.recv_type("whisper", chat=res.chat)
            assert w["from"] == SINI and w["text"] == "Kysy asumisesta", w
            assert w["redacted"] is False and w["at"]
        await res.quiet("whisper", 0.8)
        assert "Kysy asumisesta" not in json.dumps(res.frames, ensure_ascii=False)
        # a later watcher gets it in the watch frame
        await s.send({"type": "watch", "chat": res.chat})
        w = await s.recv_type("chat", chat=res.chat)
        assert [x["text"] for x in w["whispers"]] == ["Kysy asumisesta"]
        assert "Kysy asumisesta" not in json.dumps(w["history"], ensure_ascii=False)
    run(go())


def test_whispers_and_notes_travel_with_the_chat_each_once_by_id(desk):
    """The chat's whispers and notes come with an advisor's `chat` frame:
    at a transfer (the note among them, by `note_id`) and at a login again
    (a reconnect or a restart), or its console loses them. Each has the id
    of its stored line, so two alike are two lines."""
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        ids = []
        for _ in range(2):      # the same words twice, within a second
            await s.send({"type": "whisper", "chat": res.chat, "text": "Kysy asumistuesta"})
            ids.append((await a.recv_type("whisper", chat=res.chat))["id"])
        assert ids[0] != ids[1], ids
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta",
                      "note": "Kysyi vuokrasta"})
        moved = await b.recv_type("chat", chat=res.chat)
        got = [(w["id"], w["from"], w["text"], w.get("note", False)) for w in moved["whispers"]]
        assert got[:2] == [(ids[0], SINI, "Kysy asumistuesta", False),
                           (ids[1], SINI, "Kysy asumistuesta", False)], got
        assert got[2][1:] == (ADVISOR_NAME, "Kysyi vuokrasta", True), got
        assert moved["note_id"] == got[2][0] and moved["note"] == "Kysyi vuokrasta", moved
        await b.close()
        again, ok = await login(srv, token=b.token)
        assert ok["type"] == "login_ok", ok
        c = await again.recv_type("chat", chat=res.chat)
        assert c.get("resumed") is True
        assert [(w["id"], w["from"], w["text"], w.get("note", False))
                for w in c["whispers"]] == got, c
        assert "Kysy asumistuesta" not in json.dumps(c["history"], ensure_ascii=False)
        await res.quiet("whisper", 0.5)
        assert "Kysy" not in json.dumps(res.frames, ensure_ascii=False)
    run(go())


def test_a_chat_without_whispers_comes_without_the_list(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        frames = [f for f in a.frames if f.get("type") == "chat" and f.get("chat") == res.chat]
        assert frames and "whispers" not in frames[-1], frames
    run(go())


def test_a_whisper_is_redacted_and_stored_so(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await sup(srv)
        await s.send({"type": "whisper", "chat": res.chat, "text": f"hetu {HETU} tässä"})
        w = await a.recv_type("whisper", chat=res.chat)
        assert w["text"] == "hetu [hetu] tässä" and w["redacted"] is True, w
        await asyncio.sleep(0.3)
    run(go())
    rows = db_rows(srv, "SELECT kind, sender, text, redacted FROM whispers")
    assert rows == [("whisper", SINI, "hetu [hetu] tässä", 1)], rows


def test_whisper_errors(desk):
    srv = desk(chat__max_message_chars="20")

    async def go():
        res, a = await chatting(srv)
        waiting, _ = await queued(srv)
        s = await sup(srv)
        await s.send({"type": "whisper", "chat": res.chat, "text": "x" * 21})
        await s.error("too_long")
        for chat in (waiting.chat, 99999):
            await s.send({"type": "whisper", "chat": chat, "text": "hei"})
            await s.error("unknown_chat")
        await s.send({"type": "whisper", "chat": res.chat, "text": "   "})
        await s.error("bad_field")
        await s.send({"type": "whisper", "chat": res.chat})
        await s.error("bad_field")
        await a.quiet("whisper")
    run(go())


def test_whispers_are_not_in_the_export(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await sup(srv)
        await s.send({"type": "whisper", "chat": res.chat, "text": "sisäinen kuiskaus"})
        await a.recv_type("whisper")
        await res.send({"type": "msg", "text": "asukkaan viesti"})
        await a.recv_type("msg", text="asukkaan viesti")
        await res.send({"type": "end"})
        await res.recv_type("ended")
        await asyncio.sleep(0.3)
    run(go())
    r = admin(srv.config, "transcripts", "export")
    assert r.returncode == 0, r.stderr
    assert "asukkaan viesti" in r.stdout
    assert "kuiskaus" not in r.stdout and "whisper" not in r.stdout, r.stdout


def test_whispers_and_notes_are_not_in_the_email_copy(desk, smtpd):
    sink, ctl = smtpd()
    srv = desk(**smtp_over(ctl))

    async def go():
        res, a = await chatting(srv)
        await advisor(srv, user="bertta")
        s = await sup(srv)
        await res.send({"type": "email", "to": "kopio@example.org"})
        await res.recv_type("email_queued")
        await s.send({"type": "whisper", "chat": res.chat, "text": "kuiskaus sisäinen"})
        await a.recv_type("whisper")
        await a.send({"type": "msg", "chat": res.chat, "text": "neuvojan vastaus"})
        await res.recv_type("msg", text="neuvojan vastaus")
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta",
                      "note": "siirtomuistio sisäinen"})
        await res.recv_type("assigned")
        await res.send({"type": "end"})
        await res.recv_type("ended")
    run(go())
    raw, _ = sink.wait_message()
    text = raw.decode("utf-8", "replace")
    import email
    import email.policy
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "neuvojan vastaus" in body
    for needle in ("kuiskaus", "siirtomuistio", "sisäinen"):
        assert needle not in body and needle not in text, needle


# ----------------------------------------------------------------- urgent

def test_urgent_alerts_every_supervisor_and_shows_on_the_board(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        s2 = await sup(srv, "siiri")
        await s.send({"type": "board"})
        await s.recv_type("board")
        await a.send({"type": "urgent", "chat": res.chat, "on": True})
        u = await a.recv_type("urgent", chat=res.chat)
        assert u["on"] is True
        for c in (s, s2):
            al = await c.recv_type("alert", chat=res.chat)
            assert al["advisor"] == ADVISOR_NAME
        await s.recv_where(lambda m: m.get("type") == "board" and m["chats"] and
                           m["chats"][0]["urgent"] is True, "urgent on the board", 5)
        await b.quiet("alert")
        await res.quiet("urgent", 0.3)
        assert not [m for m in res.frames if m["type"] in ("urgent", "alert")]
        # already on: no second alert
        await a.send({"type": "urgent", "chat": res.chat, "on": True})
        await a.recv_type("urgent", chat=res.chat)
        await s.quiet("alert")
    run(go())


def test_urgent_by_others_is_refused_and_a_watching_supervisor_may_mark(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        await b.send({"type": "urgent", "chat": res.chat, "on": True})
        await b.error("unknown_chat")
        await s.send({"type": "urgent", "chat": res.chat, "on": True})
        await s.error("unknown_chat")
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await s.send({"type": "urgent", "chat": res.chat, "on": True})
        assert (await a.recv_type("urgent", chat=res.chat))["on"] is True
        assert (await s.recv_type("urgent", chat=res.chat))["on"] is True
        await s.recv_type("alert", chat=res.chat)
        await a.send({"type": "urgent", "chat": res.chat, "on": "yes"})
        await a.error("bad_field")
    run(go())


def test_urgent_chats_are_counted_once_per_chat_per_day(desk):
    srv = desk()

    async def go():
        a = await advisor(srv)
        for _ in range(2):
            res, _ = await queued(srv)
            await taken(srv, a, res)
            for on in (True, False, True):
                await a.send({"type": "urgent", "chat": res.chat, "on": on})
                await a.recv_type("urgent", chat=res.chat, on=on)
                await asyncio.sleep(0.15)   # under 10 frames a second
        res, _ = await queued(srv)          # never marked
        await taken(srv, a, res)
        await asyncio.sleep(0.3)
    run(go())
    day = json.loads(stats_today(srv))[0]
    assert day["urgent"] == 2, day
    header, row = stats_today(srv, "csv").splitlines()[:2]
    col = header.split(",").index("urgent")     # after blocked (section 7)
    assert row.split(",")[col] == "2", (header, row)


# --------------------------------------------------------------- transfer

def test_a_transfer_moves_the_chat_with_its_history_and_note(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv, topic="family")
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await res.send({"type": "msg", "text": "alussa"})
        await a.recv_type("msg", text="alussa")
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta",
                      "note": f"Tuttu asiakas, hetu {HETU}"})
        # a message in flight right behind the transfer lands with bertta
        await res.send({"type": "msg", "text": "heti perään"})
        c = await b.recv_type("chat", chat=res.chat)
        assert c["from"] == ADVISOR_NAME and c["note"] == "Tuttu asiakas, hetu [hetu]"
        assert c["topic"] == "family" and c["transferred"] is True
        got = [m["text"] for m in c["history"]]
        assert got[0] == "alussa", got
        if "heti perään" not in got:
            await b.recv_type("msg", text="heti perään")
        assert (await res.recv_type("assigned"))["advisor"] == BERTTA
        t = await a.recv_type("transferred", chat=res.chat)
        assert t["to"] == BERTTA
        assert (await s.recv_type("transferred", chat=res.chat))["to"] == BERTTA
        # the old advisor has lost it
        for frame in ({"type": "msg", "chat": res.chat, "text": "vielä"},
                      {"type": "end", "chat": res.chat}):
            await a.send(frame)
            e = await a.recv_type("error")
            assert e["code"] in ("unknown_chat", "not_allowed"), e
        await b.send({"type": "msg", "chat": res.chat, "text": "Bertta tässä"})
        await res.recv_type("msg", text="Bertta tässä")
        assert (await s.recv_type("msg", text="Bertta tässä"))["chat"] == res.chat
        # the note never reaches the resident
        assert "Tuttu asiakas" not in json.dumps(res.frames, ensure_ascii=False)
        await asyncio.sleep(0.3)
    run(go())
    rows = db_rows(srv, "SELECT kind, text FROM whispers")
    assert rows == [("note", "Tuttu asiakas, hetu [hetu]")], rows


def test_a_supervisor_may_transfer_any_running_chat(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        await s.send({"type": "transfer", "chat": res.chat, "to": "bertta"})
        c = await b.recv_type("chat", chat=res.chat)
        assert c["note"] is None and c["from"] == SINI
        await a.recv_type("transferred", chat=res.chat)
        await s.recv_type("transferred", chat=res.chat)
        await res.recv_type("assigned", advisor=BERTTA)
    run(go())


def test_transfer_refusals(desk):
    srv = desk(queue__max_chats_per_advisor="1")

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        other, _ = await queued(srv)
        await taken(srv, b, other)          # bertta is full now
        for to in ("bertta", "siiri", "nobody"):
            await a.send({"type": "transfer", "chat": res.chat, "to": to})
            await a.error("not_available")
        await a.send({"type": "transfer", "chat": res.chat, "to": "anna"})
        await a.error("not_allowed")
        await a.send({"type": "transfer", "chat": 99999, "to": "bertta"})
        await a.error("unknown_chat")
        await a.send({"type": "transfer", "chat": other.chat, "to": "sini"})
        await a.error("unknown_chat")       # not hers, and she is no supervisor
        await a.send({"type": "transfer", "chat": res.chat})
        await a.error("bad_field")
        await a.send({"type": "transfer", "chat": res.chat, "to": "sini",
                      "note": "x" * 2001})
        await a.error("too_long")
        # nothing moved (a new second: anna sent ten frames in this one)
        await asyncio.sleep(1.1)
        await a.send({"type": "msg", "chat": res.chat, "text": "yhä minun"})
        await res.recv_type("msg", text="yhä minun")
        assert not res.unread("assigned")
    run(go())


def test_a_restart_keeps_the_urgent_mark_and_the_new_owner(desk):
    srv = desk()
    st = {}

    async def before():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        await a.send({"type": "urgent", "chat": res.chat, "on": True})
        await a.recv_type("urgent", chat=res.chat)
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta"})
        await b.recv_type("chat", chat=res.chat)
        await res.recv_type("assigned")
        st.update(chat=res.chat, token=res.token, a=a.token, b=b.token)
    run(before())
    assert srv.stop() == 0
    srv.start()

    async def after():
        b, ok = await login(srv, token=st["b"])
        assert ok["type"] == "login_ok", ok
        c = await b.recv_type("chat", chat=st["chat"])
        assert c.get("resumed") is True
        assert (await b.recv_type("urgent", chat=st["chat"]))["on"] is True
        a, ok = await login(srv, token=st["a"])
        assert ok["type"] == "login_ok", ok
        await asyncio.sleep(0.5)
        assert not a.unread("chat"), a.unread("chat")
        s = await sup(srv)
        await s.send({"type": "board"})
        board = await s.recv_type("board")
        assert [(x["chat"], x["advisor"], x["urgent"]) for x in board["chats"]] == \
            [(st["chat"], BERTTA, True)], board
        r = await resident(srv)
        await r.send({"type": "resume", "token": st["token"]})
        assert (await r.recv_type("resumed"))["advisor"] == BERTTA
    run(after())


def test_transfers_back_and_forth_lose_no_message(desk):
    """A supervisor moves a chat between two advisors again and again while
    the resident writes: every message is in the history of whoever holds
    it at the end, once and in order."""
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await sup(srv)
        owners = ["bertta", "anna"]
        for i in range(12):
            await res.send({"type": "msg", "text": f"viesti {i}", "cid": f"c{i}"})
            await s.send({"type": "transfer", "chat": res.chat, "to": owners[i % 2]})
            await asyncio.sleep(0.15)       # under 10 frames a second each
        for i in range(12):
            await res.recv_type("msg", cid=f"c{i}")
        await s.send({"type": "transfer", "chat": res.chat, "to": "sini"})
        c = await s.recv_type("chat", chat=res.chat, transferred=True, timeout=5)
        texts = [m["text"] for m in c["history"]]
        assert texts == [f"viesti {i}" for i in range(12)], texts
        ids = [m["id"] for m in c["history"]]
        assert ids == sorted(set(ids)), ids
        assert (await res.recv_where(lambda m: m.get("type") == "assigned" and
                                     m["advisor"] == SINI, "assigned to sini"))
        assert not s.unread("error"), s.unread("error")
        # each advisor saw only the messages written while it held the chat,
        # each once
        for adv in (a, b):
            seen = [m["text"] for m in adv.frames if m.get("type") == "msg"]
            assert len(seen) == len(set(seen)), seen
    run(go())


def test_a_supervisor_watches_at_most_sixteen_chats(desk):
    srv = desk(queue__max_chats_per_advisor="20")

    async def go():
        a = await advisor(srv)
        s = await sup(srv)
        chats = []
        for _ in range(17):
            res, _ = await queued(srv)
            await taken(srv, a, res)
            chats.append(res.chat)
            await asyncio.sleep(0.15)       # under 10 frames a second
        for chat in chats[:16]:
            await s.send({"type": "watch", "chat": chat})
            await s.recv_type("chat", chat=chat)
            await asyncio.sleep(0.15)
        await s.send({"type": "watch", "chat": chats[16]})
        await s.error("not_allowed")
        await s.send({"type": "unwatch", "chat": chats[0]})
        await s.recv_type("unwatched", chat=chats[0])
        await s.send({"type": "watch", "chat": chats[16]})
        await s.recv_type("chat", chat=chats[16])
    run(go())
