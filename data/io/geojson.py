"""Export services' sites (points) and coverage (one feature per admin area, listing the
services that cover it) as one GeoJSON FeatureCollection, written as a stream. Only services
of verified organisations: pending, rejected and suspended ones are never shown to others."""

from __future__ import annotations

import json
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    AdminArea,
    Organization,
    Service,
    ServiceSite,
    service_coverage,
)

__all__ = ["export_geojson"]


def export_geojson(session: Session, out: TextIO) -> int:
    """Write the FeatureCollection to ``out``; return the number of features."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    n = 0
    sites = session.execute(
        select(ServiceSite.id, func.ST_AsGeoJSON(ServiceSite.geom, 6), ServiceSite.name_en,
               ServiceSite.name_ar, ServiceSite.admin3_pcode, Service.uuid,
               Service.service_type_code, Organization.name_en)
        .join(Service, Service.id == ServiceSite.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.sensitive.is_(False), Organization.verified)
        .order_by(ServiceSite.id))
    for sid, geom, name_en, name_ar, pcode, suuid, stype, org in sites:
        feature = {"type": "Feature", "id": f"site-{sid}", "geometry": json.loads(geom),
                   "properties": {"kind": "site", "name_en": name_en, "name_ar": name_ar,
                                  "admin3_pcode": pcode, "service": str(suuid),
                                  "service_type": stype, "organization": org}}
        out.write((",\n" if n else "") + json.dumps(feature, ensure_ascii=False))
        n += 1
    cover = session.execute(
        select(AdminArea.pcode, AdminArea.level, AdminArea.name_en, AdminArea.name_ar,
               func.ST_AsGeoJSON(func.coalesce(
                   func.ST_SimplifyPreserveTopology(AdminArea.geom, 0.005),
                   AdminArea.centroid), 5),
               func.array_agg(func.distinct(Service.service_type_code)),
               func.count(func.distinct(Service.id)))
        .join(service_coverage, service_coverage.c.pcode == AdminArea.pcode)
        .join(Service, Service.id == service_coverage.c.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Organization.verified)
        .group_by(AdminArea.pcode).order_by(AdminArea.pcode))
    for pcode, level, en, ar, geom, types, count in cover:
        feature = {"type": "Feature", "id": f"area-{pcode}",
                   "geometry": json.loads(geom) if geom else None,
                   "properties": {"kind": "coverage", "pcode": pcode, "level": level,
                                  "name_en": en, "name_ar": ar, "services": count,
                                  "service_types": sorted(types)}}
        out.write((",\n" if n else "") + json.dumps(feature, ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n
