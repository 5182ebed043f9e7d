"""The validation report of an import: every rejected or doubtful row with its row number,
column, value, problem and a suggestion; counts of what was (or would be) created/updated."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _

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
        made, upd = _counts(self.created), _counts(self.updated)
        values = {"source": self.source, "read": self.rows_read,
                  "accepted": self.rows_imported, "rejected": self.rows_rejected,
                  "doubtful": len(self.doubtful), "made": made, "updated": upd,
                  "unchanged": self.unchanged}
        if self.dry_run or not self.committed:
            return _("%(source)s: %(read)s rows read, %(accepted)s accepted, %(rejected)s "
                     "rejected, %(doubtful)s doubtful findings; would create %(made)s; updated "
                     "%(updated)s; %(unchanged)s rows already present.", **values)
        return _("%(source)s: %(read)s rows read, %(accepted)s accepted, %(rejected)s "
                 "rejected, %(doubtful)s doubtful findings; created %(made)s; updated "
                 "%(updated)s; %(unchanged)s rows already present.", **values)

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
                lines.append(_("... and %(n)s more (use --report-csv)",
                               n=len(issues) - limit))
        return "\n".join(lines)


def _count(kind: str, n: int) -> str:
    """``3 organizations``: a count of a kind of object an import counts, in words."""
    if kind == "organizations":
        return _("%(n)s organizations", n=n)
    if kind == "services":
        return _("%(n)s services", n=n)
    if kind == "coverage":
        return _("%(n)s coverage", n=n)
    if kind == "activities":
        return _("%(n)s activities", n=n)
    if kind == "aliases":
        return _("%(n)s aliases", n=n)
    return f"{n} {kind}"


def _counts(counter: Counter) -> str:
    """``3 organizations, 2 services`` (kinds with a count only), or ``nothing``."""
    return ", ".join(_count(k, v) for k, v in sorted(counter.items()) if v) or _("nothing")


def _text(value: object) -> str:
    return "" if value is None else str(value)
