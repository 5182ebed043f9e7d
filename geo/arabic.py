"""Arabic (and Latin transliteration) normalisation for search and name matching.

Both scripts fold to one comparable form: hamza/alef forms to bare alef, taa marbuta to haa,
alef maqsura to yaa, no tatweel or diacritics, Arabic-Indic digits to ASCII, the article
(ال / al- / el-) dropped from each word, Latin lower-cased with apostrophes and hyphens removed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "normalize_words", "strip_article"]

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TRANSLATE = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ى": "ي", "ئ": "ي", "ؤ": "و", "ء": "",
    "ـ": "",  # tatweel
    "گ": "ك", "ک": "ك", "ی": "ي", "ہ": "ه",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4",
    "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
    "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4",
    "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
    "'": "", "’": "", "‘": "", "`": "", "ʼ": "", "ʾ": "", "ʿ": "",
})
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_LATIN_ARTICLE = re.compile(r"^(?:al|el|as|ash|ad|ar|az|at|an|es|ed|er|ez|et)-(?=\w)")
# Common transliteration variants folded to one spelling.
_LATIN_VARIANTS = (
    (re.compile(r"ou"), "u"), (re.compile(r"ee"), "i"), (re.compile(r"oo"), "u"),
    (re.compile(r"dh"), "d"), (re.compile(r"(?<=\w)e(?=\w)"), "a"), (re.compile(r"ph"), "f"),
    (re.compile(r"q"), "k"), (re.compile(r"([a-z])\1"), r"\1"), (re.compile(r"h$"), ""),
    (re.compile(r"y"), "i"), (re.compile(r"ei"), "i"), (re.compile(r"(?<=\w)o(?=\w)"), "u"),
)


def strip_article(word: str) -> str:
    """Drop a leading Arabic article (ال, وال, بال, لل) from one normalised word."""
    for prefix in ("وال", "بال", "فال", "كال", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    if word.startswith("لل") and len(word) > 3:
        return word[2:]
    return word


def _latin(word: str) -> str:
    word = _LATIN_ARTICLE.sub("", word)
    for pattern, repl in _LATIN_VARIANTS:
        word = pattern.sub(repl, word)
    return word


def normalize_words(text: str | None, *, fold_latin: bool = True) -> list[str]:
    """Normalised words of ``text`` (see the module docstring); empty list for empty text."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIACRITICS.sub("", text).translate(_TRANSLATE)
    text = text.replace("-", " - ") if not fold_latin else text
    words = []
    for raw in _SPACE.split(text):
        if fold_latin and re.match(r"^(?:al|el|as|ash|ad|ar|az|at|an|es|ed|er|ez|et)-\w", raw):
            raw = _LATIN_ARTICLE.sub("", raw)
        for word in _PUNCT.sub(" ", raw).split():
            if re.search("[\u0600-\u06ff]", word):
                word = strip_article(word)
            elif fold_latin and word.isascii() and word.isalpha():
                if word in ("al", "el"):
                    continue
                word = _latin(word)
            if word:
                words.append(word)
    return words


def normalize(text: str | None, *, fold_latin: bool = True) -> str:
    """One normalised, space-joined string for comparison and trigram search."""
    return " ".join(normalize_words(text, fold_latin=fold_latin))
