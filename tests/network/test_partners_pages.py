"""Partners pages and API: suggestions with reasons in Arabic and English, requests, alerts,
the network map, access rules and the OpenAPI document."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from sqlalchemy import select

from data.models import Notification, PartnershipRequest
from tests.kits.access_rules.partners import RULES
from tests.kits.partners import build_world


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


def _validate(client, path: str, method: str, status: int, body) -> None:
    """Check a real response body against the OpenAPI document's schema for it."""
    doc = client.get("/api/v1/openapi.json").get_json()
    response = doc["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": doc["components"]})


def test_declared_roles_match_the_access_table(app):
    from web.security import AUTHENTICATED, PUBLIC, ROLES, allowed_roles

    for endpoint, rule in RULES.items():
        declared = allowed_roles(endpoint, app)
        assert declared is not None, endpoint
        expanded = {"public"} if PUBLIC in declared else (
            set(ROLES) if AUTHENTICATED in declared else set(declared))
        assert expanded == rule["roles"], endpoint
    ours = {e for e in app.view_functions if e.startswith("partners.")
            or e.split(".")[-1] in {"org_partner_suggestions", "org_duplication",
                                    "area_duplication", "org_partnerships",
                                    "partnership_requests", "create_partnership_request",
                                    "answer_partnership_request"}}
    assert ours == set(RULES)


def test_suggestions_page_in_arabic_and_english(client, make, login, world):
    login(make.user("caseworker", world.a))
    html = client.get("/partners/").get_data(as_text=True)
    assert 'dir="rtl"' in html and "الشركاء المقترحون" in html
    assert html.index(world.b.name_ar) < html.index(world.c.name_ar)  # best first
    assert "تخدم المنظمتان" in html and "المساعدة القانونية والوثائق المدنية" in html
    assert "اطلب شراكة" not in html  # caseworkers cannot request
    assert "تنبيهات الازدواجية" in html and world.e.name_ar in html
    en = client.get("/partners/?lang=en").get_data(as_text=True)
    assert "Both of you serve" in en and world.b.name_en in en
    assert len(en.encode()) < 150_000


def test_filters_on_the_page(client, make, login, world):
    login(make.user("viewer", world.a))
    html = client.get("/partners/?lang=en&sector=protection&area=SY02").get_data(as_text=True)
    assert "No suggestion yet" in html
    bad = client.get("/partners/?area=SY99")
    assert bad.status_code == 400


def test_planner_picks_any_org_others_only_their_own(client, make, login, world):
    login(make.user("planner", world.c))
    html = client.get(f"/partners/?org={world.b.acronym}&lang=en").get_data(as_text=True)
    assert f"Suggested partners for {world.b.name_en}" in html
    other = make.user("caseworker", world.c)
    login(other)
    html = client.get(f"/partners/?org={world.b.id}&lang=en").get_data(as_text=True)
    assert f"Suggested partners for {world.c.name_en}" in html  # ?org= ignored: own org
    assert client.get(f"/api/v1/organizations/{world.b.id}/partners").status_code == 403


def test_request_accept_and_partners_list(client, make, login, world, app, smtp_server):
    admin_a, admin_b = make.user("org_admin", world.a), make.user("org_admin", world.b)
    login(admin_a)
    page = client.get("/partners/").get_data(as_text=True)
    assert "اطلب شراكة" in page
    resp = client.post("/partners/requests", data={"target": world.b.id, "message": "مرحباً"})
    assert resp.status_code == 302
    mail = smtp_server.wait_for(1)
    assert mail and mail[0]["To"] == admin_b.email
    assert "الطلب قيد الانتظار" in client.get("/partners/").get_data(as_text=True)
    login(admin_b)
    inbox = client.get("/partners/requests").get_data(as_text=True)
    assert world.a.name_ar in inbox and "مرحباً" in inbox
    (req,) = client.application.extensions["tasharuk_db"]["sessionmaker"]().scalars(
        select(PartnershipRequest).where(PartnershipRequest.target_org_id == world.b.id))
    assert client.post(f"/partners/requests/{req.id}/accept").status_code == 302
    body = client.get(f"/api/v1/organizations/{world.a.id}/partnerships").get_json()
    assert [i["organization"]["id"] for i in body["items"]] == [world.b.id]
    _validate(client, "/organizations/{org_id}/partnerships", "get", 200, body)
    net = client.get("/partners/network").get_data(as_text=True)
    assert "/vendor/leaflet/leaflet.js" in net and "/directory/static/map.js" in net
    assert world.a.name_ar in net and "<script>" not in net  # no inline script
    for org in (world.a, world.b):  # the table's names link to the organisations' profiles
        assert f'<a href="/directory/organizations/{org.id}">{org.name_ar}</a>' in net
    data = json.loads(re.search(r'id="map-data">(.*?)</script>', net, re.S).group(1))
    assert {p["name"] for p in data["points"]} >= {world.a.name_ar, world.b.name_ar}
    assert len(data["lines"]) == 1  # the one partnership, drawn between its two offices


def test_answer_is_refused_to_the_wrong_admin(client, make, login, world, session):
    admin_a = make.user("org_admin", world.a)
    login(admin_a)
    client.post("/partners/requests", data={"target": world.b.id})
    req = session.scalars(select(PartnershipRequest)).one()
    assert client.post(f"/partners/requests/{req.id}/accept").status_code == 403
    login(make.user("org_admin", world.c))
    assert client.post(f"/partners/requests/{req.id}/decline").status_code == 404
    login(make.user("caseworker", world.b))
    assert client.post(f"/partners/requests/{req.id}/accept").status_code == 403


def test_api_suggestions_validate_against_openapi(client, make, login, world):
    login(make.user("caseworker", world.a))
    resp = client.get(f"/api/v1/organizations/{world.a.id}/partners?top=2")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [i["organization"]["id"] for i in body["items"]][:1] == [world.b.id]
    assert body["items"][0]["reasons_ar"] and body["items"][0]["reasons_en"]
    _validate(client, "/organizations/{org_id}/partners", "get", 200, body)
    bad = client.get(f"/api/v1/organizations/{world.a.id}/partners?top=0")
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "top"
    assert client.get("/api/v1/organizations/999999999/partners").status_code == 404
    dup = client.get(f"/api/v1/organizations/{world.a.id}/duplication").get_json()
    assert dup["total"] == 2  # displaced people in Dana and Salqin, beyond the need
    _validate(client, "/organizations/{org_id}/duplication", "get", 200, dup)


def test_api_requests_lifecycle(client, make, login, world):
    login(make.user("org_admin", world.a))
    created = client.post("/api/v1/partnership-requests",
                          json={"target_org_id": world.b.id, "message": "hello"})
    assert created.status_code == 201
    _validate(client, "/partnership-requests", "post", 201, created.get_json())
    again = client.post("/api/v1/partnership-requests", json={"target_org_id": world.b.id})
    assert again.status_code == 409
    bad = client.post("/api/v1/partnership-requests", json={"target_org_id": "x"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"]["field"] == "target_org_id"
    login(make.user("org_admin", world.b))
    listing = client.get("/api/v1/partnership-requests").get_json()
    _validate(client, "/partnership-requests", "get", 200, listing)
    rid = listing["incoming"][0]["id"]
    declined = client.post(f"/api/v1/partnership-requests/{rid}/decline", json={"note": "no"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    _validate(client, "/partnership-requests/{request_id}/decline", "post", 200,
              declined.get_json())
    assert client.post(f"/api/v1/partnership-requests/{rid}/accept").status_code == 409


def test_duplication_pages(client, make, login, world):
    login(make.user("viewer", world.e))
    html = client.get("/partners/duplication").get_data(as_text=True)
    assert "دانا" in html and world.a.name_ar in html and "نسبة التغطية" in html
    # "start a discussion about this" opens a forum thread pre-filled with the alert
    from flask import url_for

    with client.application.test_request_context():
        new_thread = url_for("forum.new_thread")
    assert "ابدأ نقاشاً حول هذا" in html and f'href="{new_thread}?title=' in html
    login(make.user("planner", world.c))
    html = client.get("/partners/duplication/area?area=SY070302&lang=en").get_data(as_text=True)
    assert "Salqin" in html and "Dana" not in html
    api = client.get("/api/v1/duplication?area=SY0703").get_json()
    assert api["total"] == 2
    _validate(client, "/duplication", "get", 200, api)
    login(make.user("caseworker", world.c))
    assert client.get("/partners/duplication/area?area=SY07").status_code == 403


def test_org_partners_include_renders(app, session, world, make):
    from flask import render_template_string

    from network import partners as uc

    a, b = make.user("org_admin", world.a), make.user("org_admin", world.b)
    req = uc.request_partnership(session, a, world.b.id)
    uc.respond_to_request(session, b, req.id, accept=True)
    with app.test_request_context("/?lang=ar"):
        html = render_template_string('{% include "partners/_org_partners.html" %}',
                                      partners=uc.org_partners(session, world.a.id))
    assert world.b.name_ar in html and "الشركاء" in html


def test_notifications_reach_the_target_admins_only(client, make, login, world, session):
    admin_b = make.user("org_admin", world.b)
    make.user("caseworker", world.b)
    login(make.user("org_admin", world.a))
    client.post("/partners/requests", data={"target": world.b.id})
    notes = session.scalars(select(Notification)).all()
    assert [n.user_id for n in notes] == [admin_b.id]


def test_forms_carry_csrf_tokens_and_the_map_gets_a_relaxed_csp(database_url, connection,
                                                                  session, make, world, login):
    """With CSRF on (production), the request button works only with its token."""
    import re

    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                      "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    Database.bind(app, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    client = login(make.user("org_admin", world.a), app.test_client())
    page = client.get("/partners/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    assert client.post("/partners/requests", data={"target": world.b.id}).status_code == 400
    ok = client.post("/partners/requests", data={"target": world.b.id, "csrf_token": token})
    assert ok.status_code == 302
    for page in ("/partners/network", "/partners/"):  # the map's script is a file of the app
        assert "'unsafe-inline'" not in client.get(page).headers.get(
            "Content-Security-Policy", ""), page


def test_organisation_page_lists_partners_and_shows_its_admin_the_duplication(
        client, make, login, world, session):
    from network import partners as uc

    a, b = make.user("org_admin", world.a), make.user("org_admin", world.b)
    req = uc.request_partnership(session, a, world.b.id)
    uc.respond_to_request(session, b, req.id, accept=True)
    session.flush()
    public = client.get(f"/directory/organizations/{world.a.id}").get_data(as_text=True)
    assert "الشركاء" in public and world.b.name_ar in public
    assert "تنبيهات الازدواجية" not in public  # the duplication block is for the org itself
    login(a)
    own = client.get(f"/directory/organizations/{world.a.id}").get_data(as_text=True)
    assert "تنبيهات الازدواجية" in own


def test_start_a_discussion_about_a_partner_suggestion(client, session, make, login, world):
    """Issue 7: "start a discussion about this" from a partner suggestion opens a thread in
    "partnership requests", titled with both organisations and linking the partner's page."""
    import html as html_lib
    import re

    from flask import url_for

    from data.models import ForumCategory
    from network.forum import seed_categories

    seed_categories(session)
    session.flush()
    login(make.user("caseworker", world.a))
    page = client.get("/partners/").get_data(as_text=True)
    with client.application.test_request_context():
        new_thread = url_for("forum.new_thread")
        partner_page = url_for("directory.organization", organization_id=world.b.id)
    links = [html_lib.unescape(h) for h in re.findall(
        rf'href="({re.escape(new_thread)}\?[^"]+)"', page)]
    from urllib.parse import parse_qs, urlsplit

    mine = [h for h in links if parse_qs(urlsplit(h).query).get("category") == [
        "partnership-requests"] and parse_qs(urlsplit(h).query)["link"] == [partner_page]]
    assert mine, links
    form = client.get(mine[0]).get_data(as_text=True)
    cat = session.scalar(select(ForumCategory).where(
        ForumCategory.slug == "partnership-requests"))
    assert f'<option selected value="{cat.id}">' in form
    assert f'value="{partner_page}"' in form
    title = re.search(r'name="title"[^>]*value="([^"]*)"', form)
    assert title and "شراكة" in title.group(1) and world.b.name_ar in html_lib.unescape(
        title.group(1))
