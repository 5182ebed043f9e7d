"""The exports as files on disk, built once per data version and then served from there:
an HSDS zip (3.0, or 3.1 as ``hsds31``), the 4W table (CSV with or without the HXL row, or
XLSX) and the GeoJSON.

Why: an HSDS export of the national data set takes seconds and tens of MB to build, and any
signed-in user may ask for it. Built into a file and kept under a name carrying the data's
version, a repeated export is a file read (streamed by the web layer, nothing in memory), and
a new build only happens after the data changed. Builds hold one of a few *slots* (PostgreSQL
advisory locks, so the bound holds across every worker process and machine): when all are
taken, or the same export is already being built, the caller is told to come back (503).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.orm import Session

from data.errors import Unavailable
from data.io.aside import file_aside

__all__ = ["BUILD_TASK", "EXPORT_TABLES", "FORMATS", "Export", "build", "cache_folder",
           "cached_export", "data_version", "gap_cache_folder", "write_export"]

BUILD_TASK = "exports.cache"  # the background job that builds an export into the cache

# kind -> (file name, MIME type)
FORMATS = {
    "hsds": ("tasharuk-hsds.zip", "application/zip"),
    "hsds31": ("tasharuk-hsds-3.1.zip", "application/zip"),
    "4w.csv": ("tasharuk-4w.csv", "text/csv"),
    "4w.xlsx": ("tasharuk-4w.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": ("tasharuk.geojson", "application/geo+json"),
}
# Every table an export reads: a change to any of them is a new data version.
EXPORT_TABLES = ("organization", "service", "service_site", "opening_period",
                 "service_coverage", "service_target_group", "service_type", "sector",
                 "target_group", "admin_area", "activity")
# Advisory-lock class ids (pg_try_advisory_xact_lock(int, int)): build slots, and one per kind.
_SLOT_LOCK = 0x7A5E
_KIND_LOCK = 0x7A5F
RETRY_AFTER = 10  # seconds a refused caller should wait: about one national HSDS build


@dataclass(frozen=True)
class Export:
    """One export file ready to send: where it is, its download name, type and version."""

    path: Path
    name: str
    mime: str
    version: str


def data_version(session: Session) -> str:
    """A short digest that changes whenever a row of ``EXPORT_TABLES`` is added, changed or
    removed: each table's row count and the sum of its rows' ``xmin`` (the writing
    transaction, new on every update). Read in the caller's transaction, so it is exact."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(sum(xmin::text::bigint), 0) FROM {t}"
        for t in EXPORT_TABLES)
    rows = session.execute(text(parts)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def write_export(session: Session, kind: str, path: Path, *, hxl: bool = True) -> None:
    """Write export ``kind`` (one of ``FORMATS``) to the file ``path``."""
    if kind == "hsds":
        from .hsds import export_hsds_zip

        export_hsds_zip(session, path)  # streamed: a page of services at a time
    elif kind == "hsds31":
        from .hsds31 import export_hsds_31_zip

        # the listings' links under BASE_URL (the app's or the worker's)
        export_hsds_31_zip(session, path, current_app.config.get("BASE_URL")
                          if has_app_context() else None)
    elif kind.startswith("4w"):
        from .hxl import export_4w

        export_4w(session, path, hxl=hxl)
    else:
        from .geojson import export_geojson

        with path.open("w", encoding="utf-8") as out:
            export_geojson(session, out)


def cache_folder(config: Mapping[str, Any]) -> Path:
    """Where built exports are kept: ``EXPORT_CACHE`` of the app's (or worker's) config, by
    default instance/export-cache (export jobs' own files are in ``EXPORT_FOLDER``)."""
    if config.get("EXPORT_CACHE"):
        return Path(config["EXPORT_CACHE"])
    from data.cluster import INSTANCE

    return INSTANCE / "export-cache"


def gap_cache_folder(config: Mapping[str, Any]) -> Path:
    """Where the gap pages' tables and maps are kept per snapshot (``planning.gapcache``):
    ``gaps/`` in the exports cache."""
    return cache_folder(config) / "gaps"


def _file_name(kind: str, hxl: bool, version: str) -> str:
    return f"{kind}{'' if hxl else '-nohxl'}.{version}"


def cached_export(folder: Path, kind: str, version: str, *, hxl: bool = True) -> Export | None:
    """The export of ``kind`` at ``version`` when it was built already, else None."""
    name, mime = FORMATS[kind]
    path = Path(folder) / _file_name(kind, hxl, version)
    return Export(path, name, mime, version) if path.is_file() else None


def _take_slot(session: Session, kind: str, hxl: bool, slots: int) -> None:
    """Hold a build slot and this export's own lock until the transaction ends, or refuse."""
    kind_key = int(hashlib.sha256(f"{kind}/{hxl}".encode()).hexdigest()[:7], 16)
    busy = Unavailable(_("This export is being prepared. Try again in a few seconds."),
                       details={"retry_after": RETRY_AFTER}, code="export_busy")
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:c, :k)"),
                          {"c": _KIND_LOCK, "k": kind_key}):
        raise busy
    for slot in range(max(1, slots)):
        if session.scalar(text("SELECT pg_try_advisory_xact_lock(:c, :k)"),
                          {"c": _SLOT_LOCK, "k": slot}):
            return
    raise busy


def build(session: Session, folder: Path, kind: str, *, hxl: bool = True,
          slots: int = 1) -> Export:
    """The export of ``kind`` at the current data version: from ``folder`` when built
    already, else built there (holding a slot; Unavailable when none is free).

    The file appears under its final name only when complete (written aside, then renamed),
    and older versions of the same export are removed.
    """
    if kind not in FORMATS:
        raise KeyError(kind)
    folder = Path(folder)
    version = data_version(session)
    found = cached_export(folder, kind, version, hxl=hxl)
    if found is not None:
        return found
    _take_slot(session, kind, hxl, slots)
    found = cached_export(folder, kind, version, hxl=hxl)  # built while we waited
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / _file_name(kind, hxl, version)
    name, mime = FORMATS[kind]
    # the writers choose the format by the suffix (4W: .csv or .xlsx)
    with file_aside(final, Path(name).suffix) as tmp:
        write_export(session, kind, tmp, hxl=hxl)
    prefix = _file_name(kind, hxl, "")
    for old in folder.glob(prefix + "*"):
        if old != final and old.name[len(prefix):].isalnum():
            old.unlink(missing_ok=True)
    return Export(final, name, mime, version)
