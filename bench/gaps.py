"""Benchmark of the gap analysis at national scale: ``python -m bench gaps [--scale S]``.

Builds (once per scale) a database ``tasharuk_bench_gaps`` with the real boundaries and 2023
HNO, and synthetic organisations, services, 4W rows, referrals and unmet searches; then times

* ``load_s``: the loader (database -> frames);
* ``recompute_s``: the pandas engine for all three levels (target <= 1 s), with no filter and
  for the protection sector;
* ``sql_s``: the same aggregation written as one SQL query per level (the baseline), and
  whether its figures agree with the engine's;
* ``map_s`` / ``map_bytes``: the level-3 map (target <= 2 s and <= 3 MB), linked and standalone;
* ``page``: the planner's gap pages as served (``PAGE_SELECTIONS``: each level with and
  without sites, two filtered views; the dashboard and its map frame through the app, signed
  in as a planner): bytes (target < 500 KB together at sub-district level with sites) and
  server time (target < 1 s), computed on each request (``uncached``, no recomputation yet),
  then after one nightly recomputation (``recompute_job_s``) its first request
  (``snapshot_first``: the map drawn from the snapshot's table and written) and the next ones
  (``snapshot``: files read); each with the CPU seconds of the app (this process) and of the
  database server per request, so a figure on a shared machine says what the page costs.
  Baselines of the same run: ``sql_baseline_by_level_s`` (the bare SQL of the gap figures)
  and ``page.geometry_baseline`` (each level's polygons read and written as GeoJSON alone).

Runnable as ``python -m bench.gaps`` too. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from matching.reasons import SUPPLY_REASONS

SCALE = {"organizations": 5000, "services": 100_000, "activities": 100_000,
         "referrals": 200_000, "unmet_searches": 20_000}
BENCH_DB = "tasharuk_bench_gaps"
ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))

# The same aggregation as matching.gaps (no filter: every active service of a verified
# organisation, 4W rows but those of rejected or suspended ones, the inter-sector need of the
# latest period), as one SQL statement; :level is 1, 2 or 3.
SQL = """
WITH anc AS (
  SELECT a.pcode, a.level,
    CASE a.level WHEN 1 THEN a.pcode WHEN 2 THEN p.pcode WHEN 3 THEN pp.pcode
                 WHEN 4 THEN ppp.pcode END AS anc1,
    CASE a.level WHEN 2 THEN a.pcode WHEN 3 THEN p.pcode WHEN 4 THEN pp.pcode END AS anc2,
    CASE a.level WHEN 3 THEN a.pcode WHEN 4 THEN p.pcode END AS anc3
  FROM admin_area a LEFT JOIN admin_area p ON p.pcode = a.parent_pcode
  LEFT JOIN admin_area pp ON pp.pcode = p.parent_pcode
  LEFT JOIN admin_area ppp ON ppp.pcode = pp.parent_pcode
  WHERE a.level BETWEEN 1 AND 4
), clip AS (
  SELECT pcode, coalesce(anc3, anc2, anc1) AS eff FROM anc
), leaves AS (
  SELECT anc.* FROM anc WHERE level <= 3 AND NOT EXISTS (
    SELECT 1 FROM admin_area c WHERE c.parent_pcode = anc.pcode AND c.level <= 3)
), cov AS (
  SELECT c.service_id, clip.eff FROM (
    SELECT service_id, pcode FROM service_coverage
    UNION SELECT service_id, admin3_pcode FROM service_site WHERE admin3_pcode IS NOT NULL) c
  JOIN service s ON s.id = c.service_id AND s.status = 'active'
  JOIN organization o ON o.id = s.organization_id AND o.verification = 'verified'
  JOIN clip ON clip.pcode = c.pcode
), pres AS (
  SELECT DISTINCT service_id, leaf FROM (
    SELECT cov.service_id, l.pcode AS leaf FROM cov JOIN leaves l ON l.anc1 = cov.eff
    UNION ALL SELECT cov.service_id, l.pcode FROM cov JOIN leaves l ON l.anc2 = cov.eff
    UNION ALL SELECT cov.service_id, l.pcode FROM cov JOIN leaves l ON l.anc3 = cov.eff) x
), pres_l AS (
  SELECT CASE :level WHEN 1 THEN anc.anc1 WHEN 2 THEN anc.anc2 ELSE anc.anc3 END AS area,
         'o' || s.organization_id AS org, s.id AS service_id,
         coalesce(s.capacity_per_month, 0)::float
           / count(*) OVER (PARTITION BY pres.service_id) AS capacity
  FROM pres JOIN service s ON s.id = pres.service_id JOIN anc ON anc.pcode = pres.leaf
), act_l AS (
  SELECT CASE :level WHEN 1 THEN anc.anc1 WHEN 2 THEN anc.anc2 ELSE anc.anc3 END AS area,
         CASE WHEN a.organization_id IS NOT NULL THEN 'o' || a.organization_id
              ELSE 'n' || lower(trim(a.implementing_org)) END AS org,
         CASE WHEN a.unit = 'people' THEN coalesce(a.reached_total, 0) ELSE 0 END AS reached
  FROM activity a JOIN clip ON clip.pcode = a.pcode JOIN anc ON anc.pcode = clip.eff
  WHERE a.organization_id IS NULL OR a.organization_id NOT IN (
    SELECT id FROM organization WHERE verification IN ('rejected', 'suspended'))
), need_l AS (
  SELECT CASE :level WHEN 1 THEN anc.anc1 WHEN 2 THEN anc.anc2 ELSE anc.anc3 END AS area,
         sum(n.people_in_need) AS pin,
         coalesce(sum(n.severity * n.people_in_need) FILTER (WHERE n.severity IS NOT NULL)
                  / nullif(sum(n.people_in_need) FILTER (WHERE n.severity IS NOT NULL), 0),
                  avg(n.severity)) AS severity
  FROM need n JOIN clip ON clip.pcode = n.pcode JOIN anc ON anc.pcode = clip.eff
  WHERE n.sector_code IS NULL AND n.target_group_code IS NULL
    AND n.period = (SELECT max(period) FROM need)
  GROUP BY 1
), ref_l AS (
  SELECT CASE :level WHEN 1 THEN anc.anc1 WHEN 2 THEN anc.anc2 ELSE anc.anc3 END AS area,
         count(*) AS declined
  FROM referral r JOIN referral_case c ON c.id = r.case_id JOIN clip ON clip.pcode = c.pcode
  JOIN anc ON anc.pcode = clip.eff
  WHERE r.status IN ('declined', 'closed_unmet') AND (r.reason_code = ANY(:supply)
         OR (r.status = 'closed_unmet' AND r.reason_code IS NULL))
  GROUP BY 1
), unmet_l AS (
  SELECT CASE :level WHEN 1 THEN anc.anc1 WHEN 2 THEN anc.anc2 ELSE anc.anc3 END AS area,
         count(*) AS unmet
  FROM unmet_search u JOIN clip ON clip.pcode = u.pcode JOIN anc ON anc.pcode = clip.eff
  GROUP BY 1
), orgs AS (
  SELECT area, count(DISTINCT org) AS organizations FROM (
    SELECT area, org FROM pres_l UNION ALL SELECT area, org FROM act_l) x GROUP BY 1
), figures AS (
  SELECT a.pcode, coalesce(o.organizations, 0) AS organizations,
    coalesce(p.services, 0) AS services, coalesce(p.capacity, 0) AS capacity,
    coalesce(r.reached, 0) AS reached, n.pin AS people_in_need, n.severity,
    coalesce(f.declined, 0) AS declined_referrals, coalesce(u.unmet, 0) AS unmet_searches
  FROM admin_area a
  LEFT JOIN orgs o ON o.area = a.pcode
  LEFT JOIN (SELECT area, count(DISTINCT service_id) AS services, sum(capacity) AS capacity
             FROM pres_l GROUP BY 1) p ON p.area = a.pcode
  LEFT JOIN (SELECT area, sum(reached) AS reached FROM act_l GROUP BY 1) r ON r.area = a.pcode
  LEFT JOIN need_l n ON n.area = a.pcode
  LEFT JOIN ref_l f ON f.area = a.pcode
  LEFT JOIN unmet_l u ON u.area = a.pcode
  WHERE a.level = :level
), scored AS (
  SELECT *, greatest(reached, capacity * 12) AS served FROM figures
)
SELECT pcode, organizations, services, capacity, reached, people_in_need, severity,
  declined_referrals, unmet_searches,
  round((100 * least(greatest(coalesce(severity / 5.0, 0.6), 0), 1)
    * (0.8 * (1 - CASE WHEN people_in_need > 0 THEN least(served / people_in_need, 1)
                       ELSE 1 END)
       + 0.2 * (declined_referrals + unmet_searches)::float
             / (declined_referrals + unmet_searches + 5)))::numeric, 1)::float AS gap_score
FROM scored
ORDER BY (people_in_need > 0 AND organizations = 0) DESC NULLS LAST, gap_score DESC, pcode
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set")
    parser.add_argument("--repeat", type=int, default=3,
                        help="requests of each page after its first (best wall, mean CPU)")


def _bench_url() -> str:
    base = os.environ.get("DATABASE_URL")
    if not base:
        from data.cluster import database_url, start

        start()
        base = database_url()
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_DB}", parts.query, parts.fragment))


def _server_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))


def _counts(scale: float) -> dict[str, int]:
    return {k: max(1, int(v * scale)) for k, v in SCALE.items()}


def build(url: str, scale: float, seed: int, rebuild: bool = False) -> dict[str, int]:
    """Create the bench database (once per scale) and return the row counts."""
    from data.db import make_engine
    from data.io.boundaries import load_boundaries
    from data.io.needs import load_needs
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from data.models import (
        Activity,
        AdminArea,
        Case,
        Organization,
        Referral,
        Service,
        ServiceType,
        TargetGroup,
        UnmetSearch,
        service_coverage,
        service_target_group,
    )

    want = _counts(scale)
    admin = make_engine(_server_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": BENCH_DB})
        if exists and rebuild:
            conn.execute(text(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        have = s.scalar(select(func.count()).select_from(Service))
        if have == want["services"]:
            _verify(s)
            engine.dispose()
            return want
        if have:
            engine.dispose()
            return build(url, scale, seed, rebuild=True)
        rng = random.Random(seed)
        load_reference(s)
        load_boundaries(s, [SHARED / "boundaries" / f"syr_adm{n}_cod_ab_20201217.geojson"
                            for n in (1, 2, 3)])
        load_needs(s, SHARED / "needs" / "hno2023_sector_pin_admin3.csv")
        load_needs(s, SHARED / "needs" / "hno2023_intersector_severity_pin_admin3.csv")
        subs = list(s.scalars(select(AdminArea.pcode).where(AdminArea.level == 3)))
        govs = list(s.scalars(select(AdminArea.pcode).where(AdminArea.level == 1)))
        types = list(s.execute(select(ServiceType.code, ServiceType.sector_code)).all())
        groups = list(s.scalars(select(TargetGroup.code)))
        print(f"building {want} ...", flush=True)
        s.execute(insert(Organization), [
            {"name_ar": f"منظمة {i}", "name_en": f"Organisation {i}"}
            for i in range(want["organizations"])])
        org_ids = list(s.scalars(select(Organization.id)))
        s.execute(insert(Service), [
            {"organization_id": rng.choice(org_ids), "service_type_code": rng.choice(types)[0],
             "name_ar": f"خدمة {i}", "name_en": f"Service {i}",
             "capacity_per_month": rng.randint(5, 300),
             "status": "active" if rng.random() < 0.95 else "inactive"}
            for i in range(want["services"])])
        svc_ids = list(s.scalars(select(Service.id)))
        cover, tg = set(), set()
        for sid in svc_ids:
            if rng.random() < 0.1:
                cover.add((sid, rng.choice(govs)))
            for p in rng.sample(subs, rng.randint(1, 3)):
                cover.add((sid, p))
            for g in rng.sample(groups, rng.randint(0, 2)):
                tg.add((sid, g))
        s.execute(insert(service_coverage), [{"service_id": a, "pcode": b} for a, b in cover])
        s.execute(insert(service_target_group),
                  [{"service_id": a, "target_group_code": b} for a, b in tg])
        s.execute(text("INSERT INTO service_site (service_id, geom, admin3_pcode) "
                       "SELECT sc.service_id, a.centroid, a.pcode FROM service_coverage sc "
                       "JOIN admin_area a ON a.pcode = sc.pcode AND a.level = 3 "
                       "WHERE sc.service_id % 4 = 0"))
        s.execute(insert(Activity), [
            {"organization_id": rng.choice(org_ids) if rng.random() < 0.8 else None,
             "implementing_org": f"partner {rng.randint(1, 500)}",
             "sector_code": (t := rng.choice(types))[1], "service_type_code": t[0],
             "pcode": rng.choice(subs), "unit": "people" if rng.random() < 0.8 else "sessions",
             "period_start": f"2023-{rng.randint(1, 12):02d}-01",
             "reached_total": rng.randint(0, 2000), "fingerprint": f"bench-{i}"}
            for i in range(want["activities"])])
        s.execute(insert(Case), [
            {"organization_id": rng.choice(org_ids), "case_code": f"B{i}",
             "pcode": rng.choice(subs), "target_groups": rng.sample(groups, rng.randint(0, 2))}
            for i in range(want["referrals"])])
        case_ids = list(s.scalars(select(Case.id)))
        states = ["sent", "accepted", "declined", "completed", "closed_unmet", "withdrawn"]
        reasons = ["no_capacity", "not_eligible", "outside_area", "not_offered", "other"]
        rows = []
        for cid in case_ids:
            status = rng.choice(states)
            rows.append({"case_id": cid, "sender_org_id": rng.choice(org_ids),
                         "receiver_org_id": rng.choice(org_ids), "version": 1,
                         "service_type_code": rng.choice(types)[0], "status": status,
                         "reason_code": rng.choice(reasons) if status == "declined" else None})
        s.execute(insert(Referral), rows)
        s.execute(insert(UnmetSearch), [
            {"pcode": rng.choice(subs), "service_type_code": rng.choice(types)[0],
             "target_groups": []} for _ in range(want["unmet_searches"])])
        _verify(s)
        s.commit()
        s.execute(text("ANALYZE"))  # as bench.dataset: no page timed on a plan without them
        s.commit()
    engine.dispose()
    return want


def _verify(session: Session) -> None:
    """Organisations verified, but one in twenty pending (the gap pages leave those out)."""
    session.execute(text("UPDATE organization SET verification = CASE WHEN id % 20 = 0 "
                         "THEN 'pending' ELSE 'verified' END WHERE name_en LIKE 'Organisation %' "
                         "AND verification <> CASE WHEN id % 20 = 0 THEN 'pending' "
                         "ELSE 'verified' END"))
    session.commit()


def _timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(args: argparse.Namespace) -> dict:
    """Build (or reuse) the data set, then time loader, engine, SQL baseline and map."""
    from data.db import make_engine
    from data.gapdata import area_shapes, load_gap_inputs
    from geo.maps import gap_map
    from matching.gaps import GapSelection, compute_gap_levels

    url = _bench_url()
    counts = build(url, args.scale, args.seed, getattr(args, "rebuild", False))
    engine = make_engine(url)
    with Session(engine) as s:
        load_s, data = _timed(lambda: load_gap_inputs(s), repeat=1)
        recompute_s, tables = _timed(lambda: compute_gap_levels(data, GapSelection()))
        sector_s, _ = _timed(lambda: compute_gap_levels(data, GapSelection(
            sector="protection", group="women")))
        sql_s, sql_tables = _timed(lambda: {
            lv: s.execute(text(SQL), {"level": lv, "supply": list(SUPPLY_REASONS)})
            .mappings().all() for lv in (1, 2, 3)})
        worst = 0.0
        for lv in (1, 2, 3):
            ours = tables[lv].set_index("pcode")
            for row in sql_tables[lv]:
                for col in ("organizations", "services", "capacity", "reached",
                            "declined_referrals", "unmet_searches", "gap_score"):
                    worst = max(worst, abs(float(row[col]) - float(ours.loc[row["pcode"], col])))
        shapes = area_shapes(s, 3, web=True)  # as planning.gaps does
        map_s, html = _timed(lambda: gap_map(tables[3], shapes, tolerance_deg=0.0), repeat=1)
        full_s, full = _timed(lambda: gap_map(tables[3], area_shapes(s, 3, web=True),
                                              tolerance_deg=0.0, standalone=True), repeat=1)
        sql_by_level = {}
        for lv in (1, 2, 3):
            seconds, _rows = _timed(lambda lv=lv: s.execute(text(SQL), {
                "level": lv, "supply": list(SUPPLY_REASONS)}).all())
            sql_by_level[f"level{lv}"] = round(seconds, 3)
    engine.dispose()
    page = _page_figures(url, max(1, getattr(args, "repeat", 3)))
    _print_pages(page)
    return {
        "scale": args.scale, "rows": counts,
        "load_s": round(load_s, 3),
        "recompute_s": round(recompute_s, 3), "recompute_protection_s": round(sector_s, 3),
        "sql_baseline_s": round(sql_s, 3), "sql_max_abs_diff": round(worst, 6),
        "sql_baseline_by_level_s": sql_by_level,
        "map_s": round(map_s, 3), "map_bytes": len(html.encode()),
        "standalone_map_s": round(full_s, 3), "standalone_map_bytes": len(full.encode()),
        "targets": {"recompute_s": 1.0, "map_s": 2.0, "map_bytes": 3_000_000},
        "met": {"recompute": recompute_s <= 1.0, "map_time": full_s <= 2.0,
                "map_size": len(full.encode()) <= 3_000_000},
        "areas": {lv: int(len(t)) for lv, t in tables.items()},
        "need_without_presence_l3": int(np.sum(tables[3]["need_without_presence"])),
        "page": page,
    }


# The gap pages measured, as a planner opens them: each level with and without the sites
# layer, and two filtered views (a sector and a group; a sector and a period).
PAGE_SELECTIONS = ("level=1", "level=1&sites=1", "level=2", "level=2&sites=1", "level=3",
                   "level=3&sites=1", "level=3&sites=1&sector=protection&group=women",
                   "level=2&sector=health&period=2023",
                   "level=3&sites=1&sector=gbv&group=children&period=2023-06")


def _sign_in(app, client) -> None:
    """A planner's session on ``client`` (created once in the bench database)."""
    from data.db import db
    from data.models import User
    from network.sessions import start_session

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "planner@bench.gaps"))
        if user is None:
            user = User(email="planner@bench.gaps", name="Bench planner", role="planner",
                        password_hash="!")
            db.session.add(user)
            db.session.flush()
        secret = start_session(db.session, user, client_hint="bench")
        db.session.commit()
        uid = user.id
    with client.session_transaction() as sess:
        sess.update({"_user_id": str(uid), "_fresh": True, "_sid": secret})


def _forget_snapshots(url: str) -> None:
    """Delete the bench database's gap recomputations: the pages compute on each request."""
    from data.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_periodic_defers WHERE job_id IN (SELECT id "
                          "FROM procrastinate_jobs WHERE task_name = 'gaps.recompute')"))
        conn.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    engine.dispose()


class _Meter:
    """Wall and CPU seconds of one request: this process (the app, served in-process by the
    test client) and the database server (its whole process tree: only this bench uses it)."""

    def __init__(self, db_pid: int):
        self.db_pid = db_pid

    def __call__(self, fn):
        from bench.serve import _tree_cpu

        db0, app0, t0 = _tree_cpu(self.db_pid), time.process_time(), time.perf_counter()
        out = fn()
        return out, {"s": time.perf_counter() - t0, "app_cpu_s": time.process_time() - app0,
                     "db_cpu_s": _tree_cpu(self.db_pid) - db0}


def _best(runs: list[dict]) -> dict:
    """The best wall time of ``runs`` and the mean CPU of app and database per request."""
    n = len(runs)
    return {"s": round(min(r["s"] for r in runs), 3),
            "app_cpu_s": round(sum(r["app_cpu_s"] for r in runs) / n, 3),
            "db_cpu_s": round(sum(r["db_cpu_s"] for r in runs) / n, 3)}


def _serve_pages(client, meter: _Meter, repeat: int) -> dict:
    """Each page of ``PAGE_SELECTIONS``: bytes, the first request's figures and the best of
    ``repeat`` after it."""
    out = {}
    for query in PAGE_SELECTIONS:
        for page, path in (("dashboard", f"/gaps/?{query}"), ("map", f"/gaps/map?{query}")):
            runs = []
            for _ in range(1 + repeat):
                resp, run = meter(lambda p=path: client.get(p))
                assert resp.status_code == 200, (path, resp.status_code)
                runs.append(run)
            first = {k: round(v, 3) for k, v in runs[0].items()}
            out[f"{page}?{query}"] = {"bytes": len(resp.get_data()), "first": first,
                                      "again": _best(runs[1:])}
    return out


def _geometry_baseline(url: str) -> dict:
    """The floor of a map: each level's stored web polygons read and written as one GeoJSON
    FeatureCollection, nothing else (seconds, best of three)."""
    import shapely

    from data.db import make_engine
    from data.gapdata import area_shapes
    from geo.maps import MAP_GRID_DEG
    from geo.shapes import simplify

    engine = make_engine(url)
    out = {}
    with Session(engine) as s:
        for level in (1, 2, 3):
            def geojson(lv=level) -> str:
                shapes = area_shapes(s, lv, web=True)
                geoms = simplify(shapely.from_wkb(shapes["wkb"].dropna().to_numpy()), 0.0,
                                 MAP_GRID_DEG)
                return json.dumps({"type": "FeatureCollection", "features": [
                    {"type": "Feature", "geometry": json.loads(g)}
                    for g in shapely.to_geojson(geoms)]})
            seconds, text_ = _timed(geojson)
            out[f"level{level}"] = {"s": round(seconds, 3), "bytes": len(text_.encode())}
    engine.dispose()
    return out


def _page_figures(url: str, repeat: int = 3) -> dict:
    """The gap pages through the app, signed in as a planner: computed on each request (no
    nightly recomputation), then from the snapshot of one recomputation run as the worker
    runs it (its first request makes the map's file, the next ones read it)."""
    import tempfile

    from app import create_app
    from bench.serve import postmaster_pid, recompute_gaps

    folder = Path(tempfile.mkdtemp(prefix="bench-gaps-"))
    meter = _Meter(postmaster_pid(url))
    load_before = os.getloadavg()
    _forget_snapshots(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "SERVER_NAME": None, "TILES_URL": "",
                      "EXPORT_CACHE": str(folder / "export-cache")})
    client = app.test_client()
    _sign_in(app, client)
    client.get("/gaps/?level=1")  # imports pandas, folium, the templates: not a page's cost
    uncached = _serve_pages(client, meter, repeat)
    recompute_s = recompute_gaps(url, folder)
    snapshot = _serve_pages(client, meter, repeat)
    job_parts = _job_parts(app, meter, folder / "job-parts")
    app.extensions["tasharuk_db"]["engine"].dispose()
    pages = {}
    for key, figures in uncached.items():
        snap = snapshot[key]
        pages[key] = {"bytes": figures["bytes"], "uncached": figures["again"],
                      "snapshot_first": snap["first"], "snapshot": snap["again"]}
    sites3 = (pages["dashboard?level=3&sites=1"], pages["map?level=3&sites=1"])
    worst = max(max(p["uncached"]["s"] for p in pages.values()),
                max(p["snapshot_first"]["s"] for p in pages.values()))
    return {
        "pages": pages, "recompute_job_s": recompute_s, "recompute_job_parts": job_parts,
        "geometry_baseline": _geometry_baseline(url),
        "level3_sites": {"total_bytes": sites3[0]["bytes"] + sites3[1]["bytes"],
                         "dashboard_s": sites3[0]["uncached"]["s"],
                         "map_s": sites3[1]["uncached"]["s"]},
        "worst_uncached_or_first_s": worst,
        "targets": {"total_bytes": 500_000, "server_s": 1.0},
        "met": {"weight": sites3[0]["bytes"] + sites3[1]["bytes"] < 500_000,
                "time_uncached": max(p["uncached"]["s"] for p in pages.values()) < 1.0,
                "time_snapshot_first": max(p["snapshot_first"]["s"]
                                           for p in pages.values()) < 1.0,
                "time_snapshot": max(p["snapshot"]["s"] for p in pages.values()) < 1.0},
        "load_average": {"before": round(load_before[0], 2),
                         "after": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }


def _job_parts(app, meter: _Meter, folder: Path) -> dict:
    """The recomputation's parts run again in this process, as the job runs them: the tables
    and the facts (``warm``), then the maps drawn ahead (``predraw``: what drawing them adds
    to the nightly job); wall and CPU seconds of each."""
    from data.db import db
    from jobs.tasks import GAP_LEVELS, job_map_options
    from planning.gapcache import predraw, warm

    with app.app_context():
        read = db.read_session
        sectors: list[str | None] = [None, *read.scalars(text(
            "SELECT code FROM sector WHERE parent_code IS NULL ORDER BY code"))]
        tables, tables_run = meter(lambda: warm(read, folder, "0-0", GAP_LEVELS, sectors))
        options = [job_map_options(lang) for lang in ("ar", "en")]
        drawn, maps_run = meter(lambda: predraw(read, folder, "0-0", tables, options))
    rounded = {k: {f: round(v, 2) for f, v in r.items()} for k, r in
               (("tables_and_facts", tables_run), ("maps", maps_run))}
    return {**rounded, "tables": len(tables), "maps_drawn": drawn}


def _print_pages(page: dict) -> None:
    """Every page's bytes and server time (wall, app + database CPU) as a table on stderr."""
    import sys

    def cell(run: dict) -> str:
        return f"{run['s']:.2f} s ({run['app_cpu_s']:.2f} + {run['db_cpu_s']:.2f})"

    out = [f"{'page':58} {'bytes':>9}  {'computed now':22} {'snapshot, first':22} snapshot"]
    for key, p in page["pages"].items():
        out.append(f"{key:58} {p['bytes']:>9,}  {cell(p['uncached']):22} "
                   f"{cell(p['snapshot_first']):22} {cell(p['snapshot'])}")
    out.append(f"recompute job {page['recompute_job_s']} s; its parts "
               f"{page['recompute_job_parts']}; geometry baseline "
               f"{page['geometry_baseline']}; load {page['load_average']}")
    print("\n".join(out), file=sys.stderr, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.gaps", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    print(json.dumps({"benchmark": "gaps", **run(parser.parse_args())}, ensure_ascii=False))
