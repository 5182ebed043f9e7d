"""The project's private PostgreSQL/PostGIS clusters under ``instance/``.

Used when ``DATABASE_URL`` is unset, so that a new user needs nothing but the two README
commands. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
system user on a data folder it owns. The server listens on a unix socket only.

Two clusters, two promises (docs/security.md):

* ``PROJECT`` (``instance/pg``, used by ``make run``, the CLI and the benchmarks) keeps
  PostgreSQL's durability defaults: a commit the app acknowledged survives a crash.
* ``TEST`` (``instance/test-pg``, used only by the test suite for throw-away databases) runs
  with ``fsync``, ``synchronous_commit`` and ``full_page_writes`` off: fast, and a crash may
  lose or corrupt it, which is fine for data that is dropped after every run.

Both trust nobody: the socket folder and the data are the server's OS user's alone (mode 0700),
and the only way in is a unix socket with peer authentication mapped to the superuser for the
server's own OS user and, when we run as root, root. Any other local user is refused twice
(by the folder's mode, then by peer authentication).
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROJECT", "TEST", "Cluster", "ClusterError", "bindir", "configured_url", "database_url",
           "ensure_database", "start", "stop"]

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("TASHARUK_INSTANCE", ROOT / "instance"))
DB_NAME = "tasharuk"
SUPERUSER = "postgres"
SOCKET_MAX = 90  # unix socket paths are limited to about 100 characters
IDENT_MAP = "tasharuk"
# Speed at the cost of crash safety: only for the throw-away test cluster.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class ClusterError(RuntimeError):
    """The local cluster cannot be started; the message says what to do."""


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def server_user() -> str:
    """The OS user the server runs as: ``postgres`` as root, else whoever we are."""
    return "postgres" if _as_root() else pwd.getpwuid(os.geteuid()).pw_name


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


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a server-side command as the server's OS user."""
    if _as_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)


def _private_dir(path: Path) -> None:
    """Make ``path`` a folder of the server's OS user alone (0700); refuse a foreign one."""
    path.mkdir(parents=True, exist_ok=True)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ClusterError(f"{path} is not a plain folder; remove it and start again.")
    owner = pwd.getpwnam(server_user()).pw_uid
    if info.st_uid not in (owner, os.geteuid()):
        raise ClusterError(f"{path} belongs to another user; remove it and start again.")
    if _as_root():
        shutil.chown(path, "postgres", "postgres")
    os.chmod(path, 0o700)


def _private_file(path: Path) -> None:
    """Create ``path`` if needed, readable and writable by the server's OS user only."""
    path.touch()
    if _as_root():
        shutil.chown(path, "postgres", "postgres")
    os.chmod(path, 0o600)


@dataclass(frozen=True)
class Cluster:
    """One private cluster: its data folder, log, socket folder and whether it is durable."""

    data_dir: Path
    run_dir: Path
    log: Path
    durable: bool = True

    def socket_dir(self) -> Path:
        """A short folder for the server's unix socket (``run_dir`` when its path is short)."""
        if len(str(self.run_dir)) <= SOCKET_MAX:
            return self.run_dir
        digest = hashlib.sha1(str(self.run_dir).encode()).hexdigest()[:10]
        return Path("/tmp") / f"tasharuk-{digest}"

    def url(self, name: str = DB_NAME) -> str:
        """The libpq URL of database ``name`` in this cluster."""
        return f"postgresql://{SUPERUSER}@/{name}?host={self.socket_dir()}"

    def settings(self) -> list[tuple[str, str]]:
        """The server's command-line settings (the fast ones only when not durable)."""
        pairs = [("listen_addresses", ""), ("unix_socket_directories", str(self.socket_dir())),
                 ("unix_socket_permissions", "0700"), ("max_connections", "200"),
                 ("shared_buffers", "256MB")]
        if not self.durable:
            pairs += [tuple(s.split("=")) for s in FAST_SETTINGS]
        return pairs

    def options(self) -> str:
        """``settings()`` as pg_ctl's ``-o`` text."""
        return " ".join(f"-c {k}='{v}'" for k, v in self.settings())

    def _write_auth(self) -> None:
        """Peer authentication for the server's OS user (and root) as the superuser, only."""
        users = sorted({server_user(), *(["root"] if _as_root() else [])})
        hba = ("# Written by data/cluster.py on every start: unix socket only, peer\n"
               "# authentication, and only the OS users of pg_ident.conf's map may connect.\n"
               f"local all all peer map={IDENT_MAP}\n"
               # streaming replicas (pg_basebackup -R), by the same OS users only
               f"local replication all peer map={IDENT_MAP}\n")
        ident = "# Written by data/cluster.py: OS user -> database superuser.\n" + "".join(
            f"{IDENT_MAP} {u} {SUPERUSER}\n" for u in users)
        for name, content in (("pg_hba.conf", hba), ("pg_ident.conf", ident)):
            path = self.data_dir / name
            path.write_text(content)
            if _as_root():
                shutil.chown(path, "postgres", "postgres")
            os.chmod(path, 0o600)

    def running(self) -> bool:
        """Whether this cluster's server runs."""
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        res = _run([str(bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)])
        return res.returncode == 0

    def _started_with_other_options(self) -> bool:
        """Whether the running server got other settings than ours (postmaster.opts)."""
        try:
            started = (self.data_dir / "postmaster.opts").read_text()
        except OSError:
            return True
        unwanted = FAST_SETTINGS if self.durable else ()
        return (any(f'"{k}={v}"' not in started for k, v in self.settings())
                or any(f'"{s}"' in started for s in unwanted))

    def start(self, wait_s: int = 60) -> str:
        """Create (first time) and start the cluster; return its libpq URL. Idempotent.

        Every start rewrites the authentication files and folder modes, and a server left
        running with other settings (an older checkout's fast or trusting ones) is restarted.
        ``wait_s``: how long pg_ctl waits for it to accept connections.
        """
        bins = bindir()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "PG_VERSION").exists():
            _private_dir(self.data_dir)
            res = _run([str(bins / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                        "--auth-local=peer", "--auth-host=scram-sha-256",
                        "--encoding=UTF8", "--locale=C.UTF-8"])
            if res.returncode != 0:
                raise ClusterError(f"initdb failed:\n{res.stdout}{res.stderr}")
        _private_dir(self.data_dir)
        _private_dir(self.socket_dir())
        self._write_auth()
        _private_file(self.log)
        pg_ctl = [str(bins / "pg_ctl"), "-w", "-t", str(wait_s), "-D", str(self.data_dir),
                  "-l", str(self.log), "-o", self.options()]
        if not self.running():
            res = _run([pg_ctl[0], "start", *pg_ctl[1:]])
        elif self._started_with_other_options():
            res = _run([pg_ctl[0], "restart", "-m", "fast", *pg_ctl[1:]])
        else:
            res = _run([str(bins / "pg_ctl"), "reload", "-D", str(self.data_dir)])
        if res.returncode != 0:
            raise ClusterError(f"pg_ctl failed:\n{res.stdout}{res.stderr}\nSee {self.log}")
        self.ensure_database(DB_NAME)
        return self.url()

    def psql(self, sql: str, db: str = "postgres") -> subprocess.CompletedProcess:
        """Run one statement with psql as the superuser over the socket."""
        exe = bindir() / "psql"
        psql = str(exe) if exe.exists() else "psql"
        return subprocess.run([psql, "-h", str(self.socket_dir()), "-U", SUPERUSER, "-d", db,
                               "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              capture_output=True, text=True, check=False)

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` in this cluster when it does not exist."""
        for _ in range(50):
            res = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
            if res.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise ClusterError(f"cannot connect to the local cluster: {res.stderr}")
        if res.stdout.strip() != "1":
            made = self.psql(f'CREATE DATABASE "{name}"')
            if made.returncode != 0:
                raise ClusterError(f"cannot create database {name}: {made.stderr}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (``mode``: pg_ctl's smart, fast or immediate)."""
        if self.running():
            _run([str(bindir() / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(self.data_dir)])


PROJECT = Cluster(INSTANCE / "pg", INSTANCE / "run", INSTANCE / "postgres.log", durable=True)
TEST = Cluster(INSTANCE / "test-pg", INSTANCE / "test-run", INSTANCE / "test-postgres.log",
               durable=False)


def socket_dir() -> Path:
    """The project cluster's socket folder."""
    return PROJECT.socket_dir()


def database_url(name: str = DB_NAME) -> str:
    """The libpq URL of database ``name`` in the project's cluster."""
    return PROJECT.url(name)


def configured_url() -> str:
    """The database the project uses: DATABASE_URL, or the local cluster's when it is unset."""
    return os.environ.get("DATABASE_URL") or database_url()


def start() -> str:
    """Start the project's (durable) cluster; return its libpq URL."""
    return PROJECT.start()


def ensure_database(name: str) -> None:
    """Create database ``name`` in the project's cluster when it does not exist."""
    PROJECT.ensure_database(name)


def stop() -> None:
    """Stop the project's cluster and the test cluster, whichever runs."""
    PROJECT.stop()
    TEST.stop()


def main(argv: list[str]) -> int:
    """``python -m data.cluster start|stop|url [test]``: manage a local cluster from make."""
    cmd = argv[1] if len(argv) > 1 else "start"
    cluster = TEST if argv[2:3] == ["test"] else PROJECT
    try:
        if cmd == "start":
            print(cluster.start())
        elif cmd == "stop":
            if argv[2:3]:
                cluster.stop()
            else:
                stop()
        elif cmd == "url":
            print(cluster.url())
        else:
            print("usage: python -m data.cluster start|stop|url [test]", file=sys.stderr)
            return 2
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
