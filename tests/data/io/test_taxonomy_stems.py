"""Service types inferred from activity words by their stems, on the real HRP activity texts
of the Shelter and NFI sector: tents and transitional shelters are shelter, not NFI."""

from __future__ import annotations

import csv

import pytest

from data.io.taxonomy import Taxonomy
from tests.conftest import shared_path


def _shelter_texts() -> dict[str, str]:
    with shared_path("reference", "wos_hrp2022_activities.csv").open(
            encoding="utf-8-sig", newline="") as f:
        return {r["Activity code"]: r["activity"] for r in csv.DictReader(f)
                if r["Sector"] == "Shelter and Non-Food Items"}


@pytest.mark.parametrize(("code", "expected"), [
    ("shl_act_1_3", "shelter"),   # Repair of tents
    ("shl_act_1_4", "shelter"),   # Installation of new/ replacement of existing tents
    ("shl_act_1_7", "shelter"),   # ... temporary transitional shelters
    ("shl_act_1_1", "nfi"),       # Provision of core NFIs
])
def test_real_shelter_activities_are_typed_by_their_words_stems(session, code, expected):
    text = _shelter_texts()[code]
    match = Taxonomy(session).match(text, None, "Shelter and Non-Food Items")
    assert match.code == expected, text
    assert match.note == ""  # decided by the words, not by the sector alone


@pytest.mark.parametrize("text", ["توزيع خيام", "تركيب الخيام للنازحين"])
def test_arabic_broken_plurals_meet_their_keywords(session, text):
    assert Taxonomy(session).match(text, None, "shelter").code == "shelter"
