"""Read replicas with a real streaming replica of the test cluster (``pg_basebackup -R`` on
its unix socket): lag-tolerant reads go to it, writes and the writer's next reads to the
primary; a replica that is down or lags beyond the bound is skipped (reads fall back)."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import Factory

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="the replica is made from the project's test cluster")


ROOMY_LAG_S = 30.0  # the standby replays a busy test cluster (other workers write too)
TIGHT_LAG_S = 1.0


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _wait(check, timeout: float = 30.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def replica(server_url):
    """A hot standby of the test cluster, streaming from it over its unix socket."""
    from data.cluster import INSTANCE, TEST, Cluster, _private_dir, _run, bindir

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # one replica per xdist worker
    rep = Cluster(INSTANCE / f"test-replica{worker}", INSTANCE / f"test-rrun{worker}",
                  INSTANCE / f"test-replica{worker}.log", durable=False)
    rep.stop("immediate")
    shutil.rmtree(rep.data_dir, ignore_errors=True)
    _private_dir(rep.data_dir)
    res = _run([str(bindir() / "pg_basebackup"), "-D", str(rep.data_dir), "-R", "-X", "stream",
                "-c", "fast", "-h", str(TEST.socket_dir()), "-U", "postgres"])
    assert res.returncode == 0, res.stderr
    # A hot standby accepts connections once it knows which transactions were running on the
    # primary; while one of them holds more than 64 subtransactions (the other xdist worker's
    # test transaction, one savepoint per begin_nested), it waits for a later record of them,
    # after that transaction ends. CI once saw it consistent at once and ready only 60 s later,
    # just after pg_ctl's default wait gave up.
    rep.start(wait_s=600)
    yield rep
    rep.stop("immediate")
    shutil.rmtree(rep.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def primary_db(scratch_db, replica):
    """A committed database on the primary (a service in it), seen by the replica."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade

    url = scratch_db("tasharuk_replicas")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s)
        Factory(s).service()
        s.commit()
    engine.dispose()
    name = _dbname(url)
    _wait(lambda: replica.psql("SELECT count(*) FROM service", db=name).stdout.strip() == "1",
          what="the replica to replay the database")
    return url, replica.url(name)


@pytest.fixture
def app(primary_db):
    from app import create_app

    primary, standby = primary_db
    application = create_app({
        "TESTING": True, "DATABASE_URL": primary, "DATABASE_REPLICA_URLS": standby,
        "REPLICA_CHECK_S": 0, "REPLICA_MAX_LAG_S": ROOMY_LAG_S, "SECRET_KEY": "replicas",
        "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    yield application
    from data.db import db

    with application.app_context():
        db.engine.dispose()
        db.replicas.dispose()


def _on_replica(app) -> bool:
    """Where this app's lag-tolerant reads go now (True: the replica)."""
    from data.db import db

    with app.test_request_context("/"):
        return bool(db.read_session.execute(text("SELECT pg_is_in_recovery()")).scalar())


def _read_from_replica(app, client, url: str) -> bool:
    """Whether the request for ``url`` made its lag-tolerant reads on the replica (its
    ``db.read_session``, seen as the response is finished)."""
    from flask import g, request_finished

    binds = []

    def note(sender, response, **extra):
        session = g.get("db_read_session")
        binds.append(None if session is None else session.get_bind())

    request_finished.connect(note, app)
    try:
        res = client.get(url)
    finally:
        request_finished.disconnect(note, app)
    assert res.status_code == 200, url
    (bind,) = binds
    assert bind is not None, f"{url} read nothing"
    return bind is not app.extensions["tasharuk_db"]["engine"]


def _read_connections(replica, app) -> int:
    from data.db import REPLICA_APPLICATION

    name = _dbname(app.config["DATABASE_URL"])
    return int(replica.psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' "
                            f"AND application_name = '{REPLICA_APPLICATION}'").stdout)


def test_reads_go_to_the_replica_and_writes_to_the_primary(app, replica):
    from data.db import db

    _wait(lambda: _on_replica(app), what="the replica to be usable")
    with app.test_request_context("/"):
        assert db.read_session.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
        assert db.session.execute(text("SELECT pg_is_in_recovery()")).scalar() is False
    client = app.test_client()
    before = _read_connections(replica, app)
    for url in ("/api/v1/services?q=test", "/directory/?q=test"):
        res = client.get(url)
        assert res.status_code == 200, url
    assert _read_connections(replica, app) >= max(before, 1)  # the pool kept one open


def _signed_in_org_admin(primary_db, client) -> tuple[int, int]:
    """Sign ``client`` in as a new admin of the committed service's organisation (a user and
    a server-side session committed on the primary): the service's and the user's ids."""
    from data.db import make_engine
    from data.models import Service
    from network.sessions import start_session

    engine = make_engine(primary_db[0])
    with Session(engine) as s:
        svc = s.scalars(select(Service).order_by(Service.id)).first()
        assert svc is not None
        user = Factory(s).user("org_admin", svc.organization,
                               email=f"admin-{secrets.token_hex(4)}@example.org")
        secret = start_session(s, user, client_hint="pytest")
        s.commit()
        user_id, service_id = user.id, svc.id
    engine.dispose()
    with client.session_transaction() as cookie:
        cookie.update({"_user_id": str(user_id), "_fresh": True, "_sid": secret})
    return service_id, user_id


def test_whoever_wrote_reads_from_the_primary_then_the_replica_again(app, primary_db):
    from data.db import PRIMARY_UNTIL

    client = app.test_client()
    service_id, _user_id = _signed_in_org_admin(primary_db, client)
    with client:  # a change the admin reads back at once
        res = client.patch(f"/api/v1/services/{service_id}",
                           json={"name_en": f"Renamed {secrets.token_hex(4)}"})
        assert res.status_code == 200, res.get_json()
    with client.session_transaction() as cookie:
        assert cookie[PRIMARY_UNTIL] > time.time()
    assert not _read_from_replica(app, client, "/api/v1/services?q=test")  # the writer's
    with client.session_transaction() as cookie:
        cookie[PRIMARY_UNTIL] = time.time() - 1  # the window has passed
    assert _read_from_replica(app, client, "/api/v1/services?q=test")
    _wait(lambda: _on_replica(app), what="the replica to be used again")


@pytest.mark.parametrize("url", ["/api/v1/services?need=ma_clearance&pcode=SY07",
                                 "/directory/?need=ma_clearance&pcode=SY07"])
def test_a_search_that_finds_nothing_keeps_its_reader_on_the_replica(app, primary_db, url):
    """The unmet-need record of a search that found nothing is written on the primary, but
    nobody reads it back: no "primary until" marker, no session cookie for an anonymous
    visitor, and the same client's next search is still served by the replica."""
    from data.db import make_engine

    _wait(lambda: _on_replica(app), what="the replica to be usable")
    engine = make_engine(primary_db[0])
    unmet = text("SELECT count(*) FROM unmet_search")
    try:
        with engine.connect() as conn:
            before = conn.scalar(unmet)
        client = app.test_client()
        with client:
            res = client.get(url)
            assert res.status_code == 200
        assert "Set-Cookie" not in res.headers and client.get_cookie("session") is None
        with engine.connect() as conn:  # the need is still recorded, on the primary
            assert conn.scalar(unmet) == before + 1
    finally:
        engine.dispose()
    assert _read_from_replica(app, client, "/api/v1/services?q=test")
    assert _read_from_replica(app, client, "/directory/?q=test")


def test_a_signed_in_reader_stays_on_the_replica(app, primary_db):
    """Signing a request in commits the session's last-seen time (bookkeeping nobody reads
    back): it sets no "primary until" marker, so a signed-in user who only reads is served
    by the replica."""
    from data.db import PRIMARY_UNTIL, make_engine

    _wait(lambda: _on_replica(app), what="the replica to be usable")
    client = app.test_client()
    _service_id, user_id = _signed_in_org_admin(primary_db, client)
    with client.session_transaction() as cookie:
        secret = cookie["_sid"]
    engine = make_engine(primary_db[0])
    seen = text("SELECT last_seen_at < now() - interval '1 minute' FROM user_session "
                "WHERE user_id = :u")
    with engine.begin() as conn:  # seen long ago: this request writes the last-seen time
        conn.execute(text("UPDATE user_session SET last_seen_at = now() - "
                          "interval '2 minutes' WHERE user_id = :u"), {"u": user_id})
    try:
        with client:
            assert client.get("/api/v1/me").status_code == 200
        with engine.connect() as conn:  # the last-seen time was written
            assert conn.scalar(seen, {"u": user_id}) is False
    finally:
        engine.dispose()
    with client.session_transaction() as cookie:
        assert PRIMARY_UNTIL not in cookie and cookie["_sid"] == secret
    for url in ("/api/v1/services?q=test", "/directory/?q=test"):
        assert _read_from_replica(app, client, url), url
    with client.session_transaction() as cookie:
        assert PRIMARY_UNTIL not in cookie and cookie["_sid"] == secret


def test_a_lagging_replica_is_skipped_until_it_catches_up(app, replica, primary_db):
    from data.db import make_engine

    name = _dbname(primary_db[0])
    replicas = app.extensions["tasharuk_db"]["replicas"]
    _wait(lambda: _on_replica(app), what="the replica to be usable")
    replicas.max_lag_s = TIGHT_LAG_S
    assert replica.psql("SELECT pg_wal_replay_pause()").returncode == 0
    try:
        engine = make_engine(primary_db[0])
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO unmet_search (age) VALUES (1)"))
        engine.dispose()
        _wait(lambda: replica.psql(
            "SELECT pg_last_wal_receive_lsn() <> pg_last_wal_replay_lsn()",
            db=name).stdout.strip() == "t", what="WAL received but not replayed")
        _wait(lambda: replicas.status()[0]["lag_s"] is not None and not _on_replica(app)
              and replicas.status()[0]["lag_s"] > TIGHT_LAG_S, what="the lag to pass the bound")
        assert not _on_replica(app)
        assert app.test_client().get("/api/v1/services?q=test").status_code == 200
    finally:
        replica.psql("SELECT pg_wal_replay_resume()")
        replicas.max_lag_s = ROOMY_LAG_S
    _wait(lambda: _on_replica(app), what="the replica to be used again")


def test_a_replica_that_is_down_is_skipped_and_used_again_when_back(app, replica):
    from data.db import db

    _wait(lambda: _on_replica(app), what="the replica to be usable")
    replica.stop("immediate")
    try:
        assert not _on_replica(app)
        res = app.test_client().get("/directory/?q=test")
        assert res.status_code == 200
        with app.app_context():
            (status,) = db.replicas.status()
        assert status["usable"] is False and status["error"]
    finally:
        replica.start()
    _wait(lambda: _on_replica(app), what="the replica to be used again")


def test_two_app_servers_share_sessions_through_the_signed_cookie(app, primary_db):
    """No state in the app process: a session made by one server is honoured by another."""
    from app import create_app

    other = create_app({"TESTING": True, "DATABASE_URL": primary_db[0],
                        "SECRET_KEY": app.config["SECRET_KEY"], "RATELIMIT_ENABLED": False})
    a, b = app.test_client(), other.test_client()
    with a.session_transaction() as cookie:
        cookie["probe"] = "made by server A"
    b.set_cookie("session", a.get_cookie("session").value)
    with b.session_transaction() as cookie:
        assert cookie["probe"] == "made by server A"
