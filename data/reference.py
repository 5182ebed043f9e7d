"""Project-authored reference data (``data/reference/*.csv``): governorates, taxonomy, groups.

Loading is an upsert by code, so it is safe to repeat; boundaries loaded later keep theirs.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo.arabic import normalize

from .csvutil import read_rows
from .errors import BadInput
from .models import AdminArea, Sector, ServiceType, TargetGroup

REFERENCE = Path(__file__).resolve().parent / "reference"

__all__ = ["REFERENCE", "load_reference"]


def _bool(value: str, where: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no", ""):
        return False
    raise BadInput(f"{where}: expected true or false, got {value!r}.")


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
    for n, row in read_rows(folder / "governorates.csv",
                            ("pcode", "name_en", "name_ar", "lon", "lat", "population")):
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except ValueError:
            raise BadInput(f"governorates.csv row {n}, column lon/lat: not a number.") from None
        govs.append({"pcode": row["pcode"], "level": 1, "name_en": row["name_en"],
                     "name_ar": row["name_ar"],
                     "population": int(row["population"]) if row["population"] else None,
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

    sectors = [{"code": r["code"], "parent_code": r["parent_code"] or None,
                "name_en": r["name_en"], "name_ar": r["name_ar"], "sort": int(r["sort"] or 0)}
               for _, r in read_rows(folder / "sectors.csv",
                                     ("code", "parent_code", "name_en", "name_ar", "sort"))]
    # parents first, so the self-reference is satisfied
    sectors.sort(key=lambda r: r["parent_code"] is not None)
    counts["sectors"] = _upsert(session, Sector, sectors, "code")

    known = {r["code"] for r in sectors} | set(session.scalars(select(Sector.code)))
    types = []
    for n, r in read_rows(folder / "service_types.csv",
                          ("code", "sector_code", "name_en", "name_ar", "activity_codes",
                           "sensitive", "keywords_en", "keywords_ar")):
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
               "sort": int(r["sort"] or 0)}
              for _, r in read_rows(folder / "target_groups.csv",
                                    ("code", "name_en", "name_ar", "sort"))]
    counts["target_groups"] = _upsert(session, TargetGroup, groups, "code")
    session.flush()
    return counts
