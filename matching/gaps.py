"""The coverage-gap engine: needs x presence x capacity x failed referrals, per admin area.

Pure pandas/numpy; no I/O. ``data.gapdata.load_gap_inputs`` builds the ``GapInputs`` frames.

For one selection (sector *or* service type, target group, period) and one admin level
(1 governorate, 2 district, 3 sub-district), every area of that level gets:

============================  ==========================================================  =====
column                        meaning                                                     adds
============================  ==========================================================  =====
organizations                 distinct organisations present: directory services           no
                              covering the area (or with a site there) and 4W activity
                              that reached someone (or counts no people)
present_nobody_reached        distinct organisations whose only 4W rows in the area        no
                              reached nobody (people unit, 0): presence without people,
                              counted apart, never closing a gap
services                      distinct active directory services present                   no
capacity                      people per month; a service's capacity is shared equally     yes
                              among the sub-districts it covers
reached                       people reached by 4W activities counted in people            yes
people_in_need                HNO PiN of the selected sector (inter-sector if none)        yes
severity                      HNO severity; above the recorded level, PiN-weighted mean    no
declined_referrals            referrals declined or closed unmet for a supply reason       yes
                              (no capacity, not offered any more; ``reasons``)
unmet_searches                provider searches that found nothing                         yes
served                        max(reached, capacity x months of the period)                no
coverage                      min(served / PiN, 1); empty when PiN is unknown or 0          no
uncovered                     max(PiN - served, 0)                                         no
gap_score                     see below                                                    no
============================  ==========================================================  =====

**Gap score** (0-100)::

    w  = severity / 5                 (clipped to [0, 1]; 0.6 when severity is unknown)
    c  = coverage                     (1 when PiN is unknown or 0: no known need, no need gap)
    F  = declined_referrals + unmet_searches
    f  = F / (F + 5)                  (failure signal, saturating: 5 failures -> 0.5)
    gap_score = 100 * w * (0.8 * (1 - c) + 0.2 * f)

Ranking: areas with people in need and no organisation present come first, then by gap score,
then by uncovered people. The "adds" column says which figures are additive: for those, an
area's figure equals the sum over its sub-areas, exactly, as long as the facts are recorded at
the finer level (facts recorded only at a coarser level count there and above). Distinct counts
(organisations, services) are not additive: one organisation in two sub-districts is counted
once in their district.

Selections: a sector includes its sub-sectors (protection includes child protection, GBV and
mine action) for presence, reached, referrals and searches; PiN and severity are the sector's
own HNO figures. A service type's PiN is its sector's. A target group keeps services and
referrals meant for it (or for everyone: no group listed); reached people for children, women,
men and older people come from the 4W age/sex columns, for other groups from activities tagged
with the group; PiN is the group's own when recorded, else the whole population's. A period
``YYYY`` or ``YYYY-MM`` filters activities, referrals and searches by date; needs are annual
(the period's year, or the latest loaded when no period is given). Presence is the current
directory (active services).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .reasons import SUPPLY_REASONS

__all__ = ["ADDITIVE", "GAP_COLUMNS", "GapInputError", "GapInputs", "GapSelection",
           "ancestry", "compute_gap_levels", "compute_gaps", "compute_gaps_by"]

ADDITIVE = ("capacity", "reached", "people_in_need", "declined_referrals", "unmet_searches")
GAP_COLUMNS = ("rank", "pcode", "level", "parent_pcode", "name_ar", "name_en", "organizations",
               "services", "capacity", "reached", "people_in_need", "severity",
               "declined_referrals", "unmet_searches", "served", "coverage", "uncovered",
               "gap_score", "need_without_presence", "present_nobody_reached")
AGE_SEX_GROUPS = {
    "children": ("reached_f_children", "reached_m_children"),
    "women": ("reached_f_adults",),
    "men": ("reached_m_adults",),
    "older_people": ("reached_f_elderly", "reached_m_elderly"),
}
FAILURE_HALF = 5.0
UNKNOWN_SEVERITY_WEIGHT = 0.6
NEED_WEIGHT, FAILURE_WEIGHT = 0.8, 0.2
_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


class GapInputError(ValueError):
    """A selection value the data does not know; ``field`` names the parameter."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class GapInputs:
    """The facts, one data frame each (columns as the defaults show; lists are Python lists)."""

    areas: pd.DataFrame = field(default_factory=lambda: _frame(
        ("pcode", "level", "parent_pcode", "name_ar", "name_en")))
    sectors: pd.DataFrame = field(default_factory=lambda: _frame(("code", "parent_code")))
    service_types: pd.DataFrame = field(default_factory=lambda: _frame(("code", "sector_code")))
    target_groups: list[str] = field(default_factory=list)
    services: pd.DataFrame = field(default_factory=lambda: _frame(
        ("service_id", "organization_id", "service_type_code", "capacity_per_month",
         "target_groups")))
    coverage: pd.DataFrame = field(default_factory=lambda: _frame(("service_id", "pcode")))
    activities: pd.DataFrame = field(default_factory=lambda: _frame(
        ("organization_id", "implementing_org", "sector_code", "service_type_code", "pcode",
         "period_start", "unit", "reached_total", "reached_f_children", "reached_m_children",
         "reached_f_adults", "reached_m_adults", "reached_f_elderly", "reached_m_elderly",
         "target_groups")))
    needs: pd.DataFrame = field(default_factory=lambda: _frame(
        ("pcode", "sector_code", "target_group_code", "period", "people_in_need", "severity")))
    referrals: pd.DataFrame = field(default_factory=lambda: _frame(
        ("pcode", "sector_code", "service_type_code", "target_groups", "status", "reason_code",
         "at")))
    unmet: pd.DataFrame = field(default_factory=lambda: _frame(
        ("pcode", "sector_code", "service_type_code", "target_groups", "at")))


@dataclass(frozen=True)
class GapSelection:
    """What to analyse: at most one of sector / service type, a target group, a period."""

    level: int = 3
    sector: str | None = None
    service_type: str | None = None
    group: str | None = None
    period: str | None = None

    def months(self) -> int:
        """Months the period spans (a year when no period is given)."""
        return 1 if self.period and len(self.period) == 7 else 12


def ancestry(areas: pd.DataFrame) -> pd.DataFrame:
    """Index p-code -> ``level``, ``anc1``, ``anc2``, ``anc3`` (ancestor at each level or self).

    Communities (level 4) point at their sub-district's ancestors; areas without a parent at a
    level get NaN there. A walk up dictionaries per area (a few thousand areas): the same
    table as whole-column pandas steps gave, in a tenth of the time.

    >>> areas = pd.DataFrame({"pcode": ["SY07", "SY0703", "SY070301"], "level": [1, 2, 3],
    ...                       "parent_pcode": [None, "SY07", "SY0703"]})
    >>> row = ancestry(areas).loc["SY070301"]
    >>> int(row["level"]), row[["anc1", "anc2", "anc3"]].tolist()
    (3, ['SY07', 'SY0703', 'SY070301'])
    """
    frame = areas[["pcode", "level", "parent_pcode"]].drop_duplicates("pcode")
    codes: list[Any] = frame["pcode"].tolist()
    levels = [int(v) for v in frame["level"].tolist()]
    level = dict(zip(codes, levels, strict=True))
    parent = dict(zip(codes, frame["parent_pcode"].tolist(), strict=True))
    found: dict[int, list[Any]] = {1: [], 2: [], 3: []}
    for code in codes:
        seen: dict[int, Any] = {}
        cur = code
        for _ in range(5):  # an area, then up to four ancestors, as deep as the levels go
            lv = level.get(cur)
            if lv in found and lv not in seen:
                seen[lv] = cur
            cur = parent.get(cur)
            if cur is None:
                break
        for k, column in found.items():
            column.append(seen.get(k, np.nan))
    out = pd.DataFrame(index=pd.Index(frame["pcode"], name="pcode"))
    out["level"] = np.asarray(levels, dtype=int)
    for k, column in found.items():
        out[f"anc{k}"] = pd.Series(column, index=out.index, dtype=object)
    return out


class _Geo:
    """Integer positions of areas (rows of ``ancestry``) and the leaves under each area."""

    def __init__(self, areas: pd.DataFrame):
        self.anc = anc = ancestry(areas)
        self.index = anc.index
        deep = anc["anc3"].fillna(anc["anc2"]).fillna(anc["anc1"])
        # deepest area of level <= 3 containing each position; slot -1 (unknown) stays -1
        self.eff = np.append(self.index.get_indexer(deep.to_numpy()), -1)
        upper = areas[areas["level"].astype(int) <= 3]
        is_leaf = (anc["level"].to_numpy() <= 3) & ~self.index.isin(
            set(upper["parent_pcode"].dropna()))
        leaf_pos = np.flatnonzero(is_leaf)
        owners, leaves = [], []
        for k in (1, 2, 3):
            owner = self.index.get_indexer(anc[f"anc{k}"].to_numpy()[leaf_pos])
            ok = owner >= 0
            owners.append(owner[ok])
            leaves.append(leaf_pos[ok])
        owner, leaf = np.concatenate(owners), np.concatenate(leaves)
        order = np.argsort(owner, kind="stable")
        self.leaf_flat = leaf[order]
        self.n_leaves = np.bincount(owner, minlength=len(anc) + 1)
        self.start = np.concatenate([[0], np.cumsum(self.n_leaves)[:-1]])

    def positions(self, pcodes: pd.Series) -> np.ndarray:
        """Position of the deepest area of level <= 3 containing each p-code (-1: unknown)."""
        return self.eff[self.index.get_indexer(pcodes.to_numpy())]

    def expand(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, leaf position) for every leaf under each row's area (vectorised CSR walk)."""
        counts = np.where(pos >= 0, self.n_leaves[pos], 0)
        rows = np.repeat(np.arange(len(pos)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return rows, self.leaf_flat[np.repeat(self.start[np.maximum(pos, 0)], counts) + offset]


def _has_group(groups: pd.Series, group: str | None) -> pd.Series:
    """Rows meant for ``group``: its code is listed, or no group is listed (everyone)."""
    if group is None:
        return pd.Series(True, index=groups.index)
    return groups.map(lambda gs: not gs or group in gs).astype(bool)


def _in_period(dates: pd.Series, period: str | None) -> pd.Series:
    if period is None:
        return pd.Series(True, index=dates.index)
    text = pd.to_datetime(dates, errors="coerce", utc=True).dt.strftime("%Y-%m")
    return text.fillna("").str.startswith(period).astype(bool)


def _validate(data: GapInputs, sel: GapSelection) -> None:
    if sel.level not in (1, 2, 3):
        raise GapInputError(f"level must be 1, 2 or 3, got {sel.level!r}.", "level")
    if sel.sector is not None and sel.sector not in set(data.sectors["code"]):
        raise GapInputError(f"unknown sector {sel.sector!r}; choose from "
                            f"{', '.join(sorted(data.sectors['code']))}.", "sector")
    if sel.service_type is not None and sel.service_type not in set(data.service_types["code"]):
        raise GapInputError(f"unknown service type {sel.service_type!r}.", "service")
    if sel.group is not None and sel.group not in set(data.target_groups):
        raise GapInputError(f"unknown target group {sel.group!r}; choose from "
                            f"{', '.join(sorted(data.target_groups))}.", "group")
    if sel.period is not None and not _PERIOD.match(sel.period):
        raise GapInputError(f"period must be YYYY or YYYY-MM, got {sel.period!r}.", "period")


def _sector_sets(data: GapInputs, sel: GapSelection) -> tuple[set[str] | None, str | None]:
    """(sectors whose facts count or None for all, the sector whose PiN applies or None)."""
    type_sector = dict(zip(data.service_types["code"], data.service_types["sector_code"],
                           strict=True))
    if sel.sector is not None:
        kids = data.sectors.loc[data.sectors["parent_code"] == sel.sector, "code"]
        return {sel.sector, *kids}, sel.sector
    if sel.service_type is not None:
        return None, type_sector.get(sel.service_type)
    return None, None


def _fact_filter(frame: pd.DataFrame, data: GapInputs, sel: GapSelection,
                 sectors: set[str] | None) -> pd.Series:
    """Rows of a fact frame matching the sector/service-type selection."""
    type_sector = dict(zip(data.service_types["code"], data.service_types["sector_code"],
                           strict=True))
    if sel.service_type is not None:
        return (frame["service_type_code"] == sel.service_type).fillna(False).astype(bool)
    if sectors is None:
        return pd.Series(True, index=frame.index)
    sector = frame["sector_code"].where(frame["sector_code"].notna(),
                                        frame["service_type_code"].map(type_sector))
    return sector.isin(sectors).astype(bool)


def _presence(data: GapInputs, sel: GapSelection, sectors: set[str] | None,
              geo: _Geo) -> pd.DataFrame:
    """Rows (pos: leaf area, org, service, capacity share) of directory services."""
    svc = data.services
    type_sector = dict(zip(data.service_types["code"], data.service_types["sector_code"],
                           strict=True))
    keep = _has_group(svc["target_groups"], sel.group)
    if sel.service_type is not None:
        keep &= (svc["service_type_code"] == sel.service_type).astype(bool)
    elif sectors is not None:
        keep &= svc["service_type_code"].map(type_sector).isin(sectors).astype(bool)
    svc = svc[keep.to_numpy()]
    which = pd.Index(svc["service_id"]).get_indexer(data.coverage["service_id"].to_numpy())
    cov_pos = geo.positions(data.coverage["pcode"])
    ok = (which >= 0) & (cov_pos >= 0)
    which, cov_pos = which[ok], cov_pos[ok]
    rows, leaf = geo.expand(cov_pos)
    service = which[rows].astype(np.int64)
    keys = pd.unique(service * (len(geo.index) + 1) + leaf)
    service, leaf = keys // (len(geo.index) + 1), keys % (len(geo.index) + 1)
    share = np.bincount(service, minlength=len(svc))[service]
    capacity = pd.to_numeric(svc["capacity_per_month"], errors="coerce").fillna(0) \
        .to_numpy(dtype=float)
    return pd.DataFrame({"pos": leaf, "org": svc["organization_id"].to_numpy(
        dtype=np.int64)[service], "service": service, "capacity": capacity[service] / share})


def _activities(data: GapInputs, sel: GapSelection, sectors: set[str] | None,
                geo: _Geo) -> pd.DataFrame:
    act = data.activities
    act = act[_fact_filter(act, data, sel, sectors) & _in_period(act["period_start"],
                                                                  sel.period)].copy()
    people = (act["unit"] == "people").astype(bool)
    total = pd.to_numeric(act["reached_total"], errors="coerce").fillna(0)
    reached, keep = total, pd.Series(True, index=act.index)
    if sel.group is not None:
        def num(col: str) -> pd.Series:
            return pd.to_numeric(act[col], errors="coerce").fillna(0)

        tags = act["target_groups"]
        tagged = tags.map(lambda g: sel.group in (g or ())).astype(bool)
        positive = {grp: sum(num(c) for c in cols) > 0 for grp, cols in AGE_SEX_GROUPS.items()}
        no_info = tags.map(lambda g: not g).astype(bool)
        for flag in positive.values():
            no_info &= ~flag
        if sel.group in AGE_SEX_GROUPS:
            reached = sum(num(c) for c in AGE_SEX_GROUPS[sel.group])
            keep = tagged | positive[sel.group] | no_info
        else:
            reached = total.where(tagged, 0)
            keep = tagged | no_info
    # organisation key: the id, or a negative code of the normalised implementer's name
    named = act["organization_id"].isna().to_numpy()
    org = np.zeros(len(act), dtype=np.int64)
    org[~named] = act["organization_id"].to_numpy()[~named].astype(np.int64)
    if named.any():
        names = act["implementing_org"].fillna("").astype(str).to_numpy()[named]
        org[named] = -1 - pd.factorize(pd.Series(names).str.strip().str.lower())[0]
    out = pd.DataFrame({"pos": geo.positions(act["pcode"]), "org": org,
                        "reached": np.where(people, reached, 0.0).astype(float),
                        "nobody": (people & (total == 0)).to_numpy(dtype=bool)})
    return out[keep.to_numpy() & (out["pos"].to_numpy() >= 0)]


def _needs(data: GapInputs, sel: GapSelection, need_sector: str | None,
           geo: _Geo) -> pd.DataFrame:
    needs = data.needs
    if needs.empty:
        return pd.DataFrame({"pos": np.zeros(0, dtype=np.int64), "people_in_need": [],
                             "severity": []})
    year = sel.period[:4] if sel.period else max(needs["period"].astype(str))
    needs = needs[(needs["period"].astype(str) == year)]
    needs = needs[needs["sector_code"].isna()] if need_sector is None else \
        needs[needs["sector_code"] == need_sector]
    base = needs[needs["target_group_code"].isna()].drop_duplicates("pcode").set_index("pcode")
    if sel.group is not None:
        own = needs[needs["target_group_code"] == sel.group].drop_duplicates("pcode") \
            .set_index("pcode")
        base = pd.concat([base[~base.index.isin(own.index)], own])
    out = base[["people_in_need", "severity"]].astype(float).reset_index()
    out["pos"] = geo.positions(out["pcode"])
    return out[out["pos"] >= 0]


def _failures(frame: pd.DataFrame, data: GapInputs, sel: GapSelection,
              sectors: set[str] | None, geo: _Geo,
              mask: pd.Series | None = None) -> np.ndarray:
    keep = _fact_filter(frame, data, sel, sectors) & _has_group(frame["target_groups"], sel.group)
    keep &= _in_period(frame["at"], sel.period)
    if mask is not None:
        keep &= mask
    pos = geo.positions(frame.loc[keep.to_numpy(), "pcode"])
    return pos[pos >= 0]


def compute_gaps(data: GapInputs, selection: GapSelection | None = None,
                 **kwargs: Any) -> pd.DataFrame:
    """The ranked gap table for every area of ``selection.level`` (columns ``GAP_COLUMNS``).

    ``compute_gaps(data, level=3, sector="protection")`` is short for passing a GapSelection.
    Raises GapInputError (a ValueError naming the parameter) for unknown selection values.
    """
    sel = selection or GapSelection(**kwargs)
    return compute_gap_levels(data, sel, levels=(sel.level,))[sel.level]


def compute_gap_levels(data: GapInputs, selection: GapSelection,
                       levels: tuple[int, ...] = (1, 2, 3)) -> dict[int, pd.DataFrame]:
    """Gap tables of several levels at once: the facts are prepared once, then rolled up."""
    for level in levels:
        _validate(data, GapSelection(**{**selection.__dict__, "level": level}))
    sel = selection
    geo = _Geo(data.areas)
    sectors, need_sector = _sector_sets(data, sel)
    pres = _presence(data, sel, sectors, geo)
    act = _activities(data, sel, sectors, geo)
    need = _needs(data, sel, need_sector, geo)
    ref = data.referrals
    failed = (ref["status"].isin(("declined", "closed_unmet"))
              & (ref["reason_code"].isin(SUPPLY_REASONS)
                 | ((ref["status"] == "closed_unmet") & ref["reason_code"].isna()))
              ).astype(bool)  # ``reasons.supply_failure``, vectorised
    # Integer facts, computed once: positions of areas and distinct pairs.
    org = pd.factorize(np.concatenate([pres["org"].to_numpy(), act["org"].to_numpy()]))[0]
    # presence with nobody reached (4W rows of people, 0 reached) is counted apart
    nobody = np.concatenate([np.zeros(len(pres), dtype=bool), act["nobody"].to_numpy(bool)])
    places = np.concatenate([pres["pos"].to_numpy(), act["pos"].to_numpy()])
    pin = need["people_in_need"].to_numpy(dtype=float)
    sev = need["severity"].to_numpy(dtype=float)
    weight = np.where(np.isnan(sev), 0.0, np.nan_to_num(pin))
    facts = {
        "org_pairs": _pairs(places[~nobody], org.astype(np.int64)[~nobody]),
        "nobody_pairs": _pairs(places[nobody], org.astype(np.int64)[nobody]),
        "svc_pairs": _pairs(pres["pos"].to_numpy(), pres["service"].to_numpy()),
        "capacity": (pres["pos"].to_numpy(), pres["capacity"].to_numpy(dtype=float)),
        "reached": (act["pos"].to_numpy(), act["reached"].to_numpy(dtype=float)),
        "need_pos": need["pos"].to_numpy(), "pin": pin, "sev": sev,
        "ws": np.nan_to_num(sev) * weight, "w": weight,
        "declined": _failures(ref, data, sel, sectors, geo, failed),
        "unmet": _failures(data.unmet, data, sel, sectors, geo),
    }
    return {level: _aggregate(data, sel, geo.anc, level, facts) for level in levels}


def _pairs(places: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (place, item) pairs, as two arrays."""
    ok = (places >= 0) & (items >= 0)
    base = int(items.max(initial=0)) + 1
    keys = pd.unique(places[ok].astype(np.int64) * base + items[ok])
    return keys // base, keys % base


def _aggregate(data: GapInputs, sel: GapSelection, anc: pd.DataFrame, level: int,
               facts: dict[str, Any]) -> pd.DataFrame:
    """Roll the prepared facts up to ``level`` (integer codes and bincounts) and score them."""
    areas = data.areas[data.areas["level"].astype(int) == level]
    table = areas[["pcode", "level", "parent_pcode", "name_ar", "name_en"]] \
        .drop_duplicates("pcode").reset_index(drop=True)
    n = len(table)
    # area code (row of ``table``) of every position in ``anc``; position -1 maps to -1
    of_anc = np.append(pd.Index(table["pcode"]).get_indexer(anc[f"anc{level}"].to_numpy()), -1)

    def total(positions: np.ndarray, weights: Any) -> np.ndarray:
        codes = of_anc[positions]
        ok = codes >= 0
        return np.bincount(codes[ok], weights=np.asarray(weights, dtype=float)[ok],
                           minlength=n)

    def distinct(pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        places, items = pairs
        codes = of_anc[places]
        ok = codes >= 0
        base = int(items.max(initial=0)) + 1
        keys = pd.unique(codes[ok] * base + items[ok])
        return np.bincount(keys // base, minlength=n).astype("int64")

    def apart(pairs: tuple[np.ndarray, np.ndarray],
              present: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Distinct items of ``pairs`` per area that are not among ``present`` there."""
        base = int(max(pairs[1].max(initial=0), present[1].max(initial=0))) + 1

        def keys(p: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            codes = of_anc[p[0]]
            ok = codes >= 0
            return codes[ok] * base + p[1][ok]

        only = np.setdiff1d(keys(pairs), keys(present))
        return np.bincount(only // base, minlength=n).astype("int64")

    table["organizations"] = distinct(facts["org_pairs"])
    table["present_nobody_reached"] = apart(facts["nobody_pairs"], facts["org_pairs"])
    table["services"] = distinct(facts["svc_pairs"])
    table["capacity"] = total(*facts["capacity"])
    table["reached"] = total(*facts["reached"])
    at, pin, sev = facts["need_pos"], facts["pin"], facts["sev"]
    has_pin = total(at, ~np.isnan(pin))
    n_sev = total(at, ~np.isnan(sev))
    ws, w = total(at, facts["ws"]), total(at, facts["w"])
    with np.errstate(divide="ignore", invalid="ignore"):
        table["people_in_need"] = np.where(has_pin > 0, total(at, np.nan_to_num(pin)), np.nan)
        mean = np.where(n_sev > 0, total(at, np.nan_to_num(sev)) / n_sev, np.nan)
        table["severity"] = np.where(w > 0, ws / w, mean)
    for name, col in (("declined", "declined_referrals"), ("unmet", "unmet_searches")):
        table[col] = total(facts[name], np.ones(len(facts[name]))).astype("int64")
    return _score(table, sel.months())


def _score(table: pd.DataFrame, months: int) -> pd.DataFrame:
    """Add served, coverage, uncovered, gap_score, the flag and the rank; sort."""
    pin = table["people_in_need"].astype(float)
    served = np.maximum(table["reached"].to_numpy(), table["capacity"].to_numpy() * months)
    table["served"] = served
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = np.where(pin > 0, np.minimum(served / pin, 1.0), np.nan)
    table["coverage"] = cov
    table["uncovered"] = np.where(pin.notna(), np.maximum(pin - served, 0.0), np.nan)
    w = (table["severity"].astype(float) / 5.0).clip(0, 1).fillna(UNKNOWN_SEVERITY_WEIGHT)
    failures = (table["declined_referrals"] + table["unmet_searches"]).astype(float)
    f = failures / (failures + FAILURE_HALF)
    c = pd.Series(cov, index=table.index).fillna(1.0)
    table["gap_score"] = (100 * w * (NEED_WEIGHT * (1 - c) + FAILURE_WEIGHT * f)).round(1)
    table["need_without_presence"] = ((pin > 0) & (table["organizations"] == 0)).astype(bool)
    table = table.sort_values(["need_without_presence", "gap_score", "uncovered", "pcode"],
                              ascending=[False, False, False, True], na_position="last")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[list(GAP_COLUMNS)].reset_index(drop=True)


def compute_gaps_by(data: GapInputs, by: str, selection: GapSelection | None = None,
                    **kwargs: Any) -> pd.DataFrame:
    """One gap table per sector (``by="sector"``), service type or target group, stacked,
    with the dimension's value in a column named after ``by``."""
    sel = selection or GapSelection(**kwargs)
    values = {"sector": list(data.sectors["code"]),
              "service_type": list(data.service_types["code"]),
              "group": list(data.target_groups)}.get(by)
    if values is None:
        raise GapInputError("by must be sector, service_type or group.", "by")
    tables = []
    for value in values:
        part = compute_gaps(data, GapSelection(**{**sel.__dict__, by: value}))
        part.insert(0, by, value)
        tables.append(part)
    return pd.concat(tables, ignore_index=True)
