"""Set-up problems a new user meets, answered with a clear message (audit of issue 2)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import inspect

from data import pgext
from data.pgext import MissingExtension, package_for, require_extensions


def test_the_real_server_offers_every_required_extension(connection):
    require_extensions(connection)


def test_a_missing_extension_is_named_with_its_package(connection):
    with pytest.raises(MissingExtension) as err:
        require_extensions(connection, ("postgis", "no_such_ext"))
    assert "no_such_ext" in err.value.message and "postgis," not in err.value.message
    assert "apt-get install -y postgresql-contrib" in err.value.message
    assert err.value.details["missing"] == ["no_such_ext"]


@pytest.mark.parametrize(("ext", "major", "package"), [
    ("postgis", 15, "postgresql-15-postgis-3"),
    ("postgis", 16, "postgresql-16-postgis-3"),
    ("pg_trgm", 15, "postgresql-contrib"),
])
def test_package_names(ext, major, package):
    assert package_for(ext, major) == package


def test_db_upgrade_stops_before_writing_when_an_extension_is_missing(scratch_db, monkeypatch):
    from app import create_app
    from data.db import make_engine

    url = scratch_db("tasharuk_test_noext")
    monkeypatch.setattr(pgext, "REQUIRED", (*pgext.REQUIRED, "postgis_nowhere"))
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "postgis_nowhere" in result.output
    assert "postgresql-" in result.output and "-postgis-3" in result.output
    assert "Traceback" not in result.output
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


@pytest.mark.parametrize(("table", "index", "method"), [
    ("admin_area", "idx_admin_area_geom", "gist (geom)"),
    ("admin_area", "idx_admin_area_centroid", "gist (centroid)"),
    ("service_site", "idx_service_site_geom", "gist (geom)"),
    ("admin_area", "ix_admin_area_search_trgm", "gin (search_text gin_trgm_ops)"),
    ("organization", "ix_organization_search_trgm", "gin (search_text gin_trgm_ops)"),
    ("service", "ix_service_search_trgm", "gin (search_text gin_trgm_ops)"),
    ("organization", "ix_organization_search_fts", "gin (to_tsvector("),
    ("service", "ix_service_search_fts", "gin (to_tsvector("),
])
def test_spatial_trigram_and_full_text_indexes_exist(connection, table, index, method):
    from sqlalchemy import text

    definition = connection.scalar(text(
        "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexname = :i"),
        {"t": table, "i": index})
    assert definition is not None and f"USING {method}" in definition


@pytest.mark.parametrize(("sql", "constraint"), [
    ("INSERT INTO admin_area (pcode, level, name_ar, name_en) VALUES ('SY01', 1, 'x', 'x')",
     "pk_admin_area"),
    ("INSERT INTO admin_area (pcode, level, name_ar, name_en) VALUES ('sy-9', 1, 'x', 'x')",
     "ck_admin_area_pcode_format"),
    ("INSERT INTO admin_area (pcode, level, name_ar, name_en) VALUES ('SY9', 7, 'x', 'x')",
     "ck_admin_area_level_range"),
    ("INSERT INTO admin_area (pcode, level, name_ar, name_en, parent_pcode) "
     "VALUES ('SY9901', 2, 'x', 'x', 'SY99')", "fk_admin_area_parent_pcode_admin_area"),
])
def test_constraints_live_in_the_database(connection, sql, constraint):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match=constraint):
        with connection.begin_nested():
            connection.execute(text(sql))


SYSDEPS = Path(__file__).resolve().parents[2] / "data" / "setup" / "sysdeps.sh"


def _sysdeps(root: Path | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TASHARUK_SYSDEPS_PRINT_ONLY": "1"}
    if root is not None:
        env["TASHARUK_SYSROOT"] = str(root)
    return subprocess.run(["bash", str(SYSDEPS)], capture_output=True, text=True, env=env,
                          timeout=60)


def test_sysdeps_is_silent_when_everything_is_installed():
    # this machine runs the test database, so PostgreSQL and PostGIS are there
    result = _sysdeps(None)
    assert (result.returncode, result.stderr) == (0, "")


PG15 = ["usr/lib/postgresql/15/bin/initdb", "usr/share/postgresql/15/extension/postgis.control"]
FONT = "usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf"
REDIS = "usr/bin/redis-server"


@pytest.mark.parametrize(("installed", "packages"), [
    ([], "postgresql postgresql-15-postgis-3 nginx-light systemd redis-server chromium "
         "fonts-noto-core"),
    (["usr/lib/postgresql/16/bin/initdb", "usr/sbin/nginx", "usr/bin/systemd-analyze",
      REDIS, "usr/bin/chromium", FONT], "postgresql-16-postgis-3"),
    ([*PG15, REDIS, "usr/bin/chromium", FONT], "nginx-light systemd"),
    ([*PG15, "usr/sbin/nginx", "usr/bin/systemd-analyze", "usr/bin/chromium", FONT],
     "redis-server"),
    ([*PG15, "usr/sbin/nginx", "usr/bin/systemd-analyze", REDIS, FONT], "chromium"),
    ([*PG15, "usr/sbin/nginx", "usr/bin/systemd-analyze", REDIS, "usr/bin/chromium"],
     "fonts-noto-core"),
])
def test_sysdeps_prints_the_exact_command_when_packages_are_missing(tmp_path, installed,
                                                                   packages):
    for f in installed:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).touch()
        (tmp_path / f).chmod(0o755)
    result = _sysdeps(tmp_path)
    assert result.returncode == 1
    assert f"Run: sudo apt-get update && sudo apt-get install -y {packages}" in result.stderr


def test_db_upgrade_on_a_missing_database_says_so_without_a_traceback(server_url):
    from app import create_app

    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path="/tasharuk_test_absent"))
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1, result.output
    assert "Cannot open the database" in result.output
    assert 'database "tasharuk_test_absent" does not exist' in result.output
    assert "Traceback" not in result.output
