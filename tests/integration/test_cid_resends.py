"""Hostile checks of the in-memory cid sets (issue 14, cidset.c): in a
chat made in this run a resend of any cid the protocol allows (an integer
or a string) gets its stored MSG back and is never stored twice
(CONTRACT section 7), the same cid from the resident and the advisor are
two messages, and 1 and "1" are two cids."""
import asyncio
import contextlib
import sqlite3

from conftest import chatting, run, send_with_cid

CIDS = ["a", "1", 1, -1, 0, 2 ** 63 - 1, -2 ** 63, "", "ä" * 20, " a"]


def test_every_kind_of_cid_resent_gets_its_stored_msg_and_is_stored_once(server):
    async def go():
        r, a = await chatting(server)

        async def say(c, cid, text, chat=None):
            return await send_with_cid(c, text, cid, chat, timeout=5)

        first = {}
        for i, cid in enumerate(CIDS):
            if i and i % 4 == 0:
                await asyncio.sleep(1.05)
            first[("r", repr(cid))] = await say(r, cid, f"asukas {i}")
            first[("a", repr(cid))] = await say(a, cid, f"neuvoja {i}", r.chat)
        ids = [m["id"] for m in first.values()]
        assert len(set(ids)) == len(ids), "two cids got one message"
        for i, cid in enumerate(CIDS):
            await asyncio.sleep(0.55)
            again = await say(r, cid, "eri teksti")
            assert again["id"] == first[("r", repr(cid))]["id"], cid
            assert again["text"] == first[("r", repr(cid))]["text"], cid
            again = await say(a, cid, "eri teksti", r.chat)
            assert again["id"] == first[("a", repr(cid))]["id"], cid
        return r

    run(go(), timeout=90)
    with contextlib.closing(sqlite3.connect(str(server.db))) as db:
        n = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        rows = db.execute("SELECT count(*) FROM messages WHERE text = 'eri teksti'"
                          ).fetchone()[0]
    assert rows == 0
    assert n == 2 * len(CIDS)
