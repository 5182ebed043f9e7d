"""Pure generation of a referral history (cases, referrals, append-only events) whose outcomes
follow the logistic model documented in ``data.demo`` (no I/O)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from . import profiles
from .generate import Geography, _choice, _grouped, _pick_in_group, uuids

__all__ = ["HORIZON_DAYS", "generate_history", "sigmoid"]

HORIZON_DAYS = 540
URGENCY_P = {"low": 0.15, "normal": 0.6, "high": 0.2, "emergency": 0.05}
URGENCY_ACCEPT = {"low": -0.2, "normal": 0.0, "high": 0.3, "emergency": 0.6}
OCCUPANCY = {"open": (0.1, 0.8), "waitlist": (0.8, 1.0), "full": (1.0, 1.3)}
WINTER = (12, 1, 2)
NOTES_MEAN = 2.2  # follow-up notes per referral in progress
EARTH_M = 6_371_000.0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres between arrays of WGS84 points."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _case_pcodes(geo: Geography, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The sub-district containing each point (boundaries loaded), else the nearest
    governorate centroid."""
    glon = geo.govs["lon"].to_numpy(float)
    glat = geo.govs["lat"].to_numpy(float)
    nearest = np.argmin((lon[:, None] - glon) ** 2 + (lat[:, None] - glat) ** 2, axis=1)
    out = geo.govs["pcode"].to_numpy()[nearest].astype(object)
    if geo.has_boundaries:
        tree = shapely.STRtree(geo.sub_geoms)
        pts, polys = tree.query(shapely.points(lon, lat), predicate="intersects")
        first = np.unique(pts, return_index=True)[1]
        out[pts[first]] = geo.subs["pcode"].to_numpy()[polys[first]]
    return out


def generate_history(rng: np.random.Generator, geo: Geography, orgs: pd.DataFrame,
                     svc: dict[str, pd.DataFrame], r: int, today: dt.date,
                     ) -> dict[str, pd.DataFrame]:
    """``r`` referrals (about 0.8 case per referral) with their events; see ``data.demo``."""
    services, sites, groups = svc["services"], svc["sites"], svc["target_groups"]
    n, m = len(orgs), len(services)
    now = np.datetime64(dt.datetime.combine(today, dt.time(12, 0)), "s")
    org_of = services["org"].to_numpy()
    quality = rng.normal(0.0, 0.8, n)  # the provider's base quality (latent)
    lo_hi = np.array([OCCUPANCY[a] for a in services["availability"]])
    occupancy = lo_hi[:, 0] + rng.random(m) * (lo_hi[:, 1] - lo_hi[:, 0])
    codes = services["service_type_code"].to_numpy()
    type_eff = pd.Series(codes).map(
        {c: profiles.lookup(profiles.TYPE_EFFECT, c) for c in np.unique(codes)}).to_numpy()
    # one site per service: its first
    first_site = sites.drop_duplicates("svc").set_index("svc").reindex(np.arange(m))
    s_lon, s_lat = first_site["lon"].to_numpy(float), first_site["lat"].to_numpy(float)
    s_gov = np.array([p[:4] if isinstance(p, str) else None for p in
                      first_site["admin3_pcode"]], dtype=object)
    gov_index = {p: i for i, p in enumerate(geo.govs["pcode"])}
    glon, glat = geo.govs["lon"].to_numpy(float), geo.govs["lat"].to_numpy(float)
    near_gov = np.argmin((s_lon[:, None] - glon) ** 2 + (s_lat[:, None] - glat) ** 2, axis=1)
    s_gov_i = np.array([gov_index.get(g, -1) if g else -1 for g in s_gov])
    s_gov_i = np.where(s_gov_i >= 0, s_gov_i, near_gov)

    # ---- cases and the services they are referred to
    c = max(1, int(round(r / 1.25))) if r else 0
    eligible = ((services["status"] == "active").to_numpy()
                & (orgs["verification"].to_numpy()[org_of] == "verified"))
    popularity = rng.lognormal(0.0, 2.0, m) * np.where(eligible, 1.0, 0.02)
    primary = rng.choice(m, c, p=popularity / popularity.sum())
    dist_km = np.clip(rng.lognormal(np.log(6.0), 1.1, c), 0.1, 250.0)
    bearing = rng.uniform(0, 2 * np.pi, c)
    c_lat = s_lat[primary] + dist_km * np.cos(bearing) / 111.32
    c_lon = s_lon[primary] + dist_km * np.sin(bearing) / (111.32 * np.cos(np.radians(
        s_lat[primary])))
    day_w = 1.0 + 2.0 * np.arange(HORIZON_DAYS) / HORIZON_DAYS  # adoption grows
    day = rng.choice(HORIZON_DAYS, c, p=day_w / day_w.sum())
    c_time = now - ((HORIZON_DAYS - day) * 86400).astype("timedelta64[s]") + rng.integers(
        0, 80_000, c).astype("timedelta64[s]")
    # second referrals of about a fifth of the cases: another service in the same governorate
    extra = r - c
    ref_case = np.concatenate([np.arange(c), rng.integers(0, c, extra)]) if c else np.zeros(
        0, int)
    by_gov = _grouped(s_gov_i * eligible + (~eligible) * len(geo.govs), len(geo.govs) + 1)
    second = _pick_in_group(rng, s_gov_i[primary[ref_case[c:]]], by_gov)
    second = np.where(second >= 0, second, primary[ref_case[c:]])
    ref_svc = np.concatenate([primary, second])
    distance_m = haversine_m(c_lon[ref_case], c_lat[ref_case], s_lon[ref_svc], s_lat[ref_svc])
    sent = c_time[ref_case] + np.concatenate([
        np.zeros(c, int), rng.integers(600, 2 * 86400, extra)]).astype("timedelta64[s]")
    sent = np.minimum(sent, now - np.timedelta64(60, "s"))
    urgency_case = _choice(rng, URGENCY_P, c)
    urgency = urgency_case[ref_case]

    # ---- the outcome model (documented in data/demo/__init__.py)
    month = (sent.astype("datetime64[M]").astype(int) % 12) + 1
    key = ref_svc.astype(np.int64) * 100_000 + sent.astype("datetime64[M]").astype(np.int64)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    cap = services["capacity_per_month"].to_numpy(dtype=float, na_value=100.0)
    load = occupancy[ref_svc] + 3.0 * counts[inverse] / np.maximum(cap[ref_svc], 10.0)
    q = quality[org_of[ref_svc]]
    te = type_eff[ref_svc]
    season = np.where(np.isin(month, WINTER), -0.5, 0.0)
    dist_term = np.log1p(distance_m / 5000.0)
    urg = pd.Series(urgency).map(URGENCY_ACCEPT).to_numpy(float)
    p_accept = sigmoid(2.3 + q + te - 1.8 * load + urg + season - 0.7 * dist_term)
    p_complete = sigmoid(1.8 + 0.8 * q + 0.5 * te - 0.8 * load + 0.5 * season
                         - 1.1 * dist_term + np.where(urg > 0.2, 0.3, 0.0))
    p_expire = sigmoid(-2.4 - 0.8 * q)

    k = len(ref_svc)
    u = rng.random((k, 5))
    draft_only = u[:, 0] < 0.02
    withdrawn_early = (~draft_only) & (u[:, 1] < 0.03)
    expired = (~draft_only) & (~withdrawn_early) & (u[:, 2] < p_expire)
    answered = (~draft_only) & (~withdrawn_early) & (~expired)
    accepted = answered & (u[:, 3] < p_accept)
    withdrawn_late = accepted & (rng.random(k) < 0.04)
    started = accepted & ~withdrawn_late
    completed = started & (u[:, 4] < p_complete)
    unmet = started & ~completed

    resp_days = services["response_days"].to_numpy()[ref_svc]
    sec = np.timedelta64(1, "s")

    def days(x):
        return (np.asarray(x) * 86400).astype(np.int64) * sec

    t_create = sent - rng.integers(300, 7200, k) * sec
    due = sent + days(2 * resp_days)
    t_answer = sent + days(np.maximum(rng.exponential(0.4 * resp_days * np.exp(-0.3 * q)),
                                      0.05))
    t_answer = np.where(withdrawn_early, sent + days(rng.uniform(0.5, 3.0, k)), t_answer)
    t_answer = np.where(expired, due, t_answer)
    t_start = t_answer + days(rng.exponential(1.5, k) + 0.1)
    t_end = t_start + days(rng.exponential(20.0, k) + 1.0)

    none = np.full(k, None, dtype=object)
    slot_action = np.stack([
        np.full(k, "create", dtype=object), np.full(k, "send", dtype=object),
        np.select([withdrawn_early, expired, accepted], ["withdraw", "expire", "accept"],
                  "decline").astype(object),
        np.where(withdrawn_late, "withdraw", "start").astype(object),
        np.where(completed, "complete", "close_unmet").astype(object)], axis=1)
    slot_from = np.stack([none, np.full(k, "draft", dtype=object), np.full(k, "sent",
                          dtype=object), np.full(k, "accepted", dtype=object),
                          np.full(k, "in_progress", dtype=object)], axis=1)
    slot_to = np.stack([
        np.full(k, "draft", dtype=object), np.full(k, "sent", dtype=object),
        np.select([withdrawn_early, expired, accepted], ["withdrawn", "expired", "accepted"],
                  "declined").astype(object),
        np.where(withdrawn_late, "withdrawn", "in_progress").astype(object),
        np.where(completed, "completed", "closed_unmet").astype(object)], axis=1)
    slot_at = np.stack([t_create, sent, t_answer, t_start, t_end], axis=1)
    far = distance_m > 30_000
    decline_reason = np.where(load > 1.0, "no_capacity", np.where(
        far, "outside_area", rng.choice(["not_eligible", "other", "no_capacity"], k)))
    slot_reason = np.stack([
        none, none,
        np.select([withdrawn_early, expired, accepted],
                  [rng.choice(["person_declined", "duplicate"], k), None, None],
                  decline_reason).astype(object),
        np.where(withdrawn_late, "person_declined", None).astype(object),
        np.where(unmet, rng.choice(["no_contact", "person_declined", "no_capacity"], k),
                 None).astype(object)], axis=1)
    planned = np.stack([np.ones(k, bool), ~draft_only, ~draft_only, accepted, started], axis=1)
    valid = np.cumprod(planned & (slot_at <= now), axis=1).astype(bool)
    n_events = valid.sum(axis=1)
    last = n_events - 1
    rows = np.arange(k)
    status = slot_to[rows, last]
    answered_ok = valid[:, 2] & np.isin(slot_action[:, 2], ["accept", "decline"])
    terminal = np.isin(status, ["declined", "withdrawn", "expired", "completed",
                                "closed_unmet"])

    def ts(values, mask):
        out = pd.Series(pd.to_datetime(values, utc=True))
        return out.where(mask)

    referrals = pd.DataFrame({
        "ref": rows,
        "uuid": uuids(rng, k),
        "case": ref_case,
        "sender_org": 0,
        "receiver_org": org_of[ref_svc],
        "svc": ref_svc,
        "service_type_code": codes[ref_svc],
        "status": status,
        "version": n_events,
        "urgency": urgency,
        "sensitive": services["sensitive"].to_numpy()[ref_svc],
        "reason_code": slot_reason[rows, last],
        "distance_m": np.round(distance_m, 1),
        "sent_at": ts(sent, ~draft_only),
        "responded_at": ts(slot_at[:, 2], answered_ok),
        "closed_at": ts(slot_at[rows, last], terminal),
        "due_at": ts(due, ~draft_only),
    })
    # sender: a random other verified organisation
    senders = rng.integers(0, n, c)
    clash = senders == org_of[primary]
    senders[clash] = (senders[clash] + 1) % max(n, 1)
    referrals["sender_org"] = senders[ref_case]
    ev_ref, ev_slot = np.nonzero(valid)
    steps = pd.DataFrame({
        "ref": ev_ref,
        "at": slot_at[ev_ref, ev_slot],
        "action": slot_action[ev_ref, ev_slot],
        "from_status": slot_from[ev_ref, ev_slot],
        "to_status": slot_to[ev_ref, ev_slot],
        "reason_code": slot_reason[ev_ref, ev_slot],
    })
    # follow-up notes while in progress (no status change, so no new version)
    followed = np.flatnonzero(valid[:, 3] & started)
    n_notes = rng.poisson(NOTES_MEAN, len(followed))
    note_ref = np.repeat(followed, n_notes)
    span_end = np.minimum(t_end[note_ref], now)
    span = (span_end - t_start[note_ref]).astype(np.int64)
    note_at = t_start[note_ref] + (rng.random(len(note_ref)) * span).astype(np.int64) * sec
    notes = pd.DataFrame({"ref": note_ref, "at": note_at, "action": "note",
                          "from_status": "in_progress", "to_status": "in_progress",
                          "reason_code": None})
    events = pd.concat([steps, notes], ignore_index=True)
    events = events.sort_values(["ref", "at"], kind="stable").reset_index(drop=True)
    events["at"] = pd.to_datetime(events["at"].to_numpy(), utc=True)
    cases = _cases(rng, geo, orgs, services, groups, primary, ref_case, ref_svc, senders,
                   c_lon, c_lat, c_time, urgency_case)
    return {"cases": cases, "referrals": referrals, "events": events}


def _cases(rng, geo, orgs, services, groups, primary, ref_case, ref_svc, senders, c_lon,
           c_lat, c_time, urgency) -> pd.DataFrame:
    c = len(primary)
    lo = services["min_age"].to_numpy(dtype=float, na_value=0.0)[primary]
    hi = services["max_age"].to_numpy(dtype=float, na_value=70.0)[primary]
    age = (lo + rng.random(c) * (np.maximum(hi, lo) - lo + 1)).astype(int).clip(0, 100)
    female_only = services["sex"].to_numpy()[primary] == "female"
    sex = np.where(female_only | (rng.random(c) < 0.55), "female", "male")
    first_group = groups.drop_duplicates("svc").set_index("svc")["target_group_code"]
    tg = first_group.reindex(primary).fillna("idps").to_numpy()
    idp = (rng.random(c) < 0.4) & (tg != "idps")
    needs = (pd.DataFrame({"case": ref_case, "code": services["service_type_code"].to_numpy()[
        ref_svc]}).drop_duplicates().groupby("case")["code"].agg(lambda s: "{" + ",".join(s)
                                                                  + "}"))
    year = c_time.astype("datetime64[Y]").astype(int) + 1970
    acr = orgs["acronym"].to_numpy()[senders]
    return pd.DataFrame({
        "case": np.arange(c),
        "uuid": uuids(rng, c),
        "org": senders,
        "case_code": [f"{a}-{y % 100:02d}-{i + 1:06d}" for i, (a, y) in
                      enumerate(zip(acr, year, strict=True))],
        "age": age,
        "sex": sex,
        "target_groups": ["{" + g + (",idps" if i else "") + "}" for g, i in
                          zip(tg, idp, strict=True)],
        "pcode": _case_pcodes(geo, c_lon, c_lat),
        "needs": needs.reindex(np.arange(c)).to_numpy(),
        "languages": np.where(rng.random(c) < 0.1, "{ar,ku}", "{ar}"),
        "urgency": urgency,
        "consent_given_by": np.where(age >= 18, "الشخص نفسه", "مقدّم الرعاية"),
        "consent_method": np.where(rng.random(c) < 0.7, "verbal", "written"),
        "consent_at": pd.to_datetime(c_time - np.timedelta64(3 * 3600, "s"), utc=True),
        # entries of data.models.CONSENT_SCOPES: what the receiver may see of the case
        "consent_scope": "{age_sex,location,needs,target_groups,note}",
    })
