"""CONTRACT section 4, resident protocol (neuvo.resident.v1): hello and its
three answers, MSG, typing, end, email, feedback, and the pushes (position,
assigned, MSG, typing, ended)."""
import asyncio
import datetime as dt

import pytest

from conftest import (ADVISOR_NAME, CLOSED_ALL_DAY, advisor, chatting, local_now, local_time,
                      local_today, only_open_on, parse_rfc3339, queued, resident, rfc3339,
                      run, taken)


def assert_wait(value):
    assert value is None or (isinstance(value, int) and not isinstance(value, bool)
                             and value >= 0), value


def assert_msg(m, frm, text):
    """A MSG of CONTRACT section 4."""
    assert m["type"] == "msg"
    assert isinstance(m["id"], int) and not isinstance(m["id"], bool), m
    assert m["from"] == frm, m
    assert m["text"] == text, m
    assert isinstance(m["redacted"], bool), m
    at = parse_rfc3339(m["at"])
    assert at.utcoffset() == local_now().utcoffset(), m["at"]
    assert abs((at - local_now()).total_seconds()) < 10, m["at"]


# ------------------------------------------------------------------ hello

def test_hello_answers_queued_with_chat_token_position_1_and_estimate(server):
    async def go():
        r = await resident(server, {"lang": "sv", "topic": "housing"})
        q = await r.recv_type("queued")
        assert isinstance(q["chat"], int) and not isinstance(q["chat"], bool)
        assert isinstance(q["token"], str) and len(q["token"]) >= 16
        assert q["position"] == 1
        assert "estimated_wait_s" in q
        assert_wait(q["estimated_wait_s"])
    run(go())


def test_hello_without_fields_is_queued(server):
    async def go():
        r = await resident(server, {})
        q = await r.recv_type("queued")
        assert q["position"] == 1
    run(go())


def test_each_resident_gets_its_own_chat_and_token(server):
    async def go():
        r1, q1 = await queued(server)
        r2, q2 = await queued(server)
        assert q1["chat"] != q2["chat"]
        assert q1["token"] != q2["token"]
    run(go())


def test_second_resident_is_at_position_2(server):
    async def go():
        r1, q1 = await queued(server)
        r2, q2 = await queued(server)
        assert (q1["position"], q2["position"]) == (1, 2)
        assert_wait(q2["estimated_wait_s"])
    run(go())


def test_hello_lang_and_topic_reach_the_advisor(server):
    async def go():
        r, q = await queued(server, lang="sv", topic="housing")
        a = await advisor(server)
        chat = await taken(server, a, r)
        assert chat["lang"] == "sv" and chat["topic"] == "housing"
    run(go())


def test_hello_without_lang_uses_default_language_and_topic_null(server):
    async def go():
        r, q = await queued(server)
        a = await advisor(server)
        chat = await taken(server, a, r)
        assert chat["lang"] == "fi"
        assert chat["topic"] is None
    run(go())


def test_second_hello_on_the_same_connection_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "hello"})
        await r.error("not_allowed")
        assert server.status()["queue_length"] == 1
    run(go())


def test_hello_when_closed_answers_closed_with_next_open_then_close_1000(make_server):
    # [chat] questions = no: closed, then close 1000 (CONTRACT section 4)
    d = local_today() + dt.timedelta(days=2)
    srv = make_server(hours=only_open_on(d), advisor=False, chat__questions="no")

    async def go():
        r = await resident(srv, {"lang": "en"})
        c = await r.recv_type("closed")
        assert c == {"type": "closed", "next_open": rfc3339(local_time(d, 9))}, c
        assert await r.close_code() == 1000
        assert not r.unread("queued")
    run(go())


def test_hello_when_closed_offers_a_question_and_stays_open(make_server):
    # questions = yes, the default (CONTRACT section 9)
    d = local_today() + dt.timedelta(days=2)
    srv = make_server(hours=only_open_on(d), advisor=False)

    async def go():
        r = await resident(srv, {"lang": "en"})
        c = await r.recv_type("closed")
        assert c == {"type": "closed", "next_open": rfc3339(local_time(d, 9)),
                     "questions": True}, c
        await asyncio.sleep(0.5)
        assert not r.closed
        await r.send({"type": "ping"})
        await r.recv_type("pong")
    run(go())


def test_hello_when_closed_for_the_next_14_days_answers_next_open_null(make_server):
    srv = make_server(hours=CLOSED_ALL_DAY, advisor=False, chat__questions="no")

    async def go():
        r = await resident(srv, {})
        c = await r.recv_type("closed")
        assert "next_open" in c and c["next_open"] is None
        assert await r.close_code() == 1000
    run(go())


def test_hello_when_queue_is_full_answers_queue_full_then_close_1000(make_server):
    srv = make_server(queue__max_length=2, advisor=False)

    async def go():
        await queued(srv)
        await queued(srv)
        r = await resident(srv, {})
        await r.recv_type("queue_full")
        assert await r.close_code() == 1000
        assert srv.status()["queue_length"] == 2
    run(go())


def test_queue_has_room_again_after_a_resident_leaves(make_server):
    srv = make_server(queue__max_length=1, advisor=False)

    async def go():
        r1, _ = await queued(srv)
        await r1.send({"type": "end"})
        await r1.recv_type("ended")
        r2, q2 = await queued(srv)
        assert q2["position"] == 1
    run(go())


# ------------------------------------------------------------------ msg

def test_msg_is_echoed_to_the_sender_as_a_full_msg_with_cid(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "msg", "text": "Hei, kysyisin asumistuesta", "cid": "c-1"})
        echo = await r.recv_type("msg")
        assert_msg(echo, "resident", "Hei, kysyisin asumistuesta")
        assert echo["cid"] == "c-1"
        assert echo["redacted"] is False
    run(go())


def test_msg_time_carries_the_configured_zones_offset(make_server):
    srv = make_server(hours__timezone="America/New_York", advisor=False)

    async def go():
        r, q = await queued(srv)
        await r.send({"type": "msg", "text": "what time is it?"})
        at = parse_rfc3339((await r.recv_type("msg"))["at"])
        assert at.utcoffset() == local_now("America/New_York").utcoffset(), at
    run(go())


def test_msg_without_cid_is_echoed_without_one(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "msg", "text": "ilman tunnistetta"})
        echo = await r.recv_type("msg")
        assert_msg(echo, "resident", "ilman tunnistetta")
        assert echo.get("cid") is None
    run(go())


def test_msg_ids_rise_within_a_chat(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "msg", "text": "yksi"})
        m1 = await r.recv_type("msg", text="yksi")
        a = await advisor(server)
        await taken(server, a, r)
        await a.send({"type": "msg", "chat": r.chat, "text": "kaksi"})
        m2 = await r.recv_type("msg", text="kaksi")
        await r.send({"type": "msg", "text": "kolme"})
        m3 = await r.recv_type("msg", text="kolme")
        assert m1["id"] < m2["id"] < m3["id"], (m1, m2, m3)
    run(go())


def test_messages_written_while_queued_reach_the_advisor_as_history(server):
    async def go():
        r, q = await queued(server, topic="income_support")
        await r.send({"type": "msg", "text": "Ensimmäinen kysymys"})
        await r.recv_type("msg")
        await r.send({"type": "msg", "text": "Toinen kysymys"})
        await r.recv_type("msg")
        a = await advisor(server)
        await a.send({"type": "take"})
        chat = await a.recv_type("chat")
        assert chat["chat"] == q["chat"]
        assert [m["text"] for m in chat["history"]] == ["Ensimmäinen kysymys",
                                                       "Toinen kysymys"]
        for m in chat["history"]:
            assert_msg(m, "resident", m["text"])
        assert chat["history"][0]["id"] < chat["history"][1]["id"]
    run(go())


def test_msg_while_chatting_reaches_the_advisor_with_chat_id(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "msg", "text": "Miten haen tukea?", "cid": 7})
        echo = await r.recv_type("msg")
        relayed = await a.recv_type("msg", chat=r.chat)
        assert_msg(relayed, "resident", "Miten haen tukea?")
        assert relayed["id"] == echo["id"]
    run(go())


def test_msg_after_the_end_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "end"})
        await r.recv_type("ended")
        await r.send({"type": "msg", "text": "vielä yksi"})
        await r.error("not_allowed")
    run(go())


def test_msg_before_hello_is_not_allowed(server):
    async def go():
        r = await resident(server)
        await r.send({"type": "msg", "text": "hei"})
        await r.error("not_allowed")
    run(go())


# ------------------------------------------------------------------ typing

def test_resident_typing_is_relayed_to_the_advisor_with_chat_id(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "typing", "on": True})
        t = await a.recv_type("typing")
        assert t["on"] is True and t["chat"] == r.chat
        await r.send({"type": "typing", "on": False})
        t = await a.recv_type("typing")
        assert t["on"] is False and t["chat"] == r.chat
    run(go())


def test_advisor_typing_is_relayed_to_the_resident(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "typing", "chat": r.chat, "on": True})
        assert (await r.recv_type("typing"))["on"] is True
        await a.send({"type": "typing", "chat": r.chat, "on": False})
        assert (await r.recv_type("typing"))["on"] is False
    run(go())


# ------------------------------------------------------------------ end

def test_end_by_resident_while_chatting_is_seen_by_both(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "end"})
        assert (await r.recv_type("ended"))["by"] == "resident"
        e = await a.recv_type("ended")
        assert e["by"] == "resident" and e["chat"] == r.chat
    run(go())


def test_end_by_advisor_is_seen_by_both(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "end", "chat": r.chat})
        assert (await r.recv_type("ended"))["by"] == "advisor"
        e = await a.recv_type("ended")
        assert e["by"] == "advisor" and e["chat"] == r.chat
    run(go())


def test_end_while_queued_answers_ended_and_leaves_the_queue(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "end"})
        assert (await r.recv_type("ended"))["by"] == "resident"
        await asyncio.sleep(0.3)
        assert server.status()["queue_length"] == 0
    run(go())


def test_advisor_msg_after_the_end_is_refused(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "end"})
        await a.recv_type("ended")
        await a.send({"type": "msg", "chat": r.chat, "text": "ehditkö lähteä?"})
        e = await a.recv_type("error")
        assert e["code"] in ("not_allowed", "unknown_chat"), e
        assert not r.unread("msg")
    run(go())


# ------------------------------------------------------------------ pushes

def test_assigned_push_names_the_advisor(server):
    async def go():
        r, q = await queued(server)
        a = await advisor(server)
        await a.send({"type": "take"})
        await a.recv_type("chat")
        assigned = await r.recv_type("assigned")
        assert assigned["advisor"] == ADVISOR_NAME
    run(go())


def test_positions_are_pushed_when_a_resident_ahead_leaves(server):
    async def go():
        rs = [await queued(server) for _ in range(3)]
        for r, _ in rs:
            r.drop("position")
        await rs[0][0].send({"type": "end"})
        p2 = await rs[1][0].recv_type("position", position=1)
        p3 = await rs[2][0].recv_type("position", position=2)
        assert_wait(p2["estimated_wait_s"])
        assert_wait(p3["estimated_wait_s"])
    run(go())


def test_positions_are_pushed_when_the_front_is_taken(server):
    async def go():
        rs = [await queued(server) for _ in range(3)]
        a = await advisor(server)
        for r, _ in rs:
            r.drop("position")
        await a.send({"type": "take"})
        chat = await a.recv_type("chat")
        assert chat["chat"] == rs[0][1]["chat"]
        await rs[1][0].recv_type("position", position=1)
        await rs[2][0].recv_type("position", position=2)
        await rs[0][0].recv_type("assigned")
        # the taken resident may still see a push from before the take
        # (the advisor's login changes the estimate) but never a new place
        assert all(m["position"] == 1 for m in rs[0][0].unread("position"))
    run(go())


# ------------------------------------------------------------------ email

def test_email_before_an_advisor_joined_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "email", "to": "kopio@example.org"})
        await r.error("not_allowed")
    run(go())


def test_email_without_smtp_configured_is_email_unavailable(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "email", "to": "kopio@example.org"})
        await r.error("email_unavailable")
    run(go())


def test_email_without_smtp_after_the_end_is_email_unavailable(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended")
        await r.send({"type": "email", "to": "kopio@example.org"})
        await r.error("email_unavailable")
    run(go())


# ------------------------------------------------------------------ feedback

def test_feedback_after_the_end_answers_thanks(server):
    async def go():
        r, a = await chatting(server)
        await a.send({"type": "end", "chat": r.chat})
        await r.recv_type("ended")
        await r.send({"type": "feedback", "rating": 5})
        await r.recv_type("thanks")
    run(go())


def test_a_second_feedback_for_the_same_chat_is_not_allowed(server):
    async def go():
        r, a = await chatting(server)
        await r.send({"type": "end"})
        await r.recv_type("ended")
        await r.send({"type": "feedback", "rating": 2})
        await r.recv_type("thanks")
        await r.send({"type": "feedback", "rating": 5})
        await r.error("not_allowed")
    run(go())


def test_feedback_before_the_end_is_not_allowed(server):
    async def go():
        r, q = await queued(server)
        await r.send({"type": "feedback", "rating": 4})
        await r.error("not_allowed")
    run(go())


# ------------------------------------------------------------------ roles

@pytest.mark.parametrize("frame", [
    {"type": "take"},
    {"type": "login", "username": "anna", "password": "x"},
    {"type": "status", "available": True},
    {"type": "tag", "chat": 1, "topics": ["housing"], "outcome": "answered"},
], ids=["take", "login", "status", "tag"])
def test_resident_cannot_use_advisor_messages(server, frame):
    async def go():
        r, q = await queued(server)
        await r.send(frame)
        e = await r.recv_type("error")
        # "not_allowed (wrong state or role)"; an unknown type for this
        # subprotocol is also fairly bad_type
        assert e["code"] in ("not_allowed", "bad_type"), e
        assert server.status()["queue_length"] == 1
    run(go())
