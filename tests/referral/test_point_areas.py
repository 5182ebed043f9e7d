"""The search's point-to-area question answered from polygons held in process
(``data.point_areas``): the same answers as the database's, read again once a minute per
engine by one background thread while the old polygons answer, dropped at once by a boundary
import, and never used by a session bound to a connection (a test's rolled-back transaction
asks the database). The taxonomy is held the same way (``data.refreshing``)."""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from data.errors import BadInput


def _square(x0, y0, width, height):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + width, y0],
                                                [x0 + width, y0 + height],
                                                [x0, y0 + height], [x0, y0]]]}


def _layer(tmp_path, name, level, areas):
    """A GeoJSON boundary file: ``areas`` is [(pcode, parent, geometry)]."""
    feats = []
    for pcode, parent, geometry in areas:
        props = {f"ADM{level}_PCODE": pcode, f"ADM{level}_EN": f"Area {pcode}",
                 f"ADM{level}_AR": f"منطقة {pcode}"}
        if parent:
            props[f"ADM{level - 1}_PCODE"] = parent
        feats.append({"type": "Feature", "properties": props, "geometry": geometry})
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


# Idleb as a 1° square; two districts side by side (edge at 36.5); a sub-district in the
# lower half of each, so the upper half falls back to its district.
def _files(tmp_path, centre=(36.0, 35.0)):
    return [_layer(tmp_path, "adm1.geojson", 1, [("SY07", None, _square(36, 35, 1, 1))]),
            _layer(tmp_path, "adm2.geojson", 2, [("SY0700", "SY07", _square(36, 35, .5, 1)),
                                                 ("SY0701", "SY07", _square(36.5, 35, .5, 1))]),
            _layer(tmp_path, "adm3.geojson", 3, [
                ("SY070000", "SY0700", _square(*centre, .5, .5)),
                ("SY070100", "SY0701", _square(36.5, 35, .5, .5))])]


@pytest.fixture
def site(scratch_db, tmp_path):
    """An engine on a scratch database whose boundaries are committed."""
    from data.db import make_engine
    from data.io.boundaries import load_boundaries
    from data.io.reference import load_reference
    from data.migrate import upgrade

    url = scratch_db("tasharuk_point_areas")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        s.execute(text("DELETE FROM admin_area"))
        load_reference(s)
        load_boundaries(s, _files(tmp_path))
        s.commit()
    yield engine
    engine.dispose()


def _until(check, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def _no_background_read() -> bool:
    return not any(t.name.startswith("read ") for t in threading.enumerate())


def _area(session, lon, lat):
    from referral.search import check_point

    try:
        return check_point(session, lon, lat)
    except BadInput as exc:
        return ("refused", str(exc), exc.details["field"])


def test_the_cached_polygons_answer_as_the_database(site):
    from data.point_areas import point_areas

    rng = random.Random(7)
    points = [(rng.uniform(35.7, 37.3), rng.uniform(34.7, 36.3)) for _ in range(400)]
    points += [(36.2, 35.2), (36.2, 35.8), (36.0, 35.0), (37.0, 36.0), (41.0, 34.0)]
    with site.connect() as conn, Session(bind=conn) as by_sql, Session(site) as cached:
        index = point_areas(cached)
        assert index is not None and point_areas(cached) is index  # read once, then held
        assert point_areas(by_sql) is None  # bound to a connection: the database answers
        assert len(index) == 5 and index.bounded
        assert [_area(cached, *p) for p in points] == [_area(by_sql, *p) for p in points]
        assert _area(cached, 36.2, 35.8) == "SY0700"  # no sub-district there: its district
        assert _area(cached, 41.0, 34.0) == ("refused", "This point is outside Syria's "
                                             "boundaries.", "lat")
        # on the shared edge both sub-districts contain the point: the lowest p-code wins
        assert _area(cached, 36.5, 35.2) == "SY070000"
        assert _area(by_sql, 36.5, 35.2) in ("SY070000", "SY070100")


def test_a_committed_change_is_seen_when_the_minute_is_over(site, monkeypatch):
    import data.point_areas
    from data.point_areas import point_areas

    with Session(site) as s:
        assert _area(s, 36.2, 35.2) == "SY070000"
        s.execute(text("UPDATE admin_area SET geom = ST_Multi(ST_MakeEnvelope("
                       "36, 35.5, 36.5, 36, 4326)) WHERE pcode = 'SY070000'"))
        s.commit()  # written past the import (a script): other processes' rule applies
        assert _area(s, 36.2, 35.2) == "SY070000"  # within the minute: the polygons held
        held = point_areas(s)
        monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 0.0)
        assert point_areas(s) is held  # the minute is over: read again in the background
        monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 60.0)
        _until(lambda: point_areas(s) is not held)
        assert _area(s, 36.2, 35.2) == "SY0700"  # read again: moved north
        assert _area(s, 36.2, 35.8) == "SY070000"
    _until(_no_background_read)


def test_old_polygons_answer_at_once_while_one_thread_reads_them_again(site, monkeypatch):
    """Many requests finding the polygons a minute old (threads of one app process) get the
    old ones without waiting, and one background thread reads them again."""
    import data.point_areas
    from data.point_areas import point_areas

    real, reads, gate = data.point_areas.load_point_areas, [], threading.Event()

    def counted(engine):
        reads.append(threading.current_thread().name)
        gate.wait(10)  # the read takes as long as the test needs
        return real(engine)

    with Session(site) as s:
        held = point_areas(s)
    monkeypatch.setattr(data.point_areas, "load_point_areas", counted)
    monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 0.0)  # held: old now

    def lookup(_n):
        with Session(site) as s:
            return point_areas(s), _area(s, 36.2, 35.2)

    try:
        with ThreadPoolExecutor(8) as pool:
            asked = [pool.submit(lookup, n) for n in range(32)]
            _done, waiting = wait(asked, timeout=5)
            assert not waiting  # nobody waited for the read under way
            assert all(f.result()[0] is held and f.result()[1] == "SY070000" for f in asked)
        assert reads == ["read admin polygons"]  # one read, in the background
    finally:
        gate.set()
    monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 60.0)
    with Session(site) as s:
        _until(lambda: point_areas(s) is not held)  # replaced when ready
    _until(_no_background_read)
    assert len(reads) == 1


def test_the_first_read_is_made_by_one_request_the_others_wait_for_it(site, monkeypatch):
    import data.point_areas
    from data.point_areas import point_areas

    real, reads = data.point_areas.load_point_areas, []

    def counted(engine):
        reads.append(threading.current_thread().name)
        time.sleep(0.2)  # the others ask meanwhile
        return real(engine)

    monkeypatch.setattr(data.point_areas, "load_point_areas", counted)

    def lookup(_n):
        with Session(site) as s:
            return point_areas(s)

    with ThreadPoolExecutor(8, thread_name_prefix="request") as pool:
        found = list(pool.map(lookup, range(8)))
    assert found[0] is not None and all(index is found[0] for index in found)
    assert len(reads) == 1 and reads[0].startswith("request")  # read by the asking request


def test_a_read_under_way_when_boundaries_are_imported_is_not_kept(site, tmp_path,
                                                                   monkeypatch):
    """A background read that began before a boundary import holds the old polygons: it is
    thrown away, and the import's new polygons stay."""
    import data.point_areas
    from data.io.boundaries import load_boundaries
    from data.point_areas import point_areas

    real, reads, gate = data.point_areas.load_point_areas, [], threading.Event()

    def slow(engine):
        index = real(engine)
        reads.append(index)
        if len(reads) == 1:  # the background read has read the old polygons: it waits
            gate.wait(10)
        return index

    moved = tmp_path / "moved"
    moved.mkdir()
    with Session(site) as other, Session(site) as importing:
        held = point_areas(other)
        monkeypatch.setattr(data.point_areas, "load_point_areas", slow)
        monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 0.0)
        try:
            assert point_areas(other) is held
            _until(lambda: len(reads) == 1)
            monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 60.0)
            load_boundaries(importing, _files(moved, centre=(36.0, 35.5)))
            importing.commit()
            assert _area(other, 36.2, 35.2) == "SY0700"  # the new polygons, read at once
        finally:
            gate.set()
        _until(_no_background_read)
        assert len(reads) == 2
        assert _area(other, 36.2, 35.2) == "SY0700"  # the old read was not kept
        assert _area(other, 36.2, 35.8) == "SY070000"


def test_a_failed_background_read_keeps_the_old_polygons(site, monkeypatch, caplog):
    """A read that fails (the database restarting) leaves the old polygons answering, is
    logged, and is tried again after ``RETRY_S``, not at every request."""
    import data.point_areas
    import data.refreshing
    from data.point_areas import point_areas

    real, reads = data.point_areas.load_point_areas, []

    def failing_once(engine):
        reads.append(threading.current_thread().name)
        if len(reads) == 1:
            raise RuntimeError("the database is restarting")
        return real(engine)

    with Session(site) as s:
        held = point_areas(s)
        monkeypatch.setattr(data.point_areas, "load_point_areas", failing_once)
        monkeypatch.setattr(data.refreshing, "RETRY_S", 2.0)
        monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 0.0)  # held: old now
        assert point_areas(s) is held
        _until(_no_background_read)
        assert "reading admin polygons again failed" in caplog.text
        for _ in range(20):  # within RETRY_S: the old polygons, and no read started
            assert point_areas(s) is held and _area(s, 36.2, 35.2) == "SY070000"
        assert reads == ["read admin polygons"]
        _until(lambda: point_areas(s) is not held)  # tried again after RETRY_S
        monkeypatch.setattr(data.point_areas, "POINT_AREAS_TTL_S", 60.0)
        assert reads[:2] == ["read admin polygons"] * 2
    _until(_no_background_read)


def test_the_taxonomy_is_read_again_in_the_background(site, monkeypatch):
    import referral.search
    from referral.search import taxonomy

    with Session(site) as s:
        held = taxonomy(s)
        monkeypatch.setattr(referral.search, "TAXONOMY_TTL_S", 0.0)
        assert taxonomy(s) is held  # old: still answers while it is read again
        monkeypatch.setattr(referral.search, "TAXONOMY_TTL_S", 60.0)
        _until(lambda: taxonomy(s) is not held)
        assert taxonomy(s) == held and "prot_pss" in held["types"]
    _until(_no_background_read)


def test_a_boundary_import_drops_its_process_cache_at_once(site, tmp_path):
    from data.io.boundaries import load_boundaries
    from data.point_areas import point_areas

    moved = tmp_path / "moved"
    moved.mkdir()
    with Session(site) as other, Session(site) as importing:
        assert _area(other, 36.2, 35.2) == "SY070000"
        held = point_areas(other)
        load_boundaries(importing, _files(moved, centre=(36.0, 35.5)))
        # the importing session sees its own uncommitted polygons (it asks the database)
        assert point_areas(importing) is None
        assert _area(importing, 36.2, 35.2) == "SY0700"
        assert _area(other, 36.2, 35.2) == "SY070000"  # not committed: the old polygons
        importing.commit()
        assert point_areas(other) is not held  # dropped at the commit, not a minute later
        assert _area(other, 36.2, 35.2) == "SY0700"
        assert _area(other, 36.2, 35.8) == "SY070000"


def test_a_test_transaction_never_uses_the_cache(session):
    from data.point_areas import point_areas

    assert point_areas(session) is None  # bound to the test's connection


@pytest.mark.shared_data
def test_real_boundaries_cached_as_the_database_places_them(engine, session, boundaries):
    """The OCHA polygons held in process place 1,000 points in the bounding box as PostGIS
    does (the test database's boundaries are committed once per run)."""
    from referral.search import SYRIA_BBOX

    rng = random.Random(11)
    lon0, lat0, lon1, lat1 = SYRIA_BBOX
    points = [(round(rng.uniform(lon0, lon1), 5), round(rng.uniform(lat0, lat1), 5))
              for _ in range(1000)]
    from data.point_areas import point_areas

    with Session(engine) as cached:
        assert point_areas(cached) is not None
        assert [_area(cached, *p) for p in points] == [_area(session, *p) for p in points]


def test_the_index_leaves_out_deeper_levels_and_missing_polygons():
    from geo.shapes import AreaIndex

    empty = AreaIndex([], [], np.empty(0, dtype=object))
    assert empty.locate(36.0, 35.0) is None and not empty.bounded and len(empty) == 0
    box = shapely.box(36, 35, 37, 36)
    index = AreaIndex(["SY07", "SY0700", "SY070000", "SY07000001"], [1, 2, 3, 4],
                      np.array([box, box, None, box], dtype=object))
    assert len(index) == 2 and index.bounded
    assert index.locate(36.5, 35.5) == "SY0700" and index.locate(38.0, 35.5) is None
