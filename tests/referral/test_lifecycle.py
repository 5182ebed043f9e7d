"""The referral state machine: every allowed and every forbidden transition, per side and role;
reasons; stale versions; the event log."""

from __future__ import annotations

import pytest

from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import REFERRAL_STATES, ReferralEvent
from referral.crypto import DataCipher
from referral.lifecycle import ACTIONS, TRANSITIONS, transition
from tests.conftest import TEST_DATA_KEY
from tests.kits.referrals import SYSTEM_ACTIONS, new_referral, world_fixture  # noqa: F401

CIPHER = DataCipher([TEST_DATA_KEY])

SIDES = ("sender", "receiver")
STAFF = ("org_admin", "supervisor", "caseworker")


def _expected(side: str, role: str, status: str, action: str) -> bool:
    rule = TRANSITIONS.get((side, action))
    return rule is not None and role in rule.roles and status in rule.sources


# Every (state, action, side, staff role): allowed ones must succeed, the rest answer 409.
CASES = [(status, action, side, role)
         for status in REFERRAL_STATES for action in ACTIONS for side in SIDES for role in STAFF
         if not (side == "receiver" and status == "draft")]

# The table itself, spelled out: the allowed (side, action, from-state) triples.
ALLOWED = {
    ("sender", "send", "draft"),
    ("sender", "withdraw", "draft"), ("sender", "withdraw", "sent"),
    ("sender", "withdraw", "accepted"), ("sender", "withdraw", "in_progress"),
    ("receiver", "accept", "sent"), ("receiver", "decline", "sent"),
    ("receiver", "start", "accepted"), ("receiver", "complete", "in_progress"),
    ("receiver", "close_unmet", "accepted"), ("receiver", "close_unmet", "in_progress"),
}


def test_the_table_is_what_the_issue_asks_for():
    staff_allowed = {(side, action, status) for (side, action), rule in TRANSITIONS.items()
                     if side in SIDES for status in rule.sources}
    assert staff_allowed == ALLOWED
    assert TRANSITIONS[("system", "expire")].sources == {"sent"}
    assert all(set(rule.roles) == {"org_admin", "supervisor", "caseworker"}
               for (side, _), rule in TRANSITIONS.items() if side in SIDES)


@pytest.mark.parametrize("status,action,side,role", CASES)
def test_every_transition_for_each_side_and_role(session, world, status, action, side, role):
    referral = new_referral(session, world, status=status)
    actor = world.users[(side, role)]
    before_events = len(session.scalars(
        ReferralEvent.__table__.select().where(ReferralEvent.referral_id == referral.id)).all())
    reason = "no_capacity" if action in ("decline", "close_unmet") else None
    version = referral.version
    if action in SYSTEM_ACTIONS:
        # expiry and revocation are the system's job; no user side may do them
        with pytest.raises(Conflict) as err:
            transition(session, referral.id, actor, action, version=version)
        assert action not in err.value.details["allowed"]
        return
    if (side, action, status) in ALLOWED:
        assert _expected(side, role, status, action)
        done = transition(session, referral.id, actor, action, version=version, reason=reason,
                          note="ok", cipher=CIPHER)
        assert done.status == TRANSITIONS[(side, action)].target
        assert done.version == version + 1
        events = session.scalars(ReferralEvent.__table__.select().where(
            ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.id)).all()
        assert len(events) == before_events + 1
        last = session.get(ReferralEvent, events[-1])
        assert (last.action, last.from_status, last.to_status) == (action, status, done.status)
        assert last.actor_user_id == actor.id and CIPHER.decrypt(last.note_enc) == "ok"
        assert last.note == ""  # the plain column stays empty
        assert last.reason_code == reason
    else:
        with pytest.raises(Conflict) as err:
            transition(session, referral.id, actor, action, version=version, reason=reason)
        assert err.value.status == 409
        assert err.value.code == "illegal_transition"
        allowed = err.value.details["allowed"]
        assert allowed == [a for a in ACTIONS if (side, a, status) in ALLOWED]
        session.refresh(referral)
        assert referral.status == status and referral.version == version


NON_STAFF_CASES = [(status, action, side, role)
                   for status in REFERRAL_STATES for action in ACTIONS for side in SIDES
                   for role in ("planner", "viewer")
                   if not (side == "receiver" and status == "draft")]


@pytest.mark.parametrize("status,action,side,role", NON_STAFF_CASES)
def test_planners_and_viewers_of_either_side_may_never_act(session, world, status, action,
                                                         side, role):
    referral = new_referral(session, world, status=status)
    version = referral.version
    with pytest.raises(Forbidden) as err:
        transition(session, referral.id, world.users[(side, role)], action, version=version,
                   reason="duplicate")
    assert err.value.status == 403 and err.value.details["allowed"] == []
    session.refresh(referral)
    assert referral.status == status and referral.version == version


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", [("other", "org_admin"), ("other", "caseworker"),
                                 ("other", "viewer"), ("none", "platform_admin")])
def test_other_organisations_get_not_found(session, world, who, action):
    referral = new_referral(session, world, status="sent")
    with pytest.raises(NotFound):
        transition(session, referral.id, world.users[who], action, version=referral.version,
                   reason="duplicate")
    assert referral.status == "sent"


def test_the_receiver_does_not_see_drafts(session, world):
    referral = new_referral(session, world, status="draft")
    with pytest.raises(NotFound):
        transition(session, referral.id, world.users[("receiver", "org_admin")], "accept",
                   version=1)


def test_system_expires_only_sent_referrals(session, world):
    sent = new_referral(session, world, status="sent")
    assert transition(session, sent.id, None, "expire", version=sent.version).status == "expired"
    accepted = new_referral(session, world, status="accepted")
    with pytest.raises(Conflict):
        transition(session, accepted.id, None, "expire", version=accepted.version)


def test_system_revokes_only_open_referrals_with_its_own_reason(session, world):
    for status in ("sent", "accepted", "in_progress"):
        referral = new_referral(session, world, status=status)
        done = transition(session, referral.id, None, "revoke_receiver",
                          version=referral.version, reason="receiver_unverified",
                          reason_text="fake registration", cipher=CIPHER)
        assert done.status == "receiver_revoked" and done.closed_at is not None
    for status in ("completed", "declined", "draft"):
        closed = new_referral(session, world, status=status)
        with pytest.raises(Conflict):
            transition(session, closed.id, None, "revoke_receiver", version=closed.version,
                       reason="receiver_unverified")
    referral = new_referral(session, world, status="sent")
    with pytest.raises(BadInput):  # the revocation always says why
        transition(session, referral.id, None, "revoke_receiver", version=referral.version)
    with pytest.raises(BadInput):  # and staff cannot give the platform's reason
        transition(session, referral.id, world.users[("receiver", "caseworker")], "decline",
                   version=referral.version, reason="receiver_unverified")


@pytest.mark.parametrize("action,start", [("decline", "sent"), ("close_unmet", "accepted"),
                                          ("close_unmet", "in_progress")])
def test_reason_is_required_from_the_fixed_list(session, world, action, start):
    referral = new_referral(session, world, status=start)
    actor = world.users[("receiver", "caseworker")]
    v = referral.version
    with pytest.raises(BadInput) as err:
        transition(session, referral.id, actor, action, version=v)
    assert err.value.details["field"] == "reason"
    with pytest.raises(BadInput) as err:
        transition(session, referral.id, actor, action, version=v, reason="bored")
    assert err.value.details["field"] == "reason"
    with pytest.raises(BadInput) as err:
        transition(session, referral.id, actor, action, version=v, reason="other")
    assert err.value.details["field"] == "reason_text"
    assert referral.status == start and referral.version == v
    done = transition(session, referral.id, actor, action, version=v, reason="other",
                      reason_text="the centre is closed for repairs", cipher=CIPHER)
    assert done.reason_code == "other"
    for row in (done, done.events[-1]):
        assert CIPHER.decrypt(row.reason_text_enc) == "the centre is closed for repairs"
        assert row.reason_text is None


def test_stale_version_is_refused_and_changes_nothing(session, world):
    referral = new_referral(session, world, status="sent")
    actor = world.users[("receiver", "caseworker")]
    stale = referral.version - 1
    n = len(referral.events)
    with pytest.raises(Conflict) as err:
        transition(session, referral.id, actor, "accept", version=stale)
    assert err.value.code == "stale_version"
    assert err.value.details == {"field": "version", "version": referral.version}
    session.refresh(referral)
    assert referral.status == "sent" and len(referral.events) == n


@pytest.mark.parametrize("kwargs,field", [
    ({"action": "fly"}, "action"),
    ({"version": None}, "version"),
    ({"version": "abc"}, "version"),
    ({"note": "x" * 2001}, "note"),
    ({"reason": "no_capacity", "reason_text": "y" * 501}, "reason_text"),
])
def test_bad_transition_input_names_the_field(session, world, kwargs, field):
    referral = new_referral(session, world, status="sent")
    args = {"action": "accept", "version": referral.version, **kwargs}
    with pytest.raises(BadInput) as err:
        transition(session, referral.id, world.users[("receiver", "caseworker")],
                   args.pop("action"), **args)
    assert err.value.details["field"] == field
    assert referral.status == "sent"


def test_send_sets_due_date_in_working_days(session, world):
    import datetime as dt

    referral = new_referral(session, world, status="draft")
    thursday = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    transition(session, referral.id, world.users[("sender", "caseworker")], "send",
               version=referral.version, now=thursday)
    # 3 working days after Thursday, skipping Friday and Saturday: Sun, Mon, Tue
    assert referral.due_at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert referral.sent_at == thursday


def test_accepting_assigns_the_receiver(session, world):
    referral = new_referral(session, world, status="accepted")
    assert referral.assigned_user_id == world.users[("receiver", "caseworker")].id
    assert referral.responded_at is not None


def test_events_are_append_only(session, world):
    import sqlalchemy.exc
    from sqlalchemy import text

    referral = new_referral(session, world, status="accepted")
    with pytest.raises(sqlalchemy.exc.DBAPIError), session.begin_nested():
        session.execute(text("UPDATE referral_event SET note = 'x' WHERE referral_id = :r"),
                        {"r": referral.id})
    with pytest.raises(sqlalchemy.exc.DBAPIError), session.begin_nested():
        session.execute(text("DELETE FROM referral_event WHERE referral_id = :r"),
                        {"r": referral.id})
    actions = [e.action for e in referral.events]
    assert actions == ["create", "send", "accept"]
