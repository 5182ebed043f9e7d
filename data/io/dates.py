"""Dates as 4W files write them; dirty ones (``0016-01``, ``31/02/2023``) are flagged, never
guessed. Each parser returns ``(start, end, problem)``: a period, or None with the reason."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from flask_babel import gettext as _

from textmatch.arabic import normalize

__all__ = ["MISSING", "NoYear", "month_of", "parse_date", "parse_month", "parse_period_option"]

MISSING = frozenset({"", "na", "n/a", "none", "null", "-", "nan", "#n/a", "not applicable"})
MIN_YEAR, MAX_YEAR = 2000, 2100

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS |= {"sept": 9}
MONTHS |= {ar: i for i, ar in enumerate(
    ("", "كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
     "تشرين الأول", "تشرين الثاني", "كانون الأول")) if ar}
MONTHS |= {ar: i for i, ar in enumerate(
    ("", "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
     "أكتوبر", "نوفمبر", "ديسمبر")) if ar}

_ISO = re.compile(r"^(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)?$")
_YM = re.compile(r"^(\d{1,4})[-/](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
# words that may stand beside a month: "month 2", "شهر شباط"
_FILLER = frozenset({"month", "of", "m", "شهر", "لشهر"})

Period = tuple[dt.date | None, dt.date | None, str | None]


class NoYear(str):
    """The problem of a month written without its year (the import's --period supplies it);
    a class of its own because the text is in the reader's language."""


def _month_span(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last), None


def _year_ok(year: int, raw: str) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return _("year %(year)s in %(value)s is not plausible (expected %(low)s-%(high)s)",
                 year=year, value=repr(raw), low=MIN_YEAR, high=MAX_YEAR)
    return None


def parse_date(raw: str | None) -> Period:
    """One day (ISO, ISO with time, d/m/Y) or a year-month; ``(None, None, None)`` if empty."""
    text = (raw or "").strip()
    if text.lower() in MISSING:
        return None, None, None
    if m := _ISO.match(text):
        y, mo, d = (int(x) for x in m.groups())
    elif m := _DMY.match(text):
        d, mo, y = (int(x) for x in m.groups())
    elif m := _YM.match(text):
        y, mo = int(m.group(1)), int(m.group(2))
        if problem := _year_ok(y, text):
            return None, None, problem
        if not 1 <= mo <= 12:
            return None, None, _("month %(month)s in %(value)s does not exist", month=mo,
                                 value=repr(text))
        return _month_span(y, mo)
    else:
        return parse_month(text)
    if problem := _year_ok(y, text):
        return None, None, problem
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        return None, None, _("%(value)s is not a calendar date", value=repr(text))
    return day, day, None


def _month_names() -> dict[str, int]:
    """Month names, normalised as ``textmatch`` normalises text (article and hamza folded)."""
    return {normalize(name): i for name, i in MONTHS.items()}


_NAMES = _month_names()
_TWO_WORD = {k: v for k, v in _NAMES.items() if " " in k}
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def month_of(text: str) -> tuple[int | None, int | None, str | None]:
    """(month, year, problem) of a month written in words or numbers: ``02) Feb``,
    ``Feb-23``, ``February 2023``, ``شباط/فبراير``, ``2``; (None, None, None) if not one."""
    norm = normalize(text)
    months: set[int] = set()
    for name, number in _TWO_WORD.items():  # كانون الثاني, تشرين اول: two words, one month
        if name in norm:
            months.add(number)
            norm = norm.replace(name, " ")
    small: list[int] = []
    year: int | None = None
    for token in _TOKEN.findall(norm):
        if token.isdigit():
            if len(token) == 4:
                if year is not None:
                    return None, None, None
                year = int(token)
            elif len(token) <= 2:
                small.append(int(token))
            else:
                return None, None, None
        elif token in _NAMES:
            months.add(_NAMES[token])
        elif token not in _FILLER:
            return None, None, None
    if len(months) > 1:
        return None, None, _("%(value)s names two months", value=repr(text))
    if months:
        month = months.pop()
        rest = [n for n in small if n != month]
        if len(rest) == 1 and year is None and len(small) <= 2:
            year = 2000 + rest[0]  # Feb-23
        elif rest:
            return None, None, _("%(value)s is not a month name", value=repr(text))
        return month, year, None
    if len(small) == 1 and 1 <= small[0] <= 12:
        return small[0], year, None
    return None, None, None


def parse_month(raw: str | None, year: int | None = None) -> Period:
    """A month written as text (``01 - January``, ``02) Feb``, ``Jan``, ``شباط 2023``); the
    year comes from the text or from ``year`` (the import's --period); without either it is
    flagged."""
    text = (raw or "").strip()
    if text.lower() in MISSING:
        return None, None, None
    if _ISO.match(text) or _YM.match(text) or _DMY.match(text):
        return parse_date(text)
    month, in_year, problem = month_of(text)
    if problem:
        return None, None, problem
    if month is None:
        if any(c.isalpha() for c in text):
            return None, None, _("%(value)s is not a month name", value=repr(text))
        return None, None, _("%(value)s is not a date or month", value=repr(text))
    y = in_year or year
    if y is None:
        return None, None, NoYear(_("month %(value)s has no year", value=repr(text)))
    if problem := _year_ok(y, text):
        return None, None, problem
    return _month_span(y, month)


def parse_period_option(raw: str | None) -> tuple[dt.date, dt.date] | None:
    """The ``--period YYYY-MM`` option, or None; raises ValueError with a reason."""
    if not raw:
        return None
    m = _YM.match(raw.strip())
    if not m or len(m.group(1)) != 4:
        raise ValueError(_("--period must look like 2023-02, got %(value)s", value=repr(raw)))
    start, end, problem = parse_date(raw.strip())
    if problem:
        raise ValueError(problem)
    return start, end  # type: ignore[return-value]
