"""Provider search at national scale: 1,000 varied searches through the API, and the floor.

Builds its own database (``tasharuk_bench_search`` next to the configured one) with a fast
COPY-based generator: 5,000 organisations and 100,000 services at ``--scale 1`` (sites in real
sub-districts when ../shared/data boundaries exist), then runs the same searches
(a) through ``GET /api/v1/services`` with the in-process Flask test client, and
(b) as bare SQL over the best index (the floor: a filtered KNN nearest-20 over the composite
GiST index of the search rows, or the coverage lookup for a p-code search), and
(c) the use case's own candidate statement ((b) and (c) prepared exactly when the search
prepares its own, ``referral.search.generic_plan_safe``), after one warm-up pass of every
search (as a server that has run a while), in turns of 50 searches each way, so that the
machine's slow moments fall on all three alike (one search each way in turn slowed the API:
its connection's server process lost the processor's caches to the other one).
Prints p50/p95 of each, the API's over the floor's and the process's peak memory.

    python -m bench search --scale 0.2 [--searches 1000] [--reuse] [--dataset]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

BENCH_DB = "tasharuk_bench_search"
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
BOUNDARIES = [SHARED / "boundaries" / f"syr_adm{n}_cod_ab_20201217.geojson" for n in (1, 2, 3)]
TURN = 50  # searches run one way before the same searches run the next way
WORDS_AR = ["الأمل", "عطاء", "الخير", "النور", "بسمة", "غد", "سوريا", "الرحمة", "شباب", "تنمية",
            "الإغاثة", "الحياة", "البيت", "السلام", "الكرامة", "أيادي", "بناء", "وطن"]
WORDS_EN = ["Amal", "Ataa", "Khair", "Nour", "Basma", "Ghad", "Syria", "Rahma", "Shabab",
            "Development", "Relief", "Hayat", "Bayt", "Salam", "Karama", "Ayadi", "Binaa", "Watan"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the bench database if it already has the data")
    parser.add_argument("--db", default=BENCH_DB,
                        help=f"the database to build or reuse (default {BENCH_DB})")
    parser.add_argument("--dataset", action="store_true",
                        help="run on the shared national data set (bench.dataset) instead of "
                             "this module's own COPY-built one")


def _progress(msg: str) -> None:
    print(f"[bench search] {msg}", file=sys.stderr, flush=True)


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _copy(conn, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples) into ``table`` through psycopg's copy protocol."""
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def _areas(session: Session) -> tuple[list[tuple], dict[str, list[tuple[float, float]]]]:
    """Sub-districts (pcode, population weight) and random points inside each; governorate
    centroids with noise when the boundaries are not loaded."""
    rows = session.execute(text(
        "SELECT pcode, coalesce(population, 50000) FROM admin_area WHERE level = 3 "
        "AND geom IS NOT NULL ORDER BY pcode")).all()
    points: dict[str, list[tuple[float, float]]] = {}
    if rows:
        for pcode, x, y in session.execute(text(
                "SELECT pcode, ST_X(g), ST_Y(g) FROM (SELECT pcode, (ST_Dump("
                "ST_GeneratePoints(geom, 60, 7))).geom AS g FROM admin_area WHERE level = 3 "
                "AND geom IS NOT NULL) d")):
            points.setdefault(pcode, []).append((x, y))
        return [(p, w) for p, w in rows if p in points], points
    rng = random.Random(7)
    govs = session.execute(text("SELECT pcode, ST_X(centroid), ST_Y(centroid), "
                                "coalesce(population, 500000) FROM admin_area "
                                "WHERE level = 1")).all()
    for pcode, x, y, _pop in govs:
        points[pcode] = [(min(42.3, max(35.8, rng.gauss(x, 0.25))),
                          min(37.2, max(32.4, rng.gauss(y, 0.2)))) for _ in range(60)]
    return [(p, pop) for p, _x, _y, pop in govs], points


def build(url: str, scale: float, seed: int, name: str = BENCH_DB) -> dict[str, Any]:
    """Create, migrate and fill the bench database ``name``; return what was made."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from textmatch.arabic import normalize
    bench_url = _with_db(url, name)
    admin = make_engine(_with_db(url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _progress("migrating")
    upgrade(bench_url)
    engine = make_engine(bench_url)
    with Session(engine) as s:
        load_reference(s)
        if all(p.exists() for p in BOUNDARIES):
            from data.io.boundaries import load_boundaries

            _progress("loading the OCHA boundaries")
            load_boundaries(s, BOUNDARIES)
        s.commit()
        areas, points = _areas(s)
        types = s.execute(text("SELECT code, name_ar, name_en, keywords_ar, keywords_en "
                               "FROM service_type ORDER BY code")).all()
        groups = list(s.scalars(text("SELECT code FROM target_group ORDER BY code")))
    rng = random.Random(seed)
    n_orgs, n_services = max(10, int(5000 * scale)), max(100, int(100_000 * scale))
    codes = [a[0] for a in areas]
    weights = [float(a[1]) for a in areas]
    t0 = time.perf_counter()
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        orgs = []
        for i in range(1, n_orgs + 1):
            ar = f"جمعية {rng.choice(WORDS_AR)} {rng.choice(WORDS_AR)} {i}"
            en = f"{rng.choice(WORDS_EN)} {rng.choice(WORDS_EN)} Association {i}"
            acr = "".join(w[0] for w in en.split()[:2]).upper() + str(i)
            orgs.append((i, f"00000000-0000-4000-8000-{i:012d}", ar, en, acr, "verified",
                         rng.choice(["local_ngo", "local_ngo", "charity", "international_ngo"]),
                         normalize(f"{ar} {en} {acr}")))
        _copy(conn, "organization", ("id", "uuid", "name_ar", "name_en", "acronym",
                                     "verification", "org_type", "search_text"), orgs)
        _progress(f"{n_orgs} organisations")
        services, sites, coverage, tgroups = [], [], [], []
        site_id = 0
        for sid in range(1, n_services + 1):
            org = orgs[rng.randrange(n_orgs)]
            code, t_ar, t_en, k_ar, k_en = rng.choice(types)
            area = rng.choices(codes, weights)[0]
            lo = rng.choice([None, None, 0, 5, 12, 18])
            hi = rng.choice([None, None, 17, 59]) if lo is None or lo < 17 else None
            sex = rng.choices(["any", "female", "male"], [8, 3, 1])[0]
            avail = rng.choices(["open", "waitlist", "full"], [6, 3, 1])[0]
            verified = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}" \
                if rng.random() < 0.8 else f"2025-{rng.randint(1, 12):02d}-01"
            name_ar, name_en = f"{t_ar} - {org[2]}", f"{t_en} - {org[3]}"
            langs = "{ar}" if rng.random() < 0.85 else "{ar,ku}"
            services.append((sid, f"10000000-0000-4000-8000-{sid:012d}", org[0], code, name_ar,
                             name_en, lo, hi, sex, rng.choice([None, 20, 50, 100, 300]), avail,
                             langs, verified,
                             normalize(f"{name_ar} {name_en} {org[4]} {k_ar} {k_en}")))
            for _ in range(rng.choice([1, 1, 1, 2])):
                site_id += 1
                x, y = rng.choice(points[area])
                sites.append((site_id, sid, f"SRID=4326;POINT({x:.6f} {y:.6f})",
                              area if len(area) > 4 else None))
            level = rng.choice([8, 6, 4]) if len(area) >= 8 else 4
            coverage.append((sid, area[:level]))
            for g in rng.sample(groups, rng.choice([0, 0, 1, 2, 3])):
                tgroups.append((sid, g))
        _copy(conn, "service", ("id", "uuid", "organization_id", "service_type_code", "name_ar",
                                "name_en", "min_age", "max_age", "sex", "capacity_per_month",
                                "availability", "languages", "last_verified", "search_text"),
              services)
        _progress(f"{n_services} services")
        _copy(conn, "service_target_group", ("service_id", "target_group_code"), tgroups)
        # The search rows' copies of their services' values: one set-based UPDATE after the
        # COPY instead of the per-row trigger (migration 0016_search4)
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE service_site DISABLE TRIGGER service_site_search")
            cur.execute("ALTER TABLE service_coverage DISABLE TRIGGER service_coverage_search")
        _copy(conn, "service_site", ("id", "service_id", "geom", "admin3_pcode"), sites)
        _copy(conn, "service_coverage", ("service_id", "pcode"), coverage)
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE service_site ENABLE TRIGGER service_site_search")
            cur.execute("ALTER TABLE service_coverage ENABLE TRIGGER service_coverage_search")
            cur.execute("SELECT tasharuk_search_refresh(ARRAY(SELECT id FROM service))")
        with conn.cursor() as cur:
            for table in ("organization", "service", "service_site"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))")
        conn.commit()
        with conn.cursor() as cur:
            conn.autocommit = True
            cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    from referral.ranking import refresh_ranking

    with Session(engine) as s:  # the ranking's outcome terms (no referrals here: the prior)
        refresh_ranking(s)
        s.commit()
        s.execute(text("ANALYZE provider_ranking"))
        s.commit()
    engine.dispose()
    _progress(f"{len(sites)} sites, {len(coverage)} coverage rows in "
              f"{time.perf_counter() - t0:.1f} s")
    return {"url": bench_url, "organizations": n_orgs, "services": n_services,
            "sites": len(sites), "boundaries": bool(areas and len(areas[0][0]) > 4)}


def searches(n: int, seed: int, url: str) -> list[dict[str, Any]]:
    """``n`` varied searches: needs, sectors, points, p-codes, groups, radii, keywords."""
    from data.db import make_engine

    engine = make_engine(url)
    with engine.connect() as c:
        types = list(c.scalars(text("SELECT code FROM service_type ORDER BY code")))
        sectors = list(c.scalars(text("SELECT DISTINCT sector_code FROM service_type")))
        groups = list(c.scalars(text("SELECT code FROM target_group")))
        sites = c.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM service_site "
                               "TABLESAMPLE SYSTEM (5) REPEATABLE (7) LIMIT 2000")).all()
        pcodes = list(c.scalars(text("SELECT pcode FROM admin_area ORDER BY pcode")))
    engine.dispose()
    rng = random.Random(seed + 1)
    out = []
    for _ in range(n):
        q: dict[str, Any] = {}
        r = rng.random()
        if r < 0.7:
            q["need"] = rng.choice(types)
        elif r < 0.85:
            q["need"] = rng.choice(sectors)
        place = rng.random()
        if place < 0.6 or place >= 0.85:
            x, y = rng.choice(sites)
            q["lon"], q["lat"] = round(x, 5), round(y, 5)  # a place where people are
            q["radius_m"] = rng.choice([5000, 10000, 25000, 50000])
        if place >= 0.6:
            q["pcode"] = rng.choice(pcodes)
        if rng.random() < 0.4:
            q["group"] = rng.choice(groups)
        if rng.random() < 0.4:
            q["age"] = rng.randint(0, 80)
        if rng.random() < 0.4:
            q["sex"] = rng.choice(["female", "male"])
        if rng.random() < 0.2:
            q["q"] = rng.choice(WORDS_AR + WORDS_EN)
        out.append(q)
    return out


def floor_sql(q: dict, tsquery: str | None = None,
              types: list[str] | None = None) -> tuple[str, dict]:
    """The bare SQL floor for one search: the filtered nearest-20 (or coverage-20) query over
    the same search rows (sites and coverage carrying their services' values).

    ``tsquery``: the keyword as the search resolved it (``keyword_tsquery``), so that both
    match the same services; the floor then tests it on each row through the same index.
    ``types``: what the need stands for; up to ``TYPE_WALKS_MAX`` of them are one parameter
    and one KNN walk each, as the search spells them (so a generic plan knows them too).
    """
    from referral.search import (
        POINT_SQL,
        TYPE_WALKS_MAX,
        WITHIN_SQL,
        SearchQuery,
        filters_sql,
        pcode_range,
        type_params,
        walk_each_type,
    )

    types = types or []
    qy = SearchQuery(lat=q.get("lat"), lon=q.get("lon"), age=q.get("age"), sex=q.get("sex"),
                     groups=[q["group"]] if "group" in q else [], q=q.get("q"),
                     tsquery=tsquery, radius_m=q.get("radius_m", 25000))
    params: dict[str, Any] = type_params(types)
    few = len(types) <= TYPE_WALKS_MAX
    if "lon" in q:
        pt = POINT_SQL
        params.update(lon=q["lon"], lat=q["lat"], radius=qy.radius_m)
        # the radius as the index's box test plus the exact distance (as referral.search does:
        # ST_DWithin's own selectivity guess makes the planner sort every site in the box)
        knn = ("SELECT ss.service_id, ss.geom::geography <-> {pt} AS d FROM service_site ss "
               f"WHERE {{type}} {WITHIN_SQL} AND {filters_sql(qy, params, 'ss')} "
               "ORDER BY ss.geom::geography <-> {pt} LIMIT 20")
        if not types:
            sql = knn.format(pt=pt, type="")
        elif few:  # one KNN walk per service type over the composite index, then merged
            walks = walk_each_type(knn.replace("{pt}", pt), len(types))
            sql = f"SELECT n.service_id, n.d FROM ({walks}) n ORDER BY n.d LIMIT 20"
        else:
            sql = ("SELECT n.service_id, n.d FROM unnest(CAST(:types AS text[])) AS t(code) "
                   "CROSS JOIN LATERAL (" + knn.format(
                       pt=pt, type="ss.service_type_code = t.code AND")
                   + ") n ORDER BY n.d LIMIT 20")
    else:
        # the area's p-codes as the byte range of its prefix (an index range in any plan)
        params["lo"], params["hi"] = pcode_range(q.get("pcode", "SY"))
        type_cond = ""
        if types:
            in_list = ", ".join(f":type{i}" for i in range(len(types)))
            type_cond = (f"sc.service_type_code IN ({in_list}) AND " if few
                         else "sc.service_type_code = ANY(CAST(:types AS text[])) AND ")
        sql = (f"SELECT sc.service_id FROM service_coverage sc WHERE {type_cond}"
               f"sc.pcode ~>=~ :lo AND sc.pcode ~<~ :hi AND {filters_sql(qy, params, 'sc')} "
               "LIMIT 20")
    return sql, params


def _types_for(conn, need: str | None) -> list[str]:
    if need is None:
        return []
    return list(conn.scalars(text("SELECT code FROM service_type WHERE code = :n OR "
                                  "sector_code = :n OR sector_code IN (SELECT code FROM "
                                  "sector WHERE parent_code = :n)"), {"n": need}))


def _pct(values: list[float], p: float) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1], 3)


def kind(q: dict) -> str:
    """A search's shape, for the breakdown: need or none, point, p-code, keyword."""
    return "+".join(["need" if "need" in q else "any"]
                    + [k for k, key in (("point", "lon"), ("pcode", "pcode"), ("keyword", "q"))
                       if key in q])


def by_kind(qs: list[dict], ms: list[float]) -> dict[str, dict[str, float]]:
    """Searches, p50 and p95 (ms) of each kind, slowest p95 first."""
    groups: dict[str, list[float]] = {}
    for q, t in zip(qs, ms, strict=True):
        groups.setdefault(kind(q), []).append(t)
    rows = {k: {"n": len(v), "p50": round(statistics.median(v), 2),
                "p95": round(sorted(v)[min(len(v) - 1, int(0.95 * len(v)))], 2)}
            for k, v in groups.items()}
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["p95"]))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build (or reuse) the data, run the searches both ways, return the figures."""
    from app import create_app
    from data.cluster import database_url, start
    from data.db import make_engine

    base = os.environ.get("DATABASE_URL") or (start() and database_url())
    made = None
    db_name = getattr(args, "db", None) or BENCH_DB
    bench_url = _with_db(base, db_name)
    if getattr(args, "dataset", False):
        from bench.dataset import ensure

        url = ensure(scale=args.scale, seed=args.seed)
        eng = make_engine(url)
        with eng.connect() as c:
            made = {"url": url, "dataset": "bench.dataset",
                    "services": c.scalar(text("SELECT count(*) FROM service")),
                    "sites": c.scalar(text("SELECT count(*) FROM service_site")),
                    "boundaries": bool(c.scalar(text(
                        "SELECT count(*) FROM admin_area WHERE level = 3 AND geom IS NOT NULL")))}
        eng.dispose()
    elif getattr(args, "reuse", False):
        try:
            eng = make_engine(bench_url)
            with eng.connect() as c:
                have = c.scalar(text("SELECT count(*) FROM service"))
            eng.dispose()
            if have:
                eng = make_engine(bench_url)
                with eng.connect() as c:
                    made = {"url": bench_url, "services": have, "reused": True,
                            "sites": c.scalar(text("SELECT count(*) FROM service_site")),
                            "boundaries": bool(c.scalar(text(
                                "SELECT count(*) FROM admin_area WHERE level = 3 "
                                "AND geom IS NOT NULL")))}
                eng.dispose()
        except Exception:  # noqa: BLE001 - no such database yet: build it
            made = None
    if made is None:
        made = build(base, args.scale, args.seed, db_name)
    qs = searches(getattr(args, "searches", 1000), args.seed, made["url"])
    app = create_app({"TESTING": True, "DATABASE_URL": made["url"], "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    urls = ["/api/v1/services?" + urlencode(q) for q in qs]
    engine = make_engine(made["url"], workers=False)  # as the app's engine
    with engine.connect() as conn, Session(bind=conn) as s:
        from werkzeug.datastructures import MultiDict

        from data.db import fetch_all
        from referral.search import build_sql, generic_plan_safe, keyword_tsquery, parse_query

        # (statement, parameters, prepare) per search: the floor and the use case's own
        # candidate SQL, each prepared (so PostgreSQL may keep a generic plan) exactly when
        # the search prepares its candidate statement, and planned for its values otherwise
        floor, ours = [], []
        for q in qs:
            qy = parse_query(s, MultiDict(q))
            prepare = None if generic_plan_safe(qy) else False
            tsq = keyword_tsquery(s, q["q"]) if "q" in q else None
            sql, params = floor_sql(q, tsq, _types_for(conn, q.get("need")))
            floor.append((sql, params, prepare))
            sql, params = build_sql(qy)  # what the API runs after parsing
            ours.append((sql, params, prepare))
        _progress(f"{len(urls)} searches through the API, their floor and their candidate "
                  f"SQL, in turns of {TURN} (the machine's slow moments fall on all three), "
                  "after one pass of each to warm up")
        for u, (fs, fp, fprep), (os_, op, oprep) in zip(urls, floor, ours, strict=True):
            client.get(u)  # warm-up, as a server that has run a while: connections, caches,
            fetch_all(s, fs, fp, prepare=fprep)  # and its common statements prepared
            fetch_all(s, os_, op, prepare=oprep)
        api_ms, api_cpu_ms, floor_ms, search_ms, found, errors = [], [], [], [], 0, 0
        for start_at in range(0, len(urls), TURN):
            turn = slice(start_at, start_at + TURN)
            for u in urls[turn]:
                t, c = time.perf_counter(), time.process_time()
                resp = client.get(u)
                api_ms.append((time.perf_counter() - t) * 1000)
                api_cpu_ms.append((time.process_time() - c) * 1000)
                if resp.status_code != 200:
                    errors += 1
                else:
                    found += bool(resp.get_json()["total"])
            for times, statements in ((floor_ms, floor[turn]), (search_ms, ours[turn])):
                for sql, params, prepare in statements:
                    t = time.perf_counter()
                    fetch_all(s, sql, params, prepare=prepare)
                    times.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    app.extensions["tasharuk_db"]["engine"].dispose()  # the API's pooled connections
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    api_p95, floor_p95 = _pct(api_ms, 95), _pct(floor_ms, 95)
    return {
        "scale": args.scale, "services": made.get("services"), "sites": made.get("sites"),
        "boundaries": made.get("boundaries"), "searches": len(urls),
        "searches_with_results": found, "errors": errors,
        "api_ms": {"p50": _pct(api_ms, 50), "p95": api_p95, "max": round(max(api_ms), 3)},
        "api_cpu_ms": {"p50": _pct(api_cpu_ms, 50), "p95": _pct(api_cpu_ms, 95),
                       "mean": round(statistics.fmean(api_cpu_ms), 3)},
        "floor_sql_ms": {"p50": _pct(floor_ms, 50), "p95": floor_p95,
                         "max": round(max(floor_ms), 3)},
        "search_sql_ms": {"p50": _pct(search_ms, 50), "p95": _pct(search_ms, 95)},
        "p95_ratio_to_floor": round(api_p95 / floor_p95, 2) if floor_p95 else None,
        "api_ms_by_kind": by_kind(qs, api_ms),
        "load_average": round(os.getloadavg()[0], 2),
        "target": {"p95_ms": 10, "ratio": 2},
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.search``: the same as ``python -m bench search``."""
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    print(json.dumps({"benchmark": "search", **run(parser.parse_args(argv))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
