"""freshness: a declared review cadence per service, a review asked for by the referral loop,
signed single-use review links, and the search rows' staleness clock following the cadence

Revision ID: 0033_freshness
Revises: 0032_batch_organizations
Create Date: 2026-12-06 20:15:00

Why (issue 22): a listing was "stale" after 180 days whatever its kind: a monthly-reviewed
hotline was trusted for half a year, a yearly-reviewed legal clinic went stale twice a year.
The search rows' ``last_verified`` copy becomes the date its 180-day staleness clock counts
from: the real date shifted by (cadence + grace - 180) days, so the search ranks an
*overdue* listing (not reviewed for its cadence plus a grace of a quarter of it, at least 7
days) exactly as it ranked a stale one, with no new column and no change to the search.
``network/freshness.py`` holds the same rule for the pages.
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0033_freshness'
down_revision = '0032_batch_organizations'
branch_labels = None
depends_on = None

CADENCES = (30, 90, 180, 365)
STALE_DAYS = 180  # matching.ranking.STALE_DAYS
CLOCK = (f"sv.last_verified + (sv.review_every_days + GREATEST(7, sv.review_every_days / 4) "
         f"- {STALE_DAYS})")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(
        f"tasharuk_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _search_rows(clock: str, service_cols: tuple[str, ...]) -> None:
    s4, s5, s23 = _module("0016_search4"), _module("0017_search5"), _module(
        "0023_verified_receivers")
    columns = tuple((n, t, s23.LISTED if n == "listed" else clock if n == "last_verified"
                     else e) for n, t, e in s5.COLUMNS)
    op.execute(s4.view_sql(columns, " LEFT JOIN provider_ranking pr ON pr.service_id = sv.id",
                           create="CREATE OR REPLACE VIEW"))
    op.execute(s4.SERVICE_CHANGED.replace(
        ", ".join(f"n.{c}" for c in s4._SERVICE_COLS),
        ", ".join(f"n.{c}" for c in service_cols)).replace(
        ", ".join(f"o.{c}" for c in s4._SERVICE_COLS),
        ", ".join(f"o.{c}" for c in service_cols)))
    op.execute("SELECT tasharuk_search_refresh(ARRAY(SELECT id FROM service))")


def upgrade() -> None:
    op.add_column("service", sa.Column("review_every_days", sa.SmallInteger(),
                                       server_default="180", nullable=False))
    op.add_column("service", sa.Column("review_requested_at", sa.DateTime(timezone=True)))
    op.add_column("service", sa.Column("review_request_reason", sa.String(40)))
    op.create_check_constraint(op.f("ck_service_review_every_days"), "service",
                               f"review_every_days IN {CADENCES}")
    op.create_table(
        "review_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey(
            "service.id", ondelete="CASCADE", name="fk_review_link_service_id_service"),
            nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey(
            "app_user.id", ondelete="SET NULL", name="fk_review_link_user_id_app_user")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("answer", sa.String(20)),
        sa.CheckConstraint("answer IS NULL OR answer IN "
                           "('still_accurate', 'needs_changes', 'closed')",
                           name="ck_review_link_answer"),
        sa.PrimaryKeyConstraint("id", name="pk_review_link"),
    )
    op.create_index("ix_review_link_service_id", "review_link", ["service_id"])
    op.create_index("ix_review_link_user_id", "review_link", ["user_id"])
    s4 = _module("0016_search4")
    _search_rows(CLOCK, s4._SERVICE_COLS + ("review_every_days",))


def downgrade() -> None:
    s4 = _module("0016_search4")
    _search_rows("sv.last_verified", s4._SERVICE_COLS)
    op.drop_table("review_link")
    op.drop_constraint(op.f("ck_service_review_every_days"), "service", type_="check")
    for name in ("review_request_reason", "review_requested_at", "review_every_days"):
        op.drop_column("service", name)
