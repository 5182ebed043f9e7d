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


def hold_schedules(url: str, *, ticks: int = 2) -> None:
    """Mark every schedule's latest tick, and its next ``ticks``, as already deferred in the
    database at ``url``, so a ``tasharuk worker`` the test starts runs only what the test
    queued. Why: a worker defers a schedule's tick up to ten minutes late, so a test run
    just after 02:00 UTC also got the nightly gap recomputation (CI failed on it), after
    02:40 the notebooks, and every minute a webhook fan-out."""
    import psycopg

    import jobs.tasks  # noqa: F401 - registers the schedules
    from data.queue import base_app

    now = time.time()
    rows = []
    for periodic in base_app().periodic_registry.periodic_tasks.values():
        cron = periodic.croniter
        cron.set_current(start_time=now)
        rows.append((periodic.task.name, periodic.periodic_id,
                     round(cron.get_prev(ret_type=float))))
        cron.set_current(start_time=now)
        rows += [(periodic.task.name, periodic.periodic_id, round(cron.get_next(ret_type=float)))
                 for _ in range(ticks)]
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO procrastinate_periodic_defers (task_name, periodic_id, "
                        "defer_timestamp) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", rows)
