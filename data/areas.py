"""The gazetteer as the pure resolver takes it: every admin area's names, read from the
database (``geo.resolver`` knows nothing of where its areas come from).

Nothing heavy is imported here: ``tasharuk resolve`` reads the areas over one psycopg
connection, without the app or the ORM, so that it answers at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from data.errors import TasharukError
from geo.resolver import Area, Resolution, Resolver

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["AREAS_SQL", "gazetteer", "resolve", "resolve_at", "resolver"]

AREAS_SQL = "SELECT pcode, level, parent_pcode, name_ar, name_en, aliases FROM admin_area"


def _areas(rows: Iterable[Any]) -> list[Area]:
    return [Area(p, lv, par, ar, en, tuple(al or ())) for p, lv, par, ar, en, al in rows]


def gazetteer(session: Session) -> list[Area]:
    """Every admin area in the database, as the resolver's ``Area`` records."""
    from sqlalchemy import text

    return _areas(session.execute(text(AREAS_SQL)))


def resolver(session: Session) -> Resolver:
    """A resolver indexing every admin area in the database (build once for many names)."""
    return Resolver(gazetteer(session))


def resolve(session: Session, name: str, level: int | None = None,
            within: str | None = None) -> Resolution:
    """Resolve one name against the database (use ``resolver`` for many names)."""
    return resolver(session).resolve(name, level, within)


def resolve_at(url: str, name: str, level: int | None = None,
               within: str | None = None) -> Resolution:
    """Resolve one name against the database at libpq ``url`` (one short connection)."""
    import psycopg

    from data.dbproblems import first_line, libpq_url

    try:
        with psycopg.connect(libpq_url(url), connect_timeout=10) as conn:
            rows = conn.execute(AREAS_SQL).fetchall()
    except psycopg.Error as exc:
        raise TasharukError(f"Cannot read the admin areas from the database: "
                            f"{first_line(exc)}. Check "
                            "DATABASE_URL, or start the project's cluster (make db) and "
                            "migrate it (tasharuk db upgrade).",
                            code="database_unreachable") from None
    return Resolver(_areas(rows)).resolve(name, level, within)
