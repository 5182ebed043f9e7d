"""A site's first gap recomputation, queued once when none has succeeded, so the gap pages
never wait for the first nightly run (``tasharuk worker`` at start, ``tasharuk bootstrap``).

Deduplicated: a transaction-scoped advisory lock serialises the check and the insert, so N
workers starting together queue one job; none is queued while one is queued or running (on
a worker whose heartbeat is recent), or once one has succeeded (the nightly schedule takes
over). One left running by a dead worker is handed back to the queue rather than queued again
beside it, so it runs once, not once here and once more when ``jobs.retry_stalled`` finds it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from data.queue import enqueue
from planning.gapcache import LIVE_WORKER, RECOMPUTE_TASK, STALLED_WORKER_S, recompute_known

__all__ = ["enqueue_first_recompute"]


def enqueue_first_recompute(session: Session) -> int | None:
    """Queue ``gaps.recompute`` in the session's transaction when no recomputation has
    succeeded and none is queued or running on a live worker (handing back the ones a dead
    worker left running instead); the id of the job that will run, else None (the caller
    commits)."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:task))"),
                    {"task": RECOMPUTE_TASK})
    if recompute_known(session, succeeded=True):
        return None
    stalled = session.scalars(text(
        "SELECT j.id FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w "
        "ON w.id = j.worker_id WHERE j.task_name = :task AND j.status = 'doing' AND "
        f"NOT j.abort_requested AND NOT coalesce({LIVE_WORKER}, false) "
        "ORDER BY j.id FOR UPDATE OF j"),
        {"task": RECOMPUTE_TASK, "stalled": STALLED_WORKER_S}).all()
    for job_id in stalled:
        session.execute(text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
                        {"id": job_id})
    return stalled[-1] if stalled else enqueue(session, RECOMPUTE_TASK)
