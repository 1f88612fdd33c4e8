"""CONTRACT section 4 and issue 3: peers that do not play by the rules.

Frames the websockets library will not send (invalid UTF-8 in a text frame,
binary frames) go over a raw socket; a handshake that dribbles in byte by
byte; advisor login throttling. Each case checks that the server turns the
peer away and that everyone else is served as before."""
import asyncio
import os
import socket
import struct
import time

from conftest import (ADVISOR_PASSWORD, ADVISOR_USER, LOGIN_TIMEOUT, Client, login,
                      queued, run)


def raw_ws(srv, protocol="neuvo.resident.v1"):
    """A socket past a real WebSocket handshake (101), for hand-made frames."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    req = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           f"Sec-WebSocket-Version: 13\r\nOrigin: {srv.origin}\r\n"
           f"Sec-WebSocket-Protocol: {protocol}\r\n\r\n")
    s.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(opcode, payload):
    """One final, masked client frame (payload < 126 bytes)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def close_code(s, timeout=5):
    """Read server frames until its close frame; its status code."""
    s.settimeout(timeout)
    data = b""
    while True:
        chunk = s.recv(4096)
        assert chunk, "connection dropped without a close frame"
        data += chunk
        while len(data) >= 2:
            opcode, n = data[0] & 0x0F, data[1] & 0x7F
            if len(data) < 2 + n:
                break
            payload, data = data[2:2 + n], data[2 + n:]
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0]


def test_text_frame_with_invalid_utf8_closes_with_1007(shared_server):
    s = raw_ws(shared_server)
    s.sendall(frame(0x1, b'{"type":"hello","topic":"\xff\xfe"}'))
    assert close_code(s) == 1007


def test_binary_frame_closes_with_1003(shared_server):
    s = raw_ws(shared_server)
    s.sendall(frame(0x2, b'{"type":"hello"}'))
    assert close_code(s) == 1003


def test_others_are_served_while_a_peer_sends_garbage(shared_server):
    async def go():
        bad = raw_ws(shared_server)
        bad.sendall(frame(0x2, b"\x00" * 100))
        res, q = await queued(shared_server)
        await res.send({"type": "msg", "text": "hei"})
        echo = await res.recv_type("msg")
        assert echo["text"] == "hei"
        bad.close()
    run(go())


def test_a_handshake_that_dribbles_in_is_cut_within_seconds(shared_server):
    s = socket.create_connection(("127.0.0.1", shared_server.port), timeout=2)
    request = (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{shared_server.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n").encode()
    started = time.monotonic()
    cut = False
    for b in request:
        try:
            s.sendall(bytes([b]))
            s.settimeout(1.0)
            if s.recv(1) == b"":
                cut = True
                break
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            cut = True
            break
    elapsed = time.monotonic() - started
    s.close()
    # The request takes ~90 s to dribble in at a byte a second; the server's
    # handshake timeout is 5 s, so being cut at all is the point.
    assert cut, f"still connected after {elapsed:.0f} s of dribbling"


def test_the_server_stays_available_during_a_dribbled_handshake(shared_server):
    async def go():
        s = socket.create_connection(("127.0.0.1", shared_server.port), timeout=2)
        s.sendall(b"GET /ws HTTP/1.1\r\n")
        res, q = await queued(shared_server)
        assert q["position"] >= 1
        s.close()
    run(go())


async def try_login(srv, password):
    c, m = await login(srv, username=ADVISOR_USER, password=password)
    await c.close()
    return m


def test_failed_logins_pause_the_account_then_let_the_real_person_in(server):
    async def go():
        for _ in range(4):
            m = await try_login(server, "wrong password")
            assert m.get("code") == "auth_failed"
        # The fourth failure starts a pause of 2 s: even the right password
        # is refused until it is over.
        m = await try_login(server, ADVISOR_PASSWORD)
        assert m.get("code") == "auth_failed"
        await asyncio.sleep(2.5)
        m = await try_login(server, ADVISOR_PASSWORD)
        assert m["type"] == "login_ok"
    run(go(), timeout=120)


def test_a_success_clears_the_failures_of_an_account(server):
    async def go():
        for _ in range(3):
            assert (await try_login(server, "nope")).get("code") == "auth_failed"
        assert (await try_login(server, ADVISOR_PASSWORD))["type"] == "login_ok"
        # Three free failures again, no pause after them.
        for _ in range(3):
            assert (await try_login(server, "nope")).get("code") == "auth_failed"
        assert (await try_login(server, ADVISOR_PASSWORD))["type"] == "login_ok"
    run(go(), timeout=120)


def test_guessing_one_account_does_not_pause_another(server):
    async def go():
        for _ in range(5):
            c = await Client.connect(server, "advisor")
            await c.send({"type": "login", "username": "someone_else",
                          "password": "x"})
            assert (await c.error("auth_failed", LOGIN_TIMEOUT))
            await c.close()
        assert (await try_login(server, ADVISOR_PASSWORD))["type"] == "login_ok"
    run(go(), timeout=120)
