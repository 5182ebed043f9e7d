"""The caseworker's and the receiver's journeys in a real browser (Chromium via Playwright), in
Arabic and English, at desktop and phone sizes, on the demo data: search, open, refer with and
without consent, bundle, accept/start/complete or decline with a coded reason, the sender's
closed loop and history, print. Every page is checked by ``visit`` (console, network, axe)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

SENDER = "sender@demo.tasharuk"
RECEIVER = "caseworker@demo.tasharuk"


@dataclass
class Target:
    """A service of the receiving demo organisation and a place it covers."""

    service_id: int
    need: str
    pcode: str
    place_ar: str
    place_en: str
    other_need: str
    word: str  # a word of the service's English name, for a keyword search


@pytest.fixture(scope="module")
def target(demo_app) -> Target:
    """An open, non-sensitive service of the receiver, for both sexes and ages 16-34,
    covering a sub-district or district whose Arabic name is unique (typing it finds one
    place)."""
    from data.db import db

    with demo_app.app_context():
        row = db.session.execute(text("""
            SELECT s.id, s.service_type_code, a.pcode, a.name_ar, a.name_en,
                   (SELECT min(o.service_type_code) FROM service o
                    WHERE o.service_type_code <> s.service_type_code),
                   (SELECT w FROM regexp_split_to_table(lower(s.name_en), '[^a-z]+') w
                    WHERE length(w) >= 4 LIMIT 1)
            FROM service s JOIN app_user u ON u.organization_id = s.organization_id
            JOIN service_coverage c ON c.service_id = s.id
            JOIN admin_area a ON a.pcode = c.pcode AND a.level >= 2
            WHERE u.email = :e AND NOT s.sensitive AND s.availability = 'open'
              AND coalesce(s.min_age, 0) <= 16 AND coalesce(s.max_age, 120) >= 34
              AND s.sex = 'any' AND lower(s.name_en) ~ '[a-z]{4}'
              AND (SELECT count(*) FROM admin_area b WHERE b.name_ar = a.name_ar) = 1
            ORDER BY a.level DESC, s.id, a.pcode LIMIT 1"""), {"e": RECEIVER}).one()
    return Target(*row)


def signed_in(visit, email: str = SENDER, *, size: dict = DESKTOP, locale: str = "ar",
              javascript: bool = True):
    """A fresh browser (``visit``'s arguments) that chose ``locale`` as a visitor does and
    signed in as ``email``: the first steps of every journey."""
    v = visit(size=size, locale=locale, javascript=javascript)
    v.set_language(locale)
    v.sign_in(email)
    return v


def sign_out(v) -> None:
    with v.page.expect_navigation():
        v.page.locator("header form button[type=submit]").click()


def search(v, **fields) -> None:
    """Fill the search form (folded filters opened) and submit it."""
    page = v.page
    page.goto(v.url("/directory/"))
    for name, value in fields.items():
        loc = page.locator(f"#{name}")
        if not loc.is_visible():
            page.locator("details.more-filters > summary").click()
        if loc.evaluate("e => e.tagName") == "SELECT":
            loc.select_option(value)
        else:
            loc.fill(value)
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").first.click()


def open_the_referral_form(v, target: Target, step: str = "") -> None:
    """From the search results, open the target's service (it is listed once) and its
    referral form, each page checked (``step`` prefixes their labels)."""
    page = v.page
    link = page.locator(f".hits h3 a[href*='/directory/services/{target.service_id}?']")
    assert link.count() == 1, "the receiver's service is among the results"
    with page.expect_navigation():
        link.click()
    v.check(step + "service page")
    with page.expect_navigation():
        page.locator("a.button[href*='/referrals/new']").click()
    v.check(step + "referral form")


def act(v, action: str, label: str, reason: str | None = None) -> None:
    """Press one transition button on the case page (with a coded reason when asked)."""
    form = v.page.locator(f"form:has(input[name=action][value={action}])")
    if reason:
        form.locator("select[name=reason]").select_option(reason)
    with v.page.expect_navigation():
        form.locator("button[type=submit]").click()
    v.check(label)


JOURNEYS = [("ar", DESKTOP), ("en", PHONE)]


@pytest.mark.parametrize(("locale", "size"), JOURNEYS, ids=["ar-desktop", "en-phone"])
def test_refer_with_consent_and_the_receiver_completes(visit, target, locale, size):
    v = signed_in(visit, size=size, locale=locale)
    page = v.page
    # search by need near a place typed in Arabic (the place names are Arabic-first)
    search(v, need=target.need, pcode=target.place_ar, age="34", sex="female")
    v.check("search by need near an Arabic place name")
    open_the_referral_form(v, target)
    # the search's place, age and sex come along
    assert page.locator("#age").input_value() == "34"
    assert page.locator("#sex").input_value() == "female"
    assert target.pcode in page.locator("#pcode").input_value() or \
        page.locator("#pcode").input_value() in (target.place_ar, target.place_en)
    page.fill("#case_code", "BR-" + locale)
    page.fill("#languages", "العربية، Kurdish")
    # without consent: refused, the form kept, the error summary on top, focused, announced
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("refused without consent")
    summary = page.locator(".error-summary[role=alert]")
    assert summary.count() == 1
    assert summary.evaluate("e => e === document.activeElement")
    assert summary.bounding_box()["y"] < size["height"]
    assert page.locator("#case_code").input_value() == "BR-" + locale
    # with consent
    page.select_option("#consent_method", "verbal")
    page.fill("#consent_given_by", "the person" if locale == "en" else "الشخص نفسه")
    page.check("input[name=consent_scope][value=languages]")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("referral sent")
    assert re.search(r"/referrals/\d+$", page.url)
    case_url = page.url.removeprefix(v.base)
    sign_out(v)

    # the receiver: inbox, accept, start, complete; the case page says how to reach the
    # sender and the person's languages by name
    v.sign_in(RECEIVER)
    v.goto("/", "the receiver's work queue")
    assert page.locator(f"#q-new ~ ul a[href='{case_url}'], section a[href='{case_url}']"
                        ).count() >= 1
    assert int(page.locator(".main-nav .count").first.inner_text().split()[0]) >= 1
    v.goto("/referrals/in", "inbox")
    v.goto(case_url, "receiver's case page")
    body = page.locator("main").inner_text()
    assert SENDER in body
    assert ("Kurdish" if locale == "en" else "الكردية") in body
    act(v, "accept", "accepted")
    act(v, "start", "started")
    act(v, "complete", "completed")
    sign_out(v)

    # the sender sees the closed loop and the history, and prints the form
    v.sign_in(SENDER)
    v.goto("/referrals/out", "outbox")
    v.goto(case_url, "sender sees the closed loop")
    assert page.locator("ol.timeline li").count() >= 4
    v.goto(case_url + "/print", "print form")
    assert ("Kurdish" if locale == "en" else "الكردية") in page.locator("main").inner_text()
    # the consent receipt states what was agreed; the person revokes through the caseworker
    v.goto(case_url + "/consent", "consent receipt")
    assert ("Consent holds" if locale == "en" else "الموافقة سارية") in \
        page.locator("main").inner_text()
    page.check("form[action$='/consent/revoke'] input[name=confirm]")
    with page.expect_navigation():
        page.locator("form[action$='/consent/revoke'] button[type=submit]").click()
    v.check("consent revoked")
    assert ("Consent revoked" if locale == "en" else "سُحبت الموافقة") in \
        page.locator("main").inner_text()
    v.goto(case_url, "the sender's case page after the revocation")
    sign_out(v)
    # the receiving organisation's admin: the break-the-glass review page
    v.sign_in("orgadmin@demo.tasharuk")
    v.goto("/referrals/glass", "break-the-glass review")


@pytest.mark.parametrize(("locale", "size"), [("ar", PHONE), ("en", DESKTOP)],
                         ids=["ar-phone", "en-desktop"])
def test_search_results_come_first_and_errors_are_summarised(visit, target, locale, size):
    """Finding 5 on the search page: the first result is on the first screen (the other
    filters folded), its count is announced; a refused search has its errors summarised on
    top, focused, each a link to its field."""
    v = visit(size=size, locale=locale)
    page = v.page
    v.set_language(locale)
    v.goto(f"/directory/?need={target.need}&pcode={target.pcode}", "results first")
    assert page.locator(".hits li.hit").first.bounding_box()["y"] < size["height"]
    assert not page.locator("details.more-filters").evaluate("e => e.open")
    page.wait_for_function("() => document.getElementById('search-status').textContent")
    status = page.locator("#search-status").text_content()
    assert status and status in page.locator("#results-title").inner_text()
    page.locator("details.more-filters > summary").click()
    page.fill("#age", "-4")
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").click()
    v.check("a refused search")
    summary = page.locator(".error-summary[role=alert]")
    assert summary.evaluate("e => e === document.activeElement")
    assert summary.bounding_box()["y"] < size["height"]
    summary.locator("a[href='#age']").click()
    assert page.locator("#age").evaluate("e => e === document.activeElement")
    # a search that finds nothing says so (it records the gap) and gives the anonymous
    # visitor no cookie; that it keeps them on a read replica is tests/data/test_replicas.py's
    cookies = {c["name"] for c in page.context.cookies()}
    v.goto(f"/directory/?need={target.need}&q=zzqxwvk", "a search that finds nothing")
    assert page.locator(".hits li.hit").count() == 0
    assert page.locator("section.results p").first.inner_text()
    assert {c["name"] for c in page.context.cookies()} == cookies
    # a keyword without a need: the area's services read through the coverage rows' keyword
    # index (migration 0051); the target has the word and covers the area
    v.goto(f"/directory/?pcode={target.pcode}&q={target.word}", "a keyword without a need")
    assert page.locator(".hits li.hit").count() >= 1


@pytest.mark.parametrize(("locale", "size"), [("ar", PHONE), ("en", DESKTOP)],
                         ids=["ar-phone", "en-desktop"])
def test_without_javascript_search_refer_and_send(visit, demo_app, target, locale, size):
    """A browser without JavaScript: the search (filters unfolded by the native
    details/summary), the results, the service page, the referral form and sending it all
    work; only the maps are missing."""
    from data.db import db

    v = signed_in(visit, size=size, locale=locale, javascript=False)
    page = v.page
    search(v, need=target.need, pcode=target.place_ar, age="30", sex="male")
    v.check("no-JS search by an Arabic place name")
    assert page.locator("#search-status").text_content() == ""  # no script ran
    open_the_referral_form(v, target, "no-JS ")
    assert page.locator("#age").input_value() == "30"
    page.fill("#case_code", "NOJS-" + locale)
    page.select_option("#consent_method", "verbal")
    page.fill("#consent_given_by", "the person" if locale == "en" else "الشخص نفسه")
    page.select_option("#contact_channel", "whatsapp")
    page.fill("#contact_handle", "+963 944 000 222")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("no-JS referral sent")
    assert re.search(r"/referrals/\d+$", page.url)
    with demo_app.app_context():
        sent = db.session.execute(text(
            "SELECT r.status, c.contact_channel FROM referral r JOIN referral_case c "
            "ON c.id = r.case_id WHERE r.id = :id"),
            {"id": int(page.url.rsplit("/", 1)[1])}).one()
    assert tuple(sent) == ("sent", "whatsapp")


def test_the_form_takes_a_place_by_name_and_checks_eligibility(visit, demo_app, target):
    """Finding 4: a place name goes through the resolver (ambiguities offered as choices, the
    rest of the form kept); a person outside a service's ages gets a warning and needs an
    audited reason."""
    from data.db import db

    with demo_app.app_context():
        adult = db.session.execute(text("""
            SELECT s.id, s.min_age FROM service s JOIN app_user u ON u.email = :e
            WHERE s.organization_id <> u.organization_id AND s.status = 'active'
              AND s.min_age >= 18 AND s.availability <> 'full' AND s.sex = 'any'
            ORDER BY s.id LIMIT 1"""), {"e": SENDER}).one()
        twice = db.session.execute(text("""SELECT name_ar FROM admin_area
            GROUP BY name_ar, level HAVING count(*) > 1 ORDER BY name_ar LIMIT 1""")).scalar()
    v = signed_in(visit, size=PHONE, locale="ar")
    page = v.page
    v.goto(f"/referrals/new?service_id={adult.id}&age=16", "form for an adults' service")
    assert page.locator(".warning-box").count() == 1
    page.fill("#case_code", "ELIG-1")
    page.fill("#pcode", twice)
    page.select_option("#consent_method", "verbal")
    page.fill("#consent_given_by", "الشخص نفسه")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("ambiguous place and no reason: refused")
    assert page.locator("input[name=pcode_choice]").count() >= 2
    assert page.locator("#case_code").input_value() == "ELIG-1"
    assert page.locator("#eligibility_override_reason").count() == 1
    page.locator("input[name=pcode_choice]").first.check()
    page.fill("#eligibility_override_reason", "سيبلغ 18 عاماً الشهر القادم")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("sent with a reason")
    assert re.search(r"/referrals/\d+$", page.url)
    with demo_app.app_context():
        audited = db.session.execute(text(
            "SELECT summary FROM audit_log WHERE action = 'referral.eligibility_override' "
            "AND object_id = :id"), {"id": page.url.rsplit("/", 1)[1]}).scalar_one()
    assert audited["problems"] == ["age"] and audited["reason"].startswith("سيبلغ")


@pytest.mark.parametrize(("locale", "size"), [("en", DESKTOP), ("ar", PHONE)],
                         ids=["en-desktop", "ar-phone"])
def test_pcode_map_click_bundle_and_a_coded_decline(visit, target, locale, size):
    v = signed_in(visit, size=size, locale=locale)
    page = v.page
    search(v, need=target.need, pcode=target.pcode)
    v.check("search by p-code")
    assert page.locator(".hits li.hit").count() >= 1
    # the map draws (finding 1): markers, the official boundaries as its base (finding 6),
    # zoom buttons in the page's language; after a search a click still sets the point
    page.wait_for_selector("#map[data-ready][data-base-1='14']")
    assert page.locator("#map path.leaflet-interactive").count() >= 1
    assert page.locator(".leaflet-tooltip.area-label").count() == 14
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == \
        ("Zoom in" if locale == "en" else "تكبير")
    # (beside the results on a desktop, the map is narrower than the page)
    width = page.locator("#map").bounding_box()["width"]
    page.locator("#map").click(position={"x": width // 3, "y": 40})
    lat, lon = page.locator("#lat").input_value(), page.locator("#lon").input_value()
    assert 32 < float(lat) < 38 and 35 < float(lon) < 43
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").first.click()
    v.check("search around a point clicked on the map")
    assert page.locator(".hits li.hit").count() >= 1
    # a multi-need bundle: two needs ticked, the proposal, then its referral form
    v.goto("/referrals/bundle", "bundle form")
    for need in (target.need, target.other_need):
        page.check(f"input[name=needs][value={need}]")
    page.fill("#pcode", target.pcode)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("bundle proposal")
    assert page.locator("table.data tbody tr").count() >= 1
    # decline with a coded reason (receiver) on a fresh referral
    v.goto(f"/referrals/new?service_id={target.service_id}&pcode={target.pcode}",
           "referral form from a link")
    page.select_option("#consent_method", "written")
    page.fill("#consent_given_by", "guardian")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("sent")
    case_url = page.url.removeprefix(v.base)
    sign_out(v)
    v.sign_in(RECEIVER)
    v.goto(case_url, "receiver opens")
    act(v, "decline", "declined with a coded reason", reason="no_capacity")
    sign_out(v)
    v.sign_in(SENDER)
    v.goto(case_url, "sender sees the decline and its reason")
    assert page.locator("ol.timeline").inner_text().strip()
