"""Fewer round trips per search: no ping on a hot pooled connection, a ping (and a fresh
connection) after idling, and autocommit reads without BEGIN/ROLLBACK."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session


@pytest.fixture
def engine_(database_url):
    from data.db import make_engine

    eng = make_engine(database_url, pool_size=1, max_overflow=0)
    yield eng
    eng.dispose()


def _pid(eng) -> int:
    with eng.connect() as c:
        return c.scalar(text("SELECT pg_backend_pid()"))


def _kill(database_url, pid: int) -> None:
    from data.db import make_engine

    other = make_engine(database_url)
    with other.connect() as c:
        assert c.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    other.dispose()


def test_idle_connection_is_pinged_and_replaced(engine_, database_url, monkeypatch):
    import data.db

    pid = _pid(engine_)
    _kill(database_url, pid)
    monkeypatch.setattr(data.db, "PING_IDLE_S", 0.0)  # everything counts as idle
    assert _pid(engine_) != pid  # the dead connection was pinged, dropped and replaced


def test_hot_connection_is_not_pinged(engine_, database_url):
    pings = []
    engine_.dialect.do_ping = lambda conn: pings.append(conn) or True
    first = _pid(engine_)
    assert _pid(engine_) == first and pings == []  # reused within PING_IDLE_S: no ping


def test_autocommit_reads_sends_no_begin(engine_):
    from data.db import autocommit_reads

    with Session(engine_) as s:
        assert autocommit_reads(s)
        s.execute(text("SELECT 1"))
        raw = s.connection().connection.dbapi_connection
        assert raw.autocommit and raw.info.transaction_status.name == "IDLE"
    with Session(engine_) as s:  # the pooled connection is back to transactions
        s.execute(text("SELECT 1"))
        raw = s.connection().connection.dbapi_connection
        assert not raw.autocommit and raw.info.transaction_status.name == "INTRANS"
        assert not autocommit_reads(s)  # a transaction under way is left alone


def test_autocommit_reads_leaves_connection_bound_sessions_alone(session):
    from data.db import autocommit_reads

    assert not autocommit_reads(session)


def test_planner_knows_word_similarity_is_costly(session):
    """Migration 0010 declares pg_trgm's word similarity COST 100 (it was 1, and keyword
    searches fell to sequential scans of 350 ms instead of a 4 ms GIN BitmapOr)."""
    costs = dict(session.execute(text(
        "SELECT proname, procost FROM pg_proc WHERE proname IN "
        "('word_similarity_op', 'word_similarity_commutator_op')")).all())
    assert costs == {"word_similarity_op": 100, "word_similarity_commutator_op": 100}


def test_keyword_only_search_tests_the_full_text_on_each_row(session, make):
    from referral.search import SearchQuery, build_sql

    sql, params = build_sql(SearchQuery(q="legal aid", lon=36.6, lat=35.9))
    assert "ss.search_tsv @@ to_tsquery('simple', :tsq)" in sql and "kw AS" not in sql
    svc = make.service(name_en="Legal aid clinic", search_text="legal aid clinic",
                       sites=[(36.61, 35.91)])
    rows = session.execute(text(sql), params).all()
    assert svc.id in [r.id for r in rows]
