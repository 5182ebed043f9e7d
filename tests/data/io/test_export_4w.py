"""4W export (WoS shape, HXL) round trips through the importer; GeoJSON export; CLI."""

from __future__ import annotations

import io
import json

import hxl
import pytest
from sqlalchemy import func, select

from data.io.fourw import import_4w
from data.io.geojson import export_geojson
from data.io.hxl import export_4w
from data.models import Activity
from tests.conftest import shared_path
from tests.kits.exports import verify_all

FIELDS = ("organization_id", "service_type_code", "activity_code", "activity_text", "pcode",
          "community_pcode", "period_start", "period_end", "unit", "reached_total",
          "quantity", "target_groups", "fingerprint")


def _snapshot(session):
    return sorted(tuple(str(getattr(a, f)) for f in FIELDS)
                  for a in session.scalars(select(Activity)))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_4w_export_imports_back_to_the_same_data(session, boundaries, tmp_path, suffix):
    import_4w(session, shared_path("4w", "prot.csv"), period="2023-02")
    import_4w(session, shared_path("4w", "cbr_com_20230519.csv"), accept_partial=True)
    verify_all(session)
    before = _snapshot(session)
    path = tmp_path / f"4w{suffix}"
    assert export_4w(session, path, hxl=True) == len(before)
    again = import_4w(session, path)
    assert again.rows_read == len(before)
    assert again.rejected == []
    assert again.created["activities"] == 0 and again.unchanged == len(before)
    assert _snapshot(session) == before
    # and the same rows land identically in an empty activity table
    session.execute(Activity.__table__.delete())
    import_4w(session, path)
    assert _snapshot(session) == before


def test_hxl_export_is_readable_by_libhxl(session, boundaries, tmp_path):
    import_4w(session, shared_path("4w", "fsl_tracker_20230519.csv"), accept_partial=True)
    verify_all(session)
    path = tmp_path / "4w.csv"
    export_4w(session, path, hxl=True)
    with path.open("rb") as handle:
        data = hxl.data(handle)
        tags = {c.display_tag for c in data.columns}
        count = sum(1 for _ in data)
    assert {"#org+impl", "#adm3+code", "#reached+ind+total", "#reached+f+children"} <= tags
    assert count == session.scalar(select(func.count()).select_from(Activity))


def test_geojson_has_sites_and_coverage(session, make, boundaries):
    make.service(coverage=["SY070301", "SY02"], sites=[(36.77, 36.21, "SY070301")])
    out = io.StringIO()
    n = export_geojson(session, out)
    doc = json.loads(out.getvalue())
    kinds = sorted(f["properties"]["kind"] for f in doc["features"])
    assert n == 3 and kinds == ["coverage", "coverage", "site"]
    area = next(f for f in doc["features"] if f["id"] == "area-SY070301")
    assert area["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_cli_import_and_exports(runner, session, boundaries, tmp_path):
    res = runner.invoke(args=["import", "4w", str(shared_path("4w", "prot.csv")),
                              "--dry-run", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.strip().splitlines()[-1])["rows_read"] == 4850
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    table = tmp_path / "x.csv"
    res = runner.invoke(args=["export", "4w", str(table), "--hxl"])
    assert res.exit_code == 0 and table.read_text().splitlines()[1].startswith("#org+impl")
    out = tmp_path / "x.geojson"
    res = runner.invoke(args=["export", "geojson", str(out)])
    assert res.exit_code == 0 and json.loads(out.read_text())["type"] == "FeatureCollection"


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    ("implementing_partner,governorate\nمرام,إدلب\n".encode("cp1256"), "not UTF-8"),
    (b"colour,size\nred,2\n", "no recognisable 4W columns"),
])
def test_bad_csv_files_exit_2(runner, session, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    res = runner.invoke(args=["import", "4w", str(path)])
    assert res.exit_code == 2 and message in res.output
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_broken_xlsx_exits_2(runner, session, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    res = runner.invoke(args=["import", "4w", str(path)])
    assert res.exit_code == 2 and "not a readable XLSX" in res.output


def test_rejected_rows_exit_2_with_report_csv(runner, session, boundaries, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("implementing_partner,admin3pcode,activity,beneficiaries\n"
                    "Maram Foundation (MF),SY999999,Food Baskets,4\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    res = runner.invoke(args=["import", "4w", str(path), "--report-csv", str(report)])
    assert res.exit_code == 2
    assert "2,admin3pcode,SY999999" in report.read_text()
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


def test_wos_template_is_recognised(session, boundaries):
    report = import_4w(session, shared_path("4w", "wos_4w_template_2022.xlsx"),
                       period="2022-01", dry_run=True, accept_partial=True)
    assert report.columns["org_impl"] == ["*Final Implementing Partner"]
    assert report.columns["adm3_code"] == ["Admin3 Pcode"]
    assert report.rows_read == report.rows_imported + report.rows_rejected
    # the template's example row is read; rows holding only "#REF!" leftovers are blank
    assert report.rows_imported == 1 and report.rows_read < 10


def test_cli_accept_partial_imports_good_rows_and_reports_the_rest(runner, session, boundaries,
                                                                  tmp_path):
    """`--accept-partial`: exit 0, the good rows go in, the report lists the rejected one;
    running the same command again changes nothing."""
    path = tmp_path / "rows.csv"
    path.write_text("implementing_partner,admin3pcode,activity,beneficiaries\n"
                    "Maram Foundation (MF),SY020405,Food Baskets,40\n"
                    "MF,SY999999,Food Baskets,4\n", encoding="utf-8")
    args = ["import", "4w", str(path), "--accept-partial", "--format", "json"]
    res = runner.invoke(args=args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert (report["rows_read"], report["rows_imported"], report["rows_rejected"]) == (2, 1, 1)
    assert "SY999999" in res.output
    assert session.scalar(select(func.count()).select_from(Activity)) == 1
    again = json.loads(runner.invoke(args=args).output.strip().splitlines()[-1])
    assert again["created"]["activities"] == 0 and again["unchanged"] == 1
    assert session.scalar(select(func.count()).select_from(Activity)) == 1


def test_progress_bar_on_long_files(session, boundaries, capsys):
    """`progress=True` (the CLI turns it on for a terminal) draws a bar counting the rows."""
    report = import_4w(session, shared_path("4w", "prot.csv"), dry_run=True, progress=True,
                       accept_partial=True)
    err = capsys.readouterr().err
    assert report.rows_read == 4850
    assert "prot.csv" in err and "4850 rows" in err.replace("  ", " ")
