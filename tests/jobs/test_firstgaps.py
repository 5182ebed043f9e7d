"""The first gap recomputation a starting worker queues (jobs.firstgaps), for each state the
recomputations already in the queue can be in."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from jobs.firstgaps import enqueue_first_recompute

TASK = "gaps.recompute"


def _job(session, status: str, heartbeat_ago: int | None = None, abort: bool = False) -> int:
    """A recomputation in ``status``; running on a worker whose last heartbeat was
    ``heartbeat_ago`` seconds ago (None: no worker row, as after the worker was pruned)."""
    worker = None if heartbeat_ago is None else session.scalar(text(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES "
        "(now() - make_interval(secs => :ago)) RETURNING id"), {"ago": heartbeat_ago})
    return session.scalar(text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id, "
        "abort_requested) VALUES ('default', :t, '{}', CAST(:s AS procrastinate_job_status), "
        ":w, :a) RETURNING id"), {"t": TASK, "s": status, "w": worker, "a": abort})


# existing recomputations -> what the starting worker does: "none" (nothing queued),
# "new" (one more queued), "handed back" (the stalled one is todo again, nothing new)
CASES = [
    ([], "new"),
    ([("succeeded", None, False)], "none"),
    ([("todo", None, False)], "none"),
    ([("doing", 0, False)], "none"),  # on a live worker
    ([("doing", 120, False)], "handed back"),  # its worker died
    ([("doing", None, False)], "handed back"),  # its worker was pruned
    ([("doing", 120, True)], "new"),  # an abort was asked: it is not run again
    ([("failed", None, False)], "new"),
    ([("failed", None, False), ("doing", 120, False)], "handed back"),
]


@pytest.mark.parametrize(("existing", "outcome"), CASES)
def test_a_starting_worker_queues_one_first_recomputation(session, existing, outcome):
    session.execute(text("DELETE FROM procrastinate_periodic_defers WHERE job_id IN "
                         "(SELECT id FROM procrastinate_jobs WHERE task_name = :t)"), {"t": TASK})
    session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = :t"), {"t": TASK})
    ids = [_job(session, *row) for row in existing]
    got = enqueue_first_recompute(session)
    rows = dict(session.execute(text(
        "SELECT id, status::text FROM procrastinate_jobs WHERE task_name = :t"), {"t": TASK}).all())
    if outcome == "none":
        assert got is None and sorted(rows) == ids
    elif outcome == "new":
        assert got not in ids and rows[got] == "todo" and len(rows) == len(ids) + 1
    else:
        assert got == ids[-1] and rows[got] == "todo" and sorted(rows) == ids
    assert [rows[i] for i in ids[:-1]] == [s for s, *_ in existing[:-1]]  # others untouched
