"""Confidential sites (issue 23): only the front gate is ever shown or ranked; the exact place
is sealed, released to the referring caseworker only once the referral is accepted, audited;
and a sweep of every route of the URL map finds the exact place nowhere."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from geoalchemy2.shape import from_shape, to_shape
from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import select, text

from tests.kits.directory import P, add_areas
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401

EXACT = (36.61357, 35.97531)  # lon, lat: the shelter (inside the kit's Idleb centre box)
GATE = (36.70, 35.90)  # the meeting point
NEAR = (36.6121, 35.9771)  # a person searching some 250 m from the shelter
MARK_EN = "SAFEHOUSE-7QX lane"
MARK_AR = "ملجأ-سري-سبعة"
# what would betray the place: its coordinates to the metre, or to ~10 m as a pair (single
# four-decimal numbers occur among the boundaries' vertices), its address, its WKB
BETRAYALS = ("36.61357", "35.97531", MARK_EN, MARK_AR, json.dumps(MARK_AR)[1:-1],
             wkb.dumps(Point(*EXACT), hex=True, srid=4326), wkb.dumps(Point(*EXACT), hex=True))
PAIRS = (re.compile(r"36\.613[56]\d*\D{1,16}35\.975[23]"),
         re.compile(r"35\.975[23]\d*\D{1,16}36\.613[56]"))


def confidential_site(gate=None, **kw) -> dict:
    site = {"lon": EXACT[0], "lat": EXACT[1], "name_en": "Safe space", "name_ar": "مساحة آمنة",
            "address_en": MARK_EN, "address_ar": MARK_AR, "confidential": True,
            "front_gate": {"lon": GATE[0], "lat": GATE[1], "address_en": "Municipal park gate",
                           "address_ar": "باب الحديقة العامة"} if gate is None else gate}
    site.update(kw)
    return site


@pytest.fixture
def owner(session, make, world):
    """The receiving organisation's admin, signed in (the kit's world; Idleb areas added)."""
    add_areas(session)
    return world.users[("receiver", "org_admin")]


def _put_sites(client, login, owner, service_id, sites):
    login(owner)
    return client.patch(f"/api/v1/services/{service_id}?lang=en", json={"sites": sites})


def test_the_public_columns_hold_the_gate_and_the_place_is_sealed(client, login, session, owner,
                                                                   world, app):
    from data.models import ServiceSite
    from referral.confidential import site_exact

    resp = _put_sites(client, login, owner, world.service.id, [confidential_site()])
    assert resp.status_code == 200, resp.get_json()
    (site,) = resp.get_json()["sites"]
    assert (site["lon"], site["lat"]) == GATE and site["confidential"] is True
    assert site["front_gate"] == "meeting_point" and site["address_en"] == "Municipal park gate"
    assert "exact" not in site
    row = session.scalar(select(ServiceSite).where(ServiceSite.service_id == world.service.id))
    assert to_shape(row.geom).coords[0] == GATE and row.admin3_pcode.startswith("SY07")
    assert MARK_EN.encode() not in row.exact_enc and MARK_EN not in row.address_en
    with app.test_request_context():
        exact = site_exact(row)
    assert (exact["lon"], exact["lat"], exact["address_en"]) == (*EXACT, MARK_EN)
    found = [f"{t}.{c}" for t, c in session.execute(text("""
        SELECT c.relname, a.attname FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm') AND a.attnum > 0
          AND NOT a.attisdropped AND a.atttypid IN ('text'::regtype, 'varchar'::regtype,
              'jsonb'::regtype, 'json'::regtype, 'tsvector'::regtype)""")).all()
        if session.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{t}" WHERE "{c}"::text '
                                'ILIKE :m)'), {"m": "%SAFEHOUSE-7QX%"}).scalar()]
    assert found == []
    near = session.scalar(text("SELECT count(*) FROM service_site WHERE ST_DWithin("
                               "geom::geography, ST_MakePoint(:x, :y)::geography, 500)"),
                          {"x": EXACT[0], "y": EXACT[1]})
    assert near == 0  # no stored point, search row included, sits at the shelter


@pytest.mark.parametrize(("gate", "message"), [
    (None, "needs a front gate"), ("", "needs a front gate"), ({}, "needs a front gate"),
    ("nearby", "must be"), ({"lon": EXACT[0], "lat": EXACT[1]}, "must not be the site"),
    ({"lon": 50.0, "lat": 35.0}, "outside Syria")])
def test_a_confidential_site_without_a_usable_gate_is_refused_naming_the_field(
        client, login, session, owner, world, gate, message):
    from data.models import ServiceSite

    site = confidential_site()
    if gate is None:
        del site["front_gate"]
    else:
        site["front_gate"] = gate
    resp = _put_sites(client, login, owner, world.service.id, [site])
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["details"]["field"].startswith("sites[0].front_gate") and message in \
        error["message"]
    assert session.scalar(select(ServiceSite.id).where(
        ServiceSite.service_id == world.service.id)) is None  # nothing written


def test_the_subdistrict_gate_is_its_centre_and_name(client, login, session, owner, world):
    from data.models import AdminArea
    from referral.search import check_point

    area = session.get(AdminArea, check_point(session, *EXACT))  # the shelter's
    area.centroid = from_shape(Point(36.65, 35.95), srid=4326)
    session.flush()
    resp = _put_sites(client, login, owner, world.service.id,
                      [confidential_site(gate="subdistrict")])
    (site,) = resp.get_json()["sites"]
    assert (site["lon"], site["lat"]) == (36.65, 35.95) and site["front_gate"] == "subdistrict"
    assert site["address_en"] == area.name_en and site["address_ar"] == area.name_ar
    area.centroid = None
    session.flush()
    resp = _put_sites(client, login, owner, world.service.id,
                      [confidential_site(gate="subdistrict", address_en="other")])
    assert resp.status_code == 400 and "meeting point" in resp.get_json()["error"]["message"]


def test_without_a_data_key_a_confidential_site_is_refused(client, login, owner, world, app,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS", "")
    resp = _put_sites(client, login, owner, world.service.id, [confidential_site()])
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "sites[0].confidential"


def test_saving_the_same_sites_again_writes_nothing(client, login, session, owner, world):
    from data.models import AuditLog

    _put_sites(client, login, owner, world.service.id, [confidential_site()])
    before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    resp = client.patch(f"/api/v1/services/{world.service.id}",
                        json={"sites": [confidential_site()]})
    assert resp.status_code == 200
    assert session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) == before


def test_distance_ranking_uses_the_gate(client, login, owner, world):
    from referral.search import parse_query

    _put_sites(client, login, owner, world.service.id, [confidential_site()])
    assert parse_query  # the search is the public API's
    body = client.get(f"/api/v1/services?need=prot_pss&lon={EXACT[0]}&lat={EXACT[1]}"
                      "&radius_m=50000").get_json()
    (item,) = [i for i in body["items"] if i["id"] == world.service.id]
    # ~10.7 km from the shelter to the gate: the distance is the gate's, never ~0
    assert 10_000 < item["distance_m"] < 11_500
    assert (item["site"]["lon"], item["site"]["lat"]) == GATE


def test_the_owner_edits_its_sites_through_the_form(client, login, session, owner, world):
    from data.models import ServiceSite

    url = f"/directory/services/{world.service.id}/edit"
    login(owner)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    form = {"service_type_code": "prot_pss", "name_en": "PSS", "name_ar": "دعم",
            "sex": "any", "availability": "open", "modality": "static", "cost": "free",
            "referral_method": "platform", "coverage_more": "SY07", "languages": "ar"}
    bad = client.post(url + "?lang=en", data={
        **form, "sites": f"{EXACT[1]}, {EXACT[0]} | Safe space | {MARK_EN} | confidential"})
    assert bad.status_code == 400 and "needs a front gate" in bad.get_data(as_text=True)
    ok = client.post(url, data={**form, "sites": f"{EXACT[1]}, {EXACT[0]} | مساحة آمنة | "
                                f"{MARK_AR} | سري | {GATE[1]}, {GATE[0]} | باب الحديقة"})
    assert ok.status_code == 302, ok.get_data(as_text=True)
    row = session.scalar(select(ServiceSite).where(ServiceSite.service_id == world.service.id))
    assert row.confidential and to_shape(row.geom).coords[0] == GATE
    assert row.address_ar == "باب الحديقة"
    page = client.get(url).get_data(as_text=True)  # the owner's form: the exact place
    assert MARK_AR in page and f"{EXACT[1]}, {EXACT[0]}" in page and "| confidential |" in page
    assert "sites-help" in page


# ---------------------------------------------------------------- the release and the sweep

def _bodies(resp) -> str:
    """The response as text: a zip's (HSDS, XLSX) members unpacked and joined."""
    data = resp.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


FILL = {"service_id": "service", "organization_id": "receiver", "org_id": "receiver",
        "referral_id": "referral", "level": 3, "kind": None, "fmt": None}
SKIP = {"static", "directory.static", "main.leaflet_asset", "main.set_language", "ops.metrics"}
EXTRA = ["/directory/?need=prot_pss&lon={x}&lat={y}", "/directory/?pcode=SY070000",
         "/api/v1/services?need=prot_pss&lon={x}&lat={y}&radius_m=50000",
         "/api/v1/services?pcode=SY070000&per_page=100",
         "/referrals/new?service_id={service}", "/referrals/bundle?needs=prot_pss&pcode=SY07",
         "/gaps/map?level=3", "/gaps/?level=3", "/gaps/export.csv?level=3",
         "/partners/network", "/exchange/download/geojson", "/exchange/download/hsds",
         "/exchange/download/hsds31", "/api/v1/exports/hsds?version=3.1",
         "/exchange/download/4w.csv", "/exchange/download/4w.xlsx", "/gaps/export.xlsx"]


def _urls(app, ids: dict) -> list[str]:
    """Every GET route of the URL map with our rows' ids filled in, and the searches."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        values = {}
        for arg in rule.arguments:
            fill = FILL.get(arg, 999999)
            values[arg] = ids[fill] if isinstance(fill, str) else (fill or "x")
        if rule.endpoint.startswith("exchange.download") or rule.endpoint == "gaps.export":
            continue  # in EXTRA, once per format
        with app.test_request_context():
            from flask import url_for

            out.append(url_for(rule.endpoint, **values))
    out += [u.format(x=NEAR[0], y=NEAR[1], **ids) for u in EXTRA]
    return sorted(set(out))


def _leaks(client, urls, marks=BETRAYALS) -> dict[str, list[str]]:
    """The urls whose answer holds any of ``marks``, with the marks found."""
    found = {}
    for url in urls:
        resp = client.get(url)
        try:
            body = _bodies(resp)
        finally:
            resp.close()  # exports are streamed from their file
        hits = [b for b in marks if b in body]
        if marks is BETRAYALS:
            hits += [m[0] for p in PAIRS for m in [p.search(body)] if m]
        if hits:
            found[url] = hits
    return found


def test_the_exact_place_is_nowhere_but_in_the_accepted_referral_of_its_caseworker(
        app, client, login, session, owner, world):
    from data.models import AuditLog

    assert _put_sites(client, login, owner, world.service.id,
                      [confidential_site()]).status_code == 200
    referral = new_referral(session, world, status="sent")
    ids = {"service": world.service.id, "receiver": world.receiver_org.id,
           "referral": referral.id}
    urls = _urls(app, ids)
    assert len(urls) > 60 and any("exports/hsds" in u for u in urls)
    sender = world.users[("sender", "caseworker")]
    callers = {"anonymous": None, "other caseworker": world.users[("other", "caseworker")],
               "other org admin": world.users[("other", "org_admin")],
               "other planner": world.users[("other", "planner")],
               "sender before acceptance": sender}

    def sweep() -> dict:
        leaks = {}
        for who, user in callers.items():
            c = app.test_client()
            if user is not None:
                login(user, c)
            found = _leaks(c, urls)
            if found:
                leaks[who] = found
        return leaks

    assert sweep() == {}
    # the sweep reaches the routes that show places: the gate is in each of them
    gate_shown = _leaks(login(world.users[("other", "caseworker")], app.test_client()), urls,
                        marks=("Municipal park gate", "باب الحديقة العامة", "[36.7, 35.9]"))
    assert {f"/directory/services/{world.service.id}", f"/api/v1/services/{world.service.id}",
            "/api/v1/exports/geojson", "/api/v1/exports/hsds", "/exchange/download/hsds",
            "/api/v1/exports/hsds?version=3.1", "/exchange/download/hsds31",
            "/api/v1/services?need=prot_pss&lon={}&lat={}&radius_m=50000".format(*NEAR),
            } <= set(gate_shown), sorted(gate_shown)
    assert session.scalar(select(AuditLog.id).where(
        AuditLog.action == "site.exact_released")) is None

    from referral.lifecycle import transition

    transition(session, referral.id, world.users[("receiver", "caseworker")], "accept",
               version=referral.version)
    session.flush()
    del callers["sender before acceptance"]
    callers["sender's colleague"] = world.users[("sender", "org_admin")]  # not its caseworker
    assert sweep() == {}
    c = login(sender, app.test_client())
    page = c.get(f"/referrals/{referral.id}?lang=en").get_data(as_text=True)
    assert MARK_EN in page and "35.97531, 36.61357" in page and "Confidential address" in page
    api = c.get(f"/api/v1/referrals/{referral.id}").get_json()
    (released,) = api["confidential_sites"]
    assert (released["lon"], released["lat"], released["address_en"]) == (*EXACT, MARK_EN)
    rows = session.execute(select(AuditLog.user_id, AuditLog.object_type, AuditLog.summary)
                           .where(AuditLog.action == "site.exact_released")).all()
    assert len(rows) == 2 and {r.user_id for r in rows} == {sender.id}
    assert all(r.object_type == "service_site" and r.summary["referral_id"] == referral.id
               for r in rows)
    # the rest of the sender's own pages still show only the gate
    assert _leaks(c, [u for u in urls if f"referrals/{referral.id}" not in u]) == {}


def test_a_closed_referral_releases_the_place_no_more(app, client, login, session, owner, world):
    assert P  # the kit's person
    _put_sites(client, login, owner, world.service.id, [confidential_site()])
    referral = new_referral(session, world, status="completed")
    c = login(world.users[("sender", "caseworker")], app.test_client())
    assert c.get(f"/api/v1/referrals/{referral.id}").get_json()["confidential_sites"] == []
