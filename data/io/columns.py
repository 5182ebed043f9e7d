"""Find the meaning of a 4W file's columns: HXL hashtags, WoS template and cluster headers.

A column is assigned to one canonical field (``FIELDS``). Hashtag rows are parsed with libhxl
and matched with its tag patterns (most specific pattern first); plain headers are matched by
their normalised text against the headers of the Whole of Syria 4W template and of the cluster
4W files; a mapping file (JSON ``{"columns": {header: field}, "defaults": {field: value}}`` or a
CSV ``column,field``) covers anything else and wins over detection.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from hxl.model import Column, TagPattern

from data.errors import BadInput
from textmatch.arabic import normalize

from .dates import month_of

__all__ = ["BREAKDOWN", "FIELDS", "ColumnMap", "detect", "hashtag_row", "load_mapping",
           "norm_header"]

# Sex/age breakdown fields (summed when several columns feed one field).
BREAKDOWN = ("reached_f_children", "reached_m_children", "reached_f_adults",
             "reached_m_adults", "reached_f_elderly", "reached_m_elderly")

# field -> (HXL patterns, most specific first; normalised plain headers)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "org_impl_acronym": (("#org+impl+acronym",), ("abbreviation", "ip_acronym")),
    "org_impl": (("#org+impl", "#final+impl", "#org+partner"),
                 ("implementing_partner", "implementing_partner_ip",
                  "final_implementing_partner", "ip_all")),
    "org_acronym": (("#org+acronym", "#org+prog+acronym"), ("org_acronym", "acronym")),
    "org": (("#org+prog", "#programme+organisation", "#programme", "#org-funder-impl"),
            ("organization_agency", "programme_organisation", "reporting_organization",
             "organisation", "organization", "org_name")),
    "service_type": (("#service+type+code",), ("tasharuk_service_type",)),
    "sector": (("#sector",), ("cluster", "ao_r", "sector", "cluster_sector")),
    "activity_code": (("#activity+code",), ("code_activity", "activity_code")),
    "activity": (("#activity",), ("activity", "hrp_activity", "activity_name")),
    "sub_activity": ((), ("sub_activity",)),
    "adm1_code": (("#adm1+code",), ("admin1pcode", "admin1_pcode", "adm1_pcode")),
    "adm2_code": (("#adm2+code",), ("admin2pcode", "admin2_pcode", "adm2_pcode")),
    "adm3_code": (("#adm3+code",), ("admin3pcode", "admin3_pcode", "adm3_pcode")),
    "adm4_code": (("#adm4+code", "#loc+community+code", "#loc+code-neighborhood"),
                  ("admin4pcode", "community_admin4_pcode", "location_pcode", "code_location",
                   "admin4_pcode")),
    "adm1_name": (("#adm1+name", "#adm1"), ("governorate", "admin1_mohafaza", "admin1")),
    "adm2_name": (("#adm2+name", "#adm2"), ("district", "admin2_mantika", "admin2")),
    "adm3_name": (("#adm3+name", "#adm3"), ("sub_district", "admin3_sub_district_nahya",
                                           "admin3", "subdistrict")),
    "loc_name": (("#loc+community+name", "#loc+name-neighborhood"),
                 ("community", "commune_village_town", "location_town_village_neighborhood",
                  "location")),
    "month": (("#date+month",), ("month", "implementation_month", "reporting_month",
                                  "report_month", "month_of_implementation",
                                  "reporting_period", "period")),
    "date_start": (("#date+start",), ("start_date", "date_start")),
    "date_end": (("#date+end",), ("end_date", "date_end")),
    "date_report": (("#date+reported", "#date"), ("report_date", "date")),
    "analysis_unit": (("#indicator+analysis+unit",), ("analysis_unit",)),
    "unit": (("#indicator+unit", "#indicator+sector+unit"), ("unit",)),
    "hh_size": (("#hh+size",), ("household_size", "hh_size", "family_size",
                                "average_household_size")),
    "value": (("#value-transfer",), ("total_achieved_as_per_unit", "value")),
    "reached_total": (("#reached+total", "#reached+ind", "#reached-hh-disabled-f-m"),
                      ("total_reached", "beneficiaries", "no_of_total_beneficiaries_reached")),
    "reached_hh": (("#reached+hh",), ("families", "no_of_households_families_reached")),
    "reached_f_children": (("#reached+f+children",),
                           ("girls_0_4", "girls_children_reached_female_5_11",
                            "adolescent_girls_children_reached_female_12_17",
                            "no_of_girls_18")),
    "reached_m_children": (("#reached+m+children",),
                           ("boys_0_4", "boys_children_reached_male_5_11",
                            "adolescent_boys_children_reached_male_12_17", "no_of_boys_18")),
    "reached_f_adults": (("#reached+f+adults",),
                         ("women_adults_reached_female_18_59", "no_of_females")),
    "reached_m_adults": (("#reached+m+adults",),
                         ("men_adults_reached_male_18_59", "no_of_males")),
    "reached_f_elderly": (("#reached+f+elderly",), ("women_60_and_over",)),
    "reached_m_elderly": (("#reached+m+elderly",), ("men_60_and_over",)),
    "reached_pwd": (("#reached+disabled",), ("no_of_persons_with_disabilities",)),
    "pwd": ((), ("pwd", "pwd_y_n")),
    "beneficiary_type": (("#beneficiary-code",), ("beneficiary_type",)),
    "modality": (("#modality-main-name",), ("delivery_modality",)),
    "transfer_value": (("#value+transfer",), ("transfer_value",)),
    "lat": (("#geo+lat",), ("latitude_y", "latitude", "lat")),
    "lon": (("#geo+lon",), ("longitude_x", "longitude", "lon")),
    "status": (("#status",), ("project_status",)),
    "groups": (("#beneficiary+code", "#group+code"), ("target_groups", "target_group_codes")),
    "org_type": (("#org+impl+type", "#org+type"), ("ip_type", "org_type")),
}

# Fields that take several columns (summed); all others take the first column found.
MULTI = set(BREAKDOWN)
MINIMUM = ("org_impl", "org", "org_impl_acronym")  # one of these
WHERE = ("adm1_code", "adm2_code", "adm3_code", "adm1_name", "adm2_name", "adm3_name")

# Arabic headers (normalised as ``textmatch`` does: no article, hamza and taa marbuta folded)
ARABIC_HEADERS = {
    "org_impl": ("الشريك المنفذ", "الجهة المنفذة", "المنظمة المنفذة", "الشريك"),
    "org": ("المنظمة", "اسم المنظمة", "الجهة"),
    "sector": ("القطاع", "الكتلة", "المجموعة القطاعية"),
    "activity_code": ("رمز النشاط",),
    "activity": ("النشاط",),
    "sub_activity": ("النشاط الفرعي",),
    "adm1_code": ("رمز المحافظة",),
    "adm2_code": ("رمز المنطقة",),
    "adm3_code": ("رمز الناحية",),
    "adm4_code": ("رمز المجتمع", "رمز التجمع", "رمز القرية", "رمز الموقع"),
    "adm1_name": ("المحافظة",),
    "adm2_name": ("المنطقة",),
    "adm3_name": ("الناحية",),
    "loc_name": ("المجتمع", "التجمع", "القرية", "البلدة", "الموقع"),
    "month": ("الشهر", "شهر التنفيذ", "شهر التقرير"),
    "date_start": ("تاريخ البدء", "تاريخ البداية"),
    "date_end": ("تاريخ الانتهاء", "تاريخ النهاية"),
    "date_report": ("تاريخ التقرير", "التاريخ"),
    "analysis_unit": ("وحدة التحليل",),
    "unit": ("الوحدة", "وحدة القياس"),
    "hh_size": ("حجم الاسرة",),
    "value": ("القيمة", "المنجز حسب الوحدة", "الكمية"),
    "reached_total": ("اجمالي المستفيدين", "العدد الاجمالي للمستفيدين", "المستفيدون",
                      "اجمالي الواصلين", "عدد المستفيدين"),
    "reached_hh": ("عدد الاسر", "الاسر"),
    "beneficiary_type": ("نوع المستفيدين",),
}
# Words that make a header a month column whatever else it says ("Month of reporting").
MONTH_WORDS = frozenset({"month", "months", "شهر", "الشهر"})

_NON_WORD = re.compile(r"[^0-9a-z]+")
_HXL_SPACES = re.compile(r"\s*([+-])\s*")


@lru_cache(maxsize=1)
def _ARABIC_INDEX() -> dict[str, str]:  # noqa: N802 - a constant built once
    """Normalised Arabic header -> field."""
    return {normalize(alias): name for name, aliases in ARABIC_HEADERS.items()
            for alias in aliases}


def norm_header(text: object) -> str:
    """Lower case, words joined by ``_`` (``*No. of  Males`` -> ``no_of_males``)."""
    return _NON_WORD.sub("_", str(text or "").strip().lower()).strip("_")


def _parse_tag(cell: object) -> Column | None:
    text = _HXL_SPACES.sub(r"\1", str(cell or "").strip())
    if not text.startswith("#"):
        return None
    col = Column.parse(text.lower(), use_exception=False)
    return col or None


def hashtag_row(cells: list[object]) -> bool:
    """True when most non-empty cells of a row are HXL hashtags (libhxl's rule of thumb)."""
    filled = [c for c in cells if str(c or "").strip()]
    if not filled:
        return False
    tags = sum(1 for c in filled if str(c).strip().startswith("#"))
    return tags >= max(1, len(filled) // 2)


@dataclass
class ColumnMap:
    """The detected meaning of each column: field -> column indexes, and what was ignored."""

    fields: dict[str, list[int]] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    hxl: bool = False

    def column(self, name: str) -> str:
        """The header of the (first) column feeding ``name``, for reports."""
        idx = self.fields.get(name)
        return self.headers[idx[0]] if idx else name

    def describe(self) -> dict[str, list[str]]:
        return {f: [self.headers[i] for i in idx] for f, idx in self.fields.items()}


def _assign(cmap: ColumnMap, name: str, index: int) -> None:
    taken = cmap.fields.setdefault(name, [])
    if name in MULTI or not taken:
        if index not in taken:
            taken.append(index)


def detect(headers: list[str], tags: list[object] | None = None,
           mapping: dict | None = None) -> ColumnMap:
    """Assign columns to fields from ``tags`` (a hashtag row), else ``headers``; ``mapping``
    (``{"columns": {...}, "defaults": {...}}``) overrides."""
    cmap = ColumnMap(headers=[str(h or "").strip() for h in headers], hxl=tags is not None)
    used: set[int] = set()
    wanted = (mapping or {}).get("columns", {})
    by_norm = {norm_header(k): v for k, v in wanted.items()}
    for i, h in enumerate(cmap.headers):
        target = wanted.get(h) or by_norm.get(norm_header(h))
        if target:
            if target not in FIELDS:
                raise BadInput(_("mapping file: unknown field %(field)s for column "
                                 "%(column)s; choose from %(fields)s.", field=repr(target),
                                 column=repr(h), fields=", ".join(sorted(FIELDS))), field=h)
            _assign(cmap, target, i)
            used.add(i)
    if tags is not None:
        parsed = [_parse_tag(t) for t in tags]
        for name, (patterns, _plain) in FIELDS.items():
            for pattern in patterns:
                pat = TagPattern.parse(pattern)
                for i, col in enumerate(parsed):
                    if col and i not in used and pat.match(col):
                        if name in cmap.fields and name not in MULTI:
                            break
                        _assign(cmap, name, i)
                        used.add(i)
    else:
        normed = [norm_header(h) for h in cmap.headers]
        for name, (_patterns, plain) in FIELDS.items():
            for alias in plain:
                for i, h in enumerate(normed):
                    if h == alias and i not in used and (name in MULTI or name
                                                         not in cmap.fields):
                        _assign(cmap, name, i)
                        used.add(i)
        arabic = _ARABIC_INDEX()
        for i, h in enumerate(cmap.headers):
            if i in used:
                continue
            words = normalize(h).split()
            key = " ".join(w for w in words if not w.isascii())
            name = arabic.get(key) if key else None
            if name is None and "month" not in cmap.fields and (
                    set(words) & MONTH_WORDS or set(normed[i].split("_")) & MONTH_WORDS):
                name = "month"
            if name and (name in MULTI or name not in cmap.fields):
                _assign(cmap, name, i)
                used.add(i)
        # in tracker files with a people column, ``unit`` is the unit of a ration, not people
        if "reached_total" in cmap.fields and "unit" in cmap.fields and \
                "value" not in cmap.fields and normed[cmap.fields["unit"][0]] == "unit":
            cmap.ignored.append(cmap.headers[cmap.fields.pop("unit")[0]])
    cmap.defaults = dict((mapping or {}).get("defaults", {}))
    cmap.ignored += [h for i, h in enumerate(cmap.headers) if i not in used and h]
    if not any(f in cmap.fields or f in cmap.defaults for f in MINIMUM) or \
            not any(f in cmap.fields for f in WHERE):
        raise BadInput(
            _("no recognisable 4W columns: need an organisation column (#org, "
              "implementing_partner, ...) and a place column (#adm1+code, admin3pcode, "
              "governorate, ...); rename the columns, or name them in a mapping file "
              "(tasharuk import 4w --mapping)."),
            details={"headers": cmap.headers[:40]})
    return cmap


def load_mapping(path: Path | str | None) -> dict | None:
    """Read a mapping file: JSON (``columns``/``defaults``) or CSV (``column,field``)."""
    if path is None:
        return None
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(_("mapping file %(name)s: cannot be read (%(why)s).", name=path.name,
                         why=exc), field="mapping") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(_("mapping file %(name)s: not JSON (%(why)s, line %(line)s).",
                             name=path.name, why=exc.msg, line=exc.lineno),
                           field="mapping") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
            raise BadInput(_("mapping file %(name)s: expected an object with 'columns'.",
                             name=path.name), field="mapping")
        return data
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["column", "field"]:
        raise BadInput(_("mapping file %(name)s: the CSV header must be 'column,field'.",
                         name=path.name), field="mapping")
    return {"columns": {r[0].strip(): r[1].strip() for r in rows[1:] if len(r) >= 2 and r[0]}}


def sniff_months(cmap: ColumnMap, sample: list[list[str]]) -> None:
    """Without a month column, take the first unassigned column whose cells are month names
    ("02) Feb", "شباط") under a header of any wording; numbers alone are not enough."""
    if any(f in cmap.fields for f in ("month", "date_start", "date_end")):
        return
    taken = {i for idx in cmap.fields.values() for i in idx}
    for i, header in enumerate(cmap.headers):
        if i in taken:
            continue
        values = [r[i] for r in sample if i < len(r) and r[i]]
        if len(values) < 1:
            continue
        named = sum(1 for v in values if not v.replace(" ", "").isdigit()
                    and month_of(v)[0] is not None)
        if named >= max(1, 0.6 * len(values)):
            _assign(cmap, "month", i)
            if header in cmap.ignored:
                cmap.ignored.remove(header)
            return

