"""Is this process ready to serve? The database answers, its schema is at our migrations'
head, and the job queue (procrastinate's table in the same database) answers."""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["CHECKS", "check_all", "database_check", "missing_migrations", "queue_check"]

# name -> check(session): None when fine, else a short reason (never personal data).
CHECKS: dict[str, Callable[[Session], str | None]] = {}


@functools.lru_cache(maxsize=1)
def _scripts():
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config())


def missing_migrations(applied: set[str]) -> set[str]:
    """Head revisions of this code's migrations that the database's ``applied`` revisions
    (its alembic_version rows) do not include, counting what each depends on."""
    scripts = _scripts()
    known = {r.revision for r in scripts.walk_revisions()}
    if not applied <= known:
        return set(scripts.get_heads())  # a revision this code does not know: not ours
    done = {r.revision for r in scripts.iterate_revisions(tuple(applied), "base")}
    return set(scripts.get_heads()) - done


def database_check(session: Session) -> str | None:
    """The database answers within a second and is migrated to this code's heads."""
    try:
        session.execute(text("SET LOCAL statement_timeout = 1000"))
        versioned = session.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        have = set(session.scalars(text("SELECT version_num FROM alembic_version"))) \
            if versioned else set()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which kind
        return f"database unreachable ({type(exc).__name__})"
    finally:
        session.rollback()  # (ends SET LOCAL's transaction)
    if not have:  # (it answered: an empty database, or not this project's)
        return "database not migrated (run `tasharuk db upgrade`; it has no migrations)"
    missing = missing_migrations(have)
    if missing:
        return f"database not migrated to head (run `tasharuk db upgrade`; missing " \
               f"{', '.join(sorted(missing))})"
    return None


def queue_check(session: Session) -> str | None:
    """The job queue's table (procrastinate's, in the same database) answers."""
    try:
        if not session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")):
            return "job queue not migrated (run `tasharuk db upgrade`; its table is missing)"
        session.execute(text("SELECT 1 FROM procrastinate_jobs LIMIT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which kind
        return f"job queue unreachable ({type(exc).__name__})"
    finally:
        session.rollback()
    return None


CHECKS["database"] = database_check
CHECKS["queue"] = queue_check


def check_all(session: Session) -> dict[str, str]:
    """Each check's result: "ok" or the reason it failed."""
    return {name: (check(session) or "ok") for name, check in CHECKS.items()}
