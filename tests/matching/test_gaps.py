"""The pure gap engine on hand-made frames: the formula, ranking, roll-up, filters, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matching.gaps import ADDITIVE, GapInputError, GapInputs, GapSelection, compute_gaps

AREAS = [  # governorate G, districts D1 D2, sub-districts S1 S2 (in D1) and S3 (in D2)
    ("SY01", 1, None), ("SY0101", 2, "SY01"), ("SY0102", 2, "SY01"),
    ("SY010101", 3, "SY0101"), ("SY010102", 3, "SY0101"), ("SY010201", 3, "SY0102"),
]


def inputs(services=(), coverage=(), activities=(), needs=(), referrals=(), unmet=()):
    """GapInputs from short tuples."""
    areas = pd.DataFrame([{"pcode": p, "level": lv, "parent_pcode": par, "name_ar": f"ع{p}",
                           "name_en": f"E{p}"} for p, lv, par in AREAS])
    sectors = pd.DataFrame({"code": ["protection", "gbv", "health"],
                            "parent_code": [None, "protection", None]})
    types = pd.DataFrame({"code": ["prot_pss", "gbv_case_management", "health_primary"],
                          "sector_code": ["protection", "gbv", "health"]})
    act_cols = ("organization_id", "implementing_org", "sector_code", "service_type_code",
                "pcode", "period_start", "unit", "reached_total", "reached_f_children",
                "reached_m_children", "reached_f_adults", "reached_m_adults",
                "reached_f_elderly", "reached_m_elderly", "target_groups")
    acts = [dict(zip(act_cols, (None, "", None, None, None, dt.date(2023, 1, 1), "people", 0,
                                0, 0, 0, 0, 0, 0, []), strict=True)) | a for a in activities]
    data = GapInputs(
        areas=areas, sectors=sectors, service_types=types,
        target_groups=["women", "children", "idps"],
        services=pd.DataFrame(list(services), columns=[
            "service_id", "organization_id", "service_type_code", "capacity_per_month",
            "target_groups"]),
        coverage=pd.DataFrame(list(coverage), columns=["service_id", "pcode"]),
        activities=pd.DataFrame(acts, columns=list(act_cols)),
        needs=pd.DataFrame(list(needs), columns=[
            "pcode", "sector_code", "target_group_code", "period", "people_in_need",
            "severity"]),
        referrals=pd.DataFrame(list(referrals), columns=[
            "pcode", "sector_code", "service_type_code", "target_groups", "status",
            "reason_code", "at"]),
        unmet=pd.DataFrame(list(unmet), columns=[
            "pcode", "sector_code", "service_type_code", "target_groups", "at"]),
    )
    return data


def by_pcode(table: pd.DataFrame) -> dict[str, dict]:
    return {r["pcode"]: r for r in table.to_dict("records")}


AT = pd.Timestamp("2023-02-10", tz="UTC")


@pytest.fixture
def case():
    return inputs(
        services=[(1, 10, "prot_pss", 10, ["women"]), (2, 10, "prot_pss", 40, []),
                  (3, 11, "health_primary", 99, [])],
        coverage=[(1, "SY010101"), (2, "SY0101"), (3, "SY010201")],
        activities=[{"organization_id": 12, "sector_code": "gbv", "pcode": "SY010101",
                     "reached_total": 300, "reached_f_adults": 200},
                    {"implementing_org": "Local Group", "sector_code": "protection",
                     "pcode": "SY010102", "unit": "sessions", "reached_total": 70}],
        needs=[("SY010101", "protection", None, "2023", 1000, 5),
               ("SY010102", "protection", None, "2023", 500, 3),
               ("SY010201", "protection", None, "2023", 100, 2),
               ("SY010201", "protection", None, "2022", 999, 5)],
        referrals=[("SY010102", None, "prot_pss", [], "declined", "no_capacity", AT)] * 3
        + [("SY010102", None, "prot_pss", [], "closed_unmet", None, AT),
           ("SY010102", None, "prot_pss", [], "declined", "not_eligible", AT)],
        unmet=[("SY010102", "protection", None, [], AT)],
    )


def test_referral_failures_count_the_supply_reasons_only():
    """A referral declined or closed unmet because there is no capacity or the service is not
    offered any more counts towards the gap; one the person declined, could not be reached
    for, or was not eligible for does not (``matching.reasons``)."""
    def failures(*referrals):
        data = inputs(services=[], coverage=[], activities=[],
                      needs=[("SY010102", "protection", None, "2023", 500, 3)],
                      referrals=[("SY010102", None, "prot_pss", [], s, r, AT)
                                 for s, r in referrals], unmet=[])
        return by_pcode(compute_gaps(data, level=3, sector="protection"))[
            "SY010102"]["declined_referrals"]

    assert failures(("declined", "not_offered"), ("closed_unmet", "not_offered")) == 2
    assert failures(("declined", "no_capacity"), ("closed_unmet", None)) == 2
    assert failures(("closed_unmet", "no_contact"), ("closed_unmet", "person_declined"),
                    ("declined", "not_eligible"), ("declined", "duplicate")) == 0


def test_the_formula_on_hand_made_sub_districts(case):
    t = by_pcode(compute_gaps(case, level=3, sector="protection"))
    s1, s2, s3 = t["SY010101"], t["SY010102"], t["SY010201"]
    # S1: services 1 (10/month, only S1) and 2 (40/month over S1+S2 -> 20); orgs 10 and 12
    assert (s1["organizations"], s1["services"]) == (2, 2)
    assert s1["capacity"] == pytest.approx(30)
    assert s1["reached"] == 300
    assert s1["served"] == pytest.approx(360)  # max(300, 30 x 12)
    assert s1["coverage"] == pytest.approx(0.36)
    assert s1["uncovered"] == pytest.approx(640)
    assert s1["gap_score"] == pytest.approx(round(100 * 1.0 * 0.8 * 0.64, 1))
    # S2: 20/month from service 2, sessions are not people, 4 failed referrals + 1 search
    assert (s2["organizations"], s2["capacity"], s2["reached"]) == (2, 20, 0)
    assert (s2["declined_referrals"], s2["unmet_searches"]) == (4, 1)
    f = 5 / (5 + 5)
    assert s2["gap_score"] == pytest.approx(round(100 * 0.6 * (0.8 * (1 - 240 / 500)
                                                               + 0.2 * f), 1))
    # S3: need (2023 figure, not 2022), only a health service: need without presence
    assert s3["people_in_need"] == 100 and s3["organizations"] == 0
    assert s3["need_without_presence"]
    assert s3["gap_score"] == pytest.approx(100 * 0.4 * 0.8)


def test_need_without_presence_ranks_first_even_with_a_lower_score(case):
    table = compute_gaps(case, level=3, sector="protection")
    assert list(table["pcode"]) == ["SY010201", "SY010101", "SY010102"]
    assert list(table["rank"]) == [1, 2, 3]
    assert table.loc[0, "gap_score"] < table.loc[1, "gap_score"]


def test_additive_figures_roll_up_exactly_and_distinct_counts_do_not(case):
    subs = compute_gaps(case, level=3, sector="protection").set_index("pcode")
    dists = compute_gaps(case, level=2, sector="protection").set_index("pcode")
    gov = compute_gaps(case, level=1, sector="protection").set_index("pcode")
    children = {"SY0101": ["SY010101", "SY010102"], "SY0102": ["SY010201"]}
    for district, kids in children.items():
        for col in ADDITIVE:
            assert dists.loc[district, col] == pytest.approx(subs.loc[kids, col].sum()), col
    for col in ADDITIVE:
        assert gov.loc["SY01", col] == pytest.approx(dists[col].sum()), col
    # organisation 10 works in S1 and S2: counted once in D1
    assert dists.loc["SY0101", "organizations"] == 3
    assert subs.loc[["SY010101", "SY010102"], "organizations"].sum() == 4
    # severity above the recorded level is the PiN-weighted mean
    assert dists.loc["SY0101", "severity"] == pytest.approx((1000 * 5 + 500 * 3) / 1500)


def test_filters_service_type_group_and_period(case):
    t = by_pcode(compute_gaps(case, level=3, service_type="prot_pss", group="women"))
    # GBV activity is not prot_pss; PiN is the service type's sector's (protection)
    assert t["SY010101"]["reached"] == 0 and t["SY010101"]["people_in_need"] == 1000
    assert t["SY010101"]["services"] == 2  # service 1 is for women, service 2 for everyone
    kids = by_pcode(compute_gaps(case, level=3, sector="gbv", group="children"))
    assert kids["SY010101"]["reached"] == 0  # adults only
    women = by_pcode(compute_gaps(case, level=3, sector="gbv", group="women"))
    assert women["SY010101"]["reached"] == 200  # the age/sex column, not the total
    later = by_pcode(compute_gaps(case, level=3, sector="protection", period="2023-03"))
    assert later["SY010101"]["reached"] == 0 and later["SY010102"]["declined_referrals"] == 0
    assert later["SY010101"]["people_in_need"] == 1000  # annual needs
    assert later["SY010101"]["served"] == pytest.approx(30)  # one month of capacity


def test_no_selection_uses_the_inter_sector_need_and_every_service(case):
    case.needs.loc[len(case.needs)] = ("SY010201", None, None, "2023", 5000, 4)
    t = by_pcode(compute_gaps(case, level=3))
    assert t["SY010201"]["people_in_need"] == 5000
    assert t["SY010201"]["services"] == 1  # the health service counts now
    assert np.isnan(t["SY010101"]["people_in_need"])


def test_group_specific_need_overrides_the_population_figure(case):
    case.needs.loc[len(case.needs)] = ("SY010101", "protection", "women", "2023", 400, 4)
    t = by_pcode(compute_gaps(case, level=3, sector="protection", group="women"))
    assert t["SY010101"]["people_in_need"] == 400 and t["SY010101"]["severity"] == 4
    assert t["SY010102"]["people_in_need"] == 500  # no women figure there: the whole PiN


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"level": 4}, "level"), ({"sector": "nope"}, "sector"), ({"service_type": "x"}, "service"),
    ({"group": "aliens"}, "group"), ({"period": "2023-13"}, "period"),
    ({"period": "last year"}, "period"),
])
def test_bad_selections_name_the_parameter(case, kwargs, field):
    with pytest.raises(GapInputError) as err:
        compute_gaps(case, GapSelection(**{"level": 3, **kwargs}))
    assert err.value.field == field


def test_empty_inputs_give_every_area_with_zero_figures():
    table = compute_gaps(inputs(), level=2)
    assert list(table["pcode"]) == ["SY0101", "SY0102"]
    assert (table["organizations"] == 0).all() and (table["gap_score"] == 0).all()


def test_presence_with_nobody_reached_is_counted_apart_and_never_closes_a_gap():
    data = inputs(
        activities=[{"organization_id": 20, "sector_code": "protection", "pcode": "SY010201",
                     "reached_total": 0},
                    {"organization_id": 21, "sector_code": "protection", "pcode": "SY010101",
                     "reached_total": 0},
                    {"organization_id": 21, "sector_code": "protection", "pcode": "SY010101",
                     "reached_total": 5}],
        needs=[("SY010201", "protection", None, "2023", 100, 4),
               ("SY010101", "protection", None, "2023", 100, 4)])
    t = by_pcode(compute_gaps(data, level=3, sector="protection"))
    # S3: one organisation present that reached nobody: still need without presence
    assert (t["SY010201"]["organizations"], t["SY010201"]["present_nobody_reached"]) == (0, 1)
    assert t["SY010201"]["need_without_presence"]
    # S1: the same organisation reached 5 there too: present, nothing counted apart
    assert (t["SY010101"]["organizations"], t["SY010101"]["present_nobody_reached"]) == (1, 0)
    # one level up, the district of S1 and S3's district each count what is under them
    d = by_pcode(compute_gaps(data, level=1, sector="protection"))["SY01"]
    assert (d["organizations"], d["present_nobody_reached"]) == (1, 1)
