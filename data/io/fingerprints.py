"""An activity's identity across imports: a digest of its resolved content and the
fingerprint of its n-th occurrence, so importing the same data twice changes nothing (shared
by the 4W importer and the alias review that moves activities to another organisation)."""

from __future__ import annotations

import hashlib

from data.models import AGE_SEX_COLUMNS

__all__ = ["FINGERPRINTED", "content_digest", "fingerprint"]

FINGERPRINTED = ("service_type_code", "activity_code", "activity_text", "pcode",
                 "community_pcode", "period_start", "period_end", "unit", "reached_total",
                 *AGE_SEX_COLUMNS, "quantity", "target_groups")


def content_digest(org_uuid, values) -> bytes:
    """Digest of an activity's resolved content (``values``: a dict or an Activity)."""
    get = values.get if isinstance(values, dict) else lambda k: getattr(values, k)
    key = "|".join(str(get(k)) for k in FINGERPRINTED)
    return hashlib.sha256(f"{org_uuid}|{key}".encode()).digest()


def fingerprint(digest: bytes, occurrence: int) -> str:
    """The fingerprint of the ``occurrence``-th row with content ``digest``."""
    return hashlib.sha256(digest + str(occurrence).encode()).hexdigest()
