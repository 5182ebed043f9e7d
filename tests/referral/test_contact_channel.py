"""The contact channel the person agreed to (issue 18, finding 2): given on the form or through
the API, its number or address encrypted at rest, shown to the receiver only once it accepts
(like name and phone), and refused with the field named when it does not fit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from data.models import Case, Referral
from tests.kits.referrals import CONSENT, keys_fixture, world_fixture  # noqa: F401

HANDLE = "+963 933 765432"


def _payload(world, **case):
    return {"service_id": world.service.id, "consent": dict(CONSENT),
            "case": {"age": 34, "sex": "female", "pcode": "SY07", **case}}


@pytest.mark.parametrize(("case", "field"), [
    ({"contact_channel": "pigeon"}, "case.contact_channel"),
    ({"contact_channel": "whatsapp"}, "case.contact_handle"),
    ({"contact_channel": "sms", "contact_handle": "call me"}, "case.contact_handle"),
    ({"contact_channel": "email", "contact_handle": "nobody.example"}, "case.contact_handle"),
    ({"contact_channel": "in_person", "contact_handle": HANDLE}, "case.contact_handle"),
    ({"contact_handle": HANDLE}, "case.contact_channel"),
])
def test_a_contact_that_does_not_fit_is_refused_naming_the_field(client, login, session, world,
                                                                  keys, case, field):
    login(world.users[("sender", "caseworker")])
    before = session.scalar(select(func.count()).select_from(Case))
    resp = client.post("/api/v1/referrals", json=_payload(world, **case))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    assert session.scalar(select(func.count()).select_from(Case)) == before  # nothing written


def test_the_receiver_reaches_the_person_on_the_agreed_channel_after_accepting(
        client, login, session, world, keys):
    login(world.users[("sender", "caseworker")])
    resp = client.post("/api/v1/referrals", json=_payload(
        world, contact_channel="whatsapp", contact_handle=HANDLE))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["case"]["contact"] == {"channel": "whatsapp", "handle": HANDLE}
    rid = body["id"]
    # at rest: a Fernet token, not the number
    raw = session.execute(text("SELECT c.contact_channel, c.contact_handle_enc FROM "
                               "referral_case c JOIN referral r ON r.case_id = c.id "
                               "WHERE r.id = :id"), {"id": rid}).one()
    assert raw[0] == "whatsapp" and raw[1] and b"765432" not in bytes(raw[1])
    login(world.users[("receiver", "caseworker")])
    before = client.get(f"/api/v1/referrals/{rid}").get_json()
    assert before["case"]["contact"] == {"channel": "whatsapp", "handle": None}
    page = client.get(f"/referrals/{rid}?lang=en").get_data(as_text=True)
    assert "WhatsApp" in page and "765432" not in page
    after = client.post(f"/api/v1/referrals/{rid}/transitions",
                        json={"action": "accept", "version": before["version"]}).get_json()
    assert after["case"]["contact"] == {"channel": "whatsapp", "handle": HANDLE}
    page = client.get(f"/referrals/{rid}?lang=ar").get_data(as_text=True)
    assert "طريقة التواصل التي وافق عليها الشخص" in page and "واتساب" in page
    assert f'<span dir="ltr">{HANDLE}</span>' in page


def test_the_form_takes_the_channel_and_names_a_bad_number(client, login, session, world, keys):
    login(world.users[("sender", "caseworker")])
    form = {"age": "34", "sex": "female", "pcode": "SY07", "urgency": "normal",
            "needs": ["prot_pss"], "consent_method": "verbal", "consent_given_by": "the person",
            "consent_scope": ["age_sex", "needs"], "contact_channel": "phone",
            "contact_handle": "not a number"}
    url = f"/referrals/new?service_id={world.service.id}&lang=en"
    page = client.get(url).get_data(as_text=True)
    assert '<option value="via_caseworker">Only through the caseworker</option>' in page
    bad = client.post(url, data=form)
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert 'id="contact_handle-error"' in html and "contact_handle: a number" in html
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    ok = client.post(url, data={**form, "contact_handle": HANDLE})
    assert ok.status_code == 302
    case = session.scalars(select(Case)).one()
    assert case.contact_channel == "phone" and case.contact_handle_enc


def test_rotate_keys_covers_the_contact_handle():
    from referral.crypto import SEALED

    assert ("contact_handle_enc", None) in SEALED[Case]


def test_without_a_data_key_only_channels_without_a_number_are_offered(
        app, client, login, session, world, monkeypatch):
    """No data key: the number could not be stored, so the form offers only in person and
    through the caseworker, and the API refuses a number naming it."""
    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS", "")
    login(world.users[("sender", "caseworker")])
    page = client.get(f"/referrals/new?service_id={world.service.id}").get_data(as_text=True)
    assert 'value="via_caseworker"' in page and 'value="whatsapp"' not in page
    resp = client.post("/api/v1/referrals", json=_payload(
        world, contact_channel="whatsapp", contact_handle=HANDLE))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "case.contact_handle"
    ok = client.post("/api/v1/referrals", json=_payload(world, contact_channel="in_person"))
    assert ok.status_code == 201 and ok.get_json()["case"]["contact"]["channel"] == "in_person"
