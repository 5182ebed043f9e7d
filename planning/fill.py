"""Who can fill a gap: verified organisations with active services of the gap's sector (or
service type) covering the area, or with a site near it, with their capacity and distance.

Distances are from the area's centre to a service's nearest site, in metres on the sphere;
sites of sensitive services are never used (their places stay private), so such services
appear only through the areas they cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import AdminArea, Organization, Sector, ServiceType, TargetGroup

__all__ = ["NEAR_M", "FillService", "GapFillers", "gap_fillers"]

NEAR_M = 30_000  # a site this close to the area's centre can serve it
MAX_ORGS = 50

_SQL = text("""
WITH area AS (
    SELECT pcode, coalesce(centroid, ST_PointOnSurface(geom)) AS at FROM admin_area
    WHERE pcode = :pcode
), svc AS (
    SELECT s.id, s.organization_id, s.name_ar, s.name_en, s.service_type_code,
           s.capacity_per_month, s.availability, s.sensitive
    FROM service s JOIN organization o ON o.id = s.organization_id
    WHERE s.status = 'active' AND o.verification = 'verified'
      AND s.service_type_code = ANY(:types)
      AND (CAST(:grp AS text) IS NULL
           OR NOT EXISTS (SELECT 1 FROM service_target_group g WHERE g.service_id = s.id)
           OR EXISTS (SELECT 1 FROM service_target_group g
                      WHERE g.service_id = s.id AND g.target_group_code = :grp))
), covers AS (  -- coverage of the area itself, a larger area holding it, or a part of it
    SELECT DISTINCT c.service_id FROM service_coverage c JOIN svc ON svc.id = c.service_id
    WHERE :pcode LIKE c.pcode || '%' OR c.pcode LIKE :pcode || '%'
    UNION
    SELECT DISTINCT t.service_id FROM service_site t JOIN svc ON svc.id = t.service_id
    WHERE t.admin3_pcode LIKE :pcode || '%'
), near AS (
    SELECT t.service_id,
           min(ST_Distance(CAST(t.geom AS geography), CAST(area.at AS geography))) AS metres
    FROM service_site t JOIN svc ON svc.id = t.service_id AND NOT svc.sensitive, area
    WHERE area.at IS NOT NULL
      AND ST_DWithin(CAST(t.geom AS geography), CAST(area.at AS geography), :near)
    GROUP BY t.service_id
)
SELECT svc.id, svc.organization_id, svc.name_ar, svc.name_en, svc.service_type_code,
       svc.capacity_per_month, svc.availability, covers.service_id IS NOT NULL AS covers,
       near.metres
FROM svc LEFT JOIN covers ON covers.service_id = svc.id LEFT JOIN near ON near.service_id = svc.id
WHERE covers.service_id IS NOT NULL OR near.service_id IS NOT NULL
""")


@dataclass
class FillService:
    """One service able to serve the area."""

    id: int
    name_ar: str
    name_en: str
    service_type: str
    capacity: int | None
    availability: str
    covers: bool
    metres: float | None


@dataclass
class GapFillers:
    """The organisations able to fill a gap, closest and largest first."""

    area: AdminArea
    scope_ar: str
    scope_en: str
    organizations: list[tuple[Organization, list[FillService]]] = field(default_factory=list)

    def capacity(self, services: list[FillService]) -> int:
        """People a month the organisation's listed services can take (unknown counts 0)."""
        return sum(s.capacity or 0 for s in services)


def _types(session: Session, sector: str | None, service: str | None) -> tuple[list[str], Any]:
    """Service type codes of the selection and the named thing it is (a sector or a type)."""
    if service:
        obj = session.get(ServiceType, service)
        if obj is None:
            raise BadInput(_("unknown service type '%(value)s'.", value=service),
                           field="service")
        return [service], obj
    if not sector:
        raise BadInput(_("Choose a sector or a service type."), field="sector")
    obj = session.get(Sector, sector)
    if obj is None:
        raise BadInput(_("Unknown sector '%(code)s'.", code=sector), field="sector")
    codes = [sector, *session.scalars(select(Sector.code).where(Sector.parent_code == sector))]
    return list(session.scalars(select(ServiceType.code)
                                .where(ServiceType.sector_code.in_(codes)))), obj


def gap_fillers(session: Session, pcode: str, *, sector: str | None = None,
                service: str | None = None, group: str | None = None) -> GapFillers:
    """Verified organisations whose active services of the selection cover ``pcode`` or have a
    site within ``NEAR_M`` of it, for ``group`` when given (services for everyone count)."""
    area = session.get(AdminArea, (pcode or "").strip().upper())
    if area is None:
        raise BadInput(_("Unknown area p-code '%(code)s'.", code=pcode), field="pcode")
    if group and session.get(TargetGroup, group) is None:
        raise BadInput(_("Unknown target group '%(code)s'.", code=group), field="group")
    types, scope = _types(session, sector, service)
    rows = session.execute(_SQL, {"pcode": area.pcode, "types": types, "grp": group or None,
                                  "near": NEAR_M}).all()
    by_org: dict[int, list[FillService]] = {}
    for r in rows:
        by_org.setdefault(r.organization_id, []).append(FillService(
            r.id, r.name_ar, r.name_en, r.service_type_code, r.capacity_per_month,
            r.availability, bool(r.covers), None if r.metres is None else float(r.metres)))
    orgs = {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(by_org)))} if by_org else {}

    def order(item: tuple[Organization, list[FillService]]) -> tuple:
        services = item[1]
        near = min((s.metres for s in services if s.metres is not None), default=NEAR_M * 10)
        return (not any(s.covers for s in services), near,
                -sum(s.capacity or 0 for s in services), item[0].name_en.lower())

    found = sorted(((orgs[i], sorted(s, key=lambda x: (not x.covers, x.metres or 0)))
                    for i, s in by_org.items()), key=order)
    return GapFillers(area, scope.name("ar"), scope.name("en"), found[:MAX_ORGS])
