"""Error handlers, registered once: JSON envelope for the API, an HTML page otherwise."""

from __future__ import annotations

import time

import psycopg
from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, default_exceptions

from data.db import db
from data.errors import TasharukError

from .i18n import current_locale


def wants_json() -> bool:
    """API paths and clients that prefer JSON get the JSON envelope."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


# What each status means for the person reading the page, and what they can do about it.
TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not possible here"),
    409: _l("This changed in the meantime"),
    413: _l("The file is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is briefly unavailable"),
}
HINTS = {
    400: _l("Check what you entered and try again."),
    401: _l("Sign in, then open the page again."),
    403: _l("Your role or organisation does not allow this. Ask your organisation's "
            "administrator if you need access."),
    404: _l("The address may be mistyped, or the page was moved or removed."),
    405: _l("Go back and use the page's buttons and forms."),
    409: _l("Reload the page to see the latest version, then try again."),
    413: _l("Send a smaller file."),
    429: _l("Wait a few minutes, then try again."),
    500: _l("The error was recorded. Try again in a moment; if it persists, tell the "
            "platform team what you were doing."),
    503: _l("The database cannot be reached right now; what you sent was not saved. "
            "Wait a minute, then try again."),
}
# How long a client should wait before retrying when the database is unreachable (seconds).
DB_RETRY_AFTER = 30
# The database errors that mean "unreachable or overloaded", not "this request is wrong";
# psycopg's own OperationalError comes from the raw driver path (data.db.fetch_all: the
# search), which SQLAlchemy never wraps: a restarted server kills those connections too.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
               sa_exc.TimeoutError, psycopg.OperationalError)
# Werkzeug's own English descriptions are replaced by the translated hint above.
_DEFAULT_DESCRIPTIONS = {cls.description for cls in default_exceptions.values()
                         if isinstance(getattr(cls, "description", None), str)}


def _in(locale: str, text) -> str:
    with force_locale(locale):
        return str(text)


def _family(status: int) -> int:
    """The status whose title and hint speak for ``status`` (itself, or its class)."""
    return status if status in TITLES else (500 if status >= 500 else 400)


def _respond(status: int, code: str, message: str, details=None):
    if wants_json():
        if not message or message in _DEFAULT_DESCRIPTIONS:  # werkzeug's English default
            message = f"{TITLES[_family(status)]}. {HINTS[_family(status)]}"
        body = {"error": {"code": code, "message": message, "details": details or {}}}
        return body, status
    try:
        return _page(status, code, message, details)
    except UNAVAILABLE:  # the layout loads the signed-in user: the database is down
        _rollback()
        return unavailable()


def _page(status: int, code: str, message: str, details=None):
    """The HTML error page in the reader's language, with the other language below."""
    title, hint = TITLES[_family(status)], HINTS[_family(status)]
    other = "en" if current_locale() == "ar" else "ar"
    if message and message.rstrip(".") == str(title):
        message = ""
    return render_template(
        "error.html", status=status, code=code, details=details or {},
        title=str(title), hint=str(hint),
        message=None if not message or message in _DEFAULT_DESCRIPTIONS else message,
        other_locale_code=other, other_title=_in(other, title), other_hint=_in(other, hint),
    ), status


def _rollback() -> None:
    """Roll the request's session back; when the database is gone this may fail too."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - nothing more to undo on a dead connection
        pass


def unavailable(retry_after: int = DB_RETRY_AFTER):
    """503 with ``Retry-After``: the JSON envelope, or a bilingual page that needs no database
    (the usual layout loads the signed-in user, which is what just failed)."""
    headers = {"Retry-After": str(retry_after)}
    # The locale without the signed-in user's preference (loading the user needs the database).
    loc = "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "ar"
    message = _in(loc, _l("The database is unavailable. Try again in a minute."))
    if wants_json():
        return {"error": {"code": "unavailable", "message": message,
                          "details": {"retry_after": retry_after}}}, 503, headers
    texts = {loc: (_in(loc, TITLES[503]), _in(loc, HINTS[503])) for loc in ("ar", "en")}
    # Rendered without the context processors: one of them reads the user's language.
    page = current_app.jinja_env.get_template("unavailable.html").render(
        texts=texts, reload_url=request.full_path,
        css_url=url_for("static", filename="css/app.css"))
    return page, 503, headers


def retry_after_seconds(default: int = 60) -> int:
    """Seconds until the rate limit that refused this request resets (``default`` if unknown)."""
    from .extensions import limiter

    try:
        current = limiter.current_limit
    except Exception:  # noqa: BLE001 - no limit was evaluated for this request
        current = None
    if current is not None and getattr(current, "reset_at", None):
        return max(1, int(current.reset_at - time.time()) + 1)
    return default


def add_retry_after(response: Response) -> Response:
    """after_request: every 429 and 503 tells the client when to come back."""
    if response.status_code in (429, 503) and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(
            retry_after_seconds() if response.status_code == 429 else DB_RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    """Map our errors, HTTP errors, CSRF failures, database outages and crashes to responses."""

    app.after_request(add_retry_after)

    def _database_down(exc: Exception):
        _rollback()
        app.logger.error("database unavailable: %s", type(exc).__name__)
        return unavailable()

    for cls in UNAVAILABLE:
        app.register_error_handler(cls, _database_down)

    @app.errorhandler(TasharukError)
    def _ours(exc: TasharukError):
        _rollback()
        if exc.status == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path))
        body, status = _respond(exc.status, exc.code, exc.message, exc.details)
        retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
        return body, status, ({"Retry-After": str(retry)} if retry else {})

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _respond(400, "csrf", _("The form expired or is missing its security token. "
                                       "Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return _respond(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        _rollback()
        from data.dbproblems import explain

        behind = explain(exc, lambda: app.config.get("DATABASE_URL"))
        if behind is not None:  # served before `tasharuk db upgrade`: not ready, not broken
            app.logger.error("database not usable: %s", behind.message)
            return unavailable()
        app.logger.exception("unhandled error")
        if app.testing and app.config.get("PROPAGATE_CRASHES", True):
            raise exc
        return _respond(500, "internal", _("Something went wrong on our side."))
