"""The change feed for partner systems (issue 22): what changed in the directory since a
cursor, in order and resumable."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput
from network.changes import changes

from ..args import int_arg
from ..security import PUBLIC, allow
from . import bp
from .openapi import error_responses


@bp.get("/changes")
@allow(PUBLIC)
def list_changes():
    """Created, updated and withdrawn organisations, services and locations after ``since``."""
    unknown = sorted(set(request.args) - {"since", "limit"})
    if unknown:
        raise BadInput(_("Unknown parameter: %(name)s.", name=unknown[0]), field=unknown[0])
    limit = int_arg("limit", 100, 1, 1000) or 100
    return changes(db.session, request.args.get("since"), limit)


_CHANGE = {
    "type": "object", "additionalProperties": False,
    "required": ["cursor", "at", "entity", "id", "uuid", "action"],
    "properties": {
        "cursor": {"type": "string", "description": "resume after this change"},
        "at": {"type": "string", "format": "date-time"},
        "entity": {"enum": ["organization", "service", "location"],
                   "description": "location: a service's site"},
        "id": {"type": "integer"}, "uuid": {"type": ["string", "null"], "format": "uuid"},
        "action": {"enum": ["created", "updated", "withdrawn"],
                   "description": "withdrawn: deleted, no longer verified, or no longer "
                                  "active"},
    },
}
OPENAPI_SCHEMAS = {"Change": _CHANGE}
OPENAPI_PATHS = {
    "/changes": {"get": {
        "summary": "Changes to organisations, services and locations since a cursor",
        "operationId": "listChanges",
        "description": "In commit order; follow `next_cursor` while `has_more`. A malformed "
                       "cursor, or one older than the log keeps (90 days), is a 400 whose "
                       "`details.oldest_cursor` is where to start again.",
        "parameters": [
            {"name": "since", "in": "query", "schema": {"type": "string"},
             "description": "a cursor from an earlier answer (none: from the oldest kept)"},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
        "responses": {"200": {"description": "One page of changes", "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["items", "next_cursor", "has_more"],
                "properties": {"items": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/Change"}},
                               "next_cursor": {"type": "string"},
                               "has_more": {"type": "boolean"}}}}}},
            **error_responses(400)}}},
}
