"""service reports: anyone (a caseworker, or the person with no account) reports that a
listing is inaccurate; its organisation answers, the reporter is told

Revision ID: 0035_service_reports
Revises: 0034_focal_points
Create Date: 2026-12-06 20:40:00

Why (issue 22): a wrong phone number or a closed centre was found by the next person sent
there; nobody could tell the organisation, and the listing stayed "fresh".
"""
import sqlalchemy as sa
from alembic import op

revision = '0035_service_reports'
down_revision = '0034_focal_points'
branch_labels = None
depends_on = None

KINDS = ("wrong_contact", "closed", "moved", "criteria_changed", "hours_changed", "other")
STATES = ("open", "fixed", "not_changed")


def upgrade() -> None:
    op.create_table(
        "service_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey(
            "service.id", ondelete="CASCADE", name="fk_service_report_service_id_service"),
            nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("detail_enc", sa.LargeBinary()),
        sa.Column("reporter_user_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL",
            name="fk_service_report_reporter_user_id_app_user")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("status", sa.String(12), server_default="open", nullable=False),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("answered_by_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL",
            name="fk_service_report_answered_by_id_app_user")),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_service_report_kind"),
        sa.CheckConstraint(f"status IN {STATES}", name="ck_service_report_status"),
        sa.PrimaryKeyConstraint("id", name="pk_service_report"),
        sa.UniqueConstraint("code", name="uq_service_report_code"),
    )
    op.create_index("ix_service_report_service_id", "service_report", ["service_id"])


def downgrade() -> None:
    op.drop_table("service_report")
