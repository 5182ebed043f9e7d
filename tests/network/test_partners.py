"""Partner suggestions, duplication alerts and partnership requests against the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import AuditLog, Notification, Partnership, PartnershipRequest
from network import partners as uc
from tests.kits.partners import SUBS, build_world


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


def test_gbv_and_legal_aid_rank_each_other_first(session, world):
    org, found = uc.suggestions(session, world.a.id, top=5)
    assert org.id == world.a.id
    ids = [s.organization.id for s in found]
    assert ids[0] == world.b.id and world.c.id in ids
    assert world.d.id not in ids and world.e.id not in ids
    _, found_b = uc.suggestions(session, "ptb", top=5)  # by acronym, any case
    assert found_b[0].organization.id == world.a.id


def test_reasons_in_arabic_and_english(session, world):
    best = uc.suggestions(session, world.a.id, top=1)[1][0]
    en, ar = " ".join(best.reasons["en"]), " ".join(best.reasons["ar"])
    assert "Harim" in en or "Dana" in en
    assert "Legal aid and civil documentation" in en and "GBV case management" in en
    assert "المساعدة القانونية والوثائق المدنية" in ar and "تخدم المنظمتان" in ar
    assert "دانا" in ar or "مركز حارم" in ar
    as_json = best.to_dict()
    assert as_json["service_pairs"][0] == {"own": "gbv_case_management", "partner": "prot_legal",
                                           "strength": pytest.approx(0.9)}
    assert {c["area"] for c in as_json["shared"]} <= set(SUBS)
    # the most in need first: Harim (30,000 women in need)
    assert as_json["shared"][0]["area"] == "SY070300"


def test_filters_and_validation(session, world):
    _, only_pss = uc.suggestions(session, world.a.id, sector="protection")
    assert {s.organization.id for s in only_pss} == {world.b.id, world.c.id}
    _, nothing = uc.suggestions(session, world.a.id, area="SY02")
    assert nothing == []
    _, dana = uc.suggestions(session, world.a.id, area="SY070301", group="women")
    assert all(c[:2] == ("SY070301", "women") for c in dana[0].codes.shared_cells)
    for kwargs, name in [({"top": 0}, "top"), ({"area": "SY99"}, "area"),
                         ({"group": "martians"}, "group"), ({"sector": "magic"}, "sector")]:
        with pytest.raises(BadInput) as err:
            uc.suggestions(session, world.a.id, **kwargs)
        assert err.value.details["field"] == name
    with pytest.raises(NotFound):
        uc.suggestions(session, "NO-SUCH-ORG")


def test_governorate_coverage_counts_in_every_sub_district(session, make, world):
    wide = make.org(acronym="PTW")
    make.service(organization=wide, service_type_code="prot_legal", coverage=["SY07"],
                 target_groups=["women"])
    ids = [s.organization.id for s in uc.suggestions(session, world.a.id, top=10)[1]]
    assert wide.id in ids


def test_duplication_alerts_per_org_and_per_area(session, world):
    """Duplication is coverage beyond the need (issue 21, finding 4): A and E together offer
    520 a month where 1,000 displaced people are in need (flagged), and the same 520 where
    12,000 and 8,000 women are in need (a gap: never flagged)."""
    alerts = uc.duplication_alerts(session, org=world.a.id)
    assert {(a.area, a.group) for a in alerts} == {(p, "idps") for p in SUBS[:2]}
    assert all({o.id for o in a.organizations} == {world.a.id, world.e.id} for a in alerts)
    dana = next(a for a in alerts if a.area == "SY070301")
    # capacity shared among each service's areas: (60/3 + 1000/2) a month, x 12, for 1,000
    assert dana.coverage_ratio == pytest.approx(12 * 520 / 1000)
    assert "دانا" in dana.text["ar"] and "Dana" in dana.text["en"]
    assert "في دانا: 2" in dana.text["ar"] and "624٪" in dana.text["ar"]
    assert dana.text["en"].startswith("2 organisations offer")
    assert "together they can serve 624% of the 1,000 people in need in a year" in dana.text["en"]
    assert uc.duplication_alerts(session, org=world.b.id) == []
    by_area = uc.duplication_alerts(session, area="SY070302")
    assert {a.area for a in by_area} == {"SY070302"}
    assert uc.duplication_alerts(session, area="SY070300") == []
    assert uc.duplication_alerts(session, org=world.a.id, group="women") == []
    assert len(uc.duplication_alerts(session, org=world.a.id, sector="protection")) == 2
    assert uc.duplication_alerts(session, org=world.a.id, sector="health") == []
    by_name = uc.duplication_alerts(session, org=world.a.id, sort="area")
    assert [a.area for a in by_name] == sorted(SUBS[:2])
    with pytest.raises(BadInput) as err:
        uc.duplication_alerts(session, org=world.a.id, sort="colour")
    assert err.value.details["field"] == "sort"


def test_many_organisations_where_coverage_is_low_is_a_gap_not_duplication(session, make,
                                                                              world):
    """Finding 4: "11 organisations offer livelihoods to youth ... coverage 1%" was flagged;
    several organisations far below the need are never a duplication alert."""
    many = [make.org(acronym=f"PL{i}") for i in range(5)]
    for org in many:
        make.service(organization=org, service_type_code="gbv_case_management",
                     coverage=["SY070300"], target_groups=["women"], capacity_per_month=5)
    assert uc.duplication_alerts(session, area="SY070300") == []  # 25 a month for 30,000
    _, found = uc.suggestions(session, world.a.id, top=10)
    assert all(s.codes.duplicated == [] for s in found if s.organization in many)


def test_unverified_and_inactive_are_left_out(session, make, world):
    ghost = make.org(acronym="PTG", verification="pending")
    make.service(organization=ghost, service_type_code="prot_legal", coverage=SUBS,
                 target_groups=["women"])
    closed = make.org(acronym="PTX")
    make.service(organization=closed, service_type_code="prot_legal", coverage=SUBS,
                 target_groups=["women"], status="inactive")
    ids = {s.organization.id for s in uc.suggestions(session, world.a.id, top=20)[1]}
    assert ghost.id not in ids and closed.id not in ids


# ---------------------------------------------------------------- partnership requests

@pytest.fixture
def admins(make, world):
    return {k: make.user("org_admin", getattr(world, k)) for k in "abc"}


def _actor(make, world, who):
    """who: 'admin_a', 'caseworker_b', 'platform_admin', ..."""
    if who == "platform_admin":
        return make.user("platform_admin")
    role, org = who.rsplit("_", 1)
    return make.user(role, getattr(world, org))


@pytest.mark.parametrize(("who", "expected"), [
    ("org_admin_a", None),
    ("caseworker_a", Forbidden),
    ("viewer_a", Forbidden),
    ("planner_a", Forbidden),
    ("platform_admin", Forbidden),
])
def test_who_may_request(session, make, world, who, expected):
    actor = _actor(make, world, who)
    if expected is None:
        req = uc.request_partnership(session, actor, world.b.id, message="Let us talk")
        assert req.status == "pending" and req.target_org_id == world.b.id
    else:
        with pytest.raises(expected):
            uc.request_partnership(session, actor, world.b.id)


@pytest.mark.parametrize(("who", "action", "expected"), [
    ("org_admin_b", "accept", None),
    ("org_admin_b", "decline", None),
    ("org_admin_a", "accept", Forbidden),   # the requester cannot answer its own request
    ("org_admin_a", "withdraw", None),
    ("org_admin_b", "withdraw", Forbidden),
    ("org_admin_c", "accept", NotFound),    # a third organisation does not see it
    ("org_admin_c", "withdraw", NotFound),
    ("caseworker_b", "accept", Forbidden),
    ("viewer_b", "decline", Forbidden),
    ("platform_admin", "accept", Forbidden),
])
def test_who_may_answer(session, make, world, admins, who, action, expected):
    req = uc.request_partnership(session, admins["a"], world.b.id)
    actor = _actor(make, world, who)

    def act():
        if action == "withdraw":
            return uc.withdraw_request(session, actor, req.id)
        return uc.respond_to_request(session, actor, req.id, accept=action == "accept")

    if expected is not None:
        with pytest.raises(expected):
            act()
        assert session.get(PartnershipRequest, req.id).status == "pending"
        return
    done = act()
    assert done.status == {"accept": "accepted", "decline": "declined",
                           "withdraw": "withdrawn"}[action]
    partners = [o.id for o, _ in uc.org_partners(session, world.a.id)]
    assert partners == ([world.b.id] if action == "accept" else [])


@pytest.mark.parametrize(("state", "action"), [
    ("accepted", "accept"), ("accepted", "decline"), ("accepted", "withdraw"),
    ("declined", "accept"), ("declined", "withdraw"), ("withdrawn", "accept"),
    ("withdrawn", "withdraw"),
])
def test_only_pending_requests_change(session, world, admins, state, action):
    req = uc.request_partnership(session, admins["a"], world.b.id)
    if state == "withdrawn":
        uc.withdraw_request(session, admins["a"], req.id)
    else:
        uc.respond_to_request(session, admins["b"], req.id, accept=state == "accepted")
    with pytest.raises(Conflict):
        if action == "withdraw":
            uc.withdraw_request(session, admins["a"], req.id)
        else:
            uc.respond_to_request(session, admins["b"], req.id, accept=action == "accept")


def test_request_rules_and_partnership_lifecycle(session, make, world, admins):
    a, b = admins["a"], admins["b"]
    with pytest.raises(BadInput):
        uc.request_partnership(session, a, world.a.id)
    pending_org = make.org(verification="pending")
    with pytest.raises(BadInput):
        uc.request_partnership(session, a, pending_org.id)
    req = uc.request_partnership(session, a, world.b.id)
    for actor, target in [(a, world.b.id), (b, world.a.id)]:  # one pending per pair
        with pytest.raises(Conflict):
            uc.request_partnership(session, actor, target)
    # the target's admin was notified, and the step audited
    notes = session.scalars(select(Notification).where(Notification.user_id == b.id)).all()
    assert len(notes) == 1 and "PTA" not in notes[0].text_en
    assert world.a.name_ar in notes[0].text_ar
    uc.respond_to_request(session, b, req.id, accept=True)
    with pytest.raises(Conflict):
        uc.request_partnership(session, b, world.a.id)
    # partners are no longer suggested
    ids = [s.organization.id for s in uc.suggestions(session, world.a.id)[1]]
    assert world.b.id not in ids
    (partner, p), = uc.org_partners(session, world.b.id)
    assert partner.id == world.a.id and p.status == "active"
    with pytest.raises(NotFound):
        uc.end_partnership(session, admins["c"], p.id)
    uc.end_partnership(session, b, p.id)
    assert uc.org_partners(session, world.a.id) == []
    again = uc.request_partnership(session, b, world.a.id)
    assert again.status == "pending"
    actions = session.scalars(select(AuditLog.action).where(
        AuditLog.action.startswith("partnership.")).order_by(AuditLog.id)).all()
    assert actions == ["partnership.request", "partnership.accepted", "partnership.ended",
                       "partnership.request"]
    incoming, outgoing = uc.list_requests(session, world.a.id)
    assert [r.id for r in incoming] == [again.id] and [r.id for r in outgoing] == [req.id]


def test_database_refuses_two_active_partnerships_for_a_pair(session, world):
    from sqlalchemy.exc import IntegrityError

    low, high = sorted((world.a.id, world.b.id))
    session.add(Partnership(org_low_id=low, org_high_id=high))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Partnership(org_low_id=low, org_high_id=high))
        session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Partnership(org_low_id=high, org_high_id=low))
        session.flush()


def test_network_places_partners_at_their_head_office(session, world, admins):
    req = uc.request_partnership(session, admins["a"], world.b.id)
    uc.respond_to_request(session, admins["b"], req.id, accept=True)
    net = uc.partnership_network(session)
    assert {n["id"] for n in net["nodes"]} == {world.a.id, world.b.id}
    assert net["edges"] == [{"a": min(world.a.id, world.b.id), "b": max(world.a.id, world.b.id)}]
    assert 35 < net["nodes"][0]["lon"] < 37.5 and 35 < net["nodes"][0]["lat"] < 36.7
    # both head offices are in Idleb: spread apart so that both markers show
    a, b = ((n["lon"], n["lat"]) for n in net["nodes"])
    assert a != b and abs(a[0] - b[0]) < 0.1 and abs(a[1] - b[1]) < 0.1


@pytest.mark.parametrize(("locale", "group", "said"), [
    # common nouns mid-sentence: lower case in English (the reference names are capitalised)
    ("en", "women", ["Both of you serve women in SY070301.",
                     "” to women in SY070301: coordinate.",
                     "In SY070301, 12,000 women are in need: you offer"]),
    ("en", "idps", ["Both of you serve internally displaced people in SY070301.",
                    "to internally displaced people in SY070301",
                    "12,000 internally displaced people are in need"]),
    ("en", "female_headed_households", ["serve female-headed households in"]),
    # Arabic has no capitals: the names as they are, joined to the preposition
    ("ar", "women", ["تخدم المنظمتان النساء في SY070301.", "» للنساء في SY070301: نسّقوا",
                     "في SY070301 12,000 من النساء بحاجة"]),
])
def test_reason_sentences_name_groups_as_the_sentence_needs(session, make, locale, group,
                                                            said):
    from matching.partners import Suggestion

    partner = make.org(name_en="Dana Aid", name_ar="عون دانا")
    codes = Suggestion(partner.id, 0.5, 0.5, 0.5, 0.1,
                       shared_cells=[("SY070301", group, 12000.0)],
                       service_pairs=[("gbv_case_management", "prot_legal", 0.9)],
                       duplicated=[("SY070301", group, "gbv_case_management")])
    names = uc._Names(session)
    text = " ".join([*uc._reasons(codes, names, locale), uc._act(codes, names, partner, locale)])
    for part in said:
        assert part in text, text


def test_proper_group_names_keep_their_capital_in_english(session):
    from data.models import TargetGroup

    session.add(TargetGroup(code="pal_refugees", name_en="Palestine refugees",
                            name_ar="اللاجئون الفلسطينيون", sort=999))
    session.add(TargetGroup(code="idps_camps", name_en="IDPs in camps",
                            name_ar="النازحون في المخيمات", sort=999))
    session.flush()
    names = uc._Names(session)
    assert names.group_in_text("pal_refugees", "en") == "Palestine refugees"
    assert names.group_in_text("idps_camps", "en") == "IDPs in camps"
    assert names.group_in_text("older_people", "en") == "older people"
    assert names.group_in_text("older_people", "ar") == "كبار السن"
