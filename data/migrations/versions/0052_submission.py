"""submission: the requests that created referrals, by sender and key, so that the same request
sent again gets the first one's referrals instead of a second copy

Revision ID: 0052_submission
Revises: 0051_coverage_keyword_index
Create Date: 2026-12-07 22:00:00

Why: a caseworker on a poor connection presses "send" twice, or sends the form again when its
answer never came; an API client retries a timed-out POST. Each created a second referral of
the same person to the same service. ``referral.submissions`` claims the key in the same
transaction as the referrals (the primary key makes a concurrent second claim wait for the
first and then read its referrals). The keys are hashed; rows are deleted after a day.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0052_submission"
down_revision = "0051_coverage_keyword_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("owner", sa.String(40), primary_key=True),
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("referral_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_submission_created_at", "submission", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_submission_created_at", table_name="submission")
    op.drop_table("submission")
