"""Server-side sign-in sessions and login throttling: state in PostgreSQL, so every app server
sees a logout, a revocation or a failed password at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class UserSession(Base):
    """A browser sign-in: the cookie carries a random secret, only its SHA-256 is kept here.

    A session is live until ``ended_at`` is set (logout, password or role change, the
    organisation's rejection or suspension, "sign out everywhere") or its idle or absolute
    lifetime runs out.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    client_hint: Mapped[str] = mapped_column(String(200), default="", server_default="")
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(40))


class LoginThrottle(Base):
    """Failed sign-ins of one account from one client (keyed by a hash of both): each failure
    beyond the free ones doubles the wait before the next attempt from that client. Other
    clients, the account's owner among them, are not slowed."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
