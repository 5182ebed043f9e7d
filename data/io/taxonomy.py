"""Map 4W activity codes, activity texts and sector names to our service taxonomy.

Order: an activity code (``GBV600``, also the `` - CP2`` suffix of an activity text) listed in
``ServiceType.activity_codes``; an activity text listed there; the best keyword overlap within
the row's sector, compared by stems (``textmatch.stem``: "tents" is "tent", "خيام" is "خيمة");
the sector's only (or first) service type, flagged as inferred.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Sector, ServiceType
from textmatch.arabic import normalize
from textmatch.stem import stems

__all__ = ["Taxonomy", "TypeMatch"]

_CODE_SUFFIX = re.compile(r"[-–]\s*([A-Za-z]{1,4}\d{1,4})\s*$")
_CODE_PREFIX = re.compile(r"^([A-Za-z]{2,4})(\d+)$")
SECTOR_ALIASES = {
    "cp": "child_protection", "gp": "protection", "gbv": "gbv", "ma": "mine_action",
    "humanitarian mine action": "mine_action", "mine action": "mine_action",
    "general protection": "protection", "fsl": "food_security", "fsa": "food_security",
    "food security": "food_security", "food security and agriculture": "food_security",
    "multipurpose cash": "cash", "multipurpose repeated": "cash",
    "multipurpose one time": "cash", "mpca": "cash", "cash": "cash",
    "shelter": "shelter_nfi", "nfi": "shelter_nfi", "nfis": "shelter_nfi",
    "shelter and non food items": "shelter_nfi", "snfi": "shelter_nfi",
    "water sanitation and hygiene": "wash", "wash": "wash",
    "camp coordination and camp management": "cccm", "cccm": "cccm",
    "early recovery and livelihoods": "early_recovery", "erl": "early_recovery",
}
_STOP = {"and", "of", "the", "for", "to", "in", "on", "with", "including", "other"}


@dataclass(frozen=True)
class TypeMatch:
    code: str | None
    sector: str | None
    note: str = ""


class Taxonomy:
    """Sectors and service types of the database, indexed for many look-ups."""

    def __init__(self, session: Session):
        self.codes: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.sector_of: dict[str, str] = {}
        self.by_sector: dict[str, list[str]] = defaultdict(list)
        self.keywords: dict[str, set[str]] = {}
        self.sectors: dict[str, str] = {}
        self.types: dict[str, ServiceType] = {}
        for sec in session.scalars(select(Sector)):
            for text in (sec.code, sec.name_en, sec.name_ar):
                self.sectors[normalize(text.replace("_", " "))] = sec.code
        for key, code in SECTOR_ALIASES.items():
            self.sectors.setdefault(normalize(key), code)
        for st in session.scalars(select(ServiceType).order_by(ServiceType.code)):
            self.types[st.code] = st
            self.sector_of[st.code] = st.sector_code
            self.by_sector[st.sector_code].append(st.code)
            for ac in st.activity_codes:
                self.codes.setdefault(ac.strip().upper(), st.code)
                self.texts.setdefault(normalize(ac), st.code)
            words = stems(f"{st.keywords_en} {st.keywords_ar} {st.name_en}")
            self.keywords[st.code] = words - _STOP

    def sector(self, text: str | None) -> str | None:
        """The sector code for a sector/cluster name, or None."""
        key = normalize(text or "")
        if not key:
            return None
        return self.sectors.get(key) or self.sectors.get(" ".join(key.split()[:2]))

    def code_of(self, activity: str | None, code: str | None) -> str:
        """The activity code written in ``code`` or at the end of ``activity``."""
        if code and code.strip():
            return code.strip()
        m = _CODE_SUFFIX.search(activity or "")
        return m.group(1) if m else ""

    def match(self, activity: str | None, code: str | None, sector: str | None) -> TypeMatch:
        """The service type for one row (see the module docstring)."""
        sector_code = self.sector(sector)
        ac = self.code_of(activity, code).upper()
        if ac:
            st = self.codes.get(ac)
            if st is None and (m := _CODE_PREFIX.match(ac)) and len(m.group(2)) > 1:
                st = self.codes.get(m.group(1) + m.group(2)[:-1]) or \
                    self.codes.get(m.group(1) + m.group(2)[0] + "00")
            if st:
                return TypeMatch(st, self.sector_of[st])
        text = normalize(activity or sector or "")
        if text:
            if st := self.texts.get(text):
                return TypeMatch(st, self.sector_of[st])
            words = stems(text) - _STOP
            pool = self.by_sector.get(sector_code, []) if sector_code else list(self.types)
            scored = sorted(((len(words & self.keywords[c]), c) for c in pool), reverse=True)
            if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
                st = scored[0][1]
                return TypeMatch(st, self.sector_of[st])
        if sector_code and self.by_sector.get(sector_code):
            options = self.by_sector[sector_code]
            note = "" if len(options) == 1 else (
                _("service type inferred from the sector only (%(code)s)", code=options[0]))
            return TypeMatch(options[0], sector_code, note)
        return TypeMatch(None, sector_code)
