"""Measured figures (issue 22): the median response time of the last 90 days with its count,
the share declined and the top coded reason, withheld below a minimum count, shown beside the
promise on the service page, the search cards and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from referral.measured import MIN_MEASURED, measured_figures
from tests.kits.directory import P
from tests.network.test_directory_api import check

NOW = dt.datetime.now(dt.UTC)


def answered(session, svc, sender, *, days_ago: float, hours: float, status: str = "accepted",
             reason: str | None = None):
    """A referral sent ``days_ago`` and answered ``hours`` later (inserted as rows: the
    lifecycle's own tests cover how the rows get there)."""
    from data.models import Case, Referral

    case = Case(organization_id=sender.id, case_code=f"C-{days_ago}-{hours}")
    session.add(case)
    session.flush()
    sent = NOW - dt.timedelta(days=days_ago)
    ref = Referral(case_id=case.id, sender_org_id=sender.id, receiver_org_id=svc.organization_id,
                   service_id=svc.id, status=status, reason_code=reason, sent_at=sent,
                   responded_at=None if hours is None else sent + dt.timedelta(hours=hours))
    session.add(ref)
    session.flush()
    return ref


@pytest.fixture
def measured_service(session, make):
    """Six answers in the period (median 144 h = 6 days; 2 declined, mostly no capacity), and
    what must not count: one too old, one not answered yet, one of another service."""
    svc = make.service(response_days=2, sites=[P])
    sender = make.org()
    for hours in (24, 100, 140, 148, 200, 300):
        answered(session, svc, sender, days_ago=10, hours=hours)
    from data.models import Referral

    refs = session.query(Referral).filter_by(service_id=svc.id).order_by(Referral.id).all()
    refs[0].status, refs[0].reason_code = "declined", "no_capacity"
    refs[1].status, refs[1].reason_code = "declined", "no_capacity"
    answered(session, svc, sender, days_ago=120, hours=1, status="declined", reason="other")
    answered(session, svc, sender, days_ago=3, hours=None, status="sent")
    answered(session, make.service(), sender, days_ago=5, hours=2)
    session.flush()
    return svc


def test_figures_are_measured_over_the_last_90_days_in_one_statement(session,
                                                                      measured_service):
    m = measured_figures(session, [measured_service.id])[measured_service.id]
    assert m.shown and m.referrals == 6
    assert m.median_response_hours == pytest.approx(144.0)
    assert m.declined_share == pytest.approx(2 / 6) and m.top_decline_reason == "no_capacity"


def test_figures_are_withheld_below_the_minimum_count(session, make):
    svc = make.service()
    sender = make.org()
    for _ in range(MIN_MEASURED - 1):
        answered(session, svc, sender, days_ago=2, hours=5)
    m = measured_figures(session, [svc.id])[svc.id]
    assert (m.shown, m.referrals, m.median_response_hours, m.declined_share) == \
        (False, MIN_MEASURED - 1, None, None)
    answered(session, svc, sender, days_ago=2, hours=5)
    assert measured_figures(session, [svc.id])[svc.id].shown


def test_service_page_shows_the_promise_beside_the_measure(client, measured_service):
    en = client.get(f"/directory/services/{measured_service.id}?lang=en").get_data(as_text=True)
    assert "promises 2 days" in en
    assert "answers in 6 days" in en and "(median of 6 referrals in the last 90 days)" in en
    assert "33% declined, mostly “no capacity”" in en
    ar = client.get(f"/directory/services/{measured_service.id}?lang=ar").get_data(as_text=True)
    assert "يعد بالرد خلال يومين" in ar and "يرد فعلياً خلال 6 أيام" in ar
    assert "(وسيط 6 إحالات خلال آخر تسعين يوماً)" in ar
    assert "رُفض 33%، غالباً بسبب «لا توجد قدرة استيعابية»" in ar


def test_a_new_service_says_it_is_not_measured_yet(client, make, session):
    svc = make.service(response_days=1)
    answered(session, svc, make.org(), days_ago=1, hours=3)
    en = client.get(f"/directory/services/{svc.id}?lang=en").get_data(as_text=True)
    assert "promises 1 day" in en
    assert "not measured yet: 1 answered referral in the last 90 days" in en
    assert "answers in" not in en
    ar = client.get(f"/directory/services/{svc.id}?lang=ar").get_data(as_text=True)
    assert "إحالة واحدة مُجابة" in ar


def test_api_gives_the_measured_figures_on_the_service_and_the_search(client,
                                                                       measured_service):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = check(spec, "/services/{service_id}", "get",
                 client.get(f"/api/v1/services/{measured_service.id}"))
    assert body["measured"] == {"period_days": 90, "referrals": 6, "shown": True,
                                "median_response_hours": 144.0, "declined_share": 0.333,
                                "top_decline_reason": "no_capacity"}
    hits = check(spec, "/services", "get", client.get(
        f"/api/v1/services?need=prot_pss&lon={P[0]}&lat={P[1]}&per_page=100"))
    hit = next(i for i in hits["items"] if i["id"] == measured_service.id)
    assert hit["measured"] == body["measured"] and hit["response_days"] == 2


def test_search_card_shows_the_promise_beside_the_measure(client, measured_service):
    page = client.get(f"/directory/?need=prot_pss&lon={P[0]}&lat={P[1]}&lang=en"
                      "&per_page=100").get_data(as_text=True)
    assert "promises 2 days" in page and "(median of 6 referrals in the last 90 days)" in page


def test_the_demo_data_shows_measured_figures(client, session):
    """The demo's referrals (spread over the year up to today) give services enough answers
    in the last 90 days for the page to show promise beside measure."""
    from sqlalchemy import select

    from data.demo import load_demo
    from data.models import Service

    load_demo(session, orgs=40, seed=1, progress=False)
    session.flush()
    ids = list(session.scalars(select(Service.id).where(Service.status == "active")))
    figures = measured_figures(session, ids)
    shown = [sid for sid, m in figures.items() if m.shown]
    assert len(shown) >= 1, sorted(m.referrals for m in figures.values())[-10:]
    busiest = max(shown, key=lambda sid: figures[sid].referrals)
    page = client.get(f"/directory/services/{busiest}?lang=en").get_data(as_text=True)
    assert f"(median of {figures[busiest].referrals} referrals in the last 90 days)" in page
    svc = session.get(Service, busiest)
    assert svc.next_step_en and svc.what_to_bring_en in page


def test_an_index_holds_every_column_the_figures_read(session):
    """``ix_referral_measured`` (migration 0047) makes a page's figures an index-only range per
    service: its key leads with the service, it holds every referral column the lateral reads,
    and its predicate is one the lateral's condition implies. A column added to the lateral
    but not to the index would bring back a heap read per service, silently."""
    from sqlalchemy import text

    from referral.measured import MEASURED_LATERAL

    read = set(re.findall(r"\br\.(\w+)", MEASURED_LATERAL))
    assert read >= {"service_id", "sent_at", "responded_at", "status", "reason_code"}
    columns = session.scalars(text(
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE c.relname = 'ix_referral_measured' ORDER BY k.n")).all()
    assert columns[0] == "service_id" and read <= set(columns)
    predicate = session.scalar(text(
        "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c "
        "ON c.oid = i.indexrelid WHERE c.relname = 'ix_referral_measured'"))
    assert predicate == "(responded_at IS NOT NULL)"
    assert "r.responded_at IS NOT NULL" in MEASURED_LATERAL
