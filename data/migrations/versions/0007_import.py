"""4W import: the value of an activity row in its own unit (activity.quantity).

Revision ID: 0007_import
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_import"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("quantity", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("activity", "quantity")
