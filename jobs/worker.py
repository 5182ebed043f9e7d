"""``tasharuk worker``: procrastinate's worker on the app's database, in the app's context."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import Any

from flask import Flask
from procrastinate import App, PsycopgConnector

from data.dbproblems import first_line
from data.queue import QUEUES, base_app
from jobs import runtime

__all__ = ["run"]

log = logging.getLogger(__name__)
RECONNECT_MAX_S = 10.0  # the longest wait between two tries while the database is away


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
        log.info("no gap recomputation yet: the first one is queued (job %s)", job_id)


def run(app: Flask, *, queues: Sequence[str] = QUEUES, concurrency: int = 1,
        once: bool = False) -> None:
    """Run jobs of ``queues`` until stopped (SIGINT/SIGTERM finish the running jobs first);
    ``once``: run what is due now, then return (cron-style, and tests)."""
    # (procrastinate's own lines from warnings up: it announces every schedule as it registers)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    import jobs.tasks  # noqa: F401 - registers every task and schedule

    _check_schema(app.config["DATABASE_URL"])
    runtime.bind(app)
    if "default" in queues:
        _queue_first_gaps(app)
    connector = PsycopgConnector(conninfo=app.config["DATABASE_URL"], min_size=1,
                                 max_size=max(2, concurrency + 1))
    with base_app().replace_connector(connector) as queue:
        if once:
            queue.run_worker(queues=list(queues), concurrency=concurrency, wait=False,
                             install_signal_handlers=False, listen_notify=False)
            return
        asyncio.run(_keep_working(queue, app.config["DATABASE_URL"],
                                  {"queues": list(queues), "concurrency": concurrency}))


async def _keep_working(queue: App, url: str, options: dict[str, Any]) -> None:
    """Run procrastinate's worker until SIGINT or SIGTERM, which let the running jobs finish;
    when it stops by itself (its database connections died: a restart, a failover, a network
    cut), wait until the database answers and start it again.

    Why: procrastinate's worker ends when its notification listener loses the database, and
    ended quietly (exit 0), so systemd (``Restart=on-failure``) left the jobs stopped: mail,
    referral expiry and reminders waited for a person to notice."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with queue.open_async():
            while not stop.is_set():
                worker = asyncio.create_task(queue.run_worker_async(
                    **options, wait=True, install_signal_handlers=False, listen_notify=True))
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():  # cancelled, procrastinate finishes the running jobs
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                    return
                stopping.cancel()
                problem = worker.exception()
                if problem is not None and not _database_gone(problem):
                    raise problem
                log.warning("the worker stopped: the database stopped answering (%s); it "
                            "starts again when the database answers",
                            first_line(problem.__cause__ or problem) if problem
                            else "its listener lost it")
                await _until_the_database_answers(url, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _database_gone(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the database going away."""
    import psycopg
    from procrastinate.exceptions import ConnectorException

    while exc is not None:
        if isinstance(exc, (ConnectorException, psycopg.OperationalError, OSError)):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


async def _until_the_database_answers(url: str, stop: asyncio.Event) -> None:
    """Return once a connection to ``url`` succeeds (or a stop is asked for), trying again
    after 1, 2, 4... up to ``RECONNECT_MAX_S`` seconds."""
    import psycopg

    wait = 1.0
    with contextlib.suppress(TimeoutError):  # (never a tight loop, whatever stopped it)
        await asyncio.wait_for(stop.wait(), wait)
    while not stop.is_set():
        try:
            conn = await psycopg.AsyncConnection.connect(url, connect_timeout=5)
        except psycopg.OperationalError:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            wait = min(wait * 2, RECONNECT_MAX_S)
            continue
        await conn.close()
        log.info("the database answers again: the worker starts again")
        return
