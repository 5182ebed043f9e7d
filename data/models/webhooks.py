"""Webhooks (issue 22): an organisation's HTTPS endpoint that receives the change feed as
signed events, and the log of each delivery's attempts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
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

__all__ = ["DELIVERY_STATES", "Webhook", "WebhookDelivery"]

DELIVERY_STATES = ("pending", "delivered", "failed")


class Webhook(Base):
    """Where an organisation wants the directory's changes; ``secret_enc`` signs them."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    cursor: Mapped[str] = mapped_column(String(40))  # the change feed's position sent so far
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())


class WebhookDelivery(Base):
    """One event to one webhook: its attempts, the last answer or error, the outcome."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (CheckConstraint(f"status IN {DELIVERY_STATES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhook.id", ondelete="CASCADE"), index=True)
    change_cursor: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, exactly as signed
    status: Mapped[str] = mapped_column(String(10), default="pending",
                                        server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
