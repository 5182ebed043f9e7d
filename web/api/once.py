"""A POST that creates something, retried with its ``Idempotency-Key``, creates it once.

Why: an API client on a poor connection retries a POST whose answer it never got; each retry
created another referral, thread, post, request, document, service or report. With the same
key, a retry gets what the first request created (``data.submissions``, kept a day); the same
key with another body is a 409 ``idempotency_key_reused``; a key of the wrong shape a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from data.db import db
from data.submissions import KEY_PATTERN, check_key, claim, record

from ..extensions import limit_key
from .openapi import error_responses

__all__ = ["HEADER", "PARAMETER", "created_once", "once_operation", "once_operations"]

HEADER = "Idempotency-Key"
PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Send a new random key with each new request and the same key when "
                   "retrying it: a retry gets what the first created (kept a day); the same "
                   "key with another body is a 409.",
    "schema": {"type": "string", "pattern": f"^{KEY_PATTERN}$"}}


def created_once(kind: str, body: Any, create: Callable[[], list[int]]) -> list[int]:
    """The ids ``create`` makes of ``body``, or, for a retry with the request's key, those
    the first request made (in the request's transaction: commit after)."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    # (whose allowance the request counts against: the public's by address, as a key a
    # client chose may be another's too)
    claimed = claim(db.session, limit_key(), check_key(key, HEADER), body, kind=kind)
    if claimed.repeat is not None:
        return claimed.repeat
    ids = create()
    record(db.session, claimed, ids)
    return ids


def once_operation(operation: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI operation that takes the ``Idempotency-Key`` header (and may answer 409)."""
    return {**operation, "parameters": [*operation.get("parameters", []), PARAMETER],
            "responses": {**operation["responses"], **error_responses(409)}}


def once_operations(paths: dict[str, Any], *names: str) -> None:
    """Make the POST of each of ``names`` in ``paths`` take the ``Idempotency-Key``."""
    for name in names:
        paths[name]["post"] = once_operation(paths[name]["post"])
