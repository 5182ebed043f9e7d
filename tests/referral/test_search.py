"""Provider search: filters and combinations on a known data set, matching, ranking, redaction,
the unmet-need log, the index in use, and bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from tests.kits.directory import P, build, east

PT = {"lon": P[0], "lat": P[1]}


@pytest.fixture
def world(session, make):
    return build(make, session)


def run(session, world, viewer=None, **args):
    from referral.search import Viewer, parse_query, search

    result = search(session, parse_query(session, MultiDict(args)), viewer or Viewer())
    names = {v: k for k, v in world.items()}
    return [names.get(i["id"], i["id"]) for i in result.items], result


# Expected orders follow matching.ranking's documented score on the data set in
# tests/kits/directory.py (A 1 km with a site in the person's sub-district, B covers the
# sub-district without a site, C 5 km waiting list, D 3 km stale, E another need, F 60 km,
# G sensitive GBV for women 18-59, H full, women 18+, Kurdish, sub-district of Ariha).
CASES = [
    ("point, one need", dict(need="prot_pss", **PT), ["A", "C", "B", "H", "D"]),
    ("point, any need", dict(**PT), ["A", "G", "C", "B", "E", "H", "D"]),
    ("sector covers its types", dict(need="gbv", **PT), ["G"]),
    ("need in English words", dict(need="psychosocial", **PT), ["A", "C", "B", "H", "D"]),
    ("need in Arabic words", dict(need="دعم نفسي", **PT), ["A", "C", "B", "H", "D"]),
    ("radius excludes far sites", dict(need="prot_pss", radius_m=2000, **PT),
     ["A", "C", "B"]),
    ("wide radius reaches 60 km", dict(need="prot_pss", radius_m=100000, **PT),
     ["A", "C", "B", "F", "H", "D"]),  # F: far but open; H: near but full
    ("age 10 excludes adult-only", dict(need="prot_pss", age=10, **PT), ["A", "C", "B", "D"]),
    ("male excludes women-only", dict(sex="male", **PT), ["A", "C", "B", "E", "D"]),
    ("female keeps women-only", dict(sex="female", age=30, **PT),
     ["A", "G", "C", "B", "E", "H", "D"]),
    ("group idps: targeted first", dict(need="prot_pss", group="idps", **PT),
     ["A", "C", "B", "H", "D"]),
    ("group children: open-to-all only", dict(need="prot_pss", group="children", **PT),
     ["A", "B", "D"]),
    ("language ku", dict(language="ku", **PT), ["H"]),
    ("available open", dict(need="prot_pss", available="open", **PT), ["A", "B", "D"]),
    ("available open,waitlist", dict(need="prot_pss", available="open,waitlist", **PT),
     ["A", "C", "B", "D"]),
    ("p-code of the sub-district", dict(need="prot_pss", pcode="SY070000"), ["A", "B", "C"]),
    ("p-code of the district", dict(need="prot_pss", pcode="SY0703"), ["C", "H"]),
    ("p-code of the governorate", dict(need="prot_pss", pcode="SY07"), ["A", "C", "B", "H"]),
    ("keyword in English, any case", dict(q="ATAA"), ["C"]),
    ("keyword, transliteration variant", dict(q="ataa relief"), ["C"]),
    ("keyword in Arabic, taa marbuta folded", dict(q="جمعيه الامل"), ["G", "H"]),
    ("keyword and need", dict(q="جمعية الأمل", need="prot_pss"), ["H"]),
    ("everything combined", dict(need="prot_pss", group="women", age=30, sex="female",
                                 language="ar", available="open,full", q="amal",
                                 radius_m=10000, **PT), ["H"]),
]


@pytest.mark.parametrize(("label", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filters_and_combinations(session, world, label, args, expected):
    ids, _ = run(session, world, **args)
    assert ids == expected


def test_coverage_without_a_site_qualifies_and_distance_orders_the_rest(session, world):
    ids, result = run(session, world, need="prot_pss", radius_m=2000, **PT)
    by = {i: item for i, item in zip(ids, result.items, strict=True)}
    assert "B" in ids and by["B"]["distance_m"] is None  # no site at all, but covers the area
    assert by["B"]["reasons"][0]["code"] == "covers_area"
    assert "D" not in ids  # 3 km away, outside 2 km, and covers nothing here
    # A (1 km, a site in the person's sub-district) beats B (covers it, no site)
    assert ids.index("A") < ids.index("B")
    assert by["A"]["distance_m"] == pytest.approx(1000, rel=0.01)


def test_stale_listing_ranks_below_an_identical_fresh_one(session, make):
    from referral.search import Viewer, parse_query, search

    today = dt.date.today()
    fresh = make.service(sites=[east(3)], coverage=["SY02"], target_groups=[])
    stale = make.service(sites=[east(3)], coverage=["SY02"], target_groups=[],
                         last_verified=today - dt.timedelta(days=226))  # 180 + 45 grace
    res = search(session, parse_query(session, MultiDict({"need": "prot_pss", **PT})),
                 Viewer())
    items = {i["id"]: i for i in res.items}
    assert [i["id"] for i in res.items] == [fresh.id, stale.id]
    assert items[stale.id]["stale"] and not items[fresh.id]["stale"]
    assert items[stale.id]["score"] < items[fresh.id]["score"]
    assert "stale" in [r["code"] for r in items[stale.id]["reasons"]]
    assert any("متأخرة المراجعة" in r["ar"] for r in items[stale.id]["reasons"])


@pytest.mark.parametrize(("who", "sees"), [
    ("public", False), ("viewer", False), ("planner", False), ("caseworker", True),
    ("platform_admin", True), ("own_org", True), ("other_org_admin", False)])
def test_sensitive_site_hidden_from_those_who_may_not_see_it(session, world, who, sees):
    from data.models import Service
    from referral.search import Viewer

    g = session.get(Service, world["G"])
    viewer = {"public": Viewer(), "viewer": Viewer("viewer", 999),
              "planner": Viewer("planner", 999), "caseworker": Viewer("caseworker", 999),
              "platform_admin": Viewer("platform_admin"),
              "own_org": Viewer("viewer", g.organization_id),
              "other_org_admin": Viewer("org_admin", 999)}[who]
    ids, result = run(session, world, viewer=viewer, need="gbv_case_management", **PT)
    site = result.items[0]["site"]
    assert site["hidden"] is (not sees)
    assert (site["lat"] is not None) is sees and (site["lon"] is not None) is sees
    if not sees:
        assert site["address_ar"] is None and result.items[0]["distance_m"] % 1000 == 0


def _centre_at_p(session) -> None:
    """The sub-district SY070000's centre at the person's point P."""
    session.execute(text("UPDATE admin_area SET centroid = ST_SetSRID(ST_MakePoint(:lon, :lat),"
                         " 4326) WHERE pcode = 'SY070000'"), {"lon": P[0], "lat": P[1]})


@pytest.mark.parametrize(("viewer_role", "g_metres"), [(None, 2000), ("caseworker", 1500)])
def test_place_search_gives_the_distance_from_the_place_s_centre(session, world, viewer_role,
                                                                  g_metres):
    """Searched by place name or p-code (no point), each result still says how far its nearest
    site is from the place's centre (a hidden site's up to the kilometre); a service without a
    site has none, and a point search keeps ``distance_m``."""
    from referral.search import Viewer

    _centre_at_p(session)
    viewer = Viewer(viewer_role, 999) if viewer_role else Viewer()
    ids, result = run(session, world, viewer=viewer, pcode="SY070000")
    by = {i: item for i, item in zip(ids, result.items, strict=True)}
    assert by["A"]["area_distance_m"] == pytest.approx(1000, rel=0.01)
    assert by["C"]["area_distance_m"] == pytest.approx(5000, rel=0.01)
    assert by["B"]["area_distance_m"] is None  # covers the area, no site
    assert by["G"]["area_distance_m"] == pytest.approx(g_metres, rel=0.01)
    assert all(item["distance_m"] is None for item in result.items)
    _, near = run(session, world, need="prot_pss", **PT)
    assert all(item["area_distance_m"] is None for item in near.items)


def _served(client, **args) -> dict:
    """The API's search (``web.api.services.search_noting_unmet``: the search, then the
    unmet-need record when it finds nothing)."""
    resp = client.get("/api/v1/services", query_string=args)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_unmet_search_is_logged_anonymously(client, session, world):
    from data.models import UnmetSearch

    before = session.scalar(select(text("count(*)")).select_from(UnmetSearch))
    result = _served(client, need="ma_clearance", group="children", age=9, sex="female", **PT)
    assert result["items"] == [] and result["total"] == 0
    rows = session.scalars(select(UnmetSearch).order_by(UnmetSearch.id.desc())).all()
    assert len(rows) == before + 1
    row = rows[0]
    assert (row.service_type_code, row.pcode, row.target_groups, row.age, row.sex) == \
        ("ma_clearance", "SY070000", ["children"], 9, "female")
    assert row.at is not None
    # a search that finds something is not logged
    assert _served(client, need="prot_pss", **PT)["total"]
    assert session.scalar(select(text("count(*)")).select_from(UnmetSearch)) == before + 1


def test_sector_need_is_logged_as_sector(client, session, world):
    from data.models import UnmetSearch

    assert _served(client, need="mine_action", pcode="SY0703")["total"] == 0
    row = session.scalars(select(UnmetSearch).order_by(UnmetSearch.id.desc())).first()
    assert (row.service_type_code, row.sector_code, row.pcode) == (None, "mine_action",
                                                                    "SY0703")


def test_point_search_uses_the_gist_index_not_a_scan(session, make):
    """On a table big enough for the planner to care, KNN walks the composite index."""
    from referral.search import SearchQuery, build_sql

    org = make.org()
    session.execute(text(
        "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, name_en, "
        "last_verified) SELECT gen_random_uuid(), :org, CASE WHEN g % 3 = 0 THEN 'prot_pss' "
        "ELSE 'health_primary' END, 'خدمة', 'svc', current_date "
        "FROM generate_series(1, 3000) g"), {"org": org.id})
    session.execute(text(
        "INSERT INTO service_site (service_id, geom) SELECT id, ST_SetSRID(ST_MakePoint("
        "36 + random() * 5, 33 + random() * 4), 4326) FROM service WHERE organization_id = :o"),
        {"o": org.id})
    session.execute(text("ANALYZE service_site"))
    session.execute(text("ANALYZE service"))
    for types in (["prot_pss"], [], ["prot_pss", "health_primary"]):
        qy = SearchQuery(service_types=types, lon=P[0], lat=P[1])
        sql, params = build_sql(qy)
        plan = "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql), params))
        near = plan.split("CTE cand")[0] if "CTE cand" in plan else plan
        assert "Seq Scan on service_site" not in plan, plan
        assert "ix_service_site_type_geog" in near or "ix_service_site_geog" in near, plan
    type_code = session.scalar(text(
        "SELECT ss.service_type_code FROM service_site ss JOIN service s ON s.id = ss.service_id "
        "WHERE s.organization_id = :o LIMIT 1"), {"o": org.id})
    assert type_code in ("prot_pss", "health_primary")  # kept by the trigger


def test_site_type_follows_the_service_type(session, make):
    svc = make.service(sites=[east(1)])
    svc.service_type_code = "health_mental"
    session.flush()
    code = session.scalar(text("SELECT service_type_code FROM service_site "
                               "WHERE service_id = :s"), {"s": svc.id})
    assert code == "health_mental"


BAD = [
    ({"lat": "95", "lon": "36"}, "lat"),
    ({"lat": "35", "lon": "200"}, "lon"),
    ({"lat": "35", "lon": "30"}, "lon"),
    ({"lat": "40", "lon": "37"}, "lat"),
    ({"lat": "abc", "lon": "37"}, "lat"),
    ({"lat": "35"}, "lon"),
    ({"pcode": "SY99"}, "pcode"),
    ({"pcode": "Atlantis"}, "pcode"),
    ({"need": "teleportation"}, "need"),
    ({"radius_m": "50", **{k: str(v) for k, v in PT.items()}}, "radius_m"),
    ({"radius_m": "500000"}, "radius_m"),
    ({"age": "-3"}, "age"),
    ({"age": "two"}, "age"),
    ({"sex": "other"}, "sex"),
    ({"group": "martians"}, "group"),
    ({"language": "Arabic!"}, "language"),
    ({"available": "maybe"}, "available"),
    ({"page": "0"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("args", "field"), BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_names_the_field(session, args, field):
    from data.errors import BadInput
    from referral.search import parse_query

    with pytest.raises(BadInput) as err:
        parse_query(session, MultiDict(args))
    assert err.value.details["field"] == field


def test_point_outside_the_loaded_boundaries_is_refused(session):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, box

    from data.errors import BadInput
    from data.models import AdminArea
    from referral.search import check_point

    session.execute(text("UPDATE admin_area SET geom = NULL"))
    idleb = session.get(AdminArea, "SY07")
    idleb.geom = from_shape(MultiPolygon([box(36.0, 35.5, 37.0, 36.5)]), srid=4326)
    session.flush()
    assert check_point(session, 36.5, 36.0) == "SY07"
    with pytest.raises(BadInput) as err:
        check_point(session, 41.0, 34.0)  # inside the box, outside every loaded governorate
    assert err.value.details["field"] == "lat"


@pytest.mark.shared_data
def test_real_boundaries_place_points_and_resolve_names(session, boundaries):
    from data.errors import BadInput
    from referral.search import check_point, resolve_area

    assert boundaries[3] == 272
    assert check_point(session, P[0], P[1]) == "SY070000"
    for lon, lat in ((35.8, 33.6), (37.4, 37.1)):  # Lebanon's Bekaa, Gaziantep in Turkey
        with pytest.raises(BadInput, match="Syria"):
            check_point(session, lon, lat)
    assert resolve_area(session, "دانا") == "SY070301"
    assert resolve_area(session, "Dana") == "SY070301"
    assert resolve_area(session, "sy070301") == "SY070301"
    ids_by_name = parse_pcode(session, "إدلب")
    assert ids_by_name == "SY07"


def parse_pcode(session, name):
    from referral.search import parse_query

    return parse_query(session, MultiDict({"pcode": name})).pcode


def test_ranking_is_pure_and_documented():
    from matching.ranking import WEIGHTS, Candidates, rank

    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    c = Candidates(ids=[1, 2, 3], coverage=[2, 0, 0], distance_m=[np.nan, 500.0, 500.0],
                   availability=["open", "open", "full"], capacity=[50, 50, 50],
                   group_match=[1, 1, 1], needs_documents=[False, False, False],
                   days_since_verified=[1, 1, 1])
    ranked = rank(c, point=True, groups_given=False)
    assert ranked.order.tolist() == [0, 1, 2]  # covering the area beats a site 500 m away
    assert ranked.scores[1] > ranked.scores[2]  # open beats full at the same place
    assert all(0 <= s <= 1 for s in ranked.scores)
    assert {r["code"] for r in ranked.reasons(2)} >= {"full", "distance"}


def test_coverage_rows_carry_the_service_type(session, make):
    svc = make.service(coverage=["SY07", "SY02"])
    rows = session.execute(text("SELECT DISTINCT service_type_code FROM service_coverage "
                                "WHERE service_id = :s"), {"s": svc.id}).scalars().all()
    assert rows == ["prot_pss"]
    svc.service_type_code = "health_mental"
    session.flush()
    rows = session.execute(text("SELECT DISTINCT service_type_code FROM service_coverage "
                                "WHERE service_id = :s"), {"s": svc.id}).scalars().all()
    assert rows == ["health_mental"]
