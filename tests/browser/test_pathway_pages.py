"""Issue 22's pages in a real browser, in Arabic and English at phone and desktop sizes, on
the demo data; every page checked by ``visit`` (console, outside requests, axe serious and
critical). An organisation's admin registers a webhook (a refused address kept inline, the
secret shown once), sends it a test event, reads the change feed (filtered, older and newer
pages) and the people's feedback; the referring caseworker hands a feedback code from an
accepted referral; a platform admin moderates a comment; a review link's one-click answer is
recorded by the page's script, and without scripts the page shows its one button."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

ORG_ADMIN = "orgadmin@demo.tasharuk"
SENDER = "sender@demo.tasharuk"
ADMIN = "admin@demo.tasharuk"
SIZES = [("ar", PHONE), ("en", DESKTOP)]


def _org_of(demo_app, email: str) -> int:
    from data.db import db

    with demo_app.app_context():
        return db.session.execute(text("SELECT organization_id FROM app_user WHERE email = :e"),
                                  {"e": email}).scalar_one()


@pytest.mark.parametrize(("locale", "size"), SIZES, ids=["ar-phone", "en-desktop"])
def test_an_admin_registers_a_webhook_and_reads_the_feed(visit, demo_app, locale, size):
    org_id = _org_of(demo_app, ORG_ADMIN)
    v = visit(size=size, locale=locale)
    page = v.page
    v.set_language(locale)
    v.sign_in(ORG_ADMIN)
    v.goto("/accounts/webhooks", "webhooks")
    page.fill("#url", "https://169.254.169.254/latest")
    with page.expect_navigation():
        page.locator("form[action='/accounts/webhooks'] button[type=submit]").click()
    v.check("a private address refused")
    assert page.locator("#url-error").count() == 1
    assert page.input_value("#url") == "https://169.254.169.254/latest"
    page.fill("#url", f"https://partner-{locale}.example.org/hook")
    with page.expect_navigation():
        page.locator("form[action='/accounts/webhooks'] button[type=submit]").click()
    v.check("registered, the secret shown once")
    assert len(page.locator("code.secret").inner_text()) >= 32
    section = page.locator("section.card", has_text=f"partner-{locale}.example.org")
    with page.expect_navigation():
        section.locator("form[action$='/test'] button").click()
    v.check("a test event on its way")
    assert page.locator("section.card", has_text=f"partner-{locale}.example.org").locator(
        "tbody tr").count() == 1
    # the change feed, from the webhooks page, filtered, then an older and a newer page
    with page.expect_navigation():
        page.locator("main a[href='/accounts/changes']").click()
    v.check("change feed")
    page.select_option("#entity", "service")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    v.check("change feed: services")
    assert "entity=service" in page.url
    with page.expect_navigation():
        page.locator("nav.pages a[rel=next]").click()
    v.check("older changes")
    with page.expect_navigation():
        page.locator("nav.pages a[rel=prev]").click()
    v.check("newer changes")
    # what the people served said, from "My organisation"
    v.goto("/accounts/organization", "my organisation")
    with page.expect_navigation():
        page.locator(f"main a[href='/directory/organizations/{org_id}/feedback']").click()
    v.check("feedback from people served")


def _accepted_referral(demo_app) -> int:
    """A referral the demo's referring organisation sent, taken in by its receiver."""
    from data.db import db

    with demo_app.app_context():
        return db.session.execute(text(
            "SELECT r.id FROM referral r JOIN app_user u ON u.organization_id = r.sender_org_id "
            "WHERE u.email = :e AND r.status IN ('accepted', 'in_progress', 'completed') "
            "AND r.service_id IS NOT NULL ORDER BY r.id LIMIT 1"), {"e": SENDER}).scalar_one()


@pytest.mark.parametrize(("locale", "size"), SIZES, ids=["ar-phone", "en-desktop"])
def test_a_caseworker_hands_a_code_and_an_admin_moderates_the_comment(visit, demo_app,
                                                                      locale, size):
    referral = _accepted_referral(demo_app)
    v = visit(size=size, locale=locale)
    page = v.page
    v.set_language(locale)
    v.sign_in(SENDER)
    v.goto(f"/referrals/{referral}", "an accepted referral")
    with page.expect_navigation():
        page.locator("form.feedback-code button").click()
    v.check("the feedback slip")
    assert page.locator(".slip-side[lang=ar]").count() == 1
    assert page.locator(".slip-side[lang=en]").count() == 1
    code = page.locator(".slip-side strong.code").first.inner_text()
    # the person, without an account
    person = visit(size=PHONE, locale="ar")
    person.goto(f"/directory/feedback/{code}", "the person's feedback form")
    person.page.locator("input[name=provided][value=yes]").check()
    person.page.fill("textarea[name=comment]", f"كان الموظفون لطفاء {locale}")
    with person.page.expect_navigation():
        person.page.locator("main form button[type=submit]").click()
    person.check("feedback sent")
    # a platform admin moderates it, a rejection without a reason refused inline
    admin = visit(size=size, locale=locale)
    admin.set_language(locale)
    admin.sign_in(ADMIN)
    admin.goto("/directory/feedback/moderation", "comments to moderate")
    card = admin.page.locator("section.card", has_text=f"كان الموظفون لطفاء {locale}")
    with admin.page.expect_navigation():
        card.locator("button[value=rejected]").click()
    admin.check("a rejection needs a reason")
    card = admin.page.locator("section.card", has_text=f"كان الموظفون لطفاء {locale}")
    assert card.locator(".error").count() == 1
    with admin.page.expect_navigation():
        card.locator("button[value=approved]").click()
    admin.check("approved")
    assert admin.page.locator("section.card", has_text=f"كان الموظفون لطفاء {locale}"
                              ).count() == 0


def _review_link(demo_app, answer_seed: int) -> str:
    """A fresh signed review link for one of the receiver organisation's listings."""
    from data.db import db
    from data.models import ReviewLink
    from network.freshness import review_token

    with demo_app.app_context():
        row = db.session.execute(text(
            "SELECT s.id, u.id FROM service s JOIN app_user u "
            "ON u.organization_id = s.organization_id AND u.email = :e "
            "WHERE s.status = 'active' ORDER BY s.id OFFSET :n LIMIT 1"),
            {"e": ORG_ADMIN, "n": answer_seed}).one()
        link = ReviewLink(service_id=row[0], user_id=row[1],
                          expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        db.session.add(link)
        db.session.commit()
        return review_token(link, demo_app.config["SECRET_KEY"])


@pytest.mark.parametrize(("locale", "size", "seed"), [("ar", PHONE, 0), ("en", DESKTOP, 1)],
                         ids=["ar-phone", "en-desktop"])
def test_a_review_link_answers_in_one_click(visit, demo_app, locale, size, seed):
    token = _review_link(demo_app, seed)
    v = visit(size=size, locale=locale)
    v.set_language(locale)
    v.page.goto(v.url(f"/directory/review/{token}?answer=still_accurate"))
    v.page.locator("main p[role=status] strong").wait_for()  # the page's script posted it
    v.check("answered in one click")
    # opened again (a second click, or a scanner after the person): already used
    v.goto(f"/directory/review/{token}?answer=closed", "the link again")
    assert v.page.locator("main .error").count() == 1


def test_without_scripts_the_one_click_page_shows_its_button(visit, demo_app):
    token = _review_link(demo_app, 2)
    v = visit(size=PHONE, locale="ar", javascript=False)
    v.set_language("ar")
    v.goto(f"/directory/review/{token}?answer=needs_changes", "one-click page, no scripts")
    assert v.page.locator("#review-one-click button").count() == 1
    assert v.page.locator("main p[role=status] strong").count() == 0  # nothing answered
    with v.page.expect_navigation():
        v.page.locator("#review-one-click button").click()
    v.check("answered with the button")
    assert v.page.locator("main p[role=status] strong").count() == 1
