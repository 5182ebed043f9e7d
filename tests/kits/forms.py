"""Reading forms as a page gives them."""

from __future__ import annotations

import html
import re


def key_on(page: str) -> str:
    """The form's sent-once key (``web.sent_once``), as the page gave it (WTForms' hidden
    field or a hand-written one)."""
    tag = re.search(r'<input[^>]*name="submission"[^>]*>', page)
    assert tag, "the form carries its key"
    return html.unescape(re.search(r'value="([^"]*)"', tag.group(0)).group(1))
