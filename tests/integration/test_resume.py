"""CONTRACT section 4: resume within resume_grace_s (residents and
advisors), what happens after the grace, tokens bound to their own chat,
and idle_timeout_s ending a chat with by = "timeout"."""
import asyncio
import sqlite3

from conftest import Client, advisor, chatting, queued, refused_login, resume, run, taken

GRACE = 1           # resume_grace_s of the short-grace servers
PAST_GRACE = 2.6    # the grace is checked about once a second


# ------------------------------------------------------------ residents

def test_resident_resume_while_queued_gives_state_position_and_history(server):
    async def go():
        r1, q1 = await queued(server)
        r, q = await queued(server)
        await r.send({"type": "msg", "text": "ensimmäinen viesti"})
        await r.recv_type("msg")
        await r.close()
        r2 = await resume(server, q["token"])
        res = await r2.recv_type("resumed")
        assert res["state"] == "queued"
        assert res["position"] == 2
        assert [m["text"] for m in res["history"]] == ["ensimmäinen viesti"]
        assert res["history"][0]["from"] == "resident"
    run(go())


def test_resident_resume_after_a_lost_connection_keeps_the_chat(server):
    async def go():
        r, a = await chatting(server)
        r.abort()                                   # no close handshake
        await asyncio.sleep(0.3)
        await a.send({"type": "msg", "chat": r.chat, "text": "oletko vielä siellä?"})
        await a.recv_type("msg", chat=r.chat)
        r2 = await resume(server, r.token)
        res = await r2.recv_type("resumed")
        assert res["state"] == "chatting"
        assert "oletko vielä siellä?" in [m["text"] for m in res["history"]]
        await r2.send({"type": "msg", "text": "olen, yhteys katkesi"})
        got = await a.recv_type("msg", text="olen, yhteys katkesi")
        assert got["chat"] == r.chat
        assert not a.unread("ended")
    run(go())


def test_resident_resume_after_the_end_gives_state_ended_and_allows_feedback(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended")
        await r.close()
        r2 = await resume(server, r.token)
        res = await r2.recv_type("resumed")
        assert res["state"] == "ended"
        await r2.send({"type": "feedback", "rating": 3})
        await r2.recv_type("thanks")
    run(go())


def test_a_resend_into_an_ended_chat_gets_its_stored_msg_and_nothing_new_is_taken(make_server):
    """CONTRACT section 7, idempotent sends: the resident's last message and
    the advisor's end cross; the resident resumes into the ended chat and
    resends the message it saw no echo for. The stored MSG comes back with
    the same id; a new message is refused. Past the grace the server keeps
    no cid of the chat."""
    srv = make_server(queue__resume_grace_s=3)

    async def go():
        r, a = await chatting(srv)
        await r.send({"type": "msg", "text": "kiitos avusta", "cid": "m-1"})
        first = await r.recv_type("msg", cid="m-1")
        await a.recv_type("msg", chat=r.chat)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended")
        r.abort()                                   # no echo seen, as it thinks
        r2 = await resume(srv, r.token)
        res = await r2.recv_type("resumed")
        assert res["state"] == "ended"
        await r2.send({"type": "msg", "text": "kiitos avusta", "cid": "m-1"})
        again = await r2.recv_where(lambda m: m.get("type") in ("msg", "error"),
                                    "the resend's answer")
        assert again["type"] == "msg", again
        assert again["id"] == first["id"] and again["cid"] == "m-1"
        await r2.send({"type": "msg", "text": "vielä yksi", "cid": "m-2"})
        no = await r2.recv_where(lambda m: m.get("type") in ("msg", "error"),
                                 "the new message's answer")
        assert no.get("code") == "not_allowed", no
        await a.quiet("msg")                        # the advisor saw it once
        db = sqlite3.connect(srv.db, timeout=10)
        texts = [t for (t,) in db.execute(
            "SELECT text FROM messages WHERE chat_id = ?", (r.chat,))]
        assert texts == ["kiitos avusta"], texts
        await r2.close()
        for _ in range(300):
            keyed = db.execute("SELECT count(*) FROM messages WHERE chat_id = ? "
                               "AND cid IS NOT NULL", (r.chat,)).fetchone()[0]
            if keyed == 0:
                break
            await asyncio.sleep(0.1)
        db.close()
        assert keyed == 0
        print(f"\nresend into the ended chat: msg id {again['id']} (first {first['id']}); "
              f"a new one: {no['code']}; cids kept after the grace: {keyed}")
    run(go())


def test_resident_resume_after_the_grace_is_not_allowed(make_server):
    srv = make_server(queue__resume_grace_s=GRACE, advisor=False)

    async def go():
        r, q = await queued(srv)
        await r.close()
        await asyncio.sleep(PAST_GRACE)
        r2 = await resume(srv, q["token"])
        await r2.error("not_allowed")
        assert not r2.unread("resumed")
    run(go())


def test_resident_queued_past_the_grace_leaves_the_queue(make_server):
    srv = make_server(queue__resume_grace_s=GRACE, advisor=False)

    async def go():
        r1, q1 = await queued(srv)
        r2, q2 = await queued(srv)
        r2.drop("position")
        await r1.close()
        await r2.recv_type("position", position=1, timeout=PAST_GRACE + 1)
        assert srv.status()["queue_length"] == 1
    run(go())


def test_resident_gone_past_the_grace_ends_the_chat_by_disconnect(make_server):
    srv = make_server(queue__resume_grace_s=GRACE)

    async def go():
        r, a = await chatting(srv)
        await r.close()
        e = await a.recv_type("ended", timeout=PAST_GRACE + 1)
        assert e["by"] == "disconnect" and e["chat"] == r.chat
    run(go())


def test_resume_with_an_unknown_token_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        r2 = await resume(server, "x" * len(q["token"]))
        await r2.error("not_allowed")
    run(go())


def test_resume_with_an_altered_token_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        await r.close()
        t = q["token"]
        altered = t[:-1] + ("A" if t[-1] != "A" else "B")
        r2 = await resume(server, altered)
        await r2.error("not_allowed")
    run(go())


def test_resident_token_resumes_only_its_own_chat(server):
    async def go():
        ra, qa = await queued(server)
        rb, qb = await queued(server)
        await ra.send({"type": "msg", "text": "A:n oma viesti"})
        await ra.recv_type("msg")
        await rb.send({"type": "msg", "text": "B:n oma viesti"})
        await rb.recv_type("msg")
        await ra.close()
        await rb.close()
        r = await resume(server, qb["token"])
        res = await r.recv_type("resumed")
        assert [m["text"] for m in res["history"]] == ["B:n oma viesti"]
        assert res["position"] == 2
        # the token of A does not move B's resumed connection to A's chat
        await r.send({"type": "resume", "token": qa["token"]})
        await r.error("not_allowed")
        await r.send({"type": "msg", "text": "kuka olen?"})
        await r.recv_type("msg", text="kuka olen?")
        a = await advisor(server)
        await a.send({"type": "take", "chat": qb["chat"]})
        chat = await a.recv_type("chat")
        assert [m["text"] for m in chat["history"]] == ["B:n oma viesti", "kuka olen?"]
    run(go())


def test_resident_token_does_not_log_in_an_advisor(server):
    async def go():
        r, q = await queued(server)
        await refused_login(server, token=q["token"])
    run(go())


# ------------------------------------------------------------ advisors

def test_advisor_resume_with_token_within_the_grace_keeps_its_chats(server):
    async def go():
        r, a = await chatting(server)
        r.drop("position")      # pushed when the advisor logged in, if before the take
        a.abort()
        await asyncio.sleep(0.5)
        b = await Client.connect(server, "advisor")
        await b.send({"type": "login", "token": a.token})
        await b.recv_type("login_ok", timeout=15)
        await b.send({"type": "msg", "chat": r.chat, "text": "olen taas täällä"})
        got = await r.recv_type("msg", text="olen taas täällä")
        assert got["from"] == "advisor"
        await r.send({"type": "msg", "text": "hyvä"})
        assert (await b.recv_type("msg", text="hyvä"))["chat"] == r.chat
        assert not r.unread("ended") and not r.unread("position")
    run(go())


def test_advisor_gone_past_the_grace_sends_residents_back_to_the_front(make_server):
    srv = make_server(queue__resume_grace_s=GRACE)

    async def go():
        r1, q1 = await queued(srv)
        r2, q2 = await queued(srv)
        a = await advisor(srv)
        await taken(srv, a, r1)
        await r2.recv_type("position", position=1)
        r1.drop("position")
        await a.close()
        back = await r1.recv_type("position", timeout=PAST_GRACE + 1)
        assert back["position"] == 1
        assert "estimated_wait_s" in back
        await r2.recv_type("position", position=2)
        assert not r1.closed
        assert not r1.unread("ended"), r1.unread("ended")
        b = await advisor(srv)
        await b.send({"type": "take"})
        assert (await b.recv_type("chat"))["chat"] == q1["chat"]
    run(go())


# ------------------------------------------------------------ idle

IDLE = 10


def test_idle_chat_ends_with_by_timeout_for_both(make_server):
    srv = make_server(queue__idle_timeout_s=IDLE)

    async def go():
        r, a = await chatting(srv)
        e = await r.recv_type("ended", timeout=IDLE + 3)
        assert e["by"] == "timeout"
        e = await a.recv_type("ended", timeout=2)
        assert e["by"] == "timeout" and e["chat"] == r.chat
    run(go(), timeout=IDLE + 20)
