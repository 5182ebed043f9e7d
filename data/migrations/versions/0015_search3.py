"""search3: a lexicon of the words services are found by, so that typo-tolerant keywords cost
an index lookup on a short word list instead of a trigram test on every matching service

Revision ID: 0015_search3
Revises: 0014_search2
Create Date: 2026-12-02 15:00:00
"""
from alembic import op

revision = '0015_search3'
down_revision = '0014_search2'  # service.search_tsv and the type-led trigram index it drops
branch_labels = None
depends_on = None

# Statement-level triggers with transition tables: one INSERT per statement, so a COPY of
# 100,000 services adds its words in one pass, and an UPDATE reads only the rows whose text
# changed (a change of availability adds nothing). Words are added in order (no deadlock
# between two writers adding the same new words) and never removed: a word left by a
# deleted service only widens a keyword to a lexeme that matches nothing.
_ADD_WORDS = """
CREATE FUNCTION search_word_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word)
    SELECT DISTINCT w FROM new_rows, unnest(tsvector_to_array(new_rows.search_tsv)) AS w
    ORDER BY w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""
_ADD_CHANGED_WORDS = """
CREATE FUNCTION search_word_add_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word)
    SELECT DISTINCT w FROM new_rows n JOIN old_rows o ON o.id = n.id,
        unnest(tsvector_to_array(n.search_tsv)) AS w
    WHERE n.search_tsv IS DISTINCT FROM o.search_tsv
    ORDER BY w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute("CREATE TABLE search_word (word text NOT NULL, "
               "CONSTRAINT pk_search_word PRIMARY KEY (word))")
    op.execute("CREATE INDEX ix_search_word_trgm ON search_word USING gin (word gin_trgm_ops)")
    op.execute(_ADD_WORDS)
    op.execute(_ADD_CHANGED_WORDS)
    op.execute("CREATE TRIGGER service_search_word_insert AFTER INSERT ON service "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION search_word_add()")
    op.execute("CREATE TRIGGER service_search_word_update AFTER UPDATE ON service "
               "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION search_word_add_changed()")
    op.execute("INSERT INTO search_word (word) SELECT DISTINCT unnest(tsvector_to_array("
               "search_tsv)) FROM service ON CONFLICT DO NOTHING")
    # the search no longer tests trigram similarity on services' whole text
    op.execute("DROP INDEX IF EXISTS ix_service_type_search_trgm")
    # The ids of the services covering a (type and) p-code from the index alone, for the
    # search to sort and test until 80 pass its filters; these replace the two indexes of
    # 0003 that led with the same columns.
    op.execute("CREATE INDEX ix_service_coverage_type_pcode_sid ON service_coverage "
               "(service_type_code, pcode text_pattern_ops, service_id)")
    op.execute("CREATE INDEX ix_service_coverage_pcode_sid ON service_coverage "
               "(pcode text_pattern_ops, service_id) INCLUDE (service_type_code)")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_type_pcode")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_pcode_prefix")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_coverage_pcode_prefix ON "
               "service_coverage (pcode text_pattern_ops)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_coverage_type_pcode ON service_coverage "
               "(service_type_code, pcode text_pattern_ops)")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_pcode_sid")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_type_pcode_sid")
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_type_search_trgm ON service "
               "USING gin (service_type_code, search_text gin_trgm_ops)")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS service_search_word_{event} ON service")
    op.execute("DROP FUNCTION IF EXISTS search_word_add_changed()")
    op.execute("DROP FUNCTION IF EXISTS search_word_add()")
    op.execute("DROP TABLE IF EXISTS search_word")
