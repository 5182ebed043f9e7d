"""A case's current consent is one row (``Case.consent``, the newest record): reading it never
loads the history of renewals, and the current consents of many cases load in one statement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from data.models import Case, ConsentRecord
from referral.cases import create_referrals
from referral.consent import add_record, consent_state, current, parse_consent
from tests.kits.referrals import CONSENT, world_fixture  # noqa: F401

RENEWALS = 4


def _cases_with_history(session, world, count: int) -> list[int]:
    """``count`` cases, each with its first consent and RENEWALS renewals (the last one's
    purpose says which)."""
    sender = world.users[("sender", "caseworker")]
    ids = []
    for n in range(count):
        case, _ = create_referrals(session, sender, {
            "service_ids": [world.service.id], "consent": dict(CONSENT),
            "case": {"age": 20 + n, "sex": "female", "pcode": "SY07"}}, None, send=False)
        for k in range(RENEWALS):
            add_record(session, case, sender,
                       parse_consent(dict(CONSENT, purpose=f"renewal {k}")),
                       [world.receiver_org.id], supersedes=current(case),
                       action="consent.renewed")
        ids.append(case.id)
    session.flush()
    session.expunge_all()
    return ids


def _loaded_records(session) -> list[ConsentRecord]:
    return [o for o in session.identity_map.values() if isinstance(o, ConsentRecord)]


def test_a_cases_consent_is_its_newest_record_without_the_history(session, world):
    (case_id,) = _cases_with_history(session, world, 1)
    case = session.get(Case, case_id)
    rec = current(case)
    assert rec.purpose == f"renewal {RENEWALS - 1}" and consent_state(case) == "valid"
    assert _loaded_records(session) == [rec]  # one row, not the 1 + RENEWALS of the history
    assert len(case.consents) == 1 + RENEWALS and case.consents[-1] is rec


def test_current_consents_of_many_cases_load_in_one_statement(session, world, count_queries):
    ids = _cases_with_history(session, world, 5)
    with count_queries() as q:
        cases = session.scalars(select(Case).where(Case.id.in_(ids))
                                .options(selectinload(Case.consent))).all()
        purposes = {c.id: current(c).purpose for c in cases}
    assert purposes == {i: f"renewal {RENEWALS - 1}" for i in ids}
    assert q.count == 2  # the cases, then their current consents: one statement for all
    assert len(_loaded_records(session)) == len(ids)
