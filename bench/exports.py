"""Exports before and after issue 17 (finding 6): time and memory of one HSDS/GeoJSON download.

``python -m bench exports [--scale 0.1] [--kinds hsds,geojson]`` uses the benchmark data set
(``bench.dataset.ensure``) and, per export kind, measures in one run:

- ``before``: the old way, the whole export built in memory for every call (the zip in a
  ``BytesIO``), as ``GET /api/v1/exports/hsds`` did;
- ``cold``: ``data.io.downloads.build`` into an empty folder (the first call after a change);
- ``cached``: the same call again (every later call until the data change): the data-version
  query and a file lookup;
- ``served``: the cached file read in 64 KB chunks, as the streamed response sends it.

Time is wall-clock seconds (median of ``--repeat``); memory is the peak of Python allocations
(tracemalloc, a separate run so it does not slow the timings). Prints JSON.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kinds", default="hsds,geojson")
    parser.add_argument("--repeat", type=int, default=3)


def before(session: Session, kind: str) -> bytes:
    """The pre-issue-17 download: everything in memory, built on every call."""
    if kind == "hsds":
        from data.io.hsds import export_hsds

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "hsds"
            export_hsds(session, folder)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(folder).as_posix())
            return buf.getvalue()
    from data.io.geojson import export_geojson

    out = io.StringIO()
    export_geojson(session, out)
    return out.getvalue().encode("utf-8")


def _serve(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while chunk := f.read(65536):
            n += len(chunk)
    return n


def _timed(fn: Callable[[], Any], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return round(statistics.median(runs), 3)


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    finally:
        tracemalloc.stop()


def measure(session: Session, kind: str, repeat: int) -> dict[str, Any]:
    """The four figures of one export kind."""
    from data.io.downloads import build

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def cold() -> Path:
            for old in folder.iterdir():
                old.unlink()
            return build(session, folder, kind).path

        def cached() -> Path:
            return build(session, folder, kind).path

        out: dict[str, Any] = {
            "before_s": _timed(lambda: before(session, kind), repeat),
            "cold_s": _timed(cold, repeat),
        }
        path = cold()
        out.update({
            "cached_s": _timed(cached, repeat),
            "served_s": _timed(lambda: _serve(path), repeat),
            "bytes": path.stat().st_size,
            "before_peak_mb": _peak_mb(lambda: before(session, kind)),
            "cold_peak_mb": _peak_mb(cold),
            "cached_peak_mb": _peak_mb(cached),
            "served_peak_mb": _peak_mb(lambda: _serve(path)),
        })
        session.commit()  # releases the build slot's advisory lock
        return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.dataset import ensure
    from data.db import make_engine

    url = ensure(scale=args.scale, seed=args.seed)
    engine = make_engine(url)
    results = {}
    with Session(engine) as session:
        for kind in [k for k in args.kinds.split(",") if k]:
            results[kind] = measure(session, kind, args.repeat)
    engine.dispose()
    return {"scale": args.scale, "repeat": args.repeat, "results": results}
