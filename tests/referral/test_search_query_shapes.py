"""Provider search at scale: the query shapes the planner must get right (KNN walk without a
need, the keyword read through the indexes led by the service type), and the radius kept
exactly as ST_DWithin's on the spheroid."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from tests.kits.directory import P, add_areas, east


@pytest.fixture
def dense(session, make):
    """3,000 services, a third of them psychosocial support, all within ~20 km of P."""
    org = make.org()
    session.execute(text(
        "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, name_en, "
        "search_text, last_verified) SELECT gen_random_uuid(), :org, CASE WHEN g % 3 = 0 "
        "THEN 'prot_pss' ELSE 'health_primary' END, 'خدمة', 'svc', CASE WHEN g % 10 = 0 "
        "THEN 'جمعيه البناء binaa' ELSE 'جمعيه النور nour' END, current_date "
        "FROM generate_series(1, 3000) g"), {"org": org.id})
    session.execute(text(
        "INSERT INTO service_site (service_id, geom) SELECT id, ST_SetSRID(ST_MakePoint("
        ":lon + (random() - 0.5) * 0.3, :lat + (random() - 0.5) * 0.3), 4326) FROM service "
        "WHERE organization_id = :o"), {"o": org.id, "lon": P[0], "lat": P[1]})
    for table in ("service_site", "service"):
        session.execute(text(f"ANALYZE {table}"))
    return org


def _plan(session, qy) -> str:
    from referral.search import build_sql

    sql, params = build_sql(qy)
    return "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql), params))


def test_point_search_without_a_need_walks_the_index_in_distance_order(session, dense):
    """At national scale ST_DWithin's selectivity guess on top of the box made the planner
    sort every site in the radius (90 ms; `python -m bench search` shows it); spelled as box
    + distance, it walks the GiST in distance order. This guards the plan's shape."""
    from referral.search import SearchQuery

    plan = _plan(session, SearchQuery(lon=P[0], lat=P[1], radius_m=25_000))
    near = plan.split("CTE cand")[0] if "CTE cand" in plan else plan
    assert "Bitmap Heap Scan on service_site" not in plan, plan
    assert "Index Scan using ix_service_site_geog" in near, plan


@pytest.mark.parametrize(("q", "rare"), [("zaytuna", True), ("binaa", False)])
def test_keyword_without_a_need_near_a_point(session, dense, q, rare):
    """Without a need the KNN walk has no type to narrow it and tests the keyword on each site
    near the point: a rare keyword walked every site of the radius (10-70 ms at national
    scale). With the sites' full-text index (migration 0048) the planner reads a rare
    keyword's sites near the point instead; a common one may still be walked. Either way the
    candidates are the nearest 40 matching sites with their ties, as testing each site gives."""
    from referral.search import SearchQuery, build_sql

    session.execute(text(  # 30 of the dense services also carry a rare word
        "UPDATE service SET search_text = search_text || ' zaytuna' WHERE id IN (SELECT id "
        "FROM service WHERE organization_id = :o ORDER BY id LIMIT 30)"), {"o": dense.id})
    for table in ("service_site", "service"):
        session.execute(text(f"ANALYZE {table}"))
    qy = SearchQuery(lon=P[0], lat=P[1], radius_m=25_000, q=q, tsquery=f"{q}:*")
    plan = _plan(session, qy)
    if rare:
        assert "ix_service_site_search_tsv" in plan, plan
    sql, params = build_sql(qy)
    got = {r[0] for r in session.execute(text(sql), params)}
    pt = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography"
    want = set(session.scalars(text(
        "SELECT ss.service_id FROM service s JOIN service_site ss ON ss.service_id = s.id "
        "WHERE s.search_text LIKE :like AND ST_DWithin(ss.geom::geography, "
        f"{pt}, 25000) ORDER BY ss.geom::geography <-> {pt} FETCH FIRST 40 ROWS WITH TIES"),
        {"like": f"%{q}%", "lon": P[0], "lat": P[1]}))
    assert len(want) == (30 if rare else 40) and got == want


def test_keyword_without_a_need_in_an_area_reads_the_keyword_s_coverage(session, dense):
    """Without a need the services covering the area were read newest first and the keyword
    tested on each: every coverage row of a governorate when few match (588 table pages for
    one area of one search at national scale). With the coverage rows' full-text index
    (migration 0051) a rare keyword's rows are read from it; the candidates are the same:
    every service covering the area whose text has the word."""
    from referral.search import SearchQuery, build_sql

    add_areas(session)
    session.execute(text(
        "INSERT INTO service_coverage (service_id, pcode) SELECT id, 'SY07' FROM service "
        "WHERE organization_id = :o"), {"o": dense.id})
    session.execute(text(  # 30 of them also carry a rare word
        "UPDATE service SET search_text = search_text || ' zaytuna' WHERE id IN (SELECT id "
        "FROM service WHERE organization_id = :o ORDER BY id LIMIT 30)"), {"o": dense.id})
    session.execute(text("ANALYZE service_coverage"))
    qy = SearchQuery(pcode="SY07", q="zaytuna", tsquery="zaytuna:*")
    assert "ix_service_coverage_search_tsv" in _plan(session, qy)
    sql, params = build_sql(qy)
    got = {r[0] for r in session.execute(text(sql), params)}
    want = set(session.scalars(text(
        "SELECT id FROM service WHERE organization_id = :o AND search_text LIKE '%zaytuna%'"),
        {"o": dense.id}))
    assert len(want) == 30 and got == want


@pytest.mark.parametrize("index", ["ix_service_site_search_tsv",
                                   "ix_service_coverage_search_tsv"])
def test_the_keyword_indexes_have_no_pending_list(session, index):
    """GIN's pending list of recent entries is read whole by every search through the index:
    2,723 pending sites made the keyword searches near a point as slow as without the index
    (migration 0049). New and rewritten sites and coverage rows (migration 0051) enter the
    keyword indexes at once."""
    assert session.scalar(text(
        "SELECT coalesce('fastupdate=off' = ANY(reloptions), false) FROM pg_class "
        "WHERE relname = :i"), {"i": index})


COVERING = {  # index -> what the search reads through it besides its key columns
    "ix_service_coverage_type_pcode_sid": "filters and ranked",
    "ix_service_coverage_pcode_sid": "filters and ranked",
    "ix_service_site_admin3_sid": "filters and ranked",
    "ix_service_site_service_id": "geom",
}


@pytest.mark.parametrize("index", sorted(COVERING))
def test_the_area_lists_and_distances_are_read_from_the_index_alone(session, index):
    """The area lists (coverage by type and p-code or by p-code, a sub-district's sites) and
    the distance to a candidate's nearest site read one table page a row when the index lacks
    a column the search filters or ranks by (80 pages for one search's 85 coverage rows;
    migration 0050). Each index carries every column ``filters_sql`` tests and
    ``_RANKED_COLUMNS`` reads, except the keyword's text (keyword searches read the rows),
    so a column added to the filters without its index fails here."""
    import re

    from referral.search import _RANKED_COLUMNS, SearchQuery, filters_sql

    definition = session.scalar(text("SELECT pg_get_indexdef(to_regclass(:i))"), {"i": index})
    assert definition, index
    indexed = set(re.findall(r"\w+", definition.split(" USING ", 1)[1]))
    if COVERING[index] == "geom":
        wanted = {"service_id", "geom"}
    else:
        every = SearchQuery(age=30, sex="female", language="ar", available=["open"],
                            groups=["idps"])
        wanted = set(re.findall(r"\bx\.(\w+)", filters_sql(every, {}, "x")))
        wanted |= set(_RANKED_COLUMNS) - {"group_match"}  # (computed from target_groups)
    assert wanted <= indexed, f"{index} lacks {sorted(wanted - indexed)}: {definition}"


def test_keyword_is_one_exact_full_text_test_per_row(session):
    """The keyword reaches the SQL as its resolved tsquery: no trigram test on the services'
    text (~0.02 ms a row), so it is tested inline by the KNN walk and the coverage lookup, on
    the row each reads (migration 0016_search4)."""
    from referral.search import SearchQuery, build_sql

    for place in ({"lon": P[0], "lat": P[1]}, {"pcode": "SY07"}, {}):
        for types in (["prot_pss"], []):
            sql, params = build_sql(SearchQuery(service_types=types, q="binaa",
                                                tsquery="(binaa:* | bina)", **place))
            # tested on the search rows themselves (sites, coverage, service_search)
            row = {"lon": "ss", "pcode": "sc"}.get(next(iter(place), ""), "v")
            if types:  # the type's indexes find the rows; no keyword index may (_keyword)
                assert f"ts_match_vq({row}.search_tsv, to_tsquery('simple', :tsq))" in sql
                assert "@@" not in sql
            else:
                assert f"{row}.search_tsv @@ to_tsquery('simple', :tsq)" in sql
            assert "<%" not in sql and "search_text" not in sql
            assert params["tsq"] == "(binaa:* | bina)"
    unparsed, params = build_sql(SearchQuery(q="Legal  aid"))  # not resolved: prefixes
    assert params["tsq"] == "legal:* & aid:*"
    nothing, _ = build_sql(SearchQuery(q="!!", tsquery=""))
    assert "AND FALSE" in nothing


def test_the_lexicon_follows_services_inserted_and_updated(session, make):
    """Triggers (migration 0015_search3) keep ``search_word``: a COPY, an INSERT of many
    rows or an UPDATE of one adds the new words of the services' search text."""
    def words(*candidates):
        return set(session.scalars(text("SELECT word FROM search_word WHERE word = ANY(:w)"),
                                   {"w": list(candidates)}))

    svc = make.service(search_text="qudratain clinic")
    assert words("qudratain", "clinic") == {"qudratain", "clinic"}
    svc.search_text = "zawiyat almarkaz"
    session.flush()
    assert words("zawiyat", "almarkaz") == {"zawiyat", "almarkaz"}
    org = make.org()
    session.execute(text(
        "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, name_en, "
        "search_text) SELECT gen_random_uuid(), :org, 'prot_pss', 'خدمة', 'svc', "
        "'kafrnubl' || g FROM generate_series(1, 3) g"), {"org": org.id})
    assert words("kafrnubl1", "kafrnubl2", "kafrnubl3") == {"kafrnubl1", "kafrnubl2",
                                                            "kafrnubl3"}
    # an UPDATE that leaves the text alone reads none of its words
    session.execute(text("DELETE FROM search_word WHERE word = 'zawiyat'"))
    svc.availability = "waitlist"
    session.flush()
    assert words("zawiyat") == set()


TYPOS = [
    ("exact word", "binaa", True),
    ("prefix", "bin", True),
    ("a letter missing", "bnaa", False),  # 'bna' shares too few trigrams with 'binaa'
    ("a letter doubled", "binnaa", True),
    ("transliteration variant", "binaaa", True),
    ("another word", "nour", False),
]


@pytest.mark.parametrize(("label", "q", "found"), TYPOS, ids=[t[0] for t in TYPOS])
def test_keyword_typos_are_found_through_the_lexicon(session, make, label, q, found):
    """``keyword_tsquery`` widens each word to the lexicon's words at least 0.6 similar to it
    (pg_trgm's word similarity), then the services are matched exactly by full text."""
    from referral.search import Viewer, parse_query, search

    svc = make.service(name_en="Binaa centre", search_text="جمعيه البناء binaa centre",
                       sites=[east(1)])
    res = search(session, parse_query(session, MultiDict(
        {"q": q, "need": "prot_pss", "lon": P[0], "lat": P[1]})), Viewer())
    assert (svc.id in [i["id"] for i in res.items]) is found, res.query.tsquery


def test_keyword_tsquery_keeps_each_word_and_its_variants(session, make):
    from referral.search import keyword_tsquery

    make.service(search_text="qabbani almanar")
    tsq = keyword_tsquery(session, "Qabani  Al-Manar!")
    assert tsq.startswith("(qabani:* | ") and "qabbani" in tsq and " & (" in tsq
    assert keyword_tsquery(session, "!!") == ""
    assert session.scalar(text("SELECT to_tsvector('simple', 'qabbani almanar') @@ "
                               "to_tsquery('simple', :q)"), {"q": tsq})


def test_need_and_keyword_find_the_same_services_as_the_filters_row_by_row(session, dense):
    """The search's candidates are what testing each row by hand gives (NEAR_LIMIT of 100)."""
    from referral.search import Viewer, parse_query, search

    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_pss", "q": "binaa", "lon": P[0], "lat": P[1], "per_page": 100})),
        Viewer())
    pt = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography"
    want = set(session.scalars(text(
        "SELECT s.id FROM service s JOIN service_site ss ON ss.service_id = s.id "
        "WHERE s.organization_id = :o AND s.service_type_code = 'prot_pss' "
        f"AND s.search_text LIKE '%binaa%' AND ST_DWithin(ss.geom::geography, {pt}, 25000) "
        # nearest by the KNN operator, as the search walks (on the sphere; ordering by the
        # spheroid's ST_Distance swapped two sites at the cut in some random draws)
        f"ORDER BY ss.geom::geography <-> {pt} FETCH FIRST 40 ROWS WITH TIES"),
        {"o": dense.id, "lon": P[0], "lat": P[1]}))
    assert len(want) == 40 and {i["id"] for i in res.items} == want
    assert res.total == len(want)
    assert all(i["distance_m"] <= 25_000 for i in res.items)


@pytest.mark.parametrize(("radius", "inside"), [(1_990, False), (2_010, True)])
def test_radius_is_the_spheroid_distance_like_st_dwithin(session, make, radius, inside):
    from referral.search import Viewer, parse_query, search

    svc = make.service(sites=[east(2)], coverage=["SY02"], target_groups=[])
    d = session.scalar(text(
        "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
        "::geography) FROM service_site WHERE service_id = :s"),
        {"s": svc.id, "lon": P[0], "lat": P[1]})
    assert 1_990 < d < 2_010
    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_pss", "lon": P[0], "lat": P[1], "radius_m": radius})), Viewer())
    assert (svc.id in [i["id"] for i in res.items]) is inside


# The keyword with every kind of place, on the known data set of
# tests/test_search.py (G and H belong to Al-Amal, C to Ataa; C covers the governorate SY07
# from 5 km away, H covers a sub-district of the district SY0703 and is full).
KEYWORD_WITH_PLACE = [
    ("keyword near a point, any need", dict(q="amal", lon=P[0], lat=P[1]), ["G", "H"]),
    ("keyword and need in a governorate", dict(q="amal", need="prot_pss", pcode="SY07"),
     ["H"]),
    ("keyword in a sub-district its org covers", dict(q="ataa", pcode="SY070000"), ["C"]),
    ("keyword and need: coverage beyond the radius", dict(q="ATAA", need="prot_pss",
                                                           radius_m=2000, lon=P[0], lat=P[1]),
     ["C"]),
    ("keyword that matches nothing here", dict(q="ataa", need="gbv", lon=P[0], lat=P[1]), []),
]


@pytest.mark.parametrize(("label", "args", "expected"), KEYWORD_WITH_PLACE,
                         ids=[c[0] for c in KEYWORD_WITH_PLACE])
def test_keyword_with_each_kind_of_place(session, make, label, args, expected):
    from referral.search import Viewer, parse_query, search
    from tests.kits.directory import build

    world = build(make, session)
    names = {v: k for k, v in world.items()}
    res = search(session, parse_query(session, MultiDict(args)), Viewer())
    assert [names.get(i["id"], i["id"]) for i in res.items] == expected


def test_services_at_the_same_address_are_all_candidates_at_the_cut(session, make):
    """45 services share one site: the 40-nearest cut keeps every site tied with the 40th,
    so which of them are ranked does not depend on the plan's order of equal distances."""
    from referral.search import NEAR_LIMIT, Viewer, parse_query, search

    org = make.org()
    lon, lat = east(1)
    ids = set(session.scalars(text(
        "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, name_en, "
        "last_verified) SELECT gen_random_uuid(), :org, 'prot_pss', 'خدمة', 'svc', "
        "current_date FROM generate_series(1, :n) RETURNING id"),
        {"org": org.id, "n": NEAR_LIMIT + 5}))
    session.execute(text(
        "INSERT INTO service_site (service_id, geom) SELECT id, ST_SetSRID(ST_MakePoint("
        ":lon, :lat), 4326) FROM service WHERE organization_id = :o"),
        {"o": org.id, "lon": lon, "lat": lat})
    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_pss", "lon": P[0], "lat": P[1], "per_page": 100})), Viewer())
    assert res.total == NEAR_LIMIT + 5 and {i["id"] for i in res.items} == ids


def _services_at(session, org, types_km: list[tuple[str, float]]) -> list[int]:
    """One service with one site per (service type, km east of P); their ids in order."""
    ids = []
    for code, km in types_km:
        lon, lat = east(km)
        sid = session.scalar(text(
            "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, name_en, "
            "last_verified) VALUES (gen_random_uuid(), :org, :code, 'خدمة', 'svc', "
            "current_date) RETURNING id"), {"org": org.id, "code": code})
        session.execute(text(
            "INSERT INTO service_site (service_id, geom) VALUES (:s, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"), {"s": sid, "lon": lon, "lat": lat})
        ids.append(sid)
    return ids


# A sector's candidates are the NEAR_LIMIT nearest sites of all its types together, however
# the walk is split: one walk per type for up to TYPE_WALKS_MAX types, one walk testing the
# type beyond that (protection has 20 types with child protection, GBV and mine action).
SECTOR_WALKS = [
    ("two types: a walk per type, merged", "food_security",
     ["food_assistance", "food_livelihoods"]),
    ("four types: a walk per type, merged", "health",
     ["health_primary", "health_mental", "health_rehabilitation", "health_reproductive"]),
    ("twenty types: one walk", "protection",
     ["prot_pss", "gbv_case_management", "cp_case_management", "ma_risk_education"]),
]


@pytest.mark.parametrize(("label", "need", "types"), SECTOR_WALKS,
                         ids=[c[0] for c in SECTOR_WALKS])
def test_a_sector_ranks_the_nearest_sites_of_all_its_types(session, make, label, need, types):
    from referral.search import NEAR_LIMIT, TYPE_WALKS_MAX, Viewer, parse_query, search

    org = make.org()
    # 60 services 0.2 km apart, the types taking turns; the farthest 20 are not candidates
    ids = _services_at(session, org, [(types[i % len(types)], 0.5 + 0.2 * i)
                                      for i in range(60)])
    qy = parse_query(session, MultiDict({"need": need, "lon": P[0], "lat": P[1],
                                         "per_page": 100}))
    assert (len(qy.service_types) > TYPE_WALKS_MAX) is (need == "protection")
    res = search(session, qy, Viewer())
    assert res.total == NEAR_LIMIT
    assert [i["id"] for i in res.items if i["id"] in ids] == ids[:NEAR_LIMIT]  # nearest first


@pytest.mark.parametrize(("need", "per_type"), [("health", True), ("gbv", True),
                                                ("protection", False)])
def test_a_sector_of_up_to_six_types_walks_each_type_s_index(session, need, per_type):
    """Health (4 types) and GBV (6): one KNN walk per type, each with its own parameter (so
    that a generic plan knows them), merged (the planner's bitmap scan of every site of those
    types in the radius, then a sort, was slower in dense areas, ``bench/``); protection (20):
    one walk testing the type on each site."""
    from referral.search import build_sql, parse_query

    qy = parse_query(session, MultiDict({"need": need, "lon": P[0], "lat": P[1]}))
    sql, params = build_sql(qy)
    n = len(qy.service_types)
    assert ("types" in params) is not per_type  # an array only beyond six types
    walks = [f"ss.service_type_code = :type{i} AND" in sql for i in range(n)]
    assert walks == [per_type] * n
    assert ("ss.service_type_code = ANY(CAST(:types AS text[]))" in sql) is not per_type


def test_the_area_list_keeps_the_services_covering_best_newest_first(session, make):
    """More than AREA_LIMIT services cover the area: those covering all of it are kept
    before those covering a part, the newest listings first, and a service the filters
    refuse leaves its place to the next one."""
    from referral.search import AREA_LIMIT, Viewer, parse_query, search

    add_areas(session)  # Ariha and its centre, unless the real boundaries are loaded
    org = make.org()

    def covering(pcode: str, n: int, sex: str = "any") -> list[int]:
        ids = list(session.scalars(text(
            "INSERT INTO service (uuid, organization_id, service_type_code, name_ar, "
            "name_en, sex, last_verified) SELECT gen_random_uuid(), :org, 'prot_legal', "
            "'خدمة', 'svc', :sex, current_date FROM generate_series(1, :n) RETURNING id"),
            {"org": org.id, "n": n, "sex": sex}))
        session.execute(text(
            "INSERT INTO service_coverage (service_id, pcode) SELECT unnest(CAST(:ids AS "
            "int[])), :p"), {"ids": ids, "p": pcode})
        return ids

    part = covering("SY070300", 10)  # a sub-district of the district searched: counts half
    whole = covering("SY07", AREA_LIMIT + 5)  # the governorate: covers the whole district
    refused = covering("SY0703", 3, sex="female")  # newest, whole, but not for a man
    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_legal", "pcode": "SY0703", "sex": "male", "per_page": 100})),
        Viewer())
    got = {i["id"] for i in res.items}
    assert res.total == AREA_LIMIT
    assert got == set(sorted(whole)[-AREA_LIMIT:])
    assert not got & set(part) and not got & set(refused)


PREPARED_OR_NOT = [
    ("one type near a point: prepared", {"need": "prot_pss", "lon": P[0], "lat": P[1]}, True),
    ("one type in a sub-district: prepared", {"need": "prot_pss", "pcode": "SY070000"}, True),
    ("no type near a point: prepared", {"lon": P[0], "lat": P[1]}, True),
    ("a sector of four types near a point: prepared",
     {"need": "health", "lon": P[0], "lat": P[1]}, True),
    ("a district: never", {"need": "prot_pss", "pcode": "SY0703"}, False),
    ("a governorate: never", {"need": "prot_pss", "pcode": "SY07"}, False),
    ("the protection sector: never", {"need": "protection", "lon": P[0], "lat": P[1]},
     False),
]


@pytest.mark.parametrize(("label", "args", "prepared"), PREPARED_OR_NOT,
                         ids=[c[0] for c in PREPARED_OR_NOT])
def test_which_candidate_statements_are_prepared(session, make, label, args, prepared):
    """PostgreSQL keeps a generic plan for a statement prepared and run five times when its
    estimate is no worse. For up to six types and a sub-district (or none) that plan is good
    and saves parsing and planning; a larger area's list or the protection sector's 20 types
    need plans made for their values (4 ms -> 19-39 ms), so those statements are sent
    unprepared. The page details are always prepared (their generic plan saves ~0.45 ms)."""
    from referral.search import Viewer, generic_plan_safe, parse_query, search

    add_areas(session)  # the sub-district and district searched, unless the real ones are in
    for code in ("prot_pss", "health_primary"):
        make.service(service_type_code=code, sites=[P], coverage=["SY07"])
    qy = parse_query(session, MultiDict(args))
    assert generic_plan_safe(qy) is prepared
    for _ in range(7):
        res = search(session, qy, Viewer())
        assert res.total == (1 if qy.service_types else 2)
    statements = list(session.scalars(text("SELECT statement FROM pg_prepared_statements")))
    assert bool([s for s in statements if "cand AS" in s]) is prepared
    assert [s for s in statements if "ns.id AS site_id" in s]


FILTER_COMBINATIONS = [
    {},
    {"age": "30"},
    {"sex": "female"},
    {"language": "ku"},
    {"available": "open,waitlist"},
    {"group": "women"},
    {"age": "8", "sex": "male", "language": "ar", "available": "open", "group": "women"},
]


@pytest.mark.parametrize("place", [{"lon": P[0], "lat": P[1]}, {"pcode": "SY070000"}],
                         ids=["point", "sub-district"])
def test_the_eligibility_filters_share_one_statement_text(session, place):
    """Age, sex, language, availability and target groups are parameters that are NULL when
    not given, never a different statement: each shape of search is prepared and planned
    once a connection, where 32 combinations made 142 texts of the bench's searches and a
    new text cost ~1.5 ms of planning on each of gunicorn's connections."""
    from referral.search import build_sql, parse_query

    add_areas(session)
    texts = set()
    for filters in FILTER_COMBINATIONS:
        qy = parse_query(session, MultiDict({"need": "prot_pss", **place, **filters}))
        sql, params = build_sql(qy)
        texts.add(sql)
        assert params["age"] == qy.age and params["groups"] == (qy.groups or None)
    assert len(texts) == 1


def test_a_filter_not_given_excludes_nobody(session, make):
    """A NULL filter lets every service through, whatever its own values (the text is the
    same as with the filter; only the parameter is NULL)."""
    from referral.search import Viewer, parse_query, search

    add_areas(session)
    picky = [make.service(service_type_code="prot_pss", sites=[P], min_age=18, max_age=25,
                          sex="female", languages=["ku"], availability="waitlist")
             for _ in range(2)]
    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_pss", "lon": P[0], "lat": P[1]})), Viewer())
    assert {i["id"] for i in res.items} == {s.id for s in picky}
    res = search(session, parse_query(session, MultiDict(
        {"need": "prot_pss", "lon": P[0], "lat": P[1], "age": "40"})), Viewer())
    assert res.total == 0
