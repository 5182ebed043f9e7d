"""The probability that a referral to a provider is accepted *and* completed.

Features of a referral (one row of ``X``):

* ``service_type`` (one-hot), ``urgency`` (one-hot: low, normal, high, emergency);
* ``distance_m`` -> ``log1p(distance in km)`` (missing: the training median);
* ``provider_load``: referrals the provider received in the previous 30 days per unit of
  monthly capacity (the use case computes it);
* ``sent_at`` -> time of year as ``sin``/``cos`` of the month, and a winter flag;
* ``provider`` -> **past acceptance**: the provider's completion rate before the referral,
  shrunk towards the base rate with ``prior_strength`` pseudo-referrals, and ``log1p`` of the
  number of referrals behind it. While fitting, each row sees only the referrals sent before it
  (no leakage); when predicting, the rates at the end of the training history are used.
  **Cold start**: a provider without history gets the base rate of its service type and an
  experience of 0, which the model has learnt from the first referrals of every provider.

The classifier is a logistic regression (default) or gradient boosting
(``method="boosting"``). :func:`time_split` splits a history by time and :func:`evaluate`
reports ROC AUC, log-loss against the constant base rate, Brier score and a calibration table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

__all__ = ["COLUMNS", "URGENCIES", "AcceptanceModel", "evaluate", "time_split"]

COLUMNS = ("provider", "service_type", "distance_m", "provider_load", "urgency", "sent_at")
URGENCIES = ("low", "normal", "high", "emergency")
METHODS = ("logistic", "boosting")
_NUMERIC = ["log_distance_km", "provider_load", "month_sin", "month_cos", "winter",
            "past_rate", "log_experience"]
_CATEGORICAL = ["service_type", "urgency"]


def _check_frame(X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame with columns {list(COLUMNS)}, "
                        f"got {type(X).__name__}")
    missing = [c for c in COLUMNS if c not in X.columns]
    if missing:
        raise ValueError(f"X lacks column(s) {missing}; it needs {list(COLUMNS)}")
    return X


def time_split(frame: pd.DataFrame, *, test_fraction: float = 0.25,
               time_column: str = "sent_at") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` by time: the last ``test_fraction`` of the period is held out.

    Examples
    --------
    >>> f = pd.DataFrame({"sent_at": pd.date_range("2025-01-01", periods=8, freq="D")})
    >>> train, test = time_split(f, test_fraction=0.25)
    >>> len(train), len(test), bool(train.sent_at.max() < test.sent_at.min())
    (6, 2, True)
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    times = pd.to_datetime(frame[time_column], utc=True)
    cut = times.quantile(1 - test_fraction)
    return frame[times < cut], frame[times >= cut]


class AcceptanceModel(ClassifierMixin, BaseEstimator):
    """Probability that a referral to a provider ends completed.

    Parameters
    ----------
    method : {"logistic", "boosting"}, default "logistic"
    C : float, default 1.0
        Inverse regularisation of the logistic regression.
    prior_strength : float, default 10.0
        Pseudo-referrals at the base rate added to each provider's history.
    max_iter : int, default 500
    random_state : int, RandomState or None
        Seed of the gradient boosting's row subsampling (unused by the logistic regression).

    Attributes
    ----------
    classes_ : numpy.ndarray
        ``[0, 1]``.
    base_rate_ : float
        Completion rate of the training history (the constant baseline).
    type_rates_ : pandas.Series
        Completion rate per service type, shrunk towards the base rate (cold start prior).
    provider_stats_ : pandas.DataFrame
        ``completed`` and ``referred`` per provider at the end of the training history.
    pipeline_ : sklearn.pipeline.Pipeline
        Encoding and classifier.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> X = pd.DataFrame({"provider": rng.integers(0, 10, n),
    ...                   "service_type": rng.choice(["prot_legal", "health_primary"], n),
    ...                   "distance_m": rng.exponential(8000, n),
    ...                   "provider_load": rng.random(n), "urgency": "normal",
    ...                   "sent_at": pd.date_range("2025-01-01", periods=n, freq="h")})
    >>> y = (rng.random(n) < 1 / (1 + np.exp(X.distance_m / 8000 - 1))).astype(int)
    >>> model = AcceptanceModel().fit(X, y)
    >>> model.predict_proba(X.head(2)).shape
    (2, 2)
    """

    def __init__(self, method: str = "logistic", *, C: float = 1.0,
                 prior_strength: float = 10.0, max_iter: int = 500,
                 random_state: Any = None) -> None:
        self.method = method
        self.C = C
        self.prior_strength = prior_strength
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any) -> AcceptanceModel:
        """Fit on a referral history ``X`` (see :data:`COLUMNS`) and outcomes ``y`` (0/1)."""
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.prior_strength < 0:
            raise ValueError(f"prior_strength must be >= 0, got {self.prior_strength}")
        X = _check_frame(X)
        y = np.asarray(y).astype(int).ravel()
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("y needs both outcomes (0 and 1) to learn from")
        order = np.argsort(pd.to_datetime(X["sent_at"], utc=True).to_numpy(), kind="stable")
        Xs, ys = X.iloc[order].reset_index(drop=True), y[order]
        self.base_rate_ = float(ys.mean())
        m = float(self.prior_strength)
        by_type = pd.DataFrame({"t": Xs["service_type"].astype(str), "y": ys}).groupby("t")["y"]
        self.type_rates_ = (by_type.sum() + m * self.base_rate_) / (by_type.count() + m)
        # leak-free history: each row sees its provider's outcomes strictly before it
        grouped = pd.Series(ys).groupby(Xs["provider"].to_numpy())
        done_before = grouped.cumsum().to_numpy() - ys
        seen_before = grouped.cumcount().to_numpy()
        features = self._features(Xs, done_before, seen_before)
        self.provider_stats_ = pd.DataFrame({"completed": grouped.sum(),
                                             "referred": grouped.count()})
        self.distance_median_ = float(np.nanmedian(Xs["distance_m"].to_numpy(float))) \
            if Xs["distance_m"].notna().any() else 0.0
        features["log_distance_km"] = features["log_distance_km"].fillna(
            np.log1p(self.distance_median_ / 1000))
        if self.method == "logistic":
            clf = LogisticRegression(C=self.C, max_iter=self.max_iter)
        else:
            clf = GradientBoostingClassifier(n_estimators=min(self.max_iter, 150),
                                             learning_rate=0.05, max_depth=2, subsample=0.8,
                                             min_samples_leaf=20,
                                             random_state=self.random_state)
        encode = ColumnTransformer([
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             _CATEGORICAL),
            ("numbers", StandardScaler(), _NUMERIC),
        ])
        self.pipeline_ = Pipeline([("encode", encode), ("classify", clf)]).fit(features, ys)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(COLUMNS)
        return self

    def _features(self, X: pd.DataFrame, done: np.ndarray, seen: np.ndarray) -> pd.DataFrame:
        m = float(self.prior_strength)
        prior = X["service_type"].astype(str).map(self.type_rates_).fillna(
            self.base_rate_).to_numpy(float)
        past = (done + m * prior) / (seen + m) if m > 0 else np.where(
            seen > 0, done / np.maximum(seen, 1), prior)
        month = pd.to_datetime(X["sent_at"], utc=True).dt.month.to_numpy()
        angle = 2 * np.pi * (month - 1) / 12
        urgency = X["urgency"].astype(str).where(X["urgency"].isin(URGENCIES), "normal")
        return pd.DataFrame({
            "service_type": X["service_type"].astype(str).to_numpy(),
            "urgency": urgency.to_numpy(),
            "log_distance_km": np.log1p(X["distance_m"].to_numpy(float) / 1000),
            "provider_load": X["provider_load"].fillna(0.0).to_numpy(float),
            "month_sin": np.sin(angle), "month_cos": np.cos(angle),
            "winter": np.isin(month, (12, 1, 2)).astype(float),
            "past_rate": past, "log_experience": np.log1p(seen),
        })

    def transform_features(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's input features for ``X``, with each provider's end-of-training history
        (unknown providers: the cold-start prior)."""
        check_is_fitted(self, "pipeline_")
        X = _check_frame(X)
        stats = self.provider_stats_.reindex(X["provider"].to_numpy())
        features = self._features(X, stats["completed"].fillna(0).to_numpy(float),
                                  stats["referred"].fillna(0).to_numpy(float))
        features["log_distance_km"] = features["log_distance_km"].fillna(
            np.log1p(self.distance_median_ / 1000))
        return features

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``n x 2`` probabilities of (not completed, completed)."""
        features = self.transform_features(X)
        return self.pipeline_.predict_proba(features)

    def linear_parts(self, X: pd.DataFrame) -> tuple[np.ndarray, float, np.ndarray]:
        """Split the logistic model's logit for ``X`` into the part that does not depend on
        distance and the distance coefficient, so a search can add the real distance later:
        ``logit(d) = base + coef * log1p(d / 1000)``. Returns ``(base, coef, p_default)`` where
        ``p_default`` is the probability at ``X``'s own distance (the median when missing).

        Raises ValueError for gradient boosting (not additive in distance).
        """
        check_is_fitted(self, "pipeline_")
        if self.method != "logistic":
            raise ValueError("linear_parts needs method='logistic'")
        encode, clf = self.pipeline_.named_steps["encode"], self.pipeline_.named_steps["classify"]
        names = list(encode.get_feature_names_out())
        scaler = encode.named_transformers_["numbers"]
        k = _NUMERIC.index("log_distance_km")
        coef = float(clf.coef_[0][names.index("numbers__log_distance_km")] / scaler.scale_[k])
        features = self.transform_features(X)
        p_default = self.pipeline_.predict_proba(features)[:, 1]
        features["log_distance_km"] = 0.0
        base = self.pipeline_.decision_function(features)
        return np.asarray(base, dtype=float), coef, p_default

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where completion is more likely than not."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def is_cold_start(self, X: pd.DataFrame) -> np.ndarray:
        """True for rows whose provider had no referral in the training history."""
        check_is_fitted(self, "provider_stats_")
        return ~X["provider"].isin(self.provider_stats_.index).to_numpy()


def evaluate(model: AcceptanceModel, X: pd.DataFrame, y: Any, *, bins: int = 10) -> dict[str, Any]:
    """ROC AUC, log-loss (model and constant base rate), Brier score, calibration table.

    The baseline predicts the training base rate for everyone; ``calibration`` lists, per bin
    of predicted probability, the mean prediction and the observed completion rate.
    """
    y = np.asarray(y).astype(int).ravel()
    p = np.clip(model.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
    base = np.full(len(y), np.clip(model.base_rate_, 1e-6, 1 - 1e-6))
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    return {
        "n": int(len(y)),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
        "auc": float(roc_auc_score(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "baseline_log_loss": float(log_loss(y, base, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "baseline_brier": float(brier_score_loss(y, base)),
        "cold_start_share": float(model.is_cold_start(X).mean()) if len(y) else 0.0,
        "calibration": [{"predicted": float(a), "observed": float(b)}
                        for a, b in zip(predicted, observed, strict=True)],
    }
