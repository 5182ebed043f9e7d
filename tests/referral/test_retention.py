"""Retention (issue 23): the personal data of long-closed referrals is erased by the nightly
job and the CLI (dry run first), audited; the statistics and the timeline's shape stay."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update

from data.models import AuditLog, Case, Referral, ReferralEvent
from referral.lifecycle import add_note
from referral.retention import erase_closed
from referral.stats import provider_stats
from tests.kits.referrals import cipher, keys_fixture, new_referral, world_fixture  # noqa: F401

OLD = dt.timedelta(days=400)


def _closed_at(session, referral, age):
    session.execute(update(Referral).where(Referral.id == referral.id).values(
        closed_at=dt.datetime.now(dt.UTC) - age).execution_options(synchronize_session=False))


def _cases(session, world, app):
    """An old closed case (due), a recently closed one, and an old one with an open twin."""
    c = cipher(app)
    old = new_referral(session, world, status="completed", data_cipher=c)
    add_note(session, old.id, world.users[("receiver", "caseworker")],
             "disclosed violence at home", cipher=c)
    _closed_at(session, old, OLD)
    recent = new_referral(session, world, status="completed", data_cipher=c)
    _closed_at(session, recent, dt.timedelta(days=10))
    mixed = new_referral(session, world, status="declined", data_cipher=c)
    _closed_at(session, mixed, OLD)
    twin = new_referral(session, world, status="accepted", data_cipher=c)
    session.execute(update(Referral).where(Referral.id == twin.id)
                    .values(case_id=mixed.case_id))
    session.expire_all()
    return old, recent, mixed


def _erased(session, case_id) -> bool:
    case = session.get(Case, case_id)
    notes = session.scalars(select(ReferralEvent.note_enc).join(Referral).where(
        Referral.case_id == case_id, ReferralEvent.note_enc.is_not(None))).all()
    refs = session.scalars(select(Referral).where(Referral.case_id == case_id)).all()
    return case.name_enc is None and case.phone_enc is None and not notes and \
        all(r.note_enc is None and r.reason_text_enc is None for r in refs)


def _shape(session):
    return (session.scalar(select(func.count()).select_from(Referral)),
            session.scalar(select(func.count()).select_from(ReferralEvent)),
            sorted(session.execute(select(Referral.id, Referral.status, Referral.reason_code,
                                          Referral.sent_at, Referral.closed_at)).all()))


def test_dry_run_reports_and_changes_nothing(session, world, keys, app):
    old, recent, mixed = _cases(session, world, app)
    before = _shape(session)
    report = erase_closed(session, days=365, dry_run=True)
    assert old.case_id in report.case_ids
    assert recent.case_id not in report.case_ids and mixed.case_id not in report.case_ids
    assert report.cases >= 1 and report.referrals >= 1 and report.events >= 5
    assert not _erased(session, old.case_id) and _shape(session) == before
    assert session.scalars(select(AuditLog).where(
        AuditLog.action == "retention.erased")).all() == []


def test_erasure_keeps_statistics_and_writes_audit_rows(session, world, keys, app, client,
                                                        login):
    old, recent, mixed = _cases(session, world, app)
    stats = provider_stats(session)[world.receiver_org.id]
    shape = _shape(session)
    report = erase_closed(session, days=365)
    assert old.case_id in report.case_ids and not report.dry_run
    assert _erased(session, old.case_id)
    assert session.get(Case, old.case_id).erased_at is not None
    assert not _erased(session, recent.case_id) and not _erased(session, mixed.case_id)
    # the statistics and the timeline's shape are unchanged; the case keeps its facts
    assert provider_stats(session)[world.receiver_org.id] == stats
    assert _shape(session) == shape
    case = session.get(Case, old.case_id)
    assert (case.age, case.sex, case.pcode) == (34, "female", "SY07")
    (row,) = session.scalars(select(AuditLog).where(
        AuditLog.action == "retention.erased", AuditLog.object_id == str(old.case_id)))
    assert row.object_type == "case" and row.summary["referrals"] == 1
    assert row.summary["days"] == 365 and row.user_id is None
    # the receiver's page no longer holds the person
    login(world.users[("receiver", "caseworker")])
    page = client.get(f"/referrals/{old.id}?lang=en").get_data(as_text=True)
    assert "Fatima" not in page and "disclosed violence" not in page
    # a second run finds nothing more to erase for these cases
    again = erase_closed(session, days=365)
    assert old.case_id not in again.case_ids


def test_cli_dry_run_then_erase_and_bad_days(runner, session, world, keys, app):
    old, _recent, _mixed = _cases(session, world, app)
    dry = runner.invoke(args=["referrals", "erase-closed", "--dry-run", "--days", "365"],
                        env={"LANG": "en_US.UTF-8"})
    assert dry.exit_code == 0, dry.output
    assert re.match(r"would erase \(dry run\): \d+ cases?, \d+ referrals?, \d+ events; "
                    r"closed before \d{4}-\d\d-\d\d", dry.output), dry.output
    assert not _erased(session, old.case_id)
    bad = runner.invoke(args=["referrals", "erase-closed", "--days", "0"])
    assert bad.exit_code == 2 and "--days" in bad.output
    done = runner.invoke(args=["referrals", "erase-closed", "--days", "365"],
                         env={"LANG": "en_US.UTF-8"})
    assert done.exit_code == 0 and "erased:" in done.output
    session.expire_all()
    assert _erased(session, old.case_id)


def test_the_nightly_job_erases_with_the_configured_period(session, world, keys, app):
    from data.queue import enqueue
    from tests.kits.jobs import run_queued

    old, recent, _mixed = _cases(session, world, app)
    app.config["RETENTION_DAYS"] = 5  # the recent case (closed 10 days ago) is due too
    try:
        enqueue(session, "referrals.erase_closed", timestamp=0)
        ((name, outcome),) = run_queued(app, session, "referrals.erase_closed")
    finally:
        app.config["RETENTION_DAYS"] = 365
    assert name == "referrals.erase_closed" and "'cases'" in outcome
    session.expire_all()
    assert _erased(session, old.case_id) and _erased(session, recent.case_id)
    assert len(session.scalars(select(AuditLog).where(
        AuditLog.action == "retention.erased",
        AuditLog.object_id.in_([str(old.case_id), str(recent.case_id)]))).all()) == 2

