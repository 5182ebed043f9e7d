"""The referral API: create, list, read, transition; bad input; validated against OpenAPI."""

from __future__ import annotations

import jsonschema
import pytest
from sqlalchemy import func, select

from data.models import AuditLog, Case, Notification, Referral, ReferralEvent
from tests.kits.referrals import CONSENT, keys_fixture, new_referral, world_fixture  # noqa: F401


@pytest.fixture
def check(app):
    """Validate a response body against the OpenAPI document's schema for it."""
    from web.api.openapi import document

    with app.app_context():
        doc = document()

    def _check(path: str, method: str, status: int, body):
        op = doc["paths"][path][method]
        schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(body, {**schema, "components": doc["components"]})
        return body

    return _check


def _payload(world, **over):
    body = {"service_id": world.service.id, "consent": dict(CONSENT),
            "case": {"age": 34, "sex": "female", "pcode": "SY07", "name": "Fatima Test",
                     "phone": "+963 944 000111", "needs": ["prot_pss"]},
            "note": "after displacement"}
    body.update(over)
    return body


def _counts(session):
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Case, Referral, ReferralEvent))


def test_create_list_read_and_transition(client, login, session, world, keys, check):
    sender = world.users[("sender", "caseworker")]
    login(sender)
    resp = client.post("/api/v1/referrals", json=_payload(world))
    assert resp.status_code == 201, resp.get_json()
    body = check("/referrals", "post", 201, resp.get_json())
    assert body["status"] == "sent" and body["version"] == 2
    assert body["case"]["name"] == "Fatima Test"  # the sending caseworker is assigned staff
    rid = body["id"]

    listing = client.get("/api/v1/referrals?box=out&status=sent").get_json()
    check("/referrals", "get", 200, listing)
    assert [i["id"] for i in listing["items"]] == [rid]
    assert "name" not in listing["items"][0]

    receiver = world.users[("receiver", "caseworker")]
    login(receiver)
    inbox = client.get("/api/v1/referrals?box=in").get_json()
    assert [i["id"] for i in inbox["items"]] == [rid]
    one = check("/referrals/{referral_id}", "get", 200,
                client.get(f"/api/v1/referrals/{rid}").get_json())
    assert one["allowed_actions"] == ["accept", "decline"]
    assert "name" not in one["case"]  # not assigned yet (only org admins route it)
    resp = client.post(f"/api/v1/referrals/{rid}/transitions",
                       json={"action": "accept", "version": one["version"], "note": "ok"})
    assert resp.status_code == 200
    after = check("/referrals/{referral_id}/transitions", "post", 200, resp.get_json())
    assert after["status"] == "accepted" and after["case"]["name"] == "Fatima Test"
    assert [e["action"] for e in after["events"]] == ["create", "send", "accept"]

    stale = client.post(f"/api/v1/referrals/{rid}/transitions",
                        json={"action": "start", "version": one["version"]})
    assert stale.status_code == 409
    check("/referrals/{referral_id}/transitions", "post", 409, stale.get_json())
    assert stale.get_json()["error"]["details"]["field"] == "version"
    illegal = client.post(f"/api/v1/referrals/{rid}/transitions",
                          json={"action": "complete", "version": after["version"]})
    assert illegal.status_code == 409
    assert illegal.get_json()["error"]["details"]["allowed"] == ["start", "close_unmet"]


def test_sender_is_notified_of_every_change(client, login, session, world, keys):
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "org_admin")])
    for action, reason in (("accept", None), ("start", None), ("close_unmet", "no_contact")):
        v = client.get(f"/api/v1/referrals/{referral.id}").get_json()["version"]
        resp = client.post(f"/api/v1/referrals/{referral.id}/transitions",
                           json={"action": action, "version": v, "reason": reason})
        assert resp.status_code == 200, resp.get_json()
    sender = world.users[("sender", "caseworker")]
    texts = session.scalars(select(Notification.text_en).where(
        Notification.user_id == sender.id).order_by(Notification.id)).all()
    assert len(texts) == 3 and "closed unmet" in texts[-1]


@pytest.mark.parametrize("who,status", [(("other", "caseworker"), 404),
                                        (("other", "org_admin"), 404),
                                        (("sender", "planner"), 403),
                                        (("none", "platform_admin"), 403)])
def test_outsiders_do_not_see_a_referral(client, login, session, world, who, status):
    referral = new_referral(session, world, status="sent")
    login(world.users[who])
    assert client.get(f"/api/v1/referrals/{referral.id}").status_code == status
    resp = client.post(f"/api/v1/referrals/{referral.id}/transitions",
                       json={"action": "accept", "version": referral.version})
    assert resp.status_code == status
    assert session.get(Referral, referral.id).status == "sent"


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/referrals").status_code == 401


BAD = [
    ({"consent": None}, "consent", 400),
    ({"service_id": 999999}, "service_id", 404),
    ({"service_id": "abc"}, "service_id", 400),
    ({"organization_id": 999999}, "organization_id", 404),
    ({"case": {"age": 200}}, "case.age", 400),
    ({"case": {"age": "old"}}, "case.age", 400),
    ({"case": {"sex": "x"}}, "case.sex", 400),
    ({"case": {"pcode": "SY99"}}, "case.pcode", 400),
    ({"case": {"needs": ["nope"]}}, "case.needs", 400),
    ({"case": {"target_groups": ["martians"]}}, "case.target_groups", 400),
    ({"case": {"name": "x" * 201}}, "case.name", 400),
    ({"case": {"phone": "call me maybe"}}, "case.phone", 400),
    ({"case": {"case_code": "bad code with spaces"}}, "case.case_code", 400),
    ({"case": {"urgency": "yesterday"}}, "case.urgency", 400),
    ({"note": "n" * 2001}, "note", 400),
    ({"consent": {"given_by": "", "method": "verbal", "scope": ["needs"]}},
     "consent.given_by", 400),
    ({"consent": {"given_by": "me", "method": "telepathy", "scope": ["needs"]}},
     "consent.method", 400),
    ({"consent": {"given_by": "me", "method": "verbal", "scope": ["everything"]}},
     "consent.scope", 400),
    ({"consent": {"given_by": "me", "method": "verbal", "scope": ["needs"], "at": "soon"}},
     "consent.at", 400),
    ({"consent": None, "consent_override_reason": "child at risk"},
     "consent_override_reason", 403),
    ({"send": "yes"}, "send", 400),
    ({"note": {"x": 1}}, "note", 400),
    ({"case": {"needs": "prot_pss nope"}}, "case.needs", 400),
    ({"case": {"languages": ["arabic!"]}}, "case.languages", 400),
    ({"case": [1, 2]}, "case", 400),
    ({"service_ids": [1] * 11}, "service_ids", 400),
]


@pytest.mark.parametrize("change,field,status", BAD)
def test_bad_input_names_the_field_and_writes_nothing(client, login, session, world, keys,
                                                      change, field, status):
    login(world.users[("sender", "caseworker")])
    body = _payload(world)
    for key, value in change.items():
        if key == "case" and isinstance(value, dict):
            body["case"] = {**body["case"], **value}
        else:
            body[key] = value
    before = _counts(session)
    resp = client.post("/api/v1/referrals", json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["details"]["field"] == field
    assert _counts(session) == before


def test_missing_body_and_missing_version(client, login, session, world):
    login(world.users[("sender", "caseworker")])
    resp = client.post("/api/v1/referrals", data="nope", content_type="text/plain")
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == "body"
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "caseworker")])
    resp = client.post(f"/api/v1/referrals/{referral.id}/transitions", json={"action": "accept"})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "version"
    resp = client.post(f"/api/v1/referrals/{referral.id}/transitions",
                       json={"action": "decline", "version": referral.version})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "reason"
    assert session.get(Referral, referral.id).status == "sent"


def test_sensitive_views_are_audited_and_hidden_from_unassigned(client, login, session, make,
                                                                world, keys):
    gbv = make.service(organization=world.receiver_org, service_type_code="prot_pss",
                       sensitive=True)
    from tests.kits.referrals import cipher

    referral = new_referral(session, world, status="accepted", service=gbv,
                            data_cipher=cipher(client.application))
    assert referral.sensitive
    login(world.users[("receiver", "org_admin")])  # not the assigned caseworker
    body = client.get(f"/api/v1/referrals/{referral.id}").get_json()
    assert body["case"] is None and body["details_visible"] is False
    assert all(e["note"] == "" for e in body["events"])
    login(world.users[("receiver", "caseworker")])  # assigned when accepting
    body = client.get(f"/api/v1/referrals/{referral.id}").get_json()
    assert body["case"]["name"] == "Fatima Al-Test" and body["case"]["age"] == 34
    audits = session.scalars(select(AuditLog).where(
        AuditLog.action == "referral.view_sensitive",
        AuditLog.object_id == str(referral.id)).order_by(AuditLog.id)).all()
    assert [a.summary["details_shown"] for a in audits] == [False, True]
    assert audits[1].user_id == world.users[("receiver", "caseworker")].id


def test_an_api_token_of_the_organisation_can_refer_and_answer(client, session, world):
    from network.tokens import create_token

    _, sender_secret = create_token(session, world.sender_org, "caseworker")
    _, receiver_secret = create_token(session, world.receiver_org, "caseworker")
    session.flush()
    resp = client.post("/api/v1/referrals", json=_payload(world, case={"age": 20}),
                       headers={"Authorization": f"Bearer {sender_secret}"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # no user: the sending organisation's admins are told of changes
    resp = client.post(f"/api/v1/referrals/{body['id']}/transitions",
                       json={"action": "decline", "version": body["version"],
                             "reason": "not_eligible"},
                       headers={"Authorization": f"Bearer {receiver_secret}"})
    assert resp.status_code == 200, resp.get_json()
    admin = world.users[("sender", "org_admin")]
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == admin.id, Notification.kind == "referral.decline")) == 1
    event = session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == body["id"]).order_by(ReferralEvent.id.desc())).first()
    assert event.action == "decline" and event.actor_user_id is None
