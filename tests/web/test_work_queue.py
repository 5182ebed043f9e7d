"""The signed-in home page is the user's work queue (new, overdue, awaiting a reply, recently
closed) and the header counts what waits for them (finding 7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def _section(html: str, name: str) -> str:
    m = re.search(rf'<section aria-labelledby="q-{name}">(.*?)</section>', html, re.S)
    assert m, name
    return m.group(1)


@pytest.mark.parametrize(("side", "lists"), [
    ("receiver", {"new": 1, "overdue": 1, "awaiting": 0, "closed": 0}),
    ("sender", {"new": 0, "overdue": 0, "awaiting": 2, "closed": 1}),
])
def test_the_home_page_is_the_work_queue(client, login, session, world, side, lists):
    fresh = new_referral(session, world, status="sent")
    late = new_referral(session, world, status="sent")
    late.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    done = new_referral(session, world, status="completed")
    session.flush()
    login(world.users[(side, "caseworker")])
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "<h1>My work</h1>" in html
    for name, n in lists.items():
        section = _section(html, name)
        assert '<span class="badge' in section and f">{n}</span>" in section
        ids = {fresh.id, late.id, done.id}
        shown = {int(x) for x in re.findall(r"/referrals/(\d+)", section)} & ids
        assert len(shown) == n
    badge = re.search(r'Referrals received <span class="count">(\d+)', html)
    assert (int(badge.group(1)) if badge else 0) == (2 if side == "receiver" else 0)


def test_unread_notifications_are_counted_in_the_header(client, login, session, world):
    from data.models import Notification
    from referral.notifications import unread_count

    user = world.users[("receiver", "caseworker")]
    for i in range(3):
        session.add(Notification(user_id=user.id, kind="test", text_ar=f"ت {i}",
                                 text_en=f"t {i}"))
    session.flush()
    n = unread_count(session, user.id)
    assert n >= 3
    login(user)
    html = client.get("/directory/?lang=en").get_data(as_text=True)
    badge = re.search(r'Notifications <span class="count">(\d+)', html)
    assert (int(badge.group(1)) if badge else 0) == n


def test_the_public_and_planners_keep_the_national_overview(client, login, world):
    assert "My work" not in client.get("/?lang=en").get_data(as_text=True)
    login(world.users[("sender", "planner")])
    assert "My work" not in client.get("/?lang=en").get_data(as_text=True)
