"""Accounts: sign-in, password reset links, registration and verification,
membership (invitations, roles, removal), and the audit entries each of them writes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from data.models import AuditLog, Notification, Organization, User

PASSWORD = "correct horse battery staple"


def actions(session, **where) -> list[str]:
    """The audit actions written so far (oldest first), optionally filtered by column."""
    session.expire_all()
    stmt = select(AuditLog.action).order_by(AuditLog.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditLog, key) == value)
    return list(session.scalars(stmt))


def sign_in(client, email, password=PASSWORD, **kw):
    return client.post("/auth/login", data={"email": email, "password": password}, **kw)


# ---------------------------------------------------------------- sign-in, sign-out
# (throttling: test_login_throttle.py; sessions: test_sessions.py)

def test_sign_in_with_the_right_password_and_audit(client, session, make):
    user = make.user("caseworker", email="amal@example.org")
    resp = sign_in(client, "AMAL@example.org ")
    assert resp.status_code == 302
    assert client.get("/accounts/organization").status_code == 200
    session.refresh(user)
    assert user.last_login_at is not None and user.failed_logins == 0
    assert actions(session, user_id=user.id) == ["login.success"]


def test_wrong_password_is_refused_in_arabic_and_counted(client, session, make):
    user = make.user("viewer")
    resp = sign_in(client, user.email, "not the password")
    assert resp.status_code == 401
    assert "البريد الإلكتروني أو كلمة المرور غير صحيحة" in resp.get_data(as_text=True)
    session.refresh(user)
    assert user.failed_logins == 1
    assert actions(session, user_id=user.id) == ["login.failure"]
    assert client.get("/accounts/organization").status_code == 302  # still signed out


def test_unknown_email_is_refused_like_a_wrong_password(client, session):
    resp = sign_in(client, "nobody@example.org")
    assert resp.status_code == 401
    entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.action == "login.failure" and entry.summary["email"] == "nobody@example.org"


def test_sign_in_form_errors_are_400(client):
    assert client.post("/auth/login", data={"email": "not-an-email"}).status_code == 400


def test_logout_is_audited_and_ends_the_session(client, session, make, login):
    user = make.user("planner")
    login(user)
    resp = client.post("/auth/logout")
    assert resp.status_code == 302
    assert actions(session, user_id=user.id) == ["logout"]
    assert client.get("/accounts/organization").status_code == 302


def test_deactivated_user_cannot_sign_in(client, make):
    user = make.user("viewer", active=False)
    assert sign_in(client, user.email).status_code == 401


# ---------------------------------------------------------------- password reset

def _link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/auth/reset/\S+", body).group(0)


def test_reset_link_arrives_by_email_and_works_once(client, session, make, smtp_server):
    user = make.user("caseworker", email="rana@example.org")
    resp = client.post("/auth/forgot", data={"email": "rana@example.org"})
    assert resp.status_code == 302
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "rana@example.org"
    path = "/auth/" + _link_in(mail).split("/auth/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "rana@example.org" in page.get_data(as_text=True)
    new = "a brand new passphrase"
    done = client.post(path, data={"password": new, "confirm": new})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert sign_in(client, "rana@example.org", PASSWORD).status_code == 401
    assert sign_in(client, "rana@example.org", new).status_code == 302
    again = client.get(path)
    assert again.status_code == 400
    assert "مستخدم" in again.get_data(as_text=True)  # "already used", in Arabic
    assert "password.reset" in actions(session, user_id=user.id)


def test_forgot_for_an_unknown_email_says_the_same_and_sends_nothing(client, smtp_server):
    resp = client.post("/auth/forgot", data={"email": "ghost@example.org"},
                       follow_redirects=True)
    assert resp.status_code == 200
    assert "إن وُجد حساب" in resp.get_data(as_text=True)
    assert smtp_server.wait_for(1, timeout=0.5) == []


def test_without_smtp_the_page_names_the_cli_command(client):
    html = client.get("/auth/forgot").get_data(as_text=True)
    assert "tasharuk users reset-link EMAIL" in html


@pytest.mark.parametrize(("tamper", "max_age", "message"), [
    (lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"), 7200, "غير صالح"),
    (lambda t: t, -1, "انتهت صلاحية"),
    (lambda t: "garbage", 7200, "غير صالح"),
])
def test_forged_or_expired_reset_links_are_a_clear_400(app, client, session, make, monkeypatch,
                                                       tamper, max_age, message):
    from network.accounts import reset_token

    user = make.user("viewer")
    before = user.password_hash
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", max_age)
    token = tamper(reset_token(user, app.secret_key))
    for resp in (client.get(f"/auth/reset/{token}"),
                 client.post(f"/auth/reset/{token}",
                             data={"password": "x" * 12, "confirm": "x" * 12})):
        assert resp.status_code == 400
        assert message in resp.get_data(as_text=True)
    session.refresh(user)
    assert user.password_hash == before


def test_reset_refuses_a_short_password(app, client, make):
    from network.accounts import reset_token

    user = make.user("viewer")
    token = reset_token(user, app.secret_key)
    resp = client.post(f"/auth/reset/{token}", data={"password": "short", "confirm": "short"})
    assert resp.status_code == 400


# ---------------------------------------------------------------- registration and verification

def registration(**over) -> dict:
    data = {"name_ar": "جمعية النور", "name_en": "Al-Nour Association", "acronym": "NOUR",
            "registration_number": "DAM-2021-117", "org_type": "local_ngo", "hq_pcode": "SY01",
            "email": "info@nour.example.org", "phone": "+963 11 000 0000", "website": "",
            "admin_name": "Huda", "admin_email": "huda@nour.example.org",
            "password": PASSWORD, "confirm": PASSWORD}
    data.update(over)
    return data


def test_registration_page_is_arabic_with_governorates(client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert "سجّل منظمتك" in html and "دمشق" in html and "رقم الترخيص" in html


def test_registration_creates_a_pending_org_and_its_admin(client, session):
    resp = client.post("/auth/register", data=registration())
    assert resp.status_code == 302
    org = session.scalar(select(Organization).where(
        Organization.registration_number == "DAM-2021-117"))
    assert org.verification == "pending" and org.hq_pcode == "SY01" and not org.verified
    admin = session.scalar(select(User).where(User.email == "huda@nour.example.org"))
    assert admin.role == "org_admin" and admin.organization_id == org.id
    assert "organization.registered" in actions(session, organization_id=org.id)
    page = client.get("/accounts/organization").get_data(as_text=True)  # signed in
    assert "جمعية النور" in page and "بانتظار التحقق" in page


@pytest.mark.parametrize(("over", "status", "text"), [
    ({"registration_number": "TAKEN-1"}, 409, "TAKEN-1"),
    ({"admin_email": "taken@example.org"}, 409, "taken@example.org"),
    ({"password": "short", "confirm": "short"}, 400, ""),
    ({"confirm": "something else entirely"}, 400, "كلمتا المرور مختلفتان"),
    ({"name_ar": ""}, 400, ""),
    ({"hq_pcode": "SY99"}, 400, ""),
])
def test_bad_registrations_change_nothing(client, session, make, over, status, text):
    make.org(registration_number="TAKEN-1")
    make.user("viewer", email="taken@example.org")
    counts = (session.scalar(select(func.count(Organization.id))),
              session.scalar(select(func.count(User.id))))
    resp = client.post("/auth/register", data=registration(**over))
    assert resp.status_code == status
    assert text in resp.get_data(as_text=True)
    session.expire_all()
    assert (session.scalar(select(func.count(Organization.id))),
            session.scalar(select(func.count(User.id)))) == counts


def test_platform_admin_verifies_and_rejects_with_reason(client, session, make, login):
    waiting = make.org(verification="pending", name_ar="جمعية الانتظار")
    boss = make.user("org_admin", waiting)
    admin = make.user("platform_admin")
    login(admin)
    page = client.get("/accounts/admin/organizations").get_data(as_text=True)
    assert "جمعية الانتظار" in page and boss.email in page
    url = f"/accounts/admin/organizations/{waiting.id}/decision"
    # rejecting needs a reason: nothing changes without one
    client.post(url, data={"decision": "reject", "reason": " "})
    session.refresh(waiting)
    assert waiting.verification == "pending"
    client.post(url, data={"decision": "reject", "reason": "Registration number unknown"})
    session.refresh(waiting)
    assert waiting.verification == "rejected"
    client.post(url, data={"decision": "verify"})
    session.refresh(waiting)
    assert waiting.verification == "verified" and waiting.verified_at is not None
    entries = session.scalars(select(AuditLog).where(
        AuditLog.organization_id == waiting.id).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["organization.rejected", "organization.verified"]
    assert entries[0].summary["reason"] == "Registration number unknown"
    assert entries[0].user_id == admin.id
    notes = session.scalars(select(Notification).where(Notification.user_id == boss.id)).all()
    assert len(notes) == 2
    assert client.post("/accounts/admin/organizations/999999/decision",
                       data={"decision": "verify"}).status_code == 404


def test_verified_badge_shows_on_the_profile(client, make, login):
    org = make.org(verification="verified")
    login(make.user("viewer", org))
    assert "موثّقة" in client.get("/accounts/organization").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "review"), [
    ("name_en", "A New Name", True),
    ("name_ar", "اسم جديد", True),
    ("registration_number", "NEW-42", True),
    ("phone", "+963 944 000 000", False),
])
def test_identity_changes_send_the_org_back_to_review(client, session, make, login,
                                                      field, value, review):
    org = make.org(verification="verified", registration_number="OLD-1", hq_pcode="SY07",
                   org_type="local_ngo")
    login(make.user("org_admin", org))
    data = {"name_ar": org.name_ar, "name_en": org.name_en, "acronym": org.acronym,
            "registration_number": "OLD-1", "org_type": "local_ngo", "hq_pcode": "SY07",
            field: value}
    assert client.post("/accounts/organization/edit", data=data).status_code == 302
    session.refresh(org)
    assert getattr(org, field) == value
    assert org.verification == ("pending" if review else "verified")
    entry = session.scalars(select(AuditLog).where(
        AuditLog.action == "organization.updated",
        AuditLog.organization_id == org.id)).one()
    assert entry.summary == {"fields": [field], "back_to_review": review}


# ---------------------------------------------------------------- membership

def test_invite_without_mail_shows_a_link_that_works_once(client, session, make, login):
    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post("/accounts/members/invite",
                       data={"email": "new@example.org", "role": "planner"})
    assert resp.status_code == 200
    path = re.search(r"/auth/invitation/[^\s<\"]+", resp.get_data(as_text=True)).group(0)
    other = client.application.test_client()
    page = other.get(path)
    assert page.status_code == 200 and "new@example.org" in page.get_data(as_text=True)
    joined = other.post(path, data={"name": "Nadia", "password": PASSWORD, "confirm": PASSWORD})
    assert joined.status_code == 302
    user = session.scalar(select(User).where(User.email == "new@example.org"))
    assert (user.role, user.organization_id, user.name) == ("planner", org.id, "Nadia")
    assert other.get(path).status_code == 409
    assert {"member.invited", "member.joined"} <= set(actions(session, organization_id=org.id))


def test_invitation_by_email_arrives(client, make, login, smtp_server):
    org = make.org(name_ar="جمعية الدعوة")
    login(make.user("org_admin", org))
    resp = client.post("/accounts/members/invite",
                       data={"email": "guest@example.org", "role": "viewer"})
    assert resp.status_code == 302
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "guest@example.org"
    assert "/auth/invitation/" in mail.get_body(("plain",)).get_content()


def test_inviting_an_existing_account_is_a_conflict(client, make, login):
    org = make.org()
    login(make.user("org_admin", org))
    make.user("viewer", email="here@example.org")
    resp = client.post("/accounts/members/invite",
                       data={"email": "here@example.org", "role": "viewer"})
    assert resp.status_code == 409


def test_org_admin_changes_roles_and_removes_members(client, session, make, login):
    org = make.org()
    boss = make.user("org_admin", org)
    member = make.user("viewer", org)
    login(boss)
    page = client.get("/accounts/members").get_data(as_text=True)
    assert member.email in page and "دعوة عضو" in page
    assert client.post(f"/accounts/members/{member.id}/role",
                       data={"role": "caseworker"}).status_code == 302
    session.refresh(member)
    assert member.role == "caseworker"
    change = session.scalars(select(AuditLog).where(AuditLog.action == "role.changed")).one()
    assert change.summary["from"] == "viewer" and change.summary["to"] == "caseworker"
    assert change.user_id == boss.id
    assert client.post(f"/accounts/members/{member.id}/remove").status_code == 302
    session.refresh(member)
    assert member.organization_id is None and not member.active
    assert "member.removed" in actions(session, organization_id=org.id)


@pytest.mark.parametrize("action", ["role", "remove"])
def test_org_admin_cannot_touch_other_orgs_members(client, session, make, login, action):
    login(make.user("org_admin", make.org()))
    stranger = make.user("caseworker", make.org())
    resp = client.post(f"/accounts/members/{stranger.id}/{action}", data={"role": "viewer"})
    assert resp.status_code == 404  # not 403: the id of another org's member does not leak
    session.refresh(stranger)
    assert stranger.role == "caseworker" and stranger.active


def test_org_admin_cannot_give_platform_admin_or_change_self(client, session, make, login):
    org = make.org()
    boss = make.user("org_admin", org)
    member = make.user("viewer", org)
    login(boss)
    assert client.post(f"/accounts/members/{member.id}/role",
                       data={"role": "platform_admin"}).status_code == 400
    assert client.post(f"/accounts/members/{boss.id}/remove").status_code == 409
    session.refresh(member)
    assert member.role == "viewer"


# ---------------------------------------------------------------- audit log

def test_audit_helper_records_and_the_table_refuses_changes(session, make):
    from sqlalchemy.exc import DBAPIError

    from data.audit import record

    user = make.user("caseworker")
    entry = record(session, "referral.read", user=user, object_type="referral", object_id=7,
                   summary={"why": "test"}, ip="10.0.0.1")
    assert (entry.organization_id, entry.object_id, entry.ip) == (user.organization_id, "7",
                                                                  "10.0.0.1")
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        entry.summary = {"why": "changed"}
        session.flush()


def test_audit_page_filters_and_paginates(client, session, make, login):
    from data.audit import record

    admin = make.user("platform_admin")
    other = make.user("caseworker", email="filter-me@example.org")
    for i in range(55):
        record(session, "token.created", user=admin, object_type="api_token", object_id=i)
    record(session, "role.changed", user=other, object_type="user", object_id=other.id)
    login(admin)
    page = client.get("/accounts/admin/audit?action=token")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "سجل التدقيق" in html
    assert "55" in html and html.count("<code>token.created</code>") == 50
    second = client.get("/accounts/admin/audit?action=token&page=2").get_data(as_text=True)
    assert second.count("<code>token.created</code>") == 5
    by_user = client.get("/accounts/admin/audit?user=filter-me@example.org").get_data(
        as_text=True)
    assert "<code>role.changed</code>" in by_user and "token.created</code>" not in by_user
    by_type = client.get("/accounts/admin/audit?object_type=user").get_data(as_text=True)
    assert "token.created</code>" not in by_type
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    later = client.get(f"/accounts/admin/audit?since={tomorrow}").get_data(as_text=True)
    assert "<code>role.changed</code>" not in later


@pytest.mark.parametrize(("path", "arabic", "english"), [
    ("/auth/login", "نسيت كلمة المرور؟", "Forgot your password?"),
    ("/auth/register", "سجّل منظمتك", "Register your organisation"),
    ("/auth/forgot", "هذا الخادم لا يرسل البريد", "This server does not send email"),
])
def test_account_pages_are_bilingual(client, path, arabic, english):
    ar = client.get(path).get_data(as_text=True)
    assert arabic in ar and 'dir="rtl"' in ar
    en = client.get(path + "?lang=en").get_data(as_text=True)
    assert english in en and 'dir="ltr"' in en and arabic not in en


def test_admin_pages_in_english(client, make, login):
    login(make.user("platform_admin"))
    client.get("/lang/en")
    assert "Audit log" in client.get("/accounts/admin/audit").get_data(as_text=True)
    assert "No organisation is waiting" in client.get(
        "/accounts/admin/organizations").get_data(as_text=True)


def test_a_password_reset_ends_the_other_sessions(app, client, session, make):
    from network.accounts import reset_token

    user = make.user("caseworker")
    assert sign_in(client, user.email).status_code == 302
    assert client.get("/accounts/organization").status_code == 200
    other = app.test_client()
    token = reset_token(user, app.secret_key)
    new = "another long passphrase"
    assert other.post(f"/auth/reset/{token}", data={"password": new, "confirm": new}
                      ).status_code == 302
    assert client.get("/accounts/organization").status_code == 302  # signed out
    assert sign_in(other, user.email, new).status_code == 302
    assert other.get("/accounts/organization").status_code == 200


def test_change_own_password(client, session, make, login):
    user = make.user("viewer")
    login(user)
    page = client.get("/auth/password").get_data(as_text=True)
    assert "كلمة المرور الحالية" in page
    new = "my new long password"
    wrong = client.post("/auth/password", data={"current_password": "nope", "password": new,
                                                "confirm": new})
    assert wrong.status_code == 400
    assert "كلمة المرور الحالية غير صحيحة" in wrong.get_data(as_text=True)
    ok = client.post("/auth/password", data={"current_password": PASSWORD, "password": new,
                                             "confirm": new})
    assert ok.status_code == 302
    assert client.get("/accounts/organization").status_code == 200  # this session goes on
    assert "password.changed" in actions(session, user_id=user.id)
    client.post("/auth/logout")
    assert sign_in(client, user.email, new).status_code == 302


@pytest.mark.parametrize("target", ["//evil.example.org/", "/\\evil.example.org", "https://x.org"])
def test_sign_in_never_redirects_off_site(client, make, target):
    user = make.user("viewer")
    resp = client.post(f"/auth/login?next={target}", data={"email": user.email,
                                                           "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_pending_list_and_profile_name_the_governorate(client, make, login):
    org = make.org(verification="pending", hq_pcode="SY07")
    login(make.user("org_admin", org))
    assert "إدلب" in client.get("/accounts/organization").get_data(as_text=True)
    login(make.user("platform_admin"))
    html = client.get("/accounts/admin/organizations").get_data(as_text=True)
    assert "إدلب" in html and f'for="decision-{org.id}"' in html


def test_pending_list_names_each_organisation_s_own_admins(client, make, login):
    """One query for every organisation's admins, each shown under its own organisation
    (oldest first: each block ends with its decision form)."""
    first = make.org(verification="pending", name_en="First Waiting")
    second = make.org(verification="pending", name_en="Second Waiting")
    lonely = make.org(verification="pending", name_en="No Admin Yet")
    a1, a2 = make.user("org_admin", first), make.user("org_admin", second)
    login(make.user("platform_admin"))
    html = client.get("/accounts/admin/organizations").get_data(as_text=True)
    ends = [html.index(f'for="decision-{org.id}"') for org in (first, second, lonely)]
    assert ends == sorted(ends)
    assert html.index(a1.email) < ends[0] < html.index(a2.email) < ends[1]
    assert a1.email not in html[ends[0]:] and a2.email not in html[ends[1]:]
