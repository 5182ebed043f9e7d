"""``tasharuk worker``: procrastinate's worker on the app's database, in the app's context."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Flask
from procrastinate import PsycopgConnector

from data.queue import QUEUES, base_app
from jobs import runtime

__all__ = ["run"]


def run(app: Flask, *, queues: Sequence[str] = QUEUES, concurrency: int = 1,
        once: bool = False) -> None:
    """Run jobs of ``queues`` until stopped (SIGINT/SIGTERM finish the running jobs first);
    ``once``: run what is due now, then return (cron-style, and tests)."""
    import jobs.tasks  # noqa: F401 - registers every task and schedule

    runtime.bind(app)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    connector = PsycopgConnector(conninfo=app.config["DATABASE_URL"], min_size=1,
                                 max_size=max(2, concurrency + 1))
    with base_app().replace_connector(connector) as queue:
        queue.run_worker(queues=list(queues), concurrency=concurrency, wait=not once,
                         install_signal_handlers=not once, listen_notify=not once)
