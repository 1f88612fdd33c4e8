"""Issue 17: what a municipality's IT relies on to run neuvo. --help and
--version on both programs; the sd_notify datagrams a Type=notify unit
waits for (read here from a socket of the test's own, as systemd would);
`neuvo-admin backup` taken while residents chat, and `restore` with the
checks it makes before it replaces anything; the queue-wait gauge of
/metrics that the README's alert rule uses."""
import asyncio
import hashlib
import os
import pathlib
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import time

import pytest

from test_store_upgrade import old_database, template_phc

from conftest import (ADMIN, ROOT, SERVER, Server, admin, advisor, chatting, metrics, queued,
                      run)

VERSION = re.search(r"project\(neuvo VERSION (\d+\.\d+\.\d+)",
                    (ROOT / "CMakeLists.txt").read_text()).group(1)


# ------------------------------------------------------ --help, --version

@pytest.mark.parametrize("program", [SERVER, ADMIN], ids=["server", "admin"])
def test_version_comes_from_the_cmake_project(program):
    r = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and r.stderr == ""
    assert re.fullmatch(rf"{program.name} {re.escape(VERSION)}( \(git [^)]+\))?\n", r.stdout), \
        r.stdout


@pytest.mark.parametrize("program", [SERVER, ADMIN], ids=["server", "admin"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_exits_0(program, flag):
    r = subprocess.run([str(program), flag], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith(f"usage: {program.name} --config PATH")
    assert f"{program.name}(8)" in r.stdout           # points at its manual


def test_admin_help_names_every_command():
    out = subprocess.run([str(ADMIN), "--help"], capture_output=True, text=True,
                         timeout=10).stdout
    for command in ("advisor add", "advisor list", "hours", "stats", "report", "transcripts export",
                    "purge", "backup FILE", "restore FILE", "--lang"):
        assert command in out, command


# ---------------------------------------------------------------- sd_notify

class NotifySocket:
    """A datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self, tmp, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"neuvo-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            path = str(tmp / "notify.sock")
            self.sock.bind(path)
            self.env = path
        self.sock.settimeout(10)

    def recv(self):
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()


@pytest.fixture(params=["path", "abstract"])
def notify(request, tmp_path, monkeypatch):
    s = NotifySocket(tmp_path, request.param == "abstract")
    monkeypatch.setenv("NOTIFY_SOCKET", s.env)     # inherited by the server
    yield s
    s.close()


def test_ready_comes_once_the_port_is_bound_then_reload_and_stop(make_server, notify):
    srv = make_server(start=False)
    srv.start(wait=False)
    assert notify.recv() == "READY=1"
    # READY means the port takes connections now, not a moment later.
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5):
        pass
    srv.signal(signal.SIGHUP)
    assert notify.recv() == "RELOADING=1"
    assert notify.recv() == "READY=1"
    srv.signal(signal.SIGTERM)
    assert notify.recv() == "STOPPING=1"
    assert srv.wait_exit() == 0


def test_a_refused_reload_still_ends_with_ready(make_server, notify):
    srv = make_server(start=False)
    srv.start(wait=False)
    assert notify.recv() == "READY=1"
    srv.config.write_text(srv.config.read_text() + "\n[nonsense]\n")
    srv.signal(signal.SIGHUP)
    assert notify.recv() == "RELOADING=1"
    assert notify.recv() == "READY=1"             # still serving the old config
    assert srv.request("/healthz")[0] == 200


def test_without_notify_socket_the_server_runs_as_before(make_server, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    srv = make_server()
    assert srv.request("/healthz")[0] == 200
    assert "systemd" not in srv.log_text()


# ------------------------------------------------------------------ backup

def open_db(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def integrity(path):
    with open_db(path) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def texts(path):
    with open_db(path) as con:
        return {row[0] for row in con.execute("SELECT text FROM messages")}


def digest(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


N_RESIDENTS = 6


def test_backup_while_residents_chat_holds_everything_echoed_before_it(make_server,
                                                                      tmp_path):
    srv = make_server(queue__max_chats_per_advisor=N_RESIDENTS)
    out = tmp_path / "backup" / "neuvo-backup.db"
    out.parent.mkdir()
    old_umask = os.umask(0o022)                 # the file must be 0600 anyway

    async def scenario():
        adv = await advisor(srv)
        pairs = [await chatting(srv, adv) for _ in range(N_RESIDENTS)]
        echoed = []                             # texts whose echo came back, in order
        started = asyncio.Event()
        before = {}
        stop = asyncio.Event()

        async def talk(i, res):
            n = 0
            while not stop.is_set():
                text = f"asukas {i} viesti {n}"
                await res.send({"type": "msg", "text": text})
                await res.recv_type("msg", text=text)
                echoed.append(text)
                n += 1
                await asyncio.sleep(0.15)       # under the 10 a second limit

        async def take_backup():
            while len(echoed) < 60:             # chatting is well under way
                await asyncio.sleep(0.01)
            before["texts"] = list(echoed)      # echoed before the backup starts
            started.set()
            r = await asyncio.to_thread(admin, srv.config, "backup", str(out))
            before["during"] = len(echoed) - len(before["texts"])
            # The chat goes on after it as well.
            mark = len(echoed)
            while len(echoed) < mark + 30:
                await asyncio.sleep(0.01)
            stop.set()
            return r

        talkers = [asyncio.create_task(talk(i, res)) for i, (res, _) in enumerate(pairs)]
        r = await take_backup()
        await asyncio.gather(*talkers)
        return r, before

    try:
        r, before = run(scenario(), timeout=120)
    finally:
        os.umask(old_umask)
    assert r.returncode == 0, r.stderr
    assert "integrity ok" in r.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert integrity(out) == "ok"
    stored = texts(out)
    missing = [t for t in before["texts"] if t not in stored]
    assert not missing, f"{len(missing)} echoed messages not in the backup: {missing[:5]}"
    with open_db(out) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM advisors").fetchone()[0] == 1
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # one file


def test_backup_refuses_an_existing_file_and_leaves_it_alone(server, tmp_path):
    out = tmp_path / "exists.db"
    out.write_bytes(b"keep me")
    r = admin(server.config, "backup", str(out))
    assert r.returncode == 1 and "exists already" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"


def test_backup_of_a_missing_database_leaves_no_file(make_server, tmp_path):
    srv = make_server(advisor=False, start=False)
    out = tmp_path / "none.db"
    r = admin(srv.config, "backup", str(out))
    assert r.returncode == 1 and "cannot copy" in r.stderr
    assert not out.exists() and not srv.db.exists()


@pytest.mark.parametrize("args", [("backup",), ("backup", "a", "b"), ("restore",)])
def test_backup_and_restore_need_one_file(server, args):
    r = admin(server.config, *args)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


# ----------------------------------------------------------------- restore

@pytest.fixture
def backed_up(make_server, tmp_path):
    """A server with the advisor 'anna' and one stored chat, its backup, and
    then a second advisor 'ville' added after the backup."""
    srv = make_server()

    async def one_chat():
        res, adv = await chatting(srv)
        await res.send({"type": "msg", "text": "ennen varmuuskopiota"})
        await res.recv_type("msg", text="ennen varmuuskopiota")

    run(one_chat())
    out = tmp_path / "neuvo-backup.db"
    r = admin(srv.config, "backup", str(out))
    assert r.returncode == 0, r.stderr
    srv.add_advisor("ville", "Ville Neuvoja")
    return srv, out


def advisors(srv):
    r = admin(srv.config, "advisor", "list")
    assert r.returncode == 0, r.stderr
    return sorted(line.split("\t")[0] for line in r.stdout.splitlines())


def test_restore_is_refused_while_the_server_runs(backed_up):
    srv, out = backed_up
    r = admin(srv.config, "restore", str(out))
    assert r.returncode == 1
    assert "in use" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert advisors(srv) == ["anna", "ville"]
    assert srv.request("/healthz")[0] == 200
    assert not [p for p in srv.tmp.iterdir() if ".restore-" in p.name]


def test_restore_after_a_stop_brings_the_backup_back(backed_up):
    srv, out = backed_up
    before = digest(out)
    assert srv.stop() == 0
    r = admin(srv.config, "restore", str(out))
    assert r.returncode == 0, r.stderr
    assert advisors(srv) == ["anna"]            # ville came after the backup
    assert "ennen varmuuskopiota" in texts(srv.db)
    assert digest(out) == before                # the backup itself is untouched
    assert stat.S_IMODE(srv.db.stat().st_mode) == 0o600
    assert not [p for p in srv.tmp.iterdir() if ".restore-" in p.name]
    srv.start()                                 # and the server runs on it
    assert srv.request("/healthz")[0] == 200


def test_restore_after_a_crash_leaves_no_stale_wal(backed_up):
    srv, out = backed_up
    srv.add_advisor("kaisa", "Kaisa Neuvoja")   # in the WAL of the running server
    srv.proc.kill()                             # kill -9: the WAL stays behind
    srv.proc.wait()
    srv.exit_checked = True
    r = admin(srv.config, "restore", str(out))
    assert r.returncode == 0, r.stderr
    assert not pathlib.Path(str(srv.db) + "-wal").exists()
    assert advisors(srv) == ["anna"]
    assert integrity(srv.db) == "ok"


def corrupt(path, to):
    """A copy whose b-tree pages of tables and indexes (not the schema's,
    which may take several small pages) have a page type that does not
    exist (their cell pointers left as they were): readable, but not
    whole."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        pages = {n for (n,) in con.execute(
            "SELECT pageno FROM dbstat WHERE name != 'sqlite_schema'")}
    data = bytearray(pathlib.Path(path).read_bytes())
    size = int.from_bytes(data[16:18], "big")
    for n in pages:
        off = (n - 1) * size
        if data[off] in (0x02, 0x05, 0x0a, 0x0d):  # index/table, interior/leaf
            data[off] = 0x07
    pathlib.Path(to).write_bytes(bytes(data))


@pytest.mark.parametrize("kind,reason", [
    ("garbage", "not a readable database"),
    ("empty sqlite", "not a neuvo database"),
    ("foreign", "not a neuvo database"),
    ("corrupt", "integrity"),
    ("newer", "cannot be used by this version"),
    ("missing", "cannot read"),
])
def test_restore_checks_the_file_before_replacing_anything(backed_up, tmp_path, kind, reason):
    srv, out = backed_up
    bad = tmp_path / f"{kind.replace(' ', '-')}.db"
    if kind == "garbage":
        bad.write_bytes(b"this is not a database\n" * 200)
    elif kind == "empty sqlite":
        sqlite3.connect(bad).close()
        with sqlite3.connect(bad) as con:
            con.execute("PRAGMA user_version = 3")
    elif kind == "foreign":
        with sqlite3.connect(bad) as con:
            con.execute("CREATE TABLE chats (x)")
            con.execute("PRAGMA user_version = 3")
    elif kind == "corrupt":
        corrupt(out, bad)
    elif kind == "newer":
        bad.write_bytes(out.read_bytes())
        with sqlite3.connect(bad) as con:
            con.execute("PRAGMA user_version = 999")
    assert srv.stop() == 0
    live = digest(srv.db)
    r = admin(srv.config, "restore", str(bad))
    assert r.returncode == 1, r.stdout
    lines = r.stderr.strip().splitlines()
    assert reason in lines[-1], r.stderr
    # One line; a newer schema is named by the store's own log line first.
    assert len(lines) == (2 if kind == "newer" else 1), r.stderr
    assert digest(srv.db) == live
    assert advisors(srv) == ["anna", "ville"]
    assert not [p for p in srv.tmp.iterdir() if ".restore-" in p.name]


@pytest.mark.parametrize("damage", ["garbage", "corrupt"])
def test_restore_replaces_a_broken_database(backed_up, damage):
    srv, out = backed_up
    assert srv.stop() == 0
    if damage == "garbage":
        srv.db.write_bytes(b"\x00 not what it was \xff" * 1000)
    else:
        corrupt(srv.db, srv.db)
    r = admin(srv.config, "restore", str(out))
    assert r.returncode == 0, r.stderr
    assert integrity(srv.db) == "ok"
    assert advisors(srv) == ["anna"]
    srv.start()
    assert srv.request("/healthz")[0] == 200


def test_restore_brings_an_older_schema_up_to_date(backed_up, tmp_path,
                                                   advisor_db):
    srv, out = backed_up
    old = tmp_path / "old-schema.db"            # the release before restarts
    old_database(old, template_phc(advisor_db))
    with open_db(out) as con:
        current = con.execute("PRAGMA user_version").fetchone()[0]
    assert current > 3
    assert srv.stop() == 0
    r = admin(srv.config, "restore", str(old))
    assert r.returncode == 0, r.stderr
    with open_db(srv.db) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == current
        assert con.execute("SELECT text FROM messages WHERE chat_id = 1"
                           ).fetchone()[0] == "vanha viesti"
        assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_restore_into_a_fresh_install(make_server, backed_up):
    _, out = backed_up
    fresh = make_server(advisor=False, start=False)
    assert not fresh.db.exists()
    r = admin(fresh.config, "restore", str(out))
    assert r.returncode == 0, r.stderr
    assert advisors(fresh) == ["anna"]


# ------------------------------------------------------------ the listen key

def listening_addresses(port):
    """The local addresses of the sockets listening on `port`, from
    /proc/net/tcp and tcp6 (hex, as the kernel writes them)."""
    found = set()
    for name, size in (("tcp", 4), ("tcp6", 16)):
        for line in pathlib.Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:
                continue
            raw = bytes.fromhex(addr)
            # Each 32-bit word is in the host's (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6, raw))
    return found


@pytest.mark.parametrize("listen", ["127.0.0.1", "::1"])
def test_the_server_listens_on_the_configured_address_only(make_server, listen):
    # lws 4.1 once bound 127.0.0.1 as [::], reachable from every address of
    # the host: the package's "loopback until configured" depends on this.
    srv = make_server(start=False, server__listen=listen)
    srv.start(wait=False)
    deadline = time.monotonic() + 10
    while not listening_addresses(srv.port) and time.monotonic() < deadline:
        assert srv.running(), srv.log_text()
        time.sleep(0.05)
    assert listening_addresses(srv.port) == {listen}


# ------------------------------------------------------------------ /metrics

def test_queue_wait_p90_is_a_gauge_counting_those_still_waiting(server):
    async def scenario():
        m0 = metrics(server)
        await queued(server)
        await queued(server)
        await asyncio.sleep(2.2)
        return m0, metrics(server)

    m0, m1 = run(scenario())
    assert m0.types["neuvo_queue_wait_p90_seconds"] == "gauge"
    assert m0["neuvo_queue_wait_p90_seconds"] == 0          # nobody has waited
    # Two residents waiting ~2 s and nobody served: the gauge shows their wait.
    assert 2 <= m1["neuvo_queue_wait_p90_seconds"] <= 60
