"""The planners' notebooks executed on the site's data, read-only, and shown on their pages
(issue 21): ``tasharuk notebooks run`` runs them in a kernel against a small database of three
drawn governorates, keeps the executed HTML and .ipynb, and the pages show their tables and
figure, with nothing loaded from another host and nothing written to the database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

SQUARES = {"SY01": ("Damascus", "دمشق", 36.2), "SY02": ("Aleppo", "حلب", 37.0),
           "SY07": ("Idleb", "إدلب", 36.6)}
TABLES = ("admin_area", "need", "service", "organization", "audit_log", "change_log")


def _site(url: str) -> None:
    """A small site: reference data (the governorates), three of them drawn, protection needs,
    one service."""
    from data.db import make_engine
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from data.models import AdminArea, Need
    from tests.conftest import Factory

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s)
        for pcode, (en, ar, lon) in SQUARES.items():
            box = f"MULTIPOLYGON((({lon} 35,{lon + .3} 35,{lon + .3} 35.3,{lon} 35.3,{lon} 35)))"
            area = s.get(AdminArea, pcode) or AdminArea(pcode=pcode, level=1, name_en=en,
                                                        name_ar=ar)
            area.geom = func.ST_GeomFromText(box, 4326)
            area.centroid = func.ST_GeomFromText(f"POINT({lon + .15} 35.15)", 4326)
            s.add(area)
        s.flush()
        Factory(s).service(coverage=["SY07"], capacity_per_month=10)
        s.add_all([Need(pcode="SY07", sector_code="protection", period="2023",
                        people_in_need=1000, severity=4),
                   Need(pcode="SY02", sector_code="protection", period="2023",
                        people_in_need=500, severity=3)])
        s.commit()
    engine.dispose()


def _counts(url: str) -> dict[str, int]:
    from data.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return out


@pytest.mark.slow
def test_notebook_runs_on_the_site_data_read_only_and_the_page_shows_it(
        app, planner, scratch_db, monkeypatch, tmp_path):
    url = scratch_db("tasharuk_nb_site")
    _site(url)
    before = _counts(url)
    monkeypatch.setitem(app.config, "DATABASE_URL", url)
    monkeypatch.setitem(app.config, "EXPORT_CACHE", str(tmp_path))
    untouched = planner.get("/gaps/notebooks/protection_gaps?lang=en").get_data(as_text=True)
    assert "without their results" in untouched and "dataframe" not in untouched
    result = app.test_cli_runner().invoke(args=["notebooks", "run"])  # every notebook
    assert result.exit_code == 0, result.output
    assert "protection_gaps:" in result.output and "acceptance_model:" in result.output
    assert _counts(url) == before  # read-only: the notebook wrote nothing
    page = planner.get("/gaps/notebooks/protection_gaps?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "without their results" not in html
    assert re.search(r"Executed on <time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</time>", html)
    assert "the site&#39;s data, read-only" in html or "the site's data, read-only" in html
    governorates = _counts(url)["admin_area"]
    assert f"{governorates} governorates;" in html  # the site's areas, not the public files
    assert html.count('class="dataframe"') >= 2 and "Idleb" in html and "Aleppo" in html
    figure = re.search(r'<img[^>]*alt="The ten largest protection gap scores"[^>]*>', html)
    assert figure and 'src="data:image/svg+xml;base64,' in figure.group(0)
    body = html[html.index('<article class="notebook'):]
    assert "<script" not in body and "<style" not in body and " style=" not in body
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "a resource of another host"
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    index = planner.get("/gaps/notebooks/?lang=en").get_data(as_text=True)
    assert re.search(r"executed on <time", index)
    nb = json.loads(planner.get("/gaps/notebooks/protection_gaps.ipynb").get_data(as_text=True))
    assert nb["metadata"]["tasharuk_executed_at"]
    assert any(o.get("data", {}).get("text/html") for c in nb["cells"]
               for o in c.get("outputs", []))
    arabic = planner.get("/gaps/notebooks/protection_gaps?lang=ar").get_data(as_text=True)
    assert "نُفِّذ في" in arabic
    model = planner.get("/gaps/notebooks/acceptance_model?lang=en").get_data(as_text=True)
    assert "the site has 0 decided referrals: too few to train on" in model
    assert "ROC AUC" in model and 'class="dataframe"' in model
    unknown = app.test_cli_runner().invoke(args=["notebooks", "run", "nope"])
    assert unknown.exit_code == 2 and "There is no notebook 'nope'" in unknown.output


def test_read_only_engine_refuses_writes(database_url):
    from sqlalchemy.exc import InternalError

    from data.db import read_only_engine

    engine = read_only_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(text("admin_area"))).scalar() >= 0
        with pytest.raises(InternalError, match="read-only transaction"):
            conn.execute(text("CREATE TABLE notebook_wrote_here (x int)"))
    engine.dispose()


def test_sanitised_notebook_html_keeps_tables_and_inline_figures_only():
    from planning.notebook_run import sanitise

    dirty = ('<div class="jp-Cell"><style scoped>.x{}</style><table class="dataframe" '
             'style="color:red"><tr><th>a</th></tr></table>'
             '<script src="https://cdn.example.org/require.js"></script>'
             '<img alt="f" src="data:image/png;base64,AAAA"><img alt="g" '
             'src="https://example.org/x.png"><a href="https://example.org">out</a>'
             '<a href="#part-2">in</a></div>')
    clean = sanitise(dirty)
    assert '<table class="dataframe"><tbody><tr><th>a</th></tr></tbody></table>' in clean
    assert "<script" not in clean and "<style" not in clean and "style=" not in clean
    assert 'src="data:image/png;base64,AAAA"' in clean and "example.org" not in clean
    assert '<a href="#part-2"' in clean
