"""kill -9 at random moments under load loses nothing acknowledged
(CONTRACT section 7, issue 13).

A scripted load runs against the real server: CHATS residents chatting with
one advisor, one more resident still queued, messages both ways, each with a
cid (strings and integers). In every round the server is killed with
SIGKILL at a random moment of the load (now and then in the middle of its
own start instead), the database is checked with PRAGMA integrity_check
while it is down, and the server is started again. After each start every
side comes back as the browser clients do (resident `resume`, advisor token
login) and the test checks that
  - every MSG echoed before any kill is in the history, same id, sender and
    text, and no message is in it twice;
  - a message sent but not echoed, sent again with its cid, is stored at
    most once; an echoed one sent again gets the same MSG back;
  - the email copy waiting in the outbox (its mail server is down) is still
    there.
KILLS rounds (50; NEUVO_CRASH_KILLS to change, e.g. fewer under ASan), with
the figures printed: kills, messages echoed and verified, restart times.
The random seed is printed too (NEUVO_CRASH_SEED to repeat a run)."""
import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import statistics
import string
import time

import websockets

from conftest import (Client, advisor, free_port, login, queued, resume, run,
                      taken)

KILLS = int(os.environ.get("NEUVO_CRASH_KILLS", "50"))
CHATS = 4
ADDR = "kopio@example.org"


class Load:
    """What the test knows: tokens, and every MSG it saw echoed."""

    def __init__(self, rng):
        self.rng = rng
        self.res_tokens = {}        # chat -> resident token
        self.queued_token = None
        self.queued_chat = None
        self.adv_token = None
        self.echoed = {}            # chat -> {id: (from, text)}
        self.by_cid = {}            # (chat, from, cid) -> echoed MSG
        self.unacked = []           # (chat, from, text, cid): sent, no echo
        self.n_sent = 0
        self.n_echoed = 0
        self.n_verified = 0
        self.n_resent_same = 0
        self.n_resent_unacked = 0
        self.n_stored_unacked = 0   # stored before the kill, echo lost
        self.history = {}           # chat -> {(from, text): id}, last read

    def text(self, who):
        tag = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(12))
        return f"{who} sanoo {tag}"

    def cid(self):
        self.n_sent += 1
        return self.n_sent if self.rng.random() < 0.3 else f"c-{self.n_sent}"

    def record(self, chat, m, cid):
        self.n_echoed += 1
        seen = self.echoed.setdefault(chat, {})
        assert m["id"] not in seen or seen[m["id"]] == (m["from"], m["text"]), \
            f"chat {chat}: id {m['id']} echoed for two messages: {seen[m['id']]} {m}"
        seen[m["id"]] = (m["from"], m["text"])
        self.by_cid[(chat, m["from"], repr(cid))] = m

    def check(self, chat, history):
        ids = [m["id"] for m in history]
        assert ids == sorted(set(ids)), f"chat {chat}: ids {ids}"
        texts = [m["text"] for m in history]
        assert len(texts) == len(set(texts)), f"chat {chat}: a message stored twice"
        got = {m["id"]: (m["from"], m["text"]) for m in history}
        self.history[chat] = {v: k for k, v in got.items()}
        for mid, want in self.echoed.get(chat, {}).items():
            assert got.get(mid) == want, \
                f"chat {chat}: echoed MSG {mid} {want} is not in the history: {got.get(mid)}"
            self.n_verified += 1


async def say(c, load, chat, who, text, cid):
    """One msg with its cid; records the echo. False when the link died."""
    frame = {"type": "msg", "text": text, "cid": cid}
    if who == "advisor":
        frame["chat"] = chat
    load.unacked.append((chat, who, text, cid))
    try:
        await c.send(frame)
        m = await c.recv_type("msg", timeout=5, cid=cid)
    except (AssertionError, websockets.ConnectionClosed, OSError):
        return False
    load.unacked.remove((chat, who, text, cid))
    assert m["from"] == who and m["text"] == text, m
    load.record(chat, m, cid)
    return True


async def reconnect(srv, load):
    """Everyone back after a start, histories checked: (advisor, {chat: client})."""
    a, ok = await login(srv, token=load.adv_token)
    assert ok["type"] == "login_ok", ok
    load.adv_token = ok["token"]
    for chat in load.res_tokens:
        frame = await a.recv_type("chat", chat=chat)
        load.check(chat, frame["history"])
    residents = {}
    for chat, token in list(load.res_tokens.items()) + [(load.queued_chat,
                                                        load.queued_token)]:
        r = await resume(srv, token)
        got = await r.recv_type("resumed")
        assert got["state"] == ("queued" if chat == load.queued_chat else "chatting"), got
        load.check(chat, got["history"])
        residents[chat] = r
    return a, residents


async def resend(a, residents, load):
    """The clients' resend after a reconnect: what was not echoed goes again
    with its cid; and one echoed message, to see the same MSG come back."""
    for chat, who, text, cid in list(load.unacked):
        c = a if who == "advisor" else residents[chat]
        load.unacked.remove((chat, who, text, cid))
        stored = load.history.get(chat, {}).get((who, text))
        if not await say(c, load, chat, who, text, cid):
            continue
        load.n_resent_unacked += 1
        if stored is not None:
            # Committed before the kill, its echo lost with the link:
            # the resend gets that MSG, not a second one.
            assert load.by_cid[(chat, who, repr(cid))]["id"] == stored
            load.n_stored_unacked += 1
    if not load.by_cid:
        return
    (chat, who, _), m = load.rng.choice(sorted(load.by_cid.items(), key=repr))
    c = a if who == "advisor" else residents[chat]
    frame = {"type": "msg", "text": "eri teksti", "cid": m.get("cid")}
    if who == "advisor":
        frame["chat"] = chat
    await c.send(frame)
    again = await c.recv_type("msg", cid=m.get("cid"))
    assert again == m, f"a resend of {m} got {again}"
    load.n_resent_same += 1


async def talk(c, load, chat, who, chats=None):
    """Messages as fast as the rate limit allows, until the link dies."""
    while True:
        target = load.rng.choice(chats) if chats else chat
        if not await say(c, load, target, who, load.text(who), load.cid()):
            return
        await asyncio.sleep(0.13 if chats is None else 0.15)


def integrity(srv):
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    return ok, outbox


def kill(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv._close_files()


def start_timed(srv, times):
    t0 = time.monotonic()
    srv.start()
    times.append(time.monotonic() - t0)


def test_kill_9_under_load_loses_nothing_echoed(make_server):
    seed = int(os.environ.get("NEUVO_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    srv = make_server(queue__max_chats_per_advisor="10",
                      limits__max_queued_per_address="1000",
                      limits__max_new_chats_per_address_per_hour="100000",
                      limits__max_queued_messages="100000",
                      limits__max_chat_chars="100000000",
                      # Nobody listens there: the copy waits in the outbox.
                      smtp__url=f"smtp://127.0.0.1:{free_port()}",
                      smtp__starttls="no", smtp__retry_min_s="3600")
    load = Load(rng)

    async def setup():
        a = await advisor(srv)
        load.adv_token = a.token
        for _ in range(CHATS):
            r, _ = await queued(srv)
            await taken(srv, a, r)
            load.res_tokens[r.chat] = r.token
        # A chat that asked for its copy and ended: the copy waits.
        m, _ = await queued(srv)
        await taken(srv, a, m)
        await m.send({"type": "email", "to": ADDR})
        await m.recv_type("email_queued")
        await m.send({"type": "end"})
        await m.recv_type("ended")
        q, _ = await queued(srv)
        load.queued_token, load.queued_chat = q.token, q.chat

    run(setup())
    restarts, kills, t_start = [], 0, time.monotonic()

    async def round_():
        a, residents = await reconnect(srv, load)
        await resend(a, residents, load)
        tasks = [asyncio.ensure_future(talk(r, load, chat, "resident"))
                 for chat, r in residents.items()]
        tasks.append(asyncio.ensure_future(
            talk(a, load, None, "advisor", list(load.res_tokens))))
        await asyncio.sleep(rng.uniform(0.02, 0.6))
        kill(srv)                       # at a random moment of the load
        await asyncio.gather(*tasks)

    def check(after):
        ok, outbox = integrity(srv)
        assert ok == "ok", f"after kill {after}: integrity_check {ok}"
        assert outbox == 1, f"after kill {after}: {outbox} rows in the outbox"

    while kills < KILLS:
        if kills % 10 == 8:
            # Idle, then again in the middle of its own start (the
            # rebuild, its first commits).
            kill(srv)
            kills += 1
            check(kills)
            srv.start(wait=False)
            time.sleep(rng.uniform(0.0, 0.05))
            kill(srv)
        else:
            run(round_())
        kills += 1
        check(kills)
        start_timed(srv, restarts)

    async def final():
        a, residents = await reconnect(srv, load)
        await resend(a, residents, load)
    run(final())
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        dup = db.execute("SELECT count(*) FROM (SELECT chat_id, sender, text FROM messages"
                         " GROUP BY 1, 2, 3 HAVING count(*) > 1)").fetchone()[0]
        assert db.execute("SELECT count(*) FROM outbox WHERE addr = ?",
                          (ADDR,)).fetchone()[0] == 1
    assert dup == 0, f"{dup} messages stored twice"
    print(f"\ncrash: seed {seed}; {kills} kills (SIGKILL) in "
          f"{time.monotonic() - t_start:.1f} s; {load.n_sent} msgs sent, "
          f"{load.n_echoed} echoed, {load.n_verified} echoed-MSG checks against "
          f"histories after restarts, all found; {load.n_resent_unacked} unacked "
          f"resent ({load.n_stored_unacked} of them stored before the kill: same "
          f"MSG back), {load.n_resent_same} echoed resent (same MSG back); restart "
          f"to /healthz 200: min {min(restarts) * 1000:.0f} ms, median "
          f"{statistics.median(restarts) * 1000:.0f} ms, max "
          f"{max(restarts) * 1000:.0f} ms; integrity_check ok every time; "
          f"outbox row kept")
    assert load.n_echoed > KILLS            # the load did run
