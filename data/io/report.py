"""The validation report of an import: every rejected or doubtful row with its row number,
column, value, problem and a suggestion; counts of what was (or would be) created/updated."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, field

__all__ = ["ImportReport", "Issue"]


@dataclass(frozen=True)
class Issue:
    """One finding on one cell; ``severity`` is "rejected" (row left out) or "doubtful"."""

    row: int
    column: str
    value: str
    problem: str
    suggestion: str = ""
    severity: str = "rejected"


@dataclass
class ImportReport:
    """What an import read, took, refused and changed. ``created``/``updated`` count objects
    per kind (``organizations``, ``services``, ``coverage``, ``activities``, ``aliases``)."""

    source: str = ""
    columns: dict[str, list[str]] = field(default_factory=dict)
    rows_read: int = 0
    rows_imported: int = 0
    rejected: list[Issue] = field(default_factory=list)
    doubtful: list[Issue] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: int = 0
    dry_run: bool = False
    committed: bool = False

    @property
    def rejected_rows(self) -> list[int]:
        """Row numbers left out (sorted, each once)."""
        return sorted({i.row for i in self.rejected})

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected_rows)

    def reject(self, row: int, column: str, value: object, problem: str,
               suggestion: str = "") -> None:
        self.rejected.append(Issue(row, column, _text(value), problem, suggestion))

    def doubt(self, row: int, column: str, value: object, problem: str,
              suggestion: str = "") -> None:
        self.doubtful.append(Issue(row, column, _text(value), problem, suggestion, "doubtful"))

    def issues(self) -> list[Issue]:
        return sorted(self.rejected + self.doubtful, key=lambda i: (i.row, i.severity))

    def to_csv(self) -> str:
        """Every issue as CSV (row, column, value, problem, suggestion, severity)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "column", "value", "problem", "suggestion", "severity"])
        for i in self.issues():
            writer.writerow([i.row, i.column, i.value, i.problem, i.suggestion, i.severity])
        return out.getvalue()

    def to_dict(self) -> dict:
        return {"source": self.source, "dry_run": self.dry_run, "rows_read": self.rows_read,
                "rows_imported": self.rows_imported, "rows_rejected": self.rows_rejected,
                "unchanged": self.unchanged, "created": dict(self.created),
                "updated": dict(self.updated), "columns": self.columns,
                "rejected": [asdict(i) for i in self.rejected],
                "doubtful": [asdict(i) for i in self.doubtful]}

    def summary(self) -> str:
        """One paragraph for people: what was read, taken, refused and changed."""
        verb = "would create" if self.dry_run or not self.committed else "created"
        made = ", ".join(f"{v} {k}" for k, v in sorted(self.created.items()) if v) or "nothing"
        upd = ", ".join(f"{v} {k}" for k, v in sorted(self.updated.items()) if v) or "nothing"
        return (f"{self.source}: {self.rows_read} rows read, {self.rows_imported} accepted, "
                f"{self.rows_rejected} rejected, {len(self.doubtful)} doubtful findings; "
                f"{verb} {made}; updated {upd}; {self.unchanged} rows already present.")

    def table(self, limit: int = 200) -> str:
        """The issues as a fixed-width text table (first ``limit``)."""
        lines = [self.summary()]
        issues = self.issues()
        if issues:
            lines.append(f"{'row':>6}  {'severity':9} {'column':24} {'value':24} problem"
                         " -> suggestion")
            for i in issues[:limit]:
                column, value = " ".join(i.column.split()), " ".join(i.value.split())
                lines.append(f"{i.row:>6}  {i.severity:9} {column[:24]:24} "
                             f"{value[:24]:24} {i.problem}"
                             + (f" -> {i.suggestion}" if i.suggestion else ""))
            if len(issues) > limit:
                lines.append(f"... and {len(issues) - limit} more (use --report-csv)")
        return "\n".join(lines)


def _text(value: object) -> str:
    return "" if value is None else str(value)
