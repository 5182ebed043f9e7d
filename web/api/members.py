"""An organisation's members over the API, for its admins: who they are and their roles; a
role is given here as on the members page (a supervisor, a caseworker ...)."""

from __future__ import annotations

from flask_babel import gettext as _

from data import fields
from data.db import db
from data.errors import NotFound
from data.models import Organization, User
from network import accounts, organizations

from ..security import allow, principal
from . import bp
from .body import json_body
from .openapi import error_responses


def _member_json(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role,
            "active": user.active}


@bp.get("/members")
@allow("org_admin")
def list_members():
    """The members of the caller's organisation, with their roles."""
    org = db.session.get(Organization, principal().organization_id)
    return {"items": [_member_json(u) for u in organizations.members(db.session, org)]}


@bp.patch("/members/<int:user_id>")
@allow("org_admin")
def update_member(user_id: int):
    """Give a member of the caller's organisation another role (``{"role"}``); audited, and
    the member's sessions end so the new role applies at once."""
    data = json_body()
    role = fields.choice(data, "role", accounts.ORG_ROLES)
    if role is None:
        raise fields.missing("role")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No member %(id)s in your organisation.", id=user_id), field="user")
    accounts.set_role(db.session, user, role, by=principal())
    db.session.commit()
    return _member_json(user)


_MEMBER = {"type": "object", "required": ["id", "name", "email", "role", "active"],
           "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                          "email": {"type": "string"}, "active": {"type": "boolean"},
                          "role": {"enum": list(accounts.ORG_ROLES)}}}

OPENAPI_PATHS = {
    "/members": {"get": {
        "summary": "The members of the caller's organisation and their roles (its admins)",
        "operationId": "listMembers",
        "responses": {"200": {"description": "Members", "content": {"application/json": {
            "schema": {"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": _MEMBER}}}}}},
                      **error_responses(401, 403)}}},
    "/members/{user_id}": {"patch": {
        "summary": "Give a member another role (supervisor: a caseworker who may also break "
                   "the glass); audited, the member's sessions end",
        "operationId": "updateMember",
        "parameters": [{"name": "user_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["role"], "properties": {
                "role": {"enum": list(accounts.ORG_ROLES)}}}}}},
        "responses": {"200": {"description": "The member", "content": {
            "application/json": {"schema": _MEMBER}}},
                      **error_responses(400, 401, 403, 404, 409)}}},
}
