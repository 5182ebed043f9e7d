"""``python -m bench demo``: time of ``load demo`` at national scale (5,000 organisations,
100,000 services, times ``--scale``), against the raw COPY of the same rows as baseline.

Figure: generation + COPY + index rebuild + commit, as ``tasharuk load demo`` does it, into a
fresh database with the real boundaries (when present). Then what ``bootstrap`` adds to a
demo it just loaded (``network.demo.add_safe_places``: confidential sites, focal points), timed
on its own as ``safe_places_s``. Baseline, measured in the same run:
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


def _copy_s(frames, *, triggers: bool) -> tuple[float, int]:
    """Seconds to COPY ``frames`` into an empty database (``triggers=False``: with the
    sealed-text triggers disabled, to measure what they cost), and how many were disabled."""
    from sqlalchemy import text

    from data.db import make_engine
    from data.demo import write_frames

    eng = make_engine(fresh_database(DB_NAME))
    disabled = 0
    with Session(eng) as s:
        if not triggers:
            for table, name in s.execute(text(
                    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                    "WHERE tgname LIKE '%\\_no\\_new\\_plain'")).all():
                s.execute(text(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"'))
                disabled += 1
        t0 = time.perf_counter()
        write_frames(s, frames, progress=False)
        s.commit()
        seconds = time.perf_counter() - t0
    eng.dispose()
    return seconds, disabled


def _safe_places_s(s: Session) -> tuple[float, dict]:
    """Seconds ``bootstrap`` spends on the demo's safe places (with a throw-away data key)."""
    from network.demo import add_safe_places
    from referral.crypto import DataCipher, generate_key

    t0 = time.perf_counter()
    done = add_safe_places(s, DataCipher([generate_key()]))
    s.commit()
    return time.perf_counter() - t0, done


def run(args) -> dict:
    from data.db import make_engine
    from data.demo import generate, load_demo

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
        safe_s, safe = _safe_places_s(s)
        frames = generate(s, orgs=orgs, seed=args.seed, services=services,
                          referrals=args.referrals, today=today)
    eng.dispose()
    # the COPY-only baseline, with the sealed-text triggers (`*_no_new_plain`, migration
    # 0021: every case, referral and event row is checked for plain text) and without,
    # alternated twice so that the machine's drift falls on both
    copies: dict[bool, list[float]] = {True: [], False: []}
    disabled = 0
    for triggers in (True, False, False, True):
        seconds, n = _copy_s(frames, triggers=triggers)
        copies[triggers].append(seconds)
        disabled = max(disabled, n)
    drop_database(DB_NAME)
    copy_s = min(copies[True])
    without_s = min(copies[False])
    rows = sum(v for k, v in result.counts.items() if isinstance(v, int))
    return {
        "orgs": orgs, "services": services, "rows": rows,
        "load_demo_s": round(load_s, 2),
        "generate_s": result.seconds.get("generate"),
        "baseline": "COPY of the same pre-generated rows into an empty database",
        "baseline_copy_s": round(copy_s, 2),
        "overhead_s": round(load_s - copy_s, 2),
        "sealed_text_triggers": {
            "rows_checked": sum(len(frames[k]) for k in ("cases", "referrals", "events")),
            "triggers": disabled,
            "copy_with_s": [round(x, 2) for x in copies[True]],
            "copy_without_s": [round(x, 2) for x in copies[False]],
            "cost_s": round(copy_s - without_s, 2),
            "cost_share": round((copy_s - without_s) / copy_s, 3) if copy_s else None},
        "rows_per_s": int(rows / load_s),
        "safe_places_s": round(safe_s, 2), "safe_places": safe,
        "safe_places_share_of_load": round(safe_s / load_s, 3),
        "under_a_minute": load_s < 60,
    }
