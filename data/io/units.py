"""Whether a 4W row's figure counts people, decided the way the file itself says.

Order: the file's own analysis unit (prot.csv's ``analysis_unit``: "# people" counts people
even where ``unit`` says "# interventions"); else a people-like unit (individuals, children,
women & men, girls & boys, Arabic units too); households or families with a stated size
(a size column, or the size written in the unit: "households (6 persons)"); a sex/age
breakdown; no unit at all under a people column. Anything else is a quantity of its unit.
Each decision has a ``kind`` so the report can state it once per file with its row count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from textmatch.stem import stems

from .dates import MISSING

__all__ = ["Decision", "decide", "household_size_in", "is_people_unit", "unit_name"]

_PEOPLE = frozenset().union(*(stems(w) for w in (
    "people person persons individual individuals beneficiary beneficiaries child children "
    "girl girls boy boys woman women man men adult adults adolescent adolescents youth elder "
    "elderly idp idps returnee refugee student students pupil patient patients caregiver "
    "survivor survivors infant infants ind participant participants trainee attendee",
    "شخص أشخاص فرد أفراد مستفيد مستفيدين مستفيدون طفل أطفال فتاة فتيات فتى فتيان امرأة نساء "
    "رجل رجال يافع يافعين مسن مسنين نازح نازحين طالب طلاب مريض مرضى ناجي ناجيات مشارك")))
_HOUSEHOLDS = frozenset().union(*(stems(w) for w in (
    "household households hh hhs family families", "أسرة أسر عائلة عائلات عوائل")))
_SIZE_IN_UNIT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:persons?|people|individuals?|ind|pers|"
                           r"members?|أشخاص|أفراد|شخص|فرد)", re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """``people``: the figure is people reached; ``kind`` names the rule that decided it;
    ``size``: people per household when the figure counts households."""

    people: bool
    kind: str
    size: float | None = None


@lru_cache(maxsize=2048)
def _words(unit: str | None) -> frozenset[str]:
    return frozenset(stems((unit or "").replace("#", " ").replace("&", " ")))


@lru_cache(maxsize=2048)
def is_people_unit(unit: str | None) -> bool:
    """True when a unit's words name people (``# people``, ``Children``, ``أفراد``)."""
    return bool(_words(unit) & _PEOPLE) and not _words(unit) & _HOUSEHOLDS


@lru_cache(maxsize=512)
def household_size_in(unit: str | None) -> float | None:
    """The household size a household unit states ("HH (6 persons)" -> 6), or None."""
    if not _words(unit) & _HOUSEHOLDS:
        return None
    m = _SIZE_IN_UNIT.search(unit or "")
    return float(m.group(1).replace(",", ".")) if m else None


def _blank(text: str | None) -> bool:
    return not text or text.strip().lower() in MISSING


@lru_cache(maxsize=4096)
def decide(analysis_unit: str | None, unit: str | None, *, breakdown: bool,
           size: float | None = None) -> Decision:
    """The rule for one row (see the module docstring); ``size`` is a household-size cell."""
    if not _blank(analysis_unit):
        people = is_people_unit(analysis_unit)
        return Decision(people, "analysis_people" if people else "analysis_quantity")
    if _blank(unit):
        return Decision(True, "no_unit")
    if is_people_unit(unit):
        return Decision(True, "people_unit")
    if _words(unit) & _HOUSEHOLDS:
        size = size or household_size_in(unit)
        if size:
            return Decision(True, "households", size)
        return Decision(False, "households_unsized")
    if breakdown:
        return Decision(True, "breakdown")
    return Decision(False, "quantity")


def unit_name(unit: str) -> str:
    """A unit as stored: ``# of sessions`` -> ``sessions`` (at most 40 characters)."""
    text = unit.strip().lstrip("#").strip()
    if text.lower().startswith("of "):
        text = text[3:]
    return text[:40] or "people"
