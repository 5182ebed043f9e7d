"""coverage_keyword_index: the coverage rows' full-text index, so a keyword search without a
need reads the keyword's services covering the area instead of every service covering it

Revision ID: 0051_coverage_keyword_index
Revises: 0050_search_covering_indexes
Create Date: 2026-12-07 12:05:00

Why (issue 20, the tail of the served searches): without a need, the services covering the
person's area (and the areas containing it) were read newest first and the keyword tested on
each: every coverage row of a governorate when few match (755 rows in 588 table pages for one
ancestor of one search, 711 of them refused). With ``search_tsv`` of the coverage rows indexed,
the planner intersects the keyword's rows with the area's (a BitmapAnd) and reads only those.
Same statement, same rows. Measured on the national data set, each keyword search's candidate
statement run on a copy with this index and on one without, alternated: without a need, near
a point mean 7.7 -> 5.1 ms and p50 7.0 -> 3.9 ms of database CPU, in an area 7.0 -> 4.4 ms;
with a need the keyword is spelled so that no index takes it (``referral.search._keyword``)
and the plans are those without this index (docs/performance.md, kwcoverage). Like the
sites' index (migration 0049), new entries go into the index at once (no pending list).
"""
from alembic import op

revision = "0051_coverage_keyword_index"
down_revision = "0050_search_covering_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_service_coverage_search_tsv ON service_coverage "
               "USING gin (search_tsv) WITH (fastupdate = off)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_service_coverage_search_tsv")
