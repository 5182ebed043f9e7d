"""data.db: the search's lean statement runner and every connection's settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from data.db import _numbered, fetch_all

PLACEHOLDERS = [
    ("named", "SELECT :a, :b_2", "SELECT $1, $2", ("a", "b_2")),
    ("a name used twice is one parameter", "SELECT :a, :b, :a", "SELECT $1, $2, $1", ("a", "b")),
    ("a cast is not a placeholder", "SELECT :a::int, CAST(:b AS text)",
     "SELECT $1::int, CAST($2 AS text)", ("a", "b")),
    ("a time inside a literal is not one either", "SELECT '08:00'::time",
     "SELECT '08:00'::time", ()),
]


@pytest.mark.parametrize(("label", "sql", "expected", "names"), PLACEHOLDERS,
                         ids=[p[0] for p in PLACEHOLDERS])
def test_placeholders_become_postgresql_ones(label, sql, expected, names):
    assert _numbered(sql) == (expected.encode(), names)


def test_a_literal_percent_is_text(session):
    assert _numbered("SELECT 'ab' LIKE :p || '%'") == (b"SELECT 'ab' LIKE $1 || '%'", ("p",))
    assert fetch_all(session, "SELECT 'ab' LIKE :p || '%' AS hit", {"p": "a"}) == \
        (["hit"], [(True,)])


def test_rows_are_tuples_in_the_sessions_transaction(session, make):
    org = make.org(name_en="Fetch Test Org")  # flushed, not committed
    cols, rows = fetch_all(session, "SELECT id, name_en, CAST(:ids AS int[]) AS ids "
                           "FROM organization WHERE id = :id", {"id": org.id, "ids": [1, 2]})
    assert cols == ["id", "name_en", "ids"]
    assert rows == [(org.id, "Fetch Test Org", [1, 2])]
    assert fetch_all(session, "SET LOCAL work_mem = '8MB'", {}) == ([], [])


def test_every_connection_keeps_the_plan_cache_and_workers_for_big_queries(engine):
    """data.db's connection settings (see make_engine for why)."""
    from sqlalchemy import text

    from data.db import PARALLEL_SETUP_COST, PLAN_CACHE_MODE

    with engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == PLAN_CACHE_MODE
        assert conn.execute(text("SHOW parallel_setup_cost")).scalar() == \
            str(PARALLEL_SETUP_COST)
        conn.rollback()
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


@pytest.mark.parametrize(("prepare", "prepared"), [(None, True), (False, False)])
def test_fetch_all_prepares_a_repeated_statement_unless_told_not_to(session, prepare, prepared):
    """psycopg prepares a text run five times (PostgreSQL may then keep a generic plan);
    ``prepare=False`` sends it unprepared every time, planned for its parameters."""

    sql = f"SELECT count(*) FROM organization WHERE id > :n -- {prepare}"
    for n in range(7):
        assert fetch_all(session, sql, {"n": n}, prepare=prepare)[1][0][0] >= 0
    statements = session.execute(text(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :s"),
        {"s": f"%-- {prepare}"}).scalar()
    assert bool(statements) is prepared


@pytest.mark.parametrize(("workers", "setting", "expected"), [
    (True, "max_parallel_workers_per_gather", "2"), (False, "max_parallel_workers_per_gather", "0"),
    (True, "jit", "on"), (False, "jit", "off"),
])
def test_the_web_engine_starts_no_parallel_workers_and_compiles_nothing(database_url, workers,
                                                                        setting, expected):
    """Batch engines keep the server's own settings (two workers per gather, JIT on); the web
    (``workers=False``) neither: starting workers cost a search 15-100 ms here, compiling one
    up to 5 s of CPU (issue 20)."""
    from sqlalchemy import text

    from data.db import make_engine

    engine = make_engine(database_url, workers=workers)
    try:
        with engine.connect() as conn:
            shown = conn.execute(text(f"SHOW {setting}")).scalar()
    finally:
        engine.dispose()
    assert shown == expected


@pytest.mark.parametrize(("setting", "expected"),
                         [("max_parallel_workers_per_gather", "0"), ("jit", "off")])
def test_the_app_engine_is_the_one_without_workers(app, setting, expected):
    from sqlalchemy import text

    engine = app.extensions["tasharuk_db"]["engine"]
    try:
        with engine.connect() as conn:
            shown = conn.execute(text(f"SHOW {setting}")).scalar()
    finally:
        engine.dispose()  # (close the pooled connection: nothing else uses this pool here)
    assert shown == expected


def _generic_plans(session, marker: str) -> tuple[int, int]:
    return session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE :s"), {"s": f"%{marker}"}).one()


def test_a_generic_statement_is_planned_once_at_its_first_run(session, make):
    """``generic=True``: prepared at its first run and planned once for every value (no
    plan made for the values first), the same rows, and the connection's plan cache mode
    as it was before."""
    org = make.org()
    sql = "SELECT id FROM organization WHERE id >= :n ORDER BY id LIMIT 1 -- generic once"
    for _ in range(2):
        assert fetch_all(session, sql, {"n": org.id}, generic=True) == (["id"], [(org.id,)])
    assert _generic_plans(session, "-- generic once") == (2, 0)
    assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


def test_outside_a_transaction_the_forced_setting_ends_with_the_statement(engine):
    """In autocommit (the search's path) the setting is forced for the pipeline's implicit
    transaction only: the statement gets its generic plan at its first run, and the
    connection's plan cache mode is its own again after it, with nothing sent to put it
    back."""
    from sqlalchemy.orm import Session as OrmSession

    sql = "SELECT CAST(:n AS int) + 1 -- generic in autocommit"
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with OrmSession(bind=conn) as s:
            for n in (1, 2):
                assert fetch_all(s, sql, {"n": n}, generic=True) == (["?column?"], [(n + 1,)])
                assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
            assert _generic_plans(s, "-- generic in autocommit") == (2, 0)


def test_a_failing_generic_statement_leaves_the_plan_cache_mode_as_it_was(engine):
    """Outside a transaction nothing would undo the forced setting: it is put back."""
    from sqlalchemy.orm import Session as OrmSession

    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        with OrmSession(bind=conn) as s:
            with pytest.raises(Exception, match="division by zero"):
                fetch_all(s, "SELECT 1 / CAST(:z AS int) -- fails", {"z": 0}, generic=True)
            assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
            assert fetch_all(s, "SELECT 1 / CAST(:z AS int) -- fails", {"z": 1},
                             generic=True) == (["?column?"], [(1,)])
