"""Migration 0044_consent_records moves each case's consent columns into one record exactly
(given, expired, revoked, revoked after an override, none), and back down again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

UTC = dt.UTC
GIVEN = dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ENDS = dt.datetime(2027, 1, 5, 23, 59, 59, tzinfo=UTC)
GONE = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# case code -> the old columns (given_by, method, at, scope, purpose, org ids, expires,
# revoked) and the override's sealed reason
CASES = {
    "given": ("the person", "verbal", GIVEN, ["age_sex", "needs"], "PSS", "ORG", ENDS, None),
    "expired": ("mother", "guardian", GIVEN, ["needs"], None, "", GIVEN, None),
    "revoked": ("the person", "written", GIVEN, ["needs", "name"], None, "ORG", ENDS, GONE),
    "override_revoked": (None, None, None, list(("name", "phone", "age_sex", "location",
                                                 "needs", "target_groups", "languages",
                                                 "note")), None, "", None, GONE),
    "none": (None, None, None, [], None, "", None, None),
}
COLUMNS = ("consent_given_by, consent_method, consent_at, consent_scope, consent_purpose, "
           "consent_org_ids, consent_expires_at, consent_revoked_at")


def _old_rows(conn) -> dict:
    return {r[0]: tuple(r[1:]) for r in conn.execute(text(
        f"SELECT case_code, {COLUMNS}, consent_revoked_by_id FROM referral_case"))}


def test_consent_columns_become_records_and_come_back(scratch_db):
    from data.db import make_engine
    from data.migrate import downgrade, upgrade

    url = scratch_db("tasharuk_consent_records")
    upgrade(url, "0043_supervisor_role")
    engine = make_engine(url)
    with engine.begin() as conn:
        org = conn.execute(text(
            "INSERT INTO organization (name_ar, name_en, uuid, org_type, verification) "
            "VALUES ('م', 'O', "
            "gen_random_uuid(), 'local_ngo', 'verified') RETURNING id")).scalar()
        user = conn.execute(text(
            "INSERT INTO app_user (email, name, role, organization_id) VALUES "
            "('cw@example.org', 'CW', 'caseworker', :o) RETURNING id"), {"o": org}).scalar()
        for code, (by, method, at, scope, purpose, orgs, ends, revoked) in CASES.items():
            conn.execute(text(
                f"INSERT INTO referral_case (uuid, organization_id, created_by_id, case_code, "
                f"urgency, sex, {COLUMNS}, consent_revoked_by_id, consent_override_reason_enc) "
                "VALUES (gen_random_uuid(), :o, :u, :code, 'normal', 'female', :by, :method, "
                ":at, :scope, :purpose, :orgs, :ends, :revoked, :rby, :override)"), {
                    "o": org, "u": user, "code": code, "by": by, "method": method, "at": at,
                    "scope": scope, "purpose": purpose, "orgs": [org] if orgs else [],
                    "ends": ends, "revoked": revoked, "rby": user if revoked else None,
                    "override": b"sealed" if code == "override_revoked" else None})
        before = _old_rows(conn)
    engine.dispose()

    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        cols = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'referral_case'"))}
        assert not {c for c in cols if c.startswith("consent_")} - {
            "consent_override_reason", "consent_override_reason_enc", "consent_override_by_id"}
        records = {r[0]: tuple(r[1:]) for r in conn.execute(text(
            "SELECT c.case_code, r.given_by, r.method, r.given_at, r.scope, r.purpose, "
            "r.organization_ids, r.expires_at, r.revoked_at, r.revoked_by_id, "
            "r.supersedes_id, r.created_by_id, c.consent_override_reason_enc "
            "FROM consent_record r JOIN referral_case c ON c.id = r.case_id"))}
    engine.dispose()
    assert set(records) == {"given", "expired", "revoked", "override_revoked"}  # one each
    for code, row in records.items():
        by, method, at, scope, purpose, orgs, ends, revoked = CASES[code]
        assert row[:3] == (by, method, at) and row[4] == purpose and row[6:8] == (ends, revoked)
        assert row[3] == (scope if method else [])  # an override's scope stays its override
        assert row[5] == ([org] if orgs else [])
        assert row[8] == (user if revoked else None)
        assert row[9] is None and row[10] == user  # a first record; its case's creator
    assert bytes(records["override_revoked"][11]) == b"sealed"  # the override stays sealed

    downgrade(url, "0043_supervisor_role")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert _old_rows(conn) == before  # exactly what was there
    engine.dispose()
