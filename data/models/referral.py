"""Cases (the referred person, minimum necessary data), referrals and their append-only events.

The referral issue owns the lifecycle rules (referral/); this module only holds the rows.
Name, phone and every free-text field that can describe a person (notes, decline/close
reasons, why consent was overridden) are stored encrypted (``*_enc``, Fernet tokens) with a key from
configuration (referral/crypto.py). The plain columns of those fields are legacy: empty, kept
until a later migration drops them, and a trigger refuses any new plain value (migration
0021_sealed_notes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
    and_,
    exists,
    func,
    text,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from matching.reasons import REASONS, SYSTEM_REASONS  # staff's codes; the platform's own

from .base import Base, Timestamps

if TYPE_CHECKING:
    from .consent import ConsentRecord

REFERRAL_STATES = ("draft", "sent", "accepted", "declined", "in_progress", "completed",
                   "closed_unmet", "withdrawn", "expired", "receiver_revoked")
URGENCIES = ("low", "normal", "high", "emergency")
# How the person agreed to be contacted by the receiving organisation: by phone, WhatsApp, SMS
# or e-mail at a number or address (``contact_handle_enc``, encrypted), in person, or only
# through the sending caseworker.
CONTACT_CHANNELS = ("phone", "whatsapp", "sms", "email", "in_person", "via_caseworker")
# What a person may agree to share with the receiving organisation.
CONSENT_SCOPES = ("name", "phone", "age_sex", "location", "needs", "target_groups",
                  "languages", "note")


class Case(Timestamps, Base):
    """The person referred, pseudonymous: a case code and only what a provider needs."""

    __tablename__ = "referral_case"
    __table_args__ = (
        CheckConstraint("age IS NULL OR age BETWEEN 0 AND 120", name="age"),
        CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
        CheckConstraint(f"urgency IN {URGENCIES}", name="urgency"),
        CheckConstraint(f"contact_channel IS NULL OR contact_channel IN {CONTACT_CHANNELS}",
                        name="contact_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    case_code: Mapped[str] = mapped_column(String(40))
    age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list,
                                                     server_default="{}")
    pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"))
    needs: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_channel: Mapped[str | None] = mapped_column(String(20))  # CONTACT_CHANNELS
    contact_handle_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # number or address
    # Consent is a history of records (data/models/consent.py, ``consents``); the case keeps
    # only an audited override of consent (why, sealed, and by whom).
    consent_override_reason: Mapped[str | None] = mapped_column(Text)  # legacy plain
    consent_override_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    consent_override_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    # Retention: when the personal data of the closed case was erased (statistics stay).
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    referrals: Mapped[list[Referral]] = relationship(back_populates="case")
    # the whole history, oldest first (the receipt of any record); reading consent needs only
    # ``consent``
    consents: Mapped[list[ConsentRecord]] = relationship(order_by="ConsentRecord.id")
    # the current record, one row per case (the newest: a renewal supersedes the one before),
    # so a case's consent never loads its history and ``selectinload(Case.consent)`` loads
    # the current consents of many cases in one statement
    consent: Mapped[ConsentRecord | None] = relationship(
        primaryjoin=lambda: _current_consent(), viewonly=True)


def _current_consent() -> ColumnElement[bool]:
    """Case.consent's join: the case's record with no newer record of the same case."""
    from .consent import ConsentRecord

    newer = aliased(ConsentRecord)
    return and_(ConsentRecord.case_id == Case.id, ~exists().where(
        newer.case_id == ConsentRecord.case_id, newer.id > ConsentRecord.id))


class Referral(Timestamps, Base):
    """A referral of a case from one organisation to a service of another."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(f"status IN {REFERRAL_STATES}", name="status"),
        CheckConstraint(f"reason_code IS NULL OR reason_code IN {REASONS + SYSTEM_REASONS}",
                        name="reason"),
        Index("ix_referral_inbox", "receiver_org_id", "status", "sent_at"),
        Index("ix_referral_outbox", "sender_org_id", "status", "sent_at"),
        # The expiry job reads only referrals still waiting for an answer.
        Index("ix_referral_due_sent", "due_at", postgresql_where=text("status = 'sent'")),
        # The measured figures of a page's services (referral.measured): answered referrals
        # by service and send time, with what the figures read (an index-only range).
        Index("ix_referral_measured", "service_id", "sent_at",
              postgresql_include=["responded_at", "status", "reason_code"],
              postgresql_where=text("responded_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    sender_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("service.id", ondelete="SET NULL"), index=True)
    service_type_code: Mapped[str | None] = mapped_column(ForeignKey("service_type.code"))
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(Text)  # legacy plain; use *_enc
    reason_text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # legacy plain
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    distance_m: Mapped[float | None] = mapped_column(Float)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[Case] = relationship(back_populates="referrals")
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id")


class ReferralEvent(Base):
    """One step of a referral. Append-only: a trigger refuses UPDATE and DELETE."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason_text: Mapped[str | None] = mapped_column(Text)  # legacy plain; use *_enc
    reason_text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # legacy plain
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    referral: Mapped[Referral] = relationship(back_populates="events")


class GlassAccess(Base):
    """Break-the-glass: a supervisor's time-limited access to a sensitive referral outside
    their normal access, with a reason (sealed, free text); every read under it is audited."""

    __tablename__ = "glass_access"
    __table_args__ = (
        Index("ix_glass_access_user_referral", "user_id", "referral_id", "expires_at"),
        CheckConstraint("expires_at > started_at", name="expires_after_start"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    reason_enc: Mapped[bytes] = mapped_column(LargeBinary)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # early end
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
