"""Retention: the personal data of closed referrals is erased after a set time
(``RETENTION_DAYS``, TASHARUK_RETENTION_DAYS), by a nightly job (``referrals.erase_closed``)
and ``tasharuk referrals erase-closed`` (``--dry-run`` reports without erasing).

A case is due when every one of its referrals is closed (``CLOSED_STATES``) and the last was
closed before the cut-off. Erased: every encrypted column of the case, its consent records, its
referrals and their events (``referral.crypto.SEALED``: name, phone, contact handle, notes,
reason texts, why consent was overridden or revoked). Kept, for the statistics: statuses,
dates, reason codes, service types, the area, age band and needs, and the events themselves
(the timeline's shape). Each erased case
gets an audit row (``retention.erased``) and ``erased_at``; nothing is read or decrypted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.models import Case, ConsentRecord, Referral, ReferralEvent
from data.models.base import utcnow
from referral.crypto import SEALED
from referral.lifecycle import CLOSED_STATES

__all__ = ["RETENTION_DAYS", "RetentionReport", "due_cases", "erase_closed"]

RETENTION_DAYS = 365
_PLAIN_EMPTY = {"note": ""}  # the legacy plain columns' empty value (note is NOT NULL)


@dataclass
class RetentionReport:
    """What an erasure run did (or, dry, would do)."""

    cutoff: dt.datetime
    dry_run: bool
    cases: int = 0
    referrals: int = 0
    events: int = 0
    case_ids: list[int] = field(default_factory=list)


def due_cases(cutoff: dt.datetime) -> Select:
    """The ids of cases not erased yet whose referrals are all closed, the last before
    ``cutoff``."""
    still_open = exists().where(Referral.case_id == Case.id, or_(
        Referral.status.not_in(CLOSED_STATES), Referral.closed_at.is_(None),
        Referral.closed_at >= cutoff))
    any_referral = exists().where(Referral.case_id == Case.id)
    return select(Case.id).where(Case.erased_at.is_(None), any_referral, ~still_open) \
        .order_by(Case.id)


def _cleared(model: type) -> dict:
    """The values that erase every sealed (and legacy plain) column of ``model``."""
    values: dict = {}
    for sealed, plain in SEALED[model]:
        values[sealed] = None
        if plain:
            values[plain] = _PLAIN_EMPTY.get(plain)
    return values


def erase_closed(session: Session, *, days: int = RETENTION_DAYS,
                 now: dt.datetime | None = None, dry_run: bool = False,
                 batch: int = 500) -> RetentionReport:
    """Erase the personal data of the cases due (see the module docstring); with
    ``dry_run`` count them and change nothing. Flushes, never commits."""
    now = now or utcnow()
    report = RetentionReport(cutoff=now - dt.timedelta(days=days), dry_run=dry_run)
    ids = list(session.scalars(due_cases(report.cutoff)))
    report.case_ids = ids
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        counts = dict(session.execute(
            select(Referral.case_id, func.count()).where(Referral.case_id.in_(chunk))
            .group_by(Referral.case_id)).all())
        events = session.scalar(select(func.count()).select_from(ReferralEvent).join(
            Referral, and_(Referral.id == ReferralEvent.referral_id,
                           Referral.case_id.in_(chunk)))) or 0
        report.cases += len(chunk)
        report.referrals += sum(counts.values())
        report.events += events
        if dry_run:
            continue
        referral_ids = select(Referral.id).where(Referral.case_id.in_(chunk))
        # plain UPDATEs: a referral's version does not move; the event table's append-only
        # trigger lets exactly this through (only the sealed columns change)
        session.execute(update(ReferralEvent).where(
            ReferralEvent.referral_id.in_(referral_ids)).values(**_cleared(ReferralEvent))
            .execution_options(synchronize_session=False))
        session.execute(update(Referral).where(Referral.case_id.in_(chunk))
                        .values(**_cleared(Referral))
                        .execution_options(synchronize_session=False))
        session.execute(update(ConsentRecord).where(ConsentRecord.case_id.in_(chunk))
                        .values(**_cleared(ConsentRecord))
                        .execution_options(synchronize_session=False))
        session.execute(update(Case).where(Case.id.in_(chunk))
                        .values(erased_at=now, **_cleared(Case))
                        .execution_options(synchronize_session=False))
        for case_id in chunk:
            record(session, "retention.erased", object_type="case", object_id=str(case_id),
                   summary={"referrals": counts.get(case_id, 0), "days": days,
                            "closed_before": report.cutoff.isoformat()})
    if not dry_run:
        session.expire_all()
    return report
