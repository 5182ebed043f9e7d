"""Precomputed referral-outcome terms for the provider-search ranking (one row per service).

``tasharuk directory refresh-ranking`` rewrites the table from the acceptance model and the
referral statistics, so a search only joins it and adds the real distance at query time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["ProviderRanking", "SearchWord"]


class ProviderRanking(Base):
    """``p(distance) = 1 / (1 + exp(-(logit_base + distance_coef * log1p(distance_km))))``;
    ``p_default`` is the probability when no distance is known (the model's median)."""

    __tablename__ = "provider_ranking"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(Integer, index=True)
    logit_base: Mapped[float] = mapped_column(Float)
    distance_coef: Mapped[float] = mapped_column(Float, default=0.0)
    p_default: Mapped[float] = mapped_column(Float)
    history: Mapped[int] = mapped_column(Integer, default=0)  # provider's decided referrals
    acceptance_rate: Mapped[float | None] = mapped_column(Float)
    median_response_hours: Mapped[float | None] = mapped_column(Float)
    top_decline_reason: Mapped[str | None] = mapped_column(String(20))
    top_decline_share: Mapped[float | None] = mapped_column(Float)  # of answered referrals
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())


class SearchWord(Base):
    """One word of the services' search text (migration ``0015_search3`` keeps the list by
    trigger): a keyword is widened to the words trigram-similar to it, then matched exactly
    by the full-text index, so typos cost a lookup in this short list, not a test per row."""

    __tablename__ = "search_word"

    word: Mapped[str] = mapped_column(String, primary_key=True)
