"""Pages that ask the reader to come back, in a real browser, in Arabic on a phone and English
on a desktop, axe clean, no request outside the app, no script error: the 503 page while the
database cannot serve (here one the new code's migrations have not reached yet, a deploy
before `tasharuk db upgrade`, which answered a 500 page before), and the 202 page of an export
being prepared. Both refreshed themselves every 30 s (a meta refresh): axe failed the 503 page
as critical for it (meta-refresh, WCAG 2.2.1 timing adjustable); now the reader tries again."""

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


def test_an_export_being_prepared_is_tried_again_by_the_reader(visit):
    # (it refreshed itself every 30 s too; the reader now has a button to try again)
    for locale, size in (("ar", PHONE), ("en", DESKTOP)):
        v = visit(size=size, locale=locale)
        v.sign_in("viewer@demo.tasharuk")
        v.set_language(locale)
        resp = v.goto("/exchange/download/hsds31", f"export preparing {locale}")
        assert resp.status == 202 and int(resp.headers["retry-after"]) > 0
        again = v.page.locator("main a.button").first
        assert again.get_attribute("href") == "/exchange/download/hsds31?"
        assert again.inner_text() == ("حاول مرة أخرى" if locale == "ar" else "Try again")
