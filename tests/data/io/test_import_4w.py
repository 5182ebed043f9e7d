"""4W import on the real cluster files: aggregates equal an independent pandas aggregation,
no row silently dropped, organisations merged across files, re-import changes nothing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.errors import BadInput
from data.io.fourw import import_4w
from data.models import Activity, Organization, OrganizationAlias, Service, service_coverage
from tests.conftest import shared_path


def _frame(name: str) -> pd.DataFrame:
    df = pd.read_csv(shared_path("4w", name), dtype=str, keep_default_na=False)
    df["row"] = df.index + 2  # the header is row 1
    return df


def _db_agg(session, source: str, key) -> dict:
    rows = session.execute(
        select(Activity.pcode, key, func.count(),
               func.coalesce(func.sum(Activity.reached_total), 0))
        .where(Activity.source_file == source).group_by(Activity.pcode, key)).all()
    return {(p, k): (n, int(s)) for p, k, n, s in rows}


def test_prot_aggregates_match_pandas(session, boundaries):
    report = import_4w(session, shared_path("4w", "prot.csv"), accept_partial=True)
    df = _frame("prot.csv")
    assert report.rows_read == len(df) == 4850
    assert report.rows_read == report.rows_imported + report.rows_rejected
    assert report.rows_rejected == 0
    # people reached follow the cluster's own analysis unit, not the activity's unit: the
    # 1,051 "# interventions" rows analysed as "# people" count (91,157 people)
    df["people"] = df.total_reached.where(df.analysis_unit == "# people", "0").astype(int)
    assert df.people.sum() == 411_712
    expected = {(p, a): (len(g), int(g.people.sum()))
                for (p, a), g in df.groupby(["admin3pcode", "code_activity"])}
    assert _db_agg(session, "prot.csv", Activity.activity_code) == expected
    per_area = dict(session.execute(
        select(Activity.pcode, func.sum(Activity.reached_total))
        .where(Activity.unit == "people").group_by(Activity.pcode)).all())
    assert len(per_area) == 34 and sum(per_area.values()) == 411_712
    assert per_area == {p: int(g.people.sum()) for p, g in df.groupby("admin3pcode")
                        if (g.analysis_unit == "# people").any()}
    assert any("analysis unit '# people' counts people" in line
               for line in report.decision_lines())
    # units that are not people keep their unit and count nothing as people
    sessions = session.scalars(select(Activity).where(Activity.unit == "sessions")).all()
    assert len(sessions) == (df.analysis_unit == "# sessions").sum()
    assert all(a.reached_total is None and a.quantity is not None for a in sessions)
    # months without a year are flagged, not guessed
    assert any("has no year" in i.problem for i in report.doubtful)
    assert session.scalar(select(func.count()).where(Activity.period_start.is_not(None))) == 0
    # taxonomy: GBV600 -> gbv_case_management, CP2 -> cp_community, GP4 -> prot_pss
    pairs = dict(session.execute(select(Activity.activity_code, Activity.service_type_code)
                                 .distinct()).all())
    assert pairs["GBV600"] == "gbv_case_management"
    assert pairs["CP2"] == "cp_community" and pairs["GP4"] == "prot_pss"
    # one service per organisation x service type, covering the sub-districts of its rows;
    # rows that reached nobody are presence without people: no service, no coverage
    n_services = session.scalar(select(func.count()).select_from(Service))
    reached = df[~((df.analysis_unit == "# people") & (df.people == 0))]
    combos = reached.assign(st=reached.code_activity.map(pairs)).groupby(
        ["implementing_partner_ip", "st"])
    assert n_services == combos.ngroups
    assert session.scalar(select(func.count()).select_from(service_coverage)) == \
        combos.admin3pcode.nunique().sum()


def test_reimport_changes_nothing(session, boundaries):
    first = import_4w(session, shared_path("4w", "prot.csv"), period="2023-01")
    count = session.scalar(select(func.count()).select_from(Activity))
    second = import_4w(session, shared_path("4w", "prot.csv"), period="2023-01")
    assert first.created["activities"] == count == 4850
    assert second.created["activities"] == 0 and second.unchanged == 4850
    assert sum(second.created.values()) == 0 and sum(second.updated.values()) == 0
    assert session.scalar(select(func.count()).select_from(Activity)) == count
    jan = session.scalar(select(func.count()).where(
        Activity.period_start == dt.date(2023, 1, 1)))
    assert jan == (_frame("prot.csv").month == "01 - January").sum()


@pytest.mark.parametrize("name,key,people", [
    ("fsl_tracker_20230519.csv", "activity", "beneficiaries"),
    ("cbr_com_20230519.csv", None, "beneficiaries"),
])
def test_tracker_aggregates_match_pandas(session, boundaries, name, key, people):
    report = import_4w(session, shared_path("4w", name), accept_partial=True)
    df = _frame(name)
    assert report.rows_read == len(df)
    assert report.rows_read == report.rows_imported + report.rows_rejected
    rejected = set(report.rejected_rows)
    stored = set(session.scalars(select(Activity.source_row)
                                 .where(Activity.source_file == name)))
    assert stored | rejected == set(df.row) and not stored & rejected  # none dropped silently
    ok = df[~df.row.isin(rejected) & ~df.admin3pcode.isin(["NA", ""])].copy()
    ok["n"] = pd.to_numeric(ok[people], errors="coerce").fillna(0).astype(int)
    group = ["admin3pcode", key] if key else ["admin3pcode"]
    expected = {}
    for k, g in ok.groupby(group):
        expected[(k[0], k[1] if key else None)] = (len(g), int(g.n.sum()))
    rows_with_pcode = set(ok.row)
    sub = session.execute(
        select(Activity.pcode, Activity.activity_text if key else Activity.unit,
               func.count(), func.coalesce(func.sum(Activity.reached_total), 0))
        .where(Activity.source_file == name, Activity.source_row.in_(rows_with_pcode))
        .group_by(Activity.pcode, Activity.activity_text if key else Activity.unit)).all()
    got = {(p, k if key else None): (n, int(s)) for p, k, n, s in sub}
    assert got == expected
    # the rows without p-codes were placed by name, or are in the report
    named = df[df.admin3pcode.isin(["NA", ""])]
    for row in named.row:
        assert row in stored or row in rejected


def test_ngos_merged_across_food_and_cash_files(session, boundaries):
    import_4w(session, shared_path("4w", "fsl_tracker_20230519.csv"), accept_partial=True)
    import_4w(session, shared_path("4w", "cbr_com_20230519.csv"), accept_partial=True)
    fsl, cbr = _frame("fsl_tracker_20230519.csv"), _frame("cbr_com_20230519.csv")
    shared_names = set(fsl.implementing_partner) & set(cbr.implementing_partner)
    assert len(shared_names) >= 15
    for name in shared_names:
        orgs = session.scalars(select(Activity.organization_id).where(
            Activity.implementing_org == name).distinct()).all()
        assert len(orgs) == 1, name
    # same acronym in parentheses, different NGOs: kept apart
    bo = session.scalars(select(Organization.name_en).where(Organization.acronym == "BO")).all()
    assert sorted(bo) == ["Bahar Organization", "Bonyan Organization"]
    # cbr's abbreviation column "HIHFAD" joins "Hand in Hand For Syria" to the fsl NGO, as a
    # reviewable alias
    hih = session.scalars(select(Activity.organization_id).where(
        Activity.implementing_org.like("Hand in Hand%")).distinct()).all()
    assert len(hih) == 1
    alias = session.scalar(select(OrganizationAlias).where(
        OrganizationAlias.alias == "Hand in Hand For Syria"))
    assert alias is not None and alias.reviewed is False
    # no organisation exists twice under one normalised name
    names = session.scalars(select(Organization.name_en)).all()
    assert len(names) == len({n.lower() for n in names})


def test_dirty_dates_are_flagged_not_guessed(session, boundaries):
    report = import_4w(session, shared_path("4w", "cbr_com_20230519.csv"), accept_partial=True)
    df = _frame("cbr_com_20230519.csv")
    dirty = df[df.start_date.str.startswith("0016")]
    assert len(dirty)
    flagged = {i.row for i in report.doubtful if "0016" in i.value}
    assert set(dirty.row) <= flagged
    starts = session.scalars(select(Activity.period_start).where(
        Activity.source_row.in_([int(r) for r in dirty.row]))).all()
    assert all(s is None or s.year >= 2000 for s in starts)


def test_rejected_rows_block_the_import_unless_accepted(session, boundaries, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("implementing_partner,admin3pcode,activity,beneficiaries\n"
                    "Maram Foundation (MF),SY020405,Food Baskets,40\n"
                    "MF,SY999999,Food Baskets,10\n"
                    "MF,SY020405,Dancing lessons,abc\n", encoding="utf-8")
    with pytest.raises(BadInput) as err:
        import_4w(session, path)
    report = err.value.report
    assert report.rows_rejected == 2
    assert {(i.row, i.column) for i in report.rejected} >= {(3, "admin3pcode"),
                                                           (4, "beneficiaries")}
    assert "row,column,value,problem,suggestion" in report.to_csv()
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    assert session.scalar(select(func.count()).select_from(Organization)) == 0
    report = import_4w(session, path, accept_partial=True)
    assert report.rows_imported == 1
    # "Maram Foundation (MF)" and "MF" are one organisation
    assert session.scalar(select(func.count()).select_from(Organization)) == 1


def test_dry_run_writes_nothing(session, boundaries):
    report = import_4w(session, shared_path("4w", "fsl_tracker_20230519.csv"), dry_run=True,
                       accept_partial=True)
    assert report.created["activities"] == report.rows_imported > 3000
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_ambiguous_place_names_are_reported_not_guessed(session, boundaries, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("implementing_partner,governorate,sub_district,activity,beneficiaries\n"
                    "MF,,Suran,Food Baskets,3\n"
                    "MF,Aleppo,Suran,Food Baskets,4\n"
                    "MF,Idleb,Nowhere-on-earth,Food Baskets,5\n", encoding="utf-8")
    report = import_4w(session, path, accept_partial=True)
    first = [i for i in report.rejected if i.row == 2]
    assert first and "ambiguous place name" in first[0].problem
    assert "SY020405" in first[0].problem  # the candidates are listed
    act = session.scalar(select(Activity).where(Activity.source_row == 3))
    assert act.pcode == "SY020405"  # Suran inside Aleppo is one place
    assert [i.problem for i in report.rejected if i.row == 4] == ["unknown place name"]
