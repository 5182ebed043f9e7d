"""A database outage is a 503 with Retry-After; 429s say when to retry; no version banner;
edits that change nothing write no audit row (issue 17, finding 7). The outage is real: the
app's pool points at a closed port on 127.0.0.1."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from data.models import AuditLog
from tests.conftest import free_port


@pytest.fixture
def down_app(tmp_path):
    """The app with its database on a loopback port where nothing listens."""
    from app import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "UPLOAD_FOLDER": str(tmp_path),
                       "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none"})


@pytest.mark.parametrize(("path", "accept"), [
    ("/api/v1/services?q=water", "application/json"),
    ("/api/v1/organizations/1", "application/json"),
    ("/directory/", "text/html"),
    ("/library/", "text/html"),
])
def test_a_database_outage_is_503_with_retry_after(down_app, path, accept):
    resp = down_app.test_client().get(path, headers={"Accept": accept})
    assert resp.status_code == 503
    assert int(resp.headers["Retry-After"]) > 0
    if path.startswith("/api/"):
        error = resp.get_json()["error"]
        assert error["code"] == "unavailable" and error["details"]["retry_after"] > 0
    else:
        html = resp.get_data(as_text=True)
        assert "الخدمة غير متاحة مؤقتاً" in html and "briefly unavailable" in html


def test_a_signed_in_person_gets_the_page_too(down_app):
    client = down_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"  # loading this user's server-side session is what fails
        sess["_sid"] = "a-session-secret"
    for path in ("/referrals/in", "/no-such-page"):  # a page, and a 404 in the layout
        resp = client.get(path, headers={"Accept": "text/html"})
        assert resp.status_code == 503 and "Reload" in resp.get_data(as_text=True)


def test_an_outage_over_real_http_from_a_stopped_server(down_app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), down_app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/services"
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=10)
        caught.value.close()
        assert caught.value.code == 503 and caught.value.headers["Retry-After"]
        assert caught.value.headers["Server"] == "Tasharuk"
    finally:
        server.shutdown()
        thread.join(5)


def test_no_version_banner_over_real_http(live_server):
    with urllib.request.urlopen(live_server + "/healthz", timeout=5) as resp:
        server = resp.headers["Server"]
    assert server == "Tasharuk"
    assert "Werkzeug" not in server and "Python" not in server


def test_a_429_carries_retry_after(app, client, make, login):
    login(make.user("viewer"))
    app.config.update(RATELIMIT_ENABLED=True, EXPORT_RATE_LIMIT="1 per minute")
    try:
        with client.get("/api/v1/exports/geojson") as first:
            assert first.status_code == 200
        resp = client.get("/api/v1/exports/geojson")
    finally:
        app.config.update(RATELIMIT_ENABLED=False)
        app.config.pop("EXPORT_RATE_LIMIT")
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 61
    assert resp.get_json()["error"]["details"]["retry_after"] == int(resp.headers["Retry-After"])


def test_a_limiter_429_gets_retry_after_too(app):
    from flask import Flask
    from werkzeug.exceptions import TooManyRequests

    from web.errors import add_retry_after

    with Flask(__name__).test_request_context("/"):
        resp = app.response_class("", status=TooManyRequests.code)
        assert add_retry_after(resp).headers["Retry-After"] == "60"


# ---------------------------------------------------------------- no-op edits

def _audit_count(session) -> int:
    return session.scalar(select(func.count(AuditLog.id)))


def test_a_patch_that_changes_nothing_writes_no_audit_row(client, session, make, login):
    admin = make.user("org_admin")
    svc = make.service(organization_id=admin.organization_id, coverage=["SY07"],
                       sites=[(36.2, 33.5)], hours=[(1, "08:00", "12:00")])
    login(admin)
    same = client.get(f"/api/v1/services/{svc.id}").get_json()
    before = _audit_count(session)
    body = {"name_en": svc.name_en, "name_ar": svc.name_ar,
            "capacity_per_month": svc.capacity_per_month, "coverage": ["SY07"],
            "target_groups": ["women"]}
    assert client.patch(f"/api/v1/services/{svc.id}", json=body).status_code == 200
    assert _audit_count(session) == before
    assert client.get(f"/api/v1/services/{svc.id}").get_json() == same
    assert client.patch(f"/api/v1/services/{svc.id}",
                        json={"capacity_per_month": 7}).status_code == 200
    assert _audit_count(session) == before + 1
    entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry.summary["fields"] == ["capacity_per_month"]


def test_an_organisation_patch_that_changes_nothing_writes_no_audit_row(
        client, session, make, login):
    admin = make.user("org_admin")
    org = session.get(type(make.org()), admin.organization_id)
    login(admin)
    before = _audit_count(session)
    resp = client.patch(f"/api/v1/organizations/{org.id}",
                        json={"name_en": org.name_en, "acronym": org.acronym})
    assert resp.status_code == 200
    assert _audit_count(session) == before
    resp = client.patch(f"/api/v1/organizations/{org.id}", json={"acronym": "NEW"})
    assert resp.status_code == 200 and _audit_count(session) == before + 1
