"""Export downloads in the web app and the API, checked against the OpenAPI document."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import pytest

from data.io.fourw import import_4w
from tests.conftest import shared_path
from tests.kits.exports import verify_all


def test_api_exports(client, session, make, login, boundaries):
    import_4w(session, shared_path("4w", "fsl_tracker_20230519.csv"), accept_partial=True)
    verify_all(session)
    make.service(coverage=["SY070301"], sites=[(36.77, 36.21, "SY070301")])
    session.flush()
    login(make.user("viewer"))
    doc = client.get("/api/v1/openapi.json").get_json()
    with client.get("/api/v1/exports/geojson") as resp:
        assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
        schema = doc["paths"]["/exports/geojson"]["get"]["responses"]["200"]["content"][
            "application/geo+json"]["schema"]
        jsonschema.validate(json.loads(resp.data), schema)
    with client.get("/api/v1/exports/4w.csv") as resp:
        lines = resp.get_data(as_text=True).splitlines()
        assert lines[1].startswith("#org+impl,#sector")
        assert len(lines) == 2 + 3075
    with client.get("/api/v1/exports/4w.csv?hxl=0") as resp:
        assert not resp.get_data(as_text=True).splitlines()[1].startswith("#")
    with client.get("/api/v1/exports/hsds") as resp:
        names = zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
        assert "datapackage.json" in names and any(n.startswith("services/") for n in names)
    with client.get("/api/v1/exports/4w.xlsx") as resp:
        assert resp.data[:2] == b"PK"


@pytest.mark.parametrize("path", ["/api/v1/exports/hsds", "/api/v1/exports/geojson"])
def test_api_exports_need_a_signed_in_user(client, path):
    with client.get(path) as resp:
        assert resp.status_code == 401
        assert resp.get_json()["error"]["code"] == "login_required"


def test_exchange_page_lists_downloads_in_arabic(client, make, login):
    login(make.user("viewer"))
    html = client.get("/exchange/").get_data(as_text=True)
    assert "التنزيلات" in html and "/exchange/download/hsds" in html
    assert "/exchange/import" not in html  # viewers do not import
    with client.get("/exchange/download/geojson") as resp:
        assert resp.status_code == 200
        assert json.loads(resp.data)["type"] == "FeatureCollection"
    with client.get("/exchange/download/nothing") as resp:
        assert resp.status_code == 404


# ---------------------------------------------------------------- bounded exports (issue 17 #6)

def fetch(client, url, **kw):
    """A response read whole and closed (an export is streamed from an open file)."""
    resp = client.get(url, **kw)
    resp.get_data()
    resp.close()
    return resp


def _exports(app):
    from pathlib import Path

    return sorted(p.name for p in Path(app.config["EXPORT_CACHE"]).iterdir()
                  if not p.name.startswith("."))


def test_a_repeated_export_is_served_from_the_cache(app, client, session, make, login):
    from pathlib import Path

    make.service(coverage=["SY07"])
    login(make.user("viewer"))
    first = fetch(client, "/api/v1/exports/geojson")
    assert first.status_code == 200 and first.headers["ETag"]
    path = Path(app.config["EXPORT_CACHE"]) / ("geojson." + first.headers["ETag"].strip('"'))
    built = path.stat().st_mtime_ns
    again = fetch(client, "/api/v1/exports/geojson")
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert path.stat().st_mtime_ns == built  # not built again
    assert fetch(client, "/api/v1/exports/geojson", headers={
        "If-None-Match": first.headers["ETag"]}).status_code == 304
    assert again.headers["Cache-Control"] == "private, no-cache"
    make.service(coverage=["SY01"])  # new data: a new version, the old file goes
    third = fetch(client, "/api/v1/exports/geojson")
    assert third.headers["ETag"] != first.headers["ETag"] and third.data != first.data
    assert not path.exists()
    assert [n for n in _exports(app) if n.startswith("geojson.")] == [
        "geojson." + third.headers["ETag"].strip('"')]


def test_the_data_version_follows_updates_and_deletes(session, make):
    from data.io.downloads import data_version

    svc = make.service()
    v1 = data_version(session)
    assert data_version(session) == v1
    with session.begin_nested():  # a later writer (a subtransaction: a new xid)
        svc.capacity_per_month = 999
    v2 = data_version(session)
    assert v2 != v1
    with session.begin_nested():
        session.delete(svc)
    assert data_version(session) not in (v1, v2)


def test_an_export_waits_for_a_free_build_slot(app, client, engine, session, make, login):
    """Every build slot taken (held by another real connection) -> 503 with Retry-After and
    nothing built; once the slot is free the export is built."""
    from sqlalchemy import text

    make.service(coverage=["SY07"])
    login(make.user("viewer"))
    with engine.connect() as other:
        assert other.scalar(text("SELECT pg_try_advisory_lock(:c, 0)"), {"c": 0x7A5E})
        try:
            resp = fetch(client, "/api/v1/exports/geojson")
            assert resp.status_code == 503
            assert resp.get_json()["error"]["code"] == "export_busy"
            assert int(resp.headers["Retry-After"]) > 0
            assert not [n for n in _exports(app) if n.startswith("geojson.")
                        and n.endswith(data_version_now(session))]
        finally:
            other.execute(text("SELECT pg_advisory_unlock_all()"))
    assert fetch(client, "/api/v1/exports/geojson").status_code == 200


def data_version_now(session) -> str:
    from data.io.downloads import data_version

    return data_version(session)


def test_exports_are_limited_per_token_and_per_organisation(app, client, session, make):
    from network.tokens import create_token

    org = make.org()
    _t1, one = create_token(session, org, "viewer")
    _t2, two = create_token(session, org, "viewer")
    app.config.update(RATELIMIT_ENABLED=True, EXPORT_TOKEN_RATE_LIMIT="1 per minute",
                      EXPORT_RATE_LIMIT="3 per minute")
    try:
        def get(secret):
            return fetch(client, "/api/v1/exports/4w.csv",
                         headers={"Authorization": f"Bearer {secret}"}).status_code
        assert [get(one), get(one), get(two), get(two)] == [200, 429, 200, 429]
        _t3, three = create_token(session, org, "viewer")
        assert get(three) == 429  # the organisation's 3 a minute are spent (one 429 counted)
    finally:
        app.config.update(RATELIMIT_ENABLED=False)
        for key in ("EXPORT_TOKEN_RATE_LIMIT", "EXPORT_RATE_LIMIT"):
            app.config.pop(key)


def test_the_exchange_page_download_streams_the_same_file(client, make, login):
    make.service(coverage=["SY07"])
    login(make.user("viewer"))
    api = fetch(client, "/api/v1/exports/geojson")
    with client.get("/exchange/download/geojson") as page:
        assert page.is_streamed  # from the file, never a bytes object of the whole export
        assert page.status_code == 200 and page.get_data() == api.data
        assert page.headers["Content-Disposition"].startswith("attachment")


def test_a_large_export_is_built_by_a_job_then_downloaded(app, client, session, make, login):
    """EXPORT_BACKGROUND: the first call queues one build job and answers 202 with
    Retry-After (a second call queues nothing more); once the job ran, the same address
    downloads the file."""
    from sqlalchemy import text

    from tests.kits.jobs import run_queued

    make.service(coverage=["SY07"])
    login(make.user("viewer"))
    app.config["EXPORT_BACKGROUND"] = "hsds"
    try:
        first = fetch(client, "/api/v1/exports/hsds")
        assert first.status_code == 202 and first.get_json()["status"] == "preparing"
        assert int(first.headers["Retry-After"]) > 0
        assert fetch(client, "/api/v1/exports/hsds").status_code == 202
        page = fetch(client, "/exchange/download/hsds")
        assert page.status_code == 202 and "يجري إعداد التصدير" in page.get_data(as_text=True)
        queued = session.execute(text(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'exports.cache' "
            "AND status = 'todo'")).scalars().all()
        # one job however many requests asked (each request's id aside: the first's is kept)
        assert [{k: v for k, v in a.items() if k != "_request_id"} for a in queued] == [
            {"kind": "hsds", "hxl": True}]
        assert len(queued[0]["_request_id"]) == 32
        [(_task, written)] = run_queued(app, session, "exports.cache")
        ready = fetch(client, "/api/v1/exports/hsds")
        assert ready.status_code == 200 and ready.data[:2] == b"PK"
        assert written.endswith(ready.headers["ETag"].strip('"'))
        assert fetch(client, "/api/v1/exports/geojson").status_code == 200  # small: at once
    finally:
        app.config["EXPORT_BACKGROUND"] = ""
