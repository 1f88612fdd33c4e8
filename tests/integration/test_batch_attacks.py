"""Hostile checks of the batched writes (issue 14, net.c write_batch):
frames whose sizes sit on the RFC 6455 length-form boundaries and on the
64 KiB batch, and a reader that stops reading, with TLS and without. The
server must keep every frame whole and in order, and still drop a reader
that does not read once its queue is full, its memory bounded."""
import asyncio
import os
import socket
import struct

import pytest

from conftest import (ADVISOR_PASSWORD, ADVISOR_USER, MANY_CHATS, advisor, chatting, metrics,
                      queued, run, sanitized)
from test_framing import RawWs


def rss_kb(srv):
    for line in open(f"/proc/{srv.proc.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_an_advisor_that_stops_reading_is_dropped_and_memory_stays_bounded(
        make_server, tls_files, tls):
    """Eight residents write long messages as fast as allowed to an advisor
    who stopped reading. Its queue fills: it is dropped as a slow reader
    (dropped_slow counts it), the residents go on, and the server's memory
    does not grow by more than the queue's caps."""
    srv = make_server(tls=tls_files if tls else None, queue__max_chats_per_advisor=8,
                      chat__max_message_chars=4000, queue__auto_assign="no",
                      limits__max_chat_chars="100000000", **MANY_CHATS)

    async def go():
        res = [(await queued(srv))[0] for _ in range(8)]
        before = rss_kb(srv)


        def login_take():
            raw = RawWs(srv, "advisor")
            raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.send({"type": "login", "username": ADVISOR_USER,
                      "password": ADVISOR_PASSWORD})
            raw.frames_until(lambda g: any(m["type"] == "login_ok" for m in g))
            for r in res:
                raw.send({"type": "take", "chat": r.chat})
                raw.frames_until(lambda g: any(m["type"] == "chat" for m in g))
            return raw

        raw = await asyncio.to_thread(login_take)
        for r in res:
            await r.recv_type("assigned")
        text = "ä" * 4000
        sent = 0
        peak = 0
        for second in range(60):
            for _ in range(8):
                for r in res:
                    await r.send({"type": "msg", "text": text})
                    sent += 1
            await asyncio.sleep(1.05)
            peak = max(peak, rss_kb(srv))
            if metrics(srv)["neuvo_ws_dropped_slow_total"] >= 1:
                break
        m = metrics(srv)
        print(f"sent {sent} msgs; dropped_slow {m['neuvo_ws_dropped_slow_total']}; "
              f"rss before {before} KB peak {peak} KB")
        assert m["neuvo_ws_dropped_slow_total"] == 1, m
        # every resident still gets its own echo
        for r in res:
            await r.send({"type": "msg", "text": "vielä"})
            await r.recv_type("msg", text="vielä", timeout=10)
        # the queue's caps: 1 MiB, plus one batch lws holds, plus slack
        if sanitized():
            print("(AddressSanitizer build: its allocator keeps freed memory, no comparison)")
        else:
            assert peak - before < 16 * 1024, (before, peak)
        raw.close()

    run(go(), timeout=150)


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_resumed_frames_on_the_length_and_batch_boundaries_arrive_whole(
        make_server, tls_files, tls):
    """A resident's `resumed` frame grown to exactly 65526 bytes (the
    largest that goes in a batch), 65527 (the smallest that goes alone),
    65535 (the largest 16-bit length) and 65536 (the smallest 64-bit one),
    each followed at once by live frames either side of 125 bytes:
    every frame reads whole, in order, in the shortest form."""
    srv = make_server(tls=tls_files if tls else None, chat__max_message_chars=4000,
                      queue__max_chats_per_advisor=8,
                      limits__max_chat_chars="100000000", **MANY_CHATS)
    adv_sent = [0]

    async def say(adv, chat, text):
        adv_sent[0] += 1
        if adv_sent[0] % 8 == 0:
            await asyncio.sleep(1.05)
        await adv.send({"type": "msg", "chat": chat, "text": text})

    def resumed_size(res, then=None):
        raw = RawWs(srv, "resident")
        try:
            raw.send({"type": "resume", "token": res.token})
            got = raw.frames_until(lambda g: any(m["type"] == "resumed" for m in g))
            i = [m["type"] for m in got].index("resumed")
            size = raw.sizes[i]
            return size, got[i], raw
        except BaseException:
            raw.close()
            raise

    async def one(target):
        res, adv = await chatting(srv)
        res.abort()
        for _ in range(15):
            await say(adv, res.chat, "y" * 4000)
        await say(adv, res.chat, "x")
        await asyncio.sleep(0.5)
        s0, _, raw = await asyncio.to_thread(resumed_size, res)
        raw.close()
        await say(adv, res.chat, "xx")
        await asyncio.sleep(0.5)
        s1, _, raw = await asyncio.to_thread(resumed_size, res)
        raw.close()
        per_msg = s1 - s0 - 2          # one message's bytes beside its text
        k = target - s1 - per_msg
        assert 1 <= k <= 4000, (target, s1, per_msg)
        await say(adv, res.chat, "z" * k)
        await asyncio.sleep(0.5)
        size, resumed, raw = await asyncio.to_thread(resumed_size, res)
        try:
            assert size == target, (size, target)
            assert resumed["history"][-1]["text"] == "z" * k
            live = ["a" * n for n in (1, 60, 61, 62, 63, 3000)]
            await asyncio.sleep(1.05)
            for t in live:
                await adv.send({"type": "msg", "chat": res.chat, "text": t})

            def read_live():
                got = raw.frames_until(
                    lambda g: sum(m["type"] == "msg" for m in g) == len(live))
                return [m["text"] for m in got if m["type"] == "msg"]

            assert await asyncio.to_thread(read_live) == live
            return raw.sizes
        finally:
            raw.close()
            await asyncio.sleep(1.05)

    async def go():
        sizes = set()
        for target in (65526, 65527, 65535, 65536):
            sizes |= set(await one(target))
        assert {65526, 65527, 65535, 65536} <= sizes

    run(go(), timeout=200)


async def fill_chats(adv, residents, per_chat, letter):
    """Each resident writes per_chat messages of ~8 KB (`letter` 3,990
    times), at most eight a second (under the rate limit); returns once adv
    has the last of each chat."""
    n = 0
    for r in residents:
        for i in range(per_chat):
            n += 1
            if n % 8 == 0:
                await asyncio.sleep(1.05)
            await r.send({"type": "msg", "text": f"{i} " + letter * 3990})
        await adv.recv_type("msg", chat=r.chat, text=f"{per_chat - 1} " + letter * 3990,
                            timeout=10)


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_a_peer_that_resets_in_the_middle_of_a_batch_harms_nobody(
        make_server, tls_files, tls):
    """An advisor's token login queues a batch of large `chat` frames; the
    advisor reads a few bytes and resets the connection (RST). The server
    goes on: the chats' residents still talk, the advisor logs in again and
    gets every chat whole, and frames_out only grows."""
    srv = make_server(tls=tls_files if tls else None, queue__max_chats_per_advisor=8,
                      chat__max_message_chars=4000, limits__max_chat_chars="100000000",
                      **MANY_CHATS)

    async def go():
        adv = await advisor(srv)
        rs = [(await chatting(srv, adv))[0] for _ in range(4)]
        await fill_chats(adv, rs, 6, "ö")
        adv.abort()
        await asyncio.sleep(0.5)
        out0 = metrics(srv)["neuvo_ws_frames_out_total"]

        def reset_mid_batch():
            raw = RawWs(srv, "advisor")
            raw.send({"type": "login", "token": adv.token})
            raw._need(100)
            raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.sock.close()

        await asyncio.to_thread(reset_mid_batch)
        await asyncio.sleep(1.0)
        for r in rs:
            await r.send({"type": "msg", "text": "oletko siellä"})
            await r.recv_type("msg", text="oletko siellä", timeout=10)

        def login_again():
            raw = RawWs(srv, "advisor")
            try:
                raw.send({"type": "login", "token": adv.token})
                got = raw.frames_until(lambda g: sum(m["type"] == "chat" for m in g) == 4)
                return {m["chat"]: len(m["history"]) for m in got if m["type"] == "chat"}
            finally:
                raw.close()

        hist = await asyncio.to_thread(login_again)
        assert hist == {r.chat: 7 for r in rs}, hist
        assert metrics(srv)["neuvo_ws_frames_out_total"] > out0

    run(go(), timeout=120)


class PingingWs(RawWs):
    """RawWs that may also read PONG frames, each checked whole."""

    def ping(self, payload):
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x89, 0x80 | len(payload)]) + mask + body)

    def frame(self):
        self._need(2)
        if self.buf[0] == 0x8A:
            n = self.buf[1]
            assert n <= 125 and not n & 0x80, self.buf[:2]
            self._need(2 + n)
            payload, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
            return {"type": "pong", "payload": payload}
        return super().frame()


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_pings_during_a_large_batch_are_answered_between_whole_frames(
        make_server, tls_files, tls):
    """An advisor's token login queues large frames; the client pings five
    times meanwhile. Each PONG arrives between whole frames, with a payload
    it sent, every chat frame reads whole, and a ping after the batch gets
    its own pong."""
    srv = make_server(tls=tls_files if tls else None, queue__max_chats_per_advisor=8,
                      chat__max_message_chars=4000, limits__max_chat_chars="100000000",
                      **MANY_CHATS)

    async def go():
        adv = await advisor(srv)
        rs = [(await chatting(srv, adv))[0] for _ in range(3)]
        await fill_chats(adv, rs, 7, "å")
        adv.abort()
        await asyncio.sleep(0.5)

        def login_and_ping():
            raw = PingingWs(srv, "advisor")
            try:
                raw.send({"type": "login", "token": adv.token})
                for i in range(5):
                    raw.ping(b"p%d" % i)
                got = raw.frames_until(lambda g: sum(m["type"] == "chat" for m in g) == 3)
                # lws answers one ping at a time and drops those that come
                # while a pong is pending (RFC 6455 lets it answer only some):
                # ping again, once a second, until one "last" is answered.
                raw.sock.settimeout(1)
                for _ in range(20):
                    raw.ping(b"last")
                    try:
                        while True:
                            got.append(raw.frame())
                            if got[-1] == {"type": "pong", "payload": b"last"}:
                                return got
                    except TimeoutError:
                        continue
                raise AssertionError("no ping after the batch was answered")
            finally:
                raw.close()

        got = await asyncio.to_thread(login_and_ping)
        pongs = [m["payload"] for m in got if m["type"] == "pong"]
        assert pongs[-1] == b"last" and len(pongs) >= 2, pongs
        assert pongs[:-1] == sorted(set(pongs[:-1])), pongs
        assert set(pongs[:-1]) <= {b"p%d" % i for i in range(5)}, pongs
        chats = [m for m in got if m["type"] == "chat"]
        assert all(len(m["history"]) == 7 for m in chats), chats

    run(go(), timeout=120)


class ClosingWs(RawWs):
    """RawWs that also reads the server's close frame, checked whole."""

    def frame(self):
        self._need(2)
        if self.buf[0] == 0x88:
            n = self.buf[1]
            assert n <= 125 and not n & 0x80, self.buf[:2]
            self._need(2 + n)
            payload, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
            return {"type": "close", "code": int.from_bytes(payload[:2], "big"),
                    "reason": payload[2:].decode()}
        return super().frame()


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_a_close_after_a_batch_of_errors_comes_last_and_whole(make_server, tls_files, tls):
    """Twenty bad frames sent at once: their twenty errors go out batched,
    then the 1008 close frame, whole and after every error."""
    srv = make_server(tls=tls_files if tls else None)

    def go():
        raw = ClosingWs(srv, "resident")
        try:
            for i in range(20):
                raw.send({"type": "no-such-type", "n": i})
            got = raw.frames_until(lambda g: any(m["type"] == "close" for m in g))
            return got
        finally:
            raw.close()

    got = go()
    assert [m["type"] for m in got] == ["error"] * 20 + ["close"], got
    assert got[-1]["code"] == 1008 and got[-1]["reason"] == "too many errors", got[-1]
