"""Gap data built in the test, shared by the planners' page tests."""

from __future__ import annotations

import datetime as dt

import pytest

from data.models import Activity, Case, Need, Referral, UnmetSearch


@pytest.fixture
def gaps_data(session, make):
    """Protection need in Idleb (SY07, served) and Aleppo (SY02, nobody there)."""
    org = make.org(name_en="Hope", name_ar="الأمل")
    svc = make.service(organization=org, coverage=["SY07"], service_type_code="prot_pss",
                       capacity_per_month=10, target_groups=["women"])
    make.service(coverage=["SY02"], service_type_code="health_primary")
    session.add_all([
        Need(pcode="SY07", sector_code="protection", period="2023", people_in_need=1000,
             severity=4),
        Need(pcode="SY02", sector_code="protection", period="2023", people_in_need=500,
             severity=3),
        Activity(organization_id=org.id, sector_code="gbv", pcode="SY07",
                 period_start=dt.date(2023, 1, 1), unit="people", reached_total=200,
                 fingerprint="gaps-test-1"),
        Activity(implementing_org="Other", sector_code="protection", pcode="SY07",
                 period_start=dt.date(2023, 1, 1), unit="sessions", reached_total=9,
                 fingerprint="gaps-test-2"),
        UnmetSearch(pcode="SY07", service_type_code="prot_pss"),
    ])
    case = Case(organization_id=org.id, case_code="C-1", pcode="SY07")
    session.add(case)
    session.flush()
    session.add(Referral(case_id=case.id, sender_org_id=org.id, receiver_org_id=org.id,
                         service_id=svc.id, service_type_code="prot_pss", status="declined",
                         reason_code="no_capacity", sent_at=dt.datetime(2023, 1, 5,
                                                                      tzinfo=dt.UTC)))
    session.flush()
    return org


@pytest.fixture
def planner(make, login):
    return login(make.user("planner"))
