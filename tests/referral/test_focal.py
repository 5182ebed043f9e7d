"""Focal-point routing (issue 23): a non-specialist sees only "request through the focal
point", sends area, urgency and channel (no narrative; no channel is refused), the focal point
is notified, calls back and converts it into a referral with consent; every step timed and
audited, through the API and the pages, in Arabic and English."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.kits.directory import add_areas
from tests.kits.referrals import CONSENT, world_fixture  # noqa: F401

SECRET = "DESCRIPTION-ONLY-SPECIALISTS-SEE"


@pytest.fixture(autouse=True)
def _idleb_districts(session):
    """The districts the requests name exist with or without ../shared/data."""
    add_areas(session)


@pytest.fixture
def gbv(make, world):
    """A GBV service of the receiving organisation, with a description only specialists see."""
    return make.service(organization=world.receiver_org, service_type_code="gbv_case_management",
                        sensitive=True, coverage=["SY07"], description_en=SECRET,
                        name_en="Women's case management")


@pytest.fixture
def focal_user(session, world, login, client):
    """The receiving caseworker, designated focal point for Idleb by its admin (API)."""
    login(world.users[("receiver", "org_admin")])
    user = world.users[("receiver", "caseworker")]
    resp = client.post("/api/v1/focal-points", json={"user_id": user.id, "pcode": "SY07"})
    assert resp.status_code == 201, resp.get_json()
    return user


def _as(app, login, user):
    return login(user, app.test_client())


def _audit(session, action):
    from data.models import AuditLog

    return session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_designation_names_bad_fields(client, login, world, session):
    login(world.users[("receiver", "org_admin")])
    member = world.users[("receiver", "caseworker")]
    outsider = world.users[("other", "caseworker")]
    cases = [({"user_id": outsider.id, "pcode": "SY07"}, "user_id"),
             ({"user_id": member.id}, "pcode"),
             ({"user_id": member.id, "pcode": "SY99"}, "pcode")]
    for body, field in cases:
        resp = client.post("/api/v1/focal-points?lang=en", json=body)
        assert resp.status_code == 400 and resp.get_json()["error"]["details"]["field"] == field
    ok = client.post("/api/v1/focal-points", json={"user_id": member.id, "pcode": "SY07"})
    assert ok.status_code == 201 and len(_audit(session, "focal_point.designated")) == 1
    listed = client.get("/api/v1/focal-points").get_json()["items"]
    assert [(p["user_id"], p["pcode"]) for p in listed] == [(member.id, "SY07")]
    assert client.delete(f"/api/v1/focal-points/{ok.get_json()['id']}").status_code == 204
    assert client.get("/api/v1/focal-points").get_json()["items"] == []
    assert len(_audit(session, "focal_point.removed")) == 1


def test_designation_names_the_member_in_the_url(client, login, world, session):
    """``POST /members/{user_id}/focal-points``: the member is the URL's resource (an id from
    ``GET /members``), so nobody there is a 404, and the body holds only the area."""
    login(world.users[("receiver", "org_admin")])
    member = world.users[("receiver", "caseworker")]
    outsider = world.users[("other", "caseworker")]
    for user_id, body, status, field in [
            (outsider.id, {"pcode": "SY07"}, 404, "user_id"),
            (2147483647, {"pcode": "SY07"}, 404, "user_id"),
            (member.id, {}, 400, "pcode"), (member.id, {"pcode": "SY99"}, 400, "pcode"),
            (member.id, {"pcode": "SY070300"}, 400, "pcode")]:
        resp = client.post(f"/api/v1/members/{user_id}/focal-points?lang=en", json=body)
        assert resp.status_code == status, (user_id, body, resp.get_json())
        assert resp.get_json()["error"]["details"]["field"] == field
    ok = client.post(f"/api/v1/members/{member.id}/focal-points", json={"pcode": "SY07"})
    assert ok.status_code == 201 and ok.get_json()["user_id"] == member.id
    again = client.post(f"/api/v1/members/{member.id}/focal-points", json={"pcode": "SY07"})
    assert again.status_code == 201 and again.get_json()["id"] == ok.get_json()["id"]
    listed = client.get("/api/v1/focal-points").get_json()["items"]
    assert [(p["user_id"], p["pcode"]) for p in listed] == [(member.id, "SY07")]
    assert len(_audit(session, "focal_point.designated")) == 1
    arabic = client.post(f"/api/v1/members/{outsider.id}/focal-points?lang=ar",
                         json={"pcode": "SY07"}).get_json()["error"]["message"]
    assert str(outsider.id) in arabic and "No member" not in arabic
    login(member)  # a caseworker designates nobody
    assert client.post(f"/api/v1/members/{member.id}/focal-points",
                       json={"pcode": "SY07"}).status_code == 403


def test_a_non_specialist_sees_only_the_focal_point_route(app, login, world, gbv, focal_user):
    page = _as(app, login, world.users[("other", "caseworker")]).get(
        f"/directory/services/{gbv.id}?lang=en").get_data(as_text=True)
    assert "GBV support available – request through the focal point" in page
    assert SECRET not in page and f"/focal/request?service_id={gbv.id}" in page
    arabic = _as(app, login, world.users[("sender", "caseworker")]).get(
        f"/directory/services/{gbv.id}?lang=ar").get_data(as_text=True)
    assert "نقطة الاتصال" in arabic and SECRET not in arabic
    # specialists: the service's own staff, and any focal point, see the listing
    for user in (world.users[("receiver", "caseworker")], world.users[("receiver", "viewer")]):
        assert SECRET in _as(app, login, user).get(
            f"/directory/services/{gbv.id}?lang=en").get_data(as_text=True)


def test_the_api_gives_a_non_specialist_only_the_focal_point_route(app, login, world, make,
                                                                   focal_user):
    """GET /api/v1/services/ID held the whole listing for anyone the pages route elsewhere."""
    gbv = make.service(organization=world.receiver_org, service_type_code="gbv_case_management",
                       sensitive=True, coverage=["SY07"], description_en=SECRET,
                       referral_contact="+963-CONTACT-ONLY-SPECIALISTS", name_en="Case management")
    url = f"/api/v1/services/{gbv.id}"
    for user in (world.users[("other", "caseworker")], world.users[("sender", "caseworker")]):
        got = _as(app, login, user).get(url)
        body = got.get_data(as_text=True)
        assert got.status_code == 200 and got.get_json()["referral_method"] == "focal_point"
        assert SECRET not in body and "CONTACT-ONLY" not in body
        assert got.get_json()["sites"] == [] and got.get_json()["name_en"] == "Case management"
    assert SECRET not in app.test_client().get(url).get_data(as_text=True)  # the public too
    for user in (world.users[("receiver", "caseworker")], world.users[("receiver", "viewer")]):
        own = _as(app, login, user).get(url).get_json()
        assert own["description_en"] == SECRET and own["referral_method"] != "focal_point"


def test_without_focal_points_the_listing_shows_as_before(app, login, world, gbv):
    page = _as(app, login, world.users[("other", "caseworker")]).get(
        f"/directory/services/{gbv.id}?lang=en").get_data(as_text=True)
    assert SECRET in page and "request through the focal point" not in page


@pytest.mark.parametrize(("body", "field"), [
    ({"pcode": "SY07", "urgency": "high"}, "channel"),
    ({"pcode": "SY07", "urgency": "high", "channel": ""}, "channel"),
    ({"pcode": "SY07", "urgency": "high", "channel": "pigeon"}, "channel"),
    ({"pcode": "SY07", "urgency": "high", "channel": "sms", "note": "she said"}, "note"),
    ({"pcode": "SY07", "urgency": "high", "channel": "sms", "name": "Fatima"}, "name"),
    ({"urgency": "high", "channel": "sms"}, "pcode"),
    ({"pcode": "SY07", "channel": "sms"}, "urgency"),
])
def test_a_request_without_a_channel_or_with_a_narrative_is_refused(app, login, world, gbv,
                                                                     focal_user, session,
                                                                     body, field):
    from data.models import FocalRequest, Notification

    c = _as(app, login, world.users[("other", "caseworker")])
    resp = c.post("/api/v1/focal-requests?lang=en", json={"service_id": gbv.id, **body})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    assert session.scalar(select(func.count()).select_from(FocalRequest)) == 0
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "focal_request")) == 0


def test_the_whole_path_is_timed_and_audited(app, login, world, gbv, focal_user, session):
    from data.models import FocalRequest, Notification, Referral

    asker = world.users[("other", "caseworker")]
    c = _as(app, login, asker)
    resp = c.post("/api/v1/focal-requests", json={"service_id": gbv.id, "pcode": "SY0703",
                                                  "urgency": "high", "channel": "in_person"})
    assert resp.status_code == 201, resp.get_json()
    rid = resp.get_json()["id"]
    note = session.scalar(select(Notification).where(Notification.kind == "focal_request"))
    assert note.user_id == focal_user.id and note.link == f"/focal/requests/{rid}"
    # the asker's side cannot handle it; another organisation cannot see it
    assert c.post(f"/api/v1/focal-requests/{rid}/call-back").status_code == 403
    outsider = _as(app, login, world.users[("sender", "caseworker")])
    assert outsider.post(f"/api/v1/focal-requests/{rid}/call-back").status_code == 404
    fp = _as(app, login, focal_user)
    assert [r["id"] for r in fp.get("/api/v1/focal-requests").get_json()["received"]] == [rid]
    called = fp.post(f"/api/v1/focal-requests/{rid}/call-back").get_json()
    assert called["status"] == "called_back" and called["called_back_at"]
    assert fp.post(f"/api/v1/focal-requests/{rid}/call-back").status_code == 409
    no_consent = fp.post(f"/api/v1/focal-requests/{rid}/convert?lang=en", json={"case": {}})
    assert no_consent.status_code == 400
    assert no_consent.get_json()["error"]["details"]["field"] == "consent"
    done = fp.post(f"/api/v1/focal-requests/{rid}/convert",
                   json={"consent": CONSENT, "case": {"age": 30, "sex": "female"}})
    assert done.status_code == 200, done.get_json()
    req = session.get(FocalRequest, rid)
    ref = session.get(Referral, req.referral_id)
    assert req.status == "converted" and req.converted_at >= req.called_back_at
    assert (ref.sender_org_id, ref.sender_user_id, ref.receiver_org_id, ref.status) == (
        world.other_org.id, asker.id, world.receiver_org.id, "accepted")
    steps = {a: _audit(session, a) for a in ("focal_request.created",
                                             "focal_request.called_back",
                                             "focal_request.converted")}
    assert all(len(v) == 1 for v in steps.values())
    assert steps["focal_request.created"][0].summary["channel"] == "in_person"
    assert steps["focal_request.converted"][0].user_id == focal_user.id
    assert steps["focal_request.converted"][0].summary["seconds_since_request"] >= 0
    assert steps["focal_request.called_back"][0].summary["seconds_since_request"] >= 0
    told = session.scalar(select(Notification).where(Notification.user_id == asker.id,
                                                     Notification.kind == "focal_request"))
    assert told.link == f"/referrals/{ref.id}"


def test_the_pages_send_call_back_and_convert(app, login, world, gbv, focal_user, session):
    from data.models import FocalRequest

    asker = _as(app, login, world.users[("other", "caseworker")])
    url = f"/focal/request?service_id={gbv.id}"
    form = asker.get(url + "&lang=en").get_data(as_text=True)
    assert "no name and no story" in form and "narrative" not in form.lower().replace(
        "no narrative", "")
    bad = asker.post(url + "&lang=en", data={"pcode": "SY07", "urgency": "high", "channel": ""})
    assert bad.status_code == 400 and "how the person chose to be contacted" in \
        bad.get_data(as_text=True)
    bad_ar = asker.post(url + "&lang=ar", data={"pcode": "SY07", "urgency": "high", "channel": ""})
    assert bad_ar.status_code == 400 and 'dir="rtl"' in bad_ar.get_data(as_text=True)
    ok = asker.post(url, data={"pcode": "SY07", "urgency": "high", "channel": "sms"})
    assert ok.status_code == 302
    req = session.scalar(select(FocalRequest))
    fp = _as(app, login, focal_user)
    inbox = fp.get("/focal/?lang=en").get_data(as_text=True)
    assert "SMS" in inbox and "I called the person back" in inbox
    assert fp.post(f"/focal/requests/{req.id}/call-back").status_code == 302
    convert = f"/focal/requests/{req.id}/convert"
    no = fp.post(convert + "?lang=en", data={"given_by": "", "method": "verbal"})
    assert no.status_code == 400 and "consent" in no.get_data(as_text=True)
    no_number = fp.post(convert + "?lang=en", data={"given_by": "the person", "method": "verbal",
                                                    "scope": ["age_sex"], "sex": "female"})
    assert no_number.status_code == 400 and "give the number" in no_number.get_data(as_text=True)
    yes = fp.post(convert, data={"given_by": "the person", "method": "verbal",
                                 "scope": ["age_sex", "location", "needs"], "sex": "female",
                                 "contact_handle": "+963 944 000111"})
    assert yes.status_code == 302 and "/referrals/" in yes.headers["Location"]
    session.refresh(req)
    assert req.status == "converted" and req.referral_id
    from data.models import Referral

    case = session.get(Referral, req.referral_id).case
    assert case.contact_channel == "sms" and case.contact_handle_enc  # sealed, as chosen


def test_the_points_page_designates_and_removes(app, login, world, session):
    from data.models import FocalPoint

    admin = _as(app, login, world.users[("receiver", "org_admin")])
    member = world.users[("receiver", "caseworker")]
    bad = admin.post("/focal/points?lang=en", data={"user_id": str(member.id), "pcode": ""})
    assert bad.status_code == 400 and "pcode" in bad.get_data(as_text=True)
    assert admin.post("/focal/points", data={"user_id": str(member.id),
                                             "pcode": "SY07"}).status_code == 302
    fp = session.scalar(select(FocalPoint))
    assert (fp.user_id, fp.pcode) == (member.id, "SY07")
    page = admin.get("/focal/points?lang=ar").get_data(as_text=True)
    assert member.name in page and 'dir="rtl"' in page
    assert admin.post(f"/focal/points/{fp.id}/remove").status_code == 302
    assert session.scalar(select(FocalPoint)) is None


def test_a_non_specialist_cannot_refer_around_the_focal_point(app, login, world, gbv,
                                                             focal_user, session):
    from data.models import Referral

    asker = _as(app, login, world.users[("other", "caseworker")])
    form = asker.get(f"/referrals/new?service_id={gbv.id}&pcode=SY07")
    assert form.status_code == 302
    assert f"/focal/request?service_id={gbv.id}" in form.headers["Location"]
    resp = asker.post("/api/v1/referrals?lang=en", json={
        "service_id": gbv.id, "consent": CONSENT, "case": {"age": 30, "sex": "female"}})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "focal_point_only"
    assert "/focal/request" in resp.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    # the service's own staff refer as before
    own = _as(app, login, world.users[("receiver", "caseworker")])
    assert own.get(f"/referrals/new?service_id={gbv.id}").status_code == 200


def test_search_cards_route_a_non_specialist_to_the_focal_point(app, login, world, gbv,
                                                                focal_user, make):
    from data.searchtext import refresh_service
    from tests.kits.directory import add_areas

    add_areas(make.s)
    refresh_service(make.s, gbv)
    make.s.flush()
    url = "/directory/?need=gbv_case_management&pcode=SY07&lang=en"
    page = _as(app, login, world.users[("other", "caseworker")]).get(url).get_data(as_text=True)
    assert f"/focal/request?service_id={gbv.id}" in page
    assert f"/referrals/new?service_id={gbv.id}" not in page
    assert "GBV support available – request through the focal point" in page
    fp_page = _as(app, login, focal_user).get(url).get_data(as_text=True)
    assert f"/referrals/new?service_id={gbv.id}" in fp_page
    assert "request through the focal point" not in fp_page


def test_a_request_sent_twice_is_sent_once(app, login, world, gbv, focal_user, session):
    """A caseworker on a poor connection presses "send" again: the focal point gets one
    request (web.sent_once); the same form changed is another request."""
    from data.models import FocalRequest
    from tests.kits.forms import key_on

    asker = _as(app, login, world.users[("other", "caseworker")])
    url = f"/focal/request?service_id={gbv.id}"
    key = key_on(asker.get(url).get_data(as_text=True))
    sent = {"pcode": "SY07", "urgency": "high", "channel": "sms", "submission": key}
    first, again = asker.post(url, data=sent), asker.post(url, data=sent)
    assert first.status_code == again.status_code == 302
    assert session.scalar(select(func.count()).select_from(FocalRequest)) == 1
    assert asker.post(url, data={**sent, "urgency": "normal"}).status_code == 302
    assert session.scalar(select(func.count()).select_from(FocalRequest)) == 2


def test_an_api_request_retried_with_its_key_is_sent_once(app, login, world, gbv, focal_user,
                                                          session):
    from data.models import FocalRequest

    c = _as(app, login, world.users[("other", "caseworker")])
    body = {"service_id": gbv.id, "pcode": "SY0703", "urgency": "high", "channel": "sms"}
    first, retry = (c.post("/api/v1/focal-requests", json=body,
                           headers={"Idempotency-Key": "focal-retry-1"}) for _ in range(2))
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert session.scalar(select(func.count()).select_from(FocalRequest)) == 1
    other = c.post("/api/v1/focal-requests", json={**body, "urgency": "normal"},
                   headers={"Idempotency-Key": "focal-retry-1"})
    assert other.status_code == 409
