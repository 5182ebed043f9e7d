"""The pages with wide tables at every screen width between a phone and a desktop, and as they
come out of a printer.

A tablet, a 1024 x 768 laptop or a window beside another: a table wider than the screen
scrolls inside itself, the page never does (at 1024 px the gap table pushed the page 78 px
past the screen's edge, the audit log at 800; phones and desktops were checked, the widths
between were not). On paper nothing scrolls: a caseworker prints the referral form for the
person to carry and the consent receipt, a planner the gap table; in print media at A4's
width no element reaches past the paper's edge, no table is clipped inside a scrolling
frame, and no menu or header is printed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.browser.conftest import WIDER_THAN_SCREEN

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

A4 = {"width": 718, "height": 1047}  # A4 less 1 cm margins, in CSS pixels (96 per inch)
# What a printer would cut: elements past the paper's right or left edge (outermost only), and
# frames that scroll (overflow not visible) whose content is wider or taller than the frame.
CUT = """() => {
  const W = document.documentElement.clientWidth;
  const past = [...document.querySelectorAll('main *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width && (r.right > W + 1 || r.left < -1);
  }).filter((el, _i, all) => !all.some(o => o !== el && o.contains(el)))
    .map(el => el.outerHTML.slice(0, 100));
  const clipped = [...document.querySelectorAll('main *')].filter(el => {
    const s = getComputedStyle(el);
    return (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
      || (s.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1);
  }).map(el => el.outerHTML.slice(0, 100));
  const chrome = [...document.querySelectorAll('header.top, nav, footer.foot, .skip')]
    .filter(el => el.getBoundingClientRect().height > 0).map(el => el.outerHTML.slice(0, 60));
  return {past: past.slice(0, 5), clipped: clipped.slice(0, 5), chrome};
}"""


# The pages with the widest tables, as the people who use them.
WIDE = {"planner@demo.tasharuk": ["/gaps/", "/gaps/?level=3"],
        "admin@demo.tasharuk": ["/accounts/admin/audit", "/admin/jobs/"],
        "sender@demo.tasharuk": ["/referrals/out"]}
WIDTHS = (700, 800, 1024, 1100, 1210)  # between the phone (390) and the desktop (1280)


def test_wide_tables_scroll_inside_themselves_at_every_width(visit):
    wider = {}
    for who, paths in WIDE.items():
        v = visit(locale="ar")
        v.set_language("ar")
        v.sign_in(who)
        for path in paths:
            v.page.goto(v.url(path))
            for width in WIDTHS:
                v.page.set_viewport_size({"width": width, "height": 800})
                if over := v.page.evaluate(WIDER_THAN_SCREEN):
                    wider[f"{path} at {width}px"] = over
            v.page.set_viewport_size({"width": 1024, "height": 800})
            v.check(f"{path} at 1024px")  # axe, console and network between the two sizes
    assert wider == {}


@pytest.fixture(scope="module")
def referral_id(demo_app) -> int:
    """A referral of the demo data sent by the sending organisation, with a case."""
    from data.db import db

    with demo_app.app_context():
        return db.session.execute(text(
            "SELECT r.id FROM referral r JOIN app_user u ON u.organization_id = "
            "r.sender_org_id WHERE u.email = 'sender@demo.tasharuk' ORDER BY r.id LIMIT 1"
        )).scalar_one()


@pytest.mark.parametrize("locale", ["ar", "en"])
def test_printed_pages_lose_nothing_at_a4(visit, referral_id, locale):
    v = visit(size=A4, locale=locale)
    v.set_language(locale)
    found = {}
    for who, paths in (
            ("sender@demo.tasharuk", [f"/referrals/{referral_id}/print",
                                      f"/referrals/{referral_id}",
                                      f"/referrals/{referral_id}/consent", "/referrals/out"]),
            ("planner@demo.tasharuk", ["/gaps/"])):
        v.sign_in(who)
        for path in paths:
            v.goto(path, f"{path} on screen")
            v.page.emulate_media(media="print")
            cut = v.page.evaluate(CUT)
            v.page.emulate_media(media="screen")
            if any(cut.values()):
                found[path] = cut
        v.page.goto(v.url("/auth/login"))
        v.page.context.clear_cookies()
    assert found == {}
