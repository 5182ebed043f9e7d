"""Working days in Syria: Friday and Saturday are the weekend."""

from __future__ import annotations

import datetime as dt

__all__ = ["WEEKEND", "add_working_days", "is_working_day"]

WEEKEND = (4, 5)  # Python weekday(): 4 Friday, 5 Saturday


def is_working_day(day: dt.date) -> bool:
    """True from Sunday to Thursday."""
    return day.weekday() not in WEEKEND


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The moment ``days`` working days after ``start`` (same time of day; weekends skipped).

    A referral sent on Thursday with 1 working day to answer is due on Sunday.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    left = days
    while left:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            left -= 1
    return current
