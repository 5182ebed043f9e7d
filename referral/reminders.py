"""SLA reminders: the receiving side hears once when a sent referral is due within a day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from data.models import Notification, Referral, Service
from data.models.base import utcnow
from referral.expiry import due_time
from referral.lifecycle import receiver_staff, reference
from referral.notify import MailConfig, notify

__all__ = ["REMINDER_KIND", "WINDOW", "remind_due"]

REMINDER_KIND = "referral.due"
WINDOW = dt.timedelta(days=1)  # remind when the answer is due within this time


def remind_due(session: Session, now: dt.datetime | None = None, *,
               mail_config: MailConfig | None = None) -> int:
    """Remind the receiving staff of ``sent`` referrals due within ``WINDOW`` (once per
    referral: a reminder already written for its link is not repeated). Returns how many
    referrals were reminded. The text carries the reference only, like every notification."""
    now = now or utcnow()
    link = "/referrals/" + Referral.id.cast(Notification.link.type)
    already = exists().where(Notification.kind == REMINDER_KIND, Notification.link == link)
    rows = session.execute(
        select(Referral, Service.response_days)
        .outerjoin(Service, Service.id == Referral.service_id)
        .where(Referral.status == "sent", ~already,
               or_(Referral.due_at.is_(None), Referral.due_at <= now + WINDOW))
        .order_by(Referral.id)).all()
    done = 0
    for referral, days in rows:
        due = due_time(referral.due_at, referral.sent_at, days)
        if due is None or not now < due <= now + WINDOW:
            continue
        users = receiver_staff(session, referral)
        if not users:
            continue
        ref = reference(referral)
        notify(session, users, REMINDER_KIND,
               f"الإحالة {ref} تنتظر ردّكم خلال يوم.",
               f"Referral {ref} awaits your answer within a day.",
               f"/referrals/{referral.id}", config=mail_config)
        done += 1
    return done
