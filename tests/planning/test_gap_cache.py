"""The gap pages are served from the last nightly recomputation's snapshot, not recomputed
on every request (issue 20): the same figures until the next run, then the new ones."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select, update

from data.models import Need, Sector
from data.queue import enqueue
from tests.kits.jobs import run_queued

API = "/api/v1/gaps?level=1&sector=protection"


def _idleb_need(client) -> int:
    body = client.get(API).get_json()
    return next(r for r in body["items"] if r["pcode"] == "SY07")["people_in_need"]


def _more_need(session) -> None:
    session.execute(update(Need).where(Need.pcode == "SY07").values(people_in_need=5000))
    session.flush()


def _recompute(app, session) -> None:
    enqueue(session, "gaps.recompute", timestamp=0)
    [(_task, outcome)] = run_queued(app, session, "gaps.recompute")
    assert "level-3.csv" in outcome, outcome


def test_before_the_first_recomputation_every_request_computes(client, session, planner,
                                                               gaps_data):
    assert _idleb_need(client) == 1000
    _more_need(session)
    assert _idleb_need(client) == 5000
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert "Figures computed now from the current data." in page and "as of" not in page
    # when they will not be: the nightly run's time, or the run an admin started
    assert "From the first nightly recomputation (<time" in page
    arabic = client.get("/gaps/?level=1&sector=protection&lang=ar").get_data(as_text=True)
    assert "ابتداءً من أول إعادة حساب ليلية (<time" in arabic
    enqueue(session, "gaps.recompute", timestamp=0)
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert "The figures are being prepared: the first recomputation is queued" in page
    assert "From the first" not in page
    arabic = client.get("/gaps/?level=1&sector=protection&lang=ar").get_data(as_text=True)
    assert "الأرقام قيد الإعداد" in arabic and "ابتداءً من أول" not in arabic


def test_the_nightly_run_is_announced_for_the_next_two_oclock(session):
    import datetime as dt

    from planning.gapcache import first_run

    night = dt.datetime(2026, 12, 7, 1, 59, tzinfo=dt.UTC)
    assert first_run(session, night) == (False, night.replace(hour=2, minute=0))
    morning = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    assert first_run(session, morning)[1] == dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)


def test_pages_keep_the_snapshot_until_the_next_run(app, client, session, planner, gaps_data,
                                                    count_queries):
    _recompute(app, session)
    assert _idleb_need(client) == 1000
    _more_need(session)
    assert _idleb_need(client) == 1000  # the snapshot, not the data of this minute
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert ">1,000<" in page and ">5,000<" not in page
    assert "Figures as of <time" in page and "nightly recomputation" in page  # how old, said
    arabic = client.get("/gaps/?level=1&sector=protection&lang=ar").get_data(as_text=True)
    assert "الأرقام كما في <time" in arabic
    first = client.get("/gaps/map?level=1&sector=protection")
    assert first.status_code == 200 and "SY07" in first.get_data(as_text=True)
    with count_queries() as q:
        again = client.get("/gaps/map?level=1&sector=protection")
    assert again.get_data() == first.get_data()
    # the snapshot's name and the signed-in session; no gap facts or shapes read again
    facts = [st for st in q.statements if any(
        f"FROM {t}" in st for t in ("need", "activity", "admin_area", "service_coverage"))]
    assert q.count < 10 and not facts, q.statements
    _recompute(app, session)
    assert _idleb_need(client) == 5000
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert ">5,000<" in page


def test_the_job_writes_every_level_and_sector_and_they_read_back_equal(app, session,
                                                                        gaps_data):
    from data.io.downloads import gap_cache_folder
    from planning.gapcache import cached_table, snapshot
    from planning.gaps import gap_table, parse_selection

    _recompute(app, session)
    folder = gap_cache_folder(app.config)
    version = snapshot(session)
    tops = session.scalars(select(Sector.code).where(Sector.parent_code.is_(None))).all()
    tables = [p for p in folder.iterdir() if p.name.startswith(f"{version}.table.")]
    assert len(tables) == 3 * (1 + len(tops))
    for args in ({"level": "1", "sector": "protection"}, {"level": "3"}):
        selection = parse_selection(args)
        pd.testing.assert_frame_equal(_missing_as_none(cached_table(session, folder, selection)),
                                      _missing_as_none(gap_table(session, selection)),
                                      check_dtype=False)


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with None for a missing value: JSON reads an all-empty text column back as
    NaN, and pandas' string dtype holds NaN where an object column held None."""
    out = frame.copy()
    for name in out.columns:
        if not pd.api.types.is_numeric_dtype(out[name]):
            column = out[name].astype(object)
            out[name] = column.where(column.notna(), None)
    return out


@pytest.mark.parametrize("query", ["level=5", "sector=nope"])
def test_bad_selections_still_name_the_field_with_a_snapshot(app, client, session, planner,
                                                             query):
    _recompute(app, session)
    resp = client.get(f"/api/v1/gaps?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] in ("level", "sector")


FILTERED = ({"level": "2", "sector": "gbv"}, {"level": "1", "service": "prot_pss"},
            {"level": "3", "sector": "protection", "group": "women"},
            {"level": "1", "sector": "protection", "period": "2023"},
            {"level": "2", "group": "women", "period": "2023-01"},
            {"level": "1", "sector": "protection", "period": "2021"})


def test_filtered_views_come_from_the_snapshots_facts_equal_to_computing_them(
        app, session, gaps_data, count_queries):
    from data.io.downloads import gap_cache_folder
    from planning.gapcache import cached_facts, current
    from planning.gaps import gap_table, parse_selection

    _recompute(app, session)
    folder = gap_cache_folder(app.config)
    snap = current(session, folder)
    for args in FILTERED:
        selection = parse_selection(args)
        with count_queries() as q:
            table, periods = cached_facts(session, folder, selection, snap)
        assert q.count == 0, q.statements  # the job's facts, no database read
        assert periods == ["2023"]
        pd.testing.assert_frame_equal(_missing_as_none(table),
                                      _missing_as_none(gap_table(session, selection)),
                                      check_dtype=False)


def test_the_job_draws_every_levels_and_sectors_maps_the_page_serves(app, client, session,
                                                                      planner, gaps_data,
                                                                      count_queries):
    from data.io.downloads import gap_cache_folder
    from planning.gapcache import snapshot

    _recompute(app, session)
    folder = gap_cache_folder(app.config)
    version = snapshot(session)
    tops = session.scalars(select(Sector.code).where(Sector.parent_code.is_(None))).all()
    maps = {p.name: p.read_bytes() for p in folder.iterdir()
            if p.name.startswith(f"{version}.map.")}
    assert len(maps) == 3 * (1 + len(tops)) * 2 * 2  # levels x sectors x sites x languages
    for query in ("level=1&sector=protection&lang=en", "level=3&sites=1&lang=ar"):
        with count_queries() as q:
            first = client.get(f"/gaps/map?{query}")
        assert first.status_code == 200
        assert first.get_data() in maps.values()  # the job's file, as drawn by the job
        assert not [st for st in q.statements if "admin_area" in st], q.statements
    english = client.get("/gaps/map?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english and "<title>Map of the gap score</title>" in english
    arabic = client.get("/gaps/map?level=1&sector=protection&lang=ar").get_data(as_text=True)
    assert '<html lang="ar"' in arabic and "<title>Map of the gap score</title>" not in arabic


def test_a_snapshot_page_reads_the_facts_ahead_for_the_filtered_views(app, client, session,
                                                                       planner, gaps_data,
                                                                       count_queries):
    from data.io.downloads import gap_cache_folder
    from planning import gapcache

    _recompute(app, session)
    snap = gapcache.current(session, gap_cache_folder(app.config))
    gapcache._inputs_held.clear()  # a process that has not read this snapshot's facts yet
    assert client.get("/gaps/?level=1&lang=en").status_code == 200  # a table the job wrote
    thread = gapcache._preloads[snap.name]
    thread.join(30)
    assert not thread.is_alive() and snap.name in gapcache._inputs_held
    assert gapcache.preload(gap_cache_folder(app.config), snap) is None  # read once
    page = client.get("/gaps/?level=1&sector=gbv&group=women&lang=en")
    assert page.status_code == 200 and "SY07" in page.get_data(as_text=True)


def test_a_run_left_by_a_dead_worker_is_not_announced_as_being_prepared(session):
    """The notice asks what the worker's first queuing asks (gapcache.recompute_known): a
    job 'doing' on a worker with no heartbeat for a minute is not being prepared."""
    from sqlalchemy import text

    from planning.gapcache import first_run

    def running_on_worker_seen(ago: int) -> None:
        worker = session.scalar(text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - "
            "make_interval(secs => :ago)) RETURNING id"), {"ago": ago})
        session.execute(text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id) "
            "VALUES ('default', 'gaps.recompute', '{}', 'doing', :w)"), {"w": worker})

    running_on_worker_seen(60)
    assert first_run(session)[0] is False
    running_on_worker_seen(0)
    assert first_run(session)[0] is True
