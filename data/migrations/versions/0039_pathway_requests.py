"""pathway requests: one organisation asks another to set up a referral pathway for a sector
(or a service type) in an area, and the other accepts or declines

Revision ID: 0039_pathway_requests
Revises: 0038_feedback
Create Date: 2026-12-06 22:50:00

Why (issue 21): "who can fill this gap" offered only a partnership; a manager who wants to
refer people of one sector in one area to an organisation working there had no way to ask.
"""
import sqlalchemy as sa
from alembic import op

revision = '0039_pathway_requests'
down_revision = '0038_feedback'
branch_labels = None
depends_on = None


def _fk(column: str, table: str, key: str, ondelete: str | None = None) -> sa.Column:
    return sa.ForeignKey(f"{table}.{key}", ondelete=ondelete,
                         name=f"fk_pathway_request_{column}_{table}")


def upgrade() -> None:
    op.create_table(
        "pathway_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_org_id", sa.Integer(),
                  _fk("requester_org_id", "organization", "id", "CASCADE"), nullable=False),
        sa.Column("target_org_id", sa.Integer(),
                  _fk("target_org_id", "organization", "id", "CASCADE"), nullable=False),
        sa.Column("requested_by_id", sa.Integer(),
                  _fk("requested_by_id", "app_user", "id", "SET NULL")),
        sa.Column("responded_by_id", sa.Integer(),
                  _fk("responded_by_id", "app_user", "id", "SET NULL")),
        sa.Column("sector_code", sa.String(40), _fk("sector_code", "sector", "code")),
        sa.Column("service_type_code", sa.String(60),
                  _fk("service_type_code", "service_type", "code")),
        sa.Column("pcode", sa.String(20), _fk("pcode", "admin_area", "pcode"), nullable=False),
        sa.Column("status", sa.String(12), server_default="pending", nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("response_note", sa.Text(), server_default="", nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')",
                           name="ck_pathway_request_status"),
        sa.CheckConstraint("requester_org_id <> target_org_id",
                           name="ck_pathway_request_distinct_orgs"),
        sa.CheckConstraint("(status = 'pending') = (responded_at IS NULL)",
                           name="ck_pathway_request_responded"),
        sa.CheckConstraint("num_nonnulls(sector_code, service_type_code) = 1",
                           name="ck_pathway_request_one_scope"),
        sa.PrimaryKeyConstraint("id", name="pk_pathway_request"),
    )
    op.create_index("ix_pathway_request_requester_org_id", "pathway_request",
                    ["requester_org_id"])
    op.create_index("ix_pathway_request_target_org_id", "pathway_request", ["target_org_id"])
    op.execute("CREATE UNIQUE INDEX uq_pathway_request_pending ON pathway_request "
               "(requester_org_id, target_org_id, coalesce(sector_code, ''), "
               "coalesce(service_type_code, ''), pcode) WHERE status = 'pending'")


def downgrade() -> None:
    op.drop_table("pathway_request")
