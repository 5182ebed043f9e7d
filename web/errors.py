"""Error handlers, registered once: JSON envelope for the API, an HTML page otherwise."""

from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from data.db import db
from data.errors import TasharukError


def wants_json() -> bool:
    """API paths and clients that prefer JSON get the JSON envelope."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def _respond(status: int, code: str, message: str, details=None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "details": details or {}}}
        return body, status
    return render_template("error.html", status=status, code=code, message=message,
                           details=details or {}), status


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
