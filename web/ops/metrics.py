"""Prometheus metrics of the web app: requests by route, their latency, the database pool.

Under gunicorn (``tasharuk serve``) every worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up (prometheus_client's multiprocess
mode); the variable must be set before prometheus_client is imported, which ``tasharuk serve``
does. Elsewhere (tests, ``make run``) the process's own registry is used.
"""

from __future__ import annotations

import functools
import os

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # (any tasharuk command run with the server's env)
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import (  # noqa: E402 - after the folder exists
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402
from sqlalchemy import Engine, event

__all__ = ["CONTENT_TYPE_LATEST", "GC_FROZEN", "exposition", "observe_request", "watch_pool"]

# Buckets from 2.5 ms (a search's floor) to 10 s (a large export).
BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("tasharuk_http_requests", "HTTP requests served, by route and status",
                   ("method", "route", "status"))
LATENCY = Histogram("tasharuk_http_request_duration_seconds",
                    "Time to answer a request, by route (the app's time, not the network's)",
                    ("route",), buckets=BUCKETS)
POOL_IN_USE = Gauge("tasharuk_db_pool_checked_out",
                    "Database connections checked out of the app's pools (all workers), by "
                    "database: the primary or a read replica", ("db",),
                    multiprocess_mode="livesum")
POOL_SIZE = Gauge("tasharuk_db_pool_size",
                  "Database connections the app's pools keep (all workers), by database",
                  ("db",), multiprocess_mode="livesum")
POOL_FAILURES = Counter("tasharuk_db_connect_failures",
                        "Pooled connections found broken and replaced, by database", ("db",))

GC_FROZEN = Gauge("tasharuk_gc_frozen_objects",
                  "Objects of the loaded app the garbage collector no longer scans, by worker "
                  "(gc.freeze when the worker has loaded the app)", multiprocess_mode="liveall")


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency under its route's name (the endpoint)."""
    count, latency = _series(method, route, status)
    count.inc()
    latency.observe(seconds)


@functools.lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple:
    """The labelled series of one (method, route, status), remembered: prometheus_client's
    own ``labels()`` finds the same ones again, but validates and locks on every call."""
    return REQUESTS.labels(method, route, str(status)), LATENCY.labels(route)


def watch_pool(engine: Engine, db: str = "primary") -> None:
    """Track the checkouts of ``engine``'s pool and its configured size, as database ``db``."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.labels(db).inc(size())
    in_use, failures = POOL_IN_USE.labels(db), POOL_FAILURES.labels(db)
    event.listen(engine, "checkout", lambda *a: in_use.inc())
    event.listen(engine, "checkin", lambda *a: in_use.dec())
    event.listen(engine, "invalidate", lambda *a: failures.inc())


class QueueCollector:
    """The job queue's figures, read from the database at each scrape (one for all workers)."""

    def __init__(self, stats: dict[str, int]):
        self.stats = stats

    def collect(self):
        jobs = GaugeMetricFamily("tasharuk_jobs", "Jobs in the queue, by state", labels=["state"])
        for state, n in sorted(self.stats.items()):
            if state not in ("depth", "errors"):
                jobs.add_metric([state], n)
        yield jobs
        yield GaugeMetricFamily("tasharuk_job_queue_depth",
                                "Jobs waiting whose time has come", value=self.stats["depth"])
        yield CounterMetricFamily("tasharuk_job_failures",
                                  "Failed job attempts recorded (each with its error)",
                                  value=self.stats["errors"])


class ReplicaCollector:
    """Each read replica's last verdict (``data.replicas.ReplicaSet.status``)."""

    def __init__(self, status: list[dict]):
        self.status = status

    def collect(self):
        usable = GaugeMetricFamily("tasharuk_db_replica_usable",
                                   "1 when reads go to this replica, 0 while it is skipped",
                                   labels=["replica"])
        lag = GaugeMetricFamily("tasharuk_db_replica_lag_seconds",
                                "The replica's replay lag at its last check", labels=["replica"])
        for i, r in enumerate(self.status, 1):
            usable.add_metric([f"replica{i}"], 1 if r["usable"] else 0)
            if r["lag_s"] is not None:
                lag.add_metric([f"replica{i}"], r["lag_s"])
        yield usable
        yield lag


def exposition(queue_stats: dict[str, int] | None = None,
               replicas: list[dict] | None = None) -> bytes:
    """The metrics in Prometheus' text format (all workers' when running under gunicorn),
    with the job queue's ``queue_stats`` (``data.queue.queue_stats``) and the read replicas'
    ``status()`` when given."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    out = generate_latest(registry)
    extra = CollectorRegistry()
    if queue_stats is not None:
        extra.register(QueueCollector(queue_stats))
    if replicas:
        extra.register(ReplicaCollector(replicas))
    return out + generate_latest(extra)
