"""Stream the rows of a 4W file (CSV in any common delimiter, XLSX), finding the header row
and an HXL hashtag row; bad files (empty, not UTF-8, broken XLSX) raise BadInput."""

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

from .columns import ColumnMap, detect, hashtag_row

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
    return str(value).strip()


def _header_and_tags(first: list[list[str]], mapping: dict | None
                     ) -> tuple[ColumnMap, int] | None:
    """Detect the header (and hashtag) rows among the first rows; (map, data start index)."""
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
    for i, row in enumerate(first):
        if sum(1 for c in row if c) >= 2:
            return detect(row, None, mapping), i + 1
    return None


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
                yield [c.strip() if c.strip() not in FORMULA_ERRORS else "" for c in row]
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
    if path.suffix.lower() in (".xlsx", ".xlsm") or is_zip:
        if not is_zip:
            raise BadInput(_("%(name)s: not a readable XLSX workbook (it is not a zip "
                             "archive); save it again from the spreadsheet program.",
                             name=path.name), field="file")
        wb, names = _xlsx_sheets(path, sheet)
        last_error: BadInput | None = None
        for name in names:
            it = _xlsx_rows(wb[name])
            first = [r for _i, r in zip(range(SNIFF_ROWS), it, strict=False)]
            try:
                found = _header_and_tags(first, mapping)
            except BadInput as exc:
                last_error = exc
                continue
            if found:
                cmap, start = found
                return Table(cmap, _numbered(first, start, it, wb), size, name)
        wb.close()
        raise last_error or BadInput(_("%(name)s: no sheet has recognisable 4W columns.",
                                       name=path.name), field="file")
    it = _csv_rows(path)
    first = [r for _i, r in zip(range(SNIFF_ROWS), it, strict=False)]
    if not any(any(r) for r in first):
        raise BadInput(_("%(name)s: the file is empty.", name=path.name), field="file")
    found = _header_and_tags(first, mapping)
    if not found:
        raise BadInput(_("%(name)s: no header row found.", name=path.name), field="file")
    cmap, start = found
    return Table(cmap, _numbered(first, start, it, None), size)


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


