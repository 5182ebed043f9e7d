"""The app's JSON: Flask's provider, serialised by orjson.

An API search answers 20 results (~50 KB): the standard library took ~0.3 ms to write them,
orjson ~0.02 ms; and it writes UTF-8 rather than ``\\uXXXX`` escapes, so Arabic text takes a
third of the bytes on a slow connection. What orjson does not know, and dates (kept in the
form Flask writes them), go through Flask's own ``default``, so the output is what it was.
A response's body is orjson's bytes as they come (no text round trip), and keys that are not
text (integers) take orjson's slower option only when a value holds some.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

__all__ = ["OrjsonProvider"]

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonProvider(DefaultJSONProvider):
    """``app.json``: orjson for ``dumps`` (compact, or indented by 2 as Flask's debug responses
    are) and ``loads``; the standard library when a caller passes other ``json.dumps``
    options of its own."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        indent = kwargs.pop("indent", None)
        if kwargs.get("separators") in ((",", ":"), None):  # what responses ask for
            kwargs.pop("separators", None)
        if kwargs or indent not in (None, 2):
            return super().dumps(obj, indent=indent, **kwargs)
        if indent:
            option |= orjson.OPT_INDENT_2
        return _dumps(obj, option).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Flask's ``response()`` (compact, or indented by 2 in debug), written as bytes."""
        obj = self._prepare_response_obj(args, kwargs)
        option = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        if (self.compact is None and self._app.debug) or self.compact is False:
            option |= orjson.OPT_INDENT_2
        return self._app.response_class(_dumps(obj, option) + b"\n", mimetype=self.mimetype)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return super().loads(s, **kwargs) if kwargs else orjson.loads(s)


def _dumps(obj: Any, option: int) -> bytes:
    """orjson's bytes; keys that are not text (integers) written as text, as Flask does, by
    orjson's slower option, asked for only when the fast way refuses them (~0.03 ms of a
    search's 35 KB answer)."""
    try:
        return orjson.dumps(obj, default=_default, option=option)
    except orjson.JSONEncodeError:
        return orjson.dumps(obj, default=_default, option=option | orjson.OPT_NON_STR_KEYS)


def _default(obj: Any) -> Any:
    """Flask's conversions (dates as HTTP dates, decimals, dataclasses, ``__html__``), then
    numpy scalars as Python numbers."""
    try:
        return DefaultJSONProvider.default(obj)
    except TypeError:
        item = getattr(obj, "item", None)
        if callable(item):
            return item()
        raise
