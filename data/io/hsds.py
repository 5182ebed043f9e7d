"""Open Referral HSDS 3.0: export organisations and services as JSON documents and a tabular
CSV data package; import such documents (3.0 or 3.1) back, checking every field ourselves.

Ids are our UUIDs; ids of sub-objects (service areas, locations, attributes, schedules) are
UUID5s of the parent id and a stable key, so an export -> import -> export round trip gives
the same documents. Service areas carry the OCHA p-code as ``uri`` (``urn:ocha:pcode:SY0703``)
and a simplified GeoJSON extent; target groups, the service type and eligibility go into
``attributes`` with taxonomy terms. No ``address`` table: Syria has no postal codes, and HSDS
requires ``postal_code`` and ``state_province`` in an address; sites are locations with
latitude/longitude and the sub-district p-code as ``external_identifier``. The CSV tables are
spreadsheet-safe: a text cell that a spreadsheet would run as a formula gets a leading
apostrophe (``cells.neutralize``; ``cells.restore`` gives the text back); the JSON documents,
which the import reads, are exact. The export is streamed: services are read a page at a time
(``BATCH``), and each document and CSV row is written out as it is made, so a national build
holds one page in memory, not the directory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from data.errors import BadInput
from data.io.taxonomy import Taxonomy
from data.models import (
    AVAILABILITY,
    AdminArea,
    OpeningPeriod,
    Organization,
    Service,
    ServiceSite,
    ServiceType,
    TargetGroup,
)
from data.searchtext import organization_search_text, service_search_text

from .cells import neutralize

__all__ = ["BATCH", "HSDS30", "Flavour", "check_service", "export_hsds", "export_hsds_zip",
           "import_hsds", "service_document"]

NS = uuid.UUID("5b0c3a4e-7d8f-4e62-9a51-0c6f1f0d2a11")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
URI_PREFIX = "urn:ocha:pcode:"
TAX_GROUPS, TAX_TYPES, TAX_ELIG = ("tasharuk-target-groups", "tasharuk-service-types",
                                   "tasharuk-eligibility")
TAX_AVAILABILITY = "tasharuk-availability"  # HSDS 3.1 capacities: open, waitlist or full
# the unit of a service's capacity (HSDS 3.1): people it can take in a month
UNIT_PEOPLE_MONTH = {"id": str(uuid.uuid5(NS, "unit|people_per_month")),
                     "name": "people per month", "scheme": "tasharuk",
                     "identifier": "people_per_month"}


# our table -> (HSDS resource name, file name), as in the official datapackage.json
TABLES = {t: (n, f) for t, n, f in (
    ("organizations", "organization", "organizations.csv"),
    ("services", "service", "services.csv"),
    ("service_areas", "service_area", "service_areas.csv"),
    ("locations", "location", "locations.csv"),
    ("service_at_locations", "service_at_location", "service_at_location.csv"),
    ("schedules", "schedule", "schedules.csv"), ("languages", "language", "languages.csv"),
    ("attributes", "attribute", "attributes.csv"),
    ("taxonomy_terms", "taxonomy_term", "taxonomy_terms.csv"),
    ("required_documents", "required_document", "required_documents.csv"))}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NS, "|".join(str(p) for p in parts)))


def _term(taxonomy: str, code: str, name: str) -> dict:
    return {"id": _id("term", taxonomy, code), "code": code, "name": name,
            "description": f"{taxonomy}: {name}", "taxonomy": taxonomy}


def _attribute(service_id: str, term: dict, value: str | None = None) -> dict:
    att = {"id": _id("attribute", service_id, term["id"]), "link_id": service_id,
           "link_type": term["taxonomy"], "link_entity": "service",
           "taxonomy_term_id": term["id"], "taxonomy_term": term}
    if value is not None:
        att["value"] = value
    return att


def organization_document(org: Organization) -> dict:
    doc = {"id": str(org.uuid), "name": org.name_en or org.name_ar,
           "alternate_name": org.name_ar,
           "description": org.description_en or org.description_ar or org.name_en}
    if org.email:
        doc["email"] = org.email
    if org.website:
        doc["website"] = org.website
    return doc


def service_document(svc: Service, extents: dict[str, str]) -> dict:
    """One service as an HSDS 3.0 ``service`` object with its organisation nested."""
    sid = str(svc.uuid)
    atts = [_attribute(sid, _term(TAX_TYPES, svc.service_type_code,
                                  svc.service_type.name_en))]
    atts += [_attribute(sid, _term(TAX_GROUPS, g.code, g.name_en))
             for g in sorted(svc.target_groups, key=lambda g: g.code)]
    if svc.sex != "any":
        atts.append(_attribute(sid, _term(TAX_ELIG, "sex", "Sex"), svc.sex))
    if svc.nationalities:
        atts.append(_attribute(sid, _term(TAX_ELIG, "nationality", "Nationality"),
                               "|".join(svc.nationalities)))
    eligibility = []
    if svc.sex != "any":
        eligibility.append(f"{svc.sex} only")
    if svc.min_age is not None or svc.max_age is not None:
        eligibility.append(f"ages {svc.min_age or 0}-{svc.max_age or 120}")
    doc: dict = {
        "id": sid, "organization_id": str(svc.organization.uuid),
        "name": svc.name_en or svc.name_ar, "alternate_name": svc.name_ar,
        "description": svc.description_en or svc.description_ar or svc.name_en,
        "status": svc.status,
        "eligibility_description": "; ".join(eligibility) or "open to all",
        "languages": [{"id": _id("language", sid, code), "service_id": sid, "code": code}
                      for code in svc.languages],
        "service_areas": [
            {"id": _id("service_area", sid, a.pcode), "service_id": sid,
             "name": a.name_en, "description": a.name_ar, "uri": URI_PREFIX + a.pcode,
             **({"extent": extents[a.pcode], "extent_type": "geojson"}
                if a.pcode in extents else {})}
            for a in sorted(svc.coverage, key=lambda a: a.pcode)],
        "service_at_locations": [],
        "schedules": [
            {"id": _id("schedule", sid, h.weekday, h.opens), "service_id": sid,
             "freq": "WEEKLY", "byday": DAYS[h.weekday - 1],
             "opens_at": h.opens.strftime("%H:%M"), "closes_at": h.closes.strftime("%H:%M")}
            for h in svc.hours],
        "required_documents": [
            {"id": _id("document", sid, d), "service_id": sid, "document": d}
            for d in svc.documents_required],
        "attributes": atts,
        "organization": organization_document(svc.organization),
    }
    for key, value in (("minimum_age", svc.min_age), ("maximum_age", svc.max_age)):
        if value is not None:
            doc[key] = value
    if svc.last_verified:
        doc["assured_date"] = svc.last_verified.isoformat()
    # sensitive services (GBV, child protection) never publish their sites
    for site in sorted([] if svc.sensitive else svc.sites,
                       key=lambda s: (s.admin3_pcode or "", s.id)):
        point = to_shape(site.geom)
        key = f"{point.x:.6f},{point.y:.6f},{site.name_en}"
        lid = _id("location", sid, key)
        loc = {"id": lid, "location_type": "physical", "name": site.name_en or site.name_ar,
               "alternate_name": site.name_ar, "description": site.address_en,
               "latitude": round(point.y, 6), "longitude": round(point.x, 6)}
        if site.admin3_pcode:
            loc["external_identifier"] = site.admin3_pcode
            loc["external_identifier_type"] = "ocha_pcode"
        doc["service_at_locations"].append(
            {"id": _id("service_at_location", sid, key), "service_id": sid,
             "location_id": lid, "location": loc})
    return doc


def _extents(session: Session, pcodes: set[str]) -> dict[str, str]:
    if not pcodes:
        return {}
    rows = session.execute(select(
        AdminArea.pcode, func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(AdminArea.geom,
                                                                            0.01), 4))
        .where(AdminArea.pcode.in_(pcodes), AdminArea.geom.is_not(None)))
    return dict(rows.all())


BATCH = 500  # services (or organisations) read, written and released at a time

# Each CSV table's columns: every key its rows may have, id first (the data package's schema).
TABLE_FIELDS = {t: ["id", *sorted(f)] for t, f in (
    ("organizations", ("name", "alternate_name", "description", "email", "website")),
    ("services", ("organization_id", "name", "alternate_name", "description", "status",
                  "eligibility_description", "minimum_age", "maximum_age", "assured_date")),
    ("service_areas", ("service_id", "name", "description", "uri", "extent", "extent_type")),
    ("locations", ("location_type", "name", "alternate_name", "description", "latitude",
                   "longitude", "external_identifier", "external_identifier_type")),
    ("service_at_locations", ("service_id", "location_id")),
    ("schedules", ("service_id", "freq", "byday", "opens_at", "closes_at")),
    ("languages", ("service_id", "code")),
    ("attributes", ("link_id", "link_type", "link_entity", "taxonomy_term_id", "value")),
    ("taxonomy_terms", ("code", "name", "description", "taxonomy")),
    ("required_documents", ("service_id", "document")))}


def _batches(session: Session, model: type[Service] | type[Organization], options: tuple,
             batch: int) -> Iterator[list]:
    """Rows of verified organisations (``model`` Service or Organization) by uuid, ``batch``
    at a time: keyset pages, each loaded with ``options`` and released before the next."""
    shown = select(model).join(Service.organization) if model is Service else select(model)
    shown = shown.where(Organization.verified).order_by(model.uuid).limit(batch)
    last = None
    while True:
        page = session.scalars((shown if last is None else shown.where(model.uuid > last))
                               .options(*options)).all()
        if not page:
            return
        yield list(page)
        last = page[-1].uuid
        session.expunge_all()  # the page's objects go; memory stays bounded by ``batch``


_SERVICE_LOADS = (selectinload(Service.organization), selectinload(Service.service_type),
                  selectinload(Service.target_groups), selectinload(Service.coverage),
                  selectinload(Service.sites), selectinload(Service.hours))


@dataclass(frozen=True)
class Flavour:
    """One HSDS version's export: its documents (made from the same rows) and CSV tables."""

    version: str
    service_doc: Callable[[Service, dict[str, str]], dict]
    org_doc: Callable[[Organization], dict]
    tables: dict[str, tuple[str, str]]  # our table -> (HSDS resource name, file name)
    fields: dict[str, list[str]]  # our table -> its columns


HSDS30 = Flavour("3.0.0", service_document, organization_document, TABLES, TABLE_FIELDS)


class _Tables:
    """The CSV tables, written row by row to files in ``folder`` (never held in memory)."""

    def __init__(self, folder: Path, flavour: Flavour) -> None:
        self.folder = folder
        self.files = {t: (folder / file).open("w", encoding="utf-8", newline="")
                      for t, (_name, file) in flavour.tables.items()}
        self.writers = {t: csv.DictWriter(f, fieldnames=flavour.fields[t])
                        for t, f in self.files.items()}
        for writer in self.writers.values():
            writer.writeheader()

    def add(self, table: str, *rows: dict) -> None:
        self.writers[table].writerows({k: neutralize(v) if isinstance(v, str) else v
                                       for k, v in r.items()} for r in rows)

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def _write_service(tables: _Tables, doc: dict, terms: dict[str, dict],
                   units: dict[str, dict]) -> None:
    """One service document's rows in the CSV tables (its taxonomy terms kept in ``terms``,
    the units of its capacities in ``units``)."""
    tables.add("services", _flat(doc))
    for table in ("service_areas", "schedules", "languages", "required_documents"):
        tables.add(table, *doc[table])
    for sal in doc["service_at_locations"]:
        tables.add("locations", sal["location"])
        tables.add("service_at_locations", {k: v for k, v in sal.items() if k != "location"})
    for att in doc["attributes"]:
        terms[att["taxonomy_term"]["id"]] = att["taxonomy_term"]
        tables.add("attributes", {k: v for k, v in att.items() if k != "taxonomy_term"})
    for cap in doc.get("capacities", []):  # HSDS 3.1
        units[cap["unit"]["id"]] = _flat(cap["unit"])
        tables.add("service_capacities", {**_flat(cap), "service_id": doc["id"],
                                          "unit_id": cap["unit"]["id"]})
    _write_urls(tables, doc, "additional_urls", "service_id")


def _flat(doc: dict) -> dict:
    """A document's own fields, without its nested objects and arrays (one CSV row)."""
    return {k: v for k, v in doc.items() if not isinstance(v, list | dict)}


def _write_urls(tables: _Tables, doc: dict, key: str, link: str) -> None:
    """HSDS 3.1: a document's url objects (``additional_urls``/``additional_websites``) as
    rows of the ``url`` table, linked to the document by ``link``."""
    if doc.get(key):
        tables.add("urls", *({**u, link: doc["id"]} for u in doc[key]))


def _export(session: Session, put: Callable[[str, bytes | Path], None], *,
            batch: int, flavour: Flavour) -> dict[str, int]:
    """Every export member through ``put(name, bytes or file)``, read ``batch`` services at
    a time on a session of its own (in the caller's transaction): a national directory is
    never held in memory, only one page of it and the small taxonomy."""
    session.flush()
    counts = {"organizations": 0, "services": 0}
    terms: dict[str, dict] = {}
    units: dict[str, dict] = {}
    extents: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, \
            Session(bind=session.connection(), autoflush=False) as reader:
        tables = _Tables(Path(tmp), flavour)
        try:
            for page in _batches(reader, Service, _SERVICE_LOADS, batch):
                new = {a.pcode for s in page for a in s.coverage} - set(extents)
                extents.update(_extents(reader, new))  # one per admin area: bounded
                for svc in page:
                    doc = flavour.service_doc(svc, extents)
                    put(f"services/{doc['id']}.json", _json(doc))
                    _write_service(tables, doc, terms, units)
                counts["services"] += len(page)
            for page in _batches(reader, Organization, (), batch):
                for org in page:
                    doc = flavour.org_doc(org)
                    put(f"organizations/{doc['id']}.json", _json(doc))
                    tables.add("organizations", _flat(doc))
                    _write_urls(tables, doc, "additional_websites", "organization_id")
                counts["organizations"] += len(page)
            tables.add("taxonomy_terms", *sorted(terms.values(), key=lambda t: t["id"]))
            if "units" in flavour.tables:
                tables.add("units", *sorted(units.values(), key=lambda u: u["id"]))
        finally:
            tables.close()
        resources = []
        for table, (name, file) in flavour.tables.items():
            put(f"csv/{file}", Path(tmp) / file)
            resources.append({"name": name, "path": f"csv/{file}",
                              "profile": "tabular-data-resource",
                              "schema": {"fields": [{"name": f} for f in flavour.fields[table]],
                                         "primaryKey": "id"}})
    put("datapackage.json", _json({"name": "tasharuk", "profile": "tabular-data-package",
                                   "version": flavour.version, "resources": resources}))
    return counts


def export_hsds(session: Session, folder: Path, *, batch: int | None = None,
                flavour: Flavour = HSDS30) -> dict[str, int]:
    """Write ``organizations/*.json``, ``services/*.json`` and a CSV data package
    (``csv/*.csv`` + ``datapackage.json``) to ``folder``: verified organisations and their
    services only (pending, rejected and suspended ones are never shown to others); HSDS 3.0,
    or another ``flavour`` (3.1: ``data.io.hsds31``)."""
    folder = Path(folder)
    for sub in ("services", "organizations", "csv"):
        (folder / sub).mkdir(parents=True, exist_ok=True)

    def put(name: str, data: bytes | Path) -> None:
        if isinstance(data, Path):
            shutil.copyfile(data, folder / name)
        else:
            (folder / name).write_bytes(data)

    return _export(session, put, batch=batch or BATCH, flavour=flavour)


def export_hsds_zip(session: Session, path: Path, *, batch: int | None = None,
                    flavour: Flavour = HSDS30) -> dict[str, int]:
    """The same export as one zip file at ``path``, its members written as they are made."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, data: bytes | Path) -> None:
            if isinstance(data, Path):
                zf.write(data, name)
            else:
                zf.writestr(name, data)

        return _export(session, put, batch=batch or BATCH, flavour=flavour)


def _json(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


# ---------------------------------------------------------------- checks (our own)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
STATUSES = ("active", "inactive", "defunct", "temporarily closed")

# entity -> (required fields, {field: kind}, {array field: entity}, {object field: entity})
SPEC: dict[str, tuple[tuple[str, ...], dict[str, str], dict[str, str], dict[str, str]]] = {
    "service": (("id", "name", "status"),
                {"id": "uuid", "organization_id": "uuid", "name": "str", "url": "uri",
                 "email": "email", "status": "status", "minimum_age": "num",
                 "maximum_age": "num", "assured_date": "date", "assurer_email": "email",
                 "description": "str", "alternate_name": "str"},
                {"schedules": "schedule", "service_areas": "service_area",
                 "service_at_locations": "service_at_location", "languages": "language",
                 "attributes": "attribute", "phones": "phone", "contacts": "contact",
                 "required_documents": "required_document",
                 "capacities": "service_capacity", "additional_urls": "url"},
                {"organization": "organization"}),
    "organization": (("id", "name", "description"),
                     {"id": "uuid", "name": "str", "description": "str", "email": "email",
                      "website": "uri", "logo": "uri", "uri": "uri",
                      "parent_organization_id": "uuid", "year_incorporated": "num"},
                     {"phones": "phone", "contacts": "contact", "services": "service",
                      "locations": "location", "additional_websites": "url"}, {}),
    "schedule": (("id",), {"id": "uuid", "service_id": "uuid", "freq": "freq",
                           "opens_at": "time", "closes_at": "time", "valid_from": "date",
                           "valid_to": "date", "dtstart": "date", "schedule_link": "uri",
                           "wkst": "day"}, {}, {}),
    "service_area": (("id",), {"id": "uuid", "service_id": "uuid", "extent": "str",
                               "uri": "str", "name": "str"}, {}, {}),
    "service_at_location": (("id",), {"id": "uuid", "service_id": "uuid",
                                      "location_id": "uuid"},
                            {"schedules": "schedule", "phones": "phone",
                             "contacts": "contact"},
                            {"location": "location", "service": "service"}),
    "location": (("id", "location_type"),
                 {"id": "uuid", "location_type": "location_type", "url": "uri",
                  "latitude": "num", "longitude": "num"}, {}, {}),
    "language": (("id",), {"id": "uuid", "service_id": "uuid", "code": "str"}, {}, {}),
    "attribute": (("id",), {"id": "uuid", "link_id": "uuid", "taxonomy_term_id": "uuid"}, {},
                  {"taxonomy_term": "taxonomy_term"}),
    "taxonomy_term": (("id", "name", "description"),
                      {"id": "uuid", "name": "str", "term_uri": "uri", "parent_id": "uuid",
                       "taxonomy_id": "uuid"}, {}, {"taxonomy_detail": "taxonomy"}),
    "taxonomy": (("id", "name", "description"),
                 {"id": "uuid", "name": "str", "uri": "uri"}, {}, {}),
    "phone": (("id", "number"), {"id": "uuid", "number": "str"}, {}, {}),
    "contact": (("id",), {"id": "uuid", "email": "email"}, {}, {}),
    "required_document": (("id",), {"id": "uuid", "document": "str", "uri": "uri"}, {}, {}),
    # HSDS 3.1
    "service_capacity": (("id", "unit", "available", "updated"),
                         {"id": "uuid", "service_id": "uuid", "unit_id": "uuid",
                          "available": "num", "maximum": "num", "description": "str",
                          "updated": "datetime"}, {"attributes": "attribute"},
                         {"unit": "unit"}),
    "unit": (("id", "name"), {"id": "uuid", "name": "str", "uri": "uri"}, {}, {}),
    "url": (("id", "url"), {"id": "uuid", "url": "uri", "label": "str",
                            "organization_id": "uuid", "service_id": "uuid"}, {}, {}),
}


def _pattern_problem(kind: str) -> str:
    """What a value of ``kind`` (uuid, email, uri, date, time) that does not match must be."""
    if kind == "uuid":
        return _("must be a UUID")
    if kind == "email":
        return _("must be an email address")
    if kind == "uri":
        return _("must be an absolute URI")
    if kind == "date":
        return _("must be YYYY-MM-DD")
    if kind == "datetime":
        return _("must be a date and time with its offset (RFC 3339)")
    return _("must be a time HH:MM")


def _kind_problem(kind: str, value: object) -> str | None:
    if kind == "num":
        return None if isinstance(value, int | float) and not isinstance(value, bool) \
            else _("must be a number")
    if not isinstance(value, str):
        return _("must be a string")
    checks = {"uuid": _UUID, "email": _EMAIL, "uri": _URI, "date": _DATE, "time": _TIME,
              "datetime": _DATETIME}
    if kind in checks:
        return None if checks[kind].match(value) else _pattern_problem(kind)
    enums = {"status": STATUSES, "freq": ("WEEKLY", "MONTHLY"), "day": DAYS,
             "location_type": ("physical", "postal", "virtual")}
    if kind in enums and value not in enums[kind]:
        return _("must be one of %(values)s", values=", ".join(enums[kind]))
    return None


def check(entity: str, doc: object, where: str = "") -> list[str]:
    """Every broken field of an HSDS object, as ``path: problem`` messages."""
    where = where or entity
    if not isinstance(doc, dict):
        return [f"{where}: " + _("must be an object")]
    required, kinds, arrays, objects = SPEC[entity]
    errors = [f"{where}.{f}: " + _("is required") for f in required
              if doc.get(f) in (None, "")]
    for f, kind in kinds.items():
        if doc.get(f) is not None and (p := _kind_problem(kind, doc[f])):
            errors.append(f"{where}.{f}: " + _("%(problem)s (got %(value)s)", problem=p,
                                                 value=repr(doc[f])))
    for f, sub in arrays.items():
        if f in doc and doc[f] is not None:
            if not isinstance(doc[f], list):
                errors.append(f"{where}.{f}: " + _("must be an array"))
                continue
            for i, item in enumerate(doc[f]):
                errors += check(sub, item, f"{where}.{f}[{i}]")
    for f, sub in objects.items():
        if doc.get(f) is not None:
            errors += check(sub, doc[f], f"{where}.{f}")
    return errors


def check_service(doc: object) -> list[str]:
    """The broken fields of one HSDS service document."""
    return check("service", doc)


# ---------------------------------------------------------------- import

def _entity(path: Path, item: object) -> str:
    """Which HSDS object a document holds: from its folder or file name (``service_full``,
    ``organization_list``, ``taxonomy_term``), else service when it has a status."""
    for name in (path.parent.name.rstrip("s"), path.stem.removesuffix("_full")
                 .removesuffix("_list")):
        if name in SPEC or name == "taxonomy":
            return name
    return "service" if isinstance(item, dict) and "status" in item else "organization"


def _documents(path: Path) -> list[tuple[str, str, dict]]:
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    docs = []
    for f in files:
        if f.name in ("datapackage.json", "api_details.json"):
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(_("%(name)s: not JSON (%(why)s).", name=f.name, why=exc),
                           field=f.name) from None
        # a paged list response (total_items, contents, ...) or one object
        items = data.get("contents", [data]) if isinstance(data, dict) else data
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            where = f"{f.name}" + (f" contents[{i}]" if isinstance(data, dict)
                                   and "contents" in data else "")
            docs.append((where, _entity(f, item), item))
    return docs


def _on_earth(loc: dict) -> bool:
    """A location with usable WGS84 coordinates (others are not turned into sites)."""
    lat, lon = loc.get("latitude"), loc.get("longitude")
    return isinstance(lat, int | float) and isinstance(lon, int | float) and \
        -90 <= lat <= 90 and -180 <= lon <= 180


def _read_capacity(svc: Service, doc: dict, name: str) -> None:
    """HSDS 3.1: the capacity in people per month (``maximum``, else ``available``) and the
    availability (our attribute, else full when none is available); other units are not ours
    and are left aside, as is a document without capacities (HSDS 3.0)."""
    cap = next((c for c in doc.get("capacities") or []
                if c["unit"].get("identifier") == UNIT_PEOPLE_MONTH["identifier"]), None)
    if cap is None:
        return
    value = cap.get("maximum", cap["available"])
    if not 0 <= value <= 1_000_000:
        raise BadInput(_("%(name)s: service %(id)s: capacities.maximum must be between 0 and "
                         "1000000 (got %(value)s).", name=name, id=doc["id"], value=value),
                       field="capacities")
    svc.capacity_per_month = int(value)
    declared = next((a["taxonomy_term"]["code"] for a in cap.get("attributes") or []
                     if a.get("taxonomy_term", {}).get("taxonomy") == TAX_AVAILABILITY), None)
    svc.availability = declared if declared in AVAILABILITY else \
        "full" if cap["available"] <= 0 else "open"


def import_hsds(session: Session, path: Path) -> dict[str, int]:
    """Import HSDS 3.0 or 3.1 organisation and service documents (upsert by id). Every document is
    checked first; any broken field raises BadInput naming all of them and nothing is written.
    """
    path = Path(path)
    docs = _documents(path)
    errors = [f"{name}: {e}" for name, kind, doc in docs for e in check(kind, doc)]
    if not docs:
        raise BadInput(_("%(name)s: no HSDS documents found.", name=path.name),
                       field="path")
    if errors:
        raise BadInput(_("%(n)s broken field(s): %(errors)s", n=len(errors),
                         errors="; ".join(errors[:20])),
                       details={"errors": errors})
    counts = {"organizations": 0, "services": 0}
    types = {t.code for t in session.scalars(select(ServiceType))}
    taxonomy = Taxonomy(session)
    groups = {g.code: g for g in session.scalars(select(TargetGroup))}
    org_docs = {d["id"]: d for _where, k, d in docs if k == "organization"}
    for _where, k, d in docs:
        if k == "service" and d.get("organization"):
            org_docs.setdefault(d["organization"]["id"], d["organization"])
    orgs: dict[str, Organization] = {}
    for oid, d in org_docs.items():
        org = session.scalar(select(Organization).where(Organization.uuid == uuid.UUID(oid)))
        if org is None:
            org = Organization(uuid=uuid.UUID(oid), verification="pending")
            session.add(org)
            counts["organizations"] += 1
        org.name_en = d["name"]
        org.name_ar = d.get("alternate_name") or d["name"]
        org.description_en = d.get("description", "") if d.get("description") != d["name"] \
            else ""
        org.email, org.website = d.get("email"), d.get("website")
        org.search_text = organization_search_text(org)
        orgs[oid] = org
    session.flush()
    for name, k, d in docs:
        if k != "service":
            continue
        atts = d.get("attributes", [])
        type_code = next((a["taxonomy_term"]["code"] for a in atts
                          if a.get("taxonomy_term", {}).get("taxonomy") == TAX_TYPES), None)
        if type_code not in types:  # another directory's data: our taxonomy's keywords
            type_code = taxonomy.match(f"{d['name']} {d.get('description') or ''}", None,
                                       None).code
        if type_code not in types:
            raise BadInput(_("%(name)s: service %(id)s has no service type: give a "
                             "%(taxonomy)s attribute, or words of our taxonomy in its name.",
                             name=name, id=d["id"], taxonomy=TAX_TYPES), field="attributes")
        oid = d.get("organization_id") or d.get("organization", {}).get("id")
        if oid not in orgs:
            raise BadInput(_("%(name)s: organization %(id)s is not in the data.", name=name,
                             id=oid),
                           field="organization_id")
        svc = session.scalar(select(Service).where(Service.uuid == uuid.UUID(d["id"])))
        if svc is None:
            svc = Service(uuid=uuid.UUID(d["id"]))
            session.add(svc)
            counts["services"] += 1
        svc.organization = orgs[oid]
        svc.service_type_code = type_code
        svc.name_en, svc.name_ar = d["name"], d.get("alternate_name") or d["name"]
        svc.description_en = d.get("description", "") if d.get("description") != d["name"] \
            else ""
        svc.status = d["status"]
        svc.min_age, svc.max_age = d.get("minimum_age"), d.get("maximum_age")
        svc.last_verified = dt.date.fromisoformat(d["assured_date"]) \
            if d.get("assured_date") else None
        svc.languages = [x["code"] for x in d.get("languages", []) if x.get("code")] or ["ar"]
        svc.documents_required = [x["document"] for x in d.get("required_documents", [])]
        elig = {a["taxonomy_term"]["code"]: a.get("value") for a in atts
                if a.get("taxonomy_term", {}).get("taxonomy") == TAX_ELIG}
        svc.sex = elig.get("sex") or "any"
        svc.nationalities = [x for x in (elig.get("nationality") or "").split("|") if x]
        _read_capacity(svc, d, name)
        with session.no_autoflush:
            svc.target_groups = [groups[a["taxonomy_term"]["code"]] for a in atts
                                 if a.get("taxonomy_term", {}).get("taxonomy") == TAX_GROUPS
                                 and a["taxonomy_term"]["code"] in groups]
            pcodes = [a["uri"][len(URI_PREFIX):] for a in d.get("service_areas", [])
                      if str(a.get("uri", "")).startswith(URI_PREFIX)]
            areas = [session.get(AdminArea, p) for p in pcodes]
            missing = [p for p, a in zip(pcodes, areas, strict=True) if a is None]
            if missing:
                raise BadInput(_("%(name)s: unknown p-code(s) in service_areas: %(codes)s.",
                                 name=name, codes=", ".join(missing)), field="service_areas")
            svc.coverage = areas
        svc.sites = [ServiceSite(
            name_en=s["location"].get("name") or "", name_ar=s["location"].get(
                "alternate_name") or "", address_en=s["location"].get("description") or "",
            geom=from_shape(Point(s["location"]["longitude"], s["location"]["latitude"]),
                            srid=4326),
            admin3_pcode=s["location"].get("external_identifier"))
            for s in d.get("service_at_locations", []) if _on_earth(s.get("location") or {})]
        svc.hours = [OpeningPeriod(weekday=DAYS.index(day.strip()) + 1,
                                   opens=dt.time.fromisoformat(h["opens_at"]),
                                   closes=dt.time.fromisoformat(h["closes_at"]))
                     for h in d.get("schedules", []) if h.get("opens_at") and h.get("closes_at")
                     for day in str(h.get("byday") or "").split(",") if day.strip() in DAYS]
        svc.search_text = service_search_text(svc, orgs[oid], taxonomy.types.get(type_code))
    session.flush()
    return counts
