"""The WebSocket frames on the wire, read by a strict reader of our own.

The server frames what it sends itself and writes several frames in one
send (issue 14), so a turn that queues many frames at once (an advisor's
token login with its chats, a resident's resume with a long history) must
still reach the client as separate, valid frames, whole and in order:
each final, text, unmasked, with no RSV bit and its length in the shortest
form (RFC 6455 section 5.2), with TLS as without. A wrong header would make
the rest of the stream unreadable here, as in a browser."""
import asyncio
import base64
import hashlib
import json
import os
import socket

import pytest

from conftest import MANY_CHATS, advisor, chatting, insecure_ssl, masked_frame, run

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"




class RawWs:
    """A WebSocket client on a plain (or TLS) socket that checks every
    byte the server sends. It offers permessage-deflate, which the server
    must refuse (its frames are framed without any extension)."""

    def __init__(self, srv, role, timeout=15):
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
        if srv.tls:
            sock = insecure_ssl().wrap_socket(sock, server_hostname="127.0.0.1")
        self.sock = sock
        self.buf = b""
        self.sizes = []         # payload length of every frame read, in order
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: neuvo.{role}.v1\r\n"
               "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
               f"Origin: {srv.origin}\r\n\r\n")
        sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        first, *lines = head.decode("latin-1").split("\r\n")
        assert first.startswith("HTTP/1.1 101 "), first
        headers = {}
        for line in lines:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert headers.get("sec-websocket-accept") == want, headers
        assert "sec-websocket-extensions" not in headers, headers

    def _more(self):
        chunk = self.sock.recv(65536)
        assert chunk, f"connection closed; {len(self.buf)} bytes unread"
        self.buf += chunk

    def _need(self, n):
        while len(self.buf) < n:
            self._more()

    def send(self, obj):
        """One masked text frame, as a client must send."""
        self.sock.sendall(masked_frame(obj))

    def frame(self):
        """The next frame, checked, as a dict."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert b0 == 0x81, f"first byte {b0:#04x}: not a final text frame without RSV bits"
        assert not b1 & 0x80, "a server frame must not be masked"
        n, at = b1 & 0x7f, 2
        if n == 126:
            self._need(4)
            n, at = int.from_bytes(self.buf[2:4], "big"), 4
            assert n > 125, f"length {n} in the 16-bit form"
        elif n == 127:
            self._need(10)
            n, at = int.from_bytes(self.buf[2:10], "big"), 10
            assert n > 0xffff, f"length {n} in the 64-bit form"
            assert n < 1 << 63
        self._need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        self.sizes.append(n)
        msg = json.loads(payload.decode("utf-8"))
        assert isinstance(msg, dict), msg
        return msg

    def frames_until(self, done):
        """Frames read until done(list so far) holds; all of them."""
        got = []
        while not done(got):
            got.append(self.frame())
        return got

    def close(self):
        self.sock.close()


def texts(history):
    return [m["text"] for m in history]


BIG = [f"{i:02d} " + "ä" * 3997 for i in range(12)]  # ~96 KB: the 64-bit form
MID = [f"keskikokoinen {i} " + "o" * 200 for i in range(3)]


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_frames_written_together_arrive_whole_and_in_order(make_server, tls_files, tls):
    """An advisor's token login gets login_ok and a chat frame per chat in
    one turn: small, middling and ~96 KB frames back to back. Then a
    resident's resume gets its ~96 KB history. Every frame reads as valid,
    with its content and in the order sent."""
    srv = make_server(tls=tls_files if tls else None, queue__max_chats_per_advisor=8,
                      chat__max_message_chars=4000, **MANY_CHATS)

    async def go():
        adv = await advisor(srv)
        big, _ = await chatting(srv, adv)
        mid, _ = await chatting(srv, adv)
        small = [(await chatting(srv, adv))[0] for _ in range(5)]
        sent = {big.chat: BIG, mid.chat: MID}
        for i, r in enumerate(small):
            sent[r.chat] = [f"hei {i}"]
        for r, lines in [(big, BIG), (mid, MID)] + [(r, sent[r.chat]) for r in small]:
            for n, text in enumerate(lines):
                if n and n % 8 == 0:
                    await asyncio.sleep(1.05)       # under the rate limit
                await r.send({"type": "msg", "text": text})
            await adv.recv_type("msg", chat=r.chat, text=lines[-1], timeout=10)
        adv.abort()
        await asyncio.sleep(0.5)

        def advisor_side():
            raw = RawWs(srv, "advisor")
            try:
                raw.send({"type": "login", "token": adv.token})
                got = raw.frames_until(lambda g: sum(m["type"] == "chat" for m in g) == 7)
                assert got[0]["type"] == "login_ok", got[0]
                chats = {m["chat"]: m for m in got if m["type"] == "chat"}
                assert set(chats) == set(sent)
                for chat, lines in sent.items():
                    assert texts(chats[chat]["history"]) == lines, chat
                assert {m["type"] for m in got} <= {"login_ok", "queue", "chat"}, got
                # the stream goes on: an echo after the batch
                raw.send({"type": "msg", "chat": small[0].chat, "text": "jatketaan"})
                echo = raw.frames_until(lambda g: any(m["type"] == "msg" for m in g))
                assert echo[-1]["text"] == "jatketaan"
                return raw.sizes
            finally:
                raw.close()

        sizes = await asyncio.to_thread(advisor_side)
        assert any(n <= 125 for n in sizes), sizes
        assert any(125 < n <= 0xffff for n in sizes), sizes
        assert any(n > 0xffff for n in sizes), sizes
        await small[0].recv_type("msg", text="jatketaan")

        big.abort()
        await asyncio.sleep(0.5)

        def resident_side():
            raw = RawWs(srv, "resident")
            try:
                raw.send({"type": "resume", "token": big.token})
                got = raw.frames_until(lambda g: any(m["type"] == "resumed" for m in g))
                res = got[-1]
                assert res["state"] == "chatting", res
                assert texts(res["history"]) == BIG
                assert max(raw.sizes) > 0xffff
            finally:
                raw.close()

        await asyncio.to_thread(resident_side)
    run(go(), timeout=120)
