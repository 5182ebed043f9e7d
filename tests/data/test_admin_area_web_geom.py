"""admin_area.geom_web: the web map's simplified polygons, kept by PostgreSQL, are the same as
simplifying on each request was (issue 21) and follow a boundary's change."""

from __future__ import annotations

from sqlalchemy import text

from data.models.geo import WEB_TOLERANCE_DEG
from geo.maps import MAP_TOLERANCE_DEG


def test_stored_web_polygons_equal_the_maps_simplification(session, boundaries):
    from data.gapdata import area_shapes

    assert WEB_TOLERANCE_DEG == MAP_TOLERANCE_DEG
    kept, differ = session.execute(text(
        "SELECT count(geom_web), count(*) FILTER (WHERE ST_AsBinary(geom_web) IS DISTINCT FROM "
        "ST_AsBinary(ST_SimplifyPreserveTopology(geom, :tol))) FROM admin_area"),
        {"tol": MAP_TOLERANCE_DEG}).one()
    assert kept == sum(boundaries.values()) and differ == 0
    stored = area_shapes(session, 3, web=True)
    now = area_shapes(session, 3, tolerance_deg=MAP_TOLERANCE_DEG)
    assert len(stored) == boundaries[3] and stored.equals(now)


def test_web_polygon_follows_a_boundary_change(session, boundaries):
    square = "MULTIPOLYGON(((36 35, 36.5 35, 36.5 35.5, 36 35.5, 36 35)))"
    session.execute(text("UPDATE admin_area SET geom = ST_GeomFromText(:g, 4326) "
                         "WHERE pcode = 'SY07'"), {"g": square})
    web = session.scalar(text("SELECT ST_AsText(geom_web) FROM admin_area WHERE pcode = 'SY07'"))
    assert web == "POLYGON((36 35,36.5 35,36.5 35.5,36 35.5,36 35))"  # one part: a Polygon
    session.execute(text("UPDATE admin_area SET geom = NULL WHERE pcode = 'SY07'"))
    assert session.scalar(text("SELECT geom_web FROM admin_area WHERE pcode = 'SY07'")) is None
