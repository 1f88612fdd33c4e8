"""Issue 12 and CONTRACT section 7, the chat side: each attack of the issue
run as a hostile visitor would run it against the real server, with an
honest resident or advisor next to it who is still served, and the figures
printed (pytest -s shows them; nothing here asserts on time).

- 60 x (hello, close) in a blink from one address no longer holds the
  queue: max_queued_per_address (3) waiting chats per address;
- a hello/end/close loop from one client opens max_new_chats_per_address_
  per_hour (10) chats and no more, so the database stays small;
- messages while queued stop at max_queued_messages (20), text per chat at
  max_chat_chars (50,000 code points), so writing megabytes while queued
  stores a bounded amount;
- a long history never drops the advisor who takes it, the one it is
  assigned to, one who logs in again with its token, or the resident who
  resumes it, even beyond net.c's 1 MiB send cap;
- an advisor's block ends the chat and turns the address away for its hours,
  in memory only, counted in stats.

Other source addresses come from binding 127.0.0.x (Linux routes all of
127.0.0.0/8 to loopback), so each test's honest visitor is another address.
"""
import asyncio
import datetime as dt
import json
import sqlite3
import time

import websockets

from conftest import (ADVISOR_NAME, ADVISOR_PASSWORD, TZ, Client, admin, advisor,
                      chatting, local_today, login, metrics, queued, resident, resume,
                      run)

EMOJI = "\U0001F600"                # one code point, four bytes of UTF-8
HONEST = {"local_addr": ("127.0.0.2", 0)}
OTHER = {"local_addr": ("127.0.0.3", 0)}
PER_SECOND = 8                      # under the 10 frames a second per connection


def from_addr(ip):
    return {"local_addr": (ip, 0)}


def db_rows(srv, sql):
    """One value read from the running server's database."""
    con = sqlite3.connect(f"file:{srv.db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def db_bytes(srv):
    return sum(p.stat().st_size for p in srv.db_files())


async def write(client, texts, **fields):
    """Send `texts` as msg frames, PER_SECOND a second (the rate limit is
    10 a second per connection, counted in whole seconds)."""
    for i, text in enumerate(texts):
        if i and i % PER_SECOND == 0:
            await asyncio.sleep(1.05)
        await client.send({"type": "msg", "text": text, **fields})


async def echoes(client, n, timeout=10):
    return [await client.recv_type("msg", timeout) for _ in range(n)]


async def raw_resident(srv, conn=None):
    """A bare websockets connection (no reader task), for floods."""
    return await websockets.connect(srv.ws_url, subprotocols=["neuvo.resident.v1"],
                                    origin=srv.origin, max_size=None, close_timeout=1,
                                    open_timeout=5, **(conn or {}))


# ------------------------------------------------- 1. waiting per address

def test_hello_close_flood_from_one_address_no_longer_holds_the_queue(server):
    """The issue: 60 x (hello, close) in 0.1 s kept all 50 places for the
    120 s resume grace. Now one address holds 3; the honest resident from
    another address queues behind them."""
    async def hello_and_close():
        ws = await raw_resident(server)
        await ws.send(json.dumps({"type": "hello"}))
        await ws.close()

    async def go():
        t0 = time.monotonic()
        await asyncio.gather(*(hello_and_close() for _ in range(60)))
        took = time.monotonic() - t0
        # every hello has been answered once a later frame has been
        probe = await resident(server)
        await probe.send({"type": "ping"})
        await probe.recv_type("pong")
        waiting = server.status()["queue_length"]
        honest, q = await queued(server, HONEST)
        m = metrics(server)
        full_events = db_rows(server, "SELECT count(*) FROM events WHERE kind = 'queue_full'")
        print(f"\n60 x (hello, close) from 127.0.0.1 in {took:.2f} s: {waiting} waiting "
              f"afterwards, {m['neuvo_limits_queue_full_per_address_total']} turned away "
              f"as queue_full ({full_events} recorded as events); the honest resident "
              f"from 127.0.0.2 is queued at position {q['position']}")
        assert waiting == 3
        assert q["position"] == 4
        assert m["neuvo_limits_queue_full_per_address_total"] == 57
        # refusals are recorded at most max_new_chats_per_address_per_hour
        # times an hour per address, so they cannot fill the disk either
        assert full_events == 10
        await honest.send({"type": "msg", "text": "Hei, tarvitsen apua."})
        assert (await honest.recv_type("msg"))["text"] == "Hei, tarvitsen apua."

    run(go())


def test_a_fourth_waiting_chat_from_one_address_gets_queue_full_then_1000(server):
    async def go():
        held = [(await queued(server))[0] for _ in range(3)]
        fourth = await resident(server, {})
        await fourth.recv_type("queue_full")
        assert await fourth.close_code() == 1000
        # one of the three leaves the queue: the address may queue again
        await held[0].send({"type": "end"})
        await held[0].recv_type("ended")
        again, q = await queued(server)
        assert q["position"] == 3
        # the place is per address: another one queues at once
        _, q = await queued(server, OTHER)
        assert q["position"] == 4

    run(go())


def test_chats_within_their_resume_grace_still_count_as_waiting(server):
    async def go():
        for _ in range(3):
            r, _ = await queued(server)
            r.abort()                       # a lost phone: it may resume
        r = await resident(server, {})
        await r.recv_type("queue_full")
        assert await r.close_code() == 1000

    run(go())


# --------------------------------------------------- 2. new chats per hour

def test_chat_flood_from_one_client_keeps_the_database_small(server):
    """The issue: ~1,500 chats a second from one client (hello, end, close)
    filled the disk. Now one address opens 10 chats an hour; the rest get
    rate_limited and close 1008, and nothing of them is written."""
    outcomes = {"queued": 0, "queue_full": 0, "rate_limited": 0, "other": 0}
    codes = {}
    before = db_bytes(server)

    async def one_chat():
        ws = await raw_resident(server)
        try:
            await ws.send(json.dumps({"type": "hello"}))
            first = json.loads(await ws.recv())
            if first.get("type") == "queued":
                outcomes["queued"] += 1
                await ws.send(json.dumps({"type": "end"}))
                await ws.recv()
                await ws.close()
                return
            if first.get("code") == "rate_limited":
                outcomes["rate_limited"] += 1
            elif first.get("type") == "queue_full":    # 3 waiting at once
                outcomes["queue_full"] += 1
            else:
                outcomes["other"] += 1
            await ws.wait_closed()
            codes[ws.close_code] = codes.get(ws.close_code, 0) + 1
        except websockets.ConnectionClosed:
            outcomes["other"] += 1

    async def worker(deadline):
        while time.monotonic() < deadline:
            await one_chat()

    async def go():
        t0 = time.monotonic()
        await asyncio.gather(*(worker(t0 + 3.0) for _ in range(24)))
        took = time.monotonic() - t0
        honest, q = await queued(server, HONEST)
        tries = sum(outcomes.values())
        chats = db_rows(server, "SELECT count(*) FROM chats")
        events = db_rows(server, "SELECT count(*) FROM events")
        after = db_bytes(server)
        print(f"\nchat flood from 127.0.0.1: {tries} hellos in {took:.1f} s "
              f"({tries / took:.0f}/s): {outcomes}, closes {codes}; database: "
              f"{chats} chats rows, {events} events rows, {before} -> {after} bytes; "
              f"the honest resident from 127.0.0.2 is queued at {q['position']}")
        assert outcomes["queued"] == 10
        assert outcomes["other"] == 0
        assert outcomes["rate_limited"] > 0
        assert codes.get(1008, 0) == outcomes["rate_limited"]
        assert codes.get(1000, 0) == outcomes["queue_full"]
        assert chats == 11                  # the flood's 10 and the honest one
        # started and abandoned of each chat, and refusals recorded at most
        # 10 times an hour per address
        assert events <= 11 * 2 + 10
        assert q["position"] == 1

    run(go(), timeout=120)


def test_the_eleventh_chat_in_an_hour_gets_rate_limited_then_1008(server):
    async def go():
        for _ in range(10):
            r, _ = await queued(server, OTHER)
            await r.send({"type": "end"})
            await r.recv_type("ended")
        r = await resident(server, {}, **OTHER)
        await r.error("rate_limited")
        assert await r.close_code() == 1008
        # the count is the address's own
        _, q = await queued(server, HONEST)
        assert q["position"] == 1

    run(go())


# ---------------------------------------------- 3. messages while waiting

def test_a_queued_resident_writes_20_messages_then_gets_wait_for_advisor(server):
    async def go():
        res, _ = await queued(server)
        await write(res, [f"viesti {i}" for i in range(20)])
        await echoes(res, 20)
        await asyncio.sleep(1.05)
        await res.send({"type": "msg", "text": "vielä yksi"})
        await res.error("wait_for_advisor")
        adv = await advisor(server)
        await adv.send({"type": "take", "chat": res.chat})
        chat = await adv.recv_type("chat", chat=res.chat)
        assert [m["text"] for m in chat["history"]] == [f"viesti {i}" for i in range(20)]
        await res.recv_type("assigned")
        # once an advisor has joined, the resident writes on
        await res.send({"type": "msg", "text": "nyt voin jatkaa"})
        assert (await res.recv_type("msg"))["text"] == "nyt voin jatkaa"

    run(go())


# --------------------------------------------------- 4. text per chat

def test_writing_megabytes_while_queued_stores_a_bounded_amount(server):
    """The issue: 5-6 MB/s of messages written while queued, kept 365 days.
    Now each waiting chat stores at most 20 messages; the attacker's three
    chats (all one address may hold) write as fast as they can, resuming
    whenever the server closes them for errors."""
    big = EMOJI * 2000
    frame = json.dumps({"type": "msg", "text": big}, ensure_ascii=False)  # a text frame
    frame_bytes = len(frame.encode())
    sent = {"frames": 0, "bytes": 0}

    async def blast(token, deadline):
        while time.monotonic() < deadline:
            ws = await raw_resident(server)
            await ws.send(json.dumps({"type": "resume", "token": token}))
            try:
                while time.monotonic() < deadline:
                    await ws.send(frame)
                    sent["frames"] += 1
                    sent["bytes"] += frame_bytes
                    await asyncio.sleep(0)
            except websockets.ConnectionClosed:
                pass
            finally:
                await ws.close()

    async def go():
        tokens = []
        for _ in range(3):
            r, q = await queued(server)
            tokens.append(q["token"])
            await r.close()
        honest, _ = await queued(server, HONEST)
        t0 = time.monotonic()
        await asyncio.gather(*(blast(t, t0 + 3.0) for t in tokens))
        took = time.monotonic() - t0
        await honest.send({"type": "msg", "text": "Onko siellä ketään?"})
        assert (await honest.recv_type("msg"))["text"] == "Onko siellä ketään?"
        chars = db_rows(server, "SELECT coalesce(sum(length(text)), 0) FROM messages")
        stored = db_rows(server, "SELECT coalesce(sum(length(CAST(text AS BLOB))), 0) "
                                 "FROM messages")
        most = db_rows(server, "SELECT max(n) FROM (SELECT count(*) AS n FROM messages "
                               "GROUP BY chat_id)")
        print(f"\nwriting while queued from 127.0.0.1: {sent['bytes'] / 1e6:.1f} MB offered in "
              f"{took:.1f} s ({sent['bytes'] / 1e6 / took:.1f} MB/s, {sent['frames']} frames); "
              f"stored {stored / 1e6:.2f} MB ({chars} code points, at most {most} messages "
              f"in one chat); database {db_bytes(server) / 1e6:.2f} MB")
        assert most <= 20
        assert chars <= 3 * 20 * 2000 + len("Onko siellä ketään?")

    run(go(), timeout=120)


def test_a_chat_stores_50000_code_points_then_chat_full_and_the_advisor_can_end(server):
    """Emoji are one code point each (four bytes): 25 messages of 2,000 fill
    the chat exactly; then both sides get chat_full, and the advisor can
    still end it."""
    async def go():
        res, adv = await chatting(server)
        await write(res, [EMOJI * 2000] * 25)
        await echoes(res, 25)
        await asyncio.sleep(1.05)
        await res.send({"type": "msg", "text": "x"})
        await res.error("chat_full")
        await adv.send({"type": "msg", "chat": res.chat, "text": "Kiitos viesteistä."})
        await adv.error("chat_full")
        await adv.send({"type": "end", "chat": res.chat})
        assert (await adv.recv_type("ended", chat=res.chat))["by"] == "advisor"
        assert (await res.recv_type("ended"))["by"] == "advisor"
        chars = db_rows(server, f"SELECT sum(length(text)) FROM messages "
                                f"WHERE chat_id = {res.chat}")
        assert chars == 50000

    run(go(), timeout=60)


# ------------------------------------------------ 5. histories and advisors

def test_the_issue_history_attack_drops_no_advisor(make_server):
    """The issue: a queued resident wrote ~1 MB (2,000 emoji a message); the
    advisor who took the chat was dropped, the chat went back to the front
    and dropped the next one, and with auto-assign again and again. Here the
    resident writes all it may (20 messages while queued, then up to
    max_chat_chars), the advisor who is assigned the chat keeps it, and when
    that advisor's connection is lost for good the next advisor is assigned
    the whole history and keeps it too."""
    srv = make_server(start=False, queue__auto_assign="yes", queue__resume_grace_s="2")
    srv.add_advisor("bertta", "Bertta Neuvoja")
    srv.start()

    async def go():
        res, _ = await queued(srv)
        await write(res, [EMOJI * 2000] * 21)
        await echoes(res, 20)
        await res.error("wait_for_advisor")
        anna = await advisor(srv)
        chat = await anna.recv_type("chat", timeout=10, chat=res.chat)
        await res.recv_type("assigned")
        await asyncio.sleep(1.05)
        await write(res, [EMOJI * 2000] * 6)
        await echoes(res, 5)
        await res.error("chat_full")
        await echoes(anna, 5)
        print(f"\nfirst history: {len(json.dumps(chat, ensure_ascii=False).encode())} "
              f"bytes, {len(chat['history'])} messages")
        anna.abort()                        # lost for good: past the grace
        bertta = await advisor(srv, "bertta")
        second = await bertta.recv_type("chat", timeout=15, chat=res.chat)
        size = len(json.dumps(second, ensure_ascii=False).encode())
        print(f"after the requeue bertta was assigned {len(second['history'])} messages "
              f"({size} bytes) and keeps the connection")
        assert len(second["history"]) == 25
        await bertta.send({"type": "msg", "chat": res.chat, "text": "Hei, jatketaan."})
        await bertta.error("chat_full")
        await bertta.send({"type": "end", "chat": res.chat})
        await bertta.recv_type("ended", chat=res.chat)
        assert not bertta.closed
        assert metrics(srv)["neuvo_ws_dropped_slow_total"] == 0

    run(go(), timeout=120)


def test_a_history_beyond_the_send_cap_reaches_every_reader(make_server):
    """Limits that allow a history larger than net.c's 1 MiB per-peer send
    cap (4,000-emoji messages, 400,000 code points a chat): `take`, a token
    login and the resident's resume all deliver it whole and keep the
    connection; auto-assign to the next advisor too."""
    srv = make_server(start=False, chat__max_message_chars="4000",
                      limits__max_chat_chars="400000", limits__max_queued_messages="100",
                      queue__auto_assign="yes", queue__resume_grace_s="2")
    srv.add_advisor("bertta", "Bertta Neuvoja")
    srv.start()
    n = 72                                  # 288,000 emoji: 1.15 MB of text

    def size(frame):
        return len(json.dumps(frame, ensure_ascii=False).encode())

    async def go():
        res, q = await queued(srv)
        await write(res, [EMOJI * 4000] * n)
        await echoes(res, n, timeout=30)
        anna = await advisor(srv)
        chat = await anna.recv_type("chat", timeout=15, chat=res.chat)
        assert len(chat["history"]) == n and size(chat) > 1024 * 1024
        await res.recv_type("assigned")
        # the advisor's connection drops and comes back with its token
        anna.abort()
        again, ok = await login(srv, token=anna.token)
        assert ok["type"] == "login_ok"
        chat2 = await again.recv_type("chat", timeout=15, chat=res.chat)
        assert len(chat2["history"]) == n
        # the resident's too
        res.abort()
        back = await resume(srv, q["token"])
        resumed = await back.recv_type("resumed", timeout=15)
        assert len(resumed["history"]) == n and size(resumed) > 1024 * 1024
        # this advisor is gone for good: the chat goes to the next one
        again.abort()
        bertta = await advisor(srv, "bertta")
        chat3 = await bertta.recv_type("chat", timeout=15, chat=res.chat)
        assert len(chat3["history"]) == n
        await bertta.send({"type": "msg", "chat": res.chat, "text": "Täällä Bertta."})
        assert (await back.recv_type("msg", timeout=10))["text"] == "Täällä Bertta."
        await bertta.send({"type": "end", "chat": res.chat})
        await bertta.recv_type("ended", chat=res.chat)
        m = metrics(srv)
        print(f"\nhistory of {n} messages: chat frame {size(chat)} bytes, resumed "
              f"{size(resumed)} bytes; dropped for not reading: "
              f"{m['neuvo_ws_dropped_slow_total']}")
        assert m["neuvo_ws_dropped_slow_total"] == 0

    run(go(), timeout=180)


# --------------------------------------------------------------- 6. block

def stats_today(srv, fmt="json"):
    today = local_today().isoformat()
    r = admin(srv.config, "stats", "--from", today, "--to", today, "--format", fmt)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_an_advisor_blocks_a_resident_for_an_hour(make_server):
    srv = make_server(start=False)
    srv.add_advisor("bertta", "Bertta Neuvoja")
    srv.start()
    abuser_ip = "127.0.0.7"
    abuser = from_addr(abuser_ip)

    async def go():
        res, adv = await chatting(srv, conn=abuser)
        await res.send({"type": "msg", "text": "asiatonta tekstiä"})
        await adv.recv_type("msg", chat=res.chat)
        await adv.send({"type": "block", "chat": res.chat, "hours": 1})
        assert (await res.recv_type("ended"))["by"] == "advisor"
        assert (await adv.recv_type("ended", chat=res.chat))["by"] == "advisor"
        done = await adv.recv_type("blocked", chat=res.chat)
        assert done["hours"] == 1
        until = dt.datetime.fromisoformat(done["until"])
        left = until - dt.datetime.now(dt.timezone.utc)
        assert dt.timedelta(minutes=59) < left <= dt.timedelta(hours=1, seconds=5)
        # the address is refused from now on, whoever connects from it
        again = await resident(srv, {}, **abuser)
        await again.recv_type("blocked")
        assert await again.close_code() == 1000
        # everyone else is served as before
        other, q = await queued(srv, HONEST)
        assert q["position"] == 1
        m = metrics(srv)
        assert m["neuvo_blocks_total"] == 1 and m["neuvo_blocks"] == 1
        assert m["neuvo_blocked_hellos_total"] == 1

    run(go())
    day = json.loads(stats_today(srv))[0]
    assert day["blocked"] == 1
    header, row = stats_today(srv, "csv").splitlines()
    # blocked after the contract's columns (then urgent, CONTRACT section 8)
    col = header.split(",").index("blocked")
    assert col == 13 and row.split(",")[col] == "1", (header, row)
    # nothing of the address anywhere on disk, nor in the log
    srv.stop()
    for path in srv.db_files() + [srv.log, srv.out]:
        assert abuser_ip.encode() not in path.read_bytes(), path
    # memory only: a restart forgets the block (by design)
    srv.start()

    async def after():
        _, q = await queued(srv, abuser)
        assert q["position"] >= 1

    run(after())


def test_block_is_refused_for_other_advisors_chats_and_bad_hours(make_server):
    srv = make_server(start=False)
    srv.add_advisor("bertta", "Bertta Neuvoja")
    srv.start()

    async def go():
        res, anna = await chatting(srv, conn=OTHER)
        bertta = await advisor(srv, "bertta")
        await bertta.send({"type": "block", "chat": res.chat, "hours": 1})
        await bertta.error("unknown_chat")
        await bertta.send({"type": "block", "chat": 999999, "hours": 1})
        await bertta.error("unknown_chat")
        for hours in (0, 25, -1, "1", 1.5, None):
            await anna.send({"type": "block", "chat": res.chat, "hours": hours})
            await anna.error("bad_field")
        await anna.send({"type": "block", "hours": 1})
        await anna.error("bad_field")
        await res.send({"type": "block", "chat": res.chat, "hours": 1})
        await res.error("bad_type")
        unlogged = await Client.connect(srv, "advisor")
        await unlogged.send({"type": "block", "chat": res.chat, "hours": 1})
        await unlogged.error("not_allowed")
        # none of it blocked or ended anything
        await res.send({"type": "msg", "text": "yhä täällä"})
        assert (await anna.recv_type("msg", chat=res.chat))["text"] == "yhä täällä"
        _, q = await queued(srv, OTHER)
        assert q["position"] == 1

    run(go())


def test_an_ended_chat_can_still_be_blocked_by_its_advisor(make_server):
    """A resident who writes abuse and leaves at once can still be blocked:
    the advisor keeps its ended chats for tagging, and may block them too."""
    srv = make_server()
    ip = "127.0.0.8"

    async def go():
        res, adv = await chatting(srv, conn=from_addr(ip))
        await res.send({"type": "end"})
        await adv.recv_type("ended", chat=res.chat)
        res.abort()
        await adv.send({"type": "block", "chat": res.chat, "hours": 24})
        assert (await adv.recv_type("blocked", chat=res.chat))["hours"] == 24
        again = await resident(srv, {}, **from_addr(ip))
        await again.recv_type("blocked")
        assert await again.close_code() == 1000

    run(go())
