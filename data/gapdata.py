"""Query the database into the data frames the gap engine (``matching.gaps``) works on.

Presence comes from active services (their coverage and their sites' sub-districts), reached
people from 4W activities, needs from the HNO, failures from referrals (declined for lack of
capacity, or closed unmet) and from searches that found nothing. Map layers (area polygons,
centroids, service sites) come from here too; sites of sensitive services are never returned.
Organisations not verified are invisible to others (issue 17): the services and sites they
declared themselves (pending, rejected or suspended) count nowhere here and the map never names
them. 4W rows are the cluster's own reports, and the 4W import files each new implementing
partner as a pending organisation, so those rows keep counting until a platform admin rejects
or suspends the organisation.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import String, cast, false, func, literal, select, text, union
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data.models import (
    Activity,
    AdminArea,
    Case,
    Need,
    Organization,
    Referral,
    Sector,
    Service,
    ServiceSite,
    ServiceType,
    TargetGroup,
    UnmetSearch,
    service_coverage,
    service_target_group,
)
from matching.gaps import GapInputs

__all__ = ["area_shapes", "load_gap_inputs", "service_sites"]


# the tables the gap figures read (load_gap_inputs, area_shapes, service_sites)
GAP_TABLES = ("admin_area", "organization", "service", "service_target_group",
              "service_coverage", "service_site", "activity", "need", "referral",
              "referral_case", "unmet_search")


def analyze_unanalysed(session: Session, tables=GAP_TABLES) -> list[str]:
    """ANALYZE those of ``tables`` PostgreSQL holds no statistics for, and name them: just
    bulk-loaded (a demo, an import, a restore) before autovacuum came by. Planned without
    them, the loader's join of 100,000 services with their groups ran for 13 minutes
    instead of a second (bench gaps --scale 1, the first recomputation right after loading).
    Run on the primary: a replica cannot analyse, and gets the statistics by replication.
    A role that may not analyse a table (not its owner) leaves it to autovacuum."""
    bare = list(session.scalars(text(
        "SELECT t.name FROM unnest(CAST(:t AS text[])) AS t(name) "
        "WHERE to_regclass('public.' || quote_ident(t.name)) IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = 'public' "
        "AND s.tablename = t.name) ORDER BY t.name"), {"t": list(tables)}))
    done = []
    for name in bare:
        try:
            with session.begin_nested():
                session.execute(text(f'ANALYZE "{name}"'))
            done.append(name)
        except DBAPIError:  # not the table's owner: autovacuum will come by
            continue
    return done


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    """Run ``stmt`` on the session's own connection (same transaction) with a plain DB-API
    cursor: plain tuples straight into pandas, without per-row ORM/Row overhead."""
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect,
                            compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame(rows, columns=columns)


def _scope(session: Session, sector: str | None,
           service_type: str | None) -> tuple[list[str] | None, list[str] | None]:
    """(sector codes, service type codes) a selection can touch; None: everything."""
    if service_type is not None:
        owner = session.scalar(select(ServiceType.sector_code)
                               .where(ServiceType.code == service_type))
        return ([owner] if owner else []), [service_type]
    if sector is None:
        return None, None
    sectors = [sector, *session.scalars(select(Sector.code).where(Sector.parent_code == sector))]
    types = list(session.scalars(select(ServiceType.code)
                                 .where(ServiceType.sector_code.in_(sectors))))
    return sectors, types


def load_gap_inputs(session: Session, *, sector: str | None = None,
                    service_type: str | None = None) -> GapInputs:
    """The facts the engine needs, in one GapInputs.

    With a ``sector`` (its sub-sectors included) or ``service_type``, facts of other sectors
    are left in the database (a superset is loaded; the engine applies the exact filters).
    """
    in_sectors, in_types = _scope(session, sector, service_type)
    areas = _frame(session, select(AdminArea.pcode, AdminArea.level, AdminArea.parent_pcode,
                                   AdminArea.name_ar, AdminArea.name_en)
                   .where(AdminArea.level.between(1, 4)),
                   ["pcode", "level", "parent_pcode", "name_ar", "name_en"])
    sectors = _frame(session, select(Sector.code, Sector.parent_code), ["code", "parent_code"])
    types = _frame(session, select(ServiceType.code, ServiceType.sector_code),
                   ["code", "sector_code"])
    groups = list(session.scalars(select(TargetGroup.code).order_by(TargetGroup.sort)))
    of_type = [Service.service_type_code.in_(in_types)] if in_types is not None else []
    shown = select(Organization.id).where(Organization.verified)
    of_type.append(Service.organization_id.in_(shown))  # another's unverified: invisible
    tg = (select(service_target_group.c.service_id,
                 func.array_agg(service_target_group.c.target_group_code).label("groups"))
          .group_by(service_target_group.c.service_id).subquery())
    services = _frame(session, select(
        Service.id, Service.organization_id, Service.service_type_code,
        Service.capacity_per_month, func.coalesce(tg.c.groups, cast(literal("{}"),
                                                                   Service.languages.type)))
        .outerjoin(tg, tg.c.service_id == Service.id).where(Service.status == "active", *of_type),
        ["service_id", "organization_id", "service_type_code", "capacity_per_month",
         "target_groups"])
    services["target_groups"] = services["target_groups"].map(lambda g: list(g or []))
    active = select(Service.id).where(Service.status == "active", *of_type)
    coverage = _frame(session, union(
        select(service_coverage.c.service_id, service_coverage.c.pcode)
        .where(service_coverage.c.service_id.in_(active)),
        select(ServiceSite.service_id, ServiceSite.admin3_pcode)
        .where(ServiceSite.admin3_pcode.is_not(None), ServiceSite.service_id.in_(active))),
        ["service_id", "pcode"])
    act_cols = ["organization_id", "implementing_org", "sector_code", "service_type_code",
                "pcode", "period_start", "unit", "reached_total", "reached_f_children",
                "reached_m_children", "reached_f_adults", "reached_m_adults",
                "reached_f_elderly", "reached_m_elderly", "target_groups"]
    refused = select(Organization.id).where(Organization.verification.in_(
        ("rejected", "suspended")))
    act_stmt = select(*(getattr(Activity, c) for c in act_cols)).where(
        Activity.organization_id.is_(None) | Activity.organization_id.not_in(refused))
    if in_types is not None:
        act_stmt = act_stmt.where(Activity.service_type_code.in_(in_types)
                                  | (Activity.sector_code.in_(in_sectors) if service_type is None
                                     else false()))
    activities = _frame(session, act_stmt, act_cols)
    needs = _frame(session, select(Need.pcode, Need.sector_code, Need.target_group_code,
                                   Need.period, Need.people_in_need, Need.severity),
                   ["pcode", "sector_code", "target_group_code", "period", "people_in_need",
                    "severity"])
    referrals = _frame(session, select(
        Case.pcode, cast(literal(None), String), Referral.service_type_code,
        Case.target_groups, Referral.status, Referral.reason_code,
        func.coalesce(Referral.sent_at, Referral.created_at))
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status.in_(("declined", "closed_unmet")), *(
            [Referral.service_type_code.in_(in_types)] if in_types is not None else [])),
        ["pcode", "sector_code", "service_type_code", "target_groups", "status", "reason_code",
         "at"])
    unmet_stmt = select(UnmetSearch.pcode, UnmetSearch.sector_code,
                        UnmetSearch.service_type_code, UnmetSearch.target_groups, UnmetSearch.at)
    if in_types is not None:
        unmet_stmt = unmet_stmt.where(UnmetSearch.service_type_code.in_(in_types)
                                      | (UnmetSearch.sector_code.in_(in_sectors)
                                         if service_type is None else false()))
    unmet = _frame(session, unmet_stmt,
                   ["pcode", "sector_code", "service_type_code", "target_groups", "at"])
    return GapInputs(areas=areas, sectors=sectors, service_types=types, target_groups=groups,
                     services=services, coverage=coverage, activities=activities, needs=needs,
                     referrals=referrals, unmet=unmet)


def area_shapes(session: Session, level: int, *, tolerance_deg: float = 0.0,
                web: bool = False) -> pd.DataFrame:
    """Areas of ``level``: p-code, WKB polygon (None when not loaded), centroid lon/lat.

    ``web``: the polygons as stored simplified for the web map (``AdminArea.geom_web``, no
    work per request); else with ``tolerance_deg`` > 0 the database simplifies them now
    (ST_SimplifyPreserveTopology).
    """
    geom = AdminArea.geom_web if web else AdminArea.geom
    if tolerance_deg > 0 and not web:
        geom = func.ST_SimplifyPreserveTopology(AdminArea.geom, tolerance_deg)
    point = func.coalesce(AdminArea.centroid, func.ST_PointOnSurface(AdminArea.geom))
    frame = _frame(session, select(AdminArea.pcode, func.ST_AsBinary(geom),
                                   func.ST_X(point), func.ST_Y(point))
                   .where(AdminArea.level == level),
                   ["pcode", "wkb", "lon", "lat"])
    frame["wkb"] = frame["wkb"].map(lambda b: bytes(b) if b is not None else None)
    return frame


def service_sites(session: Session, *, sector: str | None = None,
                  service_type: str | None = None, limit: int = 5000) -> pd.DataFrame:
    """Sites of active, non-sensitive services of verified organisations (of the sector or
    service type when given)."""
    _sectors, service_types = _scope(session, sector, service_type)
    stmt = (select(func.ST_X(ServiceSite.geom), func.ST_Y(ServiceSite.geom),
                   ServiceSite.admin3_pcode, Service.name_ar, Service.name_en,
                   Organization.name_ar, Organization.name_en, Service.service_type_code)
            .join(Service, Service.id == ServiceSite.service_id)
            .join(Organization, Organization.id == Service.organization_id)
            .where(Service.status == "active", Service.sensitive.is_(False),
                   Organization.verified)
            .order_by(ServiceSite.id).limit(limit))
    if service_types is not None:
        stmt = stmt.where(Service.service_type_code.in_(service_types))
    return _frame(session, stmt, ["lon", "lat", "pcode", "service_ar", "service_en",
                                  "org_ar", "org_en", "service_type"])
