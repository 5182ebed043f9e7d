"""A site's first gap recomputation, queued once when none has succeeded, so the gap pages
never wait for the first nightly run (``tasharuk worker`` at start, ``tasharuk bootstrap``).

Deduplicated: a transaction-scoped advisory lock serialises the check and the insert, so N
workers starting together queue one job; none is queued while one is queued or running (on
a worker whose heartbeat is recent), or once one has succeeded (the nightly schedule takes
over)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from data.queue import enqueue
from planning.gapcache import RECOMPUTE_TASK

__all__ = ["STALLED_WORKER_S", "enqueue_first_recompute"]

# a running job counts while its worker's heartbeat is this recent (procrastinate's own
# stalled-worker timeout): one whose worker died mid-run (killed, out of memory) does not
STALLED_WORKER_S = 30


def enqueue_first_recompute(session: Session) -> int | None:
    """Queue ``gaps.recompute`` in the session's transaction when no recomputation has
    succeeded and none is queued or running on a live worker; its job id, else None (the
    caller commits)."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:task))"),
                    {"task": RECOMPUTE_TASK})
    known = session.scalar(text(
        "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w "
        "ON w.id = j.worker_id WHERE j.task_name = :task AND (j.status IN ('todo', "
        "'succeeded') OR (j.status = 'doing' AND w.last_heartbeat > now() - "
        "make_interval(secs => :stalled))))"),
        {"task": RECOMPUTE_TASK, "stalled": STALLED_WORKER_S})
    return None if known else enqueue(session, RECOMPUTE_TASK)
