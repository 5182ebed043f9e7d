"""Login throttling per account and client: after a few free failures, each further wrong
password from the same client doubles the wait before that client may try that account again
(up to a ceiling). Nothing locks the account: its owner, signing in from another client, is
not slowed, so a stranger who knows an email cannot lock that person out.

State lives in PostgreSQL (``login_throttle``), shared by every app server; the key is a hash
of the email and the client's address, so the table holds neither. Functions take a session
and flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from data.models import LoginThrottle

__all__ = ["Throttle", "blocked_for", "forget", "key_of", "purge", "record_failure"]

FORGET_AFTER = dt.timedelta(days=1)  # a quiet day wipes a client's failures


@dataclass(frozen=True)
class Throttle:
    """``free`` failures cost nothing; the next waits ``base`` s, then 2x, 4x, ... up to
    ``ceiling`` s."""

    free: int = 5
    base: float = 1.0
    ceiling: float = 900.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row."""
        extra = failures - self.free - 1
        if extra < 0:
            return 0.0
        return min(self.ceiling, self.base * 2 ** min(extra, 40))


def key_of(email: str, client: str | None) -> str:
    """The row key of an (email, client) pair: a SHA-256, so neither is stored."""
    raw = f"{(email or '').strip().lower()}\n{client or '-'}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def blocked_for(session: Session, key: str, now: dt.datetime | None = None) -> int:
    """Whole seconds this client must still wait before trying this account (0: may try)."""
    row = session.get(LoginThrottle, key)
    now = now or _now()
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def record_failure(session: Session, key: str, throttle: Throttle,
                   now: dt.datetime | None = None) -> tuple[int, int]:
    """Count a failure of this client on this account: (failures in a row, seconds to wait)."""
    now = now or _now()
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0, last_failure_at=now)
        session.add(row)
    elif now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = throttle.delay(row.failures)
    row.blocked_until = now + dt.timedelta(seconds=wait) if wait else None
    session.flush()
    return row.failures, math.ceil(wait)


def forget(session: Session, key: str) -> None:
    """A successful sign-in clears this client's failures on the account."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def purge(session: Session, now: dt.datetime | None = None) -> int:
    """Delete rows quiet for a day (how many): their failures would be forgotten anyway. Run
    nightly by the worker (``throttle.purge``) and by ``tasharuk users purge-sessions``."""
    now = now or _now()
    done = session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FORGET_AFTER))
    return done.rowcount
