"""Arabic (and Latin transliteration) normalisation for search and name matching.

``normalize`` folds both scripts to one comparable form: hamza/alef forms to bare alef, taa
marbuta to haa, alef maqsura to yaa, no tatweel or diacritics (Arabic harakat and Latin
accents), Arabic-Indic digits to ASCII, the article (ال / al- / el- ...) dropped from each
word, punctuation to spaces, lower case. ``skeleton`` goes further for matching names written
in different transliterations (Idleb/Idlib, Dar'a/Daraa, Lattakia/Latakia): Latin words keep
their first letter and consonants only, with doubled letters and a final h dropped, and an
article fused to its noun before a doubled sun letter split off (Ezzor = ez-Zor = Zour).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["GENERIC_WORDS", "normalize", "normalize_words", "skeleton", "strip_article"]

_TRANSLATE = str.maketrans({
    "ٱ": "ا", "ٲ": "ا", "ٳ": "ا", "ة": "ه", "ى": "ي", "ء": "", "ـ": "",
    "گ": "ك", "ک": "ك", "ی": "ي", "ہ": "ه",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4",
    "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
    "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4",
    "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "'": "", "’": "", "‘": "", "`": "", "ʼ": "", "ʾ": "", "ʿ": "", "´": "",
    "ı": "i",
})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN_ARTICLES = frozenset({"al", "el", "as", "ash", "ad", "ar", "az", "at", "an", "es",
                             "ed", "er", "ez", "et", "en"})
_LATIN_ARTICLE_PREFIX = re.compile(r"^(?:al|el|as|ash|ad|ar|az|at|an|es|ed|er|ez|et|en)-(?=\w)")
_AR_ARTICLE_PREFIXES = ("وال", "بال", "فال", "كال", "ال")

# Words that only say what kind of area a name is; matching may ignore them.
# "مركز X" / "Markaz X" is the official name of the central sub-district of district X.
GENERIC_WORDS = frozenset({
    "ناحيه", "منطقه", "محافظه", "مدينه", "قضاء", "مركز",
    "subdistrict", "district", "governorate", "nahiya", "nahiyat", "nahya", "mantika",
    "mantiqa", "mintaqa", "muhafazat", "muhafaza", "sub", "city", "province", "markaz",
    "center", "centre",
})
# An article fused to its noun before a doubled sun letter: Ezzor = ez-Zor, Assafira = as-Safira
_FUSED_ARTICLE = re.compile(r"^[ae]([tdrzsnl])\1(?=[a-z]{2})")


def strip_article(word: str) -> str:
    """Drop a leading Arabic article (ال, وال, بال, لل ...) from one normalised word."""
    for prefix in _AR_ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    if word.startswith("لل") and len(word) > 3:
        return word[2:]
    return word


def _fold(text: str) -> str:
    """Lower case, no diacritics or accents (NFKD, combining marks dropped), letters unified."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def normalize_words(text: str | None) -> list[str]:
    """Normalised words of ``text`` (see the module docstring); [] for empty text."""
    if not text:
        return []
    words: list[str] = []
    for raw in _fold(text).split():
        raw = _LATIN_ARTICLE_PREFIX.sub("", raw)
        for word in _NON_WORD.sub(" ", raw).replace("_", " ").split():
            if _ARABIC.search(word):
                word = strip_article(word)
            elif word in _LATIN_ARTICLES:
                continue
            words.append(word)
    return words


def normalize(text: str | None) -> str:
    """One normalised, space-joined string for comparison, full text and trigram search."""
    return " ".join(normalize_words(text))


def _latin_skeleton(word: str) -> str:
    word = _FUSED_ARTICLE.sub(r"\1", word)
    word = re.sub(r"(.)\1+", r"\1", word)
    if len(word) > 2 and word.endswith("h"):
        word = word[:-1]
    return word[0] + re.sub(r"[aeiouyw]", "", word[1:]) if word else word


def skeleton(text: str | None, *, drop_generic: bool = False) -> str:
    """A coarse key for names across transliterations (Idleb = Idlib, Dar'a = Daraa)."""
    out = []
    for word in normalize_words(text):
        if drop_generic and word in GENERIC_WORDS:
            continue
        if word.isascii() and word.isalpha():
            word = _latin_skeleton(word)
        elif _ARABIC.search(word):
            word = word.replace("ه", "").replace("ي", "").replace("و", "") or word
        out.append(word)
    return " ".join(out)
