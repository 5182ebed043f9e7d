"""Jobs pages. Views parse input, call one use case, render; the request commits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from data.db import db
from data.queue import queue_stats
from jobs.admin import PAGE, STATES, list_jobs, retry_failed

from ..args import page_arg
from ..security import allow
from . import bp

STATE_LABELS = {"todo": _l("queued"), "doing": _l("running"), "failed": _l("failed"),
                "succeeded": _l("done"), "cancelled": _l("cancelled"), "aborted": _l("aborted"),
                "aborting": _l("aborting")}


@bp.get("/")
@allow("platform_admin")
def index():
    """The newest jobs, optionally of one state, with the queue's counts."""
    status = request.args.get("status") or None
    page = page_arg()
    jobs = list_jobs(db.session, status, limit=PAGE, offset=(page - 1) * PAGE)
    return render_template("jobs/index.html", jobs=jobs, stats=queue_stats(db.session),
                           states=STATES, labels=STATE_LABELS, status=status, page=page,
                           more=len(jobs) == PAGE)


@bp.post("/<int:job_id>/retry")
@allow("platform_admin")
def retry(job_id: int):
    """Send a failed job back to the queue."""
    retry_failed(db.session, job_id)
    db.session.commit()
    flash(_("Job %(id)s is queued again.", id=job_id), "success")
    return redirect(url_for("jobs.index", status="failed"))
