"""The project's own cluster: durable writes, and no way in for other local OS users.

``durable`` is a cluster built exactly like the project's (``data.cluster.PROJECT``: same code,
``durable=True``) in its own folder, so that a crash test can stop it without touching the
developer's database or the suite's test cluster.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request

import orjson
import pytest
from sqlalchemy import select, text

from data.cluster import FAST_SETTINGS, INSTANCE, PROJECT, TEST, Cluster, server_user
from tests.conftest import free_port
from tests.kits.referrals import fresh_database

AS_ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def durable() -> Cluster:
    """A cluster with the project's settings in instance/crashtest[-worker], removed after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = INSTANCE / (f"crashtest-{worker}" if worker else "crashtest")
    cluster = Cluster(base / "pg", base / "run", base / "postgres.log", durable=True)
    cluster.start()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(cluster.socket_dir(), ignore_errors=True)


def _show(cluster: Cluster, setting: str) -> str:
    res = cluster.psql(f"SHOW {setting}")
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_the_project_cluster_is_durable_and_only_the_test_cluster_is_fast():
    assert PROJECT.durable and not TEST.durable
    assert not any("fsync" in k or "synchronous" in k or "full_page" in k
                   for k, _ in PROJECT.settings())
    assert {f"{k}={v}" for k, v in TEST.settings()} >= set(FAST_SETTINGS)
    assert PROJECT.data_dir != TEST.data_dir and PROJECT.socket_dir() != TEST.socket_dir()


@pytest.mark.parametrize("setting", ["fsync", "synchronous_commit", "full_page_writes"])
def test_a_started_durable_cluster_keeps_postgresqls_defaults(durable, setting):
    assert _show(durable, setting) == "on"


def test_a_server_left_running_with_fast_settings_is_restarted_durable(durable):
    """An older checkout started the cluster with fsync=off: the next start fixes it."""
    durable.stop()
    fast = Cluster(durable.data_dir, durable.run_dir, durable.log, durable=False)
    fast.start()
    assert _show(durable, "fsync") == "off"
    durable.start()
    assert _show(durable, "fsync") == "on" and _show(durable, "synchronous_commit") == "on"


# ---------------------------------------------------------------- other local users

def _as_nobody(cluster: Cluster) -> subprocess.CompletedProcess:
    psql = shutil.which("psql") or "psql"
    return subprocess.run(["runuser", "-u", "nobody", "--", psql, "-h", str(cluster.socket_dir()),
                           "-U", "postgres", "-d", "postgres", "-tAc", "SELECT 1"],
                          capture_output=True, text=True, check=False, timeout=30)


needs_root = pytest.mark.skipif(not AS_ROOT, reason="runuser needs root (CI runs as root)")


@needs_root
@pytest.mark.parametrize("which", ["durable", "test"])
def test_another_local_user_cannot_connect(durable, server_url, which):
    cluster = durable if which == "durable" else TEST
    if which == "test" and os.environ.get("DATABASE_URL"):
        pytest.skip("the suite runs on DATABASE_URL's server, not the test cluster")
    res = _as_nobody(cluster)
    assert res.returncode != 0 and res.stdout.strip() != "1"
    assert "Permission denied" in res.stderr, res.stderr


@needs_root
def test_peer_authentication_refuses_another_user_even_past_the_folder(durable):
    """Defence in depth: with the folder and socket opened up, authentication still refuses."""
    sock_dir = durable.socket_dir()
    sock = next(sock_dir.glob(".s.PGSQL.*[0-9]"))
    try:
        os.chmod(sock_dir, 0o755)
        os.chmod(sock, 0o777)
        res = _as_nobody(durable)
    finally:
        os.chmod(sock, 0o700)
        os.chmod(sock_dir, 0o700)
    assert res.returncode != 0 and res.stdout.strip() != "1"
    assert "Peer authentication failed" in res.stderr, res.stderr


def test_only_peer_authentication_is_configured(durable):
    res = durable.psql("SELECT type, auth_method, coalesce(options::text, '') "
                       "FROM pg_hba_file_rules")
    assert res.returncode == 0, res.stderr
    rules = [line.split("|") for line in res.stdout.split()]
    assert rules and all(r[:2] == ["local", "peer"] and "map=tasharuk" in r[2] for r in rules)
    ident = (durable.data_dir / "pg_ident.conf").read_text().split("\n")
    mapped = {line.split()[1] for line in ident if line.startswith("tasharuk ")}
    assert mapped == ({"root", "postgres"} if AS_ROOT else {server_user()})


def test_a_trusting_cluster_of_an_older_checkout_is_locked_on_the_next_start(durable):
    (durable.data_dir / "pg_hba.conf").write_text("local all all trust\n")
    assert durable.psql("SELECT pg_reload_conf()").returncode == 0
    assert "trust" in durable.psql("SELECT auth_method FROM pg_hba_file_rules").stdout
    durable.start()
    methods = durable.psql("SELECT auth_method FROM pg_hba_file_rules").stdout.split()
    assert methods == ["peer", "peer"]  # databases, and replication (streaming replicas)


@pytest.mark.parametrize("part", ["data", "socket", "log"])
def test_the_clusters_files_are_the_server_users_alone(durable, part):
    path = {"data": durable.data_dir, "socket": durable.socket_dir(), "log": durable.log}[part]
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == (0o600 if part == "log" else 0o700)
    import pwd

    assert pwd.getpwuid(info.st_uid).pw_name == server_user()


# ---------------------------------------------------------------- crash and restart

def _prepare(url: str) -> tuple[int, str]:
    """Migrate, load reference data, and make a sender token and a receiving service."""
    from network.tokens import create_token

    with fresh_database(url) as (s, make, service):
        _, secret = create_token(s, make.org(), "caseworker")
        s.commit()
        return service.id, secret


def _serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def test_an_immediate_stop_loses_no_acknowledged_referral(durable):
    """Stream referral creations through the API on loopback, stop the server with
    ``pg_ctl stop -m immediate`` mid-stream, restart: every 201 is in the database."""
    from app import create_app
    from data.db import make_engine
    from referral.crypto import generate_key

    durable.ensure_database("crash")
    url = durable.url("crash")
    service_id, secret = _prepare(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "crash-test",
                      "RATELIMIT_ENABLED": False, "TASHARUK_DATA_KEYS": generate_key()})
    server, thread = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}/api/v1/referrals"
    body = orjson.dumps({
        "service_id": service_id, "note": "crash test",
        "consent": {"given_by": "the person", "method": "verbal", "scope": ["needs", "note"]},
        "case": {"age": 30, "sex": "female", "pcode": "SY07", "needs": ["prot_pss"]}})
    acked: list[int] = []
    failed_after_stop: list[str] = []
    stopped = threading.Event()
    done = threading.Event()

    def client():
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline:
            req = urllib.request.Request(base, data=body, method="POST", headers={
                "Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    if resp.status == 201:
                        acked.append(orjson.loads(resp.read())["id"])
            except (urllib.error.URLError, OSError) as exc:
                if stopped.is_set():
                    failed_after_stop.append(str(exc))
                    if len(failed_after_stop) > 20:
                        return

    clients = [threading.Thread(target=client) for _ in range(4)]
    for c in clients:
        c.start()
    try:
        end = time.monotonic() + 90
        while len(acked) < 150 and time.monotonic() < end:
            time.sleep(0.05)
        stopped.set()
        durable.stop("immediate")
        time.sleep(1.0)
    finally:
        done.set()
        for c in clients:
            c.join(30)
        server.shutdown()
        thread.join(5)
    assert len(acked) >= 150, "the stream was too slow to test anything"
    assert failed_after_stop, "no request failed: the stop did not happen mid-stream"

    durable.start()
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = set(conn.scalars(text("SELECT id FROM referral WHERE id = ANY(:ids)"),
                                  {"ids": acked}))
        events = set(conn.scalars(select(text("referral_id")).select_from(
            text("referral_event")).where(text("referral_id = ANY(:ids)")), {"ids": acked}))
    engine.dispose()
    lost = sorted(set(acked) - stored)
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged referrals lost: {lost[:10]}"
    assert events == stored
