"""The shared field checks (data/fields.py): each coerces or refuses with one wording, and
no other module writes those wordings again (translators see each string once)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from data import fields
from data.errors import BadInput

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 1, 15)

# (check, data, expected value or the English message of the refusal)
CASES = [
    (lambda d: fields.text(d, "x", max_len=5), {"x": "  ab "}, "ab"),
    (lambda d: fields.text(d, "x", max_len=5), {}, None),
    (lambda d: fields.text(d, "x", max_len=3), {"x": "abcd"}, "x is longer than 3 characters."),
    (lambda d: fields.text(d, "x", required=True), {}, "x is required."),
    (lambda d: fields.text(d, "x", required=True), {"x": " "}, "x must not be empty."),
    (lambda d: fields.whole_number(d, "n", 1, 9), {"n": "4"}, 4),
    (lambda d: fields.whole_number(d, "n", 1, 9), {"n": 2.5}, "n must be a whole number."),
    (lambda d: fields.whole_number(d, "n", 1, 9), {"n": 10}, "n must be between 1 and 9."),
    (lambda d: fields.choice(d, "c", ("a", "b")), {"c": "b"}, "b"),
    (lambda d: fields.choice(d, "c", ("a", "b")), {"c": "z"}, "c must be one of: a, b."),
    (lambda d: fields.text_list(d, "l"), {"l": "a, b\nc"}, ["a", "b", "c"]),
    (lambda d: fields.text_list(d, "l"), {"l": 3}, "l must be a list."),
    (lambda d: fields.boolean(d, "b"), {"b": "yes"}, True),
    (lambda d: fields.boolean(d, "b"), {"b": "maybe"}, "b must be true or false."),
    (lambda d: fields.past_date(d, "d", TODAY), {"d": "2026-01-01"}, dt.date(2026, 1, 1)),
    (lambda d: fields.past_date(d, "d", TODAY), {"d": "01/01/2026"},
     "d must be a date (YYYY-MM-DD)."),
    (lambda d: fields.past_date(d, "d", TODAY), {"d": "2026-02-01"},
     "d cannot be in the future."),
]


@pytest.mark.parametrize(("check", "data", "expected"), CASES)
def test_a_field_is_coerced_or_refused_naming_it(app, check, data, expected):
    with app.test_request_context(), force_locale("en"):
        if isinstance(expected, str) and expected.endswith("."):
            with pytest.raises(BadInput) as caught:
                check(data)
            assert caught.value.message == expected
            assert caught.value.details["field"] == expected.split()[0]
        else:
            assert check(data) == expected


def test_a_nested_field_names_its_path_and_keeps_its_short_name_in_the_message(app):
    with app.test_request_context(), force_locale("en"):
        err = fields.too_long("name", 80, where="case.name")
    assert (err.message, err.details["field"]) == ("name is longer than 80 characters.",
                                                   "case.name")


@pytest.mark.parametrize("build", [
    lambda: fields.missing("x"), lambda: fields.empty("x"), lambda: fields.too_long("x", 3),
    lambda: fields.not_one_of("x", ["a"]), lambda: fields.not_codes("x")])
def test_every_refusal_has_its_arabic(app, build):
    with app.test_request_context(), force_locale("ar"):
        message = build().message
    assert re.search("[\u0600-\u06ff]", message), message


WORDINGS = ["is required.", "must not be empty.", "is longer than %(", "is too long (",
            "must be one of: %(values)s.", "must be a list of codes.",
            "must be a whole number.\"", "must be true or false.\"", "must be a list.\""]


def test_the_field_wordings_are_written_only_in_data_fields():
    pattern = re.compile(r'_\(\s*"%\(field\)s (' + "|".join(re.escape(w) for w in WORDINGS) + ")")
    offenders = []
    for room in ("data", "network", "referral", "planning", "web"):
        for path in (ROOT / room).rglob("*.py"):
            if path == ROOT / "data" / "fields.py":
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
