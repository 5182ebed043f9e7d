"""Who is calling: the session user or the API token's organisation and role."""

from __future__ import annotations

from ..security import AUTHENTICATED, allow, organization_id, principal, role
from . import bp
from .openapi import error_responses


@bp.get("/me")
@allow(AUTHENTICATED)
def me():
    """The caller's kind (user or token), role and organisation."""
    who = principal()
    token_id = getattr(who, "token_id", None)
    return {"kind": "token" if token_id is not None else "user", "role": role(),
            "organization_id": organization_id(),
            "token_id": token_id, "user_id": getattr(who, "id", None)}


OPENAPI_PATHS = {
    "/me": {"get": {
        "summary": "The caller (session user or API token)", "operationId": "me",
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "The caller", "content": {"application/json": {
            "schema": {"type": "object",
                       "required": ["kind", "role", "organization_id", "token_id", "user_id"],
                       "properties": {
                           "kind": {"type": "string", "enum": ["user", "token"]},
                           "role": {"type": "string"},
                           "organization_id": {"type": ["integer", "null"]},
                           "token_id": {"type": ["integer", "null"]},
                           "user_id": {"type": ["integer", "null"]}}}}}},
            **error_responses(401)}}},
}
OPENAPI_SCHEMAS: dict = {}
