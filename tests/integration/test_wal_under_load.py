"""The WAL under sustained writes (issue 14): it stays bounded, a deleted
address leaves it, admin purge and backup work beside the load, and the
database is whole after a SIGTERM or SIGKILL in the middle of it."""
import asyncio
import contextlib
import os
import signal
import sqlite3
import time

from conftest import MANY_CHATS, admin, chatting, queued, run
from test_email import ADDR, ask_copy, end, smtp_over, smtpd, wait_metrics  # noqa: F401

LOAD = dict(limits__max_queued_messages="100000", limits__max_chat_chars="100000000",
            queue__max_length="1000", chat__max_message_chars="4000",
            server__max_connections_per_ip="1000", **MANY_CHATS)


def wal_size(srv):
    p = str(srv.db) + "-wal"
    return os.stat(p).st_size if os.path.exists(p) else 0


async def write_load(srv, residents, seconds, text, on_second=None):
    """`residents` queued residents each writing 9 messages a second for
    `seconds`; on_second() after each second. Returns messages sent."""
    rs = [(await queued(srv))[0] for _ in range(residents)]
    sent = 0
    for s in range(seconds):
        t0 = time.monotonic()
        for _ in range(9):
            for r in rs:
                await r.send({"type": "msg", "text": f"{sent} {text}"})
                sent += 1
        if on_second:
            on_second(s)
        await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - t0)))
    for r in rs:
        r.abort()
    return sent


def test_the_wal_stays_bounded_under_sustained_writes(make_server):
    """Some 1,800 messages a second of 1 KB for 20 s: the WAL file never
    grows past a few times the loop's own checkpoint limit (4,000 pages)."""
    srv = make_server(**LOAD)
    sizes = []

    async def go():
        return await write_load(srv, 200, 20, "x" * 1000,
                                lambda s: sizes.append(wal_size(srv)))

    sent = run(go(), timeout=300)
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    print(f"\nsent {sent}, stored {stored}; WAL per second (MB): "
          f"{[round(x / 1e6, 1) for x in sizes]}")
    assert max(sizes) < 3 * 4000 * page, sizes


def test_a_sigkill_during_sustained_writes_leaves_the_database_whole(make_server):
    """SIGKILL while the loop writes and checkpoints: after a
    restart integrity_check is ok and every message stored before is there."""
    srv = make_server(**LOAD)

    async def go():
        await write_load(srv, 100, 8, "y" * 1000)

    run(go(), timeout=120)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    srv.exit_checked = True
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    srv.start()
    assert srv.running()
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == before


def address_in_files(srv, addr):
    needles = [addr.encode(), addr.encode("utf-16-le")]
    for f in srv.db_files():
        if f.exists():
            data = f.read_bytes()
            if any(n in data for n in needles):
                return f.name
    return None


def test_a_sent_copys_address_leaves_the_wal_under_sustained_writes(make_server, smtpd):
    """A copy's address is deleted once sent; its TRUNCATE checkpoint must
    get through while 1,300 msgs/s keep the WAL
    busy: the address leaves the database and its WAL while the load goes on."""
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl), **LOAD)
    seen = {}

    async def go():
        load = asyncio.create_task(write_load(srv, 150, 25, "z" * 1000))
        await asyncio.sleep(5)
        res, adv = await chatting(srv)
        assert (await ask_copy(res))["type"] == "email_queued"
        await end(res, adv)
        await asyncio.to_thread(sink.wait_message)
        await asyncio.to_thread(wait_metrics, srv, lambda m: m["neuvo_email_outbox"] == 0,
                                "an empty outbox")
        t0 = time.monotonic()
        while not load.done():
            where = await asyncio.to_thread(address_in_files, srv, ADDR)
            if where is None:
                seen["gone_after_s"] = time.monotonic() - t0
                break
            seen["last"] = where
            await asyncio.sleep(0.5)
        seen["load_running"] = not load.done()
        await load

    run(go(), timeout=200)
    print(f"\n{seen}")
    assert "gone_after_s" in seen and seen["load_running"], seen


def test_a_sigterm_during_sustained_writes_exits_0_and_leaves_the_database_whole(
        make_server):
    """SIGTERM while 900 msgs/s keep the loop writing and checkpointing:
    the server exits 0 in time; integrity_check ok."""
    srv = make_server(**LOAD)
    rc = {}

    async def go():
        load = asyncio.create_task(write_load(srv, 100, 30, "w" * 1000))
        await asyncio.sleep(6)
        rc["rc"] = await asyncio.to_thread(srv.stop)
        load.cancel()
        with contextlib.suppress(BaseException):
            await load

    run(go(), timeout=120)
    assert rc["rc"] == 0, srv.log_text()[-2000:]
    with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] > 0


def test_admin_purge_beside_a_server_under_sustained_writes_empties_the_wal(make_server):
    """neuvo-admin purge while 900 msgs/s keep the server's loop
    busy: the purged text leaves the file and the WAL
    (the purge's TRUNCATE checkpoint gets through), or the admin says so."""
    marker = "Vanhentunutviesti virtahepo"
    srv = make_server(**LOAD)
    out = {}

    async def go():
        r, a = await chatting(srv)
        await r.send({"type": "msg", "text": marker})
        await a.recv_type("msg", text=marker)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended")
        with contextlib.closing(sqlite3.connect(str(srv.db), timeout=30)) as db:
            db.execute("UPDATE chats SET started_at = started_at - 400 * 86400, "
                       "ended_at = ended_at - 400 * 86400")
            db.commit()
        load = asyncio.create_task(write_load(srv, 100, 25, "v" * 1000))
        await asyncio.sleep(6)
        res = await asyncio.to_thread(admin, srv.config, "purge")
        out["rc"], out["stdout"], out["stderr"] = res.returncode, res.stdout, res.stderr
        out["left"] = [f.name for f in srv.db_files()
                       if f.exists() and marker.encode() in f.read_bytes()]
        out["running"] = not load.done()
        await load

    run(go(), timeout=120)
    print(f"\n{out}")
    assert out["rc"] == 0 and out["running"], out
    assert not out["left"], out


def test_admin_backup_beside_a_server_under_sustained_writes_is_whole(make_server, tmp_path):
    """neuvo-admin backup while 900 msgs/s go on: it succeeds, the copy
    passes integrity_check and holds the messages stored before it began;
    restore is refused while the server runs."""
    srv = make_server(**LOAD)
    copy = tmp_path / "copy.db"
    out = {}

    async def go():
        load = asyncio.create_task(write_load(srv, 100, 20, "u" * 1000))
        await asyncio.sleep(6)
        with contextlib.closing(sqlite3.connect(str(srv.db), timeout=30)) as db:
            out["before"] = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        res = await asyncio.to_thread(admin, srv.config, "backup", str(copy))
        out["backup"] = (res.returncode, res.stderr)
        res = await asyncio.to_thread(admin, srv.config, "restore", str(copy))
        out["restore"] = (res.returncode, res.stderr)
        out["running"] = not load.done()
        await load

    run(go(), timeout=120)
    print(f"\n{out}")
    assert out["backup"][0] == 0 and out["running"], out
    assert out["restore"][0] != 0 and "in use" in out["restore"][1], out
    with contextlib.closing(sqlite3.connect(str(copy))) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] >= out["before"]
