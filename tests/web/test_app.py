"""The app shell: home page in Arabic and English, errors, the deny-by-default layer."""

from __future__ import annotations

import urllib.request

import pytest
from flask import Blueprint


def test_home_page_is_arabic_rtl_with_governorates(client, make):
    org = make.org(name_ar="جمعية الأمل", hq_pcode="SY07")
    make.service(organization=org, coverage=["SY07"])
    make.service(organization=org, coverage=["SY02"])
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "إدلب" in html and "حلب" in html
    assert "الخدمات حسب المحافظة" in html


def test_home_counts_services_per_governorate(session, make):
    from network.overview import governorate_summary

    a = make.org()
    make.service(organization=a, coverage=["SY07"])
    make.service(organization=a, coverage=["SY07"], status="inactive")
    b = make.org()
    make.service(organization=b, coverage=["SY02", "SY07"])
    rows = {r.pcode: r for r in governorate_summary(session)}
    assert len(rows) == 14
    assert (rows["SY07"].organizations, rows["SY07"].services) == (2, 2)
    assert (rows["SY02"].organizations, rows["SY02"].services) == (1, 1)
    assert (rows["SY14"].organizations, rows["SY14"].services) == (0, 0)


def test_english_is_one_click_away(client):
    page = client.get("/lang/en?next=/", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert 'dir="ltr"' in html and 'lang="en"' in html
    assert "Services by governorate" in html and "Idleb" in html
    # the choice is remembered
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_open_redirects(client):
    resp = client.get("/lang/en?next=//evil.example.org/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_api_errors_use_the_json_envelope(client):
    resp = client.get("/api/v1/areas?level=9")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"]["code"] == "bad_input"
    assert body["error"]["details"]["field"] == "level"
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert set(missing.get_json()["error"]) == {"code", "message", "details"}


def test_api_lists_areas_and_taxonomy(client):
    areas = client.get("/api/v1/areas?level=1").get_json()
    assert areas["total"] == 14
    assert {"pcode": "SY07", "level": 1, "parent": None, "name_ar": "إدلب",
            "name_en": "Idleb"} in areas["items"]
    tax = client.get("/api/v1/taxonomy").get_json()
    gbv = next(t for t in tax["service_types"] if t["code"] == "gbv_case_management")
    assert gbv["sensitive"] is True and "GBV600" in gbv["activity_codes"]


def test_undeclared_route_is_closed_to_everyone(database_url, connection, make, login):
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t"})
    bp = Blueprint("undeclared_probe", __name__)

    @bp.get("/__probe")
    def probe():
        return "open"

    fresh.register_blueprint(bp)
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    client = fresh.test_client()
    assert client.get("/__probe").status_code == 403
    login(make.user("platform_admin"), client)
    assert client.get("/__probe").status_code == 403


@pytest.mark.parametrize("roles", [(), ("superuser",)])
def test_allow_rejects_unknown_roles(roles):
    from web.security import allow

    with pytest.raises(ValueError, match="allow\\(\\) takes roles"):
        allow(*roles)


def test_pages_are_served_over_real_http(live_server):
    with urllib.request.urlopen(live_server + "/healthz", timeout=5) as resp:
        assert resp.status == 200
        assert b'"ok"' in resp.read()
    with urllib.request.urlopen(live_server + "/", timeout=5) as resp:
        html = resp.read().decode()
    assert "تشارك" in html and "SY14" in html
    assert "http://" not in html.split("<body")[0].replace(live_server, "")  # no CDN in <head>


def test_leaflet_is_served_by_the_app(client):
    with client.get("/vendor/leaflet/leaflet.js") as js:
        assert js.status_code == 200 and b"Leaflet" in js.data[:2000]
    with client.get("/vendor/leaflet/leaflet.css") as css:
        assert css.status_code == 200 and b".leaflet-container" in css.data


def test_bootstrap_prepares_everything_once(runner, session):
    from sqlalchemy import func, select, text

    from data.models import Organization

    session.execute(text("DELETE FROM organization"))
    first = runner.invoke(args=["bootstrap", "--demo-orgs", "3", "--seed", "5"])
    assert first.exit_code == 0, first.output
    assert "database at head" in first.output
    assert session.scalar(select(func.count()).select_from(Organization)) == 3
    # the demo writes the texts data.searchtext would: nothing for the command to rebuild
    rebuilt = runner.invoke(args=["directory", "refresh-search-text"])
    assert "texts rebuilt: organisations 0, services 0" in rebuilt.output
    again = runner.invoke(args=["bootstrap", "--demo-orgs", "3"])
    assert again.exit_code == 0 and "demo data not loaded" in again.output
    assert session.scalar(select(func.count()).select_from(Organization)) == 3
    bad = runner.invoke(args=["bootstrap", "--demo-orgs", "-1"])
    assert bad.exit_code == 2


def test_bootstrap_computes_the_first_gap_figures_once(runner, session):
    """Before any gap recomputation, bootstrap runs one (a succeeded job and its snapshot's
    files), so the gap pages never compute on request until the first nightly run; once
    one exists it runs none."""
    from sqlalchemy import text

    from planning.gapcache import snapshot

    session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'gaps.recompute'"))
    assert snapshot(session) is None
    first = runner.invoke(args=["bootstrap", "--demo-orgs", "0"])
    assert first.exit_code == 0, first.output
    assert "gap figures computed" in first.output
    assert snapshot(session) is not None
    again = runner.invoke(args=["bootstrap", "--demo-orgs", "0"])
    assert again.exit_code == 0 and "gap figures computed" not in again.output
    assert session.scalars(text("SELECT status::text FROM procrastinate_jobs WHERE "
                                "task_name = 'gaps.recompute'")).all() == ["succeeded"]
