"""The official boundaries as a light base layer, so every map shows geography (governorates,
districts, sub-districts and their names) without a tile server."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["BASEMAP_TOLERANCE_DEG", "base_layer"]

# Degrees of simplification per level (~2 km, ~1 km, ~0.5 km): coarse outlines stay small.
BASEMAP_TOLERANCE_DEG = {1: 0.02, 2: 0.01, 3: 0.005}


def base_layer(session: Session, level: int) -> dict:
    """The areas of one admin level as a GeoJSON FeatureCollection: simplified outlines
    (coordinates to ~100 m), names in both languages and a label point inside each area."""
    if level not in BASEMAP_TOLERANCE_DEG:
        from data.errors import BadInput

        raise BadInput(f"level must be 1, 2 or 3, got {level}.", field="level")
    rows = session.execute(text(
        "SELECT pcode, name_ar, name_en, "
        "ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tol), 3), "
        "ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
        "FROM admin_area WHERE level = :level AND geom IS NOT NULL ORDER BY pcode"),
        {"level": level, "tol": BASEMAP_TOLERANCE_DEG[level]}).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(g),
         "properties": {"pcode": p, "name_ar": a, "name_en": e,
                        "label": [round(y, 4), round(x, 4)]}}
        for p, a, e, g, y, x in rows]}
