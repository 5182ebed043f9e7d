"""The partner recommender and the complementarity matrix on hand-made cases (pure, no DB)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matching.complementarity import (
    DOMAIN_PRIOR,
    ComplementarityModel,
    cooccurrence_matrix,
    prior_matrix,
    referral_matrix,
)
from matching.partners import PartnerRecommender

TYPES = ["gbv_case_management", "prot_legal", "food_assistance", "nutrition_treatment",
         "cp_case_management", "edu_nonformal", "prot_pss"]
SUBS = ["SY070100", "SY070101", "SY070102"]  # three Idleb sub-districts


def offers(org, service_type, areas=SUBS, groups=("idps", "women"), need=5000.0,
           capacity=None):
    return [{"org": org, "area": a, "group": g, "service_type": service_type,
             "need": need, "capacity": capacity} for a in areas for g in groups]


@pytest.fixture
def world():
    """A (GBV) and B (legal aid) serve displaced women in the same sub-districts; C offers
    psychosocial support there; D offers legal aid far away; E duplicates A's GBV case
    management."""
    rows = (offers(1, "gbv_case_management", capacity=100)
            + offers(2, "prot_legal")
            + offers(3, "prot_pss")
            + offers(4, "prot_legal", areas=["SY020400", "SY020401"])
            + offers(5, "gbv_case_management", areas=SUBS[:2], capacity=80)
            + offers(6, "nutrition_treatment", areas=["SY020400"]))
    presence = pd.DataFrame(rows)
    services = presence[["org", "service_type"]].drop_duplicates()
    comp = ComplementarityModel().fit(TYPES).matrix_
    return presence, services, comp


def test_gbv_and_legal_aid_rank_each_other_first(world):
    model = PartnerRecommender().fit(*world)
    assert model.suggest(1, top=3)[0].partner == 2
    assert model.suggest(2, top=3)[0].partner == 1
    # far away: no shared reach, never suggested
    assert 4 not in [s.partner for s in model.suggest(1, top=10)]
    # the same service is duplication, not complementarity: E is not a partner for A
    assert 5 not in [s.partner for s in model.suggest(1, top=10)]
    scores = model.scores(1)
    assert scores.loc[2, "score"] > scores.loc[3, "score"] > 0
    assert scores.loc[5, "duplication"] > 0.5 and scores.loc[5, "score"] < 0


def test_reasons_are_codes_with_shared_cells_and_service_pairs(world):
    best = PartnerRecommender(n_reasons=2).fit(*world).suggest(1, top=1)[0]
    assert len(best.shared_cells) == 2
    area, group, need = best.shared_cells[0]
    assert area in SUBS and group in {"idps", "women"} and need == 5000.0
    assert best.service_pairs == [("gbv_case_management", "prot_legal", pytest.approx(0.9))]
    assert best.duplicated == []


def test_duplication_alert_for_same_service_same_group_same_area(world):
    model = PartnerRecommender().fit(*world)
    alerts = model.duplication_alerts(org=1)
    assert set(alerts["service_type"]) == {"gbv_case_management"}
    assert set(alerts["area"]) == set(SUBS[:2])  # E does not work in the third one
    assert alerts["orgs"].map(set).eq({1, 5}).all() and (alerts["n_orgs"] == 2).all()
    assert alerts["coverage_ratio"].to_numpy() == pytest.approx(180 / 5000)
    assert model.duplication_alerts(org=2).empty  # legal aid: D works elsewhere
    by_area = model.duplication_alerts(area="SY070101")
    assert set(by_area["area"]) == {"SY070101"} and len(by_area) == 2  # idps and women
    assert model.duplication_alerts(area="SY02").empty


def test_filters_restrict_reach_and_partner_types(world):
    model = PartnerRecommender().fit(*world)
    only_pss = model.suggest(1, partner_types=["prot_pss"])
    assert [s.partner for s in only_pss] == [3]
    assert model.suggest(1, area="SY02") == []
    in_one = model.suggest(1, area="SY070102", group="women")
    assert in_one[0].partner == 2
    assert {c[:2] for c in in_one[0].shared_cells} == {("SY070102", "women")}
    assert [s.partner for s in model.suggest(1, exclude=[2])][0] == 3


def test_need_weights_shared_reach(world):
    presence, services, comp = world
    # B2 shares only a high-need cell with A, B3 only a low-need one; same service
    rows = (offers(1, "gbv_case_management", areas=["SY1", "SY2"], groups=["women"])
            + offers(2, "prot_legal", areas=["SY1"], groups=["women"], need=90000)
            + offers(3, "prot_legal", areas=["SY2"], groups=["women"], need=10))
    frame = pd.DataFrame(rows)
    frame.loc[frame.area == "SY1", "need"] = 90000
    frame.loc[frame.area == "SY2", "need"] = 10
    model = PartnerRecommender(need_scale="linear").fit(
        frame, frame[["org", "service_type"]].drop_duplicates(), comp)
    assert [s.partner for s in model.suggest(1)] == [2, 3]


def test_suggest_all_matches_one_by_one_and_a_loop_over_pairs(world):
    model = PartnerRecommender(block_size=2).fit(*world)
    ids, vals = model.suggest_all(top=3)
    for row, org in enumerate(model.orgs_):
        one = model.suggest(org, top=3)
        assert [s.partner for s in one] == [p for p in ids[row] if p != -1]
        assert [s.score for s in one] == pytest.approx(vals[row][~np.isnan(vals[row])])
    # the straightforward definition, pair by pair
    presence, services, comp = world
    cells = presence.groupby("org").apply(lambda f: set(zip(f.area, f.group, strict=True)),
                                          include_groups=False)
    w = np.log1p(5000.0) + 1e-9
    a, b = 1, 3
    shared = len(cells[a] & cells[b]) * w
    reach = shared / np.sqrt(len(cells[a]) * w * len(cells[b]) * w)
    expected = reach * comp.loc["gbv_case_management", "prot_pss"]
    assert model.scores(a).loc[b, "score"] == pytest.approx(expected)


# ------------------------------------------------------------------ estimator contract

def test_init_only_stores_params_and_clone_works():
    model = PartnerRecommender(duplication_weight=2.0, need_scale="bogus")  # no validation yet
    assert model.get_params() == {"duplication_weight": 2.0, "need_scale": "bogus",
                                  "n_reasons": 3, "block_size": 512}
    assert clone(model).get_params() == model.get_params()
    assert not [k for k in vars(model) if k.endswith("_")]


def test_fit_returns_self_validates_and_refit_forgets(world):
    model = PartnerRecommender()
    assert model.fit(*world) is model
    assert 5 in model.orgs_
    presence, services, comp = world
    keep = presence[presence.org.isin([1, 2])]
    model.fit(keep, services[services.org.isin([1, 2])], comp)
    assert list(model.orgs_) == [1, 2]
    with pytest.raises(KeyError, match="organisation 5"):
        model.suggest(5)
    with pytest.raises(ValueError, match="need_scale"):
        PartnerRecommender(need_scale="bogus").fit(*world)
    with pytest.raises(ValueError, match="lacks column"):
        PartnerRecommender().fit(presence.drop(columns="group"), services, comp)


@pytest.mark.parametrize("call", [
    lambda m: m.suggest(1), lambda m: m.suggest_all(), lambda m: m.duplication_alerts(),
    lambda m: m.scores(1)])
def test_unfitted_raises_not_fitted(call):
    with pytest.raises(NotFittedError):
        call(PartnerRecommender())


# ------------------------------------------------------------------ complementarity

def test_prior_is_symmetric_documented_and_zero_on_the_diagonal():
    m = prior_matrix(TYPES)
    assert np.allclose(m.to_numpy(), m.to_numpy().T)
    assert (np.diag(m.to_numpy()) == 0).all()
    assert m.loc["gbv_case_management", "prot_legal"] == 0.9
    assert m.loc["food_assistance", "nutrition_treatment"] == 0.8
    assert m.loc["cp_case_management", "edu_nonformal"] == 0.8
    assert all(0 < s <= 1 for *_, s in DOMAIN_PRIOR)


def test_cooccurrence_finds_activities_reported_together():
    rng = np.random.default_rng(3)
    places = [f"C{i}" for i in range(60)]
    rows = []
    for p in places:
        if rng.random() < 0.5:  # food and nutrition travel together
            rows += [(p, "food_assistance"), (p, "nutrition_treatment")]
        if rng.random() < 0.4:  # legal aid independently
            rows.append((p, "prot_legal"))
    acts = pd.DataFrame(rows, columns=["place", "service_type"])
    m = cooccurrence_matrix(acts, TYPES)
    assert m.loc["food_assistance", "nutrition_treatment"] == pytest.approx(1.0)
    assert m.loc["food_assistance", "prot_legal"] < 0.3
    assert m.loc["cp_case_management", "edu_nonformal"] == 0.0


def test_activity_pairs_reference_agrees_with_the_prior(shared):
    """The WoS inter-cluster correlations pair child protection with education, as our prior
    does (read in the test only, never copied)."""
    pairs = pd.read_csv(shared("reference", "activity_pairs.csv"))
    cp_edu = pairs[pairs.activity1.str.contains("CP2") & (pairs.cluster2 == "Education")]
    assert len(cp_edu) > 0 and cp_edu["corr"].max() > 0.5
    assert prior_matrix(TYPES).loc["cp_case_management", "edu_nonformal"] > 0.5


def test_completed_referrals_make_types_complementary():
    org_services = pd.DataFrame({"org": [1, 2], "service_type": ["prot_pss", "edu_nonformal"]})
    refs = pd.DataFrame({"sender": [1] * 10 + [2] * 5, "service_type":
                         ["edu_nonformal"] * 10 + ["prot_pss"] * 5,
                         "completed": [True] * 9 + [False] + [True] * 5})
    m = referral_matrix(refs, org_services, TYPES, half_saturation=5)
    assert m.loc["prot_pss", "edu_nonformal"] == pytest.approx(14 / 20)
    assert m.loc["edu_nonformal", "prot_pss"] == m.loc["prot_pss", "edu_nonformal"]
    assert m.loc["food_assistance", "prot_legal"] == 0
    blended = ComplementarityModel(prior_weight=1, referral_weight=1).fit(
        TYPES, referrals=refs, org_services=org_services)
    assert blended.sources_ == ["prior", "referrals"]
    assert blended.matrix_.loc["prot_pss", "edu_nonformal"] == pytest.approx(0.35)
    assert blended.pairs(top=1).iloc[0].to_dict()["strength"] > 0


@pytest.mark.parametrize("estimator", [PartnerRecommender(), ComplementarityModel()],
                         ids=["PartnerRecommender", "ComplementarityModel"])
@pytest.mark.parametrize("check", ["check_no_attributes_set_in_init",
                                   "check_get_params_invariance", "check_set_params"])
def test_sklearn_estimator_checks_that_apply(estimator, check):
    """The scikit-learn checks that do not need numeric X/y data (ours take frames)."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)(type(estimator).__name__, estimator)


def test_parameters_default_constructible():
    from sklearn.utils.estimator_checks import check_parameters_default_constructible

    for cls in (PartnerRecommender, ComplementarityModel):
        check_parameters_default_constructible(cls.__name__, cls())


def test_duplication_beyond_need_only(world):
    """Issue 21, finding 4: with ``min_coverage`` an offer is duplication only where the
    organisations together cover the need; several of them in a poorly covered cell is a gap."""
    model = PartnerRecommender().fit(*world)
    low = model.duplication_alerts(org=1, periods=12, min_coverage=1.0)
    assert low.empty  # 180 a month x 12 against 5,000 in need: 43%, a gap not a duplication
    year = model.duplication_alerts(org=1, periods=12)
    assert year["coverage_ratio"].to_numpy() == pytest.approx(12 * 180 / 5000)
    assert len(model.duplication_alerts(org=1, periods=12, min_coverage=0.4)) == len(year)
