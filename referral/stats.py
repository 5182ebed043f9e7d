"""Per-provider referral statistics, for the search ranking and the gap analysis.

acceptance_rate = accepted-or-later / answered (accepted + declined + later states reached
through acceptance); expired referrals count as not accepted. median_response_hours is the
median of ``responded_at - sent_at`` over answered referrals. decline_reasons counts the
reasons of declined and closed-unmet referrals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from data.models import Referral

__all__ = ["ProviderStats", "provider_stats"]

_ACCEPTED = ("accepted", "in_progress", "completed", "closed_unmet")
_ANSWERED = (*_ACCEPTED, "declined", "expired")


@dataclass
class ProviderStats:
    """One provider's figures (``key`` is the organisation or service id)."""

    key: int
    received: int = 0
    answered: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    acceptance_rate: float | None = None
    median_response_hours: float | None = None
    decline_reasons: dict[str, int] = field(default_factory=dict)


def provider_stats(session: Session, *, by: str = "organization", ids: list[int] | None = None,
                   since: dt.datetime | None = None) -> dict[int, ProviderStats]:
    """Figures per receiving organisation (``by="organization"``) or service
    (``by="service"``), optionally for ``ids`` only and referrals sent ``since``."""
    if by not in ("organization", "service"):
        raise ValueError("by must be 'organization' or 'service'")
    key = Referral.receiver_org_id if by == "organization" else Referral.service_id
    conds = [Referral.sent_at.is_not(None), key.is_not(None)]
    if ids is not None:
        conds.append(key.in_(ids))
    if since is not None:
        conds.append(Referral.sent_at >= since)
    hours = func.extract("epoch", Referral.responded_at - Referral.sent_at) / 3600.0
    rows = session.execute(
        select(key.label("k"),
               func.count().label("received"),
               func.sum(case((Referral.status.in_(_ANSWERED), 1), else_=0).cast(Integer)),
               func.sum(case((Referral.status.in_(_ACCEPTED), 1), else_=0).cast(Integer)),
               func.sum(case((Referral.status == "declined", 1), else_=0).cast(Integer)),
               func.sum(case((Referral.status == "expired", 1), else_=0).cast(Integer)),
               func.percentile_cont(0.5).within_group(hours)
               .filter(Referral.responded_at.is_not(None)))
        .where(*conds).group_by(key)).all()
    out: dict[int, ProviderStats] = {}
    for k, received, answered, accepted, declined, expired, median in rows:
        out[k] = ProviderStats(
            key=k, received=received, answered=answered or 0, accepted=accepted or 0,
            declined=declined or 0, expired=expired or 0,
            acceptance_rate=(accepted / answered) if answered else None,
            median_response_hours=float(median) if median is not None else None)
    reasons = session.execute(
        select(key, Referral.reason_code, func.count())
        .where(*conds, Referral.status.in_(("declined", "closed_unmet")),
               Referral.reason_code.is_not(None))
        .group_by(key, Referral.reason_code)).all()
    for k, reason, n in reasons:
        out[k].decline_reasons[reason] = n
    return out
