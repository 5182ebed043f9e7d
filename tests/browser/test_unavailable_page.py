"""The page a reader gets while the database cannot serve: here a database the new code's
migrations have not reached yet (a deploy before `tasharuk db upgrade`), which answered a 500
page before. In a real browser, in Arabic on a phone and English on a desktop: 503 with
Retry-After, both languages, axe clean, no request outside the app, no script error."""

from __future__ import annotations

from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import serving


def test_a_database_not_migrated_yet_shows_the_unavailable_page(visit, scratch_db):
    from app import create_app

    app = create_app({"DATABASE_URL": scratch_db("tasharuk_browser_unmigrated"),
                      "SECRET_KEY": "browser-test-secret", "RATELIMIT_ENABLED": False,
                      "TILES_URL": ""})
    try:
        with serving(app, threaded=True) as url:
            for locale, size, path in (("ar", PHONE, "/"), ("en", DESKTOP, "/library/")):
                v = visit(size=size, locale=locale, base=url)
                resp = v.page.goto(v.url(path))
                assert resp.status == 503 and resp.headers["retry-after"] == "30"
                # the browser reports the document's own status; nothing else may err
                v.errors[:] = [e for e in v.errors if "status of 503" not in e]
                v.check(f"unavailable {locale}")
                text = v.page.inner_text("main")
                assert "Reload" in text and "تحديث" in text
                assert v.page.locator("html").get_attribute("dir") == "rtl"
    finally:
        app.extensions["tasharuk_db"]["engine"].dispose()
