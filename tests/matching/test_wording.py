"""Generated Arabic agrees with its number (CLDR plural rules through Babel): the reasons on
result cards never say "3 يوماً", "6 ساعة" or "قبل 0 يوماً"."""

from __future__ import annotations

import pytest

from matching.ranking import Candidates, rank
from matching.wording import count


@pytest.mark.parametrize(("noun", "n", "en", "ar"), [
    ("day", 1, "1 day", "يوم واحد"),
    ("day", 2, "2 days", "يومان"),
    ("day", 3, "3 days", "3 أيام"),
    ("day", 10, "10 days", "10 أيام"),
    ("day", 11, "11 days", "11 يوماً"),
    ("day", 100, "100 days", "100 يوم"),
    ("day", 103, "103 days", "103 أيام"),
    ("hour", 1, "1 hour", "ساعة واحدة"),
    ("hour", 6, "6 hours", "6 ساعات"),
    ("hour", 24, "24 hours", "24 ساعة"),
    ("person", 2, "2 people", "شخصان"),
    ("person", 460, "460 people", "460 شخصاً"),
    ("service", 1, "1 service", "خدمة واحدة"),
    ("service", 3, "3 services", "3 خدمات"),
    ("service", 12, "12 services", "12 خدمة"),
])
def test_counted_nouns_follow_cldr_plural_rules(noun, n, en, ar):
    assert count(noun, n) == (en, ar)


def test_a_count_is_worded_once():
    """A search's reasons count ~23 things; Babel's plural rules are worked out once per
    noun and number (issue 20: ~0.6 ms of a served search's CPU), the wording stays."""
    first = count("kilometre", 7, genitive=True)
    assert count("kilometre", 7, genitive=True) is first
    assert first == ("7 kilometres", "7 كيلومترات")


def _reasons(days: float, capacity: int = 5, hours: float | None = None) -> dict[str, dict]:
    c = Candidates(ids=[1], coverage=[2], distance_m=[float("nan")], availability=["open"],
                   capacity=[capacity], group_match=[1], needs_documents=[False],
                   days_since_verified=[days], accept_logit=[0.0], accept_distance_coef=[0.0],
                   accept_p=[0.5], history=[10], response_hours=[hours],
                   decline_reason=[None], decline_share=[None])
    ranked = rank(c, point=False, groups_given=False)
    return {r["code"]: r for r in ranked.reasons(0)}


@pytest.mark.parametrize(("days", "hours", "capacity", "verified", "answers", "people"), [
    (3, 6, 5, "تم التحقق قبل 3 أيام", "يرد عادةً خلال 6 ساعات", "القدرة الاستيعابية 5 أشخاص"),
    (0, 30, 1, "تم التحقق اليوم", "يرد عادةً خلال 30 ساعة", "القدرة الاستيعابية شخص واحد"),
    (2, 72, 2, "تم التحقق قبل يومين", "يرد عادةً خلال 3 أيام", "القدرة الاستيعابية شخصان"),
])
def test_result_card_reasons_agree_in_arabic(days, hours, capacity, verified, answers, people):
    reasons = _reasons(days, capacity, hours)
    assert reasons["verified"]["ar"] == verified
    assert reasons["response_time"]["ar"] == answers
    assert reasons["capacity"]["ar"].startswith(people)
