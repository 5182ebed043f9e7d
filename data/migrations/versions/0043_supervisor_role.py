"""app_user.role: a supervisor role in an organisation

Revision ID: 0043_supervisor_role
Revises: 0042_glass_ended
Create Date: 2026-12-06 23:00:00

Why (issue 23): break-the-glass is for "a supervisor who needs to see a sensitive record
outside their normal access"; the supervisor was the organisation admin. A supervisor now
works referrals like a caseworker and may also break the glass, without administering members.
"""
from alembic import op

revision = '0043_supervisor_role'
down_revision = '0042_glass_ended'
branch_labels = None
depends_on = None

OLD = "('platform_admin', 'org_admin', 'caseworker', 'planner', 'viewer')"
NEW = "('platform_admin', 'org_admin', 'supervisor', 'caseworker', 'planner', 'viewer')"


def upgrade() -> None:
    op.drop_constraint("ck_app_user_role", "app_user")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN {NEW}")


def downgrade() -> None:
    op.execute("UPDATE app_user SET role = 'caseworker' WHERE role = 'supervisor'")
    op.drop_constraint("ck_app_user_role", "app_user")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN {OLD}")
