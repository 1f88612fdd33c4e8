"""The database's disk full (CONTRACT section 7, issue 13): nothing is
echoed or shown that is not stored; the sender gets error `unavailable` and
keeps its connection; /healthz answers 503 with the reason; the service
resumes by itself when space returns; no crash, no corrupt database.

How the disk fills: the database lives on a small tmpfs mounted for the
test (root and mount(8) needed, as here and on CI), filled to its last byte
by a filler file; deleting the filler gives the space back. Where mounting
is not allowed, the test lowers the running server's RLIMIT_FSIZE with
prlimit(2) instead (no file of the server can grow: SQLite gets EFBIG, a
"cannot write" like ENOSPC to the service) and raises it again for the
recovery; it prints which of the two it used (NEUVO_DISK_FULL=fsize
forces the second). A read-only remount cannot
be tested this way: Linux refuses to remount a file system read-only while
the server holds its files open for writing."""
import contextlib
import errno
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import time

from conftest import chatting, metrics, resident, run, send_with_cid


class TmpfsDisk:
    """A tmpfs of `size` at `path`; fill() takes every free byte."""
    kind = "tmpfs"

    def __init__(self, path, size="4m"):
        self.path = path
        self.filler = path / "filler"
        path.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700",
                            "tmpfs", str(path)], capture_output=True, text=True)
        if r.returncode:
            raise OSError(r.stderr.strip())

    def fill(self, srv):
        chunk = b"\0" * 65536
        with open(self.filler, "wb", buffering=0) as f:
            while True:
                try:
                    f.write(chunk)
                except OSError as e:
                    assert e.errno == errno.ENOSPC, e
                    break
        while True:                     # the last partial chunk too
            try:
                with open(self.filler, "ab", buffering=0) as f:
                    f.write(b"\0" * 512)
            except OSError:
                break

    def free(self, srv):
        self.filler.unlink()

    def close(self):
        if subprocess.run(["umount", str(self.path)]).returncode:
            subprocess.run(["umount", "-l", str(self.path)])


class FsizeDisk:
    """No mount: the server's files may not grow (RLIMIT_FSIZE)."""
    kind = "RLIMIT_FSIZE (prlimit)"

    def __init__(self, path):
        self.path = path
        path.mkdir()

    def fill(self, srv):
        wal = pathlib_size(str(srv.db) + "-wal")
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (wal, resource.RLIM_INFINITY))

    def free(self, srv):
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def close(self):
        pass


def pathlib_size(p):
    return os.stat(p).st_size if os.path.exists(p) else 0


def small_disk(path):
    if os.environ.get("NEUVO_DISK_FULL") == "fsize":
        return FsizeDisk(path)
    try:
        return TmpfsDisk(path)
    except OSError as e:
        print(f"\nmount not allowed ({e}); using RLIMIT_FSIZE")
        return FsizeDisk(path)


def full_text(i):
    """A message text of its own for each i, in letters (nothing to redact)."""
    word = ""
    while True:
        i, d = divmod(i, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[d]
        if not i:
            return f"viesti täydellä levyllä {word}"


def health(srv):
    code, _, body = srv.request("/healthz")
    return code, json.loads(body)


async def send(c, text, cid, chat=None):
    """A msg with a cid: its echo, or the error the sender got instead."""
    return await send_with_cid(c, text, cid, chat, errors=True)


def test_disk_full_is_unavailable_then_recovers(make_server, tmp_path):
    disk = small_disk(tmp_path / "disk")
    srv = make_server(start=False, server__database=str(disk.path / "neuvo.db"))
    for f in srv.db_files():
        shutil.copyfile(f, disk.path / f.name)
    srv.db = disk.path / "neuvo.db"
    figures = {}
    try:
        srv.start()
        run(scenario(srv, disk, figures))
        assert srv.running(), "the server died:\n" + srv.log_text()[-2000:]
        assert srv.stop() == 0
        with contextlib.closing(sqlite3.connect(str(srv.db))) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = db.execute("SELECT chat_id, seq, sender, text FROM messages"
                                ).fetchall()
    finally:
        if srv.running():
            srv.proc.kill()
            srv.proc.wait()
        disk.close()
    rows = {(c, s): (who, t) for c, s, who, t in stored}
    for chat, m in figures["shown"]:
        assert rows.get((chat, m["id"])) == (m["from"], m["text"]), \
            f"shown but not stored: {m}"
    texts = [t for _, _, _, t in stored]
    assert len(texts) == len(set(texts)), "a message stored twice"
    print(f"\ndisk full ({disk.kind}): {figures['before']} msgs stored before the "
          f"first refusal, {figures['refused']} refused with `unavailable` while "
          f"full, /healthz {figures['health']}, back after "
          f"{figures['recovery_s']:.1f} s, {len(figures['shown'])} MSGs shown, all "
          f"stored; integrity_check ok")


async def scenario(srv, disk, figures):
    r, a = await chatting(srv)
    shown = []                              # (chat, MSG) anyone was shown

    async def ok(c, text, cid, chat=None):
        m = await send(c, text, cid, chat)
        assert m["type"] == "msg", m
        shown.append((r.chat, m))
        return m

    await ok(r, "ennen täyttä levyä", "r-0")
    await ok(a, "vastaus ennen", "a-0", chat=r.chat)
    disk.fill(srv)
    # Messages until the first one that cannot be stored: it is refused,
    # not echoed, and the connection stays open.
    refused = []
    for i in range(1, 400):
        m = await send(r, full_text(i), f"r-{i}")
        if m["type"] == "error":
            assert m["code"] == "unavailable", m
            refused.append((f"r-{i}", m))
            break
        shown.append((r.chat, m))
    assert refused, "the disk never filled up"
    figures["before"] = i - 1
    assert not r.closed and not a.closed
    code, body = health(srv)
    assert code == 503 and body["status"] == "unavailable", (code, body)
    assert body["reason"] in ("disk full", "disk I/O error"), body
    figures["health"] = f"503 {body['reason']!r}"
    assert metrics(srv)["neuvo_store_unavailable"] == 1
    # While full: every change is refused at once, nobody is dropped.
    m = await send(r, "toinen yritys", "r-x")
    assert m["type"] == "error" and m["code"] == "unavailable", m
    m = await send(a, "neuvojan viesti", "a-x", chat=r.chat)
    assert m["type"] == "error" and m["code"] == "unavailable", m
    late = await resident(srv, {})
    e = await late.recv_type("error")
    assert e["code"] == "unavailable", e
    assert not late.closed and not r.closed and not a.closed
    figures["refused"] = 4
    # Space comes back: the server notices by itself.
    disk.free(srv)
    t0 = time.monotonic()
    while health(srv)[0] != 200:
        assert time.monotonic() - t0 < 20, "not back 20 s after space returned"
        time.sleep(0.1)
    figures["recovery_s"] = time.monotonic() - t0
    assert health(srv) == (200, {"status": "ok"})
    # The clients send again what was refused, with the same cids.
    for cid, _ in refused:
        i = int(cid[2:])
        await ok(r, full_text(i), cid)
    await ok(r, "toinen yritys", "r-x")
    await ok(a, "neuvojan viesti", "a-x", chat=r.chat)
    await late.send({"type": "hello"})
    assert (await late.recv_type("queued"))["position"] == 1
    # The advisor was shown exactly what was stored (residents' messages).
    got = {m["id"] for m in a.frames if m.get("type") == "msg" and m["from"] == "resident"}
    want = {m["id"] for _, m in shown if m["from"] == "resident"}
    assert got == want, (sorted(got), sorted(want))
    figures["shown"] = shown
