"""The queue inside the test's transaction: jobs written with the change, the schedules
declared in code, the admin's listing and retry, the CLI's refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.kits.jobs import run_queued


def _jobs(session, task: str) -> list[tuple]:
    return session.execute(text(
        "SELECT id, status::text, args FROM procrastinate_jobs WHERE task_name = :t "
        "ORDER BY id"), {"t": task}).all()


def test_mail_job_is_written_in_the_changes_transaction_and_gone_with_its_rollback(
        session, make):
    from referral.notify import MailConfig, notify

    user = make.user(role="org_admin")
    config = MailConfig("127.0.0.1", 25)
    nested = session.begin_nested()
    notify(session, [user], "test.kind", "نص", "Text", "/x", config=config)
    assert [j[2]["user_id"] for j in _jobs(session, "mail.send")] == [user.id]
    nested.rollback()
    assert _jobs(session, "mail.send") == []
    notify(session, [user], "test.kind", "نص", "Text", "/x", config=config)
    (job,) = _jobs(session, "mail.send")
    assert job[1] == "todo" and user.email not in str(job[2])


def test_no_mail_job_when_mail_is_off(session, make):
    from referral.notify import MailConfig, notify

    assert notify(session, [make.user()], "k", "ا", "a", "/x", config=MailConfig()) == 1
    assert _jobs(session, "mail.send") == []


def test_schedules_are_declared_in_code():
    import jobs.tasks  # noqa: F401
    from data.queue import base_app

    crons = {p.task.name: p.cron for p in base_app().periodic_registry.periodic_tasks.values()}
    assert crons == {
        "referrals.expire": "*/15 * * * *", "referrals.remind_due": "5 * * * *",
        "directory.remind_stale": "0 6 * * *", "directory.review_links": "15 6 * * *",
        "ranking.refresh": "30 1 * * *",
        "gaps.recompute": "0 2 * * *", "notebooks.execute": "40 2 * * *",
        "referrals.erase_closed": "45 2 * * *",
        "jobs.prune": "15 3 * * *", "changes.prune": "20 3 * * *",
        "webhooks.fanout": "* * * * *", "jobs.retry_stalled": "*/5 * * * *",
        "sessions.purge": "30 3 * * *", "throttle.purge": "35 3 * * *",
        "submissions.purge": "40 3 * * *"}


def test_queue_stats_count_depth_and_failures(session, make, app):
    from data.queue import enqueue, queue_stats

    before = queue_stats(session)
    enqueue(session, "no.such.task", x=1)
    after = queue_stats(session)
    assert after["todo"] == before["todo"] + 1 and after["depth"] == before["depth"] + 1
    assert run_queued(app, session, "no.such.task") == [("no.such.task", "KeyError")]
    assert queue_stats(session)["failed"] == before["failed"] + 1


@pytest.mark.parametrize(("args", "code", "message"), [
    (["jobs", "retry", "999999999"], 2, "does not exist"),
    (["jobs", "list", "--status", "lost"], 2, "status must be one of"),
    (["worker", "--queue", "nope"], 2, "Invalid value"),
])
def test_cli_refuses_bad_input_with_exit_2(runner, args, code, message):
    res = runner.invoke(args=args)
    assert res.exit_code == code
    assert message in res.output


def test_worker_on_a_database_without_the_queue_says_to_migrate(scratch_db):
    from app import create_app

    url = scratch_db("tasharuk_jobs_nomigr")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "s"})
    res = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert res.exit_code == 1
    assert "tasharuk db upgrade" in res.output


def test_prune_keeps_each_tasks_newest_success_however_old(session, app):
    """The gap pages serve the snapshot named by the last successful recomputation: when the
    nightly one has failed for more than KEEP_FINISHED_DAYS, pruning must not delete it (the
    pages would fall back to computing on request). Older successes and cancelled jobs go."""
    from data.queue import enqueue

    def job(task: str, status: str) -> int:
        job_id = enqueue(session, task, timestamp=0)
        session.execute(text("UPDATE procrastinate_jobs SET status = CAST(:s AS "
                             "procrastinate_job_status) WHERE id = :id"),
                        {"s": status, "id": job_id})
        return job_id

    old_gaps, last_gaps = job("gaps.recompute", "succeeded"), job("gaps.recompute", "succeeded")
    failed_gaps = job("gaps.recompute", "failed")
    cancelled = job("ranking.refresh", "cancelled")
    old_rank, last_rank = job("ranking.refresh", "succeeded"), job("ranking.refresh", "succeeded")
    ids = [old_gaps, last_gaps, failed_gaps, cancelled, old_rank, last_rank]
    session.execute(text("UPDATE procrastinate_events SET at = now() - interval '40 days' "
                         "WHERE job_id = ANY(:ids)"), {"ids": ids})
    enqueue(session, "jobs.prune", timestamp=0)
    assert run_queued(app, session, "jobs.prune") == [("jobs.prune", "3")]
    left = set(session.scalars(text("SELECT id FROM procrastinate_jobs WHERE id = ANY(:ids)"),
                               {"ids": ids}))
    assert left == {last_gaps, failed_gaps, last_rank}
