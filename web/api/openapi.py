"""The OpenAPI 3 document, merged from each resource module's ``OPENAPI_PATHS``."""

from __future__ import annotations

import copy
from typing import Any

from data import fields
from referral.search import PCODE

from ..args import MAX_ID

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "details": {}},
    }},
}


def error_responses(*statuses: int) -> dict[str, Any]:
    """Response objects for error statuses, all in the one JSON error envelope."""
    return {str(s): {"description": "Error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}} for s in statuses}


METHODS = ("get", "put", "post", "patch", "delete")


def _bounded(paths: dict[str, Any]) -> dict[str, Any]:
    """The bounds every endpoint shares (web/bounds.py, web/errors.py), stated once: a path id
    is 1..2^31-1 (beyond: 404); any request may be a 400 (control characters, numbers past
    2^31-1) or a 503 (database unreachable, with Retry-After)."""
    paths = copy.deepcopy(paths)
    for item in paths.values():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = shared + op.get("parameters", [])
            for param in params:
                schema = param.get("schema", {})
                if param.get("in") == "path" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 1)
                    schema.setdefault("maximum", MAX_ID)
            extra = [400, 503] + ([404] if any(p.get("in") == "path" for p in params) else [])
            responses = op.setdefault("responses", {})
            for status, response in error_responses(*extra).items():
                responses.setdefault(status, response)
    return paths


# Codes the server checks against its reference tables: listed when the document is served
# (``codes`` from the database), plain strings otherwise.
CODES = {"ServiceTypeCode": "service_types", "TargetGroupCode": "target_groups",
         "SectorCode": "sectors", "ForumCategoryId": "forum_categories",
         "FocalAreaCode": "focal_areas"}


def _input_bounds(schema: Any) -> None:
    """State the request-wide bounds (web/bounds.py) in an input schema, in place: strings
    without control characters, numbers within PostgreSQL's ``integer``."""
    if isinstance(schema, list):
        for item in schema:
            _input_bounds(item)
        return
    if not isinstance(schema, dict):
        return
    kinds = schema.get("type")
    kinds = set(kinds if isinstance(kinds, list) else [kinds])
    if "string" in kinds and not {"pattern", "enum", "format"} & set(schema):
        schema["pattern"] = fields.PLAIN
    if kinds & {"integer", "number"}:
        schema.setdefault("minimum", -MAX_ID)
        schema.setdefault("maximum", MAX_ID)
    if "object" in kinds or "properties" in schema:
        # fields the view ignores still pass the request-wide check: plain keys, plain values
        schema.setdefault("additionalProperties", {"anyOf": [
            {"type": "string", "pattern": fields.PLAIN}, {"type": "boolean"}, {"type": "null"},
            {"type": "number", "minimum": -MAX_ID, "maximum": MAX_ID}]})
        schema.setdefault("propertyNames", {"pattern": "^[^\\x00-\\x1f\\x7f]*$"})
    for key in ("properties", "items", "anyOf", "oneOf", "allOf"):
        value = schema.get(key)
        if key == "properties" and isinstance(value, dict):
            for sub in value.values():
                _input_bounds(sub)
        elif isinstance(value, dict | list):
            _input_bounds(value)


def _inputs(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Bound every query/path parameter and request body, and the schemas they refer to."""
    refs: set[str] = set()
    for item in paths.values():
        for param in item.get("parameters", []):
            _input_bounds(param.get("schema"))
        for method in METHODS:
            op = item.get(method) or {}
            for param in op.get("parameters", []):
                _input_bounds(param.get("schema"))
            for media in op.get("requestBody", {}).get("content", {}).values():
                _input_bounds(media.get("schema"))
                refs |= set(_refs(media.get("schema")))
    while refs:
        name = refs.pop()
        _input_bounds(schemas.get(name))
        refs |= set(_refs(schemas.get(name))) - {name}


def _refs(schema: Any) -> list[str]:
    """Names of the component schemas ``schema`` refers to, at any depth."""
    if isinstance(schema, dict):
        found = [schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else []
        return found + [r for v in schema.values() for r in _refs(v)]
    if isinstance(schema, list):
        return [r for v in schema for r in _refs(v)]
    return []


def document(codes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The whole document: every resource module's paths under /api/v1; ``codes`` (service
    types, target groups, p-codes from the reference tables) become the code schemas' enums."""
    from . import RESOURCES

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for name, key in CODES.items():
        kind = "integer" if name.endswith("Id") else "string"
        schemas[name] = {"enum": sorted(codes[key])} if codes and codes.get(key) \
            else {"type": kind}
    # p-codes by their form (hundreds of areas would make the document heavy)
    schemas["PCode"] = {"type": "string", "pattern": f"^{PCODE}$",
                        "description": "an OCHA p-code of a loaded admin area"}
    for module in RESOURCES:
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(copy.deepcopy(getattr(module, "OPENAPI_SCHEMAS", {})))
    paths = _bounded(paths)
    _inputs(paths, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tasharuk API", "version": "1",
                 "description": "Service mapping and referral matching for NGOs. "
                                "Errors: {\"error\": {\"code\", \"message\", \"details\"}}."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie",
                                            "name": "session"}},
        },
    }
