"""referral_measured_index: the answered referrals of a service by send time, with what the
measured figures read, so a page's figures come from the index alone

Revision ID: 0047_referral_measured_index
Revises: 0046_activity_owner_checks
Create Date: 2026-12-07 05:00:00

Why (issue 20, the database's CPU per served search): every search page reads its services'
measured figures (``referral.measured.MEASURED_LATERAL``: the answered referrals of the last 90
days of each shown service). Through ``ix_referral_service_id`` that was a bitmap scan and a
heap page or two per service, the largest part of the page's details statement. This partial
index holds only answered referrals (``responded_at`` is set by the accept and decline
transitions), keyed by service and send time and carrying the answer's columns, so the figures
are an index-only range per service: the same rows, the same figures, as fresh as before.
Measured on the national data set, main's code, 1,000 searches alternated: the page's details
1.35 -> 1.06 and 1.56 -> 1.27 ms of database CPU a search (docs/performance.md, searchdb2).
An answer adds one index entry; a referral not yet answered adds none.
"""
from alembic import op

revision = "0047_referral_measured_index"
down_revision = "0046_activity_owner_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_referral_measured ON referral (service_id, sent_at) "
               "INCLUDE (responded_at, status, reason_code) WHERE responded_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_referral_measured")
