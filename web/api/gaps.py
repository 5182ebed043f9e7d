"""GET /api/v1/gaps: the ranked gap table with the dashboard's filters, as JSON or CSV."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput
from data.io.downloads import gap_cache_folder

from ..lazy import lazy_module
from ..security import allow
from . import bp
from .openapi import error_responses

GAP_ROLES = ("planner", "platform_admin", "org_admin")

uc = lazy_module("planning.gaps")  # pandas, folium: loaded by the first request
cache = lazy_module("planning.gapcache")  # the tables of the last nightly run


@bp.get("/gaps")
@allow(*GAP_ROLES)
def gaps():
    """Coverage gaps per area for a sector or service type, target group, level and period."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadInput(_("format must be json or csv."), field="format")
    selection = uc.parse_selection(request.args)
    table = cache.cached_table(db.read_session, gap_cache_folder(current_app.config),
                               selection)
    if fmt == "csv":
        return Response(uc.table_csv(table, "en"), mimetype="text/csv")
    return {"level": selection.level, "sector": selection.sector,
            "service": selection.service_type, "group": selection.group,
            "period": selection.period, "total": len(table), "items": uc.table_records(table)}


_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_INT = {"type": "integer"}
_STR_OR_NULL = {"type": ["string", "null"]}

OPENAPI_SCHEMAS = {"GapRow": {
    "type": "object",
    "required": ["rank", "pcode", "level", "name_ar", "name_en", "organizations", "services",
                 "capacity", "reached", "people_in_need", "severity", "declined_referrals",
                 "unmet_searches", "served", "coverage", "uncovered", "gap_score",
                 "need_without_presence", "present_nobody_reached"],
    "properties": {
        "rank": _INT, "pcode": {"type": "string"}, "level": _INT,
        "parent_pcode": _STR_OR_NULL, "name_ar": {"type": "string"},
        "name_en": {"type": "string"}, "organizations": _INT, "services": _INT,
        "capacity": _NUM, "reached": _NUM, "people_in_need": _NUM_OR_NULL,
        "severity": _NUM_OR_NULL, "declined_referrals": _INT, "unmet_searches": _INT,
        "served": _NUM, "coverage": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "uncovered": _NUM_OR_NULL,
        "gap_score": {"type": "number", "minimum": 0, "maximum": 100},
        "need_without_presence": {"type": "boolean"}, "present_nobody_reached": _INT},
}}

OPENAPI_PATHS = {"/gaps": {"get": {
    "summary": "Coverage gaps: needs x presence x capacity x failed referrals, per area",
    "description": "gap_score = 100 x severity/5 x (0.8 x (1 - coverage) + 0.2 x F/(F+5)), "
                   "F = declined referrals + unmet searches; areas with need and no "
                   "organisation present rank first. Roles: planner, platform_admin, "
                   "org_admin.",
    "operationId": "listGaps",
    "parameters": [
        {"name": "level", "in": "query", "schema": {"type": "integer", "enum": [1, 2, 3]}},
        {"name": "sector", "in": "query", "schema": {"type": "string"}},
        {"name": "service", "in": "query", "schema": {"type": "string"},
         "description": "A service type code (not together with sector)."},
        {"name": "group", "in": "query", "schema": {"type": "string"}},
        {"name": "period", "in": "query",
         "schema": {"type": "string", "pattern": "^\\d{4}(-\\d{2})?$"}},
        {"name": "format", "in": "query", "schema": {"type": "string",
                                                     "enum": ["json", "csv"]}},
    ],
    "responses": {
        "200": {"description": "The ranked gap table", "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["level", "total", "items"],
                "properties": {"level": _INT, "sector": _STR_OR_NULL,
                               "service": _STR_OR_NULL, "group": _STR_OR_NULL,
                               "period": _STR_OR_NULL, "total": _INT,
                               "items": {"type": "array",
                                         "items": {"$ref": "#/components/schemas/GapRow"}}}}},
            "text/csv": {"schema": {"type": "string"}}}},
        **error_responses(400, 401, 403)},
}}}
