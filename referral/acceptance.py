"""Referral outcomes from the database for the acceptance model (matching.acceptance).

``referral_history`` reads every decided referral with its features (provider load is computed
in SQL with a 30-day window over all referrals sent to the provider); ``train_acceptance``
fits on the earlier part and evaluates on the held-out later part; ``fitted_acceptance`` gives a
model fitted on the whole history (cached until the referral table changes), and
``acceptance_probabilities`` scores candidate providers with their current load, as one term of
provider search's ranking.
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.orm import Session

from data.errors import BadInput
from matching.acceptance import COLUMNS, AcceptanceModel, evaluate, time_split

__all__ = ["acceptance_probabilities", "fitted_acceptance", "referral_history",
           "train_acceptance"]

DECIDED = ("completed", "declined", "closed_unmet", "expired")
MIN_HISTORY = 50

_HISTORY_SQL = text("""
WITH sent AS (
    SELECT r.id, r.receiver_org_id AS provider, r.service_type_code AS service_type,
           r.distance_m, r.urgency, r.sent_at, r.status,
           count(*) OVER (PARTITION BY r.receiver_org_id ORDER BY r.sent_at
                          RANGE BETWEEN interval '30 days' PRECEDING AND CURRENT ROW) - 1
               AS recent
    FROM referral r
    WHERE r.sent_at IS NOT NULL
), capacity AS (
    SELECT organization_id, sum(capacity_per_month) AS capacity
    FROM service WHERE status = 'active' GROUP BY organization_id
)
SELECT s.provider, s.service_type, s.distance_m, s.urgency, s.sent_at,
       s.recent::float / greatest(coalesce(c.capacity, 0), 10) AS provider_load,
       (s.status = 'completed')::int AS completed
FROM sent s LEFT JOIN capacity c ON c.organization_id = s.provider
WHERE s.status = ANY(:decided) AND s.service_type IS NOT NULL
ORDER BY s.sent_at, s.id
""")


def referral_history(session: Session) -> tuple[pd.DataFrame, pd.Series]:
    """``(X, y)``: decided referrals (columns of ``matching.acceptance.COLUMNS``) and whether
    each ended completed."""
    rows = session.execute(_HISTORY_SQL, {"decided": list(DECIDED)}).all()
    frame = pd.DataFrame(rows, columns=["provider", "service_type", "distance_m", "urgency",
                                        "sent_at", "provider_load", "completed"])
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    frame["distance_m"] = frame["distance_m"].astype(float)
    return frame[list(COLUMNS)], frame["completed"].astype(int)


def train_acceptance(session: Session, *, method: str = "logistic",
                     test_fraction: float = 0.25, random_state: int | None = 0) -> dict:
    """Fit on the earlier referrals, evaluate on the later ``test_fraction`` of the period."""
    X, y = referral_history(session)
    if len(X) < MIN_HISTORY or y.nunique() < 2:
        raise BadInput(_("The referral history has %(n)s decided referrals; at least "
                         "%(min)s, some completed and some not, are needed to train.",
                         n=len(X), min=MIN_HISTORY), field="referrals")
    frame = X.assign(completed=y.to_numpy())
    train, test = time_split(frame, test_fraction=test_fraction)
    if train["completed"].nunique() < 2 or test.empty:
        raise BadInput(_("The earlier part of the history has only one outcome; "
                         "the model cannot be trained yet."), field="referrals")
    model = AcceptanceModel(method, random_state=random_state).fit(
        train[list(COLUMNS)], train["completed"])
    report = evaluate(model, test[list(COLUMNS)], test["completed"])
    report.update(method=method, n_train=len(train),
                  train_until=str(train["sent_at"].max()), test_from=str(test["sent_at"].min()))
    return report


_CACHE: dict[str, tuple[tuple, AcceptanceModel]] = {}
_LOCK = threading.Lock()


def fitted_acceptance(session: Session) -> AcceptanceModel | None:
    """A model fitted on the whole decided history (None when it is too small)."""
    key = tuple(session.execute(text(
        "SELECT count(*), max(updated_at)::text FROM referral")).one())
    bind = session.get_bind()
    url = str(getattr(bind, "url", None) or bind.engine.url)
    with _LOCK:
        hit = _CACHE.get(url)
        if hit is not None and hit[0] == key:
            return hit[1]
    X, y = referral_history(session)
    model = None
    if len(X) >= MIN_HISTORY and y.nunique() == 2:
        model = AcceptanceModel().fit(X, y)
    with _LOCK:
        _CACHE[url] = (key, model)
    return model


_LOAD_SQL = text("""
SELECT o.id,
       (SELECT count(*) FROM referral r WHERE r.receiver_org_id = o.id
          AND r.sent_at > :now - interval '30 days' AND r.sent_at <= :now)::float
       / greatest(coalesce((SELECT sum(capacity_per_month) FROM service s
                            WHERE s.organization_id = o.id AND s.status = 'active'), 0), 10)
FROM organization o WHERE o.id = ANY(:ids)
""")


def acceptance_probabilities(session: Session, candidates: pd.DataFrame, *,
                             now: dt.datetime | None = None) -> np.ndarray | None:
    """P(completed) for candidate referrals: ``candidates`` has ``provider`` (organisation
    id), ``service_type``, ``distance_m`` and ``urgency``; the providers' current load is read
    from the last 30 days. None when there is not enough history to fit the model (callers
    then leave the term out of their ranking)."""
    model = fitted_acceptance(session)
    if model is None or candidates.empty:
        return None if model is None else np.zeros(0)
    now = now or dt.datetime.now(dt.UTC)
    ids = sorted({int(p) for p in candidates["provider"]})
    load = dict(session.execute(_LOAD_SQL, {"ids": ids, "now": now}).all())
    frame = candidates.assign(provider_load=candidates["provider"].map(load).fillna(0.0),
                              sent_at=pd.Timestamp(now))
    return model.predict_proba(frame[list(COLUMNS)])[:, 1]
