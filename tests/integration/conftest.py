"""Fixtures and clients for neuvo's integration tests.

Every test talks to the real neuvo-server ($NEUVO_BUILD_DIR, default build/)
over real sockets: each server gets its own temp dir with a config holding
every key of CONTRACT section 2, a free loopback port, its own SQLite file, a
small web root and a log file (stderr) that tests can scan.

Stopping: a server is stopped with SIGTERM when its test ends. So that the
suite stays fast, the wait for its exit runs in a background thread; at the
end of the session every server must have exited 0 within STOP_LIMIT_S, or
the session fails naming the tests whose server did not. Tests about SIGTERM
itself stop their server synchronously (Server.stop).
"""
import asyncio
import datetime as dt
import http.client
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import zoneinfo

import pytest
import websockets

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("NEUVO_BUILD_DIR", ROOT / "build"))
SERVER = BUILD / "neuvo-server"
ADMIN = BUILD / "neuvo-admin"

ADVISOR_USER = "anna"
ADVISOR_NAME = "Anna Neuvoja"
ADVISOR_PASSWORD = "kolme karhua ja kettu"

TZ = "Europe/Helsinki"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPEN_ALL_DAY = {d: "00:00-24:00" for d in DAYS}
CLOSED_ALL_DAY = {d: "closed" for d in DAYS}
TOPICS = ("income_support", "housing", "substance_use", "daily_life", "family", "other")

# The per-address limits of CONTRACT section 7 apply to tests too, and every
# test connects from 127.0.0.1 unless it binds another loopback address: a
# server that many tests share, or a test that queues more than 3 residents
# or opens more than 10 chats, gives itself these (Server(**MANY_CHATS)).
MANY_CHATS = {"limits__max_queued_per_address": "1000",
              "limits__max_new_chats_per_address_per_hour": "1000000"}

STOP_LIMIT_S = 5.0          # SIGTERM -> exit 0 within this
RECV_TIMEOUT = 3.0          # default wait for one frame
LOGIN_TIMEOUT = 15.0        # scrypt N=2^15, p=3 takes ~0.3 s, more under load

# RFC 3339 with a numeric offset ("Z" is not the configured zone's offset form)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


# ----------------------------------------------------------------- time

def zone(tz=TZ):
    return zoneinfo.ZoneInfo(tz)


def local_now(tz=TZ):
    return dt.datetime.now(zone(tz))


def local_today(tz=TZ):
    return local_now(tz).date()


def weekday_key(date):
    return DAYS[date.weekday()]


def local_time(date, hh, mm=0, tz=TZ):
    return dt.datetime(date.year, date.month, date.day, hh, mm, tzinfo=zone(tz))


def rfc3339(t):
    """'2026-11-23T09:00:00+02:00' for an aware datetime."""
    off = t.utcoffset()
    mins = int(off.total_seconds()) // 60
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{mins // 60:02d}:{mins % 60:02d}"


def parse_rfc3339(s):
    assert RFC3339.match(s), f"not RFC 3339 with offset: {s!r}"
    return dt.datetime.fromisoformat(s)


def only_open_on(*dates):
    """Hours closed every weekday except the weekdays of `dates`, 09:00-11:00."""
    hours = dict(CLOSED_ALL_DAY)
    for d in dates:
        hours[weekday_key(d)] = "09:00-11:00"
    return hours


# --------------------------------------------------------------- config

def free_port():
    """A free loopback port below the ephemeral range (32768-60999 on Linux),
    so that no client connection of the suite can take it before the
    server binds it."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_text(port, tmp, hours=None, exceptions=None, extra="", **over):
    """The config file: every key of CONTRACT section 2. Overrides are given
    as section__key=value; `extra` is appended verbatim."""
    sections = {
        "server": {
            "listen": "127.0.0.1",
            "port": str(port),
            "tls_cert": "",
            "tls_key": "",
            "allowed_origins": f"http://127.0.0.1:{port} http://localhost:{port}",
            "database": str(tmp / "neuvo.db"),
            "web_root": str(tmp / "web"),
        },
        "hours": {"timezone": TZ, **(hours or OPEN_ALL_DAY), "holidays": "none"},
        "exceptions": dict(exceptions or {}),
        "queue": {
            "max_length": "50",
            "max_chats_per_advisor": "3",
            "auto_assign": "no",
            "resume_grace_s": "120",
            "idle_timeout_s": "900",
        },
        "chat": {
            "max_message_chars": "2000",
            "languages": "fi sv en",
            "default_language": "fi",
            "topics": " ".join(TOPICS),
        },
        "transcripts": {"retention_days": "365"},
        "smtp": {
            "url": "",
            "from": "neuvonta@example.fi",
            "username": "",
            "password": "",
            "starttls": "required",
        },
    }
    for key, value in over.items():
        section, name = key.split("__", 1)
        sections.setdefault(section, {})[name] = str(value)
    lines = ["; written by tests/integration/conftest.py"]
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {v}".rstrip() for k, v in keys.items()]
    return "\n".join(lines) + "\n" + extra


def admin(config, *args, stdin=None, timeout=30):
    return subprocess.run([str(ADMIN), "--config", str(config), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def check_config(config):
    return subprocess.run([str(SERVER), "--config", str(config), "--check"],
                          capture_output=True, text=True, timeout=10)


# --------------------------------------------------------------- server

_STOPS = []             # (nodeid, server, thread, result) of background stops


class Server:
    """One neuvo-server in its own directory."""

    def __init__(self, tmp, hours=None, exceptions=None, extra="", template_db=None,
                 tls=None, **over):
        self.tmp = pathlib.Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.web = self.tmp / "web"
        (self.web / "advisor").mkdir(parents=True, exist_ok=True)
        (self.web / "index.html").write_text(
            "<!doctype html><title>neuvo resident</title><p>resident page</p>\n")
        (self.web / "advisor" / "index.html").write_text(
            "<!doctype html><title>neuvo advisor</title><p>advisor console</p>\n")
        (self.web / "app.js").write_text("console.log('neuvo');\n")
        self.config = self.tmp / "neuvo.ini"
        self.db = self.tmp / "neuvo.db"
        self.log = self.tmp / "server.log"          # stderr
        self.out = self.tmp / "server.out"          # stdout
        self.tls = tls
        if tls:
            over.setdefault("server__tls_cert", tls[0])
            over.setdefault("server__tls_key", tls[1])
            over.setdefault("server__allowed_origins",
                            f"https://127.0.0.1:{self.port}")
        self.write_config(hours, exceptions, extra, **over)
        if template_db:
            for suffix in ("", "-wal", "-shm"):
                src = pathlib.Path(str(template_db) + suffix)
                if src.exists():
                    shutil.copyfile(src, str(self.db) + suffix)
        self.proc = None
        self._files = []
        self.term_sent = False      # a test sent SIGTERM itself
        self.exit_checked = False   # a test checked the exit code itself

    # config
    def write_config(self, hours=None, exceptions=None, extra="", **over):
        self.config.write_text(config_text(self.port, self.tmp, hours, exceptions, extra,
                                           **over))

    def add_advisor(self, user=ADVISOR_USER, name=ADVISOR_NAME, password=ADVISOR_PASSWORD):
        r = admin(self.config, "advisor", "add", user, "--name", name, stdin=password + "\n")
        assert r.returncode == 0, f"advisor add {user}: {r.returncode} {r.stderr}"

    # process
    def start(self, wait=True):
        err = open(self.log, "ab")
        out = open(self.out, "ab")
        self._files = [err, out]
        self.proc = subprocess.Popen([str(SERVER), "--config", str(self.config)],
                                     stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        if not wait:
            return self
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"neuvo-server exited {self.proc.returncode} at start:\n"
                                   + self.log_text())
            try:
                status, _, body = self.request("/healthz", timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.03)
        raise RuntimeError("neuvo-server did not answer /healthz:\n" + self.log_text())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if sig == signal.SIGTERM:
            self.term_sent = True
        self.proc.send_signal(sig)

    def wait_exit(self, limit=STOP_LIMIT_S):
        """After the test's own SIGTERM: the exit code, None if still running
        after `limit` seconds."""
        self.exit_checked = True
        try:
            return self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, limit=STOP_LIMIT_S):
        """SIGTERM and wait; returns the exit code (None if it did not exit
        within `limit` seconds, after which it is killed)."""
        self.exit_checked = True
        if not self.running():
            self._close_files()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        self.term_sent = True
        try:
            rc = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self._close_files()
        return rc

    def stop_in_background(self, nodeid):
        """SIGTERM (unless the test sent it) and check the exit later; a
        test that checked the exit code itself is not checked again."""
        if self.proc is None or self.exit_checked:
            if self.running():
                self.proc.kill()
                self.proc.wait()
            self._close_files()
            return
        if not self.running():
            self._close_files()
            if self.proc.returncode != 0:
                why = "after the test's SIGTERM" if self.term_sent else "by itself"
                _STOPS.append((nodeid, self, None, {"rc": self.proc.returncode,
                                                    "elapsed": 0.0, "early": why}))
            return
        result = {}

        def wait():
            t0 = time.monotonic()
            try:
                result["rc"] = self.proc.wait(timeout=STOP_LIMIT_S + 5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                result["rc"] = None
            result["elapsed"] = time.monotonic() - t0
            self._close_files()

        if not self.term_sent:
            self.proc.send_signal(signal.SIGTERM)
        th = threading.Thread(target=wait, daemon=True)
        th.start()
        _STOPS.append((nodeid, self, th, result))

    def _close_files(self):
        for f in self._files:
            f.close()
        self._files = []

    # inspection
    def log_text(self):
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        if self.out.exists():
            text += self.out.read_text(errors="replace")
        return text

    def db_files(self):
        return [pathlib.Path(str(self.db) + s) for s in ("", "-wal", "-shm")
                if pathlib.Path(str(self.db) + s).exists()]

    # HTTP
    @property
    def scheme(self):
        return "https" if self.tls else "http"

    @property
    def origin(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.port}/ws"

    def connection(self, timeout=5, source=None):
        src = (source, 0) if source else None
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=insecure_ssl(), source_address=src)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=src)

    def request(self, path, method="GET", body=None, headers=None, timeout=5, source=None):
        """(status, {lower-case header: value}, body bytes); source: the
        client's own address (any 127.x.y.z works on Linux loopback)."""
        conn = self.connection(timeout, source)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def status(self):
        code, headers, body = self.request("/api/status")
        assert code == 200, (code, body)
        return json.loads(body)


def insecure_ssl():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# -------------------------------------------------------------- /metrics

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
METRIC_SAMPLE = re.compile(rf"^({METRIC_NAME}(?:\{{[^}}]*\}})?) (\S+)( -?\d+)?$")


class Metrics(dict):
    """One /metrics body: {sample: value}, a sample being the metric's name
    with its labels as written (`neuvo_x`, or `neuvo_x{a="b"}`), a value an
    int when written as one, else a float (NaN and +Inf included);
    .types: {name: kind} from the `# TYPE` lines."""

    def __init__(self):
        super().__init__()
        self.types = {}


def parse_metrics(text):
    """Prometheus text exposition -> Metrics. Every line must be blank, a
    comment, or a sample line with a number for its value."""
    out = Metrics()
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            assert re.fullmatch(METRIC_NAME, name), line
            out.types[name] = kind.strip()
            continue
        if line.startswith("#"):
            continue
        m = METRIC_SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        value = m.group(2)
        out[m.group(1)] = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
    return out


def metrics(srv):
    """GET /metrics (it must answer 200), parsed: a Metrics dict."""
    code, _, body = srv.request("/metrics")
    assert code == 200, (code, body)
    return parse_metrics(body.decode("utf-8"))


@pytest.fixture(scope="session", autouse=True)
def _servers_exit_cleanly():
    """Every server stopped in the background exited 0 soon after SIGTERM."""
    assert SERVER.exists(), f"{SERVER} not built"
    assert ADMIN.exists(), f"{ADMIN} not built"
    yield
    bad = []
    for nodeid, srv, th, result in _STOPS:
        if th is not None:
            th.join(STOP_LIMIT_S + 10)
        rc, elapsed = result.get("rc"), result.get("elapsed", 0.0)
        if result.get("early"):
            bad.append(f"{nodeid}: server exited {rc} {result['early']} before the test "
                       f"ended (log {srv.log})")
        elif rc != 0 or elapsed > STOP_LIMIT_S:
            bad.append(f"{nodeid}: after SIGTERM exit code {rc} in {elapsed:.1f}s "
                       f"(log {srv.log})")
    if bad:
        pytest.fail("servers that did not exit 0 within "
                    f"{STOP_LIMIT_S:.0f}s of SIGTERM:\n" + "\n".join(bad))


@pytest.fixture(scope="session")
def advisor_db(tmp_path_factory):
    """A database with the advisor 'anna', made once with neuvo-admin and
    copied into each server's directory (scrypt makes `advisor add` slow)."""
    tmp = tmp_path_factory.mktemp("template")
    srv = Server(tmp)
    srv.add_advisor()
    return srv.db


@pytest.fixture
def make_server(request, tmp_path, advisor_db):
    """make_server(hours=..., exceptions=..., queue__max_length=1, ...)
    -> a started Server with the advisor 'anna' (advisor=False: none;
    start=False: not started)."""
    servers = []

    def make(hours=None, exceptions=None, advisor=True, start=True, **over):
        srv = Server(tmp_path / f"srv{len(servers)}", hours, exceptions,
                     template_db=advisor_db if advisor else None, **over)
        servers.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in servers:
        srv.stop_in_background(request.node.nodeid)


@pytest.fixture
def server(make_server):
    """A server open all day every day, with the advisor 'anna'."""
    return make_server()


@pytest.fixture(scope="module")
def shared_server(request, tmp_path_factory, advisor_db):
    """One server for a module's tests that need no particular state (tests
    using it end their chats)."""
    srv = Server(tmp_path_factory.mktemp("shared"), template_db=advisor_db,
                 **MANY_CHATS)
    srv.start()
    yield srv
    srv.stop_in_background(request.node.nodeid)


# ------------------------------------------------------------- clients

_CLIENTS = []


def masked_frame(obj):
    """One final, masked text frame holding obj as JSON, as a client must
    send it (RFC 6455 5.2), in the shortest length form."""
    data = json.dumps(obj, ensure_ascii=False).encode()
    mask = os.urandom(4)
    n = len(data)
    if n <= 125:
        head = bytes([0x81, 0x80 | n])
    elif n <= 0xffff:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return head + mask + body


def sanitized():
    """The server under test is an AddressSanitizer build: its allocator
    keeps freed memory in quarantine, so RSS says nothing of ours."""
    with open(SERVER, "rb") as f:
        return b"__asan_init" in f.read()


class Client:
    """A WebSocket client that reads every frame in the background.

    recv_type(type) returns the oldest unread frame of that type, skipping
    (but keeping) others: position/queue pushes stay in `inbox` for later
    recv_type calls; `frames` is everything ever received."""

    def __init__(self, ws, role):
        self.ws = ws
        self.role = role
        self.frames = []
        self.inbox = []
        self.closed = False
        self._event = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())
        _CLIENTS.append(self)

    @classmethod
    async def connect(cls, srv, role, origin=True, subprotocol=None, **kw):
        """role 'resident' or 'advisor'. origin=True: the server's own origin."""
        if origin is True:
            origin = srv.origin
        proto = subprotocol or f"neuvo.{role}.v1"
        if srv.tls:
            kw.setdefault("ssl", insecure_ssl())
        ws = await websockets.connect(srv.ws_url, subprotocols=[proto], origin=origin,
                                      max_size=None, close_timeout=2, open_timeout=5, **kw)
        return cls(ws, role)

    async def _read(self):
        try:
            async for raw in self.ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    msg = {"type": "<not json>", "raw": raw}
                if not isinstance(msg, dict):
                    msg = {"type": "<not an object>", "raw": raw}
                self.frames.append(msg)
                self.inbox.append(msg)
                self._wake()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._wake()

    def _wake(self):
        ev, self._event = self._event, asyncio.Event()
        ev.set()

    # sending
    async def send(self, obj):
        """Send a dict as JSON (UTF-8 as is, no \\u escapes) or a str/bytes as is."""
        if not isinstance(obj, (str, bytes)):
            obj = json.dumps(obj, ensure_ascii=False)
        await self.ws.send(obj)

    async def send_together(self, objs):
        """Send dicts as frames in one write, so that the server reads them
        in one go: a burst whose timing does not depend on how fast the
        server turns (a frame per read would let a slow server's own
        backlog count in the sender's favour, overload.h)."""
        self.ws.transport.write(b"".join(masked_frame(o) for o in objs))
        await self.ws.drain()

    # receiving
    def _take(self, pred):
        for i, m in enumerate(self.inbox):
            if pred(m):
                return self.inbox.pop(i)
        return None

    async def recv_where(self, pred, what, timeout=RECV_TIMEOUT):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            m = self._take(pred)
            if m is not None:
                return m
            if self.closed:
                raise AssertionError(f"{self.role}: connection closed (code "
                                     f"{self.ws.close_code}) before {what}; unread: "
                                     f"{self.inbox[-10:]}")
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{self.role}: no {what} within {timeout}s; "
                                     f"unread: {self.inbox[-10:]}")
            ev = self._event
            try:
                await asyncio.wait_for(ev.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def recv_type(self, type_, timeout=RECV_TIMEOUT, **match):
        """The oldest unread frame of type_ whose fields equal `match`."""
        return await self.recv_where(
            lambda m: m.get("type") == type_ and all(
                k in m and m[k] == v for k, v in match.items()),
            f"{type_} {match or ''}".strip(), timeout)

    async def recv_any(self, timeout=RECV_TIMEOUT):
        """The oldest unread frame of any type."""
        return await self.recv_where(lambda m: True, "frame", timeout)

    async def error(self, code, timeout=RECV_TIMEOUT):
        e = await self.recv_type("error", timeout)
        assert e.get("code") == code, f"expected error {code}, got {e}"
        assert isinstance(e.get("message"), str), e
        return e

    def unread(self, type_):
        return [m for m in self.inbox if m.get("type") == type_]

    def drop(self, type_):
        """Forget unread frames of type_ (e.g. stale position pushes)."""
        self.inbox = [m for m in self.inbox if m.get("type") != type_]

    async def quiet(self, type_, seconds=0.6):
        """Assert no frame of type_ arrives (or is unread) for `seconds`."""
        await asyncio.sleep(seconds)
        got = self.unread(type_)
        assert not got, f"{self.role}: unexpected {type_}: {got}"

    async def close_code(self, timeout=5):
        """Wait until the server closes the connection; its close code."""
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.role}: connection still open after {timeout}s; "
                                 f"unread: {self.inbox[-10:]}")
        try:
            await asyncio.wait_for(self.ws.wait_closed(), 3)
        except asyncio.TimeoutError:
            pass
        return self.ws.close_code

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 3)
        except (asyncio.TimeoutError, OSError):
            self.ws.transport.abort()
        self._task.cancel()

    def abort(self):
        """Drop the TCP connection without a close handshake (a lost phone)."""
        self.ws.transport.abort()


async def resident(srv, hello=None, **kw):
    """A resident connection; sends hello (a dict) if given."""
    c = await Client.connect(srv, "resident", **kw)
    if hello is not None:
        await c.send({"type": "hello", **hello})
    return c


async def resume(srv, token):
    """A new resident connection that sent `resume` with token."""
    r = await resident(srv)
    await r.send({"type": "resume", "token": token})
    return r


async def queued(srv, conn=None, **hello):
    """A resident that said hello and got `queued`: (client, queued frame).
    conn: keyword arguments for the connection (e.g. local_addr)."""
    c = await resident(srv, hello, **(conn or {}))
    q = await c.recv_type("queued")
    c.chat = q["chat"]
    c.token = q["token"]
    return c, q


async def login(srv, conn=None, **fields):
    """A new advisor connection that sent a login frame with `fields`
    (username and password, or token): (client, its answer), the answer
    being login_ok or an error. conn: keyword arguments for the connection."""
    c = await Client.connect(srv, "advisor", **(conn or {}))
    await c.send({"type": "login", **fields})
    answer = await c.recv_where(lambda m: m.get("type") in ("login_ok", "error"),
                                "login answer", LOGIN_TIMEOUT)
    return c, answer


async def refused_login(srv, **fields):
    """A login frame with `fields` gets the error auth_failed, and then the
    server closes the connection with 1008. Returns the client."""
    c = await Client.connect(srv, "advisor")
    await c.send({"type": "login", **fields})
    await c.error("auth_failed", timeout=LOGIN_TIMEOUT)
    assert await c.close_code() == 1008
    return c


async def advisor(srv, user=ADVISOR_USER, password=ADVISOR_PASSWORD, **kw):
    """A logged-in advisor; .login_ok, .token and .name are set."""
    c, ok = await login(srv, kw, username=user, password=password)
    assert ok["type"] == "login_ok", f"login of {user} failed: {ok}"
    c.login_ok = ok
    c.token = ok["token"]
    c.name = ok["name"]
    return c


async def taken(srv, adv, res):
    """adv takes resident res's chat by id; returns the `chat` frame."""
    await adv.send({"type": "take", "chat": res.chat})
    chat = await adv.recv_type("chat", chat=res.chat)
    await res.recv_type("assigned")
    return chat


async def send_with_cid(c, text, cid, chat=None, errors=False, timeout=RECV_TIMEOUT):
    """Send a msg with a cid (and `chat`, for an advisor); return its echo,
    the msg carrying the same cid of the same JSON type (7 and "7" are two
    cids), or with errors=True, an error the sender got instead."""
    frame = {"type": "msg", "text": text, "cid": cid}
    if chat is not None:
        frame["chat"] = chat
    await c.send(frame)

    def echo(m):
        return (m.get("type") == "msg" and m.get("cid") == cid
                and type(m.get("cid")) is type(cid))

    return await c.recv_where(lambda m: echo(m) or (errors and m.get("type") == "error"),
                              f"echo of {cid!r}", timeout)


async def chatting(srv, adv=None, conn=None, **hello):
    """A resident in a chat with an advisor: the resident says hello and is
    queued, then `adv` (by default 'anna', logged in now) takes the chat.
    Returns (resident, advisor); the resident's .chat and .token are set."""
    res, _ = await queued(srv, conn, **hello)
    if adv is None:
        adv = await advisor(srv)
    await taken(srv, adv, res)
    return res, adv


def run(coro, timeout=60):
    """Run one test's coroutine; afterwards drop every client it opened."""
    async def main():
        try:
            return await asyncio.wait_for(coro, timeout)
        finally:
            clients = list(_CLIENTS)
            _CLIENTS.clear()
            for c in clients:
                if not c.closed:
                    c.abort()
                c._task.cancel()
    return asyncio.run(main())


# ------------------------------------------------------------- raw HTTP

def raw_upgrade(srv, origin=None, protocol=None, path="/ws", timeout=5):
    """Send a WebSocket upgrade by hand; (status code, {header: value})."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{srv.port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    req = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(req)
        data = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    if not head:
        return None, {}
    first, *rest = head.split("\r\n")
    code = int(first.split()[1])
    headers = {}
    for line in rest:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return code, headers


# A self-signed certificate for 127.0.0.1, for the tests over wss.
@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return str(cert), str(key)
