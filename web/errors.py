"""Error handlers, registered once: JSON envelope for the API, an HTML page otherwise."""

from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
}
# Werkzeug's own English descriptions are replaced by the translated hint above.
_DEFAULT_DESCRIPTIONS = {cls.description for cls in default_exceptions.values()
                         if isinstance(getattr(cls, "description", None), str)}


def _in(locale: str, text) -> str:
    with force_locale(locale):
        return str(text)


def _respond(status: int, code: str, message: str, details=None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "details": details or {}}}
        return body, status
    family = status if status in TITLES else (500 if status >= 500 else 400)
    title, hint = TITLES[family], HINTS[family]
    other = "en" if current_locale() == "ar" else "ar"
    if message and message.rstrip(".") == str(title):
        message = ""
    return render_template(
        "error.html", status=status, code=code, details=details or {},
        title=str(title), hint=str(hint),
        message=None if not message or message in _DEFAULT_DESCRIPTIONS else message,
        other_locale_code=other, other_title=_in(other, title), other_hint=_in(other, hint),
    ), status


def init_app(app: Flask) -> None:
    """Map our errors, HTTP errors, CSRF failures and crashes to responses."""

    @app.errorhandler(TasharukError)
    def _ours(exc: TasharukError):
        db.session.rollback()
        if exc.status == 401 and not wants_json():
            return redirect(url_for("auth.login", next=request.full_path))
        return _respond(exc.status, exc.code, exc.message, exc.details)

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
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.testing and app.config.get("PROPAGATE_CRASHES", True):
            raise exc
        return _respond(500, "internal", _("Something went wrong on our side."))
