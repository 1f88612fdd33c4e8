"""The email copy of a chat (CONTRACT section 4 `email`, section 5; issue 5),
against a real SMTP server: Debian's aiosmtpd, started here on a free
loopback port, writing every message it takes to a file the test reads.

Every case ends with a byte scan of the database file, its WAL and the
server's log for the address: it may live only until the hand-over or the
give-up. Backoff is made short with `[smtp] retry_min_s = 1` (an added key;
the default is 60 s).
"""
import asyncio
import email
import email.policy
import email.utils
import json
import pathlib
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import (TZ, chatting, free_port, metrics, parse_rfc3339, queued, resume,
                      run, zone)

ADDR = "kopio.vastaanottaja@example.org"
DELIVERY_TIMEOUT = 15.0
SMTP_USER = "neuvo"
SMTP_PASSWORD = "salainen sana"


# ------------------------------------------------------------ the SMTP side

class Sink:
    """aiosmtpd handler: each message to <dir>/<n>.eml, with <n>.json
    telling the envelope and whether TLS and AUTH were used. rcpt_reply:
    answer RCPT TO with this instead of 250."""

    def __init__(self, directory, rcpt_reply=None):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rcpt_reply = rcpt_reply
        self.rcpt_attempts = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts += 1
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = len(list(self.dir.glob("*.eml")))
            # the .json first and the .eml by rename: a reader that sees
            # the .eml (it polls without the lock) always finds both whole
            (self.dir / f"{n}.json").write_text(json.dumps({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                # STARTTLS sets session.ssl; implicit TLS (smtps) shows
                # on the transport
                "tls": session.ssl is not None or
                       server.transport.get_extra_info("sslcontext") is not None,
                "auth": session.authenticated,
            }))
            part = self.dir / f"{n}.part"
            part.write_bytes(envelope.content)
            part.rename(self.dir / f"{n}.eml")
        return "250 Message accepted for delivery"

    def messages(self):
        return sorted(self.dir.glob("*.eml"), key=lambda p: int(p.stem))

    def wait_message(self, timeout=DELIVERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if got:
                meta = json.loads(got[0].with_suffix(".json").read_text())
                return got[0].read_bytes(), meta
            time.sleep(0.05)
        raise AssertionError(f"no message reached the SMTP server in {timeout}s")


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == SMTP_USER.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


def make_cert(tmp):
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    cert, key = tmp / "smtp-cert.pem", tmp / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


@pytest.fixture
def smtpd(tmp_path):
    """smtpd(port=None, **kw) -> (Sink, Controller), started; all stopped
    at the end. kw: rcpt_reply, and aiosmtpd's SMTP parameters."""
    started = []

    def start(port=None, rcpt_reply=None, **kw):
        sink = Sink(tmp_path / f"mail{len(started)}", rcpt_reply)
        ctl = Controller(sink, hostname="127.0.0.1", port=port or free_port(), **kw)
        ctl.start()
        started.append(ctl)
        return sink, ctl

    yield start
    for ctl in started:
        try:
            ctl.stop()
        except Exception:       # already stopped by the test
            pass


def smtp_over(ctl_or_port, starttls="no", scheme="smtp", **over):
    port = ctl_or_port if isinstance(ctl_or_port, int) else ctl_or_port.port
    return {"smtp__url": f"{scheme}://127.0.0.1:{port}", "smtp__starttls": starttls,
            "smtp__retry_min_s": "1", **over}


# ---------------------------------------------------------------- helpers

def wait_metrics(srv, pred, what, timeout=DELIVERY_TIMEOUT):
    deadline = time.monotonic() + timeout
    m = metrics(srv)
    while time.monotonic() < deadline:
        m = metrics(srv)
        if pred(m):
            return m
        time.sleep(0.05)
    raise AssertionError(f"metrics never showed {what}: {m}")


def assert_address_gone(srv, addr=ADDR):
    """Neither the database file, its WAL nor the log holds the address (nor
    its local part), in UTF-8 or UTF-16."""
    needles = []
    for s in (addr, addr.split("@")[0]):
        needles += [s.encode(), s.encode("utf-16-le"), s.encode("utf-16-be")]
    files = srv.db_files() + [srv.log, srv.out]
    for f in files:
        if not f.exists():
            continue
        data = f.read_bytes()
        for n in needles:
            assert n not in data, f"{n!r} found in {f.name} ({len(data)} bytes)"


async def say(sender, receiver, text, chat=None, shown=None):
    """sender sends text; returns the MSG the receiver got (its text is
    `shown`, the redacted form, when given)."""
    frame = {"type": "msg", "text": text}
    if chat is not None:
        frame["chat"] = chat
    await sender.send(frame)
    return await receiver.recv_type("msg", text=shown or text)


async def ask_copy(res, addr=ADDR):
    await res.send({"type": "email", "to": addr})
    return await res.recv_where(lambda m: m.get("type") in ("email_queued", "error"),
                                "email answer")


async def end(res, adv):
    await res.send({"type": "end"})
    await res.recv_type("ended")
    await adv.recv_type("ended")


async def copy_queued(srv):
    """A chat with 'anna' whose resident asks for a copy to ADDR (it must be
    queued), then ends the chat: (resident, advisor)."""
    res, adv = await chatting(srv)
    assert (await ask_copy(res))["type"] == "email_queued"
    await end(res, adv)
    return res, adv


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def hms(msg):
    """HH:MM:SS of a MSG's `at` in the configured zone."""
    return parse_rfc3339(msg["at"]).astimezone(zone(TZ)).strftime("%H:%M:%S")


# ---------------------------------------------------------------- a copy

def test_copy_arrives_whole_and_decodes(make_server, smtpd):
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl))
    assert srv.status()["email_available"] is True

    async def go():
        res, adv = await chatting(srv)
        m1 = await say(res, adv, "Hei, tarvitsen apua vuokran kanssa. Äiti ja isä ovat öisin töissä.")
        m2 = await say(adv, res, "Hei! Kerro lisää, autan mielelläni.", adv_chat(res))
        m3 = await say(res, adv, "Hetuni on 131052-308T", shown="Hetuni on [hetu]")
        assert (await ask_copy(res))["type"] == "email_queued"
        await asyncio.sleep(0.5)
        assert not sink.messages(), "sent before the chat ended"
        await end(res, adv)
        return m1, m2, m3

    m1, m2, m3 = run(go())
    raw, meta = sink.wait_message()
    msg = parse(raw)
    assert msg["Subject"] == "Jäljennös neuvontachatin keskustelusta – älä vastaa"
    assert msg["To"] == ADDR
    assert msg["From"] == "neuvonta@example.fi"
    assert meta["rcpt_tos"] == [ADDR] and meta["mail_from"] == "neuvonta@example.fi"
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs(sent.timestamp() - time.time()) < 60
    assert sent.utcoffset() == parse_rfc3339(m1["at"]).utcoffset()
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.fi>", msg["Message-ID"])
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    body = msg.get_content().replace("\r\n", "\n")
    assert f"Asiakas {hms(m1)}\n" in body
    assert f"Neuvoja {hms(m2)}\n" in body
    assert "Äiti ja isä ovat öisin töissä." in body
    assert "Hetuni on [hetu]" in body and "131052-308T" not in body
    assert body.index("vuokran") < body.index("Kerro lisää") < body.index("[hetu]")
    assert "ma 09:00-11:00" not in body          # this server is open all day
    assert "ma 00:00-24:00" in body
    assert "pyynnöstäsi" in body and "ei lueta" in body
    for line in raw.split(b"\r\n"):
        assert len(line) < 998
    m = wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert m["neuvo_email_sent_total"] == 1
    assert m["neuvo_email_given_up_total"] == 0
    assert_address_gone(srv)


def adv_chat(res):
    return res.chat


def test_copy_asked_after_the_end_goes_at_once_in_swedish(make_server, smtpd):
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl))

    async def go():
        res, adv = await chatting(srv, lang="sv")
        m = await say(adv, res, "Hej, hur kan jag hjälpa?", res.chat)
        await end(res, adv)
        t0 = time.monotonic()
        assert (await ask_copy(res))["type"] == "email_queued"
        return m, t0

    m, t0 = run(go())
    raw, _ = sink.wait_message()
    elapsed = time.monotonic() - t0
    print(f"copy asked after the end reached the SMTP server in {elapsed * 1000:.0f} ms")
    assert elapsed < 5
    msg = parse(raw)
    assert "rådgivningschatten" in msg["Subject"]
    assert f"Rådgivare {hms(m)}\r\n" in msg.get_content()
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert_address_gone(srv)


# ------------------------------------------------------------------- TLS

def test_starttls_required_with_login(make_server, smtpd, tmp_path):
    cert, key = make_cert(tmp_path)
    sink, ctl = smtpd(tls_context=tls_context(cert, key), require_starttls=True,
                      authenticator=authenticate, auth_required=True)
    srv = make_server(**smtp_over(ctl, starttls="required", smtp__ca_file=str(cert),
                                  smtp__username=SMTP_USER,
                                  smtp__password=SMTP_PASSWORD))

    async def go():
        res, adv = await chatting(srv, lang="en")
        await say(res, adv, "Thanks for the help")
        assert (await ask_copy(res))["type"] == "email_queued"
        await end(res, adv)

    run(go())
    raw, meta = sink.wait_message()
    assert meta["tls"] is True and meta["auth"] is True
    assert "Resident " in parse(raw).get_content()
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert_address_gone(srv)


def test_starttls_required_refuses_a_server_without_it(make_server, smtpd):
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl, starttls="required"))

    run(copy_queued(srv))
    m = wait_metrics(srv, lambda m: m["neuvo_email_retried_total"] >= 1, "a retry")
    assert m["neuvo_email_outbox"] == 1 and m["neuvo_email_sent_total"] == 0
    assert not sink.messages(), "sent in clear text although STARTTLS is required"


def test_smtps(make_server, smtpd, tmp_path):
    cert, key = make_cert(tmp_path)
    sink, ctl = smtpd(ssl_context=tls_context(cert, key))
    srv = make_server(**smtp_over(ctl, scheme="smtps", smtp__ca_file=str(cert)))

    run(copy_queued(srv))
    raw, meta = sink.wait_message()
    assert meta["tls"] is True
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert_address_gone(srv)


# -------------------------------------------------------------- failures

async def round_trip_ms(res, adv, n=20):
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        await say(res, adv, f"viesti {i}")
        times.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.12)       # under 10 messages a second
    return sorted(times)


def test_mail_server_down_then_up(make_server, smtpd):
    port = free_port()                  # nothing listens here yet
    srv = make_server(**smtp_over(port))
    figures = {}

    async def go():
        res, adv = await chatting(srv)
        assert (await ask_copy(res))["type"] == "email_queued"
        await say(res, adv, "ennen loppua")
        await end(res, adv)
        # A second chat goes on while the first copy fails and waits.
        res2, _ = await chatting(srv, adv)
        times = await round_trip_ms(res2, adv)
        figures["p50"], figures["max"] = times[len(times) // 2], times[-1]
        assert figures["max"] < 500, times

    run(go())
    m = wait_metrics(srv, lambda m: m["neuvo_email_retried_total"] >= 1, "a retry")
    assert m["neuvo_email_outbox"] == 1
    # The scan can see it: while the copy waits, the address is on disk.
    with pytest.raises(AssertionError, match="found in"):
        assert_address_gone(srv)
    sink, _ = smtpd(port=port)
    raw, _ = sink.wait_message(timeout=20)
    assert "ennen loppua" in parse(raw).get_content()
    m = wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert m["neuvo_email_sent_total"] == 1 and m["neuvo_email_retried_total"] >= 1
    print(f"round trip while SMTP down: p50 {figures['p50']:.1f} ms, "
          f"max {figures['max']:.1f} ms")
    assert_address_gone(srv)


class Blackhole:
    """A TCP port that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        self.th = threading.Thread(target=self._accept, daemon=True)
        self.th.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.th.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


def test_silent_mail_server_never_slows_the_chat_and_sigterm_is_prompt(make_server):
    hole = Blackhole()
    try:
        srv = make_server(**smtp_over(hole.port))
        figures = {}

        async def go():
            res, adv = await copy_queued(srv)
            await asyncio.sleep(0.5)    # the worker is now stuck in connect
            res2, _ = await chatting(srv, adv)
            times = await round_trip_ms(res2, adv)
            figures["p50"], figures["max"] = times[len(times) // 2], times[-1]
            assert figures["max"] < 500, times

        run(go())
        assert hole.conns, "the server never tried the mail server"
        assert metrics(srv)["neuvo_email_outbox"] == 1
        t0 = time.monotonic()
        assert srv.stop() == 0
        print(f"round trip while SMTP hangs: p50 {figures['p50']:.1f} ms, "
              f"max {figures['max']:.1f} ms; exit after SIGTERM "
              f"{time.monotonic() - t0:.2f} s")
        assert time.monotonic() - t0 < 5
    finally:
        hole.close()


def test_new_timezone_waits_until_the_worker_is_idle(make_server):
    """The zone is the process's TZ, which the SMTP worker's libraries read:
    a reload switches it only once no copy is in the worker's hands, and
    hands it no new one meanwhile."""
    hole = Blackhole()
    try:
        over = smtp_over(hole.port)
        srv = make_server(**over)

        async def go():
            await copy_queued(srv)
            await asyncio.sleep(0.5)    # the worker is now stuck in connect

        run(go())
        assert hole.conns, "the server never tried the mail server"
        srv.write_config(hours__timezone="Asia/Tokyo", **over)
        srv.signal(signal.SIGHUP)
        time.sleep(1.0)
        st = srv.status()
        assert st["timezone"] == "Asia/Tokyo"
        assert not st["now"].endswith("+09:00"), "switched under the worker"
        deadline = time.monotonic() + 30
        while not srv.status()["now"].endswith("+09:00"):
            assert time.monotonic() < deadline, "the new zone never came"
            time.sleep(0.2)
        assert "timezone now Asia/Tokyo" in srv.log_text()
        assert metrics(srv)["neuvo_email_outbox"] == 1      # kept for later
    finally:
        hole.close()


def test_550_is_given_up_counted_and_forgotten(make_server, smtpd):
    sink, ctl = smtpd(rcpt_reply="550 5.1.1 No such user here")
    srv = make_server(**smtp_over(ctl))

    run(copy_queued(srv))
    m = wait_metrics(srv, lambda m: m["neuvo_email_given_up_total"] == 1, "a give-up")
    assert m["neuvo_email_outbox"] == 0
    assert m["neuvo_email_sent_total"] == 0 and m["neuvo_email_retried_total"] == 0
    time.sleep(2.5)                     # no retry of a 5xx
    assert sink.rcpt_attempts == 1 and not sink.messages()
    assert_address_gone(srv)


def wait_address_gone(srv, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            assert_address_gone(srv)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_address_leaves_the_wal_once_a_reader_lets_go(make_server, smtpd):
    """A reader (an administrator's `neuvo-admin stats`, say) holding the
    WAL stops the checkpoint that empties it; the server must neither wait
    on it nor give up, but empty the WAL once the reader has gone."""
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl))
    reader = sqlite3.connect(str(srv.db), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM chats").fetchall()

    try:
        run(copy_queued(srv))
        sink.wait_message()
        wait_metrics(srv, lambda m: m["neuvo_email_sent_total"] == 1, "a copy sent")
        time.sleep(1.5)
        wal = pathlib.Path(str(srv.db) + "-wal").read_bytes()
        assert ADDR.encode() in wal, "the reader did not hold the WAL"
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    wait_address_gone(srv)


def test_4xx_is_retried(make_server, smtpd):
    sink, ctl = smtpd(rcpt_reply="451 4.3.0 Try again later")
    srv = make_server(**smtp_over(ctl))

    run(copy_queued(srv))
    m = wait_metrics(srv, lambda m: m["neuvo_email_retried_total"] >= 2, "two retries")
    assert m["neuvo_email_outbox"] == 1 and m["neuvo_email_given_up_total"] == 0
    assert sink.rcpt_attempts >= 2


def test_temporary_failures_are_given_up_after_24_hours(make_server, smtpd):
    sink, ctl = smtpd(rcpt_reply="451 4.3.0 Try again later")
    srv = make_server(**smtp_over(ctl, smtp__retry_min_s="600"))

    run(copy_queued(srv))
    wait_metrics(srv, lambda m: m["neuvo_email_retried_total"] == 1, "a retry")
    assert srv.stop() == 0
    # Make the request 25 hours old and due now, as if a day had passed.
    with sqlite3.connect(srv.db) as db:
        db.execute("UPDATE outbox SET created_at = created_at - 90000, next_at = 0")
    db.close()
    srv.start()
    m = wait_metrics(srv, lambda m: m["neuvo_email_given_up_total"] == 1, "a give-up")
    assert m["neuvo_email_outbox"] == 0 and m["neuvo_email_retried_total"] == 0
    assert sink.rcpt_attempts == 2
    assert_address_gone(srv)


def test_pending_copy_survives_a_restart(make_server, smtpd):
    port = free_port()
    srv = make_server(**smtp_over(port, smtp__retry_min_s="600"))

    async def go():
        res, adv = await chatting(srv)
        await say(res, adv, "ennen uudelleenkäynnistystä")
        assert (await ask_copy(res))["type"] == "email_queued"
        state["token"] = res.token
        # SIGTERM while the chat is still open: the chat and its request
        # are kept (CONTRACT section 7), and the copy goes at its end.

    state = {}
    run(go())
    assert srv.stop() == 0
    sink, _ = smtpd(port=port)
    srv.start()

    async def after():
        res = await resume(srv, state["token"])
        assert (await res.recv_type("resumed"))["state"] == "chatting"
        await res.send({"type": "end"})
        await res.recv_type("ended")

    run(after())
    raw, _ = sink.wait_message()
    assert "ennen uudelleenkäynnistystä" in parse(raw).get_content()
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert_address_gone(srv)


# ----------------------------------------------------------------- misuse

@pytest.mark.parametrize("addr", [
    "kopio@example.org\r\nBcc: muut@example.org",
    "kopio@example.org\nBcc: muut@example.org",
    "kopio@example.org\r",
    "k" * 280 + "@example.org",               # 292 characters
    "k" * 50 + "@" + "d" * 240 + ".fi",      # 294 characters
    "a" * 300,
    "kopio@example.org, muut@example.org",
    "Kopio <kopio@example.org>",
    "ei-osoite",
])
def test_invalid_addresses_are_refused(shared_smtp_server, addr):
    srv = shared_smtp_server

    async def go():
        res, adv = await chatting(srv)
        e = await ask_copy(res, addr)
        assert e.get("code") == "invalid_email", e
        # not counted as the chat's one copy
        assert (await ask_copy(res, "oikea.kopio@example.org"))["type"] == "email_queued"
        await end(res, adv)

    run(go())
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    assert_address_gone(srv, "oikea.kopio@example.org")
    for needle in ("muut@example.org", "k" * 50):
        for f in srv.db_files() + [srv.log]:
            assert needle.encode() not in f.read_bytes()


def test_300_character_address(shared_smtp_server):
    addr = "x" * 280 + "@example.org" + "x" * 8
    assert len(addr) == 300

    async def go():
        res, adv = await chatting(shared_smtp_server)
        assert (await ask_copy(res, addr)).get("code") == "invalid_email"
        await end(res, adv)

    run(go())


def test_one_copy_per_chat(shared_smtp_server):
    async def go():
        res, adv = await chatting(shared_smtp_server)
        assert (await ask_copy(res, "yksi.kopio@example.org"))["type"] == "email_queued"
        assert (await ask_copy(res, "toinen.kopio@example.org")).get("code") == "email_limit"
        await end(res, adv)
        assert (await ask_copy(res, "kolmas.kopio@example.org")).get("code") == "email_limit"

    run(go())
    wait_metrics(shared_smtp_server, lambda m: m["neuvo_email_outbox"] == 0,
                 "an empty outbox")
    for a in ("yksi.kopio@example.org", "toinen.kopio@example.org",
              "kolmas.kopio@example.org"):
        assert_address_gone(shared_smtp_server, a)


def test_not_allowed_before_an_advisor_joins(shared_smtp_server):
    async def go():
        res, _ = await queued(shared_smtp_server)
        assert (await ask_copy(res, "liian.aikaisin@example.org")).get("code") == "not_allowed"
        await res.send({"type": "end"})
        await res.recv_type("ended")
        assert (await ask_copy(res, "liian.aikaisin@example.org")).get("code") == "not_allowed"

    run(go())
    assert_address_gone(shared_smtp_server, "liian.aikaisin@example.org")


def test_hourly_cap(make_server, smtpd):
    sink, ctl = smtpd()
    srv = make_server(**smtp_over(ctl, smtp__max_per_hour="1"))

    async def go():
        res, adv = await chatting(srv)
        assert (await ask_copy(res, "eka.kopio@example.org"))["type"] == "email_queued"
        await end(res, adv)
        res2, _ = await chatting(srv, adv)
        e = await ask_copy(res2, "toka.kopio@example.org")
        assert e.get("code") == "email_unavailable", e
        await end(res2, adv)

    run(go())
    sink.wait_message()
    wait_metrics(srv, lambda m: m["neuvo_email_outbox"] == 0, "an empty outbox")
    for a in ("eka.kopio@example.org", "toka.kopio@example.org"):
        assert_address_gone(srv, a)


def test_no_url_means_unavailable(server):
    assert server.status()["email_available"] is False

    async def go():
        res, adv = await chatting(server)
        assert (await ask_copy(res)).get("code") == "email_unavailable"
        await end(res, adv)

    run(go())
    assert_address_gone(server)


def test_metrics_names(make_server, smtpd):
    _, ctl = smtpd()
    srv = make_server(**smtp_over(ctl))
    _, _, body = srv.request("/metrics")
    text = body.decode()
    for name, kind in (("neuvo_email_outbox", "gauge"),
                       ("neuvo_email_sent_total", "counter"),
                       ("neuvo_email_retried_total", "counter"),
                       ("neuvo_email_given_up_total", "counter")):
        assert f"# TYPE {name} {kind}\n" in text
        assert re.search(rf"^{name} 0$", text, re.M)


@pytest.fixture(scope="module")
def shared_smtp_server(request, tmp_path_factory, advisor_db):
    """One server with a working SMTP server, for the misuse cases."""
    from conftest import MANY_CHATS, Server
    tmp = tmp_path_factory.mktemp("smtp-shared")
    sink = Sink(tmp / "mail")
    ctl = Controller(sink, hostname="127.0.0.1", port=free_port())
    ctl.start()
    srv = Server(tmp / "srv", template_db=advisor_db, **smtp_over(ctl),
                 **MANY_CHATS)
    srv.start()
    yield srv
    srv.stop_in_background(request.node.nodeid)
    ctl.stop()
