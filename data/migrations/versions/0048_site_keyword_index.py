"""site_keyword_index: the sites' full-text index, so a keyword search without a need reads the
sites that match the keyword near the point instead of walking every site near it

Revision ID: 0048_site_keyword_index
Revises: 0047_referral_measured_index
Create Date: 2026-12-07 08:10:00

Why (issue 20, the database's CPU per served search): a search with a keyword but no need
near a point walked the geography index in distance order (no service type to narrow it),
testing the keyword on each site until 40 passed: thousands of sites for a rarer keyword or
with a target group or an age, every site within the radius when nothing matches (10-70 ms
of database CPU). With ``search_tsv`` of the search rows (migration ``0016_search4``) indexed,
the planner intersects the keyword's sites with the radius's box (a BitmapAnd) and sorts the
few that pass, or still walks when the keyword is common. Same statement, same rows. Measured
on the national data set, main's code on the data set and on a copy with this index, 94
keyword-without-need searches alternated: near a point p50 11.3 -> 6.7 ms and mean 15.3 ->
7.4 ms of the candidate statement's database CPU; other kinds unchanged
(docs/performance.md, kwsearch).
"""
from alembic import op

revision = "0048_site_keyword_index"
down_revision = "0047_referral_measured_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_service_site_search_tsv ON service_site USING gin (search_tsv)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_service_site_search_tsv")
