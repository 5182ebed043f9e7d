"""How a job runs: inside the worker's Flask app, one session and transaction per job,
retried with exponential back-off, each failed attempt's error kept in ``job_error``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from procrastinate import JobContext, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from data.db import db
from data.models import JobError
from data.queue import base_app

__all__ = ["BackoffRetry", "bind", "flask_app", "job"]

log = logging.getLogger(__name__)

DEFAULT_ATTEMPTS = 5  # a job runs at most this often, then stays failed with its errors
DEFAULT_RETRY_BASE_S = 30.0  # waits 30 s, 1 min, 2 min, 4 min ... (JOB_RETRY_BASE_S)
MAX_RETRY_WAIT_S = 3600.0
ERROR_CHARS = 2000

_bound: dict[str, Flask] = {}


def bind(app: Flask) -> None:
    """Run this process's jobs in ``app`` (the worker binds the app it was started with)."""
    _bound["app"] = app


def flask_app() -> Flask:
    """The bound app, else the current one (a job run inside a test's app context)."""
    if "app" in _bound:
        return _bound["app"]
    if has_app_context():
        return current_app._get_current_object()
    raise RuntimeError("jobs.runtime.bind(app) was not called: start jobs with `tasharuk worker`")


class BackoffRetry(BaseRetryStrategy):
    """Retry any error ``attempts - 1`` times, waiting base x 2^n seconds (capped at an hour);
    the base is the app's ``JOB_RETRY_BASE_S``, read when the job fails."""

    def __init__(self, attempts: int = DEFAULT_ATTEMPTS):
        self.attempts = attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        """When to run ``job`` again after ``exception``, or None to leave it failed."""
        attempts = int(flask_app().config.get("JOB_MAX_ATTEMPTS") or self.attempts)
        if job.attempts + 1 >= attempts:
            return None
        base = float(flask_app().config.get("JOB_RETRY_BASE_S", DEFAULT_RETRY_BASE_S))
        return RetryDecision(retry_in={"seconds": min(base * 2 ** job.attempts,
                                                      MAX_RETRY_WAIT_S)})


def _record_error(job_: Job, exc: BaseException) -> None:
    """Keep the failed attempt's error in its own transaction (the job's was rolled back)."""
    with current_app.extensions["tasharuk_db"]["sessionmaker"]() as s:
        s.add(JobError(job_id=job_.id, attempt=job_.attempts + 1,
                       error_type=type(exc).__name__[:120], error=str(exc)[:ERROR_CHARS]))
        s.commit()


def job(name: str, *, queue: str = "default", attempts: int = DEFAULT_ATTEMPTS,
        with_job_id: bool = False, **options: Any) -> Callable:
    """Declare ``fn(session, **kwargs)`` as task ``name``: it runs in the worker's app with
    its own session, committed when it returns and rolled back (error kept, job retried)
    when it raises. ``with_job_id``: ``fn`` also gets ``job_id``."""

    def decorate(fn: Callable[..., Any]):
        @functools.wraps(fn)
        def run(context: JobContext, **kwargs: Any) -> Any:
            with flask_app().app_context():
                if with_job_id:
                    kwargs["job_id"] = context.job.id
                try:
                    result = fn(db.session, **kwargs)
                    db.session.commit()
                except Exception as exc:
                    db.session.rollback()
                    log.warning("job %s #%s failed: %s", name, context.job.id,
                                type(exc).__name__)
                    _record_error(context.job, exc)
                    raise
                return result

        return base_app().task(name=name, queue=queue, pass_context=True,
                               retry=BackoffRetry(attempts), **options)(run)

    return decorate
