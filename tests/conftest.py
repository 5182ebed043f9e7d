"""Shared fixtures: a real PostGIS test database, the app, rolled-back sessions, factories.

Each test runs inside a transaction that is rolled back (SQLAlchemy's savepoint recipe), so
requests made through the test client commit only to a savepoint.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
# One database per pytest-xdist worker ("gw0", "gw1" ...), so parallel workers never share one.
TEST_DB = os.environ.get("TASHARUK_TEST_DB", "tasharuk_test") + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")
TEST_DATA_KEY = "dGFzaGFydWstdGVzdHMtb25seS1kYXRhLWtleS0zMmI="  # Fernet; tests only


def shared_path(*parts: str) -> Path:
    """A file of ../shared/data; skip the test when absent, fail instead in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"shared data missing: {path}"
        if os.environ.get("TASHARUK_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason + " (TASHARUK_REQUIRE_SHARED_DATA=1)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def shared() -> callable:
    """``shared("boundaries", "x.geojson")`` -> Path, skipping/failing when missing."""
    return shared_path


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def server_url() -> str:
    """libpq URL of the server's maintenance database: DATABASE_URL's server, else the
    project's throw-away test cluster (fast, not crash-safe; see data/cluster.py)."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        import fcntl

        from data.cluster import INSTANCE, TEST

        INSTANCE.mkdir(parents=True, exist_ok=True)
        with open(INSTANCE / "test-cluster.lock", "w") as lock:  # xdist workers start it once
            fcntl.flock(lock, fcntl.LOCK_EX)
            base = TEST.start()
    return _with_db(base, "postgres")


def create_database(server: str, name: str) -> str:
    """(Re)create an empty database ``name`` with our extensions; return its URL."""
    from data.db import make_engine

    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _with_db(server, name)


BOUNDARY_FILES = tuple(f"boundaries/syr_adm{n}_cod_ab_20201217.geojson" for n in (1, 2, 3))
GAZETTEER_FILES = tuple(f"admin_names/{n}.json"
                        for n in ("governorates", "districts", "subdistricts"))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> str:
    """A fresh test database, migrated to every head, with the reference data loaded and,
    when ../shared/data is there, the real OCHA boundaries (14/62/272) and gazetteer aliases."""
    from data.db import make_engine
    from data.io.boundaries import load_boundaries
    from data.io.gazetteer import load_gazetteer
    from data.io.reference import load_reference
    from data.migrate import upgrade

    url = create_database(server_url, TEST_DB)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s)
        if all((SHARED / f).exists() for f in BOUNDARY_FILES + GAZETTEER_FILES):
            load_boundaries(s, [SHARED / f for f in BOUNDARY_FILES])
            load_gazetteer(s, [SHARED / f for f in GAZETTEER_FILES])
        s.commit()
    engine.dispose()
    return url


@pytest.fixture
def boundaries(session) -> dict[int, int]:
    """Require the real boundaries (loaded once per run): counts of areas per level."""
    for f in BOUNDARY_FILES + GAZETTEER_FILES:
        shared_path(*f.split("/"))
    rows = session.execute(text("SELECT level, count(*) FROM admin_area "
                                "WHERE geom IS NOT NULL GROUP BY level")).all()
    return dict(rows)


@pytest.fixture(scope="session")
def engine(database_url: str):
    from data.db import make_engine

    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory):
    """The app on the test database; CSRF off for form tests (a CSRF test turns it on)."""
    from app import create_app

    application = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "EXPORT_CACHE": str(tmp_path_factory.mktemp("exports")),
        # a data key as in production (notes need one); tests of the keyless case clear it
        "TASHARUK_DATA_KEYS": TEST_DATA_KEY,
        "EXPORT_BACKGROUND": "",  # built in the request; the job's own test turns it on
        "SERVER_NAME": None,
    })
    return application


@pytest.fixture
def connection(engine):
    """One connection in an outer transaction, rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        if trans.is_active:
            trans.rollback()


@pytest.fixture
def session(app, connection) -> Iterator[Session]:
    """A session for the test; the app's requests get sessions on the same connection."""
    from data.db import Database

    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    Database.bind(app, factory)
    s = factory()
    yield s
    s.close()


@pytest.fixture
def client(app, session):
    """A test client whose requests see (and roll back with) the test's data."""
    return app.test_client()


@pytest.fixture
def runner(app, session):
    """A CLI runner on the test database."""
    return app.test_cli_runner()


class QueryCount:
    """The SQL statements run inside a ``count_queries()`` block (``.count``, ``.statements``)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(connection):
    """``with count_queries() as q: client.get(url)``: the statements the block ran on the
    test's connection (the app's requests share it), to catch N+1 queries on pages whose
    query count matters. Statements of ``data.db.fetch_all`` (the search's raw-cursor
    runner) bypass SQLAlchemy and are not counted."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        found = QueryCount()

        def before(conn, cursor, statement, parameters, context, executemany):
            found.statements.append(statement)

        event.listen(connection, "before_cursor_execute", before)
        try:
            yield found
        finally:
            event.remove(connection, "before_cursor_execute", before)

    return counting


# ---------------------------------------------------------------- factories

class Factory:
    """Builds rows with sensible defaults; every keyword overrides a column."""

    def __init__(self, session: Session):
        self.s = session
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def org(self, **kw):
        from data.models import Organization

        n = self._next()
        kw.setdefault("name_en", f"Test Organisation {n}")
        kw.setdefault("name_ar", f"منظمة اختبار {n}")
        kw.setdefault("acronym", f"TO{n}")
        kw.setdefault("verification", "verified")
        kw.setdefault("search_text", f"{kw['name_en']} {kw['name_ar']} {kw['acronym']}".lower())
        org = Organization(**kw)
        self.s.add(org)
        self.s.flush()
        return org

    def service(self, **kw):
        from geoalchemy2.shape import from_shape
        from shapely.geometry import Point

        from data.models import AdminArea, OpeningPeriod, Service, ServiceSite, TargetGroup

        n = self._next()
        if "organization" not in kw and "organization_id" not in kw:
            kw["organization"] = self.org()
        groups = kw.pop("target_groups", ["women"])
        coverage = kw.pop("coverage", ["SY07"])
        sites = kw.pop("sites", [])  # [(lon, lat)] or [(lon, lat, admin3_pcode)]
        hours = kw.pop("hours", [])  # [(weekday, "08:00", "12:00")]
        kw.setdefault("service_type_code", "prot_pss")
        kw.setdefault("name_en", f"Test service {n}")
        kw.setdefault("name_ar", f"خدمة اختبار {n}")
        kw.setdefault("last_verified", dt.date.today())
        kw.setdefault("capacity_per_month", 50)
        kw.setdefault("search_text", f"{kw['name_en']} {kw['name_ar']}".lower())
        svc = Service(**kw)
        self.s.add(svc)
        with self.s.no_autoflush:
            svc.target_groups = [self.s.get(TargetGroup, g) for g in groups]
            svc.coverage = [self.s.get(AdminArea, p) for p in coverage]
        for site in sites:
            lon, lat = site[0], site[1]
            svc.sites.append(ServiceSite(geom=from_shape(Point(lon, lat), srid=4326),
                                         admin3_pcode=site[2] if len(site) > 2 else None))
        for weekday, opens, closes in hours:
            svc.hours.append(OpeningPeriod(weekday=weekday,
                                           opens=dt.time.fromisoformat(opens),
                                           closes=dt.time.fromisoformat(closes)))
        self.s.add(svc)
        self.s.flush()
        return svc

    def user(self, role: str = "caseworker", org=None, **kw):
        from data.models import User
        from network.accounts import hash_password

        n = self._next()
        if org is None and role != "platform_admin":
            org = self.org()
        kw.setdefault("email", f"user{n}-{role}@example.org")
        kw.setdefault("name", f"User {n}")
        password = kw.pop("password", "correct horse battery staple")
        user = User(role=role, organization_id=org.id if org else None,
                    password_hash=hash_password(password), **kw)
        self.s.add(user)
        self.s.flush()
        return user


@pytest.fixture
def make(session) -> Factory:
    """``make.org(...)``, ``make.service(...)``, ``make.user(role, org)``."""
    return Factory(session)


@pytest.fixture
def login(client, session):
    """``login(user)``: make the test client signed in as ``user``: a server-side session
    row (network.sessions) and the cookie that carries its secret, as at sign-in."""
    from network.sessions import start_session

    def _login(user, c=None):
        c = c or client
        secret = start_session(session, user, client_hint="pytest")
        with c.session_transaction() as sess:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
            sess["_sid"] = secret
        return c

    return _login


# ---------------------------------------------------------------- real servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPSink:
    """Messages received by the local SMTP server."""

    def __init__(self):
        self.messages: list = []
        self.drain = lambda: None  # runs the mail jobs queued in the test's transaction

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list:
        self.drain()
        end = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp_server(app, session):
    """A real local SMTP server (aiosmtpd); the mail jobs queued in the test's transaction
    are run (tests.kits.jobs) and send there when the test waits for mail."""
    from aiosmtpd.controller import Controller

    from tests.kits.jobs import run_queued

    sink = SMTPSink()
    sink.drain = lambda: run_queued(app, session, "mail.send")
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    old = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield sink
    app.config.update(old)
    controller.stop()


@contextmanager
def serving(app, *, threaded: bool = False) -> Iterator[str]:
    """Serve ``app`` over real HTTP on 127.0.0.1 from a thread; yield its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def live_server(app, session):
    """The app served over real HTTP on 127.0.0.1 (a thread), for end-to-end page checks."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def scratch_db(server_url):
    """Factory for extra empty databases (migration and loader tests that must commit),
    named after the run's test database so that two runs on one server (each with its own
    ``TASHARUK_TEST_DB``) never drop each other's."""
    made: list[str] = []

    def _make(name: str) -> str:
        name = f"{TEST_DB}__{name.removeprefix('tasharuk_')}"
        made.append(name)
        return create_database(server_url, name)

    yield _make
    from data.db import make_engine

    eng = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Cheap argon2 parameters in tests (still argon2id): the default costs ~0.5 s a hash."""
    from argon2 import PasswordHasher

    import network.accounts as accounts

    old = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = old
