"""directory: index design for provider search

Revision ID: 0003_directory
Revises: 0001_foundation
Create Date: 2026-11-29 21:00:00

Why this design (measured in bench/search.py):
- A caseworker's search is "the nearest sites of service type T that the person is eligible
  for". ``service_site`` gets a copy of its service's ``service_type_code`` (kept right by two
  triggers, so importers and the ORM need not know) and one composite GiST index over
  ``(service_type_code, geom::geography)`` thanks to btree_gist: the KNN operator ``<->``
  then walks only the sites of that type, nearest first, in metres. A second GiST index on
  ``geom::geography`` alone serves searches without a need; a sector search runs one KNN walk
  per service type of the sector (LATERAL) and merges.
- A materialised search table (one row per site with every eligibility column) was the other
  candidate; it answers the same KNN walk but must be refreshed on every write, and the
  eligibility checks on the service row cost little once the KNN walk is bounded, so the
  trigger-maintained column is the simpler choice.
- Keyword search: a stored ``search_tsv`` (generated from ``search_text``) with its own GIN
  index, so matching rows are not re-parsed by ``to_tsvector`` on every recheck (that recheck
  was most of the time of keyword searches); trigram word similarity stays as the fallback.
- P-codes nest by prefix (SY070301 in SY0703 in SY07): text_pattern_ops indexes let coverage
  and site-area lookups use ``LIKE 'SY0703%'``. ``service_coverage`` gets the service type too
  (same trigger), with a ``(service_type_code, pcode)`` index: "who covers this area for this
  need" reads only the matching coverage rows instead of every service covering a governorate.
"""
from alembic import op

revision = "0003_directory"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

SITE_TYPE = """
CREATE OR REPLACE FUNCTION tasharuk_site_service_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.service_type_code := (SELECT service_type_code FROM service WHERE id = NEW.service_id);
  RETURN NEW;
END $$;
"""

SERVICE_TYPE_CHANGED = """
CREATE OR REPLACE FUNCTION tasharuk_service_type_to_sites() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE service_site SET service_type_code = NEW.service_type_code
   WHERE service_id = NEW.id AND service_type_code IS DISTINCT FROM NEW.service_type_code;
  UPDATE service_coverage SET service_type_code = NEW.service_type_code
   WHERE service_id = NEW.id AND service_type_code IS DISTINCT FROM NEW.service_type_code;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table in ("service_site", "service_coverage"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN service_type_code varchar(60)")
        op.execute(f"UPDATE {table} s SET service_type_code = sv.service_type_code "
                   "FROM service sv WHERE sv.id = s.service_id")
    op.execute(SITE_TYPE)
    op.execute(SERVICE_TYPE_CHANGED)
    op.execute("CREATE TRIGGER service_site_type BEFORE INSERT OR UPDATE OF service_id, "
               "service_type_code ON service_site FOR EACH ROW "
               "EXECUTE FUNCTION tasharuk_site_service_type()")
    op.execute("CREATE TRIGGER service_coverage_type BEFORE INSERT OR UPDATE OF service_id, "
               "service_type_code ON service_coverage FOR EACH ROW "
               "EXECUTE FUNCTION tasharuk_site_service_type()")
    op.execute("CREATE TRIGGER service_type_to_sites AFTER UPDATE OF service_type_code "
               "ON service FOR EACH ROW EXECUTE FUNCTION tasharuk_service_type_to_sites()")
    op.execute("CREATE INDEX ix_service_site_type_geog ON service_site "
               "USING gist (service_type_code, (geom::geography))")
    op.execute("CREATE INDEX ix_service_site_geog ON service_site "
               "USING gist ((geom::geography))")
    op.execute("CREATE INDEX ix_service_site_admin3_prefix ON service_site "
               "(admin3_pcode text_pattern_ops)")
    op.execute("CREATE INDEX ix_service_coverage_pcode_prefix ON service_coverage "
               "(pcode text_pattern_ops)")
    op.execute("CREATE INDEX ix_service_coverage_type_pcode ON service_coverage "
               "(service_type_code, pcode text_pattern_ops)")
    op.execute("CREATE INDEX ix_unmet_search_type_at ON unmet_search (service_type_code, at)")
    op.execute("ALTER TABLE service ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
               "(to_tsvector('simple', search_text)) STORED")
    op.execute("CREATE INDEX ix_service_search_tsv ON service USING gin (search_tsv)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_service_search_tsv")
    op.execute("ALTER TABLE service DROP COLUMN IF EXISTS search_tsv")
    op.execute("DROP INDEX IF EXISTS ix_unmet_search_type_at")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_type_pcode")
    op.execute("DROP INDEX IF EXISTS ix_service_coverage_pcode_prefix")
    op.execute("DROP INDEX IF EXISTS ix_service_site_admin3_prefix")
    op.execute("DROP INDEX IF EXISTS ix_service_site_geog")
    op.execute("DROP INDEX IF EXISTS ix_service_site_type_geog")
    op.execute("DROP TRIGGER IF EXISTS service_type_to_sites ON service")
    op.execute("DROP TRIGGER IF EXISTS service_coverage_type ON service_coverage")
    op.execute("DROP TRIGGER IF EXISTS service_site_type ON service_site")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_service_type_to_sites()")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_site_service_type()")
    op.execute("ALTER TABLE service_coverage DROP COLUMN IF EXISTS service_type_code")
    op.execute("ALTER TABLE service_site DROP COLUMN IF EXISTS service_type_code")
