"""In-app notifications are seen: the sender reads every change of a referral on the
notifications page (Arabic by default, English on request) and can mark them read."""

from __future__ import annotations

from sqlalchemy import select

from data.models import Notification
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def test_sender_reads_referral_changes_and_marks_them_read(client, login, session, world):
    referral = new_referral(session, world, status="in_progress")
    session.flush()
    sender = world.users[("sender", "caseworker")]
    login(sender)
    home = client.get("/referrals/out").get_data(as_text=True)
    assert 'href="/notifications/"' in home  # in the account menu
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'href="/referrals/{referral.id}"' in page
    assert "قيد التنفيذ" in page and "مقبولة" in page and "جديد" in page
    assert "إشعاران غير مقروءين" in page
    english = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "is now in progress" in english and "is now accepted" in english
    assert client.post("/notifications/read").status_code == 302
    rows = session.scalars(select(Notification).where(Notification.user_id == sender.id)).all()
    assert len(rows) == 2 and all(n.read_at is not None for n in rows)
    after = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "Mark all as read" not in after and "is now accepted" in after
    assert client.get("/notifications/?offset=x").status_code == 400


def test_each_user_sees_only_their_own(client, login, session, world):
    referral = new_referral(session, world, status="accepted")
    session.flush()
    login(world.users[("other", "org_admin")])
    page = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert f"/referrals/{referral.id}" not in page and "No notifications." in page
    client.post("/notifications/read")
    sender = world.users[("sender", "caseworker")]
    assert session.scalars(select(Notification.read_at).where(
        Notification.user_id == sender.id)).all() == [None]


def test_anonymous_is_sent_to_sign_in(client):
    resp = client.get("/notifications/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
