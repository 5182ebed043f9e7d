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


# The row triggers a bulk load pays for, by the pattern of their names: the sealed-text
# checks (migration 0021) and the change log (0036: every organisation, service and site).
TRIGGERS = {"sealed_text": "%\\_no\\_new\\_plain", "change_log": "%\\_change\\_log%"}


def _copy_s(frames, *, disable: str | None = None) -> tuple[float, int]:
    """Seconds to COPY ``frames`` into an empty database, with the triggers of ``disable``
    (a key of TRIGGERS) turned off to measure what they cost, and how many were off."""
    from sqlalchemy import text

    from data.db import make_engine
    from data.demo import write_frames

    eng = make_engine(fresh_database(DB_NAME))
    disabled = 0
    with Session(eng) as s:
        if disable:
            for table, name in s.execute(text(
                    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                    "WHERE tgname LIKE :pattern"), {"pattern": TRIGGERS[disable]}).all():
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


def _trigger_cost(copies: dict[str | None, list[float]], disabled: dict[str, int],
                  name: str, rows: int) -> dict:
    """What the ``name`` triggers cost: the best COPY with them against the best without."""
    with_s, without_s = min(copies[None]), min(copies[name])
    return {"rows_checked": rows, "triggers": disabled[name],
            "copy_with_s": [round(x, 2) for x in copies[None]],
            "copy_without_s": [round(x, 2) for x in copies[name]],
            "cost_s": round(with_s - without_s, 2),
            "cost_share": round((with_s - without_s) / with_s, 3) if with_s else None,
            "us_per_row": round((with_s - without_s) / rows * 1e6, 1) if rows else None}


def _insert_s(session: Session, table: str, rows: int, *, change_log: bool) -> float:
    """Seconds of one ``INSERT ... SELECT`` of ``rows`` copies of ``table``'s rows, with or
    without its change-log trigger, rolled back: the trigger's cost measured directly."""
    from sqlalchemy import text

    columns = [c for c in session.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = :t AND is_generated = 'NEVER' ORDER BY ordinal_position"),
        {"t": table}).scalars() if c not in ("id", "uuid")]
    uuid = ", uuid" if table == "service" else ""
    values = ", gen_random_uuid()" if table == "service" else ""
    cols = ", ".join(columns)
    try:
        if not change_log:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_change_log"))
        t0 = time.perf_counter()
        session.execute(text(f"INSERT INTO {table} ({cols}{uuid}) SELECT {cols}{values} "
                             f"FROM {table} ORDER BY id LIMIT :n"), {"n": rows})
        return time.perf_counter() - t0
    finally:
        session.rollback()


def _direct_change_log_cost(session: Session) -> dict:
    """The change-log row trigger per inserted service and site, alternated on/off twice."""
    from sqlalchemy import text

    out = {}
    for table in ("service", "service_site"):
        rows = int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
        times: dict[bool, list[float]] = {True: [], False: []}
        for on in (True, False, False, True):
            times[on].append(_insert_s(session, table, rows, change_log=on))
        cost = min(times[True]) - min(times[False])
        out[table] = {"rows": rows, "with_s": [round(x, 2) for x in times[True]],
                      "without_s": [round(x, 2) for x in times[False]],
                      "us_per_row": round(cost / rows * 1e6, 1) if rows else None,
                      "share": round(cost / min(times[True]), 3) if rows else None}
    return out


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
        direct = _direct_change_log_cost(s)
    eng.dispose()
    # the COPY-only baseline with every trigger, and without the sealed-text triggers
    # (`*_no_new_plain`, migration 0021: every case, referral and event row is checked for
    # plain text) or the change-log ones (`*_change_log*`, migration 0036: one log row per
    # organisation, service and site), alternated so that the machine's drift falls on all
    order: list[str | None] = [None, "sealed_text", "change_log", "change_log", "sealed_text",
                               None]
    copies: dict[str | None, list[float]] = {k: [] for k in (None, *TRIGGERS)}
    disabled: dict[str, int] = dict.fromkeys(TRIGGERS, 0)
    for key in order:
        seconds, n = _copy_s(frames, disable=key)
        copies[key].append(seconds)
        if key:
            disabled[key] = max(disabled[key], n)
    drop_database(DB_NAME)
    copy_s = min(copies[None])
    rows = sum(v for k, v in result.counts.items() if isinstance(v, int))
    logged = sum(len(frames[k]) for k in ("orgs", "services", "sites"))
    return {
        "orgs": orgs, "services": services, "rows": rows,
        "load_demo_s": round(load_s, 2),
        "generate_s": result.seconds.get("generate"),
        "baseline": "COPY of the same pre-generated rows into an empty database",
        "baseline_copy_s": round(copy_s, 2),
        "overhead_s": round(load_s - copy_s, 2),
        "sealed_text_triggers": _trigger_cost(copies, disabled, "sealed_text", sum(
            len(frames[k]) for k in ("cases", "referrals", "events"))),
        "change_log_triggers": _trigger_cost(copies, disabled, "change_log", logged),
        "change_log_insert_select": direct,
        "rows_per_s": int(rows / load_s),
        "safe_places_s": round(safe_s, 2), "safe_places": safe,
        "safe_places_share_of_load": round(safe_s / load_s, 3),
        "under_a_minute": load_s < 60,
    }
