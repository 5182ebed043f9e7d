"""Working days in Syria: Friday and Saturday are the weekend, counted on Syria's calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["SYRIA", "WEEKEND", "add_working_days", "is_working_day"]

WEEKEND = (4, 5)  # Python weekday(): 4 Friday, 5 Saturday
# Which day it is depends on where: 22:00 UTC on Thursday is already Friday in Damascus.
SYRIA = ZoneInfo("Asia/Damascus")


def is_working_day(day: dt.date) -> bool:
    """True from Sunday to Thursday."""
    return day.weekday() not in WEEKEND


def add_working_days(start: dt.datetime, days: int, tz: dt.tzinfo = SYRIA) -> dt.datetime:
    """The moment ``days`` working days after ``start`` (same local time of day; weekends
    skipped on the calendar of ``tz``, Syria by default; naive datetimes are taken as local).

    A referral sent on Thursday with 1 working day to answer is due on Sunday.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start.astimezone(tz) if start.tzinfo is not None else start
    left = days
    while left:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            left -= 1
    return current.astimezone(start.tzinfo) if start.tzinfo is not None else current
