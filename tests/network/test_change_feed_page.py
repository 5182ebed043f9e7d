"""The change feed's page (issue 22): organisation and platform admins read the directory's
changes newest first, filtered by kind and change, paged by cursor (older, newer), with how a
partner system follows the same feed through the API; a bad cursor or filter is a clear 400
that still shows the feed."""

from __future__ import annotations

import re

import pytest

from network.changes import browse, changes


def _pos(cursor: str) -> tuple[int, int]:
    txid, cid = cursor.split("-")
    return int(txid), int(cid)


def _cursors(page: str) -> list[str]:
    return re.findall(r"<code>(\d+-\d+)</code>", page)


def test_the_page_lists_the_feed_newest_first_with_what_changed(client, make, login):
    org = make.org(name_en="Feed Org", name_ar="منظمة السجل")
    svc = make.service(organization=org, name_en="Feed clinic", name_ar="عيادة السجل",
                       sites=[(36.63, 35.93)])
    login(make.user("org_admin", org))
    page = client.get("/accounts/changes?lang=en").get_data(as_text=True)
    assert 'dir="ltr"' in page and "Change feed" in page
    rows = page[page.index("<tbody>"):page.index("</tbody>")]
    assert rows.index("Place of a service") < rows.index("Feed clinic") < rows.index(
        "Feed Org")  # newest first: the site, then the service, then the organisation
    assert f"/directory/services/{svc.id}" in rows
    assert "GET /api/v1/changes?since=NEXT_CURSOR" in page and "oldest_cursor" in page
    arabic = client.get("/accounts/changes?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "سجل التغييرات" in arabic and "عيادة السجل" in arabic


def test_the_page_is_linked_where_integrators_look(client, make, login):
    login(make.user("org_admin", make.org()))
    for path in ("/accounts/organization", "/accounts/tokens", "/accounts/webhooks"):
        assert "/accounts/changes" in client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize(("query", "entities", "actions"), [
    ("entity=service", {"Service"}, None),
    ("entity=location", {"Place of a service"}, None),
    ("action=withdrawn", None, {"withdrawn"}),
    ("entity=service&action=withdrawn", {"Service"}, {"withdrawn"}),
])
def test_filters_by_kind_and_change(client, make, login, session, query, entities, actions):
    org = make.org()
    svc = make.service(organization=org, sites=[(36.63, 35.93)])
    svc.status = "inactive"
    session.flush()
    login(make.user("org_admin", org))
    page = client.get(f"/accounts/changes?lang=en&{query}").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>",
                      page, re.S)
    assert rows
    if entities:
        assert {r[0] for r in rows} == entities
    if actions:
        assert {r[1] for r in rows} == actions


def test_older_and_newer_pages_follow_the_cursors(session, make):
    org = make.org()
    for _ in range(4):
        make.service(organization=org)
    first = browse(session, limit=2)
    assert first["newer"] is None and first["older"]
    older = browse(session, before=first["older"], limit=2)
    assert max(_pos(i["cursor"]) for i in older["items"]) < \
        min(_pos(i["cursor"]) for i in first["items"])
    back = browse(session, after=older["newer"], limit=2)
    assert [i["cursor"] for i in back["items"]] == [i["cursor"] for i in first["items"]]
    # the page and the API agree on the order: the API's next four, reversed
    start = browse(session, before=older["items"][-1]["cursor"], limit=1)["items"][0]["cursor"]
    feed = changes(session, start, 4)["items"]
    assert [i["cursor"] for i in first["items"] + older["items"]] == \
        [i["cursor"] for i in reversed(feed)]


def test_the_page_walks_older_and_newer(client, make, login):
    org = make.org()
    for _ in range(60):  # more than one page of 50
        make.service(organization=org)
    login(make.user("org_admin", org))
    page = client.get("/accounts/changes?lang=en").get_data(as_text=True)
    first = _cursors(page)
    assert len(first) == 50 and "Newer changes" not in page
    older_link = re.search(r'href="(/accounts/changes\?before=[^"]+)"', page)[1]
    older = client.get(older_link.replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert _cursors(older)[0] not in first and "Newer changes" in older
    newer_link = re.search(r'href="(/accounts/changes\?after=[^"]+)"', older)[1]
    again = client.get(newer_link.replace("&amp;", "&") + "&lang=en").get_data(as_text=True)
    assert _cursors(again) == first


@pytest.mark.parametrize(("query", "field"), [
    ("before=nonsense", "before"), ("after=1-x", "after"), ("entity=person", "entity"),
    ("action=burned", "action")])
def test_a_bad_cursor_or_filter_is_a_clear_400_that_still_shows_the_feed(client, make, login,
                                                                          query, field):
    org = make.org()
    make.service(organization=org)
    login(make.user("org_admin", org))
    resp = client.get(f"/accounts/changes?lang=en&{query}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'role="alert"' in page
    assert field in page[page.index('role="alert"'):page.index("</p>", page.index('role="alert"'))]
    assert _cursors(page)  # the newest changes are still listed
    if field in ("before", "after"):
        assert "The oldest cursor kept is" in page


def test_a_caseworker_does_not_see_the_page(client, make, login):
    login(make.user("caseworker", make.org()))
    assert client.get("/accounts/changes").status_code == 403
