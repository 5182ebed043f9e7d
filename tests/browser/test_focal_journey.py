"""Focal-point routing in a real browser (issue 23), in Arabic and English: a non-specialist
meets "request through the focal point", is refused without a channel, sends the request; the
focal point calls back and makes it a referral with consent. Every page checked by ``visit``."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.test_journeys import RECEIVER, SENDER, sign_out

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def gbv_service(demo_app) -> tuple[int, str]:
    """A GBV service of the receiving demo organisation, whose caseworker is its focal point
    for the governorate it covers; returns (service id, a district it covers)."""
    from sqlalchemy import select

    from data.db import db
    from data.models import AdminArea, Service, User
    from referral.focal import designate

    with demo_app.app_context():
        s = db.session
        focal_user = s.scalar(select(User).where(User.email == RECEIVER))
        admin = s.scalar(select(User).where(User.organization_id == focal_user.organization_id,
                                            User.role == "org_admin"))
        district = s.scalar(select(AdminArea).where(AdminArea.level == 2)
                            .order_by(AdminArea.pcode))
        svc = Service(organization_id=focal_user.organization_id,
                      service_type_code="gbv_case_management", sensitive=True,
                      name_ar="إدارة حالة للناجيات", name_en="Survivor case management",
                      search_text="survivor case management")
        svc.coverage = [district]
        s.add(svc)
        s.flush()
        designate(s, admin, focal_user.organization_id, focal_user.id, district.pcode[:4])
        s.commit()
        return svc.id, district.pcode


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_a_request_through_the_focal_point_becomes_a_referral(visit, gbv_service, locale):
    service_id, pcode = gbv_service
    v = visit(size=DESKTOP, locale=locale)
    v.set_language(locale)
    v.sign_in(SENDER)
    v.goto(f"/directory/services/{service_id}", "the service shows only the focal route")
    assert v.page.locator(".notice").count() == 1
    with v.page.expect_navigation():
        v.page.locator(".notice a.button").click()
    v.check("the minimal request form")
    v.page.fill("#pcode", pcode)
    with v.page.expect_navigation():
        v.page.locator("form.form button[type=submit]").click()
    v.check("refused without a channel")
    assert v.page.locator(".error-summary a[href='#channel']").count() == 1
    v.page.select_option("#channel", "in_person")
    with v.page.expect_navigation():
        v.page.locator("form.form button[type=submit]").click()
    v.check("the request is sent")
    assert v.page.url.endswith("/focal/")
    sign_out(v)
    v.sign_in(RECEIVER)
    v.goto("/focal/", "the focal point's requests")
    with v.page.expect_navigation():
        v.page.locator("form[action*='/call-back'] button").first.click()
    v.check("called back")
    with v.page.expect_navigation():
        v.page.locator("a[href*='/convert']").first.click()
    v.check("the consent form")
    v.page.fill("#given_by", "the person" if locale == "en" else "الشخص نفسه")
    v.page.select_option("#method", "verbal")
    with v.page.expect_navigation():
        v.page.locator("form.form button[type=submit]").click()
    v.check("the referral")
    assert "/referrals/" in v.page.url
