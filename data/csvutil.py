"""Reading small CSV files with clear errors naming the file, row and column."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from data.errors import BadInput

__all__ = ["read_rows"]


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, row)`` of a UTF-8 CSV whose header has every ``required`` column.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror}).",
                       details={"file": str(path)}) from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise BadInput(f"{path.name}: missing column(s) {', '.join(missing)}.",
                               details={"file": str(path), "missing": missing})
            for number, row in enumerate(reader, start=2):
                if None in row:
                    raise BadInput(f"{path.name} row {number}: more values than columns.",
                                   details={"file": str(path), "row": number})
                yield number, {k: (v or "").strip() for k, v in row.items()}
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path.name}: not UTF-8 text ({exc.reason}).",
                           details={"file": str(path)}) from None
