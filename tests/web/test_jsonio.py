"""The app's JSON provider (orjson behind Flask's interface) writes what Flask wrote, faster,
and Arabic as UTF-8 rather than escapes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import uuid

import numpy as np
import pytest


@dataclasses.dataclass
class _Point:
    lon: float
    lat: float


CASES = [
    ("Arabic stays UTF-8", {"name": "جمعية الأمل"}, '{"name":"جمعية الأمل"}'),
    ("keys sorted as Flask sorts them", {"b": 1, "a": 2}, '{"a":2,"b":1}'),
    ("integer keys", {2: "x", 1: "y"}, '{"1":"y","2":"x"}'),
    ("a date as Flask writes it (HTTP date)", {"d": dt.date(2026, 12, 2)},
     '{"d":"Wed, 02 Dec 2026 00:00:00 GMT"}'),
    ("a decimal as a string", {"x": decimal.Decimal("1.50")}, '{"x":"1.50"}'),
    ("a UUID as a string", {"u": uuid.UUID(int=1)},
     '{"u":"00000000-0000-0000-0000-000000000001"}'),
    ("a dataclass as an object", {"p": _Point(36.6, 35.9)}, '{"p":{"lat":35.9,"lon":36.6}}'),
    ("numpy scalars as numbers", {"f": np.float64(0.25), "i": np.int64(3)},
     '{"f":0.25,"i":3}'),
]


@pytest.mark.parametrize(("label", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_dumps_writes_what_flask_wrote(app, label, value, expected):
    with app.app_context():
        assert app.json.dumps(value) == expected
        assert json.loads(app.json.dumps(value)) == json.loads(expected)


def test_an_unknown_type_is_refused(app):
    with app.app_context(), pytest.raises(TypeError):
        app.json.dumps({"x": object()})


def test_responses_are_written_by_orjson(app, monkeypatch):
    """Flask's ``response()`` passes ``separators`` (compact) or ``indent=2`` (debug): both
    are orjson's own; only other ``json.dumps`` options fall back to the standard library."""
    import web.jsonio

    calls = []
    real = web.jsonio.orjson.dumps
    monkeypatch.setattr(web.jsonio.orjson, "dumps",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    with app.app_context():
        assert app.json.response({"b": 1, "a": [1, 2]}).get_data(as_text=True) == \
            '{"a":[1,2],"b":1}\n'
        assert app.json.dumps({"a": 1}, indent=2) == '{\n  "a": 1\n}'
        assert len(calls) == 2
        assert app.json.dumps({"a": 1}, ensure_ascii=True, indent=4) == '{\n    "a": 1\n}'
        assert len(calls) == 2
        assert app.json.loads('{"a": 1}') == {"a": 1}


def test_api_answers_arabic_as_utf8_bytes(client):
    resp = client.get("/api/v1/services?need=prot_pss&pcode=SY07")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert b"\\u06" not in resp.data and resp.get_json()["area"] == "SY07"


@pytest.mark.parametrize("debug", [False, True], ids=["compact", "debug (indented)"])
def test_responses_are_orjson_bytes_without_a_text_round_trip(app, monkeypatch, debug):
    """``response()`` writes orjson's bytes as they come (the text form is never built: a
    search's 35 KB answer was decoded and encoded again), with what ``dumps`` writes."""
    value = {"b": "جمعية", 2: "x", 1: [np.float64(0.5)]}
    with app.app_context():
        text = app.json.dumps(value, indent=2 if debug else None)
        monkeypatch.setattr(app.json, "dumps", lambda *a, **k: pytest.fail("text built"))
        monkeypatch.setattr(app, "debug", debug)
        resp = app.json.response(value)
    assert resp.mimetype == "application/json"
    assert resp.get_data() == (text + "\n").encode()
    assert json.loads(resp.get_data()) == {"1": [0.5], "2": "x", "b": "جمعية"}
