"""The one deny-by-default authorisation layer used by every view and API endpoint.

Each view declares who may call it with ``@allow(...)``; a view without a declaration is
refused to everyone (403), so a new route cannot be forgotten open. Object-level checks
(organisation A never reads B's data) use ``require_same_org``/``require_role`` here or raise
Forbidden/NotFound in the use cases. Before the check, ``Authorization: Bearer`` on /api/v1
sets an API-token principal; CSRF is checked for session requests only; every response gets
the security headers (CSP, HSTS over https, nosniff, frame denial, Referrer-Policy).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from data.errors import Forbidden, NotFound, Unauthorized
from data.models import ROLES

__all__ = ["AUTHENTICATED", "PUBLIC", "ROLES", "allow", "allowed_roles", "caller",
           "is_platform_admin", "map_page", "may_call", "organization_id", "permits", "principal",
           "require_role", "require_same_org", "role", "same_org", "session_user", "sign_in",
           "sign_out", "sign_out_everywhere"]

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


def permits(roles: frozenset[str], current: str | None) -> bool:
    """True when a caller with role ``current`` (None: the public) passes ``roles``."""
    return PUBLIC in roles or (current is not None and (AUTHENTICATED in roles
                                                        or current in roles))


def may_call(endpoint: str) -> bool:
    """True when the current caller may reach ``endpoint`` (undeclared: no)."""
    roles = allowed_roles(endpoint)
    return roles is not None and permits(roles, role())


def principal() -> Any:
    """Who is calling: an API-token principal when one was presented, else the session user."""
    return g.get("principal", None) or current_user


def caller() -> Any:
    """``principal()`` as the object itself, not Flask-Login's proxy (for use cases)."""
    who = principal()
    return who._get_current_object() if hasattr(who, "_get_current_object") else who


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


def is_platform_admin() -> bool:
    """True when the caller is a platform administrator."""
    return role() == "platform_admin"


def same_org(org_id: int | None) -> bool:
    """True when the caller belongs to organisation ``org_id`` (platform admins: always)."""
    if is_platform_admin():
        return True
    mine = organization_id()
    return mine is not None and org_id is not None and int(org_id) == mine


def require_same_org(org_id: int | None, *, hide: bool = True, what: str | None = None) -> None:
    """Object-level check: refuse data of another organisation.

    ``hide=True`` (default) raises NotFound, so ids of other organisations' records do not
    leak; ``hide=False`` raises Forbidden. Platform administrators pass.
    """
    if same_org(org_id):
        return
    if hide:
        raise NotFound(_("No such %(what)s.", what=what or _("record")))
    raise Forbidden(_("This belongs to another organisation."))


def require_role(*roles: str) -> None:
    """Refuse (403) unless the caller has one of ``roles`` (for checks inside a view)."""
    if role() not in roles:
        raise Forbidden(_("Your role does not allow this action."))


def enforce() -> None:
    """before_request: refuse undeclared views; 401 for the public, 403 for other roles."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return
    roles = allowed_roles(endpoint)
    if roles is None:
        raise Forbidden(_("The endpoint %(endpoint)s declares no access rule; it is closed.",
                          endpoint=endpoint))
    if PUBLIC in roles:
        return
    current = role()
    if current is None:
        raise Unauthorized(_("Please sign in to continue."), code="login_required")
    if AUTHENTICATED in roles or current in roles:
        return
    raise Forbidden(_("Your role does not allow this action."))


def sign_in(user: Any) -> None:
    """Start a server-side session for ``user`` (a row in ``user_session``; the signed
    cookie carries only its random secret) and commit it."""
    from flask import session
    from flask_login import login_user

    from data.db import db
    from network.sessions import end_session, start_session

    end_session(db.session, session.get("_sid"), "replaced")  # e.g. after a password change
    secret = start_session(db.session, user, client_hint=request.user_agent.string or "")
    db.session.commit()
    lang = session.get("lang")
    session.clear()  # nothing of the anonymous session carries over (but its language)
    if lang:
        session["lang"] = lang
    login_user(user)
    session["_sid"] = secret


def sign_out(reason: str = "logout") -> None:
    """End the current browser session, server-side too (a copied cookie stops working)."""
    from flask import session
    from flask_login import logout_user

    from data.db import db
    from network.sessions import end_session

    end_session(db.session, session.get("_sid"), reason)
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def session_user() -> Any:
    """The person of the browser session (an API token has no sessions: 403)."""
    user = caller()
    if getattr(user, "id", None) is None:
        raise Forbidden(_("Only a signed-in person has sessions; an API token has none."))
    return user


def sign_out_everywhere() -> int:
    """End every session of the signed-in person, this one too (audited); how many ended."""
    from data.db import db
    from network.sessions import end_sessions

    user = session_user()
    count = end_sessions(db.session, user, "signed_out_everywhere", by=user, audit=True)
    sign_out("signed_out_everywhere")
    return count


def current_session_id() -> int | None:
    """The id of the caller's live ``user_session`` row (None: no browser session)."""
    return g.get("user_session_id")


def load_token() -> None:
    """before_request: ``Authorization: Bearer <secret>`` on /api/v1 sets ``g.principal``.

    A missing header leaves the session user in charge; a bad or revoked token is a 401.
    """
    header = request.headers.get("Authorization", "")
    if not request.path.startswith("/api/v1") or not header:
        return
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return
    from data.db import db
    from network.tokens import lookup

    found = lookup(db.session, secret.strip())
    if found is None:
        raise Unauthorized(_("The API token is not valid or was revoked."), code="invalid_token")
    db.session.commit()  # the last-used time
    g.principal = found


def _load_session_user() -> None:
    """before_request: resolve the browser session now, before any view writes, because
    the lookup commits its last-seen time (never in the middle of a view's work).

    A request that sends no cookie at all is the public, and is known to be without asking
    Flask-Login: no session cookie means an empty session (no user id, nothing for session
    protection to check: its identifier, a SHA-512 of the address and user agent, was computed
    and compared with nothing), no remember cookie, and this app has no request or header
    loader. The session is read as Flask-Login reads it, so the response varies on the
    cookie as before."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    endpoint = req.endpoint
    if not endpoint or endpoint == "static" or endpoint.endswith(".static"):
        return
    if "HTTP_COOKIE" not in req.environ and _anonymous_without_asking():
        from flask import session

        session.get("_user_id")  # as Flask-Login's look-up does (the response varies on it)
        g._login_user = current_app.login_manager.anonymous_user()
        return
    getattr(current_user, "is_authenticated", None)


def _anonymous_without_asking() -> bool:
    """True while Flask-Login would find nobody in a request without cookies: no request or
    header loader, nobody listening for ``user_accessed``, and no user loaded yet."""
    from flask_login.signals import user_accessed

    manager = current_app.login_manager
    # (Flask-Login's own names for its loaders: a release without them is asked as usual)
    missing = object()
    return (getattr(manager, "_request_callback", missing) is None
            and getattr(manager, "_header_callback", missing) is None
            and not user_accessed.receivers and "_login_user" not in g)


def check_csrf() -> None:
    """before_request: CSRF for state-changing requests, except bearer-token API calls.

    Forms send the ``csrf_token`` field; JSON calls from a signed-in browser session send the
    ``X-CSRFToken`` header (templates get the value from ``csrf_token()``).
    """
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method not in config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")):
        return
    if getattr(g.get("principal"), "token_id", None) is not None:
        return
    if request.endpoint is None or request.endpoint == "static":
        return
    from .extensions import csrf

    # honour Flask-WTF's own exemptions (csrf.exempt(view_or_blueprint))
    if current_app.blueprints.get(request.blueprint or "") in getattr(
            csrf, "_exempt_blueprints", ()):
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and f"{view.__module__}.{view.__name__}" in getattr(
            csrf, "_exempt_views", ()):
        return
    csrf.protect()
    g.csrf_valid = True


def _tiles_source(url: str) -> str:
    """The CSP source of a tile URL template (``{s}.`` subdomains become ``*.``)."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@functools.lru_cache(maxsize=64)
def _csp(map_view: bool, tiles_url: str) -> str:
    """The CSP text for a kind of page and tile server (the same on every response: kept)."""
    img = " ".join(x for x in ("'self'", "data:", _tiles_source(tiles_url)) if x)
    inline = " 'unsafe-inline'" if map_view else ""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        f"img-src {img}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'" if map_view else "frame-ancestors 'none'",
    ])


def security_headers(response: Response) -> Response:
    """after_request: CSP, HSTS (https only), nosniff, frame denial, Referrer-Policy."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    view = app.view_functions.get(request.endpoint or "")
    wanted = _security_headers(bool(getattr(view, "map_page", False)),
                               app.config.get("TILES_URL", ""),
                               app.config.get("BASE_URL", "").startswith("https://"))
    headers = response.headers
    present = {key.lower() for key, _value in headers}  # one pass, not a search per header
    for lower, key, value in wanted:
        if lower not in present:  # a view's own value stands (setdefault)
            headers.add(key, value)
    return response


@functools.lru_cache(maxsize=64)
def _security_headers(map_view: bool, tiles_url: str, https: bool,
                      ) -> tuple[tuple[str, str, str], ...]:
    """The security headers of a kind of page, in their order, as (lower-case name, name,
    value): the same on every response, so made once (each ``Headers.setdefault`` of a header
    not yet there raised and caught a KeyError: ~60 us a response for six)."""
    pairs = [("Content-Security-Policy", _csp(map_view, tiles_url)),
             ("X-Content-Type-Options", "nosniff"),
             ("X-Frame-Options", "SAMEORIGIN" if map_view else "DENY"),
             ("Referrer-Policy", "same-origin"),
             ("Cross-Origin-Opener-Policy", "same-origin")]
    if https:
        pairs.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple((key.lower(), key, value) for key, value in pairs)


def _no_server_banner() -> None:
    """Werkzeug's server (``tasharuk run``, the tests' live servers) writes its own ``Server``
    header, ``Werkzeug/x Python/y``: make it say only ``Tasharuk``. (gunicorn, for
    ``tasharuk serve``, says ``gunicorn`` with no version; an app header would be a second one.)"""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.version_string = lambda self: SERVER_NAME  # type: ignore[method-assign]


SERVER_NAME = "Tasharuk"


def init_app(app: Flask) -> None:
    """Install token loading, CSRF and the access check before every request (in that
    order), the security headers after it, and load users for Flask-Login."""
    _no_server_banner()
    from data.db import db
    from data.models import User

    from .extensions import login_manager

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        """The user of a live server-side session (ended, idle or too old: signed out)."""
        from flask import session

        from network.sessions import Lifetimes, find_session

        row = find_session(db.session, session.get("_sid"),
                           Lifetimes.from_config(current_app.config))
        if row is None or str(row.user_id) != str(user_id):
            db.commit_unread()  # an expired session is marked ended
            return None
        user = db.session.get(User, row.user_id)
        db.commit_unread()  # the last-seen time (bookkeeping: reads stay on a replica)
        if user is None or not user.active:
            return None
        g.user_session_id = row.id
        return user

    login_manager.login_view = "auth.login"
    # CSRFProtect's own hook is switched off: check_csrf runs it after the token is known.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    from .proxies import install

    install(app)  # TASHARUK_TRUSTED_PROXIES: the client's address behind reverse proxies
    app.before_request(load_token)
    app.before_request(_load_session_user)
    app.before_request(check_csrf)
    app.before_request(enforce)
    app.after_request(security_headers)
