"""feedback: short codes a caseworker hands the person, and their structured feedback on the
service (provided, respectful, timely; a sealed, moderated comment)

Revision ID: 0038_feedback
Revises: 0037_webhooks
Create Date: 2026-12-06 21:10:00

Why (issue 22): whether a service was really provided, respectfully and on time was known
only to the person; now it is counted per service, without their identity.
"""
import sqlalchemy as sa
from alembic import op

revision = '0038_feedback'
down_revision = '0037_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey(
            "service.id", ondelete="CASCADE", name="fk_feedback_code_service_id_service"),
            nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL", name="fk_feedback_code_created_by_id_app_user")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_code"),
        sa.UniqueConstraint("code", name="uq_feedback_code_code"),
    )
    op.create_index("ix_feedback_code_service_id", "feedback_code", ["service_id"])
    op.create_table(
        "service_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey(
            "service.id", ondelete="CASCADE", name="fk_service_feedback_service_id_service"),
            nullable=False),
        sa.Column("code_id", sa.Integer(), sa.ForeignKey(
            "feedback_code.id", ondelete="CASCADE",
            name="fk_service_feedback_code_id_feedback_code"), nullable=False),
        sa.Column("provided", sa.Boolean(), nullable=False),
        sa.Column("respectful", sa.Boolean()),
        sa.Column("timely", sa.Boolean()),
        sa.Column("comment_enc", sa.LargeBinary()),
        sa.Column("moderation", sa.String(10), server_default="none", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("moderation IN ('none', 'pending', 'approved', 'rejected')",
                           name="ck_service_feedback_moderation"),
        sa.PrimaryKeyConstraint("id", name="pk_service_feedback"),
        sa.UniqueConstraint("code_id", name="uq_service_feedback_code_id"),
    )
    op.create_index("ix_service_feedback_service_id", "service_feedback", ["service_id"])


def downgrade() -> None:
    op.drop_table("service_feedback")
    op.drop_table("feedback_code")
