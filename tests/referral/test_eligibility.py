"""A referral never goes silently to a service the person does not fit (age, sex) or that is
full: the caseworker gets the problems and must give a reason, which is audited. The receiver
sees how to reach the sender; the form offers name and phone only when they can be stored."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.kits.referrals import CONSENT, world_fixture  # noqa: F401


def _payload(service, **case):
    return {"service_id": service.id, "consent": dict(CONSENT),
            "case": {"age": 16, "sex": "female", **case}}


@pytest.mark.parametrize(("service_kw", "case", "codes"), [
    ({"min_age": 18}, {"age": 16}, ["age"]),
    ({"max_age": 17}, {"age": 34}, ["age"]),
    ({"sex": "male"}, {"sex": "female"}, ["sex"]),
    ({"availability": "full"}, {}, ["full"]),
    ({"min_age": 18, "availability": "full"}, {"age": 16}, ["age", "full"]),
])
def test_a_misfit_is_refused_without_a_reason_and_audited_with_one(session, make, world,
                                                                    service_kw, case, codes):
    from data.errors import BadInput
    from data.models import AuditLog, Referral
    from referral.cases import create_referrals

    svc = make.service(organization=world.receiver_org, **service_kw)
    actor = world.users[("sender", "caseworker")]
    before = session.scalar(select(Referral.id).order_by(Referral.id.desc()).limit(1))
    with pytest.raises(BadInput) as err:
        create_referrals(session, actor, _payload(svc, **case), None)
    assert err.value.details["field"] == "eligibility_override_reason"
    assert [p["code"] for p in err.value.details["problems"]] == codes
    assert session.scalar(select(Referral.id).order_by(Referral.id.desc()).limit(1)) == before
    _, (referral,) = create_referrals(
        session, actor, {**_payload(svc, **case), "eligibility_override_reason": "turns 18"},
        None)
    entry = session.scalar(select(AuditLog).where(
        AuditLog.action == "referral.eligibility_override",
        AuditLog.object_id == str(referral.id)))
    assert entry.summary == {"problems": codes, "reason": "turns 18"}


def test_a_person_who_fits_needs_no_reason(session, make, world):
    from referral.cases import create_referrals

    svc = make.service(organization=world.receiver_org, min_age=12, max_age=18, sex="female")
    _, (referral,) = create_referrals(session, world.users[("sender", "caseworker")],
                                      _payload(svc), None)
    assert referral.status == "sent"


@pytest.mark.parametrize(("keys", "offered"), [("", False), (None, True)])
def test_the_form_offers_name_and_phone_in_the_consent_only_with_a_data_key(
        app, client, login, world, session, monkeypatch, keys, offered):
    from referral.crypto import generate_key

    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS",
                        generate_key() if keys is None else keys)
    login(world.users[("sender", "caseworker")])
    page = client.get(f"/referrals/new?service_id={world.service.id}").get_data(as_text=True)
    scope = set(re.findall(r'name="consent_scope" type="checkbox" value="(\w+)"', page))
    assert "age_sex" in scope  # the contact channel's "phone" option is not a scope entry
    assert ("name" in scope) is offered and ("phone" in scope) is offered


def test_the_receiver_sees_how_to_reach_the_sender_and_languages_by_name(
        app, client, login, world, session):
    from tests.kits.referrals import new_referral

    world.sender_org.phone, world.sender_org.email = "+963 11 222 3333", "office@sender.example"
    referral = new_referral(session, world, languages=["ku", "ar"])
    referral.case.consent.scope = [*referral.case.consent.scope, "languages"]
    session.flush()
    login(world.users[("receiver", "caseworker")])
    page = client.get(f"/referrals/{referral.id}?lang=en").get_data(as_text=True)
    assert world.users[("sender", "caseworker")].email in page
    assert "+963 11 222 3333" in page and "office@sender.example" in page
    assert "Kurdish, Arabic" in page
