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
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Organization, Service

from .hsds import (
    _SERVICE_LOADS,
    BATCH,
    NS,
    _batches,
    _extents,
    _id,
    _json,
    organization_document,
    service_document,
)

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


def export_hsds_31(session: Session, folder: Path, base_url: str, *,
                   batch: int = BATCH) -> dict[str, int]:
    """Write HSDS 3.1 ``services/*.json`` and ``organizations/*.json`` (verified
    organisations and their services only), read ``batch`` at a time as the 3.0 export does,
    and a ``datapackage.json`` naming the version."""
    folder = Path(folder)
    for sub in ("services", "organizations"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    session.flush()
    counts = {"organizations": 0, "services": 0}
    extents: dict[str, str] = {}
    with Session(bind=session.connection(), autoflush=False) as reader:
        for page in _batches(reader, Service, _SERVICE_LOADS, batch):
            new = {a.pcode for s in page for a in s.coverage} - set(extents)
            extents.update(_extents(reader, new))
            for svc in page:
                doc = service_document_31(svc, extents, base_url)
                (folder / "services" / f"{doc['id']}.json").write_bytes(_json(doc))
            counts["services"] += len(page)
        for page in _batches(reader, Organization, (), batch):
            for org in page:
                doc = organization_document_31(org)
                (folder / "organizations" / f"{doc['id']}.json").write_bytes(_json(doc))
            counts["organizations"] += len(page)
    (folder / "datapackage.json").write_bytes(_json(
        {"name": "tasharuk", "version": VERSION, "profile": "data-package",
         "resources": [{"name": "services", "path": "services/"},
                       {"name": "organizations", "path": "organizations/"}]}))
    return counts


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
