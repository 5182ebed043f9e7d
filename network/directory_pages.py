"""What the directory's organisation and service pages show, each gathered by one use case.

The pages (``web/directory/routes.py``) only lay these out: the service with what the viewer
may see of it, whether the viewer may edit it, the provider's referral figures and the area
outlines for the map; an organisation with its services, partners and (for its own admins)
duplication alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from data.models import Organization, Partnership, Service
from network.directory import (
    area_outlines,
    can_edit,
    get_organization,
    get_service,
    organization_services,
    service_view,
)
from network.freshness import overdue
from network.partners import DuplicationAlert, duplication_alerts, org_partners
from referral.ranking import service_referral_stats
from referral.search import Viewer

__all__ = ["ORG_PAGE_ALERTS", "OrganizationPage", "ServicePage", "organization_page",
           "service_page"]

ORG_PAGE_ALERTS = 20  # the rest is on the duplication page; keeps the page under 150 KB


@dataclass
class ServicePage:
    """A service as its page shows it to one viewer."""

    service: Service
    detail: dict[str, Any]  # ``service_view``: sensitive addresses hidden, measured figures
    can_edit: bool
    referral_stats: dict | None  # None before the ranking's first refresh
    outlines: list[dict]  # GeoJSON features of the covered areas


@dataclass
class OrganizationPage:
    """An organisation as its page shows it to one viewer."""

    organization: Organization
    services: list[Service]
    can_edit: bool
    partners: list[tuple[Organization, Partnership]]
    alerts: list[DuplicationAlert] | None  # its admins only: up to alerts_shown + 1 (more?)
    alerts_shown: int
    stale: set[int]  # ids of the services overdue for review, by their own cadence
    outlines: list[dict]


def service_page(session: Session, service_id: int, viewer: Viewer) -> ServicePage:
    """Everything the service page shows; NotFound for an unknown service."""
    svc = get_service(session, service_id, viewer)
    detail = service_view(session, svc, viewer)
    return ServicePage(
        service=svc, detail=detail, can_edit=can_edit(viewer, svc.organization_id),
        referral_stats=service_referral_stats(session, svc.id),
        outlines=area_outlines(session, [c["pcode"] for c in detail["coverage"]]))


def organization_page(session: Session, organization_id: int,
                      viewer: Viewer) -> OrganizationPage:
    """Everything the organisation page shows; NotFound for an unknown organisation."""
    org = get_organization(session, organization_id, viewer)
    services = organization_services(session, org.id)
    editable = can_edit(viewer, org.id)
    return OrganizationPage(
        organization=org, services=services, can_edit=editable,
        partners=org_partners(session, org.id),
        alerts=duplication_alerts(session, org=org.id, limit=ORG_PAGE_ALERTS + 1)
        if editable else None,
        alerts_shown=ORG_PAGE_ALERTS, stale={s.id for s in services if overdue(s)},
        outlines=area_outlines(session, {a.pcode for svc in services for a in svc.coverage}))
