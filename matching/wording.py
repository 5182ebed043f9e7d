"""Counted nouns in Arabic and English by CLDR's plural rules (Babel), so generated text agrees
with its number: "يومان", "3 أيام", "11 يوماً", "100 يوم" — never "3 يوماً" or "6 ساعة".

>>> count("day", 3)
('3 days', '3 أيام')
>>> count("hour", 6)[1], count("hour", 1)[1], count("person", 11)[1]
('6 ساعات', 'ساعة واحدة', '11 شخصاً')
>>> count("day", 2, genitive=True)[1]  # after a preposition: "خلال يومين"
'يومين'
"""

from __future__ import annotations

import functools

from babel import Locale

__all__ = ["NOUNS", "PROPER_WORDS", "count", "distance", "mid_sentence"]

# Arabic forms per CLDR category: "{n}" is the number; zero, one and two are spelt out.
NOUNS: dict[str, dict[str, str]] = {
    "day": {"zero": "0 يوم", "one": "يوم واحد", "two": "يومان", "two_gen": "يومين",
            "few": "{n} أيام",
            "many": "{n} يوماً", "other": "{n} يوم", "en_one": "day", "en_other": "days"},
    "hour": {"zero": "0 ساعة", "one": "ساعة واحدة", "two": "ساعتان", "two_gen": "ساعتين",
             "few": "{n} ساعات",
             "many": "{n} ساعة", "other": "{n} ساعة", "en_one": "hour", "en_other": "hours"},
    "person": {"zero": "0 شخص", "one": "شخص واحد", "two": "شخصان", "two_gen": "شخصين",
               "few": "{n} أشخاص",
               "many": "{n} شخصاً", "other": "{n} شخص", "en_one": "person",
               "en_other": "people"},
    "service": {"zero": "0 خدمة", "one": "خدمة واحدة", "two": "خدمتان", "two_gen": "خدمتين",
                "few": "{n} خدمات",
                "many": "{n} خدمة", "other": "{n} خدمة", "en_one": "service",
                "en_other": "services"},
    "kilometre": {"zero": "0 كيلومتر", "one": "كيلومتر واحد", "two": "كيلومتران",
                  "two_gen": "كيلومترين", "few": "{n} كيلومترات", "many": "{n} كيلومتراً",
                  "other": "{n} كيلومتر", "en_one": "kilometre", "en_other": "kilometres"},
}
_AR, _EN = Locale("ar"), Locale("en")


@functools.lru_cache(maxsize=4096)
def count(noun: str, n: int, *, genitive: bool = False) -> tuple[str, str]:
    """``n`` of ``noun`` ("day", "hour", "person", "service", "kilometre") as (English, Arabic)
    text; ``genitive`` for the dual after a preposition or an adverb (خلال، قبل). Cached: a
    search's reasons count ~23 things, and Babel's plural rules cost ~30 us a call (~0.6 ms of
    a served search's CPU); the wording of a number never changes."""
    forms = NOUNS[noun]
    en = forms["en_one"] if _EN.plural_form(n) == "one" else forms["en_other"]
    form = _AR.plural_form(n)
    if form == "two" and genitive:
        form = "two_gen"
    return f"{n} {en}", forms[form].format(n=n)


def distance(metres: float) -> tuple[str, str]:
    """A distance in whole kilometres as (English, Arabic) words, in the genitive that follows
    "على بعد" or "من"; under one kilometre as such.

    >>> distance(400)
    ('under a kilometre', 'أقل من كيلومتر')
    >>> distance(2100)[1], distance(3400)[1], distance(12_000)
    ('كيلومترين', '3 كيلومترات', ('12 kilometres', '12 كيلومتراً'))
    """
    if metres < 1000:
        return "under a kilometre", "أقل من كيلومتر"
    return count("kilometre", int(metres / 1000 + 0.5), genitive=True)


# Words that open a group's English name and are proper (peoples, places): they keep their capital.
PROPER_WORDS = frozenset({
    "Arab", "Armenian", "Assyrian", "Bedouin", "Circassian", "Druze", "Iraqi", "Kurdish",
    "Lebanese", "Palestine", "Palestinian", "Syrian", "Turkmen", "Yazidi"})


def mid_sentence(name: str) -> str:
    """An English name (a target group) as it reads inside a sentence: a common noun loses its
    capital, so "Both of you serve women", not "serve Women"; acronyms and proper names keep it.

    >>> mid_sentence("Women"), mid_sentence("Female-headed households")
    ('women', 'female-headed households')
    >>> mid_sentence("IDPs in camps"), mid_sentence("Palestine refugees"), mid_sentence("")
    ('IDPs in camps', 'Palestine refugees', '')
    """
    first = name.split(" ", 1)[0]
    if len(first) < 2 or not first[0].isupper() or not first[1:].islower() \
            or first.strip(",.;:") in PROPER_WORDS:
        return name
    return name[0].lower() + name[1:]
