"""Light stemming of English and Arabic words, so "tents" meets "tent" and "خيام" meets "خيمة".

Works on words already normalised by ``textmatch.arabic.normalize`` (article dropped, taa
marbuta folded to haa). English: regular plurals (-s, -es, -ies) and the irregular plurals of
people (children, women, men, people). Arabic: a table of common broken plurals to their
singular, then the sound-plural and feminine suffixes (-ات, -ون, -ين, -ه) and a leading
conjunction و. Stems are comparison keys, not words to show.
"""

from __future__ import annotations

from .arabic import normalize, normalize_words

__all__ = ["stem", "stems"]

_EN_IRREGULAR = {"children": "child", "women": "woman", "men": "man", "people": "person",
                 "persons": "person", "families": "family", "feet": "foot", "teeth": "tooth",
                 "mice": "mouse", "elderly": "elder", "elders": "elder"}
# singular words ending in s that are not plurals
_EN_KEEP = frozenset({"this", "its", "his", "gas", "bus", "news", "lens", "series", "analysis",
                      "basis", "crisis", "status", "campus", "virus", "census", "diagnosis",
                      "plus", "less", "unless", "across", "process", "access", "address",
                      "awareness", "wellness", "business", "illness", "homeless", "always",
                      "perhaps", "themselves", "yes", "cbs", "pss"})
_AR_BROKEN = {
    "خيام": "خيمه", "خيم": "خيمه", "ملاجئ": "ملجأ", "مساكن": "مسكن", "منازل": "منزل",
    "بيوت": "بيت", "أطفال": "طفل", "نساء": "امرأة", "رجال": "رجل",
    "أسر": "أسرة", "عوائل": "عائلة", "عائلات": "عائلة", "أشخاص": "شخص", "أفراد": "فرد",
    "مواد": "ماده", "أغذية": "غذاء", "سلال": "سله", "أدوية": "دواء", "مراكز": "مركز",
    "مدارس": "مدرسه", "مستشفيات": "مستشفي", "عيادات": "عياده", "بطانيات": "بطانيه",
    "فرش": "فراش", "حصص": "حصه", "قسائم": "قسيمة", "خدمات": "خدمه",
    "جلسات": "جلسه", "فتيات": "فتاه", "فتيان": "فتي", "مسنين": "مسن", "ناجين": "ناجي",
    "ناجيات": "ناجي", "مخيمات": "مخيم", "ملابس": "لباس", "أغطية": "غطاء", "أوان": "آنية",
    "أنشطة": "نشاط", "حملات": "حمله", "أدوات": "أداة", "أجهزة": "جهاز",
    "حقائب": "حقيبة", "دورات": "دوره", "مياه": "ماء", "مراحيض": "مرحاض",
}
_AR_BROKEN = {normalize(k): normalize(v) for k, v in _AR_BROKEN.items()}
_AR_SUFFIXES = ("ات", "ون", "ين", "ه")


def _stem_en(word: str) -> str:
    if word in _EN_IRREGULAR:
        return _EN_IRREGULAR[word]
    if len(word) <= 3 or word in _EN_KEEP or word.endswith(("ss", "us", "sis", "xis")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def _stem_ar(word: str) -> str:
    if word in _AR_BROKEN:
        return _AR_BROKEN[word]
    if word.startswith("و") and len(word) > 3 and word[1:] not in ("رش", "لد"):
        rest = word[1:]
        if rest in _AR_BROKEN:
            return _AR_BROKEN[rest]
        word = rest if len(rest) >= 3 else word
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[:-len(suffix)]
            break
    return _AR_BROKEN.get(word, word)


def stem(word: str) -> str:
    """The stem of one normalised word (English or Arabic); other words as they are."""
    if not word:
        return word
    if word.isascii():
        return _stem_en(word) if word.isalpha() else word
    word = normalize(word) if " " in word else word
    stemmed = _stem_ar(word)
    # the broken-plural table's singulars end in ه where a sound form would be stripped
    return stemmed[:-1] if stemmed.endswith("ه") and len(stemmed) > 3 else stemmed


def stems(text: str | None) -> set[str]:
    """The set of stems of the words of ``text`` (normalised first)."""
    return {stem(w) for w in normalize_words(text)}
