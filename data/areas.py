"""The gazetteer as the pure resolver takes it: every admin area's names, read from the
database (``geo.resolver`` knows nothing of where its areas come from)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AdminArea
from geo.resolver import Area, Resolution, Resolver

__all__ = ["gazetteer", "resolve", "resolver"]


def gazetteer(session: Session) -> list[Area]:
    """Every admin area in the database, as the resolver's ``Area`` records."""
    rows = session.execute(select(AdminArea.pcode, AdminArea.level, AdminArea.parent_pcode,
                                  AdminArea.name_ar, AdminArea.name_en, AdminArea.aliases))
    return [Area(p, lv, par, ar, en, tuple(al or ())) for p, lv, par, ar, en, al in rows]


def resolver(session: Session) -> Resolver:
    """A resolver indexing every admin area in the database (build once for many names)."""
    return Resolver(gazetteer(session))


def resolve(session: Session, name: str, level: int | None = None,
            within: str | None = None) -> Resolution:
    """Resolve one name against the database (use ``resolver`` for many names)."""
    return resolver(session).resolve(name, level, within)
