"""confidential sites: a service site may be marked confidential; its exact point and address
are kept only sealed (``exact_enc``) and the public columns hold its front gate

Revision ID: 0029_confidential_sites
Revises: 0028_reason_not_offered
Create Date: 2026-12-06 20:00:00

Why (issue 23): shelters and safe spaces must never appear at their exact place in a search,
map, export or API answer; the public ``geom``/address columns now carry the front gate (a
meeting point or the sub-district's centre), which distance ranking uses unchanged.
"""
import sqlalchemy as sa
from alembic import op

revision = '0029_confidential_sites'
down_revision = '0028_reason_not_offered'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("service_site", sa.Column("confidential", sa.Boolean(),
                                            server_default="false", nullable=False))
    op.add_column("service_site", sa.Column("front_gate", sa.String(20)))
    op.add_column("service_site", sa.Column("exact_enc", sa.LargeBinary()))
    op.create_check_constraint(
        op.f("ck_service_site_front_gate"), "service_site",
        "front_gate IS NULL OR front_gate IN ('meeting_point', 'subdistrict')")
    op.create_check_constraint(
        op.f("ck_service_site_confidential_gate"), "service_site",
        "NOT confidential OR (front_gate IS NOT NULL AND exact_enc IS NOT NULL)")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_service_site_confidential_gate"), "service_site",
                       type_="check")
    op.drop_constraint(op.f("ck_service_site_front_gate"), "service_site", type_="check")
    op.drop_column("service_site", "exact_enc")
    op.drop_column("service_site", "front_gate")
    op.drop_column("service_site", "confidential")
