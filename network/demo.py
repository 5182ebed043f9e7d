"""The demo's safe places (issue 23), added by ``tasharuk bootstrap`` right after it loads the
demo: the sites of its sensitive services and safe spaces become confidential (the exact place
sealed, the sub-district's centre and name as the front gate), and the receiving demo
organisation routes its sensitive services through focal points (its caseworker), so that
``make run`` shows both.
The exact places are stored only sealed: without a data key no site is made confidential."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.demo import DEMO_USERS
from data.models import (
    AdminArea,
    FocalPoint,
    Service,
    ServiceSite,
    ServiceType,
    User,
    service_coverage,
)
from network.directory import EXACT_KEYS
from referral.crypto import DataCipher, seal

__all__ = ["SAFE_TYPES", "add_safe_places"]

SAFE_TYPES = ["gbv_safe_spaces"]  # besides every sensitive type: women's and girls' safe spaces
SURVIVOR_TYPE = "gbv_case_management"  # given to a demo organisation with no sensitive service
FOCAL_AREAS_MAX = 4  # governorates a demo focal point answers for

_CANDIDATES = text("""
SELECT s.id, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.admin3_pcode, s.address_ar,
       s.address_en
FROM service_site s JOIN service v ON v.id = s.service_id
JOIN service_type t ON t.code = v.service_type_code
JOIN admin_area a ON a.pcode = s.admin3_pcode
WHERE NOT s.confidential AND a.centroid IS NOT NULL
  AND (v.sensitive OR t.sensitive OR t.code = ANY(:safe))
ORDER BY s.id""")

_BEHIND_GATE = text("""
UPDATE service_site s SET confidential = true, front_gate = 'subdistrict', exact_enc = t.enc,
       geom = a.centroid, address_ar = a.name_ar, address_en = a.name_en
FROM unnest(CAST(:ids AS integer[]), CAST(:encs AS bytea[])) AS t(id, enc), admin_area a
WHERE s.id = t.id AND a.pcode = s.admin3_pcode""")


def _confidential_sites(session: Session, cipher: DataCipher) -> int:
    """Seal the exact place of every safe place's site and show its sub-district instead."""
    rows = session.execute(_CANDIDATES, {"safe": SAFE_TYPES}).mappings().all()
    if not rows:
        return 0
    encs = [seal(cipher, json.dumps({k: row[k] for k in EXACT_KEYS}, sort_keys=True),
                 "exact") for row in rows]
    session.execute(_BEHIND_GATE, {"ids": [row["id"] for row in rows], "encs": encs})
    return len(rows)


def _survivor_service(session: Session, org_id: int) -> None:
    """A sensitive service for an organisation with demo members that has none, so the demo
    shows focal-point routing: survivor case management at one of its own sites' places."""
    if session.scalar(select(Service.id).join(
            ServiceType, ServiceType.code == Service.service_type_code).where(
            Service.organization_id == org_id, Service.sensitive | ServiceType.sensitive)
            .limit(1)):
        return
    site = session.scalars(select(ServiceSite).join(Service).where(
        Service.organization_id == org_id, ServiceSite.admin3_pcode.is_not(None))
        .order_by(ServiceSite.id).limit(1)).first()
    if site is None or site.admin3_pcode is None:
        return
    gov = session.get(AdminArea, site.admin3_pcode[:4])
    svc = Service(organization_id=org_id, service_type_code=SURVIVOR_TYPE, sensitive=True,
                  name_ar="إدارة حالات الناجيات", name_en="Survivor case management",
                  search_text="survivor case management ادارة حالات الناجيات")
    svc.coverage = [gov] if gov is not None else []
    svc.sites = [ServiceSite(name_ar="مساحة آمنة", name_en="Safe space", geom=site.geom,
                             admin3_pcode=site.admin3_pcode)]
    session.add(svc)
    session.flush()


def _demo_orgs(session: Session) -> list[int]:
    """The receiving demo organisation (its caseworker answers focal requests; the sending
    one's caseworker stays a non-specialist, who meets "request through the focal point")."""
    emails = [email for email, _role, _ar, _en, side in DEMO_USERS if side == "receiver"]
    return list(session.scalars(select(User.organization_id).where(
        User.organization_id.is_not(None), User.email.in_(emails))
        .distinct().order_by(User.organization_id)))


def _focal_points(session: Session) -> int:
    """A caseworker of each organisation with demo members becomes its focal point for the
    governorates its sensitive services cover (the first few), designated by its admin."""
    from referral.focal import designate

    made = 0
    for org_id in _demo_orgs(session):
        members = {u.role: u for u in session.scalars(select(User).where(
            User.organization_id == org_id, User.active).order_by(User.id.desc()))}
        if "org_admin" not in members or "caseworker" not in members:
            continue
        govs = sorted({p[:4] for p in session.scalars(
            select(service_coverage.c.pcode).join(Service, Service.id ==
                                                  service_coverage.c.service_id)
            .join(ServiceType, ServiceType.code == Service.service_type_code)
            .where(Service.organization_id == org_id,
                   Service.sensitive | ServiceType.sensitive))})[:FOCAL_AREAS_MAX]
        for gov in govs:
            if not session.scalar(select(FocalPoint.id).where(
                    FocalPoint.organization_id == org_id, FocalPoint.pcode == gov)):
                designate(session, members["org_admin"], org_id, members["caseworker"].id, gov)
                made += 1
    return made


def add_safe_places(session: Session, cipher: DataCipher | None) -> dict[str, Any]:
    """Confidential sites (when a data key is configured) and focal points for the demo."""
    for org_id in _demo_orgs(session):
        _survivor_service(session, org_id)
    sites = _confidential_sites(session, cipher) if cipher is not None else None
    return {"confidential_sites": sites, "focal_points": _focal_points(session)}
