"""The gap tables and maps kept as files per snapshot, so a gap page is not recomputed on
every request.

Why: at national scale a gap table reads every service, coverage row, 4W activity, need and
failed referral (1-10 s) and its map draws every polygon; at 5 % of the requests the gap map
held the server's threads for most of a load test. The figures are a planning view of the
nightly recomputation (``gaps.recompute``), so its run is the *snapshot*: a table or map is
computed once per selection after each run, written under the snapshot's name, then read
from the file. The job itself writes every level x top-level sector table and map (sites or
not, Arabic and English) ahead, and the facts it read (``GapInputs``, every sector): any other
selection (a sub-sector, a service type, a group, a period) is the pure engine run on those
facts, without reading the database, so its figures are those of the snapshot and equal to a
computation from the database at the time of the run. Referral outcomes and
searches change all day and would invalidate an exact data version at every transition;
the pages say figures are as of the last recomputation, which a platform admin can re-run
from the jobs page. Before the first run (a fresh install, the tests) nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from data.gapdata import load_gap_inputs
from matching.gaps import GapInputs, GapSelection

from .gaps import gap_map_html, gap_table, need_periods

__all__ = ["LIVE_WORKER", "RECOMPUTE_TASK", "STALLED_WORKER_S", "Snapshot", "cached_facts",
           "cached_map_html", "cached_table", "current", "first_run", "job_snapshot",
           "map_options", "predraw", "preload", "recompute_known", "snapshot", "warm"]

RECOMPUTE_TASK = "gaps.recompute"
RECOMPUTE_CRON = "0 2 * * *"  # nightly at 02:00 UTC (``jobs.tasks`` schedules it so)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _last_run(session: Session):
    """The id and queue time of the last successful recomputation, or None before the first."""
    return session.execute(text(
        "SELECT j.id, (SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) "
        "FROM procrastinate_jobs j WHERE j.task_name = :task AND j.status = 'succeeded' "
        "ORDER BY j.id DESC LIMIT 1"), {"task": RECOMPUTE_TASK}).first()


# a running job counts while its worker's heartbeat is this recent (procrastinate's own
# stalled-worker timeout): one whose worker died mid-run (killed, out of memory) does not
STALLED_WORKER_S = 30
# a job's worker (``w``, joined on ``worker_id``) is alive: it beat within STALLED_WORKER_S
LIVE_WORKER = "w.last_heartbeat > now() - make_interval(secs => :stalled)"


def recompute_known(session: Session, *, succeeded: bool) -> bool:
    """Whether a recomputation is queued or running on a live worker (or, with
    ``succeeded``, has succeeded): what the first-run notice and the worker's first queuing
    (jobs.firstgaps) both ask."""
    states = "'todo', 'succeeded'" if succeeded else "'todo'"
    return bool(session.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w "
        f"ON w.id = j.worker_id WHERE j.task_name = :task AND (j.status IN ({states}) OR "
        f"(j.status = 'doing' AND {LIVE_WORKER})))"),
        {"task": RECOMPUTE_TASK, "stalled": STALLED_WORKER_S}))


def first_run(session: Session, now: dt.datetime | None = None) -> tuple[bool, dt.datetime]:
    """Before the first recomputation, what the pages tell a planner: whether one is queued
    or running now on a live worker (the worker's first start, or a platform admin from the
    jobs page), and when the nightly one starts (UTC)."""
    running = recompute_known(session, succeeded=False)
    minute, hour = (int(v) for v in RECOMPUTE_CRON.split()[:2])
    now = now or dt.datetime.now(dt.UTC)
    start = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return bool(running), start if start > now else start + dt.timedelta(days=1)


@dataclass(frozen=True)
class Snapshot:
    """The snapshot a request serves: its name and when its recomputation was queued."""

    name: str
    at: dt.datetime | None


def current(session: Session, folder: Path | None) -> Snapshot | None:
    """The snapshot the gap pages serve from ``folder``, read once per request (its name
    for the files, its time for "as of"); None when figures are computed on request (no
    cache folder, or no recomputation yet)."""
    row = _last_run(session) if folder is not None else None
    return None if row is None else Snapshot(job_snapshot(session, row[0], row[1]), row[1])


def snapshot(session: Session) -> str | None:
    """The name of the last successful recomputation (its job id and the time it was queued,
    so a new database's job ids never meet an older one's files); None before the first."""
    row = _last_run(session)
    return None if row is None else job_snapshot(session, row[0], row[1])


def job_snapshot(session: Session, job_id: int, queued_at=None) -> str:
    """The snapshot name of recomputation job ``job_id`` (what ``snapshot`` gives once it
    has succeeded)."""
    if queued_at is None:
        queued_at = session.scalar(text(
            "SELECT min(at) FROM procrastinate_events WHERE job_id = :id"), {"id": job_id})
    stamp = int(queued_at.timestamp() * 1e6) if queued_at is not None else 0
    return f"{job_id}-{stamp}"


def _key(selection: GapSelection, *extra: object) -> str:
    return hashlib.sha256(repr((selection, *extra)).encode()).hexdigest()[:20]


def _lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _write(folder: Path, version: str, name: str, data: str | bytes) -> None:
    """Write ``data`` whole under ``name`` (aside, then renamed); drop other snapshots'."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".building-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, folder / name)
    finally:
        Path(tmp).unlink(missing_ok=True)
    mine = _job_id(version)
    for old in folder.iterdir():  # older snapshots only: a running job writes a newer one
        if not old.name.startswith(".") and _job_id(old.name.split(".", 1)[0]) < mine:
            old.unlink(missing_ok=True)


def _job_id(version: str) -> int:
    head = version.split("-", 1)[0]
    return int(head) if head.isdigit() else -1


_UNREAD = Snapshot("", None)  # "not read yet": ``_cached`` reads the current snapshot


def _cached(folder: Path | None, session: Session, name: str,
            make: Callable[[], str], snap: Snapshot | None = _UNREAD) -> str:
    """The text of entry ``name`` of snapshot ``snap`` (by default the current one): read,
    or made once and kept."""
    if snap is _UNREAD:
        snap = current(session, folder)
    if folder is None or snap is None:
        return make()
    version = snap.name
    path = folder / f"{version}.{name}"
    with _lock(path.name):  # one thread of this process makes it; the others read it
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            data = make()
            _write(folder, version, path.name, data)
            return data


def _to_text(table: pd.DataFrame, periods: list[str]) -> str:
    return json.dumps({"periods": periods,
                       "table": table.to_json(orient="table", index=False)})


def _from_text(data: str) -> tuple[pd.DataFrame, list[str]]:
    entry = json.loads(data)
    return pd.read_json(io.StringIO(entry["table"]), orient="table"), entry["periods"]


_INPUTS = "inputs.pickle"
_inputs_held: dict[str, GapInputs] = {}  # this process's facts of the last snapshot read


def _snapshot_inputs(folder: Path | None, snap: Snapshot | None) -> GapInputs | None:
    """The facts snapshot ``snap``'s job read (every sector), kept in memory once read; None
    without a snapshot or when its job wrote none (an older run)."""
    if folder is None or snap is None:
        return None
    path = folder / f"{snap.name}.{_INPUTS}"
    with _lock(path.name):
        data = _inputs_held.get(snap.name)
        if data is None:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return None
            # written by this server's own job into its own cache folder, never uploaded
            data = pickle.loads(raw)
            _inputs_held.clear()  # an older snapshot's facts are not served any more
            _inputs_held[snap.name] = data
    return data


_preloads: dict[str, threading.Thread] = {}


def preload(folder: Path | None, snap: Snapshot | None) -> threading.Thread | None:
    """Read snapshot ``snap``'s facts in the background, once per process: the first
    filtered view after a run then computes from memory instead of reading them (~0.5 s of
    CPU at national scale); the thread, or None when there is nothing to read."""
    if folder is None or snap is None or snap.name in _inputs_held:
        return None
    with _locks_guard:
        thread = _preloads.get(snap.name)
        if thread is None:
            _preloads.clear()  # an older snapshot's thread has finished or is moot
            thread = _preloads[snap.name] = threading.Thread(
                target=_snapshot_inputs, args=(folder, snap), daemon=True,
                name=f"gap-facts-{snap.name}")
            thread.start()
    return thread


def _facts_now(session: Session, selection: GapSelection,
               data: GapInputs | None = None) -> str:
    if data is None:
        data = load_gap_inputs(session, sector=selection.sector,
                               service_type=selection.service_type)
    table = gap_table(session, selection, data)  # validates the selection first
    return _to_text(table, need_periods(data))


def cached_facts(session: Session, folder: Path | None, selection: GapSelection,
                 snap: Snapshot | None = _UNREAD) -> tuple[pd.DataFrame, list[str]]:
    """The ranked gap table of ``selection`` and the years with needs figures, as of
    snapshot ``snap`` (by default the current one; ``folder``: where the files are; None
    computes them now). A selection the job did not write is computed from the snapshot's
    facts (no database read), once, then read from its file."""
    if snap is _UNREAD:
        snap = current(session, folder)
    preload(folder, snap)
    return _from_text(_cached(
        folder, session, f"table.{_key(selection)}",
        lambda: _facts_now(session, selection, _snapshot_inputs(folder, snap)), snap))


def cached_table(session: Session, folder: Path | None, selection: GapSelection,
                 snap: Snapshot | None = _UNREAD) -> pd.DataFrame:
    """The ranked gap table of ``selection`` as of snapshot ``snap`` (default: current)."""
    return cached_facts(session, folder, selection, snap)[0]


def cached_map_html(session: Session, folder: Path | None, selection: GapSelection,
                    **options) -> str:
    """The gap map of ``selection`` (``options``: those of ``gap_map_html``) as of the
    current snapshot (read once); its table from the same snapshot."""
    snap = current(session, folder)

    def make() -> str:
        table = cached_table(session, folder, selection, snap)
        return gap_map_html(session, selection, table, **options)

    return _cached(folder, session, f"map.{_key(selection, sorted(options.items()))}", make,
                   snap)


def map_options(lang: str, *, tiles_url: str, asset_base: str) -> dict[str, str]:
    """The options of the gap map page in ``lang`` (the page and the nightly job draw with
    the same ones, so the job's maps are the page's files); call it in ``lang``'s locale."""
    from flask_babel import gettext as _

    return {"tiles_url": tiles_url, "asset_base": asset_base,
            "title": _("Map of the gap score"), "lang": lang}


def warm(session: Session, folder: Path, version: str, levels: tuple[str, ...],
         sectors: list[str | None]) -> dict[GapSelection, pd.DataFrame]:
    """Compute every level's table for each of ``sectors`` (None: all) into ``folder`` under
    snapshot ``version``, and keep the facts of every sector (read once) for the selections
    computed later; the tables by selection."""
    data = _dates_parsed(load_gap_inputs(session))  # every sector: the engine filters exactly
    _write(folder, version, f"{version}.{_INPUTS}",
           pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    periods = need_periods(data)
    tables = {}
    for sector in sectors:
        for level in levels:
            selection = GapSelection(level=int(level), sector=sector)
            table = gap_table(session, selection, data)
            _write(folder, version, f"{version}.table.{_key(selection)}",
                   _to_text(table, periods))
            tables[selection] = table
    return tables


def _dates_parsed(data: GapInputs) -> GapInputs:
    """``data`` with its dates as pandas timestamps (UTC), as the engine reads them (its
    period filter parses them so): the same figures, and the facts file reads back in half
    the time (a Python date object per row unpickles slowly)."""
    for frame, column in ((data.activities, "period_start"), (data.referrals, "at"),
                          (data.unmet, "at")):
        frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True)
    return data


def predraw(session: Session, folder: Path, version: str,
            tables: dict[GapSelection, pd.DataFrame], options: list[dict[str, str]]) -> int:
    """Draw the map of each of ``tables`` with and without sites, once per ``options`` (one
    per language, ``map_options``), into ``folder`` under snapshot ``version``, so no
    planner waits for a map on the first request after the run; the number drawn."""
    drawn, layers = 0, {}  # each level's shapes and each sector's sites read once
    for selection, table in tables.items():
        for sites in (False, True):
            for opts in options:
                kwargs = {"sites": sites, **opts}
                html = gap_map_html(session, selection, table, layers=layers, **kwargs)
                _write(folder, version,
                       f"{version}.map.{_key(selection, sorted(kwargs.items()))}", html)
                drawn += 1
    return drawn
