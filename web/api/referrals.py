"""Referrals over the API: create, list the in/out box, read one with its events, transition."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from data import fields
from data.db import db
from data.errors import BadInput, Forbidden
from data.models import (
    CONSENT_METHODS,
    CONSENT_SCOPES,
    CONTACT_CHANNELS,
    READER_ROLES,
    REASONS,
    REFERRAL_STATES,
    STAFF_ROLES,
    URGENCIES,
)
from referral.boxes import list_box, parse_filters
from referral.cases import (
    ADDRESS_CHANNELS,
    CODE_RE,
    EMAIL_MAX,
    LANG_RE,
    MAX_CODES,
    MAX_SERVICES,
    NAME_MAX,
    NUMBER_CHANNELS,
    PHONE_RE,
    create_referrals,
)
from referral.cases import SEXES as CASE_SEXES
from referral.consent import GIVEN_BY_MAX, MAX_ORGS, OVERRIDE_REASON_MAX, PURPOSE_MAX
from referral.detail import referral_detail
from referral.eligibility import REASON_MAX as ELIGIBILITY_REASON_MAX
from referral.glass import GLASS_ROLES, open_glass
from referral.lifecycle import NOTE_MAX, REASON_TEXT_MAX, transition
from referral.renewal import renew_consent
from referral.revocation import REASON_MAX as REVOKE_REASON_MAX
from referral.revocation import consent_receipt, revoke_consent

from ..args import MAX_ID
from ..referrals.common import cipher, jsonable
from ..security import allow, principal
from . import bp
from .body import json_body
from .once import PARAMETER as IDEMPOTENCY_KEY
from .once import created_once
from .openapi import error_responses

READERS = READER_ROLES
STAFF = STAFF_ROLES


def _org_id() -> int:
    org_id = getattr(principal(), "organization_id", None)
    if org_id is None:
        raise Forbidden(_("Referrals belong to organisations; your account has none."))
    return org_id


@bp.post("/referrals")
@allow(*STAFF)
def create_referral():
    """Create a case and its referral(s) (sent unless ``"send": false``)."""
    body = json_body()
    send = body.get("send", True)
    if not isinstance(send, bool):
        raise BadInput(_("send must be true or false."), field="send")
    who = principal()
    ids = created_once("referral", body, lambda: [
        r.id for r in create_referrals(db.session, who, body, cipher(), send=send)[1]])
    details = [referral_detail(db.session, i, who, cipher()) for i in ids]
    db.session.commit()
    first = jsonable(details[0])
    first["linked"] = [d["id"] for d in details]
    return first, 201


@bp.get("/referrals")
@allow(*READERS)
def list_referrals():
    """The organisation's inbox (``box=in``) or outbox (``box=out``), filtered."""
    filters = parse_filters(request.args)
    items = list_box(db.session, _org_id(), filters)
    return {"box": filters.box, "items": jsonable(items), "total": len(items),
            "limit": filters.limit, "offset": filters.offset}


@bp.get("/referrals/<int:referral_id>")
@allow(*READERS)
def get_referral(referral_id: int):
    """One referral with its events (404 outside the two organisations)."""
    detail = referral_detail(db.session, referral_id, principal(), cipher())
    db.session.commit()  # views of sensitive referrals are audited
    return jsonable(detail)


@bp.post("/referrals/<int:referral_id>/transitions")
@allow(*STAFF)
def transition_referral(referral_id: int):
    """Apply an action: ``{"action", "reason", "reason_text", "note", "version"}``."""
    body = json_body()
    for name in ("action", "reason", "reason_text", "note"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadInput(_("%(field)s must be text.", field=name), field=name)
    if "version" not in body:
        raise BadInput(_("version is required: the referral's version you last saw "
                         "(an integer)."), field="version")
    who = principal()
    transition(db.session, referral_id, who, body.get("action") or "",
               version=body.get("version"), reason=body.get("reason"),
               reason_text=body.get("reason_text"), note=body.get("note"))
    detail = referral_detail(db.session, referral_id, who, cipher())
    db.session.commit()
    return jsonable(detail)


@bp.get("/referrals/<int:referral_id>/consent")
@allow(*STAFF)
def get_consent(referral_id: int):
    """What the person agreed to for this referral's case (sending organisation's staff):
    the current record, or ``?record=`` one of its history."""
    record_id = request.args.get("record", type=int)
    if request.args.get("record") and record_id is None:
        raise BadInput(_("%(field)s must be an integer id.", field="record"), field="record")
    return jsonable(consent_receipt(db.session, referral_id, principal(), record_id, cipher()))


@bp.post("/referrals/<int:referral_id>/consent/renew")
@allow(*STAFF)
def renew_referral_consent(referral_id: int):
    """The person agreed again: a new consent record supersedes the current one, audited."""
    rec = renew_consent(db.session, referral_id, principal(), json_body())
    receipt = consent_receipt(db.session, referral_id, principal(), rec.id, cipher())
    db.session.commit()
    return jsonable(receipt), 201


@bp.post("/referrals/<int:referral_id>/consent/revoke")
@allow(*STAFF)
def revoke_referral_consent(referral_id: int):
    """The person revoked consent: open referrals withdrawn, shared fields closed, audited;
    an optional ``{"reason"}`` is stored sealed."""
    body = json_body() if request.get_data() else {}
    done = revoke_consent(db.session, referral_id, principal(), reason=body.get("reason"),
                          cipher=cipher())
    db.session.commit()
    return jsonable(done)


@bp.post("/referrals/<int:referral_id>/glass")
@allow(*sorted(GLASS_ROLES))
def break_glass(referral_id: int):
    """Break the glass: ``{"reason"}`` opens a sensitive referral for a few hours, audited."""
    body = json_body()
    grant = open_glass(db.session, referral_id, principal(), body.get("reason"), cipher())
    db.session.commit()
    return {"id": grant.id, "referral_id": grant.referral_id,
            "started_at": grant.started_at.isoformat(),
            "expires_at": grant.expires_at.isoformat()}, 201


_NULLSTR = {"type": ["string", "null"]}
_SERVICE_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_ORG_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_ADDRESS = f"^[^\\s@{fields.CONTROL}]+@[^\\s{fields.CONTROL}]+$"  # e-mail: an @, no spaces
# parse_contact: a number for the number channels, an address for e-mail, nothing otherwise
_CONTACT = [
    {"required": ["contact_channel", "contact_handle"],
     "properties": {"contact_channel": {"enum": list(NUMBER_CHANNELS)},
                    "contact_handle": {"type": "string", "pattern": PHONE_RE.pattern}}},
    {"required": ["contact_channel", "contact_handle"],
     "properties": {"contact_channel": {"enum": list(ADDRESS_CHANNELS)},
                    "contact_handle": {"type": "string", "maxLength": EMAIL_MAX,
                                       "pattern": _ADDRESS}}},
    {"required": ["contact_channel"],
     "properties": {"contact_channel": {"enum": [
         c for c in CONTACT_CHANNELS if c not in NUMBER_CHANNELS + ADDRESS_CHANNELS]},
         "contact_handle": False}},
    {"properties": {"contact_channel": False, "contact_handle": False}}]
_ORG = {"type": "object", "required": ["id", "name_ar", "name_en"],
        "properties": {"id": {"type": "integer"}, "name_ar": {"type": "string"},
                       "name_en": {"type": "string"}}}
OPENAPI_SCHEMAS = {
    "ReferralEvent": {"type": "object",
                      "required": ["id", "at", "action", "from_status", "to_status"],
                      "properties": {"id": {"type": "integer"}, "at": {"type": "string"},
                                     "action": {"type": "string"}, "from_status": _NULLSTR,
                                     "to_status": {"type": "string"}, "reason": _NULLSTR,
                                     "reason_text": _NULLSTR, "note": {"type": "string"},
                                     "actor": _NULLSTR}},
    "Referral": {
        "type": "object",
        "required": ["id", "uuid", "reference", "status", "version", "urgency", "sensitive",
                     "side", "sender_org", "receiver_org", "allowed_actions", "events"],
        "properties": {
            "id": {"type": "integer"}, "uuid": {"type": "string"},
            "reference": {"type": "string"},
            "status": {"type": "string", "enum": list(REFERRAL_STATES)},
            "version": {"type": "integer"}, "urgency": {"type": "string"},
            "sensitive": {"type": "boolean"}, "side": {"type": "string"},
            "assigned": {"type": "boolean"}, "details_visible": {"type": "boolean"},
            "service": {"type": ["object", "null"]},
            "sender_org": _ORG, "receiver_org": _ORG,
            "sent_at": _NULLSTR, "due_at": _NULLSTR, "responded_at": _NULLSTR,
            "closed_at": _NULLSTR, "reason": _NULLSTR, "reason_text": _NULLSTR,
            "note": {"type": "string"},
            "case": {"type": ["object", "null"], "properties": {
                "case_code": {"type": "string"}, "age": {"type": ["integer", "null"]},
                "sex": {"type": "string"}, "pcode": _NULLSTR,
                "needs": {"type": "array", "items": {"type": "string"}},
                "name": _NULLSTR, "phone": _NULLSTR, "consent": {"type": "object"},
                "contact": {"type": "object", "description": (
                    "How the person agreed to be contacted; the number or address only to "
                    "the assigned staff (the receiver's once it accepts)"), "properties": {
                        "channel": {"type": ["string", "null"],
                                    "enum": [*CONTACT_CHANNELS, None]},
                        "handle": _NULLSTR}}}},
            "withheld": {"type": ["string", "null"], "description":
                         "Why the shared fields are not shown (consent revoked or expired)"},
            "glass": {"type": ["object", "null"], "description":
                      "The reader's break-the-glass grant in force, if any",
                      "properties": {"id": {"type": "integer"},
                                     "expires_at": {"type": "string"}}},
            "allowed_actions": {"type": "array", "items": {"type": "string"}},
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/ReferralEvent"}},
            "linked": {"type": "array", "items": {"type": "integer"}},
            "confidential_sites": {
                "type": "array", "description": "The exact place of the service's "
                "confidential sites: only for the sending caseworker, once the referral is "
                "accepted and while it is open (each release audited); else empty.",
                "items": {"type": "object", "properties": {
                    "site_id": {"type": "integer"}, "name_ar": {"type": "string"},
                    "name_en": {"type": "string"}, "lon": {"type": "number"},
                    "lat": {"type": "number"}, "admin3_pcode": _NULLSTR,
                    "address_ar": {"type": "string"}, "address_en": {"type": "string"}}}},
        }},
    "ReferralListItem": {
        "type": "object",
        "required": ["id", "uuid", "status", "urgency", "sensitive", "version", "overdue",
                     "other_org_id", "other_org_name_ar", "other_org_name_en"],
        "properties": {"id": {"type": "integer"}, "uuid": {"type": "string"},
                       "status": {"type": "string"}, "urgency": {"type": "string"},
                       "sensitive": {"type": "boolean"}, "version": {"type": "integer"},
                       "service_id": {"type": ["integer", "null"]},
                       "service_name_ar": _NULLSTR, "service_name_en": _NULLSTR,
                       "sent_at": _NULLSTR, "due_at": _NULLSTR, "overdue": {"type": "boolean"},
                       "other_org_id": {"type": "integer"}, "other_org_name_ar": {
                           "type": "string"}, "other_org_name_en": {"type": "string"}}},
    # from the constants parse_case, parse_consent and create_referrals check against
    "ReferralCreate": {
        "type": "object", "required": ["case"],
        "allOf": [
            {"anyOf": [{"required": ["service_id"]}, {"required": ["service_ids"]}]},
            # sent on recorded consent, on an allowed override, or kept as a draft
            {"anyOf": [{"required": ["consent"]}, {"required": ["consent_override_reason"]},
                       {"required": ["send"], "properties": {"send": {"const": False}}}]}],
        "properties": {
            "service_id": _SERVICE_ID,
            "service_ids": {"type": "array", "items": _SERVICE_ID,
                            "minItems": 1, "maxItems": MAX_SERVICES},
            "organization_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                                "description": "the service's organisation, if given"},
            "case": {"type": "object", "anyOf": _CONTACT, "properties": {
                "case_code": {"type": "string", "pattern": CODE_RE.pattern},
                "age": {"type": "integer", "minimum": 0, "maximum": 120},
                "sex": {"enum": list(CASE_SEXES)},
                "target_groups": {"type": "array", "maxItems": MAX_CODES,
                                  "items": {"$ref": "#/components/schemas/TargetGroupCode"}},
                "pcode": {"$ref": "#/components/schemas/PCode"},
                "needs": {"type": "array", "maxItems": MAX_CODES,
                          "items": {"$ref": "#/components/schemas/ServiceTypeCode"}},
                "languages": {"type": "array", "maxItems": MAX_CODES,
                              "items": {"type": "string", "pattern": LANG_RE.pattern}},
                "urgency": {"enum": list(URGENCIES)},
                "name": {"type": "string", "maxLength": NAME_MAX},
                "phone": {"type": "string", "pattern": PHONE_RE.pattern},
                "contact_channel": {"type": "string", "enum": list(CONTACT_CHANNELS)},
                "contact_handle": {"type": "string", "maxLength": EMAIL_MAX, "description": (
                    "The number (phone, whatsapp, sms) or address (email) for the channel; "
                    "none for in_person or via_caseworker. Stored encrypted.")}}},
            "consent": {"$ref": "#/components/schemas/Consent"},
            "consent_override_reason": {"type": "string", "maxLength": OVERRIDE_REASON_MAX,
                                        "pattern": fields.NOT_BLANK},
            "eligibility_override_reason": {
                "type": "string", "maxLength": ELIGIBILITY_REASON_MAX,
                "description": "Required when the person does not fit a service (age, sex) "
                               "or it is full; the reason is audited. Without it such a "
                               "referral is refused with details.problems."},
            "note": {"type": "string", "maxLength": NOTE_MAX},
            "send": {"type": "boolean"}}},
    "Consent": {
        "type": "object", "required": ["given_by", "method", "scope"],
        "properties": {
            "given_by": {"type": "string", "maxLength": GIVEN_BY_MAX,
                         "pattern": fields.NOT_BLANK},
            "method": {"enum": list(CONSENT_METHODS)},
            "purpose": {"type": "string", "maxLength": PURPOSE_MAX},
            "organization_ids": {
                "type": "array", "items": _ORG_ID, "maxItems": MAX_ORGS,
                "description": "The verified organisations it covers, every receiver among "
                               "them (default: the receivers)"},
            "expires_at": {"type": "string", "format": "date-time",
                           "description": "in the future (default: TASHARUK_CONSENT_DAYS "
                                          "after at)"},
            "at": {"type": "string", "format": "date-time", "description": "not in the future"},
            "scope": {"type": "array", "minItems": 1, "items": {"enum": list(CONSENT_SCOPES)}}}},
    "ConsentReceipt": {
        "type": "object", "required": ["state", "scope", "record_id", "history"],
        "properties": {
            "state": {"type": "string", "enum": [
                "valid", "override", "revoked", "expired", "missing", "superseded"]},
            "record_id": {"type": ["integer", "null"]},
            "current": {"type": "boolean"},
            "supersedes_id": {"type": ["integer", "null"]},
            "scope": {"type": "array", "items": {"type": "string"}},
            "organization_ids": {"type": "array", "items": {"type": "integer"}},
            "history": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "state": {"type": "string"},
                "supersedes_id": {"type": ["integer", "null"]}}}}}},
    "ReferralTransition": {
        "type": "object", "required": ["action", "version"],
        "properties": {"action": {"type": "string", "enum": [
            "send", "accept", "decline", "start", "complete", "close_unmet", "withdraw"]},
            "reason": {"type": "string", "enum": list(REASONS)},
            "reason_text": {"type": "string", "maxLength": REASON_TEXT_MAX},
            "note": {"type": "string", "maxLength": NOTE_MAX},
            "version": {"type": "integer"}}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ID = {"name": "referral_id", "in": "path", "required": True, "schema": {"type": "integer"}}
OPENAPI_PATHS = {
    "/referrals": {
        "post": {"summary": "Create a case and refer it (consent required)",
                 "operationId": "createReferral",
                 "parameters": [IDEMPOTENCY_KEY],
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": _ref("ReferralCreate")}}},
                 "responses": {"201": _json(_ref("Referral"), "The (first) referral"),
                               **error_responses(400, 401, 403, 404, 409)}},
        "get": {"summary": "The organisation's referral inbox or outbox",
                "operationId": "listReferrals",
                "parameters": [
                    {"name": "box", "in": "query",
                     "schema": {"type": "string", "enum": ["in", "out"]}},
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    {"name": "service_id", "in": "query", "schema": {"type": "integer"}},
                    {"name": "urgency", "in": "query", "schema": {"type": "string"}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json({
                    "type": "object", "required": ["box", "items", "total"],
                    "properties": {"box": {"type": "string"}, "total": {"type": "integer"},
                                   "limit": {"type": "integer"}, "offset": {"type": "integer"},
                                   "items": {"type": "array",
                                             "items": _ref("ReferralListItem")}}}, "Referrals"),
                    **error_responses(400, 401, 403)}}},
    "/referrals/{referral_id}": {"get": {
        "summary": "One referral with its events", "operationId": "getReferral",
        "parameters": [_ID],
        "responses": {"200": _json(_ref("Referral"), "The referral"),
                      **error_responses(401, 403, 404)}}},
    "/referrals/{referral_id}/consent": {"get": {
        "summary": "The consent receipt of the referral's case (one record of its history)",
        "operationId": "getConsent",
        "parameters": [_ID, {"name": "record", "in": "query", "description":
                             "a record of the case's history (default: the current one)",
                             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
        "responses": {"200": _json(_ref("ConsentReceipt"), "What was agreed"),
                      **error_responses(400, 401, 403, 404)}}},
    "/referrals/{referral_id}/consent/renew": {"post": {
        "summary": "The person agreed again: a new consent record supersedes the current one",
        "operationId": "renewConsent", "parameters": [_ID],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("Consent")}}},
        "responses": {"201": _json(_ref("ConsentReceipt"), "The new record's receipt"),
                      **error_responses(400, 401, 403, 404)}}},
    "/referrals/{referral_id}/consent/revoke": {"post": {
        "summary": "The person revoked consent: withdraw open referrals, close shared fields",
        "operationId": "revokeConsent", "parameters": [_ID],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "reason": {"type": "string", "maxLength": REVOKE_REASON_MAX,
                           "description": "why, if the person said (stored encrypted)"}}}}}},
        "responses": {"200": _json({"type": "object", "required": ["withdrawn"],
                                    "properties": {"withdrawn": {"type": "array", "items": {
                                        "type": "integer"}}}}, "What the revocation did"),
                      **error_responses(400, 401, 403, 404, 409)}}},
    "/referrals/{referral_id}/glass": {"post": {
        "summary": "Break the glass: time-limited, audited access to a sensitive referral",
        "operationId": "breakGlass", "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string", "maxLength": 500}}}}}},
        "responses": {"201": _json({"type": "object", "required": ["id", "expires_at"],
                                    "properties": {"id": {"type": "integer"},
                                                   "referral_id": {"type": "integer"},
                                                   "started_at": {"type": "string"},
                                                   "expires_at": {"type": "string"}}},
                                   "The grant"),
                      **error_responses(400, 401, 403, 404, 409)}}},
    "/referrals/{referral_id}/transitions": {"post": {
        "summary": "Move a referral along its lifecycle", "operationId": "transitionReferral",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("ReferralTransition")}}},
        "responses": {"200": _json(_ref("Referral"), "The referral after the transition"),
                      **error_responses(400, 401, 403, 404, 409)}}},
}
