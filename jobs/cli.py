"""``tasharuk worker`` and ``tasharuk jobs list|retry|stats``: run and inspect the queue."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from data.clitools import ErrorMappingGroup
from data.db import db
from data.queue import QUEUES

jobs_cli = ErrorMappingGroup("jobs", help="Background jobs: list, retry a failed one, counts.")


@click.command("worker")
@with_appcontext
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES),
              help="Serve only this queue (repeatable; default: all).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs run at the same time in this process.")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
def worker_cmd(queues: tuple[str, ...], concurrency: int, once: bool) -> None:
    """Run background jobs (mail, expiry, reminders, ranking, gaps, exports) and their
    schedules until stopped; run one or more per site (see README, Deploying)."""
    from data.jsonlog import log_json_lines
    from jobs.worker import run

    log_json_lines()  # one JSON line a record, a job's with the request id it runs under
    run(current_app._get_current_object(), queues=queues or QUEUES,
        concurrency=concurrency, once=once)


@jobs_cli.command("list")
@click.option("--status", default=None, help="todo, doing, failed, succeeded, cancelled, aborted")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def list_cmd(status: str | None, limit: int) -> None:
    """The newest jobs: id, state, attempts, task, last error."""
    from jobs.admin import list_jobs

    for j in list_jobs(db.session, status, limit=limit):
        last = j.errors[-1] if j.errors else None
        error = f"\t{last.error_type}: {last.error}" if last else ""
        click.echo(f"{j.id}\t{j.status}\t{j.attempts}\t{j.task}{error}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_cmd(job_id: int) -> None:
    """Send failed job JOB_ID back to the queue."""
    from jobs.admin import retry_failed

    retry_failed(db.session, job_id)
    db.session.commit()
    click.echo(f"job {job_id} queued again")


@jobs_cli.command("stats")
def stats_cmd() -> None:
    """Jobs by state, the queue depth and the failed attempts recorded, as JSON."""
    from data.queue import queue_stats

    click.echo(json.dumps(queue_stats(db.session)))
