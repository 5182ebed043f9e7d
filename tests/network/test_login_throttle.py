"""Issue 17: login throttling per account and client with a growing delay, never a lock a
stranger can put on a named person; trusted reverse proxies (TASHARUK_TRUSTED_PROXIES)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from data.models import AuditLog, LoginThrottle
from network.throttle import key_of

PASSWORD = "correct horse battery staple"
STRANGER = {"REMOTE_ADDR": "198.51.100.7"}
OWNER = {"REMOTE_ADDR": "192.0.2.44"}


def _try(client, email, password, environ, **kw):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base=environ, **kw)


@pytest.mark.parametrize(("free", "base", "ceiling", "waits"), [
    (3, 1, 900, [0, 0, 0, 1, 2, 4, 8, 16]),
    (0, 2, 10, [2, 4, 8, 10, 10, 10, 10, 10]),
    (5, 1, 900, [0, 0, 0, 0, 0, 1, 2, 4]),
])
def test_the_delay_doubles_after_the_free_failures_up_to_the_ceiling(free, base, ceiling,
                                                                     waits):
    from network.throttle import Throttle

    throttle = Throttle(free=free, base=base, ceiling=ceiling)
    assert [throttle.delay(n) for n in range(1, 9)] == waits


def test_a_stranger_cannot_lock_the_owner_out(app, client, session, make, monkeypatch):
    """Today's fault: five wrong passwords from anyone locked the account for 15 minutes."""
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 3)
    user = make.user("caseworker")
    statuses = [_try(client, user.email, "wrong guess", STRANGER).status_code
                for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]  # the 4th failure costs a second's wait
    owner = app.test_client()
    assert _try(owner, user.email, PASSWORD, OWNER).status_code == 302  # not locked
    session.refresh(user)
    assert user.locked_until is None


def test_a_throttled_client_waits_even_with_the_right_password(app, client, session, make,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    user = make.user("viewer")
    for _ in range(3):
        _try(client, user.email, "wrong guess", STRANGER)
    resp = _try(client, user.email, PASSWORD, STRANGER)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) in (1, 2)
    assert "انتظر" in resp.get_data(as_text=True)  # "wait", in Arabic
    assert "login.throttled" in session.scalars(select(AuditLog.action).where(
        AuditLog.user_id == user.id)).all()
    mine = LoginThrottle.key == key_of(user.email, STRANGER["REMOTE_ADDR"])
    assert session.scalar(select(func.count()).select_from(LoginThrottle).where(mine)) == 1
    session.execute(update(LoginThrottle).where(mine).values(
        blocked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert _try(client, user.email, PASSWORD, STRANGER).status_code == 302
    assert session.scalar(select(func.count()).select_from(LoginThrottle).where(
        mine)) == 0  # forgotten


def test_unknown_emails_are_throttled_alike_and_nothing_names_them(app, client, session,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 1)
    codes = [_try(client, "ghost@example.org", "x" * 12, STRANGER).status_code
             for _ in range(3)]
    assert codes == [401, 401, 429]
    row = session.get(LoginThrottle, key_of("ghost@example.org", STRANGER["REMOTE_ADDR"]))
    assert row.failures == 2 and "ghost" not in row.key and "198.51" not in row.key


def test_a_quiet_day_forgets_the_failures(session):
    from network.throttle import Throttle, key_of, record_failure

    key = key_of("a@example.org", "192.0.2.1")
    throttle = Throttle(free=1)
    now = dt.datetime.now(dt.UTC)
    assert record_failure(session, key, throttle, now) == (1, 0)
    assert record_failure(session, key, throttle, now) == (2, 1)
    assert record_failure(session, key, throttle, now + dt.timedelta(days=2)) == (1, 0)


@pytest.fixture(params=["1", "127.0.0.1,::1", "10.9.0.0/16, 127.0.0.0/8"])
def proxied_app(app, session, request):
    """An app server behind one trusted reverse proxy on loopback (given as a count or as
    addresses), rate limits on (2 sign-ins a minute per client address), on the test's
    database."""
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database

    other = create_app({**app.config, "TRUSTED_PROXIES": request.param,
                        "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute"})
    Database.bind(other, sessionmaker(bind=session.connection(),
                                      join_transaction_mode="create_savepoint",
                                      expire_on_commit=False))
    return other


def test_behind_a_trusted_proxy_users_do_not_share_one_rate_limit(proxied_app, make):
    import uuid

    user = make.user("viewer")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    c = proxied_app.test_client()
    n = uuid.uuid4().int % 200 + 20  # the limiter's memory outlives the test: fresh addresses
    first = {"X-Forwarded-For": f"203.0.113.{n}"}
    assert [_try(c, user.email, "wrong", proxy, headers=first).status_code
            for _ in range(3)] == [401, 401, 429]  # the third: the per-client rate limit
    second = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
    assert _try(c, user.email, PASSWORD, proxy, headers=second).status_code == 302


def test_without_trusted_proxies_the_forwarded_header_is_ignored(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    user = make.user("viewer")
    c = app.test_client()
    where = {"REMOTE_ADDR": "203.0.113.50"}
    codes = [_try(c, user.email, "wrong", where,
                  headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(3)]
    assert codes == [401, 401, 429]  # a forged header does not buy more attempts


@pytest.mark.parametrize(("setting", "peer", "forwarded", "client", "scheme"), [
    ("127.0.0.1", "127.0.0.1", "203.0.113.9", "203.0.113.9", "https"),
    ("127.0.0.1", "198.51.100.1", "203.0.113.9", "198.51.100.1", "http"),  # untrusted peer
    ("127.0.0.1,10.0.0.0/8", "127.0.0.1", "203.0.113.9, 10.0.0.5", "203.0.113.9", "https"),
    ("127.0.0.1", "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9", "https"),  # forged left
    ("127.0.0.1", "127.0.0.1", "", "127.0.0.1", "https"),
    ("127.0.0.1", "127.0.0.1", "junk, 203.0.113.9", "203.0.113.9", "https"),
    ("127.0.0.1", "127.0.0.1", "203.0.113.9, junk", "127.0.0.1", "https"),
    ("0", "127.0.0.1", "203.0.113.9", "127.0.0.1", "http"),
    # a count: werkzeug's ProxyFix, which wants one X-Forwarded-Proto value per proxy
    ("2", "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9", "http"),
    ("1", "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9", "https"),
])
def test_the_client_address_behind_trusted_proxies(setting, peer, forwarded, client, scheme):
    from flask import Flask, request

    from web.proxies import install

    app = Flask("probe")
    app.config["TRUSTED_PROXIES"] = setting
    app.add_url_rule("/", "ip", lambda: f"{request.remote_addr} {request.scheme}")
    install(app)
    headers = {"X-Forwarded-Proto": "https"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    resp = app.test_client().get("/", headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert resp.get_data(as_text=True).split() == [client, scheme]


@pytest.mark.parametrize("value", ["two", "-1", "11", "1.5", "10.0.0.0/8, nowhere"])
def test_a_bad_trusted_proxies_setting_is_a_clear_error(app, value):
    from app import create_app

    with pytest.raises(ValueError, match="TASHARUK_TRUSTED_PROXIES"):
        create_app({**app.config, "TRUSTED_PROXIES": value})
