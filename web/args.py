"""Whole numbers from the query string, read one way for the whole site.

The JSON API is strict: a value that is not a number, or is out of range, is a 400 whose
``details.field`` names the parameter and whose message is in the caller's language. An empty
value counts as not given, as for the API's other filters.

HTML pages are tolerant: a page number that is missing or unusable shows the first page, since
a person who edits the address bar should get a page rather than an error.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data.errors import BadInput

MAX_PAGE = 1000
MAX_PER_PAGE = 100
MAX_ID = 2**31 - 1  # the largest key of a PostgreSQL integer column
# HTML lists (the audit log among them) may run past the API's MAX_PAGE; this ceiling only
# keeps page * page size far inside PostgreSQL's integers.
MAX_HTML_PAGE = 10**6


def int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    """``request.args[name]`` as an int in ``lo..hi``; ``default`` when absent or empty.

    Raises BadInput naming ``name`` when the value is not a whole number or out of range.
    """
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(_("%(field)s must be a number.", field=name), field=name) from None
    if not lo <= value <= hi:
        raise BadInput(_("%(field)s must be between %(lo)s and %(hi)s.", field=name, lo=lo,
                         hi=hi), field=name)
    return value


def page_arg(name: str = "page") -> int:
    """The page number of an HTML list: 1 when missing, not a number or out of range."""
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return 1
    return value if 1 <= value <= MAX_HTML_PAGE else 1
