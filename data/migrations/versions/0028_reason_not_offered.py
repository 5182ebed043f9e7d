"""the coded reason ``not_offered``: a referral declined or closed unmet because the service is
not offered any more

Revision ID: 0028_reason_not_offered
Revises: 0027_consent_record
Create Date: 2026-12-06 20:10:00

Why (issue 18): a receiver whose service had stopped could only say "other", so the
statistics and the gap score could not tell a stopped service from any other failure. The
codes live in ``matching/reasons.py``; this widens the database's check to the new one.
"""
from alembic import op

revision = "0028_reason_not_offered"
down_revision = "0027_consent_record"
branch_labels = None
depends_on = None

BEFORE = ("no_capacity", "not_eligible", "outside_area", "no_contact", "person_declined",
          "duplicate", "other", "receiver_unverified", "consent_revoked")
AFTER = BEFORE + ("not_offered",)


def _check(reasons: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE referral DROP CONSTRAINT ck_referral_reason, ADD CONSTRAINT "
               f"ck_referral_reason CHECK (reason_code IS NULL OR reason_code IN {reasons})")


def upgrade() -> None:
    _check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE referral SET reason_code = 'other' WHERE reason_code = 'not_offered'")
    op.execute("UPDATE referral_event SET reason_code = 'other' "
               "WHERE reason_code = 'not_offered'")
    _check(BEFORE)
