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
