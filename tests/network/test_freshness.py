"""Freshness (issue 22): a declared review cadence makes a listing fresh, due or overdue;
overdue listings rank lower and are labelled; due listings' admins get a signed one-click
link that works without signing in, once, until it expires, and records who answered what;
a decline that says the listing may be wrong asks for a review."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data.models import REASONS, AuditLog, Notification, ReviewLink
from network.freshness import freshness, review_token, send_review_links
from tests.kits.directory import P
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def today() -> dt.date:
    """The day as the test runs (a date taken at collection was yesterday's for the tests
    that ran after midnight)."""
    return dt.date.today()


def ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


@pytest.mark.parametrize(("cadence", "age", "flagged", "state"), [
    (30, 10, False, "fresh"), (30, 30, False, "fresh"), (30, 31, False, "due"),
    (30, 37, False, "due"), (30, 38, False, "overdue"), (365, 200, False, "fresh"),
    (365, 400, False, "due"), (365, 457, False, "overdue"), (90, 10, True, "due"),
    (180, None, False, "overdue")])
def test_states_follow_the_declared_cadence(make, cadence, age, flagged, state):
    svc = make.service(review_every_days=cadence,
                       last_verified=None if age is None else ago(age),
                       review_requested_at=dt.datetime.now(dt.UTC) if flagged else None)
    assert freshness(svc, today()).state == state


def test_overdue_listings_rank_lower_and_are_labelled(client, make):
    """Same service, same place, same age: only the cadence differs (the search rows'
    staleness clock follows it, migration 0033_freshness)."""
    monthly = make.service(review_every_days=30, last_verified=ago(60), sites=[P])
    yearly = make.service(review_every_days=365, last_verified=ago(60), sites=[P])
    body = client.get(f"/api/v1/services?need=prot_pss&lon={P[0]}&lat={P[1]}").get_json()
    order = [i["id"] for i in body["items"]]
    assert order.index(yearly.id) < order.index(monthly.id)
    stale = {i["id"]: i["stale"] for i in body["items"]}
    assert stale[monthly.id] and not stale[yearly.id]
    reasons = {i["id"]: {r["code"]: r["en"] for r in i["reasons"]} for i in body["items"]}
    assert reasons[monthly.id]["stale"].startswith("Overdue for review")
    assert reasons[yearly.id]["verified"] == "Verified 60 days ago"  # the real age
    detail = client.get(f"/api/v1/services/{monthly.id}").get_json()
    assert detail["freshness"] == {"state": "overdue", "review_every_days": 30,
                                   "review_due_on": ago(30).isoformat(),
                                   "review_requested": None}
    page = client.get(f"/directory/services/{monthly.id}?lang=en").get_data(as_text=True)
    assert "Overdue for review" in page and "Every month" in page


def test_cadence_is_declared_through_the_api_and_checked(client, make, login, session):
    svc = make.service()
    login(make.user("org_admin", svc.organization))
    resp = client.patch(f"/api/v1/services/{svc.id}", json={"review_every_days": 45})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == "review_every_days"
    resp = client.patch(f"/api/v1/services/{svc.id}", json={"review_every_days": 90})
    assert resp.status_code == 200 and resp.get_json()["freshness"]["review_every_days"] == 90


@pytest.fixture
def due(make, session):
    """A listing overdue for review, with two admins in its organisation."""
    org = make.org()
    admins = [make.user("org_admin", org), make.user("org_admin", org)]
    make.user("caseworker", org)
    svc = make.service(organization=org, review_every_days=30, last_verified=ago(50))
    return svc, admins


def _links(session, svc) -> list[ReviewLink]:
    return list(session.scalars(select(ReviewLink).where(ReviewLink.service_id == svc.id)
                                .order_by(ReviewLink.id)))


def test_the_job_sends_one_live_link_per_admin(app, session, due):
    svc, admins = due
    sent = send_review_links(session, app.config["SECRET_KEY"])
    assert sent["links"] == 2
    notes = session.scalars(select(Notification).where(
        Notification.kind == "directory_review")).all()
    assert sorted(n.user_id for n in notes) == sorted(a.id for a in admins)
    assert all(n.link.startswith("/directory/review/") for n in notes)
    assert send_review_links(session, app.config["SECRET_KEY"])["links"] == 0  # still live


def _token(session, app, svc) -> str:
    send_review_links(session, app.config["SECRET_KEY"])
    note = session.scalars(select(Notification).where(
        Notification.kind == "directory_review").order_by(Notification.id)).first()
    return note.link.rsplit("/", 1)[1]


def test_a_link_works_without_signing_in_once_and_records_who(client, app, session, due):
    svc, admins = due
    token = _token(session, app, svc)
    page = client.get(f"/directory/review/{token}?lang=en")
    assert page.status_code == 200 and "Still accurate" in page.get_data(as_text=True)
    resp = client.post(f"/directory/review/{token}?lang=en", data={"answer": "still_accurate"})
    assert resp.status_code == 200 and "Thank you" in resp.get_data(as_text=True)
    session.refresh(svc)
    assert svc.last_verified == today() and freshness(svc).state == "fresh"
    link = _links(session, svc)[0]
    assert link.answer == "still_accurate" and link.used_at is not None
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "service.reviewed",
                                                   AuditLog.object_id == str(svc.id))).one()
    assert entry.user_id == link.user_id and entry.summary["answer"] == "still_accurate"
    # reused: a clear page, nothing changed
    svc.last_verified = ago(50)
    session.flush()
    again = client.post(f"/directory/review/{token}?lang=en", data={"answer": "closed"})
    assert again.status_code == 409 and "already used" in again.get_data(as_text=True)
    session.refresh(svc)
    assert svc.status == "active" and svc.last_verified == ago(50)


def test_expired_and_forged_links_change_nothing(client, app, session, due):
    svc, _admins = due
    token = _token(session, app, svc)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    resp = client.post(f"/directory/review/{forged}?lang=en", data={"answer": "closed"})
    assert resp.status_code == 400 and "not valid" in resp.get_data(as_text=True)
    # a token signed with another secret is forged too

    foreign = review_token(_links(session, svc)[0], "another-secret")
    assert client.post(f"/directory/review/{foreign}", data={"answer": "closed"}
                       ).status_code == 400
    for link in _links(session, svc):
        link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.flush()
    resp = client.post(f"/directory/review/{token}?lang=en", data={"answer": "closed"})
    assert resp.status_code == 410 and "expired" in resp.get_data(as_text=True)
    session.refresh(svc)
    assert svc.status == "active" and svc.last_verified == ago(50)
    assert all(link.used_at is None for link in _links(session, svc))


@pytest.mark.parametrize(("answer", "status", "state"), [
    ("needs_changes", "active", "overdue"), ("closed", "inactive", "overdue")])
def test_other_answers(client, app, session, due, answer, status, state):
    svc, _admins = due
    token = _token(session, app, svc)
    assert client.post(f"/directory/review/{token}", data={"answer": answer}).status_code == 200
    session.refresh(svc)
    assert svc.status == status
    assert (svc.review_request_reason == "needs_changes") == (answer == "needs_changes")


@pytest.mark.parametrize(("reason", "min_age", "flagged"), [
    ("not_eligible", 18, True),    # the person (34) fits the listing's criteria: it is off
    ("not_eligible", 40, False),   # the listing says 40+: the decline is right, no review
    ("no_capacity", 18, False),
    ("not_offered", 18, True)])
def test_a_decline_saying_the_listing_is_wrong_asks_for_a_review(session, world, reason,
                                                                  min_age, flagged):
    from referral.lifecycle import transition

    if reason not in REASONS:
        pytest.skip(f"{reason} is not a coded reason yet")
    world.service.last_verified = today()
    referral = new_referral(session, world, status="sent", age=34)
    world.service.min_age = min_age  # as the listing says when the receiver answers
    transition(session, referral.id, world.users[("receiver", "caseworker")], "decline",
               version=referral.version, reason=reason)
    session.refresh(world.service)
    assert (world.service.review_requested_at is not None) == flagged
    assert freshness(world.service).state == ("due" if flagged else "fresh")


def _stale_rows(page: str) -> dict[int, bool]:
    """Each service row of an organisation page: is it marked stale?"""
    import re

    return {int(m.group(1)): "badge warn" in m.group(2) for m in re.finditer(
        r'/directory/services/(\d+)"(.*?)</tr>', page, re.S)}


def test_the_organisation_page_api_and_reminder_follow_each_cadence(client, runner, make,
                                                                    session):
    """One rule everywhere: a monthly listing reviewed 40 days ago is overdue (the page marks
    it, the API says so, its admins are reminded); a yearly one reviewed 200 days ago is not
    (the old fixed 180-day rule said the opposite of both)."""
    org = make.org()
    admin = make.user("org_admin", org)
    monthly = make.service(organization=org, review_every_days=30, last_verified=ago(40))
    yearly = make.service(organization=org, review_every_days=365, last_verified=ago(200))
    page = client.get(f"/directory/organizations/{org.id}?lang=en").get_data(as_text=True)
    assert _stale_rows(page) == {monthly.id: True, yearly.id: False}
    body = client.get(f"/api/v1/organizations/{org.id}").get_json()
    assert {s["id"]: s["stale"] for s in body["services"]} == {monthly.id: True,
                                                               yearly.id: False}
    result = runner.invoke(args=["directory", "remind-stale"])
    assert result.exit_code == 0, result.output
    note = session.scalars(select(Notification).where(
        Notification.kind == "directory_stale", Notification.user_id == admin.id)).one()
    assert "has 1 service overdue for review" in note.text_en
    assert "تأخرت مراجعة خدمة واحدة لدى منظمتكم" in note.text_ar
    # once a week per organisation, whatever the cadence
    runner.invoke(args=["directory", "remind-stale"])
    assert len(session.scalars(select(Notification).where(
        Notification.kind == "directory_stale", Notification.user_id == admin.id)).all()) == 1


def test_a_yearly_listing_reviewed_200_days_ago_is_not_reminded(runner, make, session):
    org = make.org()
    admin = make.user("org_admin", org)
    make.service(organization=org, review_every_days=365, last_verified=ago(200))
    assert runner.invoke(args=["directory", "remind-stale"]).exit_code == 0
    assert session.scalars(select(Notification).where(
        Notification.kind == "directory_stale", Notification.user_id == admin.id)).all() == []


def test_the_sql_rule_of_overdue_agrees_with_the_python_rule(session, make, count_queries):
    """``directory remind-stale`` counts overdue listings in SQL (``overdue_counts``): for
    every cadence, at every age around its due and overdue days, with or without a review
    asked for, and never reviewed, it picks exactly what ``overdue`` says; inactive listings
    never; in one statement, whatever the number of organisations."""
    from data.models import REVIEW_CADENCES
    from network.freshness import grace_days, overdue, overdue_counts

    services = []
    for cadence in REVIEW_CADENCES:
        org = make.org()
        limit = cadence + grace_days(cadence)
        for age in (None, 0, 29, 31, cadence, cadence + 1, limit - 1, limit, limit + 1,
                    limit + 30):
            for flagged in (False, True):
                services.append(make.service(
                    organization=org, review_every_days=cadence,
                    last_verified=None if age is None else ago(age),
                    review_requested_at=dt.datetime.now(dt.UTC) if flagged else None))
        make.service(organization=org, review_every_days=cadence, last_verified=None,
                     status="inactive")
    expected: dict[int, int] = {}
    for svc in services:
        if svc.status == "active" and overdue(svc, today()):
            expected[svc.organization_id] = expected.get(svc.organization_id, 0) + 1
    mine = {s.organization_id for s in services}
    with count_queries() as q:
        found = overdue_counts(session, today())
    assert {k: v for k, v in found.items() if k in mine} == expected
    assert len(expected) == len(REVIEW_CADENCES) and all(n >= 6 for n in expected.values())
    assert q.count == 1


def _buttons(html: str) -> int:
    """The buttons of the page's answer form."""
    start = html.index('class="review-answers"')
    return html[start:html.index("</form>", start)].count("<button")


def test_the_e_mail_carries_one_click_answers(app, session, due, smtp_server):
    """Each admin's e-mail has the review page's link and one link per answer."""
    svc, admins = due
    with app.app_context():
        send_review_links(session, app.config["SECRET_KEY"])
    mails = smtp_server.wait_for(len(admins))
    body = mails[0].get_content()
    assert "/directory/review/" in body
    for answer in ("still_accurate", "needs_changes", "closed"):
        assert f"?answer={answer}" in body
    assert "Still accurate" in body and "ما زالت صحيحة" in body


@pytest.mark.parametrize("answer", ["still_accurate", "needs_changes", "closed"])
def test_a_one_click_link_changes_nothing_until_its_page_sends_the_answer(client, app,
                                                                          session, due,
                                                                          answer):
    """A prefetch of the one-click link (a mail scanner: no scripts) answers nothing; the
    page carries the answer in a form that its script (or the one button) posts once."""
    svc, _admins = due
    token = _token(session, app, svc)
    for _ in range(2):  # a scanner may open it twice
        page = client.get(f"/directory/review/{token}?answer={answer}&lang=en")
        assert page.status_code == 200
    html = page.get_data(as_text=True)
    session.refresh(svc)
    assert svc.status == "active" and svc.last_verified == ago(50)
    assert all(link.used_at is None for link in _links(session, svc))
    assert 'id="review-one-click"' in html and "/directory/static/review.js" in html
    assert f'name="answer" value="{answer}"' in html
    assert _buttons(html) == 1  # without scripts: one button, the chosen answer
    sent = client.post(f"/directory/review/{token}?lang=en", data={"answer": answer})
    assert sent.status_code == 200 and "Thank you" in sent.get_data(as_text=True)
    link = _links(session, svc)[0]
    assert link.answer == answer and link.used_at is not None
    again = client.get(f"/directory/review/{token}?answer={answer}&lang=en")
    assert again.status_code == 409 and "review.js" not in again.get_data(as_text=True)


@pytest.mark.parametrize("query", ["answer=everything", "answer=", ""])
def test_a_link_without_a_known_answer_shows_the_three_buttons(client, app, session, due,
                                                               query):
    svc, _admins = due
    token = _token(session, app, svc)
    html = client.get(f"/directory/review/{token}?lang=en&{query}").get_data(as_text=True)
    assert _buttons(html) == 3 and "review.js" not in html


def test_one_click_links_that_are_forged_or_expired_change_nothing(client, app, session,
                                                                   due):
    svc, _admins = due
    token = _token(session, app, svc)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    resp = client.get(f"/directory/review/{forged}?answer=closed&lang=en")
    assert resp.status_code == 400 and "review.js" not in resp.get_data(as_text=True)
    for link in _links(session, svc):
        link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    session.flush()
    resp = client.get(f"/directory/review/{token}?answer=closed&lang=en")
    assert resp.status_code == 410 and "review.js" not in resp.get_data(as_text=True)
    session.refresh(svc)
    assert svc.status == "active"
