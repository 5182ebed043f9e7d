"""one head: merge the branches that grew off 0001_foundation

Revision ID: 0020_one_head
Revises: 0004_referrals, 0005_library_forum, 0007_import, 0009_partners, 0018_jobs,
    0019_audit_request_id
Create Date: 2026-12-06 04:20:00

Why: each room added its tables on a branch of its own off the first migration, so Alembic
saw ten heads; ``alembic upgrade head`` refused and ``tasharuk db upgrade`` had to ask for
``heads``. The search migrations' ``depends_on`` links became plain parents (0003 -> 0014 ->
0015 -> 0016 -> 0017 <- 0010; the same order Alembic already applied them in, and the same
six rows a migrated database holds in ``alembic_version``), and this revision joins the six
remaining branches (0018_jobs and 0019_audit_request_id came later, on 0017 and
0002). It changes no schema. New migrations revise this one (``tasharuk db
revision`` does so by default).
"""

revision = "0020_one_head"
down_revision = ("0004_referrals", "0005_library_forum", "0007_import", "0009_partners", "0018_jobs", "0019_audit_request_id")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merge itself is the point."""


def downgrade() -> None:
    """Nothing to undo."""
