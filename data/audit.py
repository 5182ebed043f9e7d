"""The append-only audit log: one helper to write an entry, one query builder to browse it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data import requestid
from data.models import AuditLog, User

__all__ = ["audit_query", "record"]


def record(session: Session, action: str, *, user: Any = None, organization_id: int | None = None,
           obj: Any = None, object_type: str = "", object_id: Any = "",
           summary: dict | None = None, ip: str | None = None) -> AuditLog:
    """Add one audit entry (who, what, which object, a summary); flushed with the caller's work.

    The one way every room writes the audit log. ``user`` is a User, a user id, or a token
    principal (recorded as the token in the summary); ``organization_id`` defaults to the
    user's organisation. ``obj`` (a mapped object) names the object: its class in lower case
    and its id, unless ``object_type`` / ``object_id`` say otherwise. The id of the request
    or job being served is kept with the entry, to find its line in the logs.
    """
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        object_id = object_id or obj.id
    summary = dict(summary or {})
    user_id = None
    if isinstance(user, int):
        user_id = user
    elif user is not None:
        user_id = getattr(user, "id", None)
        token_id = getattr(user, "token_id", None)
        if token_id is not None:
            summary.setdefault("token_id", token_id)
        if organization_id is None:
            organization_id = getattr(user, "organization_id", None)
    entry = AuditLog(user_id=user_id, organization_id=organization_id, action=action,
                     object_type=object_type, object_id=str(object_id or ""),
                     summary=summary, ip=ip, request_id=requestid.current())
    session.add(entry)
    session.flush()
    return entry


def audit_query(*, action: str = "", user_email: str = "", object_type: str = "",
                since: dt.date | None = None, until: dt.date | None = None) -> Select:
    """Entries matching the filters, newest first (``action`` matches a prefix, e.g. 'login')."""
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if user_email:
        stmt = stmt.join(User, User.id == AuditLog.user_id).where(
            User.email == user_email.strip().lower())
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    if since:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        stmt = stmt.where(AuditLog.at < dt.datetime.combine(until + dt.timedelta(days=1),
                                                            dt.time(), dt.UTC))
    return stmt


def audit_page(session: Session, stmt: Select, *, page: int, page_size: int
               ) -> tuple[int, list[AuditLog], dict[int, User]]:
    """One page of an audit query: (total matching, the page's entries, their users by id)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    entries = list(session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)))
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({e.user_id for e in entries if e.user_id})))}
    return total or 0, entries, users
