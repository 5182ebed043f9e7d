"""The faults of 4W files as clusters send them (issue 19): people counted by the file's own
unit rules, months kept from the row, corrected files replacing their earlier import,
spreadsheet-safe exports, workbooks as clusters keep them."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import func, select

from data.errors import BadInput
from data.io.batches import list_batches, rollback_batch
from data.io.fourw import import_4w
from data.io.hxl import export_4w
from data.models import Activity, ImportBatch, Organization, Service, ServiceSite
from tests.conftest import shared_path
from tests.kits.exports import verify_all

ORG = "Maram Foundation (MF)"


def _csv(tmp_path, name: str, header: str, *rows: str):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _acts(session):
    return session.scalars(select(Activity).order_by(Activity.source_row)).all()


# ------------------------------------------------------------------ people
@pytest.mark.parametrize(("unit", "value", "people", "quantity"), [
    ("Children", "120", 120, 120.0),
    ("# girls & boys", "40", 40, 40.0),
    ("أطفال", "7", 7, 7.0),
    ("Individuals", "9", 9, 9.0),
    ("households (6 persons)", "10", 60, 10.0),
    ("KG", "500", None, 500.0),
    ("# sessions", "3", None, 3.0),
    ("HH", "4", None, 4.0),
])
def test_people_like_units_count_people_and_others_are_quantities(
        session, boundaries, tmp_path, unit, value, people, quantity):
    path = _csv(tmp_path, "units.csv", "implementing_partner,admin3pcode,activity,unit,value,"
                "month", f"{ORG},SY020405,Food Baskets,{unit},{value},2023-02")
    report = import_4w(session, path)
    (act,) = _acts(session)
    assert (act.reached_total, act.quantity) == (people, quantity)
    assert (act.unit == "people") == (people is not None)
    assert len(report.decision_lines()) == 1  # the decision, stated once


def test_a_breakdown_makes_people_and_each_decision_is_stated_once_with_its_rows(
        session, boundaries, tmp_path):
    path = _csv(tmp_path, "bd.csv", "implementing_partner,admin3pcode,activity,unit,value,"
                "no_of_girls_18,no_of_boys_18,month",
                *[f"{ORG},SY020405,Food Baskets,# interventions,{n},{n},1,2023-02"
                  for n in (2, 3, 4)],
                f"{ORG},SY020405,Food Baskets,# interventions,5,,,2023-02")
    report = import_4w(session, path)
    assert [a.reached_total for a in _acts(session)] == [3, 4, 5, None]
    lines = report.decision_lines()
    assert lines == ["3 rows: unit '# interventions' with a sex/age breakdown counts people.",
                     "1 row: unit '# interventions' is a quantity of its unit, not people."]
    assert all(line in report.table() for line in lines)


def test_a_people_column_that_is_not_recognised_is_a_finding_not_a_silent_zero(
        session, boundaries, tmp_path):
    path = _csv(tmp_path, "p.csv", "implementing_partner,admin3pcode,activity,persons served,"
                "month", f"{ORG},SY020405,Food Baskets,45,2023-02")
    report = import_4w(session, path)
    assert [(i.row, i.problem) for i in report.doubtful] == [
        (2, "no people-reached figure in the row")]
    assert "reached_total" not in report.columns


# ------------------------------------------------------------------ periods
def test_months_come_from_the_row_under_any_header_and_period_fills_only_the_rest(
        session, boundaries, tmp_path):
    path = _csv(tmp_path, "m.csv", "implementing_partner,admin3pcode,activity,beneficiaries,"
                "Reporting period (Arabic: فترة)",
                f"{ORG},SY020405,Food Baskets,5,02) Feb",
                f"{ORG},SY020405,Food Baskets,6,آذار",
                f"{ORG},SY020405,Food Baskets,7,",
                f"{ORG},SY020405,Food Baskets,8,Smarch")
    report = import_4w(session, path, period="2023-01")
    starts = [a.period_start for a in _acts(session)]
    assert starts == [dt.date(2023, 2, 1), dt.date(2023, 3, 1), dt.date(2023, 1, 1), None]
    assert report.period_filled == 1
    assert "1 row without a month or date took the period given (--period)." in report.table()
    assert [(i.row, i.problem) for i in report.doubtful] == [
        (5, "'Smarch' is not a month name")]


def test_a_month_column_named_in_words_is_found_and_rows_without_any_are_findings(
        session, boundaries, tmp_path):
    path = _csv(tmp_path, "m2.csv", "implementing_partner,admin3pcode,activity,beneficiaries,"
                "Month of reporting", f"{ORG},SY020405,Food Baskets,5,February 2023",
                f"{ORG},SY020405,Food Baskets,6,")
    report = import_4w(session, path)
    assert report.columns["month"] == ["Month of reporting"]
    assert [a.period_start for a in _acts(session)] == [dt.date(2023, 2, 1), None]
    assert [(i.row, i.problem) for i in report.doubtful] == [(3, "no month or date in the row")]


# ------------------------------------------------------------------ batches
def _prot_head(tmp_path, n: int, *, change: dict | None = None, drop: int | None = None):
    """The first ``n`` rows of prot.csv as ``prot_part.csv``; ``change``: {row index: people}."""
    lines = shared_path("4w", "prot.csv").read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:n + 1]
    cols = header.split(",")
    total = cols.index("total_reached")
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for i, row in enumerate(csv.reader(rows)):
        if i == drop:
            continue
        if change and i in change:
            row[total] = str(change[i])
        writer.writerow(row)
    path = tmp_path / "prot_part.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _people(session) -> int:
    return session.scalar(select(func.coalesce(func.sum(Activity.reached_total), 0)))


def test_a_corrected_file_replaces_its_earlier_import_and_never_doubles(
        session, boundaries, tmp_path):
    first = import_4w(session, _prot_head(tmp_path, 300), period="2023-01")
    count, people = session.scalar(select(func.count()).select_from(Activity)), _people(session)
    assert count == 300 and first.batch["id"]
    same = import_4w(session, _prot_head(tmp_path, 300), period="2023-01")
    assert same.batch == {"id": first.batch["id"], "unchanged": True}
    # a corrected file (two rows' people changed, one row gone): refused without --replace
    corrected = _prot_head(tmp_path, 300, change={0: 900, 5: 1}, drop=7)
    with pytest.raises(BadInput, match="--replace"):
        import_4w(session, corrected, period="2023-01")
    assert session.scalar(select(func.count()).select_from(Activity)) == count
    dry = import_4w(session, corrected, period="2023-01", replace=True, dry_run=True)
    assert dry.batch["diff"]["changed"] == 2 and dry.batch["diff"]["removed"] >= 1
    assert session.scalar(select(func.count()).select_from(Activity)) == count
    done = import_4w(session, corrected, period="2023-01", replace=True)
    assert session.scalar(select(func.count()).select_from(Activity)) == 299
    diff = done.batch["diff"]
    assert diff["after"] == _people(session) and diff["before"] == people
    assert {b.status for b in list_batches(session)} == {"active", "replaced"}
    # a changed mapping (another period for the rows without one) also leaves one copy
    import_4w(session, corrected, period="2023-02", replace=True)
    assert session.scalar(select(func.count()).select_from(Activity)) == 299
    assert session.scalar(select(func.count()).where(Activity.batch_id.is_(None))) == 0


def test_a_batch_rolls_back_and_other_sources_merge_as_before(session, boundaries, tmp_path):
    path = _prot_head(tmp_path, 50)
    report = import_4w(session, path, period="2023-01")
    other = tmp_path / "copy.csv"
    other.write_bytes(path.read_bytes())
    again = import_4w(session, other, period="2023-01")
    assert again.created["activities"] == 0 and again.unchanged == 50  # merged, no copy
    done = rollback_batch(session, report.batch["id"])
    assert done.batch.status == "rolled_back" and done.activities == 50
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    with pytest.raises(BadInput):
        rollback_batch(session, report.batch["id"])
    assert session.get(ImportBatch, report.batch["id"]).checksum


def _services(session, org_id: int) -> dict[str, int]:
    return dict(session.execute(select(Service.service_type_code, Service.id)
                                .where(Service.organization_id == org_id)).all())


def test_a_rollback_takes_back_the_services_and_coverage_it_created_and_nothing_else(
        session, boundaries, tmp_path):
    """Rolled back, a batch leaves no service of its own behind (they stayed listed before);
    a service another batch's rows support, or one somebody gave a site, stays."""
    head = "implementing_partner,admin3pcode,activity_code,unit,value,month"
    first = import_4w(session, _csv(tmp_path, "a.csv", head,
                                    f"{ORG},SY020405,GP4,Individuals,9,2023-02",
                                    f"{ORG},SY020405,GP6,Individuals,4,2023-02",
                                    f"{ORG},SY020405,CP2,Individuals,3,2023-02"))
    org = session.scalar(select(Organization.id).where(Organization.name_en.contains("Maram")))
    made = _services(session, org)
    assert set(made) == {"prot_pss", "prot_legal", "cp_community"}
    # another file's rows support legal aid; somebody adds a site to the child spaces
    import_4w(session, _csv(tmp_path, "b.csv", head, f"{ORG},SY020405,GP6,Individuals,7,"
                                                     "2023-03"))
    session.add(ServiceSite(service_id=made["cp_community"], name_en="Centre", name_ar="مركز",
                            geom=WKTElement("POINT(37.16 36.2)", srid=4326)))
    session.flush()
    done = rollback_batch(session, first.batch["id"])
    assert (done.activities, done.services) == (3, 1)
    assert done.coverage == 2  # legal aid's stays: b.csv's rows support it
    left = _services(session, org)
    assert set(left) == {"prot_legal", "cp_community"}
    assert session.get(ImportBatch, first.batch["id"]).services == []
    covered = session.execute(select(func.count()).select_from(Service).join(Service.coverage)
                              .where(Service.id == made["prot_pss"])).scalar()
    assert covered == 0


def test_replacing_a_batch_takes_back_the_services_only_the_earlier_file_had(
        session, boundaries, tmp_path):
    head = "implementing_partner,admin3pcode,activity_code,unit,value,month"
    import_4w(session, _csv(tmp_path, "c.csv", head, f"{ORG},SY020405,GP4,Individuals,9,2023-02",
                            f"{ORG},SY020405,GP6,Individuals,4,2023-02"))
    org = session.scalar(select(Organization.id).where(Organization.name_en.contains("Maram")))
    assert set(_services(session, org)) == {"prot_pss", "prot_legal"}
    again = import_4w(session, _csv(tmp_path, "c.csv", head,
                                    f"{ORG},SY020405,GP6,Individuals,4,2023-02"), replace=True)
    assert set(_services(session, org)) == {"prot_legal"}
    batch = session.get(ImportBatch, again.batch["id"])
    assert batch.services == [_services(session, org)["prot_legal"]]
    assert rollback_batch(session, batch.id).services == 1
    assert _services(session, org) == {}


def test_a_rollback_takes_back_a_pending_organisation_it_created_not_a_verified_one(
        session, boundaries, tmp_path):
    head = "implementing_partner,admin3pcode,activity_code,unit,value,month"
    done = import_4w(session, _csv(tmp_path, "e.csv", head,
                                   "Nour Relief (NR),SY020405,GP4,Individuals,3,2023-02",
                                   "Sanad Aid (SA),SY020405,GP4,Individuals,5,2023-02"))
    orgs = dict(session.execute(select(Organization.acronym, Organization.id)
                                .where(Organization.acronym.in_(["NR", "SA"]))).all())
    assert sorted(session.get(ImportBatch, done.batch["id"]).organizations) == \
        sorted(orgs.values())
    session.get(Organization, orgs["SA"]).verification = "verified"  # an admin verified it
    session.flush()
    back = rollback_batch(session, done.batch["id"])
    assert (back.services, back.organizations) == (2, 1)
    left = set(session.scalars(select(Organization.acronym)
                               .where(Organization.acronym.in_(["NR", "SA"]))))
    assert left == {"SA"}


def test_the_cli_rollback_says_what_it_deleted(runner, session, boundaries, tmp_path):
    path = _csv(tmp_path, "d.csv", "implementing_partner,admin3pcode,activity_code,unit,value,"
                "month", f"{ORG},SY020405,GP4,Individuals,9,2023-02",
                f"{ORG},SY020405,GP4,Individuals,2,2023-03")
    batch = import_4w(session, path).batch["id"]
    res = runner.invoke(args=["import", "rollback", str(batch)])
    assert res.exit_code == 0, res.output
    assert ("2 activities deleted; 1 coverage area taken back; 1 service deleted; "
            "1 organisation deleted.") in res.output
    res = runner.invoke(args=["import", "rollback", str(batch)])
    assert res.exit_code == 2 and "only an active batch" in res.output


def test_the_cli_dry_run_exits_as_the_real_run_would(runner, session, boundaries, tmp_path):
    path = _prot_head(tmp_path, 20)
    res = runner.invoke(args=["import", "4w", str(path), "--period", "2023-01"])
    assert res.exit_code == 0, res.output
    changed = _prot_head(tmp_path, 20, change={3: 77})
    for args in (["--dry-run"], []):
        res = runner.invoke(args=["import", "4w", str(changed), "--period", "2023-01", *args])
        assert res.exit_code == 2, res.output
        assert "--replace" in res.output
    res = runner.invoke(args=["import", "4w", str(changed), "--period", "2023-01",
                              "--dry-run", "--replace"])
    assert res.exit_code == 0 and "0 rows added, 0 removed, 1 changed" in res.output
    bad = _csv(tmp_path, "bad.csv", "implementing_partner,admin3pcode,activity,beneficiaries",
               f"{ORG},SY999999,Food Baskets,5")
    for args in (["--dry-run"], []):
        res = runner.invoke(args=["import", "4w", str(bad), *args])
        assert res.exit_code == 2, res.output
    listing = runner.invoke(args=["import", "batches"])
    assert listing.exit_code == 0 and "prot_part.csv" in listing.output


# ------------------------------------------------------------------ exports
FORMULAS = ("=HYPERLINK(\"http://x.example\",\"x\") - GBV601",
            "-2+3+cmd|' /C calc'!A0 - GBV601", "@SUM(1+1) - GBV601", "+1+1 - GBV601",
            "=cmd|' /C notepad'!A0 - GBV601")


def test_exports_neutralise_formulas_and_read_back_as_written(session, boundaries, tmp_path):
    rows = [f'{ORG},SY020405,"{t.replace(chr(34), chr(34) * 2)}",{i + 1},2023-02'
            for i, t in enumerate(FORMULAS)]
    path = _csv(tmp_path, "f.csv", "implementing_partner,admin3pcode,activity,beneficiaries,"
                "month", *rows)
    import_4w(session, path)
    verify_all(session)
    assert sorted(a.activity_text for a in _acts(session)) == sorted(FORMULAS)
    out = tmp_path / "out.csv"
    export_4w(session, out)
    import csv

    with out.open(encoding="utf-8") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert sum(1 for c in cells if c.startswith("'")) == len(FORMULAS)
    book = tmp_path / "out.xlsx"
    export_4w(session, book)
    ws = openpyxl.load_workbook(book).active
    kinds = {c.data_type for row in ws.iter_rows() for c in row if c.value is not None}
    assert "f" not in kinds
    texts = [c.value for row in ws.iter_rows() for c in row if c.value in FORMULAS]
    assert sorted(texts) == sorted(FORMULAS)
    for exported in (out, book):
        session.execute(Activity.__table__.delete())
        report = import_4w(session, exported)
        assert report.rejected == []
        assert sorted(a.activity_text for a in _acts(session)) == sorted(FORMULAS)


# ------------------------------------------------------------------ workbooks
def _workbook(path, sheets: dict[str, list[list]], merge: dict[str, list[str]] | None = None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merge or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def test_a_workbook_s_bilingual_two_row_header_is_found_below_its_title(
        session, boundaries, tmp_path):
    data = [["4W - February 2023 / المصفوفة", None, None, None, None],
            [None, None, None, None, None],
            ["Implementing partner", "Admin3 Pcode", "Activity", "Beneficiaries", "Month"],
            ["الشريك المنفذ", "رمز الناحية", "النشاط", "المستفيدون", "الشهر"],
            [ORG, "SY020405", "Food Baskets", 12, "شباط 2023"]]
    path = _workbook(tmp_path / "wb.xlsx", {"Notes": [["Read me"], ["nothing here"]],
                                            "Data": data})
    report = import_4w(session, path)
    assert report.rows_read == 1 and report.rows_imported == 1
    (act,) = _acts(session)
    assert (act.reached_total, act.period_start, act.source_row) == (12, dt.date(2023, 2, 1), 5)


def test_a_group_row_with_merged_cells_heads_its_sub_columns(session, boundaries, tmp_path):
    data = [["Partner", "Where", None, "Activity", "People reached", None],
            [None, "Admin1 Pcode", "Admin3 Pcode", None, "No. of girls (<18)",
             "No. of boys (<18)"],
            [ORG, "SY02", "SY020405", "Food Baskets", 3, 4]]
    path = _workbook(tmp_path / "merged.xlsx", {"4W": data},
                     {"4W": ["B1:C1", "E1:F1", "A1:A2", "D1:D2"]})
    report = import_4w(session, path, mapping={"columns": {"Partner": "org_impl"}},
                       period="2023-02")
    assert report.rejected == []
    assert [a.reached_total for a in _acts(session)] == [7]


def test_errors_name_every_sheet_and_header_only_files_warn(runner, session, boundaries,
                                                            tmp_path):
    path = _workbook(tmp_path / "none.xlsx", {"Notes": [["a", "b"], ["c", "d"]],
                                              "Lists": [["x", "y"], ["1", "2"]]})
    with pytest.raises(BadInput) as err:
        import_4w(session, path)
    assert "'Notes'" in err.value.message and "'Lists'" in err.value.message
    head = _csv(tmp_path, "head.csv", "implementing_partner,admin3pcode,activity,beneficiaries")
    report = import_4w(session, head)
    assert report.rows_read == 0 and "no data rows" in report.warnings[0]
    res = runner.invoke(args=["import", "4w", str(head)])
    assert res.exit_code == 0 and "no data rows" in res.output


def _ods(path, rows: list[list[str]]):
    """A minimal OpenDocument spreadsheet (what LibreOffice writes, reduced)."""
    def cell(v):
        if isinstance(v, int):
            return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                    f"<text:p>{v}</text:p></table:table-cell>")
        return (f'<table:table-cell office:value-type="string"><text:p>{v}</text:p>'
                "</table:table-cell>")
    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>"
                   for r in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Activities">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return path


def test_a_real_xlsb_workbook_imports_through_calamine(runner, session, boundaries):
    """A binary workbook as Excel's format has it (made by an .xlsb writer, see
    files/README.md): the 4W sheet found after a read-me sheet and below its title rows,
    names resolved, whole and decimal numbers read as people."""
    path = Path(__file__).parent / "files" / "cluster_4w.xlsb"
    report = import_4w(session, path)
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (3, 3, 0)
    got = [(a.pcode, a.reached_total, a.period_start, a.service_type_code, a.source_row)
           for a in _acts(session)]
    assert got == [("SY020405", 120, dt.date(2023, 2, 1), "food_assistance", 4),
                   ("SY020001", 35, dt.date(2023, 2, 1), "prot_pss", 5),
                   ("SY070301", 7, dt.date(2023, 3, 1), "prot_legal", 6)]
    assert session.get(ImportBatch, report.batch["id"]).sheet == "4W"
    res = runner.invoke(args=["import", "4w", str(path), "--sheet", "Sheet1", "--dry-run"])
    assert res.exit_code == 2 and "Read me, 4W" in res.output, res.output


def test_ods_workbooks_are_read_and_unreadable_xlsb_exits_2(runner, session, boundaries,
                                                            tmp_path):
    path = _ods(tmp_path / "a.ods", [
        ["implementing_partner", "admin3pcode", "activity", "beneficiaries", "month"],
        [ORG, "SY020405", "Food Baskets", 21, "2023-02"]])
    report = import_4w(session, path)
    assert report.rows_imported == 1 and [a.reached_total for a in _acts(session)] == [21]
    broken = tmp_path / "b.xlsb"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    res = runner.invoke(args=["import", "4w", str(broken)])
    assert res.exit_code == 2 and "b.xlsb" in res.output and "Traceback" not in res.output
    res = runner.invoke(args=["import", "4w", str(path), "--format", "json", "--dry-run"])
    assert res.exit_code == 0 and json.loads(res.output.splitlines()[-1])["rows_read"] == 1
