"""No hand-built Arabic plural: a number is never written straight before a counted noun in a
catalog's plain message or in generated Arabic text ("3 يوماً", "6 ساعة"); such text goes through
``ngettext`` (catalogs) or ``matching.wording.count`` (generated text), or is phrased as
"عدد ...: N"."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# counted nouns, singular, dual-less plural and accusative forms, as written after a number
NOUNS = ("يوم", "يوماً", "يوما", "أيام", "ساعة", "ساعات", "شخص", "شخصاً", "أشخاص", "منظمة",
         "منظمات", "خدمة", "خدمات", "فجوة", "فجوات", "منطقة", "مناطق", "ملاحظة", "ملاحظات",
         "إحالة", "إحالات", "محارف", "أحرف", "حرف", "جدول", "جدولًا", "جدولاً", "جداول", "سنة",
         "سنوات", "احتياج", "احتياجات", "متر", "متراً", "أمتار", "صف", "صفوف", "نشاط", "أنشطة",
         "مستخدم", "مستخدمين", "وثيقة", "وثائق", "مهمة", "مهام", "شهر", "شهراً", "أشهر")
# a number: a digit, or a placeholder named like one (%(n)s, %(max)s, {count}, {STALE_DAYS})
_NUMBER = r"(?:count|days|hours|n|num|total|shown|max|min|lo|hi|orgs|services)"
NUMBER_THEN_NOUN = re.compile(
    rf"(?:%\({_NUMBER}\)[sd]|\{{\w*{_NUMBER}\}}|\b\d+)\s+(" + "|".join(NOUNS)
    + r")(?![\u0621-\u064a])", re.IGNORECASE)
WORDING = ROOT / "matching/wording.py"


def _catalog_messages() -> list[tuple[str, str, str]]:
    out = []
    for po in sorted(ROOT.glob("web/**/translations/ar/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            for msg in read_po(f):
                if msg.id and isinstance(msg.string, str) and msg.string:
                    out.append((str(po.relative_to(ROOT)), str(msg.id), msg.string))
    return out


def test_no_catalog_message_counts_a_noun_without_ngettext():
    messages = _catalog_messages()
    assert len(messages) > 300  # the catalogs were read
    bad = [f"{po}: {msgid!r} -> {ar!r}" for po, msgid, ar in messages
           if "%(" in ar and NUMBER_THEN_NOUN.search(ar)]
    assert not bad, "use ngettext or 'عدد ...: N':\n" + "\n".join(bad)


def test_no_generated_arabic_counts_a_noun_by_hand():
    bad = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench", "notebooks"} or path == WORDING:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if NUMBER_THEN_NOUN.search(line):
                bad.append(f"{rel}:{lineno}: {line.strip()}")
    assert not bad, "use matching.wording.count:\n" + "\n".join(bad)


def test_the_pattern_catches_a_hand_built_plural():
    assert NUMBER_THEN_NOUN.search("منذ أكثر من {STALE_DAYS} يوماً")
    assert NUMBER_THEN_NOUN.search("%(n)s شخصاً في الشهر")
    assert not NUMBER_THEN_NOUN.search("عدد الأيام: %(n)s")
    assert not NUMBER_THEN_NOUN.search("%(n)s من الخدمات")
