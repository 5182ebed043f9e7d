"""Break-the-glass grants over the API: the organisation's grants for its admins' review, and
ending a grant early (the grantee or an admin). Opening one is POST /referrals/{id}/glass."""

from __future__ import annotations

from data.db import db
from referral.glass import GLASS_ROLES, end_glass, glass_review, glass_state

from ..referrals.common import cipher, jsonable
from ..security import allow, principal
from . import bp
from .openapi import error_responses


@bp.get("/glass")
@allow("org_admin")
def list_glass():
    """The organisation's grants, newest first: who, why (unsealed for its admins), when,
    until when, ended early by whom, and how many reads were made under each."""
    rows = glass_review(db.session, principal().organization_id, cipher())
    return {"items": [jsonable({k: v for k, v in row.items() if k != "active"})
                      for row in rows]}


@bp.post("/glass/<int:grant_id>/end")
@allow(*sorted(GLASS_ROLES))
def end_glass_access(grant_id: int):
    """End a grant now: the record closes again at once; audited."""
    grant = end_glass(db.session, grant_id, principal())
    db.session.commit()
    return jsonable({"id": grant.id, "referral_id": grant.referral_id,
                     "started_at": grant.started_at, "expires_at": grant.expires_at,
                     "ended_at": grant.ended_at, "state": glass_state(grant)})


_TIME = {"type": "string", "format": "date-time"}
_NULLTIME = {"type": ["string", "null"], "format": "date-time"}
_STATE = {"enum": ["active", "expired", "ended"]}
_GRANT = {"type": "object",
          "required": ["id", "user", "referral_id", "reference", "started_at", "expires_at",
                       "ended_at", "state", "reads"],
          "properties": {"id": {"type": "integer"}, "user": {"type": ["string", "null"]},
                         "user_id": {"type": "integer"}, "referral_id": {"type": "integer"},
                         "reference": {"type": "string"},
                         "reason": {"type": ["string", "null"], "description":
                                    "Sealed at rest; opened for the organisation's admins "
                                    "(null without a data key)"},
                         "started_at": _TIME, "expires_at": _TIME, "ended_at": _NULLTIME,
                         "ended_by": {"type": ["string", "null"]}, "state": _STATE,
                         "reads": {"type": "integer", "description":
                                   "Reads audited under the grant"}}}
_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}

OPENAPI_PATHS = {
    "/glass": {"get": {
        "summary": "The organisation's break-the-glass grants, for its admins' review",
        "operationId": "listGlass",
        "responses": {"200": {"description": "Grants, newest first", "content": {
            "application/json": {"schema": {"type": "object", "required": ["items"],
                                            "properties": {"items": {"type": "array",
                                                                     "items": _GRANT}}}}}},
                      **error_responses(401, 403)}}},
    "/glass/{grant_id}/end": {"post": {
        "summary": "End a break-the-glass grant early (the grantee or an admin); audited",
        "operationId": "endGlass",
        "parameters": [{"name": "grant_id", "in": "path", "required": True, "schema": _ID}],
        "responses": {"200": {"description": "The ended grant", "content": {
            "application/json": {"schema": {"type": "object", "required": ["id", "state"],
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "referral_id": {"type": "integer"},
                                                "started_at": _TIME, "expires_at": _TIME,
                                                "ended_at": _TIME, "state": _STATE}}}}},
                      **error_responses(401, 403, 404, 409)}}},
}
