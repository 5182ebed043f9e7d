"""A caseworker's search that finds nothing becomes an unmet-need signal in the gap table."""

from __future__ import annotations

from sqlalchemy import delete

from data.gapdata import load_gap_inputs
from data.models import UnmetSearch
from matching.gaps import compute_gaps


def test_empty_search_counts_as_unmet_in_the_area_gap(client, session, boundaries):
    session.execute(delete(UnmetSearch))
    session.flush()
    # nobody offers mine clearance in Dana in this test's data
    resp = client.get("/api/v1/services?need=ma_clearance&pcode=SY070301")
    assert resp.status_code == 200 and resp.get_json()["total"] == 0
    data = load_gap_inputs(session)
    gaps = compute_gaps(data, level=3, sector="mine_action").set_index("pcode")
    assert gaps.loc["SY070301", "unmet_searches"] == 1
    districts = compute_gaps(data, level=2, sector="mine_action").set_index("pcode")
    assert districts.loc["SY0703", "unmet_searches"] == 1
    assert gaps["unmet_searches"].sum() == 1
