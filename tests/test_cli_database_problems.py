"""A command pointed at a database it cannot use says why and what to do, exit 1, never a
traceback, and writes nothing (``data.dbproblems``). Found by trying ``tasharuk backup`` and the
job, organisation and export commands as an operator would: on a database that was not
migrated, on one that does not exist and on a server that is not running, each printed a
traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_MIGRATED = "This database is not migrated to this code"
NO_ANSWER = "The database did not answer"


def _tasharuk(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from app import cli; cli()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DATABASE_URL": url})


@pytest.fixture(scope="module")
def databases(server_url, scratch_db, tmp_path_factory):
    """URLs: a database with no migrations, one that does not exist, a server not running."""
    from tests.conftest import TEST_DB, _with_db

    return {"not migrated": scratch_db("tasharuk_not_migrated"),
            "no such database": _with_db(server_url, f"{TEST_DB}__never_created"),
            "no server": "postgresql://postgres@/tasharuk?host="
                         + str(tmp_path_factory.mktemp("no-server"))}


@pytest.mark.parametrize("state, message", [
    ("not migrated", NOT_MIGRATED), ("no such database", NO_ANSWER), ("no server", NO_ANSWER)])
@pytest.mark.parametrize("command", ["backup", "orgs pending"])
def test_a_database_it_cannot_use_is_named_not_traced(databases, tmp_path, state, message,
                                                       command):
    target = tmp_path / "backup"
    args = ["backup", str(target)] if command == "backup" else command.split()
    done = _tasharuk(databases[state], *args)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {message}"), done.stderr
    assert "DATABASE_URL" in done.stderr
    assert not target.exists()  # nothing half-written


@pytest.mark.parametrize("args, table", [
    (["jobs", "list"], "procrastinate_jobs"), (["gaps", "--level", "1"], "admin_area"),
    (["referrals", "expire"], "referral"), (["export", "hsds", "{tmp}/hsds"], "service"),
    (["export", "4w", "{tmp}/4w.csv"], "admin_area"),
    (["export", "geojson", "{tmp}/sites.geojson"], "service_site")])
def test_every_room_s_commands_say_the_database_is_not_migrated(databases, tmp_path, args,
                                                                table):
    out = tmp_path / "out"
    out.mkdir()
    done = _tasharuk(databases["not migrated"], *[a.format(tmp=out) for a in args])
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert NOT_MIGRATED in done.stderr and f'relation "{table}"' in done.stderr
    assert "it has no migrations at all" in done.stderr
    assert "tasharuk db upgrade" in done.stderr
    assert list(out.iterdir()) == []  # no truncated file, no empty folders (they were left)


def test_a_failed_export_keeps_the_previous_one(databases, tmp_path):
    previous = tmp_path / "hsds" / "organizations" / "a.json"
    previous.parent.mkdir(parents=True)
    previous.write_text("{}")
    done = _tasharuk(databases["no server"], "export", "hsds", str(tmp_path / "hsds"))
    assert done.returncode == 1 and NO_ANSWER in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["hsds"]
    assert previous.read_text() == "{}"


def test_a_missing_table_in_a_migrated_database_is_our_fault_and_keeps_its_traceback(
        database_url):
    import psycopg

    from data.dbproblems import explain, libpq_url

    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable) as missing:
            conn.execute("SELECT * FROM no_such_table_of_ours")
        with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
            conn.execute("SET statement_timeout = 1; SELECT pg_sleep(1)")
    assert explain(missing.value, lambda: database_url) is None  # at head: a bug of ours
    assert explain(cancelled.value, lambda: database_url) is None  # it answered: too slow
    assert explain(ValueError("not the database"), lambda: database_url) is None
