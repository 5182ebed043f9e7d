"""Use cases of the planners' gap analysis: the ranked table, its exports and its map.

Loads the facts (``data.gapdata``), runs the pure engine (``matching.gaps``) and draws with
``geo.maps``. Selection errors become ``BadInput`` naming the parameter.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.gapdata import area_shapes, load_gap_inputs, service_sites
from geo.maps import gap_map
from matching.gaps import GAP_COLUMNS, GapInputError, GapInputs, GapSelection, compute_gaps

__all__ = ["EXPORT_HEADERS", "SORT_COLUMNS", "GapPage", "filter_choices", "gap_map_html",
           "gap_page", "gap_table", "need_periods", "parse_selection", "score_words",
           "table_csv", "table_records", "table_xlsx"]

# Column headers of the exports, Arabic and English.
EXPORT_HEADERS = {
    "rank": ("الترتيب", "Rank"), "pcode": ("الرمز", "P-code"), "level": ("المستوى", "Level"),
    "parent_pcode": ("رمز المنطقة الأم", "Parent p-code"),
    "name_ar": ("الاسم بالعربية", "Name (Arabic)"), "name_en": ("الاسم بالإنجليزية",
                                                                 "Name (English)"),
    "organizations": ("المنظمات", "Organisations"), "services": ("الخدمات", "Services"),
    "capacity": ("السعة الشهرية", "Capacity per month"),
    "reached": ("الأشخاص الذين تم الوصول إليهم", "People reached"),
    "people_in_need": ("الأشخاص المحتاجون", "People in need"),
    "severity": ("الشدة", "Severity"),
    "declined_referrals": ("إحالات مرفوضة أو غير ملباة", "Declined or unmet referrals"),
    "unmet_searches": ("عمليات بحث بلا نتيجة", "Searches that found nothing"),
    "served": ("المخدومون (تقدير)", "Served (estimate)"), "coverage": ("التغطية", "Coverage"),
    "uncovered": ("غير المغطين", "Uncovered people"), "gap_score": ("درجة الفجوة",
                                                                     "Gap score"),
    "need_without_presence": ("حاجة بلا وجود", "Need without presence"),
    "present_nobody_reached": ("منظمات حاضرة لم تصل إلى أحد",
                               "Organisations present, nobody reached"),
}


def parse_selection(args: dict) -> GapSelection:
    """A GapSelection from request/CLI parameters (level, sector, service, group, period)."""
    def opt(name: str) -> str | None:
        value = args.get(name)
        return str(value).strip() or None if value is not None else None

    level = opt("level") or "3"
    if level not in ("1", "2", "3"):
        raise BadInput(_("level must be 1, 2 or 3."), field="level")
    sector, service = opt("sector"), opt("service")
    if sector and service:
        raise BadInput(_("choose a sector or a service type, not both."), field="service")
    return GapSelection(level=int(level), sector=sector, service_type=service,
                        group=opt("group"), period=opt("period"))


def _selection_message(exc: GapInputError, sel: GapSelection, data: GapInputs) -> str:
    """The engine's (English) selection error in the reader's language."""
    if exc.field == "level":
        return _("level must be 1, 2 or 3.")
    if exc.field == "sector":
        return _("unknown sector '%(value)s'; choose from %(choices)s.", value=sel.sector,
                 choices=", ".join(sorted(data.sectors["code"])))
    if exc.field == "service":
        return _("unknown service type '%(value)s'.", value=sel.service_type)
    if exc.field == "group":
        return _("unknown target group '%(value)s'; choose from %(choices)s.", value=sel.group,
                 choices=", ".join(sorted(data.target_groups)))
    if exc.field == "period":
        return _("period must be YYYY or YYYY-MM, got '%(value)s'.", value=sel.period)
    return str(exc)


def gap_table(session: Session, selection: GapSelection,
              data: GapInputs | None = None) -> pd.DataFrame:
    """The ranked gap table for ``selection`` (see matching.gaps for the columns)."""
    if data is None:
        data = load_gap_inputs(session, sector=selection.sector,
                               service_type=selection.service_type)
    try:
        return compute_gaps(data, selection)
    except GapInputError as exc:
        raise BadInput(_selection_message(exc, selection, data), field=exc.field) from None


def table_records(table: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: NaN becomes None, numpy scalars become Python numbers."""
    out = []
    for row in table.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        out.append(clean)
    return out


# Decimals kept in the exports (no "166.66666666666669") and the spreadsheet's number format
# for each figure; counts of people are shared out (capacity split among areas), hence a tenth.
EXPORT_DECIMALS = {"capacity": 1, "reached": 1, "people_in_need": 1, "served": 1,
                   "uncovered": 1, "severity": 2, "coverage": 4, "gap_score": 2}
XLSX_FORMATS = {"capacity": "#,##0", "reached": "#,##0", "people_in_need": "#,##0",
                "served": "#,##0", "uncovered": "#,##0", "severity": "0.00",
                "coverage": "0.0%", "gap_score": "0.00", "organizations": "#,##0",
                "services": "#,##0", "declined_referrals": "#,##0", "unmet_searches": "#,##0"}


def _export_rows(table: pd.DataFrame) -> list[list]:
    """The export's cells in column order: figures rounded, whole numbers written as such."""
    rows = []
    for row in table_records(table):
        cells = []
        for c in GAP_COLUMNS:
            value = row[c]
            if isinstance(value, float) and c in EXPORT_DECIMALS:
                value = round(value, EXPORT_DECIMALS[c])
                value = int(value) if value.is_integer() else value
            cells.append(value)
        rows.append(cells)
    return rows


def _header(locale: str) -> list[str]:
    i = 0 if locale == "ar" else 1
    return [EXPORT_HEADERS[c][i] for c in GAP_COLUMNS]


def table_csv(table: pd.DataFrame, locale: str = "ar") -> str:
    """The table as CSV (UTF-8 with BOM so spreadsheets show Arabic), headers in ``locale``."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_header(locale))
    for cells in _export_rows(table):
        writer.writerow(["" if v is None else v for v in cells])
    return "\ufeff" + buf.getvalue()


def table_xlsx(table: pd.DataFrame, locale: str = "ar") -> bytes:
    """The table as an Excel workbook (right-to-left sheet in Arabic)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "gaps"
    sheet.sheet_view.rightToLeft = locale == "ar"
    sheet.append(_header(locale))
    for cells in _export_rows(table):
        sheet.append(cells)
    for i, c in enumerate(GAP_COLUMNS, start=1):
        if c in XLSX_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = XLSX_FORMATS[c]
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def gap_map_html(session: Session, selection: GapSelection, table: pd.DataFrame | None = None,
                 *, sites: bool = False, standalone: bool = False, tiles_url: str = "",
                 asset_base: str = "/vendor/leaflet", title: str = "",
                 lang: str = "ar", layers: dict | None = None) -> str:
    """The folium map of ``selection`` (polygons simplified for the web; sites optional).
    ``layers``: the shapes and sites read so far, by level and by scope, to share between
    maps drawn together (the nightly job's)."""
    if table is None:
        table = gap_table(session, selection)
    layers = {} if layers is None else layers
    # simplified once, when the boundary was written (admin_area.geom_web), as the map draws them
    level_key = ("shapes", selection.level)
    if level_key not in layers:
        layers[level_key] = area_shapes(session, selection.level, web=True)
    shapes = layers[level_key]
    site_frame = None
    if sites:
        site_key = ("sites", selection.sector, selection.service_type)
        if site_key not in layers:
            layers[site_key] = service_sites(session, sector=selection.sector,
                                             service_type=selection.service_type)
        site_frame = layers[site_key]
    return gap_map(table, shapes, sites=site_frame, tiles_url=tiles_url or None,
                   tolerance_deg=0.0,
                   asset_base=asset_base, standalone=standalone, title=title, lang=lang)


def filter_choices(session: Session, locale: str = "ar") -> dict[str, list[tuple[str, str]]]:
    """(code, name) choices for the sector, service type and target group filters."""
    from sqlalchemy import select

    from data.models import Sector, ServiceType, TargetGroup

    def named(model, order):
        return [(x.code, x.name(locale)) for x in session.scalars(select(model).order_by(order))]

    return {"sectors": named(Sector, Sector.sort),
            "service_types": named(ServiceType, ServiceType.code),
            "groups": named(TargetGroup, TargetGroup.sort)}


# ---------------------------------------------------------------- the dashboard's table

# Sortable columns of the dashboard (``?sort=``); "name" is the area's name in the reader's
# language. Rank and name read upwards by default, figures largest first.
SORT_COLUMNS = ("rank", "name", "gap_score", "people_in_need", "severity", "organizations",
                "services", "capacity", "reached", "coverage", "declined_referrals",
                "unmet_searches")
ASCENDING_FIRST = ("rank", "name")
PAGE_ROWS = 25


@dataclass
class GapPage:
    """One page of the ranked gap table, as the dashboard shows it."""

    rows: list[dict]
    total: int
    page: int
    pages: int
    sort: str
    direction: str
    periods: list[str] = field(default_factory=list)  # years with needs data, latest first
    no_need_data: bool = False  # the chosen period has no needs data: say so, no zeros


def need_periods(data: GapInputs) -> list[str]:
    """The years that have people-in-need figures, latest first."""
    needs = data.needs
    if needs.empty:
        return []
    known = needs[needs["people_in_need"].notna()]["period"].astype(str).str[:4]
    return sorted(set(known), reverse=True)


def _choice(args: dict, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(args.get(name) or "").strip() or default
    if value not in allowed:
        raise BadInput(_("%(field)s must be one of %(choices)s.", field=name,
                         choices=", ".join(allowed)), field=name)
    return value


def gap_page(session: Session, selection: GapSelection, args: dict, locale: str = "ar",
             page: int = 1, per_page: int = PAGE_ROWS,
             facts: tuple[pd.DataFrame, list[str]] | None = None) -> GapPage:
    """Page ``page`` of the ranked table sorted as ``args`` asks (``sort``, ``dir``), or a
    notice listing the years with data when the chosen period has no needs figures.
    ``facts``: the table and the years with needs figures, when already known (the gap
    pages' cache, ``planning.gapcache``); else computed now."""
    sort = _choice(args, "sort", SORT_COLUMNS, "rank")
    direction = _choice(args, "dir", ("asc", "desc"),
                        "asc" if sort in ASCENDING_FIRST else "desc")
    if facts is None:
        data = load_gap_inputs(session, sector=selection.sector,
                               service_type=selection.service_type)
        facts = gap_table(session, selection, data), need_periods(data)  # validates first
    table, periods = facts
    if selection.period and selection.period[:4] not in periods:
        return GapPage([], 0, 1, 1, sort, direction, periods, no_need_data=True)
    key = ("name_en" if locale == "en" else "name_ar") if sort == "name" else sort
    ordered = table.sort_values([key, "rank"], ascending=[direction == "asc", True],
                                na_position="last", kind="stable")
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(page, pages)
    rows = table_records(ordered.iloc[(page - 1) * per_page:page * per_page])
    for row in rows:
        row["level_words"], row["why"] = score_words(row)
    return GapPage(rows, len(ordered), page, pages, sort, direction, periods)


def score_words(row: dict) -> tuple[str, str]:
    """(how large the gap is, why) in words, for the number beside them."""
    score = row.get("gap_score") or 0.0
    if score >= 60:
        level = _("very large gap")
    elif score >= 35:
        level = _("large gap")
    elif score >= 15:
        level = _("moderate gap")
    elif score > 0:
        level = _("small gap")
    else:
        level = _("no gap measured")
    pin = row.get("people_in_need")
    failures = int((row.get("declined_referrals") or 0) + (row.get("unmet_searches") or 0))
    if not pin:
        why = _("No people in need recorded here.")
    elif row.get("need_without_presence"):
        why = ngettext("%(people)s person in need and no organisation present.",
                       "%(people)s people in need and no organisation present.", round(pin),
                       people=f"{round(pin):,}")
    else:
        uncovered = round(row.get("uncovered") or 0)
        why = ngettext("%(uncovered)s of %(people)s person in need not served.",
                       "%(uncovered)s of %(people)s people in need not served.", round(pin),
                       uncovered=f"{uncovered:,}", people=f"{round(pin):,}")
    if failures:
        why += " " + ngettext("%(num)s referral or search failed.",
                              "%(num)s referrals or searches failed.", failures)
    return level, why
