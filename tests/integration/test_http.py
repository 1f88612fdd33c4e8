"""CONTRACT section 3: HTTP endpoints, RFC 3339 times with the zone's
offset, security headers on every response, Prometheus /metrics."""
import asyncio
import datetime as dt
import json

import pytest

from conftest import (CLOSED_ALL_DAY, DAYS, OPEN_ALL_DAY, RFC3339, advisor, local_now,
                      local_time, local_today, metrics, only_open_on, parse_metrics,
                      parse_rfc3339, queued, raw_upgrade, rfc3339, run, zone)

SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy")
STATUS_KEYS = ("open", "now", "closes_at", "next_open", "queue_length", "advisors_available",
               "estimated_wait_s", "timezone", "hours")


def assert_security_headers(headers, what):
    for h in SECURITY:
        assert h in headers, f"{what}: no {h} in {sorted(headers)}"
    assert headers["content-security-policy"].strip(), what
    assert headers["x-content-type-options"].strip().lower() == "nosniff", what
    assert headers["referrer-policy"].strip().lower() == "no-referrer", what


# ------------------------------------------------------------ pages

def test_root_serves_the_resident_page(shared_server):
    status, headers, body = shared_server.request("/")
    assert status == 200
    assert body == (shared_server.web / "index.html").read_bytes()
    assert headers["content-type"].startswith("text/html")


def test_advisor_path_serves_the_advisor_console(shared_server):
    status, headers, body = shared_server.request("/advisor/")
    assert status == 200
    assert body == (shared_server.web / "advisor" / "index.html").read_bytes()
    assert headers["content-type"].startswith("text/html")


def test_static_file_is_served_from_web_root(shared_server):
    status, headers, body = shared_server.request("/app.js")
    assert status == 200
    assert body == (shared_server.web / "app.js").read_bytes()


def test_unknown_path_is_404(shared_server):
    assert shared_server.request("/no/such/page.html")[0] == 404


def test_path_outside_web_root_is_not_served(shared_server):
    status, _, body = shared_server.request("/../neuvo.ini")
    assert b"allowed_origins" not in body
    status, _, body = shared_server.request("/%2e%2e/neuvo.ini")
    assert b"allowed_origins" not in body


# ------------------------------------------------------------ healthz

def test_healthz_is_200_with_status_ok(shared_server):
    status, headers, body = shared_server.request("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


# ------------------------------------------------------------ status

def test_status_has_every_contract_field_with_its_type(shared_server):
    status, headers, body = shared_server.request("/api/status")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    s = json.loads(body)
    for key in STATUS_KEYS:
        assert key in s, key
    assert isinstance(s["open"], bool)
    assert isinstance(s["queue_length"], int) and s["queue_length"] >= 0
    assert isinstance(s["advisors_available"], int) and s["advisors_available"] >= 0
    assert s["estimated_wait_s"] is None or (isinstance(s["estimated_wait_s"], int)
                                             and s["estimated_wait_s"] >= 0)
    assert s["timezone"] == "Europe/Helsinki"
    assert s["closes_at"] is None or RFC3339.match(s["closes_at"])
    assert s["next_open"] is None or RFC3339.match(s["next_open"])


def test_status_now_is_rfc3339_with_the_zone_offset(shared_server):
    s = shared_server.status()
    now = parse_rfc3339(s["now"])
    expected = local_now()
    assert now.utcoffset() == expected.utcoffset(), s["now"]
    assert abs((now - expected).total_seconds()) < 5, (s["now"], expected)


def test_status_follows_the_configured_timezone(make_server):
    srv = make_server(hours__timezone="America/New_York", advisor=False)
    s = srv.status()
    assert s["timezone"] == "America/New_York"
    now = parse_rfc3339(s["now"])
    assert now.utcoffset() == local_now("America/New_York").utcoffset(), s["now"]


def test_status_hours_map_each_weekday_to_its_ranges(make_server):
    hours = dict(CLOSED_ALL_DAY)
    hours["mon"] = "09:00-11:00"
    hours["thu"] = "09:00-11:00, 13:00-15:00"
    hours["fri"] = "08:00-24:00"
    srv = make_server(hours=hours, advisor=False)
    h = srv.status()["hours"]
    assert set(h) == set(DAYS)
    assert h["mon"] == ["09:00-11:00"]
    assert h["thu"] == ["09:00-11:00", "13:00-15:00"]
    assert h["fri"] == ["08:00-24:00"]
    assert h["sat"] == [] and h["sun"] == []


def test_status_open_gives_closes_at_at_the_end_of_todays_range(make_server):
    today = local_today()
    tomorrow = today + dt.timedelta(days=1)
    hours = dict(CLOSED_ALL_DAY)
    hours[DAYS[today.weekday()]] = "00:00-24:00"
    srv = make_server(hours=hours, advisor=False)
    s = srv.status()
    assert s["open"] is True
    assert s["closes_at"] == rfc3339(local_time(tomorrow, 0)), s


def test_status_open_gives_closes_at_later_today(make_server):
    now = local_now()
    if now.hour >= 21:
        pytest.skip("needs two more hours of today")
    end = now.hour + 2
    today = now.date()
    hours = dict(CLOSED_ALL_DAY)
    hours[DAYS[today.weekday()]] = f"00:00-{end:02d}:00"
    srv = make_server(hours=hours, advisor=False)
    s = srv.status()
    assert s["open"] is True
    assert s["closes_at"] == rfc3339(local_time(today, end)), s


def test_status_closed_gives_next_open_later_today(make_server):
    now = local_now()
    if now.hour >= 22:
        pytest.skip("needs a later hour of today")
    start = now.hour + 1
    today = now.date()
    hours = dict(CLOSED_ALL_DAY)
    hours[DAYS[today.weekday()]] = f"{start:02d}:00-24:00"
    srv = make_server(hours=hours, advisor=False)
    s = srv.status()
    assert s["open"] is False and s["closes_at"] is None
    assert s["next_open"] == rfc3339(local_time(today, start)), s


def test_status_closed_gives_next_open_and_no_closes_at(make_server):
    d = local_today() + dt.timedelta(days=2)
    srv = make_server(hours=only_open_on(d), advisor=False)
    s = srv.status()
    assert s["open"] is False
    assert s["closes_at"] is None
    assert s["next_open"] == rfc3339(local_time(d, 9)), s


def test_status_next_open_follows_an_exception(make_server):
    d = local_today() + dt.timedelta(days=3)
    srv = make_server(hours=CLOSED_ALL_DAY, exceptions={d.isoformat(): "10:30-12:00"},
                      advisor=False)
    s = srv.status()
    assert s["open"] is False
    assert s["next_open"] == rfc3339(local_time(d, 10, 30)), s


def test_status_next_open_is_null_when_closed_for_14_days(make_server):
    d = local_today() + dt.timedelta(days=20)
    srv = make_server(hours=CLOSED_ALL_DAY, exceptions={d.isoformat(): "09:00-11:00"},
                      advisor=False)
    s = srv.status()
    assert s["open"] is False
    assert s["next_open"] is None and s["closes_at"] is None


def test_status_closed_today_by_exception(make_server):
    srv = make_server(hours=OPEN_ALL_DAY, exceptions={local_today().isoformat(): "closed"},
                      advisor=False)
    s = srv.status()
    assert s["open"] is False
    assert s["next_open"] == rfc3339(local_time(local_today() + dt.timedelta(days=1), 0))


def test_status_counts_the_queue_and_available_advisors(server):
    async def go():
        assert server.status()["queue_length"] == 0
        assert server.status()["advisors_available"] == 0
        r1, _ = await queued(server)
        r2, _ = await queued(server)
        assert server.status()["queue_length"] == 2
        a = await advisor(server)
        await a.send({"type": "status", "available": True})
        await asyncio.sleep(0.4)
        s = server.status()
        assert s["advisors_available"] == 1, s
        assert s["estimated_wait_s"] is None or s["estimated_wait_s"] >= 0
        await a.send({"type": "status", "available": False})
        await asyncio.sleep(0.4)
        assert server.status()["advisors_available"] == 0
    run(go())


# ------------------------------------------------------------ headers

@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/index.html"), ("GET", "/advisor/"), ("GET", "/app.js"),
    ("GET", "/api/status"), ("GET", "/healthz"), ("GET", "/metrics"),
    ("GET", "/no/such/file"), ("GET", "/ws"), ("POST", "/api/status"), ("GET", "/advisor"),
])
def test_security_headers_on_every_response(shared_server, method, path):
    status, headers, _ = shared_server.request(path, method=method)
    assert_security_headers(headers, f"{method} {path} -> {status}")


def test_security_headers_on_a_304_not_modified(shared_server):
    status, headers, _ = shared_server.request("/")
    if "etag" not in headers:
        pytest.skip("no ETag, so no 304")
    status, headers, _ = shared_server.request("/", headers={"If-None-Match": headers["etag"]})
    assert_security_headers(headers, f"conditional GET / -> {status}")


def test_security_headers_on_a_refused_websocket_handshake(shared_server):
    status, headers = raw_upgrade(shared_server, origin="http://evil.example",
                                  protocol="neuvo.resident.v1")
    assert status == 403
    assert_security_headers(headers, "403 handshake")


def test_security_headers_on_a_handshake_refused_for_its_subprotocol(shared_server):
    status, headers = raw_upgrade(shared_server, origin=shared_server.origin,
                                  protocol="neuvo.spy.v1")
    if status is None:
        return          # closed without an HTTP answer: no response to check
    assert 400 <= status < 500, status
    assert_security_headers(headers, f"{status} handshake")


# ------------------------------------------------------------ metrics

def test_metrics_is_prometheus_text_with_counters_and_gauges_only(shared_server):
    status, headers, body = shared_server.request("/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    m = parse_metrics(body.decode("utf-8"))
    assert m, "no samples"
    assert m.types and set(m.types.values()) <= {"counter", "gauge"}, m.types
    for sample in m:
        name = sample.split("{", 1)[0]
        assert name in m.types, f"sample {name} has no # TYPE"


def test_metrics_show_the_loop_reading_everything_when_idle(shared_server):
    """The overload gauges (issue 14): utilisation in permille, and the
    backlog since nothing was left to read, which on a server with nothing
    to do is short (the request itself is read just after such a moment;
    the bound is generous for a busy machine)."""
    m = metrics(shared_server)
    for name in ("neuvo_loop_utilisation", "neuvo_loop_backlog_ms",
                 "neuvo_loop_busy_ms", "neuvo_overload_refused_total"):
        assert name in m.types, name
    assert 0 <= m["neuvo_loop_utilisation"] <= 1000
    assert m["neuvo_loop_backlog_ms"] < 10000, m["neuvo_loop_backlog_ms"]


# ------------------------------------------------------------ TLS



def test_https_responses_carry_strict_transport_security(make_server, tls_files):
    srv = make_server(tls=tls_files, advisor=False)
    for path in ("/", "/healthz", "/no/such/file"):
        status, headers, _ = srv.request(path)
        assert_security_headers(headers, f"https {path}")
        assert "strict-transport-security" in headers, f"https {path}: {sorted(headers)}"


def test_wss_chat_works_with_tls(make_server, tls_files):
    srv = make_server(tls=tls_files, advisor=False)

    async def go():
        r, q = await queued(srv)
        assert q["position"] == 1
    run(go())
