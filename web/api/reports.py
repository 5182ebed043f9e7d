"""Reports of inaccurate information on a listing (issue 22): anyone reports (rate limited),
the reporter follows it by code, the organisation's admins read and answer them."""

from __future__ import annotations

from data.db import db
from data.models import ServiceReport, User
from network import reports

from ..extensions import limiter, rate
from ..security import PUBLIC, allow, caller
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses
from .services import viewer


def _user():
    """The signed-in user calling (None: the public or an API token)."""
    who = caller()
    return who if isinstance(who, User) else None


@bp.post("/services/<int:service_id>/reports")
@allow(PUBLIC)
@limiter.shared_limit(rate("REPORT_RATE_LIMIT", "5 per hour"), scope="service_reports")
def create_report(service_id: int):
    """Report inaccurate information on a listing (no account needed; one limit per address
    with the report page)."""
    body = json_body()
    [report_id] = created_once("service_report", {"service": service_id, **body}, lambda: [
        reports.report_inaccuracy(db.session, service_id, body, _user()).id])
    db.session.commit()
    report, svc = reports.report_status(
        db.session, db.session.get(ServiceReport, report_id).code)
    return reports.report_json(report, svc), 201


@bp.get("/reports/<code>")
@allow(PUBLIC)
def get_report(code: str):
    """A report and the organisation's answer, by its code."""
    report, svc = reports.report_status(db.session, code)
    return reports.report_json(report, svc)


@bp.get("/organizations/<int:organization_id>/reports")
@allow("org_admin", "platform_admin")
def organization_reports(organization_id: int):
    """Reports on the organisation's listings, open first, with their text (its admins)."""
    return {"items": reports.organization_reports(db.session, organization_id, viewer())}


@bp.post("/reports/<int:report_id>/answer")
@allow("org_admin", "platform_admin")
def answer_report(report_id: int):
    """Answer a report: ``status`` fixed or not_changed, and an ``answer`` for the reporter."""
    report = reports.answer_report(db.session, report_id, json_body(), viewer(), _user())
    db.session.commit()
    report, svc = reports.report_status(db.session, report.code)
    return reports.report_json(report, svc)


_REPORT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "code", "service_id", "service_name_ar", "service_name_en", "kind",
                 "status", "answer", "created_at", "answered_at"],
    "properties": {
        "id": {"type": "integer"}, "code": {"type": "string",
                                            "description": "the reporter's key to the answer"},
        "service_id": {"type": "integer"}, "service_name_ar": {"type": "string"},
        "service_name_en": {"type": "string"},
        "kind": {"enum": ["wrong_contact", "closed", "moved", "criteria_changed",
                          "hours_changed", "other"]},
        "status": {"enum": ["open", "fixed", "not_changed"]},
        "answer": {"type": "string"},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "answered_at": {"type": ["string", "null"], "format": "date-time"},
        "detail": {"type": "string", "description": "the reporter's text: the organisation's "
                                                    "admins only"},
    },
}
_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


OPENAPI_SCHEMAS = {"ServiceReport": _REPORT}
_REF = {"$ref": "#/components/schemas/ServiceReport"}
OPENAPI_PATHS = {
    "/services/{service_id}/reports": {"post": {
        "summary": "Report inaccurate information on a listing (no account needed; rate "
                   "limited per address)", "operationId": "reportService",
        "parameters": [{"name": "service_id", "in": "path", "required": True, "schema": _ID}],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["kind"],
            "properties": {"kind": _REPORT["properties"]["kind"],
                           "detail": {"type": "string", "maxLength": 1000,
                                      "description": "no personal details"}}})},
        "responses": {"201": {"description": "The report", "content": _json(_REF)},
                      **error_responses(400, 404, 429)}}},
    "/reports/{code}": {"get": {
        "summary": "A report and the organisation's answer, by its code",
        "operationId": "getReport",
        "parameters": [{"name": "code", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The report", "content": _json(_REF)},
                      **error_responses(404)}}},
    "/organizations/{organization_id}/reports": {"get": {
        "summary": "Reports on an organisation's listings (its admins)",
        "operationId": "organizationReports",
        "parameters": [{"name": "organization_id", "in": "path", "required": True,
                        "schema": _ID}],
        "responses": {"200": {"description": "Open reports first", "content": _json({
            "type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": _REF}}})},
            **error_responses(401, 403, 404)}}},
    "/reports/{report_id}/answer": {"post": {
        "summary": "Answer a report (its organisation's admins); the reporter is told",
        "operationId": "answerReport",
        "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": _ID}],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["status"],
            "properties": {"status": {"enum": ["fixed", "not_changed"]},
                           "answer": {"type": "string", "maxLength": 1000}}})},
        "responses": {"200": {"description": "The answered report", "content": _json(_REF)},
                      **error_responses(400, 401, 403, 404)}}},
}
once_operations(OPENAPI_PATHS, "/services/{service_id}/reports")
