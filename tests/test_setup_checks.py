"""Set-up problems a new user meets, answered with a clear message (audit of issue 2)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
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
    result = CliRunner().invoke(app.cli, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "postgis_nowhere" in result.output
    assert "postgresql-" in result.output and "-postgis-3" in result.output
    assert "Traceback" not in result.output
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
