"""Every main page, as each role, in Arabic and English: small, self-contained (no outside
assets, no inline styles or scripts the CSP would block), right direction, labelled inputs,
one h1, a skip link, the language switch, the signed-in user and a sign-out button."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.kits.library_corpus import build as build_library
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401

MAX_BYTES = 150 * 1024
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
ARABIC_WORD = re.compile(r"[\u0600-\u06ff]{2,}")


class Page(HTMLParser):
    """What the checks need from a page: links, inputs and labels, headings, text."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.inline: list[str] = []
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.h1 = 0
        self.headings: list[int] = []
        self.imgs_without_alt = 0
        self.unreachable_tables = 0  # data tables a keyboard cannot reach (they scroll)
        self.html_attrs: dict = {}
        self.stack: list[tuple[str, dict]] = []
        self.latin_text: list[str] = []
        self.arabic_text: list[str] = []
        self._script_has_src = False
        self.empty_headers = 0
        self._header_text: str | None = None  # the text of the <th> being read

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        if "id" in a:
            self.ids.add(a["id"])
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            if a.get(attr):
                self.urls.append((tag, attr, a[attr]))
        if "style" in a:
            self.inline.append(f"style attribute on <{tag}>")
        if tag == "style":
            self.inline.append("<style> element")
        if tag == "script":  # JSON data blocks are not run, so the CSP leaves them alone
            self._script_has_src = bool(a.get("src")) or a.get("type") == "application/json"
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag == "h1":
            self.h1 += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img" and "alt" not in a:
            self.imgs_without_alt += 1
        if tag == "table" and "data" in (a.get("class") or "").split() \
                and a.get("tabindex") != "0":
            self.unreachable_tables += 1
        if tag in ("input", "select", "textarea") and a.get("type") not in (
                "hidden", "submit", "button", "reset", "image"):
            self.controls.append({**a, "_in_label": any(t == "label" for t, _ in self.stack)})
        if tag == "th":
            self._header_text = ""
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "th" and self._header_text is not None:
            self.empty_headers += not self._header_text.strip()
            self._header_text = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self._header_text is not None:
            self._header_text += data
        if self.stack and self.stack[-1][0] == "script" and data.strip() \
                and not self._script_has_src:
            self.inline.append("inline <script>")
        skip_tags = {"code", "script", "style", "time", "option", "textarea", "pre", "kbd",
                     "title"}
        if any(t in skip_tags or a.get("dir") == "ltr" or a.get("lang") == "en"
               or a.get("translate") == "no" for t, a in self.stack):
            return
        for word in LATIN_WORD.findall(data):
            self.latin_text.append(word)
        if not any(a.get("dir") == "rtl" or a.get("lang") == "ar" for _, a in self.stack):
            self.arabic_text += ARABIC_WORD.findall(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture(name="site")
def site_fixture(session, make, world, login):
    """A referral between the world's organisations, a library and a forum thread."""
    from data.models import ForumCategory
    from network.forum import create_thread, seed_categories

    referral = new_referral(session, world, status="sent")
    admin = world.users[("none", "platform_admin")]
    docs = build_library(session, admin)
    seed_categories(session)
    category = session.scalars(select(ForumCategory).order_by(ForumCategory.id)).first()
    thread = create_thread(session, world.users[("sender", "caseworker")], category.id,
                           "تنسيق خدمات الدعم النفسي في إدلب", "نبحث عن شريك في **إدلب**.")
    session.flush()
    return {"referral": referral.id, "doc": next(iter(docs.values())), "thread": thread.id,
            "category": category.id, "service": world.service.id,
            "receiver": world.receiver_org.id}


PAGES = {
    None: ["/", "/auth/login", "/auth/register", "/auth/forgot", "/library/",
           "/library/documents/{doc}", "/nothing-here", "/directory/",
           "/directory/?q=psychosocial", "/directory/services/{service}",
           "/directory/organizations/{receiver}"],
    ("none", "platform_admin"): ["/", "/accounts/admin/organizations", "/accounts/admin/audit",
                                 "/library/documents/new", "/library/documents/{doc}/edit",
                                 "/forum/", "/forum/moderation", "/gaps/", "/auth/password",
                                 "/exchange/", "/exchange/aliases", "/accounts/changes",
                                 "/directory/feedback/moderation"],
    ("receiver", "org_admin"): ["/accounts/members", "/accounts/tokens",
                                "/accounts/organization", "/accounts/organization/edit",
                                "/referrals/in", "/referrals/{referral}",
                                "/directory/services/{service}/edit", "/partners/",
                                "/partners/requests", "/partners/duplication", "/exchange/",
                                "/accounts/changes", "/accounts/webhooks",
                                "/directory/organizations/{receiver}/feedback"],
    ("sender", "caseworker"): ["/referrals/out", "/referrals/new?service_id={service}",
                               "/referrals/bundle", "/referrals/{referral}",
                               "/referrals/{referral}/print", "/forum/",
                               "/forum/categories/{category}", "/forum/threads/{thread}",
                               "/forum/threads/new", "/library/"],
    ("sender", "planner"): ["/gaps/", "/accounts/organization", "/forum/", "/directory/",
                            "/partners/network"],
    ("receiver", "viewer"): ["/referrals/in", "/referrals/out", "/referrals/{referral}"],
}


def _fetch(client, path: str, lang: str):
    sep = "&" if "?" in path else "?"
    resp = client.get(f"{path}{sep}lang={lang}")
    return resp, resp.get_data(as_text=True)


@pytest.mark.parametrize("who", list(PAGES), ids=lambda w: "anonymous" if w is None
                         else "-".join(w))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_main_pages_are_small_self_contained_and_accessible(client, login, world, site, who,
                                                            lang):
    if who is not None:
        login(world.users[who])
    problems = []
    for template in PAGES[who]:
        path = template.format(**site)
        resp, html = _fetch(client, path, lang)
        where = f"{path} ({lang})"
        expected = 404 if path == "/nothing-here" else 200
        if resp.status_code != expected:
            problems.append(f"{where}: status {resp.status_code}")
            continue
        if len(resp.data) >= MAX_BYTES:
            problems.append(f"{where}: {len(resp.data)} bytes")
        page = parse(html)
        want_dir = "rtl" if lang == "ar" else "ltr"
        if page.html_attrs.get("lang") != lang or page.html_attrs.get("dir") != want_dir:
            problems.append(f"{where}: html lang/dir {page.html_attrs}")
        for tag, attr, url in page.urls:
            if re.match(r"^(https?:)?//", url) or url.startswith(("data:", "javascript:")):
                problems.append(f"{where}: <{tag} {attr}> points outside the app: {url}")
        if "'unsafe-inline'" not in resp.headers.get("Content-Security-Policy", ""):  # map pages
            problems += [f"{where}: {what} (the CSP blocks it)" for what in page.inline]
        for c in page.controls:
            labelled = c["_in_label"] or c.get("id") in page.label_for \
                or c.get("aria-label") or c.get("aria-labelledby") or c.get("title")
            if not labelled:
                problems.append(f"{where}: <{c.get('name')}> has no label")
        if page.h1 != 1:
            problems.append(f"{where}: {page.h1} h1 headings")
        skips = [(a, b) for a, b in zip(page.headings, page.headings[1:], strict=False)
                 if b > a + 1]
        if skips:
            problems.append(f"{where}: headings skip a level {skips}")
        if page.imgs_without_alt:
            problems.append(f"{where}: {page.imgs_without_alt} images without alt")
        if page.unreachable_tables:  # (on a phone a data table scrolls sideways by itself)
            problems.append(f"{where}: {page.unreachable_tables} data tables without "
                            'tabindex="0"')
        if page.empty_headers:  # a screen reader reads its column's cells without a name
            problems.append(f"{where}: {page.empty_headers} table headers without text")
        if lang == "ar":
            english = [w for w in page.latin_text if w not in ALLOWED_LATIN]
            if english:
                problems.append(f"{where}: English words in the Arabic page: {english[:8]}")
        if lang == "en" and page.arabic_text:
            problems.append(f"{where}: Arabic words in the English page: {page.arabic_text[:8]}")
        if path.endswith("/print"):  # the printable form is a bare page on purpose
            continue
        if 'href="#content"' not in html or "content" not in page.ids:
            problems.append(f"{where}: no skip link to the content")
        other = "English" if lang == "ar" else "العربية"
        if f">{other}</a>" not in html:
            problems.append(f"{where}: no language switch")
        if who is not None and path != "/nothing-here":
            email = world.users[who].email
            if email not in html or "/auth/logout" not in html:
                problems.append(f"{where}: signed-in user or sign-out button missing")
    assert not problems, "\n".join(problems)


# Latin words that may stand in Arabic pages: proper names, codes and free text of the test data.
ALLOWED_LATIN = {"Fatima", "Test", "Leaflet", "HTML", "Excel", "Markdown", "YYYY", "PDF",
                 "DOCX", "XLSX", "HXL", "HSDS", "JPEG", "PNG", "CSV", "API", "Tasharuk",
                 "Open", "Referral", "GeoJSON",
                 "Staff", "User", "https", "the", "person", "after", "displacement", "needs"}


@pytest.mark.parametrize("who, present, absent", [
    (None, ["/library/"], ["/referrals/in", "/gaps/", "/accounts/members"]),
    (("sender", "caseworker"), ["/referrals/in", "/referrals/out", "/forum/"],
     ["/gaps/", "/accounts/members", "/accounts/admin/audit"]),
    (("receiver", "org_admin"), ["/referrals/in", "/accounts/members", "/accounts/tokens"],
     ["/accounts/admin/audit"]),
    (("sender", "planner"), ["/gaps/"], ["/referrals/in", "/accounts/members"]),
    (("receiver", "viewer"), ["/referrals/in"], ["/referrals/bundle", "/gaps/"]),
    (("none", "platform_admin"), ["/accounts/admin/organizations", "/accounts/admin/audit"],
     ["/referrals/in", "/accounts/members"]),
])
def test_menu_shows_the_entries_of_the_role(client, login, world, who, present, absent):
    if who is not None:
        login(world.users[who])
    html = client.get("/").get_data(as_text=True)
    menu = html.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    for url in present:
        assert f'href="{url}"' in menu, url
    for url in absent:
        assert f'href="{url}"' not in menu, url


def test_current_menu_entry_is_marked(client, login, world):
    login(world.users[("sender", "caseworker")])
    html = client.get("/referrals/out").get_data(as_text=True)
    assert '<a href="/referrals/out" aria-current="page">' in html
    assert '<a href="/referrals/in" aria-current="page">' not in html
