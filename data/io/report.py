"""The validation report of an import: every rejected or doubtful row with its row number,
column, value, problem and a suggestion; counts of what was (or would be) created/updated."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

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
    # how the file's figures were read: (rule, unit as written) -> rows (see data.io.units)
    decisions: Counter = field(default_factory=Counter)
    period_filled: int = 0  # rows whose period came from --period
    warnings: list[str] = field(default_factory=list)
    batch: dict = field(default_factory=dict)  # the import batch and, on --replace, the diff

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

    def warn(self, message: str) -> None:
        """A finding about the whole file (no data rows, ...), shown above the table."""
        self.warnings.append(message)

    def findings(self, first: int = 5) -> list[dict]:
        """One entry per distinct finding: severity, column, problem, suggestion, its row
        count and its first rows (rejected first, then by count)."""
        groups: dict[tuple, list[int]] = {}
        for i in self.issues():
            groups.setdefault((i.severity, i.column, i.problem, i.suggestion), []).append(i.row)
        out = [{"severity": k[0], "column": k[1], "problem": k[2], "suggestion": k[3],
                "rows": len(rows), "first_rows": sorted(set(rows))[:first]}
               for k, rows in groups.items()]
        return sorted(out, key=lambda f: (f["severity"] != "rejected", -f["rows"],
                                          f["first_rows"]))

    def decision_lines(self) -> list[str]:
        """How the figures were read, one line per rule and unit, with its row count."""
        return [_decision(kind, unit, n) for (kind, unit), n in
                sorted(self.decisions.items(), key=lambda kv: (-kv[1], kv[0]))]

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
                "doubtful": [asdict(i) for i in self.doubtful],
                "findings": self.findings(), "decisions": self.decision_lines(),
                "period_filled": self.period_filled, "warnings": self.warnings,
                "batch": self.batch}

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
        """The summary, how the figures were read, then one line per distinct finding with
        its row count and first rows (first ``limit`` findings)."""
        lines = [self.summary(), *self.warnings, *self.decision_lines()]
        if self.period_filled:
            lines.append(ngettext("%(num)s row without a month or date took the period "
                                  "given (--period).",
                                  "%(num)s rows without a month or date took the period "
                                  "given (--period).", self.period_filled))
        if self.batch.get("diff"):
            lines.append(_diff_line(self.batch["diff"]))
        findings = self.findings()
        if findings:
            heads = (_("rows"), _("severity"), _("column"), _("problem"), _("suggestion"),
                     _("first rows"))
            lines.append("{:>6}  {:9} {:24} {} -> {} [{}]".format(*heads))
            for f in findings[:limit]:
                column = " ".join(f["column"].split())
                first = ", ".join(str(r) for r in f["first_rows"])
                lines.append(f"{f['rows']:>6}  {f['severity']:9} {column[:24]:24} "
                             f"{f['problem']}"
                             + (f" -> {f['suggestion']}" if f["suggestion"] else "")
                             + f" [{first}{', ...' if f['rows'] > len(f['first_rows']) else ''}]")
            if len(findings) > limit:
                lines.append(_("... and %(n)s more (use --report-csv)",
                               n=len(findings) - limit))
        return "\n".join(lines)


def _diff_line(diff: dict) -> str:
    """What a replacement changes: rows added, removed, changed, and people."""
    return _("replacing batch %(batch)s: %(added)s rows added, %(removed)s removed, "
             "%(changed)s changed; people reached %(before)s -> %(after)s.", **diff)


def _decision(kind: str, unit: str, n: int) -> str:
    """One line of how a file's figures were read (``data.io.units`` names the rules)."""
    unit = unit or "-"
    if kind == "analysis_people":
        return ngettext("%(num)s row: the file's analysis unit %(unit)s counts people.",
                        "%(num)s rows: the file's analysis unit %(unit)s counts people.", n,
                        unit=repr(unit))
    if kind == "analysis_quantity":
        return ngettext("%(num)s row: the file's analysis unit %(unit)s is a quantity of its "
                        "unit, not people.",
                        "%(num)s rows: the file's analysis unit %(unit)s is a quantity of its "
                        "unit, not people.", n, unit=repr(unit))
    if kind == "people_unit":
        return ngettext("%(num)s row: unit %(unit)s counts people.",
                        "%(num)s rows: unit %(unit)s counts people.", n, unit=repr(unit))
    if kind == "households":
        return ngettext("%(num)s row: unit %(unit)s counts households; people = households x "
                        "the stated household size.",
                        "%(num)s rows: unit %(unit)s counts households; people = households x "
                        "the stated household size.", n, unit=repr(unit))
    if kind == "households_unsized":
        return ngettext("%(num)s row: unit %(unit)s counts households without a stated size; "
                        "kept as a quantity, not people.",
                        "%(num)s rows: unit %(unit)s counts households without a stated size; "
                        "kept as a quantity, not people.", n, unit=repr(unit))
    if kind == "breakdown":
        return ngettext("%(num)s row: unit %(unit)s with a sex/age breakdown counts people.",
                        "%(num)s rows: unit %(unit)s with a sex/age breakdown counts people.",
                        n, unit=repr(unit))
    if kind == "no_unit":
        return ngettext("%(num)s row without a unit: the people column counts people.",
                        "%(num)s rows without a unit: the people column counts people.", n)
    return ngettext("%(num)s row: unit %(unit)s is a quantity of its unit, not people.",
                    "%(num)s rows: unit %(unit)s is a quantity of its unit, not people.", n,
                    unit=repr(unit))


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
