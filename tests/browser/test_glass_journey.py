"""Break-the-glass in a real browser (issue 23), in Arabic and English: the demo's supervisor
is refused without a reason, states one and sees the sensitive record; the admin finds the
notice, reviews the grant and its reads, and ends it early; the supervisor is refused again.
Every page is checked by ``visit`` (console, network, axe)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_journeys import RECEIVER, SENDER, sign_out

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

SUPERVISOR = "supervisor@demo.tasharuk"
ADMIN = "orgadmin@demo.tasharuk"
SUPERVISOR_NAME = "المشرفة"  # the demo supervisor's name, in the admin's notice
NAME = "Huda Glass-Journey"


@pytest.fixture(scope="module")
def sensitive_referral(demo_app) -> int:
    """A referral of the demo's sender to a sensitive service of the receiver, accepted by
    the receiving caseworker (so the supervisor is outside its normal access)."""
    from sqlalchemy import func, select

    from data.db import db
    from data.models import Service, ServiceType, User
    from referral.cases import create_referrals
    from referral.crypto import configured_cipher
    from referral.lifecycle import transition
    from tests.kits.referrals import CONSENT

    with demo_app.app_context():
        s = db.session
        sender = s.scalar(select(User).where(User.email == SENDER))
        receiver = s.scalar(select(User).where(User.email == RECEIVER))
        svc = s.scalar(select(Service).join(
            ServiceType, ServiceType.code == Service.service_type_code).where(
            Service.organization_id == receiver.organization_id,
            Service.sensitive | ServiceType.sensitive, Service.sex.in_(("any", "female")),
            func.coalesce(Service.min_age, 0) <= 29, func.coalesce(Service.max_age, 120) >= 29)
            .order_by(Service.id).limit(1))
        assert svc is not None, "the demo's receiver has a sensitive service (network.demo)"
        _case, (ref,) = create_referrals(s, sender, {
            "service_id": svc.id, "consent": dict(CONSENT),
            "case": {"name": NAME, "age": 29, "sex": "female", "pcode": svc.coverage[0].pcode},
            "note": ""}, configured_cipher(), via_focal_point=True)
        transition(s, ref.id, receiver, "accept", version=ref.version)
        s.commit()
        return ref.id


def _submit(v, form_action: str, label: str) -> None:
    with v.page.expect_navigation():
        v.page.locator(f"form[action$='{form_action}'] button[type=submit]").click()
    v.check(label)


@pytest.mark.parametrize(("locale", "size"), [("ar", PHONE), ("en", DESKTOP)])
def test_break_the_glass_review_and_end_it(visit, sensitive_referral, locale, size):
    case = f"/referrals/{sensitive_referral}"
    sup = visit(size=size, locale=locale)
    sup.set_language(locale)
    sup.sign_in(SUPERVISOR)
    sup.goto(case, "the sensitive record, closed to the supervisor")
    assert NAME not in sup.page.content()
    _submit(sup, f"{case}/glass", "refused without a reason")
    assert sup.page.locator(".flash.error").count() == 1 and NAME not in sup.page.content()
    sup.page.fill("form[action$='/glass'] textarea[name=reason]", "Survivor called at night")
    _submit(sup, f"{case}/glass", "opened with a reason")
    assert NAME in sup.page.content()
    end_own = sup.page.locator("form[action*='/referrals/glass/'][action$='/end']")
    assert end_own.count() == 1
    sign_out(sup)

    admin = visit(size=size, locale=locale)
    admin.set_language(locale)
    admin.sign_in(ADMIN)
    admin.goto("/notifications/", "the admin is told")
    assert SUPERVISOR_NAME in admin.page.locator("main").inner_text()  # who opened it
    admin.goto("/referrals/glass", "the review lists the grant and its reads")
    row = admin.page.locator("table.data tbody tr").first
    assert "Survivor called at night" in row.inner_text()
    assert row.locator("td").last.inner_text().strip() == "1"  # the supervisor's one read
    with admin.page.expect_navigation():
        row.locator("form[action$='/end'] button").click()
    admin.check("ended early")
    row = admin.page.locator("table.data tbody tr").first
    assert row.locator("form").count() == 0 and admin.page.locator(".flash").count() >= 1
    sign_out(admin)

    sup.sign_in(SUPERVISOR)
    sup.goto(case, "refused after the end")
    assert NAME not in sup.page.content()
    assert sup.page.locator(f"form[action$='{case}/glass']").count() == 1
