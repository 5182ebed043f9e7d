"""A small known data set for the directory and search tests (Idleb, around one point)."""

from __future__ import annotations

import datetime as dt
import math

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box

P = (36.63, 35.93)  # lon, lat: the person, in Idleb city


def east(km: float) -> tuple[float, float]:
    """A point ``km`` kilometres east of P."""
    return (P[0] + km / (111.32 * math.cos(math.radians(P[1]))), P[1])


def add_areas(session) -> None:
    """Two districts and sub-districts of Idleb (real p-codes) with box outlines, unless the
    real OCHA boundaries are loaded already (then those are used)."""
    from data.models import AdminArea

    def area(pcode, level, parent, ar, en, shape=None):
        if session.get(AdminArea, pcode) is not None:  # the real boundaries are loaded
            return
        session.add(AdminArea(pcode=pcode, level=level, parent_pcode=parent, name_ar=ar,
                              name_en=en, search_text=f"{ar} {en}".lower(),
                              geom=from_shape(shape, srid=4326) if shape is not None
                              else None))

    area("SY0700", 2, "SY07", "إدلب", "Idleb district")
    area("SY070000", 3, "SY0700", "مركز إدلب", "Idleb centre",
         MultiPolygon([box(36.5, 35.85, 36.8, 36.05)]))
    area("SY0703", 2, "SY07", "أريحا", "Ariha")
    area("SY070300", 3, "SY0703", "مركز أريحا", "Ariha centre",
         MultiPolygon([box(36.5, 35.7, 36.8, 35.85)]))
    session.flush()


def build(make, session) -> dict[str, int]:
    """Services around P; returns their ids by letter."""
    add_areas(session)
    today = dt.date.today()
    amal = make.org(name_ar="جمعية الأمل", name_en="Al-Amal Association", acronym="AMAL",
                    search_text="")
    ataa = make.org(name_ar="منظمة عطاء", name_en="Ataa Relief", acronym="ATAA",
                    search_text="")
    other = make.org()
    s = {}
    s["A"] = make.service(organization=other, coverage=["SY02"], sites=[(*east(1), "SY070000")],
                          availability="open", target_groups=[])
    s["B"] = make.service(organization=other, coverage=["SY070000"], sites=[],
                          availability="open", target_groups=[])
    s["C"] = make.service(organization=ataa, coverage=["SY07"], sites=[(*east(5), "SY070000")],
                          availability="waitlist", target_groups=["idps"])
    s["D"] = make.service(organization=other, coverage=["SY02"], sites=[(*east(3),)],
                          last_verified=today - dt.timedelta(days=400), target_groups=[])
    s["E"] = make.service(organization=other, service_type_code="health_primary",
                          coverage=["SY02"], sites=[(*east(2),)], target_groups=[])
    s["F"] = make.service(organization=other, coverage=["SY02"], sites=[(*east(60),)],
                          target_groups=[])
    s["G"] = make.service(organization=amal, service_type_code="gbv_case_management",
                          sensitive=True, coverage=["SY0703"], sites=[(*east(1.5), "SY070000")],
                          sex="female", min_age=18, max_age=59, target_groups=["women"],
                          name_en="Women's case management", name_ar="إدارة حالة للنساء")
    s["H"] = make.service(organization=amal, coverage=["SY070300"], sites=[(*east(4),)],
                          sex="female", min_age=18, languages=["ar", "ku"],
                          target_groups=["idps", "women"], availability="full",
                          capacity_per_month=0)
    from data.searchtext import organization_search_text, refresh_service

    for org in (amal, ataa):
        org.search_text = organization_search_text(org)
    for svc in s.values():
        refresh_service(session, svc)
    session.flush()
    return {k: v.id for k, v in s.items()}
