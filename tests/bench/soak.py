#!/usr/bin/python3
"""Soak: hours of synthetic chats against one neuvo-server, to see that
nothing grows that should not (issue 13). Not a CI test; asserts nothing.

Residents arrive, wait, are handed to one of the advisors (auto_assign),
write and get answers, now and then lose their link and resume, ask for an
email copy (no mail server: it waits and is given up), end the chat or have
it ended, and give feedback; then the next one comes. Every minute it prints
the server's resident memory (VmRSS), its open file descriptors, the
database's size on disk (file + WAL), and what the load did so far.

Usage: tests/bench/soak.sh [--minutes N] [--residents R] [--advisors A]
(defaults: 120 minutes, 15 residents at a time, 3 advisors).
"""
import argparse
import asyncio
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from conftest import ADVISOR_PASSWORD, Server, admin  # noqa: E402

import websockets  # noqa: E402


class Stats:
    def __init__(self):
        self.chats = 0
        self.msgs = 0
        self.resumes = 0
        self.copies = 0
        self.errors = 0


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def db_bytes(srv):
    return sum(p.stat().st_size for p in srv.db_files())


async def connect(srv, role):
    return await websockets.connect(srv.ws_url, subprotocols=[f"neuvo.{role}.v1"],
                                    origin=srv.origin, open_timeout=30,
                                    close_timeout=2, max_size=None)


async def recv_type(ws, *types, timeout=60):
    """The next frame of one of `types` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        m = json.loads(raw)
        if m.get("type") in types:
            return m


def words(rng, n):
    return " ".join(rng.choice(("hei", "kiitos", "asunto", "vuokra", "tuki",
                                "hakemus", "milloin", "miten", "voisinko", "kyllä",
                                "ei", "ehkä", "huomenna", "tänään")) for _ in range(n))


async def advisor_loop(srv, user, stop, stats, rng):
    """Logs in, answers every resident message, ends some chats and tags them."""
    ws = await connect(srv, "advisor")
    await ws.send(json.dumps({"type": "login", "username": user,
                              "password": ADVISOR_PASSWORD}))
    await recv_type(ws, "login_ok")
    await ws.send(json.dumps({"type": "status", "available": True}))
    said = {}
    n = 0
    while not stop.is_set():
        try:
            raw = await asyncio.wait_for(ws.recv(), 1)
        except asyncio.TimeoutError:
            continue
        m = json.loads(raw)
        if m.get("type") == "msg" and m.get("from") == "resident":
            chat = m["chat"]
            said[chat] = said.get(chat, 0) + 1
            await asyncio.sleep(0.15)           # under the 10 a second
            n += 1
            if said[chat] >= rng.randint(6, 12) and rng.random() < 0.3:
                await ws.send(json.dumps({"type": "end", "chat": chat}))
                continue
            await ws.send(json.dumps({"type": "msg", "chat": chat, "cid": f"{user}-{n}",
                                      "text": words(rng, rng.randint(3, 15))}))
        elif m.get("type") == "ended":
            chat = m["chat"]
            said.pop(chat, None)
            await asyncio.sleep(0.15)
            await ws.send(json.dumps({"type": "tag", "chat": chat, "topics": ["housing"],
                                      "outcome": "answered"}))
        elif m.get("type") == "error" and m.get("code") not in ("unknown_chat", "not_allowed"):
            stats.errors += 1
    await ws.close()


async def resident_once(srv, stats, rng):
    """One resident's visit, start to end."""
    ws = await connect(srv, "resident")
    await ws.send(json.dumps({"type": "hello", "lang": "fi", "topic": "housing"}))
    q = await recv_type(ws, "queued", "queue_full", "closed")
    if q["type"] != "queued":
        await ws.close()
        await asyncio.sleep(1)
        return
    token = q["token"]
    await recv_type(ws, "assigned", timeout=300)
    stats.chats += 1
    ended = False
    for i in range(rng.randint(3, 14)):
        if rng.random() < 0.05:
            # The phone loses its link and comes back.
            ws.transport.abort()
            ws = await connect(srv, "resident")
            await ws.send(json.dumps({"type": "resume", "token": token}))
            r = await recv_type(ws, "resumed", "error")
            stats.resumes += 1
            if r["type"] != "resumed" or r["state"] == "ended":
                ended = True
                break
        await ws.send(json.dumps({"type": "msg", "cid": i, "text": words(rng, rng.randint(2, 20))}))
        stats.msgs += 1
        got = await recv_type(ws, "msg", "ended", timeout=120)
        if got["type"] == "ended":
            ended = True
            break
        if i == 1 and rng.random() < 0.1:
            await ws.send(json.dumps({"type": "email", "to": "kopio@example.org"}))
            stats.copies += 1
        await asyncio.sleep(rng.uniform(0.5, 2.0))
    if not ended:
        await ws.send(json.dumps({"type": "end"}))
        await recv_type(ws, "ended", timeout=60)
    await ws.send(json.dumps({"type": "feedback", "rating": rng.randint(1, 5)}))
    await recv_type(ws, "thanks", "error", timeout=30)
    await ws.close()


async def resident_loop(srv, stop, stats, rng):
    while not stop.is_set():
        try:
            await resident_once(srv, stats, rng)
        except (asyncio.TimeoutError, websockets.ConnectionClosed, OSError, KeyError):
            stats.errors += 1
            await asyncio.sleep(1)


async def report(srv, stop, stats, minutes):
    t0 = time.monotonic()
    first = None
    print("minute  rss_kib  fds  db_kib  chats  msgs  resumes  copies  errors", flush=True)
    for minute in range(1, minutes + 1):
        try:
            await asyncio.wait_for(stop.wait(), t0 + 60 * minute - time.monotonic())
            return
        except asyncio.TimeoutError:
            pass
        row = (rss_kib(srv.proc.pid), open_fds(srv.proc.pid), db_bytes(srv) // 1024)
        first = first or row
        print(f"{minute:6d} {row[0]:8d} {row[1]:4d} {row[2]:7d} {stats.chats:6d} "
              f"{stats.msgs:5d} {stats.resumes:8d} {stats.copies:7d} {stats.errors:7d}",
              flush=True)
    stop.set()
    last = (rss_kib(srv.proc.pid), open_fds(srv.proc.pid), db_bytes(srv) // 1024)
    print(f"soak: {minutes} min, {stats.chats} chats, {stats.msgs} resident msgs (+ answers), "
          f"{stats.resumes} resumes, {stats.copies} copies asked, {stats.errors} client "
          f"errors; RSS {first[0]} -> {last[0]} KiB after minute 1, fds {first[1]} -> "
          f"{last[1]}, database {first[2]} -> {last[2]} KiB", flush=True)


async def main(args):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="neuvo-soak-"))
    srv = Server(tmp, queue__auto_assign="yes", queue__max_chats_per_advisor="10",
                 queue__max_length="500", queue__resume_grace_s="30",
                 limits__max_queued_per_address="10000",
                 limits__max_new_chats_per_address_per_hour="1000000",
                 limits__max_queued_messages="1000",
                 smtp__url="smtp://127.0.0.1:9", smtp__starttls="no")
    users = [f"neuvoja{i}" for i in range(args.advisors)]
    for u in users:
        r = admin(srv.config, "advisor", "add", u, "--name", u.title(),
                  stdin=ADVISOR_PASSWORD + "\n", timeout=120)
        assert r.returncode == 0, r.stderr
    srv.start()
    print(f"soak: server pid {srv.proc.pid}, {tmp}; {args.residents} residents at a time, "
          f"{args.advisors} advisors, {args.minutes} min", flush=True)
    stop = asyncio.Event()
    stats = Stats()
    rng = random.Random(args.seed)
    tasks = [asyncio.ensure_future(advisor_loop(srv, u, stop, stats, random.Random(rng.random())))
             for u in users]
    await asyncio.sleep(3)
    tasks += [asyncio.ensure_future(resident_loop(srv, stop, stats, random.Random(rng.random())))
              for _ in range(args.residents)]
    await report(srv, stop, stats, args.minutes)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    rc = srv.stop(limit=10)
    print(f"soak: server exit code {rc} after SIGTERM", flush=True)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=120)
    ap.add_argument("--residents", type=int, default=15)
    ap.add_argument("--advisors", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the server's directory")
    asyncio.run(main(ap.parse_args()))
