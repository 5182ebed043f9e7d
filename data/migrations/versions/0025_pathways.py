"""pathways: how to refer to a service (a focal point too), what the person brings and the
next step they can expect, in Arabic and English

Revision ID: 0025_pathways
Revises: 0024_sessions
Create Date: 2026-12-06 20:00:00

Why (issue 22): a caseworker could see a referral method and a contact, but not what the
person must bring nor what happens after the referral, and a service reached through a named
focal point had no method to say so.
"""
import sqlalchemy as sa
from alembic import op

revision = '0025_pathways'
down_revision = '0024_sessions'
branch_labels = None
depends_on = None

BEFORE = ("platform", "form", "email", "phone", "walk_in", "none")
AFTER = ("platform", "form", "email", "phone", "walk_in", "focal_point", "none")
COLUMNS = ("what_to_bring_ar", "what_to_bring_en", "next_step_ar", "next_step_en")


def _method_check(methods: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_service_referral_method"), "service", type_="check")
    op.create_check_constraint(op.f("ck_service_referral_method"), "service",
                               f"referral_method IN {methods}")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("service", sa.Column(name, sa.Text(), server_default="", nullable=False))
    _method_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE service SET referral_method = 'none' "
               "WHERE referral_method = 'focal_point'")
    _method_check(BEFORE)
    for name in COLUMNS:
        op.drop_column("service", name)
