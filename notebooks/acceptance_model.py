# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Will the referral be accepted and completed?
#
# `matching.acceptance.AcceptanceModel` estimates the probability that a referral sent to a
# provider ends **completed**, from the service type, the distance, the provider's load, its
# past acceptance (with a cold-start prior for new providers), the urgency and the time of
# year. Provider search can use it as one term of its ranking.
#
# This notebook trains it on the earlier part of a referral history and evaluates it on the
# **held-out later period** (a time-based split, as it would be used): ROC AUC, log-loss and
# Brier score against the constant base rate, and calibration.
#
# **Data.** The site's own referral history, read through read-only transactions, when
# `TASHARUK_NOTEBOOK_READONLY_URL` names the site's database (`tasharuk notebooks run` and the
# nightly job set it) and it holds enough decided referrals; the demo history
# (`tasharuk load demo`, whose outcomes follow a documented logistic model) when `data.demo`
# is available and `TASHARUK_NOTEBOOK_DATABASE_URL` names an empty migrated database;
# otherwise the synthetic history of `tests/kits/acceptance_synth.py` (completion falling with
# distance and load, varying by service type, urgency and season).

# %%
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path.cwd() if (Path.cwd() / "matching").exists() else Path.cwd().parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from matching.acceptance import COLUMNS, AcceptanceModel, evaluate, time_split  # noqa: E402

SEED = int(os.environ.get("TASHARUK_NOTEBOOK_SEED", "3"))
MIN_SITE_HISTORY = 200  # fewer decided referrals than this: the synthetic history instead
url = os.environ.get("TASHARUK_NOTEBOOK_DATABASE_URL")
site_url = os.environ.get("TASHARUK_NOTEBOOK_READONLY_URL")
try:
    from data.demo import load_demo
except ImportError:
    load_demo = None

X = None
if site_url:
    from sqlalchemy.orm import Session

    from data.db import read_only_engine
    from referral.acceptance import referral_history

    engine = read_only_engine(site_url)
    with Session(engine) as session:
        X, y = referral_history(session)
    engine.dispose()
    if len(X) >= MIN_SITE_HISTORY and y.nunique() == 2:
        source = "the site's referral history (read-only)"
    else:
        print(f"the site has {len(X)} decided referrals: too few to train on, so the "
              "synthetic history is used")
        X = None
if X is not None:
    pass
elif load_demo is not None and url:
    from sqlalchemy.orm import Session

    from data.db import make_engine
    from referral.acceptance import referral_history

    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session, orgs=150, seed=SEED, referrals=4000, today=dt.date(2026, 6, 1),
                  progress=False)
        X, y = referral_history(session)
        session.rollback()  # the notebook leaves the database as it found it
    engine.dispose()
    source = "demo history (tasharuk load demo)"
else:
    from tests.kits.acceptance_synth import synthetic_history

    X, y = synthetic_history(4000, seed=SEED)
    y = pd.Series(y)
    source = "synthetic history (tests/kits/acceptance_synth.py)"

frame = X.assign(completed=np.asarray(y))
print(f"{source}: {len(frame)} decided referrals, {frame.completed.mean():.1%} completed, "
      f"{frame.provider.nunique()} providers, {frame.sent_at.min():%Y-%m-%d} to "
      f"{frame.sent_at.max():%Y-%m-%d}")

# %% [markdown]
# ## Time-based split
# The last quarter of the period is held out; providers that first appear there are cold
# starts.

# %%
train, test = time_split(frame, test_fraction=0.25)
print(f"train: {len(train)} until {train.sent_at.max():%Y-%m-%d}; "
      f"test: {len(test)} from {test.sent_at.min():%Y-%m-%d}")

# %% [markdown]
# ## Evaluation on the held-out period

# %%
reports = {}
models = {}
for method in ("logistic", "boosting"):
    models[method] = AcceptanceModel(method, random_state=0).fit(train[list(COLUMNS)],
                                                                 train.completed)
    reports[method] = evaluate(models[method], test[list(COLUMNS)], test.completed)
summary = pd.DataFrame({m: {k: r[k] for k in ("auc", "log_loss", "baseline_log_loss", "brier",
                                               "baseline_brier", "cold_start_share")}
                        for m, r in reports.items()}).round(4)
summary

# %% [markdown]
# ## Calibration (logistic regression)
# Mean predicted probability against the observed completion rate, by decile of prediction.

# %%
calibration = pd.DataFrame(reports["logistic"]["calibration"]).round(3)
calibration["gap"] = (calibration.predicted - calibration.observed).round(3)
calibration

# %% [markdown]
# ## Cold start
# Providers without history get the base rate of their service type as past acceptance.

# %%
cold = models["logistic"].is_cold_start(test[list(COLUMNS)])
p = models["logistic"].predict_proba(test[list(COLUMNS)])[:, 1]
from sklearn.metrics import roc_auc_score  # noqa: E402

by_history = {}
for name, mask in (("known providers", ~cold), ("new providers", cold)):
    if mask.sum() > 20 and test.completed[mask].nunique() == 2:
        by_history[name] = round(roc_auc_score(test.completed[mask], p[mask]), 3)
by_history

# %% [markdown]
# ## Checks
# The model must beat the constant base rate on the held-out period (checked on the known
# histories; on the site's own history the figures are reported as they are).

# %%
best = reports["logistic"]
if not source.startswith("the site's"):
    assert best["auc"] > 0.55, best["auc"]
    assert best["log_loss"] < best["baseline_log_loss"], (best["log_loss"],
                                                          best["baseline_log_loss"])
    assert (calibration.gap.abs().mean()) < 0.1
print(f"ROC AUC {best['auc']:.3f}; log-loss {best['log_loss']:.3f} vs base rate "
      f"{best['baseline_log_loss']:.3f}")
