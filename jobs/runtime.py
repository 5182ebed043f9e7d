"""How a job runs: inside the worker's Flask app, one session and transaction per job,
retried with exponential back-off, each failed attempt's error kept in ``job_error``."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from procrastinate import JobContext, RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from data import requestid
from data.db import db
from data.models import JobError
from data.queue import REQUEST_ID_ARG, base_app

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


def _log_job(name: str, job_: Job, outcome: str, seconds: float) -> None:
    """One line a job run (a JSON line under ``tasharuk worker``): task, id, attempt, outcome,
    time and the request id it runs under; never its arguments (they may name people's
    records)."""
    log.log(logging.INFO if outcome == "succeeded" else logging.WARNING, "job %s #%s %s",
            name, job_.id, outcome, extra={"fields": {
                "event": "job", "task": name, "job_id": job_.id, "attempt": job_.attempts + 1,
                "outcome": outcome, "ms": round(seconds * 1000, 2),
                "request_id": requestid.current()}})


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
            # the queuing request's id, else one of its own: its lines and audit entries join
            requestid.set_current(kwargs.pop(REQUEST_ID_ARG, None) or requestid.new_id())
            started, outcome = time.perf_counter(), "succeeded"
            try:
                with flask_app().app_context():
                    if with_job_id:
                        kwargs["job_id"] = context.job.id
                    try:
                        result = fn(db.session, **kwargs)
                        db.session.commit()
                    except Exception as exc:
                        db.session.rollback()
                        outcome = f"failed: {type(exc).__name__}"
                        _record_error(context.job, exc)
                        raise
                    return result
            finally:
                _log_job(name, context.job, outcome, time.perf_counter() - started)
                requestid.set_current(None)

        return base_app().task(name=name, queue=queue, pass_context=True,
                               retry=BackoffRetry(attempts), **options)(run)

    return decorate
