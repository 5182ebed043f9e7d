"""search_covering_indexes: the indexes the search reads its area lists and distances through
carry the columns it filters and ranks by, so those lists are read from the index alone

Revision ID: 0050_search_covering_indexes
Revises: 0049_site_keyword_index_direct
Create Date: 2026-12-07 11:50:00

Why (issue 20, the database's CPU per served search): the services covering an area
(``service_coverage`` by type and p-code, or by p-code), the sites in a sub-district
(``service_site`` by p-code) and the nearest site of each candidate that the walk did not
reach (``service_site`` by service) were found in an index, then each row was read from the
table to test the filters and read the ranked values: one table page a row, as the rows of one
area lie scattered over the table (80 pages for the 85 coverage rows of one search). With the
filtered and ranked columns in the index (``INCLUDE``), PostgreSQL answers those parts with
index-only scans: one search's coverage list read 16 pages instead of 92, and an area search's
candidates took 0.6 ms instead of 2.7. Same statements, same rows. Measured on the national
data set, a copy with these indexes against one without, 2,400 searches of the bench's mix
alternated in eight pairs: -0.52 ms of database CPU a search (sd of the mean 0.14;
docs/performance.md, covering). The index-only scans need the table's visibility map, which
autovacuum keeps; updates of these columns are no longer HOT (the ranking refresh's rewrite of
the search rows costs more index writes).
"""
from alembic import op

revision = "0050_search_covering_indexes"
down_revision = "0049_site_keyword_index_direct"
branch_labels = None
depends_on = None

# what the search's filters (referral.search.filters_sql) and ranking (_RANKED_COLUMNS) read
SEARCHED = ("listed, min_age, max_age, sex, languages, availability, target_groups, "
            "capacity_per_month, last_verified, needs_documents, logit_base, distance_coef, "
            "p_default, median_response_hours")

# name -> (table, key columns, INCLUDE now, INCLUDE before)
INDEXES = {
    "ix_service_coverage_type_pcode_sid": (
        "service_coverage", "service_type_code, pcode text_pattern_ops, service_id",
        SEARCHED, None),
    "ix_service_coverage_pcode_sid": (
        "service_coverage", "pcode text_pattern_ops, service_id",
        f"service_type_code, {SEARCHED}", "service_type_code"),
    "ix_service_site_admin3_sid": (
        "service_site", "admin3_pcode text_pattern_ops, service_id DESC",
        f"id, service_type_code, {SEARCHED}", "id"),
    # the nearest site of a service found in the area lists: its point, from the index
    "ix_service_site_service_id": ("service_site", "service_id", "geom", None),
}


def _create(name: str, include_now: bool) -> None:
    table, keys, now, before = INDEXES[name]
    include = now if include_now else before
    op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(f"CREATE INDEX {name} ON {table} ({keys})"
               + (f" INCLUDE ({include})" if include else ""))


def upgrade() -> None:
    for name in INDEXES:
        _create(name, include_now=True)


def downgrade() -> None:
    for name in INDEXES:
        _create(name, include_now=False)
