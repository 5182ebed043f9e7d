"""The OpenAPI 3 document, merged from each resource module's ``OPENAPI_PATHS``."""

from __future__ import annotations

import copy
from typing import Any

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


def document() -> dict[str, Any]:
    """The whole document: every resource module's paths under /api/v1."""
    from . import RESOURCES

    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for module in RESOURCES:
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    paths = _bounded(paths)
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
