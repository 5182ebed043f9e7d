"""Break-the-glass (issue 23): who may open a sensitive referral outside normal access, with
a reason, for a limited time; the grant and every read under it audited and listed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data.models import AuditLog, GlassAccess, Notification
from tests.kits.referrals import (  # noqa: F401
    cipher,
    keys_fixture,
    new_referral,
    quick_user,
    world_fixture,
)


def _sensitive(session, world, app, status="accepted"):
    world.service.sensitive = True
    session.flush()
    ref = new_referral(session, world, status=status, data_cipher=cipher(app))
    assert ref.sensitive and ref.assigned_user_id == world.users[("receiver", "caseworker")].id
    return ref


@pytest.mark.parametrize("side,role,body,status,code", [
    ("receiver", "org_admin", {"reason": "survivor called the hotline"}, 201, None),
    ("sender", "org_admin", {"reason": "caseworker on leave, follow-up due"}, 201, None),
    ("receiver", "org_admin", {"reason": "   "}, 400, "bad_input"),  # a reason is required
    ("receiver", "org_admin", {}, 400, "bad_input"),
    ("receiver", "org_admin", {"reason": "r" * 501}, 400, "bad_input"),
    ("receiver", "caseworker", {"reason": "curious"}, 403, None),  # not a supervisor
    ("receiver", "viewer", {"reason": "curious"}, 403, None),
    ("receiver", "planner", {"reason": "curious"}, 403, None),
    ("other", "org_admin", {"reason": "curious"}, 404, None),  # not one of the two sides
    ("none", "platform_admin", {"reason": "curious"}, 403, None),
])
def test_who_may_break_the_glass(client, login, session, world, keys, app, side, role, body,
                                 status, code):
    ref = _sensitive(session, world, app)
    login(world.users[(side, role)])
    resp = client.post(f"/api/v1/referrals/{ref.id}/glass", json=body)
    assert resp.status_code == status, resp.get_json()
    grants = session.scalars(select(GlassAccess).where(GlassAccess.referral_id == ref.id)).all()
    assert len(grants) == (1 if status == 201 else 0)
    if code:
        assert resp.get_json()["error"]["details"]["field"] == "reason"


@pytest.mark.parametrize("sensitive,assigned_admin", [(False, False), (True, True)])
def test_no_glass_needed_within_normal_access(client, login, session, world, keys, app,
                                              sensitive, assigned_admin):
    world.service.sensitive = sensitive
    session.flush()
    ref = new_referral(session, world, status="sent", data_cipher=cipher(app))
    admin = world.users[("receiver", "org_admin")]
    if assigned_admin:
        ref.assigned_user_id = admin.id
        session.flush()
    login(admin)
    resp = client.post(f"/api/v1/referrals/{ref.id}/glass", json={"reason": "check"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "glass_not_needed"


def test_glass_without_a_data_key_is_refused(client, login, session, world, app):
    world.service.sensitive = True
    session.flush()
    ref = new_referral(session, world, status="accepted")  # assigned to the caseworker
    login(world.users[("receiver", "org_admin")])
    old = app.config["TASHARUK_DATA_KEYS"]
    app.config["TASHARUK_DATA_KEYS"] = ""
    try:
        resp = client.post(f"/api/v1/referrals/{ref.id}/glass", json={"reason": "check"})
    finally:
        app.config["TASHARUK_DATA_KEYS"] = old
    assert resp.status_code == 400 and "TASHARUK_DATA_KEYS" in resp.get_json()["error"][
        "message"]


def test_break_the_glass_end_to_end(client, login, session, world, keys, app):
    ref = _sensitive(session, world, app)
    admin = world.users[("receiver", "org_admin")]
    second_admin = quick_user(session, "org_admin", world.receiver_org)
    login(admin)
    before = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert before["case"] is None and before["glass"] is None  # outside normal access

    app.config["GLASS_HOURS"] = 2
    try:
        resp = client.post(f"/referrals/{ref.id}/glass?lang=en",
                           data={"reason": "survivor called the hotline at night"})
    finally:
        app.config["GLASS_HOURS"] = 3
    assert resp.status_code == 302
    grant = session.scalars(select(GlassAccess).where(GlassAccess.referral_id == ref.id)).one()
    assert grant.expires_at - grant.started_at == dt.timedelta(hours=2)
    assert b"hotline" not in grant.reason_enc  # sealed
    # the organisation's other admins are told, without the reason or the person
    (note,) = session.scalars(select(Notification).where(
        Notification.kind == "glass.opened")).all()
    assert note.user_id == second_admin.id and "hotline" not in note.text_en

    during = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert during["case"]["name"] == "Fatima Al-Test" and during["glass"]["id"] == grant.id
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "break-the-glass access until" in page and "Fatima Al-Test" in page
    reads = session.scalars(select(AuditLog).where(AuditLog.action == "glass.read")).all()
    assert len(reads) == 2 and {r.summary["glass_id"] for r in reads} == {grant.id}
    assert all(r.user_id == admin.id and r.object_id == str(ref.id) for r in reads)
    (opened,) = session.scalars(select(AuditLog).where(AuditLog.action == "glass.opened"))
    assert opened.summary["glass_id"] == grant.id and "hotline" not in str(opened.summary)

    # listed for review, with its reason and reads, to the organisation's admins
    login(second_admin)
    review = client.get("/referrals/glass?lang=en").get_data(as_text=True)
    assert "survivor called the hotline at night" in review and ">2</td>" in review
    ar = client.get("/referrals/glass?lang=ar").get_data(as_text=True)
    assert "Break-the-glass access" not in ar and 'dir="rtl"' in ar
    login(world.users[("sender", "org_admin")])
    assert "hotline" not in client.get("/referrals/glass").get_data(as_text=True)

    # after expiry: refused again, and no read is recorded under the old grant
    grant.started_at -= dt.timedelta(hours=3)
    grant.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.flush()
    login(admin)
    after = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert after["case"] is None and after["glass"] is None
    assert "Fatima" not in client.get(f"/referrals/{ref.id}").get_data(as_text=True)
    assert len(session.scalars(select(AuditLog).where(
        AuditLog.action == "glass.read")).all()) == 2
