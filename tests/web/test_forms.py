"""Form fields take the direction of their content, and errors sit next to their field."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_fields_follow_the_direction_of_their_content(client, lang):
    html = client.get(f"/auth/register?lang={lang}").get_data(as_text=True)

    def tag(name: str) -> str:
        return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)

    assert 'dir="rtl"' in tag("name_ar") and 'lang="ar"' in tag("name_ar")
    assert 'dir="ltr"' in tag("name_en") and 'lang="en"' in tag("name_en")
    assert 'dir="ltr"' in tag("email") and 'dir="ltr"' in tag("phone")


def test_errors_are_next_to_their_field_and_announced(client):
    resp = client.post("/auth/register", data={"email": "not-an-email"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    field = re.search(r'<div class="field  has-error">\s*<label for="name_ar">.*?</div>', html,
                      re.S).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="name_ar-error"' in field
    assert 'id="name_ar-error">هذا الحقل مطلوب.' in field


@pytest.mark.parametrize(("lang", "message"), [
    ("ar", "لا يمكن أن يتجاوز الحقل 254 حرفًا."),  # 254: the plural form of 11 to 99 (mod 100)
    ("en", "Field cannot be longer than 254 characters."),
])
def test_the_form_library_s_own_messages_are_in_the_reader_s_language(client, lang, message):
    """WTForms' Arabic catalog leaves most messages and every plural past the second empty:
    an Arabic sign-in form said "Field cannot be longer than 254 characters." (found by the
    forms fuzzer). Its messages now come from our catalogs (web/formtext.py)."""
    resp = client.post(f"/auth/login?lang={lang}", data={"email": "a" * 300, "password": "x"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html
    if lang == "ar":
        assert "Field cannot be longer" not in html
