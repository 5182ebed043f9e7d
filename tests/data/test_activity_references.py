"""Activity's references to admin areas, sectors and service types, checked once per statement
by triggers instead of foreign keys (migration 0045): no write path leaves a dangling one,
and a reference row still named by an activity can be neither deleted, re-keyed nor
truncated."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from data.models import Activity, AdminArea, ImportBatch, Organization, Sector, ServiceType

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture
def reference(session):
    """A sector, a service type and a sub-district of this test's own."""
    session.add(Sector(code="zz_sector", name_ar="قطاع", name_en="Sector Z", sort=99))
    session.flush()
    session.add(ServiceType(code="zz_type", sector_code="zz_sector", name_ar="نوع",
                            name_en="Type Z"))
    session.add(AdminArea(pcode="ZZ01", level=1, name_ar="منطقة", name_en="Zone Z"))
    session.flush()


GOOD = {"pcode": "ZZ01", "sector_code": "zz_sector", "service_type_code": "zz_type"}
DANGLING = [("pcode", "ZZ99"), ("sector_code", "zz_none"), ("service_type_code", "zz_none"),
            ("organization_id", 2147483000), ("batch_id", 2147483000)]  # 0046: the owners


def _refused(exc: pytest.ExceptionInfo, column: str, value: str) -> None:
    orig = getattr(exc.value, "orig", exc.value)
    assert orig.sqlstate == "23503"  # foreign_key_violation, as a foreign key raises it
    assert f"{column}={value}" in str(orig)


def _copy(session, values: dict) -> None:
    """Write one row the way the 4W importer does: COPY straight into activity."""
    cur = session.connection().connection.driver_connection.cursor()
    with cur.copy(f"COPY activity ({', '.join(values)}) FROM STDIN") as copy:
        copy.write_row(list(values.values()))


@pytest.mark.parametrize(("column", "value"), DANGLING)
@pytest.mark.parametrize("path", ["insert", "copy", "update"])
def test_a_dangling_reference_is_refused_on_every_write(session, path, column, value):
    session.add(Activity(fingerprint="kept", **GOOD))
    session.flush()
    sp = session.begin_nested()
    with pytest.raises(Exception) as exc:  # noqa: PT011 - IntegrityError or psycopg's own
        if path == "insert":
            session.add(Activity(fingerprint="bad", **{**GOOD, column: value}))
            session.flush()
        elif path == "copy":
            _copy(session, {**GOOD, column: value, "fingerprint": "bad"})
        else:
            session.execute(update(Activity).where(Activity.fingerprint == "kept")
                            .values({column: value}))
    sp.rollback()
    _refused(exc, column, value)
    assert session.scalars(select(Activity.fingerprint)).all() == ["kept"]


def test_existing_references_and_empty_ones_are_written(session):
    session.add_all([Activity(fingerprint="a", **GOOD), Activity(fingerprint="b")])
    _copy(session, {**GOOD, "fingerprint": "c"})
    session.flush()
    session.execute(update(Activity).values(pcode=None))
    assert session.scalar(select(func.count()).select_from(Activity)) == 3


# (model, key, the value an activity names, activity's column naming it)
REFERENCED = [(AdminArea, "pcode", "ZZ01", "pcode"), (Sector, "code", "zz_sector", "sector_code"),
              (ServiceType, "code", "zz_type", "service_type_code")]


@pytest.mark.parametrize(("model", "key", "value", "column"), REFERENCED)
def test_a_reference_row_an_activity_names_cannot_be_deleted_or_rekeyed(session, model, key,
                                                                        value, column):
    session.add(Activity(fingerprint="a", **{column: value}))
    session.flush()
    for stmt in (delete(model).where(getattr(model, key) == value),
                 update(model).where(getattr(model, key) == value).values({key: "ZZMOVED"})):
        sp = session.begin_nested()
        with pytest.raises(IntegrityError) as exc:
            session.execute(stmt)
        sp.rollback()
        assert exc.value.orig.sqlstate == "23503" and value in str(exc.value.orig)
    sp = session.begin_nested()
    with pytest.raises(IntegrityError) as exc:
        session.execute(text(f"TRUNCATE {model.__tablename__} CASCADE"))
    sp.rollback()
    assert exc.value.orig.sqlstate == "23503"
    session.execute(update(model).where(getattr(model, key) == value)
                    .values(name_en="renamed"))  # other columns change freely


@pytest.mark.parametrize(("model", "key", "value", "column"), REFERENCED)
def test_a_reference_row_no_activity_names_is_deleted(session, model, key, value, column):
    session.add(Activity(fingerprint="a", **{column: None}))
    if model is Sector:
        session.execute(delete(ServiceType).where(ServiceType.code == "zz_type"))
    assert session.execute(delete(model).where(getattr(model, key) == value)).rowcount == 1


def _owners(session, make) -> tuple[Organization, ImportBatch]:
    org = make.org()
    batch = ImportBatch(source="owners.csv", checksum="0" * 64, status="active")
    session.add(batch)
    session.flush()
    return org, batch


@pytest.mark.parametrize("model", [Organization, ImportBatch])
def test_deleting_an_activitys_organisation_or_batch_sets_it_null(session, make, model):
    """Migration 0046: the owners' keys became statement checks; ON DELETE SET NULL stays."""
    org, batch = _owners(session, make)
    owner = org if model is Organization else batch
    column = "organization_id" if model is Organization else "batch_id"
    session.add_all([Activity(fingerprint="a", organization_id=org.id, batch_id=batch.id),
                     Activity(fingerprint="b", organization_id=org.id, batch_id=batch.id)])
    session.flush()
    session.execute(delete(model).where(model.id == owner.id))
    kept = session.execute(select(Activity.organization_id, Activity.batch_id)).all()
    assert len(kept) == 2
    for row in kept:
        assert getattr(row, column) is None
        assert (row.organization_id, row.batch_id) != (None, None)  # the other owner stays


@pytest.mark.parametrize("model", [Organization, ImportBatch])
def test_an_owner_an_activity_names_cannot_be_rekeyed_or_truncated(session, make, model):
    org, batch = _owners(session, make)
    owner = org if model is Organization else batch
    session.add(Activity(fingerprint="a", organization_id=org.id, batch_id=batch.id))
    session.flush()
    for stmt in (update(model).where(model.id == owner.id).values(id=2147483001),
                 text(f"TRUNCATE {model.__tablename__} CASCADE")):
        sp = session.begin_nested()
        with pytest.raises(IntegrityError) as exc:
            session.execute(stmt)
        sp.rollback()
        assert exc.value.orig.sqlstate == "23503"
    assert session.scalar(select(func.count()).select_from(Activity)) == 1


# the user's ways to write activities: a file naming what does not exist is bad input
BAD_ROWS = [
    ("implementing_partner,admin3pcode,activity,beneficiaries",
     "Maram Foundation (MF),SY999999,Food Baskets,4"),
    ("implementing_partner,admin3pcode,activity,beneficiaries",
     "Maram Foundation (MF),SY020405,ZZ999 - nothing of ours,4"),
    ("implementing_partner,admin3pcode,sector,beneficiaries",
     "Maram Foundation (MF),SY020405,Astronomy,4"),
]


@pytest.mark.parametrize(("header", "row"), BAD_ROWS)
def test_the_cli_refuses_a_file_naming_unknown_references(runner, session, boundaries,
                                                          tmp_path, header, row):
    path = tmp_path / "bad.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    res = runner.invoke(args=["import", "4w", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize(("header", "row"), BAD_ROWS)
def test_the_web_import_refuses_a_file_naming_unknown_references(client, session, make, login,
                                                                 boundaries, header, row):
    login(make.user("platform_admin"))
    resp = client.post("/exchange/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(f"{header}\n{row}\n".encode()), "4w.csv")})
    token = re.search(r'name="token" type="hidden" value="([^"]+)"',
                      resp.get_data(as_text=True)).group(1)
    resp = client.post("/exchange/import/confirm", data={"token": token})
    assert resp.status_code == 400
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
