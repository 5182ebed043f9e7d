"""Reference data loading and Alembic migrations on a real, empty PostGIS database."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, inspect, select, text

from data.errors import BadInput


def test_migrations_go_up_from_empty_down_to_base_and_up_again(scratch_db):
    from data.db import make_engine
    from data.migrate import downgrade, upgrade

    url = scratch_db("tasharuk_test_migrations")
    upgrade(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"admin_area", "organization", "service", "service_site", "activity", "need",
            "app_user", "audit_log", "referral", "referral_event"} <= tables
    engine.dispose()
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version", "spatial_ref_sys"}
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        heads = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()
    assert heads >= 1
    engine.dispose()


def test_reference_is_loaded_and_idempotent(session):
    from data.io.reference import load_reference
    from data.models import AdminArea, Sector, ServiceType, TargetGroup

    before = load_reference(session)
    assert before == {"governorates": 14, "sectors": 13,
                      "service_types": session.scalar(select(func.count(ServiceType.code))),
                      "target_groups": 14}
    assert session.scalar(select(func.count()).select_from(AdminArea)
                          .where(AdminArea.level == 1)) == 14
    assert session.get(Sector, "gbv").parent_code == "protection"
    assert session.get(TargetGroup, "pwd").name_ar == "الأشخاص ذوو الإعاقة"
    codes = {c for st in session.scalars(select(ServiceType)) for c in st.activity_codes}
    assert {"GBV600", "CP2", "GP3", "MA1"} <= codes


def test_audit_log_and_events_are_append_only(session, make):
    from sqlalchemy.exc import DBAPIError

    from data.models import AuditLog

    session.add(AuditLog(action="test", object_type="x", object_id="1"))
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("UPDATE audit_log SET action = 'changed'"))
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("DELETE FROM audit_log"))


@pytest.mark.parametrize("file,content,message", [
    ("sectors.csv", "code,name_en\nx,X\n", "missing column"),
    ("service_types.csv",
     "code,sector_code,name_en,name_ar,activity_codes,sensitive,keywords_en,keywords_ar\n"
     "a,nope,A,أ,,false,,\n", "row 2, column sector_code: unknown sector 'nope'"),
    ("governorates.csv", "pcode,name_en,name_ar,lon,lat,population\nSY01,D,د,x,1,\n",
     "row 2, column lon/lat"),
    ("governorates.csv", "pcode,name_en,name_ar,lon,lat,population\nSY01,D,د,36,33,\n"
     "SY01,E,ه,36,33,\n", "governorates.csv row 3, column pcode: duplicate 'SY01' (also row 2)"),
    ("governorates.csv", "pcode,name_en,name_ar,lon,lat,population\nsy-1,D,د,36,33,\n",
     "row 2, column pcode: 'sy-1' is not a p-code"),
    ("governorates.csv", "pcode,name_en,name_ar,lon,lat,population\nSY01,D,د,36,33,many\n",
     "row 2, column population: not a whole number"),
    ("target_groups.csv", "code,name_en,name_ar,sort\nkids,K,ك,1\nkids,K,ك,2\n",
     "target_groups.csv row 3, column code: duplicate 'kids'"),
    ("target_groups.csv", "code,name_en,name_ar,sort\nkids,K,ك,first\n",
     "row 2, column sort: not a whole number"),
    ("sectors.csv", "code,parent_code,name_en,name_ar,sort\n,,X,س,1\n",
     "sectors.csv row 2, column code: empty"),
    ("sectors.csv", "code,parent_code,name_en,name_ar,sort\ncp,nowhere,X,س,1\n",
     "row 2, column parent_code: unknown sector 'nowhere'"),
    ("service_types.csv",
     "code,sector_code,name_en,name_ar,activity_codes,sensitive,keywords_en,keywords_ar\n"
     "a,protection,A,أ,,false,,\na,protection,A,أ,,false,,\n", "row 3, column code: duplicate"),
])
def test_bad_reference_csv_names_file_row_and_column(runner, tmp_path, file, content,
                                                     message):
    from data.io.reference import REFERENCE

    for f in REFERENCE.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / file).write_text(content, encoding="utf-8")
    result = runner.invoke(args=["load", "reference", "--folder", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_reference_raises_before_writing(session, tmp_path):
    from data.io.reference import REFERENCE, load_reference

    for f in REFERENCE.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "target_groups.csv").write_text("code\n", encoding="utf-8")
    with pytest.raises(BadInput, match="target_groups.csv: missing column"):
        load_reference(session, tmp_path)
