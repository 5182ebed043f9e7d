"""Revoking consent (the person asks their caseworker): the current record is marked revoked,
open referrals are withdrawn, the receivers' view of the shared fields closes at once, every
receiver is told, all audited; and the consent receipt that states what the person agreed to
in one record of the case's history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import Case, ConsentRecord, Organization, Referral
from data.models.base import utcnow
from referral.access import SENDER, side_of, visible_referral
from referral.consent import consent_state, current, record_state
from referral.crypto import DataCipher, seal, unseal
from referral.lifecycle import OPEN_STATES, STAFF, receiver_staff, reference, transition
from referral.notify import MailConfig, notify

__all__ = ["consent_receipt", "lock_case", "revoke_consent", "sender_case"]

WITHDRAWABLE = OPEN_STATES | {"draft"}
REASON_MAX = 500


def sender_case(session: Session, referral_id: int, actor: Any) -> tuple[Referral, Case]:
    """The referral and its case, for staff of the sending organisation only."""
    referral = visible_referral(session, referral_id, actor)
    if side_of(referral, actor) != SENDER or getattr(actor, "role", None) not in STAFF:
        raise Forbidden(_("Only the sending organisation's staff record or revoke the "
                          "person's consent."), field="consent")
    return referral, referral.case


def lock_case(session: Session, case: Case) -> None:
    """Lock the case's row and read its consent afresh after the lock, so two changes of its
    consent at once act one after the other on the current record."""
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    session.expire(case, ["consents", "consent"])


def _reason(reason: Any) -> str | None:
    """Why the person revoked (optional free text, sealed): checked before anything is
    written."""
    if reason is not None and not isinstance(reason, str):
        raise BadInput(_("%(field)s must be text.", field="reason"), field="reason")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise fields.too_long("reason", REASON_MAX)
    return reason


def revoke_consent(session: Session, referral_id: int, actor: Any, *,
                   now: dt.datetime | None = None, reason: Any = None,
                   cipher: DataCipher | None = None,
                   mail_config: MailConfig | None = None) -> dict:
    """Record that the person revoked consent for the case of ``referral_id`` on its current
    record (why, if said, sealed): withdraw its open referrals (reason ``consent_revoked``),
    tell the receivers of every referral that was sent, and audit it. Conflict when it was
    revoked already."""
    referral, case = sender_case(session, referral_id, actor)
    reason = _reason(reason)
    reason_enc = seal(cipher, reason, "reason")
    lock_case(session, case)
    rec = current(case)
    if rec is not None and rec.revoked_at is not None:
        raise Conflict(_("Consent was already revoked on %(date)s.",
                         date=rec.revoked_at.date().isoformat()),
                       code="consent_revoked", field="consent")
    now = now or utcnow()
    if rec is None:  # only an override: the revocation is a record that gives nothing
        rec = ConsentRecord(case_id=case.id, created_by_id=actor.id)
        session.add(rec)
    rec.revoked_at = now
    rec.revoked_by_id = actor.id
    rec.revoked_reason_enc = reason_enc
    session.flush()
    session.expire(case, ["consents", "consent"])
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
           summary={"referral_id": referral.id, "consent_id": rec.id,
                    "reason_given": reason is not None, "withdrawn": withdrawn,
                    "closed_receivers_told": told,
                    "referrals": [r.id for r in referrals]})
    return {"case_id": case.id, "consent_id": rec.id, "revoked_at": now,
            "withdrawn": withdrawn, "closed_receivers_told": told}


def _history(case: Case) -> list[dict]:
    """Every record of the case, oldest first, with its state (a renewed one: superseded)."""
    renewed = {r.supersedes_id for r in case.consents if r.supersedes_id is not None}
    return [{"id": r.id, "given_at": r.given_at, "expires_at": r.expires_at,
             "revoked_at": r.revoked_at, "supersedes_id": r.supersedes_id,
             "state": record_state(r, superseded=r.id in renewed)} for r in case.consents]


def consent_receipt(session: Session, referral_id: int, actor: Any,
                    record_id: int | None = None, cipher: DataCipher | None = None) -> dict:
    """What the person agreed to in one record (the current one unless ``record_id``), for a
    printed receipt: who, how, when, until when, for which purpose, which fields with which
    organisations, and whether it still holds; with the case's history of records."""
    referral, case = sender_case(session, referral_id, actor)
    history = _history(case)
    rec = current(case) if record_id is None else next(
        (r for r in case.consents if r.id == record_id), None)
    if record_id is not None and rec is None:
        raise NotFound(_("This consent record doesn't exist for this case."), field="record")
    org_ids = list(rec.organization_ids or ()) if rec is not None else []
    orgs = {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(org_ids)))}
    referrals = list(session.scalars(select(Referral).where(Referral.case_id == case.id)
                                     .order_by(Referral.id)))
    state = consent_state(case) if rec is None or rec is current(case) else next(
        h["state"] for h in history if h["id"] == rec.id)
    return {
        "referral_id": referral.id, "reference": reference(referral),
        "case_code": case.case_code, "state": state,
        "record_id": rec.id if rec is not None else None,
        "current": rec is None or rec is current(case),
        "supersedes_id": rec.supersedes_id if rec is not None else None,
        "given_by": rec.given_by if rec else None, "method": rec.method if rec else None,
        "at": rec.given_at if rec else None, "expires_at": rec.expires_at if rec else None,
        "purpose": rec.purpose if rec else None, "scope": list(rec.scope or ()) if rec else [],
        "organization_ids": org_ids,
        "organizations": [{"id": o.id, "name_ar": o.name_ar, "name_en": o.name_en}
                          for i in org_ids if (o := orgs.get(i))],
        "revoked_at": rec.revoked_at if rec else None,
        "revoked_reason": unseal(cipher, rec.revoked_reason_enc) if rec is not None else None,
        "history": history,
        "referrals": [{"id": r.id, "reference": reference(r), "status": r.status}
                      for r in referrals],
        "version": referral.version,
    }
