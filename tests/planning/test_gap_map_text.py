"""Names on the gap map are text, never template code: branca compiles each element's rendered
script as a Jinja template, so a service or organisation named ``{{ ... }}`` was evaluated on
the server when a planner opened the map with its sites (an organisation's admin could run
code there)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.maps import gap_map

SERVICE, ORG = "{{ 'qz' ~ 'svc' }}", "{{ 'qz' ~ 'org' }}"


@pytest.mark.parametrize("path", [
    "/gaps/map?level=1&sector=protection&sites=1&lang=en",
    "/gaps/map?level=1&sector=protection&sites=1&lang=ar",
    "/gaps/map.html?level=1&sector=protection&sites=1",
])
def test_site_names_are_not_evaluated(make, planner, gaps_data, path):
    org = make.org(name_en=ORG, name_ar=ORG)
    make.service(organization=org, name_en=SERVICE, name_ar=SERVICE, coverage=["SY07"],
                 service_type_code="prot_pss", sites=[(36.63, 35.93)])
    html = planner.get(path).get_data(as_text=True)
    assert "qzsvc" not in html and "qzorg" not in html
    assert html.count("~ \\u0026#x27;svc\\u0026#x27; }}") == 1  # the name, as written


def test_area_names_in_tooltips_are_not_evaluated():
    table = pd.DataFrame({
        "pcode": ["SY07"], "name_ar": ["{{ 'qz' ~ 'ar' }}"], "name_en": ["{{ 'qz' ~ 'en' }}"],
        "gap_score": [10.0], "people_in_need": [5.0], "severity": [3.0], "organizations": [1],
        "services": [1], "capacity": [1.0], "reached": [1.0], "coverage": [0.1],
        "declined_referrals": [0], "unmet_searches": [0]})
    shapes = pd.DataFrame({"pcode": ["SY07"], "wkb": [None], "lon": [36.6], "lat": [35.9]})
    for lang in ("ar", "en"):
        html = gap_map(table, shapes, lang=lang, title="{{ 'qz' ~ 'title' }}")
        assert "qzar" not in html and "qzen" not in html and "qztitle" not in html
        assert "L.circleMarker(" in html  # the area was drawn, its tooltip with it
