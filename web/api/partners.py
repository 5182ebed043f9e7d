"""Partner suggestions, duplication alerts, partnerships and partnership requests."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput, NotFound
from data.models import READER_ROLES, PartnershipRequest
from network import partners as uc

from ..args import int_arg
from ..security import PUBLIC, allow, principal
from . import bp
from .openapi import error_responses

ACTIONS = ("accept", "decline", "withdraw")
ORG_ROLES = (*READER_ROLES, "planner", "platform_admin")


def _request_json(r: PartnershipRequest) -> dict:
    return {"id": r.id, "requester_org_id": r.requester_org_id,
            "target_org_id": r.target_org_id, "status": r.status, "message": r.message,
            "response_note": r.response_note,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "responded_at": r.responded_at.isoformat() if r.responded_at else None}


@bp.get("/organizations/<int:org_id>/partners")
@allow(*ORG_ROLES)
def org_partner_suggestions(org_id: int):
    """Complementary partners of an organisation, with reasons in Arabic and English."""
    org = uc.get_org(db.read_session, org_id)
    uc.check_insight_access(principal(), org.id)
    top = int_arg("top", 10, 1, uc.MAX_TOP)
    _org, found = uc.suggestions(db.read_session, org.id, top=top,
                                 area=request.args.get("area"),
                                 group=request.args.get("group"),
                                 sector=request.args.get("sector"))
    return {"organization_id": org.id, "items": [s.to_dict() for s in found],
            "total": len(found)}


@bp.get("/organizations/<int:org_id>/duplication")
@allow(*ORG_ROLES)
def org_duplication(org_id: int):
    """Offers of this organisation that others duplicate (same service, group, area)."""
    org = uc.get_org(db.session, org_id)
    uc.check_insight_access(principal(), org.id)
    alerts = uc.duplication_alerts(db.session, org=org.id)
    return {"items": [a.to_dict() for a in alerts], "total": len(alerts)}


@bp.get("/duplication")
@allow("planner", "platform_admin")
def area_duplication():
    """Duplicated offers inside an area (``area`` p-code, required), for planners."""
    area = request.args.get("area", "")
    if not area:
        raise BadInput(_("area is required (a p-code, e.g. SY07)."), field="area")
    alerts = uc.duplication_alerts(db.session, area=area)
    return {"items": [a.to_dict() for a in alerts], "total": len(alerts)}


@bp.get("/organizations/<int:org_id>/partnerships")
@allow(PUBLIC)
def org_partnerships(org_id: int):
    """The organisation's current partners."""
    org = uc.get_org(db.session, org_id)
    items = [{"id": p.id, "since": p.since.isoformat() if p.since else None,
              "organization": {"id": o.id, "name_ar": o.name_ar, "name_en": o.name_en,
                               "acronym": o.acronym}}
             for o, p in uc.org_partners(db.session, org.id)]
    return {"items": items, "total": len(items)}


@bp.get("/partnership-requests")
@allow("org_admin")
def partnership_requests():
    """Incoming and outgoing partnership requests of the caller's organisation."""
    who = principal()
    incoming, outgoing = uc.list_requests(db.session, who.organization_id)
    return {"incoming": [_request_json(r) for r in incoming],
            "outgoing": [_request_json(r) for r in outgoing]}


@bp.post("/partnership-requests")
@allow("org_admin")
def create_partnership_request():
    """Ask another organisation to partner: ``{"target_org_id": id, "message": "..."}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput(_("Send a JSON object with target_org_id."), field="body")
    target = body.get("target_org_id")
    if not isinstance(target, int) or isinstance(target, bool):
        raise BadInput(_("target_org_id must be an organisation id."), field="target_org_id")
    message = body.get("message", "")
    if not isinstance(message, str):
        raise BadInput(_("message must be text."), field="message")
    req = uc.request_partnership(db.session, principal(), target, message=message)
    db.session.commit()
    return _request_json(req), 201


@bp.post("/partnership-requests/<int:request_id>/<action>")
@allow("org_admin")
def answer_partnership_request(request_id: int, action: str):
    """Accept or decline (the asked organisation's admin) or withdraw (the requester's)."""
    if action not in ACTIONS:
        raise NotFound(_("No action '%(action)s' on partnership requests; use one of "
                         "%(actions)s.", action=action, actions=", ".join(ACTIONS)))
    body = request.get_json(silent=True) or {}
    note = body.get("note", "") if isinstance(body, dict) else ""
    if not isinstance(note, str):
        raise BadInput(_("note must be text."), field="note")
    if action == "withdraw":
        req = uc.withdraw_request(db.session, principal(), request_id)
    else:
        req = uc.respond_to_request(db.session, principal(), request_id,
                                    accept=action == "accept", note=note)
    db.session.commit()
    return _request_json(req)


_ORG_REF = {"type": "object", "required": ["id", "name_ar", "name_en"], "properties": {
    "id": {"type": "integer"}, "name_ar": {"type": "string"}, "name_en": {"type": "string"},
    "acronym": {"type": ["string", "null"]}}}
_ORG_ID = {"name": "org_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_REQ_ID = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _ok(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ref}"}}}}


OPENAPI_SCHEMAS = {
    "PartnerSuggestion": {
        "type": "object",
        "required": ["organization", "score", "reach", "complementarity", "duplication",
                     "shared", "service_pairs", "duplicated", "reasons_ar", "reasons_en"],
        "properties": {
            "organization": _ORG_REF,
            "score": {"type": "number"}, "reach": {"type": "number"},
            "complementarity": {"type": "number"}, "duplication": {"type": "number"},
            "shared": {"type": "array", "items": {"type": "object", "required": [
                "area", "group", "people_in_need"], "properties": {
                "area": {"type": "string"}, "group": {"type": "string"},
                "people_in_need": {"type": "number"}}}},
            "service_pairs": {"type": "array", "items": {"type": "object", "required": [
                "own", "partner", "strength"], "properties": {
                "own": {"type": "string"}, "partner": {"type": "string"},
                "strength": {"type": "number"}}}},
            "duplicated": {"type": "array", "items": {"type": "object", "required": [
                "area", "group", "service_type"]}},
            "reasons_ar": {"type": "array", "items": {"type": "string"}},
            "reasons_en": {"type": "array", "items": {"type": "string"}},
            "pending_request": {"type": "boolean"},
        }},
    "PartnerSuggestions": {"type": "object", "required": ["organization_id", "items", "total"],
                           "properties": {"organization_id": {"type": "integer"},
                                          "total": {"type": "integer"},
                                          "items": {"type": "array", "items": {
                                              "$ref": "#/components/schemas/PartnerSuggestion"}}}},
    "DuplicationAlerts": {"type": "object", "required": ["items", "total"], "properties": {
        "total": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "required": [
            "area", "group", "service_type", "organizations", "people_in_need",
            "coverage_ratio", "text_ar", "text_en"], "properties": {
            "area": {"type": "string"}, "group": {"type": "string"},
            "service_type": {"type": "string"},
            "organizations": {"type": "array", "items": _ORG_REF},
            "people_in_need": {"type": "number"}, "capacity": {"type": ["number", "null"]},
            "coverage_ratio": {"type": ["number", "null"]},
            "text_ar": {"type": "string"}, "text_en": {"type": "string"}}}}}},
    "Partnerships": {"type": "object", "required": ["items", "total"], "properties": {
        "total": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "required": [
            "id", "organization"], "properties": {
            "id": {"type": "integer"}, "since": {"type": ["string", "null"]},
            "organization": _ORG_REF}}}}},
    "PartnershipRequest": {"type": "object", "required": [
        "id", "requester_org_id", "target_org_id", "status"], "properties": {
        "id": {"type": "integer"}, "requester_org_id": {"type": "integer"},
        "target_org_id": {"type": "integer"},
        "status": {"type": "string", "enum": ["pending", "accepted", "declined", "withdrawn"]},
        "message": {"type": "string"}, "response_note": {"type": "string"},
        "created_at": {"type": ["string", "null"]}, "responded_at": {"type": ["string", "null"]}}},
    "PartnershipRequests": {"type": "object", "required": ["incoming", "outgoing"],
                            "properties": {
                                "incoming": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/PartnershipRequest"}},
                                "outgoing": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/PartnershipRequest"}}}},
}

OPENAPI_PATHS = {
    "/organizations/{org_id}/partners": {"get": {
        "summary": "Complementary partner suggestions with bilingual reasons",
        "operationId": "orgPartnerSuggestions",
        "parameters": [_ORG_ID,
                       {"name": "top", "in": "query", "schema": {
                           "type": "integer", "minimum": 1, "maximum": uc.MAX_TOP, "default": 10}},
                       {"name": "area", "in": "query", "schema": {"type": "string"}},
                       {"name": "group", "in": "query", "schema": {"type": "string"}},
                       {"name": "sector", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _ok("Suggestions, best first", "PartnerSuggestions"),
                      **error_responses(400, 401, 403, 404)}}},
    "/organizations/{org_id}/duplication": {"get": {
        "summary": "Duplication alerts of an organisation", "operationId": "orgDuplication",
        "parameters": [_ORG_ID],
        "responses": {"200": _ok("Alerts", "DuplicationAlerts"),
                      **error_responses(401, 403, 404)}}},
    "/duplication": {"get": {
        "summary": "Duplication alerts inside an area (planners)",
        "operationId": "areaDuplication",
        "parameters": [{"name": "area", "in": "query", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": _ok("Alerts", "DuplicationAlerts"),
                      **error_responses(400, 401, 403)}}},
    "/organizations/{org_id}/partnerships": {"get": {
        "summary": "Current partners of an organisation", "operationId": "orgPartnerships",
        "parameters": [_ORG_ID],
        "responses": {"200": _ok("Partners", "Partnerships"), **error_responses(404)}}},
    "/partnership-requests": {
        "get": {"summary": "Incoming and outgoing partnership requests (org admins)",
                "operationId": "listPartnershipRequests",
                "responses": {"200": _ok("Requests", "PartnershipRequests"),
                              **error_responses(401, 403)}},
        "post": {"summary": "Ask another organisation to partner",
                 "operationId": "createPartnershipRequest",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "required": ["target_org_id"],
                                "properties": {"target_org_id": {"type": "integer"},
                                               "message": {"type": "string"}}}}}},
                 "responses": {"201": _ok("The request", "PartnershipRequest"),
                               **error_responses(400, 401, 403, 404, 409)}}},
    **{f"/partnership-requests/{{request_id}}/{action}": {"post": {
        "summary": summary, "operationId": f"{action}PartnershipRequest",
        "parameters": [_REQ_ID],
        "requestBody": {"required": False, "content": {"application/json": {
            "schema": {"type": "object", "properties": {"note": {"type": "string"}}}}}},
        "responses": {"200": _ok("The request", "PartnershipRequest"),
                      **error_responses(400, 401, 403, 404, 409)}}}
       for action, summary in [("accept", "Accept a request (the asked organisation's admin)"),
                               ("decline", "Decline a request (the asked organisation's admin)"),
                               ("withdraw", "Withdraw a request (the requester's admin)")]},
}
