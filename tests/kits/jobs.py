"""Run the jobs queued in a test's own (rolled-back) transaction, in the test's process.

A real worker cannot see uncommitted jobs; tests whose data lives in the rolled-back
transaction run them here, through the same task functions the worker runs, on the test's
connection. Tests of the worker itself start ``tasharuk worker`` on a committed database.
"""

from __future__ import annotations

import time

from procrastinate import JobContext
from procrastinate.jobs import Job
from sqlalchemy import text
from sqlalchemy.orm import Session


def run_queued(app, session: Session, task: str | None = None) -> list[tuple[str, str]]:
    """Run every ``todo`` job (of ``task``) now; return (task, outcome) for each. A job that
    raises is marked failed here (no retry: the worker's retries are tested with a worker)."""
    import jobs.tasks  # noqa: F401 - registers the tasks
    from data.queue import base_app

    session.flush()
    rows = session.execute(text(
        "SELECT id, task_name, queue_name, args, attempts FROM procrastinate_jobs "
        "WHERE status = 'todo' AND (CAST(:task AS text) IS NULL OR task_name = :task) "
        "ORDER BY id"), {"task": task}).all()
    done = []
    for job_id, name, queue, args, attempts in rows:
        job = Job(id=job_id, queue=queue, lock=None, queueing_lock=None, task_name=name,
                  task_kwargs=args, attempts=attempts)
        context = JobContext(app=base_app(), job=job, start_timestamp=time.time(),
                             abort_reason=lambda: None)
        status = "succeeded"
        with app.app_context():
            try:
                outcome = base_app().tasks[name].func(context, **args)
            except Exception as exc:  # noqa: BLE001 - reported as the job's outcome
                status, outcome = "failed", type(exc).__name__
        session.execute(text("UPDATE procrastinate_jobs SET status = CAST(:s AS "
                             "procrastinate_job_status), attempts = attempts + 1 "
                             "WHERE id = :id"), {"s": status, "id": job_id})
        done.append((name, str(outcome)))
    return done
