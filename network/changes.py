"""The change feed (issue 22): created, updated and withdrawn organisations, services and
locations, in order, resumable by cursor, for partner systems (``GET /api/v1/changes``).

A cursor is ``TXID-ID``: the position of the last change read, in (transaction, id) order.
Only changes of transactions older than every transaction still running are served (plus the
reader's own), so a transaction that commits late can never land behind a cursor already
handed out. Changes of an organisation that is not verified are left out until it is (its
withdrawal is always told). The log is pruned after ``KEEP_DAYS``; a cursor from before the
pruned part is refused with the oldest valid cursor.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.orm import Session

from data.errors import BadInput

__all__ = ["KEEP_DAYS", "changes", "prune_changes"]

KEEP_DAYS = 90
_CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")

_FEED = text("""
SELECT c.txid, c.id, c.at, c.entity, c.entity_id, c.entity_uuid, c.action
FROM change_log c LEFT JOIN organization o ON o.id = c.organization_id
WHERE (c.txid, c.id) > (:txid, :id)
  AND (c.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
       OR c.txid = pg_current_xact_id_if_assigned()::text::bigint)
  AND (c.action = 'withdrawn' OR o.verification = 'verified')
ORDER BY c.txid, c.id LIMIT :limit
""")


def _horizon(session: Session) -> tuple[int, int]:
    row = session.execute(text("SELECT txid, change_id FROM change_log_horizon")).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _cursor(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"


def changes(session: Session, since: str | None, limit: int = 100) -> dict[str, Any]:
    """One page of changes after ``since`` (None: from the oldest kept); BadInput (field
    ``since``, ``details.oldest_cursor``) for a malformed cursor or one older than the log."""
    horizon = _horizon(session)
    if since in (None, ""):
        position = horizon
    else:
        m = _CURSOR.fullmatch(str(since))
        if m is None:
            raise BadInput(_("since must be a cursor given by this feed, such as %(cursor)s.",
                             cursor=_cursor(horizon)), field="since",
                           details={"oldest_cursor": _cursor(horizon)})
        position = (int(m[1]), int(m[2]))
        if position < horizon:
            raise BadInput(_("This cursor is older than the change log keeps (%(days)s days); "
                             "start again from %(cursor)s.", days=KEEP_DAYS,
                             cursor=_cursor(horizon)), field="since",
                           details={"oldest_cursor": _cursor(horizon)})
    rows = session.execute(_FEED, {"txid": position[0], "id": position[1],
                                   "limit": limit + 1}).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"cursor": _cursor((r.txid, r.id)), "at": r.at.isoformat(), "entity": r.entity,
              "id": r.entity_id, "uuid": str(r.entity_uuid) if r.entity_uuid else None,
              "action": r.action} for r in rows]
    last = (rows[-1].txid, rows[-1].id) if rows else position
    return {"items": items, "next_cursor": _cursor(last), "has_more": more}


def prune_changes(session: Session, now: dt.datetime | None = None,
                  keep_days: int = KEEP_DAYS) -> int:
    """Delete changes older than ``keep_days``; the horizon moves to the last one deleted."""
    now = now or dt.datetime.now(dt.UTC)
    last = session.execute(text(
        "SELECT txid, id FROM change_log WHERE at < :cut ORDER BY txid DESC, id DESC LIMIT 1"),
        {"cut": now - dt.timedelta(days=keep_days)}).first()
    if last is None:
        return 0
    deleted = session.execute(text(
        "DELETE FROM change_log WHERE (txid, id) <= (:txid, :id)"),
        {"txid": last.txid, "id": last.id}).rowcount
    session.execute(text(
        "INSERT INTO change_log_horizon (id, txid, change_id) VALUES (1, :txid, :id) "
        "ON CONFLICT (id) DO UPDATE SET txid = excluded.txid, change_id = excluded.change_id"),
        {"txid": last.txid, "id": last.id})
    return int(deleted or 0)
