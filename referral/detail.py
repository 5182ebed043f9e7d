"""What a user may see of one referral: the case (minimum necessary, consent-scoped), the
person's name and phone (assigned staff only), the timeline; views of sensitive referrals
are audited."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.errors import Forbidden
from data.models import CONSENT_SCOPES, Organization, Referral, ReferralEvent, Service, User
from referral.access import SENDER, is_assigned, side_of, visible_referral
from referral.confidential import released_sites
from referral.consent import consent_state, current, has_consent, refused, shared_scope
from referral.crypto import DataCipher, unseal
from referral.glass import active_glass, record_read
from referral.lifecycle import allowed_actions, reference

__all__ = ["referral_detail"]

# Case fields and the consent scope entry that lets the receiver see them.
_SCOPED = {"age": "age_sex", "sex": "age_sex", "pcode": "location", "needs": "needs",
           "target_groups": "target_groups", "languages": "languages"}


def _case(referral: Referral, scope: set[str] | None, show_person: bool,
          cipher: DataCipher | None, withheld: str | None = None) -> dict:
    case = referral.case
    out: dict[str, Any] = {"case_code": case.case_code, "urgency": case.urgency}
    if withheld is not None:  # revoked or expired consent: none of the shared fields
        scope, show_person = set(), False
        out["withheld"] = withheld
    for field, key in _SCOPED.items():
        if scope is None or key in scope:
            out[field] = getattr(case, field)
    if show_person and cipher is not None:
        if scope is None or "name" in scope:
            out["name"] = cipher.decrypt(case.name_enc)
        if scope is None or "phone" in scope:
            out["phone"] = cipher.decrypt(case.phone_enc)
    # how the person agreed to be reached: the channel with the case, its number or address
    # only to the assigned staff (the receiver's after acceptance), like name and phone
    out["contact"] = {"channel": None if withheld is not None else case.contact_channel,
                      "handle": cipher.decrypt(case.contact_handle_enc)
                      if show_person and cipher is not None else None}
    rec = current(case)
    out["consent"] = {"given_by": rec.given_by if rec else None,
                      "method": rec.method if rec else None,
                      "at": rec.given_at if rec else None, "scope": [
                          s for s in CONSENT_SCOPES if s in shared_scope(case)],
                      "override_reason": unseal(cipher, case.consent_override_reason_enc,
                                                case.consent_override_reason)
                      if withheld is None else None,
                      "recorded": has_consent(case), "purpose": rec.purpose if rec else None,
                      "organization_ids": list(rec.organization_ids or ()) if rec else [],
                      "expires_at": rec.expires_at if rec else None,
                      "revoked_at": rec.revoked_at if rec else None,
                      "record_id": rec.id if rec else None, "state": consent_state(case)}
    return out


def _person(user: User | None) -> dict | None:
    return None if user is None else {"name": user.name, "email": user.email}


def _office(org: Organization) -> dict:
    return {"email": org.email, "phone": org.phone}


def referral_detail(session: Session, referral_id: int, actor: Any,
                    cipher: DataCipher | None, *, printable: bool = False) -> dict:
    """The referral as ``actor`` may see it (NotFound for other organisations).

    ``printable``: the form for an organisation not on the platform, only for the sending
    side, with the consented data only.
    """
    referral = visible_referral(session, referral_id, actor)
    side = side_of(referral, actor)
    if printable and side != SENDER:
        raise Forbidden(_("Only the sending organisation prints the referral form."))
    assigned = is_assigned(referral, actor)
    # a supervisor's break-the-glass grant opens a sensitive referral for a few hours
    grant = active_glass(session, referral, actor) if referral.sensitive and not assigned \
        else None
    sees_person = assigned or grant is not None
    details = sees_person or not referral.sensitive
    # The sender sees its own case in full; the receiver (and any printout) only the scope.
    scope = None if (side == SENDER and not printable) else shared_scope(referral.case)
    withheld = None
    refusal = refused(referral.case, org_id=referral.receiver_org_id) \
        if scope is not None else None
    if refusal is not None:  # what the person agreed to share is no longer readable: say why
        record(session, "consent.read_refused", user=actor, obj=referral,
               summary={"side": side or "", "state": refusal.code})
        if printable:
            raise refusal
        withheld, scope = refusal.message, set()
    service = session.get(Service, referral.service_id) if referral.service_id else None
    sender = session.get(Organization, referral.sender_org_id)
    receiver = session.get(Organization, referral.receiver_org_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(
        {e.actor_user_id for e in referral.events if e.actor_user_id}
        | {referral.sender_user_id or 0, referral.assigned_user_id or 0})))}
    events = [{"id": e.id, "at": e.at, "action": e.action, "from_status": e.from_status,
               "to_status": e.to_status, "reason": e.reason_code,
               "reason_text": unseal(cipher, e.reason_text_enc, e.reason_text)
               if details else None,
               "note": (unseal(cipher, e.note_enc, e.note) or "") if details else "",
               "actor": users[e.actor_user_id].name if e.actor_user_id in users else None}
              for e in session.scalars(select(ReferralEvent).where(
                  ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.id))]
    out = {
        "id": referral.id, "uuid": str(referral.uuid), "reference": reference(referral),
        "status": referral.status, "version": referral.version, "urgency": referral.urgency,
        "sensitive": referral.sensitive, "side": side, "assigned": assigned,
        "details_visible": details,
        "service": ({"id": service.id, "name_ar": service.name_ar, "name_en": service.name_en,
                     "referral_contact": service.referral_contact,
                     "referral_method": service.referral_method} if service else None),
        "sender_org": {"id": sender.id, "name_ar": sender.name_ar, "name_en": sender.name_en},
        "receiver_org": {"id": receiver.id, "name_ar": receiver.name_ar,
                         "name_en": receiver.name_en},
        "sender_user": users[referral.sender_user_id].name
        if referral.sender_user_id in users else None,
        # how each side reaches the other about this person: the caseworker and the office
        "contacts": {
            "sender": {"user": _person(users.get(referral.sender_user_id)),
                       "organization": _office(sender)},
            "receiver": {"user": _person(users.get(referral.assigned_user_id)),
                         "organization": _office(receiver),
                         "referral_contact": service.referral_contact if service else None}},
        "assigned_user": users[referral.assigned_user_id].name
        if referral.assigned_user_id in users else None,
        "sent_at": referral.sent_at, "due_at": referral.due_at,
        "responded_at": referral.responded_at, "closed_at": referral.closed_at,
        "reason": referral.reason_code,
        "reason_text": unseal(cipher, referral.reason_text_enc, referral.reason_text)
        if details else None,
        "note": (unseal(cipher, referral.note_enc, referral.note) or "")
        if details and (scope is None or "note" in scope) else "",
        "case": _case(referral, scope, sees_person, cipher, withheld) if details else None,
        "glass": {"id": grant.id, "expires_at": grant.expires_at} if grant else None,
        "withheld": withheld,
        "allowed_actions": [] if printable else allowed_actions(referral, actor),
        "events": events,
        # a confidential site's exact place: the sender's caseworker, once accepted (audited)
        "confidential_sites": [] if printable else released_sites(session, referral, actor),
    }
    if grant is not None:
        record_read(session, grant, actor, referral, "print" if printable else "detail")
    if referral.sensitive:
        record(session, "referral.print_sensitive" if printable else "referral.view_sensitive",
               user=actor, obj=referral, summary={"side": side or "", "details_shown": details})
    return out


def case_labels(session: Session, case: dict | None, locale: str) -> dict[str, dict[str, str]]:
    """Names, in ``locale``, of the codes a case shows: needs (service types), target
    groups and the place (p-code), so pages never show raw codes."""
    from data.models import AdminArea, ServiceType, TargetGroup

    out: dict[str, dict[str, str]] = {"needs": {}, "target_groups": {}, "place": {}}
    if not case:
        return out
    wanted = (("needs", ServiceType, ServiceType.code, case.get("needs") or ()),
              ("target_groups", TargetGroup, TargetGroup.code, case.get("target_groups") or ()),
              ("place", AdminArea, AdminArea.pcode, [case["pcode"]] if case.get("pcode") else ()))
    for key, model, column, codes in wanted:
        if codes:
            for row in session.scalars(select(model).where(column.in_(list(codes)))):
                name = (row.name_en if locale == "en" else row.name_ar) or row.name_en
                out[key][getattr(row, column.key)] = name
    return out


def services_by_id(session: Session, ids: list[int]) -> dict[int, Service]:
    """The existing services among these ids, keyed by id (unknown ids are left out)."""
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(Service).where(Service.id.in_(ids)))}
