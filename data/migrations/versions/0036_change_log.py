"""change log: every created, updated or withdrawn organisation, service and location,
written by triggers in the transaction that makes the change, for ``GET /api/v1/changes``

Revision ID: 0036_change_log
Revises: 0035_service_reports
Create Date: 2026-12-06 20:50:00

Why (issue 22): partner systems re-downloaded the whole directory to find what changed. The
log is written by triggers, so every writer (forms, API, imports, COPY) is covered and a
rolled-back change leaves no entry. Each row keeps its transaction id: the feed orders by
(transaction, id) and serves only transactions older than every one still running, so a
transaction that commits late can never slip behind a cursor already handed out.
``change_log_horizon`` remembers how far the log was pruned (older cursors are refused).
"""
import sqlalchemy as sa
from alembic import op

revision = '0036_change_log'
down_revision = '0035_service_reports'
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION tasharuk_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
  act text;
  ent text;
  org integer;
  uid uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_OP = 'INSERT' THEN act := 'created';
  ELSIF TG_OP = 'DELETE' THEN act := 'withdrawn';
  ELSE act := 'updated';
  END IF;
  IF TG_TABLE_NAME = 'organization' THEN
    ent := 'organization'; org := r.id; uid := r.uuid;
    IF TG_OP = 'UPDATE' AND OLD.verification = 'verified' AND NEW.verification <> 'verified'
    THEN act := 'withdrawn'; END IF;
  ELSIF TG_TABLE_NAME = 'service' THEN
    ent := 'service'; org := r.organization_id; uid := r.uuid;
    IF TG_OP = 'UPDATE' AND OLD.status = 'active' AND NEW.status <> 'active'
    THEN act := 'withdrawn'; END IF;
  ELSE
    ent := 'location'; uid := NULL;
    SELECT organization_id INTO org FROM service WHERE id = r.service_id;
  END IF;
  INSERT INTO change_log (entity, entity_id, entity_uuid, organization_id, action, txid)
  VALUES (ent, r.id, uid, org, act, pg_current_xact_id()::text::bigint);
  RETURN NULL;
END $$;
"""
SITE_COLUMNS = "service_id, geom, name_ar, name_en, address_ar, address_en, admin3_pcode"


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_uuid", sa.Uuid()),
        sa.Column("organization_id", sa.Integer()),
        sa.Column("action", sa.String(10), nullable=False),
        sa.CheckConstraint("entity IN ('organization', 'service', 'location')",
                           name="ck_change_log_entity"),
        sa.CheckConstraint("action IN ('created', 'updated', 'withdrawn')",
                           name="ck_change_log_action"),
        sa.PrimaryKeyConstraint("id", name="pk_change_log"),
    )
    op.create_index("ix_change_log_position", "change_log", ["txid", "id"])
    op.create_table(
        "change_log_horizon",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_change_log_horizon_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_change_log_horizon"),
    )
    op.execute(FUNCTION)
    for table in ("organization", "service"):
        op.execute(f"CREATE TRIGGER {table}_change_log AFTER INSERT OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION tasharuk_change_log()")
        op.execute(f"CREATE TRIGGER {table}_change_log_update AFTER UPDATE ON {table} "
                   "FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) "
                   "EXECUTE FUNCTION tasharuk_change_log()")
    # a site's own columns only: the search rows' copies (0016_search4) are not its changes
    op.execute("CREATE TRIGGER service_site_change_log AFTER INSERT OR DELETE ON service_site "
               "FOR EACH ROW EXECUTE FUNCTION tasharuk_change_log()")
    op.execute(f"CREATE TRIGGER service_site_change_log_update AFTER UPDATE OF {SITE_COLUMNS} "
               "ON service_site FOR EACH ROW EXECUTE FUNCTION tasharuk_change_log()")


def downgrade() -> None:
    for table in ("organization", "service", "service_site"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_change_log ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_change_log_update ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_change_log()")
    op.drop_table("change_log_horizon")
    op.drop_table("change_log")
