"""The words a service or an organisation is found by: one builder for every writer.

A keyword search (``referral.search``) matches a service's ``search_text``: its names and
descriptions, its organisation's names and acronym, and its type's names and keywords, in
both languages, Arabic-normalised (جمعيه = جمعية, أ = ا). Forms, the API, the 4W, HXL and
HSDS imports and the organisation registry all build it here, so a service is findable by
the same words however it was written, and renaming an organisation refreshes the texts of
its services (they carry its name).
"""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from data.models import Organization, Service, ServiceType
from textmatch.arabic import normalize

__all__ = ["organization_search_text", "refresh_all", "refresh_organization",
           "refresh_service", "service_search_text"]


def _join(*parts: str | None) -> str:
    return normalize(" ".join(p for p in parts if p))


def service_search_text(svc: Service, org: Organization, stype: ServiceType | None) -> str:
    """Arabic-normalised words of a service, its organisation and its type, both languages."""
    text = _join(svc.name_ar, svc.name_en, svc.description_ar, svc.description_en,
                 org.name_ar, org.name_en, org.acronym)
    if stype is None:
        return text
    return _join(text, stype.name_ar, stype.name_en, stype.keywords_ar, stype.keywords_en)


def organization_search_text(org: Organization) -> str:
    """Arabic-normalised names, acronym and descriptions of an organisation."""
    return _join(org.name_ar, org.name_en, org.acronym, org.description_ar,
                 org.description_en)


def refresh_service(session: Session, svc: Service) -> None:
    """Rebuild ``svc.search_text`` from the service, its organisation and its type."""
    org = svc.organization or session.get(Organization, svc.organization_id)
    stype = session.get(ServiceType, svc.service_type_code)
    svc.search_text = service_search_text(svc, org, stype)


_CARRIED = ("name_ar", "name_en", "acronym")  # what a service's text takes from its organisation


def refresh_organization(session: Session, org: Organization) -> None:
    """Rebuild the text of ``org``, and those of its services when a name or the acronym
    changed in this session (they carry them; a new phone number rewrites nothing)."""
    org.search_text = organization_search_text(org)
    state = inspect(org)
    if org.id is None or not any(state.attrs[a].history.has_changes() for a in _CARRIED):
        return
    for svc in session.scalars(select(Service).where(Service.organization_id == org.id)):
        refresh_service(session, svc)


def _differs(old: str | None, new: str) -> bool:
    """Whether a search finds different words (order and repeats do not matter to it)."""
    return set((old or "").split()) != set(new.split())


def refresh_all(session: Session) -> dict[str, int]:
    """Rebuild every organisation's and service's text that lacks or has other words than
    this rule gives (data written before it, e.g. by an older import); returns how many."""
    types = {t.code: t for t in session.scalars(select(ServiceType))}
    orgs = {o.id: o for o in session.scalars(select(Organization))}
    changed = {"organizations": 0, "services": 0}
    for org in orgs.values():
        text = organization_search_text(org)
        if _differs(org.search_text, text):
            org.search_text, changed["organizations"] = text, changed["organizations"] + 1
    for svc in session.scalars(select(Service)):
        text = service_search_text(svc, orgs[svc.organization_id],
                                   types.get(svc.service_type_code))
        if _differs(svc.search_text, text):
            svc.search_text, changed["services"] = text, changed["services"] + 1
    session.flush()
    return changed
