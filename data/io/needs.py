"""Load people in need (PiN) and severity from OCHA HNO sheets into ``need`` rows.

Two shapes are recognised from the header:

* the **sector sheet** (``hno2023_sector_pin_admin3.csv``): one row per sub-district with a
  ``<Sector>_PIN`` and a ``<Sector>_Severity`` column per cluster; the columns are mapped to our
  sectors by ``SECTOR_COLUMNS`` (NFI and Shelter both map to ``shelter_nfi``: the larger PiN and
  the higher severity are kept, since the same people are counted in both);
* the **inter-sector sheet** (``hno2023_intersector_severity_pin_admin3.csv``): one inter-sector
  PiN and severity per sub-district, stored with ``sector_code`` NULL.

Blank cells and the sheet's own missing-value markers (``-``, ``No data``, ``NA``) mean "no
figure"; anything else that is not a number stops the load with the row and column named.
Unknown p-codes stop it too. Everything is validated before anything is written, and rows are
replaced per (p-code, sector, period) in the caller's transaction. Sub-districts known to the
database but absent from the sheet are reported, not treated as errors (two Quneitra
sub-districts are missing from the 2023 inter-sector sheet).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.csvutil import read_rows
from data.errors import BadInput
from data.models import AdminArea, Need

__all__ = ["SECTOR_COLUMNS", "NeedsReport", "load_needs"]

# HNO column prefix -> our sector code (``<prefix>_PIN`` and ``<prefix>_Severity``).
SECTOR_COLUMNS: dict[str, str] = {
    "Health": "health",
    "CCCM": "cccm",
    "ERL": "early_recovery",
    "NFI": "shelter_nfi",
    "Shelter": "shelter_nfi",
    "Nutrition": "nutrition",
    "Education": "education",
    "WASH": "wash",
    "Protection": "protection",
    "Food": "food_security",
    "Protection_CP": "child_protection",
    "Protection_GBV": "gbv",
    "Protection_MA": "mine_action",
}
INTERSECTOR_PIN = "2023 HNO Inter-sector People in need"
INTERSECTOR_SEVERITY = "2023 HNO Inter-sector Severity"
MISSING = {"", "-", "no data", "na", "n/a", "null", "none"}
PCODE_COLUMNS = ("admin3Pcode", "admin3pcode", "ADM3_PCODE", "pcode")


@dataclass
class NeedsReport:
    """What a load did: rows written per sector, and areas the sheet does not mention."""

    kind: str
    period: str
    rows: int = 0
    per_sector: dict[str, int] = field(default_factory=dict)
    missing_pcodes: list[str] = field(default_factory=list)
    empty_cells: int = 0

    def summary(self) -> str:
        """One line for a person."""
        text = (f"{self.kind} sheet, period {self.period}: {self.rows} need rows "
                f"({', '.join(f'{k}: {v}' for k, v in sorted(self.per_sector.items()))}); "
                f"{self.empty_cells} empty cells")
        if self.missing_pcodes:
            text += (f"; {len(self.missing_pcodes)} sub-district(s) absent from the sheet: "
                     f"{', '.join(self.missing_pcodes)}")
        return text


def _number(value: str, where: str, column: str) -> float | None:
    """A non-negative number, None for a missing-value marker, else BadInput naming the cell."""
    text = value.strip().replace(",", "")
    if text.lower() in MISSING:
        return None
    try:
        number = float(text)
    except ValueError:
        raise BadInput(f"{where}, column {column}: {value.strip()!r} is not a number.",
                       details={"column": column, "value": value.strip()}) from None
    if number != number or number < 0:  # NaN or negative
        raise BadInput(f"{where}, column {column}: {value.strip()!r} must be a number >= 0.",
                       details={"column": column, "value": value.strip()})
    return number


def _period(path: Path, period: str | None) -> str:
    if period is None:
        found = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.name)
        if not found:
            raise BadInput(f"{path.name}: no year in the file name; give --period YYYY.",
                           field="period")
        return found.group(1)
    if not re.fullmatch(r"\d{4}", period.strip()):
        raise BadInput(f"period must be a year YYYY, got {period!r}.", field="period")
    return period.strip()


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline()
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror}).",
                       details={"file": str(path)}) from None
    except UnicodeDecodeError as exc:  # e.g. a sheet saved as Windows-1256 or a binary file
        raise BadInput(f"{path.name}: not UTF-8 text ({exc.reason}); save the sheet as "
                       f"CSV UTF-8.", details={"file": str(path)}) from None
    return next(csv.reader([first]), [])


def load_needs(session: Session, path: Path, *, period: str | None = None) -> NeedsReport:
    """Load one HNO sheet (sector or inter-sector, told apart by its header); flush, no commit."""
    path = Path(path)
    year = _period(path, period)
    header = _header(path)
    pcode_col = next((c for c in PCODE_COLUMNS if c in header), None)
    if pcode_col is None:
        raise BadInput(f"{path.name}: no p-code column (expected one of "
                       f"{', '.join(PCODE_COLUMNS)}).", details={"file": str(path)})
    if INTERSECTOR_PIN in header or INTERSECTOR_SEVERITY in header:
        kind = "inter-sector"
        groups: dict[str | None, list[tuple[str | None, str | None]]] = {None: [(
            INTERSECTOR_PIN if INTERSECTOR_PIN in header else None,
            INTERSECTOR_SEVERITY if INTERSECTOR_SEVERITY in header else None)]}
    else:
        kind = "sector"
        groups = {}
        for prefix, sector in SECTOR_COLUMNS.items():
            pin, sev = f"{prefix}_PIN", f"{prefix}_Severity"
            if pin in header or sev in header:
                groups.setdefault(sector, []).append((pin if pin in header else None,
                                                      sev if sev in header else None))
        if not groups:
            raise BadInput(f"{path.name}: neither an HNO sector sheet (<Sector>_PIN columns) "
                           f"nor an inter-sector sheet ({INTERSECTOR_PIN!r}).",
                           details={"file": str(path)})
    report = NeedsReport(kind=kind, period=year)
    known = set(session.scalars(select(AdminArea.pcode)))
    records: dict[tuple[str, str | None], dict] = {}
    seen: set[str] = set()
    for number, row in read_rows(path, (pcode_col,)):
        where = f"{path.name} row {number}"
        pcode = row[pcode_col].strip().upper()
        if not pcode:
            raise BadInput(f"{where}, column {pcode_col}: empty p-code.",
                           details={"row": number, "column": pcode_col})
        if pcode not in known:
            raise BadInput(f"{where}, column {pcode_col}: unknown p-code {pcode!r} (load the "
                           f"boundaries first, or fix the code).",
                           details={"row": number, "column": pcode_col, "value": pcode})
        if pcode in seen:
            raise BadInput(f"{where}, column {pcode_col}: p-code {pcode} appears twice.",
                           details={"row": number, "column": pcode_col, "value": pcode})
        seen.add(pcode)
        for sector, pairs in groups.items():
            pins, sevs = [], []
            for pin_col, sev_col in pairs:
                for col, bucket in ((pin_col, pins), (sev_col, sevs)):
                    if col is None:
                        continue
                    value = _number(row[col], where, col)
                    if value is None:
                        report.empty_cells += 1
                    else:
                        bucket.append(value)
            for sev in sevs:
                if sev > 6:
                    raise BadInput(f"{where}: severity {sev} is outside the HNO scale 0-6.",
                                   details={"row": number, "sector": sector})
            if not pins and not sevs:
                continue
            records[(pcode, sector)] = {
                "pcode": pcode, "sector_code": sector, "target_group_code": None,
                "period": year, "people_in_need": max(pins) if pins else None,
                "severity": max(sevs) if sevs else None, "source": path.name}
    levels = dict(session.execute(select(AdminArea.pcode, AdminArea.level)).all())
    sheet_levels = {levels[p] for p in seen}
    report.missing_pcodes = sorted(p for p, lv in levels.items()
                                   if lv in sheet_levels and p not in seen)
    pcodes = sorted(seen)
    sector_filter = (Need.sector_code.is_(None) if kind == "inter-sector"
                     else Need.sector_code.in_([s for s in groups if s is not None]))
    for start in range(0, len(pcodes), 1000):
        session.execute(delete(Need).where(
            Need.period == year, Need.target_group_code.is_(None), sector_filter,
            Need.pcode.in_(pcodes[start:start + 1000])))
    session.add_all(Need(**rec) for rec in records.values())
    session.flush()
    report.rows = len(records)
    for _pcode, sector in records:
        name = sector or "inter-sector"
        report.per_sector[name] = report.per_sector.get(name, 0) + 1
    return report
