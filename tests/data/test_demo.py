"""``tasharuk load demo``: determinism, integrity, geography, referral history, CLI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select, text

from data.demo import DEMO_PASSWORD, DEMO_USERS, fingerprint, generate, load_demo
from data.models import REFERRAL_STATES

TODAY = dt.date(2026, 11, 29)

# Content of the loaded rows without database ids, for comparing two loads.
DB_FINGERPRINT = text("""
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT o.registration_number || o.name_ar || o.name_en || coalesce(o.acronym, '') ||
         o.verification || o.search_text AS x FROM organization o
  UNION ALL
  SELECT o.registration_number || s.service_type_code || s.name_ar || s.search_text ||
         coalesce(s.capacity_per_month::text, '-') || s.last_verified::text ||
         (SELECT string_agg(c.pcode, ',' ORDER BY c.pcode) FROM service_coverage c
           WHERE c.service_id = s.id) ||
         (SELECT string_agg(ST_AsText(t.geom), ',' ORDER BY ST_AsText(t.geom))
            FROM service_site t WHERE t.service_id = s.id)
    FROM service s JOIN organization o ON o.id = s.organization_id
  UNION ALL
  SELECT c.case_code || r.status || r.version || coalesce(r.distance_m::text, '') ||
         (SELECT string_agg(e.action || e.to_status || e.at::text, ',' ORDER BY e.id)
            FROM referral_event e WHERE e.referral_id = r.id)
    FROM referral r JOIN referral_case c ON c.id = r.case_id
) rows
""")


@pytest.fixture
def no_boundaries(session):
    """The test database without sub-district polygons (rolled back with the test)."""
    session.execute(text("UPDATE admin_area SET geom = NULL WHERE level = 3"))


def _load(session, orgs=12, seed=5, **kw):
    kw.setdefault("today", TODAY)
    result = load_demo(session, orgs=orgs, seed=seed, progress=False, **kw)
    session.flush()
    return result


def _scalar(session, sql: str, **params):
    return session.scalar(text(sql), params)


# ------------------------------------------------------------------ determinism

def test_same_seed_gives_the_same_frames_and_another_seed_different(session):
    one = fingerprint(generate(session, orgs=15, seed=3, today=TODAY))
    two = fingerprint(generate(session, orgs=15, seed=3, today=TODAY))
    other = fingerprint(generate(session, orgs=15, seed=4, today=TODAY))
    assert one == two
    assert one != other


def test_same_seed_gives_identical_rows_in_the_database(session):
    digests = []
    for seed in (8, 8, 9):
        nested = session.begin_nested()
        _load(session, orgs=10, seed=seed)
        digests.append(_scalar(session, DB_FINGERPRINT.text))
        nested.rollback()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


# ------------------------------------------------------------------ integrity

def test_counts_and_every_service_has_coverage_and_a_site(session, no_boundaries):
    result = _load(session, orgs=12)
    counts = result.counts
    assert counts["organizations"] == 12
    assert counts["services"] == 240
    assert counts["referrals"] == 120
    assert counts["users"] == len(DEMO_USERS)
    assert _scalar(session, "SELECT count(*) FROM organization") == 12
    assert _scalar(session, "SELECT count(*) FROM service") == 240
    assert _scalar(session, """SELECT count(*) FROM service s WHERE NOT EXISTS
        (SELECT 1 FROM service_coverage c WHERE c.service_id = s.id)""") == 0
    assert _scalar(session, """SELECT count(*) FROM service s WHERE NOT EXISTS
        (SELECT 1 FROM service_site t WHERE t.service_id = s.id)""") == 0
    assert _scalar(session, """SELECT count(*) FROM service s WHERE NOT EXISTS
        (SELECT 1 FROM service_target_group g WHERE g.service_id = s.id)""") == 0
    # without boundaries the coverage is by governorate and sites have no sub-district
    assert _scalar(session, "SELECT max(length(pcode)) FROM service_coverage") == 4
    assert _scalar(session, "SELECT count(admin3_pcode) FROM service_site") == 0


def test_names_are_bilingual_and_search_text_normalised(session):
    _load(session, orgs=12)
    rows = session.execute(text(
        "SELECT name_ar, name_en, acronym, search_text FROM organization")).all()
    assert len({r.name_en for r in rows}) == 12  # unique names
    for name_ar, name_en, acronym, search in rows:
        assert any("\u0600" <= ch <= "\u06ff" for ch in name_ar)
        assert name_en.isascii() or "–" in name_en
        assert acronym and acronym.isupper()
        assert search and not set("أإآةى") & set(search)
        assert acronym.lower() in search
    # a service is found by its type's names and keywords, its place and its organisation's
    # acronym, in Arabic (normalised) and English
    missing = _scalar(session, """SELECT count(*) FROM service s
        JOIN organization o ON o.id = s.organization_id
        WHERE position(lower(o.acronym) IN s.search_text) = 0
           OR position('-' IN s.search_text) > 0""")
    assert missing == 0
    assert _scalar(session, "SELECT count(*) FROM service WHERE search_text LIKE '%دعم%' "
                   "OR search_text LIKE '%حمايه%'") > 0


def test_profiles_are_plausible(session):
    _load(session, orgs=30)
    # GBV services are for women and girls; child protection for children
    bad_gbv = _scalar(session, """SELECT count(*) FROM service_target_group g JOIN service s
        ON s.id = g.service_id WHERE s.service_type_code LIKE 'gbv%'
        AND g.target_group_code NOT IN ('women', 'adolescent_girls', 'gbv_survivors',
                                        'female_headed_households', 'host_community')""")
    assert bad_gbv == 0
    assert _scalar(session, """SELECT count(*) FROM service WHERE service_type_code LIKE 'cp\\_%'
        AND service_type_code <> 'cp_capacity' AND (max_age IS NULL OR max_age > 17)""") == 0
    # the sensitive flag is the service type's
    assert _scalar(session, """SELECT count(*) FROM service s JOIN service_type t
        ON t.code = s.service_type_code WHERE s.sensitive <> t.sensitive""") == 0
    # opening hours: a Friday-Saturday weekend except hotlines; split days exist
    friday = _scalar(session, """SELECT count(DISTINCT service_id) FROM opening_period
        WHERE weekday = 5""")
    hotlines = _scalar(session, """SELECT count(DISTINCT service_id) FROM opening_period
        WHERE weekday = 5 AND opens = '09:00' AND closes = '21:00'""")
    assert friday == hotlines
    assert _scalar(session, """SELECT count(*) FROM (SELECT service_id, weekday FROM
        opening_period GROUP BY 1, 2 HAVING count(*) > 1) split""") > 0
    # some listings are stale (verified more than 180 days ago), most are fresh
    stale = _scalar(session, "SELECT avg((last_verified < :d)::int) FROM service",
                    d=TODAY - dt.timedelta(days=180))
    assert 0.05 < stale < 0.4
    verified = _scalar(session, "SELECT avg((verification = 'verified')::int) FROM "
                       "organization")
    assert verified > 0.6
    types = _scalar(session, "SELECT count(DISTINCT service_type_code) FROM service")
    assert types >= 30  # across the whole taxonomy


def test_demo_users_sign_in_with_the_printed_password(session):
    from network.accounts import authenticate

    _load(session, orgs=8)
    for email, role, *_ in DEMO_USERS:
        user = authenticate(session, email, DEMO_PASSWORD)
        assert user is not None and user.role == role
        assert (user.organization_id is None) == (role == "platform_admin")


def test_demo_has_a_sender_and_a_receiver_each_with_an_admin_and_a_caseworker(session):
    from data.models import Organization, User

    result = _load(session, orgs=12)
    by_side: dict[str, set] = {}
    for email, role, _ar, _en, side in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if side:
            by_side.setdefault(side, set()).add((role, user.organization_id))
    for side in ("receiver", "sender"):
        roles = {r for r, _ in by_side[side]}
        assert {"org_admin", "caseworker"} <= roles
        (org_id,) = {o for _, o in by_side[side]}
        org = session.get(Organization, org_id)
        assert org.verification == "verified"
        assert org.name_en == (result.demo_org if side == "receiver" else result.sender_org)
    assert {o for _, o in by_side["receiver"]} != {o for _, o in by_side["sender"]}


# ------------------------------------------------------------------ geography

def _assert_sites_inside(session) -> None:
    outside = _scalar(session, """SELECT count(*) FROM service_site t JOIN admin_area a
        ON a.pcode = t.admin3_pcode WHERE NOT ST_Covers(a.geom, t.geom)""")
    assert outside == 0


def test_sites_fall_inside_their_sub_district_polygons(session, no_boundaries):
    """Two districts of four square sub-districts in Idleb: sites land in the right square."""
    areas = []
    for d in range(2):
        district = f"SY07{d + 91:02d}"
        areas.append(f"('{district}', 2, 'SY07', 'منطقة {d}', 'District {d}', NULL)")
        for k in range(4):
            x0, y0 = 36.2 + 0.2 * k, 35.6 + 0.3 * d
            poly = (f"MULTIPOLYGON((({x0} {y0}, {x0 + 0.15} {y0}, {x0 + 0.15} {y0 + 0.2}, "
                    f"{x0} {y0 + 0.2}, {x0} {y0})))")
            areas.append(f"('{district}{k:02d}', 3, '{district}', 'ناحية {d}{k}', "
                         f"'Sub-district {d}{k}', ST_GeomFromText('{poly}', 4326))")
    session.execute(text("INSERT INTO admin_area (pcode, level, parent_pcode, name_ar, "
                         "name_en, geom) VALUES " + ", ".join(areas)))
    _load(session, orgs=25)
    _assert_sites_inside(session)
    in_idleb = _scalar(session, """SELECT count(*) FROM service_site t WHERE
        t.admin3_pcode IS NULL AND EXISTS (SELECT 1 FROM service_coverage c
        WHERE c.service_id = t.service_id AND c.pcode LIKE 'SY07%') AND NOT EXISTS (SELECT 1
        FROM service_coverage c WHERE c.service_id = t.service_id AND c.pcode NOT LIKE 'SY07%')
        """)
    assert in_idleb == 0
    assert _scalar(session, "SELECT count(*) FROM service_site WHERE admin3_pcode IS NOT "
                   "NULL") > 0
    assert _scalar(session, "SELECT count(*) FROM service_coverage WHERE length(pcode) = 8") > 0


def test_sites_inside_real_sub_districts(session, boundaries):
    assert boundaries[3] == 272
    _load(session, orgs=10)
    assert _scalar(session, "SELECT count(*) FROM service_site WHERE admin3_pcode IS NULL") == 0
    _assert_sites_inside(session)
    levels = set(session.scalars(text("SELECT DISTINCT length(pcode) FROM service_coverage")))
    assert {4, 6, 8} <= levels


# ------------------------------------------------------------------ referral history

NEXT = {None: {"draft"}, "draft": {"sent"},
        "sent": {"accepted", "declined", "withdrawn", "expired"},
        "accepted": {"in_progress", "withdrawn"},
        "in_progress": {"completed", "closed_unmet"}}


def test_referral_events_are_consistent_with_statuses_and_versions(session):
    _load(session, orgs=20, referrals=300)
    refs = pd.DataFrame(session.execute(text(
        "SELECT id, status, version, sent_at, responded_at, closed_at FROM referral")).all())
    events = pd.DataFrame(session.execute(text(
        "SELECT referral_id, action, from_status, to_status, at FROM referral_event ORDER BY "
        "referral_id, id")).all())
    assert (events["action"] == "note").any()
    assert len(refs) == 300
    assert set(refs["status"]) <= set(REFERRAL_STATES)
    assert {"completed", "declined", "closed_unmet"} <= set(refs["status"])
    by_ref = dict(tuple(events.groupby("referral_id")))
    for ref in refs.itertuples():
        ev = by_ref[ref.id]
        assert (ev["action"] != "note").sum() == ref.version
        previous = None
        last_at = None
        for e in ev.itertuples():
            from_status = None if pd.isna(e.from_status) else e.from_status
            assert from_status == previous
            if e.action == "note":
                assert e.to_status == previous == "in_progress"
            else:
                assert e.to_status in NEXT[previous]
            assert last_at is None or e.at >= last_at
            previous, last_at = e.to_status, e.at
        assert previous == ref.status
        assert pd.isna(ref.sent_at) == (ref.status == "draft")
        terminal = ref.status in ("declined", "withdrawn", "expired", "completed",
                                  "closed_unmet")
        assert pd.isna(ref.closed_at) != terminal
    # events are append-only
    with pytest.raises(Exception, match="append-only|not allowed|refuse"):
        with session.begin_nested():
            session.execute(text("UPDATE referral_event SET note = 'x'"))


def test_outcomes_have_a_learnable_structure(session):
    frames = generate(session, orgs=60, seed=2, referrals=20_000, activities=0, today=TODAY)
    refs = frames["referrals"]
    started = refs[refs["status"].isin(["completed", "closed_unmet"])]
    done = started["status"] == "completed"
    near = done[started["distance_m"] < 5_000].mean()
    far = done[started["distance_m"] > 50_000].mean()
    assert near - far > 0.25, (near, far)
    answered = refs[refs["status"].isin(["declined", "accepted", "in_progress", "completed",
                                         "closed_unmet"])]
    availability = frames["services"]["availability"].to_numpy()[answered["svc"]]
    accepted = answered["status"] != "declined"
    assert accepted[availability == "open"].mean() - accepted[availability == "full"].mean() \
        > 0.2


# ------------------------------------------------------------------ command line

@pytest.mark.parametrize("args, field", [
    (["--orgs", "-5"], "orgs"),
    (["--orgs", "0"], "orgs"),
    (["--orgs", "5", "--services", "3"], "services"),
    (["--orgs", "5", "--referrals", "-1"], "referrals"),
    (["--orgs", "abc"], "orgs"),
])
def test_bad_arguments_exit_2_and_write_nothing(runner, session, args, field):
    result = runner.invoke(args=["load", "demo", *args])
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert _scalar(session, "SELECT count(*) FROM organization") == 0


def test_cli_loads_then_if_empty_is_a_no_op(runner, session):
    # --if-empty on an empty database loads
    result = runner.invoke(args=["load", "demo", "--orgs", "6", "--seed", "3", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.tasharuk" in result.output and DEMO_PASSWORD in result.output
    before = _scalar(session, "SELECT count(*) FROM service")
    assert before == 120
    again = runner.invoke(args=["load", "demo", "--orgs", "6", "--seed", "3", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "already" in again.output
    assert _scalar(session, "SELECT count(*) FROM service") == before
    # the same seed again without --if-empty is refused as a conflict, not doubled
    clash = runner.invoke(args=["load", "demo", "--orgs", "6", "--seed", "3"])
    assert clash.exit_code != 0 and "already loaded" in clash.output
    assert _scalar(session, "SELECT count(*) FROM service") == before


def test_home_page_counts_the_demo_in_arabic(client, session):
    import re

    _load(session, orgs=10)
    body = client.get("/").get_data(as_text=True)
    assert "إدلب" in body and "حلب" in body
    rows = re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', body)
    assert len(rows) == 14
    assert sum(int(services) for _, services in rows) >= 150  # active ones
    assert sum(int(orgs) > 0 for orgs, _ in rows) >= 5


def test_a_demo_service_is_found_by_its_organisations_name(session):
    """The demo's services carry their organisation's names, like every other writer's
    (data.searchtext): a caseworker typing an association's name finds its services."""
    from data.models import Service, ServiceType
    from data.searchtext import service_search_text

    _load(session, orgs=6)
    svc = session.scalars(select(Service).order_by(Service.id)).first()
    want = set(service_search_text(svc, svc.organization,
                                   session.get(ServiceType, svc.service_type_code)).split())
    assert want == set(svc.search_text.split())
