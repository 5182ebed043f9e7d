"""The coded reason "the service is not offered any more" (issue 18): a receiver gives it from
the case page in either language, the database takes it, and it feeds the provider's decline
breakdown on the service page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import Referral
from matching.reasons import LABELS, REASONS
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


@pytest.mark.parametrize(("lang", "label"), [("ar", "لم تعد الخدمة مقدَّمة"),
                                             ("en", "the service is not offered any more")])
def test_the_receiver_declines_because_the_service_is_not_offered_any_more(
        client, login, session, world, lang, label):
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "caseworker")])
    page = client.get(f"/referrals/{referral.id}?lang={lang}").get_data(as_text=True)
    assert f'<option value="not_offered">{label}</option>' in page
    resp = client.post(f"/referrals/{referral.id}/transition?lang={lang}", data={
        "action": "decline", "reason": "not_offered", "version": referral.version})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    stored = session.scalar(select(Referral).where(Referral.id == referral.id))
    session.refresh(stored)
    assert (stored.status, stored.reason_code) == ("declined", "not_offered")
    page = client.get(f"/referrals/{referral.id}?lang={lang}").get_data(as_text=True)
    assert f"<td>{label}</td>" in page


def test_every_staff_reason_has_both_labels():
    assert "not_offered" in REASONS
    assert all(len(LABELS[r]) == 2 and all(LABELS[r]) for r in REASONS)


@pytest.mark.parametrize(("lang", "line"), [("ar", "<li>لم تعد الخدمة مقدَّمة: 2</li>"),
                                            ("en", "<li>no capacity: 1</li>")])
def test_the_service_page_breaks_declines_down_by_reason(client, session, world, lang, line):
    from referral.lifecycle import transition
    from referral.ranking import refresh_ranking

    receiver = world.users[("receiver", "caseworker")]
    for reason in ("not_offered", "not_offered", "no_capacity"):
        r = new_referral(session, world, status="sent")
        transition(session, r.id, receiver, "decline", version=r.version, reason=reason)
    refresh_ranking(session)
    page = client.get(f"/directory/services/{world.service.id}?lang={lang}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert line in html
    assert html.index(line) > html.index('class="decline-reasons"')
