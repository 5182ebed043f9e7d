"""Referral errors speak the user's language: Arabic by default, English to an API client that
asks for it (``Accept-Language: en``), the shell's language in a command; the field is named
the same way in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.kits.referrals import CONSENT, keys_fixture, new_referral, world_fixture  # noqa: F401

CATALOG = (Path(__file__).resolve().parents[2]
           / "web/referrals/translations/ar/LC_MESSAGES/messages.po")


def _payload(world, case=None, **over):
    body = {"service_id": world.service.id, "consent": dict(CONSENT),
            "case": {"age": 34, "sex": "female", "pcode": "SY07", "needs": ["prot_pss"],
                     **(case or {})}}
    body.update(over)
    return body


# (who, method, url, body, status, field, Arabic message, English message); ``{id}`` and
# ``{v}``/``{v1}`` stand for a sent referral's id, version and version + 1.
CASES = [
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, case={"age": 300}), 400, "case.age",
     "يجب أن يكون العمر بين 0 و120.", "Age must be between 0 and 120."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, case={"sex": "x"}), 400, "case.sex",
     "يجب أن يكون sex أحد القيم: female, male, other, unknown.",
     "sex must be one of: female, male, other, unknown."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, consent=None), 400, "consent",
     "لا يمكن إرسال إحالة دون موافقة مسجّلة (من أعطاها، وكيف، ومتى، وما يجوز مشاركته) "
     "أو تجاوز مسموح مع ذكر السبب.",
     "A referral cannot be sent without recorded consent (who gave it, how, when, what may "
     "be shared) or an allowed override with a reason."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, consent=None, consent_override_reason="urgent"), 403,
     "consent_override_reason",
     "لا يجوز الإرسال دون موافقة إلا لمدير المنظمة؛ ولعامل الحالة في الطوارئ فقط "
     "(مثل طفل في خطر).",
     "Only an organisation admin may send without consent; a caseworker only for an "
     "emergency (e.g. a child at risk)."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, note="x" * 2001), 400, "note",
     "عدد أحرف note يتجاوز الحد الأقصى: 2000.",
     "note is longer than 2000 characters."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, service_id=999999), 404, "service_id",
     "الخدمة 999999 غير موجودة.", "Service 999999 doesn't exist."),
    (("sender", "caseworker"), "post", "/api/v1/referrals",
     lambda w: _payload(w, send="yes"), 400, "send",
     "يجب أن تكون قيمة send إما true أو false.", "send must be true or false."),
    (("sender", "caseworker"), "get", "/api/v1/referrals?box=sideways", None, 400, "box",
     "يجب أن تكون قيمة box إما 'in' (الواردة) أو 'out' (الصادرة).",
     "box must be 'in' or 'out'."),
    (("sender", "caseworker"), "get", "/api/v1/referrals?limit=999", None, 400, "limit",
     "يجب أن يكون limit عددًا صحيحًا من 0 إلى 200.", "limit must be an integer from 0 to 200."),
    (("other", "caseworker"), "get", "/api/v1/referrals/{id}", None, 404, "id",
     "الإحالة {id} غير موجودة.", "Referral {id} doesn't exist."),
    (("receiver", "caseworker"), "post", "/api/v1/referrals/{id}/transitions",
     lambda w: {"action": "decline", "version": "{v}"}, 400, "reason",
     "يتطلب هذا الإجراء ذكر سبب، وهو أحد: no_capacity, not_eligible, outside_area, "
     "not_offered, no_contact, person_declined, duplicate, other.",
     "This action needs a reason, one of no_capacity, not_eligible, outside_area, "
     "not_offered, no_contact, person_declined, duplicate, other."),
    (("receiver", "caseworker"), "post", "/api/v1/referrals/{id}/transitions",
     lambda w: {"action": "start", "version": "{v}"}, 409, "action",
     "الإجراء start غير مسموح على إحالة حالتها sent بالنسبة إلى المنظمة المستقبِلة؛ "
     "المسموح: accept, decline.",
     "The action start is not allowed on a referral that is sent for the receiving "
     "organisation; allowed: accept, decline."),
    (("receiver", "caseworker"), "post", "/api/v1/referrals/{id}/transitions",
     lambda w: {"action": "accept", "version": "{v1}"}, 409, "version",
     "تغيّرت الإحالة منذ فتحتها (الإصدار {v1}، والآن {v})؛ أعد تحميلها وحاول مجددًا.",
     "The referral changed since you loaded it (version {v1}, now {v}); reload it and try "
     "again."),
    (("receiver", "caseworker"), "post", "/api/v1/referrals/{id}/transitions",
     lambda w: {"action": "accept"}, 400, "version",
     "الحقل version مطلوب: رقم إصدار الإحالة الذي اطّلعت عليه آخر مرة (عدد صحيح).",
     "version is required: the referral's version you last saw (an integer)."),
]


def _fill(value, slots: dict):
    """``value`` with ``{id}``/``{v}``/``{v1}`` replaced (versions become integers)."""
    if isinstance(value, dict):
        return {k: _fill(v, slots) for k, v in value.items()}
    if isinstance(value, str) and value in ("{v}", "{v1}"):
        return slots[value[1:-1]]
    if isinstance(value, str):
        return value.format(**slots)
    return value


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize(("who", "method", "url", "body", "status", "field", "arabic",
                          "english"), CASES, ids=[f"{c[2].split('?')[-1]}-{c[5]}" for c in CASES])
def test_api_errors_are_arabic_by_default_and_english_on_request(
        client, login, session, world, keys, lang, who, method, url, body, status, field,
        arabic, english):
    referral = new_referral(session, world, status="sent")
    slots = {"id": referral.id, "v": referral.version, "v1": referral.version + 1}
    login(world.users[who])
    headers = {"Accept-Language": "en"} if lang == "en" else {}
    kwargs = {"json": _fill(body(world), slots)} if body else {}
    resp = getattr(client, method)(_fill(url, slots), headers=headers, **kwargs)
    error = resp.get_json()["error"]
    assert resp.status_code == status, error
    assert error["details"]["field"] == field
    assert error["message"] == _fill(arabic if lang == "ar" else english, slots)


def test_the_printable_form_refusal_is_arabic_on_the_page(client, login, session, world):
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "org_admin")])
    resp = client.get(f"/referrals/{referral.id}/print")
    assert resp.status_code == 403
    assert "طباعة نموذج الإحالة متاحة للمنظمة المُرسِلة فقط." in resp.get_data(as_text=True)
    english = client.get(f"/referrals/{referral.id}/print?lang=en").get_data(as_text=True)
    assert "Only the sending organisation prints the referral form." in english


@pytest.mark.parametrize(("lang_env", "message"), [
    ("ar_SY.UTF-8", "يجب أن يكون status أحد القيم: "),
    ("C.UTF-8", "status must be one of: ")], ids=["ar", "en"])
def test_a_command_s_referral_errors_follow_the_shell(app, monkeypatch, lang_env, message):
    """Outside a request (a ``tasharuk`` command) the use cases speak the shell's language."""
    from data.errors import BadInput
    from referral.boxes import parse_filters

    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang_env)
    with app.app_context(), pytest.raises(BadInput) as err:
        parse_filters({"status": "lost"})
    assert err.value.message.startswith(message) and "draft, sent" in err.value.message
    assert err.value.details == {"field": "status"}


def test_referral_translations_keep_their_placeholders():
    """A translation that drops or renames ``%(name)s`` would fail (or lie) at run time."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    names = re.compile(r"%\((\w+)\)")
    wrong = []
    for msg in catalog:
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        wanted = set(names.findall(ids[-1]))
        for text in strings:
            found = set(names.findall(text))
            # a plural form may leave out the number ("منظمة واحدة"), never add a name
            if found - wanted or (len(strings) == 1 and found != wanted):
                wrong.append(ids[0])
    assert wrong == []
