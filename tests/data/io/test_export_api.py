"""Export downloads in the web app and the API, checked against the OpenAPI document."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import pytest

from data.io.fourw import import_4w
from tests.conftest import shared_path


def test_api_exports(client, session, make, login, boundaries):
    import_4w(session, shared_path("4w", "fsl_tracker_20230519.csv"), accept_partial=True)
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
