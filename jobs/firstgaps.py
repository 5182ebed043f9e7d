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
from planning.gapcache import RECOMPUTE_TASK, recompute_known

__all__ = ["enqueue_first_recompute"]


def enqueue_first_recompute(session: Session) -> int | None:
    """Queue ``gaps.recompute`` in the session's transaction when no recomputation has
    succeeded and none is queued or running on a live worker; its job id, else None (the
    caller commits)."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:task))"),
                    {"task": RECOMPUTE_TASK})
    return None if recompute_known(session, succeeded=True) else \
        enqueue(session, RECOMPUTE_TASK)
