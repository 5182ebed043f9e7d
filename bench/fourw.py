"""4W import speed: N rows shaped like prot.csv (its rows repeated with varied numbers), rows
per second and peak memory of ``import_4w`` (dry run), against the raw floor of reading the
same CSV with the csv module and COPYing it into a temporary table."""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
PROT = SHARED / "4w" / "prot.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=PROT)


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
    app = create_app()
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        path = Path(tmp) / "prot_bench.csv"
        build(args.source, n, path, getattr(args, "seed", 1))
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
        # peak Python memory, measured in a second (dry) run: tracemalloc slows Python down
        tracemalloc.start()
        import_4w(db.session, path, period="2023-01", dry_run=True, accept_partial=True)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.rollback()
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
            "load_average": [round(x, 2) for x in os.getloadavg()]}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    add_arguments(p)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    import json

    print(json.dumps(run(p.parse_args()), ensure_ascii=False))
