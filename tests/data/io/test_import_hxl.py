"""HXL-tagged input, the WoS template header and mapping files."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from data.io.fourw import import_4w
from data.models import Activity, Organization
from tests.conftest import shared_path


def test_hxl_file_columns_are_found_by_hashtag(session, boundaries):
    path = shared_path("hxl", "afg_3w_operational_presence_2024Q1_hxl.csv")
    report = import_4w(session, path, dry_run=True)
    assert report.columns["org_acronym"] == ["ORG_ACRONYM"]
    assert report.columns["org"] == ["ORG_NAME"]
    assert report.columns["adm1_code"] == ["PROV_CODE"]
    assert report.columns["adm2_code"] == ["DIST_CODE"]
    # Afghan p-codes are not Syrian areas: every row is reported, none silently dropped
    assert report.rows_read > 1000 and report.rows_imported == 0
    assert report.rows_rejected == report.rows_read
    assert {i.column for i in report.rejected} >= {"PROV_CODE", "PROVINCE"}
    assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_wos_template_hashtag_header(session, boundaries, tmp_path):
    header = shared_path("reference", "wos_4w_template_2022_hxl_header.csv").read_text(
        encoding="utf-8-sig")
    path = tmp_path / "wos.csv"
    path.write_text(header.split("\n")[0] + "\n"
                    + ",".join(["Non_UN", "Maram Foundation (MF)", "Maram Foundation (MF)",
                                "Protection", "Yes", "Psychosocial support (PSS) - GP4", "",
                                "Individual", "", "", "25", "5", "10", "4", "6"]
                               + [""] * 7 + ["Idleb", "Harim", "Dana"] + [""] * 4
                               + ["Feb"]) + "\n", encoding="utf-8")
    report = import_4w(session, path, period="2023-02")
    assert report.rows_imported == 1, report.to_dict()
    act = session.scalar(select(Activity))
    assert (act.pcode, act.service_type_code, act.reached_total) == ("SY070301", "prot_pss", 25)
    assert (act.reached_m_adults, act.reached_f_adults) == (5, 10)
    assert str(act.period_start) == "2023-02-01"
    assert set(act.target_groups) == {"children", "women", "men"}


def test_mapping_file_covers_other_headers(session, boundaries, tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("Partner,Nahya code,What,People\n"
                    "Maram Foundation (MF),SY020405,Food Baskets,12\n", encoding="utf-8")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {"Partner": "org_impl",
                                               "Nahya code": "adm3_code", "What": "activity",
                                               "People": "reached_total"}}))
    report = import_4w(session, path, mapping=mapping)
    assert report.rows_imported == 1
    assert session.scalar(select(Activity.service_type_code)) == "food_assistance"
    csv_map = tmp_path / "map.csv"
    csv_map.write_text("column,field\nPartner,org_impl\nNahya code,adm3_code\n"
                       "What,activity\nPeople,reached_total\n")
    again = import_4w(session, path, mapping=csv_map)
    assert again.unchanged == 1


def test_hsds_cli_round_trip(runner, session, make, boundaries, tmp_path):
    make.service(coverage=["SY070301"])
    session.flush()
    out = tmp_path / "hsds"
    res = runner.invoke(args=["export", "hsds", str(out)])
    assert res.exit_code == 0 and "services: 1" in res.output
    res = runner.invoke(args=["import", "hsds", str(out)])
    assert res.exit_code == 0 and "services: 0" in res.output  # already there: updated
    bad = shared_path("hsds", "oruk-validator-mocks", "V3.0-UK-Fail", "service_full.json")
    res = runner.invoke(args=["import", "hsds", str(bad)])
    assert res.exit_code == 2 and "service.email" in res.output


def test_mapping_defaults_fill_empty_cells(session, boundaries, tmp_path):
    """The cash tracker's rows without a cluster are rejected, unless a mapping gives one."""
    path = shared_path("4w", "cbr_com_20230519.csv")
    plain = import_4w(session, path, dry_run=True, accept_partial=True)
    assert plain.rows_rejected == 2
    mapping = tmp_path / "cash.json"
    mapping.write_text(json.dumps({"defaults": {"sector": "Multipurpose Cash"}}))
    report = import_4w(session, path, mapping=mapping, dry_run=True)
    assert report.rows_rejected == 0 and report.rows_imported == report.rows_read
