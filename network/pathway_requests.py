"""Referral-pathway requests (use cases): one organisation's admin asks another organisation to
set up a referral pathway for a sector (or one service type) in an area, so that its
caseworkers can refer people there; the other's admin accepts or declines. Flush, never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.audit import record
from data.errors import BadInput, Conflict
from data.models import AdminArea, Organization, PathwayRequest, Sector, ServiceType, User

from .partners import (
    REQUESTS_LINK,
    _notify,
    _require_org_admin,
    answer,
    get_org,
    load_request,
    withdraw,
)

__all__ = ["list_pathway_requests", "pathway_status", "request_pathway", "respond_to_pathway",
           "withdraw_pathway"]


def _scope(session: Session, sector: str | None, service: str | None
           ) -> tuple[str | None, str | None]:
    """(sector code, service type code): exactly one, and known."""
    if service:
        if session.get(ServiceType, service) is None:
            raise BadInput(_("unknown service type '%(value)s'.", value=service),
                           field="service")
        return None, service
    if not sector:
        raise BadInput(_("Choose a sector or a service type."), field="sector")
    if session.get(Sector, sector) is None:
        raise BadInput(_("Unknown sector '%(code)s'.", code=sector), field="sector")
    return sector, None


def pathway_status(session: Session, org_id: int, pcode: str, *, sector: str | None = None,
                   service: str | None = None) -> dict[int, str]:
    """Other organisation id -> "pending" or "accepted": ``org_id``'s pathway requests for this
    scope and area (for "who can fill this gap")."""
    rows = session.execute(select(PathwayRequest.target_org_id, PathwayRequest.status).where(
        PathwayRequest.requester_org_id == org_id, PathwayRequest.pcode == pcode,
        PathwayRequest.status.in_(("pending", "accepted")),
        PathwayRequest.sector_code.is_not_distinct_from(None if service else sector),
        PathwayRequest.service_type_code.is_not_distinct_from(service or None))).all()
    out: dict[int, str] = {}
    for target, status in rows:
        if out.get(target) != "accepted":
            out[target] = status
    return out


def request_pathway(session: Session, actor: User, target: int | str, pcode: str, *,
                    sector: str | None = None, service: str | None = None,
                    message: str = "") -> PathwayRequest:
    """``actor``'s organisation asks ``target`` for a referral pathway for the sector (or the
    service type) in ``pcode``; refused to oneself, to an unverified organisation, and when
    one is pending or agreed already. The target's admins are notified."""
    own = _require_org_admin(actor)
    target_org = get_org(session, target)
    if target_org.id == own:
        raise BadInput(_("An organisation cannot ask itself for a referral pathway."),
                       field="target")
    if not target_org.verified:
        raise BadInput(_("Only verified organisations can be asked for a referral pathway."),
                       field="target")
    area = session.get(AdminArea, (pcode or "").strip().upper())
    if area is None:
        raise BadInput(_("Unknown area p-code '%(code)s'.", code=pcode), field="pcode")
    sector_code, service_code = _scope(session, sector, service)
    if len(message or "") > 2000:
        raise BadInput(_("The message is longer than 2,000 characters."), field="message")
    status = pathway_status(session, own, area.pcode, sector=sector_code,
                            service=service_code).get(target_org.id)
    if status == "pending":
        raise Conflict(_("A referral pathway request for this sector and area is pending; "
                         "wait for the answer or withdraw it first."), field="target")
    if status == "accepted":
        raise Conflict(_("This organisation has agreed a referral pathway for this sector and "
                         "area already."), field="target")
    req = PathwayRequest(requester_org_id=own, target_org_id=target_org.id,
                         requested_by_id=actor.id, sector_code=sector_code,
                         service_type_code=service_code, pcode=area.pcode,
                         message=(message or "").strip())
    session.add(req)
    session.flush()
    record(session, "pathway.request", user=actor, obj=req,
           summary={"target_org_id": target_org.id, "pcode": area.pcode})
    requester = session.get(Organization, own)
    _notify(session, target_org.id, "pathway_request",
            f"طلب مسار إحالة جديد من {requester.name_ar}",
            f"New referral pathway request from {requester.name_en}", REQUESTS_LINK)
    return req


def _load(session: Session, actor: User, request_id: int) -> PathwayRequest:
    return load_request(session, actor, PathwayRequest, request_id,
                        _("Referral pathway request %(id)s doesn't exist.", id=request_id))


def respond_to_pathway(session: Session, actor: User, request_id: int, *, accept: bool,
                       note: str = "") -> PathwayRequest:
    """The asked organisation's admin accepts (the pathway is agreed) or declines."""
    req = _load(session, actor, request_id)
    answer(session, actor, req, accept=accept, note=note, kind="pathway",
           named=("طلب مسار الإحالة", "referral pathway request"))
    return req


def withdraw_pathway(session: Session, actor: User, request_id: int) -> PathwayRequest:
    """The requesting organisation's admin withdraws a pending pathway request."""
    req = _load(session, actor, request_id)
    withdraw(session, actor, req, "pathway")
    return req


def list_pathway_requests(session: Session, org_id: int
                          ) -> tuple[list[PathwayRequest], list[PathwayRequest]]:
    """(incoming, outgoing) pathway requests of an organisation, pending first, newest first,
    with both organisations, the area and the scope loaded."""
    def _q(column):
        return list(session.scalars(
            select(PathwayRequest).where(column == org_id)
            .options(selectinload(PathwayRequest.requester_org),
                     selectinload(PathwayRequest.target_org),
                     selectinload(PathwayRequest.area), selectinload(PathwayRequest.sector),
                     selectinload(PathwayRequest.service_type))
            .order_by((PathwayRequest.status != "pending"), PathwayRequest.id.desc())
            .limit(200)))
    return _q(PathwayRequest.target_org_id), _q(PathwayRequest.requester_org_id)
