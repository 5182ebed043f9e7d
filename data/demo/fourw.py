"""Pure generation of 4W activity rows (shaped like the protection cluster's 4W) and people
in need per area x sector, for the demo and the national-scale benchmark data set."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .generate import Geography

__all__ = ["generate_activities", "generate_needs"]

UNITS_P = {"people": 0.8, "interventions": 0.12, "sessions": 0.08}
# share of reached people by (sex, age): f/m children, f/m adults, f/m elderly
AGE_SEX_SHARE = np.array([0.22, 0.21, 0.27, 0.20, 0.055, 0.045])


def generate_activities(rng: np.random.Generator, geo: Geography, types: pd.DataFrame,
                        orgs: pd.DataFrame, svc: dict[str, pd.DataFrame], k: int,
                        today: dt.date) -> pd.DataFrame:
    """``k`` monthly 4W rows of the demo services: activity code, p-codes, age/sex split."""
    services, sites = svc["services"], svc["sites"]
    if k == 0 or len(services) == 0:
        return pd.DataFrame()
    pick = rng.integers(0, len(services), k)
    org = services["org"].to_numpy()[pick]
    code = services["service_type_code"].to_numpy()[pick]
    by_code = types.set_index("code")
    first_site = sites.drop_duplicates("svc").set_index("svc")
    admin3 = first_site["admin3_pcode"].reindex(pick).to_numpy()
    cov = svc["coverage"].drop_duplicates("svc").set_index("svc")["pcode"].reindex(pick)
    pcode = np.where(pd.isna(admin3), cov.to_numpy(), admin3)
    codes_of = dict(zip(types["code"], types["activity_codes"], strict=True))
    names_of = dict(zip(types["code"], types["name_en"], strict=True))
    acts = [codes_of[c] or [c] for c in code]
    activity = [a[i % len(a)] for a, i in zip(acts, rng.integers(0, 1000, k), strict=True)]
    this_month = np.datetime64(f"{today.year:04d}-{today.month:02d}", "M")
    month = this_month - rng.integers(0, 12, k).astype("timedelta64[M]")
    starts = month.astype("datetime64[D]")
    ends = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    total = np.maximum(1, rng.lognormal(4.0, 1.1, k).astype(int))
    split = rng.multinomial(total, AGE_SEX_SHARE)
    units = np.array(list(UNITS_P))[rng.choice(len(UNITS_P), k, p=list(UNITS_P.values()))]
    frame = pd.DataFrame({
        "org": org,
        "implementing_org": orgs["name_en"].to_numpy()[org],
        "sector_code": by_code["sector_code"].reindex(code).to_numpy(),
        "service_type_code": code,
        "activity_code": activity,
        "activity_text": [f"{names_of[c]} - {a}" for c, a in
                          zip(code, activity, strict=True)],
        "pcode": pcode,
        "community_pcode": [f"C{n}" for n in rng.integers(1000, 7000, k)],
        "period_start": starts,
        "period_end": ends,
        "unit": units,
        "reached_total": total,
    })
    for j, col in enumerate(("reached_f_children", "reached_m_children", "reached_f_adults",
                             "reached_m_adults", "reached_f_elderly", "reached_m_elderly")):
        frame[col] = split[:, j]
    frame["source_file"] = "demo"
    frame["source_row"] = np.arange(1, k + 1)
    frame["fingerprint"] = [bytes(b).hex() for b in rng.integers(0, 256, (k, 32),
                                                                 dtype=np.uint8)]
    return frame


def generate_needs(rng: np.random.Generator, geo: Geography, sectors: list[str],
                   period: str) -> pd.DataFrame:
    """People in need and severity (1-5) per sub-district (governorate without boundaries) and
    sector, plus the inter-sector figure (sector NULL)."""
    areas = geo.subs["pcode"].to_numpy() if geo.has_boundaries else geo.govs["pcode"].to_numpy()
    base = rng.lognormal(10.0 if geo.has_boundaries else 13.0, 0.8, len(areas))
    severity = np.clip(rng.normal(3.0, 0.9, len(areas)), 1, 5)
    rows = []
    for sector in [None, *sectors]:
        share = 1.0 if sector is None else rng.uniform(0.1, 0.8, len(areas))
        rows.append(pd.DataFrame({
            "pcode": areas, "sector_code": sector,
            "people_in_need": np.round(base * share),
            "severity": np.round(np.clip(severity + rng.normal(0, 0.5, len(areas)), 1, 5), 1),
        }))
    frame = pd.concat(rows, ignore_index=True)
    frame["period"] = period
    frame["source"] = "demo"
    return frame
