"""Provider ranking: one documented score per candidate service, with reasons in Arabic and English.

Pure numpy (no Flask, no SQL, no I/O). The caller (``referral.search``) hands in one row per
candidate service that already passed the hard filters (need, eligibility, place, keyword).

The score, in [0, 1], is a weighted mean of five components, each in [0, 1]:

==============  ======  =====================================================================
component       weight  value
==============  ======  =====================================================================
coverage        0.30    1 when the service covers the person's area (the sub-district or an
                        area containing it) or has a site inside it; 0.5 when it covers only a
                        part of a larger area the person gave (a district inside the
                        governorate); 0 otherwise
distance        0.25    ``exp(-d / 15 km)`` for the nearest site at ``d`` metres; 0 when the
                        service has no site; left out when no point was given
availability    0.20    ``0.8 * a + 0.2 * c``: ``a`` is 1 open, 0.5 waiting list, 0 full; ``c``
                        is ``min(1, log1p(capacity per month) / log1p(100))`` (0.5 unknown)
eligibility     0.15    1 when the service targets one of the person's groups, 0.75 when it
                        is open to all groups (1 when no group was given); minus 0.1 when it
                        requires documents
freshness       0.10    1 up to 90 days since last verification, falling linearly to 0.5 at
                        180 days; 0 when older (stale) or never verified
==============  ======  =====================================================================

Components that do not apply (distance without a point, coverage without a place) are left
out and the weights of the others renormalised. A stale listing (not verified for 180 days)
has its score multiplied by 0.8 on top, so it ranks below an equivalent fresh one. Ties
break on distance, then id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DISTANCE_SCALE_M",
    "STALE_DAYS",
    "STALE_FACTOR",
    "WEIGHTS",
    "Candidates",
    "Ranked",
    "rank",
]

WEIGHTS = {"coverage": 0.30, "distance": 0.25, "availability": 0.20, "eligibility": 0.15,
           "freshness": 0.10}
DISTANCE_SCALE_M = 15_000.0
STALE_DAYS = 180
FRESH_DAYS = 90
STALE_FACTOR = 0.8
_AVAILABILITY = {"open": 1.0, "waitlist": 0.5, "full": 0.0}


@dataclass
class Candidates:
    """One entry per candidate service (all sequences of equal length).

    ``coverage``: 2 covers the person's area, 1 covers a part of it, 0 not at all.
    ``distance_m``: metres to the nearest site (NaN: no site or no point).
    ``group_match``: 2 targets one of the person's groups, 1 open to all groups.
    ``days_since_verified``: NaN when never verified.
    """

    ids: Sequence[int]
    coverage: Sequence[int]
    distance_m: Sequence[float]
    availability: Sequence[str]
    capacity: Sequence[float]
    group_match: Sequence[int]
    needs_documents: Sequence[bool]
    days_since_verified: Sequence[float]


@dataclass
class Ranked:
    """The candidates' positions best first and their scores (in input order); ``reasons(i)``
    explains candidate ``i`` in Arabic and English (computed on demand, for the shown page)."""

    order: np.ndarray
    scores: np.ndarray
    stale: np.ndarray
    candidates: Candidates
    groups_given: bool

    def reasons(self, i: int) -> list[dict[str, str]]:
        return _reasons(self.candidates, int(i), groups_given=self.groups_given,
                        stale=bool(self.stale[i]))


def _components(c: Candidates, *, point: bool, area: bool,
                groups_given: bool) -> dict[str, np.ndarray]:
    n = len(c.ids)
    coverage = np.asarray(c.coverage, dtype=float).reshape(n)
    dist = np.asarray(c.distance_m, dtype=float).reshape(n)
    avail = np.array([_AVAILABILITY.get(a, 0.0) for a in c.availability], dtype=float)
    cap = np.asarray(c.capacity, dtype=float).reshape(n)
    cap_score = np.where(np.isnan(cap), 0.5,
                         np.minimum(1.0, np.log1p(np.maximum(cap, 0)) / np.log1p(100.0)))
    groups = np.asarray(c.group_match, dtype=float).reshape(n)
    elig = np.where(groups >= 2, 1.0, 0.75) if groups_given else np.ones(n)
    elig = elig - 0.1 * np.asarray(c.needs_documents, dtype=bool).reshape(n)
    days = np.asarray(c.days_since_verified, dtype=float).reshape(n)
    fresh = np.where(days <= FRESH_DAYS, 1.0,
                     1.0 - 0.5 * (days - FRESH_DAYS) / (STALE_DAYS - FRESH_DAYS))
    fresh = np.where(np.isnan(days) | (days > STALE_DAYS), 0.0, fresh)
    comps = {
        "availability": 0.8 * avail + 0.2 * cap_score,
        "eligibility": np.clip(elig, 0.0, 1.0),
        "freshness": fresh,
    }
    if area or point:
        comps["coverage"] = np.where(coverage >= 2, 1.0, np.where(coverage >= 1, 0.5, 0.0))
    if point:
        comps["distance"] = np.where(np.isnan(dist), 0.0, np.exp(-dist / DISTANCE_SCALE_M))
    return comps


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f}" if metres < 10_000 else f"{metres / 1000:.0f}"


def _reasons(c: Candidates, i: int, *, groups_given: bool, stale: bool) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(code: str, en: str, ar: str) -> None:
        out.append({"code": code, "en": en, "ar": ar})

    cov = int(c.coverage[i])
    if cov >= 2:
        add("covers_area", "Covers the person's area", "يغطي منطقة الشخص")
    elif cov == 1:
        add("covers_part", "Covers part of the area", "يغطي جزءاً من المنطقة")
    d = float(c.distance_m[i])
    if not np.isnan(d):
        add("distance", f"Nearest site {_km(d)} km away", f"أقرب موقع على بعد {_km(d)} كم")
    a = c.availability[i]
    if a == "open":
        add("open", "Accepting people now", "يستقبل الآن")
    elif a == "waitlist":
        add("waitlist", "Waiting list", "قائمة انتظار")
    else:
        add("full", "Currently full", "ممتلئ حالياً")
    cap = float(c.capacity[i])
    if not np.isnan(cap) and cap > 0:
        add("capacity", f"Capacity {int(cap)} people a month",
            f"القدرة الاستيعابية {int(cap)} شخصاً في الشهر")
    if groups_given:
        if int(c.group_match[i]) >= 2:
            add("targets_group", "Targets the person's group", "يستهدف فئة الشخص")
        else:
            add("open_to_all", "Open to all groups", "مفتوح لجميع الفئات")
    if c.needs_documents[i]:
        add("documents", "Requires documents", "يتطلب وثائق")
    days = float(c.days_since_verified[i])
    if stale:
        add("stale", "Not verified for over 180 days", "لم يُتحقق منه منذ أكثر من 180 يوماً")
    elif not np.isnan(days):
        add("verified", f"Verified {int(days)} days ago", f"تم التحقق قبل {int(days)} يوماً")
    return out


def rank(candidates: Candidates, *, point: bool, groups_given: bool,
         area: bool = True) -> Ranked:
    """Score and order ``candidates`` best first (see the module docstring for the formula).

    Example
    -------
    >>> c = Candidates(ids=[1, 2], coverage=[0, 2], distance_m=[500.0, float("nan")],
    ...                availability=["open", "open"], capacity=[50, 50], group_match=[1, 1],
    ...                needs_documents=[False, False], days_since_verified=[10, 10])
    >>> rank(c, point=True, groups_given=False).order.tolist()
    [1, 0]
    """
    n = len(candidates.ids)
    if n == 0:
        empty = np.zeros(0)
        return Ranked(np.zeros(0, dtype=int), empty, np.zeros(0, dtype=bool), candidates,
                      groups_given)
    comps = _components(candidates, point=point, area=area, groups_given=groups_given)
    total_weight = sum(WEIGHTS[k] for k in comps)
    score = sum(WEIGHTS[k] * v for k, v in comps.items()) / total_weight
    days = np.asarray(candidates.days_since_verified, dtype=float)
    stale = np.isnan(days) | (days > STALE_DAYS)
    score = np.round(np.where(stale, score * STALE_FACTOR, score), 4)
    dist = np.asarray(candidates.distance_m, dtype=float)
    ids = np.asarray(candidates.ids)
    order = np.lexsort((ids, np.where(np.isnan(dist), np.inf, dist), -score))
    return Ranked(order=order, scores=score, stale=stale, candidates=candidates,
                  groups_given=groups_given)
