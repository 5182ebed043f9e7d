"""one head: join 0039_sealed_trigger_when and 0040_admin_area_web_geom

Revision ID: 0041_one_head
Revises: 0040_admin_area_web_geom, 0039_sealed_trigger_when
Create Date: 2026-12-06 23:20:00

Why: 0039_pathway_requests and 0039_sealed_trigger_when both landed on 0038_feedback at the
same time (0040 sits on the first), so main had two heads and ``alembic upgrade head``
refused. It changes no schema. New migrations revise this one.
"""

revision = "0041_one_head"
down_revision = ("0040_admin_area_web_geom", "0039_sealed_trigger_when")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merge itself is the point."""


def downgrade() -> None:
    """Nothing to undo."""
