"""CONTRACT section 1: neuvo-server --check, neuvo-admin (advisor, hours),
bad arguments. Signals are in test_signals.py."""
import datetime as dt
import re
import subprocess

import pytest

from conftest import (ADMIN, ADVISOR_PASSWORD, CLOSED_ALL_DAY, DAYS, OPEN_ALL_DAY, SERVER,
                      Server, admin, check_config, local_today, login, run)

WEEKDAY = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d) (Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
    r"(closed|\d\d:\d\d-\d\d:\d\d(?:, \d\d:\d\d-\d\d:\d\d)*)(?: \((holiday|exception)\))?$")


def output(r):
    return r.stdout + r.stderr


def start_must_fail(srv, what):
    """Start srv, which must exit on its own within 5 s; returns its stderr."""
    srv.start(wait=False)
    try:
        rc = srv.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        srv.stop()
        pytest.fail(f"neuvo-server started {what}: " + srv.log_text()[-500:])
    srv._close_files()
    assert rc != 0
    err = srv.log.read_text()
    assert err.strip(), "no reason given on stderr"
    return err


# ------------------------------------------------------------- --check

def test_check_prints_ok_and_exits_0_for_a_config_with_every_key(tmp_path):
    srv = Server(tmp_path, exceptions={"2026-12-31": "09:00-10:00", "2027-01-07": "closed"})
    r = check_config(srv.config)
    assert r.returncode == 0, output(r)
    assert r.stdout.strip() == "ok"


def test_check_accepts_comments_with_semicolon_and_hash(tmp_path):
    cfg = tmp_path / "c.ini"
    cfg.write_text("; a comment\n# another\n[server]\nport = 8099   ; inline\n"
                   "[hours]\nmon = 09:00-11:00, 13:00-15:00\n")
    r = check_config(cfg)
    assert r.returncode == 0, output(r)
    assert r.stdout.strip() == "ok"


def test_check_accepts_an_empty_file_every_key_has_a_default(tmp_path):
    cfg = tmp_path / "empty.ini"
    cfg.write_text("")
    r = check_config(cfg)
    assert r.returncode == 0, output(r)
    assert r.stdout.strip() == "ok"


BAD_CONFIGS = {
    # name: (text, line of the error, what the error line must name)
    "hour_25": ("[server]\nport = 8080\n[hours]\nmon = 25:00-26:00\n", 4, "mon"),
    "end_before_start": ("[hours]\ntimezone = Europe/Helsinki\nwed = 11:00-09:00\n", 3, "wed"),
    "malformed_range": ("[hours]\nfri = 9 to 11\n", 2, "fri"),
    "overlapping_ranges": ("[hours]\n\nthu = 09:00-11:00, 10:00-12:00\n", 3, "thu"),
    "unknown_timezone": ("[hours]\ntimezone = Mars/Olympus_Mons\n", 2, "timezone"),
    "bad_exception_date": ("[exceptions]\n2026-02-30 = closed\n", 2, "2026-02-30"),
    "unknown_key": ("[queue]\nmax_length = 3\nmax_lenght = 4\n", 3, "max_lenght"),
    "unknown_section": ("[server]\nport = 8080\n[serverr]\nport = 1\n", 3, "serverr"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_check_reports_error_with_file_line_and_key_and_exits_1(tmp_path, case):
    text, line, name = BAD_CONFIGS[case]
    cfg = tmp_path / "bad.ini"
    cfg.write_text(text)
    r = check_config(cfg)
    assert r.returncode == 1, output(r)
    assert "ok" not in r.stdout.split()
    hits = [l for l in output(r).splitlines() if f"{cfg}:{line}" in l and name in l]
    assert hits, f"no line naming {cfg}:{line} and {name!r} in:\n{output(r)}"


def test_check_missing_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "nope.ini"
    r = check_config(path)
    assert r.returncode == 1, output(r)
    assert str(path) in output(r)


def test_check_refuses_non_loopback_listen_without_tls(tmp_path):
    cfg = tmp_path / "c.ini"
    cfg.write_text("[server]\nlisten = 0.0.0.0\n")
    r = check_config(cfg)
    assert r.returncode == 1, output(r)
    assert "listen" in output(r)


def test_check_accepts_non_loopback_listen_with_insecure_http(tmp_path):
    cfg = tmp_path / "c.ini"
    cfg.write_text("[server]\nlisten = 0.0.0.0\ninsecure_http = yes\n")
    r = check_config(cfg)
    assert r.returncode == 0, output(r)


# ------------------------------------------------------ TLS files

def make_pair(d, name):
    """A self-signed EC certificate and its key, made with openssl."""
    cert, key = d / f"{name}-cert.pem", d / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def tls_config(tmp_path, cert, key):
    cfg = tmp_path / "tls.ini"
    cfg.write_text(f"[server]\nlisten = 0.0.0.0\n\ntls_cert = {cert}\ntls_key = {key}\n")
    return cfg


def test_check_accepts_a_certificate_with_its_key(tmp_path):
    cert, key = make_pair(tmp_path, "a")
    r = check_config(tls_config(tmp_path, cert, key))
    assert r.returncode == 0, output(r)
    assert r.stdout.strip() == "ok"


@pytest.mark.parametrize("which,line", [("tls_cert", 4), ("tls_key", 5)])
def test_check_names_the_file_line_and_key_of_a_missing_tls_file(tmp_path, which, line):
    cert, key = make_pair(tmp_path, "a")
    gone = tmp_path / "gone.pem"
    cfg = tls_config(tmp_path, gone if which == "tls_cert" else cert,
                     gone if which == "tls_key" else key)
    r = check_config(cfg)
    assert r.returncode == 1, output(r)
    lines = output(r).strip().splitlines()
    assert len(lines) == 1, output(r)
    assert lines[0].startswith(f"{cfg}:{line}: [server] {which}:"), output(r)
    assert "cannot read" in lines[0]


def test_check_refuses_a_certificate_file_that_holds_no_certificate(tmp_path):
    _, key = make_pair(tmp_path, "a")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    cfg = tls_config(tmp_path, junk, key)
    r = check_config(cfg)
    assert r.returncode == 1, output(r)
    assert "ok" not in r.stdout.split()
    assert f"{cfg}: [server] tls_cert {junk}:" in output(r)


def test_check_refuses_a_key_that_belongs_to_another_certificate(tmp_path):
    cert, _ = make_pair(tmp_path, "a")
    _, other_key = make_pair(tmp_path, "b")
    cfg = tls_config(tmp_path, cert, other_key)
    r = check_config(cfg)
    assert r.returncode == 1, output(r)
    assert f"[server] tls_key {other_key}: does not belong" in output(r)


def test_server_with_an_unusable_key_names_it_instead_of_the_port(tmp_path):
    cert, _ = make_pair(tmp_path, "a")
    _, other_key = make_pair(tmp_path, "b")
    srv = Server(tmp_path / "srv", tls=(str(cert), str(other_key)))
    err = start_must_fail(srv, "with a key that is not the certificate's")
    assert len(err.strip().splitlines()) == 1, f"stderr: {err!r}"
    assert "tls_key" in err and "cannot listen" not in err


def test_sighup_warns_when_the_tls_files_on_disk_would_not_load(make_server, tmp_path):
    import shutil
    import signal
    import time
    cert, key = make_pair(tmp_path, "a")
    _, other_key = make_pair(tmp_path, "b")
    srv = make_server(tls=(str(cert), str(key)), advisor=False)
    shutil.copyfile(other_key, key)         # a renewal that went wrong
    srv.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while "next restart will fail" not in srv.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "next restart will fail" in srv.log_text(), srv.log_text()[-800:]
    assert "tls_key" in srv.log_text()
    assert srv.status()["open"] is True     # still serving on the certificate it loaded


def test_server_refuses_to_start_on_non_loopback_listen_without_tls(tmp_path):
    srv = Server(tmp_path, server__listen="0.0.0.0")
    start_must_fail(srv, "on 0.0.0.0 without TLS or insecure_http")


def test_server_exits_nonzero_when_its_port_is_taken(tmp_path):
    import socket
    srv = Server(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", srv.port))
        taken.listen()
        start_must_fail(srv, "without its port")


# ------------------------------------------------------- bad arguments

@pytest.mark.parametrize("args", [
    ["--frobnicate"],
    [],
    ["--config"],
    ["--check"],
    ["--config", "--check"],
], ids=["unknown_option", "no_arguments", "config_without_path", "check_without_config",
        "config_followed_by_an_option"])
def test_server_bad_arguments_exit_2_with_one_line_on_stderr(args):
    r = subprocess.run([str(SERVER), *args], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, f"stderr: {r.stderr!r}"
    assert "usage:" in r.stderr


def test_server_with_a_bad_config_exits_nonzero_with_a_one_line_reason(tmp_path):
    srv = Server(tmp_path, extra="")
    srv.config.write_text(srv.config.read_text().replace("mon = 00:00-24:00",
                                                         "mon = 11:00-09:00"))
    err = start_must_fail(srv, "with a bad config")
    assert len(err.strip().splitlines()) == 1, f"stderr: {err!r}"
    assert "mon" in err


@pytest.mark.parametrize("args", [
    [],
    ["frobnicate"],
    ["advisor"],
    ["advisor", "frobnicate"],
    ["advisor", "add"],
    ["advisor", "remove"],
    ["hours", "--days", "x"],
    ["hours", "--weeks", "2"],
    ["hours", "--days"],
    ["stats", "--from", "--to", "2026-11-30"],
], ids=["no_command", "unknown_command", "advisor_without_verb", "advisor_unknown_verb",
        "advisor_add_without_user", "advisor_remove_without_user", "hours_days_not_a_number",
        "hours_unknown_option", "hours_days_without_value", "option_followed_by_an_option"])
def test_admin_bad_arguments_exit_nonzero_with_a_one_line_reason(tmp_path, args):
    srv = Server(tmp_path)
    r = admin(srv.config, *args, stdin="")
    assert r.returncode != 0, output(r)
    assert len(r.stderr.strip().splitlines()) == 1, f"stderr: {r.stderr!r}"


def test_admin_without_config_option_fails_with_one_line():
    r = subprocess.run([str(ADMIN), "advisor", "list"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, f"stderr: {r.stderr!r}"


def test_admin_with_a_bad_config_fails_with_one_line(tmp_path):
    cfg = tmp_path / "bad.ini"
    cfg.write_text("[hours]\nmon = 25:00-26:00\n")
    r = admin(cfg, "hours")
    assert r.returncode != 0, output(r)
    assert len(r.stderr.strip().splitlines()) == 1, f"stderr: {r.stderr!r}"


def test_admin_with_a_missing_config_fails_with_one_line(tmp_path):
    r = admin(tmp_path / "nope.ini", "advisor", "list")
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, f"stderr: {r.stderr!r}"


# ------------------------------------------------------------ advisors

def list_users(cfg):
    r = admin(cfg, "advisor", "list")
    assert r.returncode == 0, output(r)
    return r.stdout


def test_advisor_add_then_list_shows_username_and_display_name(tmp_path):
    srv = Server(tmp_path)
    srv.add_advisor("ville", "Ville Välimäki", "salasana yksi")
    out = list_users(srv.config)
    line = [l for l in out.splitlines() if l.split()[:1] == ["ville"]]
    assert line, out
    assert "Ville Välimäki" in line[0]


def test_advisor_list_does_not_show_password_or_hash(tmp_path):
    srv = Server(tmp_path)
    srv.add_advisor("ville", "Ville V", "salasana yksi")
    out = list_users(srv.config)
    assert "salasana" not in out
    assert "scrypt" not in out.lower()


def test_advisor_add_of_an_existing_user_fails(tmp_path):
    srv = Server(tmp_path)
    srv.add_advisor("ville", "Ville V", "salasana yksi")
    r = admin(srv.config, "advisor", "add", "ville", "--name", "Other", stdin="toinen salasana\n")
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Other" not in list_users(srv.config)


def test_advisor_add_without_a_password_on_stdin_fails(tmp_path):
    srv = Server(tmp_path)
    r = admin(srv.config, "advisor", "add", "ville", "--name", "Ville V", stdin="")
    assert r.returncode != 0
    assert "ville" not in list_users(srv.config)


def test_advisor_remove_takes_the_user_off_the_list(tmp_path):
    srv = Server(tmp_path)
    srv.add_advisor("ville", "Ville V", "salasana yksi")
    srv.add_advisor("sari", "Sari S", "salasana kaksi")
    r = admin(srv.config, "advisor", "remove", "ville")
    assert r.returncode == 0, output(r)
    out = list_users(srv.config)
    assert "ville" not in out and "sari" in out


def test_advisor_remove_of_an_unknown_user_fails(tmp_path):
    srv = Server(tmp_path)
    r = admin(srv.config, "advisor", "remove", "nobody")
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_advisor_passwd_of_an_unknown_user_fails(tmp_path):
    srv = Server(tmp_path)
    r = admin(srv.config, "advisor", "passwd", "nobody", stdin="uusi salasana\n")
    assert r.returncode != 0


async def login_result(srv, user, password):
    _, m = await login(srv, username=user, password=password)
    return m.get("type") if m["type"] == "login_ok" else m.get("code")


def test_advisor_added_with_stdin_password_can_log_in(make_server):
    srv = make_server(advisor=False, start=False)
    srv.add_advisor("ville", "Ville V", "ensimmäinen salasana")
    srv.start()
    assert run(login_result(srv, "ville", "ensimmäinen salasana")) == "login_ok"


def test_advisor_passwd_replaces_the_password(make_server):
    srv = make_server(advisor=False, start=False)
    srv.add_advisor("ville", "Ville V", "ensimmäinen salasana")
    r = admin(srv.config, "advisor", "passwd", "ville", stdin="toinen salasana\n")
    assert r.returncode == 0, output(r)
    srv.start()
    assert run(login_result(srv, "ville", "ensimmäinen salasana")) == "auth_failed"
    assert run(login_result(srv, "ville", "toinen salasana")) == "login_ok"


def test_removed_advisor_cannot_log_in(make_server):
    srv = make_server(advisor=False, start=False)
    srv.add_advisor("ville", "Ville V", "ensimmäinen salasana")
    assert admin(srv.config, "advisor", "remove", "ville").returncode == 0
    srv.start()
    assert run(login_result(srv, "ville", "ensimmäinen salasana")) == "auth_failed"


# ---------------------------------------------------------------- hours

def hours_lines(cfg, *args):
    r = admin(cfg, "hours", *args)
    assert r.returncode == 0, output(r)
    return r.stdout.splitlines()


def test_hours_prints_14_days_by_default_one_line_each(tmp_path):
    srv = Server(tmp_path)
    lines = hours_lines(srv.config)
    assert len(lines) == 14, lines
    for line in lines:
        assert HOURS_LINE.match(line), line


def test_hours_days_n_prints_n_consecutive_days_from_today(tmp_path):
    srv = Server(tmp_path)
    lines = hours_lines(srv.config, "--days", "5")
    assert len(lines) == 5, lines
    today = local_today()
    for i, line in enumerate(lines):
        m = HOURS_LINE.match(line)
        assert m, line
        day = today + dt.timedelta(days=i)
        assert m.group(1) == day.isoformat(), line
        assert m.group(2) == WEEKDAY[day.weekday()], line


def test_hours_prints_weekday_ranges_and_closed_days(tmp_path):
    hours = dict(CLOSED_ALL_DAY)
    hours["mon"] = "09:00-11:00, 13:00-15:00"
    hours["tue"] = "09:00-11:00"
    hours["wed"] = "08:00-24:00"
    srv = Server(tmp_path, hours)
    lines = hours_lines(srv.config, "--days", "7")
    today = local_today()
    expect = {"Mon": "09:00-11:00, 13:00-15:00", "Tue": "09:00-11:00", "Wed": "08:00-24:00",
              "Thu": "closed", "Fri": "closed", "Sat": "closed", "Sun": "closed"}
    for i, line in enumerate(lines):
        day = today + dt.timedelta(days=i)
        wd = WEEKDAY[day.weekday()]
        assert line == f"{day.isoformat()} {wd} {expect[wd]}", line


def test_hours_marks_exceptions(tmp_path):
    today = local_today()
    d1, d2 = today + dt.timedelta(days=1), today + dt.timedelta(days=2)
    srv = Server(tmp_path, OPEN_ALL_DAY,
                 exceptions={d1.isoformat(): "09:00-10:00", d2.isoformat(): "closed"})
    lines = hours_lines(srv.config, "--days", "4")
    assert f"{d1.isoformat()} {WEEKDAY[d1.weekday()]} 09:00-10:00 (exception)" in lines, lines
    assert f"{d2.isoformat()} {WEEKDAY[d2.weekday()]} closed (exception)" in lines, lines
    d3 = today + dt.timedelta(days=3)
    assert f"{d3.isoformat()} {WEEKDAY[d3.weekday()]} 00:00-24:00" in lines, lines


def easter(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def finnish_holidays(year):
    """(certain, possible): days every reading of 'Finnish public holidays'
    closes, and every day that may legitimately be marked a holiday."""
    e = easter(year)
    certain = {dt.date(year, 1, 1), dt.date(year, 1, 6), e - dt.timedelta(days=2),
               e + dt.timedelta(days=1), dt.date(year, 5, 1), e + dt.timedelta(days=39),
               dt.date(year, 12, 6), dt.date(year, 12, 24), dt.date(year, 12, 25),
               dt.date(year, 12, 26)}
    possible = set(certain) | {e, e + dt.timedelta(days=49)}
    for day in range(19, 26):
        d = dt.date(year, 6, day)
        if d.weekday() == 4:
            possible |= {d, d + dt.timedelta(days=1)}          # Midsummer Eve, Day
    for day in range(0, 7):
        d = dt.date(year, 10, 31) + dt.timedelta(days=day)
        if d.weekday() == 5:
            possible.add(d)                                     # All Saints' Day
    return certain, possible


def test_hours_with_fi_holidays_closes_finnish_public_holidays(tmp_path):
    srv = Server(tmp_path, OPEN_ALL_DAY, hours__holidays="FI")
    lines = hours_lines(srv.config, "--days", "366")
    assert len(lines) == 366
    by_date = {}
    for line in lines:
        m = HOURS_LINE.match(line)
        assert m, line
        by_date[dt.date.fromisoformat(m.group(1))] = line
    certain, possible = set(), set()
    for year in {d.year for d in by_date}:
        c, p = finnish_holidays(year)
        certain |= c
        possible |= p
    for d, line in sorted(by_date.items()):
        if d in certain:
            assert line.endswith(" closed (holiday)"), line
        if line.endswith("(holiday)"):
            assert d in possible, f"not a Finnish holiday: {line}"


def test_hours_without_holidays_keeps_weekday_hours_on_christmas(tmp_path):
    srv = Server(tmp_path, OPEN_ALL_DAY)
    lines = hours_lines(srv.config, "--days", "366")
    xmas = [l for l in lines if l[5:10] == "12-25"]
    assert xmas and xmas[0].endswith(" 00:00-24:00"), xmas
