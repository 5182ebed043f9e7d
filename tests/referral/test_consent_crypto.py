"""Consent and its override; encryption at rest (raw row) and key rotation; email privacy."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from data.errors import BadInput, Forbidden
from data.models import AuditLog, Case
from referral.cases import create_referrals
from referral.consent import may_override
from referral.crypto import DataCipher, generate_key, rotate_all
from referral.lifecycle import transition
from tests.kits.referrals import CONSENT, cipher, keys_fixture, new_referral, world_fixture  # noqa: F401


def _payload(world, **case):
    return {"service_id": world.service.id,
            "case": {"age": 9, "sex": "male", "pcode": "SY07", **case}}


@pytest.mark.parametrize("role,urgency,allowed", [
    ("org_admin", "normal", True), ("org_admin", "emergency", True),
    ("caseworker", "emergency", True), ("caseworker", "high", False),
    ("caseworker", "normal", False), ("viewer", "emergency", False),
    ("planner", "emergency", False),
])
def test_override_rule(role, urgency, allowed):
    assert may_override(role, urgency) is allowed


def test_no_consent_no_send(session, world):
    actor = world.users[("sender", "caseworker")]
    with pytest.raises(BadInput) as err:
        create_referrals(session, actor, _payload(world), None)
    assert err.value.details["field"] == "consent"
    # a draft may be saved without consent, but it cannot be sent
    _, (draft,) = create_referrals(session, actor, _payload(world), None, send=False)
    with pytest.raises(BadInput) as err:
        transition(session, draft.id, actor, "send", version=draft.version)
    assert err.value.details["field"] == "consent"
    assert draft.status == "draft"


def test_consent_is_recorded(session, world):
    actor = world.users[("sender", "caseworker")]
    case, (ref,) = create_referrals(session, actor, {**_payload(world), "consent": {
        "given_by": "mother (guardian)", "method": "written", "at": "2026-11-20T10:00:00+02:00",
        "scope": ["needs", "age_sex"]}}, None)
    assert ref.status == "sent"
    assert (case.consent.given_by, case.consent.method) == ("mother (guardian)", "written")
    import datetime as dt

    assert case.consent.given_at == dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    assert case.consent.scope == ["age_sex", "needs"]


@pytest.mark.parametrize("role,urgency", [("org_admin", "normal"),
                                          ("caseworker", "emergency")])
def test_override_is_recorded_and_audited(session, world, app, keys, role, urgency):
    actor = world.users[("sender", role)]
    case, (ref,) = create_referrals(session, actor, {
        **_payload(world, urgency=urgency),
        "consent_override_reason": "child at risk, guardian unreachable"}, cipher(app))
    assert ref.status == "sent"
    assert case.consent_override_by_id == actor.id
    assert cipher(app).decrypt(case.consent_override_reason_enc).startswith("child at risk")
    assert case.consent_override_reason is None  # never in plain
    row = session.scalars(select(AuditLog).where(
        AuditLog.action == "referral.consent_override", AuditLog.object_id == str(case.id))).one()
    # the audit log says that it happened, not what the reason disclosed
    assert row.user_id == actor.id and row.summary["reason_given"] is True
    assert "child" not in str(row.summary)


@pytest.mark.parametrize("reason,error,field", [
    ("child at risk", Forbidden, "consent_override_reason"),  # caseworker, not an emergency
    ("   ", BadInput, "consent_override_reason"),
    ("r" * 1001, BadInput, "consent_override_reason"),
])
def test_override_refused(session, world, reason, error, field):
    actor = world.users[("sender", "caseworker")]
    n = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    with pytest.raises(error) as err:
        create_referrals(session, actor, {**_payload(world),
                                          "consent_override_reason": reason}, None)
    assert err.value.details["field"] == field
    assert session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == n


def test_name_and_phone_are_encrypted_at_rest(session, world, app, keys):
    ref = new_referral(session, world, data_cipher=cipher(app), name="Fatima Al-Test",
                       phone="+963 944 123456")
    raw = session.execute(text("SELECT name_enc, phone_enc FROM referral_case WHERE id = :i"),
                          {"i": ref.case_id}).one()
    for value, plain in zip(raw, ("Fatima Al-Test", "+963 944 123456"), strict=True):
        assert isinstance(value, bytes) and plain.encode() not in value
        assert b"Fatima" not in value
    assert cipher(app).decrypt(raw[0]) == "Fatima Al-Test"
    assert DataCipher([generate_key()]).decrypt(raw[0]) is None  # a wrong key opens nothing


def test_names_need_a_key(session, world):
    actor = world.users[("sender", "caseworker")]
    with pytest.raises(BadInput) as err:
        create_referrals(session, actor, {**_payload(world, name="Ali"),
                                          "consent": dict(CONSENT)}, None)
    assert err.value.details["field"] == "case.name"


def test_key_rotation(session, world, app, runner, keys):
    old = cipher(app)
    ref = new_referral(session, world, data_cipher=old, name="Omar", phone="+963 911 222333",
                       status="sent")
    transition(session, ref.id, world.users[("receiver", "caseworker")], "decline",
               version=ref.version, reason="other", reason_text="she moved to Homs",
               note="called twice", cipher=old)
    before = session.execute(text("SELECT name_enc FROM referral_case WHERE id = :i"),
                             {"i": ref.case_id}).scalar_one()
    new_key = generate_key()
    app.config["TASHARUK_DATA_KEYS"] = f"{new_key},{keys}"
    result = runner.invoke(args=["referrals", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted rows: cases" in result.output
    session.expire_all()
    after = session.execute(text("SELECT name_enc, phone_enc FROM referral_case WHERE id = :i"),
                            {"i": ref.case_id}).one()
    assert after[0] != before
    only_new = DataCipher([new_key])
    assert only_new.decrypt(after[0]) == "Omar"
    assert only_new.decrypt(after[1]) == "+963 911 222333"
    # the notes too: the referral's and the decline event's, each opened by the new key alone
    note, reason = session.execute(text(
        "SELECT note_enc, reason_text_enc FROM referral WHERE id = :i"), {"i": ref.id}).one()
    assert only_new.decrypt(note) == "needs PSS after displacement"
    assert only_new.decrypt(reason) == "she moved to Homs"
    event = session.execute(text(
        "SELECT note_enc, reason_text_enc FROM referral_event WHERE referral_id = :i "
        "AND action = 'decline'"), {"i": ref.id}).one()
    assert [only_new.decrypt(t) for t in event] == ["called twice", "she moved to Homs"]
    assert sum(rotate_all(session, only_new).values()) >= 3  # idempotent with the new key


def test_bad_key_configuration_is_reported(app, runner):
    old = app.config["TASHARUK_DATA_KEYS"]
    app.config["TASHARUK_DATA_KEYS"] = "not-a-key"
    try:
        result = runner.invoke(args=["referrals", "rotate-keys"])
    finally:
        app.config["TASHARUK_DATA_KEYS"] = old
    assert result.exit_code == 2
    assert "TASHARUK_DATA_KEYS" in result.output


@pytest.mark.parametrize("sensitive", [True, False])
def test_email_arrives_and_carries_no_name(client, login, session, make, world, keys, app,
                                           smtp_server, sensitive):
    svc = make.service(organization=world.receiver_org, sensitive=sensitive)
    ref = new_referral(session, world, status="sent", service=svc, data_cipher=cipher(app),
                       name="Fatima Al-Test", phone="+963 944 123456")
    smtp_server.messages.clear()
    login(world.users[("receiver", "caseworker")])
    resp = client.post(f"/api/v1/referrals/{ref.id}/transitions",
                       json={"action": "accept", "version": ref.version})
    assert resp.status_code == 200
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    msg = messages[0]
    assert msg["To"] == world.users[("sender", "caseworker")].email
    body = msg.get_content()
    # the phone's digits, not "944" alone: a random referral code may contain that
    for secret in ("Fatima", "944 123456", "123456", svc.name_en, svc.name_ar, "PSS",
                   "displacement"):
        assert secret not in body and secret not in str(msg["Subject"])
    assert f"/referrals/{ref.id}" in body
    assert "accepted" in body and "مقبولة" in body
