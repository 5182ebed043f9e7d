"""Background jobs on our own PostgreSQL (procrastinate): tasks and schedules, the worker,
the admins' view. For other rooms: ``enqueue_export`` and ``export_file`` (large exports),
``queue_stats`` (depth and failures, for /metrics and /readyz); mail is queued by
``referral.notify`` itself."""

from data.queue import QUEUES, enqueue, queue_stats
from jobs.exports import KINDS as EXPORT_KINDS
from jobs.exports import enqueue_export, export_file

__all__ = ["EXPORT_KINDS", "QUEUES", "enqueue", "enqueue_export", "export_file", "queue_stats"]
