"""``tasharuk load demo``: a deterministic synthetic national data set (same seed, same data).

What is generated (numpy in bulk, written with PostgreSQL COPY in the caller's transaction):

- Organisations with bilingual names composed from Syrian NGO naming patterns (``جمعية الأمل
  للتنمية`` / ``Al-Amal Association for Development``), an English acronym, a type, a head
  office in a governorate drawn by population, a registration number, a verification state
  (85% verified) and normalised ``search_text``.
- Services (20 per organisation on average, more for larger organisations) of the types in
  the organisation's two focus sectors (85%) or any type, with plausible target groups (GBV for
  women, adolescent girls and survivors; child protection for children and UASC; ...),
  eligibility (age range, women-only), coverage (sub-districts, districts or governorates;
  governorates only when no boundaries are loaded), one to three sites (inside a covered
  sub-district's polygon when boundaries are loaded, with its ``admin3_pcode``; near the
  governorate centroid otherwise), capacity, availability, languages, modality, opening hours
  (split days, evenings, Friday-Saturday weekend, hotlines), cost, referral method, the
  sensitive flag of the type and a last-verified date (about 20% older than 180 days).
- Demo users (password ``demo-password``): one per role (``admin@demo.tasharuk`` ...,
  ``supervisor@demo.tasharuk``) in the organisation that receives the most referrals, and an
  admin and a caseworker (``sender-admin@demo.tasharuk``, ``sender@demo.tasharuk``) in the
  verified organisation that sends it the most, so the whole referral loop can be walked
  without registering.
- A referral history: cases (pseudonymous, consent recorded), referrals (10 per
  organisation by default, concentrated as real referrals are: a service's popularity is
  lognormal with sigma 2, so the busiest services have enough answers in the last 90 days for
  the measured figures of issue 22) and their append-only events, and a few anonymous searches
  that found nothing; plus 4W activity rows and people in need per area and sector.

The referral outcome model (what a model trained on the history should recover). For referral
i to service s of organisation o, sent in month t, at distance d metres:

    load_i      = occupancy_s + 3 * referrals_to_s_in_month_t / max(capacity_s, 10)
                  (occupancy_s ~ U(0.1, 0.8) when open, U(0.8, 1.0) waitlist, U(1.0, 1.3) full)
    dist_i      = ln(1 + d / 5000)
    quality_o   ~ N(0, 0.8)                      (latent provider quality)
    type_s      = profiles.TYPE_EFFECT (e.g. +0.4 health, -0.9 livelihood grants)
    season_t    = -0.5 in December-February, else 0
    urgency_i   = -0.2 low, 0 normal, +0.3 high, +0.6 emergency

    P(accept)   = sigmoid(2.3 + quality_o + type_s - 1.8 load_i + urgency_i + season_t
                          - 0.7 dist_i)
    P(complete | started) = sigmoid(1.8 + 0.8 quality_o + 0.5 type_s - 0.8 load_i
                          + 0.5 season_t - 1.1 dist_i + 0.3 [urgency high or emergency])
    P(expire, no answer)  = sigmoid(-2.4 - 0.8 quality_o)

Paths: 2% stay ``draft``; 3% are withdrawn after sending; the rest expire, or are accepted or
declined (reason ``no_capacity`` when load > 1, ``outside_area`` beyond 30 km, else random);
4% of accepted ones are withdrawn, the others go ``in_progress`` and end ``completed`` or
``closed_unmet``. Event times follow the service's response days; a step whose time is after
"now" has not happened yet, so recent referrals are still open. Referrals in progress get
follow-up ``note`` events (Poisson, mean 2.2; status unchanged). ``version`` is the number of
status-changing events. Dates are relative to ``today`` (an argument; fixed in tests), so the
same seed and ``today`` give identical rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session
from tqdm import tqdm

from ..errors import BadInput, Conflict
from . import store
from .fourw import generate_activities, generate_needs
from .generate import generate_orgs, generate_services
from .referrals import generate_history

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoResult", "fingerprint", "generate",
           "load_demo", "write_frames"]

DEMO_PASSWORD = "demo-password"
# Tables whose foreign keys are checked once after a bulk COPY instead of row by row.
BULK_TABLES = ("service", "service_target_group", "service_coverage", "service_site",
               "opening_period", "referral_case", "referral", "referral_event", "activity")
# (e-mail, role, Arabic name, English name, organisation: "receiver", "sender" or None)
DEMO_USERS = (("admin@demo.tasharuk", "platform_admin", "مديرة المنصة", "Platform admin", None),
              ("orgadmin@demo.tasharuk", "org_admin", "مدير المنظمة", "Organisation admin",
               "receiver"),
              ("caseworker@demo.tasharuk", "caseworker", "عاملة الحالة", "Caseworker",
               "receiver"),
              ("supervisor@demo.tasharuk", "supervisor", "المشرفة", "Supervisor", "receiver"),
              ("planner@demo.tasharuk", "planner", "المخطط", "Planner", "receiver"),
              ("viewer@demo.tasharuk", "viewer", "مشاهد", "Viewer", "receiver"),
              ("sender-admin@demo.tasharuk", "org_admin", "مديرة المنظمة المُحيلة",
               "Referring organisation admin", "sender"),
              ("sender@demo.tasharuk", "caseworker", "عامل الحالة المُحيل", "Referring caseworker",
               "sender"))


@dataclass
class DemoResult:
    """What ``load_demo`` did: row counts per table, the data fingerprint, timings."""

    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    demo_org: str = ""
    sender_org: str = ""


def fingerprint(frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 over every generated frame's row hashes, in table order (same seed -> same
    digest)."""
    digest = hashlib.sha256()
    for name in sorted(frames):
        frame = frames[name]
        digest.update(f"{name}:{','.join(map(str, frame.columns))}".encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False)
                      .to_numpy().tobytes())
    return digest.hexdigest()


def _validate(orgs: int, services: int, referrals: int, activities: int) -> None:
    for name, value, low in (("orgs", orgs, 1), ("services", services, orgs),
                             ("referrals", referrals, 0), ("activities", activities, 0)):
        if value < low:
            raise BadInput(f"--{name} must be at least {low}, got {value}.", field=name)


def generate(session: Session, *, orgs: int, seed: int, services: int | None = None,
             referrals: int | None = None, activities: int | None = None,
             today: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Every demo frame (local ids), from the areas and taxonomy in the database."""
    services = 20 * orgs if services is None else services
    referrals = 10 * orgs if referrals is None else referrals
    activities = 10 * orgs if activities is None else activities
    _validate(orgs, services, referrals, activities)
    today = today or dt.date.today()
    geo, tax = store.read_geography(session), store.read_taxonomy(session)
    rng = np.random.default_rng(seed)
    sectors = sorted(tax.types["sector_code"].unique())
    org_frame = generate_orgs(rng, geo, orgs, sectors, today)
    svc = generate_services(rng, geo, tax, org_frame, services, today)
    history = generate_history(rng, geo, org_frame, svc, referrals, today)
    frames = {"orgs": org_frame, **svc, **history}
    frames["activities"] = generate_activities(rng, geo, tax.types, org_frame, svc,
                                               activities, today)
    frames["needs"] = generate_needs(rng, geo, sectors, str(today.year))
    frames["unmet"] = _unmet(rng, geo, tax, max(20, orgs // 10), today)
    return frames


def _unmet(rng, geo, tax, k: int, today: dt.date) -> pd.DataFrame:
    """Anonymous searches that found nothing (scarce services weigh more)."""
    types = tax.types
    scarce = types["code"].str.match(r"(erl_|shelter|prot_legal|cash_|health_rehab|gbv_)")
    w = np.where(scarce, 3.0, 1.0)
    t = rng.choice(len(types), k, p=w / w.sum())
    areas = geo.subs["pcode"].to_numpy() if geo.has_boundaries else geo.govs["pcode"].to_numpy()
    groups = np.array(tax.target_groups, dtype=object)
    at = pd.to_datetime(dt.datetime.combine(today, dt.time(12)), utc=True) - pd.to_timedelta(
        rng.integers(3600, 180 * 86400, k), unit="s")
    return pd.DataFrame({
        "at": at,
        "service_type_code": types["code"].to_numpy()[t],
        "sector_code": types["sector_code"].to_numpy()[t],
        "pcode": areas[rng.integers(0, len(areas), k)],
        "target_groups": ["{" + g + "}" for g in groups[rng.integers(0, len(groups), k)]],
        "age": rng.integers(1, 80, k),
        "sex": np.where(rng.random(k) < 0.6, "female", "male"),
    })


def _geom(lon: pd.Series, lat: pd.Series) -> list[str]:
    return [f"SRID=4326;POINT({x} {y})" for x, y in zip(lon, lat, strict=True)]


def load_demo(session: Session, *, orgs: int, seed: int, services: int | None = None,
              referrals: int | None = None, activities: int | None = None,
              today: dt.date | None = None, if_empty: bool = False,
              progress: bool = True) -> DemoResult:
    """Generate and COPY the demo data set into the session's transaction (no commit)."""
    _validate(orgs, 20 * orgs if services is None else services,
              referrals or 0, activities or 0)
    if if_empty and session.scalar(text("SELECT EXISTS (SELECT 1 FROM organization)")):
        return DemoResult(skipped=True)
    t0 = time.perf_counter()
    frames = generate(session, orgs=orgs, seed=seed, services=services, referrals=referrals,
                      activities=activities, today=today)
    result = DemoResult(fingerprint=fingerprint(frames))
    result.seconds["generate"] = round(time.perf_counter() - t0, 2)
    t1 = time.perf_counter()
    clash = session.scalar(text(
        "SELECT count(*) FROM organization WHERE registration_number = ANY(:regs)"),
        {"regs": frames["orgs"]["registration_number"].tolist()})
    if clash:
        raise Conflict(f"{clash} demo organisations of seed {seed} are already loaded; use "
                       "--if-empty, another --seed, or an empty database.", field="seed")
    result.counts = write_frames(session, frames, progress=progress)
    result.demo_org = str(result.counts.pop("_demo_org"))
    result.sender_org = str(result.counts.pop("_sender_org"))
    result.seconds["write"] = round(time.perf_counter() - t1, 2)
    return result


def write_frames(session: Session, frames: dict[str, pd.DataFrame], *,
                 progress: bool = True) -> dict:
    """COPY generated frames into the session's transaction; row counts per table."""
    cur = store.raw_cursor(session)
    total = sum(len(f) for f in frames.values())
    existing = session.scalar(text("SELECT count(*) FROM service"))
    bulk = len(frames["services"]) >= existing
    gin = ("organization", "service") if bulk else ()
    fks = BULK_TABLES if bulk else ()
    with tqdm(total=total, desc="demo data", unit="rows", disable=not progress,
              mininterval=0.5) as bar, store.deferred_gin_indexes(cur, gin), \
            store.deferred_constraints(cur, fks):
        return _write(session, cur, frames, bar.update)


def _write(session: Session, cur, frames: dict[str, pd.DataFrame], advance) -> dict:
    """COPY the frames, mapping local ids to reserved database ids."""
    o, s, sites, hours = frames["orgs"], frames["services"], frames["sites"], frames["hours"]
    cases, refs, events = frames["cases"], frames["referrals"], frames["events"]
    org0 = store.reserve_ids(cur, "organization", len(o))
    svc0 = store.reserve_ids(cur, "service", len(s))
    case0 = store.reserve_ids(cur, "referral_case", len(cases))
    ref0 = store.reserve_ids(cur, "referral", len(refs))
    counts: dict = {}
    org_cols = ["uuid", "name_ar", "name_en", "acronym", "registration_number", "org_type",
                "hq_pcode", "description_ar", "description_en", "email", "phone",
                "verification", "verified_at", "search_text"]
    counts["organizations"] = store.copy_frame(
        cur, "organization", o[org_cols].assign(id=o["org"] + org0), advance)
    svc_cols = [c for c in s.columns if c not in ("svc", "org")]
    counts["services"] = store.copy_frame(
        cur, "service", s[svc_cols].assign(id=s["svc"] + svc0, organization_id=s["org"] + org0),
        advance)
    tg = frames["target_groups"]
    counts["service_target_groups"] = store.copy_frame(
        cur, "service_target_group",
        pd.DataFrame({"service_id": tg["svc"] + svc0,
                      "target_group_code": tg["target_group_code"]}), advance)
    cov = frames["coverage"]
    counts["service_coverage"] = store.copy_frame(
        cur, "service_coverage", pd.DataFrame({"service_id": cov["svc"] + svc0,
                                               "pcode": cov["pcode"]}), advance)
    counts["service_sites"] = store.copy_frame(cur, "service_site", pd.DataFrame({
        "service_id": sites["svc"] + svc0, "name_ar": sites["name_ar"],
        "name_en": sites["name_en"], "geom": _geom(sites["lon"], sites["lat"]),
        "admin3_pcode": sites["admin3_pcode"]}), advance)
    counts["opening_periods"] = store.copy_frame(cur, "opening_period", pd.DataFrame({
        "service_id": hours["svc"] + svc0, "weekday": hours["weekday"],
        "opens": hours["opens"], "closes": hours["closes"]}), advance)
    # demo users in the organisation that receives the most referrals
    received = np.bincount(refs["receiver_org"], minlength=len(o)) if len(refs) else np.zeros(1)
    verified = (o["verification"] == "verified").to_numpy()
    demo_local = int(np.argmax(np.where(verified, received, -1)))
    sent = (np.bincount(refs["sender_org"][refs["receiver_org"] == demo_local],
                        minlength=len(o)) if len(refs) else np.zeros(len(o)))
    others = verified & (np.arange(len(o)) != demo_local)
    sender_local = int(np.argmax(np.where(others, sent, -1))) if others.any() else demo_local
    counts["users"] = _users(session, {"receiver": org0 + demo_local,
                                       "sender": org0 + sender_local})
    counts["_demo_org"] = o["name_en"].iloc[demo_local]
    counts["_sender_org"] = o["name_en"].iloc[sender_local]
    case_cols = ["uuid", "case_code", "age", "sex", "target_groups", "pcode", "needs",
                 "languages", "urgency"]
    counts["cases"] = store.copy_frame(cur, "referral_case", cases[case_cols].assign(
        id=cases["case"] + case0, organization_id=cases["org"] + org0), advance)
    # each case's consent is its first record (data/models/consent.py)
    store.copy_frame(cur, "consent_record", pd.DataFrame({
        "case_id": cases["case"] + case0, "given_by": cases["consent_given_by"],
        "method": cases["consent_method"], "given_at": cases["consent_at"],
        "scope": cases["consent_scope"]}))
    ref_cols = ["uuid", "service_type_code", "status", "version", "urgency", "sensitive",
                "reason_code", "distance_m", "sent_at", "responded_at", "closed_at", "due_at"]
    counts["referrals"] = store.copy_frame(cur, "referral", refs[ref_cols].assign(
        id=refs["ref"] + ref0, case_id=refs["case"] + case0,
        sender_org_id=refs["sender_org"] + org0, receiver_org_id=refs["receiver_org"] + org0,
        service_id=refs["svc"] + svc0), advance)
    counts["referral_events"] = store.copy_frame(cur, "referral_event", events.drop(
        columns="ref").assign(referral_id=events["ref"] + ref0), advance)
    acts = frames["activities"]
    if len(acts):
        counts["activities"] = store.copy_frame(cur, "activity", acts.drop(columns="org").assign(
            organization_id=acts["org"] + org0, target_groups="{}"), advance)
    counts["needs"] = _copy_needs(cur, frames["needs"], advance)
    counts["unmet_searches"] = store.copy_frame(cur, "unmet_search", frames["unmet"], advance)
    return counts


def _copy_needs(cur, needs: pd.DataFrame, advance) -> int:
    """Needs go through a temporary table: existing figures for the same key are kept."""
    cur.execute("CREATE TEMP TABLE demo_need (LIKE need INCLUDING DEFAULTS) ON COMMIT DROP")
    store.copy_frame(cur, "demo_need", needs, advance)
    cols = ", ".join(needs.columns)
    cur.execute(f"INSERT INTO need ({cols}) SELECT {cols} FROM demo_need "
                "ON CONFLICT DO NOTHING")
    n = cur.rowcount
    cur.execute("DROP TABLE demo_need")
    return n


def _users(session: Session, org_ids: dict[str, int]) -> int:
    """The demo users in their organisations (existing e-mails are left alone)."""
    from argon2 import PasswordHasher

    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    n = 0
    for email, role, name_ar, _name_en, side in DEMO_USERS:
        n += session.execute(text(
            "INSERT INTO app_user (email, name, password_hash, organization_id, role, locale) "
            "VALUES (:e, :n, :h, :o, :r, 'ar') ON CONFLICT (email) DO NOTHING"),
            {"e": email, "n": name_ar, "h": password_hash,
             "o": org_ids[side] if side else None, "r": role}).rowcount
    return n
