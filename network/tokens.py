"""API tokens: created for an organisation and a role, shown once, stored as SHA-256,
revocable, optionally expiring, with a last-used time. Functions take a session and flush;
the caller commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.errors import BadInput, Forbidden, NotFound
from data.models import ApiToken, Organization
from network.accounts import ORG_ROLES

__all__ = ["TOKEN_ROLES", "TokenPrincipal", "create_token", "lookup", "revoke_token",
           "tokens_of"]

TOKEN_ROLES = tuple(r for r in ORG_ROLES if r != "supervisor")  # a person's role
PREFIX = "tsk_"
TOUCH_EVERY = dt.timedelta(seconds=60)  # last_used_at is written at most once a minute


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPrincipal:
    """Who calls the API with a bearer token: an organisation and a role, no user."""

    token_id: int
    organization_id: int
    role: str
    name: str = ""
    id: None = None
    user: None = None
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> None:
        return None


def create_token(session: Session, organization: Organization, role: str, *, name: str = "",
                 by: Any = None, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists in clear).

    ``days``: the token expires after that many days (None: until revoked).
    """
    if days is not None and not 1 <= days <= 3650:
        raise BadInput(_("days must be between 1 and 3650."), field="days")
    if role not in TOKEN_ROLES:
        raise BadInput(_("Unknown token role '%(role)s'; choose one of %(roles)s.", role=role,
                         roles=", ".join(TOKEN_ROLES)), field="role")
    if not organization.verified:
        raise Forbidden(_("Only verified organisations can create API tokens."), field="org")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organization_id=organization.id, role=role, name=(name or "").strip()[:200],
                     token_hash=_digest(secret), prefix=secret[:12],
                     created_by_id=getattr(by, "id", None),
                     expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
                     if days else None)
    session.add(token)
    session.flush()
    record(session, "token.created", user=by, organization_id=organization.id,
           object_type="api_token", object_id=token.id,
           summary={"name": token.name, "role": role, "prefix": token.prefix,
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, secret


def revoke_token(session: Session, token_id: int, *, organization_id: int | None,
                 by: Any = None) -> ApiToken:
    """Revoke a token of ``organization_id`` (None: any organisation, for platform admins/CLI)."""
    token = session.get(ApiToken, token_id)
    if token is None or (organization_id is not None and token.organization_id != organization_id):
        raise NotFound(_("No API token %(id)s.", id=token_id), field="token")
    if token.revoked_at is None:
        token.revoked_at = dt.datetime.now(dt.UTC)
        record(session, "token.revoked", user=by, organization_id=token.organization_id,
               object_type="api_token", object_id=token.id,
               summary={"name": token.name, "prefix": token.prefix})
    session.flush()
    return token


def lookup(session: Session, secret: str) -> TokenPrincipal | None:
    """The principal of a live token (touching its last-used time), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = dt.datetime.now(dt.UTC)
    if token is None or not token.usable(now) or not token.organization.verified:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
        session.flush()
    return TokenPrincipal(token.id, token.organization_id, token.role, token.name)


def tokens_of(session: Session, organization_id: int) -> list[ApiToken]:
    """An organisation's tokens, newest first."""
    return list(session.scalars(select(ApiToken).where(
        ApiToken.organization_id == organization_id).order_by(ApiToken.created_at.desc(),
                                                              ApiToken.id.desc())))
