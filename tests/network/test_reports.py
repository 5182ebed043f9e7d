"""Reports of inaccurate information (issue 22): a caseworker or anyone without an account
reports, the listing is asked for review, its organisation sees and answers, the reporter is
told; the text is sealed at rest; a flood from one address is rate limited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from data.models import Notification, ServiceReport
from network.freshness import freshness
from tests.kits.limits import limits_fixture
from tests.network.test_directory_api import check


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def listing(make):
    org = make.org()
    admin = make.user("org_admin", org)
    return make.service(organization=org), admin


def test_the_public_reports_and_sees_the_answer(client, app, session, listing, login, spec):
    svc, admin = listing
    form = client.get(f"/directory/services/{svc.id}/report?lang=en").get_data(as_text=True)
    assert "Wrong phone or contact" in form
    resp = client.post(f"/directory/services/{svc.id}/report?lang=en",
                       data={"kind": "wrong_contact", "detail": "MARKER-PHONE-0991 is off"})
    assert resp.status_code == 302
    report = session.scalars(select(ServiceReport).where(ServiceReport.service_id == svc.id)
                             ).one()
    assert resp.headers["Location"].endswith(f"/directory/reports/{report.code}")
    session.refresh(svc)
    assert freshness(svc).state == "due" and svc.review_request_reason == "report"
    # sealed at rest: the text is in no column as written
    assert report.detail_enc and b"MARKER-PHONE" not in report.detail_enc
    assert session.scalar(text("SELECT count(*) FROM service_report WHERE "
                               "convert_from(detail_enc, 'UTF8') LIKE '%MARKER%'")) == 0
    assert session.scalars(select(Notification.user_id).where(
        Notification.kind == "directory_report")).all() == [admin.id]
    status = client.get(f"/directory/reports/{report.code}?lang=en").get_data(as_text=True)
    assert "Waiting for the organisation's answer" in status and "MARKER" not in status
    # the organisation reads it (API and page) and answers
    login(admin)
    items = check(spec, "/organizations/{organization_id}/reports", "get",
                  client.get(f"/api/v1/organizations/{svc.organization_id}/reports"))["items"]
    assert items[0]["detail"] == "MARKER-PHONE-0991 is off"
    page = client.get(f"/directory/organizations/{svc.organization_id}/reports?lang=en")
    assert "MARKER-PHONE-0991 is off" in page.get_data(as_text=True)
    resp = client.post(f"/directory/reports/{report.id}/answer",
                       data={"status": "fixed", "answer": "The number is corrected."})
    assert resp.status_code == 302
    session.refresh(svc)
    assert freshness(svc).state == "fresh" and svc.review_requested_at is None
    with client.session_transaction() as sess:
        sess.clear()
    body = check(spec, "/reports/{code}", "get", client.get(f"/api/v1/reports/{report.code}"))
    assert body["status"] == "fixed" and body["answer"] == "The number is corrected."
    assert "detail" not in body
    ar = client.get(f"/directory/reports/{report.code}").get_data(as_text=True)
    assert "صُحّحت" in ar and "The number is corrected." in ar


def test_a_caseworker_reports_through_the_api_and_is_told(client, session, listing, login,
                                                         make, spec):
    svc, admin = listing
    caseworker = make.user("caseworker")
    login(caseworker)
    resp = client.post(f"/api/v1/services/{svc.id}/reports", json={"kind": "closed"})
    body = check(spec, "/services/{service_id}/reports", "post", resp)
    assert resp.status_code == 201 and body["status"] == "open"
    login(admin)
    resp = client.post(f"/api/v1/reports/{body['id']}/answer",
                       json={"status": "not_changed", "answer": "Still open on Sundays."})
    assert check(spec, "/reports/{report_id}/answer", "post", resp)["status"] == "not_changed"
    told = session.scalars(select(Notification).where(
        Notification.kind == "directory_report_answered")).one()
    assert told.user_id == caseworker.id and told.link == f"/directory/reports/{body['code']}"


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "kind"), ({"kind": "aliens"}, "kind"), ({"kind": "other", "detail": "x" * 1001},
                                                  "detail"),
    ({"kind": "other", "colour": "red"}, "colour")])
def test_bad_reports_are_400_naming_the_field_and_write_nothing(client, session, listing,
                                                                payload, field):
    svc, _admin = listing
    resp = client.post(f"/api/v1/services/{svc.id}/reports", json=payload)
    assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == field
    assert session.scalar(select(ServiceReport.id).where(ServiceReport.service_id == svc.id)
                          ) is None


def test_only_the_organisations_admins_answer(client, listing, login, make, session):
    svc, _admin = listing
    report = client.post(f"/api/v1/services/{svc.id}/reports", json={"kind": "moved"}
                         ).get_json()
    login(make.user("org_admin", make.org()))
    assert client.post(f"/api/v1/reports/{report['id']}/answer",
                       json={"status": "fixed"}).status_code == 403
    assert client.get(f"/api/v1/organizations/{svc.organization_id}/reports"
                      ).status_code == 403


limits = limits_fixture(REPORT_RATE_LIMIT="3 per hour")


def test_a_flood_from_one_address_is_rate_limited(client, listing, limits, session):
    svc, _admin = listing
    codes = [client.post(f"/api/v1/services/{svc.id}/reports", json={"kind": "other"}
                         ).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    page = client.post(f"/directory/services/{svc.id}/report", data={"kind": "other"})
    assert page.status_code == 429
    assert len(session.scalars(select(ServiceReport.id).where(
        ServiceReport.service_id == svc.id)).all()) == 3


def test_colleagues_behind_one_address_each_have_their_own_allowance(
        app, listing, make, login, limits):
    # signed in, a limit counts the person (the office shares one address); the public
    # behind the same address keep the address's own allowance
    svc, _admin = listing
    office = make.org()
    first, second = (login(make.user("caseworker", org=office), app.test_client())
                     for _ in range(2))
    url = f"/api/v1/services/{svc.id}/reports"
    assert [first.post(url, json={"kind": "other"}).status_code
            for _ in range(4)] == [201, 201, 201, 429]
    assert second.post(url, json={"kind": "other"}).status_code == 201
    assert app.test_client().post(url, json={"kind": "other"}).status_code == 201
