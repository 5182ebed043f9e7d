"""The coverage-gap engine: needs x presence x capacity x failed referrals, per admin area.

Pure pandas/numpy; no I/O. ``data.gapdata.load_gap_inputs`` builds the ``GapInputs`` frames.

For one selection (sector *or* service type, target group, period) and one admin level
(1 governorate, 2 district, 3 sub-district), every area of that level gets:

============================  ==========================================================  =====
column                        meaning                                                     adds
============================  ==========================================================  =====
organizations                 distinct organisations present: directory services           no
                              covering the area (or with a site there) and 4W activity
services                      distinct active directory services present                   no
capacity                      people per month; a service's capacity is shared equally     yes
                              among the sub-districts it covers
reached                       people reached by 4W activities counted in people            yes
people_in_need                HNO PiN of the selected sector (inter-sector if none)        yes
severity                      HNO severity; above the recorded level, PiN-weighted mean    no
declined_referrals            referrals declined for no capacity, or closed unmet          yes
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

import numpy as np
import pandas as pd

__all__ = ["ADDITIVE", "GAP_COLUMNS", "GapInputError", "GapInputs", "GapSelection",
           "ancestry", "compute_gaps", "compute_gaps_by"]

ADDITIVE = ("capacity", "reached", "people_in_need", "declined_referrals", "unmet_searches")
GAP_COLUMNS = ("rank", "pcode", "level", "parent_pcode", "name_ar", "name_en", "organizations",
               "services", "capacity", "reached", "people_in_need", "severity",
               "declined_referrals", "unmet_searches", "served", "coverage", "uncovered",
               "gap_score", "need_without_presence")
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
    level get NaN there.
    """
    frame = areas[["pcode", "level", "parent_pcode"]].drop_duplicates("pcode")
    level = dict(zip(frame["pcode"], frame["level"].astype(int), strict=True))
    parent = dict(zip(frame["pcode"], frame["parent_pcode"], strict=True))
    out = pd.DataFrame(index=pd.Index(frame["pcode"], name="pcode"))
    out["level"] = frame["level"].astype(int).to_numpy()
    cur = pd.Series(frame["pcode"].to_numpy(), index=out.index, dtype=object)
    for k in (1, 2, 3):
        out[f"anc{k}"] = pd.Series(np.nan, index=out.index, dtype=object)
    for _ in range(5):
        lv = cur.map(level)
        for k in (1, 2, 3):
            hit = (lv == k) & out[f"anc{k}"].isna()
            out.loc[hit, f"anc{k}"] = cur[hit]
        cur = cur.map(parent)
        if cur.isna().all():
            break
    return out


def _clip(pcodes: pd.Series, anc: pd.DataFrame) -> pd.Series:
    """Map each p-code to the deepest admin area of level <= 3 containing it (None: unknown)."""
    a = anc.reindex(pcodes.to_numpy())
    deep = a["anc3"].fillna(a["anc2"]).fillna(a["anc1"])
    return pd.Series(deep.to_numpy(), index=pcodes.index, dtype=object)


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
              anc: pd.DataFrame) -> pd.DataFrame:
    """Rows (pcode: leaf area, org, service_id, capacity share) of directory services."""
    svc = data.services
    type_sector = dict(zip(data.service_types["code"], data.service_types["sector_code"],
                           strict=True))
    keep = _has_group(svc["target_groups"], sel.group)
    if sel.service_type is not None:
        keep &= (svc["service_type_code"] == sel.service_type).astype(bool)
    elif sectors is not None:
        keep &= svc["service_type_code"].map(type_sector).isin(sectors).astype(bool)
    svc = svc[keep]
    cov = data.coverage[data.coverage["service_id"].isin(svc["service_id"])].copy()
    cov["pcode"] = _clip(cov["pcode"], anc)
    cov = cov.dropna(subset=["pcode"])
    # Leaves: areas of level <= 3 with no child of level <= 3.
    known = anc[anc["level"] <= 3]
    upper = data.areas[data.areas["level"].astype(int) <= 3]
    leaves = known[~known.index.isin(set(upper["parent_pcode"].dropna()))]
    long = pd.concat([pd.DataFrame({"anc": leaves[f"anc{k}"].to_numpy(),
                                    "leaf": leaves.index.to_numpy()}) for k in (1, 2, 3)])
    long = long.dropna(subset=["anc"])
    rows = cov.merge(long, left_on="pcode", right_on="anc")[["service_id", "leaf"]]
    rows = rows.drop_duplicates()
    rows = rows.merge(svc[["service_id", "organization_id", "capacity_per_month"]],
                      on="service_id")
    share = rows.groupby("service_id")["leaf"].transform("size")
    rows["capacity"] = pd.to_numeric(rows["capacity_per_month"], errors="coerce").fillna(0) \
        / share
    rows["org"] = "o" + rows["organization_id"].astype("int64").astype(str)
    return rows.rename(columns={"leaf": "pcode"})[["pcode", "org", "service_id", "capacity"]]


def _activities(data: GapInputs, sel: GapSelection, sectors: set[str] | None,
                anc: pd.DataFrame) -> pd.DataFrame:
    act = data.activities
    act = act[_fact_filter(act, data, sel, sectors) & _in_period(act["period_start"],
                                                                  sel.period)].copy()
    groups = act["target_groups"].map(lambda g: set(g or ()))
    for grp, cols in AGE_SEX_GROUPS.items():
        has = np.zeros(len(act), dtype=bool)
        for col in cols:
            has |= pd.to_numeric(act[col], errors="coerce").fillna(0).to_numpy() > 0
        groups = pd.Series([g | {grp} if h else g for g, h in zip(groups, has, strict=True)],
                           index=act.index, dtype=object)
    people = (act["unit"] == "people").astype(bool)
    total = pd.to_numeric(act["reached_total"], errors="coerce").fillna(0)
    if sel.group is None:
        reached = total
        keep = pd.Series(True, index=act.index)
    elif sel.group in AGE_SEX_GROUPS:
        reached = sum(pd.to_numeric(act[c], errors="coerce").fillna(0)
                      for c in AGE_SEX_GROUPS[sel.group])
        keep = groups.map(lambda g: not g or sel.group in g).astype(bool)
    else:
        tagged = act["target_groups"].map(lambda g: sel.group in (g or ())).astype(bool)
        reached = total.where(tagged, 0)
        keep = groups.map(lambda g: not g or sel.group in g).astype(bool)
    out = pd.DataFrame({
        "pcode": _clip(act["pcode"], anc),
        "org": np.where(act["organization_id"].notna(),
                        "o" + act["organization_id"].astype("Int64").astype(str),
                        "n" + act["implementing_org"].fillna("").astype(str).str.strip()
                        .str.lower()),
        "reached": np.where(people, reached, 0.0).astype(float),
    }, index=act.index)
    return out[keep.to_numpy() & out["pcode"].notna().to_numpy()]


def _needs(data: GapInputs, sel: GapSelection, need_sector: str | None,
           anc: pd.DataFrame) -> pd.DataFrame:
    needs = data.needs
    if needs.empty:
        return pd.DataFrame({"pcode": [], "people_in_need": [], "severity": []})
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
    out["pcode"] = _clip(out["pcode"], anc)
    return out.dropna(subset=["pcode"])


def _failures(frame: pd.DataFrame, data: GapInputs, sel: GapSelection,
              sectors: set[str] | None, anc: pd.DataFrame,
              mask: pd.Series | None = None) -> pd.Series:
    keep = _fact_filter(frame, data, sel, sectors) & _has_group(frame["target_groups"], sel.group)
    keep &= _in_period(frame["at"], sel.period)
    if mask is not None:
        keep &= mask
    return _clip(frame.loc[keep, "pcode"], anc).dropna()


def compute_gaps(data: GapInputs, selection: GapSelection | None = None,
                 **kwargs) -> pd.DataFrame:
    """The ranked gap table for every area of ``selection.level`` (columns ``GAP_COLUMNS``).

    ``compute_gaps(data, level=3, sector="protection")`` is short for passing a GapSelection.
    Raises GapInputError (a ValueError naming the parameter) for unknown selection values.
    """
    sel = selection or GapSelection(**kwargs)
    _validate(data, sel)
    anc = ancestry(data.areas)
    key = f"anc{sel.level}"
    sectors, need_sector = _sector_sets(data, sel)

    def at_level(pcodes: pd.Series) -> pd.Series:
        return pd.Series(anc[key].reindex(pcodes.to_numpy()).to_numpy(), index=pcodes.index)

    pres = _presence(data, sel, sectors, anc)
    pres["area"] = at_level(pres["pcode"])
    act = _activities(data, sel, sectors, anc)
    act["area"] = at_level(act["pcode"])
    need = _needs(data, sel, need_sector, anc)
    need["area"] = at_level(need["pcode"])
    ref = data.referrals
    failed = (((ref["status"] == "declined") & (ref["reason_code"] == "no_capacity"))
              | (ref["status"] == "closed_unmet")).astype(bool)
    declined = at_level(_failures(ref, data, sel, sectors, anc, failed)).dropna()
    unmet = at_level(_failures(data.unmet, data, sel, sectors, anc)).dropna()

    areas = data.areas[data.areas["level"].astype(int) == sel.level]
    table = areas[["pcode", "level", "parent_pcode", "name_ar", "name_en"]] \
        .drop_duplicates("pcode").set_index("pcode")
    orgs = pd.concat([pres[["area", "org"]], act[["area", "org"]]]).dropna(subset=["area"])
    table["organizations"] = orgs.groupby("area")["org"].nunique()
    table["services"] = pres.dropna(subset=["area"]).groupby("area")["service_id"].nunique()
    table["capacity"] = pres.groupby("area")["capacity"].sum()
    table["reached"] = act.groupby("area")["reached"].sum()
    table["people_in_need"] = need.groupby("area")["people_in_need"].sum(min_count=1)
    weight = need["people_in_need"].fillna(0).where(need["severity"].notna(), 0)
    need = need.assign(_ws=need["severity"].fillna(0) * weight, _w=weight)
    grouped = need.groupby("area")
    sev = grouped["_ws"].sum() / grouped["_w"].sum().replace(0, np.nan)
    table["severity"] = sev.fillna(grouped["severity"].mean())
    table["declined_referrals"] = declined.value_counts()
    table["unmet_searches"] = unmet.value_counts()
    for col in ("organizations", "services", "declined_referrals", "unmet_searches"):
        table[col] = table[col].fillna(0).astype("int64")
    for col in ("capacity", "reached"):
        table[col] = table[col].fillna(0.0).astype(float)
    return _score(table.reset_index(), sel.months())


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
                    **kwargs) -> pd.DataFrame:
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
