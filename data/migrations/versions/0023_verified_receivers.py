"""verified receivers: only services of verified organisations are listed; a referral whose
receiver was rejected or suspended moves to ``receiver_revoked``

Revision ID: 0023_verified_receivers
Revises: 0022_import_batches
Create Date: 2026-12-06 04:20:00

Why (issue 17, finding 1): a pending organisation, registered by anyone, was ranked first in
a GBV search and received a referral with the person's name and phone. ``listed`` (the search
rows' copy of "this service may be shown to others", 0016_search4) required only that the
organisation was neither rejected nor suspended; it now requires a verified organisation.
The view changes; ``tasharuk_search_refresh`` rewrites the rows whose copy differs.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0023_verified_receivers'
down_revision = '0022_import_batches'
branch_labels = None
depends_on = None

STATES = ("draft", "sent", "accepted", "declined", "in_progress", "completed", "closed_unmet",
          "withdrawn", "expired")
REASONS = ("no_capacity", "not_eligible", "outside_area", "no_contact", "person_declined",
           "duplicate", "other")
LISTED_BEFORE = "sv.status = 'active' AND o.verification NOT IN ('rejected', 'suspended')"
LISTED = "sv.status = 'active' AND o.verification = 'verified'"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(
        f"tasharuk_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _view(listed: str) -> None:
    s4, s5 = _module("0016_search4"), _module("0017_search5")
    columns = tuple((n, t, listed if n == "listed" else e) for n, t, e in s5.COLUMNS)
    op.execute(s4.view_sql(columns, " LEFT JOIN provider_ranking pr ON pr.service_id = sv.id",
                           create="CREATE OR REPLACE VIEW"))
    op.execute("SELECT tasharuk_search_refresh(ARRAY(SELECT id FROM service))")


def _checks(states: tuple[str, ...], reasons: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE referral DROP CONSTRAINT ck_referral_status, "
               "DROP CONSTRAINT ck_referral_reason")
    op.execute(f"ALTER TABLE referral ADD CONSTRAINT ck_referral_status CHECK (status IN "
               f"{states}), ADD CONSTRAINT ck_referral_reason CHECK (reason_code IS NULL OR "
               f"reason_code IN {reasons})")


def upgrade() -> None:
    _view(LISTED)
    _checks(STATES + ("receiver_revoked",), REASONS + ("receiver_unverified",))


def downgrade() -> None:
    op.execute("UPDATE referral SET status = 'withdrawn' WHERE status = 'receiver_revoked'")
    op.execute("UPDATE referral SET reason_code = 'other' "
               "WHERE reason_code = 'receiver_unverified'")
    _checks(STATES, REASONS)
    _view(LISTED_BEFORE)
