"""CONTRACT section 1, signals: SIGHUP reloads hours, exceptions and limits
without dropping anyone; a bad config on reload is refused and the old one
kept (logged); SIGTERM closes clients with 1012 (section 7: a restart, the
chats are kept) and the server exits 0."""
import asyncio
import datetime as dt
import signal
import time

from conftest import (CLOSED_ALL_DAY, OPEN_ALL_DAY, STOP_LIMIT_S, TZ, advisor, chatting,
                      local_today, queued, resident, run, taken)


def wait_for(pred, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def reload(srv, hours=None, exceptions=None, **over):
    srv.write_config(hours, exceptions, **over)
    srv.signal(signal.SIGHUP)


def test_sighup_applies_new_hours(server):
    assert server.status()["open"] is True
    reload(server, CLOSED_ALL_DAY)
    assert wait_for(lambda: server.status()["open"] is False), server.status()
    assert server.status()["hours"]["mon"] == []


def test_sighup_applies_a_new_timezone(server):
    assert server.status()["timezone"] == TZ
    reload(server, OPEN_ALL_DAY, hours__timezone="Asia/Tokyo")
    assert wait_for(lambda: server.status()["timezone"] == "Asia/Tokyo"), server.status()
    assert wait_for(lambda: server.status()["now"].endswith("+09:00")), server.status()


def test_sighup_applies_new_exceptions(server):
    today = local_today()
    reload(server, OPEN_ALL_DAY, exceptions={today.isoformat(): "closed"})
    assert wait_for(lambda: server.status()["open"] is False), server.status()


def test_sighup_new_hours_turn_away_new_residents(server):
    async def go():
        reload(server, CLOSED_ALL_DAY)
        assert wait_for(lambda: server.status()["open"] is False)
        r = await resident(server, {})
        await r.recv_type("closed")
    run(go())


def test_sighup_keeps_queued_resident_and_advisor_connected(server):
    async def go():
        r, q = await queued(server)
        a = await advisor(server)
        reload(server, CLOSED_ALL_DAY)
        assert wait_for(lambda: server.status()["open"] is False)
        await r.send({"type": "msg", "text": "vieläkö olen jonossa?"})
        echo = await r.recv_type("msg")
        assert echo["text"] == "vieläkö olen jonossa?"
        chat = await taken(server, a, r)
        assert [m["text"] for m in chat["history"]] == ["vieläkö olen jonossa?"]
        assert not r.closed and not a.closed
    run(go())


def test_sighup_applies_new_queue_limit(server):
    async def go():
        r1, _ = await queued(server)
        reload(server, queue__max_length=1)
        await asyncio.sleep(0.5)
        r2 = await resident(server, {})
        await r2.recv_type("queue_full")
        assert not r1.closed
    run(go())


def test_sighup_with_a_bad_config_keeps_the_old_one_and_logs_it(server):
    async def go():
        r, q = await queued(server)
        before = len(server.log_text())
        server.config.write_text(server.config.read_text().replace(
            "mon = 00:00-24:00", "mon = 25:00-26:00").replace(
            "tue = 00:00-24:00", "tue = closed"))
        server.signal(signal.SIGHUP)
        assert wait_for(lambda: len(server.log_text()) > before), "nothing logged"
        await asyncio.sleep(0.3)
        assert server.running()
        s = server.status()
        assert s["open"] is True
        assert s["hours"]["tue"] == ["00:00-24:00"], "part of the bad config was applied"
        await r.send({"type": "msg", "text": "olen yhä täällä"})
        assert (await r.recv_type("msg"))["text"] == "olen yhä täällä"
        r2 = await resident(server, {})
        await r2.recv_type("queued")
    run(go())


def test_sigterm_closes_resident_and_advisor_with_1012_and_exits_0(server):
    async def go():
        r, q = await queued(server)
        a = await advisor(server)
        server.signal(signal.SIGTERM)
        return await r.close_code(), await a.close_code()
    assert run(go()) == (1012, 1012)
    assert server.wait_exit() == 0


def test_sigterm_closes_connections_before_hello_or_login_with_1012(server):
    async def go():
        from conftest import Client
        r = await resident(server)
        a = await Client.connect(server, "advisor")
        await asyncio.sleep(0.2)
        server.signal(signal.SIGTERM)
        return await r.close_code(), await a.close_code()
    assert run(go()) == (1012, 1012)
    assert server.wait_exit() == 0


def test_sigterm_keeps_a_running_chat_open(server):
    async def go():
        r, a = await chatting(server)
        server.signal(signal.SIGTERM)
        assert await r.close_code() == 1012
        assert await a.close_code() == 1012
        assert not r.unread("ended") and not a.unread("ended")
    run(go())


def test_sigterm_with_no_clients_exits_0_within_a_few_seconds(server):
    assert server.stop() == 0
