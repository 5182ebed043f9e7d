"""The expiry job: sent referrals not answered within the service's response time expire."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.models import Referral, Service
from data.models.base import utcnow
from referral.lifecycle import DEFAULT_RESPONSE_DAYS, transition
from referral.notify import MailConfig
from referral.workdays import add_working_days

__all__ = ["due_time", "expire_overdue"]


def due_time(due_at: dt.datetime | None, sent_at: dt.datetime | None,
             response_days: int | None) -> dt.datetime | None:
    """When a sent referral must be answered: fixed when sent, else ``sent_at`` plus the
    service's response time in working days (default 5); None when never sent."""
    if due_at is not None:
        return due_at
    if sent_at is None:
        return None
    return add_working_days(sent_at, response_days or DEFAULT_RESPONSE_DAYS)


def expire_overdue(session: Session, now: dt.datetime | None = None, *,
                   mail_config: MailConfig | None = None) -> int:
    """Mark ``sent`` referrals past their due time as ``expired`` (working days, Friday and
    Saturday off; the due time is fixed when sent, or derived from ``sent_at`` and the
    service's ``response_days``, default 5). Returns how many expired."""
    now = now or utcnow()
    rows = session.execute(
        select(Referral.id, Referral.version, Referral.due_at, Referral.sent_at,
               Service.response_days)
        .outerjoin(Service, Service.id == Referral.service_id)
        .where(Referral.status == "sent",
               or_(Referral.due_at < now, Referral.due_at.is_(None)))
        .order_by(Referral.id)).all()
    done = 0
    for rid, version, due_at, sent_at, days in rows:
        due_at = due_time(due_at, sent_at, days)
        if due_at is None or due_at >= now:
            continue
        transition(session, rid, None, "expire", version=version, now=now,
                   note="", mail_config=mail_config)
        done += 1
    return done
