"""The in-app notifications page: forum and library notifications become visible to the user
they were written for (and to nobody else), in Arabic and English, and can be marked read."""

from __future__ import annotations

from sqlalchemy import select

from data.models import Notification


def test_library_follower_sees_the_new_document_in_the_inbox(client, session, make, login):
    from network.library import create_document, follow_topics

    reader = make.user("planner")
    other = make.user("viewer")
    follow_topics(session, reader, ["registration"])
    doc = create_document(session, make.user("platform_admin"), {
        "kind": "circular", "title_ar": "تعميم بشأن الإشهار", "title_en": "Circular on notice",
        "topics": ["registration"], "published": True})
    session.flush()
    login(reader)
    html = client.get("/notifications/").get_data(as_text=True)
    assert 'dir="rtl"' in html and "الإشعارات" in html
    assert f'href="/library/documents/{doc.id}"' in html and html.count('class="unread"') == 1
    english = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "1 unread notification." in english and f'href="/library/documents/{doc.id}"' in english
    login(other)
    assert f"/library/documents/{doc.id}" not in client.get("/notifications/").get_data(
        as_text=True)


def test_mark_all_read_touches_only_my_rows(client, session, make, login):
    from referral.notify import notify

    me, you = make.user("caseworker"), make.user("caseworker")
    notify(session, [me, you], "forum.reply", "رد جديد", "New reply", "/forum/threads/1",
           email=False)
    notify(session, [me], "forum.reply", "رابط خارجي", "Outside link", "https://evil.example",
           email=False)
    notify(session, [me], "forum.reply", "رابط آخر", "Protocol-relative", "//evil.example",
           email=False)
    session.flush()
    login(me)
    html = client.get("/notifications/").get_data(as_text=True)
    assert 'href="https://evil.example"' not in html and "رابط خارجي" in html
    assert 'href="//evil.example"' not in html and "رابط آخر" in html
    resp = client.post("/notifications/read")
    assert resp.status_code == 302 and resp.location.endswith("/notifications/"), resp.location
    session.expire_all()
    mine = session.scalars(select(Notification).where(Notification.user_id == me.id)).all()
    yours = session.scalars(select(Notification).where(Notification.user_id == you.id)).all()
    assert all(n.read_at is not None for n in mine) and len(mine) == 3
    assert all(n.read_at is None for n in yours)
    assert 'class="unread"' not in client.get("/notifications/").get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(client):
    for resp in (client.get("/notifications/"), client.post("/notifications/read")):
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
