"""Read replicas on PostgreSQL's own streaming replication.

``DATABASE_REPLICA_URLS`` lists replicas (libpq URLs, comma-separated). Reads that tolerate a
little lag take a replica that answers and whose replay lag is within ``REPLICA_MAX_LAG_S``
(round robin among those); a replica that is down or lagging is skipped until its next check
(every ``REPLICA_CHECK_S``), and with none left reads go to the primary. Writes, and the reads
of whoever just wrote, always go to the primary (``data.db.Database.read_session``).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, make_url, text

__all__ = ["LAG_SQL", "Replica", "ReplicaSet", "parse_urls"]

log = logging.getLogger(__name__)

# Seconds the replica's replay is behind: 0 when it has replayed all it received, else the age
# of the last transaction it replayed. NULL (not a replica) counts as unusable.
LAG_SQL = text("""
SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
            THEN 0.0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0.0)
       END""")


def parse_urls(raw: str) -> list[str]:
    """The replica URLs of ``DATABASE_REPLICA_URLS`` (comma-separated, blanks ignored)."""
    return [u.strip() for u in (raw or "").split(",") if u.strip()]


@dataclass
class Replica:
    """One replica: its engine and what its last check found."""

    engine: Engine
    checked_at: float = float("-inf")
    usable: bool = False
    lag_s: float | None = None
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        """The replica's URL without its password (for logs, /readyz and /metrics)."""
        return make_url(self.engine.url).render_as_string(hide_password=True)


class ReplicaSet:
    """The configured replicas, checked at most every ``check_s`` seconds each."""

    def __init__(self, engines: list[Engine], *, max_lag_s: float, check_s: float):
        self.replicas = [Replica(e) for e in engines]
        self.max_lag_s = max_lag_s
        self.check_s = check_s
        self._turn = itertools.count()

    def _check(self, replica: Replica) -> None:
        try:
            with replica.engine.connect() as conn:
                lag = conn.execute(LAG_SQL).scalar()
        except Exception as exc:  # noqa: BLE001 - any failure: skip this replica for now
            replica.usable, replica.lag_s = False, None
            replica.error = type(exc).__name__
            replica.engine.dispose()  # its pooled connections died with it
            log.warning("replica %s skipped: %s", replica.name, replica.error)
            return
        replica.lag_s = None if lag is None else float(lag)
        replica.usable = replica.lag_s is not None and replica.lag_s <= self.max_lag_s
        replica.error = "" if replica.usable else (
            "not a replica" if lag is None else f"lag {replica.lag_s:.1f} s")

    def _fresh(self, replica: Replica) -> bool:
        # one check at a time, and nobody waits for it: the others use the last verdict
        if time.monotonic() - replica.checked_at >= self.check_s \
                and replica.lock.acquire(blocking=False):
            try:
                if time.monotonic() - replica.checked_at >= self.check_s:
                    self._check(replica)
                    replica.checked_at = time.monotonic()
            finally:
                replica.lock.release()
        return replica.usable

    def pick(self) -> Engine | None:
        """A usable replica's engine (round robin), or None: read from the primary."""
        n = len(self.replicas)
        start = next(self._turn)
        for i in range(n):
            replica = self.replicas[(start + i) % n]
            if self._fresh(replica):
                return replica.engine
        return None

    def status(self) -> list[dict]:
        """Each replica's last verdict: name, usable, lag in seconds, why it is skipped."""
        return [{"name": r.name, "usable": r.usable, "lag_s": r.lag_s, "error": r.error}
                for r in self.replicas]

    def dispose(self) -> None:
        """Close every replica's pooled connections."""
        for r in self.replicas:
            r.engine.dispose()
