"""Organisation registration, verification by platform admins, and identity changes that send
an organisation back to review. Functions take a session and flush; the caller commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict
from data.members import org_admins
from data.models import ORG_TYPES, AdminArea, Organization, User
from data.searchtext import organization_search_text, refresh_organization
from network.accounts import check_password_strength, create_user, find_user

__all__ = ["IDENTITY_FIELDS", "PROFILE_FIELDS", "decide", "pending",
           "register_organization", "update_organization"]

IDENTITY_FIELDS = ("name_ar", "name_en", "registration_number")
PROFILE_FIELDS = IDENTITY_FIELDS + ("acronym", "org_type", "hq_pcode", "email", "phone",
                                    "website", "description_ar", "description_en")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in PROFILE_FIELDS:
        if key in values:
            value = values[key]
            value = value.strip() if isinstance(value, str) else value
            out[key] = value if value != "" or key in ("description_ar", "description_en") \
                else None
    return out


def _validate(session: Session, values: dict[str, Any], org: Organization | None = None) -> None:
    for key in ("name_ar", "name_en", "registration_number"):
        if key in values and not values[key]:
            raise fields.missing(key)
    if values.get("org_type") and values["org_type"] not in ORG_TYPES:
        raise BadInput(_("Unknown organisation type '%(type)s'; choose one of %(types)s.",
                         type=values["org_type"], types=", ".join(ORG_TYPES)),
                       field="org_type")
    if values.get("hq_pcode"):
        area = session.get(AdminArea, values["hq_pcode"])
        if area is None or area.level != 1:
            raise BadInput(_("'%(pcode)s' is not a governorate p-code.",
                             pcode=values["hq_pcode"]), field="hq_pcode")
    number = values.get("registration_number")
    if number:
        other = session.scalar(select(Organization).where(
            Organization.registration_number == number))
        if other is not None and other is not org:
            raise Conflict(_("Registration number %(number)s is already registered.",
                             number=number), field="registration_number")


def register_organization(session: Session, values: dict[str, Any], *, admin_email: str,
                          admin_password: str, admin_name: str = "",
                          ip: str | None = None) -> tuple[Organization, User]:
    """A new organisation, pending verification, with its first administrator."""
    values = _clean(values)
    for key in ("name_ar", "name_en", "registration_number", "hq_pcode"):
        if not values.get(key):
            raise fields.missing(key)
    _validate(session, values)
    if find_user(session, admin_email or "") is not None:
        raise Conflict(_("A user with the email %(email)s already exists.", email=admin_email),
                       field="admin_email")
    check_password_strength(admin_password, field="admin_password")
    org = Organization(**values, verification="pending")
    org.search_text = organization_search_text(org)
    session.add(org)
    session.flush()
    admin = create_user(session, email=admin_email, role="org_admin", organization=org,
                        password=admin_password, name=admin_name)
    record(session, "organization.registered", user=admin, organization_id=org.id,
           object_type="organization", object_id=org.id,
           summary={"name_en": org.name_en, "registration_number": org.registration_number},
           ip=ip)
    return org, admin


def update_organization(session: Session, org: Organization, values: dict[str, Any], *,
                        by: Any = None) -> list[str]:
    """Change profile fields; a change of name or registration number needs a new review.

    Returns the names of the fields that changed.
    """
    values = _clean(values)
    _validate(session, values, org)
    changed = [k for k, v in values.items() if getattr(org, k) != v]
    if not changed:
        return []
    for key in changed:
        setattr(org, key, values[key])
    refresh_organization(session, org)  # its services carry its names too
    review = any(k in IDENTITY_FIELDS for k in changed) and org.verification != "pending"
    if review:
        org.verification = "pending"
        org.verified_at = None
    record(session, "organization.updated", user=by, organization_id=org.id,
           object_type="organization", object_id=org.id,
           summary={"fields": changed, "back_to_review": review})
    session.flush()
    return changed


def pending(session: Session) -> list[Organization]:
    """Organisations waiting for a decision, oldest first."""
    return list(session.scalars(select(Organization).where(
        Organization.verification == "pending").order_by(Organization.created_at,
                                                         Organization.id)))


def hq_areas(session: Session, orgs: list[Organization]) -> dict[str, AdminArea]:
    """The head-office admin areas of these organisations, keyed by p-code."""
    pcodes = {o.hq_pcode for o in orgs if o.hq_pcode}
    return {a.pcode: a for a in session.scalars(select(AdminArea).where(
        AdminArea.pcode.in_(pcodes)))}


def members(session: Session, org: Organization) -> list[User]:
    """Every user of ``org``, by e-mail."""
    return list(session.scalars(select(User).where(
        User.organization_id == org.id).order_by(User.email)))


def decide(session: Session, org: Organization, *, verify: bool, reason: str = "",
           by: Any = None, notify_admins: bool = True, suspend: bool = False) -> Organization:
    """A platform admin's decision: verified, or rejected (``suspend``: suspended) with a
    reason (required). A rejection or suspension bites at once: the open referrals the
    organisation received move to ``receiver_revoked`` (their senders are told, with the
    reason) and every session of its members ends."""
    reason = (reason or "").strip()
    if not verify and not reason:
        raise BadInput(_("A rejection needs a reason."), field="reason")
    before = org.verification
    org.verification = "verified" if verify else "suspended" if suspend else "rejected"
    org.verified_at = dt.datetime.now(dt.UTC) if verify else None
    record(session, f"organization.{org.verification}", user=by, organization_id=org.id,
           object_type="organization", object_id=org.id,
           summary={"from": before, "reason": reason} if reason else {"from": before})
    session.flush()
    if not verify:
        from referral.lifecycle import revoke_receiver

        revoke_receiver(session, org.id, reason)
        end_member_sessions(session, org, "organization." + org.verification)
    if notify_admins:
        from referral.notify import notify

        if verify:
            ar, en = "تم التحقق من منظمتك.", "Your organisation is verified."
        elif suspend:
            ar = f"عُلِّق حساب منظمتك على المنصة: {reason}"
            en = f"Your organisation is suspended on the platform: {reason}"
        else:
            ar = f"طلب تسجيل منظمتك مرفوض: {reason}"
            en = f"Your registration was declined: {reason}"
        notify(session, org_admins(session, org), "organization_verification", ar, en,
               "/accounts/organization")
    session.flush()
    return org


def end_member_sessions(session: Session, org: Organization, reason: str) -> int:
    """End every signed-in session of ``org``'s members (how many ended)."""
    from network.sessions import end_sessions

    return sum(end_sessions(session, user, reason) for user in members(session, org))
