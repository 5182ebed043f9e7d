"""Feedback of the people served (issue 22): codes handed by caseworkers, the feedback sent
with them (no account, rate limited), moderation of comments."""

from __future__ import annotations

from flask import url_for

from data.db import db
from data.models import STAFF_ROLES
from network import feedback

from ..extensions import limiter, rate, refused
from ..security import PUBLIC, allow, caller
from . import bp
from .body import json_body
from .openapi import error_responses
from .services import viewer


@bp.post("/services/<int:service_id>/feedback-codes")
@allow(*STAFF_ROLES)
def create_feedback_code(service_id: int):
    """A single-use code for the person to give feedback on the service."""
    code = feedback.issue_code(db.session, service_id, caller())
    db.session.commit()
    return {"code": code.code, "service_id": code.service_id,
            "url": url_for("directory.give_feedback", code=code.code, _external=True)}, 201


@bp.post("/feedback/<code>")
@allow(PUBLIC)
@limiter.shared_limit(rate("FEEDBACK_RATE_LIMIT", "10 per hour"), scope="feedback",
                      deduct_when=refused)
def give_feedback(code: str):
    """The person's feedback with their code (once; no account)."""
    row = feedback.submit_feedback(db.session, code, json_body())
    db.session.commit()
    return {"id": row.id, "service_id": row.service_id, "moderation": row.moderation}, 201


@bp.post("/feedback/<int:feedback_id>/moderate")
@allow("platform_admin")
def moderate_feedback(feedback_id: int):
    """Approve or reject a comment (``decision``, an optional ``reason`` for the audit)."""
    body = json_body()
    row = feedback.moderate(db.session, feedback_id, str(body.get("decision", "")), viewer(),
                            reason=body.get("reason") or "", actor=caller())
    db.session.commit()
    return {"id": row.id, "service_id": row.service_id, "moderation": row.moderation}


@bp.get("/organizations/<int:organization_id>/feedback")
@allow("org_admin", "platform_admin")
def organization_feedback(organization_id: int):
    """The moderated-in comments of the people served by the organisation (its admins)."""
    return {"items": feedback.approved_comments(db.session, organization_id, viewer())}


_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_ROW = {"application/json": {"schema": {
    "type": "object", "required": ["id", "service_id", "moderation"],
    "properties": {"id": {"type": "integer"}, "service_id": {"type": "integer"},
                   "moderation": {"enum": ["none", "pending", "approved", "rejected"]}}}}}
_COMMENT = {"type": "object", "required": ["id", "service_id", "provided", "comment"],
            "properties": {"id": {"type": "integer"}, "service_id": {"type": "integer"},
                           "service_name_ar": {"type": "string"},
                           "service_name_en": {"type": "string"},
                           "provided": {"type": "boolean"},
                           "respectful": {"type": ["boolean", "null"]},
                           "timely": {"type": ["boolean", "null"]},
                           "comment": {"type": "string"},
                           "created_at": {"type": ["string", "null"], "format": "date-time"}}}
OPENAPI_PATHS = {
    "/organizations/{organization_id}/feedback": {"get": {
        "summary": "Moderated-in comments of the people served (the organisation's admins)",
        "operationId": "organizationFeedback",
        "parameters": [{"name": "organization_id", "in": "path", "required": True,
                        "schema": _ID}],
        "responses": {"200": {"description": "Newest first", "content": {"application/json": {
            "schema": {"type": "object", "required": ["items"],
                       "properties": {"items": {"type": "array", "items": _COMMENT}}}}}},
                      **error_responses(401, 403, 404)}}},
    "/services/{service_id}/feedback-codes": {"post": {
        "summary": "A single-use feedback code to hand the person (caseworkers)",
        "operationId": "createFeedbackCode",
        "parameters": [{"name": "service_id", "in": "path", "required": True, "schema": _ID}],
        "responses": {"201": {"description": "The code and its link", "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["code", "service_id", "url"],
                "properties": {"code": {"type": "string"}, "service_id": {"type": "integer"},
                               "url": {"type": "string"}}}}}},
            **error_responses(401, 403, 404)}}},
    "/feedback/{code}": {"post": {
        "summary": "Feedback with a code: provided, respectful, timely, a comment (no "
                   "personal details; moderated); once per code, rate limited",
        "operationId": "giveFeedback",
        "parameters": [{"name": "code", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["provided"],
            "properties": {"provided": {"type": "boolean"}, "respectful": {"type": "boolean"},
                           "timely": {"type": "boolean"},
                           "comment": {"type": "string", "maxLength": 500}}}}}},
        "responses": {"201": {"description": "Recorded", "content": _ROW},
                      **error_responses(400, 404, 409, 429)}}},
    "/feedback/{feedback_id}/moderate": {"post": {
        "summary": "Approve or reject a feedback comment (platform admins)",
        "operationId": "moderateFeedback",
        "parameters": [{"name": "feedback_id", "in": "path", "required": True, "schema": _ID}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision"],
            "properties": {"decision": {"enum": ["approved", "rejected"]},
                           "reason": {"type": "string", "maxLength": feedback.REASON_MAX,
                                      "description": "why (kept in the audit log)"}}}}}},
        "responses": {"200": {"description": "Moderated", "content": _ROW},
                      **error_responses(400, 401, 403, 404)}}},
}
