"""Every background task and its schedule, declared in code (``tasharuk worker`` runs them).

On demand: ``mail.send`` (enqueued by ``referral.notify`` in the change's own transaction)
``exports.run`` (``jobs.enqueue_export``) and ``exports.cache`` (a large export's download,
web.downloads). Periodic (cron, UTC): referral expiry every
15 minutes, SLA reminders hourly, stale-listing reminders and review links daily, the search
ranking's refresh, the national gap tables, the planners' notebooks (executed read-only
after them) and the erasure of long-closed referrals' personal data (retention) nightly,
jobs left running by a worker that died run again every 5 minutes, and pruning of old finished
jobs, of sign-in sessions that can no longer be used and of
login-throttle rows quiet for a day.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from pathlib import Path

from flask import current_app
from procrastinate import JobContext
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from data.db import db
from data.io.downloads import BUILD_TASK, build, cache_folder, gap_cache_folder
from data.models import User
from data.queue import base_app
from jobs.exports import EXPORT_TASK, run_export
from jobs.runtime import job
from referral.notify import MAIL_TASK, MailConfig, deliver

__all__ = ["GAP_LEVELS", "KEEP_FINISHED_DAYS", "MailNotSent"]

GAP_LEVELS = ("1", "2", "3")
KEEP_FINISHED_DAYS = 30  # succeeded/cancelled jobs older than this are deleted nightly
STALLED_AFTER_S = 60  # a worker this long without a heartbeat (it beats every 10 s) is dead
queue = base_app()


class MailNotSent(RuntimeError):
    """The SMTP server refused or could not be reached (retried; the address is not kept)."""


@job(MAIL_TASK, queue="mail")
def send_mail(session: Session, user_id: int, subject: str, body: str) -> str:
    """Send one notification email to user ``user_id`` (the address is read now)."""
    config = MailConfig.from_flask()
    user = session.get(User, user_id)
    if not config.server or user is None or not user.active or not user.email:
        return "skipped"
    try:
        deliver(config, user.email, subject, body)
    except smtplib.SMTPResponseException as exc:
        raise MailNotSent(f"SMTP {exc.smtp_code} from {config.server}:{config.port}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise MailNotSent(f"{type(exc).__name__} talking to {config.server}:{config.port}"
                          ) from None
    return "sent"


@job(EXPORT_TASK, queue="exports", with_job_id=True)
def export(session: Session, job_id: int, kind: str, params: dict) -> str:
    """Write export ``kind`` to EXPORT_FOLDER/<job id>.<ext> (read from a replica if any)."""
    return str(run_export(db.read_session, job_id, kind, params or {}))


@job(BUILD_TASK, queue="exports")
def cache_export(session: Session, kind: str, hxl: bool = True) -> str:
    """Build export ``kind`` at the current data version into the exports cache, where the
    download address (web.downloads) finds it; nothing to do when it is there already."""
    slots = int(current_app.config.get("EXPORT_SLOTS", 1))
    return str(build(session, cache_folder(current_app.config), kind, hxl=hxl,
                     slots=slots).path)


@queue.periodic(cron="*/15 * * * *")
@job("referrals.expire")
def expire_referrals(session: Session, timestamp: int) -> int:
    """Expire sent referrals past their due time."""
    from referral.expiry import expire_overdue

    return expire_overdue(session)


@queue.periodic(cron="5 * * * *")
@job("referrals.remind_due")
def remind_due(session: Session, timestamp: int) -> int:
    """Remind receivers of referrals due within a day (once each)."""
    from referral.reminders import remind_due as remind

    return remind(session)


@queue.periodic(cron="0 6 * * *")
@job("directory.remind_stale")
def remind_stale(session: Session, timestamp: int) -> dict:
    """Remind organisation admins of stale listings (at most weekly per organisation)."""
    from network.directory import remind_stale as remind

    return remind(session)


@queue.periodic(cron="15 6 * * *")
@job("directory.review_links")
def send_review_links(session: Session, timestamp: int) -> dict:
    """Send signed review links for listings due for review (one live link per listing)."""
    from network.freshness import send_review_links as send

    return send(session, current_app.config["SECRET_KEY"])


@queue.periodic(cron="20 3 * * *")
@job("changes.prune")
def prune_changes(session: Session, timestamp: int) -> int:
    """Delete change-feed entries older than 90 days (older cursors are then refused)."""
    from network.changes import prune_changes as prune

    return prune(session)


@queue.periodic(cron="*/5 * * * *")
@queue.task(name="jobs.retry_stalled", queue="default", queueing_lock="jobs.retry_stalled",
            pass_context=True)
async def retry_stalled(context: JobContext, timestamp: int) -> int:
    """Jobs left running by a worker that died (no heartbeat for ``STALLED_AFTER_S``: killed,
    out of memory, its machine lost) run again, so a committed change's mail is sent at least
    once rather than never (a worker that stops on SIGTERM finishes or hands back its jobs)."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S))
    for stuck in stalled:
        await manager.retry_job(stuck)
    return len(stalled)


@queue.periodic(cron="* * * * *")
@job("webhooks.fanout")
def webhooks_fanout(session: Session, timestamp: int) -> int:
    """One delivery job per new change for every active webhook."""
    from network.webhooks import fan_out

    return fan_out(session)


@job("webhooks.deliver", queue="webhooks", attempts=1)
def webhooks_deliver(session: Session, delivery_id: int) -> str:
    """Send one webhook event (its own retries are scheduled as new jobs, logged)."""
    from network.webhooks import deliver

    return deliver(session, delivery_id)


@queue.periodic(cron="30 1 * * *")
@job("ranking.refresh")
def refresh_ranking(session: Session, timestamp: int | None = None) -> dict:
    """Recompute the search ranking's referral-outcome terms."""
    from referral.ranking import refresh_ranking as refresh

    return refresh(session)


@queue.periodic(cron="45 2 * * *")
@job("referrals.erase_closed")
def erase_closed(session: Session, timestamp: int | None = None) -> dict:
    """Erase the personal data of referrals closed TASHARUK_RETENTION_DAYS ago (nightly)."""
    from referral.retention import erase_closed as erase

    report = erase(session, days=int(current_app.config.get("RETENTION_DAYS", 365)))
    return {"cases": report.cases, "referrals": report.referrals, "events": report.events}


@queue.periodic(cron="0 2 * * *")  # planning.gapcache.RECOMPUTE_CRON
@job("gaps.recompute", with_job_id=True)  # planning.gapcache.RECOMPUTE_TASK
def recompute_gaps(session: Session, job_id: int, timestamp: int | None = None) -> list[str]:
    """Recompute the national gap tables (every level) into EXPORT_FOLDER/gaps/, and every
    level x sector table, its maps (sites or not, Arabic and English) and the facts for the
    other selections into the gap pages' cache under this run's snapshot (the pages switch to
    it when the job has succeeded)."""
    from sqlalchemy import select

    from data.gapdata import analyze_unanalysed
    from data.models import Sector
    from planning.gapcache import job_snapshot, predraw, warm
    from planning.gaps import table_csv

    analyze_unanalysed(session)  # a site's first run often follows its first bulk load
    read = db.read_session  # read from a replica if any
    sectors: list[str | None] = [None, *read.scalars(
        select(Sector.code).where(Sector.parent_code.is_(None)).order_by(Sector.code))]
    cache, version = gap_cache_folder(current_app.config), job_snapshot(session, job_id)
    tables = warm(read, cache, version, GAP_LEVELS, sectors)
    predraw(read, cache, version, tables, [job_map_options(lang) for lang in ("ar", "en")])
    national = {str(sel.level): t for sel, t in tables.items() if sel.sector is None}
    folder = Path(current_app.config["EXPORT_FOLDER"]) / "gaps"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for level in GAP_LEVELS:
        partial = folder / f".level-{level}.csv.partial"
        partial.write_text(table_csv(national[level]), encoding="utf-8")
        partial.replace(folder / f"level-{level}.csv")
        written.append(f"level-{level}.csv")
    return written


def job_map_options(lang: str) -> dict[str, str]:
    """The gap map page's options in ``lang``, as a request for it would have them."""
    from flask import url_for
    from flask_babel import force_locale

    from planning.gapcache import map_options

    with current_app.test_request_context("/"), force_locale(lang):
        return map_options(lang, tiles_url=current_app.config.get("TILES_URL", ""),
                           asset_base=url_for("main.leaflet_asset", filename="x")[:-2])


@queue.periodic(cron="40 2 * * *")
@job("notebooks.execute")
def execute_notebooks(session: Session, timestamp: int | None = None) -> list[str]:
    """Execute the planners' notebooks on the site's data, read-only, after the nightly gap
    recomputation: the notebook page shows their outputs and offers the executed .ipynb."""
    from planning.notebook_run import execute_all

    return [str(done.html) for done in execute_all(current_app.config)]


@queue.periodic(cron="15 3 * * *")
@job("jobs.prune")
def prune(session: Session, timestamp: int | None = None) -> int:
    """Delete succeeded and cancelled jobs older than KEEP_FINISHED_DAYS (failed ones stay),
    but never a task's newest success: the gap pages serve the snapshot of the last
    successful recomputation, named by its job, even when the nightly one has failed since."""
    from data.models import JobError

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=KEEP_FINISHED_DAYS)
    ids = [r[0] for r in session.execute(text(
        "SELECT j.id FROM procrastinate_jobs j WHERE j.status IN ('succeeded', 'cancelled') "
        "AND NOT EXISTS (SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id "
        "AND e.at >= :cutoff) AND j.id NOT IN (SELECT max(n.id) FROM procrastinate_jobs n "
        "WHERE n.status = 'succeeded' GROUP BY n.task_name)"), {"cutoff": cutoff})]
    if ids:
        session.execute(delete(JobError).where(JobError.job_id.in_(ids)))
        session.execute(text("DELETE FROM procrastinate_periodic_defers "
                             "WHERE job_id = ANY(:ids)"), {"ids": ids})
        session.execute(text("DELETE FROM procrastinate_jobs WHERE id = ANY(:ids)"),
                        {"ids": ids})
    return len(ids)


@queue.periodic(cron="30 3 * * *")
@job("sessions.purge")
def purge_sessions(session: Session, timestamp: int | None = None) -> int:
    """Delete sign-in sessions that ended or expired (idle or absolute lifetime)."""
    from network.sessions import Lifetimes, purge

    return purge(session, Lifetimes.from_config(current_app.config))


@queue.periodic(cron="35 3 * * *")
@job("throttle.purge")
def purge_throttle(session: Session, timestamp: int | None = None) -> int:
    """Delete login-throttle rows quiet for a day (their failures are forgotten anyway)."""
    from network.throttle import purge

    return purge(session)


@queue.periodic(cron="40 3 * * *")
@job("submissions.purge")
def purge_submissions(session: Session, timestamp: int | None = None) -> int:
    """Delete the keys of referral requests older than a day (``data.submissions``)."""
    from data.submissions import purge

    return purge(session)
