"""Who speaks for an organisation: its active administrators (asked by every room that notifies)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Organization, User

__all__ = ["org_admins"]


def org_admins(session: Session, *orgs: Organization | int) -> list[User]:
    """The active administrators of these organisations (objects or ids), ordered by id.

    Every notice meant for an organisation's admins asks here, so all leave out the same people.
    """
    ids = sorted({org if isinstance(org, int) else org.id for org in orgs})
    if not ids:
        return []
    return list(session.scalars(select(User).where(
        User.organization_id.in_(ids), User.role == "org_admin", User.active)
        .order_by(User.id)))
