"""Issue 17, finding 4: server-side sessions that logout, a password or role change and "sign
out everywhere" end on the next request, with idle and absolute lifetimes, shared by every app
server through PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data.models import AuditLog, UserSession

PASSWORD = "correct horse battery staple"


def _sign_in(client, user, password=PASSWORD, **kw):
    resp = client.post("/auth/login", data={"email": user.email, "password": password}, **kw)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def _copy(app, client):
    """Another browser holding a copy of ``client``'s cookie."""
    other = app.test_client()
    with client.session_transaction() as src, other.session_transaction() as dst:
        dst.update(src)
    return other


def _signed_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


@pytest.fixture
def check_schema(app):
    """Validate a response against the OpenAPI document's schema for it; the body."""
    from jsonschema import Draft202012Validator

    from web.api.openapi import document

    with app.app_context():
        doc = document()

    def _check(path: str, method: str, resp):
        op = doc["paths"][path][method]
        content = op["responses"][str(resp.status_code)]["content"]["application/json"]
        Draft202012Validator(dict(content["schema"], components=doc["components"])).validate(
            resp.get_json())
        return resp.get_json()

    return _check


@pytest.fixture
def second_app(app, session):
    """Another app server on the same database (its own process state, nothing shared but
    PostgreSQL)."""
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database

    other = create_app(dict(app.config))
    Database.bind(other, sessionmaker(bind=session.connection(),
                                      join_transaction_mode="create_savepoint",
                                      expire_on_commit=False))
    return other


def test_a_copied_cookie_stops_working_after_logout(app, client, make):
    user = make.user("caseworker")
    _sign_in(client, user)
    thief = _copy(app, client)
    assert _signed_in(thief)
    assert client.post("/auth/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert thief.get("/accounts/organization").status_code == 302  # to the sign-in page


def test_logout_on_one_server_ends_the_session_on_another(app, second_app, client, make):
    user = make.user("viewer")
    _sign_in(client, user)
    elsewhere = _copy(second_app, client)
    assert _signed_in(elsewhere)
    client.post("/auth/logout")
    assert not _signed_in(elsewhere)


def test_the_table_keeps_a_hash_never_the_cookie_secret(client, session, make):
    user = make.user("viewer")
    _sign_in(client, user, headers={"User-Agent": "Firefox/128 test"})
    with client.session_transaction() as sess:
        secret = sess["_sid"]
    row = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert secret not in row.token_hash and len(row.token_hash) == 64
    assert row.client_hint == "Firefox/128 test" and row.ended_at is None


@pytest.mark.parametrize(("change", "reason"), [
    ("password", "password.changed"),
    ("role", "role.changed"),
    ("removed", "member.removed"),
    ("reset", "password.reset"),
])
def test_password_and_role_changes_end_the_other_sessions(app, client, session, make, login,
                                                          change, reason):
    from network import accounts

    org = make.org()
    user = make.user("caseworker", org)
    laptop = _sign_in(app.test_client(), user)
    phone = _sign_in(app.test_client(), user)
    admin = make.user("org_admin", org)
    if change == "password":
        resp = laptop.post("/auth/password", data={"current_password": PASSWORD,
                                                   "password": "another long password",
                                                   "confirm": "another long password"})
        assert resp.status_code == 302
        assert _signed_in(laptop)  # the browser that changed it gets a new session
    elif change == "role":
        login(admin)
        assert client.post(f"/accounts/members/{user.id}/role",
                           data={"role": "viewer"}).status_code == 302
    elif change == "removed":
        login(admin)
        assert client.post(f"/accounts/members/{user.id}/remove").status_code == 302
    else:
        token = accounts.reset_token(user, app.secret_key)
        assert client.post(f"/auth/reset/{token}", data={
            "password": "another long password", "confirm": "another long password"}
        ).status_code == 302
    assert not _signed_in(phone)
    if change != "password":
        assert not _signed_in(laptop)
    ended = session.scalars(select(UserSession.end_reason).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_not(None))).all()
    assert reason in ended


def test_sign_out_everywhere_from_the_page(app, client, session, make):
    user = make.user("planner")
    other = _sign_in(app.test_client(), user, headers={"User-Agent": "Other browser"})
    _sign_in(client, user, headers={"User-Agent": "This browser"})
    page = client.get("/auth/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Other browser" in html and "This browser" in html
    assert "الخروج من كل الأجهزة" in html  # the button, in Arabic
    resp = client.post("/auth/sessions/end")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/login")
    assert not _signed_in(client) and not _signed_in(other)
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "sessions.ended")).one()
    assert entry.summary == {"reason": "signed_out_everywhere", "sessions": 2}


def test_sign_out_everywhere_through_the_api(app, client, make, check_schema):
    user = make.user("viewer")
    other = _sign_in(app.test_client(), user)
    _sign_in(client, user)
    listing = client.get("/api/v1/me/sessions")
    body = check_schema("/me/sessions", "get", listing)
    assert len(body["items"]) == 2 and sum(i["current"] for i in body["items"]) == 1
    ended = client.post("/api/v1/me/sessions/end")
    assert check_schema("/me/sessions/end", "post", ended) == {"ended": 2}
    assert not _signed_in(client) and not _signed_in(other)


def test_a_platform_admin_signs_a_user_out_everywhere(app, client, session, make, login,
                                                      check_schema):
    user = make.user("caseworker")
    browser = _sign_in(app.test_client(), user)
    admin = make.user("platform_admin")
    login(admin)
    page = client.get(f"/accounts/admin/users/{user.id}/sessions")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    assert client.post(f"/accounts/admin/users/{user.id}/sessions/end").status_code == 302
    assert not _signed_in(browser)
    browser = _sign_in(app.test_client(), user)
    resp = client.post(f"/api/v1/users/{user.id}/sessions/end")
    assert check_schema("/users/{user_id}/sessions/end", "post", resp) == {"ended": 1}
    assert not _signed_in(browser)
    assert _signed_in(client)  # the admin's own session goes on
    missing = client.post("/api/v1/users/999999/sessions/end")
    assert missing.status_code == 404
    entries = session.scalars(select(AuditLog.summary).where(
        AuditLog.action == "sessions.ended", AuditLog.user_id == admin.id)).all()
    assert [e["reason"] for e in entries] == ["ended_by_admin", "ended_by_admin"]


def test_an_api_token_has_no_sessions(client, session, make):
    from network.tokens import create_token

    _token, secret = create_token(session, make.org(), "caseworker")
    resp = client.post("/api/v1/me/sessions/end", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 403


@pytest.mark.parametrize(("idle_min", "age_h", "seen_ago_min", "alive"), [
    (30, 12, 10, True),       # seen 10 min ago, idle limit 30 min
    (30, 12, 31, False),      # idle too long
    (600, 2, 1, False),       # active, but older than the absolute lifetime (made 3 h ago)
    (600, 4, 1, True),
])
def test_idle_and_absolute_lifetimes(app, client, session, make, monkeypatch, idle_min, age_h,
                                     seen_ago_min, alive):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", idle_min)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", age_h)
    user = make.user("viewer")
    _sign_in(client, user)
    now = dt.datetime.now(dt.UTC)
    session.execute(update(UserSession).where(UserSession.user_id == user.id).values(
        created_at=now - dt.timedelta(hours=3),
        last_seen_at=now - dt.timedelta(minutes=seen_ago_min)))
    session.expire_all()
    assert _signed_in(client) is alive
    row = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    session.refresh(row)
    assert (row.ended_at is None) is alive


def test_lifetimes_are_read_from_the_environment(monkeypatch):
    from app import Config

    monkeypatch.setenv("TASHARUK_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("TASHARUK_SESSION_MAX_HOURS", "8")
    config = Config()
    assert (config.SESSION_IDLE_MINUTES, config.SESSION_MAX_HOURS) == (15, 8)


def test_last_seen_is_written_at_most_once_a_minute(client, session, make):
    user = make.user("viewer")
    _sign_in(client, user)
    row = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    first = row.last_seen_at
    assert _signed_in(client)
    session.refresh(row)
    assert row.last_seen_at == first  # within the minute: not written
    earlier = first - dt.timedelta(minutes=2)
    session.execute(update(UserSession).where(UserSession.id == row.id).values(
        last_seen_at=earlier))
    assert _signed_in(client)
    session.refresh(row)
    assert row.last_seen_at > earlier + dt.timedelta(minutes=1)


# ---------------------------------------------------------------- purging (nothing kept forever)

def _aged_sessions(session, make) -> dict[str, int]:
    """One user's sessions in each state (ids): live, ended, idle too long, too old."""
    from network.sessions import start_session

    user = make.user("viewer")
    now = dt.datetime.now(dt.UTC)
    ages = {"live": (now, now, None), "ended": (now, now, now),
            "idle": (now - dt.timedelta(hours=3), now - dt.timedelta(hours=3), None),
            "old": (now - dt.timedelta(hours=13), now, None)}
    ids = {}
    for name, (created, seen, ended) in ages.items():
        start_session(session, user)
        row = session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id.desc())).first()
        row.created_at, row.last_seen_at, row.ended_at = created, seen, ended
        ids[name] = row.id
    session.flush()
    return ids


def _throttle_rows(session) -> None:
    from data.models import LoginThrottle

    now = dt.datetime.now(dt.UTC)
    session.add_all([LoginThrottle(key="a" * 64, failures=3, last_failure_at=now),
                     LoginThrottle(key="b" * 64, failures=9,
                                   last_failure_at=now - dt.timedelta(days=2))])
    session.flush()


def test_the_purge_deletes_only_sessions_that_can_no_longer_be_used(session, make):
    from network.sessions import Lifetimes, purge

    ids = _aged_sessions(session, make)
    assert purge(session, Lifetimes(idle_minutes=120, max_hours=12)) >= 3
    left = set(session.scalars(select(UserSession.id).where(
        UserSession.id.in_(ids.values()))))
    assert left == {ids["live"]}


def test_cli_purges_sessions_and_old_throttle_rows(runner, session, make):
    import json

    from data.models import LoginThrottle

    ids = _aged_sessions(session, make)
    _throttle_rows(session)
    res = runner.invoke(args=["users", "purge-sessions"])
    assert res.exit_code == 0, res.output
    done = json.loads(res.output)
    assert done["sessions"] >= 3 and done["login_throttle"] >= 1
    session.expire_all()
    assert set(session.scalars(select(UserSession.id).where(
        UserSession.id.in_(ids.values())))) == {ids["live"]}
    assert set(session.scalars(select(LoginThrottle.key).where(
        LoginThrottle.key.in_(["a" * 64, "b" * 64])))) == {"a" * 64}


@pytest.mark.parametrize(("lang", "browsers", "said"), [
    ("en_GB.UTF-8", 0, "{email}: 0 sessions ended"),
    ("en_GB.UTF-8", 1, "{email}: 1 session ended"),
    ("en_GB.UTF-8", 2, "{email}: 2 sessions ended"),
    ("ar_SY.UTF-8", 0, "{email}: لم تُنهَ أي جلسة"),
    ("ar_SY.UTF-8", 1, "{email}: أُنهيت جلسة واحدة"),
    ("ar_SY.UTF-8", 2, "{email}: أُنهيت جلستان"),
    ("ar_SY.UTF-8", 3, "{email}: أُنهيت 3 جلسات"),
])
def test_cli_sign_out_speaks_the_shells_language(app, runner, make, lang, browsers, said):
    user = make.user("caseworker")
    clients = [_sign_in(app.test_client(), user) for _ in range(browsers)]
    res = runner.invoke(args=["users", "sign-out", user.email],
                        env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": lang})
    assert res.exit_code == 0, res.output
    assert res.output.strip() == said.format(email=user.email)
    assert not any(_signed_in(c) for c in clients)
