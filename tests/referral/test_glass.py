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
    ("receiver", "supervisor", {"reason": "survivor called the hotline"}, 201, None),
    ("sender", "supervisor", {"reason": "caseworker on leave, follow-up due"}, 201, None),
    ("receiver", "supervisor", {"reason": " "}, 400, "bad_input"),
    ("receiver", "org_admin", {"reason": "survivor called the hotline"}, 201, None),
    ("sender", "org_admin", {"reason": "caseworker on leave, follow-up due"}, 201, None),
    ("receiver", "org_admin", {"reason": "   "}, 400, "bad_input"),  # a reason is required
    ("receiver", "org_admin", {}, 400, "bad_input"),
    ("receiver", "org_admin", {"reason": "r" * 501}, 400, "bad_input"),
    ("receiver", "caseworker", {"reason": "curious"}, 403, None),  # not a supervisor
    ("receiver", "viewer", {"reason": "curious"}, 403, None),
    ("receiver", "planner", {"reason": "curious"}, 403, None),
    ("other", "org_admin", {"reason": "curious"}, 404, None),  # not one of the two sides
    ("other", "supervisor", {"reason": "curious"}, 404, None),
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


def _grant(client, login, ref, user):
    """Open a grant through the API as ``user``; its id."""
    login(user)
    resp = client.post(f"/api/v1/referrals/{ref.id}/glass", json={"reason": "hotline call"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


@pytest.mark.parametrize("ender,status", [
    ("grantee", 200),
    ("other_admin", 200),
    ("supervisor", 403),  # may open grants, not end another's
    ("caseworker", 403),  # not a supervisor: refused by role
    ("viewer", 403),
    ("sender_admin", 404),  # another organisation's grant is not found
])
def test_who_may_end_a_grant_early(client, login, session, world, keys, app, ender, status):
    ref = _sensitive(session, world, app)
    grantee = world.users[("receiver", "org_admin")]
    gid = _grant(client, login, ref, grantee)
    user = {"grantee": grantee,
            "other_admin": quick_user(session, "org_admin", world.receiver_org),
            "caseworker": world.users[("receiver", "caseworker")],
            "supervisor": world.users[("receiver", "supervisor")],
            "viewer": world.users[("receiver", "viewer")],
            "sender_admin": world.users[("sender", "org_admin")]}[ender]
    login(user)
    resp = client.post(f"/api/v1/glass/{gid}/end")
    assert resp.status_code == status, resp.get_json()
    grant = session.get(GlassAccess, gid)
    session.refresh(grant)
    ended = session.scalars(select(AuditLog).where(AuditLog.action == "glass.ended")).all()
    if status == 200:
        assert resp.get_json()["state"] == "ended" and grant.ended_by_id == user.id
        assert [(a.user_id, a.summary["glass_id"], a.summary["by_grantee"]) for a in ended] \
            == [(user.id, gid, ender == "grantee")]
    else:
        assert grant.ended_at is None and not ended


def test_ended_grant_closes_the_record_and_is_reviewed(client, login, session, world, keys,
                                                       app):
    ref = _sensitive(session, world, app)
    grantee = world.users[("receiver", "org_admin")]
    gid = _grant(client, login, ref, grantee)
    assert client.get(f"/api/v1/referrals/{ref.id}").get_json()["glass"]["id"] == gid
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "End break-the-glass access now" in page and f"/referrals/glass/{gid}/end" in page

    resp = client.post(f"/referrals/glass/{gid}/end?lang=en")  # the case page's button
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/referrals/{ref.id}")
    # refused after ending: no details, no new read under the grant, the form offered again
    after = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert after["case"] is None and after["glass"] is None
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "Fatima" not in page and "Break the glass (audited, time-limited)" in page
    reads = session.scalars(select(AuditLog).where(AuditLog.action == "glass.read")).all()
    assert len(reads) == 2  # the two reads before the end
    again = client.post(f"/api/v1/glass/{gid}/end")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "glass_ended"

    # the review lists it as ended early, by whom, with its reads (page and API)
    items = client.get("/api/v1/glass").get_json()["items"]
    assert [(i["id"], i["state"], i["ended_by"], i["reads"], i["reason"]) for i in items] == [
        (gid, "ended", grantee.name, 2, "hotline call")]
    assert items[0]["ended_at"] and items[0]["user"] == grantee.name
    en = client.get("/referrals/glass?lang=en").get_data(as_text=True)
    assert f"Ended early by {grantee.name}" in en and "End now" not in en
    ar = client.get("/referrals/glass?lang=ar").get_data(as_text=True)
    assert f"أنهاه {grantee.name} مبكراً" in ar


def test_an_admin_ends_a_grant_from_the_review_page(client, login, session, world, keys, app):
    ref = _sensitive(session, world, app)
    grantee = world.users[("receiver", "org_admin")]
    gid = _grant(client, login, ref, grantee)
    admin = quick_user(session, "org_admin", world.receiver_org)
    login(admin)
    review = client.get("/referrals/glass?lang=en").get_data(as_text=True)
    assert "End now" in review and f"/referrals/glass/{gid}/end" in review
    resp = client.post(f"/referrals/glass/{gid}/end")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/referrals/glass")
    login(grantee)
    assert client.get(f"/api/v1/referrals/{ref.id}").get_json()["case"] is None


def test_an_expired_grant_cannot_be_ended_or_reopen_the_record(client, login, session, world,
                                                                 keys, app):
    ref = _sensitive(session, world, app)
    grantee = world.users[("receiver", "org_admin")]
    gid = _grant(client, login, ref, grantee)
    grant = session.get(GlassAccess, gid)
    grant.started_at -= dt.timedelta(hours=4)
    grant.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.flush()
    resp = client.post(f"/api/v1/glass/{gid}/end")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "glass_expired"
    page = client.post(f"/referrals/glass/{gid}/end?lang=en", follow_redirects=True)
    assert "already expired" in page.get_data(as_text=True)
    (item,) = client.get("/api/v1/glass").get_json()["items"]
    assert item["state"] == "expired" and item["ended_at"] is None


def test_the_grant_list_is_for_the_organisations_admins(client, login, session, world, keys,
                                                         app):
    ref = _sensitive(session, world, app)
    gid = _grant(client, login, ref, world.users[("receiver", "org_admin")])
    login(world.users[("sender", "org_admin")])
    assert client.get("/api/v1/glass").get_json() == {"items": []}
    login(world.users[("receiver", "caseworker")])
    assert client.get("/api/v1/glass").status_code == 403
    login(quick_user(session, "org_admin", world.receiver_org))
    (item,) = client.get("/api/v1/glass").get_json()["items"]
    assert item["id"] == gid and item["state"] == "active" and item["reads"] == 0


def test_a_supervisor_breaks_the_glass_the_admins_are_told_and_review_it(
        client, login, session, world, keys, app):
    """The issue's supervisor: a member with that role, not the admin, opens the record; every
    admin of the organisation is told; the supervisor ends it; only admins see the review."""
    ref = _sensitive(session, world, app)
    supervisor = world.users[("receiver", "supervisor")]
    admin = world.users[("receiver", "org_admin")]
    login(supervisor)
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "Break the glass (audited, time-limited)" in page and "Fatima" not in page
    resp = client.post(f"/referrals/{ref.id}/glass?lang=en", data={"reason": "night call"})
    assert resp.status_code == 302
    grant = session.scalars(select(GlassAccess).where(GlassAccess.referral_id == ref.id)).one()
    assert grant.user_id == supervisor.id
    assert "Fatima Al-Test" in client.get(f"/referrals/{ref.id}").get_data(as_text=True)
    told = session.scalars(select(Notification.user_id).where(
        Notification.kind == "glass.opened")).all()
    assert told == [admin.id]
    assert client.get("/referrals/glass").status_code == 403  # the review is the admins'
    assert client.get("/api/v1/glass").status_code == 403
    resp = client.post(f"/api/v1/glass/{grant.id}/end")
    assert resp.status_code == 200 and resp.get_json()["state"] == "ended"
    assert client.get(f"/api/v1/referrals/{ref.id}").get_json()["case"] is None
    login(admin)
    (item,) = client.get("/api/v1/glass").get_json()["items"]
    assert (item["user"], item["ended_by"], item["state"], item["reason"]) == (
        supervisor.name, supervisor.name, "ended", "night call")


@pytest.mark.parametrize("role,form", [("supervisor", True), ("org_admin", True),
                                       ("caseworker", False), ("viewer", False)])
def test_the_glass_form_is_offered_to_who_may_use_it(client, login, session, world, keys, app,
                                                      role, form):
    ref = _sensitive(session, world, app)  # assigned to another caseworker
    login(quick_user(session, role, world.receiver_org))
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "Fatima" not in page
    assert ("Break the glass (audited, time-limited)" in page) is form
