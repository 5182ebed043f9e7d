"""An activity's identity across imports: a digest of its resolved content and the
fingerprint of its n-th occurrence, so importing the same data twice changes nothing (shared
by the 4W importer and the alias review that moves activities to another organisation)."""

from __future__ import annotations

import hashlib

from data.models import AGE_SEX_COLUMNS

__all__ = ["FINGERPRINTED", "HEAD", "TAIL", "content_digest", "digest_head", "digest_text",
           "digest_with", "fingerprint"]

# what a row says in words (its organisation, service, place and period), then its figures:
# an importer writes the head once per distinct text and only the tail per row
HEAD = ("service_type_code", "activity_code", "activity_text", "pcode", "community_pcode",
        "period_start", "period_end")
TAIL = ("unit", "reached_total", *AGE_SEX_COLUMNS, "quantity", "target_groups")
FINGERPRINTED = HEAD + TAIL


def _getter(values):
    return values.get if isinstance(values, dict) else lambda k: getattr(values, k)


def digest_head(org_uuid, values) -> str:
    """The digested text of an activity's organisation and ``HEAD`` fields."""
    get = _getter(values)
    return f"{org_uuid}|" + "|".join(str(get(k)) for k in HEAD)


def digest_with(head: str, tail: tuple) -> bytes:
    """The content digest of an activity from its ``digest_head`` and its ``TAIL`` values."""
    return digest_text(f"{head}|{'|'.join(map(str, tail))}")


def digest_text(text: str) -> bytes:
    """The digest of ``digest_with``'s text, for an importer that joins it from parts it
    formatted once (each value as ``str`` gives it, ``|`` between)."""
    return hashlib.sha256(text.encode()).digest()


def content_digest(org_uuid, values) -> bytes:
    """Digest of an activity's resolved content (``values``: a dict or an Activity)."""
    get = _getter(values)
    return digest_with(digest_head(org_uuid, values), tuple(get(k) for k in TAIL))


def fingerprint(digest: bytes, occurrence: int) -> str:
    """The fingerprint of the ``occurrence``-th row with content ``digest``."""
    return hashlib.sha256(digest + str(occurrence).encode()).hexdigest()
