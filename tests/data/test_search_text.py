"""One rule for the words a service or an organisation is found by (``data.searchtext``),
whichever writer made it: the directory, the organisation profile, the HSDS and 4W imports."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from tests.conftest import shared_path
from tests.kits.directory import P, east


def _found(session, q: str, **extra) -> set[int]:
    from referral.search import Viewer, parse_query, search

    res = search(session, parse_query(session, MultiDict(
        {"q": q, "lon": P[0], "lat": P[1], "per_page": 100, **extra})), Viewer())
    return {i["id"] for i in res.items}


def test_the_service_text_has_its_names_its_organisation_and_its_type(session, make):
    from data.models import ServiceType
    from data.searchtext import service_search_text

    org = make.org(name_en="Bunyan Organization", name_ar="منظمة بنيان", acronym="BNY")
    svc = make.service(organization=org, service_type_code="prot_legal",
                       name_en="Civil documentation desk", name_ar="مكتب الوثائق المدنية",
                       description_en="Birth and marriage certificates")
    text = service_search_text(svc, org, session.get(ServiceType, "prot_legal"))
    for word in ("civil", "certificates", "bunyan", "بنيان", "bny", "legal"):
        assert word in text.split(), word
    assert "منظمه" in text  # Arabic-normalised: ة -> ه


def test_renaming_an_organisation_on_its_profile_refreshes_its_services(session, make):
    """The profile editor (network.organizations) renamed the organisation but left the
    texts of its services with the old name: a search by the new name found nothing."""
    from network.organizations import update_organization

    org = make.org(name_en="Old Name Relief", name_ar="إغاثة الاسم القديم")
    svc = make.service(organization=org, sites=[east(1)])
    svc.search_text = ""  # as a service written before the rule
    session.flush()
    update_organization(session, org, {"name_en": "Qudsaya Youth Forum"})
    org.verification = "verified"  # a new name goes back to review; shown again once verified
    session.flush()
    assert svc.id in _found(session, "qudsaya")
    assert "qudsaya" in org.search_text.split()


def test_a_profile_edit_that_keeps_the_names_leaves_the_services_alone(session, make):
    from network.organizations import update_organization

    org = make.org(name_en="Steady Name Relief")
    svc = make.service(organization=org)
    svc.search_text = "as it was"
    session.flush()
    assert update_organization(session, org, {"website": "https://steady.example.org"})
    session.flush()
    session.refresh(svc)
    assert svc.search_text == "as it was"


WRITERS = ["directory API", "registration"]


@pytest.mark.parametrize("writer", WRITERS)
def test_every_organisation_writer_builds_the_same_text(session, make, writer):
    from data.models import Organization
    from data.searchtext import organization_search_text
    from network import directory, organizations
    from referral.search import Viewer

    fields = {"name_en": "Sanabel Association", "name_ar": "جمعية سنابل", "acronym": "SNB",
              "description_en": "Orphan sponsorship", "description_ar": "كفالة الأيتام"}
    if writer == "directory API":
        org = directory.create_organization(session, fields, Viewer(role="platform_admin"))
    else:
        org, _admin = organizations.register_organization(
            session, {**fields, "registration_number": "REG-SNB-1", "hq_pcode": "SY07"},
            admin_email="admin@sanabel.example.org",
            admin_password="correct horse battery staple")
    org = session.get(Organization, org.id)
    assert org.search_text == organization_search_text(org)
    assert {"sanabel", "سنابل", "snb", "orphan", "ايتام"} <= set(org.search_text.split())


@pytest.mark.shared_data
def test_hsds_import_builds_the_same_service_text(session):
    """The HSDS import wrote the names only, in lower case and not Arabic-normalised: its
    services were not found by their organisation's name."""
    from data.io.hsds import import_hsds
    from data.models import Service, ServiceType
    from data.searchtext import service_search_text
    from textmatch.arabic import normalize

    import_hsds(session, shared_path("hsds", "hsds-3.0", "examples", "service_full.json"))
    svc = session.scalar(select(Service).where(Service.name_en == "Community Counselling"))
    stype = session.get(ServiceType, svc.service_type_code)
    assert svc.search_text == service_search_text(svc, svc.organization, stype)
    org = svc.organization
    names = normalize(f"{org.name_en} {org.name_ar}").split()
    assert names and set(names) <= set(svc.search_text.split())


def test_refresh_search_text_rebuilds_old_texts_once(runner, session, make):
    """For data written before the rule (an older demo, an older HSDS import): the command
    rebuilds every text that differs, and a second run changes nothing."""
    org = make.org(name_en="Ghiras Network", name_ar="شبكة غراس")
    svc = make.service(organization=org, sites=[east(1)])
    session.execute(text("UPDATE service SET search_text = 'old words' WHERE id = :s"),
                    {"s": svc.id})
    session.execute(text("UPDATE organization SET search_text = '' WHERE id = :o"),
                    {"o": org.id})
    session.expire_all()
    assert svc.id not in _found(session, "ghiras")
    result = runner.invoke(args=["directory", "refresh-search-text"])
    assert result.exit_code == 0, result.output
    assert "organisations 1, services 1" in result.output
    assert svc.id in _found(session, "ghiras") and svc.id in _found(session, "غراس")
    again = runner.invoke(args=["directory", "refresh-search-text"])
    assert "organisations 0, services 0" in again.output
