"""HSDS 3.1 (issue 22): the export validates with zero errors against the 3.1 schemas (with
service capacities and their unit, additional URLs), and 3.1 documents import back."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from data.io.hsds31 import UNIT, export_hsds_31, import_hsds_31
from tests.conftest import shared_path
from tests.data.io.test_hsds import directory  # noqa: F401 (the fixture)


def _validator(name: str) -> Draft202012Validator:
    folder = shared_path("hsds", "hsds-3.1-dev", "schema")
    registry = Registry()
    for f in folder.glob("*.json"):
        registry = registry.with_resource(f.name, Resource.from_contents(
            json.loads(f.read_text()), default_specification=DRAFT202012))
    schema = json.loads((folder / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_31_export_validates_with_zero_errors(session, directory, tmp_path):  # noqa: F811
    directory.website = "https://maram.example.org"
    session.flush()
    counts = export_hsds_31(session, tmp_path, "https://tasharuk.example.org")
    assert counts == {"organizations": 1, "services": 2}
    service_v, org_v = _validator("service"), _validator("organization")
    docs = [json.loads(p.read_text()) for p in (tmp_path / "services").glob("*.json")]
    errors = [f"{d['id']}: {e.message}" for d in docs for e in service_v.iter_errors(d)]
    errors += [e.message for p in (tmp_path / "organizations").glob("*.json")
               for e in org_v.iter_errors(json.loads(p.read_text()))]
    assert errors == []
    for doc in docs:
        (cap,) = doc["capacities"]
        assert cap["unit"] == UNIT and cap["maximum"] == 50 and cap["available"] == 50
        assert doc["additional_urls"][0]["url"].startswith(
            "https://tasharuk.example.org/directory/services/")
    org = json.loads(next((tmp_path / "organizations").glob("*.json")).read_text())
    assert org["additional_websites"][0]["url"] == "https://maram.example.org"
    assert json.loads((tmp_path / "datapackage.json").read_text())["version"] == "3.1.0"


def test_31_documents_import_back(session, directory, tmp_path):  # noqa: F811
    from sqlalchemy import select

    from data.models import Service

    export_hsds_31(session, tmp_path, "https://tasharuk.example.org")
    uuids = [s.uuid for s in directory.services]
    session.delete(directory)
    session.flush()
    assert import_hsds_31(session, tmp_path) == {"organizations": 1, "services": 2}
    back = session.scalars(select(Service).where(Service.uuid.in_(uuids))).all()
    assert sorted(s.capacity_per_month for s in back) == [50, 50]
    for s in back:  # a 3.1 capacity is read: change one document's and import again
        s.capacity_per_month = None
    session.flush()
    import_hsds_31(session, tmp_path)
    assert all(s.capacity_per_month == 50 for s in back)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_the_cli_speaks_both_versions(runner, session, directory, tmp_path,  # noqa: F811
                                      version):
    result = runner.invoke(args=["export", "hsds", str(tmp_path / "out"), "--version",
                                 version])
    assert result.exit_code == 0, result.output
    doc = json.loads(next((tmp_path / "out" / "services").glob("*.json")).read_text())
    assert ("capacities" in doc) == (version == "3.1")
    bad = runner.invoke(args=["export", "hsds", str(tmp_path / "x"), "--version", "2.9"])
    assert bad.exit_code == 2
