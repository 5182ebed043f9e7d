"""Referral pathways (issue 22): how to refer, what to bring, the promised response time and
the next step, written by the organisation's admins (API and form) and shown on the page."""

from __future__ import annotations

import pytest

from tests.network.test_directory_api import NEW_SERVICE, check

PATHWAY = {"referral_method": "focal_point", "referral_contact": "Rania, +963 944 000 111",
           "response_days": 2,
           "what_to_bring_ar": "بطاقة العائلة", "what_to_bring_en": "The family booklet",
           "next_step_ar": "تتصل المنسقة بالشخص خلال يومين",
           "next_step_en": "The focal point calls the person within two days"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_pathway_is_written_through_the_api_and_shown_on_the_page(client, make, login, spec):
    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post("/api/v1/services", json={**NEW_SERVICE, **PATHWAY})
    assert resp.status_code == 201, resp.get_json()
    body = check(spec, "/services", "post", resp)
    assert {k: body[k] for k in PATHWAY} == PATHWAY
    sid = body["id"]
    got = check(spec, "/services/{service_id}", "get", client.get(f"/api/v1/services/{sid}"))
    assert got["next_step_en"] == PATHWAY["next_step_en"]
    en = client.get(f"/directory/services/{sid}?lang=en").get_data(as_text=True)
    assert "Through a focal point" in en and "The family booklet" in en
    assert "promises 2 days" in en and "The focal point calls the person" in en
    ar = client.get(f"/directory/services/{sid}?lang=ar").get_data(as_text=True)
    assert "عبر جهة تنسيق" in ar and "بطاقة العائلة" in ar
    assert "يعد بالرد خلال يومين" in ar and "تتصل المنسقة" in ar


@pytest.mark.parametrize(("change", "field"), [
    ({"referral_method": "pigeon"}, "referral_method"),
    ({"response_days": 0}, "response_days"),
    ({"response_days": "soon"}, "response_days"),
    ({"next_step_en": "x" * 4001}, "next_step_en"),
])
def test_bad_pathway_is_400_naming_the_field(client, make, login, session, change, field):
    from data.models import Service

    svc = make.service()
    login(make.user("org_admin", svc.organization))
    resp = client.patch(f"/api/v1/services/{svc.id}", json=change)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    session.refresh(svc)
    assert session.get(Service, svc.id).response_days == 5 and svc.next_step_en == ""


def test_pathway_is_edited_on_the_form(client, make, login, session):
    from tests.network.test_directory_pages import FORM

    svc = make.service(response_days=7, next_step_en="Old step")
    login(make.user("org_admin", svc.organization))
    page = client.get(f"/directory/services/{svc.id}/edit?lang=en").get_data(as_text=True)
    assert "Old step" in page and 'value="7"' in page
    data = {**FORM, "response_days": "3", "next_step_ar": "يُعطى موعد",
            "next_step_en": "An appointment", "what_to_bring_en": "Nothing",
            "referral_method": "walk_in"}
    resp = client.post(f"/directory/services/{svc.id}/edit?lang=en", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    session.refresh(svc)
    assert (svc.response_days, svc.next_step_ar, svc.next_step_en, svc.what_to_bring_en,
            svc.referral_method) == (3, "يُعطى موعد", "An appointment", "Nothing", "walk_in")
