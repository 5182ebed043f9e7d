"""Sessions API: one's own signed-in sessions and "sign out everywhere"; a platform admin's
sign-out of any user."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from data.db import db
from data.errors import NotFound
from data.models import User
from network import sessions

from ..security import (
    AUTHENTICATED,
    allow,
    current_session_id,
    principal,
    session_user,
    sign_out_everywhere,
)
from . import bp
from .openapi import error_responses


def _row(row, current: int | None) -> dict:
    return {"id": row.id, "client_hint": row.client_hint, "created_at": row.created_at,
            "last_seen_at": row.last_seen_at, "current": row.id == current}


@bp.get("/me/sessions")
@allow(AUTHENTICATED)
def my_sessions():
    """The caller's live sessions, most recently seen first."""
    rows = sessions.live_sessions(db.session, session_user(),
                                  sessions.Lifetimes.from_config(current_app.config))
    return {"items": [_row(r, current_session_id()) for r in rows]}


@bp.post("/me/sessions/end")
@allow(AUTHENTICATED)
def end_my_sessions():
    """Sign out everywhere: every session of the caller ends, this one too."""
    return {"ended": sign_out_everywhere()}


@bp.post("/users/<int:user_id>/sessions/end")
@allow("platform_admin")
def end_user_sessions(user_id: int):
    """A platform admin ends every session of a user."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No user %(id)s.", id=user_id), field="user_id")
    count = sessions.end_sessions(db.session, user, "ended_by_admin", by=principal(),
                                  audit=True)
    db.session.commit()
    return {"ended": count}


_ENDED = {"200": {"description": "How many sessions ended", "content": {"application/json": {
    "schema": {"type": "object", "required": ["ended"],
               "properties": {"ended": {"type": "integer"}}}}}}}
OPENAPI_PATHS = {
    "/me/sessions": {"get": {
        "summary": "The caller's signed-in sessions", "operationId": "mySessions",
        "responses": {"200": {"description": "Live sessions", "content": {"application/json": {
            "schema": {"type": "object", "required": ["items"], "properties": {"items": {
                "type": "array", "items": {"$ref": "#/components/schemas/UserSession"}}}}}}},
            **error_responses(401, 403)}}},
    "/me/sessions/end": {"post": {
        "summary": "Sign out everywhere (every session of the caller ends)",
        "operationId": "endMySessions",
        "responses": {**_ENDED, **error_responses(401, 403)}}},
    "/users/{user_id}/sessions/end": {"post": {
        "summary": "End every session of a user (platform admins)",
        "operationId": "endUserSessions",
        "parameters": [{"name": "user_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
        "responses": {**_ENDED, **error_responses(401, 403, 404)}}},
}
OPENAPI_SCHEMAS = {
    "UserSession": {"type": "object",
                    "required": ["id", "client_hint", "created_at", "last_seen_at", "current"],
                    "properties": {"id": {"type": "integer"}, "client_hint": {"type": "string"},
                                   "created_at": {"type": "string", "format": "date-time"},
                                   "last_seen_at": {"type": "string", "format": "date-time"},
                                   "current": {"type": "boolean"}}},
}
