"""Bundles from the directory (eligibility, coverage, availability, distance), provider
statistics, and the expiry job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.models import AdminArea, Notification, Referral
from referral.bundles import propose_bundle
from referral.cases import CaseInput
from referral.lifecycle import transition
from referral.stats import provider_stats
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def _profile(needs, **kw):
    base = dict(case_code="C-1", age=30, sex="female", target_groups=[], pcode="SY07",
                needs=needs, languages=[], urgency="normal", name=None, phone=None)
    base.update(kw)
    return CaseInput(**base)


@pytest.fixture
def idleb(session):
    lon, lat = session.execute(select(func.ST_X(AdminArea.centroid),
                                      func.ST_Y(AdminArea.centroid))
                               .where(AdminArea.pcode == "SY07")).one()
    return lon, lat


def test_bundle_prefers_fewest_organisations_then_nearest(session, make, idleb):
    lon, lat = idleb
    sender = make.org()
    near_a, near_b, far_both = make.org(), make.org(), make.org()
    s1 = make.service(organization=near_a, service_type_code="prot_pss",
                      sites=[(lon + 0.01, lat)])
    make.service(organization=near_b, service_type_code="prot_legal", sites=[(lon, lat + 0.01)])
    f1 = make.service(organization=far_both, service_type_code="prot_pss",
                      sites=[(lon + 0.5, lat)])
    f2 = make.service(organization=far_both, service_type_code="prot_legal",
                      sites=[(lon + 0.6, lat)])
    proposal = propose_bundle(session, _profile(["prot_pss", "prot_legal"]), sender.id)
    assert proposal.exact and proposal.organizations == 1
    assert sorted(proposal.service_ids) == sorted([f1.id, f2.id])
    # take the far organisation's second service away: two near ones win
    f2.availability = "full"
    session.flush()
    proposal = propose_bundle(session, _profile(["prot_pss", "prot_legal"]), sender.id)
    assert proposal.organizations == 2
    assert s1.id in proposal.service_ids and f1.id not in proposal.service_ids
    assert proposal.total_distance_m < 5000


@pytest.mark.parametrize("column,value", [("min_age", 40), ("sex", "male"),
                                          ("status", "inactive"), ("availability", "full")])
def test_bundle_respects_eligibility_and_availability(session, make, column, value):
    sender = make.org()
    svc = make.service(service_type_code="prot_pss", **{column: value})
    proposal = propose_bundle(session, _profile(["prot_pss"]), sender.id)
    assert svc.id not in proposal.service_ids


def test_bundle_respects_coverage_groups_and_own_organisation(session, make):
    sender = make.org()
    elsewhere = make.service(service_type_code="prot_pss", coverage=["SY02"])
    children = make.service(service_type_code="prot_pss", target_groups=["children"])
    own = make.service(organization=sender, service_type_code="prot_pss")
    women = make.service(service_type_code="prot_pss", target_groups=["women"])
    proposal = propose_bundle(session, _profile(["prot_pss"], target_groups=["women"]),
                              sender.id)
    assert proposal.service_ids == [women.id]
    assert not {elsewhere.id, children.id, own.id} & set(proposal.service_ids)
    none = propose_bundle(session, _profile(["prot_pss", "shelter"]), sender.id)
    assert "shelter" in none.uncovered


def test_provider_stats(session, world):
    svc = world.service
    rows = [new_referral(session, world, status=s)
            for s in ("accepted", "completed", "declined", "declined", "expired", "sent")]
    base = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for i, r in enumerate(rows):
        r.sent_at = base
        r.responded_at = base + dt.timedelta(hours=2 * (i + 1)) if i < 4 else None
    session.flush()
    stats = provider_stats(session, by="organization", ids=[world.receiver_org.id])
    s = stats[world.receiver_org.id]
    assert (s.received, s.answered, s.accepted, s.declined, s.expired) == (6, 5, 2, 2, 1)
    assert s.acceptance_rate == pytest.approx(2 / 5)
    assert s.median_response_hours == pytest.approx(5.0)  # median of 2, 4, 6, 8
    assert s.decline_reasons == {"no_capacity": 2}
    by_service = provider_stats(session, by="service", ids=[svc.id])
    assert by_service[svc.id].received == 6


def test_expire_command(runner, session, world):
    old = new_referral(session, world, status="sent")
    fresh = new_referral(session, world, status="sent")
    answered = new_referral(session, world, status="accepted")
    old.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    legacy = new_referral(session, world, status="sent")
    legacy.due_at = None
    legacy.sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    session.flush()
    result = runner.invoke(args=["referrals", "expire"])
    assert result.exit_code == 0, result.output
    assert "expired: 2" in result.output
    session.expire_all()
    assert session.get(Referral, old.id).status == "expired"
    assert session.get(Referral, legacy.id).status == "expired"
    assert session.get(Referral, fresh.id).status == "sent"
    assert session.get(Referral, answered.id).status == "accepted"
    sender = world.users[("sender", "caseworker")]
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == sender.id, Notification.kind == "referral.expire")) == 2
    assert session.get(Referral, old.id).events[-1].actor_user_id is None


def test_expired_referral_cannot_be_accepted(session, world):
    from data.errors import Conflict

    r = new_referral(session, world, status="expired")
    with pytest.raises(Conflict):
        transition(session, r.id, world.users[("receiver", "caseworker")], "accept",
                   version=r.version)
