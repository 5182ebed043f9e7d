"""Fuzzing the HTML forms as a person or an attacker meets them: every POST form of the main
pages and of the pages they link to (as each role sees them, with the rows a real site has;
the links are followed one step, as a person clicks) is sent back with its visible
fields empty, missing, far too long, negative, past any column, in Arabic digits, with a
control character, with a choice no list offers or twice over. No answer may be a server
error: a person who types something wrong gets the form back, never a 500.

The API has its own fuzzer (test_fuzz_api, schemathesis over the OpenAPI document); the forms
have no document, so their fields are read from the pages themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.kits.referrals import world_fixture  # noqa: F401 - the fixtures
from tests.web.test_pages_self_contained import PAGES, site_fixture  # noqa: F401

# A field's value in each variant (None: the field left out); hidden fields and the button
# that was pressed keep their own values, except in "everything", where ids are junk too.
VARIANTS: dict[str, str | None] = {
    "empty": "",
    "missing": None,
    "long": "ب" * 30_000,
    "negative": "-1",
    "past_any_column": "9" * 40,
    "arabic_digits": "٣٤٥",
    "control": "a\x00b",
    "not_a_choice": "not-a-choice",
    "date_like": "2026-13-45",
}
# Forms that end the session or the caller's own access: sent once, last, so the others run
# signed in (what they do is still checked: no 500).
LAST = ("/auth/logout",)
# The fewest forms each role must find (the parser finding none proves nothing).
LEAST = {None: 3, ("none", "platform_admin"): 8, ("receiver", "org_admin"): 20,
         ("sender", "caseworker"): 12, ("sender", "planner"): 4, ("receiver", "viewer"): 2}
# Links not followed: files and exports (no forms, slow to build), other sites, the API.
NOT_FOLLOWED = ("/static/", "/api/", "/auth/logout", "/exports", "/export/", "/download")
MAX_PAGES = 120  # pages read per role, the main ones and one click away


@dataclass
class Form:
    """A POST form of a page: where it goes, its fields and the button pressed."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def key(self) -> tuple:
        return self.action, tuple(sorted(self.hidden)), tuple(sorted(self.visible))


class Forms(HTMLParser):
    """Every ``<form method="post">`` of a page with its named fields."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.forms, self.links, self._form = base, [], [], None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        if tag == "form":
            self._form = Form(urljoin(self.base, a.get("action") or self.base)) \
                if a.get("method", "get").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None or not name:
            return
        kind = a.get("type", "text").lower()
        if tag == "button" or kind in ("submit", "image"):
            form.buttons.append((name, a.get("value", "")))
        elif kind == "hidden":
            form.hidden[name] = a.get("value", "")
        elif tag in ("input", "select", "textarea") and name not in form.visible:
            form.visible.append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _pages(client, main: list[str]) -> Iterator[Forms]:
    """The parsed main pages, then the HTML pages of this site they link to (one click), at
    most ``MAX_PAGES``; every main page answers 200 (404 for the missing page)."""
    seen: set[str] = set()
    later: dict[str, None] = {}
    for path in main:
        resp = client.get(path)
        assert resp.status_code == (404 if path == "/nothing-here" else 200), path
        seen.add(path)
        page = Forms(f"http://localhost{path}")
        page.feed(resp.get_data(as_text=True))
        later.update(dict.fromkeys(_followed(page.links)))
        yield page
    for path in [p for p in later if p not in seen][:MAX_PAGES - len(seen)]:
        resp = client.get(path)
        if resp.status_code == 200 and resp.mimetype == "text/html":
            page = Forms(f"http://localhost{path}")
            page.feed(resp.get_data(as_text=True))
            yield page


def _followed(links: list[str]) -> list[str]:
    """The links of a page that a crawl follows: this site's pages, without fragments."""
    out = []
    for link in links:
        parts = urlsplit(link)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc == "localhost" and not any(x in parts.path for x in NOT_FOLLOWED):
            out.append(path)
    return out


def _submissions(form: Form) -> Iterator[tuple[str, dict[str, str | list[str]]]]:
    """(variant, data) for each junk variant and each button the form offers."""
    for button in form.buttons or [None]:
        kept = dict(form.hidden) | (dict([button]) if button else {})
        for variant, value in VARIANTS.items():
            data: dict[str, str | list[str]] = dict(kept)
            if value is not None:
                data |= {name: value for name in form.visible}
            yield f"{variant} {button or ''}", data
        yield "twice", kept | {name: ["1", "x"] for name in form.visible}
        yield "everything", {name: "-1" for name in [*kept, *form.visible]}


@pytest.mark.parametrize("who", list(PAGES), ids=lambda w: "anonymous" if w is None
                         else "-".join(w))
def test_every_form_answers_junk_without_a_server_error(client, login, make, world, site, who):
    make.org(name_en="Awaiting verification", verification="pending")  # the verify forms

    def sign_in() -> None:
        if who is not None:
            login(world.users[who])

    forms: dict[tuple, Form] = {}
    sign_in()
    main = [template.format(**site) for template in PAGES[who]]
    for page in _pages(client, main):
        for form in page.forms:
            forms.setdefault(form.key(), form)
    ordered = sorted(forms.values(), key=lambda f: f.action.endswith(LAST))
    assert len(ordered) >= LEAST[who], [f.action for f in ordered]
    errors = {}
    for form in ordered:
        for variant, data in _submissions(form):
            sign_in()
            resp = client.post(form.action, data=data)
            if resp.status_code >= 500:
                errors[f"{form.action} {variant}"] = resp.status_code
    assert errors == {}
