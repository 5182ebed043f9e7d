"""search4: every site and coverage row carries what the search filters and ranks by, so the
nearest-sites walk and the area lists read one row per candidate instead of joining its service

Revision ID: 0016_search4
Revises: 0015_search3
Create Date: 2026-12-02 17:00:00

Why: the KNN walk and the coverage lists joined ``service`` (and, at the end, ``organization``)
for every row they read, to test the filters and fetch the ranking's inputs: ~60 % of a
search's execution. ``service_search`` (a view) says what a service's rows carry; triggers
keep the copies equal to it, whoever writes (forms, API, imports, COPY):

- a new site or coverage row copies its service's values (row-level, BEFORE);
- a change to a service, its target groups or its organisation's standing rewrites its rows
  whose values differ (statement-level with transition tables: a COPY or a bulk UPDATE is
  one UPDATE per table, not one per row).

``listed`` is "the service is active and its organisation neither rejected nor suspended":
other services are never read (they used to be read and dropped at the end).
"""
from alembic import op

revision = '0016_search4'
down_revision = '0015_search3'  # the type copies and their triggers (and 0003_directory)
branch_labels = None
depends_on = None

# (column, type, expression over service sv / organization o): the copied values
COLUMNS = (
    ("listed", "boolean",
     "sv.status = 'active' AND o.verification NOT IN ('rejected', 'suspended')"),
    ("min_age", "smallint", "sv.min_age"),
    ("max_age", "smallint", "sv.max_age"),
    ("sex", "varchar(10)", "sv.sex"),
    ("languages", "varchar(8)[]", "sv.languages"),
    ("availability", "varchar(10)", "sv.availability"),
    ("capacity_per_month", "integer", "sv.capacity_per_month"),
    ("last_verified", "date", "sv.last_verified"),
    ("needs_documents", "boolean", "cardinality(sv.documents_required) > 0"),
    # NULL: open to all (its null fraction is an exact statistic; a test on an empty array's
    # cardinality was estimated 5x too rare, and the planner then sorted every site in range)
    ("target_groups", "text[]",
     "NULLIF(ARRAY(SELECT g.target_group_code::text FROM service_target_group g "
     "WHERE g.service_id = sv.id ORDER BY 1), '{}')"),
    ("search_tsv", "tsvector", "sv.search_tsv"),
)
NAMES = ["service_type_code"] + [c[0] for c in COLUMNS]
TABLES = ("service_site", "service_coverage")



def view_sql(columns, joins: str = "", create: str = "CREATE VIEW") -> str:
    """The ``service_search`` view of ``columns`` (later migrations add some)."""
    return (f"{create} service_search AS SELECT sv.id AS service_id, sv.service_type_code, "
            + ", ".join(f"{expr} AS {name}" for name, _type, expr in columns)
            + " FROM service sv JOIN organization o ON o.id = sv.organization_id" + joins)


def copy_on_insert_sql(names) -> str:
    """A new row (or one moved to another service) takes its service's values."""
    return f"""
CREATE OR REPLACE FUNCTION tasharuk_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT {", ".join(f"v.{n}" for n in names)} INTO {", ".join(f"NEW.{n}" for n in names)}
    FROM service_search v WHERE v.service_id = NEW.service_id;
  RETURN NEW;
END $$;
"""


def refresh_sql(names) -> str:
    """Rewrite the rows of the services ``ids`` whose copies differ from the view."""
    cols, v_cols = ", ".join(names), ", ".join(f"v.{n}" for n in names)
    t_cols = ", ".join(f"t.{n}" for n in names)
    updates = "".join(
        f"  UPDATE {table} t SET ({cols}) = ({v_cols}) FROM service_search v\n"
        "   WHERE v.service_id = ANY(ids) AND t.service_id = v.service_id\n"
        f"     AND ({t_cols}) IS DISTINCT FROM ({v_cols});\n" for table in TABLES)
    return f"""
CREATE OR REPLACE FUNCTION tasharuk_search_refresh(ids integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(ids) = 0 THEN RETURN; END IF;
{updates}END $$;
"""


VIEW = view_sql(COLUMNS)
COPY_ON_INSERT = copy_on_insert_sql(NAMES)
REFRESH = refresh_sql(NAMES)

_SERVICE_COLS = ("service_type_code", "status", "organization_id", "min_age", "max_age", "sex",
                 "languages", "availability", "capacity_per_month", "last_verified",
                 "documents_required", "search_tsv")
SERVICE_CHANGED = f"""
CREATE OR REPLACE FUNCTION tasharuk_search_service_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tasharuk_search_refresh(ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE ({", ".join(f"n.{c}" for c in _SERVICE_COLS)})
           IS DISTINCT FROM ({", ".join(f"o.{c}" for c in _SERVICE_COLS)})));
  RETURN NULL;
END $$;
"""

GROUPS_CHANGED = """
CREATE OR REPLACE FUNCTION tasharuk_search_groups_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM tasharuk_search_refresh(ARRAY(SELECT DISTINCT service_id FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM tasharuk_search_refresh(ARRAY(SELECT DISTINCT service_id FROM old_rows));
  ELSE
    PERFORM tasharuk_search_refresh(ARRAY(SELECT service_id FROM new_rows
                                          UNION SELECT service_id FROM old_rows));
  END IF;
  RETURN NULL;
END $$;
"""

ORG_CHANGED = """
CREATE OR REPLACE FUNCTION tasharuk_search_org_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tasharuk_search_refresh(ARRAY(
    SELECT sv.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN service sv ON sv.organization_id = n.id
     WHERE n.verification IS DISTINCT FROM o.verification));
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ADD COLUMN {name} {typ}" for name, typ, _expr in COLUMNS))
    op.execute(VIEW)
    op.execute(COPY_ON_INSERT)
    op.execute(REFRESH)
    op.execute(SERVICE_CHANGED)
    op.execute(GROUPS_CHANGED)
    op.execute(ORG_CHANGED)
    # the copies of 0003 (service type only) are replaced by these
    op.execute("DROP TRIGGER IF EXISTS service_type_to_sites ON service")
    for table, old in (("service_site", "service_site_type"),
                       ("service_coverage", "service_coverage_type")):
        op.execute(f"DROP TRIGGER IF EXISTS {old} ON {table}")
        op.execute(f"CREATE TRIGGER {table}_search BEFORE INSERT OR UPDATE OF service_id "
                   f"ON {table} FOR EACH ROW EXECUTE FUNCTION tasharuk_search_row()")
    op.execute("CREATE TRIGGER service_search_update AFTER UPDATE ON service "
               "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION tasharuk_search_service_changed()")
    for event, ref in (("insert", "NEW TABLE AS new_rows"), ("delete", "OLD TABLE AS old_rows"),
                       ("update", "NEW TABLE AS new_rows OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER service_target_group_search_{event} AFTER {event.upper()} "
                   f"ON service_target_group REFERENCING {ref} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION tasharuk_search_groups_changed()")
    op.execute("CREATE TRIGGER organization_search_update AFTER UPDATE ON organization "
               "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION tasharuk_search_org_changed()")
    op.execute("SELECT tasharuk_search_refresh(ARRAY(SELECT id FROM service))")  # fill
    # A sub-district's sites newest service first, straight from the index, and a larger
    # area's site ids for a sort, read from the index alone (replaces the prefix index of 0003).
    op.execute("CREATE INDEX ix_service_site_admin3_sid ON service_site "
               "(admin3_pcode text_pattern_ops, service_id DESC) INCLUDE (id)")
    op.execute("DROP INDEX IF EXISTS ix_service_site_admin3_prefix")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_service_site_admin3_prefix ON service_site "
               "(admin3_pcode text_pattern_ops)")
    op.execute("DROP INDEX IF EXISTS ix_service_site_admin3_sid")
    op.execute("DROP TRIGGER IF EXISTS organization_search_update ON organization")
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS service_target_group_search_{event} "
                   "ON service_target_group")
    op.execute("DROP TRIGGER IF EXISTS service_search_update ON service")
    for table, old in (("service_site", "service_site_type"),
                       ("service_coverage", "service_coverage_type")):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
        op.execute(f"CREATE TRIGGER {old} BEFORE INSERT OR UPDATE OF service_id, "
                   f"service_type_code ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION tasharuk_site_service_type()")
    op.execute("CREATE TRIGGER service_type_to_sites AFTER UPDATE OF service_type_code "
               "ON service FOR EACH ROW EXECUTE FUNCTION tasharuk_service_type_to_sites()")
    for fn in ("tasharuk_search_org_changed()", "tasharuk_search_groups_changed()",
               "tasharuk_search_service_changed()", "tasharuk_search_refresh(integer[])",
               "tasharuk_search_row()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP VIEW IF EXISTS service_search")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"DROP COLUMN IF EXISTS {name}" for name, _typ, _expr in COLUMNS))
