"""CONTRACT section 9, "Closed? Leave a question.": the offer after
`closed`, one question per connection, the pickup code, pickup at any hour
and without hello, the advisors' list and answer, the answer's one email
through a real SMTP server (the address gone from the database, its WAL and
the log after the hand-over), the wrong-code throttle, questions = no,
expiry, the figures, and GET /accessibility.
"""
import asyncio
import email
import email.policy
import json
import shutil
import signal
import sqlite3
import time

import pytest

from conftest import (CLOSED_ALL_DAY, OPEN_ALL_DAY, ROOT, admin, advisor, check_config,
                      local_today, metrics, parse_rfc3339, queued, resident, run)
from test_email import assert_address_gone, smtp_over, smtpd, wait_metrics  # noqa: F401

ALPHABET = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
ADDR = "kysyja.vastaus@example.org"
HETU = "131052-308T"


async def closed_resident(srv):
    """A resident told `closed` with the offer of a question."""
    r = await resident(srv, {"lang": "fi"})
    c = await r.recv_type("closed")
    assert c.get("questions") is True, c
    return r


async def ask(srv, text="Saako toimeentulotukea vuokraan?", **fields):
    """A question left after `closed`: (client, pickup code)."""
    r = await closed_resident(srv)
    await r.send({"type": "question", "text": text, **fields})
    saved = await r.recv_type("question_saved")
    code = saved["code"]
    assert len(code) == 12 and set(code) <= ALPHABET, code
    return r, code


async def pickup(srv, code):
    """A new connection whose first frame is `pickup`; the answer frame or
    the error."""
    p = await resident(srv)
    await p.send({"type": "pickup", "code": code})
    return await p.recv_where(lambda m: m.get("type") in ("answer", "error"), "pickup answer")


async def open_questions(adv):
    await adv.send({"type": "questions"})
    return (await adv.recv_type("questions"))["questions"]


def grouped(code):
    """The code as a resident might type it back."""
    return f"{code[:4]}-{code[4:8]} {code[8:]}".lower()


def wait_until(pred, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def address_gone_eventually(srv, addr):
    """The WAL is checkpointed once no reader holds it: poll for it."""
    deadline = time.monotonic() + 15
    while True:
        try:
            assert_address_gone(srv, addr)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ----------------------------------------------------------- the whole flow

def test_question_answer_email_and_pickup_end_to_end(make_server, smtpd):
    sink, ctl = smtpd()
    srv = make_server(hours=CLOSED_ALL_DAY, **smtp_over(ctl))
    text = f"Hetuni on {HETU}. Saanko tukea vuokraan?"

    async def go():
        r, code = await ask(srv, text, lang="sv", email=ADDR)
        # picked up at once, before any answer: no hello needed
        ans = await pickup(srv, grouped(code))
        assert ans == {"type": "answer", "question": "Hetuni on [hetu]. Saanko tukea vuokraan?",
                       "answer": None, "at": None}, ans
        adv = await advisor(srv)
        qs = await open_questions(adv)
        assert len(qs) == 1, qs
        q = qs[0]
        assert q["text"] == "Hetuni on [hetu]. Saanko tukea vuokraan?"
        assert q["lang"] == "sv" and q["age_s"] >= 0
        parse_rfc3339(q["asked"])
        assert metrics(srv)["neuvo_questions_open"] == 1
        await adv.send({"type": "answer", "question": q["id"],
                        "text": "Kyllä. Soita 040 123 4567 tai tule käymään."})
        await adv.recv_type("answered", question=q["id"])
        pushed = await adv.recv_type("questions")
        assert pushed["questions"] == [], pushed
        await adv.send({"type": "answer", "question": q["id"], "text": "uudestaan"})
        await adv.error("not_allowed")
        await adv.send({"type": "answer", "question": q["id"] + 1000, "text": "x"})
        await adv.error("unknown_question")
        ans = await pickup(srv, code)
        assert ans["answer"] == "Kyllä. Soita [phone] tai tule käymään.", ans
        parse_rfc3339(ans["at"])
    run(go())

    raw, meta = sink.wait_message()
    assert meta["rcpt_tos"] == [ADDR], meta
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert "svara inte" in str(msg["Subject"]), msg["Subject"]
    body = msg.get_content()
    assert "Din fråga:" in body and "Hetuni on [hetu]." in body, body
    assert "Soita [phone]" in body and HETU not in body, body
    wait_metrics(srv, lambda m: m["neuvo_email_sent_total"] == 1, "the answer sent")
    assert len(sink.messages()) == 1
    address_gone_eventually(srv, ADDR)
    assert metrics(srv)["neuvo_questions_open"] == 0


def test_pickup_works_while_open_too(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def go():
        _, code = await ask(srv)
        srv.write_config(OPEN_ALL_DAY)
        srv.signal(signal.SIGHUP)
        for _ in range(200):
            if srv.status()["open"]:
                break
            await asyncio.sleep(0.05)
        assert srv.status()["open"]
        # after a hello and queued, on the same connection
        r, _ = await queued(srv)
        await r.send({"type": "pickup", "code": code})
        ans = await r.recv_type("answer")
        assert ans["answer"] is None and ans["at"] is None
        # a question while open is not allowed
        await r.send({"type": "question", "text": "Hei"})
        await r.error("not_allowed")
    run(go())


def test_one_question_per_connection_and_the_fields_checked(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, chat__max_message_chars="50")

    async def go():
        fresh = await resident(srv)
        await fresh.send({"type": "question", "text": "ennen hello-viestiä"})
        await fresh.error("not_allowed")
        r = await closed_resident(srv)
        await r.send({"type": "question", "text": "x" * 51})
        await r.error("too_long")
        await r.send({"type": "question", "text": "   "})
        await r.error("bad_field")
        await r.send({"type": "question", "text": "Hei", "email": "ei osoite"})
        await r.error("invalid_email")
        # no mail server configured
        await r.send({"type": "question", "text": "Hei", "email": ADDR})
        await r.error("email_unavailable")
        await r.send({"type": "question", "text": "Hei", "lang": "sv"})
        await r.recv_type("question_saved")
        await r.send({"type": "question", "text": "Toinen"})
        await r.error("not_allowed")
        assert metrics(srv)["neuvo_questions_open"] == 1
    run(go())


def test_questions_per_address_are_capped(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, limits__questions_per_address_per_hour="2")

    async def go():
        await ask(srv)
        await ask(srv)
        r = await closed_resident(srv)
        await r.send({"type": "question", "text": "Kolmas"})
        await r.error("rate_limited")
    run(go())


def test_ten_wrong_codes_an_hour_get_rate_limited(make_server):
    # the defaults: 10 wrong codes from one address in an hour
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def go():
        _, code = await ask(srv)
        p = await resident(srv)
        wrong = "ABCD-EFGH-JKMN" if code != "ABCDEFGHJKMN" else "NMKJ-HGFE-DCBA"
        for i in range(10):
            await p.send({"type": "pickup", "code": wrong if i % 2 else "not a code"})
            await p.error("not_allowed")
        # the right code too, from this address, for the rest of the hour
        await p.send({"type": "pickup", "code": code})
        await p.error("rate_limited")
        other = await pickup(srv, code)
        assert other["type"] == "error" and other["code"] == "rate_limited", other
    run(go())


def test_questions_no_closes_as_before(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, chat__questions="no")

    async def go():
        assert srv.status()["questions"] is False
        r = await resident(srv, {})
        c = await r.recv_type("closed")
        assert "questions" not in c, c
        assert await r.close_code() == 1000
        p = await resident(srv)
        await p.send({"type": "question", "text": "Hei"})
        await p.error("not_allowed")
    run(go())


def test_questions_expire_with_their_answer(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, chat__question_days="2")
    codes = {}

    async def go():
        _, codes["old"] = await ask(srv, f"Vanha kysymys {HETU}")
        _, codes["new"] = await ask(srv, "Uusi kysymys")
        adv = await advisor(srv)
        qs = await open_questions(adv)
        old = [q for q in qs if q["text"].startswith("Vanha")][0]
        await adv.send({"type": "answer", "question": old["id"], "text": "Vanha vastaus"})
        await adv.recv_type("answered")
    run(go())
    assert srv.stop() == 0
    # three days pass for the first question
    with sqlite3.connect(srv.db) as db:
        db.execute("UPDATE questions SET asked_at = asked_at - 3 * 86400 "
                   "WHERE text LIKE 'Vanha%'")
    srv.start()
    wait_until(lambda: sqlite3.connect(srv.db).execute(
        "SELECT count(*) FROM questions").fetchone()[0] == 1, "the old question deleted")

    async def after():
        gone = await pickup(srv, codes["old"])
        assert gone["type"] == "error" and gone["code"] == "not_allowed", gone
        kept = await pickup(srv, codes["new"])
        assert kept["type"] == "answer" and kept["question"] == "Uusi kysymys", kept
    run(after())
    assert metrics(srv)["neuvo_questions_open"] == 1
    assert srv.stop() == 0
    for f in srv.db_files():
        data = f.read_bytes()
        assert b"Vanha vastaus" not in data and b"Vanha kysymys" not in data, f.name


def test_admin_purge_deletes_expired_questions_too(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, chat__question_days="2")

    async def go():
        await ask(srv, "Vanha kysymys ilman vastausta")
        await ask(srv, "Tuore kysymys")
    run(go())
    assert srv.stop() == 0
    with sqlite3.connect(srv.db) as db:
        db.execute("UPDATE questions SET asked_at = asked_at - 3 * 86400 "
                   "WHERE text LIKE 'Vanha%'")
    r = admin(srv.config, "purge")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "deleted 1 questions older than 2 days", r.stdout
    with sqlite3.connect(srv.db) as db:
        left = [t for (t,) in db.execute("SELECT text FROM questions")]
    assert left == ["Tuore kysymys"], left
    again = admin(srv.config, "purge")
    assert "questions" not in again.stdout, again.stdout


def test_the_code_is_stored_only_as_a_digest(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY)
    got = {}

    async def go():
        _, got["code"] = await ask(srv, f"Hetu {HETU} ja puhelin 040 123 4567")
    run(go())
    assert srv.stop() == 0
    code = got["code"]
    for f in srv.db_files() + [srv.log, srv.out]:
        data = f.read_bytes()
        for needle in (code, grouped(code), code.lower()):
            assert needle.encode() not in data, f"code in {f.name}"
        for needle in (HETU, "040 123 4567", "0401234567"):
            assert needle.encode() not in data, f"{needle} in {f.name}"


def test_advisors_get_the_list_pushed_once_they_asked(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def go():
        adv = await advisor(srv)
        assert await open_questions(adv) == []
        await ask(srv, "Uusi")
        pushed = await adv.recv_type("questions")
        assert [q["text"] for q in pushed["questions"]] == ["Uusi"], pushed
        res = await resident(srv)
        await res.send({"type": "questions"})
        await res.error("bad_type")
        await res.send({"type": "answer", "question": 1, "text": "x"})
        await res.error("bad_type")
    run(go())


# ---------------------------------------------------------------- figures

def test_stats_and_report_count_questions_and_answers(make_server, tmp_path):
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def go():
        await ask(srv)
        await ask(srv, "Toinen")
        adv = await advisor(srv)
        qs = await open_questions(adv)
        await adv.send({"type": "answer", "question": qs[0]["id"], "text": "Vastaus"})
        await adv.recv_type("answered")
    run(go())
    today = local_today().isoformat()
    r = admin(srv.config, "stats", "--from", today, "--to", today, "--format", "json")
    assert r.returncode == 0, r.stderr
    day = json.loads(r.stdout)[0]
    assert day["questions"] == 2 and day["answered"] == 1, day
    assert isinstance(day["answer_p50_s"], int) and day["answer_p50_s"] >= 0, day
    assert day["told_may_not_be_served"] == 0, day
    r = admin(srv.config, "stats", "--from", today, "--to", today, "--format", "csv")
    assert r.returncode == 0, r.stderr
    head, row = r.stdout.splitlines()[:2]
    assert head.endswith(",blocked,urgent,questions,answered,answer_p50_s,"
                         "told_may_not_be_served"), head
    assert row.split(",")[-4:-2] == ["2", "1"], row
    shutil.copytree(ROOT / "client-web" / "i18n", srv.web / "i18n", dirs_exist_ok=True)
    for lang, title in (("fi", "Kysymykset suljettuna"), ("sv", "Frågor när chatten är stängd"),
                        ("en", "Questions while closed")):
        out = tmp_path / f"report-{lang}.html"
        r = admin(srv.config, "report", "--from", today, "--to", today, "--out", str(out),
                  "--lang", lang)
        assert r.returncode == 0, r.stderr
        assert title in out.read_text(), lang


# ------------------------------------------------------------- config

def test_exit_url_must_be_an_absolute_http_url(make_server):
    srv = make_server(start=False, chat__exit_url="javascript:alert(1)")
    r = check_config(srv.config)
    assert r.returncode != 0
    assert "neuvo.ini:" in r.stderr and "exit_url" in r.stderr, r.stderr
    for bad in ("/relative", "https://", "ftp://example.fi/", "https://a b.fi/"):
        srv.write_config(chat__exit_url=bad)
        assert check_config(srv.config).returncode != 0, bad
    srv.write_config(chat__exit_url="https://yle.fi/", chat__question_days="366")
    r = check_config(srv.config)
    assert r.returncode != 0 and "question_days" in r.stderr, r.stderr


def test_status_tells_the_page_exit_url_other_help_and_questions(make_server):
    srv = make_server(chat__exit_url="https://yle.fi/uutiset",
                      chat__other_help="Kriisipuhelin 09 2525 0111, hätätilanteessa 112")
    s = srv.status()
    assert s["exit_url"] == "https://yle.fi/uutiset"
    assert s["other_help"] == "Kriisipuhelin 09 2525 0111, hätätilanteessa 112"
    assert s["questions"] is True
    plain = make_server().status()
    assert plain["exit_url"] == "https://www.google.com/"
    assert plain["other_help"] is None


# ---------------------------------------------------------- /accessibility

@pytest.mark.parametrize("query,accept,lang", [
    ("", None, "fi"),
    ("?lang=sv", None, "sv"),
    ("?lang=en", "fi", "en"),
    ("", "en-GB,en;q=0.9", "en"),
    ("", "de-DE, sv;q=0.8, fi;q=0.5", "sv"),
    ("?lang=de", "sv-FI", "sv"),
])
def test_accessibility_statement_in_three_languages(make_server, query, accept, lang):
    srv = make_server()
    shutil.copytree(ROOT / "client-web" / "accessibility", srv.web / "accessibility")
    headers = {"Accept-Language": accept} if accept else None
    status, head, body = srv.request("/accessibility" + query, headers=headers)
    assert status == 200
    h = head
    assert h["content-type"].startswith("text/html")
    assert "content-security-policy" in h and "script-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    text = body.decode()
    assert f'<html lang="{lang}">' in text
    assert "/css/base.css" in text and "<script" not in text and "style=" not in text
    assert "saavutettavuusvaatimukset.fi" in text and "axe-core" in text and "360" in text


def test_accessibility_without_the_files_is_404(make_server):
    srv = make_server()
    status, _, _ = srv.request("/accessibility")
    assert status == 404
