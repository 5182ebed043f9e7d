"""``tasharuk worker``: procrastinate's worker on the app's database, in the app's context."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Flask
from procrastinate import PsycopgConnector

from data.queue import QUEUES, base_app
from jobs import runtime

__all__ = ["run"]

log = logging.getLogger(__name__)


def _check_schema(url: str) -> None:
    """Stop with what to do when the queue's tables are missing (migrations not run)."""
    import psycopg

    from data.errors import TasharukError

    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0]
    if found is None:
        raise TasharukError("The job queue's tables are missing from this database: run "
                            "`tasharuk db upgrade` first.", code="queue_missing")


def _queue_first_gaps(app: Flask) -> None:
    """Queue the site's first gap recomputation when none has succeeded (jobs.firstgaps),
    so the gap pages do not compute on request until the first nightly run."""
    from jobs.firstgaps import enqueue_first_recompute

    with app.app_context(), app.extensions["tasharuk_db"]["sessionmaker"]() as session:
        job_id = enqueue_first_recompute(session)
        session.commit()
    if job_id is not None:
        log.info("no gap recomputation yet: queued the first one (job %s)", job_id)


def run(app: Flask, *, queues: Sequence[str] = QUEUES, concurrency: int = 1,
        once: bool = False) -> None:
    """Run jobs of ``queues`` until stopped (SIGINT/SIGTERM finish the running jobs first);
    ``once``: run what is due now, then return (cron-style, and tests)."""
    import jobs.tasks  # noqa: F401 - registers every task and schedule

    _check_schema(app.config["DATABASE_URL"])
    runtime.bind(app)
    if "default" in queues:
        _queue_first_gaps(app)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    connector = PsycopgConnector(conninfo=app.config["DATABASE_URL"], min_size=1,
                                 max_size=max(2, concurrency + 1))
    with base_app().replace_connector(connector) as queue:
        queue.run_worker(queues=list(queues), concurrency=concurrency, wait=not once,
                         install_signal_handlers=not once, listen_notify=not once)
