"""Reference lists for the API: admin areas and the taxonomy (sectors, types, target groups)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AdminArea, ForumCategory, Sector, ServiceType, TargetGroup
from referral.focal import FOCAL_LEVELS


def admin_areas(session: Session, *, level: int | None = None,
                parent: str | None = None) -> Sequence[AdminArea]:
    """Admin areas by p-code, optionally of one level and/or under one parent p-code."""
    stmt = select(AdminArea).order_by(AdminArea.pcode)
    if level is not None:
        stmt = stmt.where(AdminArea.level == level)
    if parent:
        stmt = stmt.where(AdminArea.parent_pcode == parent)
    return session.scalars(stmt).all()


def sectors(session: Session) -> Sequence[Sector]:
    """All sectors in their display order."""
    return session.scalars(select(Sector).order_by(Sector.sort)).all()


def service_types(session: Session) -> Sequence[ServiceType]:
    """All service types by code."""
    return session.scalars(select(ServiceType).order_by(ServiceType.code)).all()


def target_groups(session: Session) -> Sequence[TargetGroup]:
    """All target groups in their display order."""
    return session.scalars(select(TargetGroup).order_by(TargetGroup.sort)).all()


def codes(session: Session) -> dict[str, list[str]]:
    """The codes inputs are checked against (service types, target groups, sectors, open
    forum categories, the governorates and districts a focal point may cover), for the API
    document's enums."""
    return {"service_types": list(session.scalars(select(ServiceType.code))),
            "target_groups": list(session.scalars(select(TargetGroup.code))),
            "sectors": list(session.scalars(select(Sector.code))),
            # where anyone who may write in the forum may start a thread
            "forum_categories": list(session.scalars(select(ForumCategory.id).where(
                ForumCategory.admin_only.is_(False)))),
            "focal_areas": list(session.scalars(select(AdminArea.pcode).where(
                AdminArea.level.in_(FOCAL_LEVELS))))}
