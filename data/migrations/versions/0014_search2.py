"""search2: keyword indexes led by the service type, so a search with a need and a keyword
reads only that type's keyword matches

Revision ID: 0014_search2
Revises: 0003_directory
Create Date: 2026-11-29 22:15:00
"""
from alembic import op

revision = '0014_search2'
down_revision = '0003_directory'  # service.search_tsv and the single-column keyword indexes
branch_labels = None
depends_on = None


def upgrade() -> None:
    # btree_gin lets a GIN index lead with the service type: the index scan intersects the
    # type's short posting list with the word's (GIN fast scan) instead of reading every
    # service that mentions the word (~10 % of them for a common organisation name word).
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_type_search_tsv ON service "
               "USING gin (service_type_code, search_tsv)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_type_search_trgm ON service "
               "USING gin (service_type_code, search_text gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_service_type_search_trgm")
    op.execute("DROP INDEX IF EXISTS ix_service_type_search_tsv")
