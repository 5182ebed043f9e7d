"""Consent as a record (issue 23): scope, method, giver, purpose, organisations, expiry;
revocation withdraws open referrals, closes the receiver's view, tells everyone, is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data.errors import BadInput, Conflict
from data.models import AuditLog, Notification, Referral, ReferralEvent
from referral.cases import create_referrals
from referral.lifecycle import transition
from tests.kits.referrals import CONSENT, keys_fixture, new_referral, world_fixture  # noqa: F401


def _payload(world, **consent):
    return {"service_id": world.service.id, "consent": {**CONSENT, **consent},
            "case": {"age": 9, "sex": "female", "pcode": "SY07"}}


def _audit(session, action, object_id=None):
    stmt = select(AuditLog).where(AuditLog.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditLog.object_id == str(object_id))
    return list(session.scalars(stmt))


def test_consent_is_a_record_with_purpose_organisations_and_expiry(session, world):
    actor = world.users[("sender", "caseworker")]
    case, (ref,) = create_referrals(session, actor, _payload(
        world, method="guardian", given_by="mother", purpose="psychosocial support",
        expires_at="2027-03-31"), None)
    assert ref.status == "sent"
    assert case.consent.method == "guardian" and case.consent.purpose == "psychosocial support"
    assert case.consent.organization_ids == [world.receiver_org.id]  # default: the receivers
    assert case.consent.expires_at == dt.datetime(2027, 3, 31, 23, 59, 59, tzinfo=dt.UTC)
    (row,) = _audit(session, "consent.recorded", case.id)
    assert row.user_id == actor.id and row.summary["organization_ids"] == [world.receiver_org.id]
    assert row.summary["method"] == "guardian" and "mother" not in str(row.summary)


def test_consent_without_an_end_lasts_the_configured_days(session, world, app):
    actor = world.users[("sender", "caseworker")]
    with app.app_context():
        app.config["CONSENT_DAYS"] = 30
        try:
            case, _refs = create_referrals(session, actor, _payload(world), None)
        finally:
            app.config["CONSENT_DAYS"] = 365
    assert case.consent.expires_at - case.consent.given_at == dt.timedelta(days=30)


@pytest.mark.parametrize("consent,field", [
    ({"expires_at": "2020-01-01"}, "consent.expires_at"),  # expired consent cannot be recorded
    ({"expires_at": "soon"}, "consent.expires_at"),
    ({"organization_ids": ["x"]}, "consent.organization_ids"),
    ({"organization_ids": [999999]}, "consent.organization_ids"),  # not the receiver
    ({"purpose": "p" * 301}, "consent.purpose"),
    ({"purpose": 5}, "consent.purpose"),
    ({"method": "implied"}, "consent.method"),
])
def test_bad_consent_is_refused_naming_the_field(session, world, consent, field):
    actor = world.users[("sender", "caseworker")]
    before = session.scalars(select(Referral.id)).all()
    with pytest.raises(BadInput) as err:
        create_referrals(session, actor, _payload(world, **consent), None)
    assert err.value.details["field"] == field
    assert session.scalars(select(Referral.id)).all() == before  # nothing half-written


def test_a_referral_cannot_be_sent_on_expired_consent(session, world):
    actor = world.users[("sender", "caseworker")]
    case, (draft,) = create_referrals(session, actor, _payload(world), None, send=False)
    case.consent.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.flush()
    with pytest.raises(Conflict) as err:
        transition(session, draft.id, actor, "send", version=draft.version)
    assert err.value.code == "consent_expired" and "expired" in err.value.message
    assert draft.status == "draft"


def test_a_referral_cannot_be_sent_to_an_organisation_consent_does_not_name(session, world,
                                                                              make):
    actor = world.users[("sender", "caseworker")]
    case, (draft,) = create_referrals(session, actor, _payload(world), None, send=False)
    case.consent.organization_ids = [world.other_org.id]
    session.flush()
    with pytest.raises(BadInput) as err:
        transition(session, draft.id, actor, "send", version=draft.version)
    assert err.value.details["field"] == "consent.organization_ids"


def _sent(session, world, keys, app, status="accepted"):
    from tests.kits.referrals import cipher

    return new_referral(session, world, status=status, data_cipher=cipher(app))


def test_expired_consent_refuses_the_receivers_read_and_says_why(client, login, session,
                                                                 world, keys, app):
    ref = _sent(session, world, keys, app)
    ref.case.consent.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.flush()
    login(world.users[("receiver", "caseworker")])
    body = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert "expired" in body["withheld"]
    assert body["case"]["consent"]["state"] == "expired"
    assert not {"age", "sex", "pcode", "needs", "name", "phone"} & set(body["case"])
    assert body["note"] == ""
    page = client.get(f"/referrals/{ref.id}?lang=en").get_data(as_text=True)
    assert "consent expired" in page and "Fatima" not in page
    rows = _audit(session, "consent.read_refused", ref.id)
    assert rows and rows[0].summary["state"] == "consent_expired"
    # the sender, who collected the data, still sees its own case; printing is refused
    login(world.users[("sender", "caseworker")])
    assert client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()["case"]["age"] == 34
    assert client.get(f"/referrals/{ref.id}/print").status_code == 409


def test_revocation_end_to_end(client, login, session, world, keys, app, smtp_server, make):
    from tests.kits.referrals import cipher

    # one case, two referrals: one open (accepted), one completed
    second = make.service(organization=world.other_org, service_type_code="prot_pss",
                          coverage=["SY07"])
    world.other_org.verification = "verified"
    sender = world.users[("sender", "caseworker")]
    payload = {"service_ids": [world.service.id, second.id], "consent": dict(CONSENT),
               "case": {"age": 30, "sex": "female", "pcode": "SY07", "name": "Fatima Test"},
               "note": "after displacement"}
    case, (open_ref, done_ref) = create_referrals(session, sender, payload, cipher(app))
    assert case.consent.organization_ids == [world.receiver_org.id, world.other_org.id]
    other_cw = world.users[("other", "caseworker")]
    for action in ("accept", "start", "complete"):
        transition(session, done_ref.id, other_cw, action, version=done_ref.version)
    transition(session, open_ref.id, world.users[("receiver", "caseworker")], "accept",
               version=open_ref.version)
    receiver = world.users[("receiver", "caseworker")]
    login(receiver)
    assert client.get(f"/api/v1/referrals/{open_ref.id}?lang=en").get_json()["case"]["name"] \
        == "Fatima Test"

    # the receiver may not revoke; the sender's caseworker does, through the API
    assert client.post(f"/api/v1/referrals/{open_ref.id}/consent/revoke").status_code == 403
    login(sender)
    resp = client.post(f"/api/v1/referrals/{open_ref.id}/consent/revoke")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["withdrawn"] == [open_ref.id]
    session.refresh(open_ref)
    session.refresh(done_ref)
    assert open_ref.status == "withdrawn" and open_ref.reason_code == "consent_revoked"
    assert done_ref.status == "completed"  # closed: stays, but its receiver is told
    event = session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == open_ref.id).order_by(ReferralEvent.id.desc())).first()
    assert (event.action, event.reason_code, event.actor_user_id) == \
        ("withdraw", "consent_revoked", sender.id)
    # notified parties: both receivers, in-app and by mail (the mail job)
    told = {n.user_id: n for n in session.scalars(select(Notification).where(
        Notification.kind.in_(["referral.withdraw", "referral.consent_revoked"])))}
    assert receiver.id in told and "revoked" in told[receiver.id].text_en
    other_admin = world.users[("other", "org_admin")]
    assert other_cw.id in told or other_admin.id in told
    mails = smtp_server.wait_for(2)
    assert len(mails) >= 2 and all("Fatima" not in m.get_content() for m in mails)
    # audited, without the person's details
    (row,) = _audit(session, "consent.revoked", case.id)
    assert row.user_id == sender.id and row.summary["withdrawn"] == [open_ref.id]
    assert "Fatima" not in str(row.summary)
    # the receivers' view of the shared fields is closed at once, saying why
    login(receiver)
    body = client.get(f"/api/v1/referrals/{open_ref.id}?lang=en").get_json()
    assert "revoked" in body["withheld"] and "name" not in body["case"]
    assert "age" not in body["case"] and body["case"]["consent"]["state"] == "revoked"
    login(other_cw)
    closed = client.get(f"/api/v1/referrals/{done_ref.id}?lang=en").get_json()
    assert "revoked" in closed["withheld"]
    # a second revocation is refused; nothing can be sent on it
    login(sender)
    again = client.post(f"/api/v1/referrals/{open_ref.id}/consent/revoke")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "consent_revoked"


def test_consent_receipt_page_and_revoke_button(client, login, session, world, keys, app):
    ref = _sent(session, world, keys, app, status="sent")
    ref.case.consent.purpose = "psychosocial support"
    session.flush()
    login(world.users[("sender", "caseworker")])
    en = client.get(f"/referrals/{ref.id}/consent?lang=en").get_data(as_text=True)
    assert "Consent receipt" in en and "psychosocial support" in en
    assert "Receiver NGO" in en and "Consent holds" in en and "Verbal" in en
    ar = client.get(f"/referrals/{ref.id}/consent?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in ar and "المنظمة المستقبلة" in ar and "Consent receipt" not in ar
    # without confirming, nothing is revoked
    assert client.post(f"/referrals/{ref.id}/consent/revoke", data={}).status_code == 400
    assert ref.case.consent.revoked_at is None
    resp = client.post(f"/referrals/{ref.id}/consent/revoke?lang=en", data={"confirm": "yes"})
    assert resp.status_code == 302
    page = client.get(f"/referrals/{ref.id}/consent?lang=en").get_data(as_text=True)
    assert "Consent revoked" in page and "1 open referral was withdrawn" in page
    assert "The person revokes their consent</button>" not in page
    session.refresh(ref)
    assert ref.status == "withdrawn"
    # the receiver has no receipt to read
    login(world.users[("receiver", "caseworker")])
    assert client.get(f"/referrals/{ref.id}/consent").status_code == 403


def test_revoked_consent_hides_why_consent_was_overridden(client, login, session, world, keys,
                                                          app):
    """An override's reason speaks of the person: withheld with the rest once revoked."""
    from tests.kits.referrals import cipher

    ref = _sent(session, world, keys, app)
    ref.case.consent_override_reason_enc = cipher(app).encrypt("guardian unreachable, risk")
    session.flush()
    login(world.users[("receiver", "caseworker")])
    shown = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()["case"]["consent"]
    assert shown["override_reason"] == "guardian unreachable, risk"
    ref.case.consent.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    body = client.get(f"/api/v1/referrals/{ref.id}?lang=en").get_json()
    assert body["case"]["consent"]["override_reason"] is None and body["withheld"]
