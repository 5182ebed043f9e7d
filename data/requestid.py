"""The id of the request (or job) being served, so the audit log and the logs can be joined."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

__all__ = ["current", "new_id", "set_current", "valid"]

_CURRENT: ContextVar[str | None] = ContextVar("tasharuk_request_id", default=None)
_VALID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_id() -> str:
    """A fresh random request id (32 hex digits, as nginx's ``$request_id``)."""
    return uuid.uuid4().hex


def valid(candidate: str | None) -> bool:
    """True for an id a proxy may hand us: 8-64 letters, digits, dots, dashes, underscores."""
    return bool(candidate) and _VALID.fullmatch(candidate) is not None


def set_current(request_id: str | None) -> None:
    """Make ``request_id`` the current one (None: no request or job is being served)."""
    _CURRENT.set(request_id)


def current() -> str | None:
    """The id of the request or job being served, if any."""
    return _CURRENT.get()
