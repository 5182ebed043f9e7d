"""Export activities as a 4W table in the Whole of Syria template's shape, with an HXL
hashtag row (libhxl-parsable); importing the file back gives the same activities. Activities
of organisations that are not verified are left out (``rows``). Text cells
a spreadsheet would evaluate are neutralised (``cells``): an apostrophe in CSV, explicit
text cells in XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AGE_SEX_COLUMNS, Activity, AdminArea, Organization

from .cells import TRIGGERS, neutralize

__all__ = ["COLUMNS", "export_4w", "rows"]

# (header as in the WoS template where it has one, HXL hashtag, getter key)
COLUMNS = (
    ("*Final Implementing Partner", "#org+impl", "org"),
    ("*Sector", "#sector", "sector_code"),
    ("Tasharuk service type", "#service+type+code", "service_type_code"),
    ("Activity code", "#activity+code", "activity_code"),
    ("*HRP Activity", "#activity", "activity_text"),
    ("Unit", "#indicator+unit", "unit"),
    ("*Value", "#value", "quantity"),
    ("*No. of  Total Beneficiaries Reached", "#reached+ind+total", "reached_total"),
    ("No. of girls (<18)", "#reached+f+children", "reached_f_children"),
    ("No. of boys (<18)", "#reached+m+children", "reached_m_children"),
    ("No. of women (18-59)", "#reached+f+adults", "reached_f_adults"),
    ("No. of men (18-59)", "#reached+m+adults", "reached_m_adults"),
    ("No. of women (60+)", "#reached+f+elderly", "reached_f_elderly"),
    ("No. of men (60+)", "#reached+m+elderly", "reached_m_elderly"),
    ("Target groups", "#beneficiary+code", "target_groups"),
    ("*ADMIN1 (Mohafaza)", "#adm1+name", "adm1_name"),
    ("*ADMIN2 (Mantika)", "#adm2+name", "adm2_name"),
    ("*ADMIN3 (Sub-district/Nahya)", "#adm3+name", "adm3_name"),
    ("Admin1 Pcode", "#adm1+code", "adm1"),
    ("Admin2 Pcode", "#adm2+code", "adm2"),
    ("Admin3 Pcode", "#adm3+code", "adm3"),
    ("Community (Admin4) Pcode", "#loc+community+code", "community_pcode"),
    ("Start date", "#date+start", "period_start"),
    ("End date", "#date+end", "period_end"),
)


def _label(org: Organization) -> str:
    if org.acronym and org.name_en.strip().lower() != org.acronym.lower():
        return f"{org.name_en} ({org.acronym})"
    return org.acronym or org.name_en


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _place_cells(areas: dict, pcode: str | None) -> dict[str, str]:
    """The adm1..adm3 p-code and name cells of an area, walking up its parents."""
    chain: dict[int, str] = {}
    code = pcode
    while code in areas:
        chain[areas[code][0]] = code
        code = areas[code][1]
    return {**{f"adm{lv}": chain.get(lv, "") for lv in (1, 2, 3)},
            **{f"adm{lv}_name": areas[chain[lv]][2] if lv in chain else "" for lv in (1, 2, 3)}}


def rows(session: Session):
    """Each activity as a list of cells in ``COLUMNS`` order: those of verified organisations
    and those matched to none (the file's own text); an activity of a pending, rejected or
    suspended organisation is left out, as the organisation is never shown to others."""
    areas = {p: (lv, par, en) for p, lv, par, en in session.execute(
        select(AdminArea.pcode, AdminArea.level, AdminArea.parent_pcode, AdminArea.name_en))}
    orgs = {o.id: _label(o) for o in session.scalars(select(Organization)
                                                       .where(Organization.verified))}
    shown = Activity.organization_id.is_(None) | Activity.organization_id.in_(
        select(Organization.id).where(Organization.verified))
    places: dict[str | None, dict[str, str]] = {}  # the admin cells, once per p-code
    for act in session.scalars(select(Activity).where(shown).order_by(Activity.id)
                                ).yield_per(2000):
        place = places.get(act.pcode)
        if place is None:
            place = places[act.pcode] = _place_cells(areas, act.pcode)
        cells = {
            "org": orgs.get(act.organization_id, act.implementing_org),
            "sector_code": act.sector_code or "",
            "service_type_code": act.service_type_code or "","activity_code": act.activity_code,
            "activity_text": act.activity_text, "unit": act.unit,
            "quantity": _num(act.quantity), "reached_total": _num(act.reached_total),
            **{k: _num(getattr(act, k)) for k in AGE_SEX_COLUMNS},
            "target_groups": "|".join(act.target_groups),
            **place,
            "community_pcode": act.community_pcode or "",
            "period_start": act.period_start.isoformat() if act.period_start else "",
            "period_end": act.period_end.isoformat() if act.period_end else "",
        }
        yield [cells[key] for _, _, key in COLUMNS]


NUMERIC = frozenset({"quantity", "reached_total", *AGE_SEX_COLUMNS})
_TEXT = [key not in NUMERIC for _, _, key in COLUMNS]


def _csv_safe(row: list[str]) -> list[str]:
    return [neutralize(v) if text and v else v for v, text in zip(row, _TEXT, strict=True)]


def _xlsx_cells(ws, row: list[str]) -> list:
    """Cells of one row: numbers as numbers, text as text cells a spreadsheet never
    evaluates (type string, quote prefix), even when it begins with ``=``."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for value, text in zip(row, _TEXT, strict=True):
        if not text:
            out.append(float(value) if value and "." in value else int(value) if value
                       else None)
            continue
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        if value.startswith(TRIGGERS):
            cell.quotePrefix = True
        out.append(cell)
    return out


def export_4w(session: Session, path: Path, *, hxl: bool = True) -> int:
    """Write the 4W table to ``path`` (.xlsx: hashtags row 1, headers row 2 as in the WoS
    template; .csv: headers, then the hashtag row when ``hxl``). Returns the row count."""
    path = Path(path)
    headers = [h for h, _, _ in COLUMNS]
    tags = [t for _, t, _ in COLUMNS]
    n = 0
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Humanitarian Activities")
        ws.append(tags)
        ws.append(headers)
        for row in rows(session):
            ws.append(_xlsx_cells(ws, row))
            n += 1
        wb.save(path)
        return n
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        if hxl:
            writer.writerow(tags)
        for row in rows(session):
            writer.writerow(_csv_safe(row))
            n += 1
    return n
