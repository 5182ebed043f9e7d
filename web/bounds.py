"""Input bounds checked once for the whole site, before any view or database sees the request.

* Ids in URLs: every ``<int:...>`` of every route is an ``IdConverter``; a value past
  2^31-1 (PostgreSQL's ``integer``) is a 404 like any other missing object, for every method,
  instead of a database error.
* Control characters: NUL (which PostgreSQL cannot store in text) and the other C0 controls
  in the path, a query parameter, a form field or a JSON string are a 400 naming the field.
  Tab, line feed and carriage return are allowed inside values (text areas send them), never
  in the path or in a parameter's name. Strings that are not valid Unicode (lone surrogates
  from ``\\ud800`` in JSON) are refused the same way, and so is a JSON whole number that no
  column of ours can hold (past 2^31-1).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from data.errors import BadInput, NotFound
from data.fields import CONTROL

from .args import MAX_ID

__all__ = ["IdConverter", "check_ids", "check_request", "first_problem", "init_app"]

# Every C0 control and DEL; values may keep \t \n \r.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VALUE_CONTROL = re.compile(f"[{CONTROL}]")  # the same class the OpenAPI document states
_MAX_DEPTH = 64


class IdConverter(IntegerConverter):
    """``<int:...>`` for keys of PostgreSQL ``integer`` columns: the route matches any whole
    number, and ``check_ids`` answers 404 past 2^31-1 (refusing inside the converter would make
    werkzeug answer 405 for the route's other methods)."""

    max_value = MAX_ID


def check_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """url_value_preprocessor: an id no ``integer`` column can hold is a missing object.

    Every whole number among a route's values came through ``<int:...>``, which is
    ``IdConverter`` for the whole site (``init_app``), so the values are enough: werkzeug's
    own record of a rule's converters is not a public attribute."""
    for name, value in (values or {}).items():
        if type(value) is int and not 0 <= value <= IdConverter.max_value:
            raise NotFound(_("No such %(what)s.", what=name))


def _bad_text(value: str, pattern: re.Pattern) -> bool:
    if pattern.search(value):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


Problem = tuple[str, str, str]  # (where: path|query|form|body, field, "control"|"range")


def _json_problem(value: Any, where: str, depth: int = 0) -> tuple[str, str] | None:
    """(field, problem) of the first bad value in a JSON document, or None: a string with a
    control character, or a number outside PostgreSQL's ``integer`` (no number field of the
    API goes further: ids, ages, capacities, years, coordinates)."""
    field = where or "body"
    if depth > _MAX_DEPTH:
        return field, "control"
    if isinstance(value, str):
        return (field, "control") if _bad_text(value, _VALUE_CONTROL) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # orjson reads integers past 64 bits as floats: bound both
        return None if -MAX_ID <= value <= MAX_ID else (field, "range")
    if isinstance(value, dict):
        for key, item in value.items():
            if _bad_text(str(key), _ANY_CONTROL):
                return field, "control"
            found = _json_problem(item, f"{where}.{key}" if where else str(key), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_problem(item, f"{where}[{i}]" if where else f"[{i}]", depth + 1)
            if found:
                return found
    return None


def _multidict_field(pairs) -> str | None:
    for key, value in pairs:
        if _bad_text(key, _ANY_CONTROL):
            return "".join(ch for ch in key if not _ANY_CONTROL.match(ch)) or "?"
        if isinstance(value, str) and _bad_text(value, _VALUE_CONTROL):
            return key
    return None


def first_problem() -> Problem | None:
    """The first out-of-bounds input of this request, or None."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    if _bad_text(req.path, _ANY_CONTROL):
        return "path", "path", "control"
    field = _multidict_field(req.args.items(multi=True))
    if field:
        return "query", field, "control"
    if not req.environ.get("CONTENT_TYPE"):  # no body to read: neither a form nor JSON
        return None
    if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        field = _multidict_field(req.form.items(multi=True))
        if field:
            return "form", field, "control"
        for key, upload in req.files.items(multi=True):
            if _bad_text(key, _ANY_CONTROL) or _bad_text(upload.filename or "", _ANY_CONTROL):
                return "form", key, "control"
    if req.is_json:
        body = req.get_json(silent=True)
        found = _json_problem(body, "") if body is not None else None
        if found:
            return "body", *found
    return None


def check_request() -> None:
    """before_request: refuse control characters anywhere a user can put text, and JSON
    numbers no column can hold (400 naming the field)."""
    found = first_problem()
    if found is None:
        return
    where, field, problem = found
    if problem == "range":
        raise BadInput(_("%(field)s must be between %(lo)s and %(hi)s.", field=field,
                         lo=-MAX_ID, hi=MAX_ID), field=field, details={"in": where})
    raise BadInput(_("%(field)s contains a control character (such as NUL), which is not "
                     "allowed.", field=field), field=field, details={"in": where})


def init_app(app: Flask) -> None:
    """Bounded ids for every route (before blueprints register), and the request check first."""
    app.url_map.converters["int"] = IdConverter
    app.url_value_preprocessor(check_ids)
    app.before_request(check_request)
