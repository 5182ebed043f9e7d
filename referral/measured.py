"""What a service achieves, measured from its referrals: the median response time over the
last 90 days with its count, the share declined and the most frequent coded reason.

Issue 22: a caseworker reads the promise (``service.response_days``) beside the measure. The
figures come from the referral rows themselves (``sent_at``, ``responded_at``, ``status``,
``reason_code``), so they are as fresh as the last answer; a page reads them for all its
services in the statement that reads the services (``MEASURED_LATERAL`` joined on ``sv``),
never one query per service. Below ``MIN_MEASURED`` answered referrals the figures are
withheld (``shown`` False): a median of two answers would mislead more than it tells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["MEASURED_COLUMNS", "MEASURED_LATERAL", "MEASURE_DAYS", "MIN_MEASURED", "Measured",
           "measured", "measured_figures"]

MEASURE_DAYS = 90
MIN_MEASURED = 5  # answered referrals in the period before any figure is shown

# Joined as ``LEFT JOIN LATERAL (...) m ON TRUE`` beside a ``service sv``: one index-only range
# of ``ix_referral_measured`` (migration 0047: answered referrals by service and send time,
# holding every column read here; keep it so) per service of the page. Answered = accepted or
# declined (``responded_at`` is set by those two transitions only).
MEASURED_LATERAL = f"""
LEFT JOIN LATERAL (
  SELECT count(*) AS m_answered,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM r.responded_at - r.sent_at) / 3600.0) AS m_hours,
         count(*) FILTER (WHERE r.status = 'declined') AS m_declined,
         mode() WITHIN GROUP (ORDER BY r.reason_code)
           FILTER (WHERE r.status = 'declined' AND r.reason_code IS NOT NULL) AS m_reason
  FROM referral r
  WHERE r.service_id = sv.id AND r.responded_at IS NOT NULL AND r.sent_at IS NOT NULL
    AND r.sent_at >= now() - interval '{MEASURE_DAYS} days'
) m ON TRUE"""
MEASURED_COLUMNS = "m.m_answered, m.m_hours, m.m_declined, m.m_reason"


@dataclass(frozen=True)
class Measured:
    """One service's measured figures; the numbers are None when ``shown`` is False."""

    referrals: int  # answered in the period
    shown: bool
    median_response_hours: float | None = None
    declined_share: float | None = None
    top_decline_reason: str | None = None
    period_days: int = MEASURE_DAYS

    def as_json(self) -> dict[str, Any]:
        """The API's ``measured`` object."""
        return {"period_days": self.period_days, "referrals": self.referrals,
                "shown": self.shown,
                "median_response_hours": None if self.median_response_hours is None
                else round(self.median_response_hours, 1),
                "declined_share": None if self.declined_share is None
                else round(self.declined_share, 3),
                "top_decline_reason": self.top_decline_reason}

    @property
    def median_days(self) -> int | None:
        """The median response time in whole days (at least 1), for the wording."""
        if self.median_response_hours is None:
            return None
        return max(1, round(self.median_response_hours / 24))

    @property
    def declined_percent(self) -> int | None:
        """The share declined as a whole percentage."""
        return None if self.declined_share is None else round(100 * self.declined_share)


def measured(answered: Any, hours: Any, declined: Any, reason: Any,
             minimum: int = MIN_MEASURED) -> Measured:
    """The figures from the lateral's four columns, withheld below ``minimum`` answers."""
    n = int(answered or 0)
    if n < minimum:
        return Measured(referrals=n, shown=False)
    d = int(declined or 0)
    return Measured(referrals=n, shown=True,
                    median_response_hours=None if hours is None else float(hours),
                    declined_share=d / n, top_decline_reason=reason if d else None)


def measured_figures(session: Session, service_ids: list[int],
                     minimum: int = MIN_MEASURED) -> dict[int, Measured]:
    """The measured figures of ``service_ids``, in one statement."""
    if not service_ids:
        return {}
    rows = session.execute(text(
        f"SELECT sv.id, {MEASURED_COLUMNS} FROM service sv {MEASURED_LATERAL} "
        "WHERE sv.id = ANY(CAST(:ids AS int[]))"), {"ids": list(service_ids)}).all()
    return {sid: measured(a, h, d, r, minimum) for sid, a, h, d, r in rows}
