"""Revoking consent (the person asks their caseworker): open referrals are withdrawn, the
receivers' view of the shared fields closes at once, every receiver is told, all audited;
and the consent receipt that states what the person agreed to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.errors import Conflict, Forbidden
from data.models import Case, Organization, Referral
from data.models.base import utcnow
from referral.access import SENDER, side_of, visible_referral
from referral.consent import consent_state
from referral.lifecycle import OPEN_STATES, STAFF, receiver_staff, reference, transition
from referral.notify import MailConfig, notify

__all__ = ["consent_receipt", "revoke_consent"]

WITHDRAWABLE = OPEN_STATES | {"draft"}


def _sender_case(session: Session, referral_id: int, actor: Any) -> tuple[Referral, Case]:
    """The referral and its case, for staff of the sending organisation only."""
    referral = visible_referral(session, referral_id, actor)
    if side_of(referral, actor) != SENDER or getattr(actor, "role", None) not in STAFF:
        raise Forbidden(_("Only the sending organisation's staff record or revoke the "
                          "person's consent."), field="consent")
    return referral, referral.case


def revoke_consent(session: Session, referral_id: int, actor: Any, *,
                   now: dt.datetime | None = None,
                   mail_config: MailConfig | None = None) -> dict:
    """Record that the person revoked consent for the case of ``referral_id``: withdraw its
    open referrals (reason ``consent_revoked``), tell the receivers of every referral that was
    sent, and audit it. Conflict when it was revoked already."""
    referral, case = _sender_case(session, referral_id, actor)
    if case.consent_revoked_at is not None:
        raise Conflict(_("Consent was already revoked on %(date)s.",
                         date=case.consent_revoked_at.date().isoformat()),
                       code="consent_revoked", field="consent")
    now = now or utcnow()
    case.consent_revoked_at = now
    case.consent_revoked_by_id = actor.id
    session.flush()
    referrals = list(session.scalars(select(Referral).where(Referral.case_id == case.id)
                                     .order_by(Referral.id)))
    withdrawn, told = [], 0
    for r in referrals:
        if r.status in WITHDRAWABLE:
            transition(session, r.id, actor, "withdraw", version=r.version, now=now,
                       system_reason="consent_revoked", mail_config=mail_config)
            withdrawn.append(r.id)  # the receiver is told by the withdrawal itself
        elif r.sent_at is not None:  # closed: its receiver saw the shared fields
            ref = reference(r)
            told += notify(session, [u for u in receiver_staff(session, r) if u.id != actor.id],
                           "referral.consent_revoked",
                           f"الشخص سحب موافقته في الإحالة {ref}: لم تعد بياناته المشتركة متاحة.",
                           f"The person revoked their consent for referral {ref}: the details "
                           f"they shared are no longer available.", f"/referrals/{r.id}",
                           config=mail_config)
    record(session, "consent.revoked", user=actor, object_type="case", object_id=str(case.id),
           summary={"referral_id": referral.id, "withdrawn": withdrawn,
                    "closed_receivers_told": told,
                    "referrals": [r.id for r in referrals]})
    return {"case_id": case.id, "revoked_at": now, "withdrawn": withdrawn,
            "closed_receivers_told": told}


def consent_receipt(session: Session, referral_id: int, actor: Any) -> dict:
    """What the person agreed to (for a printed receipt): who, how, when, until when, for
    which purpose, which fields with which organisations, and whether it still holds."""
    referral, case = _sender_case(session, referral_id, actor)
    orgs = {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(list(case.consent_org_ids or ()))))}
    referrals = list(session.scalars(select(Referral).where(Referral.case_id == case.id)
                                     .order_by(Referral.id)))
    return {
        "referral_id": referral.id, "reference": reference(referral),
        "case_code": case.case_code, "state": consent_state(case),
        "given_by": case.consent_given_by, "method": case.consent_method,
        "at": case.consent_at, "expires_at": case.consent_expires_at,
        "purpose": case.consent_purpose, "scope": list(case.consent_scope or ()),
        "organizations": [{"id": o.id, "name_ar": o.name_ar, "name_en": o.name_en}
                          for i in case.consent_org_ids or () if (o := orgs.get(i))],
        "revoked_at": case.consent_revoked_at,
        "referrals": [{"id": r.id, "reference": reference(r), "status": r.status}
                      for r in referrals],
        "version": referral.version,
    }
