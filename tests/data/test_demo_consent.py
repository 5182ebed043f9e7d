"""Demo referrals carry a valid consent scope, so receivers see the consented details."""

from __future__ import annotations

from sqlalchemy import text

from data.demo import load_demo
from data.models import CONSENT_SCOPES


def test_demo_consent_scopes_are_known_entries_and_arabic(session):
    load_demo(session, orgs=12, seed=5, progress=False, referrals=60)
    rows = session.execute(text(
        "SELECT scope, given_by FROM consent_record WHERE method IS NOT NULL")).all()
    assert rows
    for scope, given_by in rows:
        assert scope and set(scope) <= set(CONSENT_SCOPES), scope
        assert {"age_sex", "needs"} <= set(scope)
        assert any("\u0600" <= ch <= "\u06ff" for ch in given_by), given_by
