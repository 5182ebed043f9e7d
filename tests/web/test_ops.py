"""Health, readiness, metrics, request ids and the JSON request log (web.ops), and gzip."""

from __future__ import annotations

import gzip
import json
import logging
import re

import pytest
from sqlalchemy import select, text


def _app(url: str, **config):
    from app import create_app

    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x",
                       "RATELIMIT_ENABLED": False, **config})


def test_healthz_answers_without_the_database_and_readyz_says_it_is_down():
    app = _app("postgresql://nobody@/none?host=/nonexistent")
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    assert resp.get_json()["checks"]["database"].startswith("database unreachable")
    app.extensions["tasharuk_db"]["engine"].dispose()


def test_readyz_is_ok_on_a_migrated_database(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


def test_readyz_refuses_a_database_behind_the_migrations(scratch_db):
    url = scratch_db("tasharuk_behind")
    from data.db import make_engine

    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001_old')"))
    eng.dispose()
    app = _app(url)
    resp = app.test_client().get("/readyz")
    app.extensions["tasharuk_db"]["engine"].dispose()
    assert resp.status_code == 503
    checks = resp.get_json()["checks"]
    assert "not migrated to head" in checks["database"]
    assert checks["queue"] == ("job queue not migrated (run `tasharuk db upgrade`; its table "
                               "is missing)")


def test_an_empty_database_is_not_migrated_and_its_pages_answer_503(scratch_db):
    # it answers, so it is not "unreachable (ProgrammingError)", and a page read before
    # `tasharuk db upgrade` is not a crash of ours (it was a 500)
    app = _app(scratch_db("tasharuk_empty"), PROPAGATE_CRASHES=False)
    client = app.test_client()
    ready = client.get("/readyz")
    api = client.get("/api/v1/areas?level=1")
    page = client.get("/library/")
    app.extensions["tasharuk_db"]["engine"].dispose()
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {
        "database": "database not migrated (run `tasharuk db upgrade`; it has no migrations)",
        "queue": "job queue not migrated (run `tasharuk db upgrade`; its table is missing)"}
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.get_json()["error"]["code"] == "unavailable"
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"


@pytest.mark.parametrize(("remote", "headers", "status"), [
    ("127.0.0.1", {}, 200),
    ("::1", {}, 200),
    ("10.0.5.7", {}, 200),                                     # the configured network
    ("192.0.2.9", {}, 403),                                    # anyone else
    ("192.0.2.9", {"Authorization": "Bearer scrape-me"}, 200),  # ... with the token
    ("192.0.2.9", {"Authorization": "Bearer wrong"}, 403),
    ("127.0.0.1", {"X-Forwarded-For": "192.0.2.9"}, 403),     # an untrusted proxy's client
])
def test_metrics_are_for_the_configured_network_or_token(app, session, remote, headers, status):
    from web.ops import metrics_networks

    old = dict(app.config)
    app.config.update(METRICS_TOKEN="scrape-me",
                      METRICS_NETWORKS=metrics_networks("127.0.0.1,::1,10.0.5.0/24"))
    try:
        resp = app.test_client().get("/metrics", headers=headers,
                                     environ_base={"REMOTE_ADDR": remote})
    finally:
        app.config.update(METRICS_TOKEN=old["METRICS_TOKEN"],
                          METRICS_NETWORKS=old["METRICS_NETWORKS"])
    assert resp.status_code == status


def test_a_bad_metrics_network_is_named_at_start():
    from web.ops import metrics_networks

    with pytest.raises(ValueError, match="TASHARUK_METRICS_NETWORKS: '10.0.0/33'"):
        metrics_networks("127.0.0.1, 10.0.0/33")


def test_metrics_count_requests_by_route_and_status_and_the_pool(client):
    client.get("/api/v1/taxonomy")
    client.get("/no-such-page")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'tasharuk_http_requests_total{method="GET",route="api.taxonomy",status="200"}' in body
    assert 'route="unmatched",status="404"' in body
    assert 'tasharuk_http_request_duration_seconds_bucket{le="0.005",route="api.taxonomy"}' \
        in body
    assert "tasharuk_db_pool_size" in body and "tasharuk_db_pool_checked_out" in body


def test_metrics_carry_the_job_queue(client, session):
    from data.queue import queue_stats

    stats = queue_stats(session)
    body = client.get("/metrics").get_data(as_text=True)
    assert f"tasharuk_job_queue_depth {float(stats['depth'])}" in body
    assert f"tasharuk_job_failures_total {float(stats['errors'])}" in body
    assert f'tasharuk_jobs{{state="failed"}} {float(stats["failed"])}' in body


@pytest.mark.parametrize(("given", "echoed"), [
    ("0123456789abcdef0123456789abcdef", True),   # nginx's $request_id
    ("req-2026.12.06_x", True),
    ("short", False),
    ("bad id with spaces and more", False),
    ("x" * 65, False),
])
def test_the_request_id_is_the_proxys_when_well_formed_else_a_new_one(client, given, echoed):
    rid = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert (rid == given) is echoed
    assert len(rid) >= 8


def test_one_json_log_line_a_request_without_the_query_or_personal_data(client, caplog):
    from data.jsonlog import JsonFormatter

    with caplog.at_level(logging.INFO, logger="tasharuk.request"):
        resp = client.get("/api/v1/services?q=Fatima+Haddad&need=prot_pss")
    lines = [JsonFormatter().format(r) for r in caplog.records
             if r.name == "tasharuk.request"]
    assert len(lines) == 1 and "\n" not in lines[0]
    line = json.loads(lines[0])
    assert line["request_id"] == resp.headers["X-Request-ID"]
    assert (line["route"], line["rule"], line["method"], line["status"]) == \
        ("api.list_services", "/api/v1/services", "GET", resp.status_code)
    assert line["ms"] > 0 and line["bytes"] == len(resp.data)
    assert "Fatima" not in lines[0] and "prot_pss" not in lines[0]


def test_the_request_id_reaches_the_audit_log(client, make):
    from data.models import AuditLog

    user = make.user("caseworker", email="rid@example.org")
    resp = client.post("/auth/login", data={"email": "rid@example.org",
                                            "password": "correct horse battery staple"})
    assert resp.status_code == 302
    entry = make.s.scalars(select(AuditLog).where(AuditLog.action == "login.success",
                                                  AuditLog.user_id == user.id)).one()
    assert entry.request_id == resp.headers["X-Request-ID"]
    assert "request_id" not in entry.summary


def test_no_request_id_outlives_its_request(client):
    from data import requestid

    client.get("/healthz")
    assert requestid.current() is None


BIG = "/api/v1/taxonomy"  # several KB of JSON


@pytest.mark.parametrize(("gzip_on", "accept", "path", "compressed"), [
    (True, "gzip, deflate", BIG, True),
    (True, "", BIG, False),                      # the client does not take gzip
    (True, "gzip", "/healthz", False),           # too small to gain
    (True, "gzip", "/static/css/app.css", False),  # files are sent as they are
    (False, "gzip", BIG, False),                 # the proxy compresses
])
def test_gzip_where_the_proxy_does_not(database_url, gzip_on, accept, path, compressed):
    app = _app(database_url, GZIP=gzip_on)
    with app.test_client().get(path) as plain, \
            app.test_client().get(path, headers={"Accept-Encoding": accept}) as resp:
        plain.direct_passthrough = resp.direct_passthrough = False  # (to read the files)
        plain_data, data = plain.get_data(), resp.get_data()
    app.extensions["tasharuk_db"]["engine"].dispose()
    assert resp.status_code == plain.status_code == 200
    assert (resp.headers.get("Content-Encoding") == "gzip") is compressed
    if compressed:
        assert gzip.decompress(data) == plain_data
        assert len(data) < len(plain_data) / 2
        assert "Accept-Encoding" in resp.headers["Vary"]


def test_metrics_and_readyz_show_a_replica_that_is_down_without_failing(database_url):
    from tests.conftest import free_port

    app = _app(database_url, DATABASE_REPLICA_URLS=f"postgresql://nobody@127.0.0.1:"
                                                   f"{free_port()}/none")
    client = app.test_client()
    client.get("/api/v1/services?need=prot_pss")  # a read: the replica is tried, then skipped
    ready = client.get("/readyz")
    body = client.get("/metrics").get_data(as_text=True)
    app.extensions["tasharuk_db"]["engine"].dispose()
    assert ready.status_code == 200
    assert ready.get_json()["replicas"] == [{"usable": False, "lag_s": None,
                                             "error": "OperationalError"}]
    assert 'tasharuk_db_replica_usable{replica="replica1"} 0.0' in body
    # (the gauges add up every app of this test process, each with its pools)
    for db in ("primary", "replica1"):
        size = re.search(rf'tasharuk_db_pool_size{{db="{db}"}} (\S+)', body)
        assert size and float(size.group(1)) >= 5
