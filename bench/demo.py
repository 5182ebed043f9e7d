"""``python -m bench demo``: time of ``load demo`` at national scale (5,000 organisations,
100,000 services, times ``--scale``), against the raw COPY of the same rows as baseline.

Figure: generation + COPY + index rebuild + commit, as ``tasharuk load demo`` does it, into a
fresh database with the real boundaries (when present). Baseline, measured in the same run:
the same already-generated rows written again by COPY alone into a second fresh database
(the floor that no generator can beat), so ``overhead_s`` is the cost of generating.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy.orm import Session

from .dataset import drop_database, fresh_database

__all__ = ["run"]

ORGS, SERVICES = 5_000, 100_000
DB_NAME = "tasharuk_bench_demo"


def add_arguments(parser) -> None:
    parser.add_argument("--referrals", type=int, default=None,
                        help="referrals (default: load demo's 4 per organisation)")


def run(args) -> dict:
    from data.db import make_engine
    from data.demo import generate, load_demo, write_frames

    orgs = max(1, int(round(ORGS * args.scale)))
    services = max(orgs, int(round(SERVICES * args.scale)))
    today = dt.date.today()
    url = fresh_database(DB_NAME)
    eng = make_engine(url)
    with Session(eng) as s:
        t0 = time.perf_counter()
        result = load_demo(s, orgs=orgs, seed=args.seed, services=services,
                           referrals=args.referrals, today=today, progress=False)
        s.commit()
        load_s = time.perf_counter() - t0
        frames = generate(s, orgs=orgs, seed=args.seed, services=services,
                          referrals=args.referrals, today=today)
    eng.dispose()
    url = fresh_database(DB_NAME)  # empty again, for the COPY-only baseline
    eng = make_engine(url)
    with Session(eng) as s:
        t0 = time.perf_counter()
        write_frames(s, frames, progress=False)
        s.commit()
        copy_s = time.perf_counter() - t0
    eng.dispose()
    drop_database(DB_NAME)
    rows = sum(v for k, v in result.counts.items() if isinstance(v, int))
    return {
        "orgs": orgs, "services": services, "rows": rows,
        "load_demo_s": round(load_s, 2),
        "generate_s": result.seconds.get("generate"),
        "baseline": "COPY of the same pre-generated rows into an empty database",
        "baseline_copy_s": round(copy_s, 2),
        "overhead_s": round(load_s - copy_s, 2),
        "rows_per_s": int(rows / load_s),
        "under_a_minute": load_s < 60,
    }
