"""Attacks and awkward honest use of the supervisors' desk (CONTRACT section
8), found by review: each test here failed before its fix."""
import asyncio

from conftest import advisor, chatting, login, queued, run
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
