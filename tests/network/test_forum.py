"""The forum: who writes, safe Markdown against XSS, mentions, follows and notifications,
attachments, moderation (audited), "start a discussion about this", and the API."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import jsonschema
import pytest
from sqlalchemy import func, select

from data.models import (
    Attachment,
    AuditLog,
    ForumCategory,
    ForumFollow,
    ForumMention,
    ForumPost,
    ForumReport,
    ForumThread,
    Notification,
)
from tests.kits.library_corpus import HTML, PDF, PNG


@pytest.fixture
def cats(session):
    from network.forum import seed_categories

    seed_categories(session)
    return {c.slug: c for c in session.scalars(select(ForumCategory))}


@pytest.fixture
def member(make):
    org = make.org(acronym="SARC", name_ar="الهلال الأحمر", name_en="Red Crescent")
    return make.user("caseworker", org, email="member@example.org")


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _thread(session, user, cat, title="طلب شراكة في إدلب", body="نبحث عن شريك", **kw):
    from network.forum import create_thread

    return create_thread(session, user, cat.id, title, body, **kw)


def test_seed_is_idempotent_and_complete(session, cats):
    from network.forum import seed_categories

    kinds = {c.kind for c in cats.values()}
    assert kinds == {"sector", "governorate", "partnership", "experience", "announcements"}
    assert sum(c.kind == "governorate" for c in cats.values()) == 14
    assert sum(c.kind == "sector" for c in cats.values()) == 13
    assert seed_categories(session) == 0


def test_seed_command(runner, session):
    result = runner.invoke(args=["forum", "seed"])
    assert result.exit_code == 0 and "categories added" in result.output
    assert _count(session, ForumCategory) >= 30


def test_verified_member_starts_a_thread_and_replies(client, session, cats, member, login):
    login(member)
    cat = cats["partnership-requests"]
    resp = client.post("/forum/threads/new", data={
        "category_id": cat.id, "title": "نبحث عن شريك في الدعم النفسي",
        "body": "لدينا **فريق** متنقل في *إدلب*."})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    thread = session.scalars(select(ForumThread).where(ForumThread.category_id == cat.id)).one()
    assert thread.organization_id == member.organization_id
    html = client.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    assert "<strong>فريق</strong>" in html and "<em>إدلب</em>" in html
    resp = client.post(f"/forum/threads/{thread.id}/reply", data={"body": "شكراً للجميع"})
    assert resp.status_code == 302
    session.refresh(thread)
    assert thread.reply_count == 1 and len(thread.posts) == 2
    # the author follows their thread
    assert _count(session, ForumFollow, ForumFollow.user_id == member.id,
                  ForumFollow.thread_id == thread.id) == 1


@pytest.mark.parametrize(("role", "verification", "status"), [
    ("org_admin", "verified", 302),
    ("planner", "verified", 302),
    ("caseworker", "pending", 403),
    ("caseworker", "suspended", 403),
    ("org_admin", "rejected", 403),
    ("viewer", "verified", 403),
    ("platform_admin", None, 302),
    (None, None, 302),  # anonymous: sent to sign in
])
def test_only_members_of_verified_organisations_write(client, session, make, login, cats,
                                                      role, verification, status):
    if role:
        org = make.org(verification=verification) if verification else None
        login(make.user(role, org))
    before = _count(session, ForumThread)
    resp = client.post("/forum/threads/new", data={
        "category_id": cats["experience-exchange"].id, "title": "عنوان", "body": "نص"})
    assert resp.status_code == status
    if role is None:
        assert "/auth/login" in resp.headers["Location"]
    written = _count(session, ForumThread) - before
    assert written == (1 if status == 302 and role else 0)


def test_announcements_are_for_platform_admins(session, cats, member):
    from data.errors import Forbidden

    with pytest.raises(Forbidden):
        _thread(session, member, cats["announcements"])


def test_reading_needs_sign_in(client, cats):
    assert client.get("/forum/").status_code == 302
    assert client.get("/api/v1/forum/threads").status_code == 401


@pytest.mark.parametrize(("data", "field", "arabic"), [
    ({"category_id": "999999"}, "category_id", "اختيار غير صحيح"),
    ({"category_id": "abc"}, "category_id", "اختيار غير صحيح"),
    ({"title": "   "}, "title", "مطلوب"),
    ({"body": ""}, "body", "مطلوب"),
    ({"link": "javascript:alert(1)"}, "link", "يجب أن يكون الرابط"),
    ({"attachment": (io.BytesIO(PNG), "report.pdf")}, "attachment", "ليس ملف"),
    ({"attachment": (io.BytesIO(HTML), "x.pdf")}, "attachment", "ليس ملف"),
])
def test_bad_thread_input_is_named_in_arabic_and_nothing_is_stored(
        client, session, cats, member, login, data, field, arabic):
    login(member)
    form = {"category_id": str(cats["experience-exchange"].id), "title": "عنوان",
            "body": "نص", **data}
    before = [_count(session, m) for m in (ForumThread, ForumPost, Attachment)]
    resp = client.post("/forum/threads/new", data=form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert f'id="{field}-error"' in html and arabic in html, html[-3000:]
    assert [_count(session, m) for m in (ForumThread, ForumPost, Attachment)] == before


def test_oversized_attachment_is_refused(client, session, cats, member, login, app,
                                         monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 100)
    login(member)
    resp = client.post("/forum/threads/new", data={
        "category_id": cats["experience-exchange"].id, "title": "ت", "body": "ن",
        "attachment": (io.BytesIO(PDF + b"x" * 200), "big.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 400 and "كبير" in resp.get_data(as_text=True)
    assert _count(session, ForumThread) == 0 or _count(session, Attachment) == 0


# ---------------------------------------------------------------- XSS

XSS = [
    "<script>alert(1)</script>",
    "مرحبا <script>alert('مرحبا')</script> بكم",
    "<img src=x onerror=alert(1)>",
    "صورة <img src=x onerror=alert(1)//>",
    "[انقر هنا](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(document.cookie))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;&#97;vascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![صورة](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<a href=\"javascript:alert(1)\">رابط</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "[![x](x)](javascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "<details open ontoggle=alert(1)>",
    "<style>body{display:none}</style>",
    "**<b onmouseover=alert(1)>نص</b>**",
    "`<script>` و ```\n<script>alert(1)</script>\n```",
    "[x](vbscript:msgbox(1))",
    "<<script>script>alert(1)<</script>/script>",
    "<a href=\"#\" style=\"background:url(javascript:alert(1))\">x</a>",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_rendering_leaves_no_path_for_script(payload):
    import re

    from network.forum import render_markdown

    html = render_markdown(payload).lower()
    tags = re.findall(r"<\s*([a-z0-9]+)", html)
    assert set(tags) <= {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol",
                         "li", "a", "h3", "h4", "h5", "h6", "hr"}, html
    for href in re.findall(r'<a\s[^>]*href="([^"]*)"', html):
        scheme_free = ":" not in href.split("/", 1)[0].split("?", 1)[0]
        assert href.startswith(("http://", "https://", "mailto:")) or scheme_free, html
    attrs = re.findall(r"<[a-z0-9]+\s+([^>]*)>", html)
    for attr in attrs:
        assert re.fullmatch(r'((href|title|rel)="[^"]*"\s*)+', attr), html


class _Tags(HTMLParser):
    """Every real start tag and its attributes in a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


OWN_SCRIPT = ("script", [("src", "/static/js/sent_once.js"), ("defer", None)])


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_are_inert_on_the_thread_page(client, session, cats, member, login,
                                                   payload):
    login(member)
    thread = _thread(session, member, cats["experience-exchange"], title=payload[:200],
                     body=f"نص عربي {payload} نهاية")
    html = client.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        if (tag, attrs) == OWN_SCRIPT:  # the page's own, from the layout (web.sent_once)
            continue
        assert tag not in ("script", "svg", "iframe", "img", "style", "object", "embed"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "formaction"):
                assert not (value or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")), (tag, value)
            assert name != "style", (tag, name)
    assert "نص عربي" in html


def test_links_get_nofollow_noopener(session, cats, member):
    thread = _thread(session, member, cats["experience-exchange"],
                     body="انظر [الدليل](https://example.org/guide)")
    assert ('<a href="https://example.org/guide" rel="nofollow noopener">الدليل</a>'
            in thread.posts[0].body_html)


# ---------------------------------------------------------------- mentions and following

def test_mentions_link_the_organisation_and_notify_its_admins(client, session, cats, make,
                                                              member, login, smtp_server, app):
    other = make.org(acronym="IRC", name_ar="لجنة الإنقاذ", name_en="IRC")
    admin = make.user("org_admin", other, email="irc-admin@example.org")
    staff = make.user("caseworker", other)
    with app.app_context():  # mail settings come from the app
        thread = _thread(session, member, cats["partnership-requests"],
                         body="هل يمكن لـ @IRC و @irc و @NOPE المساعدة؟ email@IRC.org")
        session.commit()
    post = thread.posts[0]
    assert f'<a href="/forum/organizations/{other.id}" rel="nofollow noopener">@IRC</a>' \
        in post.body_html
    assert "@NOPE" in post.body_html and "email@IRC.org" in post.body_html
    assert session.scalars(select(ForumMention.organization_id).where(
        ForumMention.post_id == post.id)).all() == [other.id]
    notes = session.scalars(select(Notification).where(
        Notification.kind == "forum_mention")).all()
    assert [n.user_id for n in notes] == [admin.id] and staff.id not in [n.user_id for n in notes]
    assert smtp_server.wait_for(1)[0]["To"] == "irc-admin@example.org"
    login(member)
    page = client.get(f"/forum/organizations/{other.id}").get_data(as_text=True)
    assert thread.title in page


def test_followers_get_in_app_and_email_notifications(client, session, cats, make, member,
                                                      login, smtp_server, app):
    cat = cats["sector-health"]
    watcher_org = make.org()
    watcher = make.user("org_admin", watcher_org, email="watcher@example.org")
    login(watcher)
    assert client.post("/forum/follow", data={"category_id": cat.id}).status_code == 302
    c2 = app.test_client()
    login(member, c2)
    assert c2.post("/forum/threads/new", data={
        "category_id": cat.id, "title": "نقص في الأدوية", "body": "ما الحل؟"}).status_code == 302
    thread = session.scalars(select(ForumThread).where(ForumThread.category_id == cat.id)).one()
    kinds = session.scalars(select(Notification.kind).where(
        Notification.user_id == watcher.id)).all()
    assert kinds == ["forum_thread"]
    mail = smtp_server.wait_for(1)[0]
    assert mail["To"] == "watcher@example.org" and f"/forum/threads/{thread.id}" in \
        mail.get_content()
    # the author hears of replies to their thread; the category follower too
    assert client.post(f"/forum/threads/{thread.id}/reply",
                       data={"body": "لدينا مخزون"}).status_code == 302
    assert session.scalars(select(Notification.kind).where(
        Notification.user_id == member.id)).all() == ["forum_reply"]
    assert len(smtp_server.wait_for(2)) == 2
    # unfollowing (the category, and the thread they joined by replying) stops them
    client.post("/forum/follow", data={"category_id": cat.id, "on": "0"})
    client.post("/forum/follow", data={"thread_id": thread.id, "on": "0"})
    c2.post(f"/forum/threads/{thread.id}/reply", data={"body": "شكراً"})
    assert _count(session, Notification, Notification.user_id == watcher.id) == 1
    assert _count(session, Notification, Notification.user_id == member.id) == 1


def test_follow_unknown_target_is_refused(client, member, login):
    login(member)
    resp = client.post("/forum/follow", data={"category_id": "999999"})
    assert resp.status_code == 404
    resp = client.post("/forum/follow", data={})
    assert resp.status_code == 400


# ---------------------------------------------------------------- attachments

def test_post_attachments_are_stored_and_served_safely(client, session, cats, member, login):
    login(member)
    resp = client.post("/forum/threads/new", data={
        "category_id": cats["experience-exchange"].id, "title": "تقرير", "body": "مرفق",
        "attachment": (io.BytesIO(PNG), "خريطة.png")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    att = session.scalars(select(Attachment).where(Attachment.post_id.is_not(None))).one()
    with client.get(f"/forum/attachments/{att.uuid}") as got:
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/png"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Cache-Control"] == "private, no-store"  # needs a sign-in
        assert "Expires" not in got.headers
        assert got.data == PNG


# ---------------------------------------------------------------- moderation

def _audit(session, action):
    return session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_report_hide_and_lock_are_audited(client, session, cats, make, member, login, app):
    thread = _thread(session, member, cats["experience-exchange"], body="محتوى مسيء")
    post = thread.posts[0]
    reader = make.user("viewer", make.org())
    login(reader)
    resp = client.post(f"/forum/posts/{post.id}/report", data={"reason": "إساءة"})
    assert resp.status_code == 302
    report = session.scalars(select(ForumReport)).one()
    assert _audit(session, "forum.report")[-1].object_id == str(post.id)
    # members may not hide or lock
    assert client.post(f"/forum/posts/{post.id}/hide").status_code == 403
    assert client.post(f"/forum/threads/{thread.id}/lock").status_code == 403
    admin = make.user("platform_admin")
    c2 = app.test_client()
    login(admin, c2)
    assert "إساءة" in c2.get("/forum/moderation").get_data(as_text=True)
    assert c2.post(f"/forum/posts/{post.id}/hide",
                   data={"reason": "مخالف"}).status_code == 302
    session.refresh(post)
    session.refresh(report)
    assert post.hidden and report.resolution == "hidden"
    row = _audit(session, "forum.hide")[-1]
    assert row.user_id == admin.id and row.summary["reports"] == [report.id]
    page = client.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    assert "محتوى مسيء" not in page and "أخفى المشرفون هذه المشاركة" in page
    assert "محتوى مسيء" in c2.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    api = client.get(f"/api/v1/forum/threads/{thread.id}").get_json()
    assert api["posts"][0]["hidden"] and api["posts"][0]["body"] == ""
    # lock: no more replies
    assert c2.post(f"/forum/threads/{thread.id}/lock").status_code == 302
    assert _audit(session, "forum.lock")[-1].object_id == str(thread.id)
    login(member)
    resp = client.post(f"/forum/threads/{thread.id}/reply", data={"body": "رد"})
    assert resp.status_code == 409
    assert "مقفل" in client.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    api = client.post(f"/api/v1/forum/threads/{thread.id}/posts", json={"body": "رد"})
    assert api.status_code == 409
    # reopen, unhide
    assert c2.post(f"/forum/threads/{thread.id}/lock", data={"locked": "0"}).status_code == 302
    assert c2.post(f"/forum/posts/{post.id}/hide", data={"hidden": "0"}).status_code == 302
    assert _audit(session, "forum.unlock") and _audit(session, "forum.unhide")


def test_dismissing_a_report_is_audited(session, cats, make, member):
    from data.errors import Conflict, Forbidden
    from network.forum import dismiss_report, report_post

    thread = _thread(session, member, cats["experience-exchange"])
    rep = report_post(session, member, thread.posts[0].id, "خطأ")
    with pytest.raises(Forbidden):
        dismiss_report(session, make.user("org_admin"), rep.id)
    admin = make.user("platform_admin")
    dismiss_report(session, admin, rep.id)
    assert rep.resolution == "dismissed"
    assert _audit(session, "forum.dismiss_report")[-1].object_id == str(rep.id)
    with pytest.raises(Conflict):
        dismiss_report(session, admin, rep.id)


def test_empty_report_is_refused(client, session, cats, member, login):
    thread = _thread(session, member, cats["experience-exchange"])
    login(member)
    client.post(f"/forum/posts/{thread.posts[0].id}/report", data={"reason": ""})
    assert _count(session, ForumReport) == 0


# ---------------------------------------------------------------- start a discussion

def test_start_a_discussion_about_a_gap_prefills_the_form(client, cats, member, login):
    login(member)
    url = ("/forum/threads/new?pcode=SY07&sector=health&link=/gaps/map%3Fpcode%3DSY07"
           "&title=فجوة في خدمات الصحة")
    html = client.get(url).get_data(as_text=True)
    assert 'value="فجوة في خدمات الصحة"' in html
    assert f'<option selected value="{cats["sector-health"].id}">' in html
    assert 'name="pcode" type="hidden" value="SY07"' in html
    assert 'value="/gaps/map?pcode=SY07"' in html and "إدلب" in html
    # governorate only: the governorate's category
    html = client.get("/forum/threads/new?pcode=SY07").get_data(as_text=True)
    assert f'<option selected value="{cats["gov-sy07"].id}">' in html
    # a foreign link is not pre-filled
    html = client.get("/forum/threads/new?link=https://evil.example").get_data(as_text=True)
    assert 'value="https://evil.example"' not in html


def test_prefilled_thread_keeps_area_sector_and_link(client, session, cats, member, login):
    login(member)
    resp = client.post("/forum/threads/new", data={
        "category_id": cats["sector-health"].id, "title": "فجوة", "body": "نقاش",
        "pcode": "SY07", "sector": "health", "link": "/gaps/map?pcode=SY07"})
    assert resp.status_code == 302
    t = session.scalars(select(ForumThread)).one()
    assert (t.pcode, t.sector_code, t.link) == ("SY07", "health", "/gaps/map?pcode=SY07")


def test_new_thread_endpoint_is_named_for_other_pages(app):
    from flask import url_for

    with app.test_request_context():
        url = url_for("forum.new_thread", pcode="SY07", sector="gbv", link="/gaps", title="x")
    assert url.startswith("/forum/threads/new?") and "pcode=SY07" in url


# ---------------------------------------------------------------- API

def _validator(client, path, method, status):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"]
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


def test_api_reads_and_writes_match_the_openapi_document(client, session, cats, member, login):
    login(member)
    body = client.get("/api/v1/forum/categories").get_json()
    _validator(client, "/forum/categories", "get", "200").validate(body)
    assert len(body["items"]) == len(cats)
    created = client.post("/api/v1/forum/threads", json={
        "category_id": cats["experience-exchange"].id, "title": "سؤال", "body": "**نص**"})
    assert created.status_code == 201
    _validator(client, "/forum/threads", "post", "201").validate(created.get_json())
    tid = created.get_json()["id"]
    reply = client.post(f"/api/v1/forum/threads/{tid}/posts", json={"body": "جواب"})
    assert reply.status_code == 201
    listing = client.get(f"/api/v1/forum/threads?category_id={cats['experience-exchange'].id}")
    _validator(client, "/forum/threads", "get", "200").validate(listing.get_json())
    assert listing.get_json()["items"][0]["reply_count"] == 1
    one = client.get(f"/api/v1/forum/threads/{tid}").get_json()
    _validator(client, "/forum/threads/{id}", "get", "200").validate(one)
    assert one["posts"][0]["html"] == "<p><strong>نص</strong></p>\n"


@pytest.mark.parametrize(("payload", "field"), [
    ({"category_id": 999999, "title": "t", "body": "b"}, "category_id"),
    ({"title": "t", "body": "b"}, "category_id"),
    ({"category_id": "CAT", "title": "", "body": "b"}, "title"),
    ({"category_id": "CAT", "title": "t", "body": "  "}, "body"),
    ({"category_id": "CAT", "title": "t", "body": "b", "pcode": "SY99"}, "pcode"),
    ({"category_id": "CAT", "title": "t", "body": "b", "link": "javascript:x"}, "link"),
])
def test_api_bad_input_names_the_field(client, session, cats, member, login, payload, field):
    login(member)
    if payload.get("category_id") == "CAT":
        payload = {**payload, "category_id": cats["experience-exchange"].id}
    before = _count(session, ForumThread)
    resp = client.post("/api/v1/forum/threads", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    assert _count(session, ForumThread) == before


def test_api_refuses_unverified_writers(client, make, cats, login):
    login(make.user("caseworker", make.org(verification="pending")))
    resp = client.post("/api/v1/forum/threads", json={
        "category_id": cats["experience-exchange"].id, "title": "t", "body": "b"})
    assert resp.status_code == 403


def test_forum_pages_render_in_english_too(client, cats, member, login, session):
    _thread(session, member, cats["experience-exchange"])
    login(member)
    html = client.get("/forum/?lang=en").get_data(as_text=True)
    assert "Experience exchange" in html and 'dir="ltr"' in html
    html = client.get("/forum/?lang=ar").get_data(as_text=True)
    assert "تبادل الخبرات" in html and "منتدى المنظمات" in html
    assert len(html) < 150_000


def test_forum_and_library_forms_carry_their_csrf_token(database_url, connection, session,
                                                        cats, member, make, tmp_path, login):
    import re

    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                      "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
                      "UPLOAD_FOLDER": str(tmp_path)})
    Database.bind(app, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    client = login(member, app.test_client())

    def token(url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    data = {"category_id": cats["experience-exchange"].id, "title": "عنوان", "body": "نص"}
    assert client.post("/forum/threads/new", data=data).status_code == 400
    assert _count(session, ForumThread) == 0
    resp = client.post("/forum/threads/new",
                       data={**data, "csrf_token": token("/forum/threads/new")})
    assert resp.status_code == 302
    thread = session.scalars(select(ForumThread)).one()
    page = f"/forum/threads/{thread.id}"
    assert client.post(f"{page}/reply", data={"body": "رد"}).status_code == 400
    assert client.post(f"{page}/reply", data={"body": "رد", "csrf_token": token(page)}) \
        .status_code == 302
    assert client.post("/forum/follow", data={"thread_id": thread.id, "on": "0",
                                               "csrf_token": token(page)}).status_code == 302
    assert client.post("/library/follow", data={"topics": ["financing"],
                                                "csrf_token": token("/library/follow")}) \
        .status_code == 302


@pytest.mark.parametrize(("extra", "page", "older"), [
    (0, 1, False),  # exactly one page of threads: no link to older ones
    (1, 1, True),   # one more: page 1 links to page 2
    (1, 2, False),  # and page 2 is the last
])
def test_category_pages_link_older_threads_by_the_page_size(client, session, cats, member,
                                                            login, extra, page, older):
    from network.forum import THREADS_PER_PAGE

    cat = cats["experience-exchange"]
    for n in range(THREADS_PER_PAGE + extra):
        _thread(session, member, cat, title=f"موضوع {n}")
    login(member)
    html = client.get(f"/forum/categories/{cat.id}?page={page}&lang=en").get_data(as_text=True)
    assert ("Older threads" in html) is older
    assert (f"page={page + 1}" in html) is older
