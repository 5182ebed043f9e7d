"""A command pointed at a database it cannot use says why and what to do, not a traceback.

Two cases an operator meets and can act on: the database does not answer (the server is down,
``DATABASE_URL`` names a host, socket or database that is not there, or refuses the user), and
the database is not migrated to this code (a table the command reads is missing and the
database's ``alembic_version`` is behind this code's heads, or absent: a new, empty database).
Anything else, including a missing table in a database that is at head, is a fault of ours and
keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from data.errors import TasharukError

__all__ = ["explain", "first_line", "libpq_url"]

# SQLSTATE classes of a connection that failed or was taken away: connection exception,
# invalid authorisation, invalid catalog name (no such database), operator intervention
_UNREACHABLE_CLASSES = ("08", "28", "3D", "57P")


def explain(exc: BaseException, url: Callable[[], str | None]) -> TasharukError | None:
    """Our error for ``exc`` when it is one of the two cases, else None. ``url`` gives the
    database's URL, asked only to tell a missing table from a missing migration."""
    import psycopg

    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy's DBAPIError wraps psycopg's
    if not isinstance(orig, psycopg.Error):
        return None
    if isinstance(orig, psycopg.errors.UndefinedTable):
        return _behind(orig, url())
    if isinstance(orig, psycopg.OperationalError) and (
            orig.sqlstate is None or orig.sqlstate.startswith(_UNREACHABLE_CLASSES)):
        return _unreachable(orig)
    return None


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message (psycopg's go on with hints), or its type's name."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def libpq_url(url: str) -> str:
    """``url`` as libpq reads it (without SQLAlchemy's ``+psycopg`` driver name)."""
    return url.replace("+psycopg2://", "://", 1).replace("+psycopg://", "://", 1)


def _unreachable(exc: BaseException) -> TasharukError:
    return TasharukError(
        f"The database did not answer: {first_line(exc)}. Check DATABASE_URL and that "
        "PostgreSQL is running (the project's own cluster: make db).",
        code="database_unreachable")


def _behind(exc: BaseException, url: str | None) -> TasharukError | None:
    """The not-migrated error when the database's migrations are behind this code's."""
    import psycopg

    from data.readiness import missing_migrations

    if not url:
        return None
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=10, autocommit=True) as conn:
            table = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
            applied = set() if table is None or table[0] is None else {
                r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
    except psycopg.Error as again:
        return _unreachable(again)
    missing = missing_migrations(applied)
    if not missing:
        return None  # at head: the missing table is our fault, not the operator's
    state = "has no migrations at all" if not applied else \
        f"lacks this code's migrations {', '.join(sorted(missing))}"
    return TasharukError(
        f"This database is not migrated to this code ({first_line(exc)}; it {state}). "
        "Check DATABASE_URL, and run `tasharuk db upgrade` (make run does) before this "
        "command.", code="database_not_migrated")
