"""Every string a user can see has an Arabic translation, and pages switch direction."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2)}
METHODS = {"web": [("templates/**.html", "jinja2"), ("**/templates/**.html", "jinja2"),
                   ("**.py", "python")],
           "referral": [("**.py", "python")], "data/io": [("**.py", "python")],
           "jobs": [("**.py", "python")], "data": [("backup.py", "python")]}


def _msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder, methods in METHODS.items():
        for filename, _lineno, message, _comments, _ctx in extract_from_dir(
                ROOT / folder, method_map=methods, keywords=KEYWORDS,
                options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{folder}/{filename}")
    return found


def _arabic() -> dict[str, str]:
    out: dict[str, str] = {}
    for po in ROOT.glob("web/**/translations/ar/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            for msg in read_po(f):
                if msg.id and msg.string and not msg.fuzzy:
                    key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
                    out[key] = msg.string if isinstance(msg.string, str) else msg.string[0]
    return out


def test_every_user_facing_string_has_an_arabic_translation():
    arabic = _arabic()
    msgids = _msgids()
    assert "Services by governorate" in msgids and len(msgids) > 50  # extraction works
    missing = sorted(f"{where}: {msgid!r}" for msgid, where in msgids.items()
                     if msgid not in arabic)
    assert not missing, "no Arabic translation for:\n" + "\n".join(missing)


def test_translations_are_arabic_text():
    latin_only = [k for k, v in _arabic().items()
                  if not any("\u0600" <= ch <= "\u06ff" for ch in v)
                  and any(ch.isalpha() for ch in k)]
    # format-only strings (e.g. "%(n)s km") may stay as they are; real words may not
    assert [k for k in latin_only if len(k) > 12] == []


@pytest.mark.parametrize(("env", "expected"), [
    ({"LANG": "ar_SY.UTF-8"}, "ar"), ({"LC_ALL": "ar_SY.UTF-8", "LANG": "C.UTF-8"}, "ar"),
    ({"LANG": "en_GB.UTF-8"}, "en"), ({"LC_ALL": "C.UTF-8", "LANG": "ar_SY.UTF-8"}, "en"),
    ({}, "en")])
def test_commands_speak_the_shell_s_language(app, monkeypatch, env, expected):
    """Outside a request (a ``tasharuk`` command) messages follow LC_ALL / LC_MESSAGES / LANG."""
    from flask_babel import gettext

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with app.app_context():
        message = gettext("Unknown parameter: %(name)s.", name="x")
    assert any("\u0600" <= ch <= "\u06ff" for ch in message) is (expected == "ar"), message


def _lang(client, path="/"):
    html = client.get(path).get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_signed_in_person_s_language_is_kept_on_their_account(app, client, session, make,
                                                                  login):
    """Switching language while signed in is remembered on the account (``User.locale``,
    also what their e-mails use): the next sign-in, in a new browser, opens in it."""
    user = make.user("caseworker")
    assert user.locale == "ar"
    login(user)
    assert _lang(client) == "ar"
    assert _lang(client, "/?lang=en") == "en"
    session.refresh(user)
    assert user.locale == "en"
    other_browser = app.test_client()
    login(user, other_browser)
    assert _lang(other_browser) == "en"
    assert _lang(other_browser, "/?lang=ar") == "ar"
    session.refresh(user)
    assert user.locale == "ar"


def test_the_public_s_language_is_the_session_s_only(client):
    """An anonymous switch lasts for that browser only: the next visitor still gets Arabic."""
    assert _lang(client, "/?lang=en") == "en" and _lang(client) == "en"
    assert _lang(client.application.test_client()) == "ar"


def test_an_api_client_asking_for_english_gets_it_whatever_the_account_says(client, make,
                                                                            login):
    login(make.user("caseworker"))  # locale "ar"
    resp = client.get("/api/v1/services?age=-3", headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"] == "Age must be between 0 and 120."
    arabic = client.get("/api/v1/services?age=-3").get_json()["error"]["message"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic)
