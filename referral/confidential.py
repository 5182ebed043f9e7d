"""Confidential sites: the exact place behind a front gate, released only where it must be.

A confidential site's exact point and address are sealed in ``service_site.exact_enc``; every
public column holds its front gate. The exact place goes to the sending caseworker of a
referral only once the receiver has accepted it (and while it is open), each time audited.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.models import Referral, ServiceSite
from referral.access import SENDER, is_assigned, side_of
from referral.crypto import configured_cipher, unseal

__all__ = ["RELEASED_STATES", "released_sites", "site_exact"]

RELEASED_STATES = frozenset({"accepted", "in_progress"})  # accepted and not yet closed


def site_exact(site: ServiceSite) -> dict[str, Any] | None:
    """The sealed exact point and address of a confidential site, for a reader the caller
    has already allowed; None when the site is not confidential or no key opens it."""
    if not site.confidential:
        return None
    plain = unseal(configured_cipher(), site.exact_enc)
    return json.loads(plain) if plain else None


def released_sites(session: Session, referral: Referral, actor: Any) -> list[dict[str, Any]]:
    """The exact places of the referred service's confidential sites, for the sending
    caseworker (the assigned sender) of an accepted, open referral; [] for anyone else.
    Each release is written to the audit log."""
    if (referral.service_id is None or referral.status not in RELEASED_STATES
            or side_of(referral, actor) != SENDER or not is_assigned(referral, actor)):
        return []
    out = []
    for site in session.scalars(select(ServiceSite).where(
            ServiceSite.service_id == referral.service_id, ServiceSite.confidential)
            .order_by(ServiceSite.id)):
        exact = site_exact(site)
        if exact is None:
            continue
        out.append({"site_id": site.id, "name_ar": site.name_ar, "name_en": site.name_en,
                    **exact})
        record(session, "site.exact_released", user=actor, obj=site, object_type="service_site",
               summary={"referral_id": referral.id, "service_id": referral.service_id})
    return out
