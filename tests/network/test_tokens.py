"""API tokens: created by an org admin (page and CLI), shown once, stored hashed, used with
``Authorization: Bearer`` on /api/v1, last-used time, revocation; forged/revoked -> 401."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from flask import Blueprint
from sqlalchemy import select

from data.models import ApiToken, AuditLog


def create_on_page(client, name="Dashboard", role="viewer") -> str:
    resp = client.post("/accounts/tokens", data={"name": name, "role": role})
    assert resp.status_code == 201
    html = resp.get_data(as_text=True)
    assert "لن يظهر إلا مرة واحدة" in html
    return re.search(r'<code class="secret">(tsk_[^<]+)</code>', html).group(1)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_token_lifecycle(client, session, make, login):
    org = make.org()
    boss = make.user("org_admin", org)
    login(boss)
    secret = create_on_page(client, "Partner dashboard", "planner")
    token = session.scalars(select(ApiToken)).one()
    # stored hashed, identified by a prefix, never the secret itself
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and secret not in (token.prefix, token.token_hash)
    assert (token.organization_id, token.role, token.created_by_id) == (org.id, "planner",
                                                                       boss.id)
    assert token.last_used_at is None
    # shown once: the list shows the prefix only
    listing = client.get("/accounts/tokens").get_data(as_text=True)
    assert token.prefix in listing and secret not in listing and "Partner dashboard" in listing
    # use it, from a client without any session
    api = client.application.test_client()
    me = api.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json() == {"kind": "token", "role": "planner", "organization_id": org.id,
                             "token_id": token.id, "user_id": None}
    session.refresh(token)
    assert token.last_used_at is not None
    assert dt.datetime.now(dt.UTC) - token.last_used_at < dt.timedelta(minutes=1)
    # revoke: it stops working at once, with a JSON 401
    assert client.post(f"/accounts/tokens/{token.id}/revoke").status_code == 302
    gone = api.get("/api/v1/me", headers=bearer(secret))
    assert gone.status_code == 401
    assert gone.get_json()["error"]["code"] == "invalid_token"
    session.refresh(token)
    assert token.revoked_at is not None
    assert [e.action for e in session.scalars(select(AuditLog).where(
        AuditLog.object_type == "api_token").order_by(AuditLog.id))] == ["token.created",
                                                                         "token.revoked"]


@pytest.mark.parametrize("header", [
    "Bearer tsk_forged-secret-that-was-never-issued",
    "Bearer not-even-our-format",
    "Bearer ",
])
def test_forged_tokens_are_401_json(client, session, make, header):
    from network.tokens import create_token

    create_token(session, make.org(), "viewer")  # a real token exists; the forged one fails
    resp = client.get("/api/v1/", headers={"Authorization": header})
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["error"]["code"] == "invalid_token"


def test_a_token_of_an_org_no_longer_verified_stops_working(client, session, make):
    from network.tokens import create_token

    org = make.org()
    _t, secret = create_token(session, org, "caseworker")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    org.verification = "suspended"
    session.flush()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_other_schemes_and_html_pages_ignore_the_header(client, session, make):
    from network.tokens import create_token

    _t, secret = create_token(session, make.org(), "org_admin")
    # Basic auth is not ours: the caller stays anonymous
    assert client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}).status_code == 401
    # bearer tokens open /api/v1 only, not the HTML pages
    assert client.get("/accounts/members", headers=bearer(secret)).status_code == 302


def test_pending_orgs_cannot_create_tokens(client, session, make, login):
    org = make.org(verification="pending")
    login(make.user("org_admin", org))
    resp = client.post("/accounts/tokens", data={"name": "x", "role": "viewer"})
    assert resp.status_code == 403
    assert session.scalars(select(ApiToken)).all() == []


def test_tokens_cannot_carry_the_platform_admin_role(client, session, make, login):
    login(make.user("org_admin", make.org()))
    resp = client.post("/accounts/tokens", data={"name": "x", "role": "platform_admin"})
    assert resp.status_code == 400
    assert session.scalars(select(ApiToken)).all() == []


def test_org_admin_cannot_revoke_another_orgs_token(client, session, make, login):
    from network.tokens import create_token

    token, _s = create_token(session, make.org(), "viewer")
    login(make.user("org_admin", make.org()))
    assert client.post(f"/accounts/tokens/{token.id}/revoke").status_code == 404
    session.refresh(token)
    assert token.revoked_at is None


@pytest.fixture
def probe_app(database_url, connection):
    """A fresh app with API probes: role-restricted GET and a state-changing POST, CSRF on."""
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import AUTHENTICATED, allow

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                        "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    bp = Blueprint("probe", __name__, url_prefix="/api/v1/probe")

    @bp.get("/caseworkers")
    @allow("caseworker")
    def caseworkers():
        return {"ok": True}

    @bp.post("/change")
    @allow(AUTHENTICATED)
    def change():
        return {"changed": True}

    fresh.register_blueprint(bp)
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    return fresh


def test_token_role_is_enforced_and_bearer_calls_skip_csrf(probe_app, session, make):
    from network.tokens import create_token

    org = make.org()
    _a, viewer = create_token(session, org, "viewer")
    _b, caseworker = create_token(session, org, "caseworker")
    client = probe_app.test_client()
    assert client.get("/api/v1/probe/caseworkers", headers=bearer(viewer)).status_code == 403
    assert client.get("/api/v1/probe/caseworkers", headers=bearer(caseworker)).status_code == 200
    # a bearer call carries no cookie, so it cannot be forged cross-site: no CSRF token needed
    assert client.post("/api/v1/probe/change", headers=bearer(viewer)).status_code == 200


def test_session_json_calls_need_the_csrf_header(probe_app, make, login):
    client = probe_app.test_client()
    login(make.user("viewer"), client)
    refused = client.post("/api/v1/probe/change", json={})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    page = client.get("/accounts/organization").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/api/v1/probe/change", json={}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200


def test_me_is_described_in_the_openapi_document(client, session, make):
    import jsonschema

    from network.tokens import create_token

    org = make.org()
    _t, secret = create_token(session, org, "viewer")
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]
    jsonschema.validate(client.get("/api/v1/me", headers=bearer(secret)).get_json(), schema)


def test_expired_tokens_are_401(client, session, make):
    from network.tokens import create_token

    token, secret = create_token(session, make.org(), "viewer", days=30)
    assert token.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.flush()
    resp = client.get("/api/v1/me", headers=bearer(secret))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"


def test_token_expiry_from_the_page(client, session, make, login):
    login(make.user("org_admin", make.org()))
    assert client.post("/accounts/tokens", data={"name": "x", "role": "viewer", "days": "0"}
                       ).status_code == 400
    assert client.post("/accounts/tokens", data={"name": "x", "role": "viewer", "days": "7"}
                       ).status_code == 201
    token = session.scalars(select(ApiToken)).one()
    left = token.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6) < left <= dt.timedelta(days=7)
