"""The gap recomputation analyses the tables it reads when they hold no statistics yet: a
site's first run often follows its first bulk load, and planned without them the loader's
join ran for 13 minutes at national scale instead of a second (data.gapdata)."""

from __future__ import annotations

from sqlalchemy import text

from data.gapdata import GAP_TABLES, analyze_unanalysed


def _has_stats(session, table: str) -> bool:
    return bool(session.scalar(text("SELECT EXISTS (SELECT 1 FROM pg_stats WHERE "
                                    "schemaname = 'public' AND tablename = :t)"), {"t": table}))


def test_a_table_without_statistics_is_analysed_once(session, make):
    make.service()  # an organisation and a service: rows to sample
    session.execute(text("DELETE FROM pg_statistic WHERE starelid IN "
                         "('service'::regclass, 'organization'::regclass)"))
    assert not _has_stats(session, "service")
    done = analyze_unanalysed(session)
    assert {"service", "organization"} <= set(done) <= set(GAP_TABLES)
    assert _has_stats(session, "service") and _has_stats(session, "organization")
    assert "service" not in analyze_unanalysed(session)  # statistics now: left alone


def test_a_table_that_does_not_exist_is_skipped(session):
    assert analyze_unanalysed(session, ("no_such_table",)) == []
