"""Issue 12 and CONTRACT section 7 at the network edge: each attack is run
as a hostile visitor would run it, against the real server, while an honest
resident next to it is served. Figures are printed (pytest -s shows them);
nothing here asserts on time.

- cleartext HTTP/2: `Upgrade: h2c` (with curl's HTTP2-Settings, fuzzed ones
  and the HPACK table-size overflow of lws 4.1.x), unknown and odd Upgrade
  headers, pipelined requests behind them, prior-knowledge HTTP/2, curl;
- TLS: old protocol versions and non-ECDHE or non-AEAD ciphers refused even
  when the machine's OpenSSL config allows them; HSTS on every HTTPS answer;
- file modes: the database, its WAL and shm 0600 and a new directory 0700
  whatever the umask, also when neuvo-admin creates them;
- the per-address cap behind a trusted proxy (X-Forwarded-For counted per
  client) and X-Forwarded-For ignored from anyone else.

Run them under AddressSanitizer with NEUVO_BUILD_DIR=build-asan: a server
that trips ASan dies, which `assert_alive` and the session's exit check
report.
"""
import asyncio
import base64
import collections
import os
import random
import re
import shutil
import socket
import ssl
import stat
import struct
import subprocess

import pytest

from conftest import (ADVISOR_PASSWORD, Server, admin, check_config,
                      insecure_ssl, queued, run)


# ---------------------------------------------------------------- helpers

def assert_alive(srv, what):
    """The server still runs, answers /healthz and logged no sanitizer
    report."""
    assert srv.running(), f"server died after {what}:\n{srv.log_text()[-3000:]}"
    status, _, _ = srv.request("/healthz")
    assert status == 200, f"/healthz {status} after {what}"
    log = srv.log_text()
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert marker not in log, f"{marker} after {what}:\n{log[-3000:]}"


def open_socket(srv, timeout=5):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    if srv.tls:
        s = insecure_ssl().wrap_socket(s, server_hostname="127.0.0.1")
    return s


def exchange(srv, request, timeout=5):
    """Send raw bytes, read until the server closes (or `timeout` of
    silence); everything the server wrote."""
    data = b""
    with open_socket(srv, timeout) as s:
        s.sendall(request)
        while len(data) < 1 << 20:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
    return data


def answer_kind(data):
    """'closed' or the status line ('HTTP/1.1 403 Forbidden')."""
    if not data:
        return "closed"
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def upgrade_request(srv, upgrade_lines, extra=(), path="/", connection="Upgrade"):
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{srv.port}",
             f"Connection: {connection}", *upgrade_lines, *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def assert_not_switched(kind, data, what):
    assert "101" not in kind.split(" ")[1:2], f"{what}: switched protocols: {kind}"
    assert b"Switching Protocols" not in data, f"{what}: {data[:200]!r}"
    if kind != "closed":
        assert kind.startswith("HTTP/1."), f"{what}: not an HTTP/1.x answer: {kind!r}"


def settings_b64(pairs):
    """An HTTP2-Settings value: SETTINGS payload (id u16, value u32)*, base64url."""
    raw = b"".join(struct.pack("!HI", i, v) for i, v in pairs)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fuzzed_settings(rng, n):
    """HTTP2-Settings values a fuzzer would try: the known overflow of lws
    4.1.x's HPACK (a huge SETTINGS_HEADER_TABLE_SIZE), extreme values of
    every setting, random payloads of every length, broken base64."""
    values = [
        "AAMAAABkAAQCAAAAAAIAAAAA",                     # curl's own
        settings_b64([(1, 0xFFFFFFFF)]),                # HEADER_TABLE_SIZE
        settings_b64([(1, 0x7FFFFFFF), (1, 0xFFFFFFFF)]),
        settings_b64([(4, 0x80000000)]),                # INITIAL_WINDOW_SIZE
        settings_b64([(5, 0xFFFFFFFF), (6, 0xFFFFFFFF)]),
        settings_b64([(i, 0xFFFFFFFF) for i in range(0, 12)]),
        settings_b64([(0xFFFF, 0)]),
        "", "=", "====", "!!!!", "A", "AA", "AAA", "%00%ff",
        "A" * 3000,
        base64.b64encode(os.urandom(1500)).decode(),
    ]
    while len(values) < n:
        k = rng.choice([1, 5, 6, 7, 12, 60, 600, 2400])
        raw = bytes(rng.getrandbits(8) for _ in range(k))
        enc = rng.choice([base64.b64encode, base64.urlsafe_b64encode])(raw).decode()
        if rng.random() < 0.3:
            enc = enc.rstrip("=")
        if rng.random() < 0.2:
            pos = rng.randrange(len(enc) + 1)
            enc = enc[:pos] + rng.choice("*$#\t~.") + enc[pos:]
        values.append(enc)
    return values


async def honest_chat(srv, text):
    """A resident who queues and writes; the echo comes back."""
    res, q = await queued(srv)
    await res.send({"type": "msg", "text": text})
    echo = await res.recv_type("msg")
    assert echo["text"] == text
    return res, q


# ------------------------------------------------------------ h2c, Upgrade

H2C_FUZZ_CASES = 120


def test_h2c_upgrade_with_fuzzed_http2_settings_never_switches(server):
    """`curl --http2 http://host/` made lws 4.1.6 answer 101 and speak
    HTTP/2, whose HPACK overflows on a fuzzed SETTINGS value. Now every such
    request gets an HTTP/1.1 answer or a closed connection."""
    rng = random.Random(12)
    values = fuzzed_settings(rng, H2C_FUZZ_CASES)

    async def go():
        before, _ = await honest_chat(server, "ennen")
        kinds = collections.Counter()
        for i, v in enumerate(values):
            conn = rng.choice(["Upgrade, HTTP2-Settings", "Upgrade", "keep-alive, Upgrade"])
            up = rng.choice(["h2c", "H2C", "h2c"])
            req = upgrade_request(server, [f"Upgrade: {up}", f"HTTP2-Settings: {v}"],
                                  path=rng.choice(["/", "/healthz", "/ws", "/api/status"]),
                                  connection=conn)
            data = await asyncio.to_thread(exchange, server, req)
            kind = answer_kind(data)
            assert_not_switched(kind, data, f"h2c case {i} ({v[:40]!r})")
            kinds[kind] += 1
        await before.send({"type": "msg", "text": "jälkeen"})
        echo = await before.recv_type("msg")
        assert echo["text"] == "jälkeen"
        after, q = await honest_chat(server, "uusi")
        print(f"\nh2c upgrades sent: {len(values)}; answers: {dict(kinds)}; "
              f"101 answers: 0; honest resident before the attack still served, "
              f"a new one queued at position {q['position']}")
    run(go())
    assert_alive(server, "h2c upgrades")


def test_h2c_answer_is_http11_with_security_headers(server):
    req = upgrade_request(server, ["Upgrade: h2c",
                                   "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"],
                          connection="Upgrade, HTTP2-Settings")
    data = exchange(server, req)
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    print(f"\nh2c answer: {answer_kind(data)}")
    assert head.startswith("http/1.1 403"), head
    for h in ("content-security-policy:", "x-content-type-options: nosniff",
              "referrer-policy: no-referrer"):
        assert h in head, f"{h} missing from {head!r}"
    assert_alive(server, "one h2c upgrade")


UNKNOWN_UPGRADES = [
    ["Upgrade: foo"],
    ["Upgrade: FOO/1.0"],
    ["Upgrade: TLS/1.0"],
    ["Upgrade: HTTP/2.0"],
    ["Upgrade: websocket, h2c"],
    ["Upgrade: h2c, websocket"],
    ["Upgrade: h2"],
    ["Upgrade: h2c-14"],
    ["Upgrade: websocketx"],
    ["Upgrade: " + "x" * 2000],
    ["Upgrade: foo", "Upgrade: websocket"],
    ["Upgrade: h2c", "Upgrade: foo", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"],
    ["Upgrade: foo", "HTTP2-Settings: " + settings_b64([(1, 0xFFFFFFFF)])],
]


def test_unknown_upgrades_are_refused_and_do_not_crash(server):
    """Any Upgrade but websocket: lws 4.1.6 answers 403, frees the request's
    headers and then asks us to confirm with a pointer into them
    (CVE-2025-11677). Also with a second request pipelined behind, which
    keeps lws's header table in use."""
    async def go():
        honest, _ = await honest_chat(server, "ennen")
        kinds = collections.Counter()
        pipelined = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        for lines in UNKNOWN_UPGRADES:
            for conn in ("Upgrade", "keep-alive, Upgrade", "close, Upgrade"):
                for tail in (b"", pipelined, pipelined * 3):
                    req = upgrade_request(server, lines, connection=conn) + tail
                    data = await asyncio.to_thread(exchange, server, req)
                    kind = answer_kind(data)
                    assert_not_switched(kind, data, f"{lines[0][:30]} {conn} +{len(tail)}")
                    kinds[kind] += 1
        await honest.send({"type": "msg", "text": "jälkeen"})
        assert (await honest.recv_type("msg"))["text"] == "jälkeen"
        print(f"\nunknown upgrades sent: {sum(kinds.values())}; answers: {dict(kinds)}; "
              "honest resident still served")
    run(go())
    assert_alive(server, "unknown upgrades")


def test_websocket_upgrade_in_any_case_still_works(server):
    """The ordinary handshake is untouched, whatever the case of the token."""
    key = base64.b64encode(os.urandom(16)).decode()
    for token in ("websocket", "WebSocket", "WEBSOCKET"):
        req = upgrade_request(server, [f"Upgrade: {token}", f"Sec-WebSocket-Key: {key}",
                                       "Sec-WebSocket-Version: 13",
                                       f"Origin: {server.origin}",
                                       "Sec-WebSocket-Protocol: neuvo.resident.v1"],
                              path="/ws")
        with open_socket(server) as s:
            s.sendall(req)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                assert chunk, f"{token}: closed during the handshake"
                head += chunk
        assert head.startswith(b"HTTP/1.1 101"), f"{token}: {head[:100]!r}"
    run(honest_chat(server, "hei"))
    assert_alive(server, "websocket handshakes")


def test_prior_knowledge_http2_is_not_spoken(server):
    """The HTTP/2 connection preface without any upgrade, with a SETTINGS
    frame carrying the HPACK table-size overflow."""
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    payload = struct.pack("!HI", 1, 0xFFFFFFFF)
    settings = struct.pack("!I", len(payload))[1:] + b"\x04\x00" + struct.pack("!I", 0) + payload
    data = exchange(server, preface + settings)
    kind = answer_kind(data)
    print(f"\nprior-knowledge HTTP/2 preface: {kind}")
    assert_not_switched(kind, data, "prior knowledge")
    # an HTTP/2 server would answer with a SETTINGS frame (type 4)
    assert data[3:4] != b"\x04", f"HTTP/2 frames came back: {data[:40]!r}"
    assert_alive(server, "an HTTP/2 preface")


@pytest.mark.skipif(not shutil.which("curl"), reason="no curl")
def test_curl_http2_gets_http11_and_prior_knowledge_gets_nothing(server):
    url = f"http://127.0.0.1:{server.port}/"
    up = subprocess.run(["curl", "-sv", "--http2", "-o", "/dev/null", "-w",
                         "%{http_code} %{http_version}", url],
                        capture_output=True, text=True, timeout=20)
    pk = subprocess.run(["curl", "-sv", "--http2-prior-knowledge", "-o", "/dev/null",
                         "-w", "%{http_code} %{http_version}", url],
                        capture_output=True, text=True, timeout=20)
    print(f"\ncurl --http2: exit {up.returncode}, '{up.stdout}'; "
          f"curl --http2-prior-knowledge: exit {pk.returncode}, '{pk.stdout}'")
    assert "101" not in up.stderr and "Switching" not in up.stderr, up.stderr
    assert up.stdout in ("403 1.1", "000 0"), up.stdout
    assert not pk.stdout.endswith(" 2"), f"HTTP/2 spoken: {pk.stdout}"
    status, _, _ = server.request("/")
    assert status == 200
    assert_alive(server, "curl --http2")


# ------------------------------------------------------------------- TLS

# OpenSSL config that allows everything: the server must refuse by its own
# settings, not by the machine's defaults (Debian's already refuse some).
LOOSE_OPENSSL_CNF = """\
openssl_conf = loose_init
[loose_init]
ssl_conf = loose_ssl
[loose_ssl]
system_default = loose_default
[loose_default]
MinProtocol = TLSv1
CipherString = ALL:@SECLEVEL=0
"""


@pytest.fixture(scope="module")
def rsa_tls(tmp_path_factory):
    """An RSA certificate (so that the ECDHE-RSA suites named by the contract
    apply), and the loose OpenSSL config."""
    d = tmp_path_factory.mktemp("rsa_tls")
    cert, key, cnf = d / "cert.pem", d / "key.pem", d / "loose.cnf"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                    "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    cnf.write_text(LOOSE_OPENSSL_CNF)
    return str(cert), str(key), str(cnf)


@pytest.fixture
def tls_server(make_server, rsa_tls, monkeypatch):
    cert, key, cnf = rsa_tls
    monkeypatch.setenv("OPENSSL_CONF", cnf)         # the server's too
    return make_server(tls=(cert, key))


def s_client(srv, cnf, *args):
    """(accepted, protocol, cipher, output) of one openssl s_client handshake."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}",
                        "-servername", "127.0.0.1", *args],
                       input=b"", capture_output=True, timeout=30,
                       env={**os.environ, "OPENSSL_CONF": cnf})
    out = (r.stdout + r.stderr).decode(errors="replace")
    m = re.search(r"^New, (\S+), Cipher is (\S+)", out, re.M)
    proto, cipher = (m.group(1), m.group(2)) if m else (None, None)
    accepted = r.returncode == 0 and cipher not in (None, "(NONE)", "0000")
    return accepted, proto, cipher, out


TLS_CASES = [
    # (what, s_client arguments, accepted?)
    ("TLS 1.0", ["-tls1", "-cipher", "ALL:@SECLEVEL=0"], False),
    ("TLS 1.1", ["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"], False),
    ("TLS 1.2 AES256-SHA (RSA kx, CBC)", ["-tls1_2", "-cipher", "AES256-SHA:@SECLEVEL=0"], False),
    ("TLS 1.2 AES128-GCM-SHA256 (RSA kx)", ["-tls1_2", "-cipher", "AES128-GCM-SHA256:@SECLEVEL=0"], False),
    ("TLS 1.2 DHE-RSA-AES128-GCM-SHA256 (no ECDHE)",
     ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"], False),
    ("TLS 1.2 ECDHE-RSA-AES128-SHA (CBC)", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"], False),
    ("TLS 1.2 ECDHE-RSA-AES256-SHA384 (CBC)",
     ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA384:@SECLEVEL=0"], False),
    ("TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], True),
    ("TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384", ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"], True),
    ("TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305", ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"], True),
    ("TLS 1.2 whatever the client prefers", ["-tls1_2", "-cipher", "ALL:@SECLEVEL=0"], True),
    ("TLS 1.3", ["-tls1_3"], True),
]


def test_tls_refuses_old_versions_and_weak_ciphers(tls_server, rsa_tls):
    """CONTRACT section 7: TLS 1.2 with ECDHE and AEAD ciphers only, or TLS
    1.3, even when the machine's OpenSSL config would allow anything."""
    cnf = rsa_tls[2]

    async def go():
        res, _ = await honest_chat(tls_server, "tls")
        rows, bad = [], []
        for what, args, want in TLS_CASES:
            ok, proto, cipher, out = await asyncio.to_thread(s_client, tls_server, cnf, *args)
            rows.append(f"  {what:48} {'accepted' if ok else 'refused':9} {proto or '-'} {cipher or '-'}")
            # a refusal must come from the server, not from the client
            for own in ("no protocols available", "no ciphers available",
                        "no cipher match", "Error with command"):
                assert own not in out, f"{what}: the client refused itself: {out[-600:]}"
            if ok != want:
                bad.append(f"{what}: {'accepted' if ok else 'refused'} ({proto} {cipher})")
            if ok and want:
                if "-tls1_3" in args:
                    assert proto == "TLSv1.3", proto
                else:
                    assert proto == "TLSv1.2" and cipher.startswith("ECDHE-") and (
                        "GCM" in cipher or "CHACHA20" in cipher), (proto, cipher)
        print("\nopenssl s_client against neuvo (loose OpenSSL config on both sides):\n"
              + "\n".join(rows))
        assert not bad, "\n".join(bad)
        await res.send({"type": "msg", "text": "vielä"})
        assert (await res.recv_type("msg"))["text"] == "vielä"
    run(go(), timeout=180)
    assert_alive(tls_server, "TLS handshakes")


def test_https_answers_carry_hsts_refusals_and_h2c_included(tls_server):
    status, headers, _ = tls_server.request("/")
    assert status == 200 and "strict-transport-security" in headers, headers
    assert "max-age=" in headers["strict-transport-security"]
    refusals = {
        "WebSocket from a foreign Origin": upgrade_request(
            tls_server, ["Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                         "Sec-WebSocket-Version: 13", "Origin: https://evil.example",
                         "Sec-WebSocket-Protocol: neuvo.resident.v1"], path="/ws"),
        "h2c over TLS": upgrade_request(tls_server, ["Upgrade: h2c", "HTTP2-Settings: "
                                                     + settings_b64([(1, 0xFFFFFFFF)])]),
    }
    for what, req in refusals.items():
        data = exchange(tls_server, req)
        kind = answer_kind(data)
        assert_not_switched(kind, data, what)
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        print(f"\n{what}: {kind}")
        assert "strict-transport-security:" in head, f"{what}: {head}"
    assert_alive(tls_server, "HTTPS refusals")


# ------------------------------------------------------------- file modes

def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def db_set(db):
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))]


def test_server_creates_database_wal_shm_0600_and_its_directory_0700(make_server, tmp_path):
    """Even with umask 000, which would leave every file world-writable."""
    db = tmp_path / "private" / "neuvo.db"
    srv = make_server(advisor=False, start=False, server__database=str(db))
    old = os.umask(0)
    try:
        srv.start()
    finally:
        os.umask(old)
    run(honest_chat(srv, "tallenna"))     # writes: the WAL fills
    files = db_set(db)
    modes = {p.name: oct(mode(p)) for p in files if p.exists()}
    print(f"\numask 000, server-created: {db.parent.name}/ {oct(mode(db.parent))}, {modes}")
    assert mode(db.parent) == 0o700
    for p in files:
        assert p.exists(), f"{p.name} missing (WAL mode)"
        assert mode(p) == 0o600, f"{p.name}: {oct(mode(p))}"


def test_admin_creates_the_database_0600_and_its_directory_0700(tmp_path):
    srv = Server(tmp_path / "srv", server__database=str(tmp_path / "adm" / "neuvo.db"))
    db = tmp_path / "adm" / "neuvo.db"
    old = os.umask(0)
    try:
        r = admin(srv.config, "advisor", "add", "ville", "--name", "Ville",
                  stdin=ADVISOR_PASSWORD + "\n", timeout=60)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    modes = {p.name: oct(mode(p)) for p in db_set(db) if p.exists()}
    print(f"\numask 000, neuvo-admin-created: adm/ {oct(mode(db.parent))}, {modes}")
    assert mode(db.parent) == 0o700
    for p in db_set(db):
        if p.exists():
            assert mode(p) == 0o600, f"{p.name}: {oct(mode(p))}"


def test_files_an_older_version_left_readable_are_tightened(make_server, tmp_path):
    """A database made 0644 (and a WAL and shm 0666) by an earlier version is
    made 0600 when the server opens it; a directory the administrator made
    is left as it is."""
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    db = data / "neuvo.db"
    srv = make_server(advisor=False, start=False, server__database=str(db))
    r = admin(srv.config, "advisor", "list")
    assert r.returncode == 0, r.stderr
    for p, m in zip(db_set(db), (0o644, 0o666, 0o666)):
        if not p.exists():
            p.write_bytes(b"")      # a stale empty WAL / shm: SQLite copes
        os.chmod(p, m)
    before = {p.name: oct(mode(p)) for p in db_set(db)}
    srv.start()
    run(honest_chat(srv, "tiukka"))
    after = {p.name: oct(mode(p)) for p in db_set(db) if p.exists()}
    print(f"\nbefore: {before}; after the server opened them: {after}; "
          f"data/ {oct(mode(data))}")
    for p in db_set(db):
        if p.exists():
            assert mode(p) == 0o600, f"{p.name}: {oct(mode(p))}"
    assert mode(data) == 0o755


# ------------------------------------------- client address, trusted proxies

def handshake(srv, xff=None, source=None, protocol="neuvo.resident.v1"):
    """A raw WebSocket handshake, optionally with X-Forwarded-For and from a
    given local address; (status, socket kept open or None)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5,
                                 source_address=(source, 0) if source else None)
    lines = [f"GET /ws HTTP/1.1", f"Host: 127.0.0.1:{srv.port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Version: 13", f"Origin: {srv.origin}",
             f"Sec-WebSocket-Protocol: {protocol}"]
    if xff is not None:
        lines.append(f"X-Forwarded-For: {xff}")
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head else None
    if status != 101:
        s.close()
        return status, None
    return status, s


def fill(srv, xffs, source=None):
    """Handshake once per X-Forwarded-For value; (admitted sockets, statuses)."""
    socks, statuses = [], []
    for xff in xffs:
        status, s = handshake(srv, xff, source)
        statuses.append(status)
        if s:
            socks.append(s)
    return socks, statuses


async def queued_via_proxy(srv, xff):
    """An honest resident arriving through the proxy: queued."""
    c, q = await queued(srv, conn={"extra_headers": {"X-Forwarded-For": xff}})
    return c, q


CAP = 3


def test_behind_a_trusted_proxy_each_client_has_its_own_cap(make_server):
    """The attack: behind the recommended TLS proxy every resident shared
    the proxy's address, so one client could take the whole cap. Now the
    proxy's X-Forwarded-For names the client: the attacker meets the cap,
    everyone else behind the same proxy still gets in."""
    srv = make_server(advisor=False, server__max_connections_per_ip=CAP,
                      server__trusted_proxies="127.0.0.1 10.0.0.0/8")
    attacker = "198.51.100.66"

    async def go():
        # the attacker opens connections until refused
        socks, statuses = await asyncio.to_thread(fill, srv, [attacker] * (CAP + 3))
        # ...and forges entries in front of what the proxy appends
        forged = [f"203.0.113.{i}, {attacker}" for i in range(5)]
        socks2, statuses2 = await asyncio.to_thread(fill, srv, forged)
        # ...and through a second trusted hop
        socks3, statuses3 = await asyncio.to_thread(
            fill, srv, [f"{attacker}, 10.1.2.3"] * 2)
        # ...and from many addresses of one IPv6 /64
        v6 = [f"2001:db8:66:1::{i:x}" for i in range(1, CAP + 3)]
        socks4, statuses4 = await asyncio.to_thread(fill, srv, v6)
        assert statuses[:CAP] == [101] * CAP and set(statuses[CAP:]) == {429}, statuses
        assert set(statuses2) == {429}, statuses2
        assert set(statuses3) == {429}, statuses3
        assert statuses4[:CAP] == [101] * CAP and set(statuses4[CAP:]) == {429}, statuses4
        # honest residents behind the same proxy: each its own address
        honest = [f"198.51.100.{i}" for i in range(1, 11)] + ["2001:db8:1:2::7"]
        served = 0
        for xff in honest:
            c, q = await queued_via_proxy(srv, xff)
            served += 1
        print(f"\nbehind a trusted proxy, cap {CAP}: attacker {statuses.count(101)} admitted, "
              f"{statuses.count(429)} refused; forged X-Forwarded-For "
              f"{statuses2.count(429)}/{len(statuses2)} refused; via a second hop "
              f"{statuses3.count(429)}/{len(statuses3)} refused; one /64 "
              f"{statuses4.count(101)} admitted {statuses4.count(429)} refused; "
              f"honest residents queued: {served}/{len(honest)}")
        for s in socks + socks2 + socks3 + socks4:
            s.close()
    run(go())
    assert_alive(srv, "connections through a proxy")


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(make_server):
    """The attack: a direct client writes a new X-Forwarded-For on each
    connection to escape the per-address cap. Only a trusted proxy's
    header counts, so the cap holds; a different real address still gets
    in."""
    srv = make_server(advisor=False, server__max_connections_per_ip=CAP,
                      server__trusted_proxies="127.0.0.9 2001:db8::/32")

    async def go():
        xffs = [f"198.51.100.{i}" for i in range(1, CAP + 6)]
        socks, statuses = await asyncio.to_thread(fill, srv, xffs)
        assert statuses[:CAP] == [101] * CAP and set(statuses[CAP:]) == {429}, statuses
        c, q = await queued(srv, conn={"local_addr": ("127.0.0.2", 0)})
        print(f"\nuntrusted X-Forwarded-For, cap {CAP}: {statuses.count(101)} admitted, "
              f"{statuses.count(429)} refused of {len(statuses)} distinct forged values; "
              f"a resident from another address queued at position {q['position']}")
        for s in socks:
            s.close()
    run(go())
    assert_alive(srv, "forged X-Forwarded-For")


def test_without_trusted_proxies_the_header_means_nothing(make_server):
    srv = make_server(advisor=False, server__max_connections_per_ip=1)

    async def go():
        s1 = await asyncio.to_thread(handshake, srv, "198.51.100.1")
        s2 = await asyncio.to_thread(handshake, srv, "198.51.100.2")
        assert (s1[0], s2[0]) == (101, 429)
        s1[1].close()
    run(go())


def test_a_bad_trusted_proxies_value_is_refused_with_its_line(tmp_path):
    srv = Server(tmp_path / "srv", server__trusted_proxies="10.0.0.0/8 proxy.example.fi")
    r = check_config(srv.config)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    line = next(i for i, l in enumerate(srv.config.read_text().splitlines(), 1)
                if l.startswith("trusted_proxies"))
    assert f"{srv.config}:{line}: [server] trusted_proxies:" in out, out
    assert "proxy.example.fi" in out
