"""Referrals: consent method check, event reason text, partial index for the expiry job.

Revision ID: 0004_referrals
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_referrals"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("referral_event", sa.Column("reason_text", sa.Text(), nullable=True))
    op.create_check_constraint(
        "consent_method", "referral_case",
        "consent_method IS NULL OR consent_method IN ('verbal', 'written')")
    op.create_index("ix_referral_due_sent", "referral", ["due_at"], unique=False,
                    postgresql_where=sa.text("status = 'sent'"))


def downgrade() -> None:
    op.drop_index("ix_referral_due_sent", table_name="referral",
                  postgresql_where=sa.text("status = 'sent'"))
    op.drop_constraint("consent_method", "referral_case", type_="check")
    op.drop_column("referral_event", "reason_text")
