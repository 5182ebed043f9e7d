"""A signed-in person's work queue (their home page): new referrals to answer, overdue ones,
referrals sent and awaiting a reply, and recently closed ones; and the header's counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.models import Referral
from data.models.base import utcnow

from .boxes import BoxFilters, box_query

__all__ = ["CLOSED", "RECENT_DAYS", "WorkQueue", "new_count", "work_queue"]

CLOSED = ("completed", "declined", "closed_unmet", "expired", "withdrawn")
RECENT_DAYS = 14
SHOWN = 10


@dataclass
class WorkQueue:
    """Up to ``SHOWN`` rows per list (box rows) and the full count of each."""

    lists: dict[str, list[dict]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _rows(session: Session, org_id: int, box: str, cond, now: dt.datetime) -> list[dict]:
    stmt = box_query(org_id, BoxFilters(box=box, limit=SHOWN), now).where(cond)
    return [dict(r._mapping) for r in session.execute(stmt)]


def _count(session: Session, own, org_id: int, cond) -> int:
    return session.scalar(select(func.count()).select_from(Referral).where(
        own == org_id, cond)) or 0


def work_queue(session: Session, org_id: int, now: dt.datetime | None = None) -> WorkQueue:
    """The organisation's queue: ``new`` (received, to answer, not yet due), ``overdue``
    (received, past the answer date), ``awaiting`` (sent, no answer yet) and ``closed``
    (either side, closed in the last ``RECENT_DAYS`` days)."""
    now = now or utcnow()
    sent = Referral.status == "sent"
    conds = {
        "new": ("in", Referral.receiver_org_id,
                and_(sent, (Referral.due_at.is_(None)) | (Referral.due_at >= now))),
        "overdue": ("in", Referral.receiver_org_id, and_(sent, Referral.due_at < now)),
        "awaiting": ("out", Referral.sender_org_id, sent),
        "closed": ("out", Referral.sender_org_id, and_(
            Referral.status.in_(CLOSED),
            Referral.closed_at >= now - dt.timedelta(days=RECENT_DAYS))),
    }
    queue = WorkQueue()
    for name, (box, own, cond) in conds.items():
        queue.lists[name] = _rows(session, org_id, box, cond, now)
        queue.counts[name] = _count(session, own, org_id, cond)
    return queue


def new_count(session: Session, org_id: int) -> int:
    """Received referrals waiting for an answer (new and overdue): the header's count."""
    return _count(session, Referral.receiver_org_id, org_id, Referral.status == "sent")
