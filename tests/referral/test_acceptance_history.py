"""The acceptance model trained from referral rows in the database, and its CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import insert, select

from data.models import Case, Referral
from tests.kits.acceptance_synth import synthetic_history


@pytest.fixture
def history(session, make):
    """1,200 decided referrals to 30 providers, outcomes from the synthetic model."""
    X, y = synthetic_history(1200, providers=30, seed=11)
    sender = make.org(acronym="SND")
    providers = [make.org() for _ in range(30)]
    for p in providers:
        make.service(organization=p, capacity_per_month=40)
    case = Case(organization_id=sender.id, case_code="T-1")
    session.add(case)
    session.flush()
    rows = [{"case_id": case.id, "sender_org_id": sender.id,
             "receiver_org_id": providers[int(r.provider)].id,
             "service_type_code": r.service_type, "urgency": r.urgency,
             "distance_m": float(r.distance_m), "sent_at": r.sent_at.to_pydatetime(),
             "status": "completed" if done else "declined", "version": 1}
            for r, done in zip(X.itertuples(), y, strict=True)]
    session.execute(insert(Referral), rows)
    session.flush()
    return X, y


def test_history_reads_decided_referrals_with_load(session, history):
    from referral.acceptance import referral_history

    X, y = referral_history(session)
    assert len(X) == 1200 and int(y.sum()) == int(history[1].sum())
    assert (X.provider_load >= 0).all() and X.provider_load.max() > 0
    assert X.sent_at.is_monotonic_increasing


def test_train_beats_the_base_rate(session, history):
    from referral.acceptance import fitted_acceptance, train_acceptance

    report = train_acceptance(session)
    assert report["auc"] > 0.55  # the synthetic load is not in the rows: weaker signal
    assert report["log_loss"] < report["baseline_log_loss"]
    model = fitted_acceptance(session)
    assert model is not None and 0.2 < model.base_rate_ < 0.8
    assert fitted_acceptance(session) is model  # cached until referrals change


def test_cli_reports_auc(runner, history):
    result = runner.invoke(args=["partners", "train-acceptance", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["auc"] > 0.55 and np.isfinite(report["log_loss"])
    table = runner.invoke(args=["partners", "train-acceptance", "--method", "boosting"])
    assert table.exit_code == 0 and "ROC AUC" in table.output


def test_probabilities_for_candidates_fall_with_distance(session, history):
    import datetime as dt

    import pandas as pd

    from data.models import Organization
    from referral.acceptance import acceptance_probabilities

    provider = session.scalars(select(Organization.id).where(
        Organization.acronym != "SND").order_by(Organization.id.desc())).first()
    near = {"provider": provider, "service_type": "prot_legal", "urgency": "normal",
            "distance_m": 1000.0}
    cands = pd.DataFrame([near, {**near, "distance_m": 90_000.0},
                          {**near, "provider": 987654321}])  # unknown: cold start
    p = acceptance_probabilities(session, cands, now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    assert p.shape == (3,) and ((0 < p) & (p < 1)).all()
    assert p[1] < p[0]


def test_probabilities_need_a_history(session):
    import pandas as pd

    from referral.acceptance import acceptance_probabilities

    cands = pd.DataFrame([{"provider": 1, "service_type": "prot_legal", "urgency": "normal",
                           "distance_m": 1.0}])
    assert acceptance_probabilities(session, cands) is None
