"""The national-scale data set for benchmarks, built once into its own database and cached.

5,000 organisations, 100,000 services, 200,000 referrals (about 1,000,000 events), 100,000 4W
activity rows, people in need per sub-district x sector, and the real OCHA boundaries from
``../shared/data/boundaries`` when present (else governorates only). ``--scale`` shrinks every
count. The database (``tasharuk_bench`` on the same server as the app: the local cluster or
``DATABASE_URL``) is rebuilt only when missing, built for another scale/seed, or ``--rebuild``.

    python -m bench.dataset [--scale 0.1] [--seed 1] [--rebuild]
    from bench.dataset import ensure; url = ensure(scale=1.0, seed=1)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["NATIONAL", "drop_database", "ensure", "fresh_database", "server_url"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
BOUNDARY_FILES = tuple(SHARED / "boundaries" / f"syr_adm{n}_cod_ab_20201217.geojson"
                       for n in (1, 2, 3))
NATIONAL = {"orgs": 5_000, "services": 100_000, "referrals": 200_000, "activities": 100_000}
DB_NAME = "tasharuk_bench"
VERSION = 1  # bump when the data set's shape changes, to force a rebuild


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def server_url(name: str = "postgres") -> str:
    """URL of database ``name`` on the app's server (DATABASE_URL, else the local cluster)."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        from data.cluster import database_url, start

        start()
        base = database_url()
    return _with_db(base, name)


def _exists(name: str) -> bool:
    from data.db import make_engine

    eng = make_engine(server_url(), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": name}))
    finally:
        eng.dispose()


def drop_database(name: str) -> None:
    """Drop database ``name`` on the app's server, if it exists."""
    from data.db import make_engine

    eng = make_engine(server_url(), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def fresh_database(name: str, *, boundaries: bool = True) -> str:
    """(Re)create database ``name``: migrated, reference data and (when present) boundaries."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade

    eng = make_engine(server_url(), isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    url = server_url(name)
    upgrade(url)
    eng = make_engine(url)
    with Session(eng) as s:
        load_reference(s)
        if boundaries and all(p.exists() for p in BOUNDARY_FILES):
            from data.io.boundaries import load_boundaries

            load_boundaries(s, list(BOUNDARY_FILES))
        s.commit()
    eng.dispose()
    return url


def _marker(url: str, table: str = "bench_dataset") -> dict | None:
    """What a benchmark wrote in its database's one-row ``table`` when it built it."""
    from data.db import make_engine

    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            if not conn.scalar(text(f"SELECT to_regclass('{table}') IS NOT NULL")):
                return None
            row = conn.execute(text(f"SELECT info FROM {table}")).first()
            return row[0] if row else None
    finally:
        eng.dispose()


def counts_for(scale: float) -> dict[str, int]:
    """The national counts times ``scale`` (at least one organisation)."""
    out = {k: max(1, int(round(v * scale))) for k, v in NATIONAL.items()}
    out["services"] = max(out["services"], out["orgs"])
    return out


def ensure(scale: float = 1.0, seed: int = 1, *, rebuild: bool = False,
           progress: bool = True, name: str = DB_NAME) -> str:
    """URL of the benchmark database for ``scale`` and ``seed``, building it when needed."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    wanted = {"version": VERSION, "scale": scale, "seed": seed}
    if not rebuild and _exists(name):
        url = server_url(name)
        info = _marker(url)
        if info and all(info.get(k) == v for k, v in wanted.items()):
            return url
    return build(name, scale, seed, progress=progress)["url"]


def build(name: str, scale: float, seed: int, *, progress: bool = True) -> dict:
    """Build the data set into a fresh database ``name``; what was built, with timings."""
    from data.db import make_engine
    from data.demo import load_demo

    t0 = time.perf_counter()
    say = (lambda msg: print(msg, file=sys.stderr)) if progress else (lambda msg: None)
    say(f"bench data set: creating database {name} (migrations, reference, boundaries)")
    url = fresh_database(name)
    t1 = time.perf_counter()
    n = counts_for(scale)
    eng = make_engine(url)
    with Session(eng) as s:
        result = load_demo(s, orgs=n["orgs"], seed=seed, services=n["services"],
                           referrals=n["referrals"], activities=n["activities"],
                           progress=progress)
        info = {"version": VERSION, "scale": scale, "seed": seed, "counts": result.counts,
                "fingerprint": result.fingerprint}
        s.execute(text("CREATE TABLE bench_dataset (info jsonb NOT NULL)"))
        s.execute(text("INSERT INTO bench_dataset VALUES (CAST(:i AS jsonb))"),
                  {"i": json.dumps(info)})
        s.commit()
        say("bench data set: vacuuming and analysing tables")
    # VACUUM as well: the covering indexes answer the searches' lists and distances from the
    # index alone only on pages the visibility map marks all-visible (migration 0050), which
    # a live database's autovacuum keeps so; a data set just loaded has none until autovacuum
    # comes by, so the first ``bench serve`` after a build timed a heap visit per row (one run:
    # 7.4 ms a search; 5.3 and 6.4 in the next two, after a VACUUM, on a noisy machine)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    eng.dispose()
    return {"url": url, **info, "seconds": {"database": round(t1 - t0, 1),
                                            "load": round(time.perf_counter() - t1, 1)}}


def run(args) -> dict:
    """``python -m bench dataset``: build (or reuse) the data set and report what it holds."""
    t0 = time.perf_counter()
    url = ensure(args.scale, args.seed, rebuild=getattr(args, "rebuild", False))
    info = _marker(url) or {}
    return {"database": urlsplit(url).path.lstrip("/"), "scale": args.scale,
            "seconds": round(time.perf_counter() - t0, 1), "counts": info.get("counts", {})}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rebuild", action="store_true", help="rebuild even when cached")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    add_arguments(parser)
    args = parser.parse_args(argv)
    print(json.dumps(run(args), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
