"""A referral sent again after going back to the form (was it sent? on a slow connection one
cannot tell) reaches the receiver once. The browser puts back what was typed but not the
form's hidden key, which the page has anew: ``sent_once.js`` keeps the key the form was
sent with. (The same key sent twice, a double press, is tested on the server:
tests/referral/test_submissions.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.browser.test_journeys import (  # noqa: F401 (target: a fixture)
    Target,
    open_the_referral_form,
    search,
    signed_in,
    target,
)

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def _referrals_of(demo_app, case_code: str) -> int:
    from data.db import db

    with demo_app.app_context():
        return db.session.execute(text(
            "SELECT count(*) FROM referral r JOIN referral_case c ON c.id = r.case_id "
            "WHERE c.case_code = :c"), {"c": case_code}).scalar_one()


def test_a_referral_sent_again_from_the_back_button_is_sent_once(visit, demo_app,
                                                                  target):  # noqa: F811
    v = signed_in(visit, locale="ar")
    page = v.page
    search(v, need=target.need, pcode=target.pcode)
    open_the_referral_form(v, target)
    page.fill("#case_code", "TWICE-1")
    page.select_option("#consent_method", "verbal")
    page.fill("#consent_given_by", "الشخص نفسه")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("sent")
    case_page = page.url
    page.go_back()  # unsure it went: back to the form as the browser kept it, sent again
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("the same form sent again")
    assert page.url == case_page
    assert _referrals_of(demo_app, "TWICE-1") == 1


def test_a_forum_thread_published_again_from_the_back_button_is_published_once(
        visit, demo_app):
    """Every sent-once form, not only the referral's: ``sent_once.js`` is on each page."""
    v = signed_in(visit, locale="en")
    page = v.page
    v.goto("/forum/threads/new", "new thread")
    page.select_option("#category_id", index=1)
    page.fill("#title", "Partners for legal aid in Idleb (sent once)")
    page.fill("#body", "We look for a partner.")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("the new thread, with its reply form")
    thread_page = page.url
    assert "/forum/threads/" in thread_page
    page.go_back()
    v.check("the form again after Back, its key put back")
    assert page.locator("#title").input_value() == "Partners for legal aid in Idleb (sent once)"
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    v.check("the same form sent again")
    assert page.url == thread_page
    with demo_app.app_context():
        from data.db import db

        assert db.session.execute(text(
            "SELECT count(*) FROM forum_thread WHERE title = :t"),
            {"t": "Partners for legal aid in Idleb (sent once)"}).scalar_one() == 1
