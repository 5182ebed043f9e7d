"""CSRF on forms, rate limits (429), and the security headers (CSP, HSTS, nosniff, frames)."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from data.models import AuditLog, Organization
from tests.kits.limits import limits_fixture

PASSWORD = "correct horse battery staple"


@pytest.fixture
def csrf_app(database_url, connection):
    """A fresh app with CSRF protection on, and a map page to test the relaxed CSP."""
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import PUBLIC, allow, map_page

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False,
                        "TILES_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"})
    bp = Blueprint("map_probe", __name__)

    @bp.get("/__map")
    @allow(PUBLIC)
    @map_page
    def a_map():
        return "<script>var map = 1;</script>"

    fresh.register_blueprint(bp)
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    return fresh


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_a_form_without_its_csrf_token_is_400_and_changes_nothing(csrf_app, session, make):
    client = csrf_app.test_client()
    user = make.user("viewer")
    before = session.scalar(select(func.count(AuditLog.id)))
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "ينقصه رمز الأمان" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(AuditLog.id))) == before  # no sign-in attempt
    regs = session.scalar(select(func.count(Organization.id)))
    assert client.post("/auth/register", data={"name_ar": "x"}).status_code == 400
    assert session.scalar(select(func.count(Organization.id))) == regs


def test_a_form_with_its_csrf_token_goes_through(csrf_app, session, make):
    client = csrf_app.test_client()
    user = make.user("viewer")
    token = _token(client.get("/auth/login").get_data(as_text=True))
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                            "csrf_token": token})
    assert resp.status_code == 302
    # signing out is a form too
    page = client.get("/accounts/organization").get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": _token(page)}).status_code == 302


def test_security_headers_on_every_page(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' data:" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers  # BASE_URL is http
    api = client.get("/api/v1/")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_when_served_over_https(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://tasharuk.example.org")
    hsts = client.get("/healthz").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")


def test_map_pages_get_a_relaxed_csp_and_tile_host(csrf_app):
    client = csrf_app.test_client()
    resp = client.get("/__map")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "frame-ancestors 'self'" in csp and resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "img-src 'self' data: https://*.tiles.example.org" in csp
    other = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in other and "https://*.tiles.example.org" in other


# ---------------------------------------------------------------- rate limits

limits = limits_fixture(LOGIN_RATE_LIMIT="3 per minute", RESET_RATE_LIMIT="2 per minute",
                        TOKEN_RATE_LIMIT="2 per minute")


def test_login_is_rate_limited(client, make, limits):
    user = make.user("viewer")
    codes = [client.post("/auth/login", data={"email": user.email, "password": "bad"})
             .status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # the form itself (GET) is not limited
    assert client.get("/auth/login").status_code == 200


def test_an_office_behind_one_address_signs_in_together(app, make, limits):
    # five colleagues, one public address (an office, a town behind its provider's NAT), a
    # limit of three a minute: only failed sign-ins count, so all get in; guessing does not
    office = make.org()
    signed_in = [app.test_client().post(
        "/auth/login", data={"email": make.user("caseworker", org=office).email,
                             "password": PASSWORD}).status_code for _ in range(5)]
    assert signed_in == [302] * 5
    guessing = app.test_client()
    codes = [guessing.post("/auth/login", data={"email": make.user("viewer").email,
                                                "password": "bad"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    late = make.user("caseworker", org=office)  # a colleague after the guessing: refused
    assert app.test_client().post("/auth/login", data={"email": late.email,
                                                       "password": PASSWORD}
                                  ).status_code == 429


def test_reset_requests_are_rate_limited(client, limits):
    codes = [client.post("/auth/forgot", data={"email": "a@example.org"}).status_code
             for _ in range(3)]
    assert codes == [302, 302, 429]


def test_token_creation_is_rate_limited(client, session, make, login, limits):
    login(make.user("org_admin", make.org()))
    codes = [client.post("/accounts/tokens", data={"name": f"t{i}", "role": "viewer"})
             .status_code for i in range(3)]
    assert codes == [201, 201, 429]


def test_limits_are_off_unless_enabled(client):
    # a new unknown email each time: login throttling (per account and client) never starts,
    # so only a rate limit could answer 429
    codes = {client.post("/auth/login", data={"email": f"nobody{i}@example.org",
                                              "password": "x"}).status_code for i in range(12)}
    assert codes == {401}


@pytest.mark.parametrize(("caller", "target", "hide", "expected"), [
    ("same", "own", True, None),
    ("same", "other", True, "NotFound"),
    ("same", "other", False, "Forbidden"),
    ("same", None, True, "NotFound"),
    ("admin", "other", True, None),
    ("anonymous", "own", True, "NotFound"),
])
def test_require_same_org(app, make, caller, target, hide, expected):
    from flask import g

    from data import errors
    from network.tokens import TokenPrincipal
    from web.security import require_same_org, same_org

    own, other = make.org(), make.org()
    who = {"same": TokenPrincipal(1, own.id, "caseworker"),
           "admin": make.user("platform_admin"), "anonymous": None}[caller]
    org_id = {"own": own.id, "other": other.id, None: None}[target]
    with app.test_request_context("/"):
        if who is not None:
            g.principal = who
        assert same_org(org_id) is (expected is None)
        if expected is None:
            require_same_org(org_id, hide=hide)
        else:
            with pytest.raises(getattr(errors, expected)):
                require_same_org(org_id, hide=hide)


def test_verification_form_carries_its_csrf_token(csrf_app, session, make, login):
    org = make.org(verification="pending")
    client = csrf_app.test_client()
    login(make.user("platform_admin"), client)
    page = client.get("/accounts/admin/organizations").get_data(as_text=True)
    url = f"/accounts/admin/organizations/{org.id}/decision"
    assert client.post(url, data={"decision": "verify"}).status_code == 400
    session.refresh(org)
    assert org.verification == "pending"
    assert client.post(url, data={"decision": "verify", "csrf_token": _token(page)}
                       ).status_code == 302
    session.refresh(org)
    assert org.verification == "verified"
