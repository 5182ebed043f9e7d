"""Load alias lists in the OpenSyria gazetteer format (``admin_names/*.json``).

Each record names an area in Arabic and English, lists aliases and alternate spellings, and
carries its OCHA p-code in ``externalIds.ochaPcode``. Aliases are merged into the matching
admin area; an area not loaded yet (no boundaries) is created from the record's centroid,
its level and parent taken from the p-code (SY07 -> SY0703 -> SY070301).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import AdminArea
from textmatch.arabic import normalize

__all__ = ["GazetteerReport", "level_of", "load_gazetteer", "parent_of"]

_LEVEL_BY_LENGTH = {4: 1, 6: 2, 8: 3}


def level_of(pcode: str) -> int | None:
    """The admin level a Syrian p-code's length implies (SY07: 1, SY0703: 2, SY070301: 3)."""
    return _LEVEL_BY_LENGTH.get(len(pcode))


def parent_of(pcode: str) -> str | None:
    """The p-code of the parent area, by prefix."""
    level = level_of(pcode)
    return pcode[: 2 + 2 * (level - 1)] if level and level > 1 else None


@dataclass
class GazetteerReport:
    updated: int = 0
    created: int = 0
    skipped: list[str] = field(default_factory=list)


def _records(path: Path) -> list[dict]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror}).",
                       details={"file": str(path)}) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{Path(path).name}: malformed JSON ({exc}).",
                       details={"file": str(path)}) from None
    if not isinstance(doc, list):
        raise BadInput(f"{Path(path).name}: expected a JSON list of area records.",
                       details={"file": str(path)})
    return doc


def load_gazetteer(session: Session, paths: list[Path]) -> GazetteerReport:
    """Merge every file's names and aliases into admin areas; validate all before writing."""
    entries = []
    for path in paths:
        for i, rec in enumerate(_records(path), start=1):
            where = {"file": Path(path).name, "record": i}
            if not isinstance(rec, dict) or not isinstance(rec.get("name"), dict):
                raise BadInput(f"{Path(path).name} record {i}: field name is missing.",
                               details={**where, "field": "name"})
            pcode = ((rec.get("externalIds") or {}).get("ochaPcode") or "").strip()
            aliases = [a.get("value", "").strip() for a in rec.get("aliases") or []
                       if isinstance(a, dict)]
            entries.append((where, pcode, rec, [a for a in aliases if a]))
    report = GazetteerReport()
    existing = {a.pcode: a for a in session.scalars(select(AdminArea))}
    # parents before children, so created areas can point at their parent
    entries.sort(key=lambda e: len(e[1]))
    for where, pcode, rec, aliases in entries:
        name_en = (rec["name"].get("en") or "").strip()
        name_ar = (rec["name"].get("ar") or "").strip()
        if not pcode or level_of(pcode) is None:
            report.skipped.append(f"{where['file']} record {where['record']} ({name_en}): "
                                  "no OCHA p-code")
            continue
        area = existing.get(pcode)
        if area is None:
            parent = parent_of(pcode)
            if parent is not None and parent not in existing:
                report.skipped.append(f"{where['file']} record {where['record']} ({pcode}): "
                                      f"parent {parent} unknown")
                continue
            centroid = rec.get("centroid") or {}
            area = AdminArea(pcode=pcode, level=level_of(pcode), parent_pcode=parent,
                             name_en=name_en or pcode, name_ar=name_ar or name_en or pcode,
                             aliases=[])
            if "longitude" in centroid and "latitude" in centroid:
                area.centroid = from_shape(Point(float(centroid["longitude"]),
                                                 float(centroid["latitude"])), srid=4326)
            session.add(area)
            existing[pcode] = area
            report.created += 1
        else:
            report.updated += 1
        names = {area.name_en, area.name_ar}
        merged = list(dict.fromkeys([*(area.aliases or []),
                                     *[n for n in (name_en, name_ar, *aliases)
                                       if n and n not in names]]))
        area.aliases = merged
        population = (rec.get("population") or {}).get("value")
        if isinstance(population, int | float) and area.population is None:
            area.population = int(population)
        area.search_text = normalize(" ".join([area.name_en, area.name_ar, *merged]))
    session.flush()
    return report
