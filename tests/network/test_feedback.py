"""Feedback of the people served (issue 22): a caseworker hands a single-use code; the
person answers without an account (rate limited); comments are sealed and moderated; the
figures reach the organisation always and caseworkers from a minimum count."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from data.models import ServiceFeedback
from network.feedback import MIN_FEEDBACK
from tests.kits.limits import limits_fixture
from tests.network.test_directory_api import check


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _code(client, login, make, svc) -> str:
    login(make.user("caseworker"))
    resp = client.post(f"/api/v1/services/{svc.id}/feedback-codes")
    assert resp.status_code == 201
    with client.session_transaction() as sess:
        sess.clear()
    return resp.get_json()["code"]


def test_a_code_gives_one_feedback_without_an_account(client, make, login, session, spec):
    svc = make.service()
    code = _code(client, login, make, svc)
    page = client.get(f"/directory/feedback/{code}?lang=en")
    assert page.status_code == 200 and "Did you receive the service?" in page.get_data(
        as_text=True)
    resp = client.post(f"/directory/feedback/{code}?lang=en", data={
        "provided": "yes", "respectful": "yes", "timely": "no",
        "comment": "MARKER-FEEDBACK the staff were kind"})
    assert resp.status_code == 200 and "Thank you" in resp.get_data(as_text=True)
    row = session.scalars(select(ServiceFeedback).where(ServiceFeedback.service_id == svc.id)
                          ).one()
    assert (row.provided, row.respectful, row.timely, row.moderation) == \
        (True, True, False, "pending")
    assert row.comment_enc and b"MARKER" not in row.comment_enc
    assert session.scalar(text("SELECT count(*) FROM service_feedback WHERE "
                               "encode(comment_enc, 'escape') LIKE '%MARKER%'")) == 0
    again = client.post(f"/api/v1/feedback/{code}", json={"provided": True})
    assert again.status_code == 409
    assert client.post("/api/v1/feedback/NOPE1234", json={"provided": True}
                       ).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({}, "provided"), ({"provided": "maybe"}, "provided"),
    ({"provided": True, "comment": "x" * 501}, "comment"),
    ({"provided": True, "name": "someone"}, "name")])
def test_bad_feedback_is_400_naming_the_field_and_keeps_the_code(client, make, login, body,
                                                                 field, session):
    svc = make.service()
    code = _code(client, login, make, svc)
    resp = client.post(f"/api/v1/feedback/{code}", json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == field
    assert client.post(f"/api/v1/feedback/{code}", json={"provided": True}).status_code == 201


def test_figures_are_shown_to_others_only_from_the_minimum(client, make, login, spec):
    svc = make.service()
    admin = make.user("org_admin", svc.organization)
    for i in range(MIN_FEEDBACK):
        code = _code(client, login, make, svc)
        assert client.post(f"/api/v1/feedback/{code}", json={
            "provided": i > 0, "respectful": True}).status_code == 201
        body = check(spec, "/services/{service_id}", "get",
                     client.get(f"/api/v1/services/{svc.id}"))
        assert body["feedback"]["shown"] == (i + 1 >= MIN_FEEDBACK)
        assert body["feedback"]["responses"] == i + 1
    assert body["feedback"]["provided_share"] == pytest.approx(0.8)
    en = client.get(f"/directory/services/{svc.id}?lang=en").get_data(as_text=True)
    assert "5 answers" in en and "received the service: 80%" in en
    ar = client.get(f"/directory/services/{svc.id}?lang=ar").get_data(as_text=True)
    assert "5 إجابات" in ar and "حصلوا على الخدمة: 80%" in ar
    login(admin)  # the organisation itself sees them from the first answer (here: all)
    assert client.get(f"/api/v1/services/{svc.id}").get_json()["feedback"]["shown"]


def test_one_answer_is_not_shown_to_others_but_to_the_organisation(client, make, login):
    svc = make.service()
    code = _code(client, login, make, svc)
    client.post(f"/api/v1/feedback/{code}", json={"provided": False})
    assert client.get(f"/api/v1/services/{svc.id}").get_json()["feedback"] == {
        "responses": 1, "shown": False, "provided_share": None, "respectful_share": None,
        "timely_share": None}
    login(make.user("org_admin", svc.organization))
    assert client.get(f"/api/v1/services/{svc.id}").get_json()["feedback"][
        "provided_share"] == 0.0


def test_comments_are_moderated_by_platform_admins(client, make, login, session):
    svc = make.service()
    code = _code(client, login, make, svc)
    fid = client.post(f"/api/v1/feedback/{code}", json={"provided": True, "comment": "ok"}
                      ).get_json()["id"]
    login(make.user("org_admin", svc.organization))
    assert client.post(f"/api/v1/feedback/{fid}/moderate", json={"decision": "approved"}
                       ).status_code == 403
    login(make.user("platform_admin"))
    resp = client.post(f"/api/v1/feedback/{fid}/moderate", json={"decision": "approved"})
    assert resp.status_code == 200 and resp.get_json()["moderation"] == "approved"
    assert client.post(f"/api/v1/feedback/{fid}/moderate", json={"decision": "maybe"}
                       ).status_code == 400
    login(make.user("org_admin", svc.organization))  # the organisation reads it now
    items = client.get(f"/api/v1/organizations/{svc.organization_id}/feedback"
                       ).get_json()["items"]
    assert [(i["id"], i["comment"]) for i in items] == [(fid, "ok")]
    login(make.user("org_admin", make.org()))
    assert client.get(f"/api/v1/organizations/{svc.organization_id}/feedback"
                      ).status_code == 403


limits = limits_fixture(FEEDBACK_RATE_LIMIT="2 per hour")


def test_guessing_codes_from_one_address_is_rate_limited(client, make, login, limits):
    """Only refused attempts count: a clinic's waiting room or a town behind one public
    address gives as much feedback as it has codes (the third was refused before), and
    guessing codes is stopped after the limit's failures, on the page and the API alike."""
    svc = make.service()
    codes = [_code(client, login, make, svc) for _ in range(4)]
    got = [client.post(f"/api/v1/feedback/{c}", json={"provided": True}).status_code
           for c in codes[:2]]
    got.append(client.post(f"/directory/feedback/{codes[2]}", data={"provided": "yes"}
                           ).status_code)
    assert got == [201, 201, 200]
    guesses = [client.post("/api/v1/feedback/AAAA2222", json={"provided": True}).status_code,
               client.post("/directory/feedback/BBBB3333", data={"provided": "yes"}
                           ).status_code]
    assert guesses == [404, 400]
    # two failures: the address may not try again this hour, even with a good code
    assert client.post(f"/api/v1/feedback/{codes[3]}", json={"provided": True}
                       ).status_code == 429
