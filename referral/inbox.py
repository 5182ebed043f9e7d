"""A user's in-app notifications: list them newest first and mark them read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.models import Notification


def latest(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    """The user's newest notifications (never anyone else's)."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.created_at.desc(),
                                          Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark the user's unread notifications read; returns how many changed."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=dt.datetime.now(dt.UTC)))
    session.flush()
    return result.rowcount or 0
