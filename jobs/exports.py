"""Large exports as jobs: ``enqueue_export(session, kind, ...)`` writes a job; the worker
writes the file under ``EXPORT_FOLDER`` as ``<job id>.<ext>`` (atomically: a half-written
file is never visible) and ``export_file`` finds it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from data.errors import BadInput
from data.queue import enqueue

__all__ = ["EXPORT_TASK", "KINDS", "enqueue_export", "export_file", "run_export"]

EXPORT_TASK = "exports.run"


def _fourw(session: Session, path: Path, *, hxl: bool = True) -> None:
    from data.io.hxl import export_4w

    export_4w(session, path, hxl=hxl)


def _geojson(session: Session, path: Path) -> None:
    from data.io.geojson import export_geojson

    with path.open("w", encoding="utf-8") as out:
        export_geojson(session, out)


def _hsds(session: Session, path: Path, *, version: str = "3.0") -> None:
    from data.io.hsds import export_hsds_zip
    from data.io.hsds31 import export_hsds_31_zip

    if version not in ("3.0", "3.1"):
        raise BadInput(_("%(field)s must be one of: %(values)s.", field="version",
                         values="3.0, 3.1"), field="version")
    if version == "3.1":
        export_hsds_31_zip(session, path, current_app.config.get("BASE_URL"))
    else:
        export_hsds_zip(session, path)


def _gaps(session: Session, path: Path, *, level: str = "3", sector: str | None = None,
          service: str | None = None, group: str | None = None, period: str | None = None,
          locale: str = "ar") -> None:
    from planning.gaps import gap_table, parse_selection, table_csv

    selection = parse_selection({"level": level, "sector": sector, "service": service,
                                 "group": group, "period": period})
    path.write_text(table_csv(gap_table(session, selection), locale), encoding="utf-8")


# kind -> (file extension, writer(session, path, **params))
KINDS: dict[str, tuple[str, Callable[..., None]]] = {
    "4w.csv": ("csv", _fourw),
    "4w.xlsx": ("xlsx", _fourw),
    "geojson": ("geojson", _geojson),
    "hsds": ("zip", _hsds),
    "gaps": ("csv", _gaps),
}


def enqueue_export(session: Session, kind: str, **params: Any) -> int:
    """Queue export ``kind`` (one of ``KINDS``) with JSON ``params``; return the job id,
    which names the file. Runs when the caller's transaction commits."""
    if kind not in KINDS:
        raise BadInput(_("%(field)s must be one of: %(values)s.", field="kind",
                         values=", ".join(KINDS)), field="kind")
    return enqueue(session, EXPORT_TASK, queue="exports", kind=kind, params=params)


def _folder() -> Path:
    return Path(current_app.config["EXPORT_FOLDER"])


def export_file(job_id: int, kind: str) -> Path | None:
    """The finished file of export job ``job_id``, or None while it is not written."""
    path = _folder() / f"{int(job_id)}.{KINDS[kind][0]}"
    return path if path.exists() else None


def run_export(session: Session, job_id: int, kind: str, params: dict[str, Any]) -> Path:
    """Write export ``kind`` for job ``job_id``: to a temporary name, then renamed."""
    ext, writer = KINDS[kind]
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{int(job_id)}.{ext}"
    partial = folder / f".{int(job_id)}.partial.{ext}"
    try:
        writer(session, partial, **params)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final
