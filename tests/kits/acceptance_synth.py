"""A small synthetic referral history with a learnable outcome, for the acceptance-model tests
(and the notebook while the demo history is not on main).

Generative model, per referral ``i`` to provider ``p`` of service type ``t``:

    logit P(completed) = 1.2 + type_effect[t] + quality[p]
                         - 0.9 * log1p(distance_km / 5)
                         - 1.6 * provider_load
                         + urgency_effect[urgency]
                         - 0.5 * [month in Dec, Jan, Feb]

``quality[p] ~ Normal(0, 0.8)`` is latent (learnable through past acceptance);
``distance_km ~ LogNormal(log 6, 1)``; ``provider_load ~ Gamma(2, 0.35)``; urgency low/normal/
high/emergency with probabilities .15/.6/.2/.05 and effects -0.3/0/0.3/0.6; referral times
spread over 540 days; a quarter of the providers start only in the last fifth of the period
(cold start in the held-out months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TYPE_EFFECT = {"gbv_case_management": 0.3, "prot_legal": -0.4, "health_primary": 0.5,
               "prot_pss": 0.2, "food_assistance": -0.2, "edu_nonformal": 0.0}
URGENCY_EFFECT = {"low": -0.3, "normal": 0.0, "high": 0.3, "emergency": 0.6}
URGENCY_P = (0.15, 0.6, 0.2, 0.05)


def synthetic_history(n: int = 3000, *, providers: int = 60, days: int = 540,
                      seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``(X, y)``: ``n`` referrals with the columns of ``matching.acceptance.COLUMNS``."""
    rng = np.random.default_rng(seed)
    types = np.array(list(TYPE_EFFECT))
    provider_type = rng.choice(types, providers)
    quality = rng.normal(0.0, 0.8, providers)
    start_day = np.where(rng.random(providers) < 0.25, int(days * 0.8), 0)
    day = rng.integers(0, days, n)
    # each referral goes to a provider already active on that day
    active = start_day[None, :] <= day[:, None]
    weight = active / active.sum(axis=1, keepdims=True)
    provider = (weight.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    sent_at = (pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(day, unit="D")
               + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"))
    distance_km = rng.lognormal(np.log(6.0), 1.0, n)
    load = rng.gamma(2.0, 0.35, n)
    urgency = rng.choice(list(URGENCY_EFFECT), n, p=URGENCY_P)
    service_type = provider_type[provider]
    winter = np.isin(sent_at.month, (12, 1, 2))
    logit = (1.2 + pd.Series(service_type).map(TYPE_EFFECT).to_numpy() + quality[provider]
             - 0.9 * np.log1p(distance_km / 5) - 1.6 * load
             + pd.Series(urgency).map(URGENCY_EFFECT).to_numpy() - 0.5 * winter)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"provider": provider, "service_type": service_type,
                      "distance_m": distance_km * 1000, "provider_load": load,
                      "urgency": urgency, "sent_at": sent_at})
    order = np.argsort(sent_at.to_numpy(), kind="stable")
    return X.iloc[order].reset_index(drop=True), y[order]
