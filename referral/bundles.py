"""Several needs at once: propose providers that together cover all of a person's needs.

The candidate lookup (eligibility by age, sex and target groups; coverage of the person's
area; active and not full; not the sender's own organisation) is SQL here; the choice is
``matching.setcover.solve`` (fewest organisations first, then least total distance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import (
    AdminArea,
    Organization,
    Service,
    ServiceSite,
    service_coverage,
    service_target_group,
)
from matching.setcover import solve
from referral.cases import CaseInput

__all__ = ["BundleItem", "BundleProposal", "candidates", "propose_bundle"]

PER_NEED = 25  # nearest organisations kept per need


@dataclass(frozen=True)
class BundleItem:
    need: str
    service_id: int
    organization_id: int
    distance_m: float


@dataclass
class BundleProposal:
    """The proposed services (one per need), with the cover's figures."""

    items: list[BundleItem] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    organizations: int = 0
    total_distance_m: float = 0.0
    exact: bool = True
    bound: float = 1.0

    @property
    def service_ids(self) -> list[int]:
        return list(dict.fromkeys(i.service_id for i in self.items))


def candidates(session: Session, profile: CaseInput, sender_org_id: int | None) -> list[tuple]:
    """Rows (service_id, organization_id, need, distance_m) of eligible, available services
    for the profile's needs, covering its area; distance to the nearest site (0 when the
    person's area has no centroid or the service has no site, e.g. remote)."""
    point = None
    if profile.pcode:
        point = session.scalar(select(AdminArea.centroid).where(
            AdminArea.pcode == profile.pcode))
    if point is not None:
        dist = func.min(func.ST_Distance(func.geography(ServiceSite.geom),
                                         func.geography(literal(point, AdminArea.centroid.type))))
    else:
        dist = literal(0.0)
    conds = [Service.service_type_code.in_(profile.needs), Service.status == "active",
             Service.availability != "full",
             # only verified organisations receive people's data (issue 17)
             Service.organization_id.in_(select(Organization.id).where(
                 Organization.verification == "verified"))]
    if sender_org_id is not None:
        conds.append(Service.organization_id != sender_org_id)
    if profile.age is not None:
        conds += [or_(Service.min_age.is_(None), Service.min_age <= profile.age),
                  or_(Service.max_age.is_(None), Service.max_age >= profile.age)]
    if profile.sex in ("female", "male"):
        conds.append(Service.sex.in_(("any", profile.sex)))
    if profile.pcode:
        covers = exists().where(service_coverage.c.service_id == Service.id,
                                literal(profile.pcode).like(service_coverage.c.pcode + "%"))
        conds.append(or_(covers, Service.modality == "remote"))
    if profile.target_groups:
        any_group = exists().where(service_target_group.c.service_id == Service.id)
        match = exists().where(
            service_target_group.c.service_id == Service.id,
            service_target_group.c.target_group_code.in_(profile.target_groups))
        conds.append(or_(~any_group, match))
    stmt = (select(Service.id, Service.organization_id, Service.service_type_code,
                   func.coalesce(dist, 0.0))
            .outerjoin(ServiceSite, and_(ServiceSite.service_id == Service.id))
            .where(*conds).group_by(Service.id).order_by(Service.id))
    return [tuple(r) for r in session.execute(stmt)]


def propose_bundle(session: Session, profile: CaseInput, sender_org_id: int | None, *,
                   method: str = "auto") -> BundleProposal:
    """The bundle for ``profile.needs`` (at least one need; at most 10)."""
    needs = list(dict.fromkeys(profile.needs))
    if not needs:
        raise BadInput(_("List at least one need (a service type)."), field="case.needs")
    if len(needs) > 10:
        raise BadInput(_("At most %(max)s needs at once.", max=10), field="case.needs")
    rows = candidates(session, profile, sender_org_id)
    best: dict[tuple[int, str], tuple[float, int]] = {}
    for sid, oid, need, dist in rows:
        key = (oid, need)
        if key not in best or (float(dist), sid) < best[key]:
            best[key] = (float(dist), sid)
    # keep the nearest organisations per need, so the exact search stays small
    keep: set[int] = set()
    for need in needs:
        ranked = sorted((v[0], oid) for (oid, n), v in best.items() if n == need)
        keep.update(oid for _, oid in ranked[:PER_NEED])
    orgs = sorted(keep)
    matrix = np.full((len(orgs), len(needs)), np.inf)
    for r, oid in enumerate(orgs):
        for c, need in enumerate(needs):
            if (oid, need) in best:
                matrix[r, c] = best[(oid, need)][0]
    result = solve(matrix, method=method)
    proposal = BundleProposal(organizations=result.size, total_distance_m=result.total_distance,
                              exact=result.exact, bound=result.bound,
                              uncovered=[needs[j] for j in result.uncovered])
    for c, need in enumerate(needs):
        r = result.assignment[c]
        if r < 0:
            continue
        dist, sid = best[(orgs[r], need)]
        proposal.items.append(BundleItem(need, sid, orgs[r], dist))
    return proposal
