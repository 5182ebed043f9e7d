"""Keeping listings true (issue 22): signed review links (one row per link sent to an
organisation admin, so that a link works once, expires, and records who confirmed what) and
reports of inaccurate information; the change log partner systems follow."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["MODERATION_STATES", "REPORT_KINDS", "REPORT_STATES", "REVIEW_ANSWERS", "ChangeLog",
           "FeedbackCode", "ReviewLink", "ServiceFeedback", "ServiceReport"]

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


REPORT_KINDS = ("wrong_contact", "closed", "moved", "criteria_changed", "hours_changed",
                "other")
REPORT_STATES = ("open", "fixed", "not_changed")


class ServiceReport(Base):
    """A report that a listing is inaccurate, by a caseworker or anyone (no account): the
    organisation answers it, the reporter sees the answer by ``code`` (and in-app when signed
    in). ``detail_enc``: free text, sealed in case someone writes a person's details."""

    __tablename__ = "service_report"
    __table_args__ = (
        CheckConstraint(f"kind IN {REPORT_KINDS}", name="kind"),
        CheckConstraint(f"status IN {REPORT_STATES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    detail_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))


class ChangeLog(Base):
    """One created, updated or withdrawn organisation, service or location, written by
    triggers (migration ``0036_change_log``) in the changing transaction (``txid``)."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_uuid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    organization_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))


MODERATION_STATES = ("none", "pending", "approved", "rejected")


class FeedbackCode(Base):
    """A short code a caseworker hands the person, good for one feedback on one service."""

    __tablename__ = "feedback_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ServiceFeedback(Base):
    """Structured feedback of a person served (no personal data): was the service provided,
    respectful, timely; an optional comment, sealed and shown only once moderated."""

    __tablename__ = "service_feedback"
    __table_args__ = (CheckConstraint(f"moderation IN {MODERATION_STATES}", name="moderation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("feedback_code.id", ondelete="CASCADE"),
                                         unique=True)
    provided: Mapped[bool] = mapped_column(Boolean)
    respectful: Mapped[bool | None] = mapped_column(Boolean)
    timely: Mapped[bool | None] = mapped_column(Boolean)
    comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    moderation: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
