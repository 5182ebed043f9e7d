"""Refresh the precomputed referral-outcome terms of the provider-search ranking.

``refresh_ranking`` fits (or takes the cached) acceptance model (``referral.acceptance``) and
the per-provider statistics (``referral.stats``) and rewrites ``provider_ranking``, one row per
active service: the logit of P(accepted and completed) without its distance term, the
distance coefficient, the probability at the median distance, the provider's history size,
acceptance rate, median response time and most frequent decline reason. The search joins the
table and adds the real distance (``matching.ranking``), so it pays nothing for the model.

Cold start: a provider without decided referrals gets the model's prior for its service type
(or, while the whole history is too small to fit a model, the shrunk overall completion rate;
0.5 without any history). Run it from cron (``tasharuk directory refresh-ranking``); it
rewrites the table in one transaction (rows of inactive services deleted, the others
upserted), so running it twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from data.models import ProviderRanking, Service
from matching.ranking import OUTCOME_PRIOR
from referral.acceptance import _LOAD_SQL, DECIDED, fitted_acceptance
from referral.stats import provider_stats

__all__ = ["PRIOR_STRENGTH", "refresh_ranking", "service_referral_stats"]

PRIOR_STRENGTH = 10.0  # pseudo-referrals at the overall rate when no model can be fitted

_OUTCOMES_SQL = text("""
SELECT receiver_org_id, count(*) FILTER (WHERE status = 'completed'), count(*)
FROM referral WHERE status = ANY(:decided) AND sent_at IS NOT NULL
GROUP BY receiver_org_id
""")


_TERMS = (("service_id", "int"), ("organization_id", "int"), ("logit_base", "float8"),
          ("distance_coef", "float8"), ("p_default", "float8"), ("history", "int"),
          ("acceptance_rate", "float8"), ("median_response_hours", "float8"),
          ("top_decline_reason", "text"), ("top_decline_share", "float8"))
# One statement for every row (arrays unnested): a trigger copies changed terms onto the search
# rows once per statement (migration 0017_search5), where an executemany fired it per row.
_UPSERT = text(
    f"INSERT INTO provider_ranking ({', '.join(n for n, _t in _TERMS)}, refreshed_at) "
    f"SELECT u.*, CAST(:now AS timestamptz) FROM unnest("
    + ", ".join(f"CAST(:{n} AS {t}[])" for n, t in _TERMS) + ") AS u "
    "ON CONFLICT (service_id) DO UPDATE SET "
    + ", ".join(f"{n} = excluded.{n}" for n, _t in _TERMS[1:] + (("refreshed_at", ""),)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _model_terms(session: Session, services: pd.DataFrame, now: dt.datetime):
    """(logit_base, distance_coef, p_default, history) from the fitted model, or None."""
    model = fitted_acceptance(session)
    if model is None or model.method != "logistic":
        return None
    ids = sorted({int(p) for p in services["provider"]})
    load = dict(session.execute(_LOAD_SQL, {"ids": ids, "now": now}).all())
    frame = services.assign(distance_m=np.nan, urgency="normal", sent_at=pd.Timestamp(now),
                            provider_load=services["provider"].map(load).fillna(0.0))
    base, coef, p_default = model.linear_parts(frame)
    history = services["provider"].map(model.provider_stats_["referred"]).fillna(0)
    return base, coef, p_default, history.to_numpy(int)


def _prior_terms(session: Session, services: pd.DataFrame):
    """Without a model: each provider's completion rate shrunk towards the overall rate."""
    rows = session.execute(_OUTCOMES_SQL, {"decided": list(DECIDED)}).all()
    done = {org: int(c) for org, c, _n in rows}
    seen = {org: int(n) for org, _c, n in rows}
    total = sum(seen.values())
    overall = sum(done.values()) / total if total else OUTCOME_PRIOR
    d = services["provider"].map(done).fillna(0).to_numpy(float)
    n = services["provider"].map(seen).fillna(0).to_numpy(float)
    p = (d + PRIOR_STRENGTH * overall) / (n + PRIOR_STRENGTH)
    return _logit(p), 0.0, p, n.astype(int)


def refresh_ranking(session: Session, *, now: dt.datetime | None = None) -> dict:
    """Rewrite ``provider_ranking`` for every active service; returns counts and the source
    of the terms ("model" or "prior")."""
    now = now or dt.datetime.now(dt.UTC)
    rows = session.execute(select(Service.id, Service.organization_id,
                                  Service.service_type_code)
                           .where(Service.status == "active").order_by(Service.id)).all()
    services = pd.DataFrame(rows, columns=["service_id", "provider", "service_type"])
    # Rows are upserted, not replaced: a trigger copies changed terms onto the search rows
    # (migration 0017_search5), and a delete-all then insert-all rewrote every one twice.
    session.execute(delete(ProviderRanking).where(~exists().where(
        Service.id == ProviderRanking.service_id, Service.status == "active")))
    if services.empty:
        session.flush()
        return {"services": 0, "source": "none", "cold_start": 0}
    terms = _model_terms(session, services, now)
    source = "model" if terms is not None else "prior"
    base, coef, p_default, history = terms if terms is not None else _prior_terms(
        session, services)
    stats = provider_stats(session, by="organization",
                           ids=sorted({int(p) for p in services["provider"]}))
    values = []
    for i, (sid, org) in enumerate(zip(services["service_id"], services["provider"],
                                       strict=True)):
        st = stats.get(int(org))
        reason, share = None, None
        if st is not None and st.decline_reasons and st.answered:
            reason, count = max(st.decline_reasons.items(), key=lambda kv: (kv[1], kv[0]))
            share = count / st.answered
        values.append({
            "service_id": int(sid), "organization_id": int(org),
            "logit_base": float(base[i]), "distance_coef": float(coef),
            "p_default": float(p_default[i]), "history": int(history[i]),
            "acceptance_rate": None if st is None else st.acceptance_rate,
            "median_response_hours": None if st is None or st.median_response_hours is None
            or math.isnan(st.median_response_hours) else st.median_response_hours,
            "top_decline_reason": reason, "top_decline_share": share,
        })
    session.execute(_UPSERT, {name: [v[name] for v in values] for name, _type in _TERMS}
                    | {"now": now})
    session.flush()
    return {"services": len(values), "source": source,
            "cold_start": int(sum(1 for v in values if v["history"] == 0))}


def service_referral_stats(session: Session, service_id: int) -> dict | None:
    """The provider's referral figures shown on a service's page (None before a refresh)."""
    row = session.get(ProviderRanking, service_id)
    if row is None:
        return None
    from matching.ranking import acceptance_text
    from matching.wording import count

    hours = row.median_response_hours
    answers = None
    if hours is not None:
        en, ar = count("hour", max(1, round(hours)), genitive=True) if hours < 48 \
            else count("day", round(hours / 24), genitive=True)
        answers = {"en": f"usually answers within {en}", "ar": f"يرد عادةً خلال {ar}"}
    accepted = None
    if row.acceptance_rate is not None:
        en, ar = acceptance_text(row.acceptance_rate)
        accepted = {"en": en, "ar": ar}
    return {"acceptance_rate": row.acceptance_rate, "median_response_hours": hours,
            "referrals": row.history, "completion_probability": round(row.p_default, 3),
            "acceptance_text": accepted, "response_text": answers,
            "decline_reasons": _decline_breakdown(session, row.organization_id)}


def _decline_breakdown(session: Session, organization_id: int) -> list[dict]:
    """The provider's declined and closed-unmet referrals by coded reason, most frequent
    first, each with its label in both languages (the period of the acceptance figure: all
    time)."""
    from matching.reasons import LABELS

    st = provider_stats(session, by="organization", ids=[organization_id]).get(organization_id)
    counts = sorted((st.decline_reasons if st else {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"code": code, "n": n, "ar": LABELS.get(code, (code, code))[0],
             "en": LABELS.get(code, (code, code))[1]} for code, n in counts]
