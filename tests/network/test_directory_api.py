"""The services and organisations API: responses checked against the OpenAPI document,
writes by organisation admins only, bad input as 400 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import text

from tests.kits.directory import P, build, east
from textmatch.arabic import normalize

PT = f"lon={P[0]}&lat={P[1]}"


@pytest.fixture
def world(session, make):
    return build(make, session)


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def check(spec: dict, path: str, method: str, resp) -> dict:
    """Validate a real response against the document's schema for (path, method, status)."""
    op = spec["paths"][path][method]
    content = op["responses"][str(resp.status_code)]["content"]["application/json"]
    schema = dict(content["schema"], components=spec["components"])
    body = resp.get_json()
    Draft202012Validator(schema).validate(body)
    return body


def test_search_response_matches_the_document(client, world, spec):
    resp = client.get(f"/api/v1/services?need=prot_pss&{PT}&per_page=2")
    assert resp.status_code == 200
    body = check(spec, "/services", "get", resp)
    assert body["total"] == 5 and body["total_pages"] == 3 and len(body["items"]) == 2
    assert [i["id"] for i in body["items"]] == [world["A"], world["C"]]
    first = body["items"][0]
    assert first["distance_m"] == pytest.approx(1000, rel=0.01)
    assert {r["code"] for r in first["reasons"]} >= {"covers_area", "distance", "open"}
    page3 = client.get(f"/api/v1/services?need=prot_pss&{PT}&per_page=2&page=3").get_json()
    assert [i["id"] for i in page3["items"]] == [world["D"]]


@pytest.mark.parametrize(("q", "expected"), [("ATAA", ["C"]), ("Ataaa", ["C"]),
                                              ("جمعيه الامل", ["G", "H"])])
def test_keyword_over_http_folds_case_typos_and_arabic_spelling(client, world, spec, q,
                                                                   expected):
    """Through the API: case, a doubled letter (the lexicon) and taa marbuta / hamza."""
    from urllib.parse import quote

    resp = client.get(f"/api/v1/services?q={quote(q)}&{PT}&per_page=100")
    body = check(spec, "/services", "get", resp)
    names = {v: k for k, v in world.items()}
    assert sorted(names.get(i["id"], i["id"]) for i in body["items"]) == expected


def test_every_parameter_is_documented(spec):
    from referral.search import PARAMS

    names = {p["name"] for p in spec["paths"]["/services"]["get"]["parameters"]}
    assert names == set(PARAMS)


def test_one_service_matches_the_document(client, make, spec):
    svc = make.service(sites=[(*east(1), None)], hours=[(7, "08:00", "12:00"),
                                                         (7, "13:00", "16:00")])
    resp = client.get(f"/api/v1/services/{svc.id}")
    body = check(spec, "/services/{service_id}", "get", resp)
    assert body["hours"] == [{"weekday": 7, "opens": "08:00", "closes": "12:00"},
                             {"weekday": 7, "opens": "13:00", "closes": "16:00"}]
    missing = client.get("/api/v1/services/999999")
    assert missing.status_code == 404
    check(spec, "/services/{service_id}", "get", missing)


def test_sensitive_address_hidden_from_the_public_in_the_api(client, make, login):
    svc = make.service(service_type_code="gbv_case_management", sensitive=True,
                       sites=[(*east(1), None)])
    svc.sites[0].address_ar = "شارع سري 5"
    public = client.get(f"/api/v1/services/{svc.id}").get_json()
    assert public["sites"][0]["hidden"] and public["sites"][0]["lat"] is None
    assert "شارع سري" not in client.get(f"/api/v1/services/{svc.id}").get_data(as_text=True)
    hits = client.get(f"/api/v1/services?need=gbv_case_management&{PT}").get_json()
    assert hits["items"][0]["site"]["lat"] is None
    login(make.user("caseworker"))
    seen = client.get(f"/api/v1/services/{svc.id}").get_json()
    assert seen["sites"][0]["address_ar"] == "شارع سري 5"
    assert seen["sites"][0]["lat"] == pytest.approx(P[1])


@pytest.mark.parametrize(("query", "field"), [
    ("lat=95&lon=36", "lat"), ("lat=35&lon=30", "lon"), ("pcode=SY9999", "pcode"),
    ("need=nothing", "need"), ("radius_m=10", "radius_m"), ("age=-1", "age"),
    ("foo=bar", "foo"), ("group=aliens", "group")])
def test_bad_search_input_is_400_naming_the_field(client, spec, query, field):
    resp = client.get(f"/api/v1/services?{query}")
    assert resp.status_code == 400
    body = check(spec, "/services", "get", resp)
    assert body["error"]["code"] == "bad_input"
    assert body["error"]["details"]["field"] == field


def test_organizations_list_and_detail_match_the_document(client, world, spec):
    resp = client.get("/api/v1/organizations?q=عطاء")
    body = check(spec, "/organizations", "get", resp)
    assert [o["acronym"] for o in body["items"]] == ["ATAA"]
    assert [o["acronym"] for o in client.get(
        "/api/v1/organizations?q=AL-AMAL").get_json()["items"]] == ["AMAL"]
    in_area = client.get("/api/v1/organizations?pcode=SY070300").get_json()
    # AMAL covers that sub-district; ATAA covers its whole governorate
    assert [o["acronym"] for o in in_area["items"]] == ["AMAL", "ATAA"]
    elsewhere = client.get("/api/v1/organizations?pcode=SY02").get_json()
    assert "AMAL" not in [o["acronym"] for o in elsewhere["items"]]
    org_id = body["items"][0]["id"]
    detail = check(spec, "/organizations/{organization_id}", "get",
                   client.get(f"/api/v1/organizations/{org_id}"))
    assert [s["id"] for s in detail["services"]] == [world["C"]]
    bad = client.get("/api/v1/organizations?colour=red")
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "colour"


NEW_SERVICE = {
    "service_type_code": "prot_legal", "name_ar": "مساعدة قانونية", "name_en": "Legal aid",
    "description_ar": "وثائق مدنية", "target_groups": ["idps"], "min_age": 18,
    "coverage": ["SY07"], "sites": [{"lon": P[0], "lat": P[1], "address_ar": "الشارع الرئيسي"}],
    "hours": [{"weekday": 7, "opens": "08:00", "closes": "12:00"},
              {"weekday": 7, "opens": "13:00", "closes": "15:00"}],
    "languages": ["ar", "ku"], "availability": "open", "capacity_per_month": 40,
}


def test_org_admin_creates_and_edits_own_service(client, make, login, spec, session):
    from data.models import AuditLog, Service

    org = make.org(name_ar="جمعيّة الأمل", name_en="Al-Amal")
    login(make.user("org_admin", org))
    resp = client.post("/api/v1/services", json=NEW_SERVICE)
    assert resp.status_code == 201, resp.get_json()
    body = check(spec, "/services", "post", resp)
    assert body["organization"]["id"] == org.id
    # the site is resolved to its sub-district when the boundaries are loaded
    outlines = session.execute(text("SELECT count(*) FROM admin_area WHERE level = 3 "
                                    "AND geom IS NOT NULL")).scalar()
    assert body["sites"][0]["admin3_pcode"] == ("SY070000" if outlines else None)
    svc = session.get(Service, body["id"])
    assert "جمعيه" in svc.search_text and "قانونيه" in svc.search_text  # Arabic-normalised
    assert normalize("Amal") in svc.search_text and normalize("legal") in svc.search_text
    resp = client.patch(f"/api/v1/services/{svc.id}", json={"availability": "waitlist",
                                                             "name_en": "Legal help"})
    body = check(spec, "/services/{service_id}", "patch", resp)
    assert body["availability"] == "waitlist" and body["name_en"] == "Legal help"
    assert body["hours"][0] == {"weekday": 7, "opens": "08:00", "closes": "12:00"}
    session.refresh(svc)
    assert normalize("help") in svc.search_text.split()
    actions = session.scalars(AuditLog.__table__.select().with_only_columns(
        AuditLog.action).where(AuditLog.object_id == str(svc.id))).all()
    assert actions == ["service.create", "service.update"]


@pytest.mark.parametrize(("role", "own", "status"), [
    ("org_admin", False, 403), ("caseworker", True, 403), ("viewer", True, 403),
    (None, True, 401), ("platform_admin", False, 200)])
def test_only_own_org_admins_may_edit(client, make, login, role, own, status):
    svc = make.service()
    if role is not None:
        org = svc.organization if own else make.org()
        login(make.user(role, None if role == "platform_admin" else org))
    resp = client.patch(f"/api/v1/services/{svc.id}", json={"availability": "full"})
    assert resp.status_code == status


@pytest.mark.parametrize(("change", "field"), [
    ({"service_type_code": "nope"}, "service_type_code"),
    ({"min_age": 30, "max_age": 20}, "max_age"),
    ({"min_age": -2}, "min_age"),
    ({"sex": "x"}, "sex"),
    ({"coverage": ["SY77"]}, "coverage"),
    ({"sites": [{"lon": 10, "lat": 10}]}, "sites[0].lon"),
    ({"hours": [{"weekday": 8, "opens": "08:00", "closes": "09:00"}]}, "hours"),
    ({"hours": [{"weekday": 1, "opens": "10:00", "closes": "09:00"}]}, "hours"),
    ({"last_verified": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "last_verified"),
    ({"colour": "red"}, "colour"),
])
def test_bad_service_writes_are_400_and_write_nothing(client, make, login, session, change,
                                                      field):
    from data.models import Service

    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post("/api/v1/services", json={**NEW_SERVICE, **change})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    assert session.scalars(Service.__table__.select().with_only_columns(Service.id).where(
        Service.organization_id == org.id)).all() == []


@pytest.mark.parametrize(("stored", "change", "status", "field"), [
    ((0, 0), {"min_age": 86}, 400, "min_age"),  # the fuzzer's case: a 500 before
    ((18, 60), {"max_age": 10}, 400, "max_age"),
    ((18, 60), {"min_age": 30, "max_age": 20}, 400, "max_age"),
    ((18, 60), {"min_age": 60}, 200, None),
    ((18, 60), {"min_age": 70, "max_age": None}, 200, None),
    ((None, 5), {"min_age": 3}, 200, None),
])
def test_an_edit_of_one_age_bound_is_checked_against_the_stored_other(client, make, login,
                                                                      session, stored, change,
                                                                      status, field):
    """A PATCH that sends one age bound meets the other as stored: above it, a 400 naming the
    field sent and nothing written, where the database's constraint answered 500."""
    org = make.org()
    svc = make.service(organization=org, min_age=stored[0], max_age=stored[1])
    login(make.user("org_admin", org))
    resp = client.patch(f"/api/v1/services/{svc.id}", json=change)
    assert resp.status_code == status, resp.get_json()
    session.refresh(svc)
    if field is None:
        assert (svc.min_age, svc.max_age) == (change.get("min_age", stored[0]),
                                              change.get("max_age", stored[1]))
    else:
        assert resp.get_json()["error"]["details"]["field"] == field
        assert (svc.min_age, svc.max_age) == stored


def test_org_admin_edits_own_profile_and_search_text_follows(client, make, login, spec,
                                                             session):
    org = make.org()
    svc = make.service(organization=org)
    login(make.user("org_admin", org))
    resp = client.patch(f"/api/v1/organizations/{org.id}",
                        json={"name_en": "Ataa Relief", "acronym": "ATAA"})
    body = check(spec, "/organizations/{organization_id}", "patch", resp)
    assert body["acronym"] == "ATAA"
    session.refresh(svc)
    assert normalize("ATAA") in svc.search_text.split()
    other = make.org()
    assert client.patch(f"/api/v1/organizations/{other.id}",
                        json={"name_en": "x"}).status_code == 403


def test_org_admin_api_token_writes_its_own_services_only(client, make, session):
    from data.models import AuditLog
    from network.tokens import TOKEN_ROLES, create_token

    if "org_admin" not in TOKEN_ROLES:
        pytest.skip("org_admin tokens are not offered")
    org = make.org()
    _, secret = create_token(session, org, "org_admin", name="sync")
    auth = {"Authorization": f"Bearer {secret}"}
    resp = client.post("/api/v1/services", json=NEW_SERVICE, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    sid = resp.get_json()["id"]
    entry = session.scalars(AuditLog.__table__.select().with_only_columns(AuditLog.summary)
                            .where(AuditLog.action == "service.create",
                                   AuditLog.object_id == str(sid))).one()
    assert "token_id" in entry
    other = make.service()
    assert client.patch(f"/api/v1/services/{other.id}", json={"availability": "full"},
                        headers=auth).status_code == 403
