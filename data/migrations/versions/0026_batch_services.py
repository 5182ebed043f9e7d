"""import batches remember the services they created, so a rollback or a replacement takes
back a service that nothing refers to any more instead of leaving it in search

Revision ID: 0026_batch_services
Revises: 0025_pathways

Why (issue 19): rolling back an import batch deleted its activities and the coverage only they
supported, but left the services the import had created, listed with no coverage and no rows.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0026_batch_services"
down_revision = "0025_pathways"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_batch", sa.Column("services", JSONB(), nullable=False,
                                            server_default="[]"))


def downgrade() -> None:
    op.drop_column("import_batch", "services")
