"""The JSON body of an API request: one check, one message, for every resource."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data.errors import BadInput

__all__ = ["json_body"]


def json_body() -> dict:
    """The JSON object sent, or BadInput on field ``body`` when it is missing or not an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput(_("The request body must be a JSON object."), field="body")
    return data
