"""Checks of user-sent fields (API bodies, forms, imports): one coercer and one wording per
message, shared by every room, so translators see each string once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from data.errors import BadInput

__all__ = ["CONTROL", "NOT_BLANK", "PLAIN", "Field", "boolean", "choice", "empty", "missing",
           "not_codes", "not_one_of", "object_schema", "past_date", "text", "text_list",
           "too_long", "whole_number"]

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


# ---------------------------------------------------------------- declared fields
# A field declared once gives both the check (``read``) and the JSON Schema the OpenAPI
# document states (``schema``): the bounds a client reads are the bounds the server enforces.

# C0 controls and DEL that no value may hold (tab, line feed and carriage return may): the
# request-wide check (web/bounds.py) refuses them, and every input string's schema says so.
CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
PLAIN = f"^[^{CONTROL}]*$"  # a string without those (JSON Schema / ECMA and Python alike)
NOT_BLANK = f"^[^{CONTROL}]*[^{CONTROL}\\s][^{CONTROL}]*$"  # ... with a visible character


@dataclass(frozen=True)
class Field:
    """One input field: its kind and bounds, read with the checks above and described as JSON
    Schema. Kinds: text, number, choice, flag, list (of strings), date (not in the future)."""

    kind: str
    max_len: int = 4000
    lo: int = 0
    hi: int = 0
    values: tuple[str, ...] = ()
    pattern: str | None = None  # a non-empty text (each list item) must match it (search)
    message: Any = None  # the BadInput message when ``pattern`` does not match (lazy_gettext)
    nullable: bool = True
    description: str = ""

    def read(self, data: Mapping, name: str, *, today: dt.date | None = None) -> Any:
        """The checked value of ``data[name]`` (None when absent), or BadInput naming it."""
        if self.kind == "number":
            return whole_number(data, name, self.lo, self.hi)
        if self.kind == "choice":
            return choice(data, name, self.values)
        if self.kind == "flag":
            return boolean(data, name)
        if self.kind == "date":
            return past_date(data, name, today or dt.date.today())
        if self.kind == "list":
            items = text_list(data, name)
            for item in items or []:
                if len(item) > self.max_len:
                    raise too_long(name, self.max_len)
                self._match(name, item)
            return items
        value = text(data, name, max_len=self.max_len)
        if value:
            self._match(name, value)
        return value

    def _match(self, name: str, value: str) -> None:
        if self.pattern and not re.search(self.pattern, value):
            raise BadInput(str(self.message or _("%(field)s is not in the expected form.",
                                                 field=name)), field=name)

    def schema(self) -> dict[str, Any]:
        """This field as JSON Schema: what ``read`` accepts (within the request-wide bounds)."""
        out: dict[str, Any]
        if self.kind == "number":
            out = {"type": ["integer", "null"] if self.nullable else "integer",
                   "minimum": self.lo, "maximum": self.hi}
        elif self.kind == "choice":
            out = {"enum": list(self.values)}
        elif self.kind == "flag":
            out = {"type": "boolean"}
        elif self.kind == "date":
            out = {"type": "string", "format": "date", "description": "not in the future"}
        elif self.kind == "list":
            out = {"type": "array", "items": {"type": "string", "maxLength": self.max_len,
                                              "pattern": self.pattern or NOT_BLANK}}
        else:
            out = {"type": ["string", "null"] if self.nullable else "string",
                   "maxLength": self.max_len, "pattern": self.pattern or PLAIN}
        if self.description:
            out["description"] = self.description
        return out


def object_schema(spec: Mapping[str, Field], *, required: Iterable[str] = (),
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of a request body made of ``spec``'s fields (``extra``: fields checked
    elsewhere, with their schemas); other fields are refused, as the checks refuse them."""
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": {**{name: f.schema() for name, f in spec.items()}, **(extra or {})}}
