"""Languages by name in Arabic and English (Babel's CLDR names) and back to ISO 639 codes, so
people type and read "الكردية" or "Kurdish", never "ku".

>>> language_name("ku", "ar"), language_name("ku", "en")
('الكردية', 'Kurdish')
>>> language_codes("Arabic، الكردية, tr")
(['ar', 'ku', 'tr'], [])
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

from .arabic import normalize

__all__ = ["language_codes", "language_name"]

_CODE = re.compile(r"^[a-z]{2,3}$")


def language_name(code: str, locale: str) -> str:
    """The language's name in ``locale`` ("ar" or "en"), or the code when CLDR has none."""
    return Locale.parse(locale).languages.get(code) or code


@cache
def _by_name() -> dict[str, str]:
    """Normalised Arabic and English names (and the codes themselves) -> code."""
    out: dict[str, str] = {}
    for loc in ("en", "ar"):
        for code, name in Locale(loc).languages.items():
            if _CODE.match(code):
                out.setdefault(normalize(name), code)
    return out


def language_codes(text: str) -> tuple[list[str], list[str]]:
    """The codes of the languages listed in ``text`` (names or codes, separated by commas,
    Arabic commas or "و"/"and"), and the entries not understood."""
    codes: list[str] = []
    unknown: list[str] = []
    known = Locale("en").languages
    for part in re.split(r"[,،;/]|\s+(?:and|و)\s+", text or ""):
        entry = part.strip()
        if not entry:
            continue
        low = entry.lower()
        code = low if _CODE.match(low) and low in known else _by_name().get(normalize(entry))
        if code is None:
            unknown.append(entry)
        elif code not in codes:
            codes.append(code)
    return codes, unknown
