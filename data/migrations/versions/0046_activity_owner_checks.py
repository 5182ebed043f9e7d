"""activity_owner_checks: activity's organisation and import batch checked once per statement
instead of by a foreign-key trigger per row, their ON DELETE SET NULL kept by statement triggers

Revision ID: 0046_activity_owner_checks
Revises: 0045_activity_reference_checks
Create Date: 2026-12-07 03:00:00

Why (issue 19, the 4W import's speed): after 0045 the two foreign keys left on ``activity``
(``organization_id``, ``batch_id``) were each a query and a row lock per inserted row, run at
the end of every COPY block: a third of the import's database CPU, and the block the importer's
writer thread waited for (docs/performance.md, "fifth pass"). They become what 0045 made of the
reference keys: ``tasharuk_activity_refs()`` also checks the distinct organisations and batches
a statement wrote (SQLSTATE 23503 as before). Deleting an organisation or a batch still sets
its activities' column to NULL (a statement trigger with the deleted rows), re-keying one that
an activity names is refused, and truncating one while activities name it is refused. What
this does not give, as in 0045: the row lock that stops one transaction deleting an
organisation while another inserts an activity naming it (docs/ARCHITECTURE.md).
"""
from alembic import op

revision = "0046_activity_owner_checks"
down_revision = "0045_activity_reference_checks"
branch_labels = None
depends_on = None

# (owner table, activity's column naming its id, the foreign key this replaces)
OWNERS = (("organization", "organization_id", "fk_activity_organization_id_organization"),
          ("import_batch", "batch_id", "fk_activity_batch_id_import_batch"))

# (activity's column, the table it names, that table's key): 0045's three, then the owners
REFERENCED = (("pcode", "admin_area", "pcode"), ("sector_code", "sector", "code"),
              ("service_type_code", "service_type", "code"))
OWNED = (("organization_id", "organization", "id"), ("batch_id", "import_batch", "id"))


def _check(columns) -> str:
    """``tasharuk_activity_refs()`` (0045's statement trigger) checking ``columns``: the
    distinct values a statement wrote, each looked up once."""
    found = "\n        UNION ALL\n".join(
        f"SELECT '{col}' AS col, v.{col}::text AS val FROM (SELECT DISTINCT {col} FROM "
        f"new_rows WHERE {col} IS NOT NULL) v WHERE NOT EXISTS (SELECT 1 FROM {table} r "
        f"WHERE r.{key} = v.{col})" for col, table, key in columns)
    return f"""
CREATE OR REPLACE FUNCTION tasharuk_activity_refs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT c.col, c.val INTO bad FROM (
        {found}
    ) c LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "activity": %=% is not present in its '
                        'reference table', bad.col, bad.val
            USING ERRCODE = 'foreign_key_violation', TABLE = 'activity', COLUMN = bad.col;
    END IF;
    RETURN NULL;
END $$
"""


_GONE = """
CREATE FUNCTION tasharuk_activity_owner_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV[0]: activity's column naming this table's id (ON DELETE SET NULL)
    EXECUTE format('UPDATE activity SET %1$I = NULL WHERE %1$I IN (SELECT id FROM old_rows)',
                   TG_ARGV[0]);
    RETURN NULL;
END $$
"""

_REKEYED = """
CREATE FUNCTION tasharuk_activity_owner_rekeyed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    -- TG_ARGV[0]: activity's column naming this table's id; only a changed id fires this
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM activity WHERE %I = $1)', TG_ARGV[0])
        INTO named USING OLD.id;
    IF named THEN
        RAISE EXCEPTION 'update on table "%": id % is still referenced from table "activity"',
                        TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.execute(_check(REFERENCED + OWNED))
    op.execute(_GONE)
    op.execute(_REKEYED)
    for table, column, fk in OWNERS:
        op.drop_constraint(fk, "activity", type_="foreignkey")
        op.execute(f"CREATE TRIGGER {table}_activity_owner_delete AFTER DELETE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION tasharuk_activity_owner_gone('{column}')")
        op.execute(f"CREATE TRIGGER {table}_activity_owner_rekey BEFORE UPDATE OF id "
                   f"ON {table} FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) "
                   f"EXECUTE FUNCTION tasharuk_activity_owner_rekeyed('{column}')")
        op.execute(f"CREATE TRIGGER {table}_activity_owner_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION tasharuk_activity_referenced('id', '{column}')")


def downgrade() -> None:
    for table, column, fk in OWNERS:
        for event in ("delete", "rekey", "truncate"):
            op.execute(f"DROP TRIGGER {table}_activity_owner_{event} ON {table}")
        op.execute(f"UPDATE activity SET {column} = NULL WHERE {column} IS NOT NULL AND NOT "
                   f"EXISTS (SELECT 1 FROM {table} r WHERE r.id = activity.{column})")
        op.create_foreign_key(fk, "activity", table, [column], ["id"], ondelete="SET NULL")
    op.execute("DROP FUNCTION tasharuk_activity_owner_rekeyed()")
    op.execute("DROP FUNCTION tasharuk_activity_owner_gone()")
    op.execute(_check(REFERENCED))
