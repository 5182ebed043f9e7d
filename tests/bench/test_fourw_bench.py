"""The 4W import benchmark at a tiny scale: it imports every row into a database with the
real boundaries, refuses a database without them (it once measured 100,000 rejections as a
figure), and fails when a row does not import."""

from __future__ import annotations

import argparse

import pytest

from bench import dataset, fourw
from tests.conftest import TEST_DB, shared_path


def _args(database: str, rows: int = 300, source=None) -> argparse.Namespace:
    return argparse.Namespace(rows=rows, scale=1.0, seed=1, database=database,
                              source=source or shared_path("4w", "prot.csv"))


@pytest.fixture
def bare_database():
    """A migrated database with the reference data and no boundaries."""
    name = f"{TEST_DB}__fourw_bare"  # one per test database: parallel runs never share it
    yield dataset.fresh_database(name, boundaries=False)
    dataset.drop_database(name)


def test_every_row_imports_beside_the_floor(database_url, boundaries):
    result = fourw.run(_args(database_url))
    assert result["rows"] == result["rows_imported"] == 300
    assert result["rows_per_second"] > 0 and result["baseline_copy_rows_per_second"] > 0
    assert result["target_rows_per_second"] == 20000
    assert {"cpu_seconds", "server_cpu_seconds", "cpu_over_wall",
            "load_average"} <= set(result)


def test_a_database_without_boundaries_is_refused(bare_database, capsys):
    with pytest.raises(SystemExit) as exc:
        fourw.run(_args(bare_database))
    assert exc.value.code == 2
    assert "no real boundaries" in capsys.readouterr().err


def test_rows_that_do_not_import_fail_the_benchmark(database_url, boundaries, tmp_path):
    lines = shared_path("4w", "prot.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    for name in ("admin1pcode", "admin2pcode", "admin3pcode"):
        cells[header.index(name)] = "SY99"
    for name in ("governorate", "district", "sub_district"):
        cells[header.index(name)] = "Atlantis"
    source = tmp_path / "unplaced.csv"
    source.write_text("\n".join([lines[0], ",".join(cells), *lines[2:10]]) + "\n",
                      encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        fourw.run(_args(database_url, rows=9, source=source))
    assert exc.value.code not in (0, None)
    assert "8 of 9 rows imported" in str(exc.value.code)
