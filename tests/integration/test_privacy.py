"""CONTRACT section 5: resident text is redacted before it is stored,
relayed or echoed; the database (and its WAL), the log and /metrics hold no
personal data, no resident token, no IP address, no user agent and no email
address given for a copy. The same for what the desk keeps (section 8): a
supervisor's whisper and a transfer's note are redacted before they are
stored or shown."""
import asyncio

import pytest

from conftest import ADVISOR_PASSWORD, CLOSED_ALL_DAY, Server, admin, advisor, queued, resident, run

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def hetu(ddmmyy, sign, nnn):
    """A checksum-valid Finnish personal identity code."""
    return f"{ddmmyy}{sign}{nnn}{CHECK_CHARS[int(ddmmyy + nnn) % 31]}"


HETU = "131052-308T"
PHONE = "040 123 4567"
EMAIL = "test.person@example.com"
IBAN = "FI21 1234 5600 0007 85"
COPY_TO = "kopio.osoite@example.org"
CLIENT_IP = "127.0.0.5"     # the clients' own address: loopback, but not the server's
FROM_CLIENT_IP = {"local_addr": (CLIENT_IP, 0)}

# every form in which the data could land on disk
FORBIDDEN = {
    "identity code": ["131052-308T", "131052308T", "131052-308"],
    "phone": ["040 123 4567", "0401234567", "040-123", "123 4567", "1234567"],
    "email": ["test.person@example.com", "test.person", "person@example"],
    "iban": ["FI21 1234 5600 0007 85", "FI2112345600000785", "1234 5600 0007 85",
             "12345600000785"],
    "email for a copy": [COPY_TO, "kopio.osoite"],
}

QUEUED_TEXT = f"Hetuni on {HETU} ja puhelin {PHONE}."
QUEUED_REDACTED = "Hetuni on [hetu] ja puhelin [phone]."
CHAT_TEXT = f"Sähköposti {EMAIL} ja tili {IBAN} kiitos"
CHAT_REDACTED = "Sähköposti [email] ja tili [iban] kiitos"
WHISPER_TEXT = f"Tarkista hetu {HETU} ja {EMAIL}"
WHISPER_REDACTED = "Tarkista hetu [hetu] ja [email]"
NOTE_TEXT = f"Soita {PHONE}, tili {IBAN}"
NOTE_REDACTED = "Soita [phone], tili [iban]"


def find(haystack, needles):
    low = haystack.lower()
    return [n for n in needles if n.lower().encode() in low]


@pytest.fixture(scope="module")
def pii_chat(tmp_path_factory, advisor_db):
    """One whole chat in which the resident types personal data; then the
    files are read while the server runs and again after SIGTERM."""
    srv = Server(tmp_path_factory.mktemp("privacy"), template_db=advisor_db)
    added = admin(srv.config, "advisor", "add", "sini", "--name", "Sini Valvoja", "--role",
                  "supervisor", stdin=ADVISOR_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    srv.start()
    rec = {"server": srv}

    async def chat():
        a = await advisor(srv, **FROM_CLIENT_IP)
        r, q = await queued(srv, conn=FROM_CLIENT_IP, topic="income_support")
        rec["token"] = q["token"]
        await r.send({"type": "msg", "text": QUEUED_TEXT, "cid": "q1"})
        rec["queued_echo"] = await r.recv_type("msg")
        await a.send({"type": "take", "chat": q["chat"]})
        rec["history"] = (await a.recv_type("chat"))["history"]
        await r.recv_type("assigned")
        await r.send({"type": "msg", "text": CHAT_TEXT, "cid": "c1"})
        rec["chat_echo"] = await r.recv_type("msg")
        rec["relayed"] = await a.recv_type("msg", chat=q["chat"])
        await r.send({"type": "email", "to": COPY_TO})
        rec["email_answer"] = await r.recv_where(
            lambda m: m.get("type") in ("email_queued", "error"), "email answer")
        await a.send({"type": "msg", "chat": q["chat"], "text": "Kiitos, katsotaan asiaa."})
        await r.recv_type("msg", text="Kiitos, katsotaan asiaa.")
        await a.send({"type": "tag", "chat": q["chat"], "topics": ["income_support"],
                      "outcome": "answered"})
        s = await advisor(srv, user="sini", **FROM_CLIENT_IP)
        await s.send({"type": "watch", "chat": q["chat"]})
        await s.recv_type("chat", chat=q["chat"])
        await s.send({"type": "whisper", "chat": q["chat"], "text": WHISPER_TEXT})
        rec["whisper"] = await a.recv_type("whisper", chat=q["chat"])
        await a.send({"type": "transfer", "chat": q["chat"], "to": "sini",
                      "note": NOTE_TEXT})
        rec["transferred"] = await s.recv_type("chat", chat=q["chat"], transferred=True)
        await r.recv_type("assigned")
        await r.send({"type": "end"})
        await r.recv_type("ended")
        await s.recv_type("ended", chat=q["chat"])
        await r.send({"type": "feedback", "rating": 5})
        await r.recv_type("thanks")
        await asyncio.sleep(0.5)        # past the turn's commit
        rec["advisor_frames"] = list(a.frames) + list(s.frames)
        rec["resident_frames"] = list(r.frames)

    try:
        run(chat())
        srv.request("/", source=CLIENT_IP)
        srv.request("/api/status", source=CLIENT_IP)
        rec["metrics"] = srv.request("/metrics", source=CLIENT_IP)[2]
        rec["running"] = {p.name: p.read_bytes() for p in srv.db_files()}
        rec["log_running"] = srv.log.read_bytes() + srv.out.read_bytes()
    finally:
        rec["rc"] = srv.stop()
    rec["stopped"] = {p.name: p.read_bytes() for p in srv.db_files()}
    rec["log"] = srv.log.read_bytes() + srv.out.read_bytes()
    return rec


# ------------------------------------------------------------ the chat

def test_data_written_while_queued_is_redacted_in_the_echo(pii_chat):
    echo = pii_chat["queued_echo"]
    assert echo["text"] == QUEUED_REDACTED, echo
    assert echo["redacted"] is True
    assert echo.get("cid") == "q1"


def test_history_given_to_the_advisor_on_take_is_redacted(pii_chat):
    texts = [(m["text"], m["redacted"]) for m in pii_chat["history"]]
    assert texts == [(QUEUED_REDACTED, True)], texts


def test_data_written_while_chatting_is_redacted_in_echo_and_relay(pii_chat):
    for m in (pii_chat["chat_echo"], pii_chat["relayed"]):
        assert m["text"] == CHAT_REDACTED, m
        assert m["redacted"] is True, m


def test_nothing_sent_to_the_advisor_holds_the_personal_data(pii_chat):
    import json
    seen = json.dumps(pii_chat["advisor_frames"], ensure_ascii=False).encode()
    for kind, needles in FORBIDDEN.items():
        assert not find(seen, needles), (kind, find(seen, needles))


def test_a_whisper_is_redacted_before_anyone_sees_it(pii_chat):
    w = pii_chat["whisper"]
    assert w["text"] == WHISPER_REDACTED and w["redacted"] is True, w


def test_a_transfer_note_is_redacted_before_anyone_sees_it(pii_chat):
    c = pii_chat["transferred"]
    assert c["note"] == NOTE_REDACTED and c["note_redacted"] is True, c


def test_the_resident_sees_nothing_of_whisper_or_note(pii_chat):
    import json
    seen = json.dumps(pii_chat["resident_frames"], ensure_ascii=False)
    assert "Tarkista" not in seen and "Soita" not in seen and "whisper" not in seen


def test_email_copy_without_smtp_is_email_unavailable(pii_chat):
    ans = pii_chat["email_answer"]
    assert ans.get("code") == "email_unavailable", ans


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_database_and_wal_hold_no_personal_data_while_running(pii_chat, kind):
    files = pii_chat["running"]
    assert "neuvo.db" in files and files["neuvo.db"], "no database file"
    for name, data in files.items():
        hits = find(data, FORBIDDEN[kind])
        assert not hits, f"{kind} in {name}: {hits}"


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_database_holds_no_personal_data_after_shutdown(pii_chat, kind):
    for name, data in pii_chat["stopped"].items():
        hits = find(data, FORBIDDEN[kind])
        assert not hits, f"{kind} in {name}: {hits}"


def test_database_and_wal_hold_no_resident_token(pii_chat):
    token = pii_chat["token"].encode()
    for snap in ("running", "stopped"):
        for name, data in pii_chat[snap].items():
            assert token not in data, f"resident token in {name} ({snap})"


def test_database_and_wal_hold_no_ip_address(pii_chat):
    for snap in ("running", "stopped"):
        for name, data in pii_chat[snap].items():
            for ip in (b"127.0.0.1", CLIENT_IP.encode()):
                assert ip not in data, f"IP address {ip} in {name} ({snap})"


def test_server_log_holds_no_client_ip_address(pii_chat):
    assert CLIENT_IP.encode() not in pii_chat["log"]


def test_database_and_wal_hold_no_user_agent(pii_chat):
    for snap in ("running", "stopped"):
        for name, data in pii_chat[snap].items():
            assert b"websockets/" not in data and b"Python/3" not in data, \
                f"user agent in {name} ({snap})"


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_server_log_holds_no_personal_data(pii_chat, kind):
    hits = find(pii_chat["log"], FORBIDDEN[kind])
    assert not hits, f"{kind} in the log: {hits}"


def test_server_log_holds_no_resident_token_or_user_agent(pii_chat):
    log = pii_chat["log"]
    assert pii_chat["token"].encode() not in log
    assert b"websockets/" not in log and b"Python/3" not in log


def test_database_and_log_hold_no_advisor_password_in_clear(pii_chat):
    pw = ADVISOR_PASSWORD.encode()
    assert pw not in pii_chat["log"]
    for snap in ("running", "stopped"):
        for name, data in pii_chat[snap].items():
            assert pw not in data, f"advisor password in {name} ({snap})"


def test_metrics_hold_no_personal_data_token_or_ip(pii_chat):
    m = pii_chat["metrics"]
    for kind, needles in FORBIDDEN.items():
        assert not find(m, needles), kind
    assert pii_chat["token"].encode() not in m
    assert b"127.0.0.1" not in m and CLIENT_IP.encode() not in m


def test_server_exits_0_after_the_chat(pii_chat):
    assert pii_chat["rc"] == 0


# ------------------------------------------------------------ forms

async def echo_of(srv, text):
    r, q = await queued(srv)
    await r.send({"type": "msg", "text": text})
    m = await r.recv_type("msg")
    await r.send({"type": "end"})
    return m


SIGNS = ["+", "-", "Y", "X", "W", "V", "U", "A", "B", "C", "D", "E", "F"]


@pytest.mark.parametrize("sign", SIGNS)
def test_identity_code_with_each_century_sign_is_redacted(shared_server, sign):
    code = hetu("010203", sign, "456")
    m = run(echo_of(shared_server, f"tunnus {code} tässä"))
    assert m["text"] == "tunnus [hetu] tässä", (code, m)
    assert m["redacted"] is True


@pytest.mark.parametrize("phone", ["040 123 4567", "0401234567", "040-123 4567",
                                   "+358 40 123 4567", "+358401234567", "+358 9 310 1691",
                                   "09 310 1691"])
def test_phone_number_forms_are_redacted(shared_server, phone):
    m = run(echo_of(shared_server, f"soita {phone} kiitos"))
    assert m["text"] == "soita [phone] kiitos", (phone, m)
    assert m["redacted"] is True


@pytest.mark.parametrize("addr", ["test.person@example.com", "maija+neuvo@esimerkki.fi",
                                  "M.Meikalainen@Sub.Example.ORG"])
def test_email_addresses_are_redacted(shared_server, addr):
    m = run(echo_of(shared_server, f"osoite {addr} kiitos"))
    assert m["text"] == "osoite [email] kiitos", (addr, m)
    assert m["redacted"] is True


@pytest.mark.parametrize("iban", ["FI21 1234 5600 0007 85", "FI2112345600000785"])
def test_iban_with_and_without_spaces_is_redacted(shared_server, iban):
    m = run(echo_of(shared_server, f"tili {iban} kiitos"))
    assert m["text"] == "tili [iban] kiitos", (iban, m)
    assert m["redacted"] is True


def test_text_without_personal_data_is_not_redacted(shared_server):
    text = "Hei! Asumistuki haettiin 3.10., vuokra on 650 euroa kuussa."
    m = run(echo_of(shared_server, text))
    assert m["text"] == text
    assert m["redacted"] is False


# ------------------------------------- questions left while closed (section 9)

@pytest.fixture(scope="module")
def pii_question(tmp_path_factory, advisor_db):
    """A question with personal data left while closed, answered by an
    advisor with personal data too, and picked up; the files are read
    while the server runs and after SIGTERM."""
    srv = Server(tmp_path_factory.mktemp("privacy_q"), template_db=advisor_db,
                 hours=CLOSED_ALL_DAY)
    srv.start()
    rec = {"server": srv}

    async def flow():
        r = await resident(srv, {}, **FROM_CLIENT_IP)
        assert (await r.recv_type("closed"))["questions"] is True
        await r.send({"type": "question", "text": f"{QUEUED_TEXT} {CHAT_TEXT}"})
        rec["code"] = (await r.recv_type("question_saved"))["code"]
        a = await advisor(srv, **FROM_CLIENT_IP)
        await a.send({"type": "questions"})
        rec["listed"] = (await a.recv_type("questions"))["questions"]
        await a.send({"type": "answer", "question": rec["listed"][0]["id"],
                      "text": f"Vastaus: {HETU}, {PHONE}"})
        await a.recv_type("answered")
        p = await resident(srv, **FROM_CLIENT_IP)
        await p.send({"type": "pickup", "code": rec["code"]})
        rec["picked"] = await p.recv_type("answer")
        await asyncio.sleep(0.5)        # past the turn's commit

    try:
        run(flow())
        rec["running"] = {f.name: f.read_bytes() for f in srv.db_files()}
    finally:
        rec["rc"] = srv.stop()
    rec["stopped"] = {f.name: f.read_bytes() for f in srv.db_files()}
    rec["log"] = srv.log.read_bytes() + srv.out.read_bytes()
    return rec


def test_questions_and_answers_are_redacted_where_shown(pii_question):
    assert pii_question["listed"][0]["text"] == f"{QUEUED_REDACTED} {CHAT_REDACTED}"
    picked = pii_question["picked"]
    assert picked["question"] == f"{QUEUED_REDACTED} {CHAT_REDACTED}", picked
    assert picked["answer"] == "Vastaus: [hetu], [phone]", picked


@pytest.mark.parametrize("snap", ["running", "stopped"])
@pytest.mark.parametrize("kind", sorted(k for k in FORBIDDEN if k != "email for a copy"))
def test_questions_answers_and_codes_hold_no_personal_data(pii_question, kind, snap):
    files = pii_question[snap]
    assert "neuvo.db" in files
    for name, data in files.items():
        hits = find(data, FORBIDDEN[kind])
        assert not hits, f"{kind} in {name} ({snap}): {hits}"
    hits = find(pii_question["log"], FORBIDDEN[kind])
    assert not hits, f"{kind} in the log: {hits}"


@pytest.mark.parametrize("snap", ["running", "stopped"])
def test_the_pickup_code_is_kept_only_as_a_digest(pii_question, snap):
    code = pii_question["code"]
    for name, data in pii_question[snap].items():
        assert not find(data, [code]), f"pickup code in {name} ({snap})"
        for ip in (b"127.0.0.1", CLIENT_IP.encode()):
            assert ip not in data, f"IP address in {name} ({snap})"
    assert code.encode() not in pii_question["log"]
    assert pii_question["rc"] == 0
