"""Organisations: the list (keyword, area), one organisation with its services, profile edits."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data import fields
from data.db import db
from data.errors import BadInput
from network import directory
from network.freshness import overdue
from referral.search import resolve_area

from ..args import MAX_PAGE, MAX_PER_PAGE, int_arg
from ..security import PUBLIC, allow
from . import bp
from .body import json_body
from .openapi import error_responses as _err
from .services import _actor, viewer

LIST_PARAMS = ("q", "pcode", "verified", "page", "per_page")


def _org(org, *, services=None) -> dict:
    out = {"id": org.id, "uuid": str(org.uuid), "name_ar": org.name_ar, "name_en": org.name_en,
           "acronym": org.acronym, "org_type": org.org_type, "hq_pcode": org.hq_pcode,
           "verified": org.verification == "verified", "verification": org.verification,
           "description_ar": org.description_ar, "description_en": org.description_en,
           "email": org.email, "phone": org.phone, "website": org.website}
    if services is not None:
        out["services"] = [{
            "id": s.id, "name_ar": s.name_ar, "name_en": s.name_en,
            "service_type": s.service_type_code, "availability": s.availability,
            "status": s.status, "coverage": sorted(a.pcode for a in s.coverage),
            "last_verified": s.last_verified.isoformat() if s.last_verified else None,
            "stale": overdue(s)} for s in services]
    return out


@bp.get("/organizations")
@allow(PUBLIC)
def list_organizations():
    """Organisations by keyword (Arabic-normalised) and area where they work."""
    unknown = sorted(set(request.args) - set(LIST_PARAMS))
    if unknown:
        raise BadInput(_("Unknown parameter: %(name)s.", name=unknown[0]), field=unknown[0])
    q = (request.args.get("q") or "").strip()[:200] or None
    pcode = request.args.get("pcode")
    pcode = resolve_area(db.session, pcode) if pcode else None
    verified = request.args.get("verified")
    if verified not in (None, "true", "false"):
        raise BadInput(_("verified must be true or false."), field="verified")
    page = int_arg("page", 1, 1, MAX_PAGE)
    per_page = int_arg("per_page", 20, 1, MAX_PER_PAGE)
    orgs, total = directory.list_organizations(
        db.session, q=q, pcode=pcode, verified=None if verified is None else verified == "true",
        page=page, per_page=per_page, viewer=viewer())
    return {"items": [_org(o) for o in orgs], "total": total, "page": page,
            "per_page": per_page}


@bp.get("/organizations/<int:organization_id>")
@allow(PUBLIC)
def get_organization(organization_id: int):
    """One organisation's profile and its services."""
    org = directory.get_organization(db.session, organization_id, viewer())
    return _org(org, services=directory.organization_services(db.session, org.id))


@bp.patch("/organizations/<int:organization_id>")
@allow("org_admin", "platform_admin")
def update_organization(organization_id: int):
    """Change the profile of the caller's own organisation."""
    directory.update_organization(db.session, organization_id, json_body(), viewer(), _actor())
    db.session.commit()
    org = directory.get_organization(db.session, organization_id, viewer())
    return _org(org, services=directory.organization_services(db.session, org.id))


_S = {"type": "string"}
_SN = {"type": ["string", "null"]}
_ORG_PROPS = {
    "id": {"type": "integer"}, "uuid": {"type": "string", "format": "uuid"},
    "name_ar": _S, "name_en": _S, "acronym": _SN, "org_type": _S, "hq_pcode": _SN,
    "verified": {"type": "boolean"}, "verification": _S, "description_ar": _S,
    "description_en": _S, "email": _SN, "phone": _SN, "website": _SN,
}
OPENAPI_SCHEMAS = {
    "Organization": {"type": "object", "required": list(_ORG_PROPS),
                     "additionalProperties": False, "properties": _ORG_PROPS},
    "OrganizationDetail": {
        "type": "object", "required": list(_ORG_PROPS) + ["services"],
        "additionalProperties": False,
        "properties": {**_ORG_PROPS, "services": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "name_ar", "name_en", "service_type", "availability", "status",
                         "coverage", "last_verified", "stale"],
            "properties": {"id": {"type": "integer"}, "name_ar": _S, "name_en": _S,
                           "service_type": _S, "availability": _S, "status": _S,
                           "coverage": {"type": "array", "items": _S},
                           "last_verified": {"type": ["string", "null"], "format": "date"},
                           "stale": {"type": "boolean"}}}}},
    },
    "OrganizationInput": fields.object_schema(directory.ORG_INPUT, extra={
        "hq_pcode": {"anyOf": [{"$ref": "#/components/schemas/PCode"}, {"type": "null"}]}}),
}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


OPENAPI_PATHS = {
    "/organizations": {"get": {
        "summary": "Organisations", "operationId": "listOrganizations",
        "parameters": [
            {"name": "q", "in": "query", "schema": _S},
            {"name": "pcode", "in": "query", "schema": _S,
             "description": "present in this area (coverage, sites or head office)"},
            {"name": "verified", "in": "query", "schema": {"enum": ["true", "false"]}},
            {"name": "page", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
            {"name": "per_page", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                        "default": 20}},
        ],
        "responses": {"200": {"description": "One page of organisations", "content": _json({
            "type": "object", "required": ["items", "total", "page", "per_page"],
            "properties": {"items": {"type": "array", "items": {
                "$ref": "#/components/schemas/Organization"}},
                "total": {"type": "integer"}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}}})},
            **_err(400)}}},
    "/organizations/{organization_id}": {
        "parameters": [{"name": "organization_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "get": {"summary": "One organisation and its services",
                "operationId": "getOrganization",
                "responses": {"200": {"description": "The organisation", "content": _json(
                    {"$ref": "#/components/schemas/OrganizationDetail"})}, **_err(404)}},
        "patch": {"summary": "Change the caller's organisation's profile",
                  "operationId": "updateOrganization",
                  "security": [{"bearer": []}, {"session": []}],
                  "requestBody": {"required": True, "content": _json(
                      {"$ref": "#/components/schemas/OrganizationInput"})},
                  "responses": {"200": {"description": "The changed organisation",
                                        "content": _json({"$ref": "#/components/schemas/"
                                                                  "OrganizationDetail"})},
                                **_err(400, 401, 403, 404)}},
    },
}
