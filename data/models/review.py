"""Signed review links (issue 22): one row per link sent to an organisation admin, so that a
link works once, expires, and the answer records who confirmed what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["REVIEW_ANSWERS", "ReviewLink"]

REVIEW_ANSWERS = ("still_accurate", "needs_changes", "closed")


class ReviewLink(Base):
    """A link asking ``user`` to review ``service``; ``answer`` and ``used_at`` once used."""

    __tablename__ = "review_link"
    __table_args__ = (
        CheckConstraint(f"answer IS NULL OR answer IN {REVIEW_ANSWERS}", name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[str | None] = mapped_column(String(20))
