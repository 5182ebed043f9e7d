"""Geometry helpers on shapely 2 arrays (vectorised): reprojection to WGS 84, repair into
MultiPolygons, simplification for the web. Pure: no I/O, nothing of the database."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = ["WGS84", "is_wgs84", "multipolygons", "simplify", "to_wgs84"]

WGS84 = CRS.from_epsg(4326)


def is_wgs84(crs: CRS) -> bool:
    """True when ``crs`` is longitude/latitude on WGS 84 (EPSG:4326 or OGC CRS84)."""
    return (crs.equals(WGS84, ignore_axis_order=True) or crs.to_epsg() == 4326
            or "CRS84" in crs.to_string())


def to_wgs84(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """``geoms`` reprojected from ``crs`` to WGS 84 (x = longitude); unchanged when already."""
    if is_wgs84(crs):
        return geoms
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Repair with make_valid and keep only the polygonal parts, as MultiPolygons (None where
    nothing polygonal is left)."""
    fixed = shapely.make_valid(geoms)
    parts, index = shapely.get_parts(fixed, return_index=True)
    # make_valid may return collections: flatten once more, keep polygons
    sub, sub_index = shapely.get_parts(parts, return_index=True)
    owner = index[sub_index]
    polygonal = shapely.get_type_id(sub) == 3
    sub, owner = sub[polygonal], owner[polygonal]
    out = np.full(len(geoms), None, dtype=object)
    if len(sub):
        order = np.argsort(owner, kind="stable")
        multis = shapely.multipolygons(sub[order], indices=owner[order])
        out[np.unique(owner[order])] = multis
    return out


def simplify(geoms: np.ndarray, tolerance_deg: float, grid_deg: float = 1e-4) -> np.ndarray:
    """Simplified (topology kept) by ``tolerance_deg`` and snapped to a ``grid_deg`` grid:
    polygons as a web map draws them, small and without false precision."""
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    if grid_deg > 0:
        geoms = shapely.set_precision(geoms, grid_deg, mode="pointwise")
    return geoms
