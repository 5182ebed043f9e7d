"""The periodic and on-demand tasks, run as the worker runs them (tests.kits.jobs) inside
the test's transaction: SLA reminders once, expiry, exports written whole, gap tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data.models import Notification, Referral
from data.queue import enqueue
from tests.kits.jobs import run_queued
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def _reminders(session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.kind == "referral.due"))


def test_sla_reminder_reaches_the_receiver_once_when_due_within_a_day(app, session, world):
    now = dt.datetime.now(dt.UTC)
    soon = new_referral(session, world, status="sent")
    soon.due_at = now + dt.timedelta(hours=5)
    later = new_referral(session, world, status="sent")
    later.due_at = now + dt.timedelta(days=3)
    answered = new_referral(session, world, status="accepted")
    answered.due_at = now + dt.timedelta(hours=5)
    session.flush()
    receiver = world.users[("receiver", "org_admin")]
    before = _reminders(session, receiver.id)
    for _ in range(2):  # the second run finds the reminder already written
        enqueue(session, "referrals.remind_due", timestamp=0)
        assert run_queued(app, session, "referrals.remind_due")[0][1] in ("1", "0")
    assert _reminders(session, receiver.id) == before + 1
    note = session.scalars(select(Notification).where(
        Notification.user_id == receiver.id, Notification.kind == "referral.due")).first()
    assert note.link == f"/referrals/{soon.id}" and "Fatima" not in note.text_en


def test_expiry_job_expires_overdue_referrals(app, session, world):
    old = new_referral(session, world, status="sent")
    old.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.flush()
    enqueue(session, "referrals.expire", timestamp=0)
    assert run_queued(app, session, "referrals.expire") == [("referrals.expire", "1")]
    session.expire_all()
    assert session.get(Referral, old.id).status == "expired"


@pytest.mark.parametrize(("kind", "check"), [
    ("geojson", lambda p: p.read_text().startswith("{")),
    ("4w.csv", lambda p: p.stat().st_size > 0),
    ("hsds", lambda p: p.read_bytes()[:2] == b"PK"),
])
def test_export_job_writes_its_file_whole_under_the_job_id(app, session, make, tmp_path,
                                                           monkeypatch, kind, check):
    from jobs import enqueue_export, export_file

    make.service()
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    job_id = enqueue_export(session, kind)
    with app.app_context():
        assert export_file(job_id, kind) is None
        [(task, written)] = run_queued(app, session, "exports.run")
        path = export_file(job_id, kind)
    assert path is not None and Path(written) == path and check(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left


def test_unknown_export_kind_is_refused(session):
    from data.errors import BadInput
    from jobs import enqueue_export

    with pytest.raises(BadInput, match="kind must be one of"):
        enqueue_export(session, "pdf")


def test_gap_recomputation_writes_a_table_per_level(app, session, tmp_path, boundaries,
                                                    monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path))
    enqueue(session, "gaps.recompute", timestamp=0)
    [(_task, outcome)] = run_queued(app, session, "gaps.recompute")
    assert sorted(p.name for p in (tmp_path / "gaps").iterdir()) == [
        "level-1.csv", "level-2.csv", "level-3.csv"]
    assert "level-3.csv" in outcome
