"""The queue with a real worker (``tasharuk worker`` as a process) and a real SMTP server on
loopback, on a committed scratch database: mail is sent for a committed change only, a
failing job is retried with its errors kept, then stays failed until an admin retries it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import SMTPSink, free_port
from tests.kits.jobs import hold_schedules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def queue_db(scratch_db):
    """A migrated scratch database whose rows the worker process can see (committed)."""
    from data.migrate import upgrade

    url = scratch_db("tasharuk_jobs")
    upgrade(url)
    return url


@pytest.fixture
def db_session(queue_db):
    from data.db import make_engine

    engine = make_engine(queue_db)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = SMTPSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    yield sink
    controller.stop()


def tasharuk(url: str, *args: str, mail_port: int, **env: str) -> subprocess.CompletedProcess:
    """Run ``tasharuk ARGS`` in a new process on database ``url``, mail to ``mail_port``; a
    worker runs what the test queued, not the schedules' ticks (``hold_schedules``)."""
    if args[:1] == ("worker",):
        hold_schedules(url)
    full = {**os.environ, "DATABASE_URL": url, "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port), "SECRET_KEY": "t", "TASHARUK_RATELIMIT": "0", **env}
    return subprocess.run([sys.executable, "-c", "from app import cli; cli()", *args],
                          cwd=ROOT, env=full, capture_output=True, text=True, timeout=180,
                          check=False)


def notify_one(session: Session, port: int, *, commit: bool) -> int:
    """Notify a new user (mail on); commit or roll back; return the user's id."""
    import uuid

    from referral.notify import MailConfig, notify
    from tests.conftest import Factory

    tag = uuid.uuid4().hex[:8]
    user = Factory(session).user(role="org_admin", email=f"jobs-{tag}@example.org",
                                 org=Factory(session).org(name_en=f"Jobs {tag}",
                                                          acronym=f"J{tag}"))
    uid = user.id
    notify(session, [user], "test.kind", "نص", "Text", "/x",
           config=MailConfig("127.0.0.1", port))
    if commit:
        session.commit()
    else:
        session.rollback()
    return uid


def mail_jobs(session: Session) -> list[tuple]:
    session.rollback()
    return session.execute(text(
        "SELECT id, status::text, attempts, (args->>'user_id')::int FROM procrastinate_jobs "
        "WHERE task_name = 'mail.send' ORDER BY id")).all()


def test_committed_change_is_mailed_by_the_worker_and_rolled_back_one_is_not(db_session,
                                                                              smtp, queue_db):
    before = {j[0] for j in mail_jobs(db_session)}
    kept = notify_one(db_session, smtp.port, commit=True)
    dropped = notify_one(db_session, smtp.port, commit=False)
    jobs = [j for j in mail_jobs(db_session) if j[0] not in before]
    assert [j[3] for j in jobs] == [kept]  # no job for the rolled-back change
    email = db_session.execute(text("SELECT email FROM app_user WHERE id = :i"),
                               {"i": kept}).scalar()
    assert "@" not in str(db_session.execute(text(
        "SELECT args FROM procrastinate_jobs WHERE id = :i"), {"i": jobs[0][0]}).scalar())

    res = tasharuk(queue_db, "worker", "--once", mail_port=smtp.port)
    assert res.returncode == 0, res.stderr
    messages = smtp.wait_for(1)
    assert [m["To"] for m in messages] == [email]
    assert "Text" in messages[0].get_content()
    assert dict((j[0], j[1]) for j in mail_jobs(db_session))[jobs[0][0]] == "succeeded"
    assert dropped != kept


def test_failing_job_is_retried_then_kept_failed_with_its_error_then_retried_by_hand(
        db_session, smtp, queue_db):
    dead = free_port()  # nothing listens there
    before = {j[0] for j in mail_jobs(db_session)}
    notify_one(db_session, dead, commit=True)
    (job_id, *_rest), = [j for j in mail_jobs(db_session) if j[0] not in before]

    res = tasharuk(queue_db, "worker", "--once", mail_port=dead,
                   TASHARUK_JOB_RETRY_S="0", TASHARUK_JOB_ATTEMPTS="3")
    assert res.returncode == 0, res.stderr
    status = {j[0]: j[1:3] for j in mail_jobs(db_session)}[job_id]
    assert status == ("failed", 3)  # three runs: the first and two retries
    errors = db_session.execute(text(
        "SELECT attempt, error_type, error FROM job_error WHERE job_id = :i ORDER BY attempt"),
        {"i": job_id}).all()
    assert [(a, t) for a, t, _e in errors] == [(1, "MailNotSent"), (2, "MailNotSent"),
                                               (3, "MailNotSent")]
    assert f"127.0.0.1:{dead}" in errors[0][2] and "@" not in errors[0][2]

    from jobs.admin import list_jobs, retry_failed

    listed = {j.id: j for j in list_jobs(db_session, "failed", limit=1000)}[job_id]
    assert listed.retried and [e.error_type for e in listed.errors] == ["MailNotSent"] * 3
    retry_failed(db_session, job_id)  # what the jobs page and `tasharuk jobs retry` do
    db_session.commit()
    res = tasharuk(queue_db, "worker", "--once", mail_port=smtp.port)
    assert res.returncode == 0, res.stderr
    assert len(smtp.wait_for(1)) == 1
    assert {j[0]: j[1] for j in mail_jobs(db_session)}[job_id] == "succeeded"


def test_the_worker_purges_dead_sessions_and_old_throttle_rows(db_session, queue_db):
    """The nightly purges (``sessions.purge``, ``throttle.purge``), run by a real worker on
    committed rows: live sessions and recent throttle rows stay, the rest go."""
    import datetime as dt
    import uuid

    from data.models import LoginThrottle, UserSession
    from data.queue import enqueue
    from network.sessions import start_session
    from tests.conftest import Factory

    tag = uuid.uuid4().hex[:8]
    make = Factory(db_session)
    user = make.user("viewer", org=make.org(name_en=f"Purge {tag}", acronym=f"P{tag}"))
    now = dt.datetime.now(dt.UTC)
    for _ in range(3):
        start_session(db_session, user)
    live, ended, idle = db_session.scalars(select(UserSession).where(
        UserSession.user_id == user.id).order_by(UserSession.id)).all()
    ended.ended_at = now
    idle.last_seen_at = now - dt.timedelta(hours=3)
    db_session.add_all([
        LoginThrottle(key=f"{tag}-new".ljust(64, "0"), failures=2, last_failure_at=now),
        LoginThrottle(key=f"{tag}-old".ljust(64, "0"), failures=7,
                      last_failure_at=now - dt.timedelta(days=2))])
    job_ids = [enqueue(db_session, "sessions.purge", timestamp=0),
               enqueue(db_session, "throttle.purge", timestamp=0)]
    db_session.commit()

    res = tasharuk(queue_db, "worker", "--once", mail_port=free_port())
    assert res.returncode == 0, res.stderr
    db_session.rollback()
    assert db_session.scalars(select(UserSession.id).where(
        UserSession.user_id == user.id)).all() == [live.id]
    assert db_session.scalars(select(LoginThrottle.key).where(
        LoginThrottle.key.startswith(tag))).all() == [f"{tag}-new".ljust(64, "0")]
    states = db_session.execute(text(
        "SELECT task_name, status::text FROM procrastinate_jobs WHERE id = ANY(:ids) "
        "ORDER BY id"), {"ids": job_ids}).all()
    assert states == [("sessions.purge", "succeeded"), ("throttle.purge", "succeeded")]


def test_a_test_worker_runs_no_schedule(db_session, queue_db):
    """The tests' workers run what each test queued: with the schedules held, no tick is
    deferred (without, the every-minute webhook fan-out and the five-minute stalled-job retry
    always were, and the first worker run in a window ran them in some test or other)."""
    def deferred() -> int:
        db_session.rollback()
        return db_session.scalar(text(
            "SELECT count(*) FROM procrastinate_periodic_defers WHERE job_id IS NOT NULL"))

    before = deferred()
    res = tasharuk(queue_db, "worker", "--once", "--queue", "default", mail_port=free_port())
    assert res.returncode == 0, res.stderr
    assert deferred() == before


def first_recomputations(db_session) -> list[str]:
    """The statuses of the gap recomputations not queued by the nightly schedule (a test run
    in the ten minutes after 02:00 UTC sees that one too: procrastinate defers a schedule's
    tick that late)."""
    db_session.rollback()
    return db_session.scalars(text(
        "SELECT status::text FROM procrastinate_jobs j WHERE task_name = 'gaps.recompute' "
        "AND NOT EXISTS (SELECT 1 FROM procrastinate_periodic_defers d WHERE d.job_id = j.id) "
        "ORDER BY id")).all()


def test_workers_starting_together_queue_one_first_gap_recomputation(db_session, queue_db,
                                                                     tmp_path):
    """With no gap recomputation yet, three workers starting at once queue exactly one (the
    gap pages then open from its snapshot, not the first nightly run); a worker started after
    it has succeeded queues none."""
    db_session.execute(text("DELETE FROM procrastinate_periodic_defers WHERE job_id IN "
                            "(SELECT id FROM procrastinate_jobs WHERE task_name = "
                            "'gaps.recompute')"))
    db_session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    db_session.commit()
    env = {**os.environ, "DATABASE_URL": queue_db, "SECRET_KEY": "t",
           "TASHARUK_RATELIMIT": "0", "TASHARUK_EXPORTS": str(tmp_path / "exports"),
           "TASHARUK_EXPORT_CACHE": str(tmp_path / "cache")}
    hold_schedules(queue_db)
    workers = [subprocess.Popen([sys.executable, "-c", "from app import cli; cli()", "worker",
                                 "--once", "--queue", "default"], cwd=ROOT, env=env,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for w in workers:
        _out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err

    def recomputations() -> list[str]:
        return first_recomputations(db_session)

    assert recomputations() == ["succeeded"]
    assert (tmp_path / "exports" / "gaps" / "level-1.csv").is_file()
    again = tasharuk(queue_db, "worker", "--once", "--queue", "default",
                     mail_port=free_port(), TASHARUK_EXPORTS=str(tmp_path / "exports"),
                     TASHARUK_EXPORT_CACHE=str(tmp_path / "cache"))
    assert again.returncode == 0, again.stderr
    assert recomputations() == ["succeeded"]


def test_a_first_recomputation_left_running_by_a_dead_worker_is_handed_back_once(db_session,
                                                                              queue_db,
                                                                              tmp_path):
    """A recomputation left ``doing`` by a worker that died (no heartbeat for a minute) is
    handed back and run by the next worker, once; one on a live worker is left alone. Before,
    a second one was queued beside it, and whenever the five-minute ``jobs.retry_stalled`` was
    due in the same run it ran the dead one as well (CI failed on ['succeeded', 'succeeded'])."""
    db_session.execute(text("DELETE FROM procrastinate_periodic_defers WHERE job_id IN "
                            "(SELECT id FROM procrastinate_jobs WHERE task_name = "
                            "'gaps.recompute')"))
    db_session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    def worker(ago: int) -> int:
        """A worker row whose last heartbeat was ``ago`` seconds ago."""
        return db_session.scalar(text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - "
            "make_interval(secs => :ago)) RETURNING id"), {"ago": ago})

    def running_on(worker: int) -> None:
        db_session.execute(text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status, worker_id) "
            "VALUES ('default', 'gaps.recompute', '{}', 'doing', :w)"), {"w": worker})

    live = worker(0)
    running_on(live)
    db_session.commit()
    env = {"TASHARUK_EXPORTS": str(tmp_path / "exports"),
           "TASHARUK_EXPORT_CACHE": str(tmp_path / "cache")}

    def statuses() -> list[str]:
        return first_recomputations(db_session)

    res = tasharuk(queue_db, "worker", "--once", "--queue", "default", mail_port=free_port(),
                   **env)
    assert res.returncode == 0, res.stderr
    assert statuses() == ["doing"]
    db_session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    dead = worker(60)  # the worker prunes it after the check (its job's worker_id NULL)
    running_on(dead)
    db_session.commit()
    res = tasharuk(queue_db, "worker", "--once", "--queue", "default", mail_port=free_port(),
                   **env)
    assert res.returncode == 0, res.stderr
    assert statuses() == ["succeeded"]
    db_session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    db_session.execute(text("DELETE FROM procrastinate_workers WHERE id IN (:d, :l)"),
                       {"d": dead, "l": live})
    db_session.commit()


def test_the_worker_outlives_a_database_outage_and_stops_cleanly_when_asked(db_session, smtp,
                                                                            queue_db,
                                                                            server_url,
                                                                            tmp_path):
    """The database goes away for a few seconds (its connections killed, new ones refused:
    what a restart or a failover does): the worker waits for it, then mails what was queued
    meanwhile; SIGTERM still stops it cleanly. Before, it ended with exit 0 at the outage and
    systemd (Restart=on-failure) left every job waiting."""
    import signal
    import time
    from urllib.parse import urlsplit

    name = "tasharuk_worker_outage"
    database = urlsplit(queue_db).path.lstrip("/")
    sep = "&" if "?" in queue_db else "?"
    env = {**os.environ, "DATABASE_URL": f"{queue_db}{sep}application_name={name}",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port), "SECRET_KEY": "t",
           "TASHARUK_RATELIMIT": "0"}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from app import cli; cli()", "worker",
                                 "--queue", "mail"], cwd=ROOT, env=env, stderr=out)
    from data.db import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")  # (not from the database)

    def allow(yes: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {yes}'))

    def connections() -> int:
        db_session.rollback()
        return db_session.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE application_name = :n"), {"n": name})

    def until(what, seconds: float = 60.0) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end and proc.poll() is None:
            if what():
                return True
            time.sleep(0.2)
        return False

    try:
        assert until(lambda: connections() >= 2), "the worker never connected"
        allow(False)
        db_session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = :n"), {"n": name})
        db_session.commit()
        time.sleep(3)
        allow(True)
        assert proc.poll() is None, log.read_text()[-3000:]
        before = len(smtp.messages)
        notify_one(db_session, smtp.port, commit=True)
        assert until(lambda: len(smtp.wait_for(before + 1, timeout=0.5)) > before, 90), \
            "nothing was mailed after the outage"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert "the database stopped answering" in log.read_text()
    finally:
        allow(True)
        admin.dispose()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_a_mail_left_running_by_a_dead_worker_is_sent_again(db_session, smtp, queue_db):
    """A worker killed in the middle of a mail (no heartbeat since) left its job ``doing``
    for ever: the committed change's mail was lost. The periodic ``jobs.retry_stalled``
    hands it back, and the next run sends it."""
    from data.queue import enqueue

    before = {j[0] for j in mail_jobs(db_session)}
    kept = notify_one(db_session, smtp.port, commit=True)
    (job_id, *_rest), = [j for j in mail_jobs(db_session) if j[0] not in before]
    dead = db_session.scalar(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                  "VALUES (now() - interval '2 minutes') RETURNING id"))
    db_session.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                            "WHERE id = :i"), {"w": dead, "i": job_id})
    enqueue(db_session, "jobs.retry_stalled", timestamp=0)
    db_session.commit()
    sent = len(smtp.messages)
    for queue in ("default", "mail"):  # the retry first, then the mail it handed back
        res = tasharuk(queue_db, "worker", "--once", "--queue", queue, mail_port=smtp.port)
        assert res.returncode == 0, res.stderr
    assert len(smtp.wait_for(sent + 1)) == sent + 1
    email = db_session.execute(text("SELECT email FROM app_user WHERE id = :i"),
                               {"i": kept}).scalar()
    assert smtp.messages[-1]["To"] == email
    assert dict((j[0], j[1]) for j in mail_jobs(db_session))[job_id] == "succeeded"


def test_a_job_runs_under_the_id_of_the_request_that_queued_it(db_session, smtp, queue_db):
    """The request id reaches the job (its argument, then its JSON log line, and whatever it
    writes to the audit log); the worker logs JSON lines only, with no e-mail address."""
    import json

    from data import requestid

    rid = requestid.new_id()
    before = {j[0] for j in mail_jobs(db_session)}
    requestid.set_current(rid)  # as the request hook does (web.ops.requestlog)
    try:
        notify_one(db_session, smtp.port, commit=True)
    finally:
        requestid.set_current(None)
    (job_id, *_rest), = [j for j in mail_jobs(db_session) if j[0] not in before]
    args = db_session.scalar(text("SELECT args FROM procrastinate_jobs WHERE id = :i"),
                             {"i": job_id})
    assert args["_request_id"] == rid
    res = tasharuk(queue_db, "worker", "--once", "--queue", "mail", mail_port=smtp.port)
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stderr.splitlines() if line.strip()]
    ran = [line for line in lines if line.get("event") == "job" and line["job_id"] == job_id]
    assert len(ran) == 1 and ran[0]["request_id"] == rid, lines
    assert ran[0]["task"] == "mail.send" and ran[0]["outcome"] == "succeeded"
    assert "@" not in res.stderr
