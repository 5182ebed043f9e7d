"""The maps' base layer: the official boundaries of each level with names, small and cached."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("level", "count"), [(1, 14), (2, 62), (3, 272)])
def test_each_level_is_served_with_names_and_a_label_point(client, boundaries, level, count):
    response = client.get(f"/directory/basemap/{level}.json")
    assert response.status_code == 200
    assert response.cache_control.max_age == 86400
    features = response.get_json()["features"]
    assert len(features) == count
    for f in features:
        props = f["properties"]
        assert props["name_ar"] and props["name_en"] and len(props["pcode"]) == 2 + 2 * level
        lat, lon = props["label"]
        assert 32 < lat < 38 and 35 < lon < 43
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(response.data) < 1_000_000  # light enough for a slow connection


def test_an_unknown_level_is_a_clear_400(client):
    response = client.get("/directory/basemap/4.json")
    assert response.status_code == 400
    assert "level" in response.get_data(as_text=True)


def test_a_second_fetch_is_not_modified(client, boundaries):
    first = client.get("/directory/basemap/1.json")
    again = client.get("/directory/basemap/1.json",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
