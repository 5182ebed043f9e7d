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


# ---------------------------------------------------------------- duplication (finding 4)

import re  # noqa: E402

import pytest  # noqa: E402

from tests.kits.partners import SUBS, build_world  # noqa: E402


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


def test_duplication_page_filters_sorts_and_says_what_duplication_means(client, make, login,
                                                                       world):
    login(make.user("viewer", world.e))
    page = html(client.get("/partners/duplication?lang=en"))
    assert "2 offers duplicated beyond the need." in page
    assert "never a duplication" in page and 'name="group"' in page and 'name="sort"' in page
    assert f'href="/directory/organizations/{world.a.id}"' in page  # names link to profiles
    women = html(client.get("/partners/duplication?group=women&lang=en"))
    assert "0 offers duplicated beyond the need." in women
    by_area = html(client.get("/partners/duplication?sort=area&lang=en"))
    assert by_area.index("Dana") < by_area.index("Salqin")
    bad = client.get("/partners/duplication?group=aliens&lang=en")
    assert bad.status_code == 400
    assert re.search(r'has-error[^>]*>(?:(?!</div>).)*id="group"(?:(?!</div>).)*Unknown target '
                     r"group", html(bad), re.S)


def test_duplication_list_is_paged(client, session, make, login, world):
    from sqlalchemy import text

    subs = list(session.scalars(text("SELECT pcode FROM admin_area WHERE level = 3 AND pcode "
                                     "LIKE 'SY07%' ORDER BY pcode LIMIT 14")))
    for acronym in ("PX1", "PX2"):
        make.service(organization=make.org(acronym=acronym), service_type_code="prot_monitoring",
                     coverage=subs, target_groups=["idps", "women"],
                     capacity_per_month=10_000_000)
    login(make.user("planner"))
    first = html(client.get("/partners/duplication/area?sector=protection&lang=en"))
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert first.count("<tr>") - 1 == 25
    second = html(client.get("/partners/duplication/area?sector=protection&page=2&lang=en"))
    assert "Page 2 of 2" in second and 'rel="prev"' in second


def test_card_and_list_give_the_same_duplication(client, session, make, login, world):
    """Finding 4: a partner card's duplication figure counts the offers the list shows with
    that partner, no "duplication 0%" beside duplicated-offer reasons."""
    from network import partners as uc

    both = make.org(acronym="PTF", name_en="Both Ways")
    make.service(organization=both, service_type_code="prot_legal", coverage=SUBS,
                 target_groups=["idps", "women"])
    make.service(organization=both, service_type_code="gbv_case_management",
                 coverage=["SY070301"], target_groups=["idps"], capacity_per_month=5000)
    _, found = uc.suggestions(session, world.a.id, top=10)
    card = next(s for s in found if s.organization.id == both.id)
    listed = [a for a in uc.duplication_alerts(session, org=world.a.id)
              if both.id in {o.id for o in a.organizations}]
    assert len(card.codes.duplicated) == len(listed) == 1
    login(make.user("org_admin", world.a))
    page = html(client.get("/partners/?lang=en"))
    block = page[page.index("Both Ways"):]
    block = block[:block.index("</li>\n\n  <li") if "</li>\n\n  <li" in block else None]
    assert "1 offer duplicated beyond the need" in block and "Duplication 0%" not in page


# ---------------------------------------------------------------- requests (finding 5)

def test_suggestion_cards_link_profiles_speak_in_words_and_take_a_message(client, session,
                                                                        make, login, world):
    from sqlalchemy import select

    from data.models import PartnershipRequest

    login(make.user("org_admin", world.a))
    page = html(client.get("/partners/?lang=en"))
    card = page[page.index(f'href="/directory/organizations/{world.b.id}"'):]
    card = card[:card.index("</form>")]
    assert re.search(r"(strong|good|possible) match", card)
    assert re.search(r"Shared reach \d+%: the share of your places", card)
    assert re.search(r"Complementarity \d+%: ", card)
    assert "Score 0." not in page and not re.search(r"Score \d", page)
    assert re.search(r"In Harim, 30,000 women are in need: you offer “GBV case management[^”]*” "
                     r"there, and .+ offers “Legal aid and civil documentation” to the same "
                     r"group\. Refer to each other\.", card, re.I)
    assert 'name="message"' in card and "<textarea" in card
    resp = client.post("/partners/requests", data={"target": world.b.id,
                                                   "message": "Let us meet in Dana."})
    assert resp.status_code == 302
    req = session.scalars(select(PartnershipRequest).where(
        PartnershipRequest.requester_org_id == world.a.id)).one()
    assert req.message == "Let us meet in Dana."
    login(make.user("org_admin", world.b))
    box = html(client.get("/partners/requests?lang=en"))
    assert "Let us meet in Dana." in box
    assert f'href="/directory/organizations/{world.a.id}"' in box


def test_refused_requests_say_why(client, session, make, login, world):
    """Finding 5 / bad input: to oneself, twice, to an unverified organisation: refused on
    the requests page with the reason (4xx), nothing written."""
    from sqlalchemy import func, select

    from data.models import PartnershipRequest

    ghost = make.org(acronym="PTG", verification="pending")
    login(make.user("org_admin", world.a))
    assert client.post("/partners/requests", data={"target": world.b.id}).status_code == 302
    for target, status, reason in (
            (world.a.id, 400, "An organisation cannot partner with itself."),
            (world.b.id, 409, "A partnership request between these organisations is pending"),
            (ghost.id, 400, "Only verified organisations can be asked to partner."),
            (world.c.id, 400, "The message is longer than 2,000 characters.")):
        data = {"target": target, "message": "x" * 2001 if target == world.c.id else "hi"}
        resp = client.post("/partners/requests?lang=en", data=data)
        assert resp.status_code == status, target
        page = html(resp)
        assert "The request was not sent:" in page and reason in page, page
    assert session.scalar(select(func.count()).select_from(PartnershipRequest).where(
        PartnershipRequest.requester_org_id == world.a.id)) == 1
