"""The gap dashboard, its map and exports, the API and the CLI, on data built in the test."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import select

from data.models import Activity, AdminArea, Need


def test_dashboard_ranks_need_without_presence_first_in_arabic(planner, gaps_data):
    html = planner.get("/gaps/?level=1&sector=protection").get_data(as_text=True)
    assert 'dir="rtl"' in html and "الفجوات في التغطية" in html
    table = html[html.index("<tbody>"):]
    assert table.index("حلب") < table.index("إدلب")  # Aleppo: need, nobody present
    assert "حاجة بلا وجود" in table
    assert 'src="/gaps/map?level=1&amp;sector=protection"' in html
    assert len(html.encode()) < 150_000


def test_dashboard_in_english_shows_the_figures(client, make, login, gaps_data):
    login(make.user("platform_admin"))
    html = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    assert "Coverage gaps" in html and "need, no presence" in html
    idleb = html[html.index("Idleb"):]
    row = idleb[:idleb.index("</tr>")]
    # capacity 10/month x 12 = 120 > 200 reached? no: served = max(200, 120) = 200
    assert re.search(r">1,000<", row) and re.search(r">200<", row) and ">20%<" in row


@pytest.mark.parametrize(("role", "status"), [
    ("planner", 200), ("platform_admin", 200), ("org_admin", 200), ("caseworker", 403),
    ("viewer", 403),
])
def test_who_may_see_gaps(client, make, login, role, status):
    login(make.user(role))
    assert client.get("/gaps/?level=1").status_code == status
    assert client.get("/api/v1/gaps?level=1").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/gaps/").status_code == 302
    assert client.get("/api/v1/gaps").status_code == 401


def test_csv_and_xlsx_exports(planner, gaps_data):
    from openpyxl import load_workbook

    with planner.get("/gaps/export.csv?level=1&sector=protection") as resp:
        text = resp.get_data(as_text=True)
    assert resp.headers["Content-Disposition"].endswith('gaps-level1-protection.csv"')
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("الترتيب,الرمز")
    assert lines[1].startswith("1,SY02,")
    assert len(lines) == 15
    with planner.get("/gaps/export.xlsx?level=1&sector=protection&lang=en") as resp:
        book = load_workbook(io.BytesIO(resp.data))
    sheet = book.active
    assert sheet["A1"].value == "Rank" and sheet["B2"].value == "SY02"
    assert not sheet.sheet_view.rightToLeft
    with planner.get("/gaps/export.xlsx?level=1&lang=ar") as resp:
        arabic = load_workbook(io.BytesIO(resp.data)).active
    assert arabic["A1"].value == "الترتيب" and arabic.sheet_view.rightToLeft
    assert planner.get("/gaps/export.pdf").status_code == 404


def test_map_uses_only_app_assets(planner, gaps_data):
    with planner.get("/gaps/map?level=1&sector=protection&sites=1") as resp:
        html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    refs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/vendor/leaflet/") for r in refs)
    assert "cdn" not in html and "https://" not in html
    assert "درجة الفجوة" in html and "Gap score" in html  # bilingual legend/tooltips


def test_map_download_is_standalone(planner, gaps_data):
    with planner.get("/gaps/map.html?level=1&sector=protection") as resp:
        html = resp.get_data(as_text=True)
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)=', html)
    assert "L.map(" in html and ".leaflet-container" in html  # Leaflet inlined


@pytest.mark.shared_data
def test_level_3_map_draws_simplified_polygons(planner, boundaries):
    with planner.get("/gaps/map?level=3") as resp:
        html = resp.get_data(as_text=True)
    assert html.count('"type": "Feature"') + html.count('"type":"Feature"') == 272
    assert "MultiPolygon" in html or "Polygon" in html
    assert len(html.encode()) < 3_000_000
    page = planner.get("/gaps/?level=3").get_data(as_text=True)
    assert page.count("<tr") == 26  # header + the first page (25) of 272 areas
    assert "272" in page and len(page.encode()) < 150_000


@pytest.mark.shared_data
def test_roll_up_through_the_database(session, make, boundaries):
    """Sub-district facts add up exactly to their district and governorate."""
    from data.gapdata import load_gap_inputs
    from matching.gaps import ADDITIVE, compute_gaps

    subs = list(session.scalars(select(AdminArea.pcode).where(
        AdminArea.parent_pcode == "SY0703")))
    for i, pcode in enumerate(subs):
        session.add(Need(pcode=pcode, sector_code="gbv", period="2023",
                         people_in_need=100 * (i + 1), severity=1 + i % 5))
        session.add(Activity(sector_code="gbv", pcode=pcode, unit="people",
                             implementing_org="A", reached_total=7 * i,
                             fingerprint=f"roll-{pcode}"))
    make.service(coverage=["SY0703"], service_type_code="gbv_safe_spaces",
                 capacity_per_month=30)
    session.flush()
    data = load_gap_inputs(session)
    t3 = compute_gaps(data, level=3, sector="gbv").set_index("pcode")
    t2 = compute_gaps(data, level=2, sector="gbv").set_index("pcode")
    for col in ADDITIVE:
        assert t2.loc["SY0703", col] == pytest.approx(t3.loc[subs, col].sum()), col
    assert t2.loc["SY0703", "capacity"] == pytest.approx(30)
    assert t2.loc["SY0703", "organizations"] == 2  # the service's org and "A"


def _schema_check(client, body):
    import jsonschema

    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/gaps"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]
    jsonschema.validate(body, {**schema, "components": doc["components"]})


def test_api_filters_and_schema(client, planner, gaps_data):
    body = client.get("/api/v1/gaps?level=1&sector=protection").get_json()
    _schema_check(client, body)
    assert body["total"] == 14 and body["items"][0]["pcode"] == "SY02"
    idleb = next(r for r in body["items"] if r["pcode"] == "SY07")
    assert (idleb["people_in_need"], idleb["reached"], idleb["organizations"]) == (1000, 200, 2)
    assert (idleb["declined_referrals"], idleb["unmet_searches"]) == (1, 1)
    women = client.get("/api/v1/gaps?level=1&service=prot_pss&group=women").get_json()
    _schema_check(client, women)
    idleb = next(r for r in women["items"] if r["pcode"] == "SY07")
    assert idleb["services"] == 1 and idleb["reached"] == 0
    later = client.get("/api/v1/gaps?level=1&sector=protection&period=2023-02").get_json()
    assert next(r for r in later["items"] if r["pcode"] == "SY07")["declined_referrals"] == 0
    csv_text = client.get("/api/v1/gaps?level=1&format=csv").get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").startswith("Rank,P-code")


@pytest.mark.parametrize(("query", "field"), [
    ("level=5", "level"), ("sector=nope", "sector"), ("group=aliens", "group"),
    ("period=May", "period"), ("sector=gbv&service=prot_pss", "service"),
    ("format=pdf", "format"),
])
def test_api_bad_filters_name_the_field(client, planner, query, field):
    resp = client.get(f"/api/v1/gaps?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field


def test_links_from_a_gap_to_directory_and_forum(database_url, connection, make, login):
    from flask import Blueprint
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import allow

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                        "WTF_CSRF_ENABLED": False})
    # Stand-ins for the directory and the forum, unless the real blueprints are merged.
    if "directory.search" not in fresh.view_functions:
        directory = Blueprint("directory", __name__)
        directory.add_url_rule("/d", "search", allow("planner")(lambda: "d"))
        fresh.register_blueprint(directory)
    if "forum.new_thread" not in fresh.view_functions:
        forum = Blueprint("forum", __name__)
        forum.add_url_rule("/f", "new_thread", allow("planner")(lambda: "f"))
        fresh.register_blueprint(forum)
    with fresh.test_request_context():
        from flask import url_for

        d_url, f_url = url_for("directory.search"), url_for("forum.new_thread")
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    client = fresh.test_client()
    login(make.user("planner"), client)
    html = client.get("/gaps/?level=1&sector=gbv").get_data(as_text=True)
    assert f'href="{d_url}?pcode=SY07' in html
    assert re.search(rf'href="{re.escape(f_url)}\?pcode=SY07&amp;sector=gbv&amp;link=[^"]+'
                     r'&amp;title=', html)


def test_cli_gaps_formats_and_map(runner, gaps_data, tmp_path):
    out = runner.invoke(args=["gaps", "--level", "1", "--sector", "protection", "--limit", "3"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("rank\tpcode") and lines[1].split("\t")[1] == "SY02"
    assert len(lines) == 4
    rows = json.loads(runner.invoke(args=["gaps", "--level", "1", "--format", "json",
                                          "--sector", "protection"]).output)
    assert rows[0]["pcode"] == "SY02" and rows[0]["need_without_presence"] is True
    csv_out = runner.invoke(args=["gaps", "--level", "1", "--format", "csv"]).output
    assert csv_out.startswith("Rank,P-code") and len(csv_out.splitlines()) == 15
    target = tmp_path / "gaps.html"
    done = runner.invoke(args=["gaps", "--level", "1", "--map", str(target)])
    assert done.exit_code == 0 and "L.map(" in target.read_text(encoding="utf-8")
    bad = runner.invoke(args=["gaps", "--sector", "nope"])
    assert bad.exit_code == 2 and "unknown sector 'nope'" in bad.output


def test_circles_on_centroids_when_polygons_are_missing():
    import pandas as pd

    from geo.maps import gap_map

    table = pd.DataFrame([{"pcode": "SY07", "name_ar": "إدلب", "name_en": "Idleb",
                           "gap_score": 90.0, "people_in_need": 900.0, "severity": 5.0,
                           "organizations": 0, "services": 0, "capacity": 0.0, "reached": 0.0,
                           "coverage": float("nan"), "declined_referrals": 0,
                           "unmet_searches": 0}])
    shapes = pd.DataFrame({"pcode": ["SY07"], "wkb": [None], "lon": [36.6], "lat": [35.9]})
    html = gap_map(table, shapes)
    assert "L.circleMarker(" in html and "[35.9, 36.6]" in html
    assert '"radius": 30' in html  # the largest PiN gets the largest circle
    assert "#bd0026" in html  # score 90: the darkest class


def test_sites_layer_is_optional_and_hides_sensitive_services(planner, make, gaps_data):
    make.service(name_en="Open clinic site", name_ar="عيادة مفتوحة", coverage=["SY07"],
                 service_type_code="prot_pss", sites=[(36.63, 35.93)])
    make.service(name_en="Safe house", name_ar="بيت آمن", coverage=["SY07"], sensitive=True,
                 service_type_code="prot_pss", sites=[(36.71, 35.81)])
    without = planner.get("/gaps/map?level=1&sector=protection").get_data(as_text=True)
    assert "عيادة مفتوحة" not in without
    with_sites = planner.get("/gaps/map?level=1&sector=protection&sites=1").get_data(
        as_text=True)
    assert "عيادة مفتوحة" in with_sites and "Service sites" in with_sites  # the layer's name
    assert "بيت آمن" not in with_sites and "36.71, 35.81" not in with_sites
    assert "[36.63, 35.93]" in with_sites  # sites grouped: GeoJSON points, lon first
    english = planner.get("/gaps/map?level=1&sector=protection&sites=1&lang=en").get_data(
        as_text=True)
    assert "Open clinic site" in english and "Safe house" not in english
    health = planner.get("/gaps/map?level=1&sector=health&sites=1").get_data(as_text=True)
    assert "عيادة مفتوحة" not in health  # sites follow the sector filter


def test_dashboard_bad_filter_is_a_clear_400_page(planner):
    resp = planner.get("/gaps/?level=1&sector=nope&lang=en")
    assert resp.status_code == 400
    assert "unknown sector &#39;nope&#39;" in resp.get_data(as_text=True)


def test_gap_tables_by_sector_stack_one_table_per_sector(session, gaps_data):
    from data.gapdata import load_gap_inputs
    from matching.gaps import compute_gaps_by

    stacked = compute_gaps_by(load_gap_inputs(session), "sector", level=1)
    assert stacked["sector"].nunique() == 13 and len(stacked) == 13 * 14
    prot = stacked[(stacked["sector"] == "protection") & (stacked["pcode"] == "SY07")].iloc[0]
    assert prot["people_in_need"] == 1000 and prot["reached"] == 200
    health = stacked[(stacked["sector"] == "health") & (stacked["pcode"] == "SY02")].iloc[0]
    assert health["services"] == 1


@pytest.mark.parametrize("selection", [{"sector": "protection"}, {"sector": "gbv"},
                                       {"service_type": "prot_pss", "group": "women"},
                                       {"sector": "health"}])
def test_scoped_loading_gives_the_same_table(session, gaps_data, selection):
    """Loading only a selection's sectors (faster pages) changes no figure."""
    from pandas.testing import assert_frame_equal

    from data.gapdata import load_gap_inputs
    from matching.gaps import compute_gaps

    full = compute_gaps(load_gap_inputs(session), level=1, **selection)
    scoped = compute_gaps(load_gap_inputs(session, sector=selection.get("sector"),
                                          service_type=selection.get("service_type")),
                          level=1, **selection)
    assert_frame_equal(full, scoped)
    assert full["organizations"].sum() > 0


def test_base_tiles_only_when_configured(app, planner):
    html = planner.get("/gaps/map?level=1").get_data(as_text=True)
    assert "L.tileLayer(" not in html
    old = app.config.get("TILES_URL")
    app.config["TILES_URL"] = "/tiles/{z}/{x}/{y}.png"
    try:
        html = planner.get("/gaps/map?level=1").get_data(as_text=True)
    finally:
        app.config["TILES_URL"] = old
    assert "L.tileLayer(" in html and "/tiles/{z}/{x}/{y}.png" in html


def _page_row(client, query: str, pcode: str = "SY07") -> list[str]:
    """The cells of one area's row in the dashboard table (English page)."""
    html = client.get(f"/gaps/?{query}&lang=en").get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    row = next(r for r in body.split("</tr>") if f"<code>{pcode}</code>" in r)
    return [re.sub(r"<[^>]+>", " ", c).split()[0] if re.sub(r"<[^>]+>", "", c).strip()
            else "" for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_dashboard_shows_organisations_present_that_reached_nobody(client, session, make, login,
                                                                   gaps_data):
    """4W rows of people with nobody reached: counted apart on the page, as in the API and
    exports, beside an organisations figure they do not add to (Aleppo stays a need without
    presence)."""
    for i, name in enumerate(("Silent", "Quiet")):
        org = make.org(name_en=name, name_ar=name)
        session.add(Activity(organization_id=org.id, sector_code="protection", pcode="SY02",
                             period_start=dt.date(2023, 1, 1), unit="people", reached_total=0,
                             fingerprint=f"nobody-{i}"))
    session.flush()
    login(make.user("planner"))
    row = _row_html(client, "level=1&sector=protection&lang=en", "SY02")
    assert "2 more organisations present, nobody reached" in row and "need, no presence" in row
    assert _page_row(client, "level=1&sector=protection", "SY02")[5] == "0"
    arabic = _row_html(client, "level=1&sector=protection&lang=ar", "SY02")
    assert "منظمتان أخريان حاضرتان لم تصلا إلى أحد" in arabic
    assert "present, nobody reached" not in _row_html(client, "level=1&sector=protection&lang=en",
                                                      "SY07")


def _row_html(client, query: str, pcode: str) -> str:
    html = client.get(f"/gaps/?{query}").get_data(as_text=True)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return next(r for r in body.split("</tr>") if f"<code>{pcode}</code>" in r)


def test_dashboard_page_filters_service_group_and_period(planner, gaps_data):
    """The page applies the same filters as the API: service type, target group, period
    (columns: #, area, score, PiN, severity, orgs, services, capacity, reached, coverage,
    failed referrals, unmet searches)."""
    sector = _page_row(planner, "level=1&sector=protection")
    assert sector[3:9] == ["1,000", "4.0", "2", "1", "10", "200"] and sector[10] == "1"
    women = _page_row(planner, "level=1&service=prot_pss&group=women")
    assert women[6] == "1" and women[8] == "0"  # the service; GBV activity is not prot_pss
    men = _page_row(planner, "level=1&service=prot_pss&group=men")
    assert men[6] == "0"  # the only service serves women
    later = _page_row(planner, "level=1&sector=protection&period=2023-02")
    assert later[10] == "0" and later[8] == "0"  # January's referral and reach are out
    html = planner.get("/gaps/?level=1&sector=protection&period=2023-02").get_data(
        as_text=True)
    assert 'src="/gaps/map?level=1&amp;sector=protection&amp;period=2023-02"' in html


def test_gap_links_name_the_area_and_reach_who_can_fill_it(client, session, make, login,
                                                          gaps_data):
    """From a gap: the forum thread is titled with the area's name, and a reader with an
    organisation gets the organisations able to fill that gap (issues 6 and 21)."""
    import html as html_lib
    from urllib.parse import parse_qs, urlsplit

    login(make.user("planner", gaps_data))
    page = client.get("/gaps/?level=1&sector=protection").get_data(as_text=True)
    row = next(r for r in page.split("</tr>") if "<code>SY07</code>" in r)
    hrefs = [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', row)]
    forum = next(h for h in hrefs if h.startswith("/forum/threads/new"))
    assert parse_qs(urlsplit(forum).query)["title"] == ["فجوة في التغطية في إدلب (SY07)"]
    fill = next(h for h in hrefs if h.startswith("/gaps/fill"))
    assert parse_qs(urlsplit(fill).query) == {"pcode": ["SY07"], "sector": ["protection"]}
    assert client.get(fill).status_code == 200
    # a platform admin without an organisation gets the same list (issue 21, finding 3)
    login(make.user("platform_admin", None))
    page = client.get("/gaps/?level=1&sector=protection").get_data(as_text=True)
    assert "/gaps/fill?sector=protection&amp;pcode=SY07" in page
