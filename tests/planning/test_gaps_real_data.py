"""Real data: OCHA boundaries, the 2023 HNO and the Northwest Syria protection 4W (prot.csv).

Protection and GBV gaps by sub-district are checked against an independent pandas computation
straight from the files, after importing prot.csv with the 4W importer.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.shared_data

# How the independent computation reads prot.csv: the cluster's own analysis unit says which
# rows count people (the importer's documented semantics).
SECTOR_OF_AOR = {"Protection": "protection", "Child Protection": "child_protection",
                 "GBV": "gbv", "Humanitarian Mine Action": "mine_action"}
CHECKED = ["SY070301", "SY070300", "SY020200", "SY070000", "SY020601"]


@pytest.fixture
def real_gaps(session, boundaries, shared):
    from data.gapdata import load_gap_inputs
    from data.io import fourw
    from data.io.needs import load_needs

    hno = shared("needs", "hno2023_sector_pin_admin3.csv")
    prot = shared("4w", "prot.csv")
    load_needs(session, hno)
    fourw.import_4w(session, prot, accept_partial=True)
    session.flush()
    return load_gap_inputs(session), hno, prot


def _independent(hno, prot, sectors: set[str], pin_column: str) -> pd.DataFrame:
    """PiN, organisations present and people reached per sub-district, from the files only."""
    needs = pd.read_csv(hno, encoding="utf-8-sig").set_index("admin3Pcode")[pin_column]
    rows = pd.read_csv(prot, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = rows[rows["ao_r"].map(SECTOR_OF_AOR).isin(sectors)]
    people = rows["analysis_unit"] == "# people"
    reached = pd.to_numeric(rows["total_reached"], errors="coerce").fillna(0).where(people, 0)
    nobody = people & (reached == 0)  # presence with nobody reached: counted apart
    per_area = pd.DataFrame({"pcode": rows["admin3pcode"], "reached": reached,
                             "org": rows["implementing_partner_ip"]})
    out = pd.DataFrame({"people_in_need": pd.to_numeric(needs, errors="coerce")})
    out["reached"] = per_area.groupby("pcode")["reached"].sum()
    out["organizations"] = per_area[~nobody].groupby("pcode")["org"].nunique()
    zero = per_area[nobody].groupby("pcode")["org"].agg(set)
    some = per_area[~nobody].groupby("pcode")["org"].agg(set)
    out["present_nobody_reached"] = pd.Series(
        {p: len(orgs - some.get(p, set())) for p, orgs in zero.items()}, dtype=float)
    return out.fillna({"reached": 0, "organizations": 0, "present_nobody_reached": 0})


@pytest.mark.parametrize(("sector", "sectors", "pin_column"), [
    ("protection", {"protection", "child_protection", "gbv", "mine_action"}, "Protection_PIN"),
    ("gbv", {"gbv"}, "Protection_GBV_PIN"),
])
def test_real_protection_and_gbv_gaps_by_sub_district(real_gaps, sector, sectors, pin_column):
    from matching.gaps import compute_gaps

    data, hno, prot = real_gaps
    table = compute_gaps(data, level=3, sector=sector).set_index("pcode")
    truth = _independent(hno, prot, sectors, pin_column)
    assert len(table) == 272
    for pcode in CHECKED:
        assert table.loc[pcode, "people_in_need"] == pytest.approx(
            truth.loc[pcode, "people_in_need"]), pcode
        assert table.loc[pcode, "reached"] == pytest.approx(truth.loc[pcode, "reached"]), pcode
        assert (table.loc[pcode, "organizations"] > 0) == (truth.loc[pcode, "organizations"]
                                                           > 0), pcode
    # presence as a whole: the sub-districts with activity that reached someone are exactly
    # those of the file; organisations whose rows there reached nobody are counted apart
    present = set(table.index[table["organizations"] > 0])
    assert present == set(truth.index[truth["organizations"] > 0])
    assert (table["present_nobody_reached"] == truth["present_nobody_reached"]
            .reindex(table.index).fillna(0)).all()
    # need without presence ranks at the top, before every area with presence
    ranked = table.sort_values("rank")
    flagged = ranked["need_without_presence"].to_numpy()
    n = int(flagged.sum())
    assert n > 100  # most of Syria has need and no NW 4W presence
    assert flagged[:n].all() and not flagged[n:].any()
    expected = set(truth.index[(truth["people_in_need"] > 0) & (truth["organizations"] == 0)])
    assert set(ranked.index[:n]) == expected
