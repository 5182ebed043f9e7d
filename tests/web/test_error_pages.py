"""Error pages: in the user's language with the other language underneath, a hint at what
to do, the home link, and no framework English in the Arabic page."""

from __future__ import annotations

import pytest
from flask import Blueprint


def test_not_found_is_arabic_with_english_underneath(client):
    resp = client.get("/no-such-page")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and 'dir="rtl"' in html
    assert "الصفحة غير موجودة" in html and "ربما كُتب العنوان" in html
    assert 'lang="en" dir="ltr">Page not found.' in html
    assert "requested URL was not found" not in html  # Werkzeug's English text is replaced
    assert 'href="/"' in html


def test_not_found_in_english(client):
    html = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "<h1 id=\"error-title\">Page not found</h1>" in html
    assert 'lang="ar" dir="rtl">الصفحة غير موجودة.' in html


def test_forbidden_explains_and_keeps_the_specific_message(client, make, login):
    login(make.user("caseworker"))
    resp = client.get("/accounts/members")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert "لا تملك صلاحية الوصول إلى هذه الصفحة" in html and "مدير منظمتك" in html
    assert "/auth/logout" in html  # still signed in, with the normal header


def test_abort_message_of_a_view_is_shown(client, make, login):
    login(make.user("caseworker"))
    html = client.get("/referrals/new?service_id=999999").get_data(as_text=True)
    assert "الصفحة غير موجودة" in html


@pytest.mark.parametrize("lang, title", [("ar", "حدث خطأ من جهتنا"),
                                         ("en", "Something went wrong on our side")])
def test_crash_page_is_bilingual_and_helpful(database_url, connection, lang, title):
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import PUBLIC, allow

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                        "PROPAGATE_CRASHES": False})
    bp = Blueprint("crash_probe", __name__)

    @bp.get("/__crash")
    @allow(PUBLIC)
    def crash():
        raise RuntimeError("boom")

    fresh.register_blueprint(bp)
    fresh.logger.disabled = True
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    resp = fresh.test_client().get(f"/__crash?lang={lang}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert f'<h1 id="error-title">{title}</h1>' in html
    assert "boom" not in html and "Traceback" not in html



@pytest.mark.parametrize(("method", "path", "headers", "status", "code", "message"), [
    ("GET", "/api/v1/nothing", {}, 404, "not_found", "الصفحة غير موجودة."),
    ("GET", "/api/v1/nothing?lang=en", {}, 404, "not_found", "Page not found."),
    ("GET", "/api/v1/nothing", {"Accept-Language": "en"}, 404, "not_found", "Page not found."),
    ("PATCH", "/api/v1/me", {}, 405, "method_not_allowed", "لا يمكن تنفيذ هذا الإجراء هنا."),
    ("DELETE", "/api/v1/organizations?lang=en", {}, 405, "method_not_allowed",
     "This action is not possible here."),
    ("GET", "/no-such-page", {"Accept": "application/json"}, 404, "not_found",
     "الصفحة غير موجودة."),
])
def test_json_errors_of_the_framework_speak_the_callers_language(client, method, path, headers,
                                                                 status, code, message):
    """An unknown API address or a method it does not take answered with werkzeug's English
    description whatever the caller's language; now with the same title and hint as the
    error page, in the caller's language."""
    resp = client.open(path, method=method, headers=headers)
    error = resp.get_json()["error"]
    assert resp.status_code == status and error["code"] == code
    assert error["message"].startswith(message), error["message"]
    assert "requested URL" not in error["message"] and "method is not allowed" not in \
        error["message"]
