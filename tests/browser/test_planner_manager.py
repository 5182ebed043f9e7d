"""The planner's and the NGO manager's journeys in a real browser (issue 21), in Arabic and
English, at desktop and phone sizes, on the demo data. Every page is checked by ``visit``
(console, outside requests, axe serious/critical, nothing focusable inside role=img).

Planner: the gap map at each level, sector filter, a period with and without needs data, an
invalid period kept inline, table sort and paging with the header in view, "who can fill this
gap" from a row, the CSV and Excel exports opened and read. Manager: "add a service" from "My
organisation" (the new service is not stale), suggestions in words, duplication alerts,
a partnership request with a message, accepted by the other side, a referral pathway asked
from "who can fill this gap" and agreed, the network map and its table's links to profiles.
The planner also reads the protection notebook executed on the demo site's data (read-only).
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

PLANNER = "planner@demo.tasharuk"
ORG_ADMIN = "orgadmin@demo.tasharuk"
JOURNEYS = [("ar", DESKTOP), ("en", PHONE)]


def _frame_loaded(v, label: str) -> None:
    """The gap map's frame has drawn Leaflet, in the page's language, with a title."""
    frame = v.page.frame_locator("section.gaps-map iframe")
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    v.check(label)


@pytest.mark.parametrize(("locale", "size"), JOURNEYS, ids=["ar-desktop", "en-phone"])
def test_planner_journey(visit, demo_app, locale, size):
    from data.db import db

    with demo_app.app_context():
        years = [r[0] for r in db.session.execute(text(
            "SELECT DISTINCT left(period, 4) FROM need WHERE people_in_need IS NOT NULL "
            "ORDER BY 1 DESC"))]
    assert years, "the demo has needs data"
    empty_year = str(int(min(years)) - 3)
    v = visit(size=size, locale=locale)
    page = v.page
    v.set_language(locale)
    v.sign_in(PLANNER)
    for level in ("1", "2"):
        v.goto(f"/gaps/?level={level}", f"gaps level {level}")
        _frame_loaded(v, f"gap map level {level}")
    v.goto("/gaps/?level=3&sites=1", "gaps level 3 with sites")
    _frame_loaded(v, "gap map level 3 with sites")
    frame_html = page.locator("section.gaps-map iframe").get_attribute("src")
    assert "level=3" in frame_html and "sites=1" in frame_html
    # 25 rows, paged on the server; the header stays in view while the page scrolls
    rows = page.locator(".gaps-table tbody tr")
    assert rows.count() == 25
    head = page.locator(".gaps-table thead th").first
    assert head.evaluate("e => getComputedStyle(e).position") == "sticky"
    rows.nth(20).scroll_into_view_if_needed()
    top, row_top = head.bounding_box()["y"], rows.nth(20).bounding_box()["y"]
    assert -1 <= top < row_top and top < size["height"] - 40, f"the header scrolled away ({top})"
    if size == DESKTOP:
        assert top <= 5  # the page scrolls, the header is at the top of the window
    # actions sit in the area's cell, on the screen (the reading side, both directions)
    fill = rows.first.locator("td.area a[href^='/gaps/fill']")
    box = fill.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= size["width"]
    assert rows.first.locator("td.score .why").inner_text().strip()
    with page.expect_navigation():
        page.locator("a[rel=next]").click()
    v.check("page 2")
    assert page.locator(".gaps-table tbody tr td.num").first.inner_text().strip() == "26"
    # sort by people in need, largest first
    with page.expect_navigation():
        page.locator("th a[href*='sort=people_in_need']").click()
    v.check("sorted by people in need")
    assert page.locator("th[aria-sort=descending]").count() == 1
    # a sector and the latest year with data, then a year without: said, not zeros
    page.select_option("#level", "2")
    page.select_option("#sector", "protection")
    page.fill("#period", years[0])
    with page.expect_navigation():
        page.locator("form.gaps-filters button[type=submit]").click()
    v.check("protection, latest year")
    assert page.locator(".gaps-table tbody tr").count() >= 1
    page.fill("#period", empty_year)
    with page.expect_navigation():
        page.locator("form.gaps-filters button[type=submit]").click()
    v.check("a year without needs data")
    notice = page.locator(".flash.warning[role=status]")
    assert empty_year in notice.inner_text() and years[0] in notice.inner_text()
    assert page.locator(".gaps-table").count() == 0
    # an invalid period: inline, the other filters kept
    page.fill("#period", "May")
    with page.expect_navigation():
        page.locator("form.gaps-filters button[type=submit]").click()
    v.check("an invalid period")
    assert page.locator(".field.has-error #period").count() == 1
    assert page.locator("#sector").input_value() == "protection"
    assert page.locator("#level").input_value() == "2"
    # who can fill the gap of the first row
    v.goto("/gaps/?level=2&sector=protection", "protection by district")
    with page.expect_navigation():
        page.locator(".gaps-table tbody tr").first.locator("a[href^='/gaps/fill']").click()
    v.check("who can fill this gap")
    assert page.locator("h1").inner_text().strip()
    # the exports, opened and read
    csv_resp = page.request.get(v.url("/gaps/export.csv?level=2&sector=protection"))
    assert csv_resp.ok and "text/csv" in csv_resp.headers["content-type"]
    table = list(csv.reader(io.StringIO(csv_resp.text().lstrip("\ufeff"))))
    assert len(table) > 10 and len(table[0]) == len(table[1])
    assert not re.search(r"\.\d{5,}", csv_resp.text()), "float noise in the CSV"
    xlsx = page.request.get(v.url("/gaps/export.xlsx?level=2&sector=protection"))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.body())).active
    assert sheet.max_row == len(table) and sheet.sheet_view.rightToLeft == (locale == "ar")
    # the planners' notebook, executed on the site's data (read-only), linked from the gap
    # page, shown with its tables and figure, and downloadable
    _executed_notebook(demo_app)
    v.goto("/gaps/?level=1", "back to the gaps")
    with page.expect_navigation():
        page.locator("a[href='/gaps/notebooks/']").click()
    v.check("the planners' notebooks")
    assert page.locator("main li time").count() >= 1  # when it was executed
    with page.expect_navigation():
        page.locator("main li a[href='/gaps/notebooks/protection_gaps']").click()
    v.check("the executed notebook")
    assert page.locator(".executed-at time").count() == 1
    assert page.locator("article.notebook table.dataframe").count() >= 2
    figure = page.locator("article.notebook img.figure")
    assert figure.count() == 1 and figure.get_attribute("alt")
    assert figure.evaluate("e => e.complete && e.naturalWidth > 0"), "the figure is drawn"
    assert "sub-districts" in page.locator("article.notebook").inner_text()
    ipynb = page.request.get(v.url(page.locator("a[href$='.ipynb']").first
                                   .get_attribute("href")))
    assert ipynb.ok and ipynb.json()["nbformat"] == 4
    assert ipynb.json()["metadata"]["tasharuk_executed_at"]


def _pathway_row(page, org_id: int):
    """The row of the referral pathway requests' table naming organisation ``org_id``."""
    return page.locator("table.pathway-requests tr", has=page.locator(
        f"a[href='/directory/organizations/{org_id}']"))


def _executed_notebook(demo_app) -> None:
    """The protection notebook executed on the demo site (read-only), once per run."""
    from planning.notebook_run import execute_all, executed_folder

    if not (executed_folder(demo_app.config) / "protection_gaps.html").is_file():
        with demo_app.app_context():
            execute_all(demo_app.config, ["protection_gaps"])


def _org_admin_of_another_org(demo_app, index: int) -> tuple[str, int, int]:
    """An org admin (made here) of a verified demo organisation other than the receiver's:
    (email, its organisation id, the receiver's organisation id)."""
    from data.db import db
    from data.models import User
    from network.accounts import hash_password

    with demo_app.app_context():
        own = db.session.execute(text("SELECT organization_id FROM app_user WHERE email = :e"),
                                 {"e": ORG_ADMIN}).scalar_one()
        others = db.session.execute(text(
            "SELECT o.id FROM organization o WHERE o.verification = 'verified' AND o.id <> :own "
            "AND NOT EXISTS (SELECT 1 FROM app_user u WHERE u.organization_id = o.id) "
            "ORDER BY o.id"), {"own": own}).scalars().all()
        email = f"manager{index}@demo.tasharuk"
        if db.session.execute(text("SELECT 1 FROM app_user WHERE email = :e"),
                              {"e": email}).first() is None:
            db.session.add(User(email=email, name="Manager", role="org_admin",
                                organization_id=others[index],
                                password_hash=hash_password("demo-password")))
            db.session.commit()
        org_id = db.session.execute(text("SELECT organization_id FROM app_user "
                                         "WHERE email = :e"), {"e": email}).scalar_one()
    return email, org_id, own


def _webhook_of(demo_app, org_id: int) -> None:
    """The organisation's one webhook (never delivered here: no worker runs)."""
    from sqlalchemy import delete

    from data.db import db
    from data.models import Webhook

    with demo_app.app_context():
        db.session.execute(delete(Webhook).where(Webhook.organization_id == org_id))
        db.session.add(Webhook(organization_id=org_id, url="https://partner.example.org/hook",
                               secret_enc=b"-", cursor=""))
        db.session.commit()


@pytest.mark.parametrize(("locale", "size", "index"), [("ar", PHONE, 0), ("en", DESKTOP, 1)],
                         ids=["ar-phone", "en-desktop"])
def test_manager_journey(visit, demo_app, locale, size, index):
    manager, org_id, receiver_org = _org_admin_of_another_org(demo_app, index)
    v = visit(size=size, locale=locale)
    page = v.page
    v.set_language(locale)
    v.sign_in(manager)
    # "My organisation" links to adding a service; the new service is fresh
    v.goto("/accounts/organization", "my organisation")
    # its webhooks, listed and switched off with the page's own button (issue 22)
    _webhook_of(demo_app, org_id)
    with page.expect_navigation():
        page.locator("main a[href='/accounts/webhooks']").click()
    v.check("webhooks")
    with page.expect_navigation():
        page.locator("form[action$='/active'] button").first.click()
    v.check("webhook switched off")
    assert page.locator(".badge.muted").count() == 1
    v.goto("/accounts/organization", "my organisation again")
    with page.expect_navigation():
        page.locator(f"a[href='/directory/organizations/{org_id}/services/new']").click()
    v.check("add a service")
    page.select_option("#service_type_code", index=1)
    page.fill("#name_ar", f"خدمة جديدة {index}")
    page.fill("#name_en", f"New service {index}")
    page.locator("input[name=target_groups]").first.check()
    page.locator("input[name=coverage_govs]").first.check()
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    v.check("the new service")
    assert re.search(r"/directory/services/\d+$", page.url), page.url
    assert page.locator(".badge.warn").count() == 0, "a new service is not stale"
    # the downloads, HSDS 3.0 and 3.1 among them (issue 22)
    v.goto("/exchange/", "exchange downloads")
    assert page.locator("main a[href='/exchange/download/hsds31']").count() == 1
    # suggestions in words, duplication alerts with their filters
    v.goto("/partners/", "suggested partners")
    assert page.locator("text=/Score 0\\./").count() == 0
    v.goto("/partners/duplication", "duplication alerts")
    assert page.locator("select#sort").count() == 1
    # a partnership request with a message, to the receiving organisation
    v.goto(f"/gaps/fill?{urlencode({'pcode': 'SY07', 'sector': 'protection'})}",
           "who can fill a gap in Idleb")
    v.goto("/partners/", "suggestions again")
    form = page.locator("form[action='/partners/requests']").first
    if form.count() == 0:  # no suggestion for a brand-new organisation: the fill page's form
        v.goto("/gaps/fill?pcode=SY07&sector=protection", "fill page with request forms")
        form = page.locator("form[action='/partners/requests']").first
    assert form.count() == 1
    form.locator("input[name=target]").evaluate(f"e => e.value = '{receiver_org}'")
    message = f"Let us coordinate in Idleb ({locale})"
    form.locator("textarea[name=message]").fill(message)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    v.check("request sent")
    assert message in page.locator("main").inner_text()
    assert page.locator(f"main a[href='/directory/organizations/{receiver_org}']").count() >= 1
    # asked twice: refused with the reason, on the same page
    v.goto("/partners/", "suggestions after the request")
    page.evaluate("""([target, msg]) => {
        const f = document.createElement('form'); f.method = 'post';
        f.action = '/partners/requests';
        const t = document.querySelector('input[name=csrf_token]');
        for (const [k, val] of [['csrf_token', t ? t.value : ''], ['target', target],
                                ['message', msg]]) {
            const i = document.createElement('input'); i.type = 'hidden'; i.name = k;
            i.value = val; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""", [str(receiver_org), "again"])
    page.wait_for_load_state("load")
    v.check("asked twice")
    assert page.locator(".flash.error[role=alert]").count() == 1
    # a referral pathway for protection in Idleb, asked from "who can fill this gap"
    v.goto("/gaps/fill?pcode=SY07&sector=protection", "who can fill: a referral pathway")
    pathway = page.locator("form[action='/partners/pathways']").first
    assert pathway.count() == 1
    pathway.locator("input[name=target]").evaluate(f"e => e.value = '{receiver_org}'")
    with page.expect_navigation():
        pathway.locator("button[type=submit]").click()
    v.check("pathway request sent")
    assert _pathway_row(page, receiver_org).count() == 1
    page.locator("header form button[type=submit]").click()
    page.wait_for_load_state("load")
    # the receiving organisation's admin reads the message and accepts
    v.sign_in(ORG_ADMIN)
    v.goto("/partners/requests", "received requests")
    row = page.locator("tr", has_text=message)
    assert row.count() == 1
    assert row.locator(f"a[href='/directory/organizations/{org_id}']").count() == 1
    with page.expect_navigation():
        row.locator("form[action$='/accept'] button").click()
    v.check("accepted")
    # and agrees the referral pathway
    assert _pathway_row(page, org_id).count() == 1
    with page.expect_navigation():
        _pathway_row(page, org_id).locator("form[action$='/accept'] button").click()
    v.check("pathway agreed")
    assert _pathway_row(page, org_id).locator("form").count() == 0  # answered
    v.goto("/partners/network", "the partnership network map")
    page.locator(".leaflet-container").first.wait_for(timeout=30_000)
    page.wait_for_selector("#map[data-base-1]", timeout=30_000)  # geography, not grey
    assert int(page.locator("#map").get_attribute("data-base-1")) == 14
    v.check("network map drawn")
    # the table's organisations link to their profiles
    linked = page.locator(f"table.data a[href='/directory/organizations/{org_id}']")
    assert linked.count() >= 1
    with page.expect_navigation():
        linked.first.click()
    v.check("a partner's profile from the network table")
    assert page.url.endswith(f"/directory/organizations/{org_id}")
