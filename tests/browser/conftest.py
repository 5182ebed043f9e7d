"""End-to-end browser fixtures: the app with demo data served on loopback, driven by Playwright
in Debian's Chromium (``/usr/bin/chromium``, installed by ``data/setup/sysdeps.sh``; Playwright
never downloads a browser).

Every page a test opens through :class:`Visit` fails the test on a JavaScript error in the
console, on any request to a host other than the app, and on an axe-core violation of impact
"serious" or "critical" (axe.min.js from the axe-playwright-python package, run offline).
Each step's screenshot is kept under ``tests/browser/artifacts/`` (gitignored; the folder is
``TASHARUK_BROWSER_ARTIFACTS`` when set). Other suites (planner, manager) reuse ``visit``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import BOUNDARY_FILES, GAZETTEER_FILES, serving, shared_path

ARTIFACTS = Path(os.environ.get("TASHARUK_BROWSER_ARTIFACTS",
                                Path(__file__).resolve().parent / "artifacts"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO_ORGS = 25
BAD_IMPACTS = ("serious", "critical")
# A picture (role=img) hides its content from screen readers: nothing in it may take focus.
FOCUSABLE_IN_IMG = """() => Array.from(document.querySelectorAll('[role=img]')).flatMap(img =>
  [img, ...img.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
  .filter(el => el.tabIndex >= 0 && !el.disabled).map(el => el.outerHTML.slice(0, 80)))"""

# What makes the page scroll sideways (a table scrolls inside itself, a page never does): the
# overflow in pixels and the outermost elements reaching past the screen's edge.
WIDER_THAN_SCREEN = """() => {
  const over = document.documentElement.scrollWidth - window.innerWidth;
  if (over <= 0) return null;
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    return false;
  };
  const out = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width && (r.right > window.innerWidth + 1 || r.left < -1) && !clipped(el);
  }).filter((el, _i, all) => !all.some(o => o !== el && o.contains(el)));
  return {px: over, elements: out.slice(0, 5).map(el => el.outerHTML.slice(0, 120))};
}"""


def chromium_path() -> str:
    """Debian's Chromium; fail (never download) when it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium is not installed: run `make setup` (data/setup/sysdeps.sh)")
    return path


@pytest.fixture(scope="session")
def demo_app(scratch_db, tmp_path_factory) -> Iterator:
    """The app on its own database, bootstrapped as `make run` does (boundaries, reference,
    forum, a small demo data set with its users) plus the gazetteer's names."""
    from app import create_app
    from data.io.gazetteer import load_gazetteer
    from referral.crypto import generate_key

    files = [shared_path(*f.split("/")) for f in BOUNDARY_FILES + GAZETTEER_FILES]
    url = scratch_db("tasharuk_browser")
    application = create_app({
        "DATABASE_URL": url, "SECRET_KEY": "browser-test-secret", "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("browser-uploads")),
        "EXPORT_CACHE": str(tmp_path_factory.mktemp("browser-export-cache")),
        "TASHARUK_DATA_KEYS": generate_key(), "SERVER_NAME": None, "TILES_URL": "",
    })
    runner = application.test_cli_runner()
    args = ["bootstrap", "--demo-orgs", str(DEMO_ORGS), "--seed", "1"]
    for f in files[:3]:
        args += ["--boundaries", str(f)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    application.config["BOOTSTRAP_OUTPUT"] = result.output
    with application.app_context():
        from data.db import db

        load_gazetteer(db.session, files[3:])
        db.session.commit()
    yield application
    application.extensions["tasharuk_db"]["engine"].dispose()


@pytest.fixture(scope="session")
def app_url(demo_app) -> Iterator[str]:
    """The demo app served over real HTTP on 127.0.0.1 (a threaded server in a thread)."""
    with serving(demo_app, threaded=True) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                      args=["--disable-gpu", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe():
    """axe-core, injected from the Python package's own axe.min.js (no network)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@dataclass
class Visit:
    """One person's browser tab: every page is checked, every step photographed."""

    page: object
    base: str
    axe: object
    folder: Path
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    documents_4xx: set[str] = field(default_factory=set)
    steps: int = 0
    javascript: bool = True  # False: no script runs, axe included (the same pages are axe-
    # checked with JavaScript on); the console and the network are still checked

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str, label: str | None = None):
        """Open a path of the app and check the page."""
        response = self.page.goto(self.url(path))
        self.check(label or path)
        return response

    def check(self, label: str) -> None:
        """Screenshot, then axe (serious/critical fail), then the console and the network."""
        self.page.wait_for_load_state("load")
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60] or "page"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.steps:02d}-{slug}.png"),
                             full_page=True)
        if self.javascript:
            trapped = self.page.evaluate(FOCUSABLE_IN_IMG)
            assert not trapped, f"focusable controls inside role=img at {label}: {trapped}"
            results = self.axe.run(self.page)
            bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
                   for v in results.response["violations"] if v["impact"] in BAD_IMPACTS]
            assert not bad, f"axe at {label} ({self.page.url}): {bad}"
        wider = self.page.evaluate(WIDER_THAN_SCREEN)
        assert not wider, f"wider than the screen at {label} ({self.page.url}): {wider}"
        self.assert_clean(label)

    def assert_clean(self, label: str = "") -> None:
        assert not self.external, f"requests outside the app at {label}: {self.external}"
        assert not self.errors, f"console errors at {label} ({self.page.url}): {self.errors}"

    def sign_in(self, email: str, password: str = "demo-password") -> None:
        self.page.goto(self.url("/auth/login"))
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.locator("form:has(input[name=password]) [type=submit]").click()
        self.check(f"signed in {email}")

    def set_language(self, code: str) -> None:
        self.page.goto(self.url(f"/lang/{code}?next=/"))


def _same_origin(url: str, base: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


@pytest.fixture
def visit(browser, app_url, axe, request) -> Iterator:
    """``visit(size=DESKTOP, locale="ar", base=None)`` -> a fresh :class:`Visit` (own
    cookies) of the demo app, or of the app served at ``base``."""
    opened = []

    def _open(size: dict = DESKTOP, locale: str = "ar", javascript: bool = True,
              base: str | None = None) -> Visit:
        base = base or app_url  # (another app served for the test: its own origin)
        context = browser.new_context(viewport=size, locale=locale,
                                      java_script_enabled=javascript)
        page = context.new_page()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        v = Visit(page=page, base=base, axe=axe,
                  folder=ARTIFACTS / f"{name}-{len(opened) + 1}", javascript=javascript)
        if v.folder.exists():
            shutil.rmtree(v.folder)

        def route(r):
            if _same_origin(r.request.url, base):
                r.continue_()
            else:
                v.external.append(r.request.url)
                r.abort()

        context.route("**/*", route)

        def response(resp):
            if resp.request.resource_type == "document" and 400 <= resp.status < 500:
                v.documents_4xx.add(resp.url)

        def console(msg):
            if msg.type != "error":
                return
            # a page answered with 4xx on purpose (a refused form) is not a script error
            loc = (msg.location or {}).get("url", "")
            if "status of 4" in msg.text and loc in v.documents_4xx:
                return
            v.errors.append(f"{msg.text} @ {loc}")

        page.on("response", response)
        page.on("console", console)
        page.on("pageerror", lambda exc: v.errors.append(f"pageerror: {exc}"))
        opened.append((context, v))
        return v

    yield _open
    for context, _v in opened:
        context.close()
    for _context, v in opened:
        v.assert_clean("the end of the test")
