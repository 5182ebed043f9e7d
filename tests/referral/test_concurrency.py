"""Concurrent transitions of one referral on committed data: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.errors import Conflict
from data.models import Organization, Referral, ReferralEvent, Service, User


@pytest.fixture(scope="module")
def committed(scratch_db):
    """A scratch database with two organisations, staff and one sent referral, committed."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade

    url = scratch_db("tasharuk_test_referral_race")
    upgrade(url)
    engine = make_engine(url, pool_size=10)
    with Session(engine) as s:
        load_reference(s)
        sender = Organization(name_ar="أ", name_en="A", verification="verified")
        receiver = Organization(name_ar="ب", name_en="B", verification="verified")
        s.add_all([sender, receiver])
        s.flush()
        svc = Service(organization_id=receiver.id, service_type_code="prot_pss",
                      name_ar="خدمة", name_en="Service")
        s.add(svc)
        caseworker = User(email="cw@a.example", role="caseworker", organization_id=sender.id)
        staff = [User(email=f"r{i}@b.example", role="caseworker", organization_id=receiver.id)
                 for i in range(6)]
        s.add_all([caseworker, *staff])
        s.flush()
        ids = (caseworker.id, [u.id for u in staff], svc.id)
        s.commit()
    try:
        yield (engine, *ids)
    finally:
        engine.dispose()


def _new_sent(engine, caseworker_id: int, service_id: int) -> tuple[int, int]:
    from referral.cases import create_referrals

    with Session(engine) as s:
        actor = s.get(User, caseworker_id)
        _, (ref,) = create_referrals(s, actor, {
            "service_id": service_id, "case": {"age": 30},
            "consent": {"given_by": "person", "method": "verbal", "scope": ["needs"]}}, None)
        s.commit()
        return ref.id, ref.version


@pytest.mark.parametrize("actions", [["accept"] * 6, ["accept", "decline"] * 3])
def test_exactly_one_concurrent_transition_wins(committed, actions):
    from referral.lifecycle import transition

    engine, caseworker_id, staff_ids, service_id = committed
    rid, version = _new_sent(engine, caseworker_id, service_id)
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(user_id: int, action: str) -> None:
        with Session(engine) as s:
            actor = s.get(User, user_id)
            s.get(Referral, rid)  # everyone loads the same version first
            barrier.wait()
            try:
                transition(s, rid, actor, action, version=version,
                           reason="no_capacity" if action == "decline" else None)
                s.commit()
                result = "ok"
            except Conflict:
                s.rollback()
                result = "conflict"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(uid, act))
               for uid, act in zip(staff_ids, actions, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict"] * (len(actions) - 1) + ["ok"]
    with Session(engine) as s:
        ref = s.get(Referral, rid)
        assert ref.version == version + 1
        events = s.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == rid)
                           .order_by(ReferralEvent.id)).all()
        assert [e.action for e in events][:2] == ["create", "send"]
        assert len(events) == 3
        assert events[-1].to_status == ref.status and events[-1].from_status == "sent"
        n = s.scalar(text("SELECT count(*) FROM notification WHERE link = :l AND user_id = :u"),
                     {"l": f"/referrals/{rid}", "u": caseworker_id})
        assert n == 1  # the sender is told of the one change that happened
