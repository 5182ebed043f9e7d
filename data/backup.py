"""Backups: ``backup`` writes a consistent, restorable set into an empty folder; ``restore``
puts it into an empty database and upload folder.

A set is ``database.dump`` (``pg_dump`` custom format), ``uploads/`` (every attachment the
database refers to, under its storage key) and ``manifest.json`` (written last: a folder
without it is no backup): the app's version, the migration head, each file's SHA-256, every
table's row count, and which keys the data needs (their fingerprints, never the keys).
Consistency: the dump, the row counts and the list of attachments all read one exported
snapshot of the database, so they describe the same moment while the site keeps running.
A set holds every account and message of the platform: its folders are its owner's alone
(0700) and its files are written so from the start (0600), whatever the caller's umask.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from flask_babel import gettext as _
from psycopg import sql

from data.errors import BadInput, TasharukError

__all__ = ["DUMP", "FORMAT", "MANIFEST", "UPLOADS", "backup", "key_fingerprints",
           "read_manifest", "restore"]

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
UPLOADS = "uploads"
CHUNK = 1 << 20
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
KEYS_REMINDER = (
    "This backup holds no keys. Restoring it needs the same TASHARUK_DATA_KEYS (names and "
    "phones of referred people are encrypted with them; the fingerprints below say which) "
    "and should keep SECRET_KEY (sessions, links and API tokens are signed with it). Keep "
    "the keys apart from the backups.")

# Tables of our own schema; extension-owned ones (PostGIS's spatial_ref_sys) are left out.
USER_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.relname"""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def key_fingerprints(data_keys: str) -> list[str]:
    """Short SHA-256 fingerprints of the comma-separated keys (a key is not recoverable
    from its fingerprint; they only say whether the right keys are configured)."""
    return [hashlib.sha256(k.strip().encode()).hexdigest()[:16]
            for k in data_keys.split(",") if k.strip()]


def _tool(name: str) -> str:
    from data.cluster import bindir

    path = bindir() / name
    return str(path) if path.exists() else name


def _run(cmd: list[str], what: str, *, umask: int = -1) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, umask=umask)
    if res.returncode != 0:
        raise TasharukError(_("%(tool)s failed: %(error)s", tool=what,
                              error=res.stderr.strip() or res.stdout.strip()),
                            code="backup_failed")


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(USER_TABLES)]
    return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
            .fetchone()[0] for t in tables}


def _private_folder(folder: Path) -> None:
    """``folder`` and the missing folders above it made for the owner alone."""
    if not folder.exists():
        _private_folder(folder.parent)
        folder.mkdir(mode=PRIVATE_DIR)
        os.chmod(folder, PRIVATE_DIR)  # (mkdir's mode passes through the umask)


def _private_copy(source: Path, dest: Path) -> None:
    """``source`` copied to the new file ``dest``, readable by its owner only from the start."""
    _private_folder(dest.parent)
    with source.open("rb") as src, os.fdopen(_new_private_file(dest), "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)


def _new_private_file(path: Path) -> int:
    """A descriptor of the new file ``path``, open for writing, readable by its owner only."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def _empty_folder(folder: Path, field: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BadInput(_("%(field)s: the folder %(folder)s is not empty; choose a new or "
                         "empty folder.", field=field, folder=folder), field=field)


def backup(url: str, upload_folder: str | Path, target: Path, *, data_keys: str = "",
           version: str = "", progress: Callable[[str], None] = lambda _m: None
           ) -> dict[str, Any]:
    """Write a backup of the database at ``url`` and its attachments into ``target`` (new or
    empty, else BadInput); return the manifest. On failure nothing is left in ``target``."""
    _empty_folder(target, "DIR")
    made = not target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    _private_folder(target)
    os.chmod(target, PRIVATE_DIR)  # (an empty folder given: its own mode may be open)
    try:
        manifest = _write_backup(url, Path(upload_folder), target, data_keys, version, progress)
    except BaseException:
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        if made:
            target.rmdir()
        raise
    return manifest


def _write_backup(url: str, uploads: Path, target: Path, data_keys: str, version: str,
                  progress: Callable[[str], None]) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        head = conn.execute("SELECT string_agg(version_num, ',' ORDER BY version_num) "
                            "FROM alembic_version").fetchone()[0]
        server = conn.execute("SHOW server_version").fetchone()[0]
        counts = _row_counts(conn)
        files = conn.execute("SELECT DISTINCT storage_key, sha256 FROM attachment "
                             "ORDER BY storage_key").fetchall() if "attachment" in counts \
            else []
        progress(f"database: {sum(counts.values())} rows in {len(counts)} tables")
        _run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
              f"--file={target / DUMP}", f"--dbname={url}"], "pg_dump", umask=0o077)
        conn.rollback()
    copied: dict[str, str] = {}
    missing: list[str] = []
    for key, sha in files:
        source = uploads / key
        if not source.is_file():
            missing.append(key)
            continue
        dest = target / UPLOADS / key
        _private_copy(source, dest)
        digest = _sha256(dest)
        if digest != sha:
            raise TasharukError(_("The attachment %(key)s on disk does not match its "
                                  "checksum in the database; the upload folder is damaged.",
                                  key=key), code="backup_failed")
        copied[key] = digest
    progress(f"attachments: {len(copied)} copied, {len(missing)} missing")
    manifest = {
        "format": FORMAT, "app": "tasharuk", "version": version,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "postgresql": server, "migration_head": head,
        "database": {"file": DUMP, "sha256": _sha256(target / DUMP), "rows": counts},
        "uploads": copied, "missing_uploads": missing,
        "keys": {"reminder": KEYS_REMINDER,
                 "TASHARUK_DATA_KEYS_fingerprints": key_fingerprints(data_keys)},
    }
    partial = target / (MANIFEST + ".partial")
    with os.fdopen(_new_private_file(partial), "w", encoding="utf-8") as out:
        out.write(json.dumps(manifest, indent=1, ensure_ascii=False))
    os.replace(partial, target / MANIFEST)
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of backup folder ``source``, every file checked against its checksum."""
    path = source / MANIFEST
    if not path.is_file():
        raise BadInput(_("%(folder)s holds no %(file)s: it is not a complete Tasharuk backup.",
                         folder=source, file=MANIFEST), field="DIR")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        db_sha, files = manifest["database"]["sha256"], dict(manifest["uploads"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInput(_("%(file)s is not a Tasharuk backup manifest (%(error)s).", file=path,
                         error=exc), field="DIR") from None
    if manifest.get("format") != FORMAT:
        raise BadInput(_("%(file)s: backup format %(found)s is not %(expected)s.", file=path,
                         found=manifest.get("format"), expected=FORMAT), field="DIR")
    damaged = [DUMP] if not (source / DUMP).is_file() or _sha256(source / DUMP) != db_sha \
        else []
    for key, sha in files.items():
        file = source / UPLOADS / key
        if not file.is_file() or _sha256(file) != sha:
            damaged.append(f"{UPLOADS}/{key}")
    if damaged:
        raise BadInput(_("The backup in %(folder)s is damaged: %(files)s missing or changed "
                         "(checksums differ).", folder=source, files=", ".join(damaged[:10])),
                       field="DIR", details={"files": damaged})
    return manifest


def restore(url: str, upload_folder: str | Path, source: Path, *, data_keys: str = "",
            progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Restore backup ``source`` into the empty database at ``url`` and the empty (or new)
    ``upload_folder``; check every table's row count against the manifest. Returns the
    manifest and ``warnings`` (e.g. data keys that do not match)."""
    manifest = read_manifest(source)
    uploads = Path(upload_folder)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(USER_TABLES)]
    if tables:
        raise BadInput(_("The database is not empty (%(n)s tables, e.g. %(tables)s): restore "
                         "into a new, empty database (createdb) and point DATABASE_URL at it.",
                         n=len(tables), tables=", ".join(tables[:3])), field="DATABASE_URL")
    if manifest["uploads"]:
        _empty_folder(uploads, "TASHARUK_UPLOADS")
    progress("restoring the database")
    _run([_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner",
          f"--dbname={url}", str(source / DUMP)], "pg_restore")
    for key in manifest["uploads"]:
        dest = uploads / key
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / UPLOADS / key, dest)
    progress(f"attachments: {len(manifest['uploads'])} restored")
    with psycopg.connect(url, autocommit=True) as conn:
        counts = _row_counts(conn)
    expected = manifest["database"]["rows"]
    if counts != expected:
        wrong = sorted(t for t in set(counts) | set(expected)
                       if counts.get(t) != expected.get(t))
        raise TasharukError(_("Restored row counts differ from the backup's in: %(tables)s.",
                              tables=", ".join(wrong[:10])), code="restore_failed",
                            details={"tables": wrong})
    warnings = []
    wanted = manifest["keys"].get("TASHARUK_DATA_KEYS_fingerprints") or []
    if wanted and not set(wanted) & set(key_fingerprints(data_keys)):
        warnings.append(_("TASHARUK_DATA_KEYS holds none of the keys this backup was made "
                          "with: encrypted names and phones cannot be read until it does."))
    return {"manifest": manifest, "warnings": warnings}
