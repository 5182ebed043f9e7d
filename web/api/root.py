"""API root, reference lists (areas, taxonomy) and the OpenAPI document."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput
from network import reference

from ..security import PUBLIC, allow
from . import bp
from .openapi import document, error_responses


@bp.get("/")
@allow(PUBLIC)
def root():
    """Entry point: the API's name, version and where its description is."""
    return {"name": "Tasharuk API", "version": "1", "openapi": "/api/v1/openapi.json"}


@bp.get("/openapi.json")
@allow(PUBLIC)
def openapi():
    """The OpenAPI 3 document describing every endpoint, with the reference tables' codes."""
    return jsonify(document(reference.codes(db.session)))


@bp.get("/areas")
@allow(PUBLIC)
def areas():
    """Admin areas, filtered by ``level`` and ``parent`` p-code."""
    level = request.args.get("level")
    if level is not None and level not in {"1", "2", "3", "4"}:
        raise BadInput(_("level must be 1, 2, 3 or 4."), field="level")
    found = reference.admin_areas(db.session, level=int(level) if level is not None else None,
                                  parent=request.args.get("parent"))
    items = [{"pcode": a.pcode, "level": a.level, "parent": a.parent_pcode,
              "name_ar": a.name_ar, "name_en": a.name_en}
             for a in found]
    return {"items": items, "total": len(items)}


@bp.get("/taxonomy")
@allow(PUBLIC)
def taxonomy():
    """Sectors, service types and target groups, in Arabic and English."""
    s = db.session
    return {
        "sectors": [{"code": x.code, "parent": x.parent_code, "name_ar": x.name_ar,
                     "name_en": x.name_en}
                    for x in reference.sectors(s)],
        "service_types": [{"code": x.code, "sector": x.sector_code, "name_ar": x.name_ar,
                           "name_en": x.name_en, "activity_codes": x.activity_codes,
                           "sensitive": x.sensitive}
                          for x in reference.service_types(s)],
        "target_groups": [{"code": x.code, "name_ar": x.name_ar, "name_en": x.name_en}
                          for x in reference.target_groups(s)],
    }


_NAMED = {"type": "object", "properties": {"name_ar": {"type": "string"},
                                           "name_en": {"type": "string"}}}

OPENAPI_PATHS = {
    "/": {"get": {"summary": "API entry point", "operationId": "root",
                  "responses": {"200": {"description": "Name and version",
                                        "content": {"application/json": {"schema": {
                                            "type": "object",
                                            "required": ["name", "version", "openapi"]}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                              "responses": {"200": {"description": "OpenAPI 3 document"}}}},
    "/areas": {"get": {
        "summary": "Admin areas (governorates, districts, sub-districts)",
        "operationId": "listAreas",
        "parameters": [
            {"name": "level", "in": "query", "schema": {"type": "integer", "enum": [1, 2, 3, 4]}},
            {"name": "parent", "in": "query", "schema": {"type": "string"}},
        ],
        "responses": {"200": {"description": "Areas", "content": {"application/json": {
            "schema": {"type": "object", "required": ["items", "total"], "properties": {
                "total": {"type": "integer"},
                "items": {"type": "array", "items": {
                    "type": "object", "required": ["pcode", "level", "name_ar", "name_en"],
                    "properties": {"pcode": {"type": "string"}, "level": {"type": "integer"},
                                   "parent": {"type": ["string", "null"]},
                                   "name_ar": {"type": "string"},
                                   "name_en": {"type": "string"}}}}}}}}},
            **error_responses(400)}}},
    "/taxonomy": {"get": {
        "summary": "Sectors, service types and target groups", "operationId": "taxonomy",
        "responses": {"200": {"description": "The bilingual taxonomy", "content": {
            "application/json": {"schema": {"type": "object", "required": [
                "sectors", "service_types", "target_groups"], "properties": {
                "sectors": {"type": "array", "items": _NAMED},
                "service_types": {"type": "array", "items": _NAMED},
                "target_groups": {"type": "array", "items": _NAMED}}}}}}}}},
}
