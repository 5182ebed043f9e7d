"""Audit of issue 9: the organisation page keeps its duplication block short (the page stays
under 150 KB at demo scale) and links to the full list."""

from __future__ import annotations

import pytest

from tests.kits.partners import build_world


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


def test_org_page_shows_a_few_alerts_and_links_to_all(client, make, login, world, session,
                                                      monkeypatch):
    from network import directory_pages

    login(make.user("org_admin", world.a))
    session.flush()
    url = f"/directory/organizations/{world.a.id}"
    page = client.get(url).get_data(as_text=True)
    assert "تنبيهات الازدواجية" in page and "كل تنبيهات الازدواجية" not in page
    full = client.get("/partners/duplication?lang=en").get_data(as_text=True)
    assert full.count("<tr><td>") >= 1  # the hand-made world has a duplication
    monkeypatch.setattr(directory_pages, "ORG_PAGE_ALERTS", 0)
    short = client.get(url + "?lang=en").get_data(as_text=True)
    assert "All duplication alerts" in short
    assert f'href="/partners/duplication?org={world.a.id}"' in short
    assert short.count("<tr><td>") < page.count("<tr><td>")  # the alert rows are left out
