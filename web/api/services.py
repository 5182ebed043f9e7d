"""Services: provider search, one service, and writes by the organisation's admins."""

from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from data import fields
from data.db import autocommit_reads, db
from data.errors import BadInput
from data.models import REFERRAL_METHODS, REVIEW_CADENCES
from network import directory
from referral.search import (
    PARAMS,
    SYRIA_BBOX,
    SearchQuery,
    SearchResult,
    Viewer,
    parse_query,
    record_unmet,
    search,
)

from ..security import PUBLIC, allow, caller, is_platform_admin, organization_id, principal, role
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses


def viewer() -> Viewer:
    """The caller as the use cases see it (role and organisation, or the public)."""
    return Viewer(role=role(), organization_id=organization_id())


def search_noting_unmet(s: Session, qy: SearchQuery) -> SearchResult:
    """Run ``qy`` on the read session ``s`` for the caller; a search that finds nothing leaves
    its anonymous unmet-need record on the primary, committed without a read-your-writes
    cookie (nobody reads it back). The API's search and the directory page's."""
    result = search(s, qy, viewer())
    if not result.total:
        record_unmet(db.session, qy)
        db.commit_unread()
    return result


def _actor():
    """Who acts, for the audit log: the session user or the API-token principal."""
    who = principal()
    return who if getattr(who, "is_authenticated", False) else None


@bp.get("/services")
@allow(PUBLIC)
def list_services():
    """Search services by need, place, profile and keyword; ranked, with reasons."""
    s = db.read_session  # a replica's when configured: a little lag is fine for a search
    autocommit_reads(s)  # read-only: no BEGIN/ROLLBACK round trips
    result = search_noting_unmet(s, parse_query(s, request.args))
    pages = (result.total + result.per_page - 1) // result.per_page
    return {"items": result.items, "total": result.total, "page": result.page,
            "per_page": result.per_page, "total_pages": pages, "area": result.area}


@bp.get("/services/<int:service_id>")
@allow(PUBLIC)
def get_service(service_id: int):
    """One service with its sites (sensitive addresses hidden from the public); a sensitive
    service routed through focal points shows a non-specialist only how to request it."""
    from referral.access import routes_through_focal_point

    s = db.read_session
    svc = directory.get_service(s, service_id, viewer())
    detail = directory.service_view(s, svc, viewer())
    if routes_through_focal_point(s, svc, caller()):
        detail = _through_focal_point(detail)
    return detail


def _through_focal_point(detail: dict) -> dict:
    """``detail`` as a non-specialist may see a service routed through focal points (issue
    23): no places, hours, contact or narrative; its name, organisation and type stay, and
    ``referral_method`` "focal_point" says to ask through ``POST /focal-requests``."""
    return detail | {"description_ar": "", "description_en": "", "sites": [], "hours": [],
                     "referral_contact": "", "referral_method": "focal_point",
                     **dict.fromkeys(_PATHWAY, "")}


@bp.post("/services")
@allow("org_admin", "platform_admin")
def create_service():
    """Add a service to the caller's organisation (platform admins name ``organization_id``)."""
    data = json_body()
    org_id = data.pop("organization_id", None) if is_platform_admin() else None
    if org_id is None:
        data.pop("organization_id", None)
        org_id = organization_id()
    if not isinstance(org_id, int):
        raise BadInput(_("organization_id must be an organisation's id."),
                       field="organization_id")
    [service_id] = created_once("service", {"organization": org_id, **data}, lambda: [
        directory.create_service(db.session, org_id, data, viewer(), _actor()).id])
    db.session.commit()
    detail = directory.service_view(
        db.session, directory.get_service(db.session, service_id, viewer()), viewer())
    return detail, 201, {"Location": url_for("api.get_service", service_id=service_id)}


@bp.patch("/services/<int:service_id>")
@allow("org_admin", "platform_admin")
def update_service(service_id: int):
    """Change a service of the caller's organisation (only the fields sent)."""
    directory.update_service(db.session, service_id, json_body(), viewer(), _actor())
    db.session.commit()
    svc = directory.get_service(db.session, service_id, viewer())
    return directory.service_view(db.session, svc, viewer())


# ------------------------------------------------------------------ OpenAPI

_STR_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}
_NUM_OR_NULL = {"type": ["number", "null"]}
_LIST = {"type": "array", "items": {"type": "string"}}
_REASON = {"type": "object", "required": ["code", "ar", "en"],
           "properties": {"code": {"type": "string"}, "ar": {"type": "string"},
                          "en": {"type": "string"}}}
_ORG_REF = {"type": "object", "required": ["id", "name_ar", "name_en", "verified"],
            "properties": {"id": {"type": "integer"}, "name_ar": {"type": "string"},
                           "name_en": {"type": "string"}, "acronym": _STR_OR_NULL,
                           "verified": {"type": "boolean"}}}
_TYPE_REF = {"type": "object", "required": ["code", "name_ar", "name_en", "sector"],
             "properties": {"code": {"type": "string"}, "name_ar": {"type": "string"},
                            "name_en": {"type": "string"}, "sector": {"type": "string"}}}
_ELIGIBILITY = {"type": "object",
                "required": ["min_age", "max_age", "sex", "target_groups",
                             "documents_required", "nationalities"],
                "properties": {"min_age": _INT_OR_NULL, "max_age": _INT_OR_NULL,
                               "sex": {"enum": ["any", "female", "male"]},
                               "target_groups": _LIST, "documents_required": _LIST,
                               "nationalities": _LIST}}
_SITE = {"type": "object", "required": ["lon", "lat", "address_ar", "address_en",
                                        "admin3_pcode", "hidden"],
         "description": "lon, lat and address are null when hidden (sensitive service, "
                        "caller not allowed to see it).",
         "properties": {"id": {"type": "integer"}, "name_ar": {"type": "string"},
                        "name_en": {"type": "string"}, "lon": _NUM_OR_NULL,
                        "lat": _NUM_OR_NULL, "address_ar": _STR_OR_NULL,
                        "address_en": _STR_OR_NULL, "admin3_pcode": _STR_OR_NULL,
                        "hidden": {"type": "boolean"},
                        "confidential": {"type": "boolean", "description":
                                         "a shelter or safe space: the point and address "
                                         "are its front gate, never the place itself"},
                        "front_gate": {"enum": ["meeting_point", "subdistrict", None]}}}
_COMMON = {
    "id": {"type": "integer"}, "uuid": {"type": "string", "format": "uuid"},
    "name_ar": {"type": "string"}, "name_en": {"type": "string"},
    "organization": _ORG_REF, "service_type": _TYPE_REF, "eligibility": _ELIGIBILITY,
    "availability": {"enum": ["open", "waitlist", "full"]},
    "capacity_per_month": _INT_OR_NULL, "languages": _LIST,
    "modality": {"enum": ["static", "mobile", "remote"]},
    "cost": {"enum": ["free", "subsidised", "paid"]},
    "referral_method": {"enum": list(REFERRAL_METHODS),
                        "description": "how to refer: through Tasharuk, an inter-agency form, "
                                       "e-mail, phone, walk-in, a focal point, or not needed"},
    "last_verified": {"type": ["string", "null"], "format": "date"},
    "stale": {"type": "boolean"}, "sensitive": {"type": "boolean"},
}

_PATHWAY = {
    "what_to_bring_ar": "what the person must bring (Arabic)",
    "what_to_bring_en": "what the person must bring (English)",
    "next_step_ar": "what happens after the referral, as the person can expect it (Arabic)",
    "next_step_en": "what happens after the referral, as the person can expect it (English)",
}

_MEASURED = {
    "type": "object", "additionalProperties": False,
    "required": ["period_days", "referrals", "shown", "median_response_hours",
                 "declined_share", "top_decline_reason"],
    "description": "What the service achieves, measured from its referrals answered "
                   "(accepted or declined) in the last `period_days` days; the figures are "
                   "null (`shown` false) below a minimum count, rather than misleading.",
    "properties": {
        "period_days": {"type": "integer"},
        "referrals": {"type": "integer", "minimum": 0, "description": "answered referrals"},
        "shown": {"type": "boolean"},
        "median_response_hours": {"type": ["number", "null"], "minimum": 0},
        "declined_share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "top_decline_reason": {"type": ["string", "null"],
                               "description": "the most frequent coded decline reason"},
    },
}

_FRESHNESS = {
    "type": "object", "additionalProperties": False,
    "required": ["state", "review_every_days", "review_due_on", "review_requested"],
    "description": "fresh while reviewed within its cadence; due up to a quarter of the "
                   "cadence later (at least 7 days) or while a review is asked for; then "
                   "overdue (down-ranked in search, as `stale`)",
    "properties": {
        "state": {"enum": ["fresh", "due", "overdue"]},
        "review_every_days": {"enum": list(REVIEW_CADENCES)},
        "review_due_on": {"type": ["string", "null"], "format": "date"},
        "review_requested": {"type": ["string", "null"],
                             "description": "why the referral loop or its organisation "
                                            "asked for a review, while it waits"},
    },
}

_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_FEEDBACK = {
    "type": "object", "additionalProperties": False,
    "required": ["responses", "shown", "provided_share", "respectful_share", "timely_share"],
    "description": "what the people served said (with a code from their caseworker): the "
                   "shares answering yes, to the organisation's admins always, to others from "
                   "5 answers (null otherwise)",
    "properties": {"responses": {"type": "integer", "minimum": 0},
                   "shown": {"type": "boolean"}, "provided_share": _SHARE,
                   "respectful_share": _SHARE, "timely_share": _SHARE},
}

_REFERRAL_STATS = {
    "type": "object", "required": ["acceptance_rate", "median_response_hours", "referrals"],
    "additionalProperties": False,
    "description": "The providing organisation's referral record, as of the last "
                   "`tasharuk directory refresh-ranking` (nulls: no history yet).",
    "properties": {
        "acceptance_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                            "description": "accepted / answered referrals"},
        "median_response_hours": {"type": ["number", "null"], "minimum": 0},
        "referrals": {"type": "integer", "minimum": 0,
                      "description": "decided referrals behind the acceptance model's term"},
    },
}

# clean_service: a service keeps a name in Arabic or English (a change that sends names
# leaves one that is not blank)
_NAMED = [{"required": [name], "properties": {name: {"type": "string",
                                                     "pattern": fields.NOT_BLANK}}}
          for name in ("name_ar", "name_en")]
_NAMED_IF_SENT = [{"properties": {"name_ar": False, "name_en": False}}, *_NAMED]


def _service_input(*, creating: bool = False) -> dict:
    """ServiceInput (a change) or NewService (``creating``): the fields clean_service reads,
    from its own declarations (network.directory.SERVICE_INPUT), and those it checks against
    the database or in structures, whose codes the document lists (web.api.openapi.CODES).
    Only a new service may name ``organization_id`` (a change refuses it as unknown)."""
    lon_min, lat_min, lon_max, lat_max = SYRIA_BBOX
    time = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
    creator = {"organization_id": {"type": "integer", "minimum": 1,
                                   "description": "platform admins only"}} if creating else {}
    schema = fields.object_schema(directory.SERVICE_INPUT, extra={
        **creator,
        "service_type_code": {"$ref": "#/components/schemas/ServiceTypeCode"},
        "review_every_days": {"enum": list(REVIEW_CADENCES),
                              "description": "how often the listing is reviewed, in days"},
        "target_groups": {"type": "array",
                          "items": {"$ref": "#/components/schemas/TargetGroupCode"}},
        "coverage": {"type": "array", "items": {"$ref": "#/components/schemas/PCode"},
                     "description": "p-codes (or names) of governorates, districts, "
                                    "sub-districts"},
        "sites": {"type": "array", "items": {
            "type": "object", "required": ["lon", "lat"], "additionalProperties": False,
            "description": "a point inside Syria's boundaries",
            "properties": {"lon": {"type": "number", "minimum": lon_min, "maximum": lon_max},
                           "lat": {"type": "number", "minimum": lat_min, "maximum": lat_max},
                           **{k: {"type": "string", "maxLength": 500,
                                  "pattern": fields.PLAIN}
                              for k in ("name_ar", "name_en", "address_ar", "address_en")},
                           "admin3_pcode": {"$ref": "#/components/schemas/PCode"},
                           "confidential": {"type": "boolean"},
                           "front_gate": {
                               "description": "required when confidential: "
                               "\"subdistrict\" (its centre) or a meeting point",
                               "oneOf": [{"enum": ["subdistrict"]}, {
                                   "type": "object", "required": ["lon", "lat"],
                                   "properties": {
                                       "lon": {"type": "number", "minimum": lon_min,
                                               "maximum": lon_max},
                                       "lat": {"type": "number", "minimum": lat_min,
                                               "maximum": lat_max},
                                       "address_ar": {"type": "string"},
                                       "address_en": {"type": "string"}}}]}}}},
        "hours": {"type": "array", "description": "periods of one day do not overlap",
                  "items": {"type": "object", "required": ["weekday", "opens", "closes"],
                            "additionalProperties": False,
                            "properties": {"weekday": {"type": "integer", "minimum": 1,
                                                       "maximum": 7},
                                           "opens": time, "closes": time}}},
    })
    schema["anyOf"] = _NAMED if creating else _NAMED_IF_SENT
    if creating:
        schema["required"] = ["service_type_code"]
    return schema


OPENAPI_SCHEMAS = {
    "ServiceHit": {
        "type": "object",
        "required": list(_COMMON) + ["distance_m", "area_distance_m", "score", "reasons",
                                     "site", "referral_stats", "response_days", "measured"],
        "additionalProperties": False,
        "properties": {
            **_COMMON,
            "distance_m": {"type": ["number", "null"], "minimum": 0,
                           "description": "Metres to the nearest site (rounded up to the "
                                          "kilometre when the site is hidden)."},
            "area_distance_m": {"type": ["number", "null"], "minimum": 0,
                                "description": "Searched by place: metres from the place's "
                                               "centre to the service's nearest site (rounded "
                                               "up likewise); null for a point search or a "
                                               "service without a site."},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "reasons": {"type": "array", "items": _REASON},
            "site": {"oneOf": [{"type": "null"}, _SITE]},
            "referral_stats": _REFERRAL_STATS,
            "response_days": {"type": "integer", "minimum": 1,
                              "description": "the response time the service promises, in days"},
            "measured": _MEASURED,
        },
    },
    "Service": {
        "type": "object",
        "required": list(_COMMON) + ["description_ar", "description_en", "coverage", "sites",
                                     "hours", "status", "referral_contact", "response_days",
                                     "measured", "freshness", "feedback", *_PATHWAY],
        "additionalProperties": False,
        "properties": {
            **_COMMON,
            "description_ar": {"type": "string"}, "description_en": {"type": "string"},
            "coverage": {"type": "array", "items": {
                "type": "object", "required": ["pcode", "level", "name_ar", "name_en"],
                "properties": {"pcode": {"type": "string"}, "level": {"type": "integer"},
                               "name_ar": {"type": "string"}, "name_en": {"type": "string"}}}},
            "sites": {"type": "array", "items": _SITE},
            "hours": {"type": "array", "items": {
                "type": "object", "required": ["weekday", "opens", "closes"],
                "properties": {"weekday": {"type": "integer", "minimum": 1, "maximum": 7,
                                           "description": "ISO: 5 Friday, 6 Saturday"},
                               "opens": {"type": "string"}, "closes": {"type": "string"}}}},
            "cost_note": {"type": "string"}, "referral_contact": {"type": "string"},
            "response_days": {"type": "integer", "minimum": 1,
                              "description": "the response time the service promises, in days"},
            "status": {"type": "string"}, "measured": _MEASURED, "freshness": _FRESHNESS,
            "feedback": _FEEDBACK,
            **{name: {"type": "string", "description": desc} for name, desc in _PATHWAY.items()},
        },
    },
    "ServiceInput": _service_input(),
    "NewService": _service_input(creating=True),
}

_PARAM_DOCS = {
    "need": ("string", "service type or sector code, or words naming it (Arabic or English)"),
    "lat": ("number", "latitude of the person (WGS84), with lon"),
    "lon": ("number", "longitude of the person (WGS84), with lat"),
    "pcode": ("string", "p-code (or name) of the person's governorate/district/sub-district"),
    "group": ("string", "target group code(s), comma-separated or repeated"),
    "age": ("integer", "age of the person, 0-120"),
    "sex": ("string", "female, male or any"),
    "language": ("string", "a language the person speaks (ISO 639-1/3)"),
    "q": ("string", "keywords over names and descriptions (Arabic-normalised)"),
    "radius_m": ("integer", "search radius in metres around the point, 100-200000 "
                            "(default 25000)"),
    "available": ("string", "availability to keep: open, waitlist, full (comma-separated)"),
    "page": ("integer", "page number from 1"),
    "per_page": ("integer", "items per page, 1-100 (default 20)"),
}
assert set(_PARAM_DOCS) == set(PARAMS)


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


OPENAPI_PATHS = {
    "/services": {
        "get": {
            "summary": "Search services (ranked, with reasons)", "operationId": "searchServices",
            "description": "Unknown parameters are refused (400 naming the parameter). A search "
                           "that finds nothing is logged anonymously as an unmet need.",
            "parameters": [{"name": n, "in": "query", "description": d,
                            "schema": {"type": t}} for n, (t, d) in _PARAM_DOCS.items()],
            "responses": {"200": {"description": "One page of ranked services", "content": _json({
                "type": "object",
                "required": ["items", "total", "page", "per_page", "total_pages", "area"],
                "properties": {
                    "items": {"type": "array",
                              "items": {"$ref": "#/components/schemas/ServiceHit"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total_pages": {"type": "integer"},
                    "area": _STR_OR_NULL}})},
                **error_responses(400)},
        },
        "post": {
            "summary": "Add a service to the caller's organisation", "operationId": "createService",
            "security": [{"bearer": []}, {"session": []}],
            "requestBody": {"required": True,
                            "content": _json({"$ref": "#/components/schemas/NewService"})},
            "responses": {"201": {"description": "Created",
                                  "content": _json({"$ref": "#/components/schemas/Service"})},
                          **error_responses(400, 401, 403, 404)},
        },
    },
    "/services/{service_id}": {
        "parameters": [{"name": "service_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "get": {
            "summary": "One service", "operationId": "getService",
            "responses": {"200": {"description": "The service",
                                  "content": _json({"$ref": "#/components/schemas/Service"})},
                          **error_responses(404)},
        },
        "patch": {
            "summary": "Change a service of the caller's organisation",
            "operationId": "updateService", "security": [{"bearer": []}, {"session": []}],
            "requestBody": {"required": True,
                            "content": _json({"$ref": "#/components/schemas/ServiceInput"})},
            "responses": {"200": {"description": "The changed service",
                                  "content": _json({"$ref": "#/components/schemas/Service"})},
                          **error_responses(400, 401, 403, 404)},
        },
    },
}
once_operations(OPENAPI_PATHS, "/services")
