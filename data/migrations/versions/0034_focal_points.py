"""focal points: members designated per governorate or district for sensitive services, and
the minimal focal requests routed to them with the time of each step

Revision ID: 0034_focal_points
Revises: 0033_freshness
Create Date: 2026-12-06 20:30:00

Why (issue 23): GBV referrals go through district focal points, not public listings; a
caseworker who is not a specialist sends area, urgency and contact channel only.
"""
import sqlalchemy as sa
from alembic import op

revision = '0034_focal_points'
down_revision = '0033_freshness'
branch_labels = None
depends_on = None

URGENCIES = "('low', 'normal', 'high', 'emergency')"
CHANNELS = "('phone', 'whatsapp', 'sms', 'email', 'in_person', 'via_caseworker')"
STATES = "('open', 'called_back', 'converted', 'closed')"


def _fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete,
                         name=f"fk_{table}_{column}_{target.split('.')[0]}")


def upgrade() -> None:
    t = "focal_point"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organization_id", sa.Integer(),
                  _fk("organization_id", "organization.id", t, "CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("user_id", "app_user.id", t, "CASCADE"),
                  nullable=False),
        sa.Column("pcode", sa.String(20), _fk("pcode", "admin_area.pcode", t, "NO ACTION"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_focal_point"),
        sa.UniqueConstraint("user_id", "pcode", name="uq_focal_point_user_area"),
    )
    op.create_index("ix_focal_point_organization_id", t, ["organization_id"])
    op.create_index("ix_focal_point_user_id", t, ["user_id"])
    t = "focal_request"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), _fk("service_id", "service.id", t, "CASCADE"),
                  nullable=False),
        sa.Column("organization_id", sa.Integer(),
                  _fk("organization_id", "organization.id", t, "CASCADE"), nullable=False),
        sa.Column("requester_org_id", sa.Integer(),
                  _fk("requester_org_id", "organization.id", t, "CASCADE"), nullable=False),
        sa.Column("requester_user_id", sa.Integer(),
                  _fk("requester_user_id", "app_user.id", t, "SET NULL")),
        sa.Column("pcode", sa.String(20), _fk("pcode", "admin_area.pcode", t, "NO ACTION"),
                  nullable=False),
        sa.Column("urgency", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), server_default="open", nullable=False),
        sa.Column("handled_by_id", sa.Integer(),
                  _fk("handled_by_id", "app_user.id", t, "SET NULL")),
        sa.Column("referral_id", sa.Integer(), _fk("referral_id", "referral.id", t, "SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("called_back_at", sa.DateTime(timezone=True)),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_focal_request"),
        sa.CheckConstraint(f"urgency IN {URGENCIES}", name=op.f("ck_focal_request_urgency")),
        sa.CheckConstraint(f"channel IN {CHANNELS}", name=op.f("ck_focal_request_channel")),
        sa.CheckConstraint(f"status IN {STATES}", name=op.f("ck_focal_request_status")),
    )
    for column in ("service_id", "organization_id", "requester_org_id"):
        op.create_index(f"ix_focal_request_{column}", t, [column])


def downgrade() -> None:
    op.drop_table("focal_request")
    op.drop_table("focal_point")
