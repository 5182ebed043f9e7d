"""Provider ranking: one documented score per candidate service, with reasons in Arabic and English.

Pure numpy (no Flask, no SQL, no I/O). The caller (``referral.search``) hands in one row per
candidate service that already passed the hard filters (need, eligibility, place, keyword).

The score, in [0, 1], is a weighted mean of six components, each in [0, 1]:

==============  ======  =====================================================================
component       weight  value
==============  ======  =====================================================================
coverage        0.25    1 when the service covers the person's area (the sub-district or an
                        area containing it) or has a site inside it; 0.5 when it covers only a
                        part of a larger area the person gave (a district inside the
                        governorate); 0 otherwise
distance        0.20    ``exp(-d / 15 km)`` for the nearest site at ``d`` metres; 0 when the
                        service has no site; left out when no point was given
availability    0.18    ``0.8 * a + 0.2 * c``: ``a`` is 1 open, 0.5 waiting list, 0 full; ``c``
                        is ``min(1, log1p(capacity per month) / log1p(100))`` (0.5 unknown)
outcomes        0.15    what referral outcomes teach: ``0.8 * p + 0.2 * r``. ``p`` is the
                        acceptance model's probability that a referral to this provider is
                        accepted *and* completed, ``sigmoid(b + k * log1p(d / 1 km))`` with the
                        provider's precomputed logit ``b`` (everything but distance) and
                        distance coefficient ``k`` (``referral.ranking`` refreshes them), at
                        the real distance ``d`` (the model's median distance when no point
                        was given; 0.5 for a service not refreshed yet). ``r`` is
                        ``exp(-h / 72)`` for the provider's median response time ``h`` in
                        hours (0.5 unknown). Left out when the caller gives no outcome terms
eligibility     0.12    1 when the service targets one of the person's groups, 0.75 when it
                        is open to all groups (1 when no group was given); minus 0.1 when it
                        requires documents
freshness       0.10    1 up to 90 days since last verification, falling linearly to 0.5 at
                        180 days; 0 when older (stale) or never verified
==============  ======  =====================================================================

Components that do not apply (distance without a point, coverage without a place) are left
out and the weights of the others renormalised. (The search rows' verification clock follows
each listing's declared review cadence, migration 0033_freshness: "stale" here is "overdue for
review".) A stale listing (not verified for 180 days)
has its score multiplied by 0.8 on top, so it ranks below an equivalent fresh one. Ties
break on distance, then id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .wording import count

__all__ = [
    "DISTANCE_SCALE_M",
    "acceptance_text",
    "OUTCOME_PRIOR",
    "RESPONSE_SCALE_H",
    "STALE_DAYS",
    "STALE_FACTOR",
    "WEIGHTS",
    "Candidates",
    "OutcomeFigures",
    "Ranked",
    "rank",
]

WEIGHTS = {"coverage": 0.25, "distance": 0.20, "availability": 0.18, "outcomes": 0.15,
           "eligibility": 0.12, "freshness": 0.10}
DISTANCE_SCALE_M = 15_000.0
STALE_DAYS = 180
FRESH_DAYS = 90
STALE_FACTOR = 0.8
OUTCOME_PRIOR = 0.5  # P(completed) of a service the refresh job has not seen yet
RESPONSE_SCALE_H = 72.0
DECLINE_SHARE_SHOWN = 0.25  # name the main decline reason when it is this share of answers
_AVAILABILITY = {"open": 1.0, "waitlist": 0.5, "full": 0.0}


@dataclass
class Candidates:
    """One entry per candidate service (all sequences of equal length).

    ``coverage``: 2 covers the person's area, 1 covers a part of it, 0 not at all.
    ``distance_m``: metres to the nearest site (NaN: no site or no point).
    ``group_match``: 2 targets one of the person's groups, 1 open to all groups.
    ``days_since_verified``: NaN when never verified.

    Referral outcomes (optional; all None leaves the ``outcomes`` component out):
    ``accept_logit`` and ``accept_distance_coef`` (NaN: not refreshed yet), ``accept_p``
    (the probability when no distance is known), ``history`` (the provider's decided
    referrals; 0: new), ``response_hours`` (median, NaN unknown), ``decline_reason`` and
    ``decline_share`` (the most frequent reason and its share of answered referrals), with
    ``decline_labels`` mapping reason codes to (Arabic, English).
    """

    ids: Sequence[int]
    coverage: Sequence[int]
    distance_m: Sequence[float]
    availability: Sequence[str]
    capacity: Sequence[float]
    group_match: Sequence[int]
    needs_documents: Sequence[bool]
    days_since_verified: Sequence[float]
    accept_logit: Sequence[float] | None = None
    accept_distance_coef: Sequence[float] | None = None
    accept_p: Sequence[float] | None = None
    history: Sequence[int] | None = None
    response_hours: Sequence[float] | None = None
    decline_reason: Sequence[str | None] | None = None
    decline_share: Sequence[float] | None = None
    decline_labels: Mapping[str, tuple[str, str]] | None = None


@dataclass
class Ranked:
    """The candidates' positions best first and their scores (in input order); ``reasons(i)``
    explains candidate ``i`` in Arabic and English (computed on demand, for the shown page)."""

    order: np.ndarray
    scores: np.ndarray
    stale: np.ndarray
    candidates: Candidates
    groups_given: bool
    accept: np.ndarray | None = None  # P(accepted and completed) per candidate, when given

    def reasons(self, i: int, figures: OutcomeFigures | None = None) -> list[dict[str, str]]:
        """Candidate ``i``'s reasons; ``figures``: its referral figures when the candidates
        did not carry them (a search fetches them for the shown page only)."""
        return _reasons(self.candidates, int(i), groups_given=self.groups_given,
                        stale=bool(self.stale[i]),
                        accept=None if self.accept is None else float(self.accept[i]),
                        figures=figures)


class OutcomeFigures(NamedTuple):
    """One provider's referral figures the reasons cite: decided referrals (0 or None: new),
    the most frequent decline reason and its share of answered referrals, and the share of
    answered referrals it accepted (all time: the figure its service page shows too)."""

    history: int | None = None
    decline_reason: str | None = None
    decline_share: float | None = None
    acceptance_rate: float | None = None

    @classmethod
    def of(cls, c: Candidates, i: int) -> OutcomeFigures:
        """Candidate ``i``'s figures from the candidates' own lists (None where not given)."""
        return cls(None if c.history is None else c.history[i],
                   None if c.decline_reason is None else c.decline_reason[i],
                   None if c.decline_share is None else c.decline_share[i])


def _float(values: Sequence[float | None] | None, n: int, default: float = np.nan) -> np.ndarray:
    if values is None:
        return np.full(n, default)
    return np.array([default if v is None else v for v in values], dtype=float).reshape(n)


def acceptance(c: Candidates) -> np.ndarray | None:
    """P(accepted and completed) per candidate at its real distance (None: no terms given)."""
    if c.accept_logit is None:
        return None
    n = len(c.ids)
    logit = _float(c.accept_logit, n)
    coef = _float(c.accept_distance_coef, n, 0.0)
    p_default = _float(c.accept_p, n)
    dist = np.asarray(c.distance_m, dtype=float).reshape(n)
    at_d = 1.0 / (1.0 + np.exp(-(logit + coef * np.log1p(np.maximum(dist, 0) / 1000.0))))
    p = np.where(np.isnan(dist), p_default, at_d)
    return np.where(np.isnan(p), OUTCOME_PRIOR, p)


def _outcomes(c: Candidates, p: np.ndarray) -> np.ndarray:
    hours = _float(c.response_hours, len(c.ids))
    r = np.where(np.isnan(hours), 0.5, np.exp(-np.maximum(hours, 0) / RESPONSE_SCALE_H))
    return 0.8 * p + 0.2 * r


def _components(c: Candidates, *, point: bool, area: bool, groups_given: bool,
                p: np.ndarray | None) -> dict[str, np.ndarray]:
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
    if p is not None:  # (``acceptance(c)``, computed once by ``rank``)
        comps["outcomes"] = _outcomes(c, p)
    return comps


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f}" if metres < 10_000 else f"{metres / 1000:.0f}"


def _duration(hours: float) -> tuple[str, str]:
    if hours < 48:
        return count("hour", max(1, round(hours)), genitive=True)
    return count("day", round(hours / 24), genitive=True)


def acceptance_text(rate: float) -> tuple[str, str]:
    """The one acceptance figure, with its period, as cards and service pages state it."""
    pct = round(100 * rate)
    return (f"Accepted {pct}% of the referrals it answered (all time on the platform)",
            f"قبِل {pct}٪ من الإحالات التي ردّ عليها (منذ انضمامه إلى المنصة)")


def _outcome_reasons(c: Candidates, i: int, out: list[dict[str, str]],
                     figures: OutcomeFigures) -> None:
    history = int(figures.history or 0)
    if history <= 0:
        out.append(_reason("new_provider", "New provider: no history yet",
                           "مزوّد جديد: لا يوجد سجل بعد"))
    else:
        rate = figures.acceptance_rate
        if rate is not None and rate == rate:  # (NaN is not equal to itself)
            en, ar = acceptance_text(rate)
            out.append(_reason("acceptance", en, ar))
    hours = None if c.response_hours is None else c.response_hours[i]
    if hours is not None and hours == hours:
        en, ar = _duration(float(hours))
        out.append(_reason("response_time", f"Usually answers within {en}",
                           f"يرد عادةً خلال {ar}"))
    reason, share = figures.decline_reason, figures.decline_share
    if reason and share is not None and share == share and float(share) >= DECLINE_SHARE_SHOWN:
        ar_label, en_label = (c.decline_labels or {}).get(reason, (reason, reason))
        pct = round(100 * float(share))
        out.append(_reason("declines", f"Often declines: {en_label} ({pct}%)",
                           f"يرفض كثيراً: {ar_label} ({pct}٪)"))


def _reason(code: str, en: str, ar: str) -> dict[str, str]:
    return {"code": code, "en": en, "ar": ar}


# the reasons whose text never changes, built once (each result gets its own copy)
_FIXED = {code: _reason(code, en, ar) for code, en, ar in (
    ("covers_area", "Covers the person's area", "يغطي منطقة الشخص"),
    ("covers_part", "Covers part of the area", "يغطي جزءاً من المنطقة"),
    ("open", "Accepting people now", "يستقبل الآن"),
    ("waitlist", "Waiting list", "قائمة انتظار"),
    ("full", "Currently full", "ممتلئ حالياً"),
    ("targets_group", "Targets the person's group", "يستهدف فئة الشخص"),
    ("open_to_all", "Open to all groups", "مفتوح لجميع الفئات"),
    ("documents", "Requires documents", "يتطلب وثائق"),
    ("stale", "Overdue for review: not reviewed as often as its organisation declared",
     "متأخرة المراجعة: لم تُراجع بالوتيرة التي أعلنتها منظمتها"),
    ("verified_today", "Verified today", "تم التحقق اليوم"))}


def _fixed(code: str) -> dict[str, str]:
    return dict(_FIXED[code])


def _reasons(c: Candidates, i: int, *, groups_given: bool, stale: bool,
             accept: float | None = None,
             figures: OutcomeFigures | None = None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    cov = int(c.coverage[i])
    if cov >= 2:
        out.append(_fixed("covers_area"))
    elif cov == 1:
        out.append(_fixed("covers_part"))
    d = float(c.distance_m[i])
    if d == d:
        km = _km(d)
        out.append(_reason("distance", f"Nearest site {km} km away",
                           f"أقرب موقع على بعد {km} كم"))
    a = c.availability[i]
    out.append(_fixed(a if a in ("open", "waitlist") else "full"))
    cap = float(c.capacity[i])
    if cap == cap and cap > 0:
        en, ar = count("person", int(cap))
        out.append(_reason("capacity", f"Capacity {en} a month",
                           f"القدرة الاستيعابية {ar} في الشهر"))
    if groups_given:
        out.append(_fixed("targets_group" if int(c.group_match[i]) >= 2 else "open_to_all"))
    if accept is not None:
        _outcome_reasons(c, i, out, figures or OutcomeFigures.of(c, i))
    if c.needs_documents[i]:
        out.append(_fixed("documents"))
    days = float(c.days_since_verified[i])
    if stale:
        out.append(_fixed("stale"))
    elif days == days and int(days) <= 0:
        out.append({**_FIXED["verified_today"], "code": "verified"})
    elif days == days:
        en, ar = count("day", int(days), genitive=True)
        out.append(_reason("verified", f"Verified {en} ago", f"تم التحقق قبل {ar}"))
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
    accept = acceptance(candidates)
    comps = _components(candidates, point=point, area=area, groups_given=groups_given,
                        p=accept)
    total_weight = sum(WEIGHTS[k] for k in comps)
    score = np.asarray(sum(WEIGHTS[k] * v for k, v in comps.items()), dtype=float) / total_weight
    days = np.asarray(candidates.days_since_verified, dtype=float)
    stale = np.isnan(days) | (days > STALE_DAYS)
    score = np.round(np.where(stale, score * STALE_FACTOR, score), 4).astype(float)
    dist = np.asarray(candidates.distance_m, dtype=float)
    ids = np.asarray(candidates.ids)
    order = np.lexsort((ids, np.where(np.isnan(dist), np.inf, dist), -score))
    return Ranked(order=order, scores=score, stale=stale, candidates=candidates,
                  groups_given=groups_given, accept=accept)
