"""site_keyword_index_direct: the sites' full-text index takes new entries at once, without
GIN's pending list, so a keyword search never scans a list of recent writes

Revision ID: 0049_site_keyword_index_direct
Revises: 0048_site_keyword_index
Create Date: 2026-12-07 08:15:00

Why (issue 20, kwsearch): GIN indexes gather new entries in an unsorted pending list (up to
``gin_pending_list_limit``, 4 MB, until a vacuum or an insert flushes it), and every search
through the index reads that whole list. After 12,000 service text rewrites (rolled back) the
list held 2,723 entries in 255 pages, and the keyword-without-need searches near a point that
``ix_service_site_search_tsv`` (migration 0048) had made cheaper cost as much as without it
again (candidate statement p50 7.3 -> 13.4 ms, mean 7.8 -> 18.8 ms of database CPU; flushing the
list restored them). With ``fastupdate = off`` each new or changed site row enters the index
at once: rewriting 3,000 services' texts with their search rows took 1.35-1.42 s against
1.07-1.15 s without the index (~0.1 ms a service whose text changes; a site updated without a
new text stays a HOT update as before), and the searches stayed as fast after the same writes
(docs/performance.md, kwsearch).
"""
from alembic import op

revision = "0049_site_keyword_index_direct"
down_revision = "0048_site_keyword_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_service_site_search_tsv SET (fastupdate = off)")
    # what is already pending stays in the list until flushed
    op.execute("SELECT gin_clean_pending_list('ix_service_site_search_tsv')")


def downgrade() -> None:
    op.execute("ALTER INDEX ix_service_site_search_tsv RESET (fastupdate)")
