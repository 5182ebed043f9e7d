"""glass_access: break-the-glass grants (a supervisor's reason, sealed, and a time limit)

Revision ID: 0031_glass_access
Revises: 0030_contact_channel
Create Date: 2026-12-06 20:10:00

Why (issue 23): a supervisor who must see a sensitive referral outside their normal access
had no way to, short of being assigned it. A grant lasts a few hours (TASHARUK_GLASS_HOURS),
its reason is free text and stored encrypted, and every read under it is audited.
"""
import sqlalchemy as sa
from alembic import op

revision = '0031_glass_access'
down_revision = '0030_contact_channel'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glass_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_at > started_at",
                           name="ck_glass_access_expires_after_start"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE",
                                name="fk_glass_access_user_id_app_user"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name="fk_glass_access_organization_id_organization"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"],
                                name="fk_glass_access_referral_id_referral"),
        sa.PrimaryKeyConstraint("id", name="pk_glass_access"),
    )
    op.create_index("ix_glass_access_user_referral", "glass_access",
                    ["user_id", "referral_id", "expires_at"])
    op.create_index("ix_glass_access_organization_id", "glass_access", ["organization_id"])
    op.create_index("ix_glass_access_referral_id", "glass_access", ["referral_id"])


def downgrade() -> None:
    op.drop_table("glass_access")
