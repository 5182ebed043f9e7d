"""Fidelity corpus: the real protection 4W (prot.csv) in the shapes clusters send it, each
imported to exactly the cluster's own people reached per sub-district (411,712 over 34),
computed here independently from the file with pandas.

Shapes: the cluster export as is; HXL-tagged (a hashtag row under the header); a workbook of
several sheets (notes first, a title above the header); a copy with its headers translated
to Arabic and its month column renamed; our WoS-template-shaped export read back.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.io.fourw import import_4w
from data.io.hxl import export_4w
from data.models import Activity
from tests.conftest import shared_path
from tests.kits.exports import verify_all

pytestmark = pytest.mark.shared_data

# the columns a cluster file needs, with their HXL tags and an Arabic translation
COLUMNS = {
    "implementing_partner_ip": ("#org+impl", "الشريك المنفذ"),
    "admin1pcode": ("#adm1+code", "رمز المحافظة"),
    "admin2pcode": ("#adm2+code", "رمز المنطقة"),
    "admin3pcode": ("#adm3+code", "رمز الناحية"),
    "activity": ("#activity", "النشاط"),
    "code_activity": ("#activity+code", "رمز النشاط"),
    "unit": ("#indicator+unit", "الوحدة"),
    "analysis_unit": ("#indicator+analysis+unit", "وحدة التحليل"),
    "total_achieved_as_per_unit": ("#value", "المنجز حسب الوحدة"),
    "total_reached": ("#reached+ind+total", "إجمالي المستفيدين"),
    "month": ("#date+month", "شهر التقرير"),
}


@pytest.fixture(scope="module")
def prot() -> pd.DataFrame:
    return pd.read_csv(shared_path("4w", "prot.csv"), dtype=str, keep_default_na=False)


def _truth(df: pd.DataFrame) -> dict[str, int]:
    """People reached per sub-district as the cluster analyses them: rows whose analysis unit
    is people, their total reached."""
    people = df[df["analysis_unit"] == "# people"]
    return {p: int(pd.to_numeric(g["total_reached"]).sum())
            for p, g in people.groupby("admin3pcode")}


def _as_is(df, tmp_path):
    return shared_path("4w", "prot.csv")


def _hxl(df, tmp_path):
    part = df[list(COLUMNS)]
    tags = pd.DataFrame([[COLUMNS[c][0] for c in COLUMNS]], columns=list(COLUMNS))
    path = tmp_path / "prot_hxl.csv"
    pd.concat([tags, part]).to_csv(path, index=False)
    return path


def _workbook(df, tmp_path):
    path = tmp_path / "prot_sheets.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    notes = wb.create_sheet("Read me")
    notes.append(["Protection cluster 4W, January-February 2023"])
    notes.append(["Lists of activities are in the next sheets."])
    ws = wb.create_sheet("4W data")
    ws.append(["Protection 4W - NWS"])
    ws.append([])
    ws.append(list(COLUMNS))
    for row in df[list(COLUMNS)].itertuples(index=False, name=None):
        ws.append(list(row))
    wb.save(path)
    return path


def _arabic(df, tmp_path):
    part = df[list(COLUMNS)].rename(columns={c: COLUMNS[c][1] for c in COLUMNS})
    path = tmp_path / "prot_ar.csv"
    part.to_csv(path, index=False)
    return path


SHAPES = {"as_is": _as_is, "hxl": _hxl, "workbook": _workbook, "arabic": _arabic}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_imports_to_the_cluster_s_people_per_sub_district(
        session, boundaries, tmp_path, prot, shape):
    path = SHAPES[shape](prot, tmp_path)
    report = import_4w(session, path, period="2023-01")
    assert report.rows_read == len(prot) == 4850 and report.rejected == []
    got = dict(session.execute(
        select(Activity.pcode, func.sum(Activity.reached_total))
        .where(Activity.unit == "people").group_by(Activity.pcode)).all())
    truth = _truth(prot)
    assert sum(truth.values()) == 411_712 and len(truth) == 34
    assert got == truth
    # every row in its month (the row's own, never the --period given)
    months = dict(session.execute(select(Activity.period_start, func.count())
                                  .group_by(Activity.period_start)).all())
    assert months == {dt.date(2023, 1, 1): (prot.month == "01 - January").sum(),
                      dt.date(2023, 2, 1): (prot.month == "02 - February").sum()}
    assert report.period_filled == 0


def test_the_wos_template_shaped_export_reads_back_to_the_same_people(
        session, boundaries, tmp_path, prot):
    import_4w(session, shared_path("4w", "prot.csv"), period="2023-01")
    verify_all(session)
    path = tmp_path / "wos.xlsx"
    export_4w(session, path)
    session.execute(Activity.__table__.delete())
    report = import_4w(session, path)
    assert report.rows_read == 4850 and report.rejected == []
    got = dict(session.execute(
        select(Activity.pcode, func.sum(Activity.reached_total))
        .where(Activity.unit == "people").group_by(Activity.pcode)).all())
    assert got == _truth(prot)
