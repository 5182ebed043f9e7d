"""Open Referral HSDS 3.1 (issue 22): the 3.0 documents of ``data.io.hsds`` plus what 3.1
adds that Tasharuk knows: a service's capacity with its unit (people a month), its page on
Tasharuk as an additional URL, an organisation's website as an additional website. Import of
3.1 documents is the 3.0 import, then the capacities in people a month.

Kept beside ``hsds.py`` (not inside it) so the two versions change independently; the JSON
documents validate against ``../shared/data/hsds/hsds-3.1-dev/schema``. Only the JSON
documents are written (no tabular CSV package yet).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Organization, Service

from .hsds import NS, _extents, _id, _services, _write, organization_document, service_document

__all__ = ["UNIT", "export_hsds_31", "import_hsds_31", "organization_document_31",
           "service_document_31"]

VERSION = "3.1.0"
UNIT = {"id": str(uuid.uuid5(NS, "unit:people_per_month")), "name": "people per month",
        "scheme": "tasharuk", "identifier": "people_per_month"}


def organization_document_31(org: Organization) -> dict:
    """An organisation as an HSDS 3.1 object (its website also as an additional website)."""
    doc = organization_document(org)
    if org.website:
        oid = doc["id"]
        doc["additional_websites"] = [{"id": _id("url", oid, "website"),
                                       "organization_id": oid, "label": "Website",
                                       "url": org.website}]
    return doc


def service_document_31(svc: Service, extents: dict[str, str], base_url: str) -> dict:
    """A service as an HSDS 3.1 object: capacity with its unit, its Tasharuk page."""
    doc = service_document(svc, extents)
    sid = doc["id"]
    doc["organization"] = organization_document_31(svc.organization)
    if svc.capacity_per_month is not None:
        updated = svc.last_verified or dt.date.today()
        doc["capacities"] = [{
            "id": _id("capacity", sid, UNIT["identifier"]), "service_id": sid,
            "unit": dict(UNIT), "unit_id": UNIT["id"],
            "available": svc.capacity_per_month if svc.availability == "open" else 0,
            "maximum": svc.capacity_per_month,
            "description": f"availability: {svc.availability}",
            "updated": dt.datetime.combine(updated, dt.time(), tzinfo=dt.UTC).isoformat()}]
    doc["additional_urls"] = [{"id": _id("url", sid, "tasharuk"), "service_id": sid,
                               "label": "Tasharuk",
                               "url": f"{base_url.rstrip('/')}/directory/services/{svc.id}"}]
    return doc


def export_hsds_31(session: Session, folder: Path, base_url: str) -> dict[str, int]:
    """Write HSDS 3.1 ``services/*.json`` and ``organizations/*.json`` (verified
    organisations and their services only) and a ``datapackage.json`` naming the version."""
    folder = Path(folder)
    services = list(_services(session))
    extents = _extents(session, {a.pcode for s in services for a in s.coverage})
    (folder / "services").mkdir(parents=True, exist_ok=True)
    (folder / "organizations").mkdir(parents=True, exist_ok=True)
    for svc in services:
        doc = service_document_31(svc, extents, base_url)
        _write(folder / "services" / f"{doc['id']}.json", doc)
    orgs = 0
    for org in session.scalars(select(Organization).where(Organization.verified)
                               .order_by(Organization.uuid)):
        doc = organization_document_31(org)
        _write(folder / "organizations" / f"{doc['id']}.json", doc)
        orgs += 1
    (folder / "datapackage.json").write_text(json.dumps(
        {"name": "tasharuk", "version": VERSION, "profile": "data-package",
         "resources": [{"name": "services", "path": "services/"},
                       {"name": "organizations", "path": "organizations/"}]},
        indent=1) + "\n", encoding="utf-8")
    return {"organizations": orgs, "services": len(services)}


def import_hsds_31(session: Session, path: Path) -> dict[str, int]:
    """Import HSDS 3.0 or 3.1 documents (``data.io.hsds.import_hsds``, all checked first),
    then take each 3.1 service's capacity in people a month (``maximum``) when it gives one."""
    from .hsds import _documents, import_hsds

    counts = import_hsds(session, path)
    for _where, kind, doc in _documents(Path(path)):
        caps = [c for c in doc.get("capacities") or [] if isinstance(c, dict)
                and isinstance(c.get("unit"), dict)
                and c["unit"].get("identifier") == UNIT["identifier"]
                and isinstance(c.get("maximum"), int | float) and c["maximum"] >= 0]
        if kind == "service" and caps:
            svc = session.scalar(select(Service).where(Service.uuid == uuid.UUID(doc["id"])))
            if svc is not None:
                svc.capacity_per_month = int(caps[0]["maximum"])
    session.flush()
    return counts
