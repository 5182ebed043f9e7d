"""The one deny-by-default authorisation layer used by every view and API endpoint.

Each view declares who may call it with ``@allow(...)``; a view without a declaration is
refused to everyone (403), so a new route cannot be forgotten open. Object-level checks
(organisation A never reads B's data) live in the use cases, which raise Forbidden/NotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from data.errors import Forbidden, Unauthorized
from data.models import ROLES

__all__ = ["AUTHENTICATED", "PUBLIC", "ROLES", "allow", "allowed_roles", "map_page", "principal",
           "role"]

PUBLIC = "public"
AUTHENTICATED = "authenticated"
F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: str) -> Callable[[F], F]:
    """Declare the roles that may call a view: role names, ``PUBLIC`` or ``AUTHENTICATED``."""
    unknown = set(roles) - set(ROLES) - {PUBLIC, AUTHENTICATED}
    if unknown or not roles:
        raise ValueError(f"allow() takes roles from {ROLES + (PUBLIC, AUTHENTICATED)}, "
                         f"got {sorted(unknown) or 'nothing'}")

    def mark(view: F) -> F:
        view.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def map_page(view: F) -> F:
    """Mark a view whose HTML carries inline map scripts (folium/Leaflet); the CSP relaxes
    ``script-src``/``style-src`` for that response only, and allows same-origin framing."""
    view.map_page = True  # type: ignore[attr-defined]
    return view


def allowed_roles(endpoint: str, app: Flask | None = None) -> frozenset[str] | None:
    """The roles declared for ``endpoint`` (None: undeclared, hence denied)."""
    app = app or current_app
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    return getattr(view, "allowed_roles", None)


def principal() -> Any:
    """Who is calling: an API-token principal when one was presented, else the session user."""
    return g.get("principal", None) or current_user


def role() -> str | None:
    """The caller's role, or None for the public."""
    who = principal()
    if who is None or not getattr(who, "is_authenticated", False):
        return None
    return getattr(who, "role", None)


def organization_id() -> int | None:
    """The caller's organisation id, or None."""
    who = principal()
    if who is None or not getattr(who, "is_authenticated", False):
        return None
    return getattr(who, "organization_id", None)


def enforce() -> None:
    """before_request: refuse undeclared views; 401 for the public, 403 for other roles."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return
    roles = allowed_roles(endpoint)
    if roles is None:
        raise Forbidden(f"The endpoint {endpoint} declares no access rule; it is closed.")
    if PUBLIC in roles:
        return
    current = role()
    if current is None:
        raise Unauthorized(_("Please sign in to continue."), code="login_required")
    if AUTHENTICATED in roles or current in roles:
        return
    raise Forbidden(_("Your role does not allow this action."))


def init_app(app: Flask) -> None:
    """Install the check before every request and load users for Flask-Login."""
    from data.db import db
    from data.models import User

    from .extensions import login_manager

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    login_manager.login_view = "auth.login"
    app.before_request(enforce)
