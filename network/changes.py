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

from data import fields
from data.errors import BadInput

__all__ = ["ACTIONS", "ENTITIES", "KEEP_DAYS", "browse", "changes", "prune_changes"]

KEEP_DAYS = 90
_CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")

# What the feed serves, for the API and the page alike: committed before every running
# transaction (or the reader's own), and of a verified organisation unless a withdrawal.
_SERVED = """(c.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
       OR c.txid = pg_current_xact_id_if_assigned()::text::bigint)
  AND (c.action = 'withdrawn' OR o.verification = 'verified')"""

_FEED = text(f"""
SELECT c.txid, c.id, c.at, c.entity, c.entity_id, c.entity_uuid, c.action
FROM change_log c LEFT JOIN organization o ON o.id = c.organization_id
WHERE (c.txid, c.id) > (:txid, :id) AND {_SERVED}
ORDER BY c.txid, c.id LIMIT :limit
""")

ENTITIES = ("organization", "service", "location")
ACTIONS = ("created", "updated", "withdrawn")


def _horizon(session: Session) -> tuple[int, int]:
    row = session.execute(text("SELECT txid, change_id FROM change_log_horizon")).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _cursor(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"


def _position(value: str, field: str, horizon: tuple[int, int]) -> tuple[int, int]:
    """A cursor's (transaction, id); BadInput naming ``field`` (with the oldest cursor)."""
    m = _CURSOR.fullmatch(str(value))
    if m is None:
        raise BadInput(_("%(field)s must be a cursor given by this feed, such as %(cursor)s.",
                         field=field, cursor=_cursor(horizon)), field=field,
                       details={"oldest_cursor": _cursor(horizon)})
    return int(m[1]), int(m[2])


def changes(session: Session, since: str | None, limit: int = 100) -> dict[str, Any]:
    """One page of changes after ``since`` (None: from the oldest kept); BadInput (field
    ``since``, ``details.oldest_cursor``) for a malformed cursor or one older than the log."""
    horizon = _horizon(session)
    if since in (None, ""):
        position = horizon
    else:
        position = _position(str(since), "since", horizon)
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


_BROWSE = f"""
SELECT c.txid, c.id, c.at, c.entity, c.entity_id, c.action, c.organization_id,
       o.name_ar AS org_ar, o.name_en AS org_en, s.id AS service_id,
       s.name_ar AS service_ar, s.name_en AS service_en
FROM change_log c LEFT JOIN organization o ON o.id = c.organization_id
LEFT JOIN service_site ss ON c.entity = 'location' AND ss.id = c.entity_id
LEFT JOIN service s ON c.entity <> 'organization'
     AND s.id = CASE WHEN c.entity = 'service' THEN c.entity_id ELSE ss.service_id END
WHERE {_SERVED}
  AND (CAST(:entity AS text) IS NULL OR c.entity = :entity)
  AND (CAST(:action AS text) IS NULL OR c.action = :action)
"""


def browse(session: Session, *, before: str | None = None, after: str | None = None,
           entity: str | None = None, action: str | None = None, limit: int = 50
           ) -> dict[str, Any]:
    """The feed for people, newest first, with what each change is about: ``limit`` changes
    before ``before`` (older) or after ``after`` (newer), optionally of one ``entity`` and
    ``action``; ``older``/``newer`` are the cursors of the neighbouring pages (None: none)."""
    horizon = _horizon(session)
    if entity and entity not in ENTITIES:
        raise fields.not_one_of("entity", ENTITIES)
    if action and action not in ACTIONS:
        raise fields.not_one_of("action", ACTIONS)
    params = {"entity": entity or None, "action": action or None, "limit": limit + 1}
    if after:
        txid, cid = _position(after, "after", horizon)
        rows = session.execute(text(_BROWSE + "AND (c.txid, c.id) > (:txid, :id) "
                                    "ORDER BY c.txid, c.id LIMIT :limit"),
                               params | {"txid": txid, "id": cid}).all()
        newer_exists, older_exists = len(rows) > limit, True
        rows = list(reversed(rows[:limit]))
    else:
        txid, cid = _position(before, "before", horizon) if before else (2**62, 0)
        rows = session.execute(text(_BROWSE + "AND (c.txid, c.id) < (:txid, :id) "
                                    "ORDER BY c.txid DESC, c.id DESC LIMIT :limit"),
                               params | {"txid": txid, "id": cid}).all()
        newer_exists, older_exists = before is not None, len(rows) > limit
        rows = rows[:limit]
    items = [{"cursor": _cursor((r.txid, r.id)), "at": r.at, "entity": r.entity,
              "id": r.entity_id, "action": r.action, "organization_id": r.organization_id,
              "organization": (r.org_ar, r.org_en) if r.org_ar else None,
              "service_id": r.service_id,
              "service": (r.service_ar, r.service_en) if r.service_ar else None}
             for r in rows]
    return {"items": items, "oldest_cursor": _cursor(horizon),
            "newer": items[0]["cursor"] if items and newer_exists else None,
            "older": items[-1]["cursor"] if items and older_exists else None}


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
