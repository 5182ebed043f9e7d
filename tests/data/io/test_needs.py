"""Loading OCHA HNO sheets: sector mapping, inter-sector, missing areas, bad cells, the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data.errors import BadInput
from data.io.needs import load_needs
from data.models import Need

HEADER = "admin1Pcode,admin3Pcode,Health_PIN,Protection_PIN,Protection_GBV_PIN," \
         "Protection_GBV_Severity,NFI_PIN,Shelter_PIN,NFI_Severity,Shelter_Severity\n"


def sheet(tmp_path, *rows: str, name: str = "hno2023_test.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def needs(session, pcode):
    return {n.sector_code: (n.people_in_need, n.severity)
            for n in session.scalars(select(Need).where(Need.pcode == pcode))}


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Need))


def test_sector_columns_map_to_our_sectors(session, tmp_path):
    path = sheet(tmp_path, "SY07,SY07,100,50,20,4,10,30,2,3", "SY02,SY02,1,2,,No data,,,,")
    report = load_needs(session, path)
    assert report.kind == "sector" and report.period == "2023"
    got = needs(session, "SY07")
    assert got["health"] == (100, None)
    assert got["protection"] == (50, None)
    assert got["gbv"] == (20, 4)
    assert got["shelter_nfi"] == (30, 3)  # NFI and Shelter: the larger PiN and severity
    assert "gbv" not in needs(session, "SY02")  # blank and "No data": no row
    assert report.empty_cells >= 6


def test_reloading_replaces_rows(session, tmp_path):
    load_needs(session, sheet(tmp_path, "SY07,SY07,100,50,20,4,10,30,2,3"))
    before = count(session)
    load_needs(session, sheet(tmp_path, "SY07,SY07,7,50,20,4,10,30,2,3"))
    assert count(session) == before
    assert needs(session, "SY07")["health"] == (7, None)
    load_needs(session, sheet(tmp_path, "SY07,SY07,7,50,20,4,10,30,2,3"), period="2022")
    assert count(session) == before * 2


@pytest.mark.parametrize(("row", "fragment", "column"), [
    ("SY07,SY99,1,1,1,1,1,1,1,1", "row 3, column admin3Pcode: unknown p-code 'SY99'",
     "admin3Pcode"),
    ("SY07,SY02,1,lots,1,1,1,1,1,1", "row 3, column Protection_PIN: 'lots' is not a number",
     "Protection_PIN"),
    ("SY07,SY02,1,1,1,-3,1,1,1,1", "row 3, column Protection_GBV_Severity",
     "Protection_GBV_Severity"),
    ("SY07,SY07,1,1,1,1,1,1,1,1", "p-code SY07 appears twice", "admin3Pcode"),
])
def test_bad_cells_name_row_and_column_and_write_nothing(session, tmp_path, row, fragment,
                                                         column):
    before = count(session)
    with pytest.raises(BadInput) as err:
        load_needs(session, sheet(tmp_path, "SY07,SY07,1,1,1,1,1,1,1,1", row))
    assert fragment in err.value.message
    assert err.value.details["column"] == column
    assert count(session) == before


def test_period_comes_from_the_file_name_or_the_option(session, tmp_path):
    with pytest.raises(BadInput, match="give --period"):
        load_needs(session, sheet(tmp_path, "SY07,SY07,1,1,1,1,1,1,1,1", name="hno.csv"))
    with pytest.raises(BadInput, match="YYYY"):
        load_needs(session, sheet(tmp_path, "SY07,SY07,1,1,1,1,1,1,1,1"), period="23")


def test_cli_loads_and_maps_errors_to_exit_code_2(runner, session, tmp_path):
    ok = runner.invoke(args=["load", "needs", str(sheet(tmp_path, "SY07,SY07,1,2,3,4,5,6,1,2")),
                             "--period", "2024"])
    assert ok.exit_code == 0, ok.output
    assert "period 2024" in ok.output and "gbv: 1" in ok.output
    bad = runner.invoke(args=["load", "needs", str(sheet(tmp_path, "SY07,SY77,1,1,1,1,1,1,1,1"))])
    assert bad.exit_code == 2
    assert "unknown p-code 'SY77'" in bad.output


@pytest.mark.shared_data
def test_real_hno_2023_sector_sheet(session, boundaries, shared):
    report = load_needs(session, shared("needs", "hno2023_sector_pin_admin3.csv"))
    assert report.per_sector["protection"] == 270  # two sub-districts have no figures
    shin = needs(session, "SY040111")
    assert shin["protection"] == (6643, 1)
    assert shin["gbv"] == (3542, 1)
    assert shin["child_protection"] == (pytest.approx(2582.3), 2)
    assert shin["mine_action"] == (1045, 1)
    assert shin["shelter_nfi"] == (2888, 2)
    assert shin["early_recovery"] == (20927, 3)
    assert report.missing_pcodes == []


@pytest.mark.shared_data
def test_real_inter_sector_sheet_reports_the_missing_quneitra_sub_districts(session,
                                                                            boundaries,
                                                                            shared):
    report = load_needs(session, shared("needs",
                                        "hno2023_intersector_severity_pin_admin3.csv"))
    assert report.kind == "inter-sector" and report.rows == 270
    assert report.missing_pcodes == ["SY140003", "SY140201"]
    assert "SY140003, SY140201" in report.summary()
    assert needs(session, "SY020001")[None] == (179462, 5)


@pytest.mark.parametrize(("content", "message"), [
    ("admin3Pcode,Protection_PIN\nSY07,1\n".encode("utf-16"), "not UTF-8 text"),
    ("admin3Pcode,Protection_PIN\nSY07,100\nالمنطقة,x\n".encode("cp1256"),
     "not UTF-8 text"),
    (b"", "no p-code column"),
])
def test_cli_unreadable_sheets_exit_2_with_a_message(runner, session, tmp_path, content,
                                                     message):
    """A sheet in another encoding (or binary) is a clear error with exit code 2, not a
    traceback, and nothing is written."""
    path = tmp_path / "hno2023_bad.csv"
    path.write_bytes(content)
    before = count(session)
    res = runner.invoke(args=["load", "needs", str(path)])
    assert res.exit_code == 2 and message in res.output, res.output
    assert count(session) == before
