"""The coded reasons a referral is declined or closed unmet, in one place: their codes, their
labels in Arabic and English, and which of them say that a service is missing, so the
referral forms, the API, the database's check, the statistics and the gap score read the same
list.

>>> "not_offered" in REASONS and LABELS["not_offered"][1]
'the service is not offered any more'
>>> sorted(SUPPLY_REASONS)
['no_capacity', 'not_offered']
"""

from __future__ import annotations

__all__ = ["LABELS", "REASONS", "SUPPLY_REASONS", "SYSTEM_REASONS", "supply_failure"]

# what staff may give, in the order the forms offer them
REASONS = ("no_capacity", "not_eligible", "outside_area", "not_offered", "no_contact",
           "person_declined", "duplicate", "other")
# given by the platform only: the receiving organisation was rejected or suspended; the person
# revoked consent (through the sending caseworker): open referrals are withdrawn
SYSTEM_REASONS = ("receiver_unverified", "consent_revoked")
# (Arabic, English)
LABELS: dict[str, tuple[str, str]] = {
    "no_capacity": ("لا توجد قدرة استيعابية", "no capacity"),
    "not_eligible": ("غير مؤهل/ة", "not eligible"),
    "outside_area": ("خارج منطقة التغطية", "outside the area"),
    "not_offered": ("لم تعد الخدمة مقدَّمة", "the service is not offered any more"),
    "no_contact": ("تعذّر التواصل مع الشخص", "could not contact the person"),
    "person_declined": ("الشخص رفض", "the person declined"),
    "duplicate": ("إحالة مكررة", "duplicate"),
    "other": ("سبب آخر", "other"),
    "receiver_unverified": ("الجهة المستقبِلة لم تعد موثّقة على المنصة",
                            "the receiving organisation is no longer verified on the platform"),
    "consent_revoked": ("الشخص سحب موافقته", "the person revoked their consent"),
}
# A referral that failed for one of these found no service where and when it was needed: it
# counts among the gap score's referral failures. The others say something of the person or
# of the referral itself (unreachable, declined, a duplicate, misdirected), not of supply.
SUPPLY_REASONS = ("no_capacity", "not_offered")


def supply_failure(status: str, reason: str | None) -> bool:
    """Whether a referral in ``status`` with ``reason`` counts as a failure of supply: declined
    or closed unmet for a supply reason, or closed unmet with no reason given.

    >>> supply_failure("declined", "not_offered"), supply_failure("declined", "not_eligible")
    (True, False)
    >>> supply_failure("closed_unmet", None), supply_failure("closed_unmet", "no_contact")
    (True, False)
    """
    if status not in ("declined", "closed_unmet"):
        return False
    return reason in SUPPLY_REASONS or (status == "closed_unmet" and reason is None)
