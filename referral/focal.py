"""Focal-point routing (issue 23): designate focal points, send a minimal request, call back,
convert into a full referral with the person's consent; every step timed and audited.

A caseworker who is not a *specialist* never sees a sensitive service's listing details when
its organisation routes through focal points: they send a request with the person's area, the
urgency and the contact channel the person chose, and no narrative at all. Specialists are the
service's own organisation, platform admins and anyone designated a focal point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import (
    CONTACT_CHANNELS,
    STAFF_ROLES,
    URGENCIES,
    AdminArea,
    FocalPoint,
    FocalRequest,
    Service,
    User,
)
from referral.access import (
    is_focal_point,
    is_sensitive,
    require_verified_receiver,
    routes_through_focal_point,
)
from referral.cases import create_referrals
from referral.crypto import DataCipher
from referral.lifecycle import transition
from referral.notify import notify
from referral.search import resolve_area

__all__ = ["REQUEST_FIELDS", "call_back", "convert", "create_request", "designate",
           "focal_points", "get_request", "is_focal_point", "list_requests",
           "remove_focal_point", "request_json", "routes_through_focal_point"]

FOCAL_LEVELS = (1, 2)  # a focal point covers a governorate or a district

REQUEST_FIELDS = ("service_id", "pcode", "urgency", "channel")  # nothing more: no narrative
STAFF = STAFF_ROLES


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ designation


def focal_points(session: Session, organization_id: int) -> list[tuple[FocalPoint, User]]:
    """The organisation's focal points with their users, by area then name."""
    return list(session.execute(
        select(FocalPoint, User).join(User, User.id == FocalPoint.user_id)
        .where(FocalPoint.organization_id == organization_id)
        .order_by(FocalPoint.pcode, User.name)).tuples())


def _require_admin(actor: Any, organization_id: int) -> None:
    role = getattr(actor, "role", None)
    if not (role == "platform_admin" or (role == "org_admin"
                                         and actor.organization_id == organization_id)):
        raise Forbidden(_("Only this organisation's administrators may change it."))


def designate(session: Session, actor: Any, organization_id: int, user_id: Any,
              pcode: Any) -> FocalPoint:
    """Make a member of the organisation its focal point for a governorate or district."""
    _require_admin(actor, organization_id)
    uid = fields.whole_number({"user_id": user_id}, "user_id", 1, 2**31 - 1)
    user = session.get(User, uid) if uid else None
    if user is None or user.organization_id != organization_id or not user.active:
        raise BadInput(_("Choose a member of this organisation."), field="user_id")
    if not pcode or not str(pcode).strip():
        raise fields.missing("pcode")
    code = resolve_area(session, str(pcode), "pcode")
    if session.scalar(select(AdminArea.level).where(AdminArea.pcode == code)) not in FOCAL_LEVELS:
        raise BadInput(_("pcode: a focal point covers a governorate or a district."),
                       field="pcode")
    found = session.scalar(select(FocalPoint).where(FocalPoint.user_id == user.id,
                                                    FocalPoint.pcode == code))
    if found is not None:
        return found
    fp = FocalPoint(organization_id=organization_id, user_id=user.id, pcode=code)
    session.add(fp)
    session.flush()
    record(session, "focal_point.designated", user=actor, obj=fp,
           organization_id=organization_id, summary={"user_id": user.id, "pcode": code})
    return fp


def designate_member(session: Session, actor: Any, organization_id: int, user_id: int,
                     pcode: Any) -> FocalPoint:
    """``designate`` for the member named by a URL (``/members/{user_id}/focal-points``):
    someone who is not an active member of the organisation is a 404, not a field to fix."""
    _require_admin(actor, organization_id)
    user = session.get(User, user_id)
    if user is None or user.organization_id != organization_id or not user.active:
        raise NotFound(_("No member %(id)s in your organisation.", id=user_id), field="user_id")
    return designate(session, actor, organization_id, user_id, pcode)


def remove_focal_point(session: Session, actor: Any, focal_point_id: int) -> None:
    """End a designation (the organisation's admins)."""
    fp = session.get(FocalPoint, focal_point_id)
    if fp is None or getattr(actor, "role", None) != "platform_admin" and \
            fp.organization_id != getattr(actor, "organization_id", None):
        raise NotFound(_("Focal point %(id)s does not exist.", id=focal_point_id))
    _require_admin(actor, fp.organization_id)
    record(session, "focal_point.removed", user=actor, obj=fp,
           organization_id=fp.organization_id, summary={"user_id": fp.user_id,
                                                        "pcode": fp.pcode})
    session.delete(fp)
    session.flush()


def _routed_to(session: Session, organization_id: int, pcode: str) -> list[User]:
    """The focal points whose area holds ``pcode`` (p-codes nest by prefix); all of the
    organisation's when none covers it."""
    rows = focal_points(session, organization_id)
    covering = [u for fp, u in rows if pcode.startswith(fp.pcode)]
    return list({u.id: u for u in (covering or [u for _fp, u in rows])}.values())


# ------------------------------------------------------------------ requests


def create_request(session: Session, actor: Any, data: Mapping) -> FocalRequest:
    """A minimal request for a sensitive service: area, urgency and channel, nothing else
    (any other field is refused, naming it); the covering focal points are notified."""
    if getattr(actor, "role", None) not in STAFF or actor.organization_id is None:
        raise Forbidden(_("Only caseworkers and organisation admins of an organisation "
                          "refer."))
    if getattr(actor, "id", None) is None:
        raise Forbidden(_("A focal-point request is sent by a signed-in person (the focal "
                          "point calls them back), not by an API token."))
    if not isinstance(data, Mapping):
        raise BadInput(_("The request body must be a JSON object."), field="body")
    extra = sorted(set(data) - set(REQUEST_FIELDS))
    if extra:
        raise BadInput(_("%(field)s: a focal-point request carries only the area, the urgency "
                         "and the contact channel, no narrative.", field=extra[0]),
                       field=extra[0])
    sid = fields.whole_number(data, "service_id", 1, 2**31 - 1)
    svc = session.get(Service, sid) if sid else None
    if svc is None:
        raise BadInput(_("service_id is required: the service the person is referred to."),
                       field="service_id")
    if not is_sensitive(session, svc):
        raise BadInput(_("service_id: only sensitive services are requested through a focal "
                         "point."), field="service_id")
    require_verified_receiver(svc.organization)
    channel = fields.choice(data, "channel", CONTACT_CHANNELS)
    if channel is None:
        raise BadInput(_("channel: say how the person chose to be contacted."),
                       field="channel")
    urgency = fields.choice(data, "urgency", URGENCIES)
    if urgency is None:
        raise fields.missing("urgency")
    if not data.get("pcode") or not str(data["pcode"]).strip():
        raise fields.missing("pcode")
    pcode = resolve_area(session, str(data["pcode"]), "pcode")
    req = FocalRequest(service_id=svc.id, organization_id=svc.organization_id,
                       requester_org_id=actor.organization_id, requester_user_id=actor.id,
                       pcode=pcode, urgency=urgency, channel=channel, status="open")
    session.add(req)
    session.flush()
    record(session, "focal_request.created", user=actor, obj=req,
           summary={"service_id": svc.id, "to_organization_id": svc.organization_id,
                    "pcode": pcode, "urgency": urgency, "channel": channel})
    notify(session, _routed_to(session, svc.organization_id, pcode), "focal_request",
           f"طلب جديد عبر نقطة الاتصال ({pcode})",
           f"New focal-point request ({pcode})", f"/focal/requests/{req.id}")
    return req


def list_requests(session: Session, actor: Any) -> dict[str, list[FocalRequest]]:
    """What the actor sees: requests routed to their organisation (its focal points and
    admins) and those their organisation sent; newest first."""
    org_id = getattr(actor, "organization_id", None)
    if org_id is None:
        return {"received": [], "sent": []}
    received: list[FocalRequest] = []
    if getattr(actor, "role", None) == "org_admin" or is_focal_point(session, actor):
        received = list(session.scalars(select(FocalRequest).where(
            FocalRequest.organization_id == org_id).order_by(FocalRequest.id.desc())
            .limit(200)))
    sent = list(session.scalars(select(FocalRequest).where(
        FocalRequest.requester_org_id == org_id).order_by(FocalRequest.id.desc()).limit(200)))
    return {"received": received, "sent": sent}


def get_request(session: Session, actor: Any, request_id: int) -> tuple[FocalRequest, str]:
    """The request and the actor's side ('receiver' for the service's focal points and
    admins, 'sender' for the requesting organisation); NotFound for anyone else."""
    req = session.get(FocalRequest, request_id)
    org_id = getattr(actor, "organization_id", None)
    if req is not None and org_id is not None:
        if org_id == req.organization_id and (getattr(actor, "role", None) == "org_admin"
                                              or is_focal_point(session, actor)):
            return req, "receiver"
        if org_id == req.requester_org_id:
            return req, "sender"
    raise NotFound(_("Request %(id)s does not exist.", id=request_id), field="id")


def _handle(session: Session, actor: Any, request_id: int, allowed: tuple[str, ...]
            ) -> FocalRequest:
    req, side = get_request(session, actor, request_id)
    if side != "receiver":
        raise Forbidden(_("Only the service's focal points handle this request."))
    if req.status not in allowed:
        raise Conflict(_("This request is %(state)s already.", state=req.status),
                       code="focal_request_state")
    return req


def _seconds(since: dt.datetime, now: dt.datetime) -> int:
    return int((now - since).total_seconds())


def call_back(session: Session, actor: Any, request_id: int) -> FocalRequest:
    """The focal point called the person back (timed from the request)."""
    req = _handle(session, actor, request_id, ("open",))
    now = _now()
    req.status, req.called_back_at, req.handled_by_id = "called_back", now, actor.id
    record(session, "focal_request.called_back", user=actor, obj=req,
           summary={"seconds_since_request": _seconds(req.created_at, now)})
    session.flush()
    return req


def convert(session: Session, actor: Any, request_id: int, payload: Mapping,
            cipher: DataCipher | None) -> FocalRequest:
    """Turn the request into a full referral with the person's consent (required): from the
    requesting caseworker's organisation to the service, accepted at once by the focal point
    who spoke with the person; timed and audited."""
    req = _handle(session, actor, request_id, ("open", "called_back"))
    if not isinstance(payload, Mapping):
        raise BadInput(_("The request body must be a JSON object."), field="body")
    if not payload.get("consent"):
        raise BadInput(_("consent: a referral is made only with the person's consent."),
                       field="consent")
    requester = session.get(User, req.requester_user_id) if req.requester_user_id else None
    if requester is None or not requester.active:
        raise Conflict(_("The caseworker who asked is no longer on the platform."),
                       code="focal_request_requester")
    case = dict(payload.get("case") or {})
    case.setdefault("pcode", req.pcode)
    case.setdefault("urgency", req.urgency)
    case.setdefault("contact_channel", req.channel)  # as the person chose it
    body = {"service_id": req.service_id, "consent": payload["consent"], "case": case,
            "note": payload.get("note") or ""}
    _case, (referral,) = create_referrals(session, requester, body, cipher,
                                          via_focal_point=True)
    transition(session, referral.id, actor, "accept", version=referral.version)
    now = _now()
    req.status, req.converted_at, req.referral_id = "converted", now, referral.id
    req.handled_by_id = actor.id
    record(session, "focal_request.converted", user=actor, obj=req,
           summary={"referral_id": referral.id,
                    "seconds_since_request": _seconds(req.created_at, now)})
    notify(session, [requester], "focal_request",
           "قُبلت إحالتك عبر نقطة الاتصال", "Your focal-point request became a referral",
           f"/referrals/{referral.id}")
    session.flush()
    return req


def request_json(req: FocalRequest) -> dict[str, Any]:
    """A request as plain data (no personal data: there is none)."""
    return {"id": req.id, "service_id": req.service_id, "organization_id": req.organization_id,
            "requester_org_id": req.requester_org_id, "pcode": req.pcode,
            "urgency": req.urgency, "channel": req.channel, "status": req.status,
            "created_at": req.created_at, "called_back_at": req.called_back_at,
            "converted_at": req.converted_at, "referral_id": req.referral_id}

