"""Presentation helpers shared by every page: dates in the platform's time zone, numbers.

Stored times are UTC; people read them in Syria's time (``DISPLAY_TIMEZONE``, default
Asia/Damascus). Dates are written as 2026-07-30 and times as 14:05 in both languages, so a
date never changes meaning between the Arabic and English pages; templates use
``{{ value|day }}``, ``{{ value|when }}``, ``{{ n|number }}`` and ``{{ metres|distance }}``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from markupsafe import Markup, escape

__all__ = ["init_app", "local_time"]

DEFAULT_TIMEZONE = "Asia/Damascus"


def local_time(value: dt.datetime) -> dt.datetime:
    """``value`` in the display time zone (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE") or DEFAULT_TIMEZONE)
    return value.astimezone(zone)


def _time_tag(value: dt.date | dt.datetime | None, fmt: str) -> Markup | str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        value = local_time(value)
        iso = value.isoformat(timespec="minutes")
    else:
        iso = value.isoformat()
    return Markup('<time datetime="{}" dir="ltr">{}</time>').format(
        iso, escape(value.strftime(fmt)))


def day(value: dt.date | dt.datetime | None) -> Markup | str:
    """A date as ``2026-07-30`` (local day for datetimes), or an em dash."""
    return _time_tag(value, "%Y-%m-%d")


def when(value: dt.datetime | None) -> Markup | str:
    """A moment as ``2026-07-30 14:05`` in the display time zone, or an em dash."""
    if isinstance(value, dt.datetime):
        return _time_tag(value, "%Y-%m-%d %H:%M")
    return _time_tag(value, "%Y-%m-%d")


def number(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators (``12,345``), or an em dash."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def languages(codes: list[str] | None) -> str:
    """ISO 639 codes as language names in the page's language ("العربية، الكردية")."""
    from textmatch.languages import language_name

    from ..i18n import current_locale

    loc = current_locale()
    return ("، " if loc == "ar" else ", ").join(language_name(c, loc) for c in codes or ())


def distance(metres: float) -> str:
    """A distance in words in the page's language, its noun agreeing with its number
    ("3 كيلومترات", "12 kilometres")."""
    from matching.wording import distance as words

    from ..i18n import current_locale

    en, ar = words(metres)
    return ar if current_locale() == "ar" else en


def init_app(app: Flask) -> None:
    """Register the ``day``, ``when``, ``number``, ``languages`` and ``distance`` filters."""
    app.add_template_filter(languages, "languages")
    app.add_template_filter(distance, "distance")
    app.add_template_filter(day, "day")
    app.add_template_filter(when, "when")
    app.add_template_filter(number, "number")
