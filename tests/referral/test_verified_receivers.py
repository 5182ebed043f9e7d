"""Issue 17, finding 1: only verified organisations receive referrals and appear to others.

The attack as reported: anyone registers an organisation (signed in at once, pending), creates
a GBV case-management service, an anonymous GBV search near Damascus ranks it, a caseworker
refers a person to it and its admin reads the name, phone and note; after the platform admin
rejects it, its open session and a fresh login still read them. Each step is tried here.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from data.models import AuditLog, Case, Notification, Referral, ReferralEvent
from tests.kits.referrals import (  # noqa: F401
    CONSENT,
    keys_fixture,
    new_referral,
    world_fixture,
)

PASSWORD = "correct horse battery staple"
DAMASCUS = (36.2913, 33.5130)
GBV = {
    "service_type_code": "gbv_case_management", "name_ar": "إدارة حالات", "name_en": "GBV CM",
    "target_groups": ["women"], "coverage": ["SY01"],
    "sites": [{"lon": DAMASCUS[0], "lat": DAMASCUS[1], "address_ar": "دمشق"}],
    "availability": "open", "capacity_per_month": 80,
}
SEARCH = f"/api/v1/services?need=gbv_case_management&lon={DAMASCUS[0]}&lat={DAMASCUS[1]}"


def _register(client) -> None:
    data = {"name_ar": "جمعية وهمية", "name_en": "Fake Relief", "acronym": "FAKE",
            "registration_number": "FAKE-0001", "org_type": "local_ngo", "hq_pcode": "SY01",
            "email": "x@fake.example.org", "phone": "", "website": "", "admin_name": "Eve",
            "admin_email": "eve@fake.example.org", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/auth/register", data=data).status_code == 302


def _counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Case, Referral, ReferralEvent))


def test_a_pending_organisation_prepares_a_service_nobody_else_sees_or_refers_to(
        app, client, session, make, login, keys):
    from data.models import Organization, Service

    make.service(service_type_code="gbv_case_management", coverage=["SY01"],
                 sites=[(DAMASCUS[0] + 0.01, DAMASCUS[1])])  # a verified provider nearby
    _register(client)
    resp = client.post("/api/v1/services", json=GBV)
    assert resp.status_code == 201, resp.get_json()  # pending: may prepare its services
    sid = resp.get_json()["id"]
    org = session.get(Service, sid).organization
    assert org.verification == "pending"
    assert client.get(f"/api/v1/services/{sid}").status_code == 200  # its own admin sees it

    anon = app.test_client()
    found = [i["id"] for i in anon.get(SEARCH).get_json()["items"]]
    assert found and sid not in found  # the fake service is not ranked, the real one is
    assert anon.get(f"/api/v1/services/{sid}").status_code == 404
    assert anon.get(f"/directory/services/{sid}").status_code == 404
    assert anon.get(f"/api/v1/organizations/{org.id}").status_code == 404
    listed = anon.get("/api/v1/organizations?q=Fake").get_json()["items"]
    assert org.id not in [o["id"] for o in listed]

    caseworker = make.user("caseworker")
    other = login(caseworker, app.test_client())
    assert sid not in [i["id"] for i in other.get(SEARCH).get_json()["items"]]
    form = other.get(f"/referrals/new?service_id={sid}")
    assert form.status_code == 200
    assert "ليست منظمة موثّقة" in form.get_data(as_text=True)  # the form warns, in Arabic
    before = _counts(session)
    resp = other.post("/api/v1/referrals", json={
        "service_id": sid, "consent": dict(CONSENT), "note": "GBV disclosure",
        "case": {"age": 30, "sex": "female", "pcode": "SY01", "name": "Fatima",
                 "phone": "+963 944 000111"}})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "receiver_not_verified"
    assert _counts(session) == before  # nothing written

    admin = make.user("platform_admin")
    staff = login(admin, app.test_client())
    assert staff.get(f"/api/v1/services/{sid}").status_code == 200  # the admin sees pending
    pending = staff.get("/api/v1/organizations?q=Fake").get_json()["items"]
    assert org.id in [o["id"] for o in pending]

    org.verification = "verified"
    session.flush()
    assert sid in [i["id"] for i in anon.get(SEARCH).get_json()["items"]]
    assert isinstance(session.get(Organization, org.id), Organization)


def test_a_draft_to_an_organisation_sent_back_to_pending_cannot_be_sent(session, world, keys):
    from data.errors import Conflict
    from referral.lifecycle import transition

    referral = new_referral(session, world, status="draft")
    world.receiver_org.verification = "pending"
    session.flush()
    with pytest.raises(Conflict) as err:
        transition(session, referral.id, world.users[("sender", "caseworker")], "send",
                   version=referral.version)
    assert err.value.code == "receiver_not_verified"


def test_bundles_propose_only_verified_organisations(session, make):
    from referral.bundles import candidates
    from referral.cases import CaseInput

    good = make.service(service_type_code="prot_pss", coverage=["SY07"])
    pending = make.service(service_type_code="prot_pss", coverage=["SY07"],
                           organization=make.org(verification="pending"))
    profile = CaseInput("C-1", 30, "female", [], "SY07", ["prot_pss"], [], "normal", None,
                        None)
    ids = {row[0] for row in candidates(session, profile, None)}
    assert good.id in ids and pending.id not in ids


@pytest.mark.parametrize("decision", ["reject", "suspend"])
def test_rejection_bites_on_the_next_request_of_every_session(
        app, client, session, world, login, keys, decision):
    """After the decision the receiver's open session, and a fresh login, read nothing of
    the referral; the sender sees it revoked, with the reason, and is told."""
    from referral.crypto import cipher_from_config

    cipher = cipher_from_config(app.config)
    open_ref = new_referral(session, world, status="accepted", data_cipher=cipher)
    closed = new_referral(session, world, status="completed", data_cipher=cipher)
    from network.accounts import hash_password

    receiver = world.users[("receiver", "caseworker")]  # accepted it: the assigned staff
    receiver.password_hash = hash_password(PASSWORD)
    session.flush()
    browser = login(receiver, app.test_client())
    seen = browser.get(f"/api/v1/referrals/{open_ref.id}").get_json()
    assert seen["case"]["name"] == "Fatima Al-Test"  # before: the assigned staff read it
    copied = app.test_client()  # a copy of the cookie, taken before the decision
    with browser.session_transaction() as src, copied.session_transaction() as dst:
        dst.update(src)

    admin = login(world.users[("none", "platform_admin")], app.test_client())
    page = admin.get(f"/directory/organizations/{world.receiver_org.id}")
    assert "التحقق أو الرفض أو التعليق" in page.get_data(as_text=True)  # the decision form
    resp = admin.post(f"/accounts/admin/organizations/{world.receiver_org.id}/decision",
                      data={"decision": decision, "reason": "registration number is false"})
    assert resp.status_code == 302
    session.expire_all()
    assert world.receiver_org.verification == ("rejected" if decision == "reject"
                                               else "suspended")

    for c in (browser, copied):
        for rid in (open_ref.id, closed.id):
            resp = c.get(f"/api/v1/referrals/{rid}")
            assert resp.status_code == 401, resp.get_json()  # the session ended
            assert "Fatima" not in resp.get_data(as_text=True)
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"email": receiver.email, "password": PASSWORD}
                      ).status_code == 302
    for rid in (open_ref.id, closed.id):
        for path in (f"/api/v1/referrals/{rid}", f"/referrals/{rid}"):
            resp = fresh.get(path)
            assert resp.status_code == 403, path
            body = resp.get_data(as_text=True)
            # the phones in any spacing ("944" alone also came up in a random e-mail address)
            assert "Fatima" not in body
            assert not re.search(r"944\D{0,3}(123\D{0,3}456|000\D{0,3}111)", body), body

    session.expire_all()
    assert session.get(Referral, open_ref.id).status == "receiver_revoked"
    assert session.get(Referral, closed.id).status == "completed"  # closed stays closed
    sender = login(world.users[("sender", "caseworker")], app.test_client())
    mine = sender.get(f"/api/v1/referrals/{open_ref.id}").get_json()
    assert mine["status"] == "receiver_revoked" and mine["reason"] == "receiver_unverified"
    assert mine["reason_text"] == "registration number is false"
    assert mine["events"][-1]["action"] == "revoke_receiver"
    page = sender.get(f"/referrals/{open_ref.id}").get_data(as_text=True)
    assert "الجهة المستقبِلة غير موثّقة" in page  # the state's Arabic label
    told = session.scalars(select(Notification).where(
        Notification.user_id == world.users[("sender", "caseworker")].id,
        Notification.kind == "referral.revoke_receiver")).all()
    assert len(told) == 1
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == f"organization.{world.receiver_org.verification}")) == 1


def test_an_api_token_of_a_rejected_organisation_is_refused(client, session, world):
    from network.organizations import decide
    from network.tokens import create_token

    _token, secret = create_token(session, world.receiver_org, "caseworker")
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/referrals?box=in", headers=auth).status_code == 200
    decide(session, world.receiver_org, verify=False, reason="fake")
    assert client.get("/api/v1/referrals?box=in", headers=auth).status_code == 401


def test_the_cli_suspends_with_a_reason(runner, session, world):
    result = runner.invoke(args=["orgs", "verify", str(world.receiver_org.id), "--suspend"])
    assert result.exit_code == 2 and "reason" in result.output.lower()
    result = runner.invoke(args=["orgs", "verify", str(world.receiver_org.id), "--suspend",
                                 "--reason", "under investigation"])
    assert result.exit_code == 0, result.output
    assert "suspended" in result.output
