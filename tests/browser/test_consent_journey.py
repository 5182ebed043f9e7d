"""Consent as records in a real browser (issue 23), in Arabic and English: the caseworker gives
consent narrowed to organisations picked from the verified ones (a search that filters as you
type), is refused when the receiver is left out, sends, prints the receipt, renews consent and
the person revokes it; without JavaScript the picker's Find button does the search. Every page
is checked by ``visit`` (console, network, axe)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_journeys import SENDER, signed_in

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def orgs(demo_app) -> dict:
    """An open, non-sensitive service of a verified organisation other than the sender's, its
    organisation, and another verified organisation (names in both languages)."""
    from data.db import db

    with demo_app.app_context():
        row = db.session.execute(text("""
            SELECT s.id, o.id, o.name_ar, o.name_en
            FROM service s JOIN organization o ON o.id = s.organization_id
            JOIN app_user u ON u.email = :e
            WHERE o.verification = 'verified' AND o.id <> u.organization_id
              AND NOT s.sensitive AND s.availability = 'open' AND s.status = 'active'
              AND coalesce(s.min_age, 0) <= 30 AND coalesce(s.max_age, 120) >= 30
              AND s.sex = 'any'
              AND NOT EXISTS (SELECT 1 FROM focal_point f WHERE f.organization_id = o.id)
            ORDER BY s.id LIMIT 1"""), {"e": SENDER}).one()
        other = db.session.execute(text("""
            SELECT id, name_ar, name_en FROM organization
            WHERE verification = 'verified' AND id <> :o ORDER BY id LIMIT 1"""),
            {"o": row[1]}).one()
    return {"service_id": row[0], "receiver": (str(row[1]), row[2], row[3]),
            "other": (str(other[0]), other[1], other[2])}


def _name(org: tuple, locale: str) -> str:
    return org[2] if locale == "en" else org[1]


def _submit(page, form: str = "form.form:has(#consent_method)") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").last.click()


@pytest.mark.parametrize(("locale", "size"), [("ar", DESKTOP), ("en", PHONE)],
                         ids=["ar-desktop", "en-phone"])
def test_give_narrow_send_renew_revoke(visit, orgs, locale, size):
    v = signed_in(visit, size=size, locale=locale)
    page = v.page
    v.goto(f"/referrals/new?service_id={orgs['service_id']}&age=30&sex=female",
           "referral form with the organisation picker")
    page.fill("#case_code", "CONS-" + locale)
    page.select_option("#consent_method", "verbal")
    page.fill("#consent_given_by", "the person" if locale == "en" else "الشخص نفسه")
    # typing filters the verified organisations at once (no Find button with JavaScript)
    assert page.locator("input[name=find_orgs]").count() == 0
    total = page.locator("#consent_orgs option").count()
    other = _name(orgs["other"], locale)
    page.fill("#org_q", other)
    shown = page.locator("#consent_orgs option:not([hidden])")
    assert 1 <= shown.count() < total
    assert other in shown.all_inner_texts()
    # consent narrowed to another organisation only: the receiver is refused, named
    page.select_option("#consent_orgs", [orgs["other"][0]])
    _submit(page)
    v.check("refused: consent does not cover the receiver")
    error = page.locator("#consent_orgs-error")
    assert _name(orgs["receiver"], locale) in error.inner_text()
    assert page.locator("#case_code").input_value() == "CONS-" + locale
    # both picked: sent
    page.fill("#org_q", "")
    page.select_option("#consent_orgs", [orgs["other"][0], orgs["receiver"][0]])
    _submit(page)
    v.check("referral sent with consent narrowed to two organisations")
    assert re.search(r"/referrals/\d+$", page.url)
    case_url = page.url.removeprefix(v.base)
    # the receipt names exactly them
    v.goto(case_url + "/consent", "consent receipt")
    receipt = page.locator("table.data").inner_text()
    assert _name(orgs["receiver"], locale) in receipt and other in receipt
    # renewed with the person's new agreement: the receiver only, for a purpose
    page.fill("#consent_given_by", "the person" if locale == "en" else "الشخص نفسه")
    page.fill("#consent_purpose", "follow-up" if locale == "en" else "متابعة")
    page.select_option("#consent_orgs", [orgs["receiver"][0]])
    _submit(page, "form#renew")
    v.check("consent renewed")
    main = page.locator("main").inner_text()
    assert ("Consent renewed" if locale == "en" else "جُدّدت الموافقة") in main
    assert page.locator("ol.consent-history li").count() == 2
    assert other not in page.locator("table.data").inner_text()
    # the first record's receipt still prints what it said
    with page.expect_navigation():
        page.locator("ol.consent-history li a").first.click()
    v.check("the first record's receipt")
    assert other in page.locator("table.data").inner_text()
    assert page.locator("form#renew").count() == 0
    # the person revokes: on the record in force
    v.goto(case_url + "/consent", "the consent in force")
    page.check("form[action$='/consent/revoke'] input[name=confirm]")
    page.fill("#reason", "moved away" if locale == "en" else "انتقل")
    with page.expect_navigation():
        page.locator("form[action$='/consent/revoke'] button[type=submit]").click()
    v.check("consent revoked")
    main = page.locator("main").inner_text()
    assert ("Consent revoked" if locale == "en" else "سُحبت الموافقة") in main
    assert ("moved away" if locale == "en" else "انتقل") in main


def test_without_javascript_the_picker_finds_and_the_referral_goes(visit, orgs):
    v = signed_in(visit, size=PHONE, locale="en", javascript=False)
    page = v.page
    v.goto(f"/referrals/new?service_id={orgs['service_id']}&age=30&sex=female",
           "no-JS referral form")
    page.fill("#case_code", "CONS-NOJS")
    page.select_option("#consent_method", "written")
    page.fill("#consent_given_by", "the person")
    word = max(orgs["receiver"][2].split(), key=len)  # one word of its English name
    page.fill("#org_q", word)
    with page.expect_navigation():
        page.locator("input[name=find_orgs]").click()
    v.check("no-JS: the matching organisations")
    options = page.locator("#consent_orgs option").all_inner_texts()
    assert orgs["receiver"][2] in options
    assert page.locator("#case_code").input_value() == "CONS-NOJS"  # the form kept
    page.select_option("#consent_orgs", [orgs["receiver"][0]])
    _submit(page)
    v.check("no-JS: sent")
    assert re.search(r"/referrals/\d+$", page.url)
