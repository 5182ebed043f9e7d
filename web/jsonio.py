"""The app's JSON: Flask's provider, serialised by orjson.

An API search answers 20 results (~50 KB): the standard library took ~0.3 ms to write them,
orjson ~0.02 ms; and it writes UTF-8 rather than ``\\uXXXX`` escapes, so Arabic text takes a
third of the bytes on a slow connection. What orjson does not know, and dates (kept in the
form Flask writes them), go through Flask's own ``default``, so the output is what it was.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

__all__ = ["OrjsonProvider"]

_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_NON_STR_KEYS)


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
        return orjson.dumps(obj, default=_default, option=option).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return super().loads(s, **kwargs) if kwargs else orjson.loads(s)


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
