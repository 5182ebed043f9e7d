"""Open Referral HSDS 3.1: the 3.0 documents of ``data.io.hsds`` (same rows: verified
organisations only, sensitive services without sites, confidential sites at their front gate)
plus what 3.1 adds, and its tabular tables (``service_capacity.csv``, ``units.csv``,
``url.csv``). ``import_hsds`` reads both versions.

- ``capacities``: a service's declared capacity in people per month (``maximum``), with what is
  available now from its availability (open: all of it; waitlist or full: none) and the
  availability itself as an attribute, so that a round trip keeps it; ``updated`` is the
  record's last verification (else its last change).
- ``url`` and ``additional_urls``: the listing's page on this platform and its "report
  inaccurate information" page (under ``BASE_URL``), so a partner system can send its users
  to the listing and its corrections back to the organisation; ``additional_websites``: an
  organisation's own website and its page here.

Kept beside ``hsds.py`` (not inside it) so the versions change independently; the export
itself (rows read a page at a time, documents and CSV rows streamed) is 3.0's with this
module's ``Flavour``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from data.models import Organization, Service

from .hsds import (
    TABLE_FIELDS,
    TABLES,
    TAX_AVAILABILITY,
    UNIT_PEOPLE_MONTH,
    Flavour,
    _attribute,
    _id,
    _term,
    export_hsds,
    export_hsds_zip,
    organization_document,
    service_document,
)

__all__ = ["TABLES_31", "UNIT", "VERSION", "export_hsds_31", "export_hsds_31_zip", "flavour",
           "organization_document_31", "service_document_31"]

VERSION = "3.1.0"
UNIT = UNIT_PEOPLE_MONTH  # a capacity's unit: people a month
TABLES_31 = {**TABLES, "service_capacities": ("service_capacity", "service_capacity.csv"),
             "units": ("unit", "units.csv"), "urls": ("url", "url.csv")}
FIELDS_31 = {**TABLE_FIELDS,
             "services": ["id", *sorted([*TABLE_FIELDS["services"][1:], "url"])],
             "service_capacities": ["id", "available", "description", "maximum", "service_id",
                                    "unit_id", "updated"],
             "units": ["id", "identifier", "name", "scheme"],
             "urls": ["id", "label", "organization_id", "service_id", "url"]}
# what is available now, as a share of the declared capacity, by availability
_AVAILABLE_SHARE = {"open": 1, "waitlist": 0, "full": 0}


def _capacities(svc: Service, sid: str) -> list[dict]:
    """The service's capacity in people per month, when declared."""
    if svc.capacity_per_month is None:
        return []
    when = dt.datetime.combine(svc.last_verified, dt.time(), dt.UTC) if svc.last_verified \
        else (svc.updated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    term = _term(TAX_AVAILABILITY, svc.availability, svc.availability)
    cid = _id("capacity", sid, UNIT_PEOPLE_MONTH["id"])
    return [{"id": cid, "unit": dict(UNIT_PEOPLE_MONTH),
             "available": svc.capacity_per_month * _AVAILABLE_SHARE.get(svc.availability, 0),
             "maximum": svc.capacity_per_month,
             "description": f"People the service can take in a month ({svc.availability})",
             "updated": when.isoformat(timespec="seconds"),
             "attributes": [{**_attribute(cid, term), "link_entity": "service_capacity"}]}]


def _base(base_url: str | None) -> str | None:
    return base_url.rstrip("/") if base_url else None


def organization_document_31(org: Organization, base_url: str | None = None) -> dict:
    """One organisation as an HSDS 3.1 ``organization``: 3.0's, with its website and its
    page here as additional websites."""
    doc = organization_document(org)
    oid = doc["id"]
    sites = [("website", "Website", org.website)] if org.website else []
    if base := _base(base_url):
        sites.append(("listing", "Tasharuk", f"{base}/directory/organizations/{org.id}"))
    if sites:
        doc["additional_websites"] = [{"id": _id("url", oid, key), "organization_id": oid,
                                       "label": label, "url": url}
                                      for key, label, url in sites]
    return doc


def service_document_31(svc: Service, extents: dict[str, str],
                       base_url: str | None = None) -> dict:
    """One service as an HSDS 3.1 ``service``: 3.0's, with capacities and urls."""
    doc = service_document(svc, extents)
    sid = doc["id"]
    doc["organization"] = organization_document_31(svc.organization, base_url)
    doc["capacities"] = _capacities(svc, sid)
    if base := _base(base_url):
        page = f"{base}/directory/services/{svc.id}"
        doc["url"] = page
        doc["additional_urls"] = [
            {"id": _id("url", sid, key), "service_id": sid, "label": label, "url": url}
            for key, label, url in (("listing", "Tasharuk", page),
                                    ("report", "Report inaccurate information",
                                     f"{page}/report"))]
    return doc


def flavour(base_url: str | None = None) -> Flavour:
    """HSDS 3.1 for ``export_hsds``/``export_hsds_zip``; ``base_url`` gives the listings'
    links (none without it)."""
    return Flavour(VERSION, lambda svc, extents: service_document_31(svc, extents, base_url),
                   lambda org: organization_document_31(org, base_url), TABLES_31, FIELDS_31)


def export_hsds_31(session: Session, folder: Path, base_url: str | None = None,
                  *, batch: int | None = None) -> dict[str, int]:
    """Write the HSDS 3.1 documents and tabular package to ``folder``, streamed as 3.0's."""
    return export_hsds(session, folder, batch=batch, flavour=flavour(base_url))


def export_hsds_31_zip(session: Session, path: Path, base_url: str | None = None,
                      *, batch: int | None = None) -> dict[str, int]:
    """The same export as one zip file at ``path``, its members written as they are made."""
    return export_hsds_zip(session, path, batch=batch, flavour=flavour(base_url))
