"""Helpers shared by the referral pages and the referral API: the cipher and JSON values."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from referral.crypto import configured_cipher as cipher

__all__ = ["cipher", "jsonable"]


def jsonable(value: Any) -> Any:
    """Datetimes as ISO strings, UUIDs as text, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
