"""Engine and session handling.

``DATABASE_URL`` is a plain libpq URL; we choose the driver (psycopg 3) ourselves. The
request (or CLI command) owns the transaction: use cases take a session and ``flush()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Database", "db", "make_engine", "sqlalchemy_url"]


def sqlalchemy_url(url: str) -> str:
    """Turn a libpq URL (``postgresql://...``) into SQLAlchemy's psycopg 3 form."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://",
                   "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"DATABASE_URL must start with postgresql://, got {url.split(':')[0]}://")


def make_engine(url: str, **kw) -> Engine:
    """An engine for a libpq URL, with pool pre-ping so restarts of the server are survived."""
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, **kw)


class Database:
    """Binds one engine and session factory to a Flask app; one session per app context."""

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``app.config['DATABASE_URL']`` and close sessions on teardown."""
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["tasharuk_db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._teardown)

    @staticmethod
    def _teardown(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return current_app.extensions["tasharuk_db"]["engine"]

    @property
    def session(self) -> Session:
        """The session of the current app context (created on first use)."""
        if "db_session" not in g:
            g.db_session = current_app.extensions["tasharuk_db"]["sessionmaker"]()
        return g.db_session

    @staticmethod
    def bind(app: Flask, factory: sessionmaker) -> None:
        """Replace the app's session factory (tests bind it to a rolled-back connection)."""
        app.extensions["tasharuk_db"]["sessionmaker"] = factory


db = Database()
