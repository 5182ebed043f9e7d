"""Server-side sign-in sessions: started at sign-in, checked on every request, ended by logout,
password or role change, the organisation's rejection or suspension and "sign out everywhere".

The cookie holds a random secret; the table keeps only its SHA-256, so neither a database
reader nor a log can replay a session. State lives in PostgreSQL: every app server sees an
ending at once. Functions take a session and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.models import User, UserSession

__all__ = ["Lifetimes", "end_session", "end_sessions", "find_session", "live_sessions",
           "purge", "start_session"]

TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen_at is written at most once a minute


class Lifetimes:
    """Idle and absolute lifetimes of a session (from configuration)."""

    def __init__(self, idle_minutes: float = 120, max_hours: float = 12):
        self.idle = dt.timedelta(minutes=float(idle_minutes))
        self.absolute = dt.timedelta(hours=float(max_hours))

    @classmethod
    def from_config(cls, config: Any) -> Lifetimes:
        return cls(config.get("SESSION_IDLE_MINUTES", 120), config.get("SESSION_MAX_HOURS", 12))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_session(session: Session, user: User, *, client_hint: str = "") -> str:
    """A new live session for ``user``; returns the secret for the cookie (never stored)."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    session.add(UserSession(token_hash=_digest(secret), user_id=user.id, created_at=now,
                            last_seen_at=now, client_hint=(client_hint or "")[:200]))
    session.flush()
    return secret


def find_session(session: Session, secret: str | None, lifetimes: Lifetimes, *,
                 now: dt.datetime | None = None) -> UserSession | None:
    """The live session of ``secret`` (its last-seen time touched), or None when unknown,
    ended, idle too long or older than the absolute lifetime (an expired one is ended)."""
    if not secret or not isinstance(secret, str) or len(secret) > 100:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(secret)))
    if row is None or row.ended_at is not None:
        return None
    now = now or _now()
    if now - row.last_seen_at > lifetimes.idle:
        _end(row, now, "idle")
        return None
    if now - row.created_at > lifetimes.absolute:
        _end(row, now, "expired")
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    session.flush()
    return row


def _end(row: UserSession, now: dt.datetime, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason[:40]


def end_session(session: Session, secret: str | None, reason: str = "logout") -> bool:
    """End the session of ``secret`` (True when a live one ended)."""
    if not secret or not isinstance(secret, str):
        return False
    done = session.execute(update(UserSession).where(
        UserSession.token_hash == _digest(secret), UserSession.ended_at.is_(None))
        .values(ended_at=_now(), end_reason=reason[:40]))
    return bool(done.rowcount)


def end_sessions(session: Session, user: User | int, reason: str, *, by: Any = None,
                 audit: bool = False) -> int:
    """End every live session of ``user`` (how many ended); ``audit``: write one audit row
    (the explicit "sign out everywhere"; other callers audit their own action)."""
    user_id = user if isinstance(user, int) else user.id
    done = session.execute(update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=_now(), end_reason=reason[:40]))
    if audit:
        record(session, "sessions.ended", user=by, object_type="user", object_id=user_id,
               summary={"reason": reason, "sessions": done.rowcount})
    session.flush()
    return done.rowcount


def live_sessions(session: Session, user: User, lifetimes: Lifetimes) -> list[UserSession]:
    """The sessions of ``user`` that still work, most recently seen first."""
    now = _now()
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.last_seen_at > now - lifetimes.idle,
        UserSession.created_at > now - lifetimes.absolute)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return list(rows)


def purge(session: Session, lifetimes: Lifetimes, now: dt.datetime | None = None) -> int:
    """Delete the sessions that can no longer be used (ended, idle too long or past the
    absolute lifetime): how many. Run nightly by the worker (``sessions.purge``) and by
    ``tasharuk users purge-sessions``; a deleted row and an ended one refuse a cookie alike."""
    now = now or _now()
    done = session.execute(delete(UserSession).where(or_(
        UserSession.ended_at.is_not(None), UserSession.last_seen_at < now - lifetimes.idle,
        UserSession.created_at < now - lifetimes.absolute)))
    return done.rowcount
