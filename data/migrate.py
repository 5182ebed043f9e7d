"""Alembic, driven from our CLI and tests (no alembic.ini: the config is built here)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, make_url
from sqlalchemy.exc import OperationalError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

__all__ = ["alembic_config", "downgrade", "upgrade"]


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations, on ``url`` or an open ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if url:
        from data.db import sqlalchemy_url

        cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (the one head by default)."""
    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:  # no server, no such database, wrong password ...
        from data.db import sqlalchemy_url
        from data.errors import TasharukError

        where = make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise TasharukError(f"Cannot open the database {where}: {reason}. Check DATABASE_URL "
                            "(create the database first, e.g. with createdb), or unset it to "
                            "use the project's own cluster.", code="database_unreachable"
                            ) from None


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision``."""
    command.downgrade(alembic_config(url), revision)
