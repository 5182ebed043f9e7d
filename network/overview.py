"""The home page's national overview: organisations and services per governorate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal_column, select, union
from sqlalchemy.orm import Session

from data.models import AdminArea, Organization, Service, ServiceSite, service_coverage

__all__ = ["GovernorateCount", "governorate_summary", "platform_totals"]


@dataclass(frozen=True)
class GovernorateCount:
    pcode: str
    name_ar: str
    name_en: str
    organizations: int
    services: int


def governorate_summary(session: Session) -> list[GovernorateCount]:
    """Each governorate with the organisations and active services present in it.

    A service is present where it covers the governorate or any area inside it (p-codes nest
    by prefix), or has a site there; an organisation is present through its services.
    """
    gov_of_cover = func.left(service_coverage.c.pcode, 4)
    gov_of_site = func.left(ServiceSite.admin3_pcode, 4)
    presence = union(
        select(service_coverage.c.service_id.label("sid"), gov_of_cover.label("gov")),
        select(ServiceSite.service_id.label("sid"), gov_of_site.label("gov"))
        .where(ServiceSite.admin3_pcode.is_not(None)),
    ).subquery()
    counts = (
        select(presence.c.gov,
               func.count(func.distinct(Service.id)).label("services"),
               func.count(func.distinct(Service.organization_id)).label("orgs"))
        .join(Service, Service.id == presence.c.sid)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.status == "active")
        .group_by(presence.c.gov)
        .subquery()
    )
    rows = session.execute(
        select(AdminArea.pcode, AdminArea.name_ar, AdminArea.name_en,
               func.coalesce(counts.c.orgs, literal_column("0")),
               func.coalesce(counts.c.services, literal_column("0")))
        .outerjoin(counts, counts.c.gov == AdminArea.pcode)
        .where(AdminArea.level == 1)
        .order_by(AdminArea.pcode)
    ).all()
    return [GovernorateCount(*row) for row in rows]


def platform_totals(session: Session) -> tuple[int, int]:
    """Distinct organisations with an active service, and active services, on the platform.

    Not the sum of the governorate rows: a service (and its organisation) present in several
    governorates is counted once here.
    """
    row = session.execute(
        select(func.count(func.distinct(Service.organization_id)), func.count(Service.id))
        .where(Service.status == "active")
    ).one()
    return int(row[0]), int(row[1])
