"""Focal-point routing API (issue 23): focal points per area, minimal requests for sensitive
services, call-back and conversion into a referral."""

from __future__ import annotations

from data.db import db
from data.models import CONTACT_CHANNELS, STAFF_ROLES, URGENCIES, FocalRequest
from referral import focal

from ..referrals.common import cipher, jsonable
from ..security import allow, principal
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses

STAFF = STAFF_ROLES


def _point(fp, user) -> dict:
    return {"id": fp.id, "user_id": user.id, "name": user.name, "pcode": fp.pcode,
            "created_at": fp.created_at}


@bp.get("/focal-points")
@allow(*STAFF)
def list_focal_points():
    """The caller's organisation's focal points."""
    who = principal()
    return jsonable({"items": [_point(fp, u) for fp, u in
                               focal.focal_points(db.session, who.organization_id)]})


def _designated(fp):
    db.session.commit()
    return jsonable({"id": fp.id, "user_id": fp.user_id, "pcode": fp.pcode,
                     "created_at": fp.created_at}), 201


@bp.post("/focal-points")
@allow("org_admin")
def designate_focal_point():
    """Designate a member (``user_id`` in the body) as focal point: the first form, kept for
    clients that use it; ``POST /members/{user_id}/focal-points`` names the member in the URL."""
    body = json_body()
    who = principal()
    return _designated(focal.designate(db.session, who, who.organization_id,
                                       body.get("user_id"), body.get("pcode")))


@bp.post("/members/<int:user_id>/focal-points")
@allow("org_admin")
def designate_member_focal_point(user_id: int):
    """Designate the member ``user_id`` (from ``GET /members``) as focal point for the
    governorate or district ``pcode``; another organisation's or no member is a 404."""
    who = principal()
    return _designated(focal.designate_member(db.session, who, who.organization_id, user_id,
                                              json_body().get("pcode")))


@bp.delete("/focal-points/<int:focal_point_id>")
@allow("org_admin")
def remove_focal_point(focal_point_id: int):
    """End a designation."""
    focal.remove_focal_point(db.session, principal(), focal_point_id)
    db.session.commit()
    return "", 204


@bp.get("/focal-requests")
@allow(*STAFF)
def list_focal_requests():
    """Requests routed to the caller's organisation (focal points, admins) and sent by it."""
    found = focal.list_requests(db.session, principal())
    return jsonable({k: [focal.request_json(r) for r in v] for k, v in found.items()})


@bp.post("/focal-requests")
@allow(*STAFF)
def create_focal_request():
    """Send a minimal request: service_id, pcode, urgency and channel, nothing else."""
    body = json_body()
    [request_id] = created_once("focal_request", body, lambda: [
        focal.create_request(db.session, principal(), body).id])
    db.session.commit()
    return jsonable(focal.request_json(db.session.get(FocalRequest, request_id))), 201


@bp.post("/focal-requests/<int:request_id>/call-back")
@allow(*STAFF)
def call_back_focal_request(request_id: int):
    """The focal point called the person back."""
    req = focal.call_back(db.session, principal(), request_id)
    db.session.commit()
    return jsonable(focal.request_json(req))


@bp.post("/focal-requests/<int:request_id>/convert")
@allow(*STAFF)
def convert_focal_request(request_id: int):
    """Turn the request into a referral with the person's consent (``consent``, ``case``)."""
    req = focal.convert(db.session, principal(), request_id, json_body(), cipher())
    db.session.commit()
    return jsonable(focal.request_json(req))


_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_TIME = {"type": ["string", "null"]}
OPENAPI_SCHEMAS = {
    "FocalRequest": {"type": "object", "required": ["id", "service_id", "pcode", "urgency",
                                                    "channel", "status", "created_at"],
                     "properties": {
                         "id": {"type": "integer"}, "service_id": {"type": "integer"},
                         "organization_id": {"type": "integer"},
                         "requester_org_id": {"type": "integer"}, "pcode": {"type": "string"},
                         "urgency": {"enum": list(URGENCIES)},
                         "channel": {"enum": list(CONTACT_CHANNELS)},
                         "status": {"enum": ["open", "called_back", "converted", "closed"]},
                         "created_at": {"type": "string"}, "called_back_at": _TIME,
                         "converted_at": _TIME, "referral_id": {"type": ["integer", "null"]}}},
}
_REQ = {"content": {"application/json": {"schema": {"$ref":
                                                    "#/components/schemas/FocalRequest"}}}}
_PATH_ID = [{"name": "request_id", "in": "path", "required": True, "schema": _ID}]
OPENAPI_PATHS = {
    "/focal-points": {
        "get": {"summary": "The organisation's focal points", "operationId": "listFocalPoints",
                "responses": {"200": {"description": "Focal points"},
                              **error_responses(401, 403)}},
        "post": {"summary": "Designate a member as focal point for a governorate or district",
                 "description": "Kept for the clients that use it; new clients name the member "
                                "in the URL: POST /members/{user_id}/focal-points.",
                 "deprecated": True,
                 "operationId": "designateFocalPoint",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["user_id", "pcode"],
                     "properties": {"user_id": _ID,
                                    "pcode": {"$ref": "#/components/schemas/FocalAreaCode",
                                              "description": "a governorate or district"}}}}}},
                 "responses": {"201": {"description": "Designated"},
                               **error_responses(400, 401, 403)}}},
    "/members/{user_id}/focal-points": {"post": {
        "summary": "Designate the member (an id from GET /members) as focal point for a "
                   "governorate or district",
        "operationId": "designateMemberFocalPoint",
        "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": _ID,
                        "description": "an active member of the caller's organisation"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["pcode"],
            "properties": {"pcode": {"$ref": "#/components/schemas/FocalAreaCode",
                                     "description": "a governorate or district"}}}}}},
        "responses": {"201": {"description": "Designated (or already so)"},
                      **error_responses(400, 401, 403, 404)}}},
    "/focal-points/{focal_point_id}": {"delete": {
        "summary": "End a designation", "operationId": "removeFocalPoint",
        "parameters": [{"name": "focal_point_id", "in": "path", "required": True,
                        "schema": _ID}],
        "responses": {"204": {"description": "Removed"}, **error_responses(401, 403, 404)}}},
    "/focal-requests": {
        "get": {"summary": "Focal requests received and sent", "operationId": "listFocalRequests",
                "responses": {"200": {"description": "Requests", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "received": {"type": "array", "items": {
                            "$ref": "#/components/schemas/FocalRequest"}},
                        "sent": {"type": "array", "items": {
                            "$ref": "#/components/schemas/FocalRequest"}}}}}}},
                    **error_responses(401, 403)}},
        "post": {"summary": "Request a sensitive service through its focal point: area, "
                            "urgency and the person's chosen channel, no narrative",
                 "operationId": "createFocalRequest",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "additionalProperties": False,
                     "required": ["service_id", "pcode", "urgency", "channel"],
                     "properties": {"service_id": _ID,
                                    "pcode": {"type": "string", "maxLength": 200},
                                    "urgency": {"enum": list(URGENCIES)},
                                    "channel": {"enum": list(CONTACT_CHANNELS)}}}}}},
                 "responses": {"201": {"description": "Sent", **_REQ},
                               **error_responses(400, 401, 403, 409)}}},
    "/focal-requests/{request_id}/call-back": {"post": {
        "summary": "The focal point called the person back", "operationId": "callBackFocalRequest",
        "parameters": _PATH_ID,
        "responses": {"200": {"description": "Called back", **_REQ},
                      **error_responses(401, 403, 404, 409)}}},
    "/focal-requests/{request_id}/convert": {"post": {
        "summary": "Turn the request into a referral with the person's consent",
        "operationId": "convertFocalRequest", "parameters": _PATH_ID,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["consent"],
            "properties": {"consent": {"type": "object"}, "case": {"type": "object"},
                           "note": {"type": "string", "maxLength": 2000}}}}}},
        "responses": {"200": {"description": "Converted", **_REQ},
                      **error_responses(400, 401, 403, 404, 409)}}},
}
once_operations(OPENAPI_PATHS, "/focal-requests")
