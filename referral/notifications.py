"""A user's in-app notifications: read them (newest first) and mark them read.

``referral.notify.notify`` writes the rows (referrals, partnerships, forum, ...); this is the
other half, so that in-app notifications are actually seen.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.models import Notification
from data.models.base import utcnow

__all__ = ["PAGE", "list_notifications", "mark_all_read", "unread_count"]

PAGE = 50


def list_notifications(session: Session, user_id: int, *, limit: int = PAGE,
                       offset: int = 0) -> list[Notification]:
    """The user's notifications, newest first (one page)."""
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.id.desc()).limit(limit).offset(offset)))


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are not read yet."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = session.execute(
        update(Notification).where(Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    session.flush()
    return result.rowcount or 0
