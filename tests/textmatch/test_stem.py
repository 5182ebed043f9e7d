"""Light stemming, pure: English plurals, Arabic broken and sound plurals, the article."""

from __future__ import annotations

import pytest

from textmatch.stem import stem, stems


@pytest.mark.parametrize(("plural", "singular"), [
    ("tents", "tent"), ("shelters", "shelter"), ("families", "family"),
    ("children", "child"), ("women", "woman"), ("boxes", "box"), ("kits", "kit"),
    ("خيام", "خيمة"), ("الخيام", "خيمة"), ("مخيمات", "مخيم"), ("بطانيات", "بطانية"),
    ("ملاجئ", "ملجأ"), ("أسر", "أسرة"), ("وأطفال", "طفل"), ("الأطفال", "طفل"),
])
def test_a_plural_has_its_singular_s_stem(plural, singular):
    assert stems(plural) == stems(singular)


@pytest.mark.parametrize(("a", "b"), [
    ("tent", "camp"), ("خيمة", "مخيم"), ("status", "statu"), ("gas", "ga")])
def test_different_words_keep_different_stems(a, b):
    assert stem(a) != stem(b) or a == b


def test_stems_of_a_phrase_are_its_words_stems():
    assert stems("Installation of new/ replacement of existing tents") >= {"tent",
                                                                           "installation"}
    assert stems("") == set()
