"""Pure generation of the demo organisations and services as pandas frames (no I/O).

Every frame uses local 0-based ids (``org``, ``svc``); the writer adds the database offsets.
The same inputs and seed always give the same frames.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from textmatch.arabic import normalize

from ..errors import BadInput
from . import names, profiles

__all__ = ["Geography", "Taxonomy", "generate_orgs", "generate_services", "uuids"]

ORG_TYPE_P = {"local_ngo": 0.55, "charity": 0.18, "cbo": 0.12, "international_ngo": 0.09,
              "un_agency": 0.01, "government": 0.02, "private": 0.01, "other": 0.02}
VERIFICATION_P = {"verified": 0.85, "pending": 0.10, "suspended": 0.03, "rejected": 0.02}
MODALITY_P = {"static": 0.70, "mobile": 0.22, "remote": 0.08}
AVAILABILITY_P = {"open": 0.75, "waitlist": 0.17, "full": 0.08}
COST_P = {"free": 0.92, "subsidised": 0.06, "paid": 0.02}
METHOD_P = {"platform": 0.6, "phone": 0.15, "email": 0.1, "form": 0.1, "walk_in": 0.05}
# The pathway each referral method implies (issue 22), as an organisation would write it.
NEXT_STEP = {
    "platform": ("ترد الخدمة على الإحالة في تشارك، ثم يتصل أحد العاملين بالشخص لتحديد موعد.",
                 "The service answers the referral on Tasharuk, then calls the person to set "
                 "an appointment."),
    "phone": ("اتصل برقم الإحالة؛ تعطي الخدمة موعداً عبر الهاتف.",
              "Call the referral number; the service gives an appointment by phone."),
    "email": ("أرسل استمارة الإحالة بالبريد الإلكتروني؛ تتصل الخدمة بالشخص خلال مدة الرد.",
              "Send the referral form by e-mail; the service calls the person within its "
              "response time."),
    "form": ("أرسل استمارة الإحالة المشتركة؛ تتصل الخدمة بالشخص لتحديد موعد.",
             "Send the inter-agency referral form; the service calls the person to set an "
             "appointment."),
    "walk_in": ("يأتي الشخص خلال ساعات العمل دون موعد مسبق.",
                "The person comes during opening hours; no appointment is needed."),
}
WHAT_TO_BRING = ("أي وثيقة هوية، وأي تقرير طبي أو تقرير حماية سابق إن وُجد.",
                 "Any identity document, and any earlier medical or protection report.")
STATUS_P = {"active": 0.92, "inactive": 0.04, "temporarily closed": 0.03, "defunct": 0.01}
STALE_MEAN_DAYS = 110  # last_verified age ~ exponential: about 20% older than 180 days


@dataclass
class Geography:
    """Admin areas known to the database; sub-districts with polygons when boundaries loaded."""

    govs: pd.DataFrame  # pcode, name_ar, name_en, population, lon, lat
    districts: pd.DataFrame = field(default_factory=pd.DataFrame)  # pcode, gov, names
    subs: pd.DataFrame = field(default_factory=pd.DataFrame)  # pcode, district, gov, names
    sub_geoms: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))

    @property
    def has_boundaries(self) -> bool:
        return len(self.subs) > 0 and len(self.sub_geoms) == len(self.subs)

    def gov_weights(self) -> np.ndarray:
        pop = self.govs["population"].fillna(self.govs["population"].median()).to_numpy(float)
        pop = np.nan_to_num(pop, nan=1.0) + 1.0
        return pop / pop.sum()


@dataclass
class Taxonomy:
    """Service types (code, sector_code, names, keywords, sensitive, activity_codes), groups."""

    types: pd.DataFrame
    target_groups: list[str]

# the fixed words of the demo descriptions ("تقدم X خدمة Y في Z.", "X offers y in Z.")
_FILLER = normalize("تقدم خدمة في offers in")


def _choice(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=p / p.sum())]


def uuids(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` random (version 4) UUIDs drawn from ``rng``, so they repeat with the seed."""
    raw = rng.integers(0, 256, size=(size, 16), dtype=np.uint8)
    return [str(uuid.UUID(bytes=bytes(row), version=4)) for row in raw]


def _grouped(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, start, count): members of group g are order[start[g]:start[g]+count[g]]."""
    order = np.argsort(keys, kind="stable")
    count = np.bincount(keys, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    return order, start, count


def _pick_in_group(rng, groups: np.ndarray, grouping) -> np.ndarray:
    """For each entry of ``groups`` a random member of that group (-1 where it is empty)."""
    order, start, count = grouping
    c = count[groups]
    pos = start[groups] + np.floor(rng.random(len(groups)) * np.maximum(c, 1)).astype(int)
    pos = np.minimum(pos, len(order) - 1) if len(order) else pos
    return np.where(c > 0, order[pos] if len(order) else -1, -1)


# ------------------------------------------------------------------ organisations

def generate_orgs(rng: np.random.Generator, geo: Geography, n: int,
                  sectors: list[str], today: dt.date) -> pd.DataFrame:
    """``n`` organisations: bilingual unique names, acronym, type, head office, verification."""
    n_gov = len(geo.govs)
    sizes = (len(names.PREFIXES), len(names.CORES), len(names.SUFFIXES), 1 + n_gov)
    space = int(np.prod(sizes))
    if n > space:
        raise BadInput(f"--orgs: at most {space} distinct demo organisations.", field="orgs")
    # place 0: no place in the name (40%); else the governorate, weighted by population
    place_w = np.concatenate(([0.4], 0.6 * geo.gov_weights()))
    weights = np.broadcast_to(place_w, sizes).ravel()
    idx = rng.choice(space, size=n, replace=False, p=weights / weights.sum())
    pre, core, suf, place = np.unravel_index(idx, sizes)
    hq = rng.choice(n_gov, size=n, p=geo.gov_weights())
    hq = np.where(place > 0, place - 1, hq)  # a name "... in Idleb" has its office there
    gov_ar = geo.govs["name_ar"].to_numpy()
    gov_en = geo.govs["name_en"].to_numpy()
    name_ar, name_en, acr = [], [], []
    for p, c, s, pl in zip(pre, core, suf, place, strict=True):
        p_ar, p_en = names.PREFIXES[p]
        c_ar, c_en = names.CORES[c]
        s_ar, s_en = names.SUFFIXES[s]
        ar = " ".join(x for x in (p_ar, c_ar, s_ar) if x)
        if s_en.startswith("for") or not s_en:
            en = " ".join(x for x in (c_en, p_en, s_en) if x)
        else:
            en = f"{c_en} {s_en} {p_en}"
        acr.append(names.acronym(en))
        if pl:
            ar += f" في {gov_ar[pl - 1]}"
            en += f" – {gov_en[pl - 1]}"
        name_ar.append(ar)
        name_en.append(en)
    org_type = _choice(rng, ORG_TYPE_P, n)
    verification = _choice(rng, VERIFICATION_P, n)
    verification[0] = "verified"  # the demo users' organisation
    verified_at = pd.to_datetime(
        [today - dt.timedelta(days=int(d)) for d in rng.integers(1, 900, n)], utc=True)
    reg = 100 + rng.permutation(max(n * 3, 1000))[:n]
    year = rng.integers(2005, 2025, n)
    sw = np.array([profiles.SECTOR_WEIGHT.get(s, profiles.SECTOR_WEIGHT["*"])
                   for s in sectors])
    focus = np.stack([rng.choice(len(sectors), n, p=sw / sw.sum()) for _ in range(2)], axis=1)
    size = rng.lognormal(0.0, 0.9, n) * np.where(
        np.isin(org_type, ["international_ngo", "un_agency"]), 3.0, 1.0)
    phone = rng.integers(10_000_000, 99_999_999, n)
    hq_pcode = geo.govs["pcode"].to_numpy()[hq]
    frame = pd.DataFrame({
        "org": np.arange(n),
        "uuid": uuids(rng, n),
        "name_ar": name_ar,
        "name_en": name_en,
        "acronym": acr,
        "registration_number": [f"{r}/{y}" for r, y in zip(reg, year, strict=True)],
        "org_type": org_type,
        "hq_pcode": hq_pcode,
        "description_ar": [f"{a} تعمل في محافظة {gov_ar[h]}." for a, h in zip(name_ar, hq,
                                                                           strict=True)],
        "description_en": [f"{e} works in {gov_en[h]} governorate." for e, h in
                           zip(name_en, hq, strict=True)],
        "email": [f"info@{a.lower()}{i}.org" for i, a in enumerate(acr)],
        "phone": [f"+963 9{p}" for p in phone],
        "verification": verification,
        "verified_at": pd.Series(verified_at).where(verification == "verified"),
    })
    # data.searchtext's words: names, acronym and descriptions
    org_names = [normalize(f"{a} {e} {c}") for a, e, c in zip(name_ar, name_en, acr,
                                                              strict=True)]
    frame["search_text"] = [f"{n} {normalize(f'{da} {de}')}" for n, da, de in
                            zip(org_names, frame["description_ar"], frame["description_en"],
                                strict=True)]
    # internal columns for the service generator (not stored)
    frame["_hq"], frame["_focus1"], frame["_focus2"], frame["_size"] = hq, *focus.T, size
    frame["_names"] = org_names  # what a service's text takes from its organisation
    return frame


# ------------------------------------------------------------------ services

def generate_services(rng: np.random.Generator, geo: Geography, tax: Taxonomy,
                      orgs: pd.DataFrame, m: int, today: dt.date) -> dict[str, pd.DataFrame]:
    """``m`` services of ``orgs`` with target groups, coverage, sites and opening hours."""
    n = len(orgs)
    types = tax.types.reset_index(drop=True)
    sectors = sorted(types["sector_code"].unique())
    hq, size = orgs["_hq"].to_numpy(), orgs["_size"].to_numpy()
    focus = orgs[["_focus1", "_focus2"]].to_numpy()
    # organisation of each service: at least one each, the rest by organisation size
    counts = 1 + rng.multinomial(m - n, size / size.sum())
    org = np.repeat(np.arange(n), counts)
    # service type: mostly from the organisation's two focus sectors
    sec_of_type = types["sector_code"].map({s: i for i, s in enumerate(sectors)}).to_numpy()
    type_grouping = _grouped(sec_of_type, len(sectors))
    r = rng.random(m)
    sector = np.where(r < 0.5, focus[org, 0],
                      np.where(r < 0.85, focus[org, 1], rng.integers(0, len(sectors), m)))
    stype = _pick_in_group(rng, sector, type_grouping)
    codes = types["code"].to_numpy()[stype]
    sector_codes = types["sector_code"].to_numpy()[stype]
    modality = _choice(rng, MODALITY_P, m)

    coverage, gov_of_svc = _coverage(rng, geo, org, hq, orgs["org_type"].to_numpy())
    first_area = coverage.drop_duplicates("svc").set_index("svc")["pcode"]
    area_names = _area_names(geo)

    # eligibility, capacity and the rest, per service type
    min_age = np.full(m, np.nan)
    max_age = np.full(m, np.nan)
    female_share = np.zeros(m)
    capacity = np.zeros(m)
    for t, code in enumerate(types["code"]):
        mask = stype == t
        if not mask.any():
            continue
        lo, hi, fem = profiles.lookup(profiles.ELIGIBILITY, code, types["sector_code"][t])
        min_age[mask] = np.nan if lo is None else lo
        max_age[mask] = np.nan if hi is None else hi
        female_share[mask] = fem
        capacity[mask] = profiles.lookup(profiles.CAPACITY, code, types["sector_code"][t])
    sex = np.where(rng.random(m) < female_share, "female", "any")
    capacity = np.maximum(5, np.round(capacity * rng.lognormal(0, 0.5, m) / 5) * 5)
    capacity_col = pd.array(np.where(rng.random(m) < 0.1, np.nan, capacity), dtype="Int64")
    langs = np.full(m, "{ar}", dtype=object)
    kurdish = np.isin(geo.govs["pcode"].to_numpy()[gov_of_svc], ["SY02", "SY08", "SY11"])
    langs[kurdish & (rng.random(m) < 0.4)] = "{ar,ku}"
    langs[rng.random(m) < 0.08] = "{ar,en}"
    stale_days = np.minimum(rng.exponential(STALE_MEAN_DAYS, m).astype(int), 1000)
    last_verified = [today - dt.timedelta(days=int(d)) for d in stale_days]
    type_ar = types["name_ar"].to_numpy()[stype]
    type_en = types["name_en"].to_numpy()[stype]
    area = first_area.reindex(np.arange(m)).to_numpy()
    place_ar = [area_names[p][0] for p in area]
    place_en = [area_names[p][1] for p in area]
    org_ar = orgs["name_ar"].to_numpy()[org]
    org_en = orgs["name_en"].to_numpy()[org]
    acr = orgs["acronym"].to_numpy()[org]
    org_text = orgs["_names"].to_numpy()[org]
    type_norm = {c: normalize(f"{a} {e} {ka} {ke}") for c, a, e, ka, ke in types[
        ["code", "name_ar", "name_en", "keywords_ar", "keywords_en"]].itertuples(index=False)}
    place_norm = {p: normalize(f"{a} {e}") for p, (a, e) in area_names.items()}
    services = pd.DataFrame({
        "svc": np.arange(m),
        "uuid": uuids(rng, m),
        "org": org,
        "service_type_code": codes,
        "name_ar": [f"{t} - {p}" for t, p in zip(type_ar, place_ar, strict=True)],
        "name_en": [f"{t} – {p}" for t, p in zip(type_en, place_en, strict=True)],
        "description_ar": [f"تقدم {o} خدمة {t} في {p}." for o, t, p in
                           zip(org_ar, type_ar, place_ar, strict=True)],
        "description_en": [f"{o} offers {t.lower()} in {p}." for o, t, p in
                           zip(org_en, type_en, place_en, strict=True)],
        "min_age": pd.array(min_age, dtype="Int64"),
        "max_age": pd.array(max_age, dtype="Int64"),
        "sex": sex,
        "capacity_per_month": capacity_col,
        "availability": _choice(rng, AVAILABILITY_P, m),
        "languages": langs,
        "modality": modality,
        "cost": _choice(rng, COST_P, m),
        "referral_method": _choice(rng, METHOD_P, m),
        "referral_contact": [f"referrals@{a.lower()}{o}.org" for a, o in zip(acr, org,
                                                                          strict=True)],
        "sensitive": types["sensitive"].to_numpy()[stype].astype(bool),
        "status": _choice(rng, STATUS_P, m),
        "response_days": rng.integers(1, 15, m),
        "what_to_bring_ar": WHAT_TO_BRING[0], "what_to_bring_en": WHAT_TO_BRING[1],
        "last_verified": last_verified,
        # the words data.searchtext.service_search_text gives (names, descriptions, the
        # organisation's names and acronym, the type's names and keywords), built from
        # parts normalised once: a service is found by its organisation's name too
        "search_text": [f"{type_norm[c]} {place_norm[p]} {o} {_FILLER}" for c, p, o in
                        zip(codes, area, org_text, strict=True)],
    })
    steps = services["referral_method"].map(NEXT_STEP)
    services["next_step_ar"] = [x[0] for x in steps]
    services["next_step_en"] = [x[1] for x in steps]
    return {
        "services": services,
        "target_groups": _target_groups(rng, codes, sector_codes, set(tax.target_groups)),
        "coverage": coverage,
        "sites": _sites(rng, geo, coverage, modality, acr, area_names),
        "hours": _hours(rng, modality),
    }


def _area_names(geo: Geography) -> dict[str, tuple[str, str]]:
    out = {}
    for frame in (geo.govs, geo.districts, geo.subs):
        if len(frame):
            out.update(zip(frame["pcode"], zip(frame["name_ar"], frame["name_en"],
                                               strict=True), strict=True))
    return out


def _coverage(rng, geo: Geography, org, hq, org_type) -> tuple[pd.DataFrame, np.ndarray]:
    """Areas served: sub-districts, districts or governorates (only governorates without
    boundaries); mostly in the organisation's head-office governorate."""
    m = len(org)
    n_gov = len(geo.govs)
    wide = np.isin(org_type[org], ["international_ngo", "un_agency"])
    away = rng.random(m) < np.where(wide, 0.5, 0.2)
    gov = np.where(away, rng.choice(n_gov, m, p=geo.gov_weights()), hq[org])
    gov_codes = geo.govs["pcode"].to_numpy()
    if not geo.has_boundaries:
        second = rng.choice(n_gov, m, p=geo.gov_weights())
        rows = [pd.DataFrame({"svc": np.arange(m), "pcode": gov_codes[gov]})]
        extra = rng.random(m) < 0.1
        rows.append(pd.DataFrame({"svc": np.flatnonzero(extra), "pcode": gov_codes[second[extra]]}))
        cov = pd.concat(rows).drop_duplicates().sort_values(["svc", "pcode"], kind="stable")
        return cov.reset_index(drop=True), gov
    subs, dists = geo.subs, geo.districts
    gov_index = {p: i for i, p in enumerate(gov_codes)}
    sub_gov = subs["gov"].map(gov_index).to_numpy()
    dist_index = {p: i for i, p in enumerate(dists["pcode"])}
    sub_dist = subs["district"].map(dist_index).to_numpy()
    dist_gov = dists["gov"].map(gov_index).to_numpy()
    by_gov = _grouped(sub_gov, n_gov)
    by_dist = _grouped(sub_dist, len(dists))
    has_subs = np.bincount(sub_dist, minlength=len(dists)) > 0
    dist_by_gov = _grouped(np.where(has_subs, dist_gov, n_gov), n_gov + 1)  # with subs only
    level = rng.choice(3, m, p=[0.55, 0.30, 0.15])  # 0 sub-district, 1 district, 2 governorate
    level[by_gov[2][gov] == 0] = 2  # a governorate without loaded sub-districts
    sub = _pick_in_group(rng, gov, by_gov)
    dist = sub_dist[sub]
    pcodes = np.where(level == 0, subs["pcode"].to_numpy()[sub],
                      np.where(level == 1, dists["pcode"].to_numpy()[dist], gov_codes[gov]))
    rows = [pd.DataFrame({"svc": np.arange(m), "pcode": pcodes})]
    for _ in range(2):  # up to two more areas at the same level, nearby
        extra = rng.random(m) < 0.35
        s2 = _pick_in_group(rng, dist, by_dist)
        d2 = _pick_in_group(rng, gov, dist_by_gov)
        g2 = rng.choice(n_gov, m, p=geo.gov_weights())
        more = np.where(level == 0, subs["pcode"].to_numpy()[s2],
                        np.where(level == 1, dists["pcode"].to_numpy()[d2], gov_codes[g2]))
        keep = extra & ((level < 2) | (rng.random(m) < 0.3))
        rows.append(pd.DataFrame({"svc": np.flatnonzero(keep), "pcode": more[keep]}))
    first = rows[0]
    rest = pd.concat(rows[1:]).sort_values(["svc", "pcode"], kind="stable")
    cov = pd.concat([first, rest]).drop_duplicates(["svc", "pcode"])
    cov = cov.sort_values("svc", kind="stable").reset_index(drop=True)
    return cov, gov


def _target_groups(rng, codes, sectors, known: set[str]) -> pd.DataFrame:
    """One to three plausible target groups per service (the first is the most typical)."""
    m = len(codes)
    k = rng.choice([1, 2, 3], m, p=[0.35, 0.4, 0.25])
    svc_parts, group_parts = [], []
    for code in np.unique(codes):
        groups = [g for g in profiles.lookup(profiles.TARGET_GROUPS, code) if g in known]
        if not groups:
            continue
        idx = np.flatnonzero(codes == code)
        # typical groups first: weights decreasing with position
        w = 1.0 / np.arange(1, len(groups) + 1)
        keys = rng.random((len(idx), len(groups))) ** (1.0 / w)  # weighted random order
        order = np.argsort(-keys, axis=1)
        for j in range(min(3, len(groups))):
            take = k[idx] > j
            svc_parts.append(idx[take])
            group_parts.append(np.array(groups, dtype=object)[order[take, j]])
    frame = pd.DataFrame({"svc": np.concatenate(svc_parts),
                          "target_group_code": np.concatenate(group_parts)})
    return frame.sort_values(["svc", "target_group_code"], kind="stable").reset_index(drop=True)


def _sites(rng, geo: Geography, coverage: pd.DataFrame, modality, acr,
           area_names) -> pd.DataFrame:
    """One to three sites per service, inside a covered sub-district's polygon when boundaries
    are loaded (admin3_pcode set), else scattered around a covered governorate's centroid."""
    m = len(modality)
    k = np.where(modality == "mobile", rng.integers(1, 4, m),
                 np.where(modality == "static", 1 + (rng.random(m) < 0.2), 1))
    svc = np.repeat(np.arange(m), k)
    cov_svc = coverage["svc"].to_numpy()
    cov_grouping = _grouped(cov_svc, m)
    row = _pick_in_group(rng, svc, cov_grouping)
    pcode = coverage["pcode"].to_numpy()[row]
    s = len(svc)
    gov_index = {p: i for i, p in enumerate(geo.govs["pcode"])}
    g = np.array([gov_index[p[:4]] for p in pcode], dtype=int)
    spread = np.where(geo.govs["pcode"].to_numpy()[g] == "SY01", 0.03, 0.15)
    lon = geo.govs["lon"].to_numpy(float)[g] + rng.normal(0, 1, s) * spread
    lat = geo.govs["lat"].to_numpy(float)[g] + rng.normal(0, 1, s) * spread
    admin3 = np.full(s, None, dtype=object)
    place = pcode.copy()
    if geo.has_boundaries:
        subs = geo.subs
        sub_index = {p: i for i, p in enumerate(subs["pcode"])}
        dist_index = {p: i for i, p in enumerate(geo.districts["pcode"])}
        by_dist = _grouped(subs["district"].map(dist_index).to_numpy(), len(geo.districts))
        by_gov = _grouped(subs["gov"].map(gov_index).to_numpy(), len(geo.govs))
        level = np.array([len(p) for p in pcode])
        sub = np.full(s, -1)
        is_sub = level >= 8
        sub[is_sub] = [sub_index[p] for p in pcode[is_sub]]
        is_dist = level == 6
        sub[is_dist] = _pick_in_group(
            rng, np.array([dist_index[p] for p in pcode[is_dist]], dtype=int), by_dist)
        is_gov = level == 4
        sub[is_gov] = _pick_in_group(rng, g[is_gov], by_gov)
        ok = sub >= 0
        lon[ok], lat[ok] = points_in_polygons(rng, geo.sub_geoms, sub[ok])
        admin3[ok] = subs["pcode"].to_numpy()[sub[ok]]
        place[ok] = admin3[ok]
    acr_s = acr[svc]
    return pd.DataFrame({
        "svc": svc,
        "name_ar": [f"مركز {a} - {area_names[p][0]}" for a, p in zip(acr_s, place, strict=True)],
        "name_en": [f"{a} centre – {area_names[p][1]}" for a, p in zip(acr_s, place,
                                                                      strict=True)],
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
        "admin3_pcode": admin3,
    })


def points_in_polygons(rng, polygons: np.ndarray, which: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point inside ``polygons[which[i]]`` for each i (rejection sampling in
    each polygon's bounding box, vectorised with ``shapely.contains_xy``)."""
    lon = np.full(len(which), np.nan)
    lat = np.full(len(which), np.nan)
    order, start, count = _grouped(which, len(polygons))
    for u in np.flatnonzero(count):
        poly = polygons[u]
        shapely.prepare(poly)
        need = int(count[u])
        minx, miny, maxx, maxy = poly.bounds
        ratio = max(1.0, (maxx - minx) * (maxy - miny) / max(poly.area, 1e-12))
        got_x: list[np.ndarray] = []
        got_y: list[np.ndarray] = []
        have = 0
        for _ in range(50):
            size = int((need - have) * ratio * 1.5) + 8
            x = rng.uniform(minx, maxx, size)
            y = rng.uniform(miny, maxy, size)
            inside = shapely.contains_xy(poly, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
            if have >= need:
                break
        xs = np.concatenate(got_x)[:need]
        ys = np.concatenate(got_y)[:need]
        if len(xs) < need:  # degenerate polygon: its representative point
            rp = poly.representative_point()
            xs = np.concatenate([xs, np.full(need - len(xs), rp.x)])
            ys = np.concatenate([ys, np.full(need - len(ys), rp.y)])
        members = order[start[u]:start[u] + need]
        lon[members] = xs
        lat[members] = ys
    return lon, lat


def _hours(rng, modality) -> pd.DataFrame:
    """Opening periods from a few realistic patterns (split days, evenings, Saturday)."""
    m = len(modality)
    pattern = np.zeros(m, dtype=int)
    for mod, (choices, p) in profiles.HOURS_BY_MODALITY.items():
        mask = modality == mod
        pattern[mask] = rng.choice(choices, int(mask.sum()), p=p)
    table = [pd.DataFrame(rows, columns=["weekday", "opens", "closes"]).assign(pattern=i)
             for i, rows in enumerate(profiles.HOURS_PATTERNS)]
    periods = pd.concat(table, ignore_index=True)
    lengths = periods.groupby("pattern").size().reindex(range(len(table))).to_numpy()
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    k = lengths[pattern]
    svc = np.repeat(np.arange(m), k)
    within = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    pick = periods.iloc[np.repeat(offsets[pattern], k) + within]
    return pd.DataFrame({"svc": svc, "weekday": pick["weekday"].to_numpy(),
                         "opens": pick["opens"].to_numpy(), "closes": pick["closes"].to_numpy()})
