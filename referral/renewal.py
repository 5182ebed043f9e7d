"""Renewing consent (issue 23): with the person's new agreement the caseworker records a new
consent record that supersedes the current one, before or after it expired (or after it was
revoked, when the person agrees again), so the case's referrals can be sent and read again."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.models import ConsentRecord, Referral
from referral.consent import add_record, current, parse_consent
from referral.revocation import WITHDRAWABLE, lock_case, sender_case

__all__ = ["renew_consent"]


def renew_consent(session: Session, referral_id: int, actor: Any, raw: Any) -> ConsentRecord:
    """Record the person's new consent for the case of ``referral_id`` (sending staff only):
    a new current record superseding the last one, audited as ``consent.renewed``. Named
    organisations must cover the receivers of the case's referrals still open."""
    referral, case = sender_case(session, referral_id, actor)  # 404/403 before the body
    consent = parse_consent(raw)
    if consent is None:
        raise BadInput(_("Renewing consent needs the person's new agreement: who gave it, how, "
                         "and what may be shared."), field="consent")
    lock_case(session, case)
    receivers = list(session.scalars(select(Referral.receiver_org_id).where(
        Referral.case_id == case.id, Referral.status.in_(WITHDRAWABLE))
        .order_by(Referral.id)))
    if not receivers:  # every referral closed: by default consent covers those it went to
        receivers = list(session.scalars(select(Referral.receiver_org_id).where(
            Referral.case_id == case.id).order_by(Referral.id)))
    previous = current(case)
    return add_record(session, case, actor, consent, receivers, supersedes=previous,
                      action="consent.renewed")
