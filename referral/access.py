"""Who may see a referral and its details, and the audit trail of views and overrides.

Only users of the sending and the receiving organisation see a referral (others get 404), and
only while their organisation is in good standing: the receiving side must be verified, the
sending side neither rejected nor suspended (issue 17: a rejected organisation's members must
read nothing of a referral, open or closed, from their next request on).
The person's details (and, for sensitive services, everything beyond status and dates) are
shown only to the *assigned staff*: the sending caseworker, the receiving staff member assigned
to the referral, and, while nobody is assigned on a side, that side's organisation admins
(the focal points who route it).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from data.errors import Conflict, Forbidden, NotFound
from data.models import FocalPoint, Organization, Referral, Service, ServiceType

__all__ = ["RECEIVER", "SENDER", "is_assigned", "is_focal_point", "is_sensitive",
           "routed_service_ids",
           "require_verified_receiver", "routes_through_focal_point", "side_of",
           "visible_referral"]

SENDER = "sender"
RECEIVER = "receiver"


def side_of(referral: Referral, actor: Any) -> str | None:
    """'sender' or 'receiver' for a member of either organisation, else None."""
    org_id = getattr(actor, "organization_id", None)
    if org_id is None:
        return None
    if org_id == referral.sender_org_id:
        return SENDER
    if org_id == referral.receiver_org_id:
        return RECEIVER
    return None


def visible_referral(session: Session, referral_id: int, actor: Any, *,
                     for_update: bool = False) -> Referral:
    """The referral if ``actor`` belongs to one of its two organisations; NotFound otherwise
    (a referral of other organisations is indistinguishable from a missing one; a draft is
    not yet visible to the receiver)."""
    referral = session.get(Referral, referral_id, with_for_update=for_update or None)
    side = side_of(referral, actor) if referral is not None else None
    if side is None or (side == RECEIVER and referral.status == "draft"):
        raise NotFound(_("Referral %(id)s doesn't exist.", id=referral_id), field="id")
    org = session.get(Organization, actor.organization_id)
    if org is None or not in_good_standing(org, side):
        raise Forbidden(_("Your organisation is not verified on the platform (%(state)s): "
                          "referrals are closed to its members.",
                          state=org.verification if org else "-"), code="org_not_verified")
    return referral


def in_good_standing(org: Organization, side: str) -> bool:
    """True when members of ``org`` may read referrals of that ``side``: a receiver must be
    verified; a sender must be neither rejected nor suspended."""
    if side == RECEIVER:
        return org.verification == "verified"
    return org.verification not in ("rejected", "suspended")


def require_verified_receiver(org: Organization | None) -> None:
    """Refuse (409) a referral to an organisation that is not verified: only verified
    organisations receive people's data."""
    if org is not None and org.verification != "verified":
        raise Conflict(_("%(name)s is not a verified organisation (%(state)s); it cannot "
                         "receive referrals.", name=org.name_en, state=org.verification),
                       code="receiver_not_verified", field="service_id")


def is_assigned(referral: Referral, actor: Any) -> bool:
    """True for the assigned staff of either side (see the module docstring)."""
    side = side_of(referral, actor)
    uid = getattr(actor, "id", None)
    if side == SENDER:
        if referral.sender_user_id is not None:
            return uid == referral.sender_user_id
        return getattr(actor, "role", None) == "org_admin"
    if side == RECEIVER:
        if referral.assigned_user_id is not None:
            return uid == referral.assigned_user_id
        return getattr(actor, "role", None) == "org_admin"
    return False


def is_focal_point(session: Session, user: Any) -> bool:
    """True for a member designated a focal point by their organisation (for any area)."""
    uid = getattr(user, "id", None)
    return uid is not None and bool(session.scalar(select(exists().where(
        FocalPoint.user_id == uid))))


def is_sensitive(session: Session, svc: Service) -> bool:
    """A sensitive service: flagged itself, or of a sensitive service type."""
    stype = session.get(ServiceType, svc.service_type_code)
    return bool(svc.sensitive or (stype and stype.sensitive))


def routes_through_focal_point(session: Session, svc: Service, user: Any) -> bool:
    """True when ``user`` must request ``svc`` through a focal point instead of seeing its
    listing: a sensitive service whose organisation has focal points, and a user who is not a
    specialist (its own organisation, a platform admin, a focal point)."""
    if not is_sensitive(session, svc):
        return False
    if getattr(user, "role", None) == "platform_admin":
        return False
    if getattr(user, "organization_id", None) == svc.organization_id:
        return False
    if not session.scalar(select(exists().where(
            FocalPoint.organization_id == svc.organization_id))):
        return False
    return not is_focal_point(session, user)


def routed_service_ids(session: Session, service_ids: list[int], user: Any) -> set[int]:
    """Which of these (sensitive) services ``user`` must request through a focal point: the
    search cards' form of ``routes_through_focal_point``, in one statement."""
    if not service_ids or getattr(user, "role", None) == "platform_admin" \
            or is_focal_point(session, user):
        return set()
    stmt = (select(Service.id).join(ServiceType, ServiceType.code == Service.service_type_code)
            .where(Service.id.in_(service_ids), Service.sensitive | ServiceType.sensitive,
                   exists().where(FocalPoint.organization_id == Service.organization_id)))
    own = getattr(user, "organization_id", None)
    if own is not None:
        stmt = stmt.where(Service.organization_id != own)
    return set(session.scalars(stmt))
