"""Stream the rows of a 4W file (CSV in any common delimiter, XLSX; .xlsb and .ods through
pandas and python-calamine), finding the header row(s) and an HXL hashtag row; bad files
(empty, not UTF-8, broken workbooks) raise BadInput naming the file and the sheet."""

from __future__ import annotations

import csv
import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from data.errors import BadInput

from .cells import restore
from .columns import ColumnMap, detect, hashtag_row, sniff_months

__all__ = ["Table", "open_table"]

SNIFF_ROWS = 30


@dataclass
class Table:
    """A file opened for streaming: its column map and an iterator of (row number, cells)."""

    cmap: ColumnMap
    rows: Iterator[tuple[int, list[str]]]
    size: int
    sheet: str | None = None


# Spreadsheet formula errors left in templates: empty cells, not data.
FORMULA_ERRORS = frozenset({"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!",
                            "#NUM!", "#SPILL!", "#CALC!"})


def _cell(value: object) -> str:
    if value is None or (isinstance(value, str) and value.strip() in FORMULA_ERRORS):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return restore(str(value).strip())


def _filled(row: list[str]) -> list[str]:
    """A header row with merged cells filled: a blank takes the text on its left."""
    out, last = [], ""
    for cell in row:
        last = cell or last
        out.append(last)
    return out


def _candidates(first: list[list[str]], i: int) -> list[tuple[list[str], int]]:
    """Header readings starting at row ``i``: the row alone, then two-row headers (a group
    row above, merged cells filled; "group sub-header", or the sub-header alone)."""
    row = first[i]
    out = [(row, i + 1)]
    if i + 1 < len(first):
        below = first[i + 1]
        top = _filled(row)
        width = max(len(top), len(below))
        top += [""] * (width - len(top))
        below = below + [""] * (width - len(below))
        if sum(1 for c in below if c and not _numeric(c)) >= 2:
            out.append(([f"{t} {b}".strip() if b and b != t else t
                         for t, b in zip(top, below, strict=True)], i + 2))
            out.append(([b or t for t, b in zip(top, below, strict=True)], i + 2))
    return out


def _numeric(cell: str) -> bool:
    return cell.replace(".", "", 1).replace("-", "", 1).isdigit()


def _header_and_tags(first: list[list[str]], mapping: dict | None
                     ) -> tuple[ColumnMap, int] | None:
    """Detect the header (and hashtag) rows among the first rows; (map, data start index).

    The header row may be anywhere among them (titles above it), in two rows (a group row
    with merged cells above the sub-headers; English above Arabic): every reading is tried
    and the one that recognises the most fields wins (the earliest on a tie). Raises the
    last BadInput when no reading recognises an organisation and a place."""
    for i, row in enumerate(first):
        if hashtag_row(row):
            headers = first[i - 1] if i > 0 else row
            start = i + 1
            # the WoS template puts its human header *below* the hashtag row
            if i == 0 and start < len(first):
                below = first[start]
                texts = [c for c in below if c]
                if texts and all(not c.replace(".", "").isdigit() for c in texts) and \
                        sum(1 for c in texts if c.startswith("*")) >= 2:
                    headers, start = below, start + 1
            return detect(headers, row, mapping), start
    best: tuple[tuple[int, int], ColumnMap, int] | None = None
    error: BadInput | None = None
    tried: dict[tuple, ColumnMap | None] = {}

    def read(headers: list[str]) -> ColumnMap | None:
        nonlocal error
        key = tuple(headers)
        if key not in tried:
            try:
                tried[key] = detect(headers, None, mapping)
            except BadInput as exc:
                error = error or exc
                tried[key] = None
        return tried[key]

    for i, row in enumerate(first):
        if best is not None and i > best[2]:
            break  # a header is not read below the data it heads
        if sum(1 for c in row if c) < 2:
            continue
        for headers, start in _candidates(first, i):
            cmap = read(headers)
            if cmap is None:
                continue
            # a second header row that is a header by itself (English above Arabic) wins
            # a tie against the first row alone
            second = start == i + 2 and read(first[i + 1]) is not None
            score = (len(cmap.fields), int(second))
            if best is None or score > best[0]:
                best = (score, cmap, start)
    if best is None:
        if error is not None:
            raise error
        return None
    cmap, start = best[1], best[2]
    sniff_months(cmap, first[start:])
    return cmap, start


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open("rb") as raw:
        head = raw.read(65536)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise BadInput(_("%(name)s: not UTF-8 text (%(why)s); save the file as "
                             "'CSV UTF-8' and try again.", name=path.name,
                             why=_("byte %(n)s", n=exc.start)), field="file") from None
        text = head[:exc.start].decode("utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            for row in csv.reader(handle, delimiter=delimiter):
                cells = [c.strip() for c in row]
                joined = "\x00" + "\x00".join(cells)  # two C-speed checks per row
                if "\x00#" in joined and not FORMULA_ERRORS.isdisjoint(cells):
                    cells = ["" if c in FORMULA_ERRORS else c for c in cells]
                if "\x00'" in joined:
                    cells = [restore(c) for c in cells]
                yield cells
        except UnicodeDecodeError as exc:
            raise BadInput(_("%(name)s: not UTF-8 text (%(why)s); save the file as "
                             "'CSV UTF-8' and try again.", name=path.name, why=exc.reason),
                           field="file") from None
        except csv.Error as exc:
            raise BadInput(_("%(name)s: not a readable CSV file (%(why)s).", name=path.name,
                             why=exc), field="file") from None


def _xlsx_sheets(path: Path, sheet: str | None):
    import openpyxl

    try:
        with warnings.catch_warnings():  # "Data Validation extension is not supported"
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        why = f"{exc.__class__.__name__}: {exc}"
        raise BadInput(_("%(name)s: not a readable XLSX workbook (%(why)s).", name=path.name,
                         why=why), field="file") from None
    names = wb.sheetnames
    if sheet is not None and sheet not in names:
        wb.close()
        raise BadInput(_("%(name)s: no sheet named %(sheet)s; sheets: %(names)s.",
                         name=path.name, sheet=repr(sheet), names=", ".join(names)),
                       field="sheet")
    return wb, [sheet] if sheet else names


def _xlsx_rows(ws) -> Iterator[list[str]]:
    it = ws.iter_rows(values_only=True)
    while True:
        with warnings.catch_warnings():  # openpyxl's notes on unsupported extensions
            warnings.simplefilter("ignore", UserWarning)
            row = next(it, None)
        if row is None:
            return
        yield [_cell(v) for v in row]


def _pandas_sheets(path: Path, sheet: str | None) -> dict[str, list[list[str]]]:
    """Every sheet (or ``sheet``) of an .xlsb or .ods workbook as rows of text cells, read by
    pandas through python-calamine."""
    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise BadInput(_("%(name)s: not a readable workbook (%(why)s).", name=path.name,
                         why=f"{exc.__class__.__name__}: {exc}"), field="file") from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and sheet not in names:
            raise BadInput(_("%(name)s: no sheet named %(sheet)s; sheets: %(names)s.",
                             name=path.name, sheet=repr(sheet), names=", ".join(names)),
                           field="sheet")
        out = {}
        for name in [sheet] if sheet else names:
            try:
                frame = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
            except Exception as exc:  # noqa: BLE001
                raise BadInput(_("%(name)s, sheet %(sheet)s: cannot be read (%(why)s).",
                                 name=path.name, sheet=repr(name), why=exc),
                               field="sheet") from None
            out[name] = [[_cell(None if pd.isna(v) else v) for v in row]
                         for row in frame.itertuples(index=False, name=None)]
    return out


def _first_sheet(path: Path, sheets, mapping: dict | None) -> tuple:
    """(sheet name, column map, data start, first rows, rest) of the first sheet with 4W
    columns; ``sheets`` yields (name, row iterator). None found: BadInput naming each sheet
    and what its header looked like."""
    tried: list[str] = []
    details: dict[str, list[str]] = {}
    for name, it in sheets:
        first = [r for _i, r in zip(range(SNIFF_ROWS), it, strict=False)]
        try:
            found = _header_and_tags(first, mapping)
        except BadInput as exc:
            details[name] = (exc.details or {}).get("headers", [])
            tried.append(_("sheet %(sheet)s: %(why)s", sheet=repr(name), why=exc.message))
            continue
        if found:
            return name, found[0], found[1], first, it
        tried.append(_("sheet %(sheet)s: no header row", sheet=repr(name)))
    raise BadInput(_("%(name)s: no sheet has recognisable 4W columns (%(sheets)s).",
                     name=path.name, sheets="; ".join(tried) or _("no sheets")),
                   field="sheet", details={"sheets": details})


def open_table(path: Path, *, sheet: str | None = None, mapping: dict | None = None) -> Table:
    """Open ``path`` and detect its columns; rows are read lazily (streaming)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadInput(_("%(name)s: cannot be read (%(why)s).", name=path.name,
                         why=exc.strerror), field="file") from None
    if size == 0:
        raise BadInput(_("%(name)s: the file is empty.", name=path.name), field="file")
    with path.open("rb") as f:
        magic = f.read(4)
    is_zip = magic == b"PK\x03\x04"
    suffix = path.suffix.lower()
    if suffix in (".xlsb", ".ods") or (is_zip and _is_xlsb_or_ods(path)):
        sheets = _pandas_sheets(path, sheet)
        name, cmap, start, first, rest = _first_sheet(
            path, ((n, iter(rows)) for n, rows in sheets.items()), mapping)
        return Table(cmap, _numbered(first, start, rest, None), size, name)
    if suffix in (".xlsx", ".xlsm") or is_zip:
        if not is_zip:
            raise BadInput(_("%(name)s: not a readable XLSX workbook (it is not a zip "
                             "archive); save it again from the spreadsheet program.",
                             name=path.name), field="file")
        wb, names = _xlsx_sheets(path, sheet)
        try:
            name, cmap, start, first, rest = _first_sheet(
                path, ((n, _xlsx_rows(wb[n])) for n in names), mapping)
        except BadInput:
            wb.close()
            raise
        return Table(cmap, _numbered(first, start, rest, wb), size, name)
    it = _csv_rows(path)
    first = [r for _i, r in zip(range(SNIFF_ROWS), it, strict=False)]
    if not any(any(r) for r in first):
        raise BadInput(_("%(name)s: the file is empty.", name=path.name), field="file")
    found = _header_and_tags(first, mapping)
    if not found:
        raise BadInput(_("%(name)s: no header row found.", name=path.name), field="file")
    cmap, start = found
    return Table(cmap, _numbered(first, start, it, None), size)


def _is_xlsb_or_ods(path: Path) -> bool:
    """A zip archive that is an Excel binary workbook or an OpenDocument spreadsheet."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.bin" in names or "content.xml" in names and "mimetype" in names


def _numbered(first: list[list[str]], start: int, rest: Iterator[list[str]],
              closer) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for each data row."""
    number = start
    try:
        for row in first[start:]:
            number += 1
            yield number, row
        for row in rest:
            number += 1
            yield number, row
    finally:
        if closer is not None:
            closer.close()


