"""glass_access: a grant can be ended early (when, by whom)

Revision ID: 0042_glass_ended
Revises: 0041_one_head
Create Date: 2026-12-06 22:45:00

Why (issue 23): a supervisor who has read what they needed, or an admin who finds a grant
unjustified, had to wait hours for it to lapse; now it ends at once and the review says so.
"""
import sqlalchemy as sa
from alembic import op

revision = '0042_glass_ended'
down_revision = '0041_one_head'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("glass_access", sa.Column("ended_at", sa.DateTime(timezone=True)))
    op.add_column("glass_access", sa.Column(
        "ended_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL", name="fk_glass_access_ended_by_id_app_user")))
    op.create_check_constraint(op.f("ck_glass_access_ended_after_start"), "glass_access",
                               "ended_at IS NULL OR ended_at >= started_at")


def downgrade() -> None:
    op.drop_constraint("ck_glass_access_ended_after_start", "glass_access")
    op.drop_column("glass_access", "ended_by_id")
    op.drop_column("glass_access", "ended_at")
