"""Attacks and awkward honest use of the supervisors' desk (CONTRACT section
8), found by review: each test here failed before its fix."""
import asyncio

from conftest import advisor, chatting, login, queued, resident, run
from test_supervisor import BERTTA, desk, desk_db  # noqa: F401 (fixtures)


def test_a_transfer_frees_a_place_that_auto_assign_fills(desk):
    """anna (room for one) hands her chat to bertta: with auto_assign on,
    the resident waiting gets anna at once, as after any other chat of hers
    ended. Before the fix the place stayed empty until something else
    happened in the queue."""
    srv = desk(queue__auto_assign="yes", queue__max_chats_per_advisor="1")

    async def go():
        a = await advisor(srv)
        await a.send({"type": "status", "available": True})
        first, _ = await queued(srv)
        await a.recv_type("chat", chat=first.chat)
        await first.recv_type("assigned")
        b = await advisor(srv, user="bertta")
        await b.send({"type": "status", "available": False})   # takes none
        await asyncio.sleep(0.3)
        second, _ = await queued(srv)
        await asyncio.sleep(0.3)
        assert not second.unread("assigned")
        await a.send({"type": "transfer", "chat": first.chat, "to": "bertta"})
        await b.recv_type("chat", chat=first.chat)
        await a.recv_type("transferred", chat=first.chat)
        await a.recv_type("chat", chat=second.chat, timeout=10)
        await second.recv_type("assigned", timeout=10)
    run(go())


def test_the_whisper_cap_holds_across_a_restart(desk):
    """Whispers and notes of one chat are capped by max_chat_chars (chat_full)
    so that a watch frame stays within its budget. Before the fix a restart
    forgot what the chat held, and every restart allowed as much again."""
    srv = desk(limits__max_chat_chars="40", chat__max_message_chars="40")
    st = {}

    async def before():
        res, a = await chatting(srv)
        s = await advisor(srv, user="sini")
        await s.send({"type": "whisper", "chat": res.chat, "text": "x" * 30})
        await s.recv_type("whisper", chat=res.chat)
        await s.send({"type": "whisper", "chat": res.chat, "text": "y" * 11})
        await s.error("chat_full")
        st.update(chat=res.chat, a=a.token)
    run(before())
    assert srv.stop() == 0
    srv.start()

    async def after():
        a, ok = await login(srv, token=st["a"])
        assert ok["type"] == "login_ok", ok
        await a.recv_type("chat", chat=st["chat"])
        s = await advisor(srv, user="sini")
        await s.send({"type": "whisper", "chat": st["chat"], "text": "z" * 11})
        await s.error("chat_full")
        await s.send({"type": "whisper", "chat": st["chat"], "text": "z" * 10})
        await s.recv_type("whisper", chat=st["chat"])
    run(after())


def test_desk_frames_on_chats_in_every_state(desk):
    """watch, whisper, urgent and transfer on a queued chat, an ended chat,
    an unknown id and a forged huge id: each a clear error, nothing moved,
    and the connection kept."""
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        waiting, _ = await queued(srv)
        s = await advisor(srv, user="sini")
        await advisor(srv, user="bertta")
        await res.send({"type": "end"})
        await a.recv_type("ended", chat=res.chat)
        for chat in (waiting.chat, res.chat, 99999, 2 ** 62):
            frames = [({"type": "watch", "chat": chat}, ("unknown_chat",)),
                      ({"type": "whisper", "chat": chat, "text": "hei"}, ("unknown_chat",)),
                      ({"type": "urgent", "chat": chat, "on": True},
                       ("unknown_chat", "not_allowed")),
                      ({"type": "transfer", "chat": chat, "to": "bertta"},
                       ("unknown_chat",))]
            for frame, codes in frames:
                await s.send(frame)
                e = await s.recv_type("error")
                assert e["code"] in codes, (frame, e)
                await asyncio.sleep(0.12)
        # the waiting resident was not moved or told anything
        assert not waiting.unread("assigned")
        await s.send({"type": "board"})
        board = await s.recv_type("board")
        assert board["chats"] == [] and [w["chat"] for w in board["queue"]] == [waiting.chat]
    run(go())


def test_removing_a_watching_supervisor_and_a_watched_advisor(desk):
    """sini watches anna's chat; `advisor remove sini` closes sini and the
    chat goes on; then `advisor remove anna` hands the chat back to the
    queue, and siiri, who watched it too, is told it is unwatched."""
    from conftest import admin
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await advisor(srv, user="sini")
        t = await advisor(srv, user="siiri")
        for sup in (s, t):
            await sup.send({"type": "watch", "chat": res.chat})
            await sup.recv_type("chat", chat=res.chat)
        r = await asyncio.to_thread(admin, srv.config, "advisor", "remove", "sini")
        assert r.returncode == 0, r.stderr
        assert await s.close_code(20) == 1008
        await res.send({"type": "msg", "text": "vielä täällä"})
        await a.recv_type("msg", text="vielä täällä")
        await t.recv_type("msg", text="vielä täällä")
        r = await asyncio.to_thread(admin, srv.config, "advisor", "remove", "anna")
        assert r.returncode == 0, r.stderr
        assert await a.close_code(20) == 1008
        await t.recv_type("unwatched", chat=res.chat, timeout=20)
        assert (await res.recv_type("position", timeout=20))["position"] == 1
        await t.send({"type": "whisper", "chat": res.chat, "text": "kuuleeko kukaan"})
        await t.error("unknown_chat")
        await t.send({"type": "take", "chat": res.chat})
        await t.recv_type("chat", chat=res.chat)
        await res.recv_type("assigned", advisor="Siiri Vuorovastaava")
    run(go())


def test_transfer_to_an_advisor_in_her_resume_grace_is_refused(desk):
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        await b.close()
        await asyncio.sleep(0.5)
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta"})
        await a.error("not_available")
        await a.send({"type": "msg", "chat": res.chat, "text": "yhä minun"})
        await res.recv_type("msg", text="yhä minun")
    run(go())


def test_transfer_while_the_resident_is_away_then_resumes(desk):
    from conftest import resume
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        res.abort()
        await asyncio.sleep(0.5)
        await a.send({"type": "transfer", "chat": res.chat, "to": "bertta"})
        await b.recv_type("chat", chat=res.chat)
        await b.send({"type": "msg", "chat": res.chat, "text": "Bertta tässä"})
        await b.recv_type("msg", text="Bertta tässä")
        r = await resume(srv, res.token)
        back = await r.recv_type("resumed")
        assert back["state"] == "chatting" and back["advisor"] == BERTTA, back
        assert [m["text"] for m in back["history"]][-1] == "Bertta tässä"
        await r.send({"type": "msg", "text": "kiitos"})
        await b.recv_type("msg", text="kiitos")
    run(go())


def test_a_supervisor_demoted_while_logged_in_stops_reading_chats(desk):
    """`advisor role sini advisor` while sini watches a chat: like passwd and
    remove, it counts within seconds, not at her next login (which may be
    twelve hours away): she is told the chat is unwatched, gets no more of
    its messages, and may no longer watch, whisper or see the board."""
    from conftest import admin
    srv = desk()

    async def go():
        res, a = await chatting(srv)
        s = await advisor(srv, user="sini")
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await s.send({"type": "board"})
        await s.recv_type("board")
        r = await asyncio.to_thread(admin, srv.config, "advisor", "role", "sini", "advisor")
        assert r.returncode == 0, r.stderr
        await s.recv_type("unwatched", chat=res.chat, timeout=20)
        await res.send({"type": "msg", "text": "yksityistä"})
        await a.recv_type("msg", text="yksityistä")
        await asyncio.sleep(1.5)
        assert not s.unread("msg"), s.unread("msg")
        for frame in ({"type": "watch", "chat": res.chat}, {"type": "board"},
                      {"type": "whisper", "chat": res.chat, "text": "hei"}):
            await s.send(frame)
            await s.error("not_allowed")
    run(go())


def test_forged_desk_and_question_frames_get_bad_field(desk):
    """Wrong types, missing, empty, huge and NUL-carrying fields of every new
    frame: a clear error each, the connection kept (under 20 errors), the
    server unharmed."""
    srv = desk(chat__max_message_chars="100")

    async def go():
        res, a = await chatting(srv)
        s = await advisor(srv, user="sini")
        frames = [
            {"type": "watch", "chat": str(res.chat)}, {"type": "watch"},
            {"type": "watch", "chat": -1}, {"type": "unwatch", "chat": 1.5},
            {"type": "whisper", "chat": res.chat}, {"type": "whisper", "chat": res.chat,
                                                   "text": None},
            {"type": "whisper", "chat": res.chat, "text": "x" * 101},
            {"type": "urgent", "chat": res.chat, "on": "yes"},
            {"type": "urgent", "chat": res.chat},
            {"type": "transfer", "chat": res.chat, "to": 5},
            {"type": "transfer", "chat": res.chat, "to": ""},
            {"type": "transfer", "chat": res.chat, "to": "bertta\u0000x"},
            {"type": "transfer", "chat": res.chat, "to": "b" * 5000},
            {"type": "answer", "question": -1, "text": "x"},
            {"type": "answer", "question": 2 ** 64, "text": "x"},
            {"type": "answer", "question": 1}, {"type": "answer", "question": 1, "text": ""},
        ]
        for f in frames:
            await s.send(f)
            e = await s.recv_type("error")
            assert e["code"] in ("bad_field", "too_long", "bad_json", "not_available"), (f, e)
            await asyncio.sleep(0.11)
        r = await resident(srv)
        for f in ({"type": "pickup"}, {"type": "pickup", "code": ""},
                  {"type": "pickup", "code": 12}, {"type": "pickup", "code": "x" * 5000},
                  {"type": "pickup", "code": "ABCD\u0000EFGHJKMN"},
                  {"type": "question", "text": "x", "email": 7}):
            await r.send(f)
            e = await r.recv_type("error")
            assert e["code"] in ("bad_field", "not_allowed", "too_long"), (f, e)
            await asyncio.sleep(0.11)
        # both still served
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await res.send({"type": "msg", "text": "yhä täällä"})
        await s.recv_type("msg", text="yhä täällä")
    run(go())


def test_kill_9_right_after_a_transfer_and_a_whisper_keeps_both(desk):
    """What was acknowledged (bertta got the chat, the whisper was echoed,
    the urgent mark shown) survives a SIGKILL: the chat is bertta's, urgent,
    and the whisper is in a watcher's frame; anna gets nothing back."""
    from test_crash import kill
    srv = desk()
    st = {}

    async def before():
        res, a = await chatting(srv)
        b = await advisor(srv, user="bertta")
        s = await advisor(srv, user="sini")
        await s.send({"type": "watch", "chat": res.chat})
        await s.recv_type("chat", chat=res.chat)
        await s.send({"type": "whisper", "chat": res.chat, "text": "muista hetu 131052-308T"})
        await s.recv_type("whisper", chat=res.chat)
        await a.send({"type": "urgent", "chat": res.chat, "on": True})
        await s.recv_type("alert", chat=res.chat)
        await s.send({"type": "transfer", "chat": res.chat, "to": "bertta"})
        await b.recv_type("chat", chat=res.chat)
        st.update(chat=res.chat, token=res.token, a=a.token, b=b.token)
    run(before())
    kill(srv)
    srv.start()

    async def after():
        a, ok = await login(srv, token=st["a"])
        assert ok["type"] == "login_ok", ok
        b, ok = await login(srv, token=st["b"])
        assert ok["type"] == "login_ok", ok
        await b.recv_type("chat", chat=st["chat"])
        s = await advisor(srv, user="sini")
        await s.send({"type": "watch", "chat": st["chat"]})
        w = await s.recv_type("chat", chat=st["chat"])
        assert w["urgent"] is True and w["advisor"] == BERTTA, w
        assert [x["text"] for x in w["whispers"] if not x.get("note")] == \
            ["muista hetu [hetu]"], w["whispers"]
        await asyncio.sleep(0.5)
        assert not a.unread("chat"), a.unread("chat")
    run(after())
