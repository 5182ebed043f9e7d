"""Engine and session handling.

``DATABASE_URL`` is a plain libpq URL; we choose the driver (psycopg 3) ourselves. The
request (or CLI command) owns the transaction: use cases take a session and ``flush()``.
"""

from __future__ import annotations

import functools
import re
import time
from typing import TYPE_CHECKING, Any

import psycopg
from flask import current_app, g
from psycopg import pq
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["PING_IDLE_S", "PLAN_CACHE_MODE", "PRIMARY_UNTIL", "RECYCLE_S", "REPLICA_APPLICATION",
           "Database",
           "autocommit_reads", "db", "fetch_all", "make_engine", "read_only_engine",
           "sqlalchemy_url"]

PLAN_CACHE_MODE = "auto"  # PostgreSQL's own; see make_engine and fetch_all(prepare=False)
# Launching parallel workers costs ~15 ms here: PostgreSQL's default (1000, ~1 ms of work)
# let millisecond searches go parallel and wait for them. Big reports still do.
PARALLEL_SETUP_COST = 20_000
PING_IDLE_S = 30.0  # ping a pooled connection before reuse only when idle this long
RECYCLE_S = 1800  # replace pooled connections after half an hour whatever happens


def sqlalchemy_url(url: str) -> str:
    """Turn a libpq URL (``postgresql://...``) into SQLAlchemy's psycopg 3 form."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://",
                   "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"DATABASE_URL must start with postgresql://, got {url.split(':')[0]}://")


def make_engine(url: str, *, workers: bool = True, **kw) -> Engine:
    """An engine for a libpq URL that survives server restarts without a ping per request.

    SQLAlchemy's ``pool_pre_ping`` costs one round trip on every checkout (a third of a
    search's). Instead a connection is pinged only when it sat idle in the pool for
    ``PING_IDLE_S`` (where firewalls and server restarts bite); a failed ping discards it and
    the pool hands out a fresh one. A connection that breaks while hot fails that one request,
    and SQLAlchemy then invalidates the whole pool (every older connection is replaced), so a
    restart costs at most one failed request per process. ``pool_recycle`` caps a
    connection's age. Pass ``pool_pre_ping=True`` to get the ping on every checkout back.

    The plan cache is PostgreSQL's own (``plan_cache_mode = auto``): psycopg prepares a
    statement run five times, and PostgreSQL then keeps one generic plan whenever its
    estimate is no worse. That saves a simple statement its planning (the search's page
    details: ~0.45 ms of ~1.2), but for the search's candidate statements whose p-code
    prefixes or several service types need plans made for their values, the generic plan lost
    the index (a 4 ms search became 31-45 ms): those are sent unprepared
    (``fetch_all(prepare=False)``, see ``referral.search.generic_plan_safe``) and planned for
    their parameters every time. ``parallel_setup_cost`` is raised to what starting workers
    costs here (``PARALLEL_SETUP_COST``).

    ``workers=False`` (the web app's engine): no parallel workers at all. A request's
    statements take milliseconds and requests run side by side; a search whose estimate
    crossed even the raised setup cost waited 15-100 ms for two workers to start. Nor JIT
    compilation: a search whose estimate crossed ``jit_above_cost`` (a KNN walk with a
    selective filter is costed at ~500,000) spent 0.1-5 s of CPU compiling a plan that ran in
    a few milliseconds (docs/performance.md, "CPU per served search").
    """
    kw.setdefault("pool_recycle", RECYCLE_S)
    engine = create_engine(sqlalchemy_url(url), **kw)
    event.listen(engine, "connect", functools.partial(_session_settings, workers=workers))
    if not kw.get("pool_pre_ping"):
        event.listen(engine, "checkin", _mark_idle)
        event.listen(engine, "checkout",
                     lambda conn, record, proxy: _ping_if_idle(engine, conn, record))
    return engine


def read_only_engine(url: str, **kw) -> Engine:
    """An engine whose every transaction is read-only (``default_transaction_read_only``): for
    analyses of the product's own data that must write nothing (the planners' notebooks)."""
    args = dict(kw.pop("connect_args", {}))
    args["options"] = (args.get("options", "") + " -c default_transaction_read_only=on").strip()
    return make_engine(url, connect_args=args, **kw)


def _session_settings(dbapi_conn, record, *, workers: bool = True) -> None:
    """Settings of every new connection (one round trip per connection, not per request)."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True  # leave no transaction open behind SQLAlchemy's back
    with dbapi_conn.cursor() as cur:
        # (batch engines keep the server's own max_parallel_workers_per_gather and JIT)
        no_workers = "" if workers else \
            ", set_config('max_parallel_workers_per_gather', '0', false)" \
            ", set_config('jit', 'off', false)"
        cur.execute("SELECT set_config('plan_cache_mode', %s, false), "
                    "set_config('parallel_setup_cost', %s, false)" + no_workers,
                    (PLAN_CACHE_MODE, str(PARALLEL_SETUP_COST)))
    dbapi_conn.autocommit = autocommit


def _mark_idle(dbapi_conn, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_conn, record) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_IDLE_S:
        return
    try:
        engine.dialect.do_ping(dbapi_conn)  # what pool_pre_ping does (one empty query)
    except Exception as err:  # noqa: BLE001 - any failure means the connection is unusable
        raise exc.DisconnectionError(f"stale pooled connection: {err}") from err


_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``:name`` placeholders as PostgreSQL's own ``$n`` (``::type`` casts left alone), and the
    names in their order: a name used twice is one parameter. A literal ``%`` (pg_trgm's
    ``<%``, ``LIKE 'a%'``) is just text to PostgreSQL's placeholders."""
    names: list[str] = []

    def number(m: re.Match) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


def fetch_all(session: Session, sql: str, params: dict[str, Any], *,
              prepare: bool | None = None, generic: bool = False,
              ) -> tuple[list[str], list[tuple]]:
    """Run a text statement (``:name`` placeholders) on the session's own connection and
    return its column names and rows as plain tuples. ``prepare=False``: never a prepared
    statement, so PostgreSQL plans every execution for its parameters (see ``make_engine``).

    For the provider search's hot path: SQLAlchemy's per-statement machinery (compiling the
    text clause, building the result and its Row objects) cost ~0.2 ms a statement there,
    and attribute access on each Row more. The statement runs in the session's transaction,
    like any other (psycopg prepares a text run five times, unless ``prepare=False``). The
    placeholders are numbered once per statement text and sent through psycopg's raw cursor,
    and the column names are read off the result: psycopg's own conversion re-parsed every
    statement longer than 4 KB (the search's candidates) on each run, and its ``description``
    built a Column object, with its type lookups, a column (~8 % of a search's Python time).
    ``generic=True``: prepared at its first run and planned once for all values (a generic
    plan at once, ``_fetch_generic``), for statements whose generic plan is known good.
    """
    conn = session.connection().connection.driver_connection
    query, names = _numbered(sql)
    if generic:
        return _fetch_generic(conn, query, [params[n] for n in names])
    with psycopg.RawCursor(conn) as cur:
        cur.execute(query, [params[n] for n in names], prepare=prepare)
        res = cur.pgresult
        if res is None or (not res.nfields and res.status != pq.ExecStatus.TUPLES_OK):
            return [], []
        return [res.fname(i).decode() for i in range(res.nfields)], cur.fetchall()


_GENERIC = b"SELECT set_config('plan_cache_mode', $1, false)"
# the same for the statements up to the pipeline's Sync only (its implicit transaction)
_GENERIC_LOCAL = b"SELECT set_config('plan_cache_mode', $1, true)"


def _fetch_generic(conn, query: bytes, values: list[Any]) -> tuple[list[str], list[tuple]]:
    """``query`` prepared at its first run with a generic plan at once, in one round trip:
    ``plan_cache_mode`` is forced for it (a pipeline). Otherwise each connection plans a
    statement for its values at psycopg's first five runs and PostgreSQL's first five of the
    prepared statement.

    Outside a transaction in autocommit mode (the search's path, ``autocommit_reads``) the
    pipeline's statements form one implicit transaction up to its Sync, so the setting is
    forced for that transaction only (``set_config(..., true)``): it ends with it, committed
    or failed, and nothing has to put it back (two statements: the third cost ~55 us of
    database and ~150 us of app CPU a search, docs/performance.md, searchdb2). Inside a
    transaction a local setting would outlive the statement, so it is set and put back (a
    pipeline of three), and put back even when the statement fails."""
    if conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        with psycopg.RawCursor(conn) as cur, psycopg.RawCursor(conn) as setting:
            with conn.pipeline():
                setting.execute(_GENERIC_LOCAL, ["force_generic_plan"], prepare=True)
                cur.execute(query, values, prepare=True)
            res = cur.pgresult
            return [res.fname(i).decode() for i in range(res.nfields)], cur.fetchall()
    try:
        with psycopg.RawCursor(conn) as cur, psycopg.RawCursor(conn) as setting:
            with conn.pipeline():
                setting.execute(_GENERIC, ["force_generic_plan"], prepare=True)
                cur.execute(query, values, prepare=True)
                setting.execute(_GENERIC, [PLAN_CACHE_MODE], prepare=True)
            res = cur.pgresult
            return [res.fname(i).decode() for i in range(res.nfields)], cur.fetchall()
    except Exception:
        # the pipeline stopped at the error; a failed transaction's rollback undoes the
        # setting, outside one (autocommit) it is put back here
        if conn.info.transaction_status == pq.TransactionStatus.IDLE:
            with psycopg.RawCursor(conn) as setting:
                setting.execute(_GENERIC, [PLAN_CACHE_MODE])
        raise


def autocommit_reads(session: Session) -> bool:
    """Run the rest of this session's statements in autocommit mode, for read-mostly request
    paths (provider search) whose only write, if any, is one self-contained INSERT.

    Saves the BEGIN and the ROLLBACK at teardown (two of a search's four round trips): psycopg
    sends neither in autocommit mode, and the pool restores the normal isolation on checkin
    without a round trip. Does nothing (returns False) when the session already holds a
    connection or is bound to a connection rather than an engine (tests' rolled-back
    transaction), so it never changes a transaction already under way.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or session.in_transaction():
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


class Database:
    """Binds one engine and session factory to a Flask app; one session per app context.

    With ``DATABASE_REPLICA_URLS``, ``read_session`` serves reads that tolerate a little lag
    from a streaming replica (``data.replicas``); ``session`` is always the primary's.
    """

    def init_app(self, app: Flask) -> None:
        """Create the engine from ``app.config['DATABASE_URL']`` (and the replicas' engines)
        and close sessions on teardown."""
        from data.replicas import ReplicaSet, parse_urls

        engine = make_engine(app.config["DATABASE_URL"], workers=False)
        urls = parse_urls(app.config.get("DATABASE_REPLICA_URLS", ""))
        replicas = ReplicaSet(
            [make_engine(u, workers=False, pool_size=5,
                         connect_args={"connect_timeout": 2,
                                       "application_name": REPLICA_APPLICATION})
             for u in urls],
            max_lag_s=float(app.config.get("REPLICA_MAX_LAG_S", 10)),
            check_s=float(app.config.get("REPLICA_CHECK_S", 2))) if urls else None
        app.extensions["tasharuk_db"] = {
            "engine": engine,
            "sessionmaker": _noting_writes(sessionmaker(bind=engine, expire_on_commit=False)),
            "replicas": replicas,
            "read_sessionmaker": sessionmaker(expire_on_commit=False),
        }
        app.teardown_appcontext(self._teardown)
        if replicas is not None:
            app.after_request(self._remember_writes)

    @staticmethod
    def _teardown(exc: BaseException | None) -> None:
        read = g.pop("db_read_session", None)
        session = g.pop("db_session", None)
        if read is not None and read is not session:
            read.close()
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
        """The session of the current app context on the primary (created on first use)."""
        if "db_session" not in g:
            g.db_session = current_app.extensions["tasharuk_db"]["sessionmaker"]()
        return g.db_session

    @property
    def read_session(self) -> Session:
        """A session for reads that tolerate a little lag (search, directory pages, gap maps,
        partner suggestions, exports): a usable replica's, else the primary's ``session``.
        Whoever wrote in the last ``READ_YOUR_WRITES_S`` seconds reads from the primary."""
        if "db_read_session" in g:
            return g.db_read_session
        ext = current_app.extensions["tasharuk_db"]
        replica = None
        if ext["replicas"] is not None and not _wrote_lately():
            replica = ext["replicas"].pick()
        g.db_read_session = self.session if replica is None \
            else ext["read_sessionmaker"](bind=replica)
        return g.db_read_session

    def commit_unread(self) -> None:
        """Commit the primary session's write that nobody reads back (a search's anonymous
        unmet-need record): it does not send the browser's reads to the primary, so it sets
        no "primary until" cookie (an anonymous visitor gets no session cookie for it)."""
        wrote = g.get("db_wrote", False)
        self.session.commit()
        g.db_wrote = wrote

    @property
    def replicas(self):
        """The app's ``data.replicas.ReplicaSet``, or None without replicas."""
        return current_app.extensions["tasharuk_db"]["replicas"]

    @staticmethod
    def _remember_writes(response):
        """After a request that committed, the same browser reads from the primary for
        ``READ_YOUR_WRITES_S`` seconds (a signed cookie: any app server honours it)."""
        if g.get("db_wrote"):
            from flask import session as cookie

            cookie[PRIMARY_UNTIL] = time.time() + float(
                current_app.config.get("READ_YOUR_WRITES_S", 10))
        return response

    @staticmethod
    def bind(app: Flask, factory: sessionmaker) -> None:
        """Replace the app's session factory (tests bind it to a rolled-back connection)."""
        app.extensions["tasharuk_db"]["sessionmaker"] = _noting_writes(factory)


REPLICA_APPLICATION = "tasharuk-read"  # application_name of the replicas' connections
PRIMARY_UNTIL = "_primary_until"  # session-cookie key: read from the primary until then


def _noting_writes(factory: sessionmaker) -> sessionmaker:
    """``factory`` with ``_note_write`` on every session it makes: listened once here, not
    on each request's session (``event.listen`` cost ~0.1 ms a request)."""
    if not event.contains(factory, "after_commit", _note_write):
        event.listen(factory, "after_commit", _note_write)
    return factory


def _note_write(session: Session) -> None:
    """after_commit of the primary's session: this request wrote."""
    try:
        g.db_wrote = True
    except RuntimeError:  # committed outside an app context
        pass


def _wrote_lately() -> bool:
    """Whether this browser committed a change within ``READ_YOUR_WRITES_S``."""
    from flask import has_request_context
    from flask import session as cookie

    return has_request_context() and float(cookie.get(PRIMARY_UNTIL, 0)) > time.time()


db = Database()
