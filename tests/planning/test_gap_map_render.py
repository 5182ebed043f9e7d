"""The gap map's GeoJSON layers go into the page as rendered text (``geo.maps._GeoJson``),
not compiled again as a Jinja template: the page must be the one folium's own layer draws."""

from __future__ import annotations

import re

import folium
import pandas as pd
import shapely

from geo import maps


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows, shapes = [], []
    for i in range(40):
        pcode = f"SY{i:06d}"
        rows.append({"pcode": pcode, "name_ar": f"منطقة {i}", "name_en": f"Area {{{{ {i} }}}}",
                     "gap_score": float(i * 2.5), "people_in_need": float(i * 10) or None,
                     "severity": 3.0, "organizations": i % 3, "services": i % 4,
                     "capacity": 10.0, "reached": 5.0, "coverage": 0.5,
                     "declined_referrals": 1, "unmet_searches": 0})
        box = shapely.box(36 + i * 0.05, 33, 36.04 + i * 0.05, 33.2 + (i % 5) * 0.01)
        shapes.append({"pcode": pcode, "wkb": shapely.to_wkb(box) if i % 9 else None,
                       "lon": 36 + i * 0.05, "lat": 33.1})
    sites = pd.DataFrame({"lon": [36.1, 36.2, 36.21], "lat": [33.1, 33.1, 33.12],
                          "pcode": ["SY000001", None, None], "service_ar": ["خدمة", "ب", "ج"],
                          "service_en": ["S", "T", "U"], "org_ar": ["م", "ن", "ه"],
                          "org_en": ["O", "P", "Q"], "service_type": ["a", "b", "c"]})
    return pd.DataFrame(rows), pd.DataFrame(shapes), sites


def _same_ids(html: str) -> str:
    return re.sub(r"_[0-9a-f]{32}", "_ID", html)  # folium names each element at random


def test_the_map_is_the_page_folium_draws(monkeypatch):
    table, shapes, sites = _inputs()
    for options in ({"lang": "ar", "title": "خريطة"}, {"lang": "en", "standalone": True}):
        ours = maps.gap_map(table, shapes, sites=sites, tolerance_deg=0.0, **options)
        with monkeypatch.context() as patch:
            patch.setattr(maps, "_GeoJson", folium.GeoJson)
            theirs = maps.gap_map(table, shapes, sites=sites, tolerance_deg=0.0, **options)
        assert "L.geoJson(" in ours and "SY000010" in ours  # the areas' layer, drawn
        if options["lang"] == "en":  # the name as written, braces as entities
            assert ours.count("Area \\u0026#123;\\u0026#123; 1 }}") == 1
        assert _same_ids(ours) == _same_ids(theirs)
