"""The benchmark entry point and the cached national-scale data set (at a tiny scale)."""

from __future__ import annotations

import argparse
import json
import re

import pytest
from sqlalchemy import text

from bench import dataset
from bench.__main__ import main
from tests.conftest import TEST_DB

NAME = f"{TEST_DB}__bench_pytest"  # one per test database: parallel runs never share it


@pytest.fixture
def bench_db():
    yield NAME
    from data.db import make_engine

    eng = make_engine(dataset.server_url(), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
    eng.dispose()


def _counts(url: str) -> dict[str, int]:
    from data.db import make_engine

    eng = make_engine(url)
    with eng.connect() as conn:
        out = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
               ("organization", "service", "referral", "activity", "need", "referral_event")}
    eng.dispose()
    return out


def test_entry_point_lists_the_benchmarks(capsys):
    assert main(["list"]) == 0
    names = capsys.readouterr().out.split()
    assert {"dataset", "demo"} <= set(names)
    assert main(["nope"]) == 2


def test_dataset_is_built_once_and_rebuilt_for_another_seed(bench_db):
    url = dataset.ensure(scale=0.001, seed=1, name=bench_db, progress=False)
    counts = _counts(url)
    assert counts["organization"] == 5
    assert counts["service"] == 100
    assert counts["referral"] == 200
    assert counts["activity"] == 100
    assert counts["need"] > 0
    assert counts["referral_event"] > 600  # about five events per referral
    from data.db import make_engine

    eng = make_engine(url)
    with eng.connect() as conn:  # vacuumed: the searches' index-only scans skip the heap
        pages = dict(conn.execute(text(
            "SELECT relname, relallvisible = relpages AND relpages > 0 FROM pg_class "
            "WHERE relname IN ('service_site', 'service_coverage', 'service')")).all())
    assert pages == {"service_site": True, "service_coverage": True, "service": True}
    with eng.begin() as conn:  # a mark that a rebuild would wipe
        conn.execute(text("INSERT INTO bench_dataset VALUES ('{\"mark\": 1}')"))
    eng.dispose()
    assert dataset.ensure(scale=0.001, seed=1, name=bench_db, progress=False) == url
    assert _marks(url) == 1  # cached: not rebuilt
    dataset.ensure(scale=0.001, seed=2, name=bench_db, progress=False)
    assert _marks(url) == 0  # another seed: rebuilt


def _marks(url: str) -> int:
    from data.db import make_engine

    eng = make_engine(url)
    with eng.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM bench_dataset WHERE info ? 'mark'"))
    eng.dispose()
    return n


def test_demo_benchmark_prints_figure_and_baseline():
    from bench import demo

    args = argparse.Namespace(scale=0.0004, seed=1, referrals=10)
    result = demo.run(args)
    json.dumps(result)
    assert result["orgs"] == 2 and result["services"] == 40
    assert result["load_demo_s"] > 0 and result["baseline_copy_s"] > 0
    assert "COPY" in result["baseline"]
    sealed = result["sealed_text_triggers"]  # the same COPY with and without them
    assert sealed["triggers"] == 3 and sealed["rows_checked"] > 0
    assert len(sealed["copy_with_s"]) == len(sealed["copy_without_s"]) == 2
    logged = result["change_log_triggers"]  # organisations, services and sites (0036)
    assert logged["triggers"] == 6 and logged["rows_checked"] >= 42
    assert len(logged["copy_with_s"]) == len(logged["copy_without_s"]) == 2
    direct = result["change_log_insert_select"]  # the row trigger by INSERT ... SELECT
    assert direct["service"]["rows"] == 40 and len(direct["service_site"]["with_s"]) == 2
    assert not dataset._exists(demo.DB_NAME)  # cleaned up


@pytest.mark.slow
@pytest.mark.shared_data
def test_search_benchmark_prints_figures_floor_and_kinds():
    """At a tiny scale: the API figures, the bare-SQL floor of the same searches in the same
    run, the use case's own SQL, and the breakdown by kind of search."""
    from bench import search
    from tests.conftest import shared_path

    shared_path("boundaries", "syr_adm3_cod_ab_20201217.geojson")  # sites in real areas
    name = f"{TEST_DB}__bench_search_pytest"
    args = argparse.Namespace(scale=0.002, seed=1, searches=60, reuse=False, dataset=False,
                              db=name)
    try:
        result = search.run(args)
    finally:
        from data.db import make_engine

        eng = make_engine(dataset.server_url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
    json.dumps(result)
    assert result["services"] == 200 and result["boundaries"] is True
    assert result["searches"] == 60 and result["errors"] == 0
    assert result["searches_with_results"] > 5
    for key in ("api_ms", "floor_sql_ms", "search_sql_ms"):
        assert 0 < result[key]["p50"] <= result[key]["p95"]
    kinds = result["api_ms_by_kind"]
    assert sum(k["n"] for k in kinds.values()) == 60
    assert all(re.fullmatch(r"(need|any)(\+point)?(\+pcode)?(\+keyword)?", k) for k in kinds)
    assert result["p95_ratio_to_floor"] > 0 and result["target"] == {"p95_ms": 10, "ratio": 2}
