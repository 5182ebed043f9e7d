"""The change feed (issue 22): a log written by triggers in the changing transaction;
``GET /api/v1/changes?since=CURSOR`` lists created, updated and withdrawn organisations,
services and locations in order and resumes from a cursor; a malformed or too old cursor is
a 400 naming the oldest valid one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from network.changes import prune_changes
from tests.network.test_directory_api import check


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _all(client, spec, since: str | None = None) -> tuple[list[dict], str]:
    url = "/api/v1/changes?limit=2" + (f"&since={since}" if since else "")
    items = []
    while True:
        body = check(spec, "/changes", "get", client.get(url))
        items += body["items"]
        if not body["has_more"]:
            return items, body["next_cursor"]
        url = f"/api/v1/changes?limit=2&since={body['next_cursor']}"


def test_changes_are_listed_in_order_and_resume_from_a_cursor(client, make, login, session,
                                                              spec):
    start = check(spec, "/changes", "get", client.get("/api/v1/changes"))
    _before, cursor = _all(client, spec)
    assert start["items"] == [] or cursor
    org = make.org()
    svc = make.service(organization=org, sites=[(36.63, 35.93)])
    login(make.user("org_admin", org))
    assert client.patch(f"/api/v1/services/{svc.id}", json={"availability": "full"}
                        ).status_code == 200
    items, cursor2 = _all(client, spec, cursor)  # pages of two, resumed by cursor
    got = [(i["entity"], i["id"], i["action"]) for i in items]
    assert got[:3] == [("organization", org.id, "created"), ("service", svc.id, "created"),
                       ("location", svc.sites[0].id, "created")]
    assert ("service", svc.id, "updated") in got[3:]
    assert items[1]["uuid"] == str(svc.uuid)
    # withdrawn: a service no longer active, an organisation no longer verified
    client.patch(f"/api/v1/services/{svc.id}", json={"status": "inactive"})
    org.verification = "suspended"
    session.flush()
    later, _ = _all(client, spec, cursor2)
    assert [(i["entity"], i["action"]) for i in later] == [("service", "withdrawn"),
                                                           ("organization", "withdrawn")]
    assert _all(client, spec, cursor2)[0] == later  # the same cursor gives the same again


def test_a_rolled_back_change_leaves_no_entry(session, make):
    before = session.scalar(text("SELECT count(*) FROM change_log"))
    with session.begin_nested() as nested:
        make.service()
        nested.rollback()
    assert session.scalar(text("SELECT count(*) FROM change_log")) == before


def test_unverified_organisations_changes_are_not_listed(client, make, spec):
    _items, cursor = _all(client, spec)
    pending = make.org(verification="pending")
    make.service(organization=pending)
    assert _all(client, spec, cursor)[0] == []


@pytest.mark.parametrize("since", ["abc", "12", "1-2-3", "-1-2", "x" * 50])
def test_a_malformed_cursor_is_400_naming_the_oldest(client, spec, since):
    resp = client.get(f"/api/v1/changes?since={since}")
    body = check(spec, "/changes", "get", resp)
    assert resp.status_code == 400 and body["error"]["details"]["field"] == "since"
    assert "oldest_cursor" in body["error"]["details"]


def test_a_cursor_older_than_the_pruned_log_is_400(client, make, session, spec):
    make.service()
    old_cursor = _all(client, spec)[0][0]["cursor"]
    session.execute(text("UPDATE change_log SET at = at - interval '100 days'"))
    assert prune_changes(session) >= 1
    resp = client.get(f"/api/v1/changes?since={old_cursor}")
    body = check(spec, "/changes", "get", resp)
    assert resp.status_code == 400
    oldest = body["error"]["details"]["oldest_cursor"]
    assert oldest != old_cursor and oldest in body["error"]["message"]
    assert client.get(f"/api/v1/changes?since={oldest}").status_code == 200


def test_bad_limit_and_unknown_parameters_are_400(client):
    assert client.get("/api/v1/changes?limit=0").get_json()["error"]["details"]["field"] \
        == "limit"
    assert client.get("/api/v1/changes?colour=red").status_code == 400


def test_old_changes_are_kept_until_the_horizon(session, make):
    make.service()
    assert prune_changes(session, now=dt.datetime.now(dt.UTC)) == 0  # nothing old yet
