"""Geometry helpers on shapely 2 arrays (vectorised): reprojection to WGS 84, repair into
MultiPolygons, simplification for the web, the admin area containing a point. Pure: no I/O,
nothing of the database."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = ["WGS84", "AreaIndex", "is_wgs84", "multipolygons", "simplify", "to_wgs84"]

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


class AreaIndex:
    """Which admin area contains a point, in process: the polygons of levels 0-3 in an STRtree,
    each prepared (a point-in-polygon test then costs microseconds).

    ``locate`` answers as the search's SQL did: the level-3 area containing the point, else
    the deepest lower level's; a point on a shared edge lies in both areas, and the lowest
    p-code of the deepest level wins (the SQL's ``LIMIT 1`` had no order there). Levels above
    3 and missing geometries are left out. ``bounded``: governorate (level 1) polygons are
    loaded, so a point in none of them is outside the country.
    """

    def __init__(self, pcodes: Sequence[str], levels: Sequence[int],
                 geoms: np.ndarray) -> None:
        codes = np.asarray(pcodes, dtype=object)
        lv = np.asarray(levels, dtype=np.int64)
        geoms = np.asarray(geoms, dtype=object)
        keep = (lv <= 3) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        codes, lv, geoms = codes[keep], lv[keep], geoms[keep]
        # priority order: deepest level first, then the lowest p-code (the first hit wins)
        order = np.lexsort((codes.astype(str), -lv)) if len(codes) else np.empty(0, np.intp)
        self.pcodes: list[str] = [str(c) for c in codes[order]]
        self.geoms = geoms[order]
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.bounded = bool((lv == 1).any())

    def __len__(self) -> int:
        return len(self.pcodes)

    def locate(self, lon: float, lat: float) -> str | None:
        """The p-code of the deepest area containing (or touching) the point, or None."""
        candidates = self.tree.query(shapely.Point(lon, lat))
        if not len(candidates):
            return None
        hits = candidates[shapely.intersects_xy(self.geoms[candidates], lon, lat)]
        return self.pcodes[int(hits.min())] if len(hits) else None
