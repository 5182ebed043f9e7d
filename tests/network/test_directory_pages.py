"""Directory pages: Arabic first, work without JavaScript, small, sensitive addresses hidden,
service forms with errors next to the field, and the stale-listing reminder."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pytest

from tests.kits.directory import P, build, east

PT = f"lon={P[0]}&lat={P[1]}"


@pytest.fixture
def world(session, make):
    return build(make, session)


def html(resp) -> str:
    return resp.get_data(as_text=True)


def test_search_page_is_arabic_and_lists_results_without_javascript(client, world):
    resp = client.get(f"/directory/?need=prot_pss&{PT}")
    page = html(resp)
    assert resp.status_code == 200
    assert 'dir="rtl"' in page and "البحث عن الخدمات" in page
    assert "5 خدمات" in page  # Arabic plural
    # results are plain HTML links, in rank order, with Arabic reasons
    order = [int(m) for m in re.findall(r'href="/directory/services/(\d+)\?', page)]
    assert order == [world[k] for k in ("A", "C", "B", "H", "D")]
    assert "أقرب موقع على بعد 1.0 كم" in page and "يغطي منطقة الشخص" in page
    data = json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>',
                                page, re.S).group(1))
    assert {round(p["lat"], 3) for p in data["points"]} == {round(P[1], 3)}
    assert data["areas"][0]["properties"]["pcode"] == "SY070000"  # the outline, no tiles
    assert data["tiles"] == ""


def test_search_page_in_english_is_one_click_away(client, world):
    page = html(client.get(f"/directory/?need=prot_pss&{PT}&lang=en"))
    assert 'dir="ltr"' in page and "5 services found" in page and "Nearest site 1.0 km" in page


@pytest.mark.parametrize(("lang", "point", "place", "mobile"), [
    ("ar", "على بعد كيلومتر واحد", "على بعد 5 كيلومترات من مركز {}", "فريق متنقل"),
    ("en", "1 kilometre away", "5 kilometres from the centre of {}", "Mobile team"),
])
def test_result_cards_show_modality_and_distance_in_words(client, session, world, lang, point,
                                                          place, mobile):
    """A card says how the service is given and how far it is: from the point, or from the
    searched place's centre for a place search (a mobile team is no longer read as a service
    elsewhere), its noun agreeing with the number."""
    from sqlalchemy import text

    from data.models import AdminArea, Service

    session.execute(text("UPDATE admin_area SET centroid = ST_SetSRID(ST_MakePoint(:lon, :lat),"
                         " 4326) WHERE pcode = 'SY070000'"), {"lon": P[0], "lat": P[1]})
    session.get(Service, world["C"]).modality = "mobile"
    session.flush()
    near = html(client.get(f"/directory/?need=prot_pss&{PT}&lang={lang}"))
    assert point in near
    by_place = html(client.get(f"/directory/?need=prot_pss&pcode=SY070000&lang={lang}"))
    assert place.format(session.get(AdminArea, "SY070000").name(lang)) in by_place
    cards = re.findall(r'<span class="modality">([^<]*)</span>', by_place)
    assert mobile in cards and len(cards) == 3


def test_search_page_weighs_under_150_kb_with_its_assets(client, world):
    page = client.get(f"/directory/?{PT}").data
    total = len(gzip.compress(page))
    for url in re.findall(rb'(?:href|src)="(/[^"]+\.(?:css|js))"', page):
        with client.get(url.decode()) as asset:
            assert asset.status_code == 200
            total += len(gzip.compress(asset.data))
    assert len(page) < 150_000
    assert total < 150_000, total  # compressed, as sent over a slow link


def test_bad_search_input_shows_arabic_message_next_to_the_field(client, world):
    page = html(client.get("/directory/?lat=95&lon=36"))
    assert 'id="lat-error"' in page
    assert "يجب أن يكون خط العرض بين -90 و90." in page
    page = html(client.get("/directory/?age=-4"))
    assert re.search(r'id="age-error">يجب أن يكون العمر بين 0 و120.<', page)
    page = html(client.get("/directory/?lat=35&lon=30"))
    assert 'id="lon-error"' in page and "خارج سوريا" in page


def test_search_errors_are_summarised_at_the_top_and_linked_to_their_field(client, world):
    """A refused search names each wrong field in a summary above the form (announced and
    focused), linked to the field, which is marked invalid; a folded filter in error is
    unfolded."""
    page = html(client.get("/directory/?need=prot_pss&pcode=SY0700&age=-4"))
    summary = page.index('class="error-summary" role="alert"')
    assert summary < page.index('<form method="get" class="search"')
    assert re.search(r'<a href="#age">العمر: يجب أن يكون العمر بين 0 و120.</a>', page)
    assert 'id="age" name="age" inputmode="numeric" value="-4" aria-invalid="true" ' \
        'aria-describedby="age-error"' in page
    assert '<details class="more-filters" open>' in page


def test_results_come_before_the_map_and_the_other_filters_fold(client, world):
    """After a search the need and place stay in view, the other filters fold (saying how many
    are in use), the results come before the map, and their count waits for the live region;
    before any search every filter is open."""
    first = html(client.get("/directory/?lang=en"))
    assert '<details class="more-filters" open>' in first
    assert 'data-text=' not in first
    page = html(client.get(f"/directory/?need=prot_pss&{PT}&age=30&lang=en"))
    assert '<details class="more-filters">' in page and "(2 in use)" in page
    assert page.index('<ol class="hits"') < page.index('id="map"')
    assert '<p id="search-status" class="sr-only" role="status" aria-live="polite" ' \
        'data-text="5 services found">' in page


def test_empty_search_says_it_was_recorded(client, session, world):
    from sqlalchemy import func, select

    from data.models import UnmetSearch

    before = session.scalar(select(func.count()).select_from(UnmetSearch))
    page = html(client.get("/directory/?need=ma_clearance&pcode=SY0703"))
    assert "سُجّل هذا البحث دون أي بيانات شخصية" in page
    assert session.scalar(select(func.count()).select_from(UnmetSearch)) == before + 1


def test_service_page_hides_sensitive_address_from_the_public(client, make, login):
    svc = make.service(service_type_code="gbv_case_management",
                       sites=[(*east(1), None)], hours=[(7, "08:00", "12:00"),
                                                        (7, "13:00", "15:00")])
    svc.sites[0].address_ar = "بناء الزهور الطابق الثاني"
    page = html(client.get(f"/directory/services/{svc.id}"))
    assert "بناء الزهور" not in page and "العنوان يظهر لعاملي الحالة فقط." in page
    assert f"{P[1]:.5f}" not in page
    assert "08:00–12:00" in page and "13:00–15:00" in page  # two periods on Sunday
    assert "الجمعة</th><td>مغلق" in page  # Friday: weekend
    login(make.user("caseworker"))
    page = html(client.get(f"/directory/services/{svc.id}"))
    assert "بناء الزهور" in page and f"{P[1]:.5f}" in page


def test_organization_page_shows_badge_services_and_stale(client, world, session):
    from data.models import Service

    d = session.get(Service, world["D"])
    page = html(client.get(f"/directory/organizations/{d.organization_id}"))
    assert "موثّقة" in page and "قديمة" in page
    assert f"/directory/services/{world['D']}" in page
    assert client.get("/directory/organizations/999999").status_code == 404


FORM = {
    "service_type_code": "prot_legal", "name_ar": "مساعدة قانونية", "name_en": "Legal aid",
    "target_groups": ["idps", "women"], "min_age": "18", "max_age": "", "sex": "any",
    "availability": "open", "languages": "ar, ku", "modality": "static", "cost": "free",
    "referral_method": "platform", "coverage_govs": ["SY07"], "coverage_more": "",
    "sites": f"{P[1]}, {P[0]} | مركز إدلب | الشارع الرئيسي",
    "hours_7": "08:00-12:00, 13:00-15:00", "hours_1": "08:00-14:00", "last_verified": "",
}


def test_org_admin_adds_a_service_through_the_form(client, make, login, session):
    from data.models import Service

    org = make.org()
    login(make.user("org_admin", org))
    assert client.get(f"/directory/organizations/{org.id}/services/new").status_code == 200
    resp = client.post(f"/directory/organizations/{org.id}/services/new", data=FORM)
    assert resp.status_code == 302, html(resp)
    svc = session.scalars(Service.__table__.select().with_only_columns(Service.id).where(
        Service.organization_id == org.id)).one()
    s = session.get(Service, svc)
    session.refresh(s)
    assert [(h.weekday, h.opens.isoformat("minutes")) for h in s.hours] == \
        [(1, "08:00"), (7, "08:00"), (7, "13:00")]
    assert s.languages == ["ar", "ku"] and s.min_age == 18
    assert s.sites[0].address_ar == "الشارع الرئيسي"
    edit = html(client.get(f"/directory/services/{s.id}/edit"))
    assert "08:00-12:00, 13:00-15:00" in edit


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"min_age": "30", "max_age": "20"}, "max_age",
     "لا يمكن أن يكون الحد الأدنى للعمر أعلى من الحد الأقصى."),
    ({"hours_5": "12:00-08:00"}, "hours_5", "يجب أن ينتهي وقت الإغلاق بعد وقت الفتح"),
    ({"sites": "10, 10"}, "sites", "هذه النقطة خارج سوريا"),
    ({"sites": "somewhere"}, "sites", "اكتب كل موقع هكذا"),
    ({"coverage_more": "SY9999"}, "coverage_more", "رمز منطقة (p-code) غير معروف"),
    ({"service_type_code": ""}, "service_type_code", "اختر نوع الخدمة."),
])
def test_form_errors_are_arabic_and_next_to_the_field(client, make, login, session, change,
                                                      field, message):
    from data.models import Service

    org = make.org()
    login(make.user("org_admin", org))
    resp = client.post(f"/directory/organizations/{org.id}/services/new",
                       data={**FORM, **change})
    page = html(resp)
    assert resp.status_code == 400
    block = re.search(r'<div class="field[^"]*has-error[^"]*">(.*?)</div>', page, re.S)
    assert block and f'id="{field}"' in block.group(1) and message in block.group(1), page
    assert session.scalars(Service.__table__.select().with_only_columns(Service.id).where(
        Service.organization_id == org.id)).all() == []


def test_other_organisations_admin_cannot_edit(client, make, login):
    svc = make.service()
    login(make.user("org_admin", make.org()))
    assert client.get(f"/directory/services/{svc.id}/edit").status_code == 403
    assert client.post(f"/directory/services/{svc.id}/verify").status_code == 403


def test_verify_button_resets_staleness(client, make, login, session):
    svc = make.service(last_verified=dt.date.today() - dt.timedelta(days=300))
    login(make.user("org_admin", svc.organization))
    assert "قديمة" in html(client.get(f"/directory/services/{svc.id}"))
    assert client.post(f"/directory/services/{svc.id}/verify").status_code == 302
    session.refresh(svc)
    assert svc.last_verified == dt.date.today()


def test_remind_stale_notifies_org_admins_once_a_week(runner, make, session, smtp_server):
    from sqlalchemy import select

    from data.models import Notification

    stale = make.service(last_verified=dt.date.today() - dt.timedelta(days=300))  # 180-day cadence
    make.service(organization=stale.organization)  # a fresh one is not counted
    admin = make.user("org_admin", stale.organization)
    make.user("caseworker", stale.organization)  # not an admin: not notified
    fresh_org_admin = make.user("org_admin", make.service().organization)
    result = runner.invoke(args=["directory", "remind-stale"])
    assert result.exit_code == 0, result.output
    assert "people notified: 1" in result.output
    notes = session.scalars(select(Notification).where(
        Notification.kind == "directory_stale")).all()
    assert [n.user_id for n in notes] == [admin.id]
    assert "تأخرت مراجعة خدمة واحدة لدى منظمتكم عن الموعد الذي حددتموه." in notes[0].text_ar
    assert "has 1 service overdue for review" in notes[0].text_en
    assert notes[0].link == f"/directory/organizations/{stale.organization_id}"
    mails = smtp_server.wait_for(1)
    assert mails and mails[0]["To"] == admin.email
    assert fresh_org_admin.id not in [n.user_id for n in notes]
    again = runner.invoke(args=["directory", "remind-stale"])
    assert "people notified: 0" in again.output


def test_directory_catalog_translates_every_message():
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(__file__).resolve().parents[2] / "web/directory/translations/ar/LC_MESSAGES"
    with (po / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []


def test_refer_link_appears_when_the_referrals_blueprint_exists(database_url, connection, make,
                                                                login):
    from flask import Blueprint
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from web.security import PUBLIC, allow

    svc = make.service()
    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t"})
    plain = fresh.test_client()
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    referrals = Blueprint("referrals", __name__)

    @referrals.get("/referrals/new")
    @allow(PUBLIC)
    def new():
        return "form"

    if "referrals.new" not in fresh.view_functions:  # a stand-in until referrals is merged
        fresh.register_blueprint(referrals)
    with fresh.test_request_context():
        from flask import url_for

        refer = url_for("referrals.new", service_id=svc.id, needs=[svc.service_type_code])
    login(make.user("caseworker"), plain)
    page = html(plain.get(f"/directory/services/{svc.id}"))
    assert f'href="{refer}"' in page.replace("&amp;", "&")
    assert "إحالة شخص إلى هذه الخدمة" in page


def test_the_public_sees_no_refer_link(client, make, app):
    from web.security import PUBLIC, allowed_roles

    svc = make.service()
    with app.test_request_context():
        roles = allowed_roles("referrals.new", app)
    if roles is None or PUBLIC in roles:
        pytest.skip("the referrals form is not installed, or is public")
    assert "/referrals/new" not in html(client.get(f"/directory/services/{svc.id}"))


@pytest.mark.shared_data
def test_search_page_resolves_a_place_name(client, world, boundaries):
    page = html(client.get("/directory/?need=prot_pss&pcode=مركز إدلب"))
    assert "SY070000" in page and f"/directory/services/{world['A']}" in page
