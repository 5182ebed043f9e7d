"""Inbox and outbox of an organisation, with filters and the overdue flag.

``box_query`` returns a ``select`` (the caller executes it): the web pages, the API and the
benchmark share it. Lists carry no personal details; only a pseudonymous reference.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from data import fields
from data.errors import BadInput
from data.models import REFERRAL_STATES, URGENCIES, Organization, Referral, Service
from data.models.base import utcnow

__all__ = ["BoxFilters", "box_query", "box_services", "list_box", "parse_filters"]

BOXES = ("in", "out")
PAGE_MAX = 200


@dataclass(frozen=True)
class BoxFilters:
    """Validated filters of a box listing."""

    box: str = "in"
    status: str | None = None
    service_id: int | None = None
    urgency: str | None = None
    overdue: bool = False
    limit: int = 50
    offset: int = 0


def parse_filters(args: Any) -> BoxFilters:
    """Filters from query arguments (``box``, ``status``, ``service``/``service_id``,
    ``urgency``, ``overdue``, ``limit``, ``offset``); BadInput names a bad one."""
    box = args.get("box") or "in"
    if box not in BOXES:
        raise BadInput(_("box must be 'in' or 'out'."), field="box")
    status = args.get("status") or None
    if status is not None and status not in REFERRAL_STATES:
        raise fields.not_one_of("status", REFERRAL_STATES)
    urgency = args.get("urgency") or None
    if urgency is not None and urgency not in URGENCIES:
        raise fields.not_one_of("urgency", URGENCIES)
    service_raw = args.get("service_id") or args.get("service") or None
    service_id = None
    if service_raw is not None:
        if not re.fullmatch(r"[0-9]{1,10}", str(service_raw)) or int(service_raw) > 2**31 - 1:
            raise BadInput(_("%(field)s must be an integer id.", field="service_id"),
                           field="service_id")
        service_id = int(service_raw)
    overdue = str(args.get("overdue") or "").lower() in ("1", "true", "yes", "on")
    numbers = {}
    for name, default, top in (("limit", 50, PAGE_MAX), ("offset", 0, 10**7)):
        raw = args.get(name)
        if raw in (None, ""):
            numbers[name] = default
            continue
        if not str(raw).isdigit() or int(raw) > top:
            raise BadInput(_("%(field)s must be an integer from 0 to %(max)s.", field=name,
                             max=top), field=name)
        numbers[name] = int(raw)
    return BoxFilters(box, status, service_id, urgency, overdue, numbers["limit"],
                      numbers["offset"])


def box_query(org_id: int, filters: BoxFilters, now: dt.datetime | None = None) -> Select:
    """Referrals received (``in``; drafts excluded) or sent (``out``) by ``org_id``, newest
    first, with the service and the other organisation's names and an ``overdue`` flag."""
    now = now or utcnow()
    other = aliased(Organization)
    overdue = and_(Referral.status == "sent", Referral.due_at < now)
    if filters.box == "in":
        own, peer = Referral.receiver_org_id, Referral.sender_org_id
    else:
        own, peer = Referral.sender_org_id, Referral.receiver_org_id
    stmt = (select(Referral.id, Referral.uuid, Referral.status, Referral.urgency,
                   Referral.sensitive, Referral.version, Referral.service_id,
                   Referral.sent_at, Referral.due_at, Referral.case_id,
                   Service.name_ar.label("service_name_ar"),
                   Service.name_en.label("service_name_en"),
                   other.id.label("other_org_id"),
                   other.name_ar.label("other_org_name_ar"),
                   other.name_en.label("other_org_name_en"),
                   overdue.label("overdue"))
            .join(other, other.id == peer)
            .outerjoin(Service, Service.id == Referral.service_id)
            .where(own == org_id))
    if filters.box == "in":
        stmt = stmt.where(Referral.status != "draft")
    if filters.status:
        stmt = stmt.where(Referral.status == filters.status)
    if filters.service_id:
        stmt = stmt.where(Referral.service_id == filters.service_id)
    if filters.urgency:
        stmt = stmt.where(Referral.urgency == filters.urgency)
    if filters.overdue:
        stmt = stmt.where(overdue)
    return (stmt.order_by(Referral.sent_at.desc().nulls_first(), Referral.id.desc())
            .limit(filters.limit).offset(filters.offset))


def list_box(session: Session, org_id: int, filters: BoxFilters,
             now: dt.datetime | None = None) -> list[dict]:
    """The rows of ``box_query`` as dicts."""
    return [dict(row._mapping) for row in session.execute(box_query(org_id, filters, now))]


def box_services(session: Session, org_id: int, box: str) -> list[Service]:
    """The services a box can be filtered by: the organisation's own (inbox), or those it has
    referred people to (outbox), by name."""
    if box == "in":
        stmt = select(Service).where(Service.organization_id == org_id)
    else:
        stmt = select(Service).where(Service.id.in_(
            select(Referral.service_id).where(Referral.sender_org_id == org_id,
                                              Referral.service_id.is_not(None))))
    return list(session.scalars(stmt.order_by(Service.name_en, Service.id)))
