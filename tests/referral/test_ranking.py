"""Referral outcomes in the provider-search ranking: the precomputed table, the refresh job,
the score term with its reasons (Arabic and English), the API and the service page."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import insert, select, text
from werkzeug.datastructures import MultiDict

from data.models import Case, ProviderRanking, Referral
from tests.kits.directory import P, east

PT = {"lon": str(P[0]), "lat": str(P[1])}
START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def _history(session, sender, receiver, service, outcomes):
    """Decided referrals to ``receiver``: (status, reason, hours to answer) per referral."""
    case = Case(organization_id=sender.id, case_code=f"R-{receiver.id}")
    session.add(case)
    session.flush()
    rows = []
    for n, (status, reason, hours) in enumerate(outcomes):
        sent = START + dt.timedelta(days=3 * n, hours=receiver.id % 7)
        rows.append({"case_id": case.id, "sender_org_id": sender.id,
                     "receiver_org_id": receiver.id, "service_id": service.id,
                     "service_type_code": service.service_type_code, "urgency": "normal",
                     "distance_m": 2000.0, "sent_at": sent, "status": status,
                     "reason_code": reason, "responded_at": sent + dt.timedelta(hours=hours),
                     "version": 1})
    session.execute(insert(Referral), rows)
    session.flush()


@pytest.fixture
def trio(session, make):
    """Three identical legal-aid services 2 km from P: GOOD completed 40 referrals (answers in
    4 h), BAD declined 40 for lack of capacity (answers in 3 days), NEW has no history."""
    sender = make.org(acronym="SND")
    out = {}
    for name in ("GOOD", "BAD", "NEW"):
        org = make.org(acronym=name)
        out[name] = make.service(organization=org, service_type_code="prot_legal",
                                 sites=[east(2)], coverage=["SY07"], target_groups=[],
                                 capacity_per_month=50, availability="open")
    _history(session, sender, out["GOOD"].organization, out["GOOD"],
             [("completed", None, 4)] * 40)
    _history(session, sender, out["BAD"].organization, out["BAD"],
             [("declined", "no_capacity", 72)] * 40)
    return out


def _search(session, **args):
    from referral.search import Viewer, parse_query, search

    return search(session, parse_query(session, MultiDict({"need": "prot_legal", **args})),
                  Viewer(role="caseworker"))


def _rows(session):
    return {r.service_id: r for r in session.scalars(select(ProviderRanking))}


def test_strong_history_outranks_many_declines_for_no_capacity(session, trio):
    from referral.ranking import refresh_ranking

    before = _search(session, **PT)
    assert {i["id"] for i in before.items} == {s.id for s in trio.values()}
    assert len({i["score"] for i in before.items}) == 1  # identical until the refresh
    counts = refresh_ranking(session)
    assert counts["source"] == "model" and counts["cold_start"] >= 1
    items = {i["id"]: i for i in _search(session, **PT).items}
    order = [i["id"] for i in _search(session, **PT).items]
    good, bad = trio["GOOD"].id, trio["BAD"].id
    assert order.index(good) < order.index(bad)
    assert items[good]["score"] > items[bad]["score"]
    rows = _rows(session)
    assert rows[good].p_default > 0.7 > 0.3 > rows[bad].p_default
    assert rows[good].acceptance_rate == 1.0 and rows[bad].acceptance_rate == 0.0
    assert rows[good].median_response_hours == pytest.approx(4)
    assert rows[bad].top_decline_reason == "no_capacity" and rows[bad].top_decline_share == 1
    assert items[good]["referral_stats"] == {"acceptance_rate": 1.0,
                                             "median_response_hours": 4.0, "referrals": 40}


def test_distance_enters_at_query_time(session, trio):
    """The stored logit excludes distance; the search adds the real one (the model learnt
    nothing about distance here, so only the formula is checked)."""
    from matching.ranking import acceptance
    from referral.ranking import refresh_ranking

    refresh_ranking(session)
    row = _rows(session)[trio["GOOD"].id]
    res = _search(session, **PT)
    item = next(i for i in res.items if i["id"] == trio["GOOD"].id)
    d = item["distance_m"]
    expected = 1 / (1 + math.exp(-(row.logit_base + row.distance_coef * math.log1p(d / 1000))))
    # the card states the provider's acceptance rate with its period, as the service page
    # does (one figure); the distance-aware probability only orders the results
    pct = [r for r in item["reasons"] if r["code"] == "acceptance"][0]
    assert pct["en"] == (f"Accepted {round(100 * row.acceptance_rate)}% of the referrals it "
                         "answered (all time on the platform)")
    from matching.ranking import Candidates
    c = Candidates(ids=[1], coverage=[2], distance_m=[d], availability=["open"], capacity=[50],
                   group_match=[1], needs_documents=[False], days_since_verified=[1],
                   accept_logit=[row.logit_base], accept_distance_coef=[row.distance_coef],
                   accept_p=[row.p_default], history=[40])
    assert acceptance(c)[0] == pytest.approx(expected)


def test_cold_start_gets_the_models_prior(session, trio):
    import pandas as pd

    from referral.acceptance import fitted_acceptance
    from referral.ranking import refresh_ranking

    refresh_ranking(session, now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    new = _rows(session)[trio["NEW"].id]
    assert new.history == 0 and new.acceptance_rate is None
    model = fitted_acceptance(session)
    prior = model.predict_proba(pd.DataFrame([{
        "provider": -1, "service_type": "prot_legal", "distance_m": np.nan,
        "provider_load": 0.0, "urgency": "normal",
        "sent_at": pd.Timestamp("2026-11-01", tz="UTC")}]))[0, 1]
    assert new.p_default == pytest.approx(prior)
    item = next(i for i in _search(session, **PT).items if i["id"] == trio["NEW"].id)
    reasons = {r["code"]: r for r in item["reasons"]}
    assert reasons["new_provider"]["en"] == "New provider: no history yet"
    assert reasons["new_provider"]["ar"] == "مزوّد جديد: لا يوجد سجل بعد"
    assert "acceptance" not in reasons


def test_without_enough_history_the_prior_is_the_overall_rate(session, make):
    from referral.ranking import PRIOR_STRENGTH, refresh_ranking

    sender = make.org()
    some = make.service(service_type_code="prot_legal", sites=[east(1)])
    new = make.service(service_type_code="prot_legal", sites=[east(1)])
    _history(session, sender, some.organization, some,
             [("completed", None, 2)] * 3 + [("declined", "other", 2)])
    counts = refresh_ranking(session)
    assert counts["source"] == "prior"
    rows = _rows(session)
    overall = session.execute(text(
        "SELECT avg((status = 'completed')::int) FROM referral WHERE status IN "
        "('completed', 'declined', 'closed_unmet', 'expired')")).scalar()
    assert rows[new.id].p_default == pytest.approx(float(overall))
    assert rows[new.id].history == 0
    assert rows[some.id].p_default == pytest.approx(
        (3 + PRIOR_STRENGTH * float(overall)) / (4 + PRIOR_STRENGTH))


def test_refresh_is_idempotent_and_drops_inactive_services(session, trio, runner):
    from referral.ranking import refresh_ranking

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def snapshot():
        return sorted((r.service_id, r.organization_id, round(r.logit_base, 9),
                       round(r.distance_coef, 9), round(r.p_default, 9), r.history,
                       r.acceptance_rate, r.median_response_hours, r.top_decline_reason)
                      for r in session.scalars(select(ProviderRanking)))

    refresh_ranking(session, now=now)
    first = snapshot()
    refresh_ranking(session, now=now)
    assert snapshot() == first and len(first) >= 3
    trio["NEW"].status = "inactive"
    session.flush()
    result = runner.invoke(args=["directory", "refresh-ranking"])
    assert result.exit_code == 0, result.output
    assert "source: model" in result.output
    assert trio["NEW"].id not in _rows(session)


def test_reasons_in_both_languages_through_the_api(client, session, trio):
    from referral.ranking import refresh_ranking

    refresh_ranking(session)
    spec = client.get("/api/v1/openapi.json").get_json()
    resp = client.get("/api/v1/services", query_string={"need": "prot_legal", **PT})
    assert resp.status_code == 200
    schema = dict(spec["paths"]["/services"]["get"]["responses"]["200"]["content"]
                  ["application/json"]["schema"], components=spec["components"])
    body = resp.get_json()
    Draft202012Validator(schema).validate(body)
    items = {i["id"]: {r["code"]: r for r in i["reasons"]} for i in body["items"]}
    good, bad = items[trio["GOOD"].id], items[trio["BAD"].id]
    assert good["acceptance"]["en"] == ("Accepted 100% of the referrals it answered "
                                        "(all time on the platform)")
    assert good["acceptance"]["ar"] == "قبِل 100٪ من الإحالات التي ردّ عليها (منذ انضمامه إلى المنصة)"
    assert good["response_time"]["en"] == "Usually answers within 4 hours"
    assert good["response_time"]["ar"] == "يرد عادةً خلال 4 ساعات"
    assert bad["declines"]["en"] == "Often declines: no capacity (100%)"
    assert bad["declines"]["ar"] == "يرفض كثيراً: لا توجد قدرة استيعابية (100٪)"
    assert bad["response_time"]["en"] == "Usually answers within 3 days"
    assert "new_provider" in items[trio["NEW"].id]
    assert [i["id"] for i in body["items"]].index(trio["GOOD"].id) < \
        [i["id"] for i in body["items"]].index(trio["BAD"].id)


@pytest.mark.parametrize(("lang", "good_text", "new_text"), [
    ("ar", "قبِل 100٪ من الإحالات التي ردّ عليها (منذ انضمامه إلى المنصة)",
     "مزوّد جديد: لا يوجد سجل إحالات بعد"),
    ("en", "Accepted 100% of the referrals it answered (all time on the platform)",
     "New provider: no referral history yet"),
])
def test_service_page_shows_the_referral_record(client, session, trio, lang, good_text,
                                                new_text):
    from referral.ranking import refresh_ranking

    refresh_ranking(session)
    page = client.get(f"/directory/services/{trio['GOOD'].id}?lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert good_text in html
    assert ("يرد عادةً خلال 4 ساعات" if lang == "ar" else "usually answers within 4 hours") \
        in html
    new = client.get(f"/directory/services/{trio['NEW'].id}?lang={lang}").get_data(as_text=True)
    assert new_text in new


def test_outcome_term_is_documented_and_weights_sum_to_one():
    import matching.ranking as ranking

    assert sum(ranking.WEIGHTS.values()) == pytest.approx(1.0)
    assert "outcomes" in ranking.WEIGHTS and "outcomes" in ranking.__doc__
    base = dict(ids=[1, 2], coverage=[2, 2], distance_m=[1000.0, 1000.0],
                availability=["open", "open"], capacity=[50, 50], group_match=[1, 1],
                needs_documents=[False, False], days_since_verified=[1, 1])
    plain = ranking.rank(ranking.Candidates(**base), point=True, groups_given=False)
    assert plain.scores[0] == plain.scores[1] and plain.accept is None
    assert all(r["code"] != "new_provider" for r in plain.reasons(0))
    taught = ranking.rank(ranking.Candidates(
        **base, accept_logit=[-2.0, 2.0], accept_distance_coef=[0.0, 0.0],
        accept_p=[0.1, 0.9], history=[30, 30], response_hours=[None, 5.0]),
        point=True, groups_given=False)
    assert taught.order.tolist() == [1, 0]
    assert taught.accept[1] == pytest.approx(1 / (1 + math.exp(-2)))
