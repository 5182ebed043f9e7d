"""Fuzzing the HTML forms as a person or an attacker meets them: every form of the main pages
(POST, and GET: the searches and filters) and of the pages they link to (as each role sees
them, with the rows a real site has; the links are followed one step, as a person clicks) is
sent back with its visible fields empty, missing, far too long, negative, past any column, in
Arabic digits, with a control character, with a choice no list offers or twice over, and a
form with a file field gets the wrong files people upload (empty, noise, a zip that is no
workbook, UTF-16, formulas, a truncated PDF, a PNG named .docx, a path in its name). No answer
may be a server error: a person who types something wrong gets the form back, never a 500,
and the page that tells them so is in Arabic (the default language) without an English word.

The API has its own fuzzer (test_fuzz_api, schemathesis over the OpenAPI document); the forms
have no document, so their fields are read from the pages themselves.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.kits.referrals import world_fixture  # noqa: F401 - the fixtures
from tests.web.test_pages_self_contained import (
    ALLOWED_LATIN,
    PAGES,
    parse,
    site_fixture,  # noqa: F401 - the fixture
)

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


def _zip_without_a_sheet() -> bytes:
    """A valid zip that is not a workbook (what a renamed archive looks like)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


# Files people and attackers upload where a form asks for one: (variant, name, content); the
# form's other fields keep the values the page gave them, so the file is what is read.
FILES = [
    ("empty_file", "empty.csv", b""),
    ("noise_as_xlsx", "noise.xlsx", bytes(range(256)) * 64),
    ("zip_not_a_workbook", "sheet.xlsx", _zip_without_a_sheet()),
    ("utf16_csv", "utf16.csv", "المنظمة,العدد\nأ,٣\n".encode("utf-16")),
    ("formula_csv", "formula.csv", b"=cmd|' /C calc'!A0,+1,-1,@SUM(1)\n1,2,3,4\n"),
    ("fake_pdf", "doc.pdf", b"%PDF-1.4\n%\xe2\xe3 truncated"),
    ("png_named_docx", "image.docx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
    ("no_extension", "README", b"plain text"),
    ("long_name", "م" * 300 + ".csv", b"a,b\n1,2\n"),
    ("path_in_name", "../../etc/passwd.csv", b"a,b\n1,2\n"),
]
# Inputs a person types into; the values of ``VARIANTS`` a person can type there.
TYPING = {"text", "search", "email", "tel", "url", "number", "date", "datetime-local", "time",
          "month", "password"}
TYPED = ("empty", "long", "negative", "past_any_column", "arabic_digits", "date_like")
# Latin words an Arabic page may show: technical names people know in that form, and the
# junk of earlier submissions shown back as content (a reply whose body was "not-a-choice").
TECHNICAL = {"http", "choice"}
# (bounded repeats: a 30,000-letter value made the unbounded pattern quadratic)
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
FILLER = "تجربة ١"  # an empty text field's value beside a file, so the file is what is read
# Forms that end the session or the caller's own access: sent once, last, so the others run
# signed in (what they do is still checked: no 500).
LAST = ("/auth/logout",)
# The fewest forms each role must find (the parser finding none proves nothing).
LEAST = {None: 3, ("none", "platform_admin"): 8, ("receiver", "org_admin"): 20,
         ("sender", "caseworker"): 12, ("sender", "planner"): 4, ("receiver", "viewer"): 2}
# The fewest GET forms (searches and filters: the directory and the library for everyone, the
# inboxes, gaps, partners, audit and change filters by role).
LEAST_GET = {None: 2, ("none", "platform_admin"): 6, ("receiver", "org_admin"): 9,
             ("sender", "caseworker"): 6, ("sender", "planner"): 5, ("receiver", "viewer"): 5}
# Links not followed: files and exports (no forms, slow to build), other sites, the API.
NOT_FOLLOWED = ("/static/", "/api/", "/auth/logout", "/exports", "/export/", "/download",
                "/lang/")  # (the language switch: the test reads the pages in Arabic)
MAX_PAGES = 120  # pages read per role, the main ones and one click away


@dataclass
class Form:
    """A form of a page: where it goes and how, its fields and the button pressed."""

    action: str
    method: str = "post"
    hidden: dict[str, str] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)  # the fields a person types into
    defaults: dict[str, str] = field(default_factory=dict)  # the page's own values

    def key(self) -> tuple:
        return self.method, self.action, tuple(sorted(self.hidden)), tuple(sorted(self.visible))


class Forms(HTMLParser):
    """Every ``<form>`` of a page with its named fields (GET ones sent to their action
    without its query, as a browser does)."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.forms, self.links, self._form = base, [], [], None
        self._select: str | None = None  # the select whose options are being read

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "option":
            self.handle_starttag_option(a)
            return
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        if tag == "form":
            method = a.get("method", "get").lower()
            action = urljoin(self.base, a.get("action") or self.base)
            if method == "get":
                action = action.split("?", 1)[0]
            self._form = Form(action, method) if method in ("get", "post") else None
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
        elif kind == "file" and name not in form.files:
            form.files.append(name)
        elif tag in ("input", "select", "textarea") and name not in form.visible:
            form.visible.append(name)
            if tag == "textarea" or tag == "input" and kind in TYPING:
                form.typed.append(name)
            if tag == "textarea" or \
                    tag == "input" and (kind not in ("checkbox", "radio") or "checked" in a):
                form.defaults[name] = a.get("value", "")
        self._select = name if tag == "select" else self._select

    def handle_starttag_option(self, a: dict[str, str]) -> None:
        """The select's first option with a value is its value until one is selected."""
        if self._form is not None and self._select is not None and (
                "selected" in a or a.get("value") and self._select not in self._form.defaults):
            self._form.defaults[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


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


def _submissions(form: Form) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(variant, data, person) for each junk variant and each button the form offers; a form
    with a file field also gets each of ``FILES``. ``person``: what a person can send from
    the page (typed fields junk, lists and boxes as the page set them, or a wrong file)."""
    filled = {k: v or FILLER for k, v in form.defaults.items()}  # (a title, a body)
    for button in form.buttons or [None]:
        kept = dict(form.hidden) | (dict([button]) if button else {})
        for variant, value in VARIANTS.items():
            data: dict[str, Any] = dict(kept)
            if value is not None:
                data |= {name: value for name in form.visible}
            yield f"{variant} {button or ''}", data, False
            if variant in TYPED:
                yield f"typed {variant} {button or ''}", kept | form.defaults | {
                    name: value for name in form.typed}, True
        yield "twice", kept | {name: ["1", "x"] for name in form.visible}, False
        yield "everything", {name: "-1" for name in [*kept, *form.visible, *form.files]}, False
        for variant, filename, content in FILES if form.files else []:
            yield variant, kept | filled | {
                name: (io.BytesIO(content), filename) for name in form.files}, True


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
    searches = {f.action for f in ordered if f.method == "get"}
    assert len(searches) >= LEAST_GET[who], searches
    errors, english, read = {}, {}, 0
    for form in ordered:
        for variant, data, person in _submissions(form):
            sign_in()
            resp = client.post(form.action, data=data) if form.method == "post" else \
                client.get(form.action, query_string=data)
            if resp.status_code >= 500:
                errors[f"{form.action} {variant}"] = resp.status_code
            elif person and resp.status_code >= 400 and resp.mimetype == "text/html":
                # what a person reads after a mistake they can make, in Arabic (the default);
                # e-mail addresses are theirs to read as they are
                page = parse(EMAIL.sub("", resp.get_data(as_text=True)))
                assert page.html_attrs.get("lang") == "ar", (form.action, variant)
                read += 1
                words = set(page.latin_text) - ALLOWED_LATIN - TECHNICAL
                if words:
                    english[f"{form.action} {variant}"] = sorted(words)[:8]
    assert errors == {}
    assert english == {}
    assert read >= LEAST[who]  # the Arabic check read pages
