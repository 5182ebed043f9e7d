"""The NGO manager's pages (issue 21): adding a service from "My organisation", a new service
fresh from its first day, duplication alerts that mean over-coverage, partnership requests
with a message and readable scores."""

from __future__ import annotations

import datetime as dt

from tests.network.test_directory_pages import FORM, html


def test_my_organisation_links_to_adding_a_service(client, make, login):
    """Finding 7: "My organisation" has a link to add a service (admins) and to its listing."""
    org = make.org()
    login(make.user("org_admin", org))
    page = html(client.get("/accounts/organization"))
    assert f'href="/directory/organizations/{org.id}/services/new"' in page
    assert "إضافة خدمة" in page
    assert f'href="/directory/organizations/{org.id}"' in page


def test_caseworker_sees_the_listing_but_no_add_link(client, make, login):
    org = make.org()
    login(make.user("caseworker", org))
    page = html(client.get("/accounts/organization"))
    assert "/services/new" not in page and f'href="/directory/organizations/{org.id}"' in page


def test_a_new_service_is_fresh_from_creation(client, make, login, session):
    """Finding 7: a service made through the form (last verified left blank) is verified today,
    not badged stale until someone confirms it."""
    from sqlalchemy import select

    from data.models import Service

    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post(f"/directory/organizations/{org.id}/services/new", data=FORM)
    assert resp.status_code == 302, html(resp)
    svc = session.scalars(select(Service).where(Service.organization_id == org.id)).one()
    session.refresh(svc)
    assert svc.last_verified == dt.date.today()
    page = html(client.get(f"/directory/services/{svc.id}"))
    assert "قديمة" not in page
