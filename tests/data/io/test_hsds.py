"""HSDS 3.0: exports validate against the official schemas (jsonschema), the UK validator's
fail mocks are rejected naming each broken field, export -> import -> export is exact."""

from __future__ import annotations

import csv
import json

import pytest

from data.errors import BadInput
from data.io.cells import TRIGGERS, restore
from data.io.hsds import check_service, export_hsds, import_hsds
from tests.conftest import shared_path
from tests.kits.hsds import round_trip, same_documents, typed_row, validator


def _validator(name: str):
    return validator(name, "hsds-3.0")


@pytest.fixture
def directory(session, make, boundaries):
    org = make.org(name_en="Maram Foundation", name_ar="مؤسسة مرام", acronym="MF",
                   email="info@maram.example.org")
    make.service(organization=org, service_type_code="gbv_case_management",
                 target_groups=["women", "gbv_survivors"], coverage=["SY070301", "SY0204"],
                 sites=[(36.77, 36.21, "SY070301")], hours=[(7, "08:00", "12:00"),
                                                            (7, "13:00", "15:00")],
                 sex="female", min_age=12, max_age=60, documents_required=["ID card"])
    make.service(organization=org, service_type_code="food_assistance", target_groups=[],
                 coverage=["SY02"])
    session.flush()
    return org


def test_export_validates_against_official_schemas(session, directory, tmp_path):
    counts = export_hsds(session, tmp_path)
    assert counts["services"] == 2
    service_v, org_v = _validator("service"), _validator("organization")
    docs = [json.loads(p.read_text()) for p in (tmp_path / "services").glob("*.json")]
    for doc in docs:
        assert list(service_v.iter_errors(doc)) == []
        assert check_service(doc) == []
    for p in (tmp_path / "organizations").glob("*.json"):
        assert list(org_v.iter_errors(json.loads(p.read_text()))) == []
    gbv = next(d for d in docs if d.get("minimum_age") == 12)
    uris = {a["uri"] for a in gbv["service_areas"]}
    assert uris == {"urn:ocha:pcode:SY070301", "urn:ocha:pcode:SY0204"}
    assert all(json.loads(a["extent"])["type"] in ("Polygon", "MultiPolygon")
               for a in gbv["service_areas"])
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"])
             for a in gbv["attributes"]}
    assert ("tasharuk-target-groups", "gbv_survivors") in terms
    assert ("tasharuk-eligibility", "sex") in terms
    assert [s["opens_at"] for s in gbv["schedules"]] == ["08:00", "13:00"]
    # the tabular package: every table's columns are HSDS fields of that table
    official = json.loads(shared_path("hsds", "hsds-3.0", "datapackage.json").read_text())
    fields = {r["name"]: {f["name"] for f in r["schema"]["fields"]}
              for r in official["resources"]}
    package = json.loads((tmp_path / "datapackage.json").read_text())
    for res in package["resources"]:
        header = (tmp_path / res["path"]).read_text().splitlines()[0].split(",")
        assert set(header) <= fields[res["name"]], res["name"]
        # and every row, typed as the schema says, is a valid object of that table
        validator = _validator(res["name"])
        props = validator.schema["properties"]
        with (tmp_path / res["path"]).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                obj = typed_row(row, props)
                assert list(validator.iter_errors(obj)) == [], (res["name"], obj)


def test_csv_tables_cannot_attack_a_spreadsheet_and_give_the_text_back(
        session, make, boundaries, tmp_path):
    """A name that a spreadsheet would run (=HYPERLINK, @SUM, a tab) is plain text in the CSV
    tables; ``restore`` gives what the JSON document, and the database, hold."""
    org = make.org(name_en="@SUM(1+1)", name_ar="=1+1", acronym="XX")
    make.service(organization=org, name_en='=HYPERLINK("http://x.example","go")',
                 name_ar="\tنص", description_en="-2+3", coverage=["SY07"])
    session.flush()
    export_hsds(session, tmp_path)
    with (tmp_path / "csv" / "services.csv").open(encoding="utf-8", newline="") as f:
        [row] = [r for r in csv.DictReader(f) if r["description"] == "'-2+3"]
    assert row["name"].startswith("'=HYPERLINK")
    with (tmp_path / "csv" / "organizations.csv").open(encoding="utf-8", newline="") as f:
        names = {r["name"] for r in csv.DictReader(f)}
    assert "'@SUM(1+1)" in names and "@SUM(1+1)" not in names
    doc = json.loads((tmp_path / "services" / f"{row['id']}.json").read_text())
    assert restore(row["name"]) == doc["name"] == '=HYPERLINK("http://x.example","go")'
    assert restore(row["description"]) == doc["description"] == "-2+3"
    cells = [v for p in (tmp_path / "csv").glob("*.csv")
             for r in csv.reader(p.read_text(encoding="utf-8").splitlines()) for v in r]
    assert len(cells) > 50 and not any(v.startswith(TRIGGERS) for v in cells)


FAIL = ("service_full.json", "service_list.json", "taxonomy_term.json")


@pytest.mark.parametrize("name", FAIL)
def test_uk_fail_mocks_are_rejected_naming_each_broken_field(session, name):
    """Every field the official schema finds broken is named in our message."""
    path = shared_path("hsds", "oruk-validator-mocks", "V3.0-UK-Fail", name)
    data = json.loads(path.read_text())
    entity = name.removesuffix(".json").removesuffix("_full").removesuffix("_list")
    items = data.get("contents", [data])
    official = set()
    for i, item in enumerate(items):
        for err in _validator(entity).iter_errors(item):
            field = ".".join(str(p) for p in err.absolute_path) or err.message.split("'")[1]
            official.add((i, field))
    assert official
    with pytest.raises(BadInput) as exc:
        import_hsds(session, path)
    errors = exc.value.details["errors"]
    for i, field in official:
        where = f"{name} contents[{i}]" if "contents" in data else name
        assert any(e.startswith(f"{where}: {entity}.{field}:") for e in errors), (i, field)


def test_uk_default_mock_passes_our_checks():
    path = shared_path("hsds", "oruk-validator-mocks", "V3.0-UK-Default", "service_full.json")
    assert check_service(json.loads(path.read_text())) == []


def test_round_trip_into_an_empty_database(session, directory, tmp_path, scratch_db):
    first, second = tmp_path / "first", tmp_path / "second"
    export_hsds(session, first)
    round_trip(export_hsds, first, second, scratch_db, "tasharuk_hsds_roundtrip")
    same_documents(first, second)


def test_official_example_from_another_directory_imports(session):
    """A service without our taxonomy attributes gets its type from our keywords; several
    days in one schedule become one period per day; impossible coordinates make no site."""
    from sqlalchemy import select

    from data.models import Service

    path = shared_path("hsds", "hsds-3.0", "examples", "service_full.json")
    counts = import_hsds(session, path)
    assert counts == {"organizations": 1, "services": 1}
    svc = session.scalar(select(Service).where(Service.name_en == "Community Counselling"))
    assert svc.service_type_code == "health_mental"  # "... mental health conditions ..."
    assert sorted(h.weekday for h in svc.hours) == [4, 5]
    assert svc.languages == ["ur"] and svc.sites == []


# ---------------------------------------------------------------- streaming (issue 17)

def _members(path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_a_build_holds_one_page_of_services_never_the_directory(session, make, tmp_path,
                                                                 monkeypatch):
    """A cold build reads BATCH services at a time and lets them go: the most services ever
    held by the session that loads them is one page, whatever the directory's size; and the
    zip is the same whatever the page size."""
    from sqlalchemy import event

    from data.io import hsds
    from data.models import Service

    orgs = [make.org() for _ in range(3)]
    for i in range(25):
        make.service(organization=orgs[i % 3], coverage=["SY07"], sites=[(36.6 + i / 100, 35.9)])
    held: list[int] = []

    def loaded(target, context):
        held.append(sum(isinstance(o, Service) for o in context.session.identity_map.values()))

    monkeypatch.setattr(hsds, "BATCH", 10, raising=False)
    event.listen(Service, "load", loaded)
    try:
        hsds.export_hsds(session, tmp_path / "small-pages")
    finally:
        event.remove(Service, "load", loaded)
    assert len(held) >= 25 and max(held) <= 10
    assert hsds.export_hsds_zip(session, tmp_path / "a.zip", batch=7) == {
        "organizations": 3, "services": 25}
    hsds.export_hsds_zip(session, tmp_path / "b.zip", batch=1000)
    assert _members(tmp_path / "a.zip") == _members(tmp_path / "b.zip")
    folder = {p.relative_to(tmp_path / "small-pages").as_posix(): p.read_bytes()
              for p in (tmp_path / "small-pages").rglob("*") if p.is_file()}
    assert folder == _members(tmp_path / "a.zip")  # the CLI's folder and the zip agree


def test_the_csv_tables_have_their_declared_columns(session, directory, tmp_path):
    from data.io.hsds import TABLE_FIELDS, TABLES

    export_hsds(session, tmp_path)
    for table, (_name, file) in TABLES.items():
        with (tmp_path / "csv" / file).open(encoding="utf-8") as f:
            assert next(csv.reader(f)) == TABLE_FIELDS[table]
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert [r["path"] for r in package["resources"]] == [f"csv/{f}" for _n, f in TABLES.values()]
