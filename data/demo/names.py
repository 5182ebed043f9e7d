"""Word lists for synthetic Syrian NGO names: Arabic, a matching English transliteration.

Names are composed as prefix + core + suffix (+ an optional place), so every combination is a
plausible organisation name in both languages and the English acronym follows from the words.
"""

from __future__ import annotations

# (Arabic, English) legal form of the organisation.
PREFIXES: tuple[tuple[str, str], ...] = (
    ("جمعية", "Association"), ("مؤسسة", "Foundation"), ("منظمة", "Organization"),
    ("رابطة", "League"), ("مبادرة", "Initiative"), ("فريق", "Team"), ("هيئة", "Commission"),
    ("شبكة", "Network"), ("مركز", "Center"), ("اتحاد", "Union"),
)

# (Arabic, English transliteration or translation) distinctive core of the name.
CORES: tuple[tuple[str, str], ...] = (
    ("الأمل", "Al-Amal"), ("البر", "Al-Birr"), ("الإحسان", "Al-Ihsan"), ("سوريا", "Syria"),
    ("الخير", "Al-Khair"), ("النور", "Al-Nour"), ("الرحمة", "Al-Rahma"), ("البناء", "Al-Binaa"),
    ("الياسمين", "Al-Yasmin"), ("الغد", "Al-Ghad"), ("الفجر", "Al-Fajr"), ("السلام", "Al-Salam"),
    ("التضامن", "Al-Tadamon"), ("الوفاء", "Al-Wafaa"), ("العطاء", "Al-Ataa"),
    ("الكرامة", "Al-Karama"), ("بسمة", "Basma"), ("غراس", "Ghiras"), ("بنفسج", "Violet"),
    ("شفق", "Shafak"), ("إحياء", "Ihyaa"), ("نبض", "Nabd"), ("سنابل", "Sanabel"),
    ("أمان", "Aman"), ("ضياء", "Diyaa"), ("بارقة", "Bariqa"), ("تمكين", "Tamkeen"),
    ("سند", "Sanad"), ("رفاه", "Rafah"), ("مودة", "Mawadda"), ("الزيتونة", "Al-Zaytouna"),
    ("الفرات", "Euphrates"), ("العاصي", "Orontes"), ("قاسيون", "Qasioun"),
    ("الشهباء", "Al-Shahbaa"), ("حوران", "Horan"), ("الجزيرة", "Al-Jazira"),
    ("الساحل", "Coast"), ("البادية", "Badia"), ("الشام", "Al-Sham"), ("الأيادي البيضاء",
    "White Hands"), ("الهلال", "Al-Hilal"), ("الإخاء", "Brotherhood"), ("يد بيد", "Hand in Hand"),
    ("بيتنا", "Baytna"), ("شباب التغيير", "Youth for Change"), ("نساء الغد",
    "Women of Tomorrow"), ("أطفال سوريا", "Syria's Children"), ("الأرض الطيبة", "Good Land"),
    ("الحياة", "Al-Hayat"), ("ربيع", "Rabee"), ("سما", "Sama"), ("أجيال", "Ajyal"),
    ("واحة", "Waha"), ("نسائم", "Nasaem"), ("عمران", "Omran"), ("رحماء", "Ruhamaa"),
    ("المحبة", "Al-Mahabba"), ("التكافل", "Al-Takaful"), ("الرعاية", "Al-Riaya"),
)

# (Arabic, English) purpose suffix; an empty pair means none.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("", ""), ("للتنمية", "for Development"), ("الخيرية", "Charity"),
    ("للإغاثة والتنمية", "for Relief and Development"), ("الإنسانية", "Humanitarian"),
    ("للتمكين", "for Empowerment"), ("للدعم النفسي", "for Psychosocial Support"),
    ("لرعاية الطفولة", "for Childhood Care"), ("للمرأة", "for Women"),
    ("للتعليم", "for Education"), ("الطبية", "Medical"), ("للإغاثة", "Relief"),
    ("للتنمية المجتمعية", "for Community Development"), ("للحماية", "for Protection"),
)

# Words left out of acronyms.
ACRONYM_STOP = {"for", "and", "of", "the", "in", "al", "s"}

# Given names and family names for demo users and focal points.
FIRST_NAMES = (("ريم", "Reem"), ("أحمد", "Ahmad"), ("هبة", "Hiba"), ("محمد", "Mohammad"),
               ("سلمى", "Salma"), ("عمر", "Omar"), ("لينا", "Lina"), ("خالد", "Khaled"))
FAMILY_NAMES = (("الحلبي", "Al-Halabi"), ("الخطيب", "Al-Khatib"), ("العلي", "Al-Ali"),
                ("حداد", "Haddad"), ("الشامي", "Al-Shami"), ("درويش", "Darwish"))


def acronym(name_en: str) -> str:
    """Initials of the significant English words (``Al-Amal Foundation for Development`` ->
    ``AFD``)."""
    letters = []
    for word in name_en.replace("-", " ").replace("'", " ").split():
        if word.lower() not in ACRONYM_STOP and word[0].isalpha():
            letters.append(word[0].upper())
    return "".join(letters) or "ORG"
