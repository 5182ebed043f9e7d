"""The home page's national figures count each organisation and service once."""

from __future__ import annotations


def test_home_totals_count_each_organisation_and_service_once(client, session, make):
    from sqlalchemy import func, select

    from data.models import Service
    from network.overview import platform_totals

    before_orgs, before_services = platform_totals(session)
    org = make.org()
    make.service(organization=org, coverage=["SY01", "SY02", "SY07"])
    make.service(organization=org, coverage=["SY07"])
    make.service(organization=org, coverage=["SY07"], status="inactive")
    orgs, services = platform_totals(session)
    assert (orgs, services) == (before_orgs + 1, before_services + 2)
    assert services <= session.scalar(select(func.count()).select_from(Service)
                                      .where(Service.status == "active"))
    html = client.get("/").get_data(as_text=True)
    # Arabic counts are phrased "عدد الخدمات N" (no hand-built plural of the noun)
    assert f"عدد المنظمات {orgs:,}، وعدد الخدمات {services:,}" in html


def test_gap_map_legend_ranges_read_left_to_right():
    from geo.maps import _legend_html

    html = _legend_html()
    assert "<span dir='ltr'>0–20</span>" in html and "<span dir='ltr'>80–100</span>" in html



def test_gap_map_scale_is_metric_only():
    import pandas as pd

    from geo.maps import gap_map

    table = pd.DataFrame([{"pcode": "SY07", "name_ar": "إدلب", "name_en": "Idleb",
                           "gap_score": 50.0, "people_in_need": 900.0, "severity": 3.0,
                           "organizations": 1, "services": 1, "capacity": 10.0, "reached": 0.0,
                           "coverage": 0.1, "declined_referrals": 0, "unmet_searches": 0}])
    shapes = pd.DataFrame({"pcode": ["SY07"], "wkb": [None], "lon": [36.6], "lat": [35.9]})
    html = gap_map(table, shapes)
    assert "L.control.scale({imperial: false})" in html
    assert "L.control.scale()" not in html
