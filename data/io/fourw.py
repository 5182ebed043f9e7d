"""Import 3W/4W spreadsheets (CSV, XLSX, HXL-tagged) into organisations, services, coverage
and Activity rows, with a validation report.

``import_4w`` streams the file once: columns are detected (``columns.detect``), each row is
resolved (organisation, place by p-code then name, service type, dates, people by sex and
age) and stored as an Activity keyed by a fingerprint of its resolved content, so importing
the same data twice changes nothing. Everything runs inside a SAVEPOINT: a dry run, or
rejected rows without ``accept_partial``, roll it back, so nothing is half-written. The
caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from data.areas import resolver
from data.errors import BadInput
from data.models import (
    AGE_SEX_COLUMNS,
    ImportBatch,
    Service,
    TargetGroup,
    service_coverage,
    service_target_group,
)
from data.searchtext import service_search_text
from textmatch.arabic import normalize

from .activitywriter import ActivityWriter
from .batches import settle
from .columns import BREAKDOWN, load_mapping
from .dates import MISSING, NoYear, parse_date, parse_month, parse_period_option
from .fingerprints import digest_head, digest_text, fingerprint
from .orgs import OrgMatcher
from .reader import open_table
from .report import ImportReport
from .taxonomy import Taxonomy, TypeMatch
from .units import decide, is_people_unit, unit_name

__all__ = ["import_4w", "is_people_unit", "refusal"]

_YES = {"yes", "y", "true", "1", "نعم"}
# the activity columns the importer writes, in the order of its pending rows
_COLUMNS = ("organization_id", "implementing_org", "sector_code", "service_type_code",
            "activity_code", "activity_text", "pcode", "community_pcode", "period_start",
            "period_end", "unit", "reached_total", *AGE_SEX_COLUMNS, "quantity",
            "target_groups", "source_file", "source_row", "fingerprint", "batch_id")
_FINGERPRINT = _COLUMNS.index("fingerprint")
# fields read per row as figures; every other field is a row's words
_FIGURES = frozenset({*BREAKDOWN, "reached_total", "value", "hh_size", "reached_pwd"})
_BENEFICIARY_GROUPS = {"idp": "idps", "displaced": "idps", "host": "host_community",
                       "returnee": "returnees", "نازح": "idps", "مضيف": "host_community",
                       "عائد": "returnees"}


_NUMBERS: dict[str, float | None] = {}  # cell text -> value, for the texts that are valid


def _number(text: str) -> tuple[float | None, str | None]:
    """A non-negative number from a cell (thousands separators allowed), or the problem."""
    value = _NUMBERS.get(text, _NUMBERS)
    if value is not _NUMBERS:
        return value, None  # type: ignore[return-value]
    if not text or text.lower() in MISSING:
        value = None
    else:
        try:
            value = float(text.replace(",", "").replace("٬", ""))
        except ValueError:
            return None, _("%(value)s is not a number", value=repr(text))
        if value < 0:
            return None, _("%(value)s is negative", value=repr(text))
    if len(_NUMBERS) < 100_000:
        _NUMBERS[text] = value
    return value, None


def _add_pcode(level: int, *, or_spelling: bool = False) -> str:
    """The suggestion for a place name that needs its p-code (admin1-3), in words."""
    if level == 1:
        return _("add the admin1 p-code or correct the spelling") if or_spelling \
            else _("add the admin1 p-code")
    if level == 2:
        return _("add the admin2 p-code or correct the spelling") if or_spelling \
            else _("add the admin2 p-code")
    return _("add the admin3 p-code or correct the spelling") if or_spelling \
        else _("add the admin3 p-code")


class _Row:
    """Cell access for one row by field name (each cell read when asked, missing markers
    blanked)."""

    __slots__ = ("cells", "cmap", "index", "width")

    def __init__(self, cmap, cells: list[str], index: dict[str, int]):
        self.cmap, self.cells, self.index, self.width = cmap, cells, index, len(cells)

    def get(self, name: str) -> str:
        """The cell of field ``name``, else the mapping file's default for it, else ""."""
        i = self.index.get(name)
        if i is not None and i < self.width:
            value = self.cells[i].strip()
            if value and value.lower() not in MISSING:
                return value
        default = self.cmap.defaults.get(name)
        return str(default).strip() if default is not None else ""

    def all(self, name: str) -> list[tuple[int, str]]:
        width = self.width
        return [(i, self.cells[i].strip() if i < width else "")
                for i in self.cmap.fields.get(name, [])]


class _Findings:
    """The findings of a row's words, kept to be replayed on every row with the same words:
    (rejected?, column, value, problem, suggestion)."""

    __slots__ = ("issues",)

    def __init__(self, issues: list[tuple]):
        self.issues = issues

    def reject(self, column: str, value: object, problem: str, suggestion: str = "") -> None:
        self.issues.append((True, column, value, problem, suggestion))

    def doubt(self, column: str, value: object, problem: str, suggestion: str = "") -> None:
        self.issues.append((False, column, value, problem, suggestion))


class _Text(NamedTuple):
    """What a row's words decided (``_Importer._text``), shared by the rows that have them."""

    ok: bool
    issues: list[tuple]
    org: Any
    org_id: int | None
    impl: str
    pcode: str | None
    st: TypeMatch
    acode: str
    activity: str
    community: str | None
    start: dt.date | None
    end: dt.date | None
    filled: bool  # the period came from --period
    unit: str
    analysis: str
    groups: frozenset[str]
    head: str  # the fingerprint's text part (data.io.fingerprints.digest_head)


class _Figures(NamedTuple):
    """What a row's sex/age cells give (``_Importer._breakdown``), shared by the rows that
    have the same cells."""

    values: dict[str, int | None]
    problems: list[tuple]
    filled: bool  # a breakdown cell holds a number
    nonzero: bool  # ... other than 0
    total: int  # their sum
    text: str  # the figures as the fingerprint digests them
    groups: frozenset[str]  # the groups they show (children, women, ...)


_NO_FIGURES = "|".join(["None"] * len(AGE_SEX_COLUMNS))  # a row not counted as people
_NO_VALUES = dict.fromkeys(AGE_SEX_COLUMNS)


class _Importer:
    """One import run: the indexes (places, taxonomy, organisations) and the pending rows."""

    def __init__(self, session: Session, report: ImportReport, cmap, period, source: str,
                 restrict_to_org: int | None, batch_id: int | None = None):
        self.s = session
        self.batch_id = batch_id
        self.written: list[tuple[str, int, int]] = []  # (fingerprint, row, people) per row
        self.created_coverage: list[tuple[int, str]] = []
        self.has_size = "hh_size" in cmap.fields or "hh_size" in cmap.defaults
        self.r = report
        self.cmap = cmap
        self.period = period
        self.source = source
        self.restrict = restrict_to_org
        self.resolver = resolver(session)
        self.taxonomy = Taxonomy(session)
        self.orgs = OrgMatcher(session, source=f"import:{source}")
        self.groups = set(session.scalars(select(TargetGroup.code)))
        self.services: dict[tuple[int, str], int] = {
            (o, t): i for i, o, t in session.execute(
                select(Service.id, Service.organization_id, Service.service_type_code))}
        self.new_services: set[int] = set()
        self.wanted: dict[tuple[int, str], object] = {}  # (org id, type) -> org, to create
        # keyed by (org id, service type): the service ids are known only in ``finish``
        self.coverage: set[tuple[tuple[int, str], str]] = set()
        self.service_groups: set[tuple[tuple[int, str], str]] = set()
        # rows for COPY, in the order of _COLUMNS, written by a thread meanwhile
        self.writer = ActivityWriter(session, _COLUMNS, _FINGERPRINT)
        self.singles = {f: idx[0] for f, idx in cmap.fields.items() if idx}
        self.date_cache: dict[tuple[str, str], tuple] = {}
        self.org_cache: dict[tuple, object] = {}
        self.type_cache: dict[tuple, object] = {}
        self.btype_cache: dict[str, set[str]] = {}
        self.seen: Counter = Counter()
        self.place_cache: dict[tuple, tuple] = {}
        self.adolescent_cols = {i for f in ("reached_f_children", "reached_m_children")
                                for i in cmap.fields.get(f, [])
                                if "adolesc" in cmap.headers[i].lower()
                                or "12_17" in cmap.headers[i].lower()}
        self.explicit_start = "date_start" in cmap.fields
        # a row's words are resolved once per distinct combination of its text cells; only
        # its figures are read per row
        self.width = 1 + max((i for idx in cmap.fields.values() for i in idx), default=0)
        words = sorted({i for f, i in self.singles.items() if f not in _FIGURES})
        self.text_key = (operator.itemgetter(*words) if len(words) > 1
                         else (lambda cells: tuple(cells[i] for i in words)))
        self.texts: dict[object, _Text] = {}
        self.breakdown = [(name, cmap.fields.get(name, [])) for name in BREAKDOWN]
        figures = [i for _name, idx in self.breakdown for i in idx]
        self.breakdown_key = (operator.itemgetter(*figures) if len(figures) > 1
                              else (lambda cells: tuple(cells[i] for i in figures)))
        self.breakdowns: dict[object, _Figures] = {}
        # (groups in words, groups in figures, pwd counted) -> (groups, as digested, array)
        self.group_sets: dict[tuple, tuple[frozenset[str], str, str]] = {}
        # a finding many rows of a file can have, translated once (then formatted per row)
        self.exceeds = _("the sex/age breakdown (%(n)s) exceeds the total")
        self.check_breakdown = _("check the breakdown columns")
        self.arrays: dict[frozenset[str], str] = {}
        self.pwd_counted = "reached_pwd" in cmap.fields or "reached_pwd" in cmap.defaults

    # ------------------------------------------------------------------ places
    def _name_parts(self, text: str) -> list[str]:
        parts = [text]
        if "/" in text:
            parts += [p.strip() for p in text.split("/") if p.strip()]
        return parts

    def _resolve_name(self, text: str, level: int, within: str | None):
        key = (text, level, within)
        if key in self.place_cache:
            return self.place_cache[key]
        answer: tuple = ("none", None, [])
        for part in self._name_parts(text):
            res = self.resolver.resolve(part, level, within)
            if res.status == "match":
                answer = ("match", res.pcode, [])
                break
            if res.status == "ambiguous" and answer[0] == "none":
                answer = ("ambiguous", None, [a.pcode for a in res.matches])
        self.place_cache[key] = answer
        return answer

    def place(self, row: _Row, found: _Findings) -> tuple[str | None, bool]:
        """The most precise admin area of the row; (pcode, ok). Issues go to the report."""
        best: str | None = None
        best_level = 0
        codes: dict[int, str] = {}
        bad_code: tuple[int, str] | None = None
        for level in (1, 2, 3):
            code = row.get(f"adm{level}_code").upper()
            if not code:
                continue
            area = self.resolver.areas.get(code)
            if area is None or area.level != level:
                bad_code = bad_code or (level, code)
                continue
            codes[level] = code
            if level > best_level:
                best, best_level = code, level
        for level, code in codes.items():
            if best and not self.resolver.is_within(best, code):
                found.doubt(self.cmap.column(f"adm{level}_code"), code,
                             _("p-code %(a)s does not lie inside %(b)s", a=best, b=code),
                             _("check the admin p-codes of this row"))
        if best_level == 3:
            return best, True
        within = best
        for level in (1, 2, 3):
            if level <= best_level:
                continue
            name = row.get(f"adm{level}_name")
            if not name:
                continue
            status, pcode, options = self._resolve_name(name, level, within)
            column = self.cmap.column(f"adm{level}_name")
            if status == "match":
                best, best_level, within = pcode, level, pcode
            elif status == "ambiguous":
                found.reject(column, name, _("ambiguous place name: %(options)s",
                                                 options=", ".join(options)),
                              _add_pcode(level))
                return None, False
            elif level == 3 or best is None:
                if best is None or level == 3 and best_level < 2:
                    if bad_code:
                        found.reject(self.cmap.column(f"adm{bad_code[0]}_code"),
                                      bad_code[1], _("unknown admin%(level)s p-code",
                                                     level=bad_code[0]),
                                      _("use an OCHA COD-AB p-code"))
                    found.reject(column, name, _("unknown place name"),
                                  _add_pcode(level, or_spelling=True))
                    return None, False
                found.doubt(column, name, _("unknown sub-district name; the row is "
                                                "placed in %(pcode)s", pcode=best),
                             _add_pcode(3))
        if bad_code and best_level < bad_code[0]:
            level, code = bad_code
            if best is None:
                found.reject(self.cmap.column(f"adm{level}_code"), code,
                              _("unknown admin%(level)s p-code", level=level),
                              _("use an OCHA COD-AB p-code"))
                return None, False
            found.doubt(self.cmap.column(f"adm{level}_code"), code,
                         _("unknown admin%(level)s p-code; the row is placed in %(pcode)s",
                           level=level, pcode=best),
                         _("use an OCHA COD-AB p-code"))
        if best is None:
            found.reject(self.cmap.column("adm1_name"), "", _("no place given"),
                          _("fill the admin p-codes or names"))
            return None, False
        return best, True

    # ------------------------------------------------------------------ periods
    def dates(self, row: _Row, notes: _Findings
              ) -> tuple[dt.date | None, dt.date | None, bool]:
        """The row's own period (dates, month); ``--period`` only for rows that state none:
        a row whose month or date cannot be read keeps no period and gets a finding."""
        year = self.period[0].year if self.period else None
        found: dict[str, tuple] = {}
        stated = False
        for name in ("date_start", "date_end", "month", "date_report"):
            raw = row.get(name)
            if not raw:
                continue
            stated = True
            dkey = (name, raw)
            parsed = self.date_cache.get(dkey)
            if parsed is None:
                parsed = self.date_cache[dkey] = (parse_month(raw, year) if name == "month"
                                                  else parse_date(raw))
            start, end, problem = parsed
            if problem:
                hint = (_("give the period for rows without a year (YYYY-MM)")
                        if isinstance(problem, NoYear)
                        else _("correct the date (it was not guessed)"))
                notes.doubt(self.cmap.column(name), raw, problem, hint)
                continue
            found[name] = (start, end)
        start = next((found[k][0] for k in ("date_start", "month", "date_end", "date_report")
                      if k in found), None)
        end = next((found[k][1] for k in ("date_end", "month", "date_start", "date_report")
                    if k in found), None)
        filled = not stated and bool(self.period)
        if not stated:
            if self.period:
                start, end = self.period
            else:
                notes.doubt(self.cmap.column("month"), "",
                             _("no month or date in the row"),
                             _("add a month column, or give the period (YYYY-MM) of rows "
                               "without one"))
        if start and end and end < start:
            if "date_start" in found and "date_end" in found:
                notes.doubt(self.cmap.column("date_end"), row.get("date_end"),
                             _("end date before start date"), _("check the dates"))
            start, end = min(start, end), max(start, end)
        return start, end, filled

    # ------------------------------------------------------------------ one row
    def _text(self, row: _Row) -> _Text:
        """Everything a row's words decide (organisation, place, service type, period, unit,
        the groups named in words) and their findings: done once per distinct text."""
        issues: list[tuple] = []
        # organisation
        impl = row.get("org_impl") or row.get("org")
        acr = row.get("org_impl_acronym") if row.get("org_impl") or \
            "org_impl_acronym" in self.cmap.fields else row.get("org_acronym")
        col = self.cmap.column("org_impl" if row.get("org_impl") else "org")
        okey = (impl, acr, row.get("org_type"))
        match = self.org_cache.get(okey)
        if match is None:
            match = self.org_cache[okey] = self.orgs.match(*okey, create=self.restrict is None)
        ok = True
        if match.org is None:
            issues.append((True, col, impl or acr, match.problem,
                           _("write the organisation's name with its acronym, e.g. "
                             "'Name (ACR)'")))
            ok = False
        elif self.restrict is not None and match.org.id != self.restrict:
            issues.append((True, col, impl, _("this row belongs to another organisation"),
                           _("upload only your own organisation's rows")))
            ok = False
        elif match.note:
            issues.append((False, col, impl, match.note, _("confirm or correct the alias")))
        found = _Findings(issues)
        pcode, placed = self.place(row, found)
        ok = ok and placed
        # service type
        activity = row.get("activity")
        code = row.get("activity_code")
        sector_text = row.get("sector")
        tkey = (activity, code, sector_text)
        st = self.type_cache.get(tkey)
        given = row.get("service_type")
        if given in self.taxonomy.types:
            st = TypeMatch(given, self.taxonomy.sector_of[given])
        if st is None:
            st = self.type_cache[tkey] = self.taxonomy.match(activity, code, sector_text)
        if st.code is None and not activity and not sector_text and row.get("transfer_value"):
            st = self.taxonomy.match("Multipurpose Cash", None, "cash")
            st = type(st)(st.code, st.sector, _("service type inferred from the cash "
                                                "transfer columns (no activity or sector "
                                                "given)"))
        if st.code is None:
            issues.append((True, self.cmap.column("activity" if activity else "sector"),
                           activity or code or sector_text,
                           _("activity not found in the service taxonomy"),
                           _("use an activity code such as GBV600 or CP2, or add the code to "
                             "data/reference/service_types.csv")))
            ok = False
        elif st.note:
            issues.append((False, self.cmap.column("sector"), sector_text or activity,
                           st.note, _("give the activity or its code")))
        start, end, filled = self.dates(row, found)
        groups: set[str] = set()
        if row.get("pwd").lower() in _YES:
            groups.add("pwd")
        raw = row.get("beneficiary_type")
        if raw:
            if raw not in self.btype_cache:
                btype = normalize(raw)
                self.btype_cache[raw] = {g for w, g in _BENEFICIARY_GROUPS.items()
                                         if w in btype and "mix" not in btype}
            groups |= self.btype_cache[raw]
        for gcode in row.get("groups").replace(",", "|").split("|"):
            if gcode.strip() in self.groups:
                groups.add(gcode.strip())
        org = match.org
        acode = self.taxonomy.code_of(activity, code)[:60] if st.code else ""
        community = row.get("adm4_code")[:20] or None
        head = "" if org is None or not ok else digest_head(org.uuid, {
            "service_type_code": st.code, "activity_code": acode, "activity_text": activity,
            "pcode": pcode, "community_pcode": community, "period_start": start,
            "period_end": end})
        return _Text(ok, issues, org, None if org is None else org.id,
                     (impl or acr or "")[:500], pcode, st, acode, activity, community, start,
                     end, filled, row.get("unit"), row.get("analysis_unit"), frozenset(groups),
                     head)

    def row(self, n: int, cells: list[str]) -> bool:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        key = self.text_key(cells)
        t = self.texts.get(key)
        if t is None:
            t = self.texts[key] = self._text(_Row(self.cmap, cells, self.singles))
        r = self.r
        for rejected, column, value, problem, suggestion in t.issues:
            (r.reject if rejected else r.doubt)(n, column, value, problem, suggestion)
        if t.filled:
            r.period_filled += 1
        ok = t.ok
        row = _Row(self.cmap, cells, self.singles)
        # people
        unit_raw = t.unit
        bkey = self.breakdown_key(cells)
        fig = self.breakdowns.get(bkey) or self._breakdown(cells, bkey)
        for column, text, problem in fig.problems:
            r.reject(n, column, text, problem, _("write a whole number"))
            ok = False
        reached, problem = _number(row.get("reached_total"))
        if problem:
            r.reject(n, self.cmap.column("reached_total"), row.get("reached_total"), problem,
                     _("write a whole number"))
            ok = False
        quantity, problem = _number(row.get("value"))
        if problem:
            r.reject(n, self.cmap.column("value"), row.get("value"), problem,
                     _("write a number"))
            ok = False
        size = None
        if self.has_size:
            size, problem = _number(row.get("hh_size"))
            if problem:
                r.reject(n, self.cmap.column("hh_size"), row.get("hh_size"), problem,
                         _("write a number"))
                ok = False
        analysis = t.analysis
        decision = decide(analysis, unit_raw, breakdown=fig.nonzero, size=size)
        self.r.decisions[(decision.kind, analysis if decision.kind.startswith("analysis")
                          else unit_raw)] += 1
        people = decision.people
        if decision.size:
            households = quantity if quantity is not None else reached
            quantity = households
            reached = None if households is None else float(round(households * decision.size))
        if reached is None and fig.filled:
            reached = float(fig.total)
        elif reached is None and people and quantity is not None and \
                decision.kind != "no_unit":
            reached = quantity  # "120" under unit "Children": 120 people
        elif reached is not None and fig.filled and fig.total > reached and people:
            r.doubt(n, self.cmap.column("reached_total"), row.get("reached_total"),
                    self.exceeds % {"n": fig.total}, self.check_breakdown)
        if reached is not None and not float(reached).is_integer():
            r.reject(n, self.cmap.column("reached_total"), row.get("reached_total"),
                     _("people reached must be a whole number"), _("write a whole number"))
            ok = False
        if ok and people and reached is None and quantity is None:
            r.doubt(n, self.cmap.column("reached_total"), "",
                    _("no people-reached figure in the row"),
                    _("fill the people column, or name it in a mapping file (reached_total)"))
        if not ok:
            return False
        pwd = False
        if self.pwd_counted and "pwd" not in t.groups:
            pwd = bool(_number(row.get("reached_pwd"))[0])
        gkey = (t.groups, fig.groups, pwd)
        groups, listed, array = self.group_sets.get(gkey) or self._group_set(gkey)
        if people:
            figures, text = fig.values, fig.text
        else:
            quantity = quantity if quantity is not None else reached
            reached = None
            figures, text = _NO_VALUES, _NO_FIGURES
        unit = "people" if people else unit_name(analysis or unit_raw)
        # presence with nobody reached: stored, but it neither makes a service nor covers
        # the area (data.gapdata counts it apart; it never closes a gap)
        nobody = people and not reached
        st, pcode = t.st, t.pcode
        total = None if reached is None else int(reached)
        # data.io.fingerprints.digest_with of (unit, total, *figures, quantity, groups),
        # its figures and groups formatted once per distinct set
        digest = digest_text(f"{t.head}|{unit}|{total}|{text}|{quantity}|{listed}")
        self.seen[digest] += 1  # the n-th identical row of the file gets its own fingerprint
        fp = fingerprint(digest, self.seen[digest])
        self.writer.add((
            t.org_id, t.impl, st.sector, st.code, t.acode, t.activity, pcode, t.community,
            t.start, t.end, unit, total, *[figures[k] for k in AGE_SEX_COLUMNS], quantity,
            array, self.source, n, fp, self.batch_id))
        self.written.append((fp, n, total or 0))
        if nobody:
            return True
        key = (t.org_id, st.code)
        if key not in self.services:
            self.wanted[key] = t.org
        self.coverage.add((key, pcode))
        for g in groups:
            self.service_groups.add((key, g))
        return True

    def _breakdown(self, cells: list[str], key: object) -> _Figures:
        """The sex/age figures of a row (columns feeding one field summed), the cells that
        are not numbers and the groups the figures show: once per distinct combination of
        those cells."""
        values: dict[str, int | None] = {}
        problems = []
        for name, columns in self.breakdown:
            total = None
            for i in columns:
                text = cells[i].strip()
                value, problem = _number(text)
                if problem:
                    problems.append((self.cmap.headers[i], text, problem))
                elif value is not None:
                    total = (total or 0) + value
            values[name] = None if total is None else int(round(total))
        parts = [v for v in values.values() if v is not None]
        groups = set()
        if values["reached_f_children"] or values["reached_m_children"]:
            groups.add("children")
        if any(_number(cells[i])[0] for i in self.adolescent_cols):
            groups.add("adolescents")
        if values["reached_f_adults"]:
            groups.add("women")
        if values["reached_m_adults"]:
            groups.add("men")
        if values["reached_f_elderly"] or values["reached_m_elderly"]:
            groups.add("older_people")
        fig = _Figures(values, problems, bool(parts), any(parts), sum(parts),
                       "|".join(map(str, (values[k] for k in AGE_SEX_COLUMNS))),
                       frozenset(groups))
        if len(self.breakdowns) < 100_000:
            self.breakdowns[key] = fig
        return fig

    def _group_set(self, key: tuple) -> tuple[frozenset[str], str, str]:
        """The row's target groups from those its words name, its figures show and its
        count of persons with disabilities, as digested and as an array: once per set."""
        words, figures, pwd = key
        groups = frozenset((words | figures | ({"pwd"} if pwd else set())) & self.groups)
        out = self.group_sets[key] = (groups, str(sorted(groups)), self._array(groups))
        return out

    def _array(self, groups: frozenset[str]) -> str:
        """Target group codes as a PostgreSQL array literal for COPY (codes are plain
        identifiers), built once per distinct set."""
        literal = self.arrays.get(groups)
        if literal is None:
            literal = self.arrays[groups] = "{" + ",".join(sorted(groups)) + "}"
        return literal

    def _create_services(self) -> None:
        """Create the services the rows need and the directory lacks, in one INSERT (the
        search-word trigger runs once, not per service)."""
        if not self.wanted:
            return
        made = []
        for (_org_id, type_code), org in sorted(self.wanted.items(), key=lambda kv: kv[0]):
            st = self.taxonomy.types[type_code]
            svc = Service(organization_id=org.id, service_type_code=type_code,
                          name_en=st.name_en, name_ar=st.name_ar, sensitive=st.sensitive,
                          capacity_per_month=None)
            svc.search_text = service_search_text(svc, org, st)
            made.append(svc)
        self.s.add_all(made)
        self.s.flush()
        for svc in made:
            self.services[(svc.organization_id, svc.service_type_code)] = svc.id
            self.new_services.add(svc.id)
        self.wanted = {}

    def finish(self) -> None:
        writer = self.writer
        writer.close()
        self.r.created["activities"] += writer.created
        self.r.unchanged += writer.unchanged
        self._create_services()
        sid = self.services
        grown: set[int] = set()
        # target groups first: their trigger then refreshes no coverage row of a new service,
        # which gets its groups when it is inserted below
        if self.service_groups:
            rows = [{"service_id": s, "target_group_code": g}
                    for s, g in sorted({(sid[k], g) for k, g in self.service_groups})]
            done = self.s.execute(insert(service_target_group).on_conflict_do_nothing()
                                  .returning(service_target_group.c.service_id), rows).all()
            grown |= {d[0] for d in done}
        if self.coverage:
            rows = [{"service_id": s, "pcode": p}
                    for s, p in sorted({(sid[k], p) for k, p in self.coverage})]
            done = self.s.execute(insert(service_coverage).on_conflict_do_nothing()
                                  .returning(service_coverage.c.service_id,
                                             service_coverage.c.pcode), rows).all()
            self.r.created["coverage"] += len(done)
            self.created_coverage = [(d[0], d[1]) for d in done]
            grown |= {d[0] for d in done}
        self.r.created["services"] += len(self.new_services)
        self.r.updated["services"] += len(grown - self.new_services)
        self.r.created["organizations"] += len(self.orgs.created)
        self.r.updated["organizations"] += len(self.orgs.updated - self.orgs.created)
        self.r.created["aliases"] += self.orgs.new_aliases
        self.s.flush()


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def refusal(report: ImportReport, accept_partial: bool) -> str | None:
    """Why the real run of a (dry-run) report would exit 2, or None."""
    if report.rejected and not accept_partial:
        return _("%(source)s: %(n)s of %(total)s rows rejected; the import would write "
                 "nothing. Fix them, or accept the good rows with --accept-partial.",
                 source=report.source, n=report.rows_rejected, total=report.rows_read)
    return report.batch.get("refused")


def import_4w(session: Session, path, *, sheet: str | None = None, mapping=None,
              period: str | None = None, dry_run: bool = False, accept_partial: bool = False,
              progress: bool = False, restrict_to_org: int | None = None,
              source_name: str | None = None, replace: bool = False,
              imported_by: str = "") -> ImportReport:
    """Import a 3W/4W file as one import batch; return the report. Flushes, never commits.

    Raises BadInput for an unreadable file; when rows were rejected unless ``accept_partial``
    (then nothing is written; the report is ``exc.report``); and when the same source (file
    name and sheet) was imported before with other content, unless ``replace`` (then this
    import's rows replace that batch's; ``report.batch["diff"]`` says what changes).
    ``dry_run`` writes nothing and raises only for an unreadable file: the report says
    what the real run would refuse (``refusal``). ``restrict_to_org`` refuses rows of any
    other organisation and creates no organisation (imports by an organisation's admin).
    """
    path = Path(path)
    source = source_name or path.name
    try:
        span = parse_period_option(period)
    except ValueError as exc:
        raise BadInput(str(exc), field="period") from None
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    table = open_table(path, sheet=sheet, mapping=mapping)
    report = ImportReport(source=source, columns=table.cmap.describe(), dry_run=dry_run)
    savepoint = session.begin_nested()
    imp: _Importer | None = None
    try:
        batch = ImportBatch(source=source, sheet=table.sheet or "", checksum=_checksum(path),
                            mapping=mapping or {}, period=period or "",
                            imported_by=imported_by, status="active")
        session.add(batch)
        session.flush()
        imp = _Importer(session, report, table.cmap, span, source, restrict_to_org, batch.id)
        rows = table.rows
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(rows, unit=" rows", desc=source[:30], mininterval=0.5)
            rows = bar
        for n, cells in rows:
            if not any(cells):
                continue
            report.rows_read += 1
            if imp.row(n, cells):
                report.rows_imported += 1
        if bar is not None:
            bar.close()
        imp.finish()
        if report.rows_read == 0:
            report.warn(_("%(source)s: the file has a header but no data rows; nothing to "
                          "import.", source=source + (f" ({table.sheet})" if table.sheet
                                                      else "")))
        conflict = settle(session, batch, imp.written, imp.created_coverage,
                          imp.new_services, imp.orgs.created, report,
                          replace=replace)
    except BaseException:
        if imp is not None:
            imp.writer.abort()
        savepoint.rollback()
        raise
    rejected = report.rejected and not accept_partial
    if dry_run or rejected or conflict:
        savepoint.rollback()
    else:
        savepoint.commit()
    if conflict:
        report.batch["refused"] = conflict
    if dry_run:
        return report
    if rejected:
        first = report.rejected[0]
        exc = BadInput(
            _("%(source)s: %(n)s of %(total)s rows rejected (first: row %(row)s, column "
              "%(column)s: %(problem)s); nothing was imported. Fix them, or accept the good "
              "rows with --accept-partial.", source=source, n=report.rows_rejected,
              total=report.rows_read, row=first.row, column=repr(first.column),
              problem=first.problem),
            details={"rows_rejected": report.rows_rejected, "rows_read": report.rows_read})
        exc.report = report  # type: ignore[attr-defined]
        raise exc
    if conflict:
        exc = BadInput(conflict, field="replace", details={"batch": report.batch})
        exc.report = report  # type: ignore[attr-defined]
        raise exc
    return report
