"""import batches remember the organisations they created, so a rollback or a replacement
takes back a pending organisation that nothing refers to any more

Revision ID: 0032_batch_organizations
Revises: 0031_glass_access

Why (issue 19): after 0026 a rolled-back import took back its services but left the
organisations it had created, pending, with no services and no rows.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0032_batch_organizations"
down_revision = "0031_glass_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_batch", sa.Column("organizations", JSONB(), nullable=False,
                                            server_default="[]"))


def downgrade() -> None:
    op.drop_column("import_batch", "organizations")
