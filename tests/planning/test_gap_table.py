"""The planner's gap table as people use it (issue 21, findings 1 and 2): sorted, paged on
the server, actions beside the area's name, the score in words; a period without needs data
said, not shown as zeros; bad filters shown next to their field with the others kept."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from tests.planning.test_gap_pages import _page_row


def _body(page: str) -> str:
    return page[page.index("<tbody>"):page.index("</tbody>")]


def _ranks(page: str) -> list[int]:
    return [int(r) for r in re.findall(r'<tr[^>]*>\s*<td class="num">(\d+)</td>', _body(page))]


def test_table_is_paged_on_the_server_and_sortable(planner, boundaries):
    """Finding 1: 25 rows a page with page links, every column sortable both ways."""
    first = planner.get("/gaps/?level=3&lang=en").get_data(as_text=True)
    assert _ranks(first) == list(range(1, 26))
    assert "Page 1 of 11" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = planner.get("/gaps/?level=3&page=2&lang=en").get_data(as_text=True)
    assert _ranks(second) == list(range(26, 51)) and 'rel="prev"' in second
    last = planner.get("/gaps/?level=3&page=11&lang=en").get_data(as_text=True)
    assert len(_ranks(last)) == 272 - 250
    by_name = planner.get("/gaps/?level=3&sort=name&dir=asc&lang=en").get_data(as_text=True)
    names = re.findall(r'<td class="area">(.*?) <code>', _body(by_name))
    assert names == sorted(names) and len(names) == 25
    assert 'aria-sort="ascending"' in by_name
    down = planner.get("/gaps/?level=3&sort=name&dir=desc&lang=en").get_data(as_text=True)
    assert re.findall(r'<td class="area">(.*?) <code>', _body(down))[0] >= names[-1]
    # the header links keep the filters and flip the direction of the current column
    heads = [html_lib.unescape(h) for h in re.findall(r'<th scope="col"[^>]*><a href="([^"]+)"',
                                                      by_name)]
    assert "/gaps/?level=3&sort=name&dir=desc" in heads
    assert "/gaps/?level=3&sort=people_in_need&dir=desc" in heads


def test_rows_carry_actions_on_the_reading_side_and_the_score_in_words(client, make, login,
                                                                        gaps_data):
    """Finding 1: links sit in the area's cell (read first in both directions), and the score
    comes with words a planner can act on."""
    login(make.user("planner", gaps_data))
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    row = next(r for r in _body(page).split("</tr>") if "<code>SY07</code>" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert "/forum/threads/new" in cells[1] and "/gaps/fill?" in cells[1]
    assert not any("href" in c for c in cells[2:])
    assert "800 of 1,000 people in need not served." in cells[2]
    assert "2 referrals or searches failed." in cells[2]
    assert re.search(r"(very large|large|moderate|small) gap", cells[2])
    aleppo = next(r for r in _body(page).split("</tr>") if "<code>SY02</code>" in r)
    assert "500 people in need and no organisation present." in aleppo
    arabic = client.get("/gaps/?level=1&sector=protection&lang=ar").get_data(as_text=True)
    assert "800 من أصل 1,000 شخص محتاج لا يصلهم أحد." in arabic


def test_a_period_without_needs_data_is_said_not_zeros(planner, gaps_data):
    """Finding 2: the notice names the period and links the years that have needs data."""
    resp = planner.get("/gaps/?level=1&sector=protection&period=2022&lang=en")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "There are no people-in-need figures for 2022" in page
    assert "<tbody>" not in page and "0.0" not in page
    links = [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    assert "/gaps/?level=1&sector=protection&period=2023" in links
    # a month of a year with data is a normal table
    assert _page_row(planner, "level=1&sector=protection&period=2023-01")[3] == "1,000"


@pytest.mark.parametrize(("query", "field", "message"), [
    ("period=May", "period", "period must be YYYY or YYYY-MM, got &#39;May&#39;."),
    ("sector=nope", "sector", "unknown sector &#39;nope&#39;"),
    ("group=aliens", "group", "unknown target group &#39;aliens&#39;"),
    ("level=9", "level", "level must be 1, 2 or 3."),
])
def test_bad_filters_are_shown_inline_and_the_others_kept(planner, gaps_data, query, field,
                                                         message):
    """Finding 2: the message sits by its field, an error summary links it, the other
    filters keep their values; HTTP 400, never a bare error page."""
    from urllib.parse import urlencode

    name, value = query.split("=")
    args = {"level": "1", "sector": "protection", "group": "women", "lang": "en", name: value}
    resp = planner.get(f"/gaps/?{urlencode(args)}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    block = re.search(r'<div class="field[^"]*has-error[^"]*">(.*?)</div>', page, re.S)
    assert block and f'id="{field}"' in block.group(1) and message in block.group(1), page
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    if field != "sector":
        assert re.search(r'<option selected value="protection">|<option value="protection" '
                         r'selected>', page)
    if field != "group":
        assert re.search(r'<option selected value="women">|<option value="women" selected>',
                         page)


def test_bad_sort_names_the_parameter_and_a_bad_page_shows_the_first(planner, gaps_data):
    for query, name in (("sort=colour", "sort"), ("dir=up", "dir")):
        resp = planner.get(f"/gaps/?level=1&{query}&lang=en")
        assert resp.status_code == 400 and f"{name} must" in resp.get_data(as_text=True)
    # as on every HTML list of the site (web.args.page_arg): an unusable page is the first
    assert _ranks(planner.get("/gaps/?level=1&page=0").get_data(as_text=True))[0] == 1


def test_map_frame_declares_language_and_title(planner, gaps_data):
    """Finding 6: the gap map inside the dashboard's frame has a language and a title."""
    ar = planner.get("/gaps/map?level=1&lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in ar and "<title>خريطة درجة الفجوة</title>" in ar
    en = planner.get("/gaps/map?level=1&lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in en and "<title>Map of the gap score</title>" in en


def test_exports_round_figures_and_carry_number_formats():
    """Finding 6: no "166.66666666666669" in the exports; the workbook formats its numbers."""
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from matching.gaps import GAP_COLUMNS
    from planning.gaps import table_csv, table_xlsx

    row = dict.fromkeys(GAP_COLUMNS, 0)
    row.update({"rank": 1, "pcode": "SY07", "level": 1, "parent_pcode": None,
                "name_ar": "إدلب", "name_en": "Idleb", "capacity": 500 / 3,
                "people_in_need": 1000.0, "served": 2000 / 3, "uncovered": 1000 / 3,
                "coverage": 2 / 3, "gap_score": 100 / 7, "severity": 10 / 3,
                "need_without_presence": False})
    table = pd.DataFrame([row], columns=list(GAP_COLUMNS))
    text = table_csv(table, "en")
    assert "166.66666666666669" not in text and "0.6666666666666666" not in text
    import csv

    header, first = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    values = dict(zip(header, first, strict=True))
    assert values["Capacity per month"] == "166.7" and values["People in need"] == "1000"
    assert values["Coverage"] == "0.6667" and values["Gap score"] == "14.29"
    sheet = load_workbook(io.BytesIO(table_xlsx(table, "en"))).active
    header = [c.value for c in sheet[1]]
    cell = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert cell["Coverage"].number_format == "0.0%" and cell["Coverage"].value == 0.6667
    assert cell["Capacity per month"].number_format == "#,##0"
    assert cell["Gap score"].number_format == "0.00"


@pytest.mark.shared_data
def test_sub_district_page_with_sites_weighs_under_500_kb(planner, make, boundaries, session):
    """Finding 6: the gap page at sub-district level with service sites (the dashboard and its
    map) stays under 500 KB: polygons simplified and snapped, tooltips in the reader's
    language with Arabic written as UTF-8, sites grouped by sub-district."""
    import random

    from sqlalchemy import text

    places = session.execute(text(
        "SELECT pcode, ST_X(centroid), ST_Y(centroid) FROM admin_area "
        "WHERE level = 3 AND centroid IS NOT NULL ORDER BY pcode")).all()
    rnd = random.Random(1)
    org = make.org(name_en="Many Sites", name_ar="مواقع كثيرة")
    for _ in range(400):
        pcode, lon, lat = rnd.choice(places)
        make.service(organization=org, coverage=[pcode],
                     sites=[(lon + rnd.uniform(-0.02, 0.02), lat, pcode)])
    page = planner.get("/gaps/?level=3&sites=1").get_data()
    frame = planner.get("/gaps/map?level=3&sites=1").get_data()
    assert len(page) + len(frame) < 500_000, (len(page), len(frame))
    html = frame.decode()
    assert "\\u0627" not in html and "درجة الفجوة" in html and "Gap score:" not in html
    groups = len({p for p, _x, _y in places})
    assert html.count('"type": "Point"') <= groups  # one marker per sub-district with sites
    assert "مواقع الخدمات: " in html  # the group's count, in the reader's language
    english = planner.get("/gaps/map?level=3&sites=1&lang=en").get_data(as_text=True)
    assert "Gap score:" in english and "درجة الفجوة:" not in english


def test_notebook_page_renders_and_offers_the_ipynb(app, planner, tmp_path, monkeypatch):
    """Finding 6: the planners' notebook is linked from the product, read as a page (text as
    sanitised Markdown, code as text, outputs when an executed copy is stored) and downloaded
    as .ipynb."""
    import json

    import nbformat

    assert 'href="/gaps/notebooks/"' in planner.get("/gaps/?level=1").get_data(as_text=True)
    index = planner.get("/gaps/notebooks/?lang=en").get_data(as_text=True)
    assert 'href="/gaps/notebooks/protection_gaps"' in index
    assert 'href="/gaps/notebooks/protection_gaps.ipynb"' in index
    page = planner.get("/gaps/notebooks/protection_gaps?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and re.search(r"<h1[^>]*>Protection gaps by sub-district", html)
    assert "<pre><code>import os" in html and "without their results" in html
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    download = planner.get("/gaps/notebooks/protection_gaps.ipynb")
    assert download.headers["Content-Disposition"].endswith('protection_gaps.ipynb"')
    nb = json.loads(download.get_data(as_text=True))
    assert nb["nbformat"] == 4 and len(nb["cells"]) > 5
    assert planner.get("/gaps/notebooks/nope").status_code == 404
    # an executed copy in the exports cache: its outputs are shown
    executed = nbformat.reads(download.get_data(as_text=True), as_version=4)
    code = next(c for c in executed.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="272 sub-districts loaded\n")]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(executed, tmp_path / "notebooks" / "protection_gaps.ipynb")
    monkeypatch.setitem(app.config, "EXPORT_CACHE", str(tmp_path))
    shown = planner.get("/gaps/notebooks/protection_gaps?lang=en").get_data(as_text=True)
    assert '<pre class="output">272 sub-districts loaded' in shown
    assert "without their results" not in shown
