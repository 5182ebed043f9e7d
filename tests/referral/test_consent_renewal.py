"""Consent as a history of records (issue 23): every consent state (given, expired, revoked,
renewed) against every action (read the shared fields, send a referral, print the receipt,
renew, revoke), through the API; renewal and narrowing to organisations on the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data.errors import BadInput
from data.models import AuditLog, ConsentRecord, Referral
from referral.cases import create_referrals
from referral.lifecycle import transition
from referral.renewal import renew_consent
from referral.revocation import revoke_consent
from tests.kits.referrals import CONSENT, cipher, keys_fixture, world_fixture  # noqa: F401


def _case(session, world, make):
    """One case, two referrals to the receiver: ``read`` accepted, ``draft`` not sent yet."""
    second = make.service(organization=world.receiver_org, service_type_code="prot_pss",
                          coverage=["SY07"])
    sender = world.users[("sender", "caseworker")]
    case, (read, draft) = create_referrals(session, sender, {
        "service_ids": [world.service.id, second.id], "consent": dict(CONSENT),
        "case": {"age": 30, "sex": "female", "pcode": "SY07"}}, None, send=False)
    transition(session, read.id, sender, "send", version=read.version)
    transition(session, read.id, world.users[("receiver", "caseworker")], "accept",
               version=read.version)
    return case, read, draft


def _expire(session, case):
    case.consent.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    session.flush()


def _put_in(state, session, world, case, read):
    sender = world.users[("sender", "caseworker")]
    if state in ("expired", "renewed"):
        _expire(session, case)
    if state == "revoked":
        revoke_consent(session, read.id, sender)
    if state == "renewed":  # after expiry, with the person's new agreement
        renew_consent(session, read.id, sender, dict(CONSENT, purpose="follow-up"))
    session.expire_all()


def _audit(session, action, case_id):
    return list(session.scalars(select(AuditLog).where(
        AuditLog.action == action, AuditLog.object_id == str(case_id))))


OK = (200, None)
# state -> action -> (status, error code or the receipt's state)
MATRIX = {
    "given": {"read": OK, "send": OK, "receipt": (200, "valid"), "renew": (201, "valid"),
              "revoke": OK},
    "expired": {"read": (200, "consent_expired"), "send": (409, "consent_expired"),
                "receipt": (200, "expired"), "renew": (201, "valid"), "revoke": OK},
    # revocation withdrew the draft too: nothing left to send
    "revoked": {"read": (200, "consent_revoked"), "send": (409, "illegal_transition"),
                "receipt": (200, "revoked"), "renew": (201, "valid"),
                "revoke": (409, "consent_revoked")},
    "renewed": {"read": OK, "send": OK, "receipt": (200, "valid"), "renew": (201, "valid"),
                "revoke": OK},
}
CASES = [(s, a, *want) for s, row in MATRIX.items() for a, want in row.items()]


@pytest.mark.parametrize("state,action,status,code", CASES)
def test_consent_state_by_action(client, login, session, world, make, keys, app, state, action,
                                 status, code):
    case, read, draft = _case(session, world, make)
    _put_in(state, session, world, case, read)
    records_before = len(case.consents)
    sender = world.users[("sender", "caseworker")]
    if action == "read":
        login(world.users[("receiver", "caseworker")])
        resp = client.get(f"/api/v1/referrals/{read.id}?lang=en")
        assert resp.status_code == status
        body = resp.get_json()
        if code is None:
            assert body["withheld"] is None and body["case"]["age"] == 30
        else:
            assert code.removeprefix("consent_") in body["withheld"]
            assert "age" not in body["case"] and "needs" not in body["case"]
            (row, *_more) = [r for r in _audit(session, "consent.read_refused", read.id)]
            assert row.summary["state"] == code
        return
    login(sender)
    if action == "send":
        resp = client.post(f"/api/v1/referrals/{draft.id}/transitions",
                           json={"action": "send", "version": draft.version})
    elif action == "receipt":
        resp = client.get(f"/api/v1/referrals/{read.id}/consent?lang=en")
    elif action == "renew":
        resp = client.post(f"/api/v1/referrals/{read.id}/consent/renew",
                           json=dict(CONSENT, scope=["needs"], expires_at="2030-01-31"))
    else:
        resp = client.post(f"/api/v1/referrals/{read.id}/consent/revoke",
                           json={"reason": "moved away"})
    body = resp.get_json()
    assert resp.status_code == status, body
    session.expire_all()
    if status >= 400:
        assert body["error"]["code"] == code
        assert len(case.consents) == records_before  # nothing half-written
        if action == "send":
            assert session.get(Referral, draft.id).status in ("draft", "withdrawn")
        return
    if action == "send":
        assert body["status"] == "sent"
    elif action == "receipt":
        assert body["state"] == code and body["record_id"] == case.consent.id
        assert body["current"] is True and len(body["history"]) == records_before
    elif action == "renew":  # a new current record superseding the last, audited
        assert body["state"] == "valid" and body["scope"] == ["needs"]
        assert body["supersedes_id"] == body["history"][-2]["id"]
        assert body["history"][-2]["state"] == "superseded"
        assert len(case.consents) == records_before + 1
        (row,) = [r for r in _audit(session, "consent.renewed", case.id)
                  if r.summary["consent_id"] == body["record_id"]]
        assert row.user_id == sender.id and "the person" not in str(row.summary)
        # referrals can be sent and read again under it
        login(world.users[("receiver", "caseworker")])
        again = client.get(f"/api/v1/referrals/{read.id}?lang=en").get_json()
        assert again["withheld"] is None and again["case"]["needs"]
        assert "age" not in again["case"]  # the renewed scope: needs only
    else:  # revoked on the current record, the reason sealed, audited
        rec = case.consent
        assert rec.revoked_at is not None and rec.revoked_by_id == sender.id
        assert cipher(app).decrypt(rec.revoked_reason_enc) == "moved away"
        assert body["consent_id"] == rec.id
        assert _audit(session, "consent.revoked", case.id)


def test_renewal_after_revocation_lets_a_new_referral_be_read(client, login, session, world,
                                                              make):
    """The person agreed again after revoking: the renewed record holds, the history says
    what happened, and the old receipt still prints what it said."""
    case, read, _draft = _case(session, world, make)
    sender = world.users[("sender", "caseworker")]
    first = case.consent.id
    revoke_consent(session, read.id, sender)
    renew_consent(session, read.id, sender, dict(CONSENT, purpose="second agreement"))
    login(sender)
    old = client.get(f"/api/v1/referrals/{read.id}/consent?record={first}").get_json()
    assert old["state"] == "superseded" and old["revoked_at"] and old["current"] is False
    assert old["purpose"] is None
    now = client.get(f"/api/v1/referrals/{read.id}/consent").get_json()
    assert now["state"] == "valid" and now["purpose"] == "second agreement"
    assert [h["state"] for h in now["history"]] == ["superseded", "valid"]
    assert client.get(f"/api/v1/referrals/{read.id}/consent?record=999999").status_code == 404
    assert client.get(f"/api/v1/referrals/{read.id}/consent?record=x").status_code == 400


@pytest.mark.parametrize("raw,field", [
    ({}, "consent"),
    ({**CONSENT, "method": "implied"}, "consent.method"),
    ({**CONSENT, "expires_at": "2020-01-01"}, "consent.expires_at"),
    ({**CONSENT, "organization_ids": [999999]}, "consent.organization_ids"),
])
def test_bad_renewal_is_refused_naming_the_field(client, login, session, world, make, raw,
                                                 field):
    case, read, _draft = _case(session, world, make)
    login(world.users[("sender", "caseworker")])
    resp = client.post(f"/api/v1/referrals/{read.id}/consent/renew", json=raw)
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == field
    session.expire_all()
    assert len(case.consents) == 1


def test_only_the_sending_staff_renew(client, login, session, world, make):
    _case_, read, _draft = _case(session, world, make)
    login(world.users[("receiver", "caseworker")])
    assert client.post(f"/api/v1/referrals/{read.id}/consent/renew",
                       json=CONSENT).status_code == 403
    login(world.users[("other", "caseworker")])
    assert client.post(f"/api/v1/referrals/{read.id}/consent/renew",
                       json=CONSENT).status_code == 404


# ------------------------------------------------------------- narrowed to organisations

def test_a_referral_outside_the_consent_is_refused_naming_the_organisation(session, world):
    sender = world.users[("sender", "caseworker")]
    with pytest.raises(BadInput) as err:
        create_referrals(session, sender, {
            "service_id": world.service.id,
            "consent": dict(CONSENT, organization_ids=[world.other_org.id]),
            "case": {"age": 30, "sex": "female", "pcode": "SY07"}}, None)
    assert err.value.details["field"] == "consent.organization_ids"
    assert "Receiver NGO" in err.value.message or "المنظمة المستقبلة" in err.value.message
    case, (draft,) = create_referrals(session, sender, {
        "service_id": world.service.id, "consent": dict(CONSENT),
        "case": {"age": 30, "sex": "female", "pcode": "SY07"}}, None, send=False)
    renew_consent(session, draft.id, sender, dict(CONSENT, organization_ids=[
        world.receiver_org.id, world.other_org.id]))
    case.consent.organization_ids = [world.other_org.id]  # narrowed since
    session.flush()
    with pytest.raises(BadInput) as err:
        transition(session, draft.id, sender, "send", version=draft.version)
    assert err.value.details["organization_ids"] == [world.receiver_org.id]


def test_consent_names_only_verified_organisations(session, world, make):
    pending = make.org(name_en="Pending NGO", verification="pending")
    sender = world.users[("sender", "caseworker")]
    with pytest.raises(BadInput) as err:
        create_referrals(session, sender, {
            "service_id": world.service.id,
            "consent": dict(CONSENT, organization_ids=[world.receiver_org.id, pending.id]),
            "case": {"age": 30, "sex": "female", "pcode": "SY07"}}, None)
    assert err.value.details == {"field": "consent.organization_ids",
                                 "organization_ids": [pending.id]}


def test_the_receiver_a_narrowed_consent_leaves_out_reads_nothing(client, login, session,
                                                                  world, make):
    case, read, _draft = _case(session, world, make)
    case.consent.organization_ids = [world.other_org.id]
    session.flush()
    login(world.users[("receiver", "caseworker")])
    body = client.get(f"/api/v1/referrals/{read.id}?lang=en").get_json()
    assert "does not cover your organisation" in body["withheld"] and "age" not in body["case"]


def _form(world, **extra):
    return {"age": "30", "sex": "female", "pcode": "SY07", "urgency": "normal",
            "needs": ["prot_pss"], "consent_method": "verbal", "consent_given_by": "the person",
            "consent_scope": ["age_sex", "needs"], **extra}


def test_the_form_picks_verified_organisations_and_refuses_one_outside(client, login, session,
                                                                       world, make):
    make.org(name_en="Pending NGO", verification="pending")
    login(world.users[("sender", "caseworker")])
    url = f"/referrals/new?service_id={world.service.id}&lang=en"
    page = client.get(url).get_data(as_text=True)
    assert 'name="consent_orgs"' in page and "Receiver NGO" in page and "Other NGO" in page
    assert "Pending NGO" not in page  # verified organisations only
    # the search, without JavaScript: the form comes back with the matches, nothing saved
    before = session.scalars(select(Referral.id)).all()
    found = client.post(url, data=_form(world, org_q="other", find_orgs="1",
                                        consent_orgs=[str(world.receiver_org.id)]))
    text = found.get_data(as_text=True)
    assert found.status_code == 200 and "Other NGO" in text and "Sender NGO" not in text
    assert "Receiver NGO" in text  # picked: stays
    assert session.scalars(select(Referral.id)).all() == before
    # consent narrowed to another organisation: refused, saying which one, on the field
    resp = client.post(url, data=_form(world, consent_orgs=[str(world.other_org.id)]))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="consent_orgs-error"' in text
    assert "does not cover Receiver NGO" in text
    assert session.scalars(select(Referral.id)).all() == before
    # Arabic too
    ar = client.post(url.replace("lang=en", "lang=ar"),
                     data=_form(world, consent_orgs=[str(world.other_org.id)]))
    assert ar.status_code == 400 and "المنظمة المستقبلة" in ar.get_data(as_text=True)
    # named and covered: sent, the record lists exactly them
    ok = client.post(url, data=_form(world, consent_orgs=[str(world.receiver_org.id),
                                                          str(world.other_org.id)]))
    assert ok.status_code == 302
    rec = session.scalars(select(ConsentRecord).order_by(ConsentRecord.id.desc())).first()
    assert rec.organization_ids == [world.receiver_org.id, world.other_org.id]


def test_renewal_on_the_page_supersedes_and_the_receipt_prints_each_record(client, login,
                                                                           session, world,
                                                                           make):
    case, read, _draft = _case(session, world, make)
    first = case.consent.id
    _expire(session, case)
    login(world.users[("sender", "caseworker")])
    page = client.get(f"/referrals/{read.id}/consent?lang=en").get_data(as_text=True)
    assert "Consent expired" in page and "Renew consent" in page
    assert 'name="consent_orgs"' in page
    bad = client.post(f"/referrals/{read.id}/consent/renew?lang=en", data={
        "consent_method": "verbal", "consent_scope": ["needs"]})
    assert bad.status_code == 400 and "Say who gave consent" in bad.get_data(as_text=True)
    resp = client.post(f"/referrals/{read.id}/consent/renew?lang=en", data={
        "consent_method": "written", "consent_given_by": "the person",
        "consent_scope": ["needs", "age_sex"], "consent_purpose": "renewed for follow-up",
        "consent_orgs": [str(world.receiver_org.id)]})
    assert resp.status_code == 302
    page = client.get(f"/referrals/{read.id}/consent?lang=en").get_data(as_text=True)
    assert "Consent renewed" in page and "Consent holds" in page
    assert "renewed for follow-up" in page and "History of this consent" in page
    old = client.get(f"/referrals/{read.id}/consent?lang=ar&record={first}")
    text = old.get_data(as_text=True)
    assert old.status_code == 200 and 'dir="rtl"' in text and "renewed for follow-up" not in text
    assert "/consent/renew" not in text and "/consent/revoke" not in text  # a past record
    session.expire_all()
    assert [r.supersedes_id for r in case.consents] == [None, first]
    assert case.consent.method == "written"


def test_why_consent_was_revoked_is_rotated_and_erased_with_the_case(session, world, make,
                                                                     keys, app):
    """The revocation's reason is a sealed column: rotate-keys re-encrypts it (the new key
    alone opens it) and retention erases it with the case's other sealed values."""
    from data.models.base import utcnow
    from referral.crypto import DataCipher, generate_key, rotate_all
    from referral.retention import erase_closed

    case, read, _draft = _case(session, world, make)
    revoke_consent(session, read.id, world.users[("sender", "caseworker")],
                   reason="does not want contact", cipher=cipher(app))
    new_key = generate_key()
    done = rotate_all(session, DataCipher([new_key, keys]))
    assert done["consent_record"] == 1
    session.expire_all()
    assert DataCipher([new_key]).decrypt(case.consent.revoked_reason_enc) == \
        "does not want contact"
    report = erase_closed(session, days=1, now=utcnow() + dt.timedelta(days=2))
    assert case.id in report.case_ids
    session.expire_all()
    assert case.consent.revoked_reason_enc is None and case.consent.revoked_at is not None
