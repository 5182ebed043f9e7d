"""The referral acceptance model: beats a constant baseline on a learnable history, time-based
split, cold start, and the estimator contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matching.acceptance import COLUMNS, AcceptanceModel, evaluate, time_split
from tests.kits.acceptance_synth import synthetic_history


@pytest.fixture(scope="module")
def history():
    X, y = synthetic_history(3000, seed=7)
    frame = X.assign(completed=y)
    train, test = time_split(frame, test_fraction=0.25)
    return train, test


@pytest.mark.parametrize("method", ["logistic", "boosting"])
def test_beats_the_constant_base_rate_on_the_held_out_period(history, method):
    train, test = history
    assert train.sent_at.max() < test.sent_at.min()
    model = AcceptanceModel(method, random_state=0).fit(train[list(COLUMNS)], train.completed)
    report = evaluate(model, test[list(COLUMNS)], test.completed)
    assert report["auc"] > 0.65  # a constant scores 0.5
    assert report["log_loss"] < report["baseline_log_loss"] - 0.03
    assert report["brier"] < report["baseline_brier"]
    assert 0 < report["cold_start_share"] < 0.5  # late providers are cold in the test period
    cal = pd.DataFrame(report["calibration"])
    assert (cal.predicted - cal.observed).abs().mean() < 0.1


def test_learns_the_documented_directions(history):
    train, _ = history
    model = AcceptanceModel().fit(train[list(COLUMNS)], train.completed)
    base = pd.DataFrame({"provider": [0], "service_type": ["prot_legal"], "distance_m": [2000.0],
                         "provider_load": [0.2], "urgency": ["normal"],
                         "sent_at": [pd.Timestamp("2026-06-01", tz="UTC")]})
    p = model.predict_proba(base)[0, 1]
    assert model.predict_proba(base.assign(distance_m=80_000.0))[0, 1] < p
    assert model.predict_proba(base.assign(provider_load=2.0))[0, 1] < p
    assert model.predict_proba(base.assign(urgency="emergency"))[0, 1] > p


def test_cold_start_provider_gets_the_service_type_prior(history):
    train, test = history
    model = AcceptanceModel().fit(train[list(COLUMNS)], train.completed)
    row = test[list(COLUMNS)].head(1).assign(provider=10_000)
    assert model.is_cold_start(row).tolist() == [True]
    feats = model.transform_features(row)
    st = row.service_type.iloc[0]
    assert feats.past_rate.iloc[0] == pytest.approx(model.type_rates_[st])
    assert feats.log_experience.iloc[0] == 0
    assert 0 < model.predict_proba(row)[0, 1] < 1
    unknown_type = row.assign(service_type="never_seen")
    assert model.transform_features(unknown_type).past_rate.iloc[0] == pytest.approx(
        model.base_rate_)
    assert np.isfinite(model.predict_proba(unknown_type)).all()


def test_past_acceptance_does_not_leak_the_outcome():
    """A provider's first referral sees only the prior, whatever its outcome."""
    X, y = synthetic_history(400, seed=1)
    model = AcceptanceModel(prior_strength=4).fit(X, y)
    first = X.groupby("provider").head(1).index
    feats = model._features(X.loc[first], np.zeros(len(first)), np.zeros(len(first)))
    expected = X.loc[first, "service_type"].map(model.type_rates_).to_numpy()
    assert feats.past_rate.to_numpy() == pytest.approx(expected)


def test_estimator_contract():
    model = AcceptanceModel("boosting", C=0.5, random_state=3)
    assert model.get_params() == {"method": "boosting", "C": 0.5, "prior_strength": 10.0,
                                  "max_iter": 500, "random_state": 3}
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict_proba(synthetic_history(10)[0])
    X, y = synthetic_history(500, seed=2)
    assert model.fit(X, y) is model
    first = set(model.provider_stats_.index)
    model.fit(X[X.provider < 5], y[X.provider < 5])  # refit forgets
    assert set(model.provider_stats_.index) == {0, 1, 2, 3, 4} != first
    with pytest.raises(ValueError, match="method"):
        AcceptanceModel("magic").fit(X, y)
    with pytest.raises(ValueError, match="lacks column"):
        AcceptanceModel().fit(X.drop(columns="urgency"), y)
    with pytest.raises(ValueError, match="both outcomes"):
        AcceptanceModel().fit(X, np.ones(len(X)))


def test_boosting_is_reproducible_with_random_state():
    X, y = synthetic_history(600, seed=4)
    a = AcceptanceModel("boosting", random_state=0).fit(X, y).predict_proba(X)
    b = AcceptanceModel("boosting", random_state=0).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("check", ["check_no_attributes_set_in_init",
                                   "check_get_params_invariance", "check_set_params",
                                   "check_parameters_default_constructible"])
def test_sklearn_estimator_checks_that_apply(check):
    """The scikit-learn checks that do not need numeric X (ours takes a referral frame)."""
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("AcceptanceModel", AcceptanceModel())
