"""The caseworker's journey with the keyboard alone, as a person who cannot use a mouse (or a
screen reader's user) meets it: sign in, search, open a result, refer with consent, all by
Tab, typing, arrows, Space and Enter, in Arabic. Every control Tab reaches on the way must
show where the focus is (WCAG 2.4.7; axe does not check it) and be on the screen."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import (  # noqa: F401 (target: a fixture)
    RECEIVER,
    SENDER,
    Target,
    target,
)

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

# The focused element, whether a person can see that it has the focus (an outline or a ring
# of shadow that is not transparent), and whether it is on the screen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const clear = c => !c || c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
    && !clear(s.outlineColor);
  const ring = s.boxShadow && s.boxShadow !== 'none';
  // Tab's last stop in a date field is Chromium's own calendar button inside it: the field
  // no longer matches :focus, and the browser draws its ring, which no style here can read
  const picker = el.matches('input:is([type=date], [type=time], [type=datetime-local])')
    && !el.matches(':focus');
  const r = el.getBoundingClientRect();
  return {html: el.outerHTML.slice(0, 120), shown: outline || ring || picker,
          onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
            && r.left < window.innerWidth && r.top < window.innerHeight};
}"""
MAX_TABS = 80


def tab_to(page, selector: str, seen: list[dict]) -> None:
    """Press Tab until the focus is on ``selector``, recording every element it visits."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is not None:
            seen.append({**focused, "url": page.url})
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{MAX_TABS} Tabs never reached {selector} on {page.url}")


def enter_and_wait(v, label: str, key: str = "Enter") -> None:
    """Press ``key`` on the focused control and check the page it leads to."""
    with v.page.expect_navigation():
        v.page.keyboard.press(key)
    v.check(label)


def test_a_caseworker_refers_with_the_keyboard_alone(visit, target):  # noqa: F811
    v = visit(locale="ar")
    page, seen = v.page, []
    v.set_language("ar")
    v.goto("/auth/login", "sign-in page")
    tab_to(page, "input[name=email]", seen)
    page.keyboard.type(SENDER)
    tab_to(page, "input[name=password]", seen)
    page.keyboard.type("demo-password")
    enter_and_wait(v, "signed in by the keyboard")
    assert "/auth/login" not in page.url

    v.goto("/directory/", "search page")
    # the first Tab offers to skip the header and menu; Enter lands in the page's content
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.matches('a.skip')")
    assert page.evaluate(FOCUSED)["onScreen"], "the skip link shows when it has the focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    tab_to(page, "#need", seen)
    page.locator("#need").select_option(target.need)  # (the browser's own list, not ours)
    tab_to(page, "#pcode", seen)
    page.keyboard.type(target.place_ar)
    enter_and_wait(v, "results by the keyboard")

    tab_to(page, f".hits h3 a[href*='/directory/services/{target.service_id}?']", seen)
    enter_and_wait(v, "service page by the keyboard")
    tab_to(page, "a.button[href*='/referrals/new']", seen)
    enter_and_wait(v, "referral form by the keyboard")

    tab_to(page, "#case_code", seen)
    page.keyboard.type("KB-1")
    tab_to(page, "#consent_method", seen)
    page.keyboard.press("ArrowDown")  # a select is chosen with the arrows
    assert page.locator("#consent_method").input_value(), "the arrows chose a method"
    tab_to(page, "#consent_given_by", seen)
    page.keyboard.type("الشخص نفسه")
    tab_to(page, "form.form button[type=submit]", seen)
    enter_and_wait(v, "referral sent by the keyboard")
    assert re.search(r"/referrals/\d+$", page.url), page.locator(".error-summary").all_inner_texts()
    case_url = page.url.removeprefix(v.base)

    # signing out is a button in the header; the receiver accepts by the keyboard too
    tab_to(page, "header form button[type=submit]", seen)
    enter_and_wait(v, "signed out by the keyboard")
    v.sign_in(RECEIVER)
    v.goto(case_url, "the receiver's case page")
    tab_to(page, "form:has(input[name=action][value=accept]) button[type=submit]", seen)
    enter_and_wait(v, "accepted by the keyboard")
    assert page.locator("ol.timeline li").count() >= 2

    assert len(seen) >= 20, f"Tab visited only {len(seen)} controls: the check saw too little"

    unseen = [f for f in seen if not f["shown"]]
    assert not unseen, f"focus not visible on: {unseen[:5]}"
    off = [f for f in seen if not f["onScreen"]]
    assert not off, f"focus off the screen on: {off[:5]}"
