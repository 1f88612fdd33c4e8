#!/usr/bin/python3
"""Load benchmark: many queued residents on one neuvo-server, over loopback.

Prints figures, asserts nothing about speed (shared machines are noisy):
  - how fast N residents connect and are queued, and the server's memory
    (VmRSS) per connection;
  - the round trip of a resident's message (stored and committed before the
    echo) while N others wait, as p50/p90/p99;
  - the position storm: after each take at the front, how long until the
    last of the N waiting residents has its new position.

Usage: tests/bench/run.sh [--residents N] [--messages M] [--takes T]
(NEUVO_BUILD_DIR picks the build, default build/).
"""
import argparse
import asyncio
import json
import pathlib
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from conftest import ADVISOR_PASSWORD, ADVISOR_USER, Server  # noqa: E402

import websockets  # noqa: E402


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values, p):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


class Waiter:
    """One queued resident that reads every push and remembers its position."""

    def __init__(self, ws):
        self.ws = ws
        self.position = None
        self.changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                m = json.loads(raw)
                if "position" in m:
                    self.position = m["position"]
                    self.changed.set()
        except websockets.ConnectionClosed:
            pass


async def connect(srv, role):
    return await websockets.connect(srv.ws_url, subprotocols=[f"neuvo.{role}.v1"],
                                    origin=srv.origin, open_timeout=60,
                                    close_timeout=2, max_size=None)


async def queue_residents(srv, n, parallel=200):
    waiters = []
    sem = asyncio.Semaphore(parallel)

    async def one():
        async with sem:
            ws = await connect(srv, "resident")
            await ws.send('{"type":"hello","lang":"fi"}')
            w = Waiter(ws)
            waiters.append(w)
            while w.position is None:
                await asyncio.wait_for(w.changed.wait(), 60)
                w.changed.clear()

    await asyncio.gather(*(one() for _ in range(n)))
    return waiters


async def echo_round_trips(srv, count):
    ws = await connect(srv, "resident")
    await ws.send('{"type":"hello"}')
    times = []
    for i in range(count):
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "msg", "text": f"kysymys {i}", "cid": str(i)}))
        while True:
            m = json.loads(await ws.recv())
            if m.get("type") == "msg" and m.get("cid") == str(i):
                break
        times.append((time.perf_counter() - sent) * 1000)
        await asyncio.sleep(0.11)       # stay under 10 messages a second
    await ws.close()
    return times


async def position_storm(srv, waiters, takes):
    adv = await connect(srv, "advisor")
    await adv.send(json.dumps({"type": "login", "username": ADVISOR_USER,
                               "password": ADVISOR_PASSWORD}))
    while json.loads(await adv.recv()).get("type") != "login_ok":
        pass
    drain = asyncio.get_running_loop().create_task(drain_socket(adv))
    times = []
    for _ in range(takes):
        for w in waiters:
            w.changed.clear()
        expected = {id(w): w.position - 1 for w in waiters if w.position and w.position > 1}
        started = time.perf_counter()
        await adv.send('{"type":"take"}')
        pending = [w for w in waiters if id(w) in expected]
        while pending:
            await asyncio.wait_for(
                asyncio.gather(*(w.changed.wait() for w in pending)), 60)
            pending = [w for w in pending if w.position != expected[id(w)]]
            for w in pending:
                w.changed.clear()
        times.append((time.perf_counter() - started) * 1000)
        waiters = [w for w in waiters if id(w) in expected]
    drain.cancel()
    return times


async def drain_socket(ws):
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


async def main(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="neuvo-bench-"))
    srv = Server(tmp, queue__max_length=args.residents + 100,
                 queue__max_chats_per_advisor=args.takes + 1,
                 server__max_connections_per_ip=args.residents + 100)
    srv.add_advisor()
    srv.start()
    pid = srv.proc.pid
    print(f"neuvo-server pid {pid}, port {srv.port}, {args.residents} residents")
    base = rss_kib(pid)
    t0 = time.perf_counter()
    waiters = await queue_residents(srv, args.residents)
    dt = time.perf_counter() - t0
    full = rss_kib(pid)
    print(f"queued {len(waiters)} residents in {dt:.1f} s "
          f"({len(waiters) / dt:.0f}/s)")
    print(f"server RSS {base / 1024:.1f} MiB idle -> {full / 1024:.1f} MiB; "
          f"{(full - base) / max(1, len(waiters)):.1f} KiB per queued resident")
    rt = await echo_round_trips(srv, args.messages)
    print(f"message round trip with {len(waiters)} waiting ({len(rt)} messages): "
          f"p50 {pct(rt, 50):.2f} ms, p90 {pct(rt, 90):.2f} ms, "
          f"p99 {pct(rt, 99):.2f} ms, max {max(rt):.2f} ms")
    storm = await position_storm(srv, waiters, args.takes)
    print(f"take at the front -> every waiting resident has its new position "
          f"({len(storm)} takes): median {statistics.median(storm):.0f} ms, "
          f"max {max(storm):.0f} ms (includes this client reading "
          f"{len(waiters)} pushes)")
    print(f"server RSS at the end {rss_kib(pid) / 1024:.1f} MiB")
    for w in waiters:
        w.task.cancel()
    srv.signal(__import__("signal").SIGTERM)
    print(f"server exit code {srv.wait_exit(30)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, default=10000)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--takes", type=int, default=5)
    asyncio.run(main(ap.parse_args()))
