"""Directory use cases: organisations and services created, edited, shown; stale reminders.

Every write checks who may make it (platform admins anything, organisation admins their own
organisation), validates the whole input before touching a row (BadInput names the field),
keeps ``search_text`` filled (Arabic-normalised names, acronym, descriptions, keywords in both
languages) and writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from data import fields
from data.audit import record
from data.errors import BadInput, Forbidden, NotFound
from data.members import org_admins
from data.models import (
    AVAILABILITY,
    COSTS,
    FRONT_GATES,
    MODALITIES,
    REFERRAL_METHODS,
    REVIEW_CADENCES,
    SEXES,
    STATUSES,
    AdminArea,
    OpeningPeriod,
    Organization,
    Service,
    ServiceSite,
    ServiceType,
    TargetGroup,
)
from data.searchtext import organization_search_text, refresh_organization, refresh_service
from matching import wording
from network.freshness import freshness, overdue_counts
from referral.confidential import site_exact
from referral.crypto import configured_cipher, seal
from referral.measured import measured_figures
from referral.notify import notify
from referral.search import Viewer, check_point, resolve_area
from textmatch.arabic import normalize

__all__ = [
    "ORG_INPUT",
    "SERVICE_FIELDS",
    "SERVICE_INPUT",
    "can_edit",
    "create_organization",
    "create_service",
    "get_organization",
    "get_service",
    "list_organizations",
    "remind_stale",
    "service_detail",
    "service_view",
    "update_organization",
    "update_service",
    "verify_service",
]

TEXT_FIELDS = ("name_ar", "name_en", "description_ar", "description_en", "cost_note",
               "referral_contact", "what_to_bring_ar", "what_to_bring_en", "next_step_ar",
               "next_step_en")
SERVICE_FIELDS = TEXT_FIELDS + (
    "service_type_code", "min_age", "max_age", "sex", "documents_required", "nationalities",
    "capacity_per_month", "availability", "languages", "modality", "cost", "referral_method",
    "sensitive", "status", "response_days", "last_verified", "target_groups", "coverage",
    "sites", "hours", "review_every_days")
ORG_FIELDS = ("name_ar", "name_en", "acronym", "description_ar", "description_en", "email",
              "phone", "website", "hq_pcode")
# The service and organisation fields read by clean_service/clean_organization, declared once:
# the checks and the OpenAPI document's ServiceInput/OrganizationInput come from these.
SERVICE_INPUT: dict[str, fields.Field] = {
    **{name: fields.Field("text") for name in TEXT_FIELDS},
    "min_age": fields.Field("number", lo=0, hi=120),
    "max_age": fields.Field("number", lo=0, hi=120,
                            description="not below min_age"),
    "capacity_per_month": fields.Field("number", lo=0, hi=1_000_000),
    "response_days": fields.Field("number", lo=1, hi=365),
    "sex": fields.Field("choice", values=SEXES),
    "availability": fields.Field("choice", values=AVAILABILITY),
    "modality": fields.Field("choice", values=MODALITIES),
    "cost": fields.Field("choice", values=COSTS),
    "referral_method": fields.Field("choice", values=REFERRAL_METHODS),
    "status": fields.Field("choice", values=STATUSES),
    "documents_required": fields.Field("list"),
    "nationalities": fields.Field("list"),
    "languages": fields.Field("list", pattern="^[a-z]{2,3}$", message=_l(
        "Languages are two- or three-letter codes such as ar, en, ku.")),
    "sensitive": fields.Field("flag"),
    "last_verified": fields.Field("date"),
}
ORG_INPUT: dict[str, fields.Field] = {
    "name_ar": fields.Field("text"), "name_en": fields.Field("text"),
    "acronym": fields.Field("text", max_len=40),
    "description_ar": fields.Field("text"), "description_en": fields.Field("text"),
    "email": fields.Field("text", pattern=f"^[^@\\s{fields.CONTROL}]+@[^@\\s{fields.CONTROL}]+"
                                          f"\\.[^@\\s{fields.CONTROL}]+$",
                          message=_l("This email address is not valid.")),
    "phone": fields.Field("text"),
    "website": fields.Field("text", pattern=f"^https?://[^{fields.CONTROL}]*$", message=_l(
        "The website must start with http:// or https://.")),
}
WEEKDAYS = range(1, 8)  # ISO: 5 Friday and 6 Saturday are the weekend
REMIND_EVERY_DAYS = 7


# ------------------------------------------------------------------ access


def can_edit(viewer: Viewer, organization_id: int) -> bool:
    """Platform admins edit every organisation; organisation admins only their own."""
    if viewer.role == "platform_admin":
        return True
    return viewer.role == "org_admin" and viewer.organization_id == organization_id


def _require_edit(viewer: Viewer, organization_id: int) -> None:
    if not can_edit(viewer, organization_id):
        raise Forbidden(_("Only this organisation's administrators may change it."))


# ------------------------------------------------------------------ search text


# ------------------------------------------------------------------ validation helpers


def _time(value: str, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput(_("%(field)s: times are written like 08:00.", field=name),
                       field=name) from None


def parse_hours(value: Any, name: str = "hours") -> list[tuple[int, dt.time, dt.time]]:
    """Opening periods from ``[{"weekday", "opens", "closes"}]`` or lines ``5 08:00-12:00``."""
    if isinstance(value, str):
        value = [v for v in value.splitlines() if v.strip()]
    out = []
    for item in value or []:
        if isinstance(item, str):
            m = re.fullmatch(r"\s*([1-7])\s+(\S+)\s*-\s*(\S+)\s*", item)
            if not m:
                raise BadInput(_("%(field)s: write each period as weekday 1-7 and times, "
                                 "e.g. 7 08:00-12:00.", field=name), field=name)
            weekday, opens, closes = int(m[1]), m[2], m[3]
        elif isinstance(item, Mapping):
            weekday, opens, closes = item.get("weekday"), item.get("opens"), item.get("closes")
        else:
            raise BadInput(_("%(field)s must be a list of periods.", field=name), field=name)
        if weekday not in WEEKDAYS:
            raise BadInput(_("%(field)s: the weekday must be 1 (Monday) to 7 (Sunday).",
                             field=name), field=name)
        t1, t2 = _time(opens, name), _time(closes, name)
        if t1 >= t2:
            raise BadInput(_("%(field)s: a period must close after it opens.", field=name),
                           field=name)
        out.append((int(weekday), t1, t2))
    out.sort()
    for (d1, _o1, c1), (d2, o2, _c2) in zip(out, out[1:], strict=False):
        if d1 == d2 and o2 < c1:
            raise BadInput(_("%(field)s: periods of the same day overlap.", field=name),
                           field=name)
    return out


def _sites(session: Session, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise BadInput(_("sites must be a list."), field="sites")
    out = []
    for n, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise BadInput(_("sites must be a list."), field="sites")
        where = f"sites[{n}]"
        lon, lat = _point(item, where)
        site = {"lon": lon, "lat": lat,
                 "admin3_pcode": _admin3(session, lon, lat, item.get("admin3_pcode"), where),
                 **{k: str(item.get(k) or "").strip()[:500]
                    for k in ("name_ar", "name_en", "address_ar", "address_en")},
                 "confidential": bool(fields.boolean(
                     {f"{where}.confidential": item.get("confidential", False)},
                     f"{where}.confidential"))}
        if site["confidential"]:
            site = _behind_gate(session, site, item.get("front_gate"), where)
        out.append(site)
    return out


def _point(item: Mapping, where: str) -> tuple[float, float]:
    """``item``'s finite longitude and latitude; BadInput naming ``where`` otherwise."""
    try:
        lon, lat = float(item["lon"]), float(item["lat"])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise BadInput(_("%(field)s needs a latitude and a longitude.", field=where),
                       field=where) from None
    return lon, lat


def _admin3(session: Session, lon: float, lat: float, given: Any, where: str) -> str | None:
    """The sub-district of a point inside Syria: ``given`` when named, else the one found."""
    area = check_point(session, lon, lat, lon_field=f"{where}.lon", lat_field=f"{where}.lat")
    if given:
        return resolve_area(session, str(given), f"{where}.admin3_pcode")
    if area:
        level = session.scalar(select(AdminArea.level).where(AdminArea.pcode == area))
        return area if level == 3 else None
    return None


EXACT_KEYS = ("lon", "lat", "admin3_pcode", "address_ar", "address_en")


def _behind_gate(session: Session, site: dict[str, Any], gate: Any,
                 where: str) -> dict[str, Any]:
    """A confidential site: its exact point and address sealed, its public point and address
    replaced by the front gate (a meeting point, or the sub-district's centre and name).
    Refused, naming ``<where>.front_gate``, when the gate is missing or unusable."""
    name = f"{where}.front_gate"
    exact = {k: site[k] for k in EXACT_KEYS}
    if gate == "subdistrict":
        area = session.get(AdminArea, site["admin3_pcode"]) if site["admin3_pcode"] else None
        if area is None or area.centroid is None:
            raise BadInput(_("%(field)s: this site's sub-district is not known; give a meeting "
                             "point as its front gate.", field=name), field=name)
        centre = to_shape(area.centroid)
        public = {"lon": centre.x, "lat": centre.y, "admin3_pcode": area.pcode,
                  "address_ar": area.name_ar, "address_en": area.name_en}
    elif isinstance(gate, Mapping) and gate:
        lon, lat = _point(gate, name)
        public = {"lon": lon, "lat": lat,
                  "admin3_pcode": _admin3(session, lon, lat, None, name),
                  **{k: str(gate.get(k) or "").strip()[:500]
                     for k in ("address_ar", "address_en")}}
        if abs(lon - exact["lon"]) < 1e-4 and abs(lat - exact["lat"]) < 1e-4:
            raise BadInput(_("%(field)s: the meeting point must not be the site itself.",
                             field=name), field=name)
    elif gate in (None, "", {}):
        raise BadInput(_("%(field)s: a confidential site needs a front gate: a meeting point "
                         "or its sub-district.", field=name), field=name)
    else:
        raise BadInput(_("%(field)s must be \"subdistrict\" or a meeting point with a "
                         "latitude and a longitude.", field=name), field=name)
    sealed = seal(configured_cipher(), json.dumps(exact, sort_keys=True), f"{where}.confidential")
    return {**site, **public, "front_gate": FRONT_GATES[0 if isinstance(gate, Mapping) else 1],
            "exact": exact, "exact_enc": sealed}


def clean_service(session: Session, data: Mapping, *, creating: bool,
                  today: dt.date | None = None, current: Service | None = None) -> dict[str, Any]:
    """Check a service's fields (all, or those present when editing ``current``, against its
    stored values where two must agree); BadInput names the field."""
    today = today or dt.date.today()
    unknown = sorted(set(data) - set(SERVICE_FIELDS))
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    out: dict[str, Any] = {}
    for name, field in SERVICE_INPUT.items():
        if name in data:
            value = field.read(data, name, today=today)
            if value is not None or field.kind in ("number", "date"):
                out[name] = value
    if creating or "name_ar" in data or "name_en" in data:
        name_ar = out.get("name_ar", data.get("name_ar") or "")
        name_en = out.get("name_en", data.get("name_en") or "")
        if not name_ar and not name_en:
            raise BadInput(_("Give the service a name (Arabic or English)."), field="name_ar")
    if "service_type_code" in data or creating:
        code = str(data.get("service_type_code") or "")
        if not code:
            raise BadInput(_("Choose a service type."), field="service_type_code")
        if session.get(ServiceType, code) is None:
            raise BadInput(_("Unknown service type: %(value)s.", value=code),
                           field="service_type_code")
        out["service_type_code"] = code
    # an edit that sends one bound meets the other as stored (a minimum of 86 sent alone onto
    # a maximum of 0 was the database's constraint error, a 500)
    low = out["min_age"] if "min_age" in out else getattr(current, "min_age", None)
    high = out["max_age"] if "max_age" in out else getattr(current, "max_age", None)
    if low is not None and high is not None and low > high:
        raise BadInput(_("The minimum age cannot be above the maximum age."),
                       field="max_age" if "max_age" in out else "min_age")
    if "response_days" in out and out["response_days"] is None:
        del out["response_days"]
    cadence = fields.choice(data, "review_every_days", [str(c) for c in REVIEW_CADENCES])
    if cadence is not None:
        out["review_every_days"] = int(cadence)
    groups = fields.text_list(data, "target_groups")
    if groups is not None:
        known = set(session.scalars(select(TargetGroup.code)))
        for g in groups:
            if g not in known:
                raise BadInput(_("Unknown target group: %(value)s.", value=g),
                               field="target_groups")
        out["target_groups"] = sorted(set(groups))
    coverage = fields.text_list(data, "coverage")
    if coverage is not None:
        out["coverage"] = sorted({resolve_area(session, c, "coverage") for c in coverage})
    if "sites" in data:
        out["sites"] = _sites(session, data["sites"])
    if "hours" in data:
        out["hours"] = parse_hours(data["hours"])
    return out


# ------------------------------------------------------------------ services


def _apply(session: Session, svc: Service, clean: dict[str, Any]) -> None:
    for name, value in clean.items():
        if name in ("target_groups", "coverage", "sites", "hours"):
            continue
        setattr(svc, name, value)
    if not svc.name_ar:
        svc.name_ar = svc.name_en
    if not svc.name_en:
        svc.name_en = svc.name_ar
    with session.no_autoflush:
        if "target_groups" in clean:
            svc.target_groups = [session.get(TargetGroup, g) for g in clean["target_groups"]]
        if "coverage" in clean:
            svc.coverage = [session.get(AdminArea, p) for p in clean["coverage"]]
        if "sites" in clean:
            svc.sites = [ServiceSite(geom=from_shape(Point(s["lon"], s["lat"]), srid=4326),
                                     admin3_pcode=s["admin3_pcode"], name_ar=s["name_ar"],
                                     name_en=s["name_en"], address_ar=s["address_ar"],
                                     address_en=s["address_en"],
                                     confidential=s["confidential"],
                                     front_gate=s.get("front_gate"),
                                     exact_enc=s.get("exact_enc")) for s in clean["sites"]]
        if "hours" in clean:
            svc.hours = [OpeningPeriod(weekday=d, opens=o, closes=c)
                         for d, o, c in clean["hours"]]


def create_service(session: Session, organization_id: int, data: Mapping, viewer: Viewer,
                   actor: Any = None) -> Service:
    """A new service of ``organization_id`` (its admins or a platform admin only)."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    _require_edit(viewer, organization_id)
    clean = clean_service(session, data, creating=True)
    if "sensitive" not in clean:
        clean["sensitive"] = bool(session.get(ServiceType, clean["service_type_code"]).sensitive)
    if clean.get("last_verified") is None:  # a new listing is fresh from the day it is made
        clean["last_verified"] = dt.date.today()
    svc = Service(organization=org, name_ar="", name_en="")
    session.add(svc)
    _apply(session, svc, clean)
    refresh_service(session, svc)
    session.flush()
    record(session, "service.create", user=actor, obj=svc, organization_id=org.id,
           summary={"fields": sorted(clean)})
    return svc


def update_service(session: Session, service_id: int, data: Mapping, viewer: Viewer,
                   actor: Any = None) -> Service:
    """Change the fields present in ``data`` (its organisation's admins only)."""
    svc = session.get(Service, service_id)
    if svc is None:
        raise NotFound(_("Service %(id)s does not exist.", id=service_id))
    _require_edit(viewer, svc.organization_id)
    clean = clean_service(session, data, creating=False, current=svc)
    clean = {k: v for k, v in clean.items() if _service_value(svc, k) != _comparable(k, v)}
    if not clean:  # nothing changes: no write, no audit row
        return svc
    _apply(session, svc, clean)
    refresh_service(session, svc)
    session.flush()
    record(session, "service.update", user=actor, obj=svc, organization_id=svc.organization_id,
           summary={"fields": sorted(clean)})
    return svc


_SITE_KEYS = ("admin3_pcode", "name_ar", "name_en", "address_ar", "address_en")


def _exact_key(exact: dict[str, Any] | None) -> str:
    """A confidential site's exact place as one comparable string ("" for other sites)."""
    return json.dumps(exact, sort_keys=True) if exact else ""


def _comparable(name: str, value: Any) -> Any:
    """A cleaned service field in a form that compares equal to ``_service_value``'s."""
    if name in ("target_groups", "coverage"):
        return sorted(value)
    if name == "sites":
        return sorted((float(s["lon"]), float(s["lat"]), *(s.get(k) for k in _SITE_KEYS),
                       s.get("front_gate") or "", _exact_key(s.get("exact"))) for s in value)
    if name == "hours":
        return sorted(tuple(h) for h in value)
    return value


def _service_value(svc: Service, name: str) -> Any:
    """The service's current value of cleaned field ``name``, comparable to ``_comparable``."""
    if name == "target_groups":
        return sorted(g.code for g in svc.target_groups)
    if name == "coverage":
        return sorted(a.pcode for a in svc.coverage)
    if name == "sites":
        out = []
        for site in svc.sites:
            point = to_shape(site.geom)
            out.append((point.x, point.y, *(getattr(site, k) for k in _SITE_KEYS),
                        site.front_gate or "", _exact_key(site_exact(site))))
        return sorted(out)
    if name == "hours":
        return sorted((h.weekday, h.opens, h.closes) for h in svc.hours)
    return getattr(svc, name)


def verify_service(session: Session, service_id: int, viewer: Viewer,
                   actor: Any = None, today: dt.date | None = None) -> Service:
    """Confirm a listing is still right: last verified becomes today."""
    svc = session.get(Service, service_id)
    if svc is None:
        raise NotFound(_("Service %(id)s does not exist.", id=service_id))
    _require_edit(viewer, svc.organization_id)
    svc.last_verified = today or dt.date.today()
    svc.review_requested_at, svc.review_request_reason = None, None
    record(session, "service.verify", user=actor, obj=svc, organization_id=svc.organization_id)
    return svc


def get_service(session: Session, service_id: int, viewer: Viewer | None = None) -> Service:
    """The service with its relations loaded; NotFound when it does not exist or its
    organisation is not shown to ``viewer`` (None: the public; see ``Viewer.sees_org``)."""
    svc = session.scalar(select(Service).where(Service.id == service_id).options(
        selectinload(Service.sites), selectinload(Service.hours),
        selectinload(Service.target_groups), selectinload(Service.coverage),
        selectinload(Service.organization), selectinload(Service.service_type)))
    if svc is None or not (viewer or Viewer()).sees_org(svc.organization_id,
                                                         svc.organization.verification):
        raise NotFound(_("Service %(id)s does not exist.", id=service_id))
    return svc


def service_view(session: Session, svc: Service, viewer: Viewer) -> dict[str, Any]:
    """``service_detail`` with the figures measured from its referrals and the feedback of
    the people served (one statement each)."""
    from network.feedback import feedback_figures

    return service_detail(svc, viewer) | {
        "measured": measured_figures(session, [svc.id])[svc.id].as_json(),
        "feedback": feedback_figures(session, [svc.id], viewer,
                                     {svc.id: svc.organization_id})[svc.id]}


def service_detail(svc: Service, viewer: Viewer, today: dt.date | None = None, *,
                   editing: bool = False) -> dict[str, Any]:
    """Everything about a service as plain data, sensitive sites redacted for ``viewer``;
    confidential sites show their front gate, and their exact place (``exact``) only when
    ``editing`` for one who may edit the service (its admins' form)."""
    today = today or dt.date.today()
    sensitive = bool(svc.sensitive or svc.service_type.sensitive)
    visible = viewer.sees_site(svc.organization_id, sensitive)
    sites = []
    for s in svc.sites:
        pt = to_shape(s.geom)
        sites.append({"id": s.id, "name_ar": s.name_ar, "name_en": s.name_en,
                      "lon": pt.x if visible else None, "lat": pt.y if visible else None,
                      "address_ar": s.address_ar if visible else None,
                      "address_en": s.address_en if visible else None,
                      "admin3_pcode": s.admin3_pcode, "hidden": not visible,
                      "confidential": s.confidential, "front_gate": s.front_gate})
        if editing and s.confidential and can_edit(viewer, svc.organization_id):
            sites[-1]["exact"] = site_exact(s)
    org = svc.organization
    fresh = freshness(svc, today)
    return {
        "id": svc.id, "uuid": str(svc.uuid), "name_ar": svc.name_ar, "name_en": svc.name_en,
        "description_ar": svc.description_ar, "description_en": svc.description_en,
        "organization": {"id": org.id, "name_ar": org.name_ar, "name_en": org.name_en,
                         "acronym": org.acronym, "verified": org.verification == "verified"},
        "service_type": {"code": svc.service_type_code, "name_ar": svc.service_type.name_ar,
                         "name_en": svc.service_type.name_en,
                         "sector": svc.service_type.sector_code},
        "eligibility": {"min_age": svc.min_age, "max_age": svc.max_age, "sex": svc.sex,
                        "target_groups": sorted(g.code for g in svc.target_groups),
                        "documents_required": list(svc.documents_required),
                        "nationalities": list(svc.nationalities)},
        "coverage": [{"pcode": a.pcode, "level": a.level, "name_ar": a.name_ar,
                      "name_en": a.name_en} for a in sorted(svc.coverage,
                                                            key=lambda a: a.pcode)],
        "sites": sites,
        "hours": [{"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"),
                   "closes": h.closes.strftime("%H:%M")} for h in svc.hours],
        "capacity_per_month": svc.capacity_per_month, "availability": svc.availability,
        "languages": list(svc.languages), "modality": svc.modality, "cost": svc.cost,
        "cost_note": svc.cost_note, "referral_method": svc.referral_method,
        "referral_contact": svc.referral_contact, "response_days": svc.response_days,
        "what_to_bring_ar": svc.what_to_bring_ar, "what_to_bring_en": svc.what_to_bring_en,
        "next_step_ar": svc.next_step_ar, "next_step_en": svc.next_step_en,
        "sensitive": sensitive, "status": svc.status,
        "last_verified": svc.last_verified.isoformat() if svc.last_verified else None,
        "stale": fresh.state == "overdue", "freshness": fresh.as_json(),
    }


# ------------------------------------------------------------------ organisations


def clean_organization(session: Session, data: Mapping, *, creating: bool) -> dict[str, Any]:
    """Check an organisation's fields; BadInput names the field."""
    unknown = sorted(set(data) - set(ORG_FIELDS))
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    out: dict[str, Any] = {}
    for name, field in ORG_INPUT.items():
        value = field.read(data, name)
        if value is not None:
            out[name] = value or (None if name in ("acronym", "email", "phone", "website")
                                  else "")
    if creating and not (out.get("name_ar") or out.get("name_en")):
        raise BadInput(_("Give the organisation a name (Arabic or English)."), field="name_ar")
    if data.get("hq_pcode"):
        out["hq_pcode"] = resolve_area(session, str(data["hq_pcode"]), "hq_pcode")
    elif "hq_pcode" in data:
        out["hq_pcode"] = None
    return out


def create_organization(session: Session, data: Mapping, viewer: Viewer,
                        actor: Any = None) -> Organization:
    """A new organisation (platform admins only), pending verification."""
    if viewer.role != "platform_admin":
        raise Forbidden(_("Only platform administrators may add organisations."))
    clean = clean_organization(session, data, creating=True)
    clean.setdefault("name_ar", clean.get("name_en"))
    clean["name_en"] = clean.get("name_en") or clean["name_ar"]
    clean["name_ar"] = clean.get("name_ar") or clean["name_en"]
    org = Organization(verification="pending", **clean)
    session.add(org)
    org.search_text = organization_search_text(org)
    session.flush()
    record(session, "organization.create", user=actor, obj=org, organization_id=org.id,
           summary={"fields": sorted(clean)})
    return org


def update_organization(session: Session, organization_id: int, data: Mapping, viewer: Viewer,
                        actor: Any = None) -> Organization:
    """Change an organisation's profile (its admins or a platform admin)."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    _require_edit(viewer, organization_id)
    clean = clean_organization(session, data, creating=False)
    clean = {k: v for k, v in clean.items() if getattr(org, k) != v}
    if not clean:  # nothing changes: no write, no audit row
        return org
    for name, value in clean.items():
        setattr(org, name, value)
    if not org.name_ar or not org.name_en:
        raise BadInput(_("Give the organisation a name (Arabic or English)."), field="name_ar")
    refresh_organization(session, org)
    session.flush()
    record(session, "organization.update", user=actor, obj=org, organization_id=org.id,
           summary={"fields": sorted(clean)})
    return org


def get_organization(session: Session, organization_id: int,
                     viewer: Viewer | None = None) -> Organization:
    """The organisation; NotFound when it does not exist or is not shown to ``viewer``
    (None: the public): only verified ones are shown to others (``Viewer.sees_org``)."""
    org = session.get(Organization, organization_id)
    if org is None or not (viewer or Viewer()).sees_org(org.id, org.verification):
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    return org


def organization_services(session: Session, organization_id: int) -> list[Service]:
    """The organisation's services, active first, by name."""
    return list(session.scalars(
        select(Service).where(Service.organization_id == organization_id)
        .options(selectinload(Service.service_type), selectinload(Service.coverage))
        .order_by(Service.status != "active", Service.name_ar, Service.id)))


def list_organizations(session: Session, *, q: str | None = None, pcode: str | None = None,
                       verified: bool | None = None, page: int = 1, per_page: int = 20,
                       viewer: Viewer | None = None) -> tuple[list[Organization], int]:
    """Organisations matching a keyword (Arabic-normalised) and present in an area: the
    verified ones, plus, for a platform admin, those waiting (pending), and the viewer's own."""
    viewer = viewer or Viewer()
    shown = Organization.verification == "verified"
    if viewer.role == "platform_admin":
        shown = Organization.verification.in_(("verified", "pending"))
    if viewer.organization_id is not None:
        shown = or_(shown, Organization.id == viewer.organization_id)
    stmt = select(Organization).where(shown)
    if q:
        norm = normalize(q) or q.lower()
        stmt = stmt.where(or_(Organization.search_text.bool_op("%>")(norm),
                              Organization.search_text.ilike(f"%{norm}%")))
    if pcode:
        prefix = pcode + "%"
        ancestors = sorted({pcode[:n] for n in (4, 6, 8) if n <= len(pcode)} | {pcode})
        present = text(
            "organization.id IN (SELECT sv.organization_id FROM service sv JOIN "
            "service_coverage sc ON sc.service_id = sv.id WHERE sc.pcode LIKE :prefix OR "
            "sc.pcode = ANY(CAST(:ancestors AS text[])) UNION SELECT sv.organization_id "
            "FROM service sv JOIN service_site ss ON ss.service_id = sv.id WHERE "
            "ss.admin3_pcode LIKE :prefix) OR organization.hq_pcode LIKE :prefix"
        ).bindparams(prefix=prefix, ancestors=ancestors)
        stmt = stmt.where(present)
    if verified is not None:
        stmt = stmt.where((Organization.verification == "verified") == verified)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Organization.name_ar, Organization.id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


# ------------------------------------------------------------------ staleness


def remind_stale(session: Session, today: dt.date | None = None,
                 every_days: int = REMIND_EVERY_DAYS) -> dict[str, int]:
    """Notify each organisation's admins of its listings overdue for review (by each one's
    declared cadence, ``network.freshness``), at most once a week.

    Returns how many organisations had overdue listings and how many people were notified.
    """
    from data.models import Notification

    today = today or dt.date.today()
    by_org = overdue_counts(session, today)
    since = dt.datetime.combine(today - dt.timedelta(days=every_days - 1), dt.time(),
                                tzinfo=dt.UTC)
    notified = 0
    for org_id, count in by_org.items():
        link = f"/directory/organizations/{org_id}"
        admins = org_admins(session, org_id)
        recent = set(session.scalars(select(Notification.user_id).where(
            Notification.kind == "directory_stale", Notification.link == link,
            Notification.created_at >= since)))
        due = [u for u in admins if u.id not in recent]
        en, ar = wording.count("service", count, genitive=True)
        notified += notify(
            session, due, "directory_stale",
            f"تأخرت مراجعة {ar} لدى منظمتكم عن الموعد الذي حددتموه. "
            "يرجى تأكيد صحة المعلومات أو تعديلها من صفحة المنظمة.",
            f"Your organisation has {en} overdue for review (not reviewed as often as "
            "you declared). Please confirm or correct them from the organisation page.", link)
    return {"organizations": len(by_org), "notified": notified}


# ------------------------------------------------------------------ page helpers


def search_choices(session: Session) -> dict[str, Any]:
    """Sectors with their service types, target groups and governorates, for search forms."""
    from data.models import Sector

    sectors = session.scalars(select(Sector).order_by(Sector.sort, Sector.code)).all()
    types = session.scalars(select(ServiceType).order_by(ServiceType.code)).all()
    by_sector: dict[str, list[ServiceType]] = {}
    for t in types:
        by_sector.setdefault(t.sector_code, []).append(t)
    return {
        "sectors": [(s, by_sector.get(s.code, [])) for s in sectors],
        "groups": session.scalars(select(TargetGroup).order_by(TargetGroup.sort)).all(),
        "governorates": session.scalars(select(AdminArea).where(AdminArea.level == 1)
                                        .order_by(AdminArea.pcode)).all(),
    }


def area_outlines(session: Session, pcodes: Iterable[str], limit: int = 30) -> list[dict]:
    """Simplified GeoJSON outlines (about 1 km precision) of the areas that have one."""
    codes = sorted(set(pcodes))[:limit]
    if not codes:
        return []
    rows = session.execute(text(
        "SELECT pcode, name_ar, name_en, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.01), 3)"
        " FROM admin_area WHERE pcode = ANY(CAST(:codes AS text[])) AND geom IS NOT NULL"),
        {"codes": codes}).all()
    import json

    return [{"type": "Feature", "geometry": json.loads(g),
             "properties": {"pcode": p, "name_ar": a, "name_en": e}} for p, a, e, g in rows]


def area_name(session: Session, pcode: str | None) -> AdminArea | None:
    """The admin area of ``pcode`` (or None)."""
    return session.get(AdminArea, pcode) if pcode else None
