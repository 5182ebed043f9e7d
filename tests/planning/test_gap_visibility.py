"""Organisations not verified are invisible to others on the gap pages (issue 17's rule): the
services they declared count in no gap figure and the map names none of their sites; 4W rows
(the cluster's reports, whose new partners the import files as pending) count until the
organisation is rejected or suspended. The verified row shows the same facts do count."""

from __future__ import annotations

import datetime as dt

import pytest

from data.models import Activity


def _aleppo(client) -> dict:
    body = client.get("/api/v1/gaps?level=1&sector=protection").get_json()
    return next(r for r in body["items"] if r["pcode"] == "SY02")


@pytest.mark.parametrize(("state", "services", "activity"), [
    ("verified", True, True), ("pending", False, True), ("rejected", False, False),
    ("suspended", False, False),
])
def test_presence_counts_only_verified_organisations(session, make, planner, gaps_data,
                                                     state, services, activity):
    org = make.org(name_en=f"Aleppo {state} aid", verification=state)
    make.service(organization=org, coverage=["SY02"], service_type_code="prot_pss",
                 capacity_per_month=20, target_groups=[])
    session.add(Activity(organization_id=org.id, sector_code="protection", pcode="SY02",
                         period_start=dt.date(2023, 3, 1), unit="people", reached_total=40,
                         fingerprint=f"visibility-{state}"))
    session.flush()
    row = _aleppo(planner)
    assert row["organizations"] == (1 if services or activity else 0)
    assert (row["services"], row["capacity"]) == ((1, 20) if services else (0, 0))
    assert row["reached"] == (40 if activity else 0)
    assert row["need_without_presence"] is not (services or activity)


@pytest.mark.parametrize(("state", "shown"), [
    ("verified", True), ("pending", False), ("rejected", False), ("suspended", False),
])
def test_the_map_names_no_site_of_an_unverified_organisation(session, make, planner,
                                                             gaps_data, state, shown):
    org = make.org(name_en=f"Site {state} org", name_ar=f"موقع {state}", verification=state)
    make.service(organization=org, name_en=f"Clinic of {state}", coverage=["SY02"],
                 service_type_code="prot_pss", sites=[(37.16, 36.2)])
    html = planner.get("/gaps/map?level=1&sector=protection&sites=1&lang=en").get_data(
        as_text=True)
    assert (f"Clinic of {state}" in html) is shown
    assert (f"Site {state} org" in html) is shown
    assert ("[37.16, 36.2]" in html) is shown

