"""The project's private PostgreSQL/PostGIS cluster under ``instance/``.

Used when ``DATABASE_URL`` is unset, so that a new user needs nothing but the two README
commands. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
system user on a data folder it owns. The server listens on a unix socket only.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ClusterError", "bindir", "database_url", "ensure_database", "start", "stop"]

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("TASHARUK_INSTANCE", ROOT / "instance"))
DATA_DIR = INSTANCE / "pg"
DB_NAME = "tasharuk"
SUPERUSER = "postgres"
SOCKET_MAX = 90  # unix socket paths are limited to about 100 characters


class ClusterError(RuntimeError):
    """The local cluster cannot be started; the message says what to do."""


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def bindir() -> Path:
    """The bin folder of the newest installed PostgreSQL server (15 preferred)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    preferred = [p for p in found if "/15/" in p]
    path = (preferred or found or [None])[-1]
    if path is None:
        exe = shutil.which("initdb")
        if exe is None:
            raise ClusterError(
                "PostgreSQL is not installed. Run: "
                "sudo apt-get install -y postgresql postgresql-15-postgis-3"
            )
        return Path(exe).parent
    return Path(path).parent


def socket_dir() -> Path:
    """A short folder for the server's unix socket (in instance/ when its path is short)."""
    own = INSTANCE / "run"
    if len(str(own)) <= SOCKET_MAX:
        return own
    digest = hashlib.sha1(str(INSTANCE).encode()).hexdigest()[:10]
    return Path("/tmp") / f"tasharuk-{digest}"


def database_url(name: str = DB_NAME) -> str:
    """The libpq URL of database ``name`` in the local cluster."""
    return f"postgresql://{SUPERUSER}@/{name}?host={socket_dir()}"


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if _as_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def _own(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if _as_root():
        shutil.chown(path, "postgres", "postgres")


def _running() -> bool:
    pid = DATA_DIR / "postmaster.pid"
    if not pid.exists():
        return False
    res = _run([str(bindir() / "pg_ctl"), "status", "-D", str(DATA_DIR)])
    return res.returncode == 0


def start() -> str:
    """Create (first time) and start the cluster; return its libpq URL. Idempotent."""
    bins = bindir()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    if not (DATA_DIR / "PG_VERSION").exists():
        _own(DATA_DIR)
        os.chmod(DATA_DIR, 0o700)
        res = _run([str(bins / "initdb"), "-D", str(DATA_DIR), "-U", SUPERUSER,
                    "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        if res.returncode != 0:
            raise ClusterError(f"initdb failed:\n{res.stdout}{res.stderr}")
    sock = socket_dir()
    _own(sock)
    if not _running():
        log = INSTANCE / "postgres.log"
        log.touch()
        if _as_root():
            shutil.chown(log, "postgres", "postgres")
        opts = (f"-c listen_addresses='' -c unix_socket_directories='{sock}' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200 -c shared_buffers=256MB")
        res = _run([str(bins / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(DATA_DIR),
                    "-l", str(log), "-o", opts])
        if res.returncode != 0:
            raise ClusterError(
                f"pg_ctl start failed:\n{res.stdout}{res.stderr}\nSee {log}")
    ensure_database(DB_NAME)
    return database_url()


def ensure_database(name: str) -> None:
    """Create database ``name`` in the local cluster when it does not exist."""
    psql = [str(bindir().parent / "bin" / "psql")] if (bindir() / "psql").exists() else ["psql"]
    for _ in range(50):
        res = subprocess.run([*psql, "-h", str(socket_dir()), "-U", SUPERUSER, "-d", "postgres",
                              "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                             capture_output=True, text=True, check=False)
        if res.returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise ClusterError(f"cannot connect to the local cluster: {res.stderr}")
    if res.stdout.strip() != "1":
        subprocess.run([*psql, "-h", str(socket_dir()), "-U", SUPERUSER, "-d", "postgres",
                        "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)


def stop() -> None:
    """Stop the cluster if it runs."""
    if _running():
        _run([str(bindir() / "pg_ctl"), "stop", "-m", "fast", "-D", str(DATA_DIR)])


def main(argv: list[str]) -> int:
    """``python -m data.cluster start|stop|url``: manage the local cluster from make."""
    cmd = argv[1] if len(argv) > 1 else "start"
    try:
        if cmd == "start":
            print(start())
        elif cmd == "stop":
            stop()
        elif cmd == "url":
            print(database_url())
        else:
            print("usage: python -m data.cluster start|stop|url", file=sys.stderr)
            return 2
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
