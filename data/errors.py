"""One small hierarchy of errors, mapped once to HTTP (web/errors.py) and CLI exit codes (app.py).

Use cases raise these; views and commands never build error responses themselves.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadInput",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "TasharukError",
    "Unauthorized",
    "Unavailable",
]


class TasharukError(Exception):
    """Base error: a stable ``code``, a human ``message``, structured ``details``, a status."""

    status = 500
    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, details: Any = None, code: str | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}
        if field is not None and isinstance(self.details, dict):
            self.details.setdefault("field", field)
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        """The JSON envelope ``{"error": {"code", "message", "details"}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadInput(TasharukError):
    """The input is malformed; the message names the field, row or column (HTTP 400, exit 2)."""

    status = 400
    code = "bad_input"
    exit_code = 2


class Unauthorized(TasharukError):
    """Not signed in, or credentials are wrong (HTTP 401)."""

    status = 401
    code = "unauthorized"
    exit_code = 2


class Forbidden(TasharukError):
    """Signed in but not allowed (HTTP 403)."""

    status = 403
    code = "forbidden"
    exit_code = 2


class NotFound(TasharukError):
    """The object does not exist, or is not visible to this user (HTTP 404, exit 2)."""

    status = 404
    code = "not_found"
    exit_code = 2


class Conflict(TasharukError):
    """The change conflicts with the current state, e.g. a stale version (HTTP 409)."""

    status = 409
    code = "conflict"
    exit_code = 2


class RateLimited(TasharukError):
    """Too many attempts (HTTP 429)."""

    status = 429
    code = "rate_limited"
    exit_code = 2


class Unavailable(TasharukError):
    """Temporarily unable to serve this, e.g. every export slot is busy (HTTP 503 with
    ``Retry-After`` from ``details["retry_after"]``; exit 1: try again later)."""

    status = 503
    code = "unavailable"
    exit_code = 1
