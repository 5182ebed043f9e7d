"""Checks of user-sent fields (API bodies, forms, imports): one coercer and one wording per
message, shared by every room, so translators see each string once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from data.errors import BadInput

__all__ = ["boolean", "choice", "empty", "missing", "not_codes", "not_one_of", "past_date",
           "text", "text_list", "too_long", "whole_number"]

TRUE = ("1", "true", "yes", "on", "y")
FALSE = ("0", "false", "no", "off", "", "none")


def missing(field: str) -> BadInput:
    """The error for a field that must be sent and was not."""
    return BadInput(_("%(field)s is required.", field=field), field=field)


def empty(field: str) -> BadInput:
    """The error for a field sent blank that must say something."""
    return BadInput(_("%(field)s must not be empty.", field=field), field=field)


def too_long(field: str, limit: int, *, where: str | None = None) -> BadInput:
    """The error for text longer than ``limit`` characters (``where``: the path, if deeper)."""
    return BadInput(_("%(field)s is longer than %(n)s characters.", field=field, n=limit),
                    field=where or field)


def not_one_of(field: str, allowed: Iterable[str], *, where: str | None = None,
               details: Any = None) -> BadInput:
    """The error for a value of ``field`` that is not one of ``allowed``."""
    return BadInput(_("%(field)s must be one of: %(values)s.", field=field,
                      values=", ".join(allowed)), field=where or field, details=details)


def not_codes(field: str) -> BadInput:
    """The error for a field that must be a list of codes (strings)."""
    return BadInput(_("%(field)s must be a list of codes.", field=field), field=field)


def text(data: Mapping, name: str, *, max_len: int = 4000, required: bool = False
         ) -> str | None:
    """``data[name]`` stripped (None when absent; ``required``: absent or blank is refused)."""
    if name not in data:
        if required:
            raise missing(name)
        return None
    value = data[name]
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise empty(name)
    if len(value) > max_len:
        raise too_long(name, max_len)
    return value


def whole_number(data: Mapping, name: str, lo: int, hi: int) -> int | None:
    """``data[name]`` as an int in [lo, hi] (None when absent or blank)."""
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        raise BadInput(_("%(field)s must be a whole number.", field=name), field=name) from None
    if not lo <= number <= hi:
        raise BadInput(_("%(field)s must be between %(lo)s and %(hi)s.", field=name, lo=lo,
                         hi=hi), field=name)
    return number


def choice(data: Mapping, name: str, allowed: Iterable[str]) -> str | None:
    """``data[name]`` when it is one of ``allowed`` (None when absent or blank)."""
    if name not in data or data[name] in (None, ""):
        return None
    value = str(data[name])
    allowed = tuple(allowed)
    if value not in allowed:
        raise not_one_of(name, allowed)
    return value


def text_list(data: Mapping, name: str) -> list[str] | None:
    """``data[name]`` as a list of stripped strings (a string splits on commas and lines)."""
    if name not in data:
        return None
    value = data[name]
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,\n،]+", value)
    if not isinstance(value, (list, tuple)):
        raise BadInput(_("%(field)s must be a list.", field=name), field=name)
    return [str(v).strip() for v in value if str(v).strip()]


def boolean(data: Mapping, name: str) -> bool | None:
    """``data[name]`` as true or false (JSON booleans or the usual words; None when absent)."""
    if name not in data:
        return None
    value: Any = data[name]
    if isinstance(value, bool):
        return value
    if str(value).lower() in TRUE:
        return True
    if str(value).lower() in FALSE:
        return False
    raise BadInput(_("%(field)s must be true or false.", field=name), field=name)


def past_date(data: Mapping, name: str, today: dt.date) -> dt.date | None:
    """``data[name]`` as a date (ISO) no later than ``today`` (None when absent or blank)."""
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise BadInput(_("%(field)s must be a date (YYYY-MM-DD).", field=name),
                           field=name) from None
    if day > today:
        raise BadInput(_("%(field)s cannot be in the future.", field=name), field=name)
    return day
