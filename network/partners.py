"""Partner suggestions, duplication alerts and partnership requests (use cases).

The frames come from the database (active services of verified organisations, their coverage
expanded to sub-districts, target groups, people in need, 4W activities and referrals); the
algorithms are in ``matching.partners`` and ``matching.complementarity``, which return codes;
this module turns codes into Arabic and English sentences. Use cases flush, never commit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.members import org_admins
from data.models import (
    AdminArea,
    Organization,
    Partnership,
    PartnershipRequest,
    Sector,
    ServiceType,
    TargetGroup,
    User,
)
from matching.wording import mid_sentence

if TYPE_CHECKING:  # pandas and scikit-learn load with the first suggestion, not the app
    import numpy as np
    import pandas as pd

    from matching.complementarity import ComplementarityModel
    from matching.partners import PartnerRecommender, Suggestion

__all__ = [
    "DuplicationAlert", "PartnerData", "PartnerSuggestion", "check_insight_access",
    "REQUESTS_LINK", "answer", "close_request", "load_request", "match_words", "withdraw",
    "duplication_alerts", "get_org",
    "end_partnership", "fit_recommender", "list_requests", "load_frames", "org_partners",
    "partnership_network", "relations", "request_partnership", "respond_to_request", "suggestions",
    "withdraw_request",
]

MAX_TOP = 50
FINAL_REFERRAL_STATES = ("completed", "declined", "closed_unmet", "expired")

# ---------------------------------------------------------------- loading the frames

_PRESENCE_SQL = text("""
WITH svc AS (
    SELECT s.id, s.organization_id AS org, s.service_type_code AS service_type,
           st.sector_code, s.capacity_per_month
    FROM service s
    JOIN organization o ON o.id = s.organization_id
    JOIN service_type st ON st.code = s.service_type_code
    WHERE s.status = 'active' AND o.verification = 'verified'
), anc AS (  -- every sub-district under its own, its district's and its governorate's p-code
    SELECT pcode AS sub, pcode AS anc FROM admin_area WHERE level = 3
    UNION ALL SELECT pcode, left(pcode, 6) FROM admin_area WHERE level = 3
    UNION ALL SELECT pcode, left(pcode, 4) FROM admin_area WHERE level = 3
), areas AS (
    SELECT c.service_id, coalesce(anc.sub, c.pcode) AS area
    FROM service_coverage c LEFT JOIN anc ON anc.anc = c.pcode
    UNION
    SELECT service_id, admin3_pcode FROM service_site WHERE admin3_pcode IS NOT NULL
)
SELECT svc.id AS service_id, svc.org, areas.area, g.target_group_code AS "group",
       svc.service_type, svc.sector_code, svc.capacity_per_month
FROM svc
JOIN areas ON areas.service_id = svc.id
JOIN service_target_group g ON g.service_id = svc.id
""")

_NEED_SQL = text("""
SELECT pcode, sector_code, target_group_code, people_in_need
FROM need
WHERE people_in_need IS NOT NULL
  AND period = (SELECT max(period) FROM need WHERE people_in_need IS NOT NULL)
""")


@dataclass
class PartnerData:
    """The frames the recommender is fitted on."""

    presence: pd.DataFrame
    services: pd.DataFrame
    activities: pd.DataFrame
    referrals: pd.DataFrame


def _need_per_row(session: Session, rows: pd.DataFrame) -> np.ndarray:
    """People in need in each row's (area, group) cell, whatever the sector: the largest
    sector figure for the group, else the inter-sector total, else the largest sector total,
    else the population, else 1 (latest HNO period)."""
    import numpy as np
    import pandas as pd

    needs = pd.DataFrame(session.execute(_NEED_SQL).all(),
                         columns=["area", "sector_code", "group", "pin"])
    out = pd.Series(np.nan, index=rows.index)
    if not needs.empty:
        steps = [
            (needs[needs.group.notna()], ["area", "group"]),
            (needs[needs.sector_code.isna() & needs.group.isna()], ["area"]),
            (needs[needs.group.isna()], ["area"]),
        ]
        for table, on in steps:
            if table.empty:
                continue
            lookup = table.groupby(on)["pin"].max()
            keys = pd.MultiIndex.from_frame(rows[on]) if len(on) > 1 else pd.Index(rows["area"])
            out = out.fillna(pd.Series(lookup.reindex(keys).to_numpy(), index=rows.index))
    if out.isna().any():
        pop = dict(session.execute(select(AdminArea.pcode, AdminArea.population)
                                   .where(AdminArea.population.is_not(None))).all())
        out = out.fillna(rows["area"].map(pop))
    return out.fillna(1.0).to_numpy(float)


def load_frames(session: Session) -> PartnerData:
    """Presence, services, 4W activities and referral outcomes, as the recommender takes them."""
    import pandas as pd

    raw = pd.DataFrame(session.execute(_PRESENCE_SQL).all(),
                       columns=["service_id", "org", "area", "group", "service_type",
                                "sector_code", "capacity_per_month"])
    if not raw.empty:
        # a service's capacity is shared equally among the areas it covers (as the gap engine
        # does); each of its target groups may use all of an area's share
        areas = raw.groupby("service_id")["area"].transform("nunique")
        raw["capacity"] = raw["capacity_per_month"].astype(float) / areas
        raw["need"] = _need_per_row(session, raw)
    else:
        raw = raw.assign(capacity=pd.Series(dtype=float), need=pd.Series(dtype=float))
    services = pd.DataFrame(session.execute(text(
        "SELECT s.organization_id AS org, s.service_type_code AS service_type, count(*) "
        "FROM service s JOIN organization o ON o.id = s.organization_id "
        "WHERE s.status = 'active' AND o.verification = 'verified' GROUP BY 1, 2")).all(),
        columns=["org", "service_type", "weight"])
    activities = pd.DataFrame(session.execute(text(
        "SELECT DISTINCT coalesce(community_pcode, pcode) AS place, service_type_code "
        "FROM activity WHERE service_type_code IS NOT NULL "
        "AND coalesce(community_pcode, pcode) IS NOT NULL")).all(),
        columns=["place", "service_type"])
    referrals = pd.DataFrame(session.execute(text(
        "SELECT sender_org_id, service_type_code, status = 'completed' FROM referral "
        "WHERE service_type_code IS NOT NULL AND status = ANY(:final)"),
        {"final": list(FINAL_REFERRAL_STATES)}).all(),
        columns=["sender", "service_type", "completed"])
    presence = raw[["org", "area", "group", "service_type", "need", "capacity"]]
    return PartnerData(presence, services, activities, referrals)


# ---------------------------------------------------------------- fitting (cached)

_CACHE: dict[Any, tuple[Any, PartnerRecommender, ComplementarityModel, PartnerData]] = {}
_LOCK = threading.Lock()

_FINGERPRINT_SQL = text("""
SELECT (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') || ':' ||
               coalesce(sum(id), 0) FROM service),
       (SELECT count(*) || ':' || coalesce(sum(service_id), 0) FROM service_coverage),
       (SELECT count(*) || ':' || coalesce(sum(service_id), 0) FROM service_target_group),
       (SELECT count(*) FROM service_site),
       (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM organization),
       (SELECT count(*) || ':' || coalesce(sum(id), 0) FROM need),
       (SELECT count(*) || ':' || coalesce(sum(id), 0) FROM activity),
       (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM referral)
""")


def fit_recommender(session: Session, *, duplication_weight: float = 0.5
                    ) -> tuple[PartnerRecommender, ComplementarityModel, PartnerData]:
    """The fitted recommender, its complementarity model and frames, refitted only when the
    directory, needs, 4W rows or referrals changed (a cheap fingerprint query decides)."""
    from matching.complementarity import ComplementarityModel
    from matching.partners import PartnerRecommender

    bind = session.get_bind()
    key = (str(getattr(bind, "url", None) or bind.engine.url), duplication_weight,
           tuple(session.execute(_FINGERPRINT_SQL).one()))
    with _LOCK:
        hit = _CACHE.get(key[0])
        if hit is not None and hit[0] == key:
            return hit[1], hit[2], hit[3]
    data = load_frames(session)
    types = session.scalars(select(ServiceType.code).order_by(ServiceType.code)).all()
    comp = ComplementarityModel().fit(types, activities=data.activities,
                                      referrals=data.referrals, org_services=data.services)
    model = PartnerRecommender(duplication_weight=duplication_weight).fit(
        data.presence, data.services, comp.matrix_)
    with _LOCK:
        _CACHE[key[0]] = (key, model, comp, data)
    return model, comp, data


# ---------------------------------------------------------------- bilingual rendering

class _Names:
    """Arabic and English names of areas, groups, service types and organisations."""

    def __init__(self, session: Session, areas=(), groups=(), types=()):
        self.area = {a.pcode: a for a in session.scalars(
            select(AdminArea).where(AdminArea.pcode.in_(set(areas))))} if areas else {}
        self.group = {g.code: g for g in session.scalars(select(TargetGroup))}
        self.type = {t.code: t for t in session.scalars(select(ServiceType))}

    def of(self, kind: str, code: str, locale: str) -> str:
        obj = getattr(self, kind).get(code)
        return obj.name(locale) if obj is not None else code

    def group_in_text(self, code: str, locale: str) -> str:
        """A target group's name inside a sentence ("serve women", not "serve Women")."""
        name = self.of("group", code, locale)
        return name if locale == "ar" else mid_sentence(name)


def _join(items: list[str], locale: str) -> str:
    return ("، " if locale == "ar" else ", ").join(items)


_TEXT = {
    "shared": {"en": "Both of you serve {group} in {areas}.",
               "ar": "تخدم المنظمتان {group} في {areas}."},
    "pair": {"en": "Your “{own}” complements their “{theirs}”.",
             "ar": "خدمتكم «{own}» تكمّلها خدمتهم «{theirs}»."},
    "act": {"en": "In {area}, {need} {group} are in need: you offer “{own}” there, and "
                  "{partner} offers “{theirs}” to the same group. Refer to each other.",
            "ar": "في {area} {need} من {group} بحاجة: تقدّمون هناك «{own}»، وتقدّم {partner} "
                  "«{theirs}» للفئة نفسها. أحيلوا إلى بعضكم."},
    "dup": {"en": "You both offer “{type}” to {group} in {area}: coordinate.",
            "ar": "تقدّم المنظمتان «{type}» {group} في {area}: نسّقوا فيما بينكم."},
    "alert": {"en": "{n} organisations offer “{type}” to {group} in {area}: together they "
                    "can serve {ratio} of the {need} people in need in a year.",
              "ar": "عدد المنظمات التي تقدّم «{type}» {group} في {area}: {n}، وتستطيع معاً "
                    "خدمة {ratio} من المحتاجين ({need}) في السنة."},
}


def _to_group(name: str, locale: str) -> str:
    """'to' + a group name: in Arabic the preposition joins the word (ل + النساء = للنساء)."""
    if locale != "ar":
        return name
    return "ل" + name[1:] if name.startswith("ال") else "لـ" + name


def _reasons(s: Suggestion, names: _Names, locale: str) -> list[str]:
    out: list[str] = []
    by_group: dict[str, list[str]] = {}
    for area, group, _need in s.shared_cells:
        by_group.setdefault(group, []).append(names.of("area", area, locale))
    for group, areas in by_group.items():
        out.append(_TEXT["shared"][locale].format(group=names.group_in_text(group, locale),
                                                  areas=_join(areas, locale)))
    for own, theirs, _strength in s.service_pairs:
        out.append(_TEXT["pair"][locale].format(own=names.of("type", own, locale),
                                                theirs=names.of("type", theirs, locale)))
    for area, group, stype in s.duplicated[:3]:
        out.append(_TEXT["dup"][locale].format(type=names.of("type", stype, locale),
                                               group=_to_group(names.group_in_text(group, locale),
                                                               locale),
                                               area=names.of("area", area, locale)))
    return out


# ---------------------------------------------------------------- suggestions

def _act(s: Suggestion, names: _Names, partner: Organization, locale: str) -> str:
    """One sentence a manager can act on: the neediest shared place and group, what each side
    offers there (empty when they share no place or no complementary pair)."""
    if not s.shared_cells or not s.service_pairs:
        return ""
    area, group, need = s.shared_cells[0]
    own, theirs, _strength = s.service_pairs[0]
    return _TEXT["act"][locale].format(
        area=names.of("area", area, locale), need=f"{round(need):,}",
        group=names.group_in_text(group, locale), own=names.of("type", own, locale),
        theirs=names.of("type", theirs, locale), partner=partner.name(locale))


def match_words(score: float) -> str:
    """How good a suggested partnership is, in words beside the percentages."""
    if score >= 0.25:
        return _("strong match")
    if score >= 0.08:
        return _("good match")
    return _("possible match")


@dataclass
class PartnerSuggestion:
    """A suggested partner with its score, reason codes and reasons in Arabic and English."""

    organization: Organization
    score: float
    reach: float
    complementarity: float
    duplication: float
    codes: Suggestion
    reasons: dict[str, list[str]] = field(default_factory=dict)
    pending_request: bool = False
    action: dict[str, str] = field(default_factory=dict)

    @property
    def match(self) -> str:
        """The score in words (strong, good or possible match)."""
        return match_words(self.score)

    def to_dict(self) -> dict:
        """JSON form (API and CLI)."""
        org = self.organization
        return {
            "organization": {"id": org.id, "name_ar": org.name_ar, "name_en": org.name_en,
                             "acronym": org.acronym},
            "score": round(self.score, 6), "reach": round(self.reach, 6),
            "complementarity": round(self.complementarity, 6),
            "duplication": round(self.duplication, 6),
            "shared": [{"area": a, "group": g, "people_in_need": n}
                       for a, g, n in self.codes.shared_cells],
            "service_pairs": [{"own": a, "partner": b, "strength": round(c, 6)}
                              for a, b, c in self.codes.service_pairs],
            "duplicated": [{"area": a, "group": g, "service_type": t}
                           for a, g, t in self.codes.duplicated],
            "reasons_ar": self.reasons.get("ar", []),
            "reasons_en": self.reasons.get("en", []),
            "pending_request": self.pending_request,
        }


def get_org(session: Session, ref: int | str) -> Organization:
    """An organisation by id or acronym (case-insensitive); NotFound otherwise."""
    org = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        org = session.get(Organization, int(ref))
    if org is None and isinstance(ref, str) and ref.strip():
        found = session.scalars(select(Organization).where(
            func.lower(Organization.acronym) == ref.strip().lower())).all()
        if len(found) > 1:
            raise BadInput(_("The acronym '%(ref)s' is shared by %(n)s organisations; "
                             "use the id.", ref=ref, n=len(found)), field="org")
        org = found[0] if found else None
    if org is None:
        raise NotFound(_("Organisation '%(ref)s' doesn't exist.", ref=ref), field="org")
    return org


INSIGHT_ROLES_ANY_ORG = ("platform_admin", "planner")


def check_insight_access(actor: Any, org_id: int) -> None:
    """Suggestions and duplication alerts of an organisation are for its own members, for
    planners and for platform admins; anyone else gets Forbidden."""
    role = getattr(actor, "role", None)
    if role in INSIGHT_ROLES_ANY_ORG:
        return
    if role is None or getattr(actor, "organization_id", None) != org_id:
        raise Forbidden(_("Partner suggestions and duplication alerts are visible to the "
                          "organisation's members, planners and platform admins only."))


def _partner_types(session: Session, sector: str) -> list[str]:
    if session.get(Sector, sector) is None:
        raise BadInput(_("Unknown sector '%(code)s'.", code=sector), field="sector")
    return list(session.scalars(select(ServiceType.code).join(Sector).where(
        or_(Sector.code == sector, Sector.parent_code == sector))))


def _partner_ids(session: Session, org_id: int) -> set[int]:
    rows = session.execute(select(Partnership.org_low_id, Partnership.org_high_id).where(
        Partnership.status == "active",
        or_(Partnership.org_low_id == org_id, Partnership.org_high_id == org_id))).all()
    return {b if a == org_id else a for a, b in rows}


def _pending_with(session: Session, org_id: int) -> set[int]:
    rows = session.execute(select(PartnershipRequest.requester_org_id,
                                  PartnershipRequest.target_org_id).where(
        PartnershipRequest.status == "pending",
        or_(PartnershipRequest.requester_org_id == org_id,
            PartnershipRequest.target_org_id == org_id))).all()
    return {b if a == org_id else a for a, b in rows}


def relations(session: Session, org_id: int) -> dict[int, str]:
    """Other organisation id -> "partner" or "pending" (a request either way), for ``org_id``."""
    out = dict.fromkeys(_pending_with(session, org_id), "pending")
    out.update(dict.fromkeys(_partner_ids(session, org_id), "partner"))
    return out


def suggestions(session: Session, org: int | str, *, top: int = 10, area: str | None = None,
                group: str | None = None, sector: str | None = None
                ) -> tuple[Organization, list[PartnerSuggestion]]:
    """The ``top`` complementary partners of ``org`` (not yet partners), with reasons.

    ``area`` (a p-code: the shared reach is counted inside it), ``group`` (a target group code)
    and ``sector`` (partners offering services of that sector or its sub-sectors) filter.
    """
    organization = get_org(session, org)
    if not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise BadInput(_("top must be a whole number from 1 to %(max)s.", max=MAX_TOP),
                       field="top")
    if area and session.get(AdminArea, area) is None:
        raise BadInput(_("Unknown area p-code '%(code)s'.", code=area), field="area")
    if group and session.get(TargetGroup, group) is None:
        raise BadInput(_("Unknown target group '%(code)s'.", code=group), field="group")
    partner_types = _partner_types(session, sector) if sector else None
    model, _comp, _data = fit_recommender(session)
    if organization.id not in set(model.orgs_.tolist()):
        return organization, []  # no active service yet: nothing to compare
    found = model.suggest(organization.id, top=top, area=area or None, group=group or None,
                          partner_types=partner_types,
                          exclude=sorted(_partner_ids(session, organization.id)))
    if not found:
        return organization, []
    over = _over_covered(model, organization.id)
    dup_with: dict[int, list[tuple[str, str, str]]] = {}
    for row in over.itertuples(index=False):
        for other in row.orgs:
            if other != organization.id:
                dup_with.setdefault(other, []).append((row.area, row.group, row.service_type))
    # the card counts and names the same offers as the duplication list
    found = [replace(s, duplicated=dup_with.get(s.partner, [])) for s in found]
    orgs = organizations_by_id(session, {s.partner for s in found})
    names = _Names(session, areas={c[0] for s in found for c in s.shared_cells}
                   | {d[0] for s in found for d in s.duplicated})
    pending = _pending_with(session, organization.id)
    out = [PartnerSuggestion(orgs[s.partner], s.score, s.reach, s.complementarity,
                             s.duplication, s,
                             {loc: _reasons(s, names, loc) for loc in ("ar", "en")},
                             s.partner in pending,
                             {loc: _act(s, names, orgs[s.partner], loc) for loc in ("ar", "en")})
           for s in found]
    return organization, out


# ---------------------------------------------------------------- duplication alerts

@dataclass
class DuplicationAlert:
    """Several organisations offering the same service to the same group in the same area."""

    area: str
    group: str
    service_type: str
    organizations: list[Organization]
    need: float
    capacity: float | None
    coverage_ratio: float | None
    text: dict[str, str]

    def to_dict(self) -> dict:
        return {"area": self.area, "group": self.group, "service_type": self.service_type,
                "organizations": [{"id": o.id, "name_ar": o.name_ar, "name_en": o.name_en}
                                  for o in self.organizations],
                "people_in_need": self.need, "capacity": self.capacity,
                "coverage_ratio": self.coverage_ratio,
                "text_ar": self.text["ar"], "text_en": self.text["en"]}


def _ratio(value: float | None, locale: str) -> str:
    if value is None:
        return "؟" if locale == "ar" else "unknown"
    return f"{value:.0%}" if locale == "en" else f"{value * 100:.0f}٪"


# Duplication is several organisations covering the same people's need *beyond* it: the same
# service to the same group in the same area, their monthly capacity over a year reaching at
# least the people in need there. Several organisations where coverage is low is a gap.
DUPLICATION_MIN_COVERAGE = 1.0
DUPLICATION_SORTS = ("organizations", "coverage", "area")


def duplication_alerts(session: Session, *, org: int | str | None = None,
                       area: str | None = None, group: str | None = None,
                       sector: str | None = None, sort: str = "organizations",
                       limit: int | None = 200) -> list[DuplicationAlert]:
    """Offers duplicated beyond the need involving ``org`` and/or inside ``area`` (a p-code
    prefix), for ``group`` and the service types of ``sector`` when given, sorted by
    ``sort`` (most organisations, highest coverage, or area)."""
    import pandas as pd

    organization = get_org(session, org) if org is not None else None
    if area and session.get(AdminArea, area) is None:
        raise BadInput(_("Unknown area p-code '%(code)s'.", code=area), field="area")
    if group and session.get(TargetGroup, group) is None:
        raise BadInput(_("Unknown target group '%(code)s'.", code=group), field="group")
    if sort not in DUPLICATION_SORTS:
        raise BadInput(_("%(field)s must be one of %(choices)s.", field="sort",
                         choices=", ".join(DUPLICATION_SORTS)), field="sort")
    types = _partner_types(session, sector) if sector else None
    model, _comp, _data = fit_recommender(session)
    if organization is not None and organization.id not in set(model.orgs_.tolist()):
        return []
    frame = _over_covered(model, organization.id if organization else None, area)
    if group:
        frame = frame[frame["group"] == group]
    if types is not None:
        frame = frame[frame["service_type"].isin(types)]
    if sort == "coverage":
        frame = frame.sort_values(["coverage_ratio", "n_orgs"], ascending=False, kind="stable")
    elif sort == "area":
        frame = frame.sort_values(["area", "group", "service_type"], kind="stable")
    if limit is not None:
        frame = frame.head(limit)
    if frame.empty:
        return []
    orgs = organizations_by_id(session, {i for t in frame["orgs"] for i in t})
    names = _Names(session, areas=set(frame["area"]))
    out = []
    for row in frame.itertuples(index=False):
        ratio = None if pd.isna(row.coverage_ratio) else float(row.coverage_ratio)
        text_ = {loc: _TEXT["alert"][loc].format(
            n=row.n_orgs, type=names.of("type", row.service_type, loc),
            group=_to_group(names.group_in_text(row.group, loc), loc),
            area=names.of("area", row.area, loc), need=f"{round(row.need):,}",
            ratio=_ratio(ratio, loc)) for loc in ("ar", "en")}
        out.append(DuplicationAlert(row.area, row.group, row.service_type,
                                    [orgs[i] for i in row.orgs if i in orgs], float(row.need),
                                    None if pd.isna(row.capacity) else float(row.capacity),
                                    ratio, text_))
    return out


def _over_covered(model: PartnerRecommender, org: int | None,
                  area: str | None = None) -> pd.DataFrame:
    """The model's duplicated offers whose organisations together cover the need in a year."""
    return model.duplication_alerts(org=org, area=area or None, periods=12,
                                    min_coverage=DUPLICATION_MIN_COVERAGE)


# ---------------------------------------------------------------- partnership requests

REQUESTS_LINK = "/partners/requests"  # where an organisation's admins answer requests of both kinds

def _notify(session: Session, org_id: int, kind: str, ar: str, en: str, link: str) -> None:
    from referral.notify import notify

    notify(session, org_admins(session, org_id), kind, ar, en, link)


def _require_org_admin(actor: User) -> int:
    if getattr(actor, "role", None) != "org_admin" or not actor.organization_id:
        raise Forbidden(_("Only an organisation's admin can manage its partnerships."))
    return actor.organization_id


def request_partnership(session: Session, actor: User, target: int | str, *,
                        message: str = "") -> PartnershipRequest:
    """``actor``'s organisation asks ``target`` to partner; the target's admins are notified."""
    own = _require_org_admin(actor)
    target_org = get_org(session, target)
    if target_org.id == own:
        raise BadInput(_("An organisation cannot partner with itself."), field="target")
    if not target_org.verified:
        raise BadInput(_("Only verified organisations can be asked to partner."),
                       field="target")
    if len(message or "") > 2000:
        raise BadInput(_("The message is longer than 2,000 characters."), field="message")
    if target_org.id in _partner_ids(session, own):
        raise Conflict(_("These organisations are partners already."), field="target")
    if target_org.id in _pending_with(session, own):
        raise Conflict(_("A partnership request between these organisations is pending; "
                         "answer or withdraw it first."), field="target")
    req = PartnershipRequest(requester_org_id=own, target_org_id=target_org.id,
                             requested_by_id=actor.id, message=(message or "").strip())
    session.add(req)
    session.flush()
    record(session, "partnership.request", user=actor, obj=req,
           summary={"target_org_id": target_org.id})
    requester = session.get(Organization, own)
    _notify(session, target_org.id, "partnership_request",
            f"طلب شراكة جديد من {requester.name_ar}", f"New partnership request from "
            f"{requester.name_en}", REQUESTS_LINK)
    return req


def _already(status: str) -> str:
    """"This request is <status> already." with the status in the reader's language."""
    names = {"accepted": _("accepted"), "declined": _("declined"), "withdrawn": _("withdrawn")}
    return _("This request is %(status)s already.", status=names.get(status, status))


def load_request(session: Session, actor: User, model: type, request_id: int,
                 missing: str) -> Any:
    """A request of either kind (``model``), locked, for an organisation admin whose
    organisation is one of its two sides; else NotFound with ``missing`` (other
    organisations' requests stay hidden)."""
    _require_org_admin(actor)
    req = session.get(model, request_id, with_for_update=True)
    org = getattr(actor, "organization_id", None)
    if req is None or org not in (req.requester_org_id, req.target_org_id):
        raise NotFound(missing, field="id")
    return req


def _load_request(session: Session, actor: User, request_id: int) -> PartnershipRequest:
    return load_request(session, actor, PartnershipRequest, request_id,
                        _("Partnership request %(id)s doesn't exist.", id=request_id))


def close_request(actor: User, req: Any, status: str, note: str = "") -> None:
    """Answer ("accepted"/"declined", by the asked organisation's admin) or withdraw (by the
    asker's) a pending request of either kind (partnership, referral pathway); refused for
    the other side, for a request closed already and for a note over 2,000 characters."""
    if status == "withdrawn":
        if actor.organization_id != req.requester_org_id:
            raise Forbidden(_("Only the admin of the requesting organisation can withdraw it."))
    elif actor.organization_id != req.target_org_id:
        raise Forbidden(_("Only the admin of the organisation that was asked can answer."))
    if req.status != "pending":
        raise Conflict(_already(req.status), field="status")
    if len(note or "") > 2000:
        raise BadInput(_("The note is longer than 2,000 characters."), field="note")
    req.status = status
    req.responded_by_id = actor.id
    req.responded_at = func.now()
    req.response_note = (note or "").strip()


def answer(session: Session, actor: User, req: Any, *, accept: bool, note: str, kind: str,
           named: tuple[str, str]) -> None:
    """Accept or decline a pending request of either kind (``kind``: "partnership",
    "pathway"), audited as ``kind.status``; the asking organisation's admins are told in
    Arabic and English (``named``: the request, definite, in each language)."""
    close_request(actor, req, "accepted" if accept else "declined", note)
    session.flush()
    record(session, f"{kind}.{req.status}", user=actor, obj=req)
    target = session.get(Organization, req.target_org_id)
    ar_named, en_named = named
    if accept:
        ar, en = (f"قبلت {target.name_ar} {ar_named}",
                  f"{target.name_en} accepted your {en_named}")
    else:
        ar, en = (f"اعتذرت {target.name_ar} عن {ar_named}",
                  f"{target.name_en} declined your {en_named}")
    _notify(session, req.requester_org_id, f"{kind}_{req.status}", ar, en, REQUESTS_LINK)


def withdraw(session: Session, actor: User, req: Any, kind: str) -> None:
    """The asking organisation's admin withdraws a pending request of either kind, audited
    as ``kind.withdrawn``."""
    close_request(actor, req, "withdrawn")
    session.flush()
    record(session, f"{kind}.withdrawn", user=actor, obj=req)


def respond_to_request(session: Session, actor: User, request_id: int, *, accept: bool,
                       note: str = "") -> PartnershipRequest:
    """The target organisation's admin accepts (a partnership begins) or declines."""
    req = _load_request(session, actor, request_id)
    answer(session, actor, req, accept=accept, note=note, kind="partnership",
           named=("طلب الشراكة", "partnership request"))
    if accept and req.requester_org_id not in _partner_ids(session, req.target_org_id):
        low, high = sorted((req.requester_org_id, req.target_org_id))
        session.add(Partnership(org_low_id=low, org_high_id=high, request_id=req.id))
        session.flush()
    return req


def withdraw_request(session: Session, actor: User, request_id: int) -> PartnershipRequest:
    """The requesting organisation's admin withdraws a pending request."""
    req = _load_request(session, actor, request_id)
    withdraw(session, actor, req, "partnership")
    return req


def end_partnership(session: Session, actor: User, partnership_id: int) -> Partnership:
    """Either organisation's admin ends an active partnership."""
    own = _require_org_admin(actor)
    p = session.get(Partnership, partnership_id, with_for_update=True)
    if p is None or own not in (p.org_low_id, p.org_high_id):
        raise NotFound(_("Partnership %(id)s doesn't exist.", id=partnership_id), field="id")
    if p.status != "active":
        raise Conflict(_("This partnership has ended already."), field="status")
    p.status = "ended"
    p.ended_at = func.now()
    p.ended_by_id = actor.id
    session.flush()
    record(session, "partnership.ended", user=actor, obj=p)
    return p


def list_requests(session: Session, org_id: int
                  ) -> tuple[list[PartnershipRequest], list[PartnershipRequest]]:
    """(incoming, outgoing) requests of an organisation, pending first, newest first."""
    def _q(column):
        return list(session.scalars(select(PartnershipRequest).where(column == org_id)
                                    .order_by((PartnershipRequest.status != "pending"),
                                              PartnershipRequest.id.desc()).limit(200)))
    return _q(PartnershipRequest.target_org_id), _q(PartnershipRequest.requester_org_id)


def organizations_by_id(session: Session, ids: set[int]) -> dict[int, Organization]:
    """The organisations with these ids, keyed by id (for naming the other side of requests)."""
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(ids)))}


def org_partners(session: Session, org_id: int) -> list[tuple[Organization, Partnership]]:
    """The organisation's active partners, by name (for its page: ``_org_partners.html``)."""
    rows = session.scalars(select(Partnership).where(
        Partnership.status == "active",
        or_(Partnership.org_low_id == org_id, Partnership.org_high_id == org_id))
        .options(selectinload(Partnership.org_low), selectinload(Partnership.org_high))).all()
    pairs = [(p.other(org_id), p) for p in rows]
    return sorted(pairs, key=lambda x: x[0].name_en.lower())


def partnership_network(session: Session) -> dict:
    """Nodes (organisations with a head-office location) and edges of active partnerships,
    as GeoJSON-ready dicts: ``{"nodes": [...], "edges": [...]}``."""
    import numpy as np

    rows = session.execute(text("""
        SELECT p.org_low_id, p.org_high_id FROM partnership p WHERE p.status = 'active'
    """)).all()
    ids = sorted({i for r in rows for i in r})
    if not ids:
        return {"nodes": [], "edges": []}
    nodes = session.execute(text("""
        SELECT o.id, o.name_ar, o.name_en, o.acronym,
               ST_X(coalesce(a.centroid, ST_PointOnSurface(a.geom))) AS lon,
               ST_Y(coalesce(a.centroid, ST_PointOnSurface(a.geom))) AS lat
        FROM organization o LEFT JOIN admin_area a ON a.pcode = o.hq_pcode
        WHERE o.id = ANY(:ids)
    """), {"ids": ids}).all()
    placed = {n.id: n for n in nodes if n.lon is not None}
    # organisations sharing a head-office area are spread on a small circle around it
    at: dict[tuple[float, float], list[int]] = {}
    for n in sorted(placed.values(), key=lambda n: n.id):
        at.setdefault((round(n.lon, 5), round(n.lat, 5)), []).append(n.id)
    offset: dict[int, tuple[float, float]] = {}
    for members in at.values():
        for k, org_id in enumerate(members):
            angle = 2 * np.pi * k / len(members)
            r = 0.04 if len(members) > 1 else 0.0
            offset[org_id] = (r * np.cos(angle), r * np.sin(angle))
    return {
        "nodes": [{"id": n.id, "name_ar": n.name_ar, "name_en": n.name_en,
                   "acronym": n.acronym, "lon": float(n.lon + offset[n.id][0]),
                   "lat": float(n.lat + offset[n.id][1])} for n in placed.values()],
        "edges": [{"a": a, "b": b} for a, b in rows if a in placed and b in placed],
        "unplaced": len(ids) - len(placed),
    }
