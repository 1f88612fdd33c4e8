#!/usr/bin/env python3
"""resume_spam.py - what `resume`s with made-up tokens cost a server while
many residents wait (issue 14; docs/capacity.md 2.0f).

Any resident connection may send `resume` with any token; an unknown one
gets error `not_allowed` and the connection stays open, so one visitor can
repeat it (until the server closes the connection for too many errors).
This opens --conns connections to a running neuvo-server (each
from its own address, 127.3.0.1, 127.3.0.2, ...), measures the server's CPU
over --seconds with the connections idle, then over as long again while
each sends --rate made-up resumes a second (reading and discarding the
answers), and prints both with the answers counted. Standard library only.

    tests/bench/run.sh idle --steps 10000 --duration 120 --servers neuvo &
    # when it has ramped: its log names the server's pid and port
    tests/bench/resume_spam.py --port PORT --pid PID
"""
import argparse
import base64
import json
import os
import select
import socket
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of the whole process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def handshake(port, source):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: neuvo.resident.v1\r\n"
               f"Origin: http://127.0.0.1:{port}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        got = s.recv(4096)
        if not got:
            raise SystemExit(f"resume_spam: {source}: closed during the handshake")
        head += got
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"resume_spam: {source}: {head.splitlines()[0].decode()}")
    s.setblocking(False)
    return s


def masked(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return bytes([0x81, 0x80 | len(data)]) + mask + body     # < 126 bytes


def drain(socks, counts):
    readable, _, _ = select.select(socks, [], [], 0)
    for s in readable:
        try:
            got = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:         # reset: closed after its errors
            got = b""
        counts["not_allowed"] += got.count(b"not_allowed")
        counts["rate_limited"] += got.count(b"rate_limited")
        if not got:
            counts["closed"] += 1
            socks.remove(s)


def window(socks, seconds, rate, counts):
    """Sends `rate` resumes a second on each socket (none if 0) for
    `seconds`, reading what comes back."""
    end = time.monotonic() + seconds
    step = 1.0 / rate if rate else 0.05
    nxt = time.monotonic()
    while time.monotonic() < end:
        if rate and time.monotonic() >= nxt:
            nxt += step
            for s in list(socks):
                token = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
                try:
                    s.send(masked({"type": "resume", "token": token}))
                    counts["sent"] += 1
                except OSError:
                    socks.remove(s)
                    counts["closed"] += 1
        drain(socks, counts)
        if not rate:            # the quiet window: no busy polling
            time.sleep(step)
            continue
        time.sleep(min(0.005, max(0.0, nxt - time.monotonic())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True, help="the server's pid")
    ap.add_argument("--conns", type=int, default=40)
    ap.add_argument("--rate", type=float, default=9, help="resumes a second per connection")
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()

    socks = [handshake(a.port, f"127.3.{i // 250}.{i % 250 + 1}") for i in range(a.conns)]
    quiet = {"sent": 0, "not_allowed": 0, "rate_limited": 0, "closed": 0}
    spam = dict(quiet)
    c0 = cpu_seconds(a.pid)
    window(socks, a.seconds, 0, quiet)
    c1 = cpu_seconds(a.pid)
    window(socks, a.seconds, a.rate, spam)
    c2 = cpu_seconds(a.pid)
    print(f"quiet: server CPU {c1 - c0:.2f} s of {a.seconds:g} s")
    print(f"spam:  server CPU {c2 - c1:.2f} s of {a.seconds:g} s; {spam['sent']} resumes sent "
          f"({spam['sent'] / a.seconds:.0f}/s), {spam['not_allowed']} not_allowed, "
          f"{spam['rate_limited']} rate_limited, {spam['closed']} closed")
    extra = (c2 - c1) - (c1 - c0)
    if spam["not_allowed"]:
        print(f"extra server CPU per refused resume: "
              f"{extra / spam['not_allowed'] * 1e6:.0f} us")


if __name__ == "__main__":
    main()
