"""CONTRACT section 9, honest waiting: `queued` and `position` always carry
"may_not_be_served", true when today's closing comes before the resident's
turn can (the rule is queue_may_not_be_served in include/queue.h), a
`position` is pushed when only that flag changes, and the figures count
each chat told once.
"""
import datetime as dt
import json

import pytest

from conftest import (CLOSED_ALL_DAY, OPEN_ALL_DAY, admin, advisor, local_now, local_today,
                      queued, run, weekday_key)


def closing_in(minutes):
    """Hours open today from 00:00 until `minutes` from now (to the minute
    below), closed on the other days."""
    now = local_now()
    end = now + dt.timedelta(minutes=minutes)
    if end.date() != now.date() or now.hour == 0 and now.minute < 2:
        pytest.skip("too near midnight for a closing time today")
    hours = dict(CLOSED_ALL_DAY)
    hours[weekday_key(now.date())] = f"00:00-{end:%H:%M}"
    return hours


def told_today(srv):
    today = local_today().isoformat()
    r = admin(srv.config, "stats", "--from", today, "--to", today, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)[0]["told_may_not_be_served"]


def test_far_from_closing_nobody_is_warned(make_server):
    srv = make_server(hours=OPEN_ALL_DAY, advisor=False)

    async def go():
        r, q = await queued(srv)
        assert q["may_not_be_served"] is False, q
    run(go())
    assert told_today(srv) == 0


def test_near_closing_with_nobody_logged_in_the_queue_is_told(make_server):
    srv = make_server(hours=closing_in(10), advisor=False)

    async def go():
        r1, q1 = await queued(srv)
        assert q1["may_not_be_served"] is True and q1["estimated_wait_s"] is None, q1
        r2, q2 = await queued(srv)
        assert q2["may_not_be_served"] is True, q2
        # the first leaves: the second moves up and is still told
        await r1.send({"type": "end"})
        p = await r2.recv_type("position", position=1)
        assert p["may_not_be_served"] is True, p
    run(go())
    assert told_today(srv) == 2          # each chat once


def test_the_flag_is_pushed_when_it_flips_without_a_move(make_server):
    # 13-14 minutes to closing: with an advisor logged in nobody is told;
    # once no advisor is logged in and closing is within 15 minutes, the
    # same position is pushed again with the flag set.
    srv = make_server(hours=closing_in(14))

    async def go():
        adv = await advisor(srv)
        r, q = await queued(srv)
        assert q["may_not_be_served"] is False, q
        await adv.close()
        p = await r.recv_type("position", timeout=10)
        assert p["position"] == 1 and p["may_not_be_served"] is True, p
    run(go())
    assert told_today(srv) == 1
