"""Pages no journey walks, on a phone in Arabic, each as the person who uses it: axe clean,
no script error, no request outside the app, nothing wider than the screen (``Visit.check``).
Most hold tables, which scroll sideways inside themselves on a phone; the page never does.
The import's preview of real cluster files (the Northwest Syria 4W rows) was 182 px wider
than the phone: its findings table was not one that scrolls."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

PAGES = [
    ("admin@demo.tasharuk", "/accounts/admin/audit"),
    ("admin@demo.tasharuk", "/accounts/admin/organizations"),
    ("admin@demo.tasharuk", "/forum/moderation"),
    ("admin@demo.tasharuk", "/exchange/aliases"),
    ("admin@demo.tasharuk", "/admin/jobs/"),
    ("orgadmin@demo.tasharuk", "/accounts/members"),
    ("orgadmin@demo.tasharuk", "/accounts/tokens"),
    ("orgadmin@demo.tasharuk", "/accounts/changes"),
    ("orgadmin@demo.tasharuk", "/auth/sessions"),
    ("caseworker@demo.tasharuk", "/forum/"),
    ("caseworker@demo.tasharuk", "/library/"),
    ("planner@demo.tasharuk", "/gaps/?level=2&sector=protection"),
    ("admin@demo.tasharuk", "/library/documents/new"),
    ("caseworker@demo.tasharuk", "/forum/threads/new"),
    ("caseworker@demo.tasharuk", "/library/follow"),
    ("orgadmin@demo.tasharuk", "/accounts/organization/edit"),
    ("orgadmin@demo.tasharuk", "/accounts/webhooks"),
    ("orgadmin@demo.tasharuk", "/focal/points"),
    ("viewer@demo.tasharuk", "/auth/password"),
    ("viewer@demo.tasharuk", "/notifications/"),
]


@pytest.mark.parametrize(("email", "path"), PAGES, ids=[p for _e, p in PAGES])
def test_the_page_fits_a_phone_and_passes_axe(visit, email, path):
    v = visit(size=PHONE, locale="ar")
    v.sign_in(email)
    resp = v.goto(path, path)
    assert resp.status == 200, path
    assert v.page.locator("html").get_attribute("dir") == "rtl"


def test_a_library_document_fits_a_phone(visit, demo_app):
    from data.db import db
    from data.models import LibraryDocument

    with demo_app.app_context():
        doc = LibraryDocument(kind="circular", title_ar="تعميم بشأن تسجيل المنظمات",
                              title_en="Circular on registering organisations",
                              number="12/2024", issuer_ar="وزارة الشؤون الاجتماعية والعمل",
                              published=True)
        db.session.add(doc)
        db.session.commit()
        doc_id = doc.id
    v = visit(size=PHONE, locale="ar")
    v.sign_in("caseworker@demo.tasharuk")
    assert v.goto(f"/library/documents/{doc_id}", "a document").status == 200
    assert "تعميم بشأن تسجيل المنظمات" in v.page.inner_text("h1")


@pytest.mark.parametrize("name", ["prot.csv", "fsl_tracker_20230519.csv", "cbr_com_20230519.csv",
                                  "wos_4w_template_2022.xlsx"])
def test_a_real_4w_file_s_preview_fits_a_phone(visit, name):
    # the import's findings (row, column, value, problem, suggestion) on a real cluster file
    from tests.conftest import shared_path

    path = shared_path("4w", name)
    v = visit(size=PHONE, locale="ar")
    v.sign_in("admin@demo.tasharuk")
    v.goto("/exchange/", "exchange")
    v.page.set_input_files("input[type=file]", str(path))
    with v.page.expect_navigation():
        v.page.locator("form:has(input[type=file]) [type=submit]").click()
    v.check(f"preview of {name}")
    # the preview with its findings and the button that imports (nothing imported yet)
    assert v.page.locator("main form[action='/exchange/import/confirm']").count() == 1


def test_a_forum_category_s_threads_fit_a_phone(visit):
    v = visit(size=PHONE, locale="ar")
    v.sign_in("caseworker@demo.tasharuk")
    v.goto("/forum/", "forum")
    with v.page.expect_navigation():
        v.page.locator("main a[href^='/forum/categories/']").first.click()
    v.check("a category's threads")
    assert v.page.locator("main table.data[tabindex='0']").count() == 1


def test_a_form_s_mistakes_are_told_in_arabic_on_a_phone(visit, demo_app):
    """The pages a person gets after a mistake (changed this wave: the form library's messages
    from our catalogs, the report form's own words): Arabic, axe clean, no script error."""
    from sqlalchemy import select

    from data.db import db
    from data.models import Service

    with demo_app.app_context():
        service_id = db.session.scalars(select(Service.id).order_by(Service.id).limit(1)).one()
    v = visit(size=PHONE, locale="ar")
    v.goto("/auth/login", "sign-in")
    v.page.evaluate("document.querySelector('input[name=email]').value = 'a'.repeat(300)")
    v.page.fill("input[name=password]", "x")
    with v.page.expect_navigation():
        v.page.locator("form:has(input[name=password]) [type=submit]").click()
    v.check("sign-in with a too long address")
    assert "لا يمكن أن يتجاوز الحقل 254 حرفًا." in v.page.inner_text("main")
    v.goto(f"/directory/services/{service_id}/report", "report form")
    with v.page.expect_navigation():
        v.page.locator("main form [type=submit]").click()
    v.check("report without a choice")
    assert "اختاروا ما الخطأ في بيانات هذه الخدمة." in v.page.inner_text("main")
