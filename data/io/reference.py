"""Project-authored reference data (``data/reference/*.csv``): governorates, taxonomy, groups.

Loading is an upsert by code, so it is safe to repeat; boundaries loaded later keep theirs.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from data.csvutil import read_rows
from data.errors import BadInput
from data.models import AdminArea, Sector, ServiceType, TargetGroup
from textmatch.arabic import normalize

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
PCODE = re.compile(r"^[A-Z]{2}[0-9A-Z]*$")  # the admin_area check constraint

__all__ = ["REFERENCE", "load_reference"]


def _bool(value: str, where: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no", ""):
        return False
    raise BadInput(f"{where}: expected true or false, got {value!r}.")


def _int(value: str, where: str) -> int | None:
    try:
        return int(value) if value.strip() else None
    except ValueError:
        raise BadInput(f"{where}: not a whole number: {value!r}.") from None


def _rows(folder: Path, name: str, required: tuple[str, ...],
          key: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of ``name``, refusing an empty or repeated ``key`` (row and column named)."""
    rows, seen = [], {}
    for n, row in read_rows(folder / name, required):
        code = row[key].strip()
        if not code:
            raise BadInput(f"{name} row {n}, column {key}: empty.", field=key)
        if code in seen:
            raise BadInput(f"{name} row {n}, column {key}: duplicate {code!r} (also row "
                           f"{seen[code]}).", field=key)
        seen[code] = n
        rows.append((n, {**row, key: code}))
    return rows


def _upsert(session: Session, model, rows: list[dict], key: str) -> int:
    if not rows:
        return 0
    stmt = insert(model).values(rows)
    update = {c: stmt.excluded[c] for c in rows[0] if c != key}
    session.execute(stmt.on_conflict_do_update(index_elements=[key], set_=update))
    return len(rows)


def load_reference(session: Session, folder: Path = REFERENCE) -> dict[str, int]:
    """Upsert governorates, sectors, service types and target groups; return counts."""
    counts: dict[str, int] = {}
    govs = []
    for n, row in _rows(folder, "governorates.csv",
                        ("pcode", "name_en", "name_ar", "lon", "lat", "population"), "pcode"):
        if not PCODE.match(row["pcode"]):
            raise BadInput(f"governorates.csv row {n}, column pcode: {row['pcode']!r} is not a "
                           "p-code like SY01.", field="pcode")
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except ValueError:
            raise BadInput(f"governorates.csv row {n}, column lon/lat: not a number.") from None
        govs.append({"pcode": row["pcode"], "level": 1, "name_en": row["name_en"],
                     "name_ar": row["name_ar"],
                     "population": _int(row["population"],
                                        f"governorates.csv row {n}, column population"),
                     "search_text": normalize(f"{row['name_en']} {row['name_ar']}"),
                     "centroid": func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)})
    if govs:
        stmt = insert(AdminArea).values(govs)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["pcode"],
            set_={"name_en": stmt.excluded.name_en, "name_ar": stmt.excluded.name_ar,
                  "population": func.coalesce(AdminArea.population, stmt.excluded.population),
                  "centroid": func.coalesce(AdminArea.centroid, stmt.excluded.centroid)}))
    counts["governorates"] = len(govs)

    sector_rows = _rows(folder, "sectors.csv",
                        ("code", "parent_code", "name_en", "name_ar", "sort"), "code")
    codes = {r["code"] for _, r in sector_rows} | set(session.scalars(select(Sector.code)))
    sectors = []
    for n, r in sector_rows:
        if r["parent_code"] and r["parent_code"] not in codes:
            raise BadInput(f"sectors.csv row {n}, column parent_code: unknown sector "
                           f"{r['parent_code']!r}.", field="parent_code")
        sectors.append({"code": r["code"], "parent_code": r["parent_code"] or None,
                        "name_en": r["name_en"], "name_ar": r["name_ar"],
                        "sort": _int(r["sort"], f"sectors.csv row {n}, column sort") or 0})
    # parents first, so the self-reference is satisfied
    sectors.sort(key=lambda r: r["parent_code"] is not None)
    counts["sectors"] = _upsert(session, Sector, sectors, "code")

    known = {r["code"] for r in sectors} | set(session.scalars(select(Sector.code)))
    types = []
    for n, r in _rows(folder, "service_types.csv",
                      ("code", "sector_code", "name_en", "name_ar", "activity_codes",
                       "sensitive", "keywords_en", "keywords_ar"), "code"):
        if r["sector_code"] not in known:
            raise BadInput(f"service_types.csv row {n}, column sector_code: unknown sector "
                           f"{r['sector_code']!r}.")
        types.append({"code": r["code"], "sector_code": r["sector_code"],
                      "name_en": r["name_en"], "name_ar": r["name_ar"],
                      "activity_codes": [c for c in r["activity_codes"].split("|") if c],
                      "sensitive": _bool(r["sensitive"], f"service_types.csv row {n}"),
                      "keywords_en": r["keywords_en"], "keywords_ar": r["keywords_ar"]})
    counts["service_types"] = _upsert(session, ServiceType, types, "code")

    groups = [{"code": r["code"], "name_en": r["name_en"], "name_ar": r["name_ar"],
               "sort": _int(r["sort"], f"target_groups.csv row {n}, column sort") or 0}
              for n, r in _rows(folder, "target_groups.csv",
                                ("code", "name_en", "name_ar", "sort"), "code")]
    counts["target_groups"] = _upsert(session, TargetGroup, groups, "code")
    session.flush()
    return counts
