"""Provider search: parse and check a caseworker's query, build and run the SQL, rank, redact.

One entry point, ``search(session, query, viewer)``. The SQL gathers candidates that pass the
hard filters (need, age, sex, target groups, language, availability, keyword, place) from
three sources: the nearest sites within the radius (KNN over the composite GiST index on
``(service_type_code, geom::geography)``), the services covering the person's area (p-codes
nest by prefix), and the services with a site inside that area; it joins each candidate's
precomputed referral-outcome terms (``provider_ranking``, see ``referral.ranking``).
``matching.ranking`` scores them, adding the real distance to the acceptance model's logit;
sensitive sites lose their address and coordinates for viewers who may not see them;
``record_unmet`` logs a search that found nothing anonymously in ``unmet_search`` (the web
layer calls it on the primary, as the search itself may run on a replica).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from data.areas import resolve
from data.db import fetch_all
from data.errors import BadInput
from data.models import AVAILABILITY, UnmetSearch
from data.point_areas import point_areas
from data.refreshing import PerEngine
from matching.ranking import Candidates, OutcomeFigures, rank
from referral.lifecycle import REASON_LABELS
from referral.measured import MEASURED_COLUMNS, MEASURED_LATERAL, measured
from textmatch.arabic import normalize_words

__all__ = [
    "PARAMS",
    "POINT_SQL",
    "PT_SQL",
    "SYRIA_BBOX",
    "WITHIN_SQL",
    "SearchQuery",
    "SearchResult",
    "Viewer",
    "check_point",
    "filters_sql",
    "generic_at_once",
    "generic_plan_safe",
    "is_subdistrict",
    "parse_query",
    "pcode_range",
    "point_param",
    "resolve_area",
    "search",
    "type_params",
    "walk_each_type",
]

PARAMS = ("need", "lat", "lon", "pcode", "group", "age", "sex", "language", "q", "radius_m",
          "available", "page", "per_page")
PCODE = r"[A-Z]{2}[0-9]{2,}"  # an OCHA p-code, as resolve_area recognises one
SYRIA_BBOX = (35.5, 32.0, 42.5, 37.5)  # lon_min, lat_min, lon_max, lat_max
RADIUS_MIN_M, RADIUS_MAX_M, RADIUS_DEFAULT_M = 100, 200_000, 25_000
NEAR_LIMIT = 40  # nearest sites of the needed service types looked at
TYPE_WALKS_MAX = 6  # up to this many types: one KNN walk per type, then merged
AREA_LIMIT = 80  # services taken from coverage / sites in the area
KEYWORD_VARIANTS = 20  # lexicon words a keyword's word may stand for (most similar first)
PER_PAGE_MAX = 100
SEE_SENSITIVE_ROLES = ("caseworker", "supervisor", "platform_admin")


@dataclass(frozen=True)
class Viewer:
    """Who searches: the role (None for the public) and organisation, for redaction."""

    role: str | None = None
    organization_id: int | None = None

    def sees_org(self, org_id: int, verification: str) -> bool:
        """Only verified organisations (and their services) are shown to others; a pending,
        rejected or suspended one only to its own members and platform admins."""
        return (verification == "verified" or self.role == "platform_admin"
                or (self.organization_id is not None and self.organization_id == org_id))

    def sees_site(self, service_org_id: int, sensitive: bool) -> bool:
        """Sensitive sites are shown to caseworkers, admins and the owning organisation."""
        if not sensitive:
            return True
        if self.role in SEE_SENSITIVE_ROLES:
            return True
        return self.organization_id is not None and self.organization_id == service_org_id


@dataclass
class SearchQuery:
    """A checked query; ``service_types`` is what ``need`` resolved to."""

    need: str | None = None
    service_types: list[str] = field(default_factory=list)
    sector: str | None = None
    lat: float | None = None
    lon: float | None = None
    pcode: str | None = None
    groups: list[str] = field(default_factory=list)
    age: int | None = None
    sex: str | None = None
    language: str | None = None
    q: str | None = None
    tsquery: str | None = None  # what ``q`` resolved to (``keyword_tsquery``)
    radius_m: int = RADIUS_DEFAULT_M
    available: list[str] = field(default_factory=list)
    page: int = 1
    per_page: int = 20

    @property
    def point(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass
class SearchResult:
    """One page of ranked items, the total number of matches and the area searched."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    area: str | None
    query: SearchQuery


# ------------------------------------------------------------------ parsing


def _values(args: Mapping, name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else ([args[name]] if name in args else [])
    out: list[str] = []
    for value in raw:
        if isinstance(value, (list, tuple)):
            out.extend(str(v) for v in value)
        elif value is not None:
            out.extend(p.strip() for p in str(value).split(","))
    return [v for v in out if v]


def _one(args: Mapping, name: str) -> str | None:
    values = _values(args, name)
    return values[0] if values else None


def _number(args: Mapping, name: str, kind=float) -> float | int | None:
    raw = _one(args, name)
    if raw is None:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise BadInput(_("%(field)s must be a number.", field=name), field=name) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInput(_("%(field)s must be a number.", field=name), field=name)
    return value


TAXONOMY_TTL_S = 60.0


def taxonomy(session: Session) -> dict[str, Any]:
    """Service types (with their words), sectors, target groups and p-codes, held for a
    minute per database and then read again in the background (``data.refreshing``):
    reference data changes only when it is loaded again. The first read is the session's."""
    engine = session.get_bind().engine  # (hashing its URL rendered it as text: ~5 µs a call)
    return _TAXONOMY.get(engine, TAXONOMY_TTL_S, first=lambda: _read_taxonomy(session))


def _read_taxonomy(session: Session) -> dict[str, Any]:
    """The taxonomy as ``session`` sees it (one query a table)."""
    types: dict[str, set[str]] = {}
    by_sector: dict[str, list[str]] = {}
    for code, sector, parent, names in session.execute(text(
            "SELECT t.code, t.sector_code, s.parent_code, concat_ws(' ', t.name_ar, t.name_en, "
            "t.keywords_ar, t.keywords_en) FROM service_type t JOIN sector s "
            "ON s.code = t.sector_code ORDER BY t.code")):
        types[code] = set(normalize_words(names))
        by_sector.setdefault(sector, []).append(code)
        if parent:
            by_sector.setdefault(parent, []).append(code)
    return {"types": types, "sectors": by_sector,
            "groups": set(session.scalars(text("SELECT code FROM target_group"))),
            # known p-codes (a hit saves a query; a miss is checked in the database)
            "pcodes": set(session.scalars(text("SELECT pcode FROM admin_area")))}


def _read_committed_taxonomy(engine: Engine) -> dict[str, Any]:
    """The taxonomy read again in the background, in a session of its own."""
    with Session(engine) as session:
        return _read_taxonomy(session)


# looked up at each read (a test may wrap it)
_TAXONOMY: PerEngine[dict[str, Any]] = PerEngine("taxonomy",
                                                 lambda e: _read_committed_taxonomy(e))


def resolve_need(session: Session, need: str) -> tuple[list[str], str | None]:
    """Service-type codes for ``need``: a service type or sector code, or words in either
    language matched against the taxonomy's names and keywords."""
    tax = taxonomy(session)
    if need in tax["types"]:
        return [need], None
    if need in tax["sectors"]:
        return sorted(tax["sectors"][need]), need
    words = set(normalize_words(need))
    if words:
        matches = sorted(code for code, have in tax["types"].items() if words <= have)
        if matches:
            return matches, None
    raise BadInput(_("Unknown service type or sector: %(value)s.", value=need), field="need")


def check_point(session: Session, lon: float, lat: float, *, lon_field: str = "lon",
                lat_field: str = "lat") -> str | None:
    """Refuse a point outside Syria; return the deepest admin area containing it (or None).

    The extent is the bounding box, then the governorate polygons once boundaries are loaded.
    A session bound to an engine tests the polygons in process (``data.point_areas``); one
    bound to a connection (a test's transaction) asks the database.
    """
    if not -90 <= lat <= 90:
        raise BadInput(_("Latitude must be between -90 and 90."), field=lat_field)
    if not -180 <= lon <= 180:
        raise BadInput(_("Longitude must be between -180 and 180."), field=lon_field)
    lon_min, lat_min, lon_max, lat_max = SYRIA_BBOX
    if not lon_min <= lon <= lon_max:
        raise BadInput(_("This point is outside Syria (longitude %(lo)s to %(hi)s).",
                         lo=lon_min, hi=lon_max), field=lon_field)
    if not lat_min <= lat <= lat_max:
        raise BadInput(_("This point is outside Syria (latitude %(lo)s to %(hi)s).",
                         lo=lat_min, hi=lat_max), field=lat_field)
    index = point_areas(session)
    if index is not None:  # the polygons in process (data.point_areas: read once a minute)
        pcode = index.locate(lon, lat)
        if pcode is None and index.bounded:
            raise BadInput(_("This point is outside Syria's boundaries."), field=lat_field)
        return pcode
    # Sub-districts tile the country: one polygon test answers both questions; the
    # governorates are tested only when no sub-district contains the point. (On a shared
    # edge ``LIMIT 1`` picks either area; the cached index picks the lowest p-code.)
    _cols, (row,) = fetch_all(session,
        "WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) "
        "SELECT coalesce((SELECT pcode FROM admin_area, pt WHERE level = 3 AND "
        "        ST_Intersects(geom, pt.g) LIMIT 1), "
        "    (SELECT pcode FROM admin_area, pt WHERE geom IS NOT NULL AND level < 3 AND "
        "        ST_Intersects(geom, pt.g) ORDER BY level DESC LIMIT 1)), "
        "  EXISTS (SELECT 1 FROM admin_area WHERE level = 1 AND geom IS NOT NULL)",
        {"lon": lon, "lat": lat})
    if row[0] is None and row[1]:
        raise BadInput(_("This point is outside Syria's boundaries."), field=lat_field)
    return row[0]


def resolve_area(session: Session, value: str, field_name: str = "pcode") -> str:
    """A p-code for ``value`` (a p-code, or a governorate/district/sub-district name)."""
    code = value.strip().upper()
    if re.fullmatch(PCODE, code):
        if code in taxonomy(session)["pcodes"] or session.execute(
                text("SELECT 1 FROM admin_area WHERE pcode = :p"), {"p": code}).first():
            return code
        raise BadInput(_("Unknown p-code: %(value)s.", value=value), field=field_name)
    res = resolve(session, value)
    if res.status == "match" and res.pcode:
        return res.pcode
    if res.status == "ambiguous":
        names = ", ".join(f"{a.name_ar} / {a.name_en} ({a.pcode})" for a in res.matches[:5])
        raise BadInput(_("The place name %(value)s is ambiguous: %(names)s.",
                         value=value, names=names), field=field_name,
                       details={"candidates": [
                           {"pcode": a.pcode, "level": a.level, "name_ar": a.name_ar,
                            "name_en": a.name_en} for a in res.matches[:10]]})
    raise BadInput(_("Unknown place: %(value)s.", value=value), field=field_name)


def parse_query(session: Session, args: Mapping, *, strict: bool = True) -> SearchQuery:
    """Check the query parameters; BadInput names the first wrong field.

    ``strict``: refuse parameters that are not in ``PARAMS`` (the API does, pages don't).
    """
    if strict:
        unknown = sorted(set(args.keys()) - set(PARAMS))
        if unknown:
            raise BadInput(_("Unknown parameter: %(name)s.", name=unknown[0]), field=unknown[0])
    qy = SearchQuery()
    need = _one(args, "need")
    if need:
        qy.need = need
        qy.service_types, qy.sector = resolve_need(session, need)
    lat, lon = _number(args, "lat"), _number(args, "lon")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise BadInput(_("Give both latitude and longitude."), field=missing)
    area_of_point = None
    if lat is not None and lon is not None:
        area_of_point = check_point(session, float(lon), float(lat))
        qy.lat, qy.lon = float(lat), float(lon)
    pcode = _one(args, "pcode")
    qy.pcode = resolve_area(session, pcode) if pcode else area_of_point
    groups = _values(args, "group")
    if groups:
        known = taxonomy(session)["groups"]
        for g in groups:
            if g not in known:
                raise BadInput(_("Unknown target group: %(value)s.", value=g), field="group")
        qy.groups = sorted(set(groups))
    age = _number(args, "age", int)
    if age is not None and not 0 <= age <= 120:
        raise BadInput(_("Age must be between 0 and 120."), field="age")
    qy.age = age
    sex = _one(args, "sex")
    if sex and sex not in ("female", "male", "any"):
        raise BadInput(_("Sex must be female, male or any."), field="sex")
    qy.sex = sex if sex in ("female", "male") else None
    language = _one(args, "language")
    if language and not re.fullmatch(r"[a-z]{2,3}", language):
        raise BadInput(_("Language must be a two- or three-letter code such as ar or ku."),
                       field="language")
    qy.language = language or None
    q = str(args.get("q") or "").strip()
    if len(q) > 200:
        raise BadInput(_("The keyword is too long (200 characters at most)."), field="q")
    qy.q = q or None
    if qy.q:
        qy.tsquery = keyword_tsquery(session, qy.q)
    radius = _number(args, "radius_m")
    if radius is not None:
        if not RADIUS_MIN_M <= radius <= RADIUS_MAX_M:
            raise BadInput(_("The radius must be between %(lo)s and %(hi)s metres.",
                             lo=RADIUS_MIN_M, hi=RADIUS_MAX_M), field="radius_m")
        qy.radius_m = int(radius)
    available = _values(args, "available")
    for a in available:
        if a not in AVAILABILITY:
            raise BadInput(_("Availability must be open, waitlist or full."), field="available")
    qy.available = sorted(set(available))
    page = _number(args, "page", int)
    if page is not None and not 1 <= page <= 1000:
        raise BadInput(_("Page must be between 1 and 1000."), field="page")
    qy.page = page or 1
    per_page = _number(args, "per_page", int)
    if per_page is not None and not 1 <= per_page <= PER_PAGE_MAX:
        raise BadInput(_("per_page must be between 1 and %(hi)s.", hi=PER_PAGE_MAX),
                       field="per_page")
    qy.per_page = per_page or 20
    return qy


# ------------------------------------------------------------------ SQL


def _words(q: str) -> list[str]:
    """The normalised words of ``q`` that can stand in a tsquery (\\w only)."""
    return [w for w in normalize_words(q) if re.fullmatch(r"\w+", w)]


def _tsquery(q: str) -> str:
    """A prefix tsquery over the normalised words of ``q``."""
    return " & ".join(f"{w}:*" for w in _words(q))


def keyword_tsquery(session: Session, q: str) -> str:
    """The tsquery a keyword searches by: each of its words as a prefix, or as one of the
    ``KEYWORD_VARIANTS`` words of the lexicon (``search_word``) most similar to it by pg_trgm's
    word similarity (at least ``pg_trgm.word_similarity_threshold``, 0.6): typos and
    transliteration variants ("Ataa" / "Atta", جمعيه / جمعية) cost one lookup in a short
    word list, and the services are then matched exactly by the full-text index. Empty
    when ``q`` has no word (it then matches nothing)."""
    words = _words(q)
    if not words:
        return ""
    variants: dict[str, list[str]] = {w: [] for w in words}
    _cols, rows = fetch_all(
        session, "SELECT w.q, s.word FROM unnest(CAST(:words AS text[])) AS w(q) CROSS JOIN "
        "LATERAL (SELECT word FROM search_word WHERE w.q <% word "
        " ORDER BY word_similarity(w.q, word) DESC, word LIMIT :n) s",
        {"words": list(variants), "n": KEYWORD_VARIANTS})
    for word, similar in rows:
        if not similar.startswith(word) and re.fullmatch(r"\w+", similar):
            variants[word].append(similar)  # (a word it prefixes is found by the prefix)
    return " & ".join("(" + " | ".join([f"{w}:*", *variants[w]]) + ")" for w in words)


def _keyword(qy: SearchQuery, params: dict[str, Any], alias: str) -> str:
    """The keyword condition on ``alias``: its tsquery (``keyword_tsquery``; prefixes only
    when the query was not parsed) against the stored ``search_tsv``.

    Without a need, the operator (``@@``), which the full-text indexes of the sites and the
    coverage can answer (migrations 0048, 0051): a rarer keyword's rows in the area or near
    the point are read from them rather than every row of the area tested. With a need, the
    type's indexes find the rows and the keyword is tested on each of them: spelled as the
    operator's own function (``ts_match_vq``, the same test), which no index can take, since
    the coverage's keyword index drew the planner away from the type's short list (+0.37 ms
    of database CPU a search with a need and a keyword)."""
    tsq = qy.tsquery if qy.tsquery is not None else _tsquery(qy.q or "")
    if not tsq:
        return "FALSE"
    params["tsq"] = tsq
    if qy.service_types:
        return f"ts_match_vq({alias}.search_tsv, to_tsquery('simple', :tsq))"
    return f"{alias}.search_tsv @@ to_tsquery('simple', :tsq)"


def filters_sql(qy: SearchQuery, params: dict[str, Any], alias: str) -> str:
    """WHERE conditions for the hard filters on a search row ``alias``: a ``service_site`` or
    ``service_coverage`` row, or ``service_search`` (migration ``0016_search4``), which all
    carry the service's values. ``listed``: the service is active and its organisation
    neither rejected nor suspended. The keyword is an exact full-text match of its resolved
    tsquery, cheap enough to test on each row the KNN walk or the area lists read.

    Age, sex, language, availability and target groups are always in the text, each off
    when its parameter is NULL: one statement text for every combination of them (32 of
    each shape), so a connection prepares and plans each shape once."""
    a = alias
    params.update(age=qy.age, sex=qy.sex, language=qy.language,
                  available=qy.available or None, groups=qy.groups or None)
    conds = [f"{a}.listed",
             f"(CAST(:age AS int) IS NULL OR (({a}.min_age IS NULL OR {a}.min_age <= :age) "
             f"AND ({a}.max_age IS NULL OR {a}.max_age >= :age)))",
             f"(CAST(:sex AS text) IS NULL OR {a}.sex IN ('any', :sex))",
             f"(CAST(:language AS varchar) IS NULL OR :language = ANY({a}.languages))",
             f"(CAST(:available AS text[]) IS NULL OR {a}.availability = ANY(:available))",
             # a service open to all (NULL: no group) or serving one of the person's
             f"(CAST(:groups AS text[]) IS NULL OR {a}.target_groups IS NULL "
             f"OR {a}.target_groups && :groups)"]
    if qy.q:
        conds.append(_keyword(qy, params, a))
    return " AND ".join(conds)


# what the ranking reads of a search row (beyond cover and distance), in this order
_RANKED_COLUMNS = ("availability", "capacity_per_month", "last_verified", "needs_documents",
                   "group_match", "logit_base", "distance_coef", "p_default",
                   "median_response_hours")
_RANKED = ", ".join(_RANKED_COLUMNS)


def _ranked(alias: str) -> str:
    """``_RANKED_COLUMNS`` of a search row ``alias``; ``group_match`` is computed."""
    group = f"CASE WHEN {alias}.target_groups && CAST(:groups AS text[]) THEN 2 ELSE 1 END"
    return ", ".join(f"{group} AS group_match" if c == "group_match" else f"{alias}.{c}"
                     for c in _RANKED_COLUMNS)


# The person's point, and the radius test on a site ``ss``: public for the bench's floor,
# which must test the same things (``bench/search.py``), like ``filters_sql``.
POINT_SQL = "CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography)"
# The candidate statement's point: one parameter (``point_param``), parsed by the geography
# input into the same value, so each of its six uses costs no function lookups to parse and
# analyse (``POINT_SQL`` resolves ST_SetSRID and ST_MakePoint each time).
PT_SQL = "CAST(:pt AS geography)"
AREA_SQL = "CAST(:area AS text)"
# ``ST_DWithin(g, pt, r)`` spelled as its two halves: the box test the GiST index answers and
# the exact spheroid distance. Same rows, but the planner no longer multiplies the box's
# selectivity by ST_DWithin's own guess (it estimated 7 sites where 6,000 lie within 25 km and
# chose a bitmap scan + sort over all of them, ~90 ms, instead of the KNN walk, < 1 ms).
WITHIN_SQL = (f"ss.geom::geography && _ST_Expand({POINT_SQL}, :radius) "
              f"AND ST_Distance(ss.geom::geography, {POINT_SQL}) <= :radius")


def point_param(lon: float, lat: float) -> str:
    """``PT_SQL``'s value: the point as EWKT, its coordinates written so that they read back
    as the same doubles (``repr``), so it is the point ``POINT_SQL`` makes."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def _near_sql(qy: SearchQuery, params: dict[str, Any]) -> str:
    """The ``NEAR_LIMIT`` nearest sites of the needed types within the radius (KNN) that
    pass the filters, each with what the ranking reads (from the site row itself).

    One type: one walk of the composite GiST index ``(service_type_code, geography)``. Up to
    ``TYPE_WALKS_MAX`` (a sector such as health, 4 types, or GBV, 6): one such walk per type,
    merged and cut again (the nearest 40 of all are among the nearest 40 of each type); the
    planner's alternative, a bitmap scan of every site of those types in the radius, then a
    sort, was ~11% slower at p50 and up to twice as slow in dense areas (``bench/``). More (the
    protection sector, 20 types): one walk of the geography index testing the type on each
    site, which finds 40 of them in a few dozen sites where 20 walks cost ~8 ms.
    ``WITH TIES``: sites as near as the last one taken come too (several services often share
    one address), so which candidates are ranked never depends on the plan's order of equal
    distances. No need but a keyword: the planner may instead read the keyword's sites in the
    radius's box through the sites' full-text index (migration ``0048_site_keyword_index``, a
    BitmapAnd) and sort them, where the walk tested thousands of sites for a rare keyword.
    """
    cover = f"CASE WHEN {_under('ss.admin3_pcode')} THEN 2 ELSE 0 END" if qy.pcode else "0"
    within = WITHIN_SQL.replace(POINT_SQL, PT_SQL)
    inner = (f"SELECT ss.service_id, ss.geom::geography <-> {PT_SQL} AS dist, {cover} AS cover, "
             f"ST_Distance(ss.geom::geography, {PT_SQL}) AS d, {_ranked('ss')} "
             "FROM service_site ss "
             f"WHERE {{type}} {within} AND {filters_sql(qy, params, 'ss')} "
             f"ORDER BY ss.geom::geography <-> {PT_SQL} "
             "FETCH FIRST (:near_limit) ROWS WITH TIES")
    n = len(qy.service_types)
    if n == 0:
        return inner.format(type="")
    if n == 1:
        return inner.format(type="ss.service_type_code = :type0 AND")
    if n > TYPE_WALKS_MAX:
        return inner.format(type="ss.service_type_code = ANY(CAST(:types AS text[])) AND")
    return (f"SELECT n.service_id, n.dist, n.cover, n.d, {_RANKED} "
            f"FROM ({walk_each_type(inner, n)}) n "
            "ORDER BY n.dist FETCH FIRST (:near_limit) ROWS WITH TIES")


def _newest(table: str, alias: str, where: str, qy: SearchQuery, params: dict[str, Any],
            cover: int) -> str:
    """The ``AREA_LIMIT`` newest rows of ``table`` (``alias``) matching ``where`` that pass
    the filters, with ``cover``: an index read newest service first that stops when the
    list is full (the row itself carries the filtered values, no join)."""
    return (f"SELECT {alias}.service_id, {cover} AS cover, {_ranked(alias)} "
            f"FROM {table} {alias} WHERE {_type_cond(qy, alias)} AND {where} "
            f"AND {filters_sql(qy, params, alias)} "
            f"ORDER BY {alias}.service_id DESC LIMIT :area_limit")


def _distinct(branches: list[str]) -> str:
    """The newest ``AREA_LIMIT`` services of the ``branches`` (each ordered and cut alike),
    once each."""
    union = " UNION ALL ".join(f"({b})" for b in branches)
    return (f"SELECT DISTINCT ON (service_id) * FROM ({union}) b "
            "ORDER BY service_id DESC LIMIT :area_limit")


def _newest_of(ancestors: list[str], qy: SearchQuery, params: dict[str, Any]) -> str:
    """The ``AREA_LIMIT`` newest services of the needed types covering any of ``ancestors``
    (``:anc0``...) that pass the filters, once each: the same services as ``_distinct`` of
    one ``_newest`` list per area, in one scan and sort of the few rows a type has in them
    (planning one list instead of three or four cut a need's candidate statement by ~9 %;
    without a need, the thousands of rows of a governorate made it slower)."""
    areas = ", ".join(f":anc{i}" for i in range(len(ancestors)))
    return (f"SELECT DISTINCT ON (sc.service_id) sc.service_id, 2 AS cover, "
            f"{_ranked('sc')} FROM service_coverage sc WHERE {_type_cond(qy, 'sc')} "
            f"AND sc.pcode IN ({areas}) AND {filters_sql(qy, params, 'sc')} "
            "ORDER BY sc.service_id DESC LIMIT :area_limit")


def _area_ctes(qy: SearchQuery, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """CTEs and their sources for the person's area: ``cov``, the ``AREA_LIMIT`` services
    covering it best, those covering all of it (the area or an area containing it) before
    those covering a part (a district's sub-districts, when the person gave a larger area),
    newest listing first; and, without a point, ``inarea``, the newest services with a site
    in the area. With a need, the coverage of the area and of the areas containing it is
    one list (``_newest_of``); without one, each area's rows are read newest first
    (``(pcode, service_id)`` backwards, merged) and cut at ``AREA_LIMIT``: a governorate
    covered whole by thousands of services costs ~80 rows, and which ones are ranked never
    depends on the plan."""
    ancestors = sorted({qy.pcode[:n] for n in (4, 6, 8) if n <= len(qy.pcode)} | {qy.pcode})
    params["area"] = qy.pcode
    subdistrict = is_subdistrict(qy.pcode)
    for i, code in enumerate(ancestors):
        params[f"anc{i}"] = code
    if qy.service_types:  # one list of the needed types' coverage of all of them
        whole = _newest_of(ancestors, qy, params)
    else:  # every type: each area's rows newest first, merged
        whole = _distinct([_newest("service_coverage", "sc", f"sc.pcode = :anc{i}", qy, params,
                                   2) for i in range(len(ancestors))])
    if subdistrict:
        ctes = [f"cov AS ({whole})"]
    else:  # a governorate or district: its parts count half, after the whole
        part = _newest("service_coverage", "sc", f"{_under('sc.pcode')} AND sc.pcode <> :area",
                       qy, params, 1)
        ctes = [f"cov_whole AS ({whole})", f"cov_part AS ({_distinct([part])})",
                "cov AS (SELECT * FROM (SELECT DISTINCT ON (service_id) * FROM (SELECT * FROM "
                "cov_whole UNION ALL SELECT * FROM cov_part) x ORDER BY service_id, cover DESC"
                ") y ORDER BY cover DESC, service_id DESC LIMIT :area_limit)"]
    out = [f"SELECT service_id, cover, NULL::float8 AS d, {_RANKED} FROM cov"]
    if not qy.point:  # with a point, the nearest sites already say whether they are inside
        if subdistrict:  # its sites in service id order, from the index
            inside = _newest("service_site", "ss", "ss.admin3_pcode = :area", qy, params, 2)
        else:  # a larger area: its sites' ids sorted newest first, then tested in that order
            # (left to itself the planner walked every site backwards testing the prefix)
            ctes.append("inarea_ids AS MATERIALIZED (SELECT ss.id, ss.service_id FROM "
                        f"service_site ss WHERE {_type_cond(qy, 'ss')} AND "
                        f"{_under('ss.admin3_pcode')} ORDER BY ss.service_id DESC)")
            # (a LATERAL lookup keeps the nested loop in the ids' order; a join was hashed)
            inside = ("SELECT ok.* FROM inarea_ids w CROSS JOIN LATERAL (SELECT ss.service_id, "
                      f"2 AS cover, {_ranked('ss')} FROM service_site ss WHERE ss.id = w.id "
                      f"AND {filters_sql(qy, params, 'ss')} LIMIT 1) ok LIMIT :area_limit")
        ctes.append(f"inarea AS ({_distinct([inside])})")
        out.append(f"SELECT service_id, cover, NULL::float8 AS d, {_RANKED} FROM inarea")
    return ctes, out


def is_subdistrict(pcode: str) -> bool:
    """Sub-district p-codes have eight characters or more (SY070301); larger areas fewer."""
    return len(pcode) >= 8


def pcode_range(pcode: str) -> tuple[str, str]:
    """The byte range ``[lo, hi)`` of the p-codes under ``pcode`` (those it prefixes)."""
    return pcode, pcode[:-1] + chr(ord(pcode[-1]) + 1)


def type_params(types: list[str]) -> dict[str, Any]:
    """Parameters for ``types``: ``:type0``, ``:type1``, ... up to ``TYPE_WALKS_MAX`` (one a
    walk, ``_type_cond``), else the one array ``:types``."""
    if len(types) > TYPE_WALKS_MAX:
        return {"types": list(types)}
    return {f"type{i}": code for i, code in enumerate(types)}


def walk_each_type(walk: str, n: int) -> str:
    """``n`` copies of ``walk`` (a query with a ``{type}`` slot), one a ``:type{i}``, as one
    ``UNION ALL``: each type's own index walk, known to a generic plan."""
    return " UNION ALL ".join(
        "(" + walk.format(type=f"ss.service_type_code = :type{i} AND") + ")" for i in range(n))


def _under(column: str) -> str:
    """``column`` (a p-code) within the person's area, spelled as the byte range of its prefix
    (``:under_lo`` to ``:under_hi``, the ``text_pattern_ops`` operators) rather than ``LIKE
    :prefix``: the same rows and the same index range in a plan made for the values, and a
    generic plan can use the index too (with ``LIKE`` and a parameter it cannot)."""
    return f"{column} ~>=~ :under_lo AND {column} ~<~ :under_hi"


def _type_cond(qy: SearchQuery, alias: str) -> str:
    """The service-type condition on ``alias``: one parameter a type up to
    ``TYPE_WALKS_MAX`` (a generic plan then knows how many), an array beyond."""
    n = len(qy.service_types)
    if not n:
        return "TRUE"
    if n == 1:
        return f"{alias}.service_type_code = :type0"
    if n <= TYPE_WALKS_MAX:
        return f"{alias}.service_type_code IN ({', '.join(f':type{i}' for i in range(n))})"
    return f"{alias}.service_type_code = ANY(CAST(:types AS text[]))"


def build_sql(qy: SearchQuery, today: dt.date | None = None) -> tuple[str, dict[str, Any]]:
    """The candidate query for ``qy`` and its parameters (``today`` dates the freshness).

    Every source reads search rows (sites, coverage, ``service_search``) that carry the
    filtered and ranked values; only the referral-outcome terms are joined, once per
    candidate."""
    params: dict[str, Any] = {"near_limit": NEAR_LIMIT, "area_limit": AREA_LIMIT,
                              "radius": qy.radius_m, "today": today or dt.date.today()}
    params.update(type_params(qy.service_types))  # (the filters' own, ``filters_sql``)
    ctes, sources = [], []
    if qy.pcode:  # the p-codes under the area (``_under``)
        params["under_lo"], params["under_hi"] = pcode_range(qy.pcode)
    if qy.point:
        params["pt"] = point_param(qy.lon, qy.lat)  # type: ignore[arg-type]
        ctes.append(f"near AS ({_near_sql(qy, params)})")
        sources.append(f"SELECT service_id, cover, d, {_RANKED} FROM near")
    if qy.pcode:
        area_ctes, area_sources = _area_ctes(qy, params)
        ctes.extend(area_ctes)
        sources.extend(area_sources)
    if not sources:
        ctes.append(
            f"anywhere AS (SELECT v.service_id, 0 AS cover, NULL::float8 AS d, "
            f"{_ranked('v')} FROM service_search v WHERE {_type_cond(qy, 'v')} AND "
            f"{filters_sql(qy, params, 'v')} "
            "ORDER BY v.last_verified DESC NULLS LAST, v.service_id LIMIT :area_limit)")
        sources.append(f"SELECT service_id, cover, d, {_RANKED} FROM anywhere")
    ctes.append("cand AS (SELECT service_id, max(cover) AS cover, min(d) AS d, "
                "min(availability) AS availability, "
                "max(capacity_per_month) AS capacity_per_month, "
                "max(last_verified) AS last_verified, "
                "bool_or(needs_documents) AS needs_documents, "
                "max(group_match) AS group_match, max(logit_base) AS logit_base, "
                "max(distance_coef) AS distance_coef, max(p_default) AS p_default, "
                "max(median_response_hours) AS median_response_hours FROM ("
                + " UNION ALL ".join(sources) + ") u GROUP BY service_id)")
    if qy.point:  # the real (spheroid) distance to the nearest site, for the ranking: from
        # the walk for the nearest sites' services, looked up for the area's others
        dist = (f"coalesce(c.d, (SELECT ST_Distance(ss.geom::geography, {PT_SQL}) "
                "FROM service_site ss WHERE ss.service_id = c.service_id "
                f"ORDER BY ss.geom::geography <-> {PT_SQL} LIMIT 1))")
    else:
        dist = "NULL::float8"
    sql = (
        "WITH " + ", ".join(ctes) + " "
        "SELECT c.service_id AS id, c.cover, " + dist + " AS distance_m, c.availability,"
        " c.capacity_per_month, CAST(:today AS date) - c.last_verified AS days_since_verified,"
        " c.needs_documents, c.group_match, c.logit_base, c.distance_coef, c.p_default,"
        " c.median_response_hours FROM cand c"
    )
    return sql, params


def detail_sql(qy: SearchQuery) -> str:
    """What a result shows, for the services of one page (``:ids``): names, organisation,
    type, eligibility, the site nearest the person (or the searched area's centre, with its
    distance from it; else the first site), the provider's referral figures and the
    service's measured ones (``referral.measured``)."""
    area_d = "NULL::float8"
    if qy.point:
        nearest = f"ss.geom::geography <-> {POINT_SQL}"
    elif qy.pcode:  # the site nearest the searched area's centre, and how far it is from it
        centre = f"(SELECT a.centroid::geography FROM admin_area a WHERE a.pcode = {AREA_SQL})"
        nearest = f"ss.geom::geography <-> {centre}"
        area_d = f"ST_Distance(ss.geom::geography, {centre})"
    else:
        nearest = "ss.id"
    site = ("SELECT ss.id, ST_X(ss.geom) AS lon, ST_Y(ss.geom) AS lat, ss.address_ar, "
            f"ss.address_en, ss.admin3_pcode, {area_d} AS area_d FROM service_site ss "
            f"WHERE ss.service_id = sv.id ORDER BY {nearest} LIMIT 1")
    return (
        "SELECT sv.id, sv.uuid, sv.name_ar, sv.name_en, sv.organization_id, o.name_ar AS org_ar,"
        " o.name_en AS org_en, o.acronym, o.verification, sv.service_type_code,"
        " st.name_ar AS type_ar, st.name_en AS type_en, st.sector_code, sv.availability,"
        " sv.capacity_per_month, sv.min_age, sv.max_age, sv.sex, sv.languages, sv.modality,"
        " sv.documents_required, sv.nationalities, sv.last_verified,"
        " (sv.sensitive OR st.sensitive) AS sensitive, sv.cost, sv.referral_method,"
        " ARRAY(SELECT g.target_group_code FROM service_target_group g"
        "       WHERE g.service_id = sv.id ORDER BY 1) AS groups,"
        " ns.id AS site_id, ns.lon, ns.lat, ns.address_ar, ns.address_en, ns.admin3_pcode,"
        " ns.area_d,"
        " coalesce(pr.history, 0) AS history, pr.acceptance_rate, pr.top_decline_reason,"
        f" pr.top_decline_share, sv.response_days, {MEASURED_COLUMNS} "
        "FROM service sv JOIN organization o ON o.id = sv.organization_id "
        "JOIN service_type st ON st.code = sv.service_type_code "
        "LEFT JOIN provider_ranking pr ON pr.service_id = sv.id "
        f"LEFT JOIN LATERAL ({site}) ns ON TRUE {MEASURED_LATERAL} "
        "WHERE sv.id = ANY(CAST(:ids AS int[]))"
    )


# ------------------------------------------------------------------ running



def generic_plan_safe(qy: SearchQuery) -> bool:
    """Whether the candidate statement of ``qy`` may be prepared, so that PostgreSQL may keep
    a generic plan of it (``plan_cache_mode = auto``: once its estimate is no worse than the
    plans made for the values): up to ``TYPE_WALKS_MAX`` service types (one parameter and one
    walk each), and no area or a sub-district (the point's own, or a p-code). Those skip
    parsing and planning: over the bench's searches of one type, candidate SQL p50 2.1 -> 1.35
    ms and p95 3.7 -> 3.1 ms; of 2-6 types, p50 3.9 -> 1.8 ms and p95 6.0 -> 3.5 ms. The
    others are planned for their values every time: a generic plan of a governorate's or
    district's list cannot know how many services cover it (p95 6 -> 19 ms forced generic),
    and one of the protection sector's 20 types (an array) guessed its walk wrong (3 -> 39
    ms)."""
    return (len(qy.service_types) <= TYPE_WALKS_MAX
            and (qy.pcode is None or is_subdistrict(qy.pcode)))


def generic_at_once(qy: SearchQuery) -> bool:
    """Whether the candidate statement of ``qy`` (``generic_plan_safe``) gets its generic plan
    at its first run on a connection (``data.db.fetch_all(generic=True)``) rather than after
    psycopg's five runs and PostgreSQL's five plans made for the values: gunicorn's 8
    connections and the ~160 shapes of the bench's searches never got there (1,000 searches
    planned, 22 generic plans), and planning is most of a typical search's candidate
    statement. Not for a keyword without a need near a point, whose generic plan walked
    further (17.9 -> 19.1 ms of database CPU a search); docs/performance.md, searchdb."""
    return bool(qy.service_types) or not (qy.q and qy.point)


def _shown_distance(metres: float | None, visible: bool) -> float | None:
    """A distance as shown: to the decimetre, or up to the whole kilometre when the site is
    hidden from the viewer (no trilateration to the metre)."""
    if metres is None:
        return None
    return round(float(metres), 1) if visible else float(math.ceil(metres / 1000.0) * 1000)


def _item(row: dict[str, Any], col: dict[str, Any], i: int, *, score: float, stale: bool,
          reasons: list, viewer: Viewer, point: bool) -> dict[str, Any]:
    """One result: the page row ``row`` (what is shown, the referral figures) and candidate
    ``i`` of the columns ``col`` (distance and response time, as ranked)."""
    visible = viewer.sees_site(row["organization_id"], row["sensitive"])
    d = col["distance_m"][i]
    distance = _shown_distance(None if math.isnan(d) else d, visible)
    site = None
    if row["site_id"] is not None:
        site = {"lon": row["lon"] if visible else None, "lat": row["lat"] if visible else None,
                "address_ar": row["address_ar"] if visible else None,
                "address_en": row["address_en"] if visible else None,
                "admin3_pcode": row["admin3_pcode"], "hidden": not visible}
    acceptance, hours = row["acceptance_rate"], col["median_response_hours"][i]
    verified = row["last_verified"]
    return {
        "id": row["id"], "uuid": str(row["uuid"]), "name_ar": row["name_ar"],
        "name_en": row["name_en"],
        "organization": {"id": row["organization_id"], "name_ar": row["org_ar"],
                         "name_en": row["org_en"], "acronym": row["acronym"],
                         "verified": row["verification"] == "verified"},
        "service_type": {"code": row["service_type_code"], "name_ar": row["type_ar"],
                         "name_en": row["type_en"], "sector": row["sector_code"]},
        "availability": row["availability"], "capacity_per_month": row["capacity_per_month"],
        "eligibility": {"min_age": row["min_age"], "max_age": row["max_age"], "sex": row["sex"],
                        "target_groups": list(row["groups"]),
                        "documents_required": list(row["documents_required"]),
                        "nationalities": list(row["nationalities"])},
        "languages": list(row["languages"]), "modality": row["modality"], "cost": row["cost"],
        "referral_method": row["referral_method"], "response_days": row["response_days"],
        "measured": measured(row["m_answered"], row["m_hours"], row["m_declined"],
                             row["m_reason"]).as_json(),
        "last_verified": verified.isoformat() if verified else None,
        "stale": stale, "sensitive": bool(row["sensitive"]),
        "distance_m": distance if point else None,
        "area_distance_m": None if point else _shown_distance(row["area_d"], visible),
        "score": score, "reasons": reasons, "site": site,
        "referral_stats": {
            "acceptance_rate": None if acceptance is None else round(float(acceptance), 3),
            "median_response_hours": None if hours is None else round(float(hours), 1),
            "referrals": int(row["history"] or 0)},
    }


def search(session: Session, qy: SearchQuery, viewer: Viewer | None = None,
           *, today: dt.date | None = None) -> SearchResult:
    """Run ``qy``: candidates by SQL, ranked by ``matching.ranking``, one page, redacted.

    Two statements: the candidates with only what the ranking reads (narrow rows, however
    many candidates a sector search gathers), then what is shown, for the page's services,
    with the referral figures its reasons cite. Both go through ``data.db.fetch_all`` (plain
    tuples; this is the hot path).
    """
    viewer = viewer or Viewer()
    today = today or dt.date.today()
    sql, params = build_sql(qy, today)
    safe = generic_plan_safe(qy)
    keys, rows = fetch_all(session, sql, params, prepare=None if safe else False,
                           generic=safe and generic_at_once(qy))
    # one tuple per column (numpy reads None as NaN where a float is expected)
    col = dict(zip(keys, list(zip(*rows, strict=True)) if rows else [()] * len(keys),
                   strict=True))
    for name in ("distance_m", "capacity_per_month", "days_since_verified"):
        col[name] = np.array(col[name], dtype=float)  # None (unknown) as NaN
    cands = Candidates(
        ids=col["id"], coverage=col["cover"], distance_m=col["distance_m"],
        availability=col["availability"], capacity=col["capacity_per_month"],
        group_match=col["group_match"], needs_documents=col["needs_documents"],
        days_since_verified=col["days_since_verified"], accept_logit=col["logit_base"],
        accept_distance_coef=col["distance_coef"], accept_p=col["p_default"],
        response_hours=col["median_response_hours"], decline_labels=REASON_LABELS,
    )  # (the referral figures only the reasons cite come with the page's details)
    ranked = rank(cands, point=qy.point, groups_given=bool(qy.groups), area=bool(qy.pcode))
    start = (qy.page - 1) * qy.per_page
    page = [int(i) for i in ranked.order[start:start + qy.per_page]]
    items = []
    if page:
        ids = col["id"]
        detail_params: dict[str, Any] = {"ids": [ids[i] for i in page]}
        if qy.point:
            detail_params.update(lon=qy.lon, lat=qy.lat)
        elif qy.pcode:
            detail_params["area"] = qy.pcode
        dkeys, drows = fetch_all(session, detail_sql(qy), detail_params)
        shown = {r[0]: dict(zip(dkeys, r, strict=True)) for r in drows}  # id first
        for i in page:
            row = shown.get(ids[i])  # None: deleted between the two statements
            if row is not None:
                # the rows' staleness clock follows the review cadence (migration
                # 0033_freshness); the reasons say how long ago it really was verified
                real = row["last_verified"]
                cands.days_since_verified[i] = (  # type: ignore[index]
                    math.nan if real is None else float((today - real).days))
                figures = OutcomeFigures(row["history"], row["top_decline_reason"],
                                         row["top_decline_share"], row["acceptance_rate"])
                items.append(_item(row, col, i, score=float(ranked.scores[i]),
                                   stale=bool(ranked.stale[i]),
                                   reasons=ranked.reasons(i, figures), viewer=viewer,
                                   point=qy.point))
    return SearchResult(items=items, total=len(rows), page=qy.page, per_page=qy.per_page,
                        area=qy.pcode, query=qy)


def record_unmet(session: Session, qy: SearchQuery) -> None:
    """Log a search that found nothing: need, area, groups, age, sex, time; nobody's identity
    and never the exact point (only the admin area containing it). One plain INSERT in the
    session's transaction: the ORM's flush cost ~7 % of a logged search's Python time."""
    fetch_all(session, f"INSERT INTO {UnmetSearch.__tablename__} (service_type_code, "
              "sector_code, pcode, target_groups, age, sex) VALUES (:type, :sector, :pcode, "
              "CAST(:groups AS text[]), :age, :sex)",
              {"type": qy.service_types[0] if len(qy.service_types) == 1 else None,
               "sector": qy.sector, "pcode": qy.pcode, "groups": list(qy.groups),
               "age": qy.age, "sex": qy.sex})
