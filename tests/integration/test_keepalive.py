"""The server's own keepalive (net.c net_keepalive, issue 14): a peer
silent for 30 s gets a PING; one that answers it, or sends anything, stays;
one silent for 60 s is hung up and counted. Real sockets, real time: about
65 s, both peers in the same minute."""
import os
import threading
import time

from conftest import metrics
from test_framing import RawWs


class KeepaliveWs(RawWs):
    """RawWs that reads control frames too: a PING (answered with a PONG of
    the same payload when `answer`), and the end of the connection."""

    def __init__(self, srv, answer):
        super().__init__(srv, "resident", timeout=90)
        self.answer = answer
        self.pings = []         # seconds from the start, one per PING
        self.closed_at = None
        self.t0 = time.monotonic()

    def pong(self, payload):
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + body)

    def watch(self, until_s):
        """Read control frames until `until_s` from the start or the end."""
        self.sock.settimeout(1)
        while time.monotonic() - self.t0 < until_s:
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed_at = time.monotonic() - self.t0
                return
            self.buf += chunk
            self._control()

    def _control(self):
        while len(self.buf) >= 2:
            op, n, at = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
            assert not self.buf[1] & 0x80, "a server frame must not be masked"
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, at = int.from_bytes(self.buf[2:4], "big"), 4
            assert n < 65536, self.buf[:10]
            if len(self.buf) < at + n:
                return
            payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
            if op == 0x9:
                self.pings.append(time.monotonic() - self.t0)
                if self.answer:
                    self.pong(payload)
            elif op == 0x8:
                self.closed_at = time.monotonic() - self.t0


def test_a_silent_peer_is_pinged_at_30_s_and_hung_up_at_60_s(make_server):
    srv = make_server()
    mute = KeepaliveWs(srv, answer=False)
    polite = KeepaliveWs(srv, answer=True)
    threads = [threading.Thread(target=ws.watch, args=(68,))
               for ws in (mute, polite)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Pinged once, between 30 s and the walk after it (1 s, plus slack for
    # a busy machine); hung up after 60 s of silence, not before.
    assert len(mute.pings) == 1 and 29 <= mute.pings[0] < 45, mute.pings
    assert mute.closed_at is not None and 59 <= mute.closed_at < 68, mute.closed_at
    # Its pong is a sign of life: still there, pinged again 30 s later.
    assert polite.closed_at is None, polite.closed_at
    assert len(polite.pings) == 2 and polite.pings[1] - polite.pings[0] >= 29, \
        polite.pings
    assert metrics(srv)["neuvo_ws_dropped_silent_total"] == 1


def test_a_peer_that_talks_is_never_pinged(make_server):
    """Frames are signs of life too: a resident who pings the service (an
    application ping, as the page does) every 10 s gets no WebSocket PING
    (one would come at 30 s if only pongs counted)."""
    srv = make_server()
    ws = KeepaliveWs(srv, answer=False)
    for _ in range(4):
        ws.send({"type": "ping"})
        ws.watch(time.monotonic() - ws.t0 + 10)
    assert ws.pings == [] and ws.closed_at is None, (ws.pings, ws.closed_at)
