"""Attacks and awkward honest use of "Closed? Leave a question." (CONTRACT
section 9), from the review of the questions branch."""
import asyncio

from conftest import CLOSED_ALL_DAY, advisor, metrics, resident, run
from test_questions import ask, closed_resident, open_questions, pickup


def test_pickup_first_then_hello_then_a_question(make_server):
    """A resident picks up an old answer before saying hello on the same
    connection; the hello is still told `closed` with the offer, and the
    question is taken once."""
    srv = make_server(hours=CLOSED_ALL_DAY)

    async def go():
        _, code = await ask(srv, "Ensimmäinen")
        r = await resident(srv)
        await r.send({"type": "pickup", "code": code})
        assert (await r.recv_type("answer"))["question"] == "Ensimmäinen"
        await r.send({"type": "hello", "lang": "fi"})
        c = await r.recv_type("closed")
        assert c.get("questions") is True, c
        await r.send({"type": "question", "text": "Toinen"})
        code2 = (await r.recv_type("question_saved"))["code"]
        await r.send({"type": "hello"})
        await r.recv_type("closed")
        await r.send({"type": "question", "text": "Kolmas"})
        await r.error("not_allowed")
        assert (await pickup(srv, code2))["question"] == "Toinen"
        assert metrics(srv)["neuvo_questions_open"] == 2
    run(go())


def test_a_flood_of_questions_from_many_connections_at_once(make_server):
    """Forty connections ask at the same moment, more than the address may:
    exactly the allowed number is saved, every other one is told
    rate_limited, and an advisor's list shows each saved one once."""
    srv = make_server(hours=CLOSED_ALL_DAY, limits__questions_per_address_per_hour="7",
                      server__max_connections_per_ip="100")

    async def one(i):
        r = await closed_resident(srv)
        await r.send({"type": "question", "text": f"kysymys {i}"})
        got = await r.recv_where(lambda m: m.get("type") in ("question_saved", "error"),
                                 "question answer", 20)
        return got

    async def go():
        adv = await advisor(srv)
        assert await open_questions(adv) == []
        got = await asyncio.gather(*(one(i) for i in range(40)))
        saved = [g for g in got if g["type"] == "question_saved"]
        refused = [g for g in got if g["type"] == "error"]
        assert len(saved) == 7, got
        assert {g["code"] for g in refused} == {"rate_limited"}, refused
        assert len({g["code"] for g in saved}) == 7
        qs = await open_questions(adv)
        assert len(qs) == 7 and len({q["id"] for q in qs}) == 7, qs
        assert metrics(srv)["neuvo_questions_open"] == 7
    run(go())
