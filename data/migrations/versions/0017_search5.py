"""search5: the search rows also carry their service's referral-outcome terms, so the search
no longer joins ``provider_ranking`` for every candidate

Revision ID: 0017_search5
Revises: 0016_search4, 0010_ranking
Create Date: 2026-12-02 21:00:00

Why: the candidate statement joined ``provider_ranking`` once per candidate (~100 a search)
for the four terms the score reads; without the join the statement took 0.7-1 ms less at
the median and 1-2 ms less at the 95th percentile (1,000 benchmark searches). The terms join
the ``service_search`` view (0016_search4) and are copied like its other values; a statement
trigger on ``provider_ranking`` (``tasharuk directory refresh-ranking`` rewrites it) refreshes
the rows of the services whose terms changed. The page's referral figures (history,
acceptance rate, main decline reason) are still read from ``provider_ranking``, for the 20
services shown.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0017_search5'
down_revision = ('0016_search4', '0010_ranking')  # 0010: provider_ranking
branch_labels = None
depends_on = None


def _search4():
    """The 0016_search4 migration module, whose view and functions this one extends."""
    spec = importlib.util.spec_from_file_location(
        "tasharuk_0016_search4", Path(__file__).with_name("0016_search4.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S4 = _search4()
# (column, type, expression over provider_ranking pr): NULL until the service is refreshed
OUTCOMES = (
    ("logit_base", "double precision", "pr.logit_base"),
    ("distance_coef", "double precision", "pr.distance_coef"),
    ("p_default", "double precision", "pr.p_default"),
    ("median_response_hours", "double precision", "pr.median_response_hours"),
)
COLUMNS = S4.COLUMNS + OUTCOMES
NAMES = S4.NAMES + [c[0] for c in OUTCOMES]

OUTCOMES_CHANGED = f"""
CREATE OR REPLACE FUNCTION tasharuk_search_outcomes_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM tasharuk_search_refresh(ARRAY(SELECT service_id FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM tasharuk_search_refresh(ARRAY(SELECT service_id FROM old_rows));
  ELSE  -- only the services whose copied terms changed (a refresh rewrites every row)
    PERFORM tasharuk_search_refresh(ARRAY(
      SELECT coalesce(n.service_id, o.service_id) FROM new_rows n
        FULL JOIN old_rows o ON o.service_id = n.service_id
       WHERE n.service_id IS NULL OR o.service_id IS NULL
          OR ({", ".join(f"n.{c}" for c, _t, _e in OUTCOMES)})
             IS DISTINCT FROM ({", ".join(f"o.{c}" for c, _t, _e in OUTCOMES)})));
  END IF;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    for table in S4.TABLES:
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"ADD COLUMN {name} {typ}" for name, typ, _expr in OUTCOMES))
    op.execute(S4.view_sql(COLUMNS, " LEFT JOIN provider_ranking pr ON pr.service_id = sv.id",
                           create="CREATE OR REPLACE VIEW"))
    op.execute(S4.copy_on_insert_sql(NAMES))
    op.execute(S4.refresh_sql(NAMES))
    op.execute(OUTCOMES_CHANGED)
    for event, ref in (("insert", "NEW TABLE AS new_rows"), ("delete", "OLD TABLE AS old_rows"),
                       ("update", "NEW TABLE AS new_rows OLD TABLE AS old_rows")):
        op.execute(f"CREATE TRIGGER provider_ranking_search_{event} AFTER {event.upper()} "
                   f"ON provider_ranking REFERENCING {ref} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION tasharuk_search_outcomes_changed()")
    op.execute("SELECT tasharuk_search_refresh(ARRAY(SELECT service_id FROM provider_ranking))")


def downgrade() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS provider_ranking_search_{event} ON provider_ranking")
    op.execute("DROP FUNCTION IF EXISTS tasharuk_search_outcomes_changed()")
    op.execute(S4.COPY_ON_INSERT)
    op.execute(S4.REFRESH)
    op.execute("DROP VIEW service_search")
    op.execute(S4.VIEW)
    for table in S4.TABLES:
        op.execute(f"ALTER TABLE {table} " + ", ".join(
            f"DROP COLUMN IF EXISTS {name}" for name, _typ, _expr in OUTCOMES))
