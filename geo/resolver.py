"""Admin-area names to OCHA p-codes, Arabic-aware, never guessing.

Matching runs in tiers: a p-code; the normalised name or alias (``textmatch.arabic.normalize``); the
same without generic words (ناحية, Subdistrict, ...); the transliteration skeleton
(Idleb = Idlib). The first tier with candidates decides. Candidates that nest (Idleb
governorate, district and sub-district share a name) resolve to the largest area unless a
level is asked for; candidates that do not nest (two sub-districts called Suran / صوران) are
reported as ambiguous with all of them. Nothing found is said so.

Pure: the gazetteer comes in as data (``Resolver(areas)``); ``data.areas`` reads it from the
database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from textmatch.arabic import GENERIC_WORDS, normalize, skeleton

__all__ = ["Area", "Resolution", "Resolver"]

PCODE = re.compile(r"^[A-Za-z]{2}\d{2,}$")


@dataclass(frozen=True)
class Area:
    """What the resolver knows of one admin area."""

    pcode: str
    level: int
    parent_pcode: str | None
    name_ar: str
    name_en: str
    aliases: tuple[str, ...] = ()


@dataclass
class Resolution:
    """The answer for one name: ``status`` is "match", "ambiguous" or "none"."""

    query: str
    status: str
    matches: list[Area] = field(default_factory=list)
    tier: str = ""

    @property
    def pcode(self) -> str | None:
        """The p-code when the name resolved to exactly one area."""
        return self.matches[0].pcode if self.status == "match" else None

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "status": self.status, "tier": self.tier,
                "matches": [{"pcode": a.pcode, "level": a.level, "parent": a.parent_pcode,
                             "name_ar": a.name_ar, "name_en": a.name_en}
                            for a in self.matches]}


def _without_generic(key: str) -> str:
    return " ".join(w for w in key.split() if w not in GENERIC_WORDS)


def _keys(name: str) -> dict[str, str]:
    norm = normalize(name)
    return {"name": norm, "generic": _without_generic(norm),
            "skeleton": skeleton(name, drop_generic=True)}


class Resolver:
    """An in-memory index of admin-area names; build once, resolve many names (imports)."""

    TIERS = ("name", "generic", "skeleton")

    def __init__(self, areas: Iterable[Area]):
        self.areas: dict[str, Area] = {a.pcode: a for a in areas}
        self.index: dict[str, dict[str, set[str]]] = {t: defaultdict(set) for t in self.TIERS}
        for area in self.areas.values():
            for name in (area.name_ar, area.name_en, *area.aliases):
                if not name:
                    continue
                for tier, key in _keys(name).items():
                    if key:
                        self.index[tier][key].add(area.pcode)

    def is_within(self, pcode: str, ancestor: str) -> bool:
        """True when area ``pcode`` is ``ancestor`` or lies inside it (by parent links)."""
        seen = 0
        current: str | None = pcode
        while current is not None and seen < 6:
            if current == ancestor:
                return True
            area = self.areas.get(current)
            current = area.parent_pcode if area else None
            seen += 1
        return False

    def _decide(self, query: str, pcodes: set[str], tier: str) -> Resolution:
        found = sorted((self.areas[p] for p in pcodes), key=lambda a: (a.level, a.pcode))
        top = found[0]
        if all(self.is_within(a.pcode, top.pcode) for a in found):
            return Resolution(query, "match", [top, *found[1:]], tier)
        return Resolution(query, "ambiguous", found, tier)

    def resolve(self, name: str, level: int | None = None,
                within: str | None = None) -> Resolution:
        """Resolve ``name`` (optionally at ``level``, inside area ``within``)."""
        query = (name or "").strip()
        if not query:
            return Resolution(query, "none")

        def keep(pcode: str) -> bool:
            area = self.areas[pcode]
            return ((level is None or area.level == level)
                    and (within is None or self.is_within(pcode, within)))

        if PCODE.match(query):
            code = query.upper()
            hits = {code} if code in self.areas and keep(code) else set()
            return self._decide(query, hits, "pcode") if hits else Resolution(query, "none",
                                                                              tier="pcode")
        keys = _keys(query)
        for tier in self.TIERS:
            key = keys[tier]
            hits = {p for p in self.index[tier].get(key, ()) if keep(p)} if key else set()
            if hits:
                return self._decide(query, hits, tier)
        return Resolution(query, "none")
