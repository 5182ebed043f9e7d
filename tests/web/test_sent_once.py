"""Every form that creates something creates it once however often it is sent: pressed twice,
sent again when its answer was lost on a poor connection, or sent again after going Back (the
browser half: tests/browser/test_sent_once.py). The same form with the same content leads to
what it created the first time; the same form changed is a new one; each form shown has a key
of its own; a form without a key still works. The API's creating POSTs take an
``Idempotency-Key``: a retry gets what the first created, the key with another body is a 409.
(Referrals, and two copies at once: tests/referral/test_submissions.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from data.models import (
    ForumPost,
    ForumThread,
    LibraryDocument,
    ReferralEvent,
    Service,
    ServiceReport,
)
from tests.kits.forms import key_on
from tests.kits.referrals import world_fixture  # noqa: F401 - the fixtures
from tests.network.test_directory_api import NEW_SERVICE
from tests.network.test_directory_pages import FORM as SERVICE_FORM
from tests.network.test_library import FORM as DOCUMENT_FORM
from tests.web.test_pages_self_contained import site_fixture  # noqa: F401 - the fixture


@dataclass(frozen=True)
class Case:
    """A form: who sends it, the page it is on, where it is sent, what it sends (and what a
    changed copy sends), and what it creates (counted)."""

    name: str
    who: tuple[str, str] | None
    page: str
    action: str | None  # None: the page itself
    data: dict[str, Any]
    changed: dict[str, Any]
    counted: Any
    where: Any = None


CASES = [
    Case("forum thread", ("sender", "caseworker"), "/forum/threads/new", None,
         {"category_id": "{category}", "title": "بحث عن شريك", "body": "نبحث عن شريك في إدلب."},
         {"title": "بحث عن شريكين"}, ForumThread),
    Case("forum reply", ("sender", "caseworker"), "/forum/threads/{thread}",
         "/forum/threads/{thread}/reply", {"body": "نحن مهتمون."}, {"body": "نحن مهتمون جداً."},
         ForumPost),
    Case("note on a referral", ("sender", "caseworker"), "/referrals/{referral}",
         "/referrals/{referral}/note", {"note": "اتصلنا بالشخص."}, {"note": "اتصلنا مرة ثانية."},
         ReferralEvent, ReferralEvent.action == "note"),
    Case("library document", ("none", "platform_admin"), "/library/documents/new", None,
         DOCUMENT_FORM, {"number": "13/2024"}, LibraryDocument),
    Case("service", ("receiver", "org_admin"), "/directory/organizations/{receiver}/services/new",
         None, SERVICE_FORM, {"name_ar": "مساعدة قانونية متنقلة"}, Service),
    Case("report on a listing", None, "/directory/services/{service}/report", None,
         {"kind": "closed", "detail": "المركز مغلق منذ شهر."}, {"detail": "مغلق منذ شهرين."},
         ServiceReport),
]


def _count(session, case: Case) -> int:
    query = select(func.count()).select_from(case.counted)
    return session.scalar(query if case.where is None else query.where(case.where))


def _post(client, url: str, data: dict[str, Any]):
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_form_sent_twice_creates_once(client, login, session, world, site, case):
    if case.who is not None:
        login(world.users[case.who])
    page_url = case.page.format(**site)
    url = (case.action or case.page).format(**site)
    data = {k: v.format(**site) if isinstance(v, str) else v for k, v in case.data.items()}
    page = client.get(page_url).get_data(as_text=True)
    key = key_on(page)
    before = _count(session, case)
    first = _post(client, url, {**data, "submission": key})
    again = _post(client, url, {**data, "submission": key})  # a double press, a resend
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert _count(session, case) == before + 1
    # back to the form, something changed, sent with the key it had: a new one
    changed = _post(client, url, {**data, **case.changed, "submission": key})
    assert changed.status_code == 302 and _count(session, case) == before + 2
    # each form shown has its own key
    assert key_on(client.get(page_url).get_data(as_text=True)) != key


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_form_without_its_key_still_sends(client, login, session, world, site, case):
    """A page from before the keys, or a key of the wrong shape: no protection, no error."""
    if case.who is not None:
        login(world.users[case.who])
    url = (case.action or case.page).format(**site)
    data = {k: v.format(**site) if isinstance(v, str) else v for k, v in case.data.items()}
    before = _count(session, case)
    for i, junk in enumerate((None, "short", "with space in it")):
        sent = {**data, **({} if junk is None else {"submission": junk})}
        if case.counted is LibraryDocument:
            sent["number"] = f"{i}/2025"  # (a document's number is its own)
        assert _post(client, url, sent).status_code == 302
    assert _count(session, case) == before + 3


def test_one_form_key_never_answers_for_another_form(client, login, session, world, site):
    """The same key sent with a thread and then with a reply: two things, each created."""
    login(world.users[("sender", "caseworker")])
    key = key_on(client.get("/forum/threads/new").get_data(as_text=True))
    threads = _count(session, CASES[0])
    posts = _count(session, CASES[1])
    made = _post(client, "/forum/threads/new", {"category_id": site["category"], "title": "ت",
                                                "body": "نص", "submission": key})
    replied = _post(client, f"/forum/threads/{site['thread']}/reply",
                    {"body": "نص", "submission": key})
    assert made.status_code == replied.status_code == 302
    assert _count(session, CASES[0]) == threads + 1
    assert _count(session, CASES[1]) == posts + 2  # the new thread's first post and the reply


API_CASES = [
    Case("forum thread", ("sender", "caseworker"), "/api/v1/forum/threads", None,
         {"category_id": "{category}", "title": "بحث عن شريك", "body": "نبحث عن شريك."},
         {"title": "بحث عن شريكين"}, ForumThread),
    Case("forum reply", ("sender", "caseworker"), "/api/v1/forum/threads/{thread}/posts", None,
         {"body": "نحن مهتمون."}, {"body": "نحن مهتمون جداً."}, ForumPost),
    Case("library document", ("none", "platform_admin"), "/api/v1/library/documents", None,
         {"kind": "law", "title_ar": "قانون الجمعيات"}, {"title_ar": "قانون آخر"},
         LibraryDocument),
    Case("service", ("receiver", "org_admin"), "/api/v1/services", None, NEW_SERVICE,
         {"name_ar": "مساعدة قانونية متنقلة"}, Service),
    Case("report on a listing", None, "/api/v1/services/{service}/reports", None,
         {"kind": "closed", "detail": "المركز مغلق منذ شهر."}, {"detail": "مغلق منذ شهرين."},
         ServiceReport),
]


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: c.name)
def test_an_api_post_retried_with_its_key_creates_once(client, login, session, world, site,
                                                        case):
    if case.who is not None:
        login(world.users[case.who])
    url = case.page.format(**site)
    body = {k: int(v.format(**site)) if v == "{category}" else v for k, v in case.data.items()}
    before = _count(session, case)

    def send(data, key):
        return client.post(url, json=data, headers={"Idempotency-Key": key} if key else {})

    first, retry = send(body, "retry-key-0001"), send(body, "retry-key-0001")
    assert first.status_code == retry.status_code == 201, first.get_json()
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert _count(session, case) == before + 1
    reused = send({**body, **case.changed}, "retry-key-0001")
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
    assert send({**body, **case.changed}, "retry-key-0002").status_code == 201
    assert send(body, None).status_code == 201  # no key: no protection, as before
    assert _count(session, case) == before + 3
    bad = send(body, "short")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_pages_with_such_a_form_load_the_script_that_keeps_its_key(
        client, login, world, site, case):
    """The script that gives a form reached by Back its key is on these pages, and only on
    pages with such a form (the notebook's page may carry no script at all)."""
    if case.who is not None:
        login(world.users[case.who])
    script = '<script src="/static/js/sent_once.js" defer></script>'
    assert script in client.get(case.page.format(**site)).get_data(as_text=True)
    assert script not in client.get("/directory/").get_data(as_text=True)
