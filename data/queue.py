"""The background-job queue's data side: procrastinate on our own PostgreSQL (no new service).

Jobs are enqueued on the caller's own connection (``enqueue(session, ...)``), so a job is
written in the same transaction as the change that causes it: a rolled-back change leaves no
job, a committed one never loses its job. Tasks are named, not imported here (they live in
``jobs/``, which may import every room); the worker runs them. This module imports nothing
of ours but ``data``.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from procrastinate import App, PsycopgConnector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from data import requestid
from data.models.jobs import JobError

__all__ = ["QUEUES", "REQUEST_ID_ARG", "base_app", "enqueue", "queue_app", "queue_stats"]

QUEUES = ("mail", "default", "exports")  # the worker serves all; `--queue` picks some
# the job argument carrying the id of the request that queued it (``jobs.runtime.job`` takes
# it out and runs the job under it: its log lines and audit entries join the request's)
REQUEST_ID_ARG = "_request_id"


@functools.cache
def base_app() -> App:
    """The process's procrastinate app; its connector opens nothing until a worker starts."""
    return App(connector=PsycopgConnector())


def queue_app(url: str) -> App:
    """The app bound to the database at libpq ``url`` (the worker's and the admin's)."""
    return base_app().with_connector(PsycopgConnector(conninfo=url, min_size=1, max_size=4))


def _driver_connection(session: Session):
    """The psycopg connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def enqueue(session: Session, task: str, *, queue: str = "default",
            lock: str | None = None, queueing_lock: str | None = None,
            schedule_in: dt.timedelta | None = None, **kwargs: Any) -> int:
    """Write job ``task(**kwargs)`` in the session's transaction; return its id.

    ``kwargs`` must be JSON values and carry no personal data (ids, not names or
    addresses: the jobs page shows them). Nothing runs until the transaction commits. Queued
    while a request is served, the job carries its id (``REQUEST_ID_ARG``).
    """
    options: dict[str, Any] = {"name": task, "queue": queue,
                               "connection": _driver_connection(session)}
    if lock:
        options["lock"] = lock
    if queueing_lock:
        options["queueing_lock"] = queueing_lock
    if schedule_in is not None:
        options["schedule_in"] = {"seconds": schedule_in.total_seconds()}
    rid = requestid.current()
    if rid:
        kwargs[REQUEST_ID_ARG] = rid
    return base_app().configure_task(**options).defer(**kwargs)


def queue_stats(session: Session) -> dict[str, int]:
    """Jobs by state (todo, doing, succeeded, failed, cancelled, aborting, aborted), the
    queue depth (todo whose time has come), and failed attempts recorded (``errors``).

    For ``/metrics`` and ``/readyz``: two cheap aggregate queries on the primary.
    """
    counts = dict(session.execute(text(
        "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")).all())
    depth = session.scalar(text(
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' "
        "AND (scheduled_at IS NULL OR scheduled_at <= now())"))
    out = {s: int(counts.get(s, 0)) for s in
           ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")}
    out["depth"] = int(depth or 0)
    out["errors"] = int(session.scalar(select(func.count()).select_from(JobError)) or 0)
    return out
