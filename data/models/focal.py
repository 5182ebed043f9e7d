"""Focal-point routing (issue 23): who receives minimal requests for sensitive services.

An organisation designates members as *focal points* for its sensitive services per
governorate or district. A caseworker who is not a specialist sends a *focal request*: the
service, the person's area, the urgency and the contact channel the person chose, and nothing
else (no name, no narrative). A focal point calls back and converts it into a full referral
with the person's consent; each step is timed here and written to the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .referral import CONTACT_CHANNELS, URGENCIES  # the one vocabulary of contact channels

FOCAL_STATES = ("open", "called_back", "converted", "closed")


class FocalPoint(Base):
    """A member designated by its organisation to receive focal requests for an area."""

    __tablename__ = "focal_point"
    __table_args__ = (UniqueConstraint("user_id", "pcode", name="user_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    pcode: Mapped[str] = mapped_column(ForeignKey("admin_area.pcode"))  # governorate/district
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())


class FocalRequest(Base):
    """A minimal request for a sensitive service, and the times of each step it went through."""

    __tablename__ = "focal_request"
    __table_args__ = (
        CheckConstraint(f"urgency IN {URGENCIES}", name="urgency"),
        CheckConstraint(f"channel IN {CONTACT_CHANNELS}", name="channel"),
        CheckConstraint(f"status IN {FOCAL_STATES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    organization_id: Mapped[int] = mapped_column(  # the service's: where it is routed
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    requester_org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    requester_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    pcode: Mapped[str] = mapped_column(ForeignKey("admin_area.pcode"))
    urgency: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    called_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    converted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
