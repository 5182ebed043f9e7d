"""Search rows (migration 0016_search4): every site and coverage row carries its service's
filtered and ranked values, kept equal to the ``service_search`` view by triggers whoever
writes; the search reads them instead of joining the service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from data.searchrows import copied_columns as _columns
from tests.kits.directory import P, add_areas, east


@pytest.fixture(autouse=True)
def _idleb_districts(session):
    """SY0703 exists with or without the shared boundaries (the tests cover it)."""
    add_areas(session)


def stale_rows(session, service_id: int) -> list[tuple[str, str]]:
    """(table, column) of the rows of ``service_id`` whose copy differs from the view, and
    ("missing", table) when the service has no such row to compare."""
    out = []
    for table in ("service_site", "service_coverage"):
        rows = session.execute(text(
            f"SELECT {', '.join('t.' + c for c in _columns(session))} FROM {table} t "
            "WHERE t.service_id = :s"), {"s": service_id}).all()
        view = session.execute(text(
            f"SELECT {', '.join(_columns(session))} FROM service_search "
            "WHERE service_id = :s"), {"s": service_id}).one()
        if not rows:
            out.append(("missing", table))
        for row in rows:
            out.extend((table, c) for c, mine, want in zip(_columns(session), row, view,
                                                          strict=True) if mine != want)
    return out


def _set(session, svc, **values):
    for key, value in values.items():
        setattr(svc, key, value)
    session.flush()


def _groups(session, svc, codes):
    from data.models import TargetGroup

    svc.target_groups = [session.get(TargetGroup, c) for c in codes]
    session.flush()


def _verification(session, svc, status):
    svc.organization.verification = status
    session.flush()


def _raw_update(session, svc, sql):
    session.execute(text(sql), {"s": svc.id})


def _refresh_ranking(session):
    from referral.ranking import refresh_ranking

    refresh_ranking(session)


WRITES = [
    ("new service", lambda s, svc: None),
    ("status", lambda s, svc: _set(s, svc, status="inactive")),
    ("ages", lambda s, svc: _set(s, svc, min_age=5, max_age=17)),
    ("sex", lambda s, svc: _set(s, svc, sex="female")),
    ("languages", lambda s, svc: _set(s, svc, languages=["ar", "ku"])),
    ("availability", lambda s, svc: _set(s, svc, availability="full")),
    ("capacity", lambda s, svc: _set(s, svc, capacity_per_month=7)),
    ("verified date", lambda s, svc: _set(s, svc, last_verified=dt.date(2020, 1, 1))),
    ("documents", lambda s, svc: _set(s, svc, documents_required=["civil id"])),
    ("search text", lambda s, svc: _set(s, svc, search_text="legal aid clinic")),
    ("service type", lambda s, svc: _set(s, svc, service_type_code="health_mental")),
    ("groups added", lambda s, svc: _groups(s, svc, ["women", "idps", "children"])),
    ("groups removed", lambda s, svc: _groups(s, svc, [])),
    ("organisation suspended", lambda s, svc: _verification(s, svc, "suspended")),
    ("bulk UPDATE in SQL", lambda s, svc: _raw_update(
        s, svc, "UPDATE service SET availability = 'waitlist', min_age = 60 WHERE id = :s")),
    ("group row renamed in SQL", lambda s, svc: _raw_update(
        s, svc, "UPDATE service_target_group SET target_group_code = 'idps' "
                "WHERE service_id = :s")),
    ("referral outcomes refreshed", lambda s, svc: _refresh_ranking(s)),
    ("outcome terms written in SQL", lambda s, svc: _raw_update(
        s, svc, "INSERT INTO provider_ranking (service_id, organization_id, logit_base, "
                "distance_coef, p_default, history, median_response_hours) SELECT id, "
                "organization_id, 1.5, -0.2, 0.7, 3, 30 FROM service WHERE id = :s")),
    ("outcome terms changed in SQL", lambda s, svc: (_refresh_ranking(s), _raw_update(
        s, svc, "UPDATE provider_ranking SET logit_base = -2, median_response_hours = 5 "
                "WHERE service_id = :s"))),
    ("outcome terms deleted in SQL", lambda s, svc: (_refresh_ranking(s), _raw_update(
        s, svc, "DELETE FROM provider_ranking WHERE service_id = :s"))),
    ("site added in SQL", lambda s, svc: _raw_update(
        s, svc, "INSERT INTO service_site (service_id, geom) VALUES "
                "(:s, ST_SetSRID(ST_MakePoint(36.7, 35.9), 4326))")),
]


@pytest.mark.parametrize("write", [w[1] for w in WRITES], ids=[w[0] for w in WRITES])
def test_every_write_keeps_the_search_rows_equal_to_their_service(session, make, write):
    svc = make.service(sites=[east(1), east(2)], coverage=["SY07", "SY0703"],
                       target_groups=["women"])
    write(session, svc)
    session.expire_all()
    assert stale_rows(session, svc.id) == []


def test_the_rows_carry_the_referral_outcome_terms_the_score_reads(session, make):
    """Migration 0017_search5: copied from provider_ranking (NULL before a refresh), so the
    candidate statement joins nothing."""
    svc = make.service(sites=[east(1)], coverage=["SY07"])
    terms = "SELECT logit_base, distance_coef, p_default, median_response_hours FROM {} " \
            "WHERE service_id = :s"
    for table in ("service_site", "service_coverage"):
        assert session.execute(text(terms.format(table)), {"s": svc.id}).one() == \
            (None, None, None, None)
    _refresh_ranking(session)
    want = session.execute(text(terms.format("provider_ranking")), {"s": svc.id}).one()
    assert want[2] is not None
    for table in ("service_site", "service_coverage"):
        assert session.execute(text(terms.format(table)), {"s": svc.id}).one() == want


def test_a_row_moved_to_another_service_takes_that_service_s_values(session, make):
    young = make.service(sites=[east(1)], min_age=0, max_age=17, target_groups=[])
    old = make.service(sites=[east(2)], min_age=60, target_groups=["idps"])
    session.execute(text("UPDATE service_site SET service_id = :o WHERE service_id = :y"),
                    {"o": old.id, "y": young.id})
    assert session.execute(text(
        "SELECT min_age, max_age, target_groups FROM service_site WHERE service_id = :o"),
        {"o": old.id}).all() == [(60, None, ["idps"])] * 2


@pytest.mark.parametrize(("groups", "stored"), [([], None), (["women"], ["women"]),
                                                (["women", "idps"], ["idps", "women"])])
def test_open_to_all_is_null_and_groups_are_sorted(session, make, groups, stored):
    """NULL (not an empty array) means open to all: its null fraction is an exact statistic
    for the planner."""
    svc = make.service(coverage=["SY07"], target_groups=groups)
    assert session.scalar(text("SELECT target_groups FROM service_coverage WHERE "
                               "service_id = :s"), {"s": svc.id}) == stored


def test_refresh_rewrites_rows_loaded_without_triggers(session, make):
    """Bulk loaders (bench) COPY with the row trigger off, then refresh all in one UPDATE."""
    svc = make.service(sites=[east(1)], coverage=["SY07"], availability="full", min_age=3)
    session.execute(text("UPDATE service_site SET availability = NULL, min_age = NULL, "
                         "listed = NULL WHERE service_id = :s"), {"s": svc.id})
    assert ("service_site", "availability") in stale_rows(session, svc.id)
    session.execute(text("SELECT tasharuk_search_refresh(ARRAY[CAST(:s AS int)])"),
                    {"s": svc.id})
    assert stale_rows(session, svc.id) == []


# only verified organisations are listed (issue 17: a pending one was ranked first)
@pytest.mark.parametrize(("status", "listed"), [("verified", True), ("pending", False),
                                                ("rejected", False), ("suspended", False)])
def test_listed_follows_the_organisation_standing(session, make, status, listed):
    svc = make.service(sites=[east(1)])
    _verification(session, svc, status)
    assert session.scalar(text("SELECT listed FROM service_site WHERE service_id = :s"),
                          {"s": svc.id}) is listed


def test_a_suspended_organisation_takes_no_place_among_the_nearest(session, make):
    """Its services used to fill the 40 nearest slots and be dropped at the end, hiding a
    farther listed one; now the walk never reads them."""
    from referral.search import NEAR_LIMIT, SearchQuery, search

    banned = make.org(verification="suspended")
    for _ in range(NEAR_LIMIT + 2):
        make.service(organization=banned, sites=[east(0.5)], coverage=[], target_groups=[])
    fine = make.service(sites=[east(4)], coverage=[], target_groups=[])
    result = search(session, SearchQuery(service_types=["prot_pss"], lon=P[0], lat=P[1]))
    assert [i["id"] for i in result.items] == [fine.id]


def test_refresh_search_rows_command_rewrites_what_bypassed_the_triggers(runner, session, make):
    svc = make.service(sites=[east(1)], coverage=["SY07", "SY0703"], availability="open")
    session.execute(text("ALTER TABLE service_coverage DISABLE TRIGGER service_coverage_search"))
    session.execute(text("INSERT INTO service_coverage (service_id, pcode) VALUES (:s, 'SY02')"),
                    {"s": svc.id})
    session.execute(text("ALTER TABLE service_coverage ENABLE TRIGGER service_coverage_search"))
    session.execute(text("UPDATE service_site SET availability = 'full' WHERE service_id = :s"),
                    {"s": svc.id})
    first = runner.invoke(args=["directory", "refresh-search-rows"])
    assert first.exit_code == 0, first.output
    assert "sites 1, coverage 1" in first.output
    assert stale_rows(session, svc.id) == []
    again = runner.invoke(args=["directory", "refresh-search-rows"])
    assert "sites 0, coverage 0" in again.output
