"""Alembic environment: our metadata, GeoAlchemy2's helpers, a URL or a passed connection."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

import data.models  # noqa: F401 - registers every table
from data.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """GeoAlchemy2's filter, and procrastinate's tables left to its own schema (0018_jobs)."""
    if type_ == "table" and name and name.startswith("procrastinate_"):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _url() -> str:
    """The configured URL; for the plain ``alembic`` command, DATABASE_URL or our own cluster."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    import os

    from data.db import sqlalchemy_url

    libpq = os.environ.get("DATABASE_URL")
    if not libpq:
        from data.cluster import database_url, start

        start()
        libpq = database_url()
    return sqlalchemy_url(libpq)


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
