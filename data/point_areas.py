"""The admin polygons in process, per database, for the search's point-to-area question.

``point_areas(session)`` gives a ``geo.shapes.AreaIndex`` of the committed admin polygons,
read again once a minute per engine (``POINT_AREAS_TTL_S``, the taxonomy cache's rule: a
boundary import is seen by the other app processes within a minute) in a background thread
while the requests go on using the polygons held (``data.refreshing``: one read however many
requests find them old; only the first read is made by a request), or None when the session
cannot use it: a session bound to a connection (the tests' rolled-back transactions, a
script's own transaction) or one that imported boundaries itself asks the database instead,
so an uncommitted change is never answered from polygons read outside it.
``forget_point_areas`` drops a database's polygons at once (the boundary import calls it,
again at its commit): the next request reads them itself, and a background read begun before
is thrown away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from data.refreshing import PerEngine

if TYPE_CHECKING:  # shapely and pyproj are imported at the first load, not at startup
    from sqlalchemy.orm import Session

    from geo.shapes import AreaIndex

__all__ = ["POINT_AREAS_TTL_S", "forget_point_areas", "load_point_areas", "point_areas"]

POINT_AREAS_TTL_S = 60.0
_CHANGED = "tasharuk_admin_areas_changed"  # session.info: this session wrote admin polygons


def load_point_areas(engine: Engine) -> AreaIndex:
    """The committed polygons of levels 0-3, read over a connection of their own."""
    import shapely

    from geo.shapes import AreaIndex

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pcode, level, ST_AsBinary(geom) FROM admin_area "
            "WHERE level <= 3 AND geom IS NOT NULL")).all()
    return AreaIndex([r[0] for r in rows], [r[1] for r in rows],
                     shapely.from_wkb([bytes(r[2]) for r in rows]))


def point_areas(session: Session) -> AreaIndex | None:
    """The polygons held for ``session``'s database, or None: ask the database instead."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or session.info.get(_CHANGED):
        return None
    return _HELD.get(bind, POINT_AREAS_TTL_S)


def forget_point_areas(session: Session) -> None:
    """Drop the polygons held for ``session``'s database now and when it commits; the
    session asks the database itself from now on (its own changes are not committed yet)."""
    engine = session.get_bind().engine
    session.info[_CHANGED] = True
    _HELD.forget(engine)

    def _committed(_session: Any) -> None:
        _HELD.forget(engine)

    event.listen(session, "after_commit", _committed, once=True)


# load_point_areas is looked up at each read (tests count the reads by wrapping it)
_HELD: PerEngine[AreaIndex] = PerEngine("admin polygons", lambda e: load_point_areas(e))
