"""Webhooks (issue 22): an organisation's admins register HTTPS endpoints that receive the
change feed as signed events, read each one's delivery log, switch one off and on, delete it."""

from __future__ import annotations

from flask import current_app, url_for

from data.db import db
from network import webhooks

from ..security import allow, caller
from . import bp
from .body import json_body
from .once import created_once, once_operations
from .openapi import error_responses
from .services import viewer


@bp.get("/organizations/<int:organization_id>/webhooks")
@allow("org_admin", "platform_admin")
def list_webhooks(organization_id: int):
    """The organisation's webhooks (never their secrets)."""
    return {"items": [webhooks.webhook_json(h) for h in
                      webhooks.webhooks(db.session, organization_id, viewer())]}


@bp.post("/organizations/<int:organization_id>/webhooks")
@allow("org_admin", "platform_admin")
def create_webhook(organization_id: int):
    """Register an HTTPS endpoint; the answer carries its signing secret, once."""
    body = json_body()
    [webhook_id] = created_once("webhook", {"organization": organization_id, **body}, lambda: [
        webhooks.register_webhook(
            db.session, organization_id, body, viewer(), caller(),
            allow_loopback_http=bool(current_app.config.get(
                "TASHARUK_WEBHOOK_ALLOW_HTTP_LOOPBACK")))[0].id])
    # (the secret is shown to the request that registered it, and to its retries)
    hook, secret = webhooks.registered(db.session, webhook_id, viewer())
    db.session.commit()
    return webhooks.webhook_json(hook) | {"secret": secret}, 201, {
        "Location": url_for("api.webhook_deliveries", webhook_id=hook.id)}


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@allow("org_admin", "platform_admin")
def webhook_deliveries(webhook_id: int):
    """A webhook's delivery log, newest first."""
    return {"items": webhooks.deliveries(db.session, webhook_id, viewer())}


@bp.patch("/webhooks/<int:webhook_id>")
@allow("org_admin", "platform_admin")
def update_webhook(webhook_id: int):
    """Switch a webhook off (``{"active": false}``) or on again."""
    hook = webhooks.set_active(db.session, webhook_id, json_body(), viewer(), caller())
    db.session.commit()
    return webhooks.webhook_json(hook)


@bp.delete("/webhooks/<int:webhook_id>")
@allow("org_admin", "platform_admin")
def delete_webhook(webhook_id: int):
    """Delete a webhook and its delivery log."""
    webhooks.delete_webhook(db.session, webhook_id, viewer(), caller())
    db.session.commit()
    return "", 204


_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_HOOK = {"type": "object", "required": ["id", "organization_id", "url", "active", "failing",
                                        "failing_since", "created_at"],
         "properties": {"id": {"type": "integer"}, "organization_id": {"type": "integer"},
                        "url": {"type": "string"}, "active": {"type": "boolean"},
                        "failing": {"type": "boolean"},
                        "failing_since": {"type": ["string", "null"], "format": "date-time"},
                        "created_at": {"type": ["string", "null"], "format": "date-time"},
                        "secret": {"type": "string", "description": "on creation only"}}}
_DELIVERY = {"type": "object", "required": ["id", "change_cursor", "status", "attempts"],
             "properties": {"id": {"type": "integer"}, "change_cursor": {"type": "string"},
                            "status": {"enum": ["pending", "delivered", "failed"]},
                            "attempts": {"type": "integer"},
                            "last_status_code": {"type": ["integer", "null"]},
                            "last_error": {"type": ["string", "null"]},
                            "next_attempt_at": {"type": ["string", "null"],
                                                "format": "date-time",
                                                "description": "a waiting delivery's retry"},
                            "finished_at": {"type": ["string", "null"],
                                            "format": "date-time"}}}


def _items(schema: dict) -> dict:
    return {"application/json": {"schema": {"type": "object", "required": ["items"],
                                            "properties": {"items": {"type": "array",
                                                                     "items": schema}}}}}


_ORG = [{"name": "organization_id", "in": "path", "required": True, "schema": _ID}]
_HOOK_ID = [{"name": "webhook_id", "in": "path", "required": True, "schema": _ID}]
_ONE_HOOK = {"application/json": {"schema": _HOOK}}


def _body(properties: dict, required: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": [required], "additionalProperties": False,
        "properties": properties}}}}

OPENAPI_PATHS = {
    "/organizations/{organization_id}/webhooks": {
        "get": {"summary": "An organisation's webhooks (its admins)",
                "operationId": "listWebhooks", "parameters": _ORG,
                "responses": {"200": {"description": "Webhooks", "content": _items(_HOOK)},
                              **error_responses(401, 403, 404)}},
        "post": {"summary": "Register a webhook: an HTTPS URL that receives every change of "
                            "the feed, signed (X-Tasharuk-Signature: sha256= HMAC-SHA256 of "
                            "'TIMESTAMP.BODY', X-Tasharuk-Timestamp)",
                 "operationId": "createWebhook", "parameters": _ORG,
                 "requestBody": _body({"url": webhooks.URL_SCHEMA}, "url"),
                 "responses": {"201": {"description": "The webhook and its secret (once)",
                                       "content": _ONE_HOOK},
                               **error_responses(400, 401, 403, 404)}}},
    "/webhooks/{webhook_id}": {
        "patch": {"summary": "Switch a webhook off (its pending deliveries cancelled) or on "
                             "again (from the feed's present; read what changed meanwhile "
                             "from /changes)",
                  "operationId": "updateWebhook", "parameters": _HOOK_ID,
                  "requestBody": _body({"active": {"type": "boolean"}}, "active"),
                  "responses": {"200": {"description": "The webhook", "content": _ONE_HOOK},
                                **error_responses(400, 401, 403, 404)}},
        "delete": {"summary": "Delete a webhook and its delivery log",
                   "operationId": "deleteWebhook", "parameters": _HOOK_ID,
                   "responses": {"204": {"description": "Deleted"},
                                 **error_responses(401, 403, 404)}}},
    "/webhooks/{webhook_id}/deliveries": {"get": {
        "summary": "A webhook's delivery log", "operationId": "webhookDeliveries",
        "parameters": _HOOK_ID,
        "responses": {"200": {"description": "Deliveries, newest first",
                              "content": _items(_DELIVERY)},
                      **error_responses(401, 403, 404)}}},
}
once_operations(OPENAPI_PATHS, "/organizations/{organization_id}/webhooks")
