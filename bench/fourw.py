"""4W import speed: N rows shaped like prot.csv (its rows repeated with varied numbers), rows
per second and peak memory of ``import_4w`` (dry run), against the raw floor of reading the
same CSV with the csv module and COPYing it into a temporary table.

The import runs in a database with the real boundaries (every row placed, as in use): its
own ``tasharuk_bench_fourw`` (built once with them, like ``bench.dataset``), or
``--database``. Without the boundaries the benchmark refuses (exit 2); should any row not
import, it fails: a figure over rejected rows measures nothing."""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
PROT = SHARED / "4w" / "prot.csv"
DB_NAME = "tasharuk_bench_fourw"
VERSION = 1  # bump when what the database must hold changes, to force a rebuild


class Refused(SystemExit):
    """The benchmark cannot measure here (exit 2), with the reason on stderr."""

    def __init__(self, message: str):
        print(f"bench fourw: {message}", file=sys.stderr)
        super().__init__(2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=PROT)
    parser.add_argument("--database", default=None,
                        help="libpq URL of a database with the real boundaries (default: "
                             f"{DB_NAME} on the app's server, built once)")


def _levels(url: str) -> dict[int, int]:
    """Admin areas with a geometry per level in the database at ``url`` (none when it has
    no schema)."""
    from sqlalchemy import text

    from data.db import make_engine

    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            if not conn.scalar(text("SELECT to_regclass('admin_area') IS NOT NULL")):
                return {}
            return dict(conn.execute(text(
                "SELECT level, count(*) FROM admin_area WHERE geom IS NOT NULL "
                "GROUP BY level")).all())
    finally:
        eng.dispose()


def database(url: str | None = None) -> str:
    """The database to import into: ``url``, else the benchmark's own (migrated to the
    head; built with the reference data and the real boundaries when missing). Refused
    when it lacks the boundaries at admin levels 1-3."""
    from bench import dataset

    if url is None:
        missing = [str(f) for f in dataset.BOUNDARY_FILES if not f.exists()]
        if missing:
            raise Refused(f"the real boundaries are needed and not found: {missing[0]} "
                          "(set TASHARUK_SHARED_DATA to the shared data folder)")
        url = dataset.server_url(DB_NAME)
        info = dataset._marker(url, "bench_fourw") if dataset._exists(DB_NAME) else None
        if info and info.get("version") == VERSION:
            from data.migrate import upgrade

            upgrade(url)
        else:
            from sqlalchemy import text

            from data.db import make_engine

            url = dataset.fresh_database(DB_NAME)
            eng = make_engine(url)
            with eng.begin() as conn:
                conn.execute(text("CREATE TABLE bench_fourw (info jsonb NOT NULL)"))
                conn.execute(text("INSERT INTO bench_fourw VALUES (CAST(:i AS jsonb))"),
                             {"i": json.dumps({"version": VERSION})})
            eng.dispose()
        where = DB_NAME
    else:
        where = "the database given (--database)"
    levels = _levels(url)
    if not all(levels.get(level) for level in (1, 2, 3)):
        raise Refused(f"{where} holds no real boundaries (admin areas with a geometry per "
                      f"level: {levels or 'none'}): every row would be rejected. Load them "
                      "with `tasharuk load boundaries "
                      "../shared/data/boundaries/syr_adm{1,2,3}_cod_ab_20201217.geojson`, "
                      "or leave --database out.")
    return url


def build(source: Path, rows: int, out: Path, seed: int = 1) -> None:
    """Write ``rows`` rows: the source's rows cycled, with people counts varied."""
    rng = random.Random(seed)
    with source.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        base = list(reader)
    total = header.index("total_reached")
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            row = list(base[i % len(base)])
            row[total] = str(rng.randint(1, 500))
            writer.writerow(row)


def _backend_cpu(cur) -> float | None:
    """CPU seconds used so far by the database backend of ``cur`` (a local server whose
    /proc we may read), else None: with the client's CPU, a figure the machine's load
    barely moves, unlike wall time on a shared machine."""
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rate(n: int, seconds: float | None) -> int | None:
    return round(n / seconds) if seconds else None


def run(args) -> dict:
    from app import create_app
    from data.db import db
    from data.io.fourw import import_4w

    n = int(getattr(args, "rows", 100_000) * getattr(args, "scale", 1.0))
    source = getattr(args, "source", PROT)
    if not source.exists():
        raise Refused(f"no source file {source} (set TASHARUK_SHARED_DATA to the shared "
                      "data folder)")
    url = database(getattr(args, "database", None))
    app = create_app({"DATABASE_URL": url})
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        path = Path(tmp) / "prot_bench.csv"
        build(source, n, path, getattr(args, "seed", 1))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            from sqlalchemy import text

            conn.execute(text("VACUUM activity"))  # the dead rows of earlier runs
        # baseline: parse the CSV and COPY the raw rows, nothing resolved
        cur = db.session.connection().connection.driver_connection.cursor()
        t0, c0, s0 = time.perf_counter(), time.process_time(), _backend_cpu(cur)
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            cur.execute("CREATE TEMP TABLE _raw (" + ", ".join(
                f'"c{i}" text' for i in range(len(header))) + ")")
            with cur.copy("COPY _raw FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(row)
        s1 = _backend_cpu(cur)
        floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0
        floor_server = None if s0 is None or s1 is None else s1 - s0
        db.session.rollback()
        cur = db.session.connection().connection.driver_connection.cursor()
        t0, c0, s0 = time.perf_counter(), time.process_time(), _backend_cpu(cur)
        report = import_4w(db.session, path, period="2023-01", accept_partial=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        s1 = _backend_cpu(db.session.connection().connection.driver_connection.cursor())
        server = None if s0 is None or s1 is None else s1 - s0
        db.session.rollback()  # the benchmark keeps nothing
        if report.rows_imported != n:
            db.session.close()
            db.engine.dispose()
            first = (report.rejected or [None])[0]
            raise SystemExit(
                f"bench fourw: {report.rows_imported} of {n} rows imported; the figure would "
                "measure rejections, not imports"
                + (f" (first: row {first.row}, column {first.column!r}: {first.problem})"
                   if first else ""))
        # peak Python memory, measured in a second (dry) run: tracemalloc slows Python down
        tracemalloc.start()
        import_4w(db.session, path, period="2023-01", dry_run=True, accept_partial=True)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.rollback()
        db.session.close()
        db.engine.dispose()
        size = path.stat().st_size
    return {"rows": n, "rows_imported": report.rows_imported,
            "rows_per_second": round(n / elapsed), "seconds": round(elapsed, 2),
            "rows_per_cpu_second": round(n / cpu), "cpu_seconds": round(cpu, 2),
            "peak_memory_mb": round(peak / 2**20, 1), "file_mb": round(size / 2**20, 1),
            "baseline_copy_rows_per_second": round(n / floor), "target_rows_per_second": 20000,
            # client + database CPU: comparable between runs whatever the machine's load
            "server_cpu_seconds": None if server is None else round(server, 2),
            "rows_per_total_cpu_second": _rate(n, None if server is None else cpu + server),
            "baseline_copy_rows_per_total_cpu_second": _rate(
                n, None if floor_server is None else floor_cpu + floor_server),
            # client + database CPU over wall: above 1 when the database works while Python
            # does; 1 or less when they take turns, or when the machine's load starves both
            "cpu_over_wall": None if server is None else round((cpu + server) / elapsed, 2),
            "database": urlsplit(url).path.lstrip("/"),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    add_arguments(p)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    print(json.dumps(run(p.parse_args()), ensure_ascii=False))
