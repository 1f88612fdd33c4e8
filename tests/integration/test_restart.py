"""Restart without losing anyone (CONTRACT section 7, issue 13).

SIGTERM closes every WebSocket with 1012 and keeps the queue and the chats
in the database; the next start rebuilds them. A resident's `resume` with
its old token gets its state, its place (by original arrival) and its full
history; an advisor's token login gets `login_ok` and one `chat` per chat
it had. Chats nobody resumes within resume_grace_s of the start end
`by:"disconnect"`, counted once. SIGUSR1 drains: no new residents, the open
chats run to their end, then the server exits 0 by itself."""
import asyncio
import contextlib
import hashlib
import signal
import sqlite3
import time

from conftest import (ADVISOR_NAME, admin, advisor, chatting, login, metrics, queued,
                      refused_login, resident, resume, run, taken)


def restart(srv):
    """SIGTERM, exit 0, and the same config up again."""
    assert srv.stop() == 0
    srv.start()


async def stopped_with_1012(srv, *clients):
    srv.signal(signal.SIGTERM)
    codes = [await c.close_code() for c in clients]
    assert codes == [1012] * len(clients), codes
    assert srv.wait_exit() == 0
    for c in clients:
        assert not c.unread("ended"), c.unread("ended")


async def say(c, text, cid, chat=None):
    """Send a msg with a cid; the sender's echo."""
    frame = {"type": "msg", "text": text, "cid": cid}
    if chat is not None:
        frame["chat"] = chat
    await c.send(frame)
    return await c.recv_type("msg", cid=cid)


def db_rows(srv, sql, *args):
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        return db.execute(sql, args).fetchall()


def wait_until(pred, what, limit=20.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {limit}s: {what}")


def test_sigterm_keeps_the_queue_in_order_with_history(make_server):
    srv = make_server()
    state = {}

    async def before():
        r1, _ = await queued(srv)
        r2, _ = await queued(srv)
        r3, _ = await queued(srv)
        e = await say(r2, "odotan vuoroani", "k-1")
        state.update(tokens=[r1.token, r2.token, r3.token], echo=e,
                     chats=[r1.chat, r2.chat, r3.chat])
        await stopped_with_1012(srv, r1, r2, r3)

    run(before())
    srv.start()

    async def after():
        t1, t2, t3 = state["tokens"]
        # Out of order on purpose: the place is by arrival, not by resume.
        r3 = await resume(srv, t3)
        r2 = await resume(srv, t2)
        r1 = await resume(srv, t1)
        got3 = await r3.recv_type("resumed")
        got2 = await r2.recv_type("resumed")
        got1 = await r1.recv_type("resumed")
        assert (got1["state"], got2["state"], got3["state"]) == ("queued",) * 3
        assert (got1["position"], got2["position"], got3["position"]) == (1, 2, 3)
        assert got2["history"] == [state["echo"]]   # the same MSG, cid and all
        assert got1["history"] == [] and got3["history"] == []
        assert srv.status()["queue_length"] == 3
        a = await advisor(srv)
        q = await a.recv_type("queue")
        assert [w["chat"] for w in q["waiting"]] == state["chats"]
    run(after())


def test_a_restored_chat_whose_token_key_clashes_is_still_resumed(make_server):
    """The server finds a resume's chat by the first 8 bytes of its token's
    digest. Two restored chats sharing those (forged here in the database:
    a 2^-64 chance otherwise) must not lose the second one."""
    srv = make_server()
    state = {}

    async def before():
        r1, _ = await queued(srv)
        r2, _ = await queued(srv)
        state.update(tokens=[r1.token, r2.token], chats=[r1.chat, r2.chat])
        await stopped_with_1012(srv, r1, r2)

    run(before())
    t1, t2 = state["tokens"]
    first, second = state["chats"]
    prefix = hashlib.sha256(t2.encode()).digest()[:8]
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        old = db.execute("SELECT token FROM chats WHERE id = ?", (first,)).fetchone()[0]
        db.execute("UPDATE chats SET token = ? WHERE id = ?", (prefix + old[8:], first))
        db.commit()
    srv.start()

    async def after():
        r2 = await resume(srv, t2)
        got = await r2.recv_type("resumed")
        assert (got["state"], got["position"]) == ("queued", 2), got
        r1 = await resume(srv, t1)          # its stored digest is forged now
        await r1.error("not_allowed")
        stranger = await resume(srv, "x" * len(t2))
        await stranger.error("not_allowed")
        assert srv.status()["queue_length"] == 2
    run(after())


def test_sigterm_keeps_a_chat_for_both_sides(make_server):
    srv = make_server()
    state = {}

    async def before():
        r, a = await chatting(srv, topic="housing")
        echoes = [await say(r, "hei, tarvitsen apua", "r1"),
                  await say(a, "Hei! Kerro lisää.", "a1", chat=r.chat),
                  await say(r, "vuokra on myöhässä", 2)]
        await a.recv_type("msg", chat=r.chat, id=3)
        state.update(token=r.token, chat=r.chat, adv_token=a.token, echoes=echoes)
        await stopped_with_1012(srv, r, a)

    run(before())
    srv.start()

    async def after():
        chat, echoes = state["chat"], state["echoes"]
        a, ok = await login(srv, token=state["adv_token"])
        assert ok["type"] == "login_ok" and ok["name"] == ADVISOR_NAME, ok
        frame = await a.recv_type("chat", chat=chat)
        assert frame["topic"] == "housing" and frame.get("resumed") is True
        hist = frame["history"]
        assert [m["id"] for m in hist] == [1, 2, 3]
        assert [m["text"] for m in hist] == [e["text"] for e in echoes]
        # The advisor's own message carries its cid, the resident's do not.
        assert hist[1]["cid"] == "a1" and "cid" not in hist[0] and "cid" not in hist[2]
        r = await resume(srv, state["token"])
        res = await r.recv_type("resumed")
        assert res["state"] == "chatting" and res["advisor"] == ADVISOR_NAME
        assert [m["id"] for m in res["history"]] == [1, 2, 3]
        assert res["history"][0]["cid"] == "r1" and res["history"][2]["cid"] == 2
        assert "cid" not in res["history"][1]
        # They carry on where they were.
        e = await say(r, "jatketaan", "r3")
        assert e["id"] == 4
        got = await a.recv_type("msg", chat=chat, id=4)
        assert got["text"] == "jatketaan"
        e = await say(a, "Selvä.", "a2", chat=chat)
        assert (await r.recv_type("msg", id=5))["text"] == "Selvä."
        await r.send({"type": "end"})
        assert (await a.recv_type("ended", chat=chat))["by"] == "resident"
    run(after())


def test_a_resend_after_a_restart_is_not_stored_twice(make_server):
    srv = make_server()
    state = {}

    async def before():
        r, a = await chatting(srv)
        e = await say(r, "lähetetty kerran", "kerran")
        state.update(token=r.token, chat=r.chat, echo=e)
        await stopped_with_1012(srv, r, a)

    run(before())
    srv.start()

    async def after():
        r = await resume(srv, state["token"])
        await r.recv_type("resumed")
        # The page never saw its echo (say): it sends again, same cid.
        again = await say(r, "lähetetty kerran", "kerran")
        assert again == state["echo"]
        new = await say(r, "lähetetty kerran", "toinen")
        assert new["id"] == state["echo"]["id"] + 1
    run(after())
    assert db_rows(srv, "SELECT count(*) FROM messages WHERE chat_id = ?",
                   state["chat"]) == [(2,)]


def test_not_resumed_within_the_grace_of_the_start_ends_by_disconnect(make_server):
    srv = make_server(queue__resume_grace_s="2")
    state = {}

    async def before():
        r, a = await chatting(srv)
        q, _ = await queued(srv)
        state.update(chat=r.chat, queued=q.chat)
        await stopped_with_1012(srv, r, a, q)

    run(before())
    srv.start()
    # Nobody comes back: both end once the grace from the start is over.
    wait_until(lambda: db_rows(srv, "SELECT count(*) FROM chats WHERE ended_at IS NULL")
               == [(0,)], "both chats ended")
    assert db_rows(srv, "SELECT id, ended_by FROM chats ORDER BY id") == \
        [(state["chat"], "disconnect"), (state["queued"], "disconnect")]
    # Counted once: served and ended for the chat, abandoned for the queued.
    kinds = dict(db_rows(srv, "SELECT kind, count(*) FROM events"
                              " WHERE kind IN ('served', 'ended', 'abandoned')"
                              " GROUP BY kind"))
    assert kinds == {"served": 1, "ended": 1, "abandoned": 1}, kinds
    m = metrics(srv)
    assert m["neuvo_queue_length"] == 0 and m["neuvo_chats_active"] == 0


def test_an_advisor_not_back_in_time_hands_the_chat_back(make_server):
    srv = make_server(queue__resume_grace_s="2")
    state = {}

    async def before():
        r, a = await chatting(srv)
        state.update(token=r.token, chat=r.chat)
        await stopped_with_1012(srv, r, a)

    run(before())
    srv.start()

    async def after():
        r = await resume(srv, state["token"])
        assert (await r.recv_type("resumed"))["state"] == "chatting"
        # The advisor stays away past the grace: back to the front.
        p = await r.recv_type("position", timeout=15)
        assert p["position"] == 1
        a = await advisor(srv)
        r.chat = state["chat"]
        await taken(srv, a, r)
    run(after())
    kinds = dict(db_rows(srv, "SELECT kind, count(*) FROM events"
                              " WHERE kind IN ('served', 'abandoned') GROUP BY kind"))
    assert kinds == {"served": 1}, kinds


def test_connections_arriving_during_the_stop_get_1012(make_server):
    srv = make_server()

    async def go():
        r, _ = await queued(srv)
        idle = await resident(srv)
        srv.signal(signal.SIGTERM)
        assert await r.close_code() == 1012
        assert await idle.close_code() == 1012
    run(go())
    assert srv.wait_exit() == 0


def test_drain_ends_service_after_the_last_chat(make_server):
    srv = make_server()

    async def go():
        r, a = await chatting(srv)
        srv.signal(signal.SIGUSR1)
        # Draining: no new residents, and /api/status says closed.
        deadline = time.monotonic() + 10
        while srv.status()["open"] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        s = srv.status()
        assert s["open"] is False and s["next_open"] is None, s
        late = await resident(srv, {})
        closed = await late.recv_type("closed")
        assert closed["next_open"] is None
        assert await late.close_code() == 1000
        assert metrics(srv)["neuvo_draining"] == 1
        # The open chat goes on as usual ...
        await say(r, "vielä yksi asia", "v1")
        await a.recv_type("msg", chat=r.chat)
        assert srv.running()
        # ... and when it ends, the server stops by itself.
        await r.send({"type": "end"})
        await r.recv_type("ended")
        assert await a.close_code(timeout=10) == 1001
    run(go())
    assert srv.wait_exit(limit=10) == 0
    assert db_rows(srv, "SELECT count(*) FROM chats WHERE ended_at IS NULL") == [(0,)]


def test_sigterm_during_a_drain_is_a_restart(make_server):
    srv = make_server()
    state = {}

    async def before():
        r, a = await chatting(srv)
        state["token"] = r.token
        srv.signal(signal.SIGUSR1)
        srv.signal(signal.SIGUSR1)              # twice: no harm
        await stopped_with_1012(srv, r, a)      # chats still open: kept

    run(before())
    srv.start()

    async def after():
        r = await resume(srv, state["token"])
        assert (await r.recv_type("resumed"))["state"] == "chatting"
        # The new process is not draining: newcomers are queued.
        q, got = await queued(srv)
        assert got["position"] == 1
    run(after())


def test_a_removed_advisors_token_does_not_log_in_after_a_restart(make_server):
    srv = make_server()
    state = {}

    async def before():
        r, a = await chatting(srv)
        state.update(token=a.token, chat=r.chat, res=r.token)
        await stopped_with_1012(srv, r, a)

    run(before())
    assert admin(srv.config, "advisor", "remove", "anna").returncode == 0
    srv.start()

    async def after():
        await refused_login(srv, token=state["token"])
        # Its chat went back to the queue, at the front, for another advisor.
        r = await resume(srv, state["res"])
        got = await r.recv_type("resumed")
        assert got["state"] == "queued" and got["position"] == 1, got
    run(after())
