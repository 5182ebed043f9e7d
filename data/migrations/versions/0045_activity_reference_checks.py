"""activity_reference_checks: activity's references to the reference tables (admin areas,
sectors, service types) checked once per statement instead of by a foreign-key trigger per
row; the index on activity.pcode alone dropped (ix_activity_area_period leads with pcode)

Revision ID: 0045_activity_reference_checks
Revises: 0044_consent_records
Create Date: 2026-12-06 23:40:00

Why (issue 19, the 4W import's speed): a foreign key checks each inserted row on its own
(a query and a row lock on the referenced row), and with five of them on ``activity`` that
was the biggest database cost of importing a 4W file. Admin areas, sectors and service types
are reference data that only the loaders write. Their three keys are replaced by statement
triggers that check the distinct values a statement wrote, in one query: ``activity`` rows
inserted or updated (INSERT, UPDATE, COPY, by any path) must name existing rows, and a
reference row still named by an activity can be neither deleted, re-keyed nor truncated. A
violation raises the same SQLSTATE as a foreign key (23503, foreign_key_violation). What the
triggers do not give: the row lock that would stop one transaction deleting an area while
another inserts an activity naming it (docs/ARCHITECTURE.md). The keys to organisations and
import batches, which change, stay foreign keys.
"""
from alembic import op

revision = "0045_activity_reference_checks"
down_revision = "0044_consent_records"
branch_labels = None
depends_on = None

# (reference table, its key, activity's column, the foreign key this replaces)
REFERENCES = (("admin_area", "pcode", "pcode", "fk_activity_pcode_admin_area"),
              ("sector", "code", "sector_code", "fk_activity_sector_code_sector"),
              ("service_type", "code", "service_type_code",
               "fk_activity_service_type_code_service_type"))

_NEW_ROWS = """
CREATE FUNCTION tasharuk_activity_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT c.col, c.val INTO bad FROM (
        SELECT 'pcode' AS col, v.pcode::text AS val
          FROM (SELECT DISTINCT pcode FROM new_rows WHERE pcode IS NOT NULL) v
         WHERE NOT EXISTS (SELECT 1 FROM admin_area r WHERE r.pcode = v.pcode)
        UNION ALL
        SELECT 'sector_code', v.sector_code::text
          FROM (SELECT DISTINCT sector_code FROM new_rows WHERE sector_code IS NOT NULL) v
         WHERE NOT EXISTS (SELECT 1 FROM sector r WHERE r.code = v.sector_code)
        UNION ALL
        SELECT 'service_type_code', v.service_type_code::text
          FROM (SELECT DISTINCT service_type_code FROM new_rows
                 WHERE service_type_code IS NOT NULL) v
         WHERE NOT EXISTS (SELECT 1 FROM service_type r WHERE r.code = v.service_type_code)
    ) c LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "activity": %=% is not present in its '
                        'reference table', bad.col, bad.val
            USING ERRCODE = 'foreign_key_violation', TABLE = 'activity', COLUMN = bad.col;
    END IF;
    RETURN NULL;
END $$
"""

_OLD_ROWS = """
CREATE FUNCTION tasharuk_activity_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    -- TG_ARGV: the key column of this reference table, the column of activity naming it;
    -- a TRUNCATE takes every row, so any activity naming one refuses it
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT %1$I::text FROM activity WHERE %1$I IS NOT NULL LIMIT 1',
                       TG_ARGV[1]) INTO bad;
    ELSE
        EXECUTE format('SELECT o.%1$I::text FROM old_rows o WHERE NOT EXISTS (SELECT 1 '
                       'FROM %2$I r WHERE r.%1$I = o.%1$I) AND EXISTS (SELECT 1 FROM '
                       'activity a WHERE a.%3$I = o.%1$I) LIMIT 1', TG_ARGV[0], TG_TABLE_NAME,
                       TG_ARGV[1]) INTO bad;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '% on table "%": % is still referenced from table "activity"',
                        lower(TG_OP), TG_TABLE_NAME, bad
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.drop_index("ix_activity_pcode", table_name="activity")
    op.execute(_NEW_ROWS)
    op.execute(_OLD_ROWS)
    for event in ("INSERT", "UPDATE"):
        op.execute(f"CREATE TRIGGER activity_refs_{event.lower()} AFTER {event} ON activity "
                   "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                   "EXECUTE FUNCTION tasharuk_activity_refs()")
    for table, key, column, fk in REFERENCES:
        op.drop_constraint(fk, "activity", type_="foreignkey")
        for event in ("DELETE", "UPDATE"):
            op.execute(f"CREATE TRIGGER {table}_activity_refs_{event.lower()} AFTER {event} "
                       f"ON {table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION tasharuk_activity_referenced('{key}', '{column}')")
        op.execute(f"CREATE TRIGGER {table}_activity_refs_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION tasharuk_activity_referenced('{key}', '{column}')")


def downgrade() -> None:
    for table, key, column, fk in REFERENCES:
        for event in ("delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER {table}_activity_refs_{event} ON {table}")
        op.create_foreign_key(fk, "activity", table, [column], [key])
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER activity_refs_{event} ON activity")
    op.execute("DROP FUNCTION tasharuk_activity_refs()")
    op.execute("DROP FUNCTION tasharuk_activity_referenced()")
    op.create_index("ix_activity_pcode", "activity", ["pcode"])
