"""Server behaviour beyond CONTRACT.md that clients may rely on (additive):
ping/pong, the status and tag acknowledgements, `available` in login_ok and
advisors available by default, `advisor`/position 0 in `resumed`, the
idle_warning push, the extra /api/status fields, the per-address connection
cap ([server] max_connections_per_ip, 429) and coalesced position/queue
pushes."""
import asyncio
import json

from conftest import (ADVISOR_NAME, MANY_CHATS, TOPICS, Client, advisor, chatting,
                      local_today, queued, raw_upgrade, resident, resume, run)

SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy")


# ------------------------------------------------------------ ping

def test_resident_ping_answers_pong(shared_server):
    async def go():
        r = await resident(shared_server)
        await r.send({"type": "ping"})
        await r.recv_type("pong")
        assert not r.unread("error")
    run(go())


def test_resident_ping_while_queued_answers_pong_and_keeps_the_place(shared_server):
    async def go():
        r, q = await queued(shared_server)
        await r.send({"type": "ping"})
        await r.recv_type("pong")
        assert not r.unread("error")
        await r.send({"type": "end"})
        await r.recv_type("ended")
    run(go())


# ------------------------------------------------------------ advisor acks

def test_login_ok_says_the_advisor_is_available_by_default(shared_server):
    async def go():
        a = await advisor(shared_server)
        assert a.login_ok.get("available") is True, a.login_ok
    run(go())


def test_status_is_acknowledged_with_the_new_availability(shared_server):
    async def go():
        a = await advisor(shared_server)
        await a.send({"type": "status", "available": False})
        ack = await a.recv_type("status")
        assert ack["available"] is False
        await a.send({"type": "status", "available": True})
        ack = await a.recv_type("status")
        assert ack["available"] is True
        assert not a.unread("error")
    run(go())


def test_status_false_is_reflected_in_api_status_advisors_available(server):
    async def go():
        a = await advisor(server)
        assert server.status()["advisors_available"] == 1
        await a.send({"type": "status", "available": False})
        await a.recv_type("status", available=False)
        assert server.status()["advisors_available"] == 0
    run(go())


def test_tag_is_acknowledged_with_tagged_and_the_chat_id(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "tag", "chat": r.chat, "topics": ["housing"],
                      "outcome": "answered"})
        t = await a.recv_type("tagged")
        assert t["chat"] == r.chat
        assert not a.unread("error")
    run(go())


def test_auto_assign_serves_a_freshly_logged_in_advisor_without_status(make_server):
    srv = make_server(queue__auto_assign="yes")

    async def go():
        r, q = await queued(srv)
        a = await advisor(srv)                       # no status message sent
        chat = await a.recv_type("chat", timeout=3)
        assert chat["chat"] == r.chat
        assigned = await r.recv_type("assigned")
        assert assigned["advisor"] == ADVISOR_NAME
    run(go())


# ------------------------------------------------------------ resumed

def test_resumed_while_chatting_names_the_advisor_and_has_position_0(server):
    async def go():
        r, a = await chatting(server)
        await r.close()
        r2 = await resume(server, r.token)
        res = await r2.recv_type("resumed")
        assert res["state"] == "chatting"
        assert res["advisor"] == ADVISOR_NAME
        assert res["position"] == 0
    run(go())


def test_resumed_after_the_end_has_position_0(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended", by="advisor")
        await r.close()
        r2 = await resume(server, r.token)
        res = await r2.recv_type("resumed")
        assert res["state"] == "ended"
        assert res["position"] == 0
    run(go())


def test_resumed_while_queued_has_no_advisor(server):
    async def go():
        r, q = await queued(server)
        await r.close()
        r2 = await resume(server, q["token"])
        res = await r2.recv_type("resumed")
        assert res["state"] == "queued" and res["position"] == 1
        assert res.get("advisor") is None, res
    run(go())


# ------------------------------------------------------------ idle warning

IDLE = 10          # the smallest idle_timeout_s the landed server accepts


def test_idle_warning_comes_before_the_idle_timeout(make_server):
    srv = make_server(queue__idle_timeout_s=IDLE)

    async def go():
        r, a = await chatting(srv)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        w = await r.recv_type("idle_warning", timeout=IDLE + 2)
        assert isinstance(w["seconds_left"], int) and 0 < w["seconds_left"] <= IDLE, w
        assert not r.unread("ended"), "idle_warning came after the end"
        e = await r.recv_type("ended", timeout=IDLE + 2)
        assert e["by"] == "timeout"
        assert loop.time() - t0 >= IDLE - 1.5
    run(go(), timeout=IDLE * 3 + 20)


# ------------------------------------------------------------ /api/status

def test_status_has_the_extra_fields_from_the_config(make_server):
    srv = make_server(queue__idle_timeout_s=600, chat__max_message_chars=1500,
                      chat__languages="fi en", chat__default_language="en")
    st = srv.status()
    assert st["idle_timeout_s"] == 600
    assert st["max_message_chars"] == 1500
    assert st["languages"] == ["fi", "en"]
    assert st["default_language"] == "en"
    assert st["topics"] == list(TOPICS)
    assert st["email_available"] is False            # [smtp] url is empty
    assert "today" in st
    today = st["today"]
    if isinstance(today, dict) and "date" in today:
        assert today["date"] == local_today().isoformat(), today


# ------------------------------------------------------------ per-address cap

def test_connections_over_max_connections_per_ip_get_429(make_server):
    srv = make_server(server__max_connections_per_ip=2)

    async def go():
        r1 = await resident(srv)
        r2 = await resident(srv)
        await asyncio.sleep(0.1)
        status, headers = await asyncio.to_thread(
            raw_upgrade, srv, origin=srv.origin, protocol="neuvo.resident.v1")
        assert status == 429
        await r1.close()
        await asyncio.sleep(0.3)
        r3 = await resident(srv, {})
        await r3.recv_type("queued")
    run(go())


def test_security_headers_on_a_429_handshake(make_server):
    """CONTRACT section 3: every response carries the security headers."""
    srv = make_server(server__max_connections_per_ip=1)

    async def go():
        r = await resident(srv)
        await asyncio.sleep(0.1)
        status, headers = await asyncio.to_thread(
            raw_upgrade, srv, origin=srv.origin, protocol="neuvo.resident.v1")
        assert status == 429
        for h in SECURITY:
            assert h in headers, f"429 handshake: no {h} in {sorted(headers)}"
        await r.close()
    run(go())


def test_plain_http_requests_do_not_count_towards_the_connection_cap(make_server):
    srv = make_server(server__max_connections_per_ip=1)

    async def go():
        r = await resident(srv)
        for _ in range(3):
            code, _, _ = await asyncio.to_thread(srv.request, "/api/status")
            assert code == 200
        await r.send({"type": "hello"})
        await r.recv_type("queued")
    run(go())


# ------------------------------------------------------------ coalescing

def test_a_burst_of_queue_changes_gives_at_most_two_position_pushes(make_server):
    server = make_server(**MANY_CHATS)

    async def go():
        ahead = [(await queued(server))[0] for _ in range(4)]
        last, q = await queued(server)
        assert q["position"] == 5
        await asyncio.sleep(0.6)
        last.drop("position")
        await asyncio.gather(*(c.send({"type": "end"}) for c in ahead[:3]))
        await asyncio.sleep(1.0)
        pushes = last.unread("position")
        assert pushes, "no position push after three residents ahead left"
        assert pushes[-1]["position"] == 2, pushes
        assert len(pushes) <= 2, f"not coalesced: {pushes}"
    run(go())


def test_a_take_while_many_wait_tells_each_its_new_position_over_many_turns(make_server):
    """150 wait: more than two loop turns' share of position pushes (64
    each), so the pushes after the front is taken go out over several
    turns, in one round that goes on where each turn stopped. Everyone
    hears the new position (CONTRACT section 4: whenever it changes), the
    last of them too, and nobody a wrong one."""
    n = 150
    server = make_server(queue__max_length=str(n + 10),
                         server__max_connections_per_ip=str(n + 20), **MANY_CHATS)

    async def go():
        waiting = [(await queued(server))[0] for _ in range(n)]
        await asyncio.sleep(0.6)
        for c in waiting:
            c.drop("position")
        a = await advisor(server)
        await a.send({"type": "take"})
        await a.recv_type("chat", chat=waiting[0].chat)
        for i, c in enumerate(waiting[1:], start=1):
            p = await c.recv_type("position", timeout=10)
            assert p["position"] == i, (i, p)
        await asyncio.sleep(0.6)
        for i, c in enumerate(waiting[1:], start=1):
            assert [p["position"] for p in c.unread("position")] in ([], [i]), i
    run(go())


def test_queue_push_after_a_burst_shows_the_final_queue(make_server):
    server = make_server(**MANY_CHATS)

    async def go():
        a = await advisor(server)
        await a.recv_type("queue")
        rs = [(await queued(server))[0] for _ in range(4)]
        await asyncio.sleep(0.6)
        a.drop("queue")
        await asyncio.gather(*(c.send({"type": "end"}) for c in rs[:3]))
        await asyncio.sleep(1.0)
        pushes = a.unread("queue")
        assert pushes, "no queue push after three residents left"
        final = pushes[-1]
        assert final["length"] == 1
        assert [w["chat"] for w in final["waiting"]] == [rs[3].chat]
        assert len(pushes) <= 2, f"not coalesced: {[p['length'] for p in pushes]}"
    run(go())
