"""The search rows' copies of their services' values (migration ``0016_search4``): count the
rows that differ from the ``service_search`` view and rewrite them.

Triggers keep the copies right whoever writes; this is for what bypasses triggers (a bulk load
with them turned off, a restore of one table from an older dump), and for checking.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["SEARCH_ROW_TABLES", "copied_columns", "refresh_search_rows", "stale_search_rows"]

SEARCH_ROW_TABLES = ("service_site", "service_coverage")


def copied_columns(session: Session) -> list[str]:
    """The columns each search row copies: the view's, but its key."""
    return [c for c in session.scalars(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = 'service_search' ORDER BY ordinal_position"))
        if c != "service_id"]


def stale_search_rows(session: Session) -> dict[str, int]:
    """How many rows of each search-row table differ from their service's values."""
    cols = copied_columns(session)
    mine = ", ".join(f"t.{c}" for c in cols)
    want = ", ".join(f"v.{c}" for c in cols)
    return {table: session.scalar(text(
        f"SELECT count(*) FROM {table} t JOIN service_search v USING (service_id) "
        f"WHERE ({mine}) IS DISTINCT FROM ({want})")) for table in SEARCH_ROW_TABLES}


def refresh_search_rows(session: Session) -> dict[str, int]:
    """Rewrite every stale search row (one UPDATE per table); return how many were stale."""
    stale = stale_search_rows(session)
    if any(stale.values()):
        session.execute(text("SELECT tasharuk_search_refresh(ARRAY(SELECT id FROM service))"))
    return stale
