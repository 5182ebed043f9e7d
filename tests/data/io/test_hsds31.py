"""HSDS 3.1 (issue 22): a real export of the demo data validates against the official 3.1
schemas with zero errors, capacities carry their unit and urls lead to served pages, the
3.1 documents import back (round trip), and a bad capacity is refused naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from sqlalchemy import select

from data.errors import BadInput
from data.io.hsds import import_hsds
from data.io.hsds31 import UNIT, export_hsds_31
from tests.data.io.test_hsds import directory  # noqa: F401 (the fixture)
from tests.kits.hsds import round_trip, same_documents, typed_row, validator

V31 = "hsds-3.1-dev"
BASE = "https://tasharuk.example.org"


def _errors(name: str, obj: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(name, V31).iter_errors(obj)]


def test_demo_export_validates_against_the_31_schemas_with_zero_errors(session, boundaries,
                                                                       tmp_path):
    from data.demo import load_demo

    load_demo(session, orgs=30, seed=3, progress=False)
    session.flush()
    counts = export_hsds_31(session, tmp_path, BASE)
    assert counts["services"] > 30
    errors = {}
    for kind, schema in (("services", "service"), ("organizations", "organization")):
        for p in (tmp_path / kind).glob("*.json"):
            if found := _errors(schema, json.loads(p.read_text())):
                errors[p.name] = found
    assert errors == {}
    docs = [json.loads(p.read_text()) for p in (tmp_path / "services").glob("*.json")]
    caps = [c for d in docs for c in d["capacities"]]
    assert caps and all(c["unit"]["identifier"] == "people_per_month" for c in caps)
    assert {c["available"] == c["maximum"] for c in caps} == {True, False}  # open and not
    assert all(d["url"].startswith(f"{BASE}/directory/services/") for d in docs)
    # the tabular package: 3.1's tables, whose columns are fields of the table's schema (the
    # 3.1-dev datapackage.json lists only two of service_capacity's), with the ones the
    # tabular form requires, and rows valid as objects of their table (leaving aside the
    # nested objects that tabular rows link by id)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["version"] == "3.1.0"
    assert {"service_capacity", "unit", "url"} <= {r["name"] for r in package["resources"]}
    rows_seen = 0
    for res in package["resources"]:
        header = (tmp_path / res["path"]).read_text().splitlines()[0].split(",")
        v = validator(res["name"], V31)
        props = v.schema["properties"]
        assert set(v.schema.get("tabular_required", [])) <= set(header) <= set(props), \
            res["name"]
        scalar = {**v.schema, "required": [f for f in v.schema.get("required", [])
                                           if props[f].get("type") not in ("array", None)]}
        with (tmp_path / res["path"]).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                rows_seen += 1
                assert list(v.evolve(schema=scalar).iter_errors(typed_row(row, props))) == [], \
                    (res["name"], row)
    assert rows_seen > 100


def test_listing_urls_are_pages_the_platform_serves(session, make, client, tmp_path):
    org = make.org(name_en="Noor", name_ar="نور", acronym="NR")
    make.service(organization=org, coverage=["SY07"], capacity_per_month=40)
    session.flush()
    export_hsds_31(session, tmp_path, BASE)
    [doc] = [json.loads(p.read_text()) for p in (tmp_path / "services").glob("*.json")
             if json.loads(p.read_text())["organization_id"] == str(org.uuid)]
    urls = [doc["url"], *(u["url"] for u in doc["additional_urls"]),
            *(u["url"] for u in doc["organization"]["additional_websites"])]
    assert len(urls) == 4
    for url in urls:
        assert client.get(url.removeprefix(BASE) + "?lang=en").status_code == 200, url


@pytest.fixture
def capacities(session, make, boundaries):
    org = make.org(name_en="Maram Foundation", name_ar="مؤسسة مرام", acronym="MF",
                   email="info@maram.example.org")
    for availability, capacity in (("open", 120), ("waitlist", 30), ("full", 0)):
        make.service(organization=org, service_type_code="food_assistance",
                     name_en=f"Food {availability}", coverage=["SY07"],
                     capacity_per_month=capacity, availability=availability,
                     last_verified=dt.date(2026, 11, 2))
    make.service(organization=org, service_type_code="health_mental", coverage=["SY0703"],
                 sites=[(36.77, 36.21, "SY070301")], hours=[(7, "08:00", "12:00")])
    session.flush()
    return org


def test_round_trip_of_31_into_an_empty_database(session, capacities, tmp_path, scratch_db):
    """3.1 -> import -> 3.1 gives the same documents: capacities and availability come back
    (the urls name this platform's pages, so the round trip is made without a base URL)."""
    from data.models import Service

    first, second = tmp_path / "first", tmp_path / "second"
    export_hsds_31(session, first)
    got = round_trip(export_hsds_31, first, second, scratch_db, "tasharuk_hsds31_roundtrip",
                     lambda s: {x.name_en: (x.capacity_per_month, x.availability)
                                for x in s.scalars(select(Service))})
    assert got["Food waitlist"] == (30, "waitlist") and got["Food full"] == (0, "full")
    assert got["Food open"] == (120, "open")
    same_documents(first, second)


def test_capacity_from_another_directory_and_a_bad_one(session, capacities, tmp_path):
    """Without our availability attribute, none available reads as full; a negative
    capacity is refused naming the field, and nothing is changed."""
    from data.models import Service

    export_hsds_31(session, tmp_path)
    path = next(p for p in (tmp_path / "services").glob("*.json")
                if json.loads(p.read_text())["name"] == "Food open")
    doc = json.loads(path.read_text())
    doc["capacities"][0].update(available=0, attributes=[])
    path.write_text(json.dumps(doc))
    import_hsds(session, path)
    svc = session.scalar(select(Service).where(Service.name_en == "Food open"))
    assert (svc.capacity_per_month, svc.availability) == (120, "full")
    doc["capacities"][0].update(maximum=-5)
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        import_hsds(session, path)
    assert exc.value.details["field"] == "capacities" and "capacities.maximum" in exc.value.message
    doc["capacities"][0]["updated"] = "yesterday"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        import_hsds(session, path)
    assert "service.capacities[0].updated" in exc.value.message


def test_cli_exports_31_and_refuses_an_unknown_version(runner, session, make, tmp_path):
    org = make.org(name_en="Noor", name_ar="نور", acronym="NR")
    make.service(organization=org, coverage=["SY07"], capacity_per_month=10)
    session.flush()
    res = runner.invoke(args=["export", "hsds", "--version", "3.1", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text())
    assert package["version"] == "3.1.0"
    assert (tmp_path / "out" / "csv" / "service_capacity.csv").read_text().count("\n") >= 2
    res = runner.invoke(args=["export", "hsds", "--version", "2.9", str(tmp_path / "bad")])
    assert res.exit_code == 2 and "--version" in res.output
    assert not (tmp_path / "bad").exists()


def _zip_names(data: bytes) -> list[str]:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_api_and_exchange_page_give_31_by_version_and_refuse_another(client, session, make,
                                                                     login):
    org = make.org(name_en="Noor", name_ar="نور", acronym="NR")
    make.service(organization=org, coverage=["SY07"], capacity_per_month=10)
    session.flush()
    login(make.user("viewer"))
    with client.get("/api/v1/exports/hsds?version=3.1") as resp:
        assert resp.status_code == 200
        assert "csv/service_capacity.csv" in _zip_names(resp.data)
    with client.get("/api/v1/exports/hsds") as resp:  # 3.0 stays the default
        assert "csv/service_capacity.csv" not in _zip_names(resp.data)
    with client.get("/api/v1/exports/hsds?version=2.9&lang=en") as resp:
        assert resp.status_code == 400
        err = resp.get_json()["error"]
        assert err["details"]["field"] == "version" and "3.1" in err["message"]
    html = client.get("/exchange/").get_data(as_text=True)
    assert "/exchange/download/hsds31" in html and "HSDS 3.1" in html
    with client.get("/exchange/download/hsds31") as resp:
        assert resp.status_code == 200 and "units.csv" in str(_zip_names(resp.data))
        assert resp.headers["Content-Disposition"].endswith("tasharuk-hsds-3.1.zip")
    doc = client.get("/api/v1/openapi.json").get_json()
    [param] = doc["paths"]["/exports/hsds"]["get"]["parameters"]
    assert param["name"] == "version" and param["schema"]["enum"] == ["3.0", "3.1"]


def test_export_job_writes_31_when_asked(app, session, make, tmp_path, monkeypatch):
    from jobs import enqueue_export, export_file
    from tests.kits.jobs import run_queued

    make.service(capacity_per_month=10)
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    job_id = enqueue_export(session, "hsds", version="3.1")
    with app.app_context():
        run_queued(app, session, "exports.run")
        path = export_file(job_id, "hsds")
    assert path is not None and "csv/service_capacity.csv" in _zip_names(path.read_bytes())


def test_the_31_export_of_the_30_fixture(session, directory, tmp_path):  # noqa: F811
    directory.website = "https://maram.example.org"
    session.flush()
    counts = export_hsds_31(session, tmp_path, BASE)
    assert counts == {"organizations": 1, "services": 2}
    docs = [json.loads(p.read_text()) for p in (tmp_path / "services").glob("*.json")]
    errors = [e for d in docs for e in _errors("service", d)]
    errors += [e for p in (tmp_path / "organizations").glob("*.json")
               for e in _errors("organization", json.loads(p.read_text()))]
    assert errors == []
    for doc in docs:
        (cap,) = doc["capacities"]
        assert cap["unit"] == UNIT and cap["maximum"] == 50 and cap["available"] == 50
        assert doc["additional_urls"][0]["url"].startswith(f"{BASE}/directory/services/")
    org = json.loads(next((tmp_path / "organizations").glob("*.json")).read_text())
    assert [w["url"] for w in org["additional_websites"]] == [
        "https://maram.example.org", f"{BASE}/directory/organizations/{directory.id}"]
    assert json.loads((tmp_path / "datapackage.json").read_text())["version"] == "3.1.0"


def test_31_documents_import_back(session, directory, tmp_path):  # noqa: F811
    from data.models import Service

    export_hsds_31(session, tmp_path, BASE)
    uuids = [s.uuid for s in directory.services]
    session.delete(directory)
    session.flush()
    assert import_hsds(session, tmp_path) == {"organizations": 1, "services": 2}
    back = session.scalars(select(Service).where(Service.uuid.in_(uuids))).all()
    assert sorted(s.capacity_per_month for s in back) == [50, 50]
    for s in back:  # a 3.1 capacity is read: change one document's and import again
        s.capacity_per_month = None
    session.flush()
    import_hsds(session, tmp_path)
    assert all(s.capacity_per_month == 50 for s in back)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_the_cli_speaks_both_versions(runner, session, directory, tmp_path,  # noqa: F811
                                      version):
    result = runner.invoke(args=["export", "hsds", str(tmp_path / "out"), "--version",
                                 version])
    assert result.exit_code == 0, result.output
    doc = json.loads(next((tmp_path / "out" / "services").glob("*.json")).read_text())
    assert ("capacities" in doc) == (version == "3.1")
