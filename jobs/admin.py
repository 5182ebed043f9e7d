"""What platform admins see of the queue: jobs by state with their attempts and errors, and
a failed job sent back to the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.errors import BadInput, Conflict, NotFound
from data.models import JobError

__all__ = ["STATES", "JobRow", "list_jobs", "retry_failed"]

STATES = ("todo", "doing", "failed", "succeeded", "cancelled", "aborted")
PAGE = 50


@dataclass
class JobRow:
    """One job as the page shows it (its arguments carry ids only, never personal data)."""

    id: int
    task: str
    queue: str
    status: str
    attempts: int
    scheduled_at: dt.datetime | None
    args: dict
    updated_at: dt.datetime | None
    errors: list[JobError] = field(default_factory=list)

    @property
    def retried(self) -> bool:
        """Whether the job ran more than once."""
        return len(self.errors) > 0 and (self.status != "failed" or len(self.errors) > 1)


def list_jobs(session: Session, status: str | None = None, *, limit: int = PAGE,
              offset: int = 0) -> list[JobRow]:
    """The newest jobs (of ``status`` when given), each with its recorded errors."""
    if status is not None and status not in STATES:
        raise BadInput(_("%(field)s must be one of: %(values)s.", field="status",
                         values=", ".join(STATES)), field="status")
    rows = session.execute(text(
        "SELECT j.id, j.task_name, j.queue_name, j.status::text, j.attempts, j.scheduled_at, "
        "j.args, (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) "
        "FROM procrastinate_jobs j WHERE (CAST(:status AS text) IS NULL "
        "OR j.status::text = :status) ORDER BY j.id DESC LIMIT :limit OFFSET :offset"),
        {"status": status, "limit": limit, "offset": offset}).all()
    jobs = [JobRow(*r) for r in rows]
    if jobs:
        by_id = {j.id: j for j in jobs}
        for err in session.scalars(select(JobError).where(JobError.job_id.in_(by_id))
                                   .order_by(JobError.job_id, JobError.attempt)):
            by_id[err.job_id].errors.append(err)
    return jobs


def retry_failed(session: Session, job_id: int) -> None:
    """Send failed job ``job_id`` back to the queue now (flush; the caller commits)."""
    current = session.scalar(text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"),
                             {"id": job_id})
    if current is None:
        raise NotFound(_("Job %(id)s does not exist.", id=job_id), field="id")
    if current != "failed":
        raise Conflict(_("Only a failed job can be retried; job %(id)s is %(status)s.",
                         id=job_id, status=current),
                       field="id", details={"status": current})
    session.execute(text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
                    {"id": job_id})
