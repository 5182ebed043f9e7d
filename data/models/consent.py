"""Consent records (issue 23): each agreement of a person to share, and its renewals.

A case has a history of consents. Each record says who gave it (a relationship, plain), how,
when, what may be shared, with which organisations (empty: the case's receivers), for which
purpose and until when. A renewal is a new record that supersedes the current one, so the
receipt of any agreement can still be printed. Revocation marks the current record (when, by
whom, and why, sealed like every free text about a person). A record without a method is a
revocation made when no consent had been given (after an override): it gives no consent.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# guardian: a parent or guardian agreed for a child
CONSENT_METHODS = ("verbal", "written", "guardian")


class ConsentRecord(Base):
    """One agreement of the person (or a revocation with none): scope, organisations, expiry."""

    __tablename__ = "consent_record"
    __table_args__ = (
        CheckConstraint(f"method IS NULL OR method IN {CONSENT_METHODS}", name="method"),
        CheckConstraint("method IS NOT NULL OR revoked_at IS NOT NULL", name="given_or_revoked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id", ondelete="CASCADE"),
                                         index=True)
    given_by: Mapped[str | None] = mapped_column(Text)  # a relationship, not a name
    method: Mapped[str | None] = mapped_column(String(20))
    given_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    scope: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    purpose: Mapped[str | None] = mapped_column(Text)
    organization_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list,
                                                        server_default="{}")
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    revoked_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # the record this one renews (each is renewed at most once: the history is a line)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_record.id", ondelete="SET NULL"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
