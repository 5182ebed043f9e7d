"""Load OCHA COD-AB administrative boundaries (GeoJSON, shapefile, or a zip of shapefiles).

The level is read from the ``ADMn_PCODE`` fields (the highest n present); units are upserted by
p-code with parent links, Arabic/English names and alternate names, valid MultiPolygons
(invalid rings repaired with ``make_valid``) and an interior centroid. Everything is validated
before anything is written; the caller's transaction makes a multi-file load all-or-nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from geoalchemy2.elements import WKBElement
from pyproj import CRS
from pyproj.exceptions import CRSError
from sqlalchemy import literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import AdminArea
from data.point_areas import forget_point_areas
from geo.shapes import WGS84, multipolygons, to_wgs84
from textmatch.arabic import normalize

__all__ = ["BoundaryLayer", "load_boundaries", "read_layer"]

_LEVEL_FIELD = re.compile(r"^ADM(\d)_PCODE$", re.IGNORECASE)


@dataclass
class BoundaryLayer:
    """One file's features, validated: parallel lists plus a shapely geometry array."""

    source: str
    level: int
    pcodes: list[str]
    parents: list[str | None]
    names_en: list[str]
    names_ar: list[str]
    aliases: list[list[str]]
    geoms: np.ndarray


def _field(props: dict, name: str) -> str:
    for key, value in props.items():
        if key.upper() == name:
            return "" if value is None else str(value).strip()
    return ""


def _read_geojson(path: Path) -> tuple[list[dict], list[dict], CRS]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path.name}: not UTF-8 text.", details={"file": str(path)}) from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path.name}: malformed or truncated GeoJSON (line {exc.lineno}, "
                       f"column {exc.colno}: {exc.msg}).", details={"file": str(path)}) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadInput(f"{path.name}: expected a GeoJSON FeatureCollection.",
                       details={"file": str(path)})
    crs = WGS84
    named = (doc.get("crs") or {}).get("properties", {}).get("name")
    if named:
        try:
            crs = CRS.from_user_input(named)
        except CRSError:
            raise BadInput(f"{path.name}: unknown CRS {named!r}.",
                           details={"file": str(path), "field": "crs"}) from None
    feats = doc.get("features") or []
    return [f.get("properties") or {} for f in feats], [f.get("geometry") for f in feats], crs


def _read_shapefile(path: Path) -> tuple[list[dict], list[dict], CRS]:
    import shapefile  # pyshp

    prj = path.with_suffix(".prj")
    if not prj.exists():
        raise BadInput(f"{path.name}: no .prj file beside it, so its CRS is unknown.",
                       details={"file": str(path), "field": "crs"})
    try:
        crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace"))
    except CRSError:
        raise BadInput(f"{prj.name}: unknown CRS.", details={"file": str(prj),
                                                             "field": "crs"}) from None
    try:
        with shapefile.Reader(str(path), encoding="utf-8") as reader:
            names = [f[0] for f in reader.fields[1:]]
            props, geoms = [], []
            for rec in reader.iterShapeRecords():
                props.append(dict(zip(names, list(rec.record), strict=False)))
                geoms.append(rec.shape.__geo_interface__ if rec.shape.points else None)
    except (shapefile.ShapefileException, OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{path.name}: unreadable shapefile ({exc}).",
                       details={"file": str(path)}) from None
    return props, geoms, crs


def read_layer(path: Path) -> BoundaryLayer:
    """Read and validate one boundary file; errors name the file, the feature and the field."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such file.", details={"file": str(path)})
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        props, raw, crs = _read_geojson(path)
    elif suffix == ".shp":
        props, raw, crs = _read_shapefile(path)
    else:
        raise BadInput(f"{path.name}: expected .geojson, .json, .shp or .zip.",
                       details={"file": str(path)})
    if not props:
        raise BadInput(f"{path.name}: no features.", details={"file": str(path)})
    levels = sorted({int(m.group(1)) for p in props[:1] for k in p
                     if (m := _LEVEL_FIELD.match(k))})
    if not levels or levels[-1] < 1:
        raise BadInput(f"{path.name}: no ADM1_PCODE..ADM4_PCODE field, so the admin level "
                       "cannot be detected.", details={"file": str(path), "field": "ADMn_PCODE"})
    level = levels[-1]
    where = {"file": path.name}
    pcodes, parents, en, ar, aliases, geo_json = [], [], [], [], [], []
    for i, p in enumerate(props, start=1):
        code = _field(p, f"ADM{level}_PCODE")
        if not code:
            raise BadInput(f"{path.name} feature {i}: field ADM{level}_PCODE is empty.",
                           details={**where, "feature": i, "field": f"ADM{level}_PCODE"})
        names = {lang: _field(p, f"ADM{level}_{lang.upper()}") for lang in ("en", "ar")}
        for lang, value in names.items():
            if not value:
                raise BadInput(f"{path.name} feature {i} ({code}): field "
                               f"ADM{level}_{lang.upper()} is empty.",
                               details={**where, "feature": i,
                                        "field": f"ADM{level}_{lang.upper()}"})
        parent = _field(p, f"ADM{level - 1}_PCODE") if level > 1 else None
        if level > 1 and not parent:
            raise BadInput(f"{path.name} feature {i} ({code}): field ADM{level - 1}_PCODE "
                           "(the parent) is empty.",
                           details={**where, "feature": i, "field": f"ADM{level - 1}_PCODE"})
        alt = [_field(p, f"ADM{level}ALT{n}{lang}") for n in (1, 2) for lang in ("EN", "AR")]
        ref = _field(p, f"ADM{level}_REF")
        pcodes.append(code)
        parents.append(parent or None)
        en.append(names["en"])
        ar.append(names["ar"])
        aliases.append(sorted({a for a in (*alt, ref) if a and a not in names.values()}))
        geo_json.append(raw[i - 1])
    seen: dict[str, int] = {}
    for i, code in enumerate(pcodes, start=1):
        if code in seen:
            raise BadInput(f"{path.name}: duplicate p-code {code} in features {seen[code]} and "
                           f"{i}.", details={**where, "feature": i, "field": f"ADM{level}_PCODE"})
        seen[code] = i
    missing = [i for i, g in enumerate(geo_json, start=1) if not g]
    if missing:
        raise BadInput(f"{path.name} feature {missing[0]} ({pcodes[missing[0] - 1]}): no "
                       "geometry.", details={**where, "feature": missing[0], "field": "geometry"})
    try:
        geoms = shapely.from_geojson([json.dumps(g) for g in geo_json])
    except shapely.errors.GEOSException as exc:
        raise BadInput(f"{path.name}: invalid geometry ({exc}).",
                       details={**where, "field": "geometry"}) from None
    geoms = multipolygons(to_wgs84(geoms, crs))
    bad = [i for i, g in enumerate(geoms, start=1) if g is None or shapely.is_empty(g)]
    if bad:
        raise BadInput(f"{path.name} feature {bad[0]} ({pcodes[bad[0] - 1]}): the geometry is "
                       "not a polygon, or nothing is left of it after repair.",
                       details={**where, "feature": bad[0], "field": "geometry"})
    bounds = shapely.total_bounds(geoms)
    if bounds[0] < -180 or bounds[2] > 180 or bounds[1] < -90 or bounds[3] > 90:
        raise BadInput(f"{path.name}: coordinates outside longitude/latitude ranges; the CRS "
                       "is wrong or missing.", details={**where, "field": "crs"})
    return BoundaryLayer(str(path), level, pcodes, parents, en, ar, aliases, geoms)


def _expand(paths: list[Path]) -> tuple[list[Path], list[tempfile.TemporaryDirectory]]:
    files: list[Path] = []
    temps: list[tempfile.TemporaryDirectory] = []
    try:
        _expand_into(paths, files, temps)
    except BadInput:
        for tmp in temps:
            tmp.cleanup()
        raise
    return files, temps


def _expand_into(paths, files: list[Path], temps: list) -> None:
    """Zips are extracted to temporary folders (kept in ``temps``) and their .shp listed."""
    for path in map(Path, paths):
        if path.suffix.lower() == ".zip":
            tmp = tempfile.TemporaryDirectory()
            temps.append(tmp)
            try:
                with zipfile.ZipFile(path) as zf:
                    zf.extractall(tmp.name)
            except zipfile.BadZipFile:
                raise BadInput(f"{path.name}: not a valid zip file.",
                               details={"file": str(path)}) from None
            shps = sorted(Path(tmp.name).rglob("*.shp"))
            if not shps:
                raise BadInput(f"{path.name}: the zip holds no shapefile (.shp).",
                               details={"file": str(path)})
            files.extend(shps)
        else:
            files.append(path)


def load_boundaries(session: Session, paths: list[Path]) -> dict[int, int]:
    """Validate every file, then upsert all units by p-code; return the count per level."""
    files, temps = _expand(paths)
    try:
        layers = sorted((read_layer(f) for f in files), key=lambda layer: layer.level)
    finally:
        for tmp in temps:
            tmp.cleanup()
    known = set(session.scalars(select(AdminArea.pcode)))
    for layer in layers:
        for i, (code, parent) in enumerate(zip(layer.pcodes, layer.parents, strict=True), 1):
            if parent is not None and parent not in known:
                raise BadInput(f"{Path(layer.source).name} feature {i} ({code}): unknown parent "
                               f"p-code {parent}; load the level {layer.level - 1} file first "
                               "or with it.", details={"file": Path(layer.source).name,
                                                       "feature": i,
                                                       "field": f"ADM{layer.level - 1}_PCODE"})
        known.update(layer.pcodes)
    counts: dict[int, int] = {}
    for layer in layers:
        centroids = shapely.point_on_surface(layer.geoms)
        wkb_geoms = shapely.to_wkb(layer.geoms)
        wkb_points = shapely.to_wkb(centroids)
        rows = []
        for i, code in enumerate(layer.pcodes):
            names = [layer.names_en[i], layer.names_ar[i], *layer.aliases[i]]
            rows.append({
                "pcode": code, "level": layer.level, "parent_pcode": layer.parents[i],
                "name_en": layer.names_en[i], "name_ar": layer.names_ar[i],
                "aliases": layer.aliases[i],
                "search_text": normalize(" ".join(names)),
                "geom": WKBElement(wkb_geoms[i], srid=4326),
                "centroid": WKBElement(wkb_points[i], srid=4326),
            })
        stmt = insert(AdminArea)
        stmt = stmt.on_conflict_do_update(index_elements=["pcode"], set_={
            "level": stmt.excluded.level, "parent_pcode": stmt.excluded.parent_pcode,
            "name_en": stmt.excluded.name_en, "name_ar": stmt.excluded.name_ar,
            "aliases": literal_column(
                "ARRAY(SELECT DISTINCT a FROM unnest(admin_area.aliases || excluded.aliases) a)"),
            "search_text": stmt.excluded.search_text,
            "geom": stmt.excluded.geom, "centroid": stmt.excluded.centroid})
        session.execute(stmt, rows)
        counts[layer.level] = counts.get(layer.level, 0) + len(rows)
    session.flush()
    forget_point_areas(session)  # this process's searches see the new polygons at once
    return counts
